//! Collections that remember what changed since they were last saved, so the state store writes
//! the rows a request touched and never the whole book.
//!
//! Reading goes through `Deref` to a slice; every change goes through a method that notes the
//! key of the row it changed. The notes stay until [`Rows::mark_saved`], which the simulator
//! calls only once the store has committed them: a failed write keeps them for the next one.

use std::collections::{BTreeSet, HashMap};
use std::ops::Deref;

/// A record stored as one row, under a key that never changes while the record lives.
pub(crate) trait Keyed {
    /// The row's key (an order id, a trade id, `instrument/product`, ...).
    fn key(&self) -> String;
}

/// Records in their order, each with the sequence number it is stored under (which keeps that
/// order across a restart), and the keys changed and removed since the last save.
#[derive(Debug, Clone)]
pub(crate) struct Rows<T> {
    rows: Vec<T>,
    seqs: Vec<u64>,
    index: HashMap<String, usize>,
    next_seq: u64,
    changed: BTreeSet<String>,
    removed: BTreeSet<String>,
    /// Built afresh rather than read back: it replaces whatever the store holds.
    replaces: bool,
}

impl<T> Deref for Rows<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.rows
    }
}

impl<T: Keyed> Rows<T> {
    /// An empty collection that replaces what the store holds when it is next saved.
    pub(crate) fn fresh() -> Rows<T> {
        Rows {
            rows: Vec::new(),
            seqs: Vec::new(),
            index: HashMap::new(),
            next_seq: 0,
            changed: BTreeSet::new(),
            removed: BTreeSet::new(),
            replaces: true,
        }
    }

    /// The rows the store holds, as `(seq, record)` in `seq` order; nothing to save yet.
    pub(crate) fn restored(stored: Vec<(u64, T)>) -> Rows<T> {
        let mut rows = Rows::fresh();
        rows.replaces = false;
        for (seq, record) in stored {
            rows.next_seq = rows.next_seq.max(seq + 1);
            rows.index.insert(record.key(), rows.rows.len());
            rows.rows.push(record);
            rows.seqs.push(seq);
        }
        rows
    }

    /// The position of the record with `key`.
    pub(crate) fn position_of(&self, key: &str) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// The record with `key`.
    pub(crate) fn by_key(&self, key: &str) -> Option<&T> {
        self.position_of(key).and_then(|i| self.rows.get(i))
    }

    /// The record at `index`, to change: its key is noted as changed.
    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let row = self.rows.get_mut(index)?;
        self.changed.insert(row.key());
        Some(row)
    }

    /// Adds a record at the end; returns its position.
    pub(crate) fn push(&mut self, record: T) -> usize {
        let key = record.key();
        let position = self.rows.len();
        self.removed.remove(&key);
        self.changed.insert(key.clone());
        self.index.insert(key, position);
        self.rows.push(record);
        self.seqs.push(self.next_seq);
        self.next_seq += 1;
        position
    }

    /// Removes the record at `index`.
    pub(crate) fn remove(&mut self, index: usize) -> Option<T> {
        if index >= self.rows.len() {
            return None;
        }
        let record = self.rows.remove(index);
        self.seqs.remove(index);
        self.forget(record.key());
        self.reindex();
        Some(record)
    }

    /// Keeps only the records `keep` accepts.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut gone = Vec::new();
        let mut kept_seqs = Vec::with_capacity(self.seqs.len());
        let mut kept = Vec::with_capacity(self.rows.len());
        for (record, seq) in self.rows.drain(..).zip(self.seqs.drain(..)) {
            if keep(&record) {
                kept.push(record);
                kept_seqs.push(seq);
            } else {
                gone.push(record.key());
            }
        }
        self.rows = kept;
        self.seqs = kept_seqs;
        if !gone.is_empty() {
            for key in gone {
                self.forget(key);
            }
            self.reindex();
        }
    }

    fn forget(&mut self, key: String) {
        self.changed.remove(&key);
        self.removed.insert(key);
    }

    fn reindex(&mut self) {
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, record)| (record.key(), i))
            .collect();
    }

    /// True when the store holds something this collection no longer agrees with.
    pub(crate) fn has_changes(&self) -> bool {
        self.replaces || !self.changed.is_empty() || !self.removed.is_empty()
    }

    /// True when every stored row must go before the changed ones are written.
    pub(crate) fn replaces(&self) -> bool {
        self.replaces
    }

    /// The records changed or added since the last save, with their keys and sequence numbers.
    pub(crate) fn changed(&self) -> impl Iterator<Item = (&str, u64, &T)> {
        self.changed.iter().filter_map(|key| {
            let index = self.position_of(key)?;
            Some((key.as_str(), *self.seqs.get(index)?, self.rows.get(index)?))
        })
    }

    /// The keys of the records removed since the last save.
    pub(crate) fn removed(&self) -> impl Iterator<Item = &str> {
        self.removed.iter().map(String::as_str)
    }

    /// The store has every change: nothing is pending any more.
    pub(crate) fn mark_saved(&mut self) {
        self.changed.clear();
        self.removed.clear();
        self.replaces = false;
    }
}

/// One value stored as one row, with a note of whether it changed since the last save.
#[derive(Debug, Clone)]
pub(crate) struct Tracked<T> {
    value: T,
    changed: bool,
}

impl<T> Deref for Tracked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Tracked<T> {
    /// A value not yet stored.
    pub(crate) fn fresh(value: T) -> Tracked<T> {
        Tracked {
            value,
            changed: true,
        }
    }

    /// The stored value.
    pub(crate) fn restored(value: T) -> Tracked<T> {
        Tracked {
            value,
            changed: false,
        }
    }

    /// The value, to change: it is noted as changed.
    pub(crate) fn edit(&mut self) -> &mut T {
        self.changed = true;
        &mut self.value
    }

    /// True when the stored value is out of date.
    pub(crate) fn has_changes(&self) -> bool {
        self.changed
    }

    /// The store has the value.
    pub(crate) fn mark_saved(&mut self) {
        self.changed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Keyed for (&'static str, u32) {
        fn key(&self) -> String {
            self.0.to_owned()
        }
    }

    fn changed(rows: &Rows<(&'static str, u32)>) -> Vec<(String, u64, u32)> {
        rows.changed()
            .map(|(k, seq, r)| (k.to_owned(), seq, r.1))
            .collect()
    }

    #[test]
    fn only_the_rows_touched_since_the_last_save_are_pending() {
        let mut rows = Rows::restored(vec![(0, ("a", 1)), (4, ("b", 2))]);
        assert!(!rows.has_changes());
        if let Some(row) = rows.get_mut(1) {
            row.1 = 3;
        }
        rows.push(("c", 5));
        assert_eq!(
            changed(&rows),
            [("b".to_owned(), 4, 3), ("c".to_owned(), 5, 5)]
        );
        rows.mark_saved();
        assert!(!rows.has_changes());
        rows.remove(0);
        assert_eq!(rows.removed().collect::<Vec<_>>(), ["a"]);
        assert_eq!(rows.by_key("c").map(|r| r.1), Some(5));
        rows.push(("a", 9));
        assert_eq!(rows.removed().count(), 0);
        assert_eq!(changed(&rows), [("a".to_owned(), 6, 9)]);
    }

    #[test]
    fn retain_notes_what_it_drops_and_a_fresh_collection_replaces_the_store() {
        let mut rows = Rows::fresh();
        assert!(rows.replaces());
        rows.push(("a", 1));
        rows.push(("b", 2));
        rows.mark_saved();
        rows.retain(|r| r.1 > 1);
        assert_eq!(rows.removed().collect::<Vec<_>>(), ["a"]);
        assert_eq!(rows.position_of("b"), Some(0));
        assert!(!rows.replaces());
    }
}
