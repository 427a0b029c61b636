#!/usr/bin/env python3
"""Checks `tt sim` against the official Kite Connect Python client, used unchanged.

Given a running simulator's root URL, this logs in the way a web app does (the login page's
redirect, then `generate_session` with the checksum), then exercises profile, margins,
holdings, positions, quotes, orders (place, modify, cancel, history, trades), Kite's errors as
the client's exception classes, the instrument dump and logout. Any mismatch is printed and the
script exits with status 1.

    python kite_sim_check.py --root http://127.0.0.1:8765 --instruments kite_instruments.csv
"""

import argparse
import csv
import datetime
import sys
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlsplit

import requests
from kiteconnect import KiteConnect
from kiteconnect import exceptions as ex

FAILURES = []


def check(condition, what):
    """Records a failed expectation and keeps going, so one run reports every mismatch."""
    if condition:
        print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        FAILURES.append(what)


def expect_error(exception, call, what):
    """Checks that `call` raises the client's `exception` class (Kite's error_type)."""
    try:
        call()
    except exception as error:
        print(f"ok    {what}: {type(error).__name__} {error.code}: {error}")
        return error
    except Exception as error:  # noqa: BLE001 - any other outcome is the mismatch reported
        check(False, f"{what}: expected {exception.__name__}, got {type(error).__name__}: {error}")
        return None
    check(False, f"{what}: expected {exception.__name__}, got no error")
    return None


def on_tick(price, tick):
    """`price` rounded to a multiple of `tick`, exactly."""
    tick = Decimal(tick)
    return float((Decimal(str(price)) / tick).quantize(Decimal(1), ROUND_HALF_UP) * tick)


ADMIN_TOKEN = {"value": ""}


def admin(root, method, path, body):
    """Calls one of the simulator's own `/__sim/` endpoints, with the run's admin token."""
    answer = requests.request(method, f"{root}/__sim{path}", json=body, timeout=7,
                              headers={"X-Sim-Admin-Token": ADMIN_TOKEN["value"]})
    answer.raise_for_status()
    return answer.json()["data"]


def login(root, api_key, api_secret):
    """The browser's part with `requests` (no redirect following), then the app's part."""
    page = requests.get(
        f"{root}/connect/login",
        params={"v": 3, "api_key": api_key, "redirect_params": "state=xyz"},
        allow_redirects=False,
        timeout=7,
    )
    check(page.status_code == 302, f"login page redirects (got {page.status_code})")
    query = parse_qs(urlsplit(page.headers["Location"]).query)
    check(query.get("status") == ["success"] and query.get("action") == ["login"],
          "redirect says action=login&status=success")
    check(query.get("state") == ["xyz"], "redirect_params are appended")
    request_token = query["request_token"][0]

    kite = KiteConnect(api_key=api_key, root=root)
    session = kite.generate_session(request_token, api_secret=api_secret)
    check(kite.access_token == session["access_token"], "generate_session sets the access token")
    check(isinstance(session["login_time"], datetime.datetime), "login_time parses as a datetime")
    for key in ("user_id", "user_name", "public_token", "refresh_token", "exchanges", "products",
                "order_types", "meta", "enctoken", "api_key"):
        check(key in session, f"session has `{key}`")

    again = KiteConnect(api_key=api_key, root=root)
    expect_error(ex.TokenException, lambda: again.generate_session(request_token, api_secret),
                 "a request token is single-use")
    fresh = requests.get(f"{root}/connect/login", params={"v": 3, "api_key": api_key},
                         allow_redirects=False, timeout=7)
    other = parse_qs(urlsplit(fresh.headers["Location"]).query)["request_token"][0]
    expect_error(ex.TokenException, lambda: again.generate_session(other, "wrong secret"),
                 "a wrong checksum is refused")
    return kite


def check_rate_limits(kite, root):
    """Kite's limits are on by default: a second quote in one second is a 429."""
    try:
        kite.ltp("NSE:INFY")
        kite.ltp("NSE:INFY")
        check(False, "a second quote call within a second is refused")
    except ex.NetworkException as error:
        check(error.code == 429, f"rate limit answers 429 NetworkException ({error.code}: {error})")
    admin(root, "PUT", "/rate_limits", {"preset": "unlimited"})


def check_account(kite):
    profile = kite.profile()
    check(profile["user_id"] == "TT0001", f"profile user_id ({profile['user_id']})")
    check(profile["broker"] == "ZERODHA", "profile broker")

    margins = kite.margins()
    check(set(margins) == {"equity", "commodity"}, "margins has equity and commodity")
    equity = kite.margins("equity")
    check(equity["net"] == 1000000 and equity["available"]["cash"] == 1000000,
          f"equity starts with 10,00,000 (net {equity['net']})")
    check("utilised" in equity and "debits" in equity["utilised"], "margins say `utilised`")

    holdings = kite.holdings()
    check(len(holdings) == 3, f"three seeded holdings ({len(holdings)})")
    check([h["quantity"] for h in holdings] == [10, 20, 30], "seeded quantities 10, 20, 30")
    check(all(h["product"] == "CNC" and h["exchange"] == "NSE" for h in holdings),
          "holdings are NSE delivery")

    positions = kite.positions()
    check(positions == {"net": [], "day": []}, "no positions before trading")
    return holdings


def check_quotes(kite):
    ltp = kite.ltp("NSE:INFY", "NSE:M&M", "NSE:NIFTY 50", "NSE:NOSUCH")
    check(set(ltp) == {"NSE:INFY", "NSE:M&M", "NSE:NIFTY 50"},
          f"ltp keys are the requested names, unknown left out ({sorted(ltp)})")
    check(ltp["NSE:M&M"]["instrument_token"] == 519937, "M&M's token")
    quote = kite.quote(["NSE:INFY"])["NSE:INFY"]
    check(isinstance(quote["timestamp"], datetime.datetime), "quote timestamp parses")
    check(isinstance(quote["last_trade_time"], datetime.datetime), "quote last_trade_time parses")
    check(len(quote["depth"]["buy"]) == 5 and len(quote["depth"]["sell"]) == 5, "five depth levels")
    check(quote["last_price"] == ltp["NSE:INFY"]["last_price"], "quote and ltp agree")
    ohlc = kite.ohlc("NSE:INFY")["NSE:INFY"]
    check(set(ohlc["ohlc"]) == {"open", "high", "low", "close"}, "ohlc has open/high/low/close")
    expect_error(ex.InputException, lambda: kite.quote([f"NSE:S{i}" for i in range(501)]),
                 "more than 500 instruments in a quote")
    return ltp["NSE:INFY"]["last_price"]


def check_orders(kite, root, last, holdings):
    market = kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=2, product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_MARKET, tag="pycheck1")
    check(market.isdigit() and len(market) == 15, f"order id is fifteen digits ({market})")
    history = kite.order_history(market)
    statuses = [entry["status"] for entry in history]
    check(statuses == ["PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "OPEN PENDING", "OPEN",
                       "COMPLETE"], f"market order history ({statuses})")
    check(isinstance(history[-1]["order_timestamp"], datetime.datetime), "order_timestamp parses")
    check(history[-1]["average_price"] == last, "filled at the last price")
    check(history[-1]["tag"] == "pycheck1", "tag echoed")

    below = on_tick(last * 0.9, "0.05")
    limit = kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1, product=kite.PRODUCT_CNC,
        order_type=kite.ORDER_TYPE_LIMIT, price=below, validity=kite.VALIDITY_DAY)
    check(kite.order_history(limit)[-1]["status"] == "OPEN", "limit order below the market rests")
    lower = on_tick(last * 0.85, "0.05")
    check(kite.modify_order(kite.VARIETY_REGULAR, limit, price=lower, quantity=3) == limit,
          "modify answers the order id")
    after = kite.order_history(limit)
    check([e["status"] for e in after][-4:] == ["MODIFY VALIDATION PENDING", "MODIFY PENDING",
                                                "MODIFIED", "OPEN"], "modification states")
    check(after[-1]["price"] == lower and after[-1]["quantity"] == 3, "modification applied")
    check(kite.cancel_order(kite.VARIETY_REGULAR, limit) == limit, "cancel answers the order id")
    check(kite.order_history(limit)[-1]["status"] == "CANCELLED", "cancelled")

    stop = kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_SELL, quantity=2, product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_SLM, trigger_price=on_tick(last * 0.95, "0.05"))
    check(kite.order_history(stop)[-1]["status"] == "TRIGGER PENDING", "SL-M waits for its trigger")
    admin(root, "POST", "/prices", {"instrument": "NSE:INFY", "price": on_tick(last * 0.94, "0.05")})
    check(kite.order_history(stop)[-1]["status"] == "COMPLETE", "SL-M fills once triggered")

    expect_error(ex.InputException, lambda: kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="NOSUCH",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1, product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_MARKET), "unknown tradingsymbol")
    expect_error(ex.InputException, lambda: kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NFO,
        tradingsymbol="NIFTY26DEC25000CE", transaction_type=kite.TRANSACTION_TYPE_BUY,
        quantity=10, product=kite.PRODUCT_NRML, order_type=kite.ORDER_TYPE_MARKET),
        "quantity off the lot")
    expect_error(ex.InputException, lambda: kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=1, product=kite.PRODUCT_MIS,
        order_type=kite.ORDER_TYPE_LIMIT, price=100.03), "price off the tick")
    # Kite accepts an order short of funds or holdings and its RMS rejects it in the book.
    short = kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE, tradingsymbol="INFY",
        transaction_type=kite.TRANSACTION_TYPE_BUY, quantity=100000, product=kite.PRODUCT_CNC,
        order_type=kite.ORDER_TYPE_MARKET)
    rejected = kite.order_history(short)
    statuses = [s["status"] for s in rejected]
    check(statuses == ["PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "REJECTED"],
          f"buying beyond the funds is accepted, then rejected ({statuses})")
    message = rejected[-1]["status_message"] or ""
    raw = rejected[-1]["status_message_raw"] or ""
    check(message.startswith("Insufficient funds. Required margin is ")
          and message.endswith(". Check the orderbook for open orders."),
          f"the rejection says why ({message})")
    check(raw.startswith("RMS:Margin Exceeds,Required:") and " for entity account-" in raw,
          f"status_message_raw is the RMS's text ({raw})")
    held = holdings[0]
    oversold = kite.place_order(
        variety=kite.VARIETY_REGULAR, exchange=kite.EXCHANGE_NSE,
        tradingsymbol=held["tradingsymbol"], transaction_type=kite.TRANSACTION_TYPE_SELL,
        quantity=held["quantity"] + 1, product=kite.PRODUCT_CNC,
        order_type=kite.ORDER_TYPE_MARKET)
    last = kite.order_history(oversold)[-1]
    check(last["status"] == "REJECTED"
          and (last["status_message"] or "").startswith("Insufficient holdings"),
          f"selling more than held is rejected ({last['status']}: {last['status_message']})")
    expect_error(ex.OrderException, lambda: kite.modify_order(
        kite.VARIETY_REGULAR, market, quantity=5), "modifying a completed order")
    expect_error(ex.OrderException, lambda: kite.cancel_order(kite.VARIETY_REGULAR, market),
                 "cancelling a completed order")
    missing = expect_error(ex.GeneralException, lambda: kite.order_history("999999999999999"),
                           "history of an unknown order")
    check(missing is not None and missing.code == 404, "unknown order is a 404")

    orders = kite.orders()
    ids = [o["order_id"] for o in orders]
    check(ids == [market, limit, stop, short, oversold],
          f"orderbook lists the orders in order, rejected ones included ({ids})")
    check(isinstance(orders[0]["exchange_timestamp"], datetime.datetime), "exchange_timestamp parses")
    trades = kite.trades()
    check([t["order_id"] for t in trades] == [market, stop], "tradebook has the two fills")
    check(isinstance(trades[0]["fill_timestamp"], datetime.datetime), "fill_timestamp parses")
    check(len(kite.order_trades(market)) == 1, "order_trades of the market order")
    check(kite.order_trades(limit) == [], "order_trades of the cancelled order")

    positions = kite.positions()
    infy = [p for p in positions["net"] if p["tradingsymbol"] == "INFY"]
    check(len(infy) == 1 and infy[0]["quantity"] == 0, "INFY bought 2 and sold 2: flat")
    check(positions["day"] == positions["net"], "day and net agree")


def check_instruments(kite, csv_path):
    with open(csv_path, newline="") as handle:
        expected = list(csv.DictReader(handle))
    every = kite.instruments()
    check(len(every) == len(expected), f"instrument count ({len(every)} vs {len(expected)})")
    by_token = {row["instrument_token"]: row for row in every}
    for row in expected:
        got = by_token.get(int(row["instrument_token"]))
        if got is None:
            check(False, f"instrument {row['tradingsymbol']} listed")
            continue
        same = (got["tradingsymbol"] == row["tradingsymbol"] and got["name"] == row["name"]
                and got["exchange"] == row["exchange"] and got["segment"] == row["segment"]
                and got["instrument_type"] == row["instrument_type"]
                and got["lot_size"] == int(row["lot_size"])
                and got["tick_size"] == float(row["tick_size"])
                and got["strike"] == float(row["strike"])
                and str(got["expiry"]) == row["expiry"])
        check(same, f"instrument {row['exchange']}:{row['tradingsymbol']} matches the source row")
    nfo = kite.instruments("NFO")
    check(len(nfo) == 3 and all(r["exchange"] == "NFO" for r in nfo), "instruments('NFO')")
    check(isinstance(nfo[0]["expiry"], datetime.date), "expiry parses as a date")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the simulator's URL")
    parser.add_argument("--instruments", required=True, help="the Kite CSV the master was built from")
    parser.add_argument("--api-key", default="tt_sim_key")
    parser.add_argument("--api-secret", default="tt_sim_secret")
    parser.add_argument("--admin-token", required=True, help="the token `tt sim` printed")
    args = parser.parse_args()
    ADMIN_TOKEN["value"] = args.admin_token

    try:
        kite = login(args.root, args.api_key, args.api_secret)
        check_rate_limits(kite, args.root)
        holdings = check_account(kite)
        last = check_quotes(kite)
        check_orders(kite, args.root, last, holdings)
        check_instruments(kite, args.instruments)
        check(kite.invalidate_access_token() is True, "logout answers true")
        expect_error(ex.TokenException, kite.profile, "the token stops working after logout")
    except Exception as error:  # noqa: BLE001 - an unexpected failure is a mismatch too
        check(False, f"unexpected {type(error).__name__}: {error}")

    if FAILURES:
        print(f"\n{len(FAILURES)} mismatch(es)")
        return 1
    print("\nthe official kiteconnect client works against tt sim")
    return 0


if __name__ == "__main__":
    sys.exit(main())
