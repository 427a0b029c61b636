//! The canonical merge: every broker's records become one instrument per contract, each with
//! the tokens of every broker that lists it.
//!
//! Rows of two brokers are joined on the exchange's own token within a segment, and only when
//! their contract attributes (the canonical instrument: underlying, expiry, strike, option type;
//! or exchange and symbol) agree. Exchanges reuse derivative tokens after expiry, so a token
//! whose attributes disagree is a different contract: it is never joined, and it is counted.
//! Indices are joined by canonical name. Nothing is merged by name alone and nothing is dropped:
//! a row that joins nothing becomes an instrument with only its own broker's token.

use std::collections::BTreeMap;

use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use tt_core::{BrokerToken, ContractSpec, Exchange, Instrument};

use crate::load::{BrokerLoad, Segment};

/// One broker's identifiers for a canonical instrument.
#[derive(Debug, Clone)]
pub(crate) struct BrokerEntry {
    pub(crate) broker: &'static str,
    pub(crate) token: BrokerToken,
    pub(crate) exchange_token: String,
}

/// One canonical instrument.
#[derive(Debug, Clone)]
pub(crate) struct Canon {
    pub(crate) instrument: Instrument,
    pub(crate) name: Option<String>,
    pub(crate) contract: ContractSpec,
    pub(crate) isin: Option<String>,
    pub(crate) underlying: Option<Instrument>,
    pub(crate) tokens: Vec<BrokerEntry>,
}

impl Canon {
    fn has(&self, broker: &str) -> bool {
        self.tokens.iter().any(|t| t.broker == broker)
    }
}

/// How the brokers' rows came together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinStats {
    /// Instruments listed by more than one broker.
    pub joined: u64,
    /// Rows whose exchange token matched another broker's row for a different contract.
    pub conflicts: u64,
    /// A few conflicts, as text.
    pub conflict_examples: Vec<String>,
    /// Per broker: instruments only that broker lists.
    pub unmatched: BTreeMap<&'static str, u64>,
    /// Per broker: rows repeating a token the same broker already listed (left out).
    pub duplicate_tokens: BTreeMap<&'static str, u64>,
    /// Joined rows whose lot or tick size differed; the stricter (larger) value is kept.
    pub spec_disagreements: u64,
    /// Canonical identities that more than one instrument share (resolving them is an error).
    pub ambiguous: u64,
}

/// The merged master, in memory.
#[derive(Debug)]
pub(crate) struct Merged {
    pub(crate) canons: Vec<Canon>,
    pub(crate) stats: JoinStats,
}

/// How many conflicts a report shows as examples.
const MAX_EXAMPLES: usize = 5;

/// Merges the brokers' records, in the order given.
pub(crate) fn merge(loads: &mut [BrokerLoad]) -> Merged {
    let total: usize = loads.iter().map(|l| l.records.len()).sum();
    let mut canons: Vec<Canon> = Vec::with_capacity(total);
    // Exchange tokens are numeric in every dump seen; text ones get a map of their own.
    let mut by_numeric_token: FxHashMap<(Exchange, u64), usize> =
        FxHashMap::with_capacity_and_hasher(total, FxBuildHasher);
    let mut by_text_token: FxHashMap<(Exchange, String), usize> = FxHashMap::default();
    let mut indices: FxHashMap<Instrument, Vec<usize>> = FxHashMap::default();
    let mut stats = JoinStats::default();

    for load in loads.iter_mut() {
        let broker = load.broker;
        if load.duplicate_tokens > 0 {
            stats.duplicate_tokens.insert(broker, load.duplicate_tokens);
        }
        for record in load.records.drain(..) {
            let exchange = record.instrument.exchange();
            let is_index = matches!(record.instrument, Instrument::Index(_));
            let candidate = if is_index {
                let open: Vec<usize> = indices
                    .get(&record.instrument)
                    .map(|ids| {
                        ids.iter()
                            .copied()
                            .filter(|&i| !canons[i].has(broker))
                            .collect()
                    })
                    .unwrap_or_default();
                // Joined only when exactly one index of that name awaits this broker.
                (open.len() == 1).then(|| open[0])
            } else {
                match record.exchange_token.parse::<u64>() {
                    Ok(n) => by_numeric_token.get(&(exchange, n)).copied(),
                    Err(_) => by_text_token
                        .get(&(exchange, record.exchange_token.clone()))
                        .copied(),
                }
                .filter(|&i| !canons[i].has(broker))
            };
            let entry = BrokerEntry {
                broker,
                token: record.token,
                exchange_token: record.exchange_token,
            };
            match candidate {
                Some(i) if canons[i].instrument == record.instrument => {
                    let canon = &mut canons[i];
                    if canon.tokens.len() == 1 {
                        stats.joined += 1;
                    }
                    if canon.contract.lot_size != record.contract.lot_size
                        || canon.contract.tick_size != record.contract.tick_size
                    {
                        stats.spec_disagreements += 1;
                        canon.contract.lot_size =
                            canon.contract.lot_size.max(record.contract.lot_size);
                        canon.contract.tick_size =
                            canon.contract.tick_size.max(record.contract.tick_size);
                    }
                    canon.contract.freeze_quantity = canon
                        .contract
                        .freeze_quantity
                        .or(record.contract.freeze_quantity);
                    if canon.isin.is_none() {
                        canon.isin = record.isin;
                    }
                    if canon.name.is_none() {
                        canon.name = record.name;
                    }
                    if canon.underlying.is_none() {
                        canon.underlying = record.underlying;
                    }
                    canon.tokens.push(entry);
                }
                other => {
                    if let Some(i) = other {
                        stats.conflicts += 1;
                        if stats.conflict_examples.len() < MAX_EXAMPLES {
                            let first = canons[i].tokens.first().map_or("", |t| t.broker);
                            stats.conflict_examples.push(format!(
                                "{exchange} token {}: {} on {first}, {} on {broker}",
                                entry.exchange_token, canons[i].instrument, record.instrument,
                            ));
                        }
                    }
                    let id = canons.len();
                    match entry.exchange_token.parse::<u64>() {
                        Ok(n) => {
                            by_numeric_token.entry((exchange, n)).or_insert(id);
                        }
                        Err(_) => {
                            by_text_token
                                .entry((exchange, entry.exchange_token.clone()))
                                .or_insert(id);
                        }
                    }
                    if is_index {
                        indices
                            .entry(record.instrument.clone())
                            .or_default()
                            .push(id);
                    }
                    canons.push(Canon {
                        instrument: record.instrument,
                        name: record.name,
                        contract: record.contract,
                        isin: record.isin,
                        underlying: record.underlying,
                        tokens: vec![entry],
                    });
                }
            }
        }
    }

    for canon in &canons {
        if let [only] = canon.tokens.as_slice() {
            *stats.unmatched.entry(only.broker).or_default() += 1;
        }
    }
    let mut identities: FxHashMap<&Instrument, u32> =
        FxHashMap::with_capacity_and_hasher(canons.len(), FxBuildHasher);
    for canon in &canons {
        *identities.entry(&canon.instrument).or_default() += 1;
    }
    stats.ambiguous = identities.values().filter(|&&n| n > 1).count() as u64;
    Merged { canons, stats }
}

/// Derivatives whose equity or index underlying is missing from the master although a broker
/// listing the derivative also listed that segment (so the spot should have been there).
pub(crate) fn missing_underlyings(merged: &Merged, loads: &[BrokerLoad]) -> (usize, Vec<String>) {
    let present: FxHashSet<&Instrument> = merged.canons.iter().map(|c| &c.instrument).collect();
    let segments_of = |broker: &str| -> Option<&std::collections::BTreeMap<Segment, u64>> {
        loads
            .iter()
            .find(|l| l.broker == broker)
            .map(|l| &l.segments)
    };
    let mut count = 0;
    let mut examples = Vec::new();
    for canon in &merged.canons {
        let Some(spot) = &canon.underlying else {
            continue;
        };
        if present.contains(spot) {
            continue;
        }
        let expected = canon.tokens.iter().any(|t| {
            segments_of(t.broker).is_some_and(|segments| segments.contains_key(&Segment::of(spot)))
        });
        if expected {
            count += 1;
            if examples.len() < MAX_EXAMPLES {
                examples.push(format!("{} -> {spot}", canon.instrument));
            }
        }
    }
    (count, examples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::date;
    use tt_core::{DumpRecord, Price};

    fn record(instrument: &str, exchange_token: &str, token: &str) -> DumpRecord {
        let instrument: Instrument = instrument.parse().unwrap();
        DumpRecord {
            underlying: None,
            contract: ContractSpec {
                tick_size: "0.05".parse::<Price>().unwrap(),
                lot_size: 1,
                freeze_quantity: None,
            },
            name: None,
            isin: None,
            exchange_token: exchange_token.to_owned(),
            token: BrokerToken {
                token: token.to_owned(),
                symbol: None,
                exchange: None,
            },
            instrument,
        }
    }

    fn load(broker: &'static str, records: Vec<DumpRecord>) -> BrokerLoad {
        let mut segments = BTreeMap::new();
        for r in &records {
            *segments.entry(Segment::of(&r.instrument)).or_default() += 1;
        }
        BrokerLoad {
            broker,
            source_name: "test".into(),
            dump_date: date!(2026 - 11 - 24),
            rows: records.len() as u64,
            records,
            ignored: Default::default(),
            malformed: Default::default(),
            malformed_rows: 0,
            first_malformed: None,
            segments,
            duplicate_tokens: 0,
        }
    }

    #[test]
    fn rows_join_on_exchange_token_when_attributes_agree() {
        let mut loads = [
            load(
                "zerodha",
                vec![record("NFO:NIFTY:2026-12-29:24000:CE", "48216", "12345602")],
            ),
            load(
                "upstox",
                vec![record(
                    "NFO:NIFTY:2026-12-29:24000:CE",
                    "48216",
                    "NSE_FO|48216",
                )],
            ),
        ];
        let merged = merge(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        assert_eq!(merged.canons[0].tokens.len(), 2);
        assert_eq!(merged.stats.joined, 1);
        assert_eq!(merged.stats.conflicts, 0);
    }

    #[test]
    fn a_reused_token_naming_another_contract_is_never_joined() {
        let mut loads = [
            load(
                "zerodha",
                vec![record("NFO:NIFTY:2026-08-25:24000:CE", "48216", "1")],
            ),
            load(
                "upstox",
                vec![record(
                    "NFO:BANKNIFTY:2025-12-30:52000:PE",
                    "48216",
                    "NSE_FO|48216",
                )],
            ),
        ];
        let merged = merge(&mut loads);
        assert_eq!(merged.canons.len(), 2);
        assert_eq!(merged.stats.conflicts, 1);
        assert_eq!(merged.stats.joined, 0);
        assert_eq!(merged.stats.unmatched.get("zerodha"), Some(&1));
        assert_eq!(merged.stats.unmatched.get("upstox"), Some(&1));
        assert!(merged.stats.conflict_examples[0].contains("48216"));
    }

    #[test]
    fn same_contract_under_different_tokens_stays_apart_and_is_ambiguous() {
        let mut loads = [
            load("zerodha", vec![record("NSE:IDEA", "14366", "1")]),
            load("upstox", vec![record("NSE:IDEA", "99999", "NSE_EQ|X")]),
        ];
        let merged = merge(&mut loads);
        assert_eq!(merged.canons.len(), 2);
        assert_eq!(merged.stats.ambiguous, 1);
    }

    #[test]
    fn indices_join_by_name() {
        let mut loads = [
            load(
                "zerodha",
                vec![record("NSE:INDEX:NIFTY 50", "1001", "256265")],
            ),
            load(
                "upstox",
                vec![record("NSE:INDEX:NIFTY 50", "26000", "NSE_INDEX|Nifty 50")],
            ),
        ];
        let merged = merge(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        assert_eq!(merged.stats.joined, 1);
    }

    #[test]
    fn joined_specs_keep_the_stricter_values() {
        let mut a = record("NSE:KCK-ST", "10296", "1");
        a.contract.lot_size = 1;
        let mut b = record("NSE:KCK-ST", "10296", "NSE_EQ|K");
        b.contract.lot_size = 2500;
        b.contract.freeze_quantity = Some(100_000);
        b.isin = Some("INE0J1E01027".into());
        let mut loads = [load("zerodha", vec![a]), load("upstox", vec![b])];
        let merged = merge(&mut loads);
        let canon = &merged.canons[0];
        assert_eq!(canon.contract.lot_size, 2500);
        assert_eq!(canon.contract.freeze_quantity, Some(100_000));
        assert_eq!(canon.isin.as_deref(), Some("INE0J1E01027"));
        assert_eq!(merged.stats.spec_disagreements, 1);
    }

    #[test]
    fn missing_spots_are_found_only_where_the_segment_was_listed() {
        let mut option = record("NFO:XYZ:2026-12-29:100:CE", "5", "5");
        option.underlying = Some("NSE:XYZ".parse().unwrap());
        let mut loads = [load("zerodha", vec![option.clone()])];
        let merged = merge(&mut loads);
        // The dump has no NSE equities at all: nothing to check against.
        assert_eq!(missing_underlyings(&merged, &loads).0, 0);

        let mut loads = [load("zerodha", vec![record("NSE:ABC", "1", "1"), option])];
        let merged = merge(&mut loads);
        let (count, examples) = missing_underlyings(&merged, &loads);
        assert_eq!(count, 1);
        assert_eq!(examples, ["NFO:XYZ:2026-12-29:100:CE -> NSE:XYZ"]);
    }
}
