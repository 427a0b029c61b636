//! Conformance: Kite's own recorded responses (`../shared/fixtures/kite/mocks`), served verbatim
//! over loopback HTTP, read through the adapter, and checked field by field against the JSON.
// Helpers outside #[test] functions may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

mod common;

use serde_json::Value;
use tt_core::{
    Amount, ClientTag, Instrument, OrderId, OrderModification, OrderRequest, Price, ProductType,
    QuoteDetail, Trading,
};
use tt_test_support::http::{Route, TestServer};
use tt_zerodha::Zerodha;

/// Every instrument the mocks mention, as Kite's dump would list it.
const MASTER_CSV: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
112129,438,BHEL,\"BHEL\",0,,0,0.05,1,EQ,NSE,NSE
412675,1612,USDINR21JUNFUT,\"USDINR\",0,2021-06-28,0,0.0025,1,FUT,CDS-FUT,CDS
415745,1624,IOC,\"INDIAN OIL CORP\",0,,0,0.05,1,EQ,NSE,NSE
779521,3045,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,NSE,NSE
1,0,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,NSE,NSE
895745,3499,TATASTEEL,\"TATA STEEL\",0,,0,0.05,1,EQ,NSE,NSE
10189826,39804,NIFTY2580724400CE,\"NIFTY\",0,2025-08-07,24400,0.05,75,CE,NFO-OPT,NFO
58424839,228222,GOLDPETAL21JUNFUT,\"GOLDPETAL\",0,2021-06-30,0,1,1,FUT,MCX-FUT,MCX
53496327,208970,LEADMINI17DECFUT,\"LEADMINI\",0,2017-12-29,0,0.05,1,FUT,MCX-FUT,MCX
53505799,209007,GOLDGUINEA17DECFUT,\"GOLDGUINEA\",0,2017-12-29,0,1,1,FUT,MCX-FUT,MCX
263681,1030,AARON,\"AARON INDUSTRIES\",0,,0,0.05,1,EQ,NSE,NSE
128028676,500112,SBIN,\"STATE BANK OF INDIA\",0,,0,0.05,1,EQ,BSE,BSE
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
";

struct Setup {
    _dir: TempDir,
    server: TestServer,
    zerodha: Zerodha,
    mocks: PathBuf,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mock(mocks: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(mocks.join(name)).unwrap()).unwrap()
}

fn setup(name: &str) -> Option<Setup> {
    let mocks = tt_test_support::fixture("kite/mocks")?;
    let dir = std::env::temp_dir().join(format!("tt-kite-mocks-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let master = common::kite_master(&dir, MASTER_CSV);
    let file = |name: &str| Route::ok(std::fs::read(mocks.join(name)).unwrap());
    let server = TestServer::start([
        ("/user/profile", file("profile.json")),
        ("/user/margins", file("margins.json")),
        ("/portfolio/holdings", file("holdings.json")),
        ("/portfolio/positions", file("positions.json")),
        ("/orders", file("orders.json")),
        ("/orders/171229000724687", file("order_info.json")),
        ("/orders/151220000000000", file("order_info.json")),
        ("/orders/regular", file("order_response.json")),
        ("/orders/regular/151220000000000", file("order_modify.json")),
        ("/trades", file("trades.json")),
        ("/orders/200000000000000/trades", file("order_trades.json")),
        ("/quote", file("quote.json")),
        ("/quote/ltp", file("ltp.json")),
        ("/quote/ohlc", file("ohlc.json")),
        ("/session/token", file("generate_session.json")),
    ]);
    let zerodha = common::log_in(
        common::config(&server.url(""), master, &dir)
            // The mocks are old recorded rows: their master is dated by its 2017 contracts.
            .on_stale(tt_core::OnStale::Warn)
            .without_rate_limits(),
    );
    Some(Setup {
        _dir: TempDir(dir),
        server,
        zerodha,
        mocks,
    })
}

fn price(value: &Value) -> Price {
    Price::from_f64(value.as_f64().unwrap()).unwrap()
}

fn optional_price(value: &Value) -> Option<Price> {
    match value.as_f64() {
        None => None,
        Some(0.0) => None,
        Some(v) => Some(Price::from_f64(v).unwrap()),
    }
}

fn amount(value: &Value) -> Amount {
    Amount::from_f64(value.as_f64().unwrap()).unwrap()
}

fn ist(value: &Value) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    value
        .as_str()
        .and_then(|t| time::PrimitiveDateTime::parse(t, format).ok())
        .map(|t| t.assume_offset(tt_core::IST))
}

/// The canonical instrument the master holds for a Kite token (every mock row's is known).
fn instrument_of(setup: &Setup, token: &Value) -> Option<Instrument> {
    let master = setup.zerodha.instrument_master().unwrap();
    let resolved = master
        .instrument_for_token("zerodha", &token.as_u64().unwrap().to_string())
        .unwrap();
    Some(resolved.instrument.clone())
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn profile_and_margins() {
    let Some(setup) = setup("profile") else {
        return;
    };
    let profile = rt().block_on(setup.zerodha.profile()).unwrap();
    let json = &mock(&setup.mocks, "profile.json")["data"];
    assert_eq!(profile.user_id, json["user_id"].as_str().unwrap());
    assert_eq!(profile.user_name, json["user_name"].as_str().unwrap());
    assert_eq!(profile.email.as_deref(), json["email"].as_str());
    // MF is not a segment tt-connect trades; every other exchange is kept.
    assert_eq!(
        profile.exchanges.len(),
        json["exchanges"].as_array().unwrap().len() - 1
    );
    assert_eq!(
        profile.products.len(),
        json["products"].as_array().unwrap().len()
    );
    assert_eq!(profile.order_types.len(), 4);

    let funds = rt().block_on(setup.zerodha.funds()).unwrap();
    let json = &mock(&setup.mocks, "margins.json")["data"];
    for (segment, funds) in [
        ("equity", funds.equity.unwrap()),
        ("commodity", funds.commodity.unwrap()),
    ] {
        let m = &json[segment];
        assert_eq!(funds.available, amount(&m["net"]), "{segment}");
        assert_eq!(funds.used, amount(&m["utilised"]["debits"]), "{segment}");
        assert_eq!(
            funds.opening_balance,
            Some(amount(&m["available"]["opening_balance"])),
            "{segment}"
        );
        assert_eq!(
            funds.collateral,
            Some(amount(&m["available"]["collateral"])),
            "{segment}"
        );
    }
    // Float noise in the mock (99725.05000000002) is gone.
    assert_eq!(
        rt().block_on(setup.zerodha.funds())
            .unwrap()
            .equity
            .unwrap()
            .available
            .to_string(),
        "99725.05"
    );
}

#[test]
fn holdings_and_positions() {
    let Some(setup) = setup("portfolio") else {
        return;
    };
    let holdings = rt().block_on(setup.zerodha.holdings()).unwrap();
    let json = mock(&setup.mocks, "holdings.json");
    let rows = json["data"].as_array().unwrap();
    assert_eq!(holdings.len(), rows.len());
    for (h, j) in holdings.iter().zip(rows) {
        assert_eq!(h.instrument, instrument_of(&setup, &j["instrument_token"]));
        assert_eq!(h.isin.as_deref(), j["isin"].as_str());
        assert_eq!(h.quantity, j["quantity"].as_i64().unwrap());
        assert_eq!(h.t1_quantity, j["t1_quantity"].as_i64().unwrap());
        assert_eq!(h.average_price, price(&j["average_price"]));
        assert_eq!(h.last_price, price(&j["last_price"]));
        assert_eq!(h.close_price, optional_price(&j["close_price"]));
        assert_eq!(h.pnl, amount(&j["pnl"]));
    }

    let positions = rt().block_on(setup.zerodha.positions()).unwrap();
    let json = mock(&setup.mocks, "positions.json");
    for (ours, key) in [(&positions.net, "net"), (&positions.day, "day")] {
        let rows = json["data"][key].as_array().unwrap();
        assert_eq!(ours.len(), rows.len(), "{key}");
        for (p, j) in ours.iter().zip(rows) {
            assert_eq!(
                p.instrument,
                instrument_of(&setup, &j["instrument_token"]),
                "{key}"
            );
            assert_eq!(p.product.code(), j["product"].as_str().unwrap());
            assert_eq!(p.quantity, j["quantity"].as_i64().unwrap());
            assert_eq!(
                p.overnight_quantity,
                j["overnight_quantity"].as_i64().unwrap()
            );
            assert_eq!(i64::from(p.multiplier), j["multiplier"].as_i64().unwrap());
            assert_eq!(p.average_price, price(&j["average_price"]));
            assert_eq!(p.last_price, price(&j["last_price"]));
            assert_eq!(p.pnl, amount(&j["pnl"]));
            assert_eq!(p.realised, amount(&j["realised"]));
            assert_eq!(p.unrealised, amount(&j["unrealised"]));
            assert_eq!(p.buy_quantity, j["buy_quantity"].as_u64().unwrap());
            assert_eq!(p.buy_value, amount(&j["buy_value"]));
            assert_eq!(p.sell_quantity, j["sell_quantity"].as_u64().unwrap());
            assert_eq!(p.sell_value, amount(&j["sell_value"]));
        }
    }
    // A short position stays negative.
    assert!(positions.day.iter().any(|p| p.quantity < 0));
}

fn check_order(setup: &Setup, order: &tt_core::Order, j: &Value) {
    let id = j["order_id"].as_str().unwrap();
    assert_eq!(order.id.as_str(), id);
    assert_eq!(
        order.instrument,
        instrument_of(setup, &j["instrument_token"]),
        "{id}"
    );
    assert_eq!(order.status.raw, j["status"].as_str().unwrap(), "{id}");
    assert_eq!(
        order.side.to_string(),
        j["transaction_type"].as_str().unwrap(),
        "{id}"
    );
    assert_eq!(
        order.order_type.code(),
        j["order_type"].as_str().unwrap(),
        "{id}"
    );
    assert_eq!(order.product.code(), j["product"].as_str().unwrap(), "{id}");
    assert!(
        order
            .validity
            .to_string()
            .starts_with(j["validity"].as_str().unwrap()),
        "{id}"
    );
    assert_eq!(
        u64::from(order.quantity),
        j["quantity"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(
        u64::from(order.filled_quantity),
        j["filled_quantity"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(
        u64::from(order.pending_quantity),
        j["pending_quantity"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(
        u64::from(order.cancelled_quantity),
        j["cancelled_quantity"].as_u64().unwrap(),
        "{id}"
    );
    assert_eq!(order.price, optional_price(&j["price"]), "{id}");
    assert_eq!(
        order.trigger_price,
        optional_price(&j["trigger_price"]),
        "{id}"
    );
    assert_eq!(
        order.average_price,
        optional_price(&j["average_price"]),
        "{id}"
    );
    assert_eq!(
        order.exchange_order_id.as_deref(),
        j["exchange_order_id"].as_str(),
        "{id}"
    );
    assert_eq!(
        order.status_message.as_deref(),
        j["status_message"].as_str().filter(|s| !s.is_empty()),
        "{id}"
    );
    assert_eq!(order.tag.as_deref(), j["tag"].as_str(), "{id}");
    assert_eq!(order.placed_at, ist(&j["order_timestamp"]), "{id}");
}

#[test]
fn the_order_book_and_an_orders_history() {
    let Some(setup) = setup("orders") else { return };
    let orders = rt().block_on(setup.zerodha.orders()).unwrap();
    let json = mock(&setup.mocks, "orders.json");
    let rows = json["data"].as_array().unwrap();
    assert_eq!(orders.len(), rows.len());
    for (o, j) in orders.iter().zip(rows) {
        check_order(&setup, o, j);
    }
    // A TTL order keeps its minutes.
    assert!(orders.iter().any(|o| o.validity.to_string() == "TTL:2"));

    let id = OrderId::new("171229000724687").unwrap();
    let history = rt().block_on(setup.zerodha.order_history(&id)).unwrap();
    let json = mock(&setup.mocks, "order_info.json");
    let rows = json["data"].as_array().unwrap();
    assert_eq!(history.len(), rows.len());
    for (o, j) in history.iter().zip(rows) {
        check_order(&setup, o, j);
    }
    assert_eq!(history[0].status.state, tt_core::OrderState::Pending);
    let states: Vec<_> = history.iter().map(|o| o.status.state).collect();
    use tt_core::OrderState::{ModifyPending, Open, Pending};
    assert_eq!(
        states,
        [
            Pending,
            Pending,
            Pending,
            Open,
            ModifyPending,
            ModifyPending,
            Open,
            Open
        ]
    );
}

#[test]
fn trades_and_an_orders_trades() {
    let Some(setup) = setup("trades") else { return };
    for (trades, file) in [
        (
            rt().block_on(setup.zerodha.trades()).unwrap(),
            "trades.json",
        ),
        (
            rt().block_on(
                setup
                    .zerodha
                    .order_trades(&OrderId::new("200000000000000").unwrap()),
            )
            .unwrap(),
            "order_trades.json",
        ),
    ] {
        let json = mock(&setup.mocks, file);
        let rows = json["data"].as_array().unwrap();
        assert_eq!(trades.len(), rows.len(), "{file}");
        for (t, j) in trades.iter().zip(rows) {
            assert_eq!(t.id.as_str(), j["trade_id"].as_str().unwrap());
            assert_eq!(t.order_id.as_str(), j["order_id"].as_str().unwrap());
            assert_eq!(
                t.exchange_order_id.as_deref(),
                j["exchange_order_id"].as_str()
            );
            assert_eq!(t.instrument, instrument_of(&setup, &j["instrument_token"]));
            assert_eq!(t.side.to_string(), j["transaction_type"].as_str().unwrap());
            assert_eq!(t.product.code(), j["product"].as_str().unwrap());
            assert_eq!(u64::from(t.quantity), j["quantity"].as_u64().unwrap());
            assert_eq!(t.price, price(&j["average_price"]));
            // The mocks' order_timestamp is time-only; the fill time is what a trade carries.
            assert_eq!(t.filled_at, ist(&j["fill_timestamp"]));
        }
    }
}

#[test]
fn place_modify_and_cancel_send_kites_forms_and_read_the_ids() {
    let Some(setup) = setup("place") else { return };
    let infy: Instrument = "NSE:INFY".parse().unwrap();
    let order = OrderRequest::buy(infy, 10, ProductType::Cnc)
        .limit("1500.05".parse().unwrap())
        .tag(ClientTag::new("conformance1").unwrap())
        .build()
        .unwrap();
    let id = rt().block_on(setup.zerodha.place_order(&order)).unwrap();
    assert_eq!(id.as_str(), "151220000000000");
    let placed = setup
        .server
        .received()
        .into_iter()
        .find(|r| r.path == "/orders/regular")
        .unwrap();
    assert_eq!(placed.method, "POST");
    assert_eq!(placed.header("x-kite-version"), Some("3"));
    assert_eq!(
        placed.header("authorization"),
        Some("token api_key:access-token")
    );
    assert_eq!(
        placed.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        placed.body,
        "exchange=NSE&tradingsymbol=INFY&transaction_type=BUY&order_type=LIMIT&quantity=10&product=CNC&price=1500.05&validity=DAY&tag=conformance1"
    );

    let change = OrderModification::new().price("1501".parse().unwrap());
    let modified = rt()
        .block_on(setup.zerodha.modify_order(&id, &change))
        .unwrap();
    assert_eq!(modified, id);
    let put = setup
        .server
        .received()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(
        (put.path.as_str(), put.body.as_str()),
        ("/orders/regular/151220000000000", "price=1501")
    );

    let cancelled = rt().block_on(setup.zerodha.cancel_order(&id)).unwrap();
    assert_eq!(cancelled, id);
    assert!(
        setup
            .server
            .received()
            .iter()
            .any(|r| r.method == "DELETE" && r.path == "/orders/regular/151220000000000")
    );
}

#[test]
fn quotes_in_all_three_depths() {
    let Some(setup) = setup("quotes") else { return };
    let infy: Instrument = "NSE:INFY".parse().unwrap();
    let full = rt()
        .block_on(
            setup
                .zerodha
                .quotes(std::slice::from_ref(&infy), QuoteDetail::Full),
        )
        .unwrap();
    let json = mock(&setup.mocks, "quote.json");
    let j = &json["data"]["NSE:INFY"];
    let tick = &full[0];
    assert_eq!(tick.instrument, infy);
    assert_eq!(tick.last_price, price(&j["last_price"]));
    assert_eq!(tick.volume, j["volume"].as_u64());
    assert_eq!(tick.average_price, optional_price(&j["average_price"]));
    assert_eq!(tick.total_sell_quantity, j["sell_quantity"].as_u64());
    let ohlc = tick.ohlc.unwrap();
    assert_eq!(
        (ohlc.open, ohlc.close),
        (price(&j["ohlc"]["open"]), price(&j["ohlc"]["close"]))
    );
    let depth = tick.depth.as_ref().unwrap();
    assert_eq!(depth.asks[0].price, price(&j["depth"]["sell"][0]["price"]));
    assert_eq!(
        depth.asks[0].quantity,
        j["depth"]["sell"][0]["quantity"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(depth.asks[0].orders),
        j["depth"]["sell"][0]["orders"].as_u64().unwrap()
    );
    assert_eq!(depth.bids.len(), 5);

    let ltp = rt()
        .block_on(
            setup
                .zerodha
                .quotes(std::slice::from_ref(&infy), QuoteDetail::Ltp),
        )
        .unwrap();
    assert_eq!(
        ltp[0].last_price,
        price(&mock(&setup.mocks, "ltp.json")["data"]["NSE:INFY"]["last_price"])
    );
    let ohlc = rt()
        .block_on(
            setup
                .zerodha
                .quotes(std::slice::from_ref(&infy), QuoteDetail::Ohlc),
        )
        .unwrap();
    let j = &mock(&setup.mocks, "ohlc.json")["data"]["NSE:INFY"];
    assert_eq!(ohlc[0].ohlc.unwrap().high, price(&j["ohlc"]["high"]));
    let asked = setup
        .server
        .received()
        .into_iter()
        .find(|r| r.path.starts_with("/quote/ltp"))
        .unwrap();
    assert_eq!(asked.path, "/quote/ltp?i=NSE%3AINFY");
}

#[test]
fn the_login_exchange_reads_the_session() {
    let Some(setup) = setup("login") else { return };
    let session = rt()
        .block_on(setup.zerodha.complete_login("request-token-1"))
        .unwrap();
    assert_eq!(session.user_id, "XX0000");
    assert_eq!(
        session.login_time,
        ist(&Value::from("2021-01-01 16:15:14")).unwrap()
    );
    let exchange = setup
        .server
        .received()
        .into_iter()
        .find(|r| r.path == "/session/token")
        .unwrap();
    assert!(exchange.header("authorization").is_none());
    assert!(
        exchange
            .body
            .starts_with("api_key=api_key&request_token=request-token-1&checksum="),
        "{}",
        exchange.body
    );
    // The mock's session is years old: it has expired, so the next call refuses locally.
    let error = rt().block_on(setup.zerodha.profile()).unwrap_err();
    assert!(
        matches!(error, tt_core::Error::SessionExpired { .. }),
        "{error}"
    );
}
