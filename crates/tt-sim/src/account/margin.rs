//! What the account's positions and open orders use of its cash, segment by segment, and what
//! a new order would need.
//!
//! A deliberately simple model with Kite's vocabulary, exact to the paisa, where an order's or
//! a position's value is price × quantity × the contract's multiplier (1,000 for currency
//! derivatives, 100 for MCX gold):
//!
//! | what | needs | shown as |
//! |---|---|---|
//! | delivery (CNC) buy | the full value | `delivery` (sales of holdings: `holding_sales`) |
//! | intraday (MIS) equity | 20% of the value | `exposure` |
//! | MTF equity | 50% of the value | `exposure` |
//! | futures (NRML) | 10% + 5% of the value | `span` + `exposure` (MIS: half) |
//! | option buy | the premium | `option_premium` |
//! | option sell (NRML) | 10% + 5% of strike × quantity | `span` + `exposure` (MIS: half) |
//!
//! Closed positions' profit or loss shows as `m2m_realised` (a loss positive), open positions'
//! losses as `m2m_unrealised`; delivery and bought options settle through their cash flows
//! instead. `net = cash - debits`, where `debits` is the sum of the components.

use tt_core::{Amount, Exchange, InstrumentKind, Price, ProductType, Side};

use super::order::OrderRecord;
use super::{Account, PositionRecord};
use crate::universe::InstrumentRef;

/// The two segments Kite keeps funds in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FundSegment {
    /// Everything but MCX.
    Equity,
    /// MCX.
    Commodity,
}

impl FundSegment {
    /// The segment an exchange's trades draw on.
    pub(crate) const fn of(exchange: Exchange) -> FundSegment {
        match exchange {
            Exchange::Mcx => FundSegment::Commodity,
            Exchange::Nse
            | Exchange::Bse
            | Exchange::Nfo
            | Exchange::Bfo
            | Exchange::Cds
            | Exchange::Bcd => FundSegment::Equity,
        }
    }
}

/// What a segment's positions and open orders use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Utilisation {
    pub(crate) span: Amount,
    pub(crate) exposure: Amount,
    pub(crate) option_premium: Amount,
    pub(crate) delivery: Amount,
    pub(crate) holding_sales: Amount,
    pub(crate) m2m_realised: Amount,
    pub(crate) m2m_unrealised: Amount,
}

impl Utilisation {
    /// Everything used, credits netted.
    pub(crate) fn debits(&self) -> Amount {
        self.span + self.exposure + self.option_premium + self.delivery - self.holding_sales
            + self.m2m_realised
            + self.m2m_unrealised
    }

    fn add(&mut self, other: &Utilisation) {
        self.span += other.span;
        self.exposure += other.exposure;
        self.option_premium += other.option_premium;
        self.delivery += other.delivery;
        self.holding_sales += other.holding_sales;
        self.m2m_realised += other.m2m_realised;
        self.m2m_unrealised += other.m2m_unrealised;
    }
}

/// `value * percent / 100`.
fn percent(value: Amount, percent: i128) -> Amount {
    Amount::from_mantissa(value.mantissa() * percent / 100)
}

/// What `quantity` new units of `instrument` on `side` under `product` need at `price`.
pub(crate) fn requirement(
    instrument: &InstrumentRef,
    product: ProductType,
    side: Side,
    quantity: u64,
    price: Price,
) -> Utilisation {
    let units = instrument.underlying_units(quantity);
    let value = price * units;
    let mut need = Utilisation::default();
    // Intraday derivatives need half the carry-forward margin.
    let share = |amount: Amount| {
        if product == ProductType::Mis {
            Amount::from_mantissa(amount.mantissa() / 2)
        } else {
            amount
        }
    };
    match (instrument.kind, side, instrument.strike) {
        (InstrumentKind::Equity | InstrumentKind::Index, side, _) => match product {
            ProductType::Cnc if side == Side::Buy => need.delivery = value,
            ProductType::Cnc => {}
            ProductType::Mtf => need.exposure = percent(value, 50),
            ProductType::Mis | ProductType::Nrml | ProductType::Co | ProductType::Bo => {
                need.exposure = percent(value, 20);
            }
        },
        // Options, currency options included, carry a strike.
        (_, Side::Buy, Some(_)) => need.option_premium = value,
        (_, Side::Sell, Some(strike)) => {
            let notional = strike.max(price) * units;
            need.span = share(percent(notional, 10));
            need.exposure = share(percent(notional, 5));
        }
        // Futures, currency futures included.
        (_, _, None) => {
            need.span = share(percent(value, 10));
            need.exposure = share(percent(value, 5));
        }
    }
    need
}

/// The units of an order on `side` of `quantity` that open or add to a position, given the net
/// position it meets: a sell against a long (or a buy against a short) first closes.
pub(crate) fn opening_units(net: i64, side: Side, quantity: u64) -> u64 {
    let closable = match side {
        Side::Buy if net < 0 => net.unsigned_abs(),
        Side::Sell if net > 0 => net.unsigned_abs(),
        _ => 0,
    };
    quantity.saturating_sub(closable)
}

/// The price an open order's margin is blocked at: its limit price, else its trigger price,
/// else the last price.
pub(crate) fn blocking_price(order: &OrderRecord, last: Price) -> Price {
    let terms = &order.current.terms;
    if terms.price.is_positive() {
        terms.price
    } else if terms.trigger_price.is_positive() {
        terms.trigger_price
    } else {
        last
    }
}

/// What one position uses: see the module table.
fn position_use(position: &PositionRecord, last: Price) -> Utilisation {
    let mut used = Utilisation::default();
    if position.product == ProductType::Cnc {
        let flow = position.buy_value - position.sell_value;
        if flow > Amount::ZERO {
            used.delivery = flow;
        } else {
            used.holding_sales = -flow;
        }
        return used;
    }
    let net = position.net();
    if net != 0 {
        let side = if net > 0 { Side::Buy } else { Side::Sell };
        used = requirement(
            &position.instrument,
            position.product,
            side,
            net.unsigned_abs(),
            position.average_price(),
        );
    }
    let realised = position.realised();
    used.m2m_realised = -realised;
    let long_option = net > 0 && position.instrument.strike.is_some();
    let unrealised = position.pnl(last) - realised;
    if !long_option && unrealised < Amount::ZERO {
        used.m2m_unrealised = -unrealised;
    }
    used
}

/// What `segment` of the account uses now. `last` gives an instrument's last price.
pub(crate) fn utilisation(
    account: &Account,
    segment: FundSegment,
    last: &dyn Fn(&InstrumentRef) -> Option<Price>,
) -> Utilisation {
    let mut total = Utilisation::default();
    for position in account
        .positions
        .iter()
        .filter(|p| FundSegment::of(p.instrument.exchange) == segment)
    {
        let price = last(&position.instrument).unwrap_or_else(|| position.average_price());
        total.add(&position_use(position, price));
    }
    for order in account
        .orders
        .iter()
        .filter(|o| o.is_open() && FundSegment::of(o.current.instrument.exchange) == segment)
    {
        let state = &order.current;
        let net = account
            .position(&state.instrument.instrument, state.product)
            .map_or(0, PositionRecord::net);
        let units = opening_units(net, state.side, u64::from(state.pending_quantity));
        let price = blocking_price(order, last(&state.instrument).unwrap_or(Price::ZERO));
        total.add(&requirement(
            &state.instrument,
            state.product,
            state.side,
            units,
            price,
        ));
    }
    total
}

/// Cash of `segment`.
pub(crate) fn cash(account: &Account, segment: FundSegment) -> Amount {
    match segment {
        FundSegment::Equity => account.funds.equity_cash,
        FundSegment::Commodity => account.funds.commodity_cash,
    }
}

/// `cash - debits`: what a new order can use.
pub(crate) fn available(
    account: &Account,
    segment: FundSegment,
    last: &dyn Fn(&InstrumentRef) -> Option<Price>,
) -> Amount {
    cash(account, segment) - utilisation(account, segment, last).debits()
}

/// Rupees with two decimals (half away from zero), as Kite's margin messages print them.
pub(crate) fn rupees(amount: Amount) -> String {
    let paise = {
        let m = amount.mantissa();
        let q = m / 1_000_000;
        let r = m % 1_000_000;
        if r.abs() * 2 >= 1_000_000 {
            q + m.signum()
        } else {
            q
        }
    };
    let sign = if paise < 0 { "-" } else { "" };
    let paise = paise.abs();
    format!("{sign}{}.{:02}", paise / 100, paise % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instrument(kind: InstrumentKind, strike: Option<&str>) -> InstrumentRef {
        InstrumentRef {
            instrument: "NFO:NIFTY:2026-12-29:FUT".parse().unwrap(),
            token: "1".into(),
            exchange: Exchange::Nfo,
            tradingsymbol: "X".into(),
            kind,
            strike: strike.map(|s| s.parse().unwrap()),
            multiplier: 1,
        }
    }

    #[test]
    fn requirements_follow_the_table() {
        let price: Price = "100".parse().unwrap();
        let equity = instrument(InstrumentKind::Equity, None);
        let cnc = requirement(&equity, ProductType::Cnc, Side::Buy, 10, price);
        assert_eq!(cnc.debits(), Amount::from_rupees(1000));
        let mis = requirement(&equity, ProductType::Mis, Side::Sell, 10, price);
        assert_eq!(mis.exposure, Amount::from_rupees(200));
        let future = instrument(InstrumentKind::Future, None);
        let nrml = requirement(&future, ProductType::Nrml, Side::Sell, 10, price);
        assert_eq!(
            (nrml.span, nrml.exposure),
            (Amount::from_rupees(100), Amount::from_rupees(50))
        );
        let call = instrument(InstrumentKind::Option, Some("2000"));
        let long = requirement(&call, ProductType::Nrml, Side::Buy, 10, price);
        assert_eq!(long.option_premium, Amount::from_rupees(1000));
        let short = requirement(&call, ProductType::Nrml, Side::Sell, 10, price);
        assert_eq!(short.debits(), Amount::from_rupees(3000));
    }

    #[test]
    fn closing_units_need_nothing() {
        assert_eq!(opening_units(5, Side::Sell, 3), 0);
        assert_eq!(opening_units(5, Side::Sell, 8), 3);
        assert_eq!(opening_units(-5, Side::Buy, 5), 0);
        assert_eq!(opening_units(5, Side::Buy, 5), 5);
    }

    #[test]
    fn rupees_print_with_two_decimals() {
        assert_eq!(rupees("95417.835".parse().unwrap()), "95417.84");
        assert_eq!(rupees("-0.004".parse().unwrap()), "0.00");
        assert_eq!(rupees("-12.5".parse().unwrap()), "-12.50");
    }
}
