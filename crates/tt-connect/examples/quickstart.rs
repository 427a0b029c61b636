//! tt-connect's quick start: a Zerodha client trading against the local simulator.
//!
//! `cargo run -p tt-connect --example quickstart` builds a small instrument master, starts
//! `tt-sim` on 127.0.0.1 (Kite's real wire protocol, no account, no internet), builds the
//! broker by name, logs in through Kite's login redirect, and trades: exactly what a program
//! does against the real broker, with only the root URL changed. It needs nothing but
//! `tt-connect` (with its `sim` feature, which the example turns on for itself).
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use tt_connect::sim::{SimConfig, Simulator};
use tt_connect::{
    BrokerSettings, BuildOptions, Client, Clock, DumpInput, Instrument, InstrumentMaster,
    OrderModification, OrderRequest, ProductType, QuoteDetail, SystemClock, Zerodha, ZerodhaConfig,
    build_master, follow_login_redirect, open_dump,
};

const INSTRUMENTS: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange
738561,2885,RELIANCE,\"RELIANCE INDUSTRIES\",0,,0,0.1,1,EQ,NSE,NSE
408065,1594,INFY,\"INFOSYS\",0,,0,0.05,1,EQ,NSE,NSE
256265,1001,NIFTY 50,\"NIFTY 50\",0,,0,0,0,EQ,INDICES,NSE
";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. An instrument master (normally `tt instruments refresh` keeps one in _cache/).
    let dir = std::env::temp_dir().join(format!("tt-quickstart-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // Next month's NIFTY expiry (its last Tuesday), so the demo's option is live whatever day it
    // runs: a master still listing an expired contract would be refused as stale.
    let mut day = SystemClock.today_ist();
    let mut month_starts = 0;
    while month_starts < 2 {
        day = day.next_day().ok_or("no day after today")?;
        month_starts += u8::from(day.day() == 1);
    }
    let mut expiry = day.previous_day().ok_or("no day before")?;
    while expiry.weekday().number_from_monday() != 2 {
        expiry = expiry.previous_day().ok_or("no day before")?;
    }
    // Kite's row for it: NIFTY26DEC24000CE.
    let month: String = expiry.month().to_string().chars().take(3).collect();
    let call_row = format!(
        "12345602,48225,NIFTY{:02}{}24000CE,\"NIFTY\",0,{expiry},24000,0.05,75,CE,NFO-OPT,NFO\n",
        expiry.year() % 100,
        month.to_uppercase()
    );
    std::fs::write(dir.join("kite.csv"), format!("{INSTRUMENTS}{call_row}"))?;
    let parser = Zerodha::new(ZerodhaConfig::new("", ""));
    build_master(
        &dir.join("instruments.db"),
        vec![DumpInput {
            broker: &parser,
            reader: open_dump(&dir.join("kite.csv"))?,
            source_name: "quickstart".into(),
            dump_date: SystemClock.today_ist(),
        }],
        &BuildOptions::default(),
    )?;
    let master = Arc::new(InstrumentMaster::open(dir.join("instruments.db"))?);

    // 2. The simulator, standing in for api.kite.trade.
    let sim = Simulator::start(SimConfig::new(master)).await?;
    println!("simulated Kite at {}", sim.url());

    // 3. The broker by name, as a config-driven program builds it: the app's key and secret,
    //    pointed at the simulator.
    let app = sim.app();
    let client = Client::from_name(
        "zerodha",
        BrokerSettings::new(app.api_key.clone(), app.api_secret.clone())
            .api_root(sim.url())
            .instrument_master(dir.join("instruments.db"))
            .session_file(dir.join("session.json")),
    )?;

    // 4. The login, the same for every broker: the browser visits the login page, which
    //    redirects back to the app with a one-time token (Kite's `request_token`); the client
    //    exchanges the redirect's parameters for a session.
    let redirect = follow_login_redirect(&client.login_url(), &app.redirect_url).await?;
    let session = client.complete_login(&redirect).await?;
    println!(
        "logged in as {} until {}",
        session.user_id, session.expires_at
    );

    // 5. Trade through the one client type every broker shares.
    let funds = client.funds().await?;
    println!(
        "cash available {}",
        funds.equity.map(|f| f.available).unwrap_or_default()
    );

    let reliance: Instrument = "NSE:RELIANCE".parse()?;
    let call: Instrument = format!("NFO:NIFTY:{expiry}:24000:CE").parse()?;
    for tick in client
        .quotes(&[reliance.clone(), call.clone()], QuoteDetail::Ltp)
        .await?
    {
        println!(
            "last price of {:<32} {}",
            tick.instrument.to_string(),
            tick.last_price
        );
    }

    let buy = OrderRequest::buy(reliance.clone(), 10, ProductType::Cnc)
        .market()
        .build()?;
    let id = client.place_order(&buy).await?;
    let filled = client.order_history(&id).await?;
    let last = filled.last().ok_or("an order without history")?;
    println!(
        "order {id} (tag {}): {} at {:?}",
        buy.tag(),
        last.status,
        last.average_price
    );

    // A lot size and tick size the master knows are checked before anything is sent.
    let wrong = OrderRequest::buy(call.clone(), 50, ProductType::Nrml)
        .market()
        .build()?;
    if let Err(error) = client.place_order(&wrong).await {
        println!("refused before the network: {error}");
    }

    let resting = OrderRequest::buy(call.clone(), 75, ProductType::Nrml)
        .limit("1.05".parse()?)
        .build()?;
    let resting_id = client.place_order(&resting).await?;
    client
        .modify_order(&resting_id, &OrderModification::new().price("1.1".parse()?))
        .await?;
    client.cancel_order(&resting_id).await?;
    let status = client
        .order_history(&resting_id)
        .await?
        .pop()
        .map(|o| o.status);
    println!(
        "resting order {resting_id}: modified, then {}",
        status.map_or_else(String::new, |s| s.to_string())
    );

    for position in client.positions().await?.net {
        println!(
            "position {:<32} qty {:>4} avg {}",
            // The canonical instrument, or the broker's own token where the master lacks it.
            position
                .instrument
                .as_ref()
                .map_or_else(|| position.broker_token.to_string(), ToString::to_string),
            position.quantity,
            position.average_price
        );
    }
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
