//! A batch of state changes with the values they replace.

use crate::{Account, AssetId, Coin, OutPoint, Supply};
use alloy_primitives::{Address, B256, Bytes, U256};

/// One changed entry: its key, the value before and the value after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change<K, V> {
    /// The key.
    pub key: K,
    /// The value before (what the writer holds now).
    pub old: V,
    /// The value after.
    pub new: V,
}

/// Everything a block (or any overlay) changed, each list sorted by key, no key twice,
/// no change whose `old == new`. The `old` values are what per-block change sets store so
/// that past states can be read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateChanges {
    /// Outputs created (`old: None`) and spent (`new: None`).
    pub coins: Vec<Change<OutPoint, Option<Coin>>>,
    /// The balance index `(owner, asset) -> total`.
    pub balances: Vec<Change<(Address, AssetId), U256>>,
    /// EVM account metadata (`None`: no entry).
    pub accounts: Vec<Change<Address, Option<Account>>>,
    /// Storage slots (zero: unset).
    pub storage: Vec<Change<(Address, U256), U256>>,
    /// Supply counters per asset.
    pub supply: Vec<Change<AssetId, Supply>>,
    /// New code by hash (content-addressed, never removed).
    pub code: Vec<(B256, Bytes)>,
}

impl StateChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.coins.is_empty()
            && self.balances.is_empty()
            && self.accounts.is_empty()
            && self.storage.is_empty()
            && self.supply.is_empty()
            && self.code.is_empty()
    }

    /// Number of entries changed.
    pub fn len(&self) -> usize {
        self.coins.len()
            + self.balances.len()
            + self.accounts.len()
            + self.storage.len()
            + self.supply.len()
            + self.code.len()
    }
}
