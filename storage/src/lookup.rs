//! Transaction lookups (`TxLookup`: hash → block number, index), written in batches.
//!
//! Transaction hashes are random keys, so inserting one block's hashes into `TxLookup`
//! dirties a page of the table per transaction, up to every leaf page, and the pages a
//! commit writes grow with the table: with one insert per transaction per block, the
//! commit of a block of 10,000 transfers grew from 20 to 107 ms over 30 blocks, and
//! stayed at about 30 ms without these inserts (`block_phases`, docs/performance.md).
//!
//! So the lookups of recent blocks are kept in memory ([`RecentLookups`]) and written
//! to the table together, sorted, after the commit of the block that brings them to
//! [`DatabaseConfig::lookup_batch_txs`](crate::DatabaseConfig::lookup_batch_txs)
//! transactions or
//! [`DatabaseConfig::lookup_batch_blocks`](crate::DatabaseConfig::lookup_batch_blocks)
//! blocks: each page is then written once per batch instead of once per block. The
//! batch is written by a thread of its own in a write transaction after the block's
//! (`Database::write_lookups_behind`), so the block is committed and visible without
//! waiting for it: written inside the block's commit, a batch of 65,536 lookups added
//! about 70 ms to that one block's commit (against about 10 ms for a block of 5,000
//! transfers), the outliers of the wallets benchmark (docs/performance.md). `Meta`
//! `"tx_lookup_head"` records the last block whose transactions are in the table, in the
//! same write transaction, so a restarted node rebuilds the rest from the block bodies
//! (the hash of a transaction is the keccak of its stored envelope), as Bitcoin Core's
//! transaction index catches up behind the chain tip.
//!
//! Readers lock the recent lookups before they open their read transaction, and the
//! writer removes written lookups only after its commit; a reader therefore finds every
//! committed transaction in one of the two (see [`crate::Database::tx_location`]).

use alloy_primitives::{B256, map::HashMap};

/// The lookups of the blocks after the last one written to `TxLookup`.
#[derive(Debug, Default)]
pub(crate) struct RecentLookups {
    /// The last block whose lookups are in `TxLookup` (`None`: no block committed yet).
    pub(crate) written: Option<u64>,
    /// Hash → (block number, index) of every transaction of the later blocks committed
    /// (and, during a commit, of the block being committed).
    map: HashMap<B256, (u64, u32)>,
}

impl RecentLookups {
    /// Starts from `written`, the lookup head read from `Meta`.
    pub(crate) fn new(written: Option<u64>) -> Self {
        Self {
            written,
            map: HashMap::default(),
        }
    }

    /// How many transactions are held.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Where `hash` is, among the lookups held.
    pub(crate) fn get(&self, hash: &B256) -> Option<(u64, u32)> {
        self.map.get(hash).copied()
    }

    /// Whether committing block `number` with `txs` transactions should write every lookup
    /// held to the table.
    pub(crate) fn should_write(
        &self,
        number: u64,
        txs: usize,
        batch_txs: usize,
        batch_blocks: u64,
    ) -> bool {
        match self.written {
            None => true,
            Some(written) => {
                self.map.len() + txs >= batch_txs || number.saturating_sub(written) >= batch_blocks
            }
        }
    }

    /// Adds the lookups of block `number`.
    pub(crate) fn add_block(&mut self, number: u64, hashes: &[B256]) {
        self.map.reserve(hashes.len());
        for (index, hash) in hashes.iter().enumerate() {
            // Block transactions are at most u32::MAX (checked before a commit).
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            self.map.insert(*hash, (number, index));
        }
    }

    /// Removes the lookups of every block above `number`.
    pub(crate) fn remove_above(&mut self, number: u64) {
        self.map.retain(|_, (n, _)| *n <= number);
    }

    /// After the blocks above `keep` were removed (their written lookups deleted from the
    /// table): drops their lookups held here, and the lookup head comes down to `keep`.
    pub(crate) fn unwind_to(&mut self, keep: u64) {
        self.remove_above(keep);
        self.written = self.written.map(|w| w.min(keep));
    }

    /// Every lookup held of blocks up to `number`, sorted by hash (the order that visits
    /// each page of the table once).
    pub(crate) fn sorted_up_to(&self, number: u64) -> Vec<(B256, (u64, u32))> {
        let mut all: Vec<(B256, (u64, u32))> = self
            .map
            .iter()
            .filter(|(_, (n, _))| *n <= number)
            .map(|(h, l)| (*h, *l))
            .collect();
        all.sort_unstable_by_key(|(h, _)| *h);
        all
    }

    /// Records that every lookup of blocks up to `number` is in the table (committed),
    /// and drops them.
    pub(crate) fn written_up_to(&mut self, number: u64) {
        self.map.retain(|_, (n, _)| *n > number);
        self.written = Some(number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_by_transactions_and_by_blocks() {
        let mut r = RecentLookups::new(None);
        assert!(r.should_write(0, 0, 10, 4), "the first commit writes");
        r.written_up_to(0);
        assert!(!r.should_write(1, 9, 10, 4));
        assert!(r.should_write(1, 10, 10, 4));
        r.add_block(1, &[B256::repeat_byte(1), B256::repeat_byte(2)]);
        assert!(!r.should_write(2, 7, 10, 4));
        assert!(r.should_write(2, 8, 10, 4));
        assert!(
            r.should_write(4, 0, 10, 4),
            "four blocks after the last write"
        );
        r.add_block(2, &[B256::repeat_byte(0)]);
        assert_eq!(
            r.sorted_up_to(2),
            vec![
                (B256::repeat_byte(0), (2, 0)),
                (B256::repeat_byte(1), (1, 0)),
                (B256::repeat_byte(2), (1, 1)),
            ]
        );
        assert_eq!(r.sorted_up_to(1).len(), 2);
        r.remove_above(1);
        assert_eq!(r.get(&B256::repeat_byte(0)), None);
        assert_eq!(r.get(&B256::repeat_byte(2)), Some((1, 1)));
        r.written_up_to(1);
        assert_eq!((r.len(), r.written), (0, Some(1)));
        r.add_block(2, &[B256::repeat_byte(3)]);
        r.unwind_to(0);
        assert_eq!((r.len(), r.written), (0, Some(0)));
        r.unwind_to(5);
        assert_eq!(r.written, Some(0), "unwinding above the head keeps it");
    }
}
