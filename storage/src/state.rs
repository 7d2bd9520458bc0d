//! Read-only state views over one MDBX read transaction: the latest state and the state
//! at the end of an earlier block.

use crate::{
    Database, StorageError, StorageResult, Table,
    codec::{
        META_COMMITMENT, balance_key, decode_account, decode_coin, decode_history_value,
        decode_supply, decode_u256, history_key, outpoint_key, owner_asset_prefix,
        owner_coin_outpoint, storage_key,
    },
    db::{Inner, get, read_head},
};
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_utxo::{
    Account, AssetId, Coin, LtHash, OutPoint, StateError, StateResult, StateView, Supply,
};
use signet_libmdbx::tx::aliases::RoTxSync;
use std::{borrow::Cow, sync::Arc};

/// A consistent snapshot: a read transaction, the table handles and the head it saw.
#[derive(Debug)]
struct Snapshot {
    txn: RoTxSync,
    db: Arc<Inner>,
    head: Option<(u64, B256)>,
}

impl Snapshot {
    fn new(db: &Database) -> StorageResult<Self> {
        let txn = db.inner.env.begin_ro_sync()?;
        let head = read_head(&txn, &db.inner.tables)?;
        Ok(Self {
            txn,
            db: db.inner.clone(),
            head,
        })
    }

    fn get<T>(
        &self,
        table: Table,
        key: &[u8],
        decode: impl FnOnce(&[u8]) -> StorageResult<T>,
    ) -> StorageResult<Option<T>> {
        get(&self.txn, &self.db.tables, table, key, decode)
    }

    /// The value of `key` at the end of block `at` (`None`: the current value).
    ///
    /// Seeks `history` to `key | at + 1`: the first change set entry of `key` after
    /// block `at` holds the value `key` had at the end of `at`; without one, the key has
    /// not changed since and the current table holds it.
    fn get_at<T>(
        &self,
        table: Table,
        history: Table,
        key: &[u8],
        at: Option<u64>,
        decode: impl FnOnce(&[u8]) -> StorageResult<T>,
    ) -> StorageResult<Option<T>> {
        let Some(next) = at.and_then(|n| n.checked_add(1)) else {
            return self.get(table, key, decode);
        };
        let mut seek = Vec::with_capacity(key.len() + 8);
        history_key(&mut seek, key, next);
        let mut cursor = self.txn.cursor(self.db.tables.get(history))?;
        match cursor.set_range::<Cow<'_, [u8]>, Cow<'_, [u8]>>(&seek)? {
            Some((k, v)) if k.len() == seek.len() && k.starts_with(key) => {
                decode_history_value(&v)?.map(decode).transpose()
            }
            _ => self.get(table, key, decode),
        }
    }

    fn coin(&self, op: &OutPoint, at: Option<u64>) -> StorageResult<Option<Coin>> {
        self.get_at(
            Table::Coins,
            Table::CoinsHistory,
            &outpoint_key(op),
            at,
            decode_coin,
        )
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StorageResult<()> {
        let prefix = owner_asset_prefix(&owner, &asset);
        let mut cursor = self.txn.cursor(self.db.tables.get(Table::OwnerCoins))?;
        let mut item: Option<(Cow<'_, [u8]>, ())> = cursor.set_range(&prefix)?;
        while let Some((key, ())) = item {
            if !key.starts_with(&prefix) {
                break;
            }
            let op = owner_coin_outpoint(&key)?;
            let coin = self.coin(&op, None)?.ok_or_else(|| {
                StorageError::Codec(format!(
                    "owner index names output {op}, which is not stored"
                ))
            })?;
            if coin.output.owner != owner || coin.output.asset != asset {
                return Err(StorageError::Codec(format!(
                    "owner index entry of {op} disagrees with the output"
                )));
            }
            if !f(&op, &coin) {
                break;
            }
            item = cursor.next()?;
        }
        Ok(())
    }

    fn balance(&self, owner: Address, asset: AssetId, at: Option<u64>) -> StorageResult<U256> {
        let key = balance_key(&owner, &asset);
        let v = self.get_at(
            Table::Balances,
            Table::BalancesHistory,
            &key,
            at,
            decode_u256,
        )?;
        Ok(v.unwrap_or_default())
    }

    fn account(&self, address: Address, at: Option<u64>) -> StorageResult<Option<Account>> {
        let key = address.0.0;
        self.get_at(
            Table::Accounts,
            Table::AccountsHistory,
            &key,
            at,
            decode_account,
        )
    }

    fn code(&self, code_hash: B256) -> StorageResult<Option<Bytes>> {
        self.get(Table::Code, code_hash.as_slice(), |b| {
            Ok(Bytes::copy_from_slice(b))
        })
    }

    fn storage(&self, address: Address, slot: U256, at: Option<u64>) -> StorageResult<U256> {
        let key = storage_key(&address, &slot);
        let v = self.get_at(Table::Storage, Table::StorageHistory, &key, at, decode_u256)?;
        Ok(v.unwrap_or_default())
    }

    fn supply(&self, asset: AssetId, at: Option<u64>) -> StorageResult<Supply> {
        let key = asset.0.0;
        let v = self.get_at(Table::Supply, Table::SupplyHistory, &key, at, decode_supply)?;
        Ok(v.unwrap_or_default())
    }

    fn commitment(&self) -> StorageResult<LtHash> {
        let v = self.get(Table::Meta, META_COMMITMENT, |b| {
            LtHash::from_bytes(b)
                .ok_or_else(|| StorageError::Codec(format!("commitment: {} bytes", b.len())))
        })?;
        Ok(v.unwrap_or_default())
    }
}

/// The state at the head, over one read-only MDBX transaction (a consistent snapshot:
/// blocks committed after [`Database::latest`] returned are not visible). `Send + Sync`.
///
/// Keep views short-lived: an open read transaction keeps MDBX from reusing the pages
/// it sees, so the data file grows while one is held across many blocks.
#[derive(Debug)]
pub struct LatestState {
    snap: Snapshot,
}

impl LatestState {
    /// The head this view sees: `(number, hash)`, `None` before genesis.
    pub fn head(&self) -> Option<(u64, B256)> {
        self.snap.head
    }
}

impl StateView for LatestState {
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
        Ok(self.snap.coin(op, None)?)
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()> {
        Ok(self.snap.for_each_coin(owner, asset, f)?)
    }

    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
        Ok(self.snap.balance(owner, asset, None)?)
    }

    fn account(&self, address: Address) -> StateResult<Option<Account>> {
        Ok(self.snap.account(address, None)?)
    }

    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
        Ok(self.snap.code(code_hash)?)
    }

    fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
        Ok(self.snap.storage(address, slot, None)?)
    }

    fn supply(&self, asset: AssetId) -> StateResult<Supply> {
        Ok(self.snap.supply(asset, None)?)
    }

    fn commitment(&self) -> StateResult<LtHash> {
        Ok(self.snap.commitment()?)
    }
}

/// The state as of the end of an earlier block, read through the change-set (history)
/// tables over one read-only MDBX transaction. `Send + Sync`.
///
/// Outputs, balances, accounts, storage, supply and code are exact. When the block is
/// older than the head, [`StateView::for_each_coin`] and [`StateView::commitment`] return
/// [`StateError::Backend`] (there is no per-owner output history, and commitments are
/// kept for the head only; a block's commitment is committed to by its header's
/// `stateRoot`). At the head they answer like [`LatestState`]. Code is content-addressed
/// and never removed, so [`StateView::code`] also finds code deployed after the block.
#[derive(Debug)]
pub struct HistoricalState {
    snap: Snapshot,
    block: u64,
    /// `Some(block)` when older than the head; `None` when at the head.
    at: Option<u64>,
}

impl HistoricalState {
    /// The block whose end state this view shows.
    pub fn block(&self) -> u64 {
        self.block
    }

    fn unsupported(&self, what: &str) -> StateError {
        StateError::Backend(format!(
            "{what} is not supported at past block {}",
            self.block
        ))
    }
}

impl StateView for HistoricalState {
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
        Ok(self.snap.coin(op, self.at)?)
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()> {
        if self.at.is_some() {
            return Err(self.unsupported("for_each_coin"));
        }
        Ok(self.snap.for_each_coin(owner, asset, f)?)
    }

    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
        Ok(self.snap.balance(owner, asset, self.at)?)
    }

    fn account(&self, address: Address) -> StateResult<Option<Account>> {
        Ok(self.snap.account(address, self.at)?)
    }

    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
        Ok(self.snap.code(code_hash)?)
    }

    fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
        Ok(self.snap.storage(address, slot, self.at)?)
    }

    fn supply(&self, asset: AssetId) -> StateResult<Supply> {
        Ok(self.snap.supply(asset, self.at)?)
    }

    fn commitment(&self) -> StateResult<LtHash> {
        if self.at.is_some() {
            return Err(self.unsupported("commitment"));
        }
        Ok(self.snap.commitment()?)
    }
}

// === impl Database ===

impl Database {
    /// A snapshot of the state at the head (the empty state before genesis).
    pub fn latest(&self) -> StorageResult<LatestState> {
        Ok(LatestState {
            snap: Snapshot::new(self)?,
        })
    }

    /// A snapshot of the state as of the end of block `number`. Fails with
    /// [`StorageError::BlockUnavailable`] if `number` is above the head (or nothing is
    /// committed yet).
    pub fn state_at(&self, number: u64) -> StorageResult<HistoricalState> {
        let snap = Snapshot::new(self)?;
        match snap.head {
            Some((head, _)) if number <= head => {
                let at = (number < head).then_some(number);
                Ok(HistoricalState {
                    snap,
                    block: number,
                    at,
                })
            }
            head => Err(StorageError::BlockUnavailable {
                requested: number,
                head: head.map(|(n, _)| n),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<LatestState>();
        check::<HistoricalState>();
        check::<Database>();
    }
}
