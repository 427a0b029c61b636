//! The canonical merge: every broker's records become one instrument per contract, each with
//! the tokens and trading terms of every broker that lists it.
//!
//! A contract is its canonical identity: exchange, kind, underlying (or symbol), expiry, strike
//! and option type. Two brokers' rows with the same identity are one contract and join, whatever
//! exchange tokens they carry (the dumps may be from different days, and a token can be
//! reassigned); the report counts those whose exchange tokens differ. The exchange tokens, in a
//! map keyed by segment that indices stay out of, only report rows that share a token but name
//! different contracts (exchanges reuse derivative tokens after expiry): those never join.
//! Indices join by canonical name. Where one broker lists two rows of one identity, a row of
//! another broker joins the one with its exchange token, or neither: resolving for a broker is
//! ambiguous only among that broker's own rows.
//!
//! Each broker keeps its own lot size, tick size, freeze quantity and multiplier; an order is checked
//! against the terms of the broker it goes to. A stated underlying (the dump names it) wins over
//! an inferred one (a parser's guess). A derivative whose underlying is missing from the master
//! although its broker listed the underlying's segment is left out and counted, and the build
//! fails only when more than a set share of the derivatives are.

use std::collections::BTreeMap;

use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use tt_core::{BrokerToken, ContractSpec, Instrument, Underlying, UnderlyingBasis};

use crate::MasterError;
use crate::load::{BrokerLoad, Segment};

/// One broker's identifiers and trading terms for a canonical instrument.
#[derive(Debug, Clone)]
pub(crate) struct BrokerEntry {
    pub(crate) broker: &'static str,
    pub(crate) token: BrokerToken,
    pub(crate) exchange_token: String,
    pub(crate) contract: ContractSpec,
}

/// One canonical instrument.
#[derive(Debug, Clone)]
pub(crate) struct Canon {
    pub(crate) instrument: Instrument,
    pub(crate) name: Option<String>,
    pub(crate) isin: Option<String>,
    pub(crate) underlying: Option<Underlying>,
    pub(crate) tokens: Vec<BrokerEntry>,
}

impl Canon {
    fn has(&self, broker: &str) -> bool {
        self.tokens.iter().any(|t| t.broker == broker)
    }

    fn has_exchange_token(&self, exchange_token: &str) -> bool {
        self.tokens
            .iter()
            .any(|t| t.exchange_token == exchange_token)
    }
}

/// How the brokers' rows came together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JoinStats {
    /// Instruments listed by more than one broker.
    pub joined: u64,
    /// Joined rows naming the same contract as another broker's row under a different exchange
    /// token (indices aside, whose tokens are each broker's own).
    pub other_exchange_token: u64,
    /// A few of those, as text.
    pub other_exchange_token_examples: Vec<String>,
    /// Rows whose exchange token matched another broker's row for a different contract (kept
    /// apart).
    pub conflicts: u64,
    /// A few conflicts, as text.
    pub conflict_examples: Vec<String>,
    /// Per broker: instruments only that broker lists.
    pub unmatched: BTreeMap<&'static str, u64>,
    /// Per broker: rows repeating a token the same broker already listed (left out).
    pub duplicate_tokens: BTreeMap<&'static str, u64>,
    /// Joined rows whose lot or tick size differed from another broker's; each broker keeps
    /// its own.
    pub spec_disagreements: u64,
    /// Joined derivatives whose inferred underlying was replaced by a different stated one.
    pub underlyings_corrected: u64,
    /// Per broker: derivatives left out because their underlying is not in the master.
    pub without_underlying: BTreeMap<&'static str, u64>,
    /// A few of those, as `derivative -> missing spot`.
    pub without_underlying_examples: Vec<String>,
    /// Per broker: identities that broker lists more than once (resolving them for that broker
    /// is an error).
    pub ambiguous: BTreeMap<&'static str, u64>,
}

/// The merged master, in memory.
#[derive(Debug)]
pub(crate) struct Merged {
    pub(crate) canons: Vec<Canon>,
    pub(crate) stats: JoinStats,
}

/// How many examples of each kind a report shows.
const MAX_EXAMPLES: usize = 5;

fn example(examples: &mut Vec<String>, text: impl FnOnce() -> String) {
    if examples.len() < MAX_EXAMPLES {
        examples.push(text());
    }
}

/// Canonical instruments by exchange token within a segment. Indices are never in it: their
/// tokens are each broker's own numbering (Kite's NIFTY 50 is 1001 on NSE, an equity's number
/// too).
#[derive(Debug, Default)]
struct TokenMap {
    // Exchange tokens are numeric in every dump seen; text ones get a map of their own.
    numeric: FxHashMap<(Segment, u64), usize>,
    text: FxHashMap<(Segment, String), usize>,
}

impl TokenMap {
    fn with_capacity(capacity: usize) -> TokenMap {
        TokenMap {
            numeric: FxHashMap::with_capacity_and_hasher(capacity, FxBuildHasher),
            text: FxHashMap::default(),
        }
    }

    fn get(&self, segment: Segment, token: &str) -> Option<usize> {
        match token.parse::<u64>() {
            Ok(n) => self.numeric.get(&(segment, n)).copied(),
            Err(_) => self.text.get(&(segment, token.to_owned())).copied(),
        }
    }

    /// Records the first instrument seen under a token.
    fn insert(&mut self, segment: Segment, token: &str, id: usize) {
        match token.parse::<u64>() {
            Ok(n) => {
                self.numeric.entry((segment, n)).or_insert(id);
            }
            Err(_) => {
                self.text.entry((segment, token.to_owned())).or_insert(id);
            }
        }
    }
}

/// Canonical instruments by identity: the first with each identity, and from each the next
/// with the same identity (rare: one broker listing two rows of one identity).
#[derive(Debug, Default)]
struct IdentityMap {
    first: FxHashMap<Instrument, usize>,
    next: Vec<Option<usize>>,
}

impl IdentityMap {
    fn with_capacity(capacity: usize) -> IdentityMap {
        IdentityMap {
            first: FxHashMap::with_capacity_and_hasher(capacity, FxBuildHasher),
            next: Vec::with_capacity(capacity),
        }
    }

    /// Every instrument with this identity, in the order they were added.
    fn all(&self, instrument: &Instrument) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.first.get(instrument).copied(), |&i| {
            self.next.get(i).copied().flatten()
        })
    }

    /// Adds instrument `id` (ids are added in order, from 0).
    fn push(&mut self, instrument: &Instrument, id: usize) {
        self.next.push(None);
        match self.first.get(instrument).copied() {
            None => {
                self.first.insert(instrument.clone(), id);
            }
            Some(first) => {
                let mut last = first;
                while let Some(next) = self.next.get(last).copied().flatten() {
                    last = next;
                }
                if let Some(slot) = self.next.get_mut(last) {
                    *slot = Some(id);
                }
            }
        }
    }
}

/// The instrument a record of `broker` joins: the one instrument of its identity that broker
/// does not list yet; or where there are several, or the broker itself lists the identity more
/// than once (`repeated`), the one with the record's exchange token.
fn join_target(
    canons: &[Canon],
    identities: &IdentityMap,
    record: &tt_core::DumpRecord,
    broker: &str,
    repeated: bool,
) -> Option<usize> {
    let open: Vec<usize> = identities
        .all(&record.instrument)
        .filter(|&i| canons.get(i).is_some_and(|c| !c.has(broker)))
        .collect();
    let by_token = || {
        open.iter().copied().find(|&i| {
            canons
                .get(i)
                .is_some_and(|c| c.has_exchange_token(&record.exchange_token))
        })
    };
    match open.as_slice() {
        [] => None,
        [only] if !repeated => Some(*only),
        _ => by_token(),
    }
}

/// The identities a load lists more than once.
fn repeated_identities(load: &BrokerLoad) -> FxHashSet<Instrument> {
    let mut seen: FxHashSet<&Instrument> =
        FxHashSet::with_capacity_and_hasher(load.records.len(), FxBuildHasher);
    load.records
        .iter()
        .filter(|r| !seen.insert(&r.instrument))
        .map(|r| r.instrument.clone())
        .collect()
}

/// Merges the brokers' records, in the order given.
pub(crate) fn merge(loads: &mut [BrokerLoad]) -> Merged {
    let total: usize = loads.iter().map(|l| l.records.len()).sum();
    let mut canons: Vec<Canon> = Vec::with_capacity(total);
    let mut tokens = TokenMap::with_capacity(total);
    let mut identities = IdentityMap::with_capacity(total);
    let mut stats = JoinStats::default();

    for load in loads.iter_mut() {
        let broker = load.broker;
        if load.duplicate_tokens > 0 {
            stats.duplicate_tokens.insert(broker, load.duplicate_tokens);
        }
        let repeated = repeated_identities(load);
        for record in load.records.drain(..) {
            let is_index = matches!(record.instrument, Instrument::Index(_));
            let segment = Segment::of(&record.instrument);
            if !is_index
                && let Some(i) = tokens.get(segment, &record.exchange_token)
                && let Some(other) = canons.get(i).filter(|c| !c.has(broker))
                && other.instrument != record.instrument
            {
                stats.conflicts += 1;
                example(&mut stats.conflict_examples, || {
                    let first = other.tokens.first().map_or("", |t| t.broker);
                    format!(
                        "{} token {}: {} on {first}, {} on {broker}",
                        segment.exchange,
                        record.exchange_token,
                        other.instrument,
                        record.instrument,
                    )
                });
            }
            let target = if is_index {
                // Indices join by name, and only when exactly one awaits this broker.
                let open: Vec<usize> = identities
                    .all(&record.instrument)
                    .filter(|&i| canons.get(i).is_some_and(|c| !c.has(broker)))
                    .collect();
                match open.as_slice() {
                    [only] => Some(*only),
                    _ => None,
                }
            } else {
                let repeats = repeated.contains(&record.instrument);
                join_target(&canons, &identities, &record, broker, repeats)
            };
            let entry = BrokerEntry {
                broker,
                token: record.token,
                exchange_token: record.exchange_token,
                contract: record.contract,
            };
            let id = match target.and_then(|i| canons.get_mut(i).map(|c| (i, c))) {
                Some((i, canon)) => {
                    if canon.tokens.len() == 1 {
                        stats.joined += 1;
                    }
                    if !is_index && !canon.has_exchange_token(&entry.exchange_token) {
                        stats.other_exchange_token += 1;
                        example(&mut stats.other_exchange_token_examples, || {
                            let others: Vec<String> = canon
                                .tokens
                                .iter()
                                .map(|t| format!("{} on {}", t.exchange_token, t.broker))
                                .collect();
                            format!(
                                "{}: {} on {broker}, {}",
                                canon.instrument,
                                entry.exchange_token,
                                others.join(", ")
                            )
                        });
                    }
                    if canon.tokens.iter().any(|t| {
                        t.contract.lot_size != entry.contract.lot_size
                            || t.contract.tick_size != entry.contract.tick_size
                    }) {
                        stats.spec_disagreements += 1;
                    }
                    if canon.isin.is_none() {
                        canon.isin = record.isin;
                    }
                    if canon.name.is_none() {
                        canon.name = record.name;
                    }
                    match (&canon.underlying, record.underlying) {
                        (None, stated_or_not) => canon.underlying = stated_or_not,
                        (Some(guess), Some(stated))
                            if guess.basis == UnderlyingBasis::Inferred
                                && stated.basis == UnderlyingBasis::Stated =>
                        {
                            if guess.spot != stated.spot {
                                stats.underlyings_corrected += 1;
                            }
                            canon.underlying = Some(stated);
                        }
                        _ => {}
                    }
                    canon.tokens.push(entry);
                    i
                }
                None => {
                    let id = canons.len();
                    identities.push(&record.instrument, id);
                    canons.push(Canon {
                        instrument: record.instrument,
                        name: record.name,
                        isin: record.isin,
                        underlying: record.underlying,
                        tokens: vec![entry],
                    });
                    id
                }
            };
            if !is_index && let Some(canon) = canons.get(id) {
                let exchange_token = canon.tokens.last().map(|t| t.exchange_token.as_str());
                if let Some(exchange_token) = exchange_token {
                    tokens.insert(segment, exchange_token, id);
                }
            }
        }
    }
    Merged { canons, stats }
}

/// Leaves out derivatives whose equity or index underlying is missing from the master although
/// a broker listing the derivative also listed that segment (so the spot should have been
/// there), then counts what each broker lists alone and twice.
///
/// # Errors
/// [`MasterError::MissingUnderlyings`] when more than `max_fraction` of the derivatives would
/// be left out: a sign of a partial dump, not of one new index.
pub(crate) fn finish(
    merged: &mut Merged,
    loads: &[BrokerLoad],
    max_fraction: f64,
) -> Result<(), MasterError> {
    let missing: Vec<bool> = {
        let present: FxHashSet<&Instrument> = merged
            .canons
            .iter()
            .filter(|c| !c.instrument.is_derivative())
            .map(|c| &c.instrument)
            .collect();
        let segments_of = |broker: &str| {
            loads
                .iter()
                .find(|l| l.broker == broker)
                .map(|l| &l.segments)
        };
        merged
            .canons
            .iter()
            .map(|canon| {
                canon.underlying.as_ref().is_some_and(|u| {
                    !present.contains(&u.spot)
                        && canon.tokens.iter().any(|t| {
                            segments_of(t.broker)
                                .is_some_and(|s| s.contains_key(&Segment::of(&u.spot)))
                        })
                })
            })
            .collect()
    };
    let count = missing.iter().filter(|&&m| m).count();
    let derivatives = merged
        .canons
        .iter()
        .filter(|c| c.instrument.is_derivative())
        .count();
    let mut examples = Vec::new();
    for (canon, _) in merged.canons.iter().zip(&missing).filter(|(_, m)| **m) {
        example(&mut examples, || match &canon.underlying {
            Some(u) => format!("{} -> {}", canon.instrument, u.spot),
            None => canon.instrument.to_string(),
        });
    }
    if count as f64 > max_fraction * derivatives as f64 {
        return Err(MasterError::MissingUnderlyings {
            count,
            derivatives,
            limit: max_fraction * 100.0,
            examples: examples.join(", "),
        });
    }
    if count > 0 {
        let mut flags = missing.into_iter();
        let stats = &mut merged.stats;
        merged.canons.retain(|canon| {
            let drop = flags.next().unwrap_or(false);
            if drop {
                for t in &canon.tokens {
                    *stats.without_underlying.entry(t.broker).or_default() += 1;
                }
            }
            !drop
        });
        stats.without_underlying_examples = examples;
    }

    let stats = &mut merged.stats;
    let mut listings: FxHashMap<(&Instrument, &'static str), u32> =
        FxHashMap::with_capacity_and_hasher(merged.canons.len(), FxBuildHasher);
    for canon in &merged.canons {
        if let [only] = canon.tokens.as_slice() {
            *stats.unmatched.entry(only.broker).or_default() += 1;
        }
        for t in &canon.tokens {
            *listings.entry((&canon.instrument, t.broker)).or_default() += 1;
        }
    }
    for ((_, broker), n) in listings {
        if n > 1 {
            *stats.ambiguous.entry(broker).or_default() += 1;
        }
    }
    Ok(())
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
                multiplier: None,
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
            last_modified: None,
            rows: records.len() as u64,
            records,
            ignored: Default::default(),
            malformed: Default::default(),
            malformed_rows: 0,
            first_malformed: None,
            segments,
            duplicate_tokens: 0,
            earliest_expiry: None,
            carried_over: None,
        }
    }

    fn merged(loads: &mut [BrokerLoad]) -> Merged {
        let mut merged = merge(loads);
        finish(&mut merged, loads, 0.01).unwrap();
        merged
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
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        assert_eq!(merged.canons[0].tokens.len(), 2);
        assert_eq!(merged.stats.joined, 1);
        assert_eq!(merged.stats.conflicts, 0);
        assert_eq!(merged.stats.other_exchange_token, 0);
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
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 2);
        assert_eq!(merged.stats.conflicts, 1);
        assert_eq!(merged.stats.joined, 0);
        assert_eq!(merged.stats.unmatched.get("zerodha"), Some(&1));
        assert_eq!(merged.stats.unmatched.get("upstox"), Some(&1));
        assert!(merged.stats.conflict_examples[0].contains("48216"));
    }

    #[test]
    fn the_same_contract_under_different_exchange_tokens_is_one_instrument_with_both_tokens() {
        let mut loads = [
            load(
                "zerodha",
                vec![record("NFO:NIFTY:2026-09-29:23000:CE", "73903", "18919170")],
            ),
            load(
                "upstox",
                vec![record(
                    "NFO:NIFTY:2026-09-29:23000:CE",
                    "65898",
                    "NSE_FO|65898",
                )],
            ),
        ];
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        let brokers: Vec<_> = merged.canons[0].tokens.iter().map(|t| t.broker).collect();
        assert_eq!(brokers, ["zerodha", "upstox"]);
        assert_eq!(merged.stats.joined, 1);
        assert_eq!(merged.stats.other_exchange_token, 1);
        assert!(
            merged.stats.other_exchange_token_examples[0]
                .contains("65898 on upstox, 73903 on zerodha"),
            "{:?}",
            merged.stats.other_exchange_token_examples
        );
        assert!(merged.stats.ambiguous.is_empty());
    }

    #[test]
    fn ambiguity_is_counted_per_broker_among_its_own_rows() {
        // Upstox lists one identity twice (two BSE debt rows); Kite's row joins the one with
        // its exchange token, and only Upstox has an ambiguity.
        let mut loads = [
            load("zerodha", vec![record("BSE:875PFL26", "2", "1")]),
            load(
                "upstox",
                vec![
                    record("BSE:875PFL26", "1", "BSE_EQ|INE1"),
                    record("BSE:875PFL26", "2", "BSE_EQ|INE2"),
                ],
            ),
        ];
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 2);
        let joined = merged.canons.iter().find(|c| c.tokens.len() == 2).unwrap();
        assert_eq!(joined.tokens[1].token.token, "BSE_EQ|INE2");
        assert_eq!(merged.stats.ambiguous.get("upstox"), Some(&1));
        assert_eq!(merged.stats.ambiguous.get("zerodha"), None);
    }

    #[test]
    fn index_tokens_never_shadow_an_equity_token() {
        // Kite numbers NIFTY 50 1001 on NSE; an NSE equity may carry exchange token 1001 too.
        let mut loads = [
            load(
                "zerodha",
                vec![
                    record("NSE:INDEX:NIFTY 50", "1001", "256265"),
                    record("NSE:ABC", "1001", "256257"),
                ],
            ),
            load("upstox", vec![record("NSE:ABC", "1001", "NSE_EQ|INE9")]),
        ];
        let merged = merged(&mut loads);
        assert_eq!(merged.stats.conflicts, 0, "{:?}", merged.stats);
        assert_eq!(merged.stats.joined, 1);
    }

    #[test]
    fn the_token_map_is_keyed_by_segment_not_exchange() {
        // A future and an option under one number are different segments (Kite's MCX-FUT and
        // MCX-OPT): no conflict.
        let mut loads = [
            load("zerodha", vec![record("MCX:GOLD:2026-12-05:FUT", "5", "1")]),
            load(
                "upstox",
                vec![record("MCX:GOLD:2026-12-05:100:CE", "5", "MCX_FO|5")],
            ),
        ];
        let merged = merged(&mut loads);
        assert_eq!(merged.stats.conflicts, 0, "{:?}", merged.stats);
        assert_eq!(merged.canons.len(), 2);
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
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        assert_eq!(merged.stats.joined, 1);
        assert_eq!(merged.stats.other_exchange_token, 0);
    }

    #[test]
    fn a_multiplier_stays_with_the_broker_that_states_it() {
        let kite = record("MCX:GOLD:2026-04-02:FUT", "454818", "454818");
        let mut upstox = record("MCX:GOLD:2026-04-02:FUT", "454818", "MCX_FO|454818");
        upstox.contract.multiplier = std::num::NonZeroU32::new(100);
        let mut loads = [load("zerodha", vec![kite]), load("upstox", vec![upstox])];
        let merged = merged(&mut loads);
        let multipliers: Vec<(&str, Option<u32>)> = merged.canons[0]
            .tokens
            .iter()
            .map(|t| (t.broker, t.contract.multiplier.map(|m| m.get())))
            .collect();
        assert_eq!(multipliers, [("zerodha", None), ("upstox", Some(100))]);
        // Only one broker stating a multiplier is not a disagreement in terms.
        assert_eq!(merged.stats.spec_disagreements, 0);
    }

    #[test]
    fn each_broker_keeps_its_own_lot_and_tick_size() {
        let mut a = record("NSE:KCK-ST", "10296", "1");
        a.contract.lot_size = 1;
        let mut b = record("NSE:KCK-ST", "10296", "NSE_EQ|K");
        b.contract.lot_size = 2500;
        b.contract.tick_size = "0.01".parse().unwrap();
        b.contract.freeze_quantity = Some(100_000);
        b.isin = Some("INE0J1E01027".into());
        let mut loads = [load("zerodha", vec![a]), load("upstox", vec![b])];
        let merged = merged(&mut loads);
        let canon = &merged.canons[0];
        let terms: Vec<(u32, String, Option<u32>)> = canon
            .tokens
            .iter()
            .map(|t| {
                (
                    t.contract.lot_size,
                    t.contract.tick_size.to_string(),
                    t.contract.freeze_quantity,
                )
            })
            .collect();
        assert_eq!(
            terms,
            [
                (1, "0.05".to_owned(), None),
                (2500, "0.01".to_owned(), Some(100_000))
            ]
        );
        assert_eq!(canon.isin.as_deref(), Some("INE0J1E01027"));
        assert_eq!(merged.stats.spec_disagreements, 1);
    }

    #[test]
    fn a_stated_underlying_wins_over_an_inferred_one() {
        let mut kite = record("NFO:NEWIDX:2026-12-29:FUT", "7", "7");
        kite.underlying = Some(Underlying::inferred("NSE:NEWIDX".parse().unwrap()));
        let mut upstox = record("NFO:NEWIDX:2026-12-29:FUT", "7", "NSE_FO|7");
        upstox.underlying = Some(Underlying::stated("NSE:INDEX:NIFTY NEW".parse().unwrap()));
        let mut loads = [
            load("zerodha", vec![kite]),
            load(
                "upstox",
                vec![
                    record("NSE:INDEX:NIFTY NEW", "99", "NSE_INDEX|Nifty New"),
                    upstox,
                ],
            ),
        ];
        let merged = merged(&mut loads);
        let future = merged
            .canons
            .iter()
            .find(|c| c.instrument.is_derivative())
            .unwrap();
        assert_eq!(
            future.underlying.as_ref().unwrap().spot.to_string(),
            "NSE:INDEX:NIFTY NEW"
        );
        assert_eq!(merged.stats.underlyings_corrected, 1);
        assert!(merged.stats.without_underlying.is_empty());
    }

    #[test]
    fn a_derivative_without_its_underlying_is_a_counted_drop_not_a_failed_build() {
        let mut option = record("NFO:XYZ:2026-12-29:100:CE", "5", "5");
        option.underlying = Some(Underlying::inferred("NSE:XYZ".parse().unwrap()));
        let mut records = vec![record("NSE:ABC", "1", "1"), option];
        for strike in 1..=200 {
            let mut other = record(&format!("NFO:ABC:2026-12-29:{strike}:CE"), "0", "0");
            other.exchange_token = format!("{}", 1000 + strike);
            other.token.token = format!("{}", 1000 + strike);
            other.underlying = Some(Underlying::inferred("NSE:ABC".parse().unwrap()));
            records.push(other);
        }
        let mut loads = [load("zerodha", records)];
        let merged = merged(&mut loads);
        assert_eq!(merged.stats.without_underlying.get("zerodha"), Some(&1));
        assert_eq!(
            merged.stats.without_underlying_examples,
            ["NFO:XYZ:2026-12-29:100:CE -> NSE:XYZ"]
        );
        assert!(
            merged
                .canons
                .iter()
                .all(|c| c.instrument.to_string() != "NFO:XYZ:2026-12-29:100:CE")
        );
    }

    #[test]
    fn too_many_derivatives_without_an_underlying_fail_the_build() {
        let mut option = record("NFO:XYZ:2026-12-29:100:CE", "5", "5");
        option.underlying = Some(Underlying::inferred("NSE:XYZ".parse().unwrap()));
        let mut loads = [load("zerodha", vec![record("NSE:ABC", "1", "1"), option])];
        let mut merged = merge(&mut loads);
        let error = finish(&mut merged, &loads, 0.01).unwrap_err();
        assert!(
            matches!(
                error,
                MasterError::MissingUnderlyings {
                    count: 1,
                    derivatives: 1,
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn missing_spots_are_looked_for_only_where_the_segment_was_listed() {
        let mut option = record("NFO:XYZ:2026-12-29:100:CE", "5", "5");
        option.underlying = Some(Underlying::inferred("NSE:XYZ".parse().unwrap()));
        // The dump has no NSE equities at all: nothing to check against, the option stays.
        let mut loads = [load("zerodha", vec![option])];
        let merged = merged(&mut loads);
        assert_eq!(merged.canons.len(), 1);
        assert!(merged.stats.without_underlying.is_empty());
    }
}
