//! The load report: what a build read, joined, left out and why.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use time::format_description::well_known::Rfc2822;
use time::{Date, OffsetDateTime};

use crate::load::{ReasonCounts, Segment};
use crate::merge::JoinStats;

/// What one broker's dump contributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerReport {
    /// The broker.
    pub broker: &'static str,
    /// Where the dump came from.
    pub source_name: String,
    /// The trading date (IST) the dump describes, by its contents.
    pub dump_date: Date,
    /// The source's `Last-Modified`, where it sent one.
    pub last_modified: Option<OffsetDateTime>,
    /// Why this broker's part is the previous master's, not a new dump's (its download or
    /// parse failed); `None` when the dump was read.
    pub carried_over: Option<String>,
    /// Rows read.
    pub rows: u64,
    /// Usable rows per segment.
    pub segments: BTreeMap<Segment, u64>,
    /// Rows of segments tt-connect does not trade, by reason.
    pub ignored: ReasonCounts,
    /// Rows that could not be parsed, by reason, with the first line of each.
    pub malformed: ReasonCounts,
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// The master written.
    pub path: PathBuf,
    /// Per broker, in load order.
    pub brokers: Vec<BrokerReport>,
    /// How the brokers' rows joined.
    pub joins: JoinStats,
    /// Canonical instruments in the master.
    pub instruments: u64,
    /// Wall time of the whole build, parse to swap.
    pub elapsed: Duration,
    /// Wall time of each stage.
    pub stages: Vec<(&'static str, Duration)>,
}

fn counts_total(counts: &ReasonCounts) -> u64 {
    counts.entries().map(|(_, n, _)| n).sum::<u64>() + counts.other()
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "built {} with {} instruments in {:.2} s",
            self.path.display(),
            self.instruments,
            self.elapsed.as_secs_f64()
        )?;
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(stage, took)| format!("{stage} {:.2} s", took.as_secs_f64()))
            .collect();
        writeln!(f, "  ({})", stages.join(", "))?;
        for broker in &self.brokers {
            let usable: u64 = broker.segments.values().sum();
            writeln!(
                f,
                "\n{}: {} ({}), {} rows read, {} usable, {} ignored, {} malformed",
                broker.broker,
                broker.source_name,
                broker.dump_date,
                broker.rows,
                usable,
                counts_total(&broker.ignored),
                counts_total(&broker.malformed),
            )?;
            if let Some(modified) = broker.last_modified.and_then(|t| t.format(&Rfc2822).ok()) {
                writeln!(f, "  last modified {modified}")?;
            }
            if let Some(reason) = &broker.carried_over {
                writeln!(f, "  kept from the previous master ({reason})")?;
            }
            for (segment, rows) in &broker.segments {
                writeln!(f, "  {:<20} {rows:>8}", segment.to_string())?;
            }
            for (label, counts) in [("ignored", &broker.ignored), ("skipped", &broker.malformed)] {
                for (reason, count, line) in counts.entries() {
                    writeln!(f, "  {label} {count:>7} × {reason} (first at line {line})")?;
                }
                if counts.other() > 0 {
                    writeln!(f, "  {label} {:>7} × other reasons", counts.other())?;
                }
            }
        }
        let joins = &self.joins;
        writeln!(f, "\njoined across brokers: {}", joins.joined)?;
        for (broker, n) in &joins.unmatched {
            writeln!(f, "only on {broker}: {n}")?;
        }
        writeln!(
            f,
            "same contract, different exchange token (joined): {}",
            joins.other_exchange_token
        )?;
        for example in &joins.other_exchange_token_examples {
            writeln!(f, "  e.g. {example}")?;
        }
        writeln!(
            f,
            "token conflicts (same exchange token, different contract; kept apart): {}",
            joins.conflicts
        )?;
        for example in &joins.conflict_examples {
            writeln!(f, "  e.g. {example}")?;
        }
        if joins.spec_disagreements > 0 {
            writeln!(
                f,
                "lot or tick size disagreements (each broker keeps its own): {}",
                joins.spec_disagreements
            )?;
        }
        if joins.underlyings_corrected > 0 {
            writeln!(
                f,
                "inferred underlyings replaced by a broker's stated one: {}",
                joins.underlyings_corrected
            )?;
        }
        for (broker, n) in &joins.without_underlying {
            writeln!(
                f,
                "derivatives left out on {broker}, underlying not in the master: {n}"
            )?;
        }
        for example in &joins.without_underlying_examples {
            writeln!(f, "  e.g. {example}")?;
        }
        for (broker, n) in &joins.duplicate_tokens {
            writeln!(f, "duplicate tokens on {broker} (left out): {n}")?;
        }
        let ambiguous: Vec<String> = joins
            .ambiguous
            .iter()
            .map(|(broker, n)| format!("{n} on {broker}"))
            .collect();
        write!(
            f,
            "identities a broker lists more than once (ambiguous to resolve for it): {}",
            if ambiguous.is_empty() {
                "0".to_owned()
            } else {
                ambiguous.join(", ")
            }
        )
    }
}
