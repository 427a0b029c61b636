//! Every read of the `Trading` trait against Upstox-shaped bodies over loopback HTTP, checked
//! field by field; the `Api-Version` header where the v2 API wants it and nowhere else; quotes
//! matched back by their instrument key.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CRUDE, NHPC_KEY, OPTION, OPTION_KEY, RELIANCE_KEY, order_row, rt, setup, success};
use time::macros::datetime;
use tt_core::{
    Amount, Exchange, Instrument, OrderId, OrderState, OrderType, Price, ProductType, QuoteDetail,
    Side, StreamMode, Trading, Validity,
};
use tt_test_support::http::Route;

fn price(text: &str) -> Price {
    text.parse().unwrap()
}

fn amount(text: &str) -> Amount {
    text.parse().unwrap()
}

fn instrument(text: &str) -> Option<Instrument> {
    Some(text.parse().unwrap())
}

const PROFILE: &str = r#"{"email":"a@b.in","exchanges":["NSE","NFO","BSE","CDS","BFO","BCD","MCX"],"products":["D","CO","I"],"broker":"UPSTOX","user_id":"AB1234","user_name":"A B","order_types":["MARKET","LIMIT","SL","SL-M"],"user_type":"individual","poa":false,"is_active":true}"#;

const FUNDS: &str = r#"{"commodity":{"used_margin":0,"payin_amount":0,"span_margin":0,"adhoc_margin":0,"notional_cash":0,"available_margin":0.0,"exposure_margin":0},"equity":{"used_margin":1204.55,"payin_amount":0,"span_margin":0,"adhoc_margin":0,"notional_cash":0,"available_margin":99725.05000000002,"exposure_margin":0}}"#;

const HOLDINGS: &str = r#"[{"isin":"INE002A01018","cnc_used_quantity":0,"collateral_type":"WC","company_name":"RELIANCE INDUSTRIES LTD","haircut":0.2,"product":"D","quantity":36,"tradingsymbol":"RELIANCE","trading_symbol":"RELIANCE","last_price":2912.35,"close_price":2897.2,"pnl":4261.4,"day_change":0,"day_change_percentage":0,"instrument_token":"NSE_EQ|INE002A01018","average_price":2794.0,"collateral_quantity":0,"collateral_update_quantity":0,"t1_quantity":2,"exchange":"NSE"}]"#;

const POSITIONS: &str = r#"[
{"exchange":"NFO","multiplier":1.0,"value":-1837.5,"pnl":412.5,"product":"D","instrument_token":"NSE_FO|48225","average_price":122.5,"buy_value":9187.5,"overnight_quantity":75,"day_buy_value":0.0,"day_buy_price":0.0,"overnight_buy_amount":9187.5,"overnight_buy_quantity":75,"day_buy_quantity":0,"day_sell_value":11025.0,"day_sell_price":147.0,"overnight_sell_amount":0.0,"overnight_sell_quantity":0,"day_sell_quantity":75,"quantity":0,"last_price":145.05,"unrealised":0.0,"realised":1837.5,"sell_value":11025.0,"tradingsymbol":"NIFTY 24000 CE 29 DEC 26","trading_symbol":"NIFTY 24000 CE 29 DEC 26","close_price":130.0,"buy_price":122.5,"sell_price":147.0},
{"exchange":"NSE_EQ","multiplier":1.0,"value":0,"pnl":-3.0,"product":"I","instrument_token":"NSE_EQ|INE848E01016","average_price":87.1,"buy_value":871.0,"overnight_quantity":0,"day_buy_value":871.0,"day_buy_price":87.1,"overnight_buy_amount":0,"overnight_buy_quantity":0,"day_buy_quantity":10,"day_sell_value":0,"day_sell_price":0,"overnight_sell_amount":0,"overnight_sell_quantity":0,"day_sell_quantity":0,"quantity":10,"last_price":86.8,"unrealised":-3.0,"realised":0,"sell_value":0,"tradingsymbol":"NHPC","trading_symbol":"NHPC","close_price":86.0,"buy_price":87.1,"sell_price":0}
]"#;

const TRADES: &str = r#"[{"exchange":"NSE","product":"I","tradingsymbol":"NHPC","trading_symbol":"NHPC","instrument_token":"NSE_EQ|INE848E01016","order_type":"MARKET","transaction_type":"BUY","quantity":10,"exchange_order_id":"1300000025660919","order_id":"240108010918222","exchange_timestamp":"2026-11-24 10:05:02","average_price":87.1,"trade_id":"50091502","order_ref_id":"udapi-1","order_timestamp":"2026-11-24 10:05:01"}]"#;

#[test]
fn profile_funds_holdings_and_positions_are_read_field_by_field() {
    let s = setup(
        "portfolio",
        vec![
            ("/v2/user/profile", Route::ok(success(PROFILE))),
            ("/v2/user/get-funds-and-margin", Route::ok(success(FUNDS))),
            (
                "/v2/portfolio/long-term-holdings",
                Route::ok(success(HOLDINGS)),
            ),
            (
                "/v2/portfolio/short-term-positions",
                Route::ok(success(POSITIONS)),
            ),
        ],
    );
    let profile = rt().block_on(s.upstox.profile()).unwrap();
    assert_eq!(profile.user_id, "AB1234");
    assert_eq!(profile.user_name, "A B");
    assert_eq!(profile.email.as_deref(), Some("a@b.in"));
    assert_eq!(profile.broker, "upstox");
    assert_eq!(profile.exchanges.len(), 7);
    assert_eq!(
        profile.products,
        [
            ProductType::Cnc,
            ProductType::Nrml,
            ProductType::Co,
            ProductType::Mis
        ]
    );
    assert_eq!(profile.order_types.len(), 4);

    let funds = rt().block_on(s.upstox.funds()).unwrap();
    let equity = funds.equity.unwrap();
    // Float noise in the body (99725.05000000002) is gone.
    assert_eq!(equity.available, amount("99725.05"));
    assert_eq!(equity.used, amount("1204.55"));
    assert_eq!((equity.opening_balance, equity.collateral), (None, None));
    assert_eq!(funds.commodity.unwrap().available, Amount::ZERO);

    let holdings = rt().block_on(s.upstox.holdings()).unwrap();
    let h = &holdings[0];
    assert_eq!(h.instrument, instrument("NSE:RELIANCE"));
    assert_eq!(h.broker_token.token, RELIANCE_KEY);
    assert_eq!(h.broker_token.symbol.as_deref(), Some("RELIANCE"));
    assert_eq!(h.isin.as_deref(), Some("INE002A01018"));
    assert_eq!((h.quantity, h.t1_quantity), (36, 2));
    assert_eq!(h.average_price, price("2794"));
    assert_eq!(h.last_price, price("2912.35"));
    assert_eq!(h.close_price, Some(price("2897.2")));
    assert_eq!(h.pnl, amount("4261.4"));

    let positions = rt().block_on(s.upstox.positions()).unwrap();
    assert_eq!(positions.net.len(), 2);
    // The option: bought 75 yesterday, sold 75 today; `D` on a derivative is NRML.
    let option = &positions.net[0];
    assert_eq!(option.instrument, instrument(OPTION));
    assert_eq!(option.product, ProductType::Nrml);
    assert_eq!((option.quantity, option.overnight_quantity), (0, 75));
    assert_eq!((option.buy_quantity, option.sell_quantity), (75, 75));
    assert_eq!(option.buy_value, amount("9187.5"));
    assert_eq!(option.sell_value, amount("11025"));
    assert_eq!(option.pnl, amount("412.5"));
    assert_eq!(option.realised, amount("1837.5"));
    assert_eq!(option.last_price, price("145.05"));
    assert_eq!(option.close_price, Some(price("130")));
    assert_eq!(option.multiplier, 1);
    // The equity, in segment form, bought today intraday.
    let nhpc = &positions.net[1];
    assert_eq!(nhpc.instrument, instrument("NSE:NHPC"));
    assert_eq!(nhpc.product, ProductType::Mis);
    assert_eq!((nhpc.quantity, nhpc.unrealised), (10, amount("-3")));

    // Day positions: today's trades alone, for both rows (both traded today).
    assert_eq!(positions.day.len(), 2);
    let option_day = &positions.day[0];
    assert_eq!(
        (option_day.quantity, option_day.overnight_quantity),
        (-75, 0)
    );
    assert_eq!((option_day.buy_quantity, option_day.sell_quantity), (0, 75));
    assert_eq!(option_day.sell_value, amount("11025"));
    assert_eq!(option_day.average_price, price("147"));
    // (11025 - 0) + (-75 * 145.05)
    assert_eq!(option_day.pnl, amount("146.25"));
    let nhpc_day = &positions.day[1];
    assert_eq!((nhpc_day.quantity, nhpc_day.buy_value), (10, amount("871")));
    assert_eq!(nhpc_day.average_price, price("87.1"));
    assert_eq!(nhpc_day.pnl, amount("-3"));
}

#[test]
fn orders_history_details_and_trades_are_read_field_by_field() {
    let amo = order_row("240108010918223", "after market order req received")
        .replace(r#""is_amo":false"#, r#""is_amo":true"#);
    let book = format!(
        "[{},{},{}]",
        order_row("240108010918222", "open"),
        amo,
        order_row("240108010918224", "cancelled")
            .replace(r#""filled_quantity":0"#, r#""filled_quantity":4"#)
            .replace(r#""pending_quantity":10"#, r#""pending_quantity":0"#)
    );
    let history = format!(
        "[{},{}]",
        order_row("240108010918222", "put order req received"),
        order_row("240108010918222", "open")
    );
    let s = setup(
        "orders",
        vec![
            ("/v2/order/retrieve-all", Route::ok(success(&book))),
            ("/v2/order/history", Route::ok(success(&history))),
            (
                "/v2/order/details",
                Route::ok(success(&order_row("240108010918222", "some new status"))),
            ),
            (
                "/v2/order/trades/get-trades-for-day",
                Route::ok(success(TRADES)),
            ),
            ("/v2/order/trades", Route::ok(success(TRADES))),
        ],
    );
    let orders = rt().block_on(s.upstox.orders()).unwrap();
    assert_eq!(orders.len(), 3);
    let o = &orders[0];
    assert_eq!(o.id.as_str(), "240108010918222");
    assert_eq!(o.exchange_order_id.as_deref(), Some("1300000025660919"));
    assert_eq!(o.instrument, instrument("NSE:RELIANCE"));
    assert_eq!(o.broker_token.token, RELIANCE_KEY);
    assert_eq!(o.broker_token.exchange.as_deref(), Some("NSE"));
    assert_eq!(o.side, Side::Buy);
    assert_eq!(o.order_type, OrderType::Limit);
    assert_eq!(o.product, ProductType::Cnc);
    assert_eq!(o.validity, Validity::Day);
    assert_eq!(
        (o.quantity, o.filled_quantity, o.pending_quantity),
        (10, 0, 10)
    );
    assert_eq!(o.price, Some(price("2850.1")));
    assert_eq!((o.trigger_price, o.average_price), (None, None));
    assert_eq!(
        (o.status.state, o.status.raw.as_str()),
        (OrderState::Open, "open")
    );
    assert_eq!(o.tag.as_deref(), Some("tt1"));
    assert!(!o.after_market);
    assert_eq!(o.placed_at, Some(datetime!(2026-11-24 10:05:01 +05:30)));
    assert_eq!(
        o.exchange_updated_at,
        Some(datetime!(2026-11-24 10:05:02 +05:30))
    );
    assert_eq!(orders[1].status.state, OrderState::Pending);
    assert!(orders[1].after_market);
    assert_eq!(orders[2].status.state, OrderState::Cancelled);
    assert_eq!(orders[2].cancelled_quantity, 6);

    let records = rt().block_on(s.upstox.order_records()).unwrap();
    assert_eq!(records[0].tag.as_deref(), Some("tt1"));
    assert_eq!(records[0].token.as_deref(), Some(RELIANCE_KEY));
    assert_eq!(
        (records[0].exchange.as_str(), records[0].symbol.as_str()),
        ("NSE", "RELIANCE")
    );

    let id = OrderId::new("240108010918222").unwrap();
    let states = rt().block_on(s.upstox.order_history(&id)).unwrap();
    assert_eq!(
        states.iter().map(|o| o.status.state).collect::<Vec<_>>(),
        [OrderState::Pending, OrderState::Open]
    );
    let raw = rt().block_on(s.upstox.order_record_history(&id)).unwrap();
    assert_eq!(raw.len(), 2);
    // A status this version does not know is kept, not failed on.
    let details = rt().block_on(s.upstox.order_details(&id)).unwrap();
    assert_eq!(
        (details.status.state, details.status.raw.as_str()),
        (OrderState::Unknown, "some new status")
    );

    let trades = rt().block_on(s.upstox.trades()).unwrap();
    let t = &trades[0];
    assert_eq!(
        (t.id.as_str(), t.order_id.as_str()),
        ("50091502", "240108010918222")
    );
    assert_eq!(t.instrument, instrument("NSE:NHPC"));
    assert_eq!(
        (t.side, t.product, t.quantity),
        (Side::Buy, ProductType::Mis, 10)
    );
    assert_eq!(t.price, price("87.1"));
    assert_eq!(t.filled_at, Some(datetime!(2026-11-24 10:05:02 +05:30)));
    assert_eq!(rt().block_on(s.upstox.order_trades(&id)).unwrap().len(), 1);
    let by_order = s.server.received().pop().unwrap();
    assert_eq!(by_order.path, "/v2/order/trades?order_id=240108010918222");
}

#[test]
fn the_api_version_header_goes_only_where_the_v2_api_wants_it() {
    let id = OrderId::new("240108010918222").unwrap();
    let row = order_row("240108010918222", "open");
    let s = setup(
        "api-version",
        vec![
            ("/v2/user/profile", Route::ok(success(PROFILE))),
            ("/v2/user/get-funds-and-margin", Route::ok(success(FUNDS))),
            ("/v2/portfolio/long-term-holdings", Route::ok(success("[]"))),
            (
                "/v2/portfolio/short-term-positions",
                Route::ok(success("[]")),
            ),
            ("/v2/order/retrieve-all", Route::ok(success("[]"))),
            ("/v2/order/history", Route::ok(success("[]"))),
            ("/v2/order/details", Route::ok(success(&row))),
            (
                "/v2/order/trades/get-trades-for-day",
                Route::ok(success("[]")),
            ),
            ("/v2/order/trades", Route::ok(success("[]"))),
            ("/v2/market-quote/ltp", Route::ok(success("{}"))),
            ("/v2/market-quote/ohlc", Route::ok(success("{}"))),
            ("/v2/market-quote/quotes", Route::ok(success("{}"))),
            (
                "/v3/order/cancel",
                Route::ok(success(r#"{"order_id":"240108010918222"}"#)),
            ),
        ],
    );
    let u = &s.upstox;
    let rt = rt();
    rt.block_on(u.profile()).unwrap();
    rt.block_on(u.funds()).unwrap();
    rt.block_on(u.holdings()).unwrap();
    rt.block_on(u.positions()).unwrap();
    rt.block_on(u.orders()).unwrap();
    rt.block_on(u.order_history(&id)).unwrap();
    rt.block_on(u.order_details(&id)).unwrap();
    rt.block_on(u.trades()).unwrap();
    rt.block_on(u.order_trades(&id)).unwrap();
    let reliance = [instrument("NSE:RELIANCE").unwrap()];
    for detail in [QuoteDetail::Ltp, QuoteDetail::Ohlc, QuoteDetail::Full] {
        rt.block_on(u.quotes(&reliance, detail)).unwrap();
    }
    rt.block_on(u.cancel_order(&id)).unwrap();
    for call in s.server.received() {
        let bare = call.path.split('?').next().unwrap().to_owned();
        let wants = bare.starts_with("/v2/") && bare != "/v2/order/details";
        assert_eq!(
            call.header("api-version"),
            wants.then_some("2.0"),
            "{} {}",
            call.method,
            call.path
        );
        assert_eq!(call.header("authorization"), Some("Bearer access-token"));
        assert_eq!(call.header("accept"), Some("application/json"));
    }
    assert_eq!(s.server.received().len(), 13);
}

/// Full quotes keyed `NSE_EQ:SYMBOL`, in another order than asked, one of them keyed by a
/// symbol that is not the one the master has: only the inner `instrument_token` matters.
const FULL: &str = r#"{
"NSE_EQ:NHPC":{"ohlc":{"open":87.0,"high":88.2,"low":86.5,"close":86.0},"depth":{"buy":[{"quantity":1200,"price":86.75,"orders":3},{"quantity":0,"price":0,"orders":0}],"sell":[{"quantity":500,"price":86.8,"orders":1}]},"timestamp":"2026-11-24T10:15:40.286+05:30","instrument_token":"NSE_EQ|INE848E01016","symbol":"NHPC","last_price":86.80000305175781,"volume":2045678,"average_price":87.02,"oi":0,"net_change":0.8,"total_buy_quantity":1502345,"total_sell_quantity":2302345,"lower_circuit_limit":78.25,"upper_circuit_limit":95.65,"last_trade_time":"1795499139797","oi_day_high":0,"oi_day_low":0},
"NSE_FO:NIFTY-RENAMED":{"ohlc":{"open":120.0,"high":150.0,"low":110.0,"close":130.0},"depth":{"buy":[],"sell":[]},"timestamp":"2026-11-24T10:15:40.286+05:30","instrument_token":"NSE_FO|48225","symbol":"NIFTY","last_price":145.05,"volume":100,"average_price":140.0,"oi":125000.0,"net_change":15.05,"total_buy_quantity":1000,"total_sell_quantity":2000,"lower_circuit_limit":0.05,"upper_circuit_limit":500.0,"last_trade_time":"1795499139797","oi_day_high":0,"oi_day_low":0}
}"#;

#[test]
fn quotes_are_matched_back_by_their_instrument_key_not_the_map_key() {
    let s = setup(
        "quotes",
        vec![
            ("/v2/market-quote/quotes", Route::ok(success(FULL))),
            (
                "/v2/market-quote/ltp",
                Route::ok(success(
                    r#"{"NSE_EQ:NHPC":{"last_price":86.8,"instrument_token":"NSE_EQ|INE848E01016"}}"#,
                )),
            ),
            (
                "/v2/market-quote/ohlc",
                Route::ok(success(
                    r#"{"NSE_EQ:NHPC":{"ohlc":{"open":87.0,"high":88.2,"low":86.5,"close":86.0},"last_price":86.8,"instrument_token":"NSE_EQ|INE848E01016"}}"#,
                )),
            ),
        ],
    );
    let asked = [
        instrument(OPTION).unwrap(),
        instrument("NSE:NHPC").unwrap(),
        instrument("NSE:RELIANCE").unwrap(),
    ];
    let ticks = rt()
        .block_on(s.upstox.quotes(&asked, QuoteDetail::Full))
        .unwrap();
    // RELIANCE was not answered: no tick for it, and no wrong one.
    assert_eq!(ticks.len(), 2);
    let option = &ticks[0];
    assert_eq!(option.instrument, asked[0]);
    assert_eq!(option.last_price, price("145.05"));
    assert_eq!(option.open_interest, Some(125_000));
    let nhpc = &ticks[1];
    assert_eq!(nhpc.instrument, asked[1]);
    assert_eq!(nhpc.mode, StreamMode::Full);
    // 86.80000305175781 is the float Upstox sent; eight places are kept exactly.
    assert_eq!(nhpc.last_price, price("86.80000305"));
    assert_eq!(nhpc.volume, Some(2_045_678));
    assert_eq!(nhpc.average_price, Some(price("87.02")));
    assert_eq!(nhpc.total_buy_quantity, Some(1_502_345));
    assert_eq!(nhpc.total_sell_quantity, Some(2_302_345));
    let ohlc = nhpc.ohlc.unwrap();
    assert_eq!(
        (ohlc.open, ohlc.high, ohlc.low, ohlc.close),
        (price("87"), price("88.2"), price("86.5"), price("86"))
    );
    let depth = nhpc.depth.as_ref().unwrap();
    assert_eq!(depth.bids[0].price, price("86.75"));
    assert_eq!((depth.bids[0].quantity, depth.bids[0].orders), (1200, 3));
    assert_eq!(depth.asks[0].price, price("86.8"));
    assert_eq!(
        nhpc.last_trade_time,
        Some(datetime!(2026-11-24 11:15:39.797 +05:30))
    );
    assert_eq!(
        nhpc.exchange_time,
        Some(datetime!(2026-11-24 10:15:40.286 +05:30))
    );
    let call = s.server.received().pop().unwrap();
    assert_eq!(
        call.path,
        format!(
            "/v2/market-quote/quotes?instrument_key={}",
            tt_transport::percent_encode(&format!("{OPTION_KEY},{NHPC_KEY},{RELIANCE_KEY}"))
        )
    );

    let nhpc = [instrument("NSE:NHPC").unwrap()];
    let ltp = rt()
        .block_on(s.upstox.quotes(&nhpc, QuoteDetail::Ltp))
        .unwrap();
    assert_eq!(
        (ltp[0].mode, ltp[0].last_price),
        (StreamMode::Ltp, price("86.8"))
    );
    assert_eq!((ltp[0].ohlc, ltp[0].depth.as_ref()), (None, None));
    let ohlc = rt()
        .block_on(s.upstox.quotes(&nhpc, QuoteDetail::Ohlc))
        .unwrap();
    assert_eq!(ohlc[0].ohlc.unwrap().high, price("88.2"));
    let call = s.server.received().pop().unwrap();
    assert!(call.path.ends_with("&interval=1d"), "{}", call.path);
}

#[test]
fn quotes_go_out_in_batches_of_five_hundred_keys() {
    let s = setup(
        "quote-batches",
        vec![("/v2/market-quote/ltp", Route::ok(success("{}")))],
    );
    let many: Vec<Instrument> = (0..1001)
        .map(|i| {
            if i % 2 == 0 {
                "NSE:NHPC"
            } else {
                "NSE:RELIANCE"
            }
        })
        .map(|t| t.parse().unwrap())
        .collect();
    rt().block_on(s.upstox.quotes(&many, QuoteDetail::Ltp))
        .unwrap();
    let calls = s.server.received();
    assert_eq!(calls.len(), 3);
    let keys = |path: &str| path.matches("%2C").count() + 1;
    assert_eq!(
        calls.iter().map(|c| keys(&c.path)).collect::<Vec<_>>(),
        [500, 500, 1]
    );
}

#[test]
fn an_mcx_position_in_segment_form_is_nrml() {
    let row = r#"[{"exchange":"MCX_FO","multiplier":1.0,"pnl":0,"product":"D","instrument_token":"MCX_FO|434855","average_price":6100.0,"buy_value":610000.0,"overnight_quantity":100,"day_buy_quantity":0,"day_sell_quantity":0,"overnight_buy_quantity":100,"quantity":100,"last_price":6150.0,"unrealised":5000.0,"realised":0,"sell_value":0,"trading_symbol":"CRUDEOIL FUT 18 DEC 26"}]"#;
    let s = setup(
        "mcx-position",
        vec![(
            "/v2/portfolio/short-term-positions",
            Route::ok(success(row)),
        )],
    );
    let positions = rt().block_on(s.upstox.positions()).unwrap();
    let p = &positions.net[0];
    assert_eq!(p.instrument, instrument(CRUDE));
    assert_eq!(p.product, ProductType::Nrml);
    assert_eq!(p.instrument.as_ref().unwrap().exchange(), Exchange::Mcx);
    assert!(positions.day.is_empty());
}

#[test]
fn malformed_bodies_and_unknown_terms_are_named_errors() {
    let s = setup(
        "malformed",
        vec![
            ("/v2/user/profile", Route::ok("<html>")),
            (
                "/v2/order/retrieve-all",
                Route::ok(success(&format!(
                    "[{}]",
                    order_row("1", "open").replace(r#""product":"D""#, r#""product":"OCO""#)
                ))),
            ),
            (
                "/v2/user/get-funds-and-margin",
                Route::ok(r#"{"status":"success"}"#),
            ),
        ],
    );
    let error = rt().block_on(s.upstox.profile()).unwrap_err();
    assert!(error.to_string().contains("malformed profile"), "{error}");
    let error = rt().block_on(s.upstox.orders()).unwrap_err();
    assert!(
        error.to_string().contains("product: unknown value `OCO`"),
        "{error}"
    );
    // The raw records reconciliation reads carry no product, so one Upstox adds cannot hide
    // an order from it.
    assert_eq!(rt().block_on(s.upstox.order_records()).unwrap().len(), 1);
    let error = rt().block_on(s.upstox.funds()).unwrap_err();
    assert!(error.to_string().contains("without `data`"), "{error}");
}
