//! The stackable write overlay over a [`StateView`].
//!
//! Reads fall through to the base unless this overlay has changed the entry; writes stay
//! here until [`StateCache::into_changes`] turns them into a [`StateChanges`] for the
//! base's [`StateWriter`]. Dropping the cache discards them: nothing is half applied.
//!
//! Per entry the cache keeps the value the base holds (`old`) and the value now (`new`).
//! A coin entry is *fresh* when the base does not hold it (`old == None`): spending a fresh
//! coin removes the entry altogether, so outputs created and spent inside one overlay
//! never reach the base. An entry is dirty exactly when it is present (reads do not fill
//! the cache).
//!
//! The overlay keeps an index of the coins it added per `(owner, asset)` so that
//! [`StateView::for_each_coin`] can list an owner's outputs oldest first: first the
//! base's (less those spent here), then those added here. That order is the creation
//! order because an overlay only ever adds outputs newer than everything in its base.

use crate::{
    Account, AssetId, Change, Coin, CoinOrigin, LtHash, OutPoint, StateChanges, StateError,
    StateResult, StateView, StateWriter, Supply, view::overlay_coins,
};
use alloy_primitives::{
    Address, B256, Bytes, U256,
    map::{HashMap, HashSet},
};
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
struct Entry<V> {
    old: V,
    new: V,
}

/// A write overlay over a base [`StateView`]; itself a view and a writer, so caches stack
/// (database ← tip cache ← block cache).
#[derive(Debug)]
pub struct StateCache<V> {
    base: V,
    coins: HashMap<OutPoint, Entry<Option<Coin>>>,
    /// Coins created in this overlay and unspent: `(owner, asset, origin, outpoint)`.
    added: BTreeSet<(Address, AssetId, CoinOrigin, OutPoint)>,
    /// Base coins spent in this overlay.
    spent_base: HashSet<OutPoint>,
    balances: HashMap<(Address, AssetId), Entry<U256>>,
    accounts: HashMap<Address, Entry<Option<Account>>>,
    storage: HashMap<(Address, U256), Entry<U256>>,
    supply: HashMap<AssetId, Entry<Supply>>,
    code: HashMap<B256, Bytes>,
}

// === impl StateCache ===

impl<V: StateView> StateCache<V> {
    /// An empty overlay over `base`.
    pub fn new(base: V) -> Self {
        Self {
            base,
            coins: HashMap::default(),
            added: BTreeSet::new(),
            spent_base: HashSet::default(),
            balances: HashMap::default(),
            accounts: HashMap::default(),
            storage: HashMap::default(),
            supply: HashMap::default(),
            code: HashMap::default(),
        }
    }

    /// The base view.
    pub fn base(&self) -> &V {
        &self.base
    }

    /// Creates an output at `op`. Fails if an unspent output is already there.
    pub fn add_coin(&mut self, op: OutPoint, coin: Coin) -> StateResult<()> {
        let (current, base) = self.coin_now(&op)?;
        if current.is_some() {
            return Err(StateError::CoinExists(op));
        }
        self.set_coin(op, coin, true, base)
    }

    /// Spends the output at `op` and returns it (the undo data). Fails if there is none.
    pub fn spend_coin(&mut self, op: &OutPoint) -> StateResult<Coin> {
        let (current, base) = self.coin_now(op)?;
        let coin = current.ok_or(StateError::MissingCoin(*op))?;
        self.set_coin(*op, coin, false, base)?;
        Ok(coin)
    }

    /// Creates an output at an outpoint that cannot be in the base: one of a transaction
    /// being applied now whose hash no earlier transaction can have (a native
    /// transaction spends at least one unspent input, so it was never applied before).
    /// Skips the base read of [`Self::add_coin`]; still fails if this overlay holds an
    /// unspent output there.
    pub fn add_new_coin(&mut self, op: OutPoint, coin: Coin) -> StateResult<()> {
        let base = match self.coins.get(&op) {
            Some(e) if e.new.is_some() => return Err(StateError::CoinExists(op)),
            Some(_) => None,
            None => {
                debug_assert!(
                    matches!(self.base.coin(&op), Ok(None)),
                    "add_new_coin at {op} held by the base"
                );
                Some(None)
            }
        };
        self.set_coin(op, coin, true, base)
    }

    /// Spends the output at `op` whose current value `coin` the caller has just read
    /// through this overlay (with nothing written since): [`Self::spend_coin`] without
    /// reading it again. Fails if this overlay knows the output as spent or different.
    pub fn spend_read_coin(&mut self, op: &OutPoint, coin: Coin) -> StateResult<()> {
        let base = match self.coins.get(op) {
            Some(e) if e.new == Some(coin) => None,
            Some(_) => return Err(StateError::MissingCoin(*op)),
            None => {
                debug_assert!(
                    matches!(self.base.coin(op), Ok(Some(c)) if c == coin),
                    "spend_read_coin at {op} with a coin the base does not hold"
                );
                Some(Some(coin))
            }
        };
        self.set_coin(*op, coin, false, base)
    }

    /// Sets an account's metadata (`None` removes the entry).
    pub fn set_account(&mut self, address: Address, account: Option<Account>) -> StateResult<()> {
        let account = account.filter(|a| !a.is_empty());
        match self.accounts.get_mut(&address) {
            Some(e) => e.new = account,
            None => {
                let old = self.base.account(address)?;
                self.accounts.insert(address, Entry { old, new: account });
            }
        }
        Ok(())
    }

    /// Sets a storage slot.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) -> StateResult<()> {
        match self.storage.get_mut(&(address, slot)) {
            Some(e) => e.new = value,
            None => {
                let old = self.base.storage(address, slot)?;
                self.storage
                    .insert((address, slot), Entry { old, new: value });
            }
        }
        Ok(())
    }

    /// Sets the supply counters of an asset.
    pub fn set_supply(&mut self, asset: AssetId, supply: Supply) -> StateResult<()> {
        match self.supply.get_mut(&asset) {
            Some(e) => e.new = supply,
            None => {
                let old = self.base.supply(asset)?;
                self.supply.insert(asset, Entry { old, new: supply });
            }
        }
        Ok(())
    }

    /// Stores code by its hash.
    pub fn insert_code(&mut self, code_hash: B256, code: Bytes) -> StateResult<()> {
        if !self.code.contains_key(&code_hash) && self.base.code(code_hash)?.is_none() {
            self.code.insert(code_hash, code);
        }
        Ok(())
    }

    /// Creates (`unspent`) or spends `coin` at `op` and moves its owner's balance; `base`
    /// as for [`Self::put_coin`].
    fn set_coin(
        &mut self,
        op: OutPoint,
        coin: Coin,
        unspent: bool,
        base: Option<Option<Coin>>,
    ) -> StateResult<()> {
        self.put_coin(op, unspent.then_some(coin), base)?;
        self.adjust_balance(
            coin.output.owner,
            coin.output.asset,
            coin.output.amount,
            unspent,
        )
    }

    /// The coin at `op` now and, when this overlay has no entry for it, the base's value
    /// just read (so a write that follows need not read the base again).
    fn coin_now(&self, op: &OutPoint) -> StateResult<(Option<Coin>, Option<Option<Coin>>)> {
        Ok(match self.coins.get(op) {
            Some(e) => (e.new, None),
            None => {
                let base = self.base.coin(op)?;
                (base, Some(base))
            }
        })
    }

    /// Records `new` at `op`, keeping the `added`/`spent_base` indexes in step. Does not
    /// touch balances. `base` is the base's value at `op` when the caller has just read
    /// it (from [`Self::coin_now`]); `None` reads it here if needed.
    fn put_coin(
        &mut self,
        op: OutPoint,
        new: Option<Coin>,
        base: Option<Option<Coin>>,
    ) -> StateResult<()> {
        if !self.coins.contains_key(&op) {
            let old = match base {
                Some(old) => old,
                None => self.base.coin(&op)?,
            };
            self.coins.insert(op, Entry { old, new: old });
        }
        let entry = self.coins.get_mut(&op).expect("entry inserted above");
        if let Some(c) = entry.new {
            if entry.old == Some(c) {
                self.spent_base.insert(op);
            } else {
                self.added
                    .remove(&(c.output.owner, c.output.asset, c.origin, op));
            }
        }
        entry.new = new;
        if let Some(c) = new {
            if entry.old == Some(c) {
                self.spent_base.remove(&op);
            } else {
                self.added
                    .insert((c.output.owner, c.output.asset, c.origin, op));
            }
        }
        if entry.old == entry.new {
            self.coins.remove(&op);
        }
        Ok(())
    }

    fn adjust_balance(
        &mut self,
        owner: Address,
        asset: AssetId,
        amount: U256,
        credit: bool,
    ) -> StateResult<()> {
        let current = match self.balances.get(&(owner, asset)) {
            Some(e) => e.new,
            None => self.base.balance(owner, asset)?,
        };
        let next = if credit {
            current.checked_add(amount)
        } else {
            current.checked_sub(amount)
        }
        .ok_or(StateError::BalanceInconsistent { owner, asset })?;
        self.set_balance_raw(owner, asset, next)
    }

    fn set_balance_raw(&mut self, owner: Address, asset: AssetId, value: U256) -> StateResult<()> {
        match self.balances.get_mut(&(owner, asset)) {
            Some(e) => e.new = value,
            None => {
                let old = self.base.balance(owner, asset)?;
                self.balances
                    .insert((owner, asset), Entry { old, new: value });
            }
        }
        Ok(())
    }

    /// The changes this overlay holds, sorted, without consuming it.
    pub fn changes(&self) -> StateChanges {
        fn sorted<K: Ord + Copy, V: Clone + PartialEq>(
            map: &HashMap<K, Entry<V>>,
        ) -> Vec<Change<K, V>> {
            let mut v: Vec<_> = map
                .iter()
                .filter(|(_, e)| e.old != e.new)
                .map(|(k, e)| Change {
                    key: *k,
                    old: e.old.clone(),
                    new: e.new.clone(),
                })
                .collect();
            v.sort_unstable_by_key(|c| c.key);
            v
        }
        let mut code: Vec<_> = self.code.iter().map(|(h, c)| (*h, c.clone())).collect();
        code.sort_unstable_by_key(|c| c.0);
        StateChanges {
            coins: sorted(&self.coins),
            balances: sorted(&self.balances),
            accounts: sorted(&self.accounts),
            storage: sorted(&self.storage),
            supply: sorted(&self.supply),
            code,
        }
    }

    /// Turns the overlay into its changes, for the base's [`StateWriter`].
    #[must_use]
    pub fn into_changes(self) -> StateChanges {
        self.changes()
    }

    /// Number of entries this overlay has changed.
    pub fn len(&self) -> usize {
        self.coins.len()
            + self.balances.len()
            + self.accounts.len()
            + self.storage.len()
            + self.supply.len()
            + self.code.len()
    }

    /// Whether this overlay holds no change.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V: StateView> StateView for StateCache<V> {
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
        match self.coins.get(op) {
            Some(e) => Ok(e.new),
            None => self.base.coin(op),
        }
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()> {
        let lo = (owner, asset, CoinOrigin::default(), OutPoint::default());
        let added = self
            .added
            .range(lo..)
            .take_while(|(o, a, _, _)| *o == owner && *a == asset)
            .map(|(_, _, _, op)| {
                let coin = self.coins.get(op).and_then(|e| e.new);
                (op, coin.expect("added coins have entries"))
            });
        overlay_coins(
            &self.base,
            owner,
            asset,
            |op| self.spent_base.contains(op),
            added,
            f,
        )
    }

    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
        match self.balances.get(&(owner, asset)) {
            Some(e) => Ok(e.new),
            None => self.base.balance(owner, asset),
        }
    }

    fn account(&self, address: Address) -> StateResult<Option<Account>> {
        match self.accounts.get(&address) {
            Some(e) => Ok(e.new),
            None => self.base.account(address),
        }
    }

    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
        match self.code.get(&code_hash) {
            Some(c) => Ok(Some(c.clone())),
            None => self.base.code(code_hash),
        }
    }

    fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
        match self.storage.get(&(address, slot)) {
            Some(e) => Ok(e.new),
            None => self.base.storage(address, slot),
        }
    }

    fn supply(&self, asset: AssetId) -> StateResult<Supply> {
        match self.supply.get(&asset) {
            Some(e) => Ok(e.new),
            None => self.base.supply(asset),
        }
    }

    fn commitment(&self) -> StateResult<LtHash> {
        let mut hash = self.base.commitment()?;
        hash.apply(&self.changes());
        Ok(hash)
    }
}

impl<V: StateView> StateWriter for StateCache<V> {
    fn write_changes(&mut self, changes: StateChanges) -> StateResult<()> {
        for c in changes.coins {
            self.put_coin(c.key, c.new, None)?;
        }
        for c in changes.balances {
            self.set_balance_raw(c.key.0, c.key.1, c.new)?;
        }
        for c in changes.accounts {
            self.set_account(c.key, c.new)?;
        }
        for c in changes.storage {
            self.set_storage(c.key.0, c.key.1, c.new)?;
        }
        for c in changes.supply {
            self.set_supply(c.key, c.new)?;
        }
        for (hash, code) in changes.code {
            self.insert_code(hash, code)?;
        }
        Ok(())
    }
}
