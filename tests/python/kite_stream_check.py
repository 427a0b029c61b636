#!/usr/bin/env python3
"""Checks `tt sim`'s ticker against the official Kite Connect Python client's KiteTicker, unchanged.

Given a running simulator's root URL and admin token, this opens a Kite session through the
admin endpoint, moves a few prices, connects `KiteTicker(api_key, access_token,
root="ws://ADDR")` in threaded mode, subscribes an NSE equity, a CDS future and an index, sets
them to full mode, and checks that the client decodes ticks of each with the expected fields
and the simulator's prices (CDS in its own price units), then places an order over REST and
checks that it arrives through `on_order_update`, and closes. Any mismatch is printed and the
script exits with status 1.

    python kite_stream_check.py --root http://127.0.0.1:8765 --admin-token TOKEN
"""

import argparse
import sys
import threading

from kiteconnect import KiteConnect, KiteTicker

from stream_check_common import FAILURES, admin, check, wait_for

INFY = 408065
USDINR_CDS = 256771
NIFTY_50 = 256265



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the simulator's URL")
    parser.add_argument("--admin-token", required=True, help="the token `tt sim` printed")
    args = parser.parse_args()
    root = args.root.rstrip("/")

    try:
        admin(root, args.admin_token, "PUT", "/rate_limits", {"preset": "unlimited"})
        session = admin(root, args.admin_token, "POST", "/session", {"broker": "kite"})
        api_key, access_token = session["api_key"], session["access_token"]
        admin(root, args.admin_token, "POST", "/prices", [
            {"instrument": "NSE:INFY", "price": 1512.35},
            {"instrument": "CDS:USDINR26DECFUT", "price": 84.1225},
        ])

        latest = {}
        orders = []
        lock = threading.Lock()
        tokens = [INFY, USDINR_CDS, NIFTY_50]

        def on_ticks(ws, ticks):
            with lock:
                for tick in ticks:
                    latest[tick["instrument_token"]] = tick

        def on_connect(ws, response):
            ws.subscribe(tokens)
            ws.set_mode(ws.MODE_FULL, tokens)

        def on_order_update(ws, data):
            with lock:
                orders.append(data)

        ticker = KiteTicker(api_key, access_token, root=root.replace("http://", "ws://", 1))
        ticker.on_ticks = on_ticks
        ticker.on_connect = on_connect
        ticker.on_order_update = on_order_update
        ticker.connect(threaded=True)

        def full_ticks():
            with lock:
                return all(latest.get(t, {}).get("mode") == "full" for t in tokens)

        check(wait_for(full_ticks), "full-mode ticks of an equity, a CDS future and an index arrive")
        with lock:
            infy = latest.get(INFY, {})
            cds = latest.get(USDINR_CDS, {})
            index = latest.get(NIFTY_50, {})
        check(infy.get("last_price") == 1512.35, f"INFY ticks at the sim's price ({infy.get('last_price')})")
        check(infy.get("tradable") is True and infy.get("last_traded_quantity", 0) > 0,
              "each tick is a trade of some quantity")
        check(infy.get("volume_traded", 0) > 0 and infy.get("average_traded_price", 0) > 0,
              "volume and average price")
        depth = infy.get("depth", {})
        check(len(depth.get("buy", [])) == 5 and len(depth.get("sell", [])) == 5, "five levels a side")
        check(all(level["price"] < 1512.35 for level in depth.get("buy", [])), "bids below the last price")
        check(all(level["price"] >= 1512.35 for level in depth.get("sell", [])), "offers from it up")
        for key in ("ohlc", "oi", "last_trade_time", "exchange_timestamp", "total_buy_quantity",
                    "total_sell_quantity", "change"):
            check(key in infy, f"an equity's full tick has `{key}`")
        check(cds.get("last_price") == 84.1225, f"CDS decodes with its own divisor ({cds.get('last_price')})")
        check(index.get("tradable") is False and index.get("last_price", 0) > 0, "the index ticks")
        check(index.get("ohlc", {}).get("high", 0) >= index.get("ohlc", {}).get("low", 1),
              "the index's high and low in their places")
        check("exchange_timestamp" in index, "an index's full tick has its exchange timestamp")

        kite = KiteConnect(api_key=api_key, root=root)
        kite.set_access_token(access_token)
        order_id = kite.place_order(variety="regular", exchange="NSE", tradingsymbol="INFY",
                                    transaction_type="BUY", quantity=1, product="CNC",
                                    order_type="MARKET")

        def order_completed():
            with lock:
                return any(o.get("order_id") == order_id and o.get("status") == "COMPLETE" for o in orders)

        check(wait_for(order_completed), "the order's updates arrive through on_order_update")
        with lock:
            statuses = [o.get("status") for o in orders if o.get("order_id") == order_id]
        check(statuses[:1] == ["OPEN"], f"the first update is OPEN ({statuses})")
        ticker.close()
        check(wait_for(lambda: not ticker.is_connected(), 5), "the ticker closes")
    except Exception as error:  # noqa: BLE001 - an unexpected failure is a mismatch too
        check(False, f"unexpected {type(error).__name__}: {error}")

    if FAILURES:
        print(f"\n{len(FAILURES)} mismatch(es)")
        return 1
    print("\nthe official KiteTicker works against tt sim")
    return 0


if __name__ == "__main__":
    sys.exit(main())
