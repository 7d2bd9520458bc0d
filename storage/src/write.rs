//! [`Database::commit_block`]: one MDBX write transaction per block.

use crate::{
    BlockToCommit, Database, StorageError, StorageResult, Table,
    block::{encode_body, encode_header, encode_receipts, encode_settlement},
    codec::{
        META_COMMITMENT, META_HEAD, META_TX_LOOKUP_HEAD, balance_key, encode_account, encode_coin,
        encode_head, encode_supply, encode_tx_location, encode_u256, history_key, history_value,
        outpoint_key, owner_coin_key, storage_key,
    },
    db::{Inner, read_head},
    tables::Tables,
};
use alloy_primitives::B256;
use bytom2_utxo::StateChanges;
use signet_libmdbx::{MdbxError, Rw, TxUnsync, WriteFlags};
use std::sync::{Arc, atomic::Ordering};

// === impl Database ===

impl Database {
    /// Writes block `block` in one MDBX write transaction: its state changes (outputs and
    /// their owner index, balances, accounts, storage, supply, code), the change-set
    /// (history) entries of block `header.number`, the header, hash → number, body,
    /// receipts, and the new head and commitment. Either all of it is committed or none.
    /// The block's transaction lookups are held in memory and written to the table with
    /// those of the blocks before it once they make a batch, in a write transaction of
    /// their own after this one (module `lookup`).
    ///
    /// Fails with [`StorageError::NotNextBlock`] unless `header.number` is `head + 1`
    /// and `header.parent_hash` the head's hash (or, on an empty database, the number is
    /// 0), with [`StorageError::InvalidBlock`] if the lists are not parallel or the hash
    /// is not the header's, and with [`StorageError::Inconsistent`] if the changes do
    /// not match the stored state (an output created where one exists, an entry removed
    /// that is not there with its `old` value). Outputs are checked fully; for the
    /// other maps only removals are (a check on every update would cost a read each).
    ///
    /// Change sets are not written for block 0: nothing can be read before it.
    pub fn commit_block(&self, block: &BlockToCommit<'_>) -> StorageResult<()> {
        block.check()?;
        let number = block.header.number;
        let started = std::time::Instant::now();
        let txn = self.inner.env.begin_rw_unsync()?;
        let tables = &self.inner.tables;

        let head = read_head(&txn, tables)?;
        let (expected_number, expected_parent) = match head {
            None => (0, None),
            Some((n, h)) => (n.saturating_add(1), Some(h)),
        };
        if number != expected_number
            || expected_parent.is_some_and(|p| p != block.header.parent_hash)
        {
            return Err(StorageError::NotNextBlock {
                number,
                parent_hash: block.header.parent_hash,
                expected_number,
                expected_parent,
            });
        }

        let mut w = Writer::new(&txn, tables, number, number > 0);
        w.write_state(block.changes)?;
        w.write_block(block)?;

        // Transaction lookups: held in memory from before this commit (readers only see
        // those of blocks their snapshot has), written to the table in batches after
        // it, off the block's commit (module `lookup`).
        let (batch_txs, batch_blocks) = self.inner.lookup_batch;
        let due = {
            let mut recent = self.inner.lookups.write();
            let due = recent.should_write(number, block.tx_hashes.len(), batch_txs, batch_blocks);
            recent.add_block(number, block.tx_hashes);
            due
        };
        let result = (|| {
            let meta = tables.get(Table::Meta);
            txn.put(
                meta,
                META_HEAD,
                encode_head(number, &block.hash),
                WriteFlags::empty(),
            )?;
            txn.put(
                meta,
                META_COMMITMENT,
                block.commitment.to_bytes(),
                WriteFlags::empty(),
            )?;
            let puts = started.elapsed();
            let latency = txn.commit_with_latency()?;
            StorageResult::Ok((puts, latency))
        })();
        let (puts, latency) = match result {
            Ok(timing) => timing,
            Err(e) => {
                self.inner
                    .lookups
                    .write()
                    .remove_above(number.saturating_sub(1));
                return Err(e);
            }
        };
        self.bump_generation();
        if due {
            self.write_lookups_behind(number);
        }

        // Where a commit's time goes (MDBX's own measure of its phases): a slow commit is
        // told apart as slow page writes, a slow fsync or GC work (free-page reuse, which
        // long read transactions hold back).
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            target: "storage",
            number,
            hash = %block.hash,
            txs = block.transactions.len(),
            changes = block.changes.len(),
            puts_ms = ms(puts),
            prepare_ms = ms(latency.preparation()),
            gc_ms = ms(latency.gc_wallclock()),
            write_ms = ms(latency.write()),
            sync_ms = ms(latency.sync()),
            commit_ms = ms(latency.whole()),
            "committed block"
        );
        Ok(())
    }
}

impl Database {
    /// Writes the lookups held of blocks up to the head (block `number`, which made a
    /// batch due, or later) to `TxLookup` on a thread of its own, in a write transaction
    /// after the block's (module `lookup`): the block's commit, and so its visibility,
    /// does not wait for a batch of up to [`crate::DatabaseConfig::lookup_batch_txs`]
    /// inserts. A block committed meanwhile
    /// waits for MDBX's write lock only if the batch is still being written. At most one
    /// batch at a time; a batch that fails leaves the lookups held, for the next one.
    pub(crate) fn write_lookups_behind(&self, number: u64) {
        if self.inner.lookup_busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = Arc::downgrade(&self.inner);
        let gate = self.lookup_gate.clone();
        let spawned = std::thread::Builder::new()
            .name("bytom2-txlookup".into())
            .spawn(move || {
                let _gate = gate.lock();
                // The handles are gone (closing): the lookups are rebuilt at the next open.
                let Some(inner) = inner.upgrade() else { return };
                if let Err(e) = write_lookup_batch(&inner) {
                    tracing::warn!(target: "storage", number, error = %e, "writing transaction lookups failed; kept in memory");
                }
                inner.lookup_busy.store(false, Ordering::Release);
                // `inner` is dropped before the gate: see `Database::drop`.
                drop(inner);
            });
        if let Err(e) = spawned {
            self.inner.lookup_busy.store(false, Ordering::Release);
            tracing::warn!(target: "storage", error = %e, "cannot start the lookup writer; lookups kept in memory");
        }
    }
}

/// Writes every lookup held of blocks up to the head (as of its write transaction: the
/// block that made the batch due and any committed since, so a batch that was not
/// started because another was running is covered too) to `TxLookup`, sorted, with the
/// lookup head, in one write transaction; then drops them from memory. Callers hold
/// the lookup gate.
fn write_lookup_batch(inner: &Inner) -> StorageResult<()> {
    let started = std::time::Instant::now();
    let txn = inner.env.begin_rw_unsync()?;
    let Some((up_to, _)) = read_head(&txn, &inner.tables)? else {
        return Ok(());
    };
    let sorted = {
        let recent = inner.lookups.read();
        if recent.written.is_some_and(|w| w >= up_to) {
            return Ok(());
        }
        recent.sorted_up_to(up_to)
    };
    Writer::new(&txn, &inner.tables, up_to, false).write_lookups(&sorted)?;
    txn.commit()?;
    inner.lookups.write().written_up_to(up_to);
    tracing::debug!(
        target: "storage",
        up_to,
        lookups = sorted.len(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "wrote transaction lookups"
    );
    Ok(())
}

/// The state of one block commit: the write transaction and reusable buffers.
pub(crate) struct Writer<'a> {
    txn: &'a TxUnsync<Rw>,
    tables: &'a Tables,
    number: u64,
    /// Whether to write change-set entries (not for block 0).
    history: bool,
    /// Whether a change-set entry already written for `number` is kept (development
    /// edits of the head's state merge into the head block's change set).
    merge: bool,
    key: Vec<u8>,
    value: Vec<u8>,
}

impl<'a> Writer<'a> {
    /// A writer of state changes attributed to block `number`, writing change-set
    /// entries if `history`.
    pub(crate) fn new(
        txn: &'a TxUnsync<Rw>,
        tables: &'a Tables,
        number: u64,
        history: bool,
    ) -> Self {
        Self {
            txn,
            tables,
            number,
            history,
            merge: false,
            key: Vec::with_capacity(128),
            value: Vec::with_capacity(256),
        }
    }

    /// Keeps change-set entries already written for the block (see [`Writer::merge`]).
    pub(crate) fn merging(mut self) -> Self {
        self.merge = true;
        self
    }

    fn put(&self, table: Table, key: &[u8], value: &[u8]) -> StorageResult<()> {
        self.txn
            .put(self.tables.get(table), key, value, WriteFlags::empty())?;
        Ok(())
    }

    /// Deletes `key` holding exactly `old`; an error if it is not there.
    fn del_exact(&self, table: Table, key: &[u8], old: &[u8]) -> StorageResult<()> {
        if self.txn.del(self.tables.get(table), key, Some(old))? {
            Ok(())
        } else {
            Err(StorageError::Inconsistent(format!(
                "{}: removed entry {} is not stored with its old value",
                table.name(),
                alloy_primitives::hex::encode(key)
            )))
        }
    }

    /// Writes the change-set entry `key | number` → old value.
    fn history(&mut self, table: Table, key: &[u8], old: Option<&[u8]>) -> StorageResult<()> {
        if !self.history {
            return Ok(());
        }
        history_key(&mut self.key, key, self.number);
        history_value(&mut self.value, old);
        let flags = if self.merge {
            WriteFlags::NO_OVERWRITE
        } else {
            WriteFlags::empty()
        };
        match self
            .txn
            .put(self.tables.get(table), &self.key, &self.value, flags)
        {
            Ok(()) | Err(MdbxError::KeyExist) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Sets (`Some`) or removes (`None`) an entry whose old value is `old`.
    fn set(
        &mut self,
        table: Table,
        history: Table,
        key: &[u8],
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> StorageResult<()> {
        match (old, new) {
            (Some(old), None) => self.del_exact(table, key, old)?,
            (_, Some(new)) => self.put(table, key, new)?,
            (None, None) => {}
        }
        self.history(history, key, old)
    }

    pub(crate) fn write_state(&mut self, changes: &StateChanges) -> StorageResult<()> {
        for c in &changes.coins {
            let key = outpoint_key(&c.key);
            let old = c.old.as_ref().map(encode_coin);
            if let Some(old_coin) = &c.old {
                self.del_exact(Table::Coins, &key, &old.expect("set above"))?;
                self.del_exact(Table::OwnerCoins, &owner_coin_key(&c.key, old_coin), &[])?;
            }
            if let Some(new) = &c.new {
                let flags = WriteFlags::NO_OVERWRITE;
                match self
                    .txn
                    .put(self.tables.get(Table::Coins), key, encode_coin(new), flags)
                {
                    Ok(()) => {}
                    Err(MdbxError::KeyExist) => {
                        return Err(StorageError::Inconsistent(format!(
                            "created output {} already exists",
                            c.key
                        )));
                    }
                    Err(e) => return Err(e.into()),
                }
                self.put(Table::OwnerCoins, &owner_coin_key(&c.key, new), &[])?;
            }
            self.history(Table::CoinsHistory, &key, old.as_ref().map(|o| &o[..]))?;
        }
        for c in &changes.balances {
            let key = balance_key(&c.key.0, &c.key.1);
            let old = (!c.old.is_zero()).then(|| encode_u256(&c.old));
            let new = (!c.new.is_zero()).then(|| encode_u256(&c.new));
            self.set(
                Table::Balances,
                Table::BalancesHistory,
                &key,
                opt(&old),
                opt(&new),
            )?;
        }
        for c in &changes.accounts {
            let key = c.key.0.0;
            let old = c.old.as_ref().map(encode_account);
            let new = c.new.as_ref().map(encode_account);
            self.set(
                Table::Accounts,
                Table::AccountsHistory,
                &key,
                opt(&old),
                opt(&new),
            )?;
        }
        for c in &changes.storage {
            let key = storage_key(&c.key.0, &c.key.1);
            let old = (!c.old.is_zero()).then(|| encode_u256(&c.old));
            let new = (!c.new.is_zero()).then(|| encode_u256(&c.new));
            self.set(
                Table::Storage,
                Table::StorageHistory,
                &key,
                opt(&old),
                opt(&new),
            )?;
        }
        for c in &changes.supply {
            let key = c.key.0.0;
            let old = (!c.old.is_zero()).then(|| encode_supply(&c.old));
            let new = (!c.new.is_zero()).then(|| encode_supply(&c.new));
            self.set(
                Table::Supply,
                Table::SupplyHistory,
                &key,
                old.as_deref(),
                new.as_deref(),
            )?;
        }
        let code = self.tables.get(Table::Code);
        for (hash, bytes) in &changes.code {
            // Content-addressed: an existing entry is already right.
            match self.txn.put(code, hash, bytes, WriteFlags::NO_OVERWRITE) {
                Ok(()) | Err(MdbxError::KeyExist) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn write_block(&mut self, block: &BlockToCommit<'_>) -> StorageResult<()> {
        let number = self.number.to_be_bytes();
        let mut buf = std::mem::take(&mut self.value);
        encode_header(&mut buf, block.header);
        self.put(Table::Headers, &number, &buf)?;
        self.put(Table::HeaderNumbers, block.hash.as_slice(), &number)?;
        encode_body(&mut buf, block.transactions, block.senders);
        self.put(Table::Bodies, &number, &buf)?;
        encode_receipts(&mut buf, block.receipts);
        self.put(Table::Receipts, &number, &buf)?;
        if let Some(settlement) = block.settlement
            && (!settlement.spent.is_empty() || !settlement.created.is_empty())
        {
            encode_settlement(&mut buf, settlement);
            self.put(Table::Settlements, &number, &buf)?;
        }
        if let Some(certificate) = block.certificate {
            self.put(Table::Finalizations, &number, certificate)?;
        }
        self.value = buf;
        Ok(())
    }

    /// Writes `lookups` (sorted by hash: random keys inserted in key order visit each
    /// page of the table once) to `TxLookup`, and `Meta` `"tx_lookup_head"`.
    pub(crate) fn write_lookups(&mut self, lookups: &[(B256, (u64, u32))]) -> StorageResult<()> {
        let table = self.tables.get(Table::TxLookup);
        for (hash, (number, index)) in lookups {
            let location = encode_tx_location(*number, *index);
            self.txn.put(table, hash, location, WriteFlags::empty())?;
        }
        self.txn.put(
            self.tables.get(Table::Meta),
            META_TX_LOOKUP_HEAD,
            self.number.to_be_bytes(),
            WriteFlags::empty(),
        )?;
        Ok(())
    }
}

fn opt<const N: usize>(v: &Option<[u8; N]>) -> Option<&[u8]> {
    v.as_ref().map(|v| &v[..])
}

#[cfg(test)]
mod tests {
    use crate::{BlockToCommit, Database, DatabaseConfig};
    use alloy_consensus::Header;
    use alloy_primitives::{Address, B256, Bytes, keccak256};
    use bytom2_utxo::{LtHash, StateChanges, StoredReceipt};
    use std::time::{Duration, Instant};

    /// Commits the next block (no state changes) with `count` transactions.
    fn commit(db: &Database, count: u8) -> Vec<B256> {
        let (number, parent_hash) = match db.head().unwrap() {
            None => (0, B256::ZERO),
            Some((n, h)) => (n + 1, h),
        };
        let commitment = LtHash::default();
        let header = Header {
            number,
            parent_hash,
            state_root: commitment.root(),
            ..Default::default()
        };
        let txs: Vec<Bytes> = (0..count)
            .map(|i| Bytes::from(vec![2, i, number as u8]))
            .collect();
        let hashes: Vec<B256> = txs.iter().map(keccak256).collect();
        let receipts: Vec<StoredReceipt> = (0..count)
            .map(|_| StoredReceipt {
                tx_type: 2,
                success: true,
                cumulative_gas_used: 21_000,
                logs: Vec::new(),
                native_fee: None,
            })
            .collect();
        db.commit_block(&BlockToCommit {
            header: &header,
            hash: header.hash_slow(),
            transactions: &txs,
            tx_hashes: &hashes,
            senders: &vec![Address::ZERO; count as usize],
            receipts: &receipts,
            changes: &StateChanges::default(),
            commitment: &commitment,
            settlement: None,
            certificate: None,
        })
        .unwrap();
        hashes
    }

    #[test]
    fn lookup_batches_are_written_after_the_block_commit_not_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = DatabaseConfig {
            durable: false,
            lookup_batch_txs: 4,
            lookup_batch_blocks: 100,
            ..Default::default()
        };
        let db = Database::open_with(dir.path(), &config).unwrap();
        commit(&db, 0);
        // Let the genesis batch finish, then hold the writer back.
        let deadline = Instant::now() + Duration::from_secs(10);
        while db.inner.lookups.read().written.is_none() {
            assert!(
                Instant::now() < deadline,
                "the genesis batch was not written"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let gate = db.lookup_gate.lock();
        let written = db.inner.lookups.read().written;
        // Blocks 1 and 2 make a batch due; their commits do not wait for it.
        let mut blocks = vec![commit(&db, 3), commit(&db, 3)];
        assert_eq!(db.inner.lookups.read().written, written, "not written yet");
        for (n, hashes) in blocks.iter().enumerate() {
            for (i, h) in hashes.iter().enumerate() {
                assert_eq!(db.tx_location(*h).unwrap(), Some((n as u64 + 1, i as u32)));
            }
        }
        drop(gate);
        let deadline = Instant::now() + Duration::from_secs(10);
        while db.inner.lookups.read().written < Some(2) {
            assert!(Instant::now() < deadline, "the batch was not written");
            std::thread::sleep(Duration::from_millis(5));
        }
        blocks.push(commit(&db, 1));
        assert_eq!(
            db.inner.lookups.read().len(),
            1,
            "only block 3's lookup is held"
        );
        for (n, hashes) in blocks.iter().enumerate() {
            for (i, h) in hashes.iter().enumerate() {
                assert_eq!(db.tx_location(*h).unwrap(), Some((n as u64 + 1, i as u32)));
            }
        }
        // A reopen right after the last handle is dropped finds the directory free.
        drop(db);
        let db = Database::open_with(dir.path(), &config).unwrap();
        assert_eq!(db.tx_location(blocks[2][0]).unwrap(), Some((3, 0)));
    }
}
