#!/usr/bin/env python3
"""Checks `tt sim` against the official Upstox Python SDK (upstox-python-sdk), used unchanged.

Given a running simulator's root URL, this points the SDK's two hosts (REST and orders) at it,
logs in the way a web app does (the authorization dialog's redirect with `code`, then the token
exchange), then exercises profile, funds and margin, holdings, positions, market quotes (ltp,
ohlc, full), orders (v3 place, modify, cancel; the order book, order details, order history,
trades), Upstox's error bodies as the SDK's `ApiException`, the BOD instrument file and logout.
The SDK's models validate what they read (enumerations such as `order_type`, `validity`,
`transaction_type`, required fields), so a field the simulator gets wrong fails here. Any
mismatch is printed and the script exits with status 1.

    python upstox_sim_check.py --root http://127.0.0.1:8765 --instruments upstox_instruments.json
"""

import argparse
import gzip
import json
import sys
from urllib.parse import parse_qs, urlsplit

import requests
import upstox_client
from upstox_client.rest import ApiException

FAILURES = []
API_VERSION = "2.0"
CLIENT_ID = "tt_sim_key"
CLIENT_SECRET = "tt_sim_secret"
REDIRECT_URI = "http://127.0.0.1/callback"


def check(condition, what):
    """Records a failed expectation and keeps going, so one run reports every mismatch."""
    if condition:
        print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        FAILURES.append(what)


def attempt(call, what):
    """Runs one SDK call; a raised exception is a recorded failure, not the end of the run."""
    try:
        return call()
    except Exception as error:  # noqa: BLE001 - every failure is reported, then the run goes on
        check(False, f"{what}: raised {type(error).__name__}: {error}")
        return None


def expect_api_error(call, status, code, what):
    """Checks that `call` raises `ApiException` with the HTTP `status` and the Upstox error
    `code`, carried under both `error_code` and the deprecated `errorCode`."""
    try:
        call()
    except ApiException as error:
        try:
            body = json.loads(error.body)
            first = body["errors"][0]
        except (TypeError, ValueError, KeyError, IndexError):
            check(False, f"{what}: error body is not Upstox's: {error.body!r}")
            return
        check(error.status == status, f"{what}: HTTP {error.status} (want {status})")
        check(body.get("status") == "error", f"{what}: status is error")
        check(first.get("error_code") == code and first.get("errorCode") == code,
              f"{what}: error_code and errorCode {code} (got {first.get('error_code')}, "
              f"{first.get('errorCode')})")
        check(bool(first.get("message")), f"{what}: a message")
        return
    except Exception as error:  # noqa: BLE001 - any other outcome is the mismatch reported
        check(False, f"{what}: expected ApiException, got {type(error).__name__}: {error}")
        return
    check(False, f"{what}: expected ApiException {status} {code}, got no error")


def configured(root, access_token=None):
    """An SDK client whose REST and order hosts are both the simulator."""
    configuration = upstox_client.Configuration()
    configuration.host = root
    configuration.order_host = root
    if access_token is not None:
        configuration.access_token = access_token
    return upstox_client.ApiClient(configuration)


def login(root):
    """The browser's part with `requests` (no redirect following), then the SDK's token call."""
    dialog = requests.get(
        f"{root}/v2/login/authorization/dialog",
        params={"response_type": "code", "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI, "state": "xyz"},
        allow_redirects=False,
        timeout=7,
    )
    check(dialog.status_code == 302, f"authorization dialog redirects (got {dialog.status_code})")
    location = urlsplit(dialog.headers.get("Location", ""))
    check(f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI,
          "the redirect goes to the registered redirect URI")
    query = parse_qs(location.query)
    check(query.get("state") == ["xyz"], "the redirect carries the state back")
    code = query.get("code", [""])[0]
    check(bool(code), "the redirect carries a code")

    login_api = upstox_client.LoginApi(configured(root))
    token = login_api.token(API_VERSION, code=code, client_id=CLIENT_ID,
                            client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                            grant_type="authorization_code")
    check(bool(token.access_token), "the token answer has an access_token")
    check(token.broker == "UPSTOX", f"broker is UPSTOX (got {token.broker})")
    check(bool(token.user_id), "the token answer names the user")
    try:
        login_api.token(API_VERSION, code=code, client_id=CLIENT_ID,
                        client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                        grant_type="authorization_code")
        check(False, "a code is single-use: the second exchange was accepted")
    except ApiException as error:
        check(400 <= error.status < 500, f"a code is single-use (HTTP {error.status})")
    return token.access_token


def check_account(client):
    user = upstox_client.UserApi(client)
    profile = attempt(lambda: user.get_profile(API_VERSION), "profile")
    if profile is not None:
        check(profile.status == "success", "profile: success")
        check(bool(profile.data.user_id), "profile: user_id")
        check("NSE" in (profile.data.exchanges or []), "profile: NSE among the exchanges")

    funds = attempt(lambda: user.get_user_fund_margin(API_VERSION), "funds and margin")
    if funds is not None:
        check(set(funds.data) >= {"equity", "commodity"},
              f"funds: equity and commodity (got {sorted(funds.data)})")
        equity = funds.data.get("equity")
        check(equity is not None and equity.available_margin > 0,
              "funds: equity available_margin above zero")
    equity_only = attempt(lambda: user.get_user_fund_margin(API_VERSION, segment="SEC"),
                          "funds of the equity segment")
    if equity_only is not None:
        check(set(equity_only.data) == {"equity"},
              f"funds segment=SEC: equity only (got {sorted(equity_only.data)})")

    portfolio = upstox_client.PortfolioApi(client)
    holdings = attempt(lambda: portfolio.get_holdings(API_VERSION), "holdings")
    if holdings is not None:
        check(isinstance(holdings.data, list), "holdings: a list")
        for holding in holdings.data:
            check(holding.instrument_token and "|" in holding.instrument_token,
                  f"holding {holding.trading_symbol}: instrument_token is an instrument key")
    positions = attempt(lambda: portfolio.get_positions(API_VERSION), "positions")
    if positions is not None:
        check(isinstance(positions.data, list), "positions: a list")


def check_quotes(client, instruments):
    equity = next(r for r in instruments if r["instrument_key"] == "NSE_EQ|INE009A01021")
    key = equity["instrument_key"]
    quotes = upstox_client.MarketQuoteApi(client)
    ltp = attempt(lambda: quotes.ltp(key, API_VERSION), "ltp")
    last_price = None
    if ltp is not None:
        wanted = f"{equity['segment']}:{equity['trading_symbol']}"
        check(wanted in ltp.data, f"ltp: keyed {wanted} (got {sorted(ltp.data)})")
        quote = ltp.data.get(wanted)
        if quote is not None:
            check(quote.instrument_token == key, "ltp: instrument_token is the instrument key")
            check(quote.last_price > 0, "ltp: a last price")
            last_price = quote.last_price
    ohlc = attempt(lambda: quotes.get_market_quote_ohlc(key, "1d", API_VERSION), "ohlc")
    if ohlc is not None:
        quote = next(iter(ohlc.data.values()), None)
        check(quote is not None and quote.ohlc is not None and quote.ohlc.high >= quote.ohlc.low,
              "ohlc: high at or above low")
    full = attempt(lambda: quotes.get_full_market_quote(key, API_VERSION), "full quote")
    if full is not None:
        quote = next(iter(full.data.values()), None)
        check(quote is not None and quote.depth is not None and len(quote.depth.buy) == 5,
              "full quote: five levels of depth")
        check(quote is not None and quote.instrument_token == key,
              "full quote: instrument_token is the instrument key")
    many = ",".join(r["instrument_key"] for r in instruments if r["segment"] == "NSE_EQ")
    several = attempt(lambda: quotes.ltp(many, API_VERSION), "ltp of several instruments")
    if several is not None:
        tokens = {q.instrument_token for q in several.data.values()}
        check(tokens == set(many.split(",")), "ltp of several: every key answered once")
    expect_api_error(lambda: quotes.ltp("NSE_EQ|NOSUCHISIN", API_VERSION), 400, "UDAPI1087",
                     "ltp of an unknown instrument key")
    return key, last_price


def check_orders(client, key, last_price, tick):
    orders_v3 = upstox_client.OrderApiV3(client)
    orders = upstox_client.OrderApi(client)
    # A limit buy far below the market rests; a market buy fills.
    resting_price = round((last_price * 0.8) / tick) * tick
    body = upstox_client.PlaceOrderV3Request(
        quantity=1, product="D", validity="DAY", price=round(resting_price, 2), tag="ttsimcheck",
        instrument_token=key, order_type="LIMIT", transaction_type="BUY",
        disclosed_quantity=0, trigger_price=0.0, is_amo=False, slice=False)
    placed = attempt(lambda: orders_v3.place_order(body), "place a limit order (v3)")
    if placed is None:
        return
    check(placed.status == "success", "place: success")
    order_ids = placed.data.order_ids
    check(isinstance(order_ids, list) and len(order_ids) == 1, f"place: one order id ({order_ids})")
    check(placed.metadata is not None and placed.metadata.latency is not None,
          "place: metadata.latency")
    order_id = order_ids[0]

    status = attempt(lambda: orders.get_order_status(order_id=order_id), "order details")
    if status is not None:
        check(status.data.order_id == order_id, "order details: the order asked for")
        check(status.data.status == "open", f"order details: open (got {status.data.status})")
        check(status.data.tag == "ttsimcheck", "order details: the tag as sent")
        check(status.data.instrument_token == key, "order details: the instrument key")

    new_price = round(resting_price - tick, 2)
    modify = upstox_client.ModifyOrderRequest(
        quantity=2, validity="DAY", price=new_price, order_id=order_id, order_type="LIMIT",
        disclosed_quantity=0, trigger_price=0.0)
    modified = attempt(lambda: orders_v3.modify_order(modify), "modify (v3)")
    if modified is not None:
        check(modified.data.order_id == order_id, "modify: the order id back")

    history = attempt(lambda: orders.get_order_details(API_VERSION, order_id=order_id),
                      "order history")
    if history is not None:
        statuses = [entry.status for entry in history.data]
        check(len(statuses) >= 2, f"order history: every state ({statuses})")
        check(history.data[-1].quantity == 2, "order history: the modified quantity last")

    cancelled = attempt(lambda: orders_v3.cancel_order(order_id), "cancel (v3)")
    if cancelled is not None:
        check(cancelled.data.order_id == order_id, "cancel: the order id back")
    expect_api_error(lambda: orders_v3.cancel_order(order_id), 400, "UDAPI100040",
                     "cancelling a cancelled order")
    expect_api_error(lambda: orders_v3.cancel_order("999999999999999"), 400, "UDAPI100010",
                     "cancelling an unknown order")

    market = upstox_client.PlaceOrderV3Request(
        quantity=1, product="I", validity="DAY", price=0.0, tag="ttsimmarket",
        instrument_token=key, order_type="MARKET", transaction_type="BUY",
        disclosed_quantity=0, trigger_price=0.0, is_amo=False, slice=False)
    filled = attempt(lambda: orders_v3.place_order(market), "place a market order (v3)")
    if filled is None:
        return
    filled_id = filled.data.order_ids[0]
    book = attempt(lambda: orders.get_order_book(API_VERSION), "order book")
    if book is not None:
        by_id = {o.order_id: o for o in book.data}
        check(order_id in by_id and by_id[order_id].status == "cancelled",
              "order book: the cancelled order")
        check(filled_id in by_id and by_id[filled_id].status == "complete",
              "order book: the filled market order")
        if filled_id in by_id:
            check(by_id[filled_id].product == "I", "order book: product I")
            check(by_id[filled_id].average_price > 0, "order book: an average price")
    trades = attempt(lambda: orders.get_trade_history(API_VERSION), "trades for the day")
    if trades is not None:
        check(any(t.order_id == filled_id for t in trades.data), "trades: the market order's fill")
    order_trades = attempt(lambda: orders.get_trades_by_order(filled_id, API_VERSION),
                           "trades of an order")
    if order_trades is not None:
        check(len(order_trades.data) >= 1 and all(t.order_id == filled_id
                                                  for t in order_trades.data),
              "trades of an order: only that order's fills")
    positions = attempt(lambda: upstox_client.PortfolioApi(client).get_positions(API_VERSION),
                        "positions after a fill")
    if positions is not None:
        check(any(p.instrument_token == key and p.quantity == 1 for p in positions.data),
              "positions: one unit bought intraday")


def check_instrument_file(root, instruments):
    answer = requests.get(f"{root}/market-quote/instruments/exchange/complete.json.gz",
                          timeout=7)
    check(answer.status_code == 200, f"BOD file: 200 (got {answer.status_code})")
    try:
        rows = json.loads(gzip.decompress(answer.content))
    except (OSError, ValueError) as error:
        check(False, f"BOD file: gzip of a JSON array ({error})")
        return
    keys = {r.get("instrument_key") for r in rows}
    wanted = {r["instrument_key"] for r in instruments}
    check(wanted <= keys, f"BOD file: every instrument listed ({len(wanted - keys)} missing)")
    option = next((r for r in rows if r.get("instrument_type") == "CE"), None)
    check(option is not None and isinstance(option.get("expiry"), int)
          and isinstance(option.get("exchange_token"), str),
          "BOD file: expiry in epoch ms, exchange_token a string")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the simulator's root URL")
    parser.add_argument("--instruments", required=True, help="the Upstox JSON the master holds")
    args = parser.parse_args()
    root = args.root.rstrip("/")
    with open(args.instruments, encoding="utf-8") as f:
        instruments = json.load(f)

    expect_api_error(lambda: upstox_client.UserApi(configured(root, "bogus")).get_profile(
        API_VERSION), 401, "UDAPI100050", "a bad access token")

    access_token = attempt(lambda: login(root), "login")
    if access_token is None:
        sys.exit(1)
    client = configured(root, access_token)
    check_account(client)
    quoted = check_quotes(client, instruments)
    key, last_price = quoted
    equity = next(r for r in instruments if r["instrument_key"] == key)
    if last_price is not None:
        check_orders(client, key, last_price, equity["tick_size"] / 100)
    check_instrument_file(root, instruments)

    logout = attempt(lambda: upstox_client.LoginApi(client).logout(API_VERSION), "logout")
    if logout is not None:
        check(logout.data is True, "logout: data true")
    expect_api_error(lambda: upstox_client.UserApi(client).get_profile(API_VERSION), 401,
                     "UDAPI100050", "the token after logout")

    if FAILURES:
        print(f"\n{len(FAILURES)} mismatch(es) with upstox-python-sdk")
        sys.exit(1)
    print("\nupstox-python-sdk works against tt sim")


if __name__ == "__main__":
    main()
