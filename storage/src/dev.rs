//! Development-node operations on stored state: editing the head's state in place
//! ([`Database::apply_dev_changes`], for `anvil_setBalance` and friends) and removing
//! blocks from the top ([`Database::unwind_to`] for `evm_revert`,
//! [`Database::reset_to_genesis`] for `anvil_reset`).
//!
//! An edit of the head's state is attributed to the head block: its change-set entries
//! are written under the head's number unless the block already wrote one for the key
//! (that entry holds the value before the block, which stays right). Reading the state
//! of an earlier block is therefore unaffected, the head's state shows the edit, and
//! unwinding to an earlier block undoes it. The head's header keeps its `stateRoot`
//! (as on anvil, whose state edits leave the head's header alone); the stored
//! commitment follows the edit, so the next block's `stateRoot` covers it.
//!
//! Edits of genesis' state are recorded under block 0 (which has no change set of its
//! own), so [`Database::reset_to_genesis`] undoes them too.

use crate::{
    Database, StorageError, StorageResult, Table,
    block::{decode_body, decode_header},
    codec::{
        META_COMMITMENT, META_HEAD, META_TX_LOOKUP_HEAD, decode_account, decode_coin,
        decode_history_value, decode_outpoint, decode_supply, decode_u256, encode_head,
    },
    db::{get, read_head},
    tables::Tables,
    write::Writer,
};
use alloy_primitives::{Address, B256, U256, keccak256};
use bytom2_utxo::{AssetId, Change, LtHash, StateChanges};
use signet_libmdbx::{Rw, TxUnsync, WriteFlags};
use std::borrow::Cow;

// === impl Database ===

impl Database {
    /// Applies `changes` to the head's state in place (development nodes only), in one
    /// write transaction with their change-set entries and the new commitment. The
    /// `old` values must be the stored ones (build them with a
    /// [`StateCache`](bytom2_utxo::StateCache) over [`Database::latest`]); fails with
    /// [`StorageError::Inconsistent`] otherwise, and with
    /// [`StorageError::BlockUnavailable`] on an empty database.
    pub fn apply_dev_changes(&self, changes: &StateChanges) -> StorageResult<()> {
        let txn = self.inner.env.begin_rw_unsync()?;
        let tables = &self.inner.tables;
        let Some((head, _)) = read_head(&txn, tables)? else {
            return Err(StorageError::BlockUnavailable {
                requested: 0,
                head: None,
            });
        };
        Writer::new(&txn, tables, head, true)
            .merging()
            .write_state(changes)?;
        update_commitment(&txn, tables, changes)?;
        txn.commit()?;
        self.bump_generation();
        tracing::debug!(target: "storage", head, changes = changes.len(), "edited the head's state");
        Ok(())
    }

    /// Removes every block above `number` and restores the state as it was at the end
    /// of block `number` (development edits made while `number` was the head
    /// included). Returns the state changes that made (`old`: the state before,
    /// `new`: the restored state). Fails with [`StorageError::BlockUnavailable`] if
    /// `number` is above the head.
    pub fn unwind_to(&self, number: u64) -> StorageResult<StateChanges> {
        self.unwind(number, number.saturating_add(1))
    }

    /// Removes every block after genesis and restores genesis' state as committed,
    /// undoing development edits of genesis' state too.
    pub fn reset_to_genesis(&self) -> StorageResult<StateChanges> {
        self.unwind(0, 0)
    }

    /// Keeps blocks up to `keep` and undoes every change-set entry of blocks
    /// `undo_from` and later.
    fn unwind(&self, keep: u64, undo_from: u64) -> StorageResult<StateChanges> {
        // No lookup batch is written meanwhile: the lookup head read below and the
        // lookups held stay as they are until the unwind is done.
        let _lookups = self.lookup_gate.lock();
        let txn = self.inner.env.begin_rw_unsync()?;
        let tables = &self.inner.tables;
        let head = read_head(&txn, tables)?.map(|(n, _)| n);
        let Some(head) = head.filter(|h| keep <= *h) else {
            return Err(StorageError::BlockUnavailable {
                requested: keep,
                head,
            });
        };

        let word = |v: Option<&[u8]>| Ok(v.map(decode_u256).transpose()?.unwrap_or_default());
        let undo = UndoScan {
            txn: &txn,
            tables,
            undo_from,
        };
        let changes = StateChanges {
            coins: undo.table(Table::Coins, Table::CoinsHistory, decode_outpoint, |v| {
                v.map(decode_coin).transpose()
            })?,
            balances: undo.table(
                Table::Balances,
                Table::BalancesHistory,
                |k| pair(k).map(|(owner, asset)| (owner, AssetId(asset))),
                word,
            )?,
            accounts: undo.table(Table::Accounts, Table::AccountsHistory, address, |v| {
                v.map(decode_account).transpose()
            })?,
            storage: undo.table(
                Table::Storage,
                Table::StorageHistory,
                |k| pair(k).map(|(address, slot)| (address, U256::from_be_bytes(slot.0))),
                word,
            )?,
            supply: undo.table(
                Table::Supply,
                Table::SupplyHistory,
                |k| {
                    B256::try_from(k)
                        .map(AssetId)
                        .map_err(|_| StorageError::codec("supply key: bad length"))
                },
                |v| Ok(v.map(decode_supply).transpose()?.unwrap_or_default()),
            )?,
            code: Vec::new(),
        };

        Writer::new(&txn, tables, keep, false).write_state(&changes)?;
        update_commitment(&txn, tables, &changes)?;
        for number in (keep + 1..=head).rev() {
            remove_block(&txn, tables, number)?;
        }
        let header = get(
            &txn,
            tables,
            Table::Headers,
            &keep.to_be_bytes(),
            decode_header,
        )?
        .ok_or_else(|| StorageError::Inconsistent(format!("header {keep} is missing")))?;
        txn.put(
            tables.get(Table::Meta),
            META_HEAD,
            encode_head(keep, &header.hash_slow()),
            WriteFlags::empty(),
        )?;
        // The removed blocks' lookups were deleted from the table above (those written);
        // the lookup head cannot stay above the new head.
        if self.inner.lookups.read().written.is_some_and(|w| w > keep) {
            txn.put(
                tables.get(Table::Meta),
                META_TX_LOOKUP_HEAD,
                keep.to_be_bytes(),
                WriteFlags::empty(),
            )?;
        }
        txn.commit()?;
        self.bump_generation();
        self.inner.lookups.write().unwind_to(keep);
        tracing::debug!(target: "storage", from = head, to = keep, changes = changes.len(), "unwound blocks");
        Ok(changes)
    }
}

/// Undoing the change sets of blocks `undo_from` and later, table by table.
struct UndoScan<'a> {
    txn: &'a TxUnsync<Rw>,
    tables: &'a Tables,
    undo_from: u64,
}

impl UndoScan<'_> {
    /// Deletes `history`'s entries of the undone blocks and returns, per key they
    /// touched, the change from the value in `table` to the value before them (values
    /// read with `value`, which maps an absent entry too).
    fn table<K, V: PartialEq>(
        &self,
        table: Table,
        history: Table,
        key: impl Fn(&[u8]) -> StorageResult<K>,
        value: impl Fn(Option<&[u8]>) -> StorageResult<V>,
    ) -> StorageResult<Vec<Change<K, V>>> {
        let mut out = Vec::new();
        for (k, old) in undo_history(self.txn, self.tables, history, self.undo_from)? {
            let current = get(self.txn, self.tables, table, &k, |b| Ok(b.to_vec()))?;
            let (current, restored) = (value(current.as_deref())?, value(old.as_deref())?);
            if current != restored {
                out.push(Change {
                    key: key(&k)?,
                    old: current,
                    new: restored,
                });
            }
        }
        Ok(out)
    }
}

/// A key and the value to restore (`None`: remove the entry).
type Restored = (Vec<u8>, Option<Vec<u8>>);
/// A raw key-value pair read by a cursor.
type RawEntry<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Deletes every entry of `history` of block `undo_from` or later and returns, per key
/// that had one, the key and the value it held before the first of them.
fn undo_history(
    txn: &TxUnsync<Rw>,
    tables: &Tables,
    history: Table,
    undo_from: u64,
) -> StorageResult<Vec<Restored>> {
    let dbi = tables.get(history);
    let mut restored: Vec<Restored> = Vec::new();
    let mut doomed = Vec::new();
    {
        let mut cursor = txn.cursor(dbi)?;
        let mut item: Option<RawEntry<'_>> = cursor.first()?;
        while let Some((k, v)) = item {
            let split = k
                .len()
                .checked_sub(8)
                .ok_or_else(|| StorageError::codec(format!("{}: key too short", history.name())))?;
            let (base, block) = k.split_at(split);
            let block = u64::from_be_bytes(block.try_into().expect("8 bytes split off"));
            if block >= undo_from {
                if restored.last().is_none_or(|(b, _)| b.as_slice() != base) {
                    let old = decode_history_value(&v)?.map(<[u8]>::to_vec);
                    restored.push((base.to_vec(), old));
                }
                doomed.push(k.to_vec());
            }
            item = cursor.next()?;
        }
    }
    for key in doomed {
        txn.del(dbi, &key, None)?;
    }
    Ok(restored)
}

/// Deletes block `number`'s header, hash, body, receipts, settlement and transaction
/// lookups.
fn remove_block(txn: &TxUnsync<Rw>, tables: &Tables, number: u64) -> StorageResult<()> {
    let key = number.to_be_bytes();
    let header = get(txn, tables, Table::Headers, &key, decode_header)?
        .ok_or_else(|| StorageError::Inconsistent(format!("header {number} is missing")))?;
    if let Some((raw, _)) = get(txn, tables, Table::Bodies, &key, decode_body)? {
        for tx in raw {
            txn.del(tables.get(Table::TxLookup), keccak256(&tx), None)?;
        }
    }
    txn.del(
        tables.get(Table::HeaderNumbers),
        header.hash_slow().as_slice(),
        None,
    )?;
    for table in [
        Table::Headers,
        Table::Bodies,
        Table::Receipts,
        Table::Settlements,
        Table::Finalizations,
    ] {
        txn.del(tables.get(table), key, None)?;
    }
    Ok(())
}

/// Adds `changes` to the stored commitment.
fn update_commitment(
    txn: &TxUnsync<Rw>,
    tables: &Tables,
    changes: &StateChanges,
) -> StorageResult<()> {
    let mut commitment = get(txn, tables, Table::Meta, META_COMMITMENT, |b| {
        LtHash::from_bytes(b)
            .ok_or_else(|| StorageError::Codec(format!("commitment: {} bytes", b.len())))
    })?
    .unwrap_or_default();
    commitment.apply(changes);
    txn.put(
        tables.get(Table::Meta),
        META_COMMITMENT,
        commitment.to_bytes(),
        WriteFlags::empty(),
    )?;
    Ok(())
}

fn address(key: &[u8]) -> StorageResult<Address> {
    Address::try_from(key).map_err(|_| StorageError::codec("account key: bad length"))
}

/// Splits an `address(20) word(32)` key.
fn pair(key: &[u8]) -> StorageResult<(Address, B256)> {
    if key.len() != 52 {
        return Err(StorageError::codec("pair key: bad length"));
    }
    Ok((
        Address::from_slice(&key[..20]),
        B256::from_slice(&key[20..]),
    ))
}
