//! An in-memory state, for tests, models and genesis building.

use crate::{
    Account, AssetId, Coin, CoinOrigin, LtHash, OutPoint, StateChanges, StateError, StateResult,
    StateView, StateWriter, Supply,
};
use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{HashMap, HashSet},
};
use std::collections::BTreeSet;

/// The whole state in memory: the reference implementation of [`StateView`] and
/// [`StateWriter`] (the MDBX store must behave the same).
#[derive(Clone, Debug, Default)]
pub struct MemoryState {
    coins: HashMap<OutPoint, Coin>,
    by_owner: BTreeSet<(Address, AssetId, CoinOrigin, OutPoint)>,
    balances: HashMap<(Address, AssetId), U256>,
    accounts: HashMap<Address, Account>,
    storage: HashMap<(Address, U256), U256>,
    code: HashMap<B256, Bytes>,
    supply: HashMap<AssetId, Supply>,
    commitment: LtHash,
}

impl MemoryState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// All unspent outputs, in no particular order.
    pub fn coins(&self) -> impl Iterator<Item = (&OutPoint, &Coin)> {
        self.coins.iter()
    }

    /// All non-zero balance index entries.
    pub fn balances(&self) -> impl Iterator<Item = (&(Address, AssetId), &U256)> {
        self.balances.iter()
    }

    /// All accounts with metadata.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &Account)> {
        self.accounts.iter()
    }

    /// All non-zero storage slots.
    pub fn storage_slots(&self) -> impl Iterator<Item = (&(Address, U256), &U256)> {
        self.storage.iter()
    }

    /// Addresses that own at least one output.
    pub fn owners(&self) -> HashSet<Address> {
        self.by_owner.iter().map(|(o, ..)| *o).collect()
    }
}

impl StateView for MemoryState {
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
        Ok(self.coins.get(op).copied())
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()> {
        let lo = (owner, asset, CoinOrigin::default(), OutPoint::default());
        for (o, a, _, op) in self.by_owner.range(lo..) {
            if *o != owner || *a != asset {
                break;
            }
            if !f(op, &self.coins[op]) {
                break;
            }
        }
        Ok(())
    }

    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
        Ok(self
            .balances
            .get(&(owner, asset))
            .copied()
            .unwrap_or_default())
    }

    fn account(&self, address: Address) -> StateResult<Option<Account>> {
        Ok(self.accounts.get(&address).copied())
    }

    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
        Ok(self.code.get(&code_hash).cloned())
    }

    fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
        Ok(self
            .storage
            .get(&(address, slot))
            .copied()
            .unwrap_or_default())
    }

    fn supply(&self, asset: AssetId) -> StateResult<Supply> {
        Ok(self.supply.get(&asset).copied().unwrap_or_default())
    }

    fn commitment(&self) -> StateResult<LtHash> {
        Ok(self.commitment.clone())
    }
}

impl StateWriter for MemoryState {
    fn write_changes(&mut self, changes: StateChanges) -> StateResult<()> {
        self.commitment.apply(&changes);
        for c in changes.coins {
            if self.coins.get(&c.key).copied() != c.old {
                return Err(StateError::Backend(format!(
                    "stale change for output {}",
                    c.key
                )));
            }
            if let Some(old) = c.old {
                self.coins.remove(&c.key);
                self.by_owner
                    .remove(&(old.output.owner, old.output.asset, old.origin, c.key));
            }
            if let Some(new) = c.new {
                self.coins.insert(c.key, new);
                self.by_owner
                    .insert((new.output.owner, new.output.asset, new.origin, c.key));
            }
        }
        for c in changes.balances {
            if c.new.is_zero() {
                self.balances.remove(&c.key);
            } else {
                self.balances.insert(c.key, c.new);
            }
        }
        for c in changes.accounts {
            match c.new {
                Some(a) => self.accounts.insert(c.key, a),
                None => self.accounts.remove(&c.key),
            };
        }
        for c in changes.storage {
            if c.new.is_zero() {
                self.storage.remove(&c.key);
            } else {
                self.storage.insert(c.key, c.new);
            }
        }
        for c in changes.supply {
            if c.new.is_zero() {
                self.supply.remove(&c.key);
            } else {
                self.supply.insert(c.key, c.new);
            }
        }
        for (hash, code) in changes.code {
            self.code.insert(hash, code);
        }
        Ok(())
    }
}
