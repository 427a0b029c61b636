#!/usr/bin/env python3
"""Checks `tt sim`'s market data feed v3 against the official Upstox Python SDK's MarketDataStreamerV3.

The SDK's feed URL is fixed (`wss://api.upstox.com/v3/feed/market-data-feed`, built inside
`MarketDataFeederV3.connect`), so this check rewrites exactly that one URL to
`ws://ADDR/v3/feed/market-data-feed`, by handing the feeder module a `websocket` whose
`WebSocketApp` swaps it; everything else (the Bearer header, the binary JSON requests, the
decoding with Upstox's own generated protobuf classes) is the SDK's, unchanged. Given a
running simulator's root URL and admin token, it opens an Upstox session through the admin
endpoint, moves two prices, streams one key in `ltpc` and subscribes another in `full`, checks
`market_info` comes first and that both modes' ticks carry the simulator's prices, then
disconnects; then streams order and position updates through PortfolioDataStreamer (its
fixed URL's host rewritten the same way) while an order fills. Any mismatch is printed and the
script exits with status 1.

    python upstox_stream_check.py --root http://127.0.0.1:8765 --admin-token TOKEN
"""

import argparse
import json
import sys
import threading
import types

import requests
import upstox_client
from upstox_client.feeder import market_data_feeder_v3, portfolio_data_feeder

from stream_check_common import FAILURES, admin, check, wait_for
SDK_FEED_URL = "wss://api.upstox.com/v3/feed/market-data-feed"
SDK_HOST = "wss://api.upstox.com"
INFY = "NSE_EQ|INE009A01021"
TCS = "NSE_EQ|INE467B01029"



def point_feed_at(root):
    """Rewrites the SDK's one fixed feed URL to the simulator's (ws://, no TLS)."""
    real = market_data_feeder_v3.websocket
    sim_url = root.replace("http://", "ws://", 1) + "/v3/feed/market-data-feed"

    def websocket_app(url, *args, **kwargs):
        return real.WebSocketApp(sim_url if url == SDK_FEED_URL else url, *args, **kwargs)

    shim = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real)
                                    if not name.startswith("__")})
    shim.WebSocketApp = websocket_app
    market_data_feeder_v3.websocket = shim


def point_portfolio_feed_at(root):
    """Rewrites the host of the SDK's fixed portfolio feed URL to the simulator's (its
    `update_types` query stays as the SDK builds it)."""
    build = portfolio_data_feeder.PortfolioDataFeeder.get_websocket_url
    sim_host = root.replace("http://", "ws://", 1)

    def get_websocket_url(self):
        url = build(self)
        return sim_host + url[len(SDK_HOST):] if url.startswith(SDK_HOST) else url

    portfolio_data_feeder.PortfolioDataFeeder.get_websocket_url = get_websocket_url


def check_portfolio(root, client, access_token):
    """PortfolioDataStreamer with order and position updates: an order placed over REST
    arrives as its steps, the fill as a position."""
    point_portfolio_feed_at(root)
    updates = []
    opened = threading.Event()
    lock = threading.Lock()

    def on_message(message):
        if isinstance(message, bytes):
            message = message.decode("utf-8")
        with lock:
            updates.append(json.loads(message))

    streamer = upstox_client.PortfolioDataStreamer(client, order_update=True, position_update=True)
    streamer.on("open", opened.set)
    streamer.on("message", on_message)
    streamer.connect()
    try:
        check(opened.wait(10), "the SDK opens the portfolio feed")
        placed = requests.post(f"{root}/v3/order/place", timeout=7, json={
            "instrument_token": INFY, "quantity": 1, "product": "D", "validity": "DAY",
            "price": 0, "tag": "stream", "order_type": "MARKET", "transaction_type": "BUY",
            "disclosed_quantity": 0, "trigger_price": 0, "is_amo": False,
        }, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        order_id = placed.json()["data"]["order_ids"][0]

        def seen(kind, status=None):
            with lock:
                return [u for u in updates if u.get("update_type") == kind
                        and (status is None or u.get("status") == status)
                        and (kind != "order" or u.get("order_id") == order_id)]

        check(wait_for(lambda: seen("order", "complete") and seen("position")),
              "order and position updates arrive")
        done = (seen("order", "complete") or [{}])[-1]
        check(done.get("instrument_key") == INFY and done.get("user_id") == done.get("userId"),
              "an order update carries instrument_key, user_id and userId")
        position = (seen("position") or [{}])[-1]
        check(position.get("instrument_key") == INFY and position.get("quantity") == 1,
              f"the position update ({position.get('quantity')})")
    finally:
        streamer.disconnect()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the simulator's root URL")
    parser.add_argument("--admin-token", required=True, help="the token `tt sim` printed")
    args = parser.parse_args()
    root = args.root.rstrip("/")

    streamer = None
    try:
        session = admin(root, args.admin_token, "POST", "/session", {"broker": "upstox"})
        admin(root, args.admin_token, "POST", "/prices", [
            {"instrument": INFY, "price": 1501.25},
            {"instrument": TCS, "price": 3999.9},
        ])
        point_feed_at(root)

        configuration = upstox_client.Configuration()
        configuration.host = root
        configuration.access_token = session["access_token"]
        client = upstox_client.ApiClient(configuration)

        messages = []
        errors = []
        opened = threading.Event()
        lock = threading.Lock()

        def on_message(message):
            with lock:
                messages.append(message)

        streamer = upstox_client.MarketDataStreamerV3(client, [INFY], "ltpc")
        streamer.on("open", opened.set)
        streamer.on("message", on_message)
        streamer.on("error", errors.append)
        streamer.connect()
        check(opened.wait(10), "the SDK opens the feed with its Bearer header")
        streamer.subscribe([TCS], "full")

        def feed_of(key, part):
            with lock:
                found = [m["feeds"][key] for m in messages
                         if key in m.get("feeds", {}) and part in m["feeds"][key]]
            return found[-1] if found else None

        def live():
            with lock:
                return any(m.get("type") == "live_feed" for m in messages)

        check(wait_for(lambda: feed_of(INFY, "ltpc") and feed_of(TCS, "fullFeed")),
              "ltpc and full ticks arrive and decode with Upstox's own classes")
        with lock:
            first = messages[0] if messages else {}
        check(first.get("type") == "market_info", f"market_info comes first ({first.get('type')})")
        segments = first.get("marketInfo", {}).get("segmentStatus", {})
        check(segments.get("NSE_EQ") == "NORMAL_OPEN", f"NSE_EQ is open ({segments.get('NSE_EQ')})")
        check(wait_for(live), "live_feed messages follow")

        ltpc = (feed_of(INFY, "ltpc") or {}).get("ltpc", {})
        check(ltpc.get("ltp") == 1501.25, f"ltpc at the sim's price ({ltpc.get('ltp')})")
        check(int(ltpc.get("ltq", "0")) > 0 and int(ltpc.get("ltt", "0")) > 0, "ltq and ltt")
        full = (feed_of(TCS, "fullFeed") or {})
        check(full.get("requestMode") == "full_d5", f"requestMode full_d5 ({full.get('requestMode')})")
        market = full.get("fullFeed", {}).get("marketFF", {})
        check(market.get("ltpc", {}).get("ltp") == 3999.9,
              f"full at the sim's price ({market.get('ltpc', {}).get('ltp')})")
        levels = market.get("marketLevel", {}).get("bidAskQuote", [])
        check(len(levels) == 5, f"five depth levels ({len(levels)})")
        check(all(float(q["bidP"]) < 3999.9 <= float(q["askP"]) for q in levels),
              "bids below and asks from the last price")
        intervals = [c.get("interval") for c in market.get("marketOHLC", {}).get("ohlc", [])]
        check(intervals == ["1d", "I1"], f"1d and I1 candles ({intervals})")
        check(int(market.get("vtt", "0")) > 0 and market.get("atp", 0) > 0, "vtt and atp")
        check(not errors, f"no streamer errors ({errors})")
        check_portfolio(root, client, session["access_token"])
    except Exception as error:  # noqa: BLE001 - an unexpected failure is a mismatch too
        check(False, f"unexpected {type(error).__name__}: {error}")
    finally:
        if streamer is not None and streamer.feeder is not None:
            streamer.disconnect()

    if FAILURES:
        print(f"\n{len(FAILURES)} mismatch(es) with upstox-python-sdk's streamer")
        return 1
    print("\nupstox-python-sdk's MarketDataStreamerV3 and PortfolioDataStreamer work against tt sim")
    return 0


if __name__ == "__main__":
    sys.exit(main())
