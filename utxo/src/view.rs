//! The read trait over the ledger and the bulk write trait.

use crate::{Account, AssetId, Coin, LtHash, OutPoint, StateChanges, StateResult, Supply};
use alloy_primitives::{Address, B256, Bytes, U256};

/// Read-only view of the whole state: the UTXO set, the balance index, EVM accounts,
/// code and storage, and the state commitment.
pub trait StateView {
    /// The unspent output at `op`, if any.
    fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>>;

    /// Visits the unspent outputs of `owner` in `asset` in ascending creation order
    /// (oldest first) until `f` returns `false`.
    fn for_each_coin(
        &self,
        owner: Address,
        asset: AssetId,
        f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
    ) -> StateResult<()>;

    /// Sum of the unspent outputs of `owner` in `asset` (the balance index).
    fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256>;

    /// The EVM account metadata of `address`, if it has any.
    fn account(&self, address: Address) -> StateResult<Option<Account>>;

    /// Code bytes by code hash.
    fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>>;

    /// A storage slot (zero when unset).
    fn storage(&self, address: Address, slot: U256) -> StateResult<U256>;

    /// Supply counters of `asset` (all zero when unknown).
    fn supply(&self, asset: AssetId) -> StateResult<Supply>;

    /// The multiset hash of every state entry.
    fn commitment(&self) -> StateResult<LtHash>;
}

/// Applies a batch of changes atomically.
pub trait StateWriter {
    /// Writes `changes` (whose `old` values must equal what this writer holds).
    fn write_changes(&mut self, changes: StateChanges) -> StateResult<()>;
}

macro_rules! forward_view {
    ($($ty:ty),*) => {$(
        impl<T: StateView + ?Sized> StateView for $ty {
            fn coin(&self, op: &OutPoint) -> StateResult<Option<Coin>> {
                (**self).coin(op)
            }
            fn for_each_coin(
                &self,
                owner: Address,
                asset: AssetId,
                f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
            ) -> StateResult<()> {
                (**self).for_each_coin(owner, asset, f)
            }
            fn balance(&self, owner: Address, asset: AssetId) -> StateResult<U256> {
                (**self).balance(owner, asset)
            }
            fn account(&self, address: Address) -> StateResult<Option<Account>> {
                (**self).account(address)
            }
            fn code(&self, code_hash: B256) -> StateResult<Option<Bytes>> {
                (**self).code(code_hash)
            }
            fn storage(&self, address: Address, slot: U256) -> StateResult<U256> {
                (**self).storage(address, slot)
            }
            fn supply(&self, asset: AssetId) -> StateResult<Supply> {
                (**self).supply(asset)
            }
            fn commitment(&self) -> StateResult<LtHash> {
                (**self).commitment()
            }
        }
    )*};
}

forward_view!(&T, &mut T, std::sync::Arc<T>, Box<T>);

impl<T: StateWriter + ?Sized> StateWriter for &mut T {
    fn write_changes(&mut self, changes: StateChanges) -> StateResult<()> {
        (**self).write_changes(changes)
    }
}

/// [`StateView::for_each_coin`] of an overlay: `base`'s outputs of `owner` in `asset`
/// except those `hidden` (spent or replaced by the overlay), then the overlay's own
/// unspent outputs, `added`, which are newer than any of the base's. Stops when `f`
/// returns `false`.
pub(crate) fn overlay_coins<'a>(
    base: &dyn StateView,
    owner: Address,
    asset: AssetId,
    hidden: impl Fn(&OutPoint) -> bool,
    added: impl IntoIterator<Item = (&'a OutPoint, Coin)>,
    f: &mut dyn FnMut(&OutPoint, &Coin) -> bool,
) -> StateResult<()> {
    let mut go_on = true;
    base.for_each_coin(owner, asset, &mut |op, coin| {
        if hidden(op) {
            return true;
        }
        go_on = f(op, coin);
        go_on
    })?;
    if !go_on {
        return Ok(());
    }
    for (op, coin) in added {
        if !f(op, &coin) {
            break;
        }
    }
    Ok(())
}
