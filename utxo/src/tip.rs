//! [`TipView`]: the state one block ahead of a stored snapshot.
//!
//! While block N is being committed, block N+1 can already execute: it reads block N's
//! changes first and a database snapshot for everything else. The snapshot may be taken
//! before N's commit lands or after it; the view is the same either way, because the
//! changes hold each changed entry's value *after* N, which the overlay answers whether
//! or not the base already has it.

use crate::{
    AssetId, Change, Coin, CoinOrigin, LtHash, OutPoint, StateChanges, StateResult, StateView,
    Supply, view::overlay_coins,
};
use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use std::sync::Arc;

/// The changes of one block and the commitment after it, indexed for reading.
#[derive(Debug)]
pub struct Tip {
    changes: Arc<StateChanges>,
    commitment: LtHash,
    /// Outputs the block created and left unspent, per `(owner, asset)`, in creation
    /// order.
    created: HashMap<(Address, AssetId), Vec<(CoinOrigin, OutPoint)>>,
}

impl Tip {
    /// The tip after a block with `changes` (each list sorted by key, as
    /// [`StateChanges`] promises) and `commitment`, the state's commitment after it.
    pub fn new(changes: Arc<StateChanges>, commitment: LtHash) -> Self {
        debug_assert!(changes.coins.is_sorted_by(|a, b| a.key < b.key));
        let mut created: HashMap<(Address, AssetId), Vec<(CoinOrigin, OutPoint)>> =
            HashMap::default();
        for c in &changes.coins {
            if let Some(coin) = &c.new {
                created
                    .entry((coin.output.owner, coin.output.asset))
                    .or_default()
                    .push((coin.origin, c.key));
            }
        }
        for list in created.values_mut() {
            list.sort_unstable();
        }
        Self {
            changes,
            commitment,
            created,
        }
    }

    /// The block's changes.
    pub fn changes(&self) -> &Arc<StateChanges> {
        &self.changes
    }

    fn coin(&self, op: &OutPoint) -> Option<&Option<Coin>> {
        find(&self.changes.coins, op)
    }
}

/// The new value of `key` if `changes` (sorted by key) changed it.
fn find<'a, K: Ord, V>(changes: &'a [Change<K, V>], key: &K) -> Option<&'a V> {
    changes
        .binary_search_by(|c| c.key.cmp(key))
        .ok()
        .map(|i| &changes[i].new)
}

/// A [`Tip`] over a base view (see the module docs). Without a tip it is the base.
#[derive(Debug)]
pub struct TipView<V> {
    base: V,
    tip: Option<Arc<Tip>>,
}

impl<V: StateView> TipView<V> {
    /// `tip`'s block over `base`, a state at the tip's parent or at the tip itself.
    pub fn new(base: V, tip: Option<Arc<Tip>>) -> Self {
        Self { base, tip }
    }

    /// The tip's value if `pick` finds the key among its changes, else `base()`.
    fn read<T: Copy>(
        &self,
        pick: impl Fn(&StateChanges) -> Option<&T>,
        base: impl FnOnce() -> StateResult<T>,
    ) -> StateResult<T> {
        match self.tip.as_ref().and_then(|t| pick(&t.changes)) {
            Some(v) => Ok(*v),
            None => base(),
        }
    }
}

impl<V: StateView> StateView for TipView<V> {
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
        self.read(|c| find(&c.coins, op), || self.base.coin(op))
    }

    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()> {
        let Some(tip) = &self.tip else {
            return self.base.for_each_coin(owner, asset, f);
        };
        // Outputs older than the tip block, unless it spent them; the ones it created
        // (which a base at the tip also lists) come after, being the newest.
        let created = tip.created.get(&(owner, asset)).into_iter().flatten();
        overlay_coins(
            &self.base,
            owner,
            asset,
            |op| tip.coin(op).is_some(),
            created.map(|(_, op)| {
                let coin = tip.coin(op).copied().flatten();
                (op, coin.expect("created outputs are in the changes"))
            }),
            f,
        )
    }

    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
        self.read(
            |c| find(&c.balances, &(owner, asset)),
            || self.base.balance(owner, asset),
        )
    }

    fn account(&self, address: Address) -> StateResult<Option<crate::Account>> {
        self.read(
            |c| find(&c.accounts, &address),
            || self.base.account(address),
        )
    }

    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
        if let Some(tip) = &self.tip
            && let Ok(i) = tip
                .changes
                .code
                .binary_search_by(|(h, _)| h.cmp(&code_hash))
        {
            return Ok(Some(tip.changes.code[i].1.clone()));
        }
        self.base.code(code_hash)
    }

    fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
        self.read(
            |c| find(&c.storage, &(address, slot)),
            || self.base.storage(address, slot),
        )
    }

    fn supply(&self, asset: AssetId) -> StateResult<Supply> {
        self.read(|c| find(&c.supply, &asset), || self.base.supply(asset))
    }

    fn commitment(&self) -> StateResult<LtHash> {
        match &self.tip {
            Some(t) => Ok(t.commitment.clone()),
            None => self.base.commitment(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Account, MemoryState, Output, StateCache, StateWriter};

    fn coin(owner: u8, amount: u64, block: u64, index: u32) -> Coin {
        Coin::new(
            Output::new(
                AssetId::BTM,
                U256::from(amount),
                Address::repeat_byte(owner),
            ),
            CoinOrigin::new(block, 0, index),
        )
    }

    fn coins_of(view: &dyn StateView, owner: u8) -> Vec<(OutPoint, Coin)> {
        let mut out = Vec::new();
        view.for_each_coin(Address::repeat_byte(owner), AssetId::BTM, &mut |op, c| {
            out.push((*op, *c));
            true
        })
        .unwrap();
        out
    }

    /// Reads through the tip answer as the state after the block does, whether the
    /// base is the state before the block or after it.
    #[test]
    fn tip_over_either_base_reads_as_the_state_after() {
        let op = |i: u8| OutPoint::new(B256::repeat_byte(i), u32::from(i));
        let mut before = MemoryState::new();
        let mut genesis = StateCache::new(MemoryState::new());
        for i in 1..=4u8 {
            genesis
                .add_coin(op(i), coin(1 + i % 2, 10 * u64::from(i), 0, u32::from(i)))
                .unwrap();
        }
        genesis
            .set_storage(Address::repeat_byte(9), U256::from(1), U256::from(5))
            .unwrap();
        before.write_changes(genesis.into_changes()).unwrap();

        // Block 1 spends outputs 1 and 2, creates three, changes an account, a slot and code.
        let mut block = StateCache::new(before.clone());
        block.spend_coin(&op(1)).unwrap();
        block.spend_coin(&op(2)).unwrap();
        for i in 10..13u8 {
            block
                .add_coin(op(i), coin(1 + i % 2, u64::from(i), 1, u32::from(i)))
                .unwrap();
        }
        let account = Account {
            nonce: 3,
            code_hash: B256::repeat_byte(7),
        };
        block
            .set_account(Address::repeat_byte(9), Some(account))
            .unwrap();
        block
            .set_storage(Address::repeat_byte(9), U256::from(1), U256::ZERO)
            .unwrap();
        block
            .insert_code(B256::repeat_byte(7), Bytes::from_static(b"code"))
            .unwrap();
        let mut commitment = before.commitment().unwrap();
        let changes = block.into_changes();
        commitment.apply(&changes);
        let mut after = before.clone();
        after.write_changes(changes.clone()).unwrap();

        let tip = Arc::new(Tip::new(Arc::new(changes), commitment));
        for base in [before, after.clone()] {
            let view = TipView::new(base, Some(tip.clone()));
            for i in [1u8, 2, 3, 4, 10, 11, 12, 13] {
                assert_eq!(
                    view.coin(&op(i)).unwrap(),
                    after.coin(&op(i)).unwrap(),
                    "{i}"
                );
            }
            for owner in [1u8, 2, 3] {
                assert_eq!(
                    coins_of(&view, owner),
                    coins_of(&after, owner),
                    "owner {owner}"
                );
                let a = Address::repeat_byte(owner);
                assert_eq!(
                    view.balance(a, AssetId::BTM).unwrap(),
                    after.balance(a, AssetId::BTM).unwrap()
                );
            }
            let a = Address::repeat_byte(9);
            assert_eq!(view.account(a).unwrap(), Some(account));
            assert_eq!(view.storage(a, U256::from(1)).unwrap(), U256::ZERO);
            assert_eq!(
                view.code(B256::repeat_byte(7)).unwrap(),
                Some(Bytes::from_static(b"code"))
            );
            assert_eq!(view.commitment().unwrap(), after.commitment().unwrap());
        }
    }
}
