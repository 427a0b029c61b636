//! Upstox's BOD instrument file (`complete.json`, `NSE.json`, ...: one JSON array of objects)
//! parsed into canonical [`DumpRecord`]s.
//!
//! The array is split into objects as bytes arrive and each object is decoded on its own (by
//! simd-json, from a copy: see `SimdJsonRows`), so a 60 MB file is never held whole. Facts about
//! the format that matter here: keys are sparse (absent when not applicable); `tick_size` is in
//! paise; `expiry` is epoch milliseconds at 23:59:59 IST of the expiry day; `exchange_token` is a
//! string; index keys carry names in mixed case (`NSE_INDEX|Nifty 50`); NSE equity rows carry their
//! series in `instrument_type`.

mod fetcher;

pub use fetcher::{DEFAULT_INSTRUMENTS_URL, InstrumentDumpFetcher};

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind};
use std::num::NonZeroU32;

use serde::Deserialize;
use time::{Date, OffsetDateTime};
use tt_core::{
    BrokerToken, ContractSpec, Currency, DumpError, DumpRecord, DumpRows, Equity, Exchange, Future,
    IST, Index, Instrument, OptionContract, OptionType, Price, Underlying,
};

/// Index names Upstox spells differently from the exchange's published (and Kite's) name, as
/// (Upstox segment, Upstox name, canonical name). Every other NSE or MCX index is its name
/// upper-cased, every BSE index its trading symbol (BSE publishes short codes: `SENSEX`,
/// `BANKEX`). All 204 indices of the December 2025 complete file get valid names from those two
/// rules and no difference from Kite's names is known, so the table starts empty; an entry here
/// is the one place to fix a name that turns out to differ.
const INDEX_NAME_OVERRIDES: &[(&str, &str, &str)] = &[];

/// The segments tt-connect trades; rows of any other are ignored.
const TRADED_SEGMENTS: [&str; 10] = [
    "NSE_EQ",
    "BSE_EQ",
    "NSE_INDEX",
    "BSE_INDEX",
    "MCX_INDEX",
    "NSE_FO",
    "BSE_FO",
    "MCX_FO",
    "NCD_FO",
    "BCD_FO",
];

/// Parses an Upstox instrument file (already decompressed), lazily.
pub(crate) fn parse_dump<'a>(dump: Box<dyn BufRead + Send + 'a>) -> DumpRows<'a> {
    parse_dump_with(dump, SimdJsonRows::default())
}

/// [`parse_dump`] with another decoder for each object (the benchmark's serde_json variant).
pub(crate) fn parse_dump_with<'a, D: RowDecoder + Send + 'a>(
    dump: Box<dyn BufRead + Send + 'a>,
    decoder: D,
) -> DumpRows<'a> {
    Box::new(UpstoxRows {
        objects: ObjectSplitter::new(dump),
        decoder,
    })
}

/// Decodes one instrument object's bytes into a [`Row`] borrowing from them (or from the
/// decoder's own copy of them).
pub(crate) trait RowDecoder {
    /// The row, or why the object is not one.
    fn decode<'b>(&'b mut self, object: &'b [u8]) -> Result<Row<'b>, String>;
}

/// simd-json, on a copy of each object (it rewrites its input, and the reader's buffer is not
/// ours to write), with its parse buffers reused from object to object. Issue 8 measured it
/// against serde_json reading the buffer in place: about 1.15x as fast over the whole file, copy
/// included (`docs/performance.md`).
#[derive(Default)]
pub(crate) struct SimdJsonRows {
    scratch: Vec<u8>,
    buffers: simd_json::Buffers,
}

impl RowDecoder for SimdJsonRows {
    fn decode<'b>(&'b mut self, object: &'b [u8]) -> Result<Row<'b>, String> {
        self.scratch.clear();
        self.scratch.extend_from_slice(object);
        simd_json::serde::from_slice_with_buffers(&mut self.scratch, &mut self.buffers)
            .map_err(|e| e.to_string())
    }
}

struct UpstoxRows<'a, D> {
    objects: ObjectSplitter<Box<dyn BufRead + Send + 'a>>,
    decoder: D,
}

impl<D: RowDecoder> Iterator for UpstoxRows<'_, D> {
    type Item = Result<DumpRecord, DumpError>;

    fn next(&mut self) -> Option<Self::Item> {
        let index = self.objects.count + 1;
        if let Err(reason) = self.objects.next_object()? {
            return Some(Err(DumpError::Corrupt {
                line: index,
                reason,
            }));
        }
        let result = match self.decoder.decode(self.objects.object()) {
            Ok(row) if !TRADED_SEGMENTS.contains(&row.segment.as_ref()) => {
                Err(DumpError::Ignored {
                    line: index,
                    reason: format!("segment `{}` is not one tt-connect trades", row.segment),
                })
            }
            Ok(row) => row.into_record().map_err(|reason| DumpError::Row {
                line: index,
                reason,
            }),
            Err(e) => Err(DumpError::Row {
                line: index,
                reason: format!("not an instrument object: {e}"),
            }),
        };
        self.objects.done_with_object();
        Some(result)
    }
}

/// The elements of a JSON array held whole, each copied out as [`parse_dump`] cuts it.
#[cfg(feature = "bench-internals")]
pub(crate) fn split_objects(file: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut objects = ObjectSplitter::new(file);
    let mut all = Vec::new();
    while let Some(found) = objects.next_object() {
        found?;
        all.push(objects.object().to_vec());
        objects.done_with_object();
    }
    Ok(all)
}

/// The reader's buffered bytes, refilling when empty (retrying interrupted reads).
fn fill<R: BufRead>(reader: &mut R) -> Result<&[u8], String> {
    loop {
        match reader.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    // Filled above: this returns the buffered bytes without reading again.
    reader.fill_buf().map_err(|e| format!("read failed: {e}"))
}

/// Where the bytes of the current element are.
#[derive(Debug, Clone, Copy)]
enum Current {
    /// In the reader's buffer, up to this offset (not yet consumed).
    InBuffer(usize),
    /// Copied into `object` (the element spanned buffer refills).
    Copied,
}

/// The scanner's place in the JSON text, kept across buffer refills.
#[derive(Debug, Default, Clone, Copy)]
struct ScanState {
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl ScanState {
    /// Scans `bytes` from the start; the offset just past the element's closing brace, or
    /// `None` when the element goes on beyond `bytes`.
    fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        if self.escaped {
            if bytes.is_empty() {
                return None;
            }
            self.escaped = false;
            at = 1;
        }
        while at < bytes.len() {
            if self.in_string {
                // Strings are most of the text: jump to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &bytes[at..]) {
                    None => return None,
                    Some(offset) => {
                        at += offset;
                        if bytes[at] == b'\\' {
                            if at + 1 >= bytes.len() {
                                self.escaped = true;
                                return None;
                            }
                            at += 2;
                        } else {
                            self.in_string = false;
                            at += 1;
                        }
                    }
                }
                continue;
            }
            match bytes[at] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(at + 1);
                    }
                }
                _ => {}
            }
            at += 1;
        }
        None
    }
}

/// Cuts a top-level JSON array into its elements as bytes arrive. An element that lies whole in
/// the reader's buffer is handed out in place; only one that spans a refill is copied.
struct ObjectSplitter<R> {
    reader: R,
    object: Vec<u8>,
    current: Current,
    started: bool,
    finished: bool,
    /// Elements returned so far.
    count: u64,
}

impl<R: BufRead> ObjectSplitter<R> {
    fn new(reader: R) -> Self {
        ObjectSplitter {
            reader,
            object: Vec::with_capacity(1024),
            current: Current::Copied,
            started: false,
            finished: false,
            count: 0,
        }
    }

    /// Finds the next element; `None` after the closing `]`, or why the file is broken.
    fn next_object(&mut self) -> Option<Result<(), String>> {
        if self.finished {
            return None;
        }
        match self.read_object() {
            Ok(true) => {
                self.count += 1;
                Some(Ok(()))
            }
            Ok(false) => {
                self.finished = true;
                None
            }
            Err(reason) => {
                self.finished = true;
                Some(Err(reason))
            }
        }
    }

    /// The current element's bytes.
    fn object(&mut self) -> &[u8] {
        match self.current {
            Current::Copied => &self.object,
            // The buffer was filled and not consumed since, so it holds the same bytes.
            Current::InBuffer(end) => match self.reader.fill_buf() {
                Ok(buf) => buf.get(..end).unwrap_or_default(),
                Err(_) => &[],
            },
        }
    }

    /// Releases the current element's bytes.
    fn done_with_object(&mut self) {
        if let Current::InBuffer(end) = self.current {
            self.reader.consume(end);
        }
        self.current = Current::Copied;
        self.object.clear();
    }

    /// Positions on the next element; false at the array's end.
    fn read_object(&mut self) -> Result<bool, String> {
        // Find the opening `[` (once), then the `{` of the next element or the closing `]`.
        loop {
            let byte = self.peek_significant_byte()?;
            match (self.started, byte) {
                (false, Some(b'[')) => {
                    self.started = true;
                    self.reader.consume(1);
                }
                (true, Some(b',')) => self.reader.consume(1),
                (true, Some(b'{')) => break,
                (true, Some(b']')) => {
                    self.reader.consume(1);
                    return Ok(false);
                }
                (_, None) if !self.started => {
                    return Err("empty file: expected a JSON array".into());
                }
                (_, None) => return Err("truncated: the JSON array never closes".into()),
                (false, Some(other)) => {
                    return Err(format!(
                        "expected a JSON array, found {:?}",
                        char::from(other)
                    ));
                }
                (true, Some(other)) => {
                    return Err(format!(
                        "expected an instrument object, found {:?}",
                        char::from(other)
                    ));
                }
            }
        }
        let mut state = ScanState::default();
        let buffer = fill(&mut self.reader)?;
        if let Some(end) = state.scan(buffer) {
            self.current = Current::InBuffer(end);
            return Ok(true);
        }
        // The element runs past the buffer: copy it out piece by piece.
        self.object.clear();
        self.current = Current::Copied;
        let mut state = ScanState::default();
        loop {
            let buffer = fill(&mut self.reader)?;
            if buffer.is_empty() {
                return Err("truncated: the file ends inside an instrument object".into());
            }
            let end = state.scan(buffer);
            let used = end.unwrap_or(buffer.len());
            self.object.extend_from_slice(&buffer[..used]);
            self.reader.consume(used);
            if end.is_some() {
                return Ok(true);
            }
        }
    }

    /// The next byte that is not white space, left unconsumed.
    fn peek_significant_byte(&mut self) -> Result<Option<u8>, String> {
        loop {
            let buffer = fill(&mut self.reader)?;
            let Some(first) = buffer.iter().position(|b| !b.is_ascii_whitespace()) else {
                if buffer.is_empty() {
                    return Ok(None);
                }
                let all = buffer.len();
                self.reader.consume(all);
                continue;
            };
            let byte = buffer[first];
            self.reader.consume(first);
            return Ok(Some(byte));
        }
    }
}

/// The fields of one instrument object that tt-connect uses; the rest are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct Row<'a> {
    #[serde(borrow)]
    segment: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    isin: Option<Cow<'a, str>>,
    #[serde(borrow)]
    instrument_type: Cow<'a, str>,
    #[serde(borrow)]
    pub(crate) instrument_key: Cow<'a, str>,
    #[serde(borrow)]
    exchange_token: Cow<'a, str>,
    #[serde(borrow)]
    trading_symbol: Cow<'a, str>,
    #[serde(default)]
    lot_size: Option<f64>,
    #[serde(default)]
    freeze_quantity: Option<f64>,
    /// In paise.
    #[serde(default)]
    tick_size: Option<f64>,
    /// Epoch milliseconds, 23:59:59 IST of the expiry day.
    #[serde(default)]
    expiry: Option<i64>,
    #[serde(default)]
    strike_price: Option<f64>,
    #[serde(borrow, default)]
    underlying_symbol: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    underlying_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    underlying_key: Option<Cow<'a, str>>,
    /// Rupees one unit of quantity is worth at price 1 (a float holding a whole number). On
    /// MCX it is the value of a whole lot while `lot_size` is the lot in physical units
    /// (CRUDEOIL: lot 100 BBL, ×100; GOLDM: lot 100 g quoted per 10 g, ×10), so it is per
    /// unit of quantity only where quantity counts lots.
    #[serde(default)]
    qty_multiplier: Option<f64>,
}

impl Row<'_> {
    fn into_record(self) -> Result<DumpRecord, String> {
        let (instrument, underlying) = self.instrument()?;
        let tradable = instrument.is_tradable();
        let tick_size = match self.tick_size {
            Some(paise) => paise_to_price(paise)?,
            None if !tradable => Price::ZERO,
            None => return Err(format!("{instrument}: no tick_size")),
        };
        let lot_size = match self.lot_size {
            Some(lot) => whole("lot_size", lot)?,
            None if !tradable => 0,
            None => return Err(format!("{instrument}: no lot_size")),
        };
        if tradable && (!tick_size.is_positive() || lot_size == 0) {
            return Err(format!(
                "{instrument}: tick size {tick_size} and lot size {lot_size} must be positive"
            ));
        }
        let freeze_quantity = self
            .freeze_quantity
            .map(|q| whole("freeze_quantity", q))
            .transpose()?;
        let multiplier = self
            .qty_multiplier
            .map(|m| positive_whole("qty_multiplier", m))
            .transpose()?;
        Ok(DumpRecord {
            instrument,
            name: self.name.map(Cow::into_owned),
            contract: ContractSpec {
                tick_size,
                lot_size,
                freeze_quantity,
                multiplier,
            },
            isin: self.isin.map(Cow::into_owned),
            underlying,
            exchange_token: self.exchange_token.into_owned(),
            token: BrokerToken {
                token: self.instrument_key.into_owned(),
                symbol: None,
                exchange: None,
            },
        })
    }

    fn instrument(&self) -> Result<(Instrument, Option<Underlying>), String> {
        let invalid = |e: tt_core::InstrumentError| e.to_string();
        let segment = self.segment.as_ref();
        match segment {
            "NSE_EQ" | "BSE_EQ" => {
                let exchange = if segment == "NSE_EQ" {
                    Exchange::Nse
                } else {
                    Exchange::Bse
                };
                let symbol = equity_symbol(segment, &self.trading_symbol, &self.instrument_type);
                Ok((
                    Equity::new(exchange, &symbol).map_err(invalid)?.into(),
                    None,
                ))
            }
            "NSE_INDEX" | "BSE_INDEX" | "MCX_INDEX" => {
                let exchange = match segment {
                    "NSE_INDEX" => Exchange::Nse,
                    "BSE_INDEX" => Exchange::Bse,
                    _ => Exchange::Mcx,
                };
                let name = self.name.as_deref().unwrap_or_default();
                let canonical =
                    index_name(INDEX_NAME_OVERRIDES, segment, name, &self.trading_symbol);
                Ok((
                    Index::new(exchange, &canonical).map_err(invalid)?.into(),
                    None,
                ))
            }
            "NSE_FO" | "BSE_FO" | "MCX_FO" | "NCD_FO" | "BCD_FO" => self.derivative(segment),
            other => Err(format!("segment `{other}` is not one tt-connect trades")),
        }
    }

    fn derivative(&self, segment: &str) -> Result<(Instrument, Option<Underlying>), String> {
        let invalid = |e: tt_core::InstrumentError| e.to_string();
        let exchange = match segment {
            "NSE_FO" => Exchange::Nfo,
            "BSE_FO" => Exchange::Bfo,
            "MCX_FO" => Exchange::Mcx,
            "NCD_FO" => Exchange::Cds,
            _ => Exchange::Bcd,
        };
        let underlying = self
            .underlying_symbol
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or("derivative without an underlying_symbol")?;
        let expiry = expiry_date(self.expiry.ok_or("derivative without an expiry")?)?;
        let currency = matches!(exchange, Exchange::Cds | Exchange::Bcd);
        let option_type = match self.instrument_type.as_ref() {
            "FUT" => None,
            "CE" => Some(OptionType::Call),
            "PE" => Some(OptionType::Put),
            other => {
                return Err(format!(
                    "instrument_type `{other}` in {segment} is not supported"
                ));
            }
        };
        let instrument: Instrument = match (option_type, currency) {
            (None, false) => Future::new(exchange, underlying, expiry)
                .map_err(invalid)?
                .into(),
            (None, true) => Currency::future(exchange, underlying, expiry)
                .map_err(invalid)?
                .into(),
            (Some(option_type), _) => {
                let strike = self.strike_price.ok_or("option without a strike_price")?;
                let strike = Price::from_f64(strike).map_err(|e| format!("strike_price: {e}"))?;
                if currency {
                    Currency::option(exchange, underlying, expiry, strike, option_type)
                        .map_err(invalid)?
                        .into()
                } else {
                    OptionContract::new(exchange, underlying, expiry, strike, option_type)
                        .map_err(invalid)?
                        .into()
                }
            }
        };
        // Upstox names the underlying: it wins over another broker's guess.
        Ok((instrument, self.spot(underlying).map(Underlying::stated)))
    }

    /// The equity or index a derivative derives from, from its `underlying_key` and type.
    fn spot(&self, underlying: &str) -> Option<Instrument> {
        let key = self.underlying_key.as_deref()?;
        let (segment, id) = key.split_once('|')?;
        match (self.underlying_type.as_deref()?, segment) {
            ("INDEX", "NSE_INDEX" | "BSE_INDEX") => {
                let exchange = if segment == "NSE_INDEX" {
                    Exchange::Nse
                } else {
                    Exchange::Bse
                };
                // NSE index keys carry the name, BSE index keys the trading symbol.
                Index::new(exchange, &index_name(INDEX_NAME_OVERRIDES, segment, id, id))
                    .ok()
                    .map(Into::into)
            }
            ("EQUITY", "NSE_EQ") => Equity::new(Exchange::Nse, underlying).ok().map(Into::into),
            ("EQUITY", "BSE_EQ") => Equity::new(Exchange::Bse, underlying).ok().map(Into::into),
            _ => None,
        }
    }
}

/// NSE equities outside the EQ series carry it as a suffix, as the exchange (and Kite) write
/// them: `IDEA-BE`, `RADIOCITY-P1`. BSE symbols are used as they are.
fn equity_symbol<'s>(segment: &str, symbol: &'s str, series: &str) -> Cow<'s, str> {
    if segment == "NSE_EQ" && series != "EQ" && !series.is_empty() {
        Cow::Owned(format!("{symbol}-{series}"))
    } else {
        Cow::Borrowed(symbol)
    }
}

/// The canonical index name: the override table, else NSE/MCX names upper-cased, else the BSE
/// trading symbol.
fn index_name(
    overrides: &[(&str, &str, &str)],
    segment: &str,
    name: &str,
    trading_symbol: &str,
) -> String {
    if let Some((_, _, canonical)) = overrides
        .iter()
        .find(|(s, n, _)| *s == segment && *n == name)
    {
        return (*canonical).to_owned();
    }
    match segment {
        "BSE_INDEX" => trading_symbol.to_ascii_uppercase(),
        _ => name.to_ascii_uppercase(),
    }
}

fn expiry_date(millis: i64) -> Result<Date, String> {
    OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .map(|t| t.to_offset(IST).date())
        .map_err(|_| format!("expiry {millis} is not an epoch-millisecond time"))
}

/// A tick size in paise, as a price in rupees.
fn paise_to_price(paise: f64) -> Result<Price, String> {
    let in_paise = Price::from_f64(paise).map_err(|e| format!("tick_size: {e}"))?;
    let mantissa = in_paise.mantissa();
    if mantissa % 100 != 0 {
        return Err(format!(
            "tick_size {paise} paise has more than 6 decimal places"
        ));
    }
    Price::from_mantissa(mantissa / 100).ok_or_else(|| format!("tick_size {paise} is out of range"))
}

fn whole(field: &str, value: f64) -> Result<u32, String> {
    if value.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&value) {
        return Err(format!("{field} {value} is not a whole number"));
    }
    // Checked above: a whole number within u32's range.
    Ok(value as u32)
}

/// A whole number above zero, as a multiplier must be.
fn positive_whole(field: &str, value: f64) -> Result<NonZeroU32, String> {
    NonZeroU32::new(whole(field, value)?)
        .ok_or_else(|| format!("{field} {value} is not a positive whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Result<DumpRecord, DumpError>> {
        parse_dump(Box::new(std::io::Cursor::new(text.to_owned().into_bytes()))).collect()
    }

    fn one(object: &str) -> Result<DumpRecord, DumpError> {
        let mut rows = parse(&format!("[{object}]"));
        assert_eq!(rows.len(), 1, "{rows:?}");
        rows.remove(0)
    }

    #[test]
    fn equities_carry_isin_freeze_and_tick_in_rupees() {
        let r = one(r#"{"segment":"NSE_EQ","name":"RELIANCE INDUSTRIES LTD","exchange":"NSE","isin":"INE002A01018","instrument_type":"EQ","instrument_key":"NSE_EQ|INE002A01018","lot_size":1,"freeze_quantity":100000.0,"exchange_token":"2885","tick_size":10.0,"trading_symbol":"RELIANCE"}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:RELIANCE");
        assert_eq!(r.contract.tick_size.to_string(), "0.1");
        assert_eq!(r.contract.freeze_quantity, Some(100_000));
        assert_eq!(r.isin.as_deref(), Some("INE002A01018"));
        assert_eq!(r.token.token, "NSE_EQ|INE002A01018");
        assert_eq!(r.exchange_token, "2885");
    }

    #[test]
    fn nse_series_other_than_eq_are_suffixed() {
        let r = one(r#"{"segment":"NSE_EQ","name":"X","exchange":"NSE","instrument_type":"BE","instrument_key":"NSE_EQ|INE1","lot_size":1,"exchange_token":"7783","tick_size":1.0,"trading_symbol":"BCONCEPTS"}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:BCONCEPTS-BE");
        let r = one(r#"{"segment":"BSE_EQ","name":"X","exchange":"BSE","instrument_type":"XT","instrument_key":"BSE_EQ|INE2","lot_size":1,"exchange_token":"514028","tick_size":1.0,"trading_symbol":"RAJKSYN"}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "BSE:RAJKSYN");
    }

    #[test]
    fn currency_ticks_in_paise_become_exact_rupees() {
        let r = one(r#"{"weekly":true,"segment":"BCD_FO","name":"USDINR","exchange":"BSE","expiry":1765564199000,"instrument_type":"CE","underlying_symbol":"USDINR","instrument_key":"BCD_FO|2169030","lot_size":1,"freeze_quantity":10000.0,"exchange_token":"2169030","tick_size":0.25,"underlying_type":"CUR","trading_symbol":"USDINR 87 CE 12 DEC 25","strike_price":87.0}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "BCD:USDINR:2025-12-12:87:CE");
        assert_eq!(r.contract.tick_size.to_string(), "0.0025");
        assert_eq!(r.underlying, None);
    }

    #[test]
    fn expiry_milliseconds_are_read_as_ist_dates() {
        // 1769538599000 ms = 2026-01-27 18:29:59 UTC = 23:59:59 IST on the 27th.
        assert_eq!(
            expiry_date(1_769_538_599_000).unwrap().to_string(),
            "2026-01-27"
        );
        // One second later it is the 28th in IST, though still the 27th in UTC.
        assert_eq!(
            expiry_date(1_769_538_600_000).unwrap().to_string(),
            "2026-01-28"
        );
    }

    #[test]
    fn index_options_name_their_index_underlying() {
        let r = one(r#"{"weekly":false,"segment":"NSE_FO","name":"BANKNIFTY","exchange":"NSE","expiry":1769538599000,"instrument_type":"PE","underlying_symbol":"BANKNIFTY","instrument_key":"NSE_FO|50912","lot_size":30,"freeze_quantity":600.0,"exchange_token":"50912","underlying_key":"NSE_INDEX|Nifty Bank","tick_size":5.0,"underlying_type":"INDEX","trading_symbol":"BANKNIFTY 54100 PE 27 JAN 26","strike_price":54100.0}"#).unwrap();
        assert_eq!(
            r.instrument.to_string(),
            "NFO:BANKNIFTY:2026-01-27:54100:PE"
        );
        let underlying = r.underlying.unwrap();
        assert_eq!(underlying.spot.to_string(), "NSE:INDEX:NIFTY BANK");
        assert_eq!(underlying.basis, tt_core::UnderlyingBasis::Stated);
        let r = one(r#"{"segment":"BSE_FO","name":"BANKEX","exchange":"BSE","expiry":1764268199000,"instrument_type":"FUT","underlying_symbol":"BANKEX","instrument_key":"BSE_FO|874881","lot_size":30,"exchange_token":"874881","underlying_key":"BSE_INDEX|BANKEX","tick_size":5.0,"underlying_type":"INDEX","trading_symbol":"BANKEX FUT 27 NOV 25","strike_price":0.0}"#).unwrap();
        assert_eq!(r.underlying.unwrap().spot.to_string(), "BSE:INDEX:BANKEX");
    }

    #[test]
    fn indices_are_named_as_the_exchange_publishes_them() {
        let r = one(r#"{"segment":"NSE_INDEX","name":"Nifty 50","exchange":"NSE","instrument_type":"INDEX","instrument_key":"NSE_INDEX|Nifty 50","exchange_token":"26000","trading_symbol":"NIFTY"}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "NSE:INDEX:NIFTY 50");
        assert_eq!(r.contract.lot_size, 0);
        let r = one(r#"{"segment":"BSE_INDEX","name":"BSE SENSEX","exchange":"BSE","instrument_type":"INDEX","instrument_key":"BSE_INDEX|SENSEX","exchange_token":"1","trading_symbol":"SENSEX"}"#).unwrap();
        assert_eq!(r.instrument.to_string(), "BSE:INDEX:SENSEX");
    }

    #[test]
    fn index_name_rules_and_overrides() {
        assert_eq!(
            index_name(&[], "NSE_INDEX", "Nifty Fin Service", "FINNIFTY"),
            "NIFTY FIN SERVICE"
        );
        assert_eq!(
            index_name(&[], "BSE_INDEX", "BSE SENSEX", "SENSEX"),
            "SENSEX"
        );
        let overrides = [("NSE_INDEX", "Nifty Odd Name", "NIFTY ODD")];
        assert_eq!(
            index_name(&overrides, "NSE_INDEX", "Nifty Odd Name", "X"),
            "NIFTY ODD"
        );
        assert_eq!(
            index_name(&overrides, "BSE_INDEX", "Nifty Odd Name", "ODD"),
            "ODD"
        );
    }

    #[test]
    fn unknown_keys_and_segments_do_not_break_the_file() {
        let rows = parse(
            r#"[
              {"segment":"NSE_COM","name":"GOLD","exchange":"NSE","instrument_type":"FUT","instrument_key":"NSE_COM|1","exchange_token":"1","trading_symbol":"GOLD FUT"},
              {"segment":"NSE_EQ","brand_new_key":{"nested":[1,2,"}"]},"name":"A \"quoted\" {name}","exchange":"NSE","instrument_type":"EQ","instrument_key":"NSE_EQ|INE3","lot_size":1,"exchange_token":"3","tick_size":5.0,"trading_symbol":"ABC"},
              {"segment":"NSE_EQ","exchange":"NSE"},
              {"segment":"NSE_EQ","name":"x","exchange":"NSE","instrument_type":"EQ","instrument_key":"k","lot_size":1.5,"exchange_token":"4","tick_size":5.0,"trading_symbol":"DEF"},
              {"segment":"NSE_FO","name":"X","exchange":"NSE","expiry":1769538599000,"instrument_type":"CE","underlying_symbol":"X","instrument_key":"k2","lot_size":1,"exchange_token":"5","tick_size":5.0,"trading_symbol":"X","strike_price":-1.0}
            ]"#,
        );
        assert_eq!(rows.len(), 5);
        assert!(matches!(rows[0], Err(DumpError::Ignored { line: 1, .. })));
        assert!(
            rows[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("segment `NSE_COM`")
        );
        assert_eq!(
            rows[1].as_ref().unwrap().name.as_deref(),
            Some(r#"A "quoted" {name}"#)
        );
        assert!(
            rows[2]
                .as_ref()
                .unwrap_err()
                .to_string()
                .starts_with("line 3: skipped: not an instrument object")
        );
        assert!(
            rows[3]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("lot_size 1.5")
        );
        assert!(
            rows[4]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("strike must be")
        );
    }

    #[test]
    fn objects_spanning_buffer_refills_parse_the_same() {
        let text = r#" [ {"segment":"NSE_EQ","name":"A \"Q\" \\ {x}","exchange":"NSE","instrument_type":"EQ","instrument_key":"NSE_EQ|INE1","lot_size":1,"exchange_token":"1","tick_size":5.0,"trading_symbol":"AAA"} ,
            {"segment":"NSE_INDEX","name":"Nifty 50","exchange":"NSE","instrument_type":"INDEX","instrument_key":"NSE_INDEX|Nifty 50","exchange_token":"26000","trading_symbol":"NIFTY"} ] "#;
        let whole = parse(text);
        assert_eq!(whole.len(), 2);
        assert_eq!(
            whole[0].as_ref().unwrap().name.as_deref(),
            Some(r#"A "Q" \ {x}"#)
        );
        for capacity in 1..40 {
            let reader = std::io::BufReader::with_capacity(capacity, text.as_bytes());
            let pieces: Vec<_> = parse_dump(Box::new(reader)).collect();
            assert_eq!(pieces, whole, "buffer of {capacity} bytes");
        }
    }

    const GOLD_FUTURE: &str = r#"{"segment":"MCX_FO","name":"GOLD","exchange":"MCX","expiry":1775154599000,"instrument_type":"FUT","asset_symbol":"GOLD","underlying_symbol":"GOLD","instrument_key":"MCX_FO|454818","lot_size":1,"freeze_quantity":10.0,"exchange_token":"454818","tick_size":100.0,"underlying_type":"COM","trading_symbol":"GOLD FUT 02 APR 26","strike_price":0.0,"price_quote_unit":"GRMS","qty_multiplier":QTY}"#;

    #[test]
    fn qty_multiplier_is_the_contracts_multiplier() {
        let r = one(&GOLD_FUTURE.replace("QTY", "100.0")).unwrap();
        assert_eq!(r.contract.multiplier, NonZeroU32::new(100));
        let r = one(&GOLD_FUTURE.replace(r#","qty_multiplier":QTY"#, "")).unwrap();
        assert_eq!(r.contract.multiplier, None);
    }

    #[test]
    fn a_fractional_or_zero_qty_multiplier_is_a_row_error_naming_it() {
        for (value, needle) in [
            ("2.5", "qty_multiplier 2.5 is not a whole number"),
            ("0.0", "qty_multiplier 0 is not a positive whole number"),
            ("-100.0", "qty_multiplier -100 is not a whole number"),
        ] {
            let err = one(&GOLD_FUTURE.replace("QTY", value)).unwrap_err();
            assert!(matches!(err, DumpError::Row { .. }), "{value}: {err}");
            assert!(err.to_string().contains(needle), "{value}: {err}");
        }
    }

    #[test]
    fn truncated_and_malformed_files_are_corrupt() {
        for (text, needle) in [
            ("", "empty file"),
            ("{}", "expected a JSON array"),
            (
                r#"[{"segment":"NSE_EQ""#,
                "ends inside an instrument object",
            ),
            (
                r#"[{"segment":"NSE_EQ","name":"x","exchange":"NSE","instrument_type":"EQ","instrument_key":"k","lot_size":1,"exchange_token":"4","tick_size":5.0,"trading_symbol":"DEF"},"#,
                "never closes",
            ),
            ("[1,2]", "expected an instrument object"),
        ] {
            let rows = parse(text);
            let last = rows.last().unwrap().as_ref().unwrap_err();
            assert!(matches!(last, DumpError::Corrupt { .. }), "{text}: {last}");
            assert!(last.to_string().contains(needle), "{text}: {last}");
        }
        assert!(parse("[]").is_empty());
        assert!(parse(" [ ] ").is_empty());
    }
}
