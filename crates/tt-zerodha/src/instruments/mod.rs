//! Kite's instrument dump (`GET /instruments`, CSV) parsed into canonical [`DumpRecord`]s.
//!
//! Two spellings of the same columns are accepted: the API's own (quoted names, whole numbers
//! bare: `0`, `63600`; indices with tick and lot 0 in segment `INDICES`) and the form
//! pykiteconnect writes back (`0.0`, `65300.0`, unquoted names). Columns are found by header
//! name, so a reordered or added column changes nothing. Rows are read one at a time.

mod fetcher;

pub use fetcher::InstrumentDumpFetcher;

use std::io::BufRead;

use csv::{ByteRecord, ReaderBuilder};
use time::Date;
use time::macros::format_description;
use tt_core::{
    BrokerToken, ContractSpec, Currency, DumpError, DumpRecord, DumpRows, Equity, Exchange, Future,
    Index, Instrument, OptionContract, OptionType, Price, Underlying,
};

/// The columns the parser needs, by header name.
const REQUIRED: [&str; 11] = [
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
];

/// Kite derivative underlyings that are indices, with the index each tracks (as Kite names the
/// index row). Every other NFO/BFO underlying is taken to be an equity of the same symbol.
///
/// Kite's dump names no underlying, so what this table gives is a guess
/// ([`Underlying::inferred`]): where another broker's dump states the contract's underlying,
/// the master takes that one, and a derivative on an index this table lacks (a new index's
/// F&O) is a counted drop in the load report, not a failed build.
const INDEX_UNDERLYINGS: [(Exchange, &str, Exchange, &str); 9] = [
    (Exchange::Nfo, "NIFTY", Exchange::Nse, "NIFTY 50"),
    (Exchange::Nfo, "BANKNIFTY", Exchange::Nse, "NIFTY BANK"),
    (
        Exchange::Nfo,
        "FINNIFTY",
        Exchange::Nse,
        "NIFTY FIN SERVICE",
    ),
    (
        Exchange::Nfo,
        "MIDCPNIFTY",
        Exchange::Nse,
        "NIFTY MID SELECT",
    ),
    (Exchange::Nfo, "NIFTYNXT50", Exchange::Nse, "NIFTY NEXT 50"),
    (Exchange::Bfo, "SENSEX", Exchange::Bse, "SENSEX"),
    (Exchange::Bfo, "BANKEX", Exchange::Bse, "BANKEX"),
    (Exchange::Bfo, "SENSEX50", Exchange::Bse, "SNSX50"),
    (Exchange::Bfo, "FOCIT", Exchange::Bse, "FOCIT"),
];

/// Parses a Kite instrument dump (already decompressed), lazily.
pub(crate) fn parse_dump<'a>(dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
    let mut reader = ReaderBuilder::new().flexible(true).from_reader(dump);
    let columns = match reader.byte_headers() {
        Ok(headers) => Columns::find(headers),
        Err(e) => Err(format!("cannot read the header line: {e}")),
    };
    match columns {
        Ok(columns) => Box::new(KiteRows {
            reader,
            columns,
            record: ByteRecord::new(),
            done: false,
            last_line: 1,
        }),
        Err(reason) => Box::new(std::iter::once(Err(DumpError::Corrupt { line: 1, reason }))),
    }
}

/// Column positions, found from the header.
#[derive(Debug, Clone, Copy)]
struct Columns([usize; 11]);

impl Columns {
    fn find(headers: &ByteRecord) -> Result<Columns, String> {
        let mut found = [0usize; 11];
        for (slot, name) in found.iter_mut().zip(REQUIRED) {
            *slot = headers
                .iter()
                .position(|h| h == name.as_bytes())
                .ok_or_else(|| format!("not a Kite instrument dump: no `{name}` column"))?;
        }
        Ok(Columns(found))
    }
}

struct KiteRows<R: std::io::Read> {
    reader: csv::Reader<R>,
    columns: Columns,
    record: ByteRecord,
    done: bool,
    /// The line of the last row read, to place an error that carries no position.
    last_line: u64,
}

impl<R: std::io::Read> Iterator for KiteRows<R> {
    type Item = Result<DumpRecord, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self
                    .record
                    .position()
                    .map_or(self.last_line + 1, |p| p.line());
                self.last_line = line;
                Some(Row::read(&self.record, self.columns).and_then(|row| row.into_record(line)))
            }
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                // An I/O error (a truncated gzip stream, a dropped download) or bytes the CSV
                // reader cannot frame: nothing after it can be trusted.
                self.done = true;
                let line = e.position().map_or(self.last_line + 1, |p| p.line());
                Some(Err(DumpError::Corrupt {
                    line,
                    reason: e.to_string(),
                }))
            }
        }
    }
}

/// One row's fields, as text.
struct Row<'r> {
    instrument_token: &'r str,
    exchange_token: &'r str,
    tradingsymbol: &'r str,
    name: &'r str,
    expiry: &'r str,
    strike: &'r str,
    tick_size: &'r str,
    lot_size: &'r str,
    instrument_type: &'r str,
    segment: &'r str,
    exchange: &'r str,
}

impl<'r> Row<'r> {
    fn read(record: &'r ByteRecord, columns: Columns) -> Result<Row<'r>, DumpError> {
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| -> Result<&'r str, DumpError> {
            let index = columns.0[i];
            let bytes = record.get(index).ok_or_else(|| DumpError::Row {
                line,
                reason: format!("has {} fields, `{}` is missing", record.len(), REQUIRED[i]),
            })?;
            std::str::from_utf8(bytes)
                .map(str::trim)
                .map_err(|_| DumpError::Row {
                    line,
                    reason: format!("`{}` is not UTF-8", REQUIRED[i]),
                })
        };
        Ok(Row {
            instrument_token: field(0)?,
            exchange_token: field(1)?,
            tradingsymbol: field(2)?,
            name: field(3)?,
            expiry: field(4)?,
            strike: field(5)?,
            tick_size: field(6)?,
            lot_size: field(7)?,
            instrument_type: field(8)?,
            segment: field(9)?,
            exchange: field(10)?,
        })
    }

    fn into_record(self, line: u64) -> Result<DumpRecord, DumpError> {
        // Exchanges tt-connect does not trade (mutual funds, NSE commodities) are left out.
        let Ok(exchange) = self.exchange.parse::<Exchange>() else {
            return Err(DumpError::Ignored {
                line,
                reason: format!("exchange `{}` is not one tt-connect trades", self.exchange),
            });
        };
        self.record(exchange)
            .map_err(|reason| DumpError::Row { line, reason })
    }

    fn record(self, exchange: Exchange) -> Result<DumpRecord, String> {
        if self.instrument_token.is_empty()
            || !self.instrument_token.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(format!(
                "instrument_token `{}` is not a number",
                self.instrument_token
            ));
        }
        let (instrument, underlying) = self.instrument(exchange)?;
        let tradable = instrument.is_tradable();
        let tick_size = parse_decimal("tick_size", self.tick_size)?;
        let lot_size = parse_count("lot_size", self.lot_size)?;
        if tradable && (!tick_size.is_positive() || lot_size == 0) {
            return Err(format!(
                "{instrument}: tick size {tick_size} and lot size {lot_size} must be positive"
            ));
        }
        let name = match self.name {
            "" => None,
            name => Some(name.to_owned()),
        };
        Ok(DumpRecord {
            instrument,
            name,
            contract: ContractSpec {
                tick_size,
                lot_size,
                freeze_quantity: None,
                // Kite's dump has no multiplier column (its positions do).
                multiplier: None,
            },
            isin: None,
            underlying,
            exchange_token: self.exchange_token.to_owned(),
            token: BrokerToken {
                token: self.instrument_token.to_owned(),
                symbol: Some(self.tradingsymbol.to_owned()),
                exchange: Some(self.exchange.to_owned()),
            },
        })
    }

    /// The canonical instrument, and for derivatives the equity or index they derive from.
    fn instrument(&self, exchange: Exchange) -> Result<(Instrument, Option<Underlying>), String> {
        let invalid = |e: tt_core::InstrumentError| e.to_string();
        if self.segment == "INDICES" {
            let name = self.tradingsymbol.to_ascii_uppercase();
            return Ok((Index::new(exchange, &name).map_err(invalid)?.into(), None));
        }
        match (self.instrument_type, exchange) {
            ("EQ", Exchange::Nse | Exchange::Bse) => Ok((
                Equity::new(exchange, self.tradingsymbol)
                    .map_err(invalid)?
                    .into(),
                None,
            )),
            ("FUT" | "CE" | "PE", _) => {
                let underlying = self.underlying_symbol()?;
                let expiry = parse_expiry(self.expiry)?;
                let currency = matches!(exchange, Exchange::Cds | Exchange::Bcd);
                let instrument: Instrument = match (self.instrument_type, currency) {
                    ("FUT", false) => Future::new(exchange, &underlying, expiry)
                        .map_err(invalid)?
                        .into(),
                    ("FUT", true) => Currency::future(exchange, &underlying, expiry)
                        .map_err(invalid)?
                        .into(),
                    (kind, currency) => {
                        let option_type = if kind == "CE" {
                            OptionType::Call
                        } else {
                            OptionType::Put
                        };
                        let strike = parse_decimal("strike", self.strike)?;
                        if currency {
                            Currency::option(exchange, &underlying, expiry, strike, option_type)
                                .map_err(invalid)?
                                .into()
                        } else {
                            OptionContract::new(exchange, &underlying, expiry, strike, option_type)
                                .map_err(invalid)?
                                .into()
                        }
                    }
                };
                Ok((
                    instrument,
                    spot_of(exchange, &underlying).map(Underlying::inferred),
                ))
            }
            (other, _) => Err(format!(
                "instrument_type `{other}` in segment `{}` is not supported",
                self.segment
            )),
        }
    }

    /// The underlying's symbol: the `name` column, or when a dump leaves it empty (old dumps
    /// do for options), the part of the tradingsymbol before its expiry.
    fn underlying_symbol(&self) -> Result<String, String> {
        if !self.name.is_empty() {
            return Ok(self.name.to_owned());
        }
        underlying_from_tradingsymbol(self.tradingsymbol, self.instrument_type).ok_or_else(|| {
            format!(
                "no name and no underlying in tradingsymbol `{}`",
                self.tradingsymbol
            )
        })
    }
}

/// The equity or index a NFO/BFO derivative most likely derives from; `None` for commodities
/// and currencies.
fn spot_of(exchange: Exchange, underlying: &str) -> Option<Instrument> {
    let spot_exchange = match exchange {
        Exchange::Nfo => Exchange::Nse,
        Exchange::Bfo => Exchange::Bse,
        _ => return None,
    };
    match INDEX_UNDERLYINGS
        .iter()
        .find(|(e, symbol, _, _)| *e == exchange && *symbol == underlying)
    {
        Some((_, _, index_exchange, name)) => {
            Index::new(*index_exchange, name).ok().map(Into::into)
        }
        None => Equity::new(spot_exchange, underlying).ok().map(Into::into),
    }
}

/// `NIFTY26AUG24350CE` → `NIFTY`; `NIFTY2681824350CE` → `NIFTY`; `USDINR21JUNFUT` → `USDINR`.
///
/// The underlying is whatever precedes the first place an expiry can start: a two-digit year
/// then either a three-letter month (monthly contracts) or a one-character month and a two-digit
/// day (weekly contracts).
fn underlying_from_tradingsymbol(symbol: &str, instrument_type: &str) -> Option<String> {
    const MONTHS: [&[u8; 3]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    let body = symbol.strip_suffix(instrument_type)?.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let expiry_starts_at = |at: usize| -> bool {
        let rest = &body[at..];
        let monthly =
            rest.len() >= 5 && digits(&rest[..2]) && MONTHS.iter().any(|m| &rest[2..5] == *m);
        let weekly = rest.len() >= 5
            && digits(&rest[..2])
            && matches!(rest[2], b'1'..=b'9' | b'O' | b'N' | b'D')
            && digits(&rest[3..5])
            && matches!((rest[3] - b'0') * 10 + (rest[4] - b'0'), 1..=31);
        monthly || weekly
    };
    let at = (1..body.len()).find(|&at| expiry_starts_at(at))?;
    std::str::from_utf8(&body[..at]).ok().map(str::to_owned)
}

fn parse_expiry(text: &str) -> Result<Date, String> {
    let format = format_description!("[year]-[month]-[day]");
    if text.is_empty() {
        return Err("derivative without an expiry".to_owned());
    }
    Date::parse(text, format).map_err(|_| format!("expiry `{text}` is not a YYYY-MM-DD date"))
}

/// A decimal column; empty means zero (the docs' own sample rows leave `strike` empty).
fn parse_decimal(column: &str, text: &str) -> Result<Price, String> {
    if text.is_empty() {
        return Ok(Price::ZERO);
    }
    text.parse::<Price>()
        .map_err(|e| format!("{column} `{text}`: {e}"))
}

/// A whole-number column written either bare (`65`) or as a float (`65.0`).
fn parse_count(column: &str, text: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Ok(0);
    }
    let whole = text.strip_suffix(".0").unwrap_or(text);
    whole
        .parse::<u32>()
        .map_err(|_| format!("{column} `{text}` is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange\n";

    fn parse(text: &str) -> Vec<Result<DumpRecord, DumpError>> {
        parse_dump(Box::new(std::io::Cursor::new(text.to_owned().into_bytes()))).collect()
    }

    fn one(line: &str) -> Result<DumpRecord, DumpError> {
        let mut rows = parse(&format!("{HEADER}{line}\n"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        rows.remove(0)
    }

    #[test]
    fn reads_the_api_form_with_quoted_names_and_bare_integers() {
        let r = one(r#"738561,2885,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.1,1,EQ,NSE,NSE"#).unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:RELIANCE");
        assert_eq!(r.name.as_deref(), Some("RELIANCE INDUSTRIES"));
        assert_eq!(r.contract.tick_size.to_string(), "0.1");
        assert_eq!(r.token.token, "738561");
        assert_eq!(r.exchange_token, "2885");
        let r = one(
            r#"12345602,48225,NIFTY26DEC24000CE,"NIFTY",0,2026-12-29,24000,0.05,75,CE,NFO-OPT,NFO"#,
        )
        .unwrap();
        assert_eq!(r.instrument.to_string(), "NFO:NIFTY:2026-12-29:24000:CE");
        assert_eq!(r.contract.lot_size, 75);
        let underlying = r.underlying.unwrap();
        assert_eq!(underlying.spot.to_string(), "NSE:INDEX:NIFTY 50");
        assert_eq!(underlying.basis, tt_core::UnderlyingBasis::Inferred);
    }

    #[test]
    fn reads_the_rewritten_form_with_floats() {
        let r = one("14866434,58072,NIFTY26AUGFUT,NIFTY,0.0,2026-08-25,0.0,0.1,65,FUT,NFO-FUT,NFO")
            .unwrap();
        assert_eq!(r.instrument.to_string(), "NFO:NIFTY:2026-08-25:FUT");
        let r = one("1,2,X26AUG100CE,RELIANCE,0.0,2026-08-25,1022.5,0.05,500.0,CE,NFO-OPT,NFO")
            .unwrap();
        assert_eq!(r.contract.lot_size, 500);
        assert_eq!(r.underlying.unwrap().spot.to_string(), "NSE:RELIANCE");
    }

    #[test]
    fn index_rows_have_zero_tick_and_lot() {
        let r = one(r#"256265,1001,NIFTY 50,"NIFTY 50",0,,0,0,0,EQ,INDICES,NSE"#).unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:INDEX:NIFTY 50");
        assert_eq!(r.contract.lot_size, 0);
    }

    #[test]
    fn names_with_commas_quotes_and_ampersands() {
        let r = one(r#"519937,2031,M&M,"MAHINDRA & MAHINDRA, ""M&M""",0,,0,0.05,1,EQ,NSE,NSE"#)
            .unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:M&M");
        assert_eq!(r.name.as_deref(), Some(r#"MAHINDRA & MAHINDRA, "M&M""#));
    }

    #[test]
    fn currency_rows_keep_seven_decimal_ticks() {
        let r = one("412675,1612,USDINR26DECFUT,USDINR,0,2026-12-29,0,0.0025,1,FUT,CDS-FUT,CDS")
            .unwrap();
        assert_eq!(r.instrument.to_string(), "CDS:USDINR:2026-12-29:FUT");
        assert_eq!(r.contract.tick_size.to_string(), "0.0025");
        let r = one("1,2,USDINR26DEC83.25CE,USDINR,0,2026-12-29,83.25,0.0000025,1,CE,CDS-OPT,CDS")
            .unwrap();
        assert_eq!(r.instrument.to_string(), "CDS:USDINR:2026-12-29:83.25:CE");
        assert_eq!(r.contract.tick_size.to_string(), "0.0000025");
    }

    #[test]
    fn options_without_a_name_take_the_underlying_from_the_symbol() {
        let r = one("12073986,47164,BANKNIFTY18JAN23500CE,,2528.4,2018-01-25,23500.0,0.05,40,CE,NFO-OPT,NFO").unwrap();
        assert_eq!(
            r.instrument.to_string(),
            "NFO:BANKNIFTY:2018-01-25:23500:CE"
        );
        assert_eq!(
            underlying_from_tradingsymbol("NIFTY2681824350CE", "CE").as_deref(),
            Some("NIFTY")
        );
        assert_eq!(
            underlying_from_tradingsymbol("USDINR21JUNFUT", "FUT").as_deref(),
            Some("USDINR")
        );
        assert_eq!(
            underlying_from_tradingsymbol("M&M26AUG3000PE", "PE").as_deref(),
            Some("M&M")
        );
        assert_eq!(
            underlying_from_tradingsymbol("SENSEX5026OCT26850PE", "PE").as_deref(),
            Some("SENSEX50")
        );
        assert_eq!(underlying_from_tradingsymbol("CE", "CE"), None);
    }

    #[test]
    fn empty_numeric_fields_read_as_zero_as_in_the_docs_sample() {
        let r = one("408065,1594,INFY,INFOSYS,,,,0.05,1,EQ,NSE,NSE").unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:INFY");
        let r = one("53496327,209751,GOLD26DECFUT,GOLD,,2026-12-05,,1,1,FUT,MCX-FUT,MCX").unwrap();
        assert_eq!(r.instrument.to_string(), "MCX:GOLD:2026-12-05:FUT");
        // An option cannot have an empty strike: zero is not a strike.
        let err = one("1,2,X26DEC0CE,X,,2026-12-29,,0.05,1,CE,NFO-OPT,NFO").unwrap_err();
        assert!(err.to_string().contains("strike must be"), "{err}");
    }

    #[test]
    fn columns_are_found_by_name() {
        let text = "exchange,segment,instrument_type,lot_size,tick_size,strike,expiry,name,tradingsymbol,exchange_token,instrument_token,new_column\n\
                    NSE,NSE,EQ,1,0.05,0,,INFOSYS,INFY,1594,408065,whatever\n";
        let rows = parse(text);
        assert_eq!(rows[0].as_ref().unwrap().instrument.to_string(), "NSE:INFY");
    }

    #[test]
    fn bad_rows_are_skipped_with_their_line_and_reason() {
        let text = format!(
            "{HEADER}\
             408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE\n\
             1,2,GOLD26DECFUT,GOLD,0,2026-12-05,0,1,1,FUT,NCO-FUT,NCO\n\
             1,2,X,X,0,2026-13-45,0,0.05,1,FUT,NFO-FUT,NFO\n\
             1,2,X,X,0,2026-12-29,abc,0.05,1,CE,NFO-OPT,NFO\n\
             1,2,X,X,0,2026-12-29,NaN,0.05,1,CE,NFO-OPT,NFO\n\
             1,2,X,X,0,2026-12-29,100,0.05,1,XX,NFO-OPT,NFO\n\
             1,2,x y,X,0,,0,0.05,1,EQ,NSE,NSE\n\
             1,2,SHORT,ROW\n\
             abc,2,INFY,X,0,,0,0.05,1,EQ,NSE,NSE\n"
        );
        let rows = parse(&text);
        assert!(rows[0].is_ok());
        let reasons: Vec<String> = rows[1..]
            .iter()
            .map(|r| r.as_ref().unwrap_err().to_string())
            .collect();
        for (reason, needle) in reasons.iter().zip([
            "line 3: ignored: exchange `NCO`",
            "line 4: skipped: expiry `2026-13-45`",
            "line 5: skipped: strike `abc`",
            "line 6: skipped: strike `NaN`",
            "line 7: skipped: instrument_type `XX`",
            "line 8: skipped: symbol `x y`",
            "line 9: skipped: has 4 fields",
            "line 10: skipped: instrument_token `abc`",
        ]) {
            assert!(
                reason.starts_with(needle),
                "{reason} does not start with {needle}"
            );
        }
    }

    #[test]
    fn a_dump_without_the_columns_is_corrupt() {
        let rows = parse("hello,world\n1,2\n");
        assert_eq!(rows.len(), 1);
        assert!(matches!(rows[0], Err(DumpError::Corrupt { line: 1, .. })));
        assert!(
            rows[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("no `instrument_token` column")
        );
        let rows = parse("");
        assert!(matches!(rows[0], Err(DumpError::Corrupt { .. })));
    }

    #[test]
    fn an_io_error_midway_is_corrupt_and_ends_the_rows() {
        struct FailingAfter(std::io::Cursor<Vec<u8>>);
        impl std::io::Read for FailingAfter {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "gzip stream truncated",
                    )),
                    n => Ok(n),
                }
            }
        }
        let text = format!("{HEADER}408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE\n408066,15");
        let reader = std::io::BufReader::new(FailingAfter(std::io::Cursor::new(text.into_bytes())));
        let rows: Vec<_> = parse_dump(Box::new(reader)).collect();
        assert!(rows[0].is_ok());
        assert!(
            matches!(rows.last(), Some(Err(DumpError::Corrupt { .. }))),
            "{rows:?}"
        );
    }
}
