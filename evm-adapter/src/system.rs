//! System hooks: a pre-block and a post-block step of the chain's own rules (staking
//! rewards, elections, slashing), run by the [`crate::BlockExecutor`] inside every block,
//! before settlement.
//!
//! A hook sees the block through [`SystemState`]: it reads balances as the EVM would see
//! them and moves value by balance deltas, which settlement turns into output spends and
//! creates like any other. Minted and burned BTM are counted in the block's supply
//! accounting (`rewards` and `burned`), so the conservation check still holds. The hooks
//! are part of the chain's [`crate::EvmConfig`]: every node runs the same ones, and
//! [`crate::verify_block`] recomputes what they did.

use crate::{BlockAttributes, BlockHashes, BlockState, ExecError};
use alloy_primitives::{Address, I256, U256};
use bytom2_utxo::{AssetId, StateView};
use std::fmt::Debug;

/// The chain's pre-block and post-block steps (module docs). Both default to doing
/// nothing. They must be deterministic: integers only, no clock, no randomness.
pub trait SystemHooks: Debug + Send + Sync {
    /// Runs before the block's first transaction.
    fn pre_block(&self, block: &mut dyn SystemState) -> Result<(), ExecError> {
        let _ = block;
        Ok(())
    }

    /// Runs after the block's last transaction, before settlement.
    fn post_block(&self, block: &mut dyn SystemState) -> Result<(), ExecError> {
        let _ = block;
        Ok(())
    }
}

/// No system steps (the dev chain, and any chain without staking).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl SystemHooks for NoHooks {}

/// What a system hook may read and change of the block being executed.
pub trait SystemState {
    /// The block's attributes.
    fn attributes(&self) -> &BlockAttributes;

    /// `owner`'s balance of `asset` as the next transaction would see it.
    fn balance(&self, owner: Address, asset: AssetId) -> Result<U256, ExecError>;

    /// Moves `amount` of `asset` from `from` to `to`; fails if `from` holds less.
    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        asset: AssetId,
        amount: U256,
    ) -> Result<(), ExecError>;

    /// Creates `amount` BTM for `to`, counted as staking rewards in the supply.
    fn mint_reward(&mut self, to: Address, amount: U256) -> Result<(), ExecError>;

    /// Destroys `amount` of `from`'s BTM (slashing), counted as burned; fails if `from`
    /// holds less.
    fn burn(&mut self, from: Address, amount: U256) -> Result<(), ExecError>;
}

/// BTM the hooks of one block minted and burned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SystemSupply {
    pub(crate) minted: U256,
    pub(crate) burned: U256,
}

/// [`SystemState`] over the executor's block state.
pub(crate) struct SystemCall<'a, V, H> {
    pub(crate) attrs: &'a BlockAttributes,
    pub(crate) state: &'a mut BlockState<V, H>,
    pub(crate) supply: &'a mut SystemSupply,
}

fn signed(amount: U256) -> Result<I256, ExecError> {
    I256::try_from(amount).map_err(|_| ExecError::System(format!("amount {amount} too large")))
}

impl<V: StateView, H: BlockHashes> SystemCall<'_, V, H> {
    fn debit(&mut self, from: Address, asset: AssetId, amount: U256) -> Result<(), ExecError> {
        let have = self.state.effective_balance(from, asset)?;
        if have < amount {
            return Err(ExecError::System(format!(
                "{from} holds {have} of {asset}, a system step takes {amount}"
            )));
        }
        self.state.add_delta(from, asset, -signed(amount)?);
        Ok(())
    }
}

impl<V: StateView, H: BlockHashes> SystemState for SystemCall<'_, V, H> {
    fn attributes(&self) -> &BlockAttributes {
        self.attrs
    }

    fn balance(&self, owner: Address, asset: AssetId) -> Result<U256, ExecError> {
        Ok(self.state.effective_balance(owner, asset)?)
    }

    fn transfer(
        &mut self,
        from: Address,
        to: Address,
        asset: AssetId,
        amount: U256,
    ) -> Result<(), ExecError> {
        self.debit(from, asset, amount)?;
        self.state.add_delta(to, asset, signed(amount)?);
        Ok(())
    }

    fn mint_reward(&mut self, to: Address, amount: U256) -> Result<(), ExecError> {
        self.state.add_delta(to, AssetId::BTM, signed(amount)?);
        self.supply.minted += amount;
        Ok(())
    }

    fn burn(&mut self, from: Address, amount: U256) -> Result<(), ExecError> {
        self.debit(from, AssetId::BTM, amount)?;
        self.supply.burned += amount;
        Ok(())
    }
}
