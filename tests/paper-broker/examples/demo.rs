//! The tt-connect demo: a paper account driven through the same client a real broker uses.
//!
//! Run it with `cargo run -p paper-broker --example demo`. No account, no network.
#![allow(clippy::print_stdout)]

use paper_broker::PaperBroker;
use tt_connect::{Amount, Client, Instrument, OrderRequest, ProductType};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let paper = PaperBroker::new(Amount::from_rupees(500_000));
    let reliance: Instrument = "NSE:RELIANCE".parse()?;
    let nifty_call: Instrument = "NFO:NIFTY:2026-12-29:24000:CE".parse()?;
    paper.set_price(&reliance, "1022.55".parse()?);
    paper.set_price(&nifty_call, "101.05".parse()?);
    let client = Client::new(paper);

    let profile = client.profile().await?;
    println!("logged in as {} on {}", profile.user_id, profile.broker);

    let buy = OrderRequest::buy(reliance.clone(), 10, ProductType::Cnc)
        .market()
        .build()?;
    let id = client.place_order(&buy).await?;
    println!(
        "placed {id} (tag {}): buy 10 {reliance} at market",
        buy.tag()
    );

    let resting = OrderRequest::buy(nifty_call.clone(), 75, ProductType::Nrml)
        .limit("100.5".parse()?)
        .build()?;
    let resting_id = client.place_order(&resting).await?;
    println!("placed {resting_id}: buy 75 {nifty_call} at 100.5, resting");
    client.broker().set_price(&nifty_call, "100.45".parse()?);
    println!(
        "market moved to 100.45; order is now {}",
        client
            .order_history(&resting_id)
            .await?
            .last()
            .map_or("unknown".to_owned(), |o| o.status.to_string())
    );

    // An unsupported segment is refused before anything is sent.
    let gold: Instrument = "MCX:GOLD:2026-12-05:FUT".parse()?;
    let refused = OrderRequest::buy(gold, 1, ProductType::Nrml)
        .market()
        .build()?;
    if let Err(err) = client.place_order(&refused).await {
        println!("refused before the network: {err}");
    }

    for position in client.positions().await?.net {
        println!(
            "position {:<32} qty {:>4} avg {:>8} pnl {}",
            // The canonical instrument, or the broker's own token where the master lacks it.
            position
                .instrument
                .as_ref()
                .map_or_else(|| position.broker_token.to_string(), ToString::to_string),
            position.quantity,
            position.average_price.to_string(),
            position.pnl
        );
    }
    let funds = client.funds().await?;
    if let Some(equity) = funds.equity {
        println!("cash available {} (used {})", equity.available, equity.used);
    }
    Ok(())
}
