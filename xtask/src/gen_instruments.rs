//! `cargo xtask gen-instruments`: a realistic, full-size Kite instrument dump (over 100,000 rows,
//! in the API's own CSV formatting) and the matching Upstox BOD JSON for the same contracts, for
//! benchmarks and tests. Deterministic: the same files every run.
//!
//! The universe: NSE and BSE equities (some in BE/SM series, some with commas, quotes and `&` in
//! their names), NSE and BSE indices, weekly and monthly NIFTY/SENSEX options, monthly options
//! on the other index underlyings and on 190 stocks, their futures, CDS and BCD currency futures
//! and options, and MCX commodity futures and options. Kite tokens follow Kite's rule
//! (`exchange_token * 256 + segment id`); Upstox rows carry the same exchange tokens, so the two
//! files join the way real dumps of one day do.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

/// The generation's fixed "today", so expiries are stable across runs.
const BASE: Date = Date {
    year: 2026,
    month: 11,
    day: 24,
};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    fn days_in_month(year: i32, month: u32) -> u32 {
        match month {
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => 31,
        }
    }

    /// Day of week, 0 = Monday (Sakamoto's method).
    fn weekday(self) -> u32 {
        const T: [i32; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
        let y = if self.month < 3 {
            self.year - 1
        } else {
            self.year
        };
        let sunday_based =
            (y + y / 4 - y / 100 + y / 400 + T[self.month as usize - 1] + self.day as i32) % 7;
        ((sunday_based + 6) % 7) as u32
    }

    fn add_days(self, days: u32) -> Date {
        let mut d = self;
        for _ in 0..days {
            d.day += 1;
            if d.day > Date::days_in_month(d.year, d.month) {
                d.day = 1;
                d.month += 1;
                if d.month > 12 {
                    d.month = 1;
                    d.year += 1;
                }
            }
        }
        d
    }

    /// The last `weekday` of the month `months_ahead` months after BASE's month.
    fn last_weekday(months_ahead: u32, weekday: u32) -> Date {
        let total = BASE.month - 1 + months_ahead;
        let year = BASE.year + (total / 12) as i32;
        let month = total % 12 + 1;
        let mut d = Date {
            year,
            month,
            day: Date::days_in_month(year, month),
        };
        while d.weekday() != weekday {
            d.day -= 1;
        }
        d
    }

    /// The next `count` given weekdays strictly after BASE.
    fn next_weekdays(weekday: u32, count: usize) -> Vec<Date> {
        let mut d = BASE.add_days(1);
        let mut out = Vec::new();
        while out.len() < count {
            if d.weekday() == weekday {
                out.push(d);
            }
            d = d.add_days(1);
        }
        out
    }

    fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// Days since 1970-01-01.
    fn epoch_days(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Upstox's expiry: 23:59:59 IST of the day, in epoch milliseconds.
    fn upstox_expiry_ms(self) -> i64 {
        (self.epoch_days() * 86_400 + 23 * 3600 + 59 * 60 + 59 - 19_800) * 1000
    }

    fn month_abbrev(self) -> &'static str {
        [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ][self.month as usize - 1]
    }
}

/// A small deterministic generator (xorshift64*), so no dependency is needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A price in hundred-millionths of a rupee, printed exactly.
fn money(e8: i64) -> String {
    let whole = e8 / 100_000_000;
    let mut frac = e8 % 100_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let mut width = 8;
    while frac % 10 == 0 {
        frac /= 10;
        width -= 1;
    }
    format!("{whole}.{frac:0width$}")
}

fn csv_quote(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Future,
    Call,
    Put,
}

/// One contract, with everything both files need.
struct Contract {
    kite_segment: &'static str,
    kite_exchange: &'static str,
    kite_segment_id: u64,
    upstox_segment: &'static str,
    upstox_exchange: &'static str,
    exchange_token: u64,
    kite_symbol: String,
    upstox_symbol: String,
    name: String,
    expiry: Option<Date>,
    strike_e8: i64,
    tick_e8: i64,
    lot: u32,
    kind: Option<Kind>,
    /// Equity series (NSE) or group (BSE); `INDEX` for indices.
    series: &'static str,
    isin: Option<String>,
    /// Upstox derivative fields: underlying symbol, type and key.
    underlying: Option<(String, &'static str, Option<String>)>,
    upstox_index_name: Option<String>,
}

impl Contract {
    fn kite_row(&self, out: &mut String) {
        let instrument_type = match self.kind {
            Some(Kind::Future) => "FUT",
            Some(Kind::Call) => "CE",
            Some(Kind::Put) => "PE",
            None => "EQ",
        };
        let (tick, lot) = if self.series == "INDEX" {
            ("0".to_owned(), "0".to_owned())
        } else {
            (money(self.tick_e8), self.lot.to_string())
        };
        let _ = writeln!(
            out,
            "{},{},{},{},0,{},{},{},{},{},{},{}",
            self.exchange_token * 256 + self.kite_segment_id,
            self.exchange_token,
            self.kite_symbol,
            csv_quote(&self.name),
            self.expiry.map(Date::iso).unwrap_or_default(),
            money(self.strike_e8),
            tick,
            lot,
            instrument_type,
            self.kite_segment,
            self.kite_exchange,
        );
    }

    fn upstox_object(&self, out: &mut String) {
        let key_id = match &self.isin {
            Some(isin) => isin.clone(),
            None => match &self.upstox_index_name {
                Some(name) if self.upstox_segment == "NSE_INDEX" => name.clone(),
                _ if self.upstox_segment == "BSE_INDEX" => self.upstox_symbol.clone(),
                _ => self.exchange_token.to_string(),
            },
        };
        let name = self
            .upstox_index_name
            .clone()
            .unwrap_or_else(|| self.name.clone());
        let _ = write!(
            out,
            "{{\"segment\":\"{}\",\"name\":{},\"exchange\":\"{}\"",
            self.upstox_segment,
            json_string(&name),
            self.upstox_exchange
        );
        if let Some(isin) = &self.isin {
            let _ = write!(out, ",\"isin\":\"{isin}\"");
        }
        let instrument_type = match self.kind {
            Some(Kind::Future) => "FUT",
            Some(Kind::Call) => "CE",
            Some(Kind::Put) => "PE",
            None => self.series,
        };
        let _ = write!(
            out,
            ",\"instrument_type\":\"{instrument_type}\",\"instrument_key\":{},\"exchange_token\":\"{}\",\"trading_symbol\":{}",
            json_string(&format!("{}|{key_id}", self.upstox_segment)),
            self.exchange_token,
            json_string(&self.upstox_symbol),
        );
        if self.series != "INDEX" {
            // Upstox writes tick sizes in paise.
            let _ = write!(
                out,
                ",\"lot_size\":{},\"freeze_quantity\":{}.0,\"tick_size\":{}",
                self.lot,
                u64::from(self.lot) * 24,
                paise(self.tick_e8)
            );
        }
        if let Some(expiry) = self.expiry {
            let _ = write!(
                out,
                ",\"expiry\":{},\"strike_price\":{},\"weekly\":false",
                expiry.upstox_expiry_ms(),
                float(self.strike_e8)
            );
        }
        if let Some((symbol, kind, key)) = &self.underlying {
            let _ = write!(
                out,
                ",\"asset_symbol\":\"{symbol}\",\"underlying_symbol\":\"{symbol}\",\"asset_type\":\"{kind}\",\"underlying_type\":\"{kind}\""
            );
            if let Some(key) = key {
                let _ = write!(
                    out,
                    ",\"asset_key\":{0},\"underlying_key\":{0}",
                    json_string(key)
                );
            }
        }
        out.push('}');
    }
}

/// A price as a JSON float (always with a decimal point, as Upstox writes them).
fn float(e8: i64) -> String {
    let text = money(e8);
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A tick size in paise, as Upstox writes it.
fn paise(tick_e8: i64) -> String {
    float(tick_e8 * 100)
}

const E8: i64 = 100_000_000;

const REAL_EQUITIES: [(&str, &str); 16] = [
    ("RELIANCE", "RELIANCE INDUSTRIES"),
    ("INFY", "INFOSYS"),
    ("TCS", "TATA CONSULTANCY SERV LT"),
    ("HDFCBANK", "HDFC BANK"),
    ("ICICIBANK", "ICICI BANK."),
    ("SBIN", "STATE BANK OF INDIA"),
    ("M&M", "MAHINDRA & MAHINDRA"),
    ("M&MFIN", "M&M FIN. SERVICES"),
    ("BAJAJ-AUTO", "BAJAJ AUTO"),
    ("J&KBANK", "J&K BANK"),
    ("L&TFH", "L&T FINANCE"),
    ("NAM-INDIA", "NIPPON LIFE IND ASSET MGMT"),
    ("GVT&D", "GE VERNOVA T&D INDIA"),
    ("ITC", "ITC"),
    ("LT", "LARSEN & TOUBRO"),
    ("AXISBANK", "AXIS BANK"),
];

const AWKWARD_NAMES: [&str; 4] = [
    "SHREE RAM, \"NEW\" & CO",
    "A & B, HOLDINGS",
    "\"QUOTED\" TEXTILES",
    "SMITH, JONES & SONS",
];

const SYLLABLES: [&str; 24] = [
    "AR", "BA", "CHE", "DI", "EL", "FO", "GRA", "HI", "IN", "JA", "KO", "LU", "MA", "NE", "OM",
    "PRA", "RA", "SHI", "TA", "UDA", "VI", "YA", "ZE", "KRI",
];

const NSE_INDICES: [(&str, &str); 12] = [
    ("NIFTY 50", "Nifty 50"),
    ("NIFTY BANK", "Nifty Bank"),
    ("NIFTY FIN SERVICE", "Nifty Fin Service"),
    ("NIFTY MID SELECT", "Nifty Mid Select"),
    ("NIFTY NEXT 50", "Nifty Next 50"),
    ("INDIA VIX", "India VIX"),
    ("NIFTY IT", "Nifty IT"),
    ("NIFTY AUTO", "Nifty Auto"),
    ("NIFTY PHARMA", "Nifty Pharma"),
    ("NIFTY MIDCAP 100", "NIFTY MIDCAP 100"),
    ("NIFTY50 EQL WGT", "NIFTY50 EQL Wgt"),
    ("HANGSENG BEES-NAV", "HangSeng BeES-NAV"),
];

const BSE_INDICES: [(&str, &str); 5] = [
    ("SENSEX", "BSE SENSEX"),
    ("BANKEX", "BSE BANKEX"),
    ("SNSX50", "BSE SENSEX 50"),
    ("FOCIT", "BSE FOCUSED IT"),
    ("BSE100", "BSE 100"),
];

fn equity_symbol(rng: &mut Rng, taken: &mut std::collections::HashSet<String>) -> String {
    loop {
        let parts = 2 + rng.below(3);
        let mut symbol: String = (0..parts)
            .map(|_| SYLLABLES[rng.below(24) as usize])
            .collect();
        if rng.below(10) == 0 {
            symbol.push_str(&rng.below(100).to_string());
        }
        if symbol.len() <= 12 && taken.insert(symbol.clone()) {
            return symbol;
        }
    }
}

fn weekly_code(expiry: Date) -> String {
    let month = match expiry.month {
        10 => "O".to_owned(),
        11 => "N".to_owned(),
        12 => "D".to_owned(),
        m => m.to_string(),
    };
    format!("{:02}{month}{:02}", expiry.year % 100, expiry.day)
}

/// Builds the whole universe, in file order.
fn universe() -> Vec<Contract> {
    let mut rng = Rng(0x7474_636f_6e6e_6563);
    let mut out = Vec::new();
    let mut taken = std::collections::HashSet::new();

    // NSE equities.
    let mut nse_equities: Vec<(String, String, u64, i64)> = Vec::new();
    let mut token = 100u64;
    for i in 0..2400usize {
        let (symbol, name) = match REAL_EQUITIES.get(i) {
            Some((s, n)) => {
                taken.insert((*s).to_owned());
                ((*s).to_owned(), (*n).to_owned())
            }
            None => {
                let s = equity_symbol(&mut rng, &mut taken);
                let name = if i % 97 == 0 {
                    AWKWARD_NAMES[(i / 97) % AWKWARD_NAMES.len()].to_owned()
                } else {
                    format!("{s} LIMITED")
                };
                (s, name)
            }
        };
        token += 1 + rng.below(7);
        let series = match rng.below(100) {
            0..=89 => "EQ",
            90..=95 => "BE",
            96..=97 => "SM",
            _ => "ST",
        };
        let spot = (50 + rng.below(4000) as i64) * E8;
        let tick = if rng.below(5) == 0 { E8 / 100 } else { E8 / 20 };
        let kite_symbol = if series == "EQ" {
            symbol.clone()
        } else {
            format!("{symbol}-{series}")
        };
        if series == "EQ" {
            nse_equities.push((symbol.clone(), name.clone(), token, spot));
        }
        out.push(Contract {
            kite_segment: "NSE",
            kite_exchange: "NSE",
            kite_segment_id: 1,
            upstox_segment: "NSE_EQ",
            upstox_exchange: "NSE",
            exchange_token: token,
            kite_symbol,
            upstox_symbol: symbol,
            name,
            expiry: None,
            strike_e8: 0,
            tick_e8: tick,
            lot: if series == "SM" || series == "ST" {
                1000
            } else {
                1
            },
            kind: None,
            series,
            isin: Some(format!("INE{:06}01{}", token, token % 10)),
            underlying: None,
            upstox_index_name: None,
        });
    }

    // BSE equities: some NSE names again under BSE scrip codes, the rest of their own.
    let mut bse_token = 500_000u64;
    for i in 0..5000usize {
        let (symbol, name) = match nse_equities.get(i * 2) {
            Some((s, n, _, _)) if i < 1000 => (s.clone(), n.clone()),
            _ => {
                let s = equity_symbol(&mut rng, &mut taken);
                (s.clone(), format!("{s} LTD."))
            }
        };
        bse_token += 1 + rng.below(5);
        out.push(Contract {
            kite_segment: "BSE",
            kite_exchange: "BSE",
            kite_segment_id: 4,
            upstox_segment: "BSE_EQ",
            upstox_exchange: "BSE",
            exchange_token: bse_token,
            kite_symbol: symbol.clone(),
            upstox_symbol: symbol,
            name,
            expiry: None,
            strike_e8: 0,
            tick_e8: E8 / 20,
            lot: 1,
            kind: None,
            series: ["A", "B", "X", "T"][rng.below(4) as usize],
            isin: Some(format!("INE{:06}02{}", bse_token, bse_token % 10)),
            underlying: None,
            upstox_index_name: None,
        });
    }

    // Indices: (Kite's exchange, Upstox's segment, first exchange token, names).
    for (exchange, segment, first_token, names) in [
        ("NSE", "NSE_INDEX", 26_000, &NSE_INDICES[..]),
        ("BSE", "BSE_INDEX", 1, &BSE_INDICES[..]),
    ] {
        for (i, (name, upstox_name)) in names.iter().enumerate() {
            out.push(Contract {
                kite_segment: "INDICES",
                kite_exchange: exchange,
                kite_segment_id: 9,
                upstox_segment: segment,
                upstox_exchange: exchange,
                exchange_token: first_token + i as u64,
                kite_symbol: (*name).to_owned(),
                upstox_symbol: (*name).to_owned(),
                name: (*name).to_owned(),
                expiry: None,
                strike_e8: 0,
                tick_e8: 0,
                lot: 0,
                kind: None,
                series: "INDEX",
                isin: None,
                underlying: None,
                upstox_index_name: Some((*upstox_name).to_owned()),
            });
        }
    }

    // Derivatives.
    let monthly_nse: Vec<Date> = (1..=3).map(|m| Date::last_weekday(m, 1)).collect();
    let weekly_nse = Date::next_weekdays(1, 4);
    let monthly_bse: Vec<Date> = (1..=2).map(|m| Date::last_weekday(m, 3)).collect();
    let weekly_bse = Date::next_weekdays(3, 4);
    let mut nfo_token = 35_000u64;
    let mut bfo_token = 800_000u64;

    struct Underlying<'a> {
        symbol: String,
        kind: &'static str,
        key: Option<String>,
        spot: i64,
        step: i64,
        strikes_each_side: i64,
        lot: u32,
        tick: i64,
        monthly: &'a [Date],
        weekly: &'a [Date],
    }

    let index_underlyings = [
        ("NIFTY", "Nifty 50", 24_000, 50, 100, 75),
        ("BANKNIFTY", "Nifty Bank", 52_000, 100, 80, 35),
        ("FINNIFTY", "Nifty Fin Service", 23_500, 50, 60, 65),
        ("MIDCPNIFTY", "Nifty Mid Select", 12_500, 25, 60, 140),
        ("NIFTYNXT50", "Nifty Next 50", 68_000, 100, 40, 25),
    ];
    let mut nfo_underlyings: Vec<Underlying<'_>> = index_underlyings
        .iter()
        .map(|&(symbol, index, spot, step, each, lot)| Underlying {
            symbol: symbol.to_owned(),
            kind: "INDEX",
            key: Some(format!("NSE_INDEX|{index}")),
            spot: spot * E8,
            step: step * E8,
            strikes_each_side: each,
            lot,
            tick: E8 / 20,
            monthly: &monthly_nse,
            weekly: if symbol == "NIFTY" { &weekly_nse } else { &[] },
        })
        .collect();
    for (symbol, _, token, spot) in nse_equities.iter().take(190) {
        let step = (spot / 100 / E8).max(1) * E8 / 2;
        nfo_underlyings.push(Underlying {
            symbol: symbol.clone(),
            kind: "EQUITY",
            key: Some(format!("NSE_EQ|INE{:06}01{}", token, token % 10)),
            spot: *spot,
            step,
            strikes_each_side: 35,
            lot: 250 + (*token % 20) as u32 * 25,
            tick: E8 / 20,
            monthly: &monthly_nse,
            weekly: &[],
        });
    }
    let bfo_underlyings = [
        Underlying {
            symbol: "SENSEX".into(),
            kind: "INDEX",
            key: Some("BSE_INDEX|SENSEX".into()),
            spot: 80_000 * E8,
            step: 100 * E8,
            strikes_each_side: 80,
            lot: 20,
            tick: E8 / 20,
            monthly: &monthly_bse,
            weekly: &weekly_bse,
        },
        Underlying {
            symbol: "BANKEX".into(),
            kind: "INDEX",
            key: Some("BSE_INDEX|BANKEX".into()),
            spot: 60_000 * E8,
            step: 100 * E8,
            strikes_each_side: 40,
            lot: 30,
            tick: E8 / 20,
            monthly: &monthly_bse,
            weekly: &[],
        },
    ];

    let derivatives = |u: &Underlying<'_>,
                       kite: (&'static str, &'static str, u64),
                       upstox: (&'static str, &'static str),
                       token: &mut u64,
                       out: &mut Vec<Contract>| {
        let (kite_exchange, kite_prefix, segment_id) = kite;
        let (upstox_segment, upstox_exchange) = upstox;
        let make = |kind: Kind, expiry: Date, strike: i64, weekly: bool, token: u64| {
            let date_code = if weekly {
                weekly_code(expiry)
            } else {
                format!("{:02}{}", expiry.year % 100, expiry.month_abbrev())
            };
            let (suffix, upstox_kind) = match kind {
                Kind::Future => ("FUT".to_owned(), "FUT".to_owned()),
                Kind::Call => (
                    format!("{}CE", money(strike)),
                    format!("{} CE", money(strike)),
                ),
                Kind::Put => (
                    format!("{}PE", money(strike)),
                    format!("{} PE", money(strike)),
                ),
            };
            Contract {
                kite_segment: kite_segment(kite_prefix, kind == Kind::Future),
                kite_exchange,
                kite_segment_id: segment_id,
                upstox_segment,
                upstox_exchange,
                exchange_token: token,
                kite_symbol: format!("{}{date_code}{suffix}", u.symbol),
                upstox_symbol: format!(
                    "{} {upstox_kind} {:02} {} {:02}",
                    u.symbol,
                    expiry.day,
                    expiry.month_abbrev(),
                    expiry.year % 100
                ),
                name: u.symbol.clone(),
                expiry: Some(expiry),
                strike_e8: if kind == Kind::Future { 0 } else { strike },
                tick_e8: u.tick,
                lot: u.lot,
                kind: Some(kind),
                series: "",
                isin: None,
                underlying: Some((u.symbol.clone(), u.kind, u.key.clone())),
                upstox_index_name: None,
            }
        };
        let expiries = u
            .monthly
            .iter()
            .map(|d| (*d, false))
            .chain(u.weekly.iter().map(|d| (*d, true)));
        for (expiry, weekly) in expiries {
            if !weekly {
                *token += 1;
                out.push(make(Kind::Future, expiry, 0, false, *token));
            }
            let centre = u.spot / u.step * u.step;
            for i in -u.strikes_each_side..=u.strikes_each_side {
                let strike = centre + i * u.step;
                if strike <= 0 {
                    continue;
                }
                for kind in [Kind::Call, Kind::Put] {
                    *token += 1;
                    out.push(make(kind, expiry, strike, weekly, *token));
                }
            }
        }
    };
    for u in &nfo_underlyings {
        derivatives(
            u,
            ("NFO", "NFO", 2),
            ("NSE_FO", "NSE"),
            &mut nfo_token,
            &mut out,
        );
    }
    for u in &bfo_underlyings {
        derivatives(
            u,
            ("BFO", "BFO", 5),
            ("BSE_FO", "BSE"),
            &mut bfo_token,
            &mut out,
        );
    }

    // Currency (CDS, BCD): quarter-paisa ticks, strikes in quarter rupees.
    let monthly_cds: Vec<Date> = (1..=4).map(|m| Date::last_weekday(m, 4)).collect();
    let mut cds_token = 1_000u64;
    let mut bcd_token = 2_000_000u64;
    for (pair, spot) in [
        ("USDINR", 84),
        ("EURINR", 90),
        ("GBPINR", 106),
        ("JPYINR", 56),
    ] {
        let u = Underlying {
            symbol: pair.to_owned(),
            kind: "CUR",
            key: None,
            spot: spot * E8,
            step: E8 / 4,
            strikes_each_side: 30,
            lot: 1,
            tick: E8 / 400,
            monthly: &monthly_cds,
            weekly: &[],
        };
        derivatives(
            &u,
            ("CDS", "CDS", 3),
            ("NCD_FO", "NSE"),
            &mut cds_token,
            &mut out,
        );
        if pair == "USDINR" || pair == "EURINR" {
            derivatives(
                &u,
                ("BCD", "BCD", 6),
                ("BCD_FO", "BSE"),
                &mut bcd_token,
                &mut out,
            );
        }
    }

    // Commodities (MCX).
    let monthly_mcx: Vec<Date> = (1..=3).map(|m| Date::last_weekday(m, 2)).collect();
    let mut mcx_token = 400_000u64;
    for (symbol, spot, step, tick_e8) in [
        ("GOLD", 76_000, 100, E8),
        ("GOLDM", 76_000, 100, E8),
        ("SILVER", 90_000, 250, E8),
        ("SILVERM", 90_000, 250, E8),
        ("CRUDEOIL", 6_000, 50, E8),
        ("NATURALGAS", 250, 5, E8 / 10),
        ("COPPER", 800, 5, E8 / 20),
        ("ZINC", 260, 2, E8 / 20),
    ] {
        let u = Underlying {
            symbol: symbol.to_owned(),
            kind: "COM",
            key: None,
            spot: spot * E8,
            step: step * E8,
            strikes_each_side: 40,
            lot: 1,
            tick: tick_e8,
            monthly: &monthly_mcx,
            weekly: &[],
        };
        derivatives(
            &u,
            ("MCX", "MCX", 7),
            ("MCX_FO", "MCX"),
            &mut mcx_token,
            &mut out,
        );
    }
    out
}

/// Kite's segment column for a derivatives exchange: `NFO-FUT`, `MCX-OPT`, ...
fn kite_segment(prefix: &str, future: bool) -> &'static str {
    match (prefix, future) {
        ("NFO", true) => "NFO-FUT",
        ("NFO", false) => "NFO-OPT",
        ("BFO", true) => "BFO-FUT",
        ("BFO", false) => "BFO-OPT",
        ("CDS", true) => "CDS-FUT",
        ("CDS", false) => "CDS-OPT",
        ("BCD", true) => "BCD-FUT",
        ("BCD", false) => "BCD-OPT",
        ("MCX", true) => "MCX-FUT",
        _ => "MCX-OPT",
    }
}

/// Writes `kite-instruments.csv` and `upstox-complete.json` into `dir`; returns the row count.
pub(crate) fn generate(dir: &Path) -> Result<usize, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let contracts = universe();
    let write = |name: &str, body: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut writer = BufWriter::new(file);
        body(&mut writer)
            .and_then(|()| writer.flush())
            .map_err(|e| format!("{}: {e}", path.display()))
    };
    write("kite-instruments.csv", &|out| {
        out.write_all(b"instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n")?;
        let mut line = String::with_capacity(160);
        for contract in &contracts {
            line.clear();
            contract.kite_row(&mut line);
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    })?;
    write("upstox-complete.json", &|out| {
        out.write_all(b"[")?;
        let mut object = String::with_capacity(600);
        for (i, contract) in contracts.iter().enumerate() {
            object.clear();
            if i > 0 {
                object.push_str(",\n");
            }
            contract.upstox_object(&mut object);
            out.write_all(object.as_bytes())?;
        }
        out.write_all(b"]\n")
    })?;
    Ok(contracts.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_helpers() {
        assert_eq!(BASE.weekday(), 1); // 2026-11-24 is a Tuesday
        assert_eq!(Date::last_weekday(1, 1).iso(), "2026-12-29");
        assert_eq!(
            Date {
                year: 2026,
                month: 1,
                day: 27
            }
            .upstox_expiry_ms(),
            1_769_538_599_000
        );
        assert_eq!(
            weekly_code(Date {
                year: 2026,
                month: 12,
                day: 1
            }),
            "26D01"
        );
        assert_eq!(money(83 * E8 + E8 / 4), "83.25");
        assert_eq!(paise(E8 / 400), "0.25");
    }

    #[test]
    fn the_universe_is_full_size() {
        assert!(universe().len() >= 100_000);
    }
}
