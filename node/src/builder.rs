//! The proposer's lenient block builder ([`BlockBuilder`]): transactions are executed as
//! they are added; invalid ones and those that no longer fit are left out and reported
//! ([`Rejected`]), and a sender's later nonces are held back once one of its
//! transactions is left out. The strict counterpart, for blocks proposed elsewhere, is
//! [`bytom2_evm_adapter::verify_block`].

use crate::NodeError;
use alloy_primitives::{Address, B256, map::HashSet};
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockHashes, BlockTx, ExecuteTxError, ExecutedBlock, TxError,
};
use bytom2_utxo::StateView;
use bytom2_utxo::native::NativeTxError;

/// A block being built: transactions are executed as they are added, invalid ones and
/// those that no longer fit are left out (see [`Chain::builder`]).
pub(crate) struct BlockBuilder<V: StateView, H: BlockHashes> {
    exec: BlockExecutor<V, H>,
    rejected: Vec<Rejected>,
    /// Once one of a sender's transactions is left out, its later nonces cannot run in
    /// this block: they are skipped (they stay in the pool) rather than rejected.
    held_back: HashSet<Address>,
}

impl<V: StateView, H: BlockHashes> BlockBuilder<V, H> {
    /// A builder continuing `exec` (a block just started).
    pub(crate) fn new(exec: BlockExecutor<V, H>) -> Self {
        Self {
            exec,
            rejected: Vec::new(),
            held_back: HashSet::default(),
        }
    }

    /// Executes `txs` in order after the transactions already in the block.
    pub(crate) fn add(
        &mut self,
        txs: impl IntoIterator<Item = impl Into<BlockTx>>,
    ) -> Result<(), NodeError> {
        for tx in txs {
            let tx: BlockTx = tx.into();
            let (hash, sender, is_eth) = (tx.hash(), tx.sender(), tx.as_eth().is_some());
            if is_eth && self.held_back.contains(&sender) {
                continue;
            }
            match self.exec.execute_any(tx) {
                Ok(_) => {}
                Err(ExecuteTxError::Exec(e)) if e.is_fatal() => return Err(e.into()),
                Err(error) => {
                    if is_eth {
                        self.held_back.insert(sender);
                    }
                    self.rejected.push(Rejected {
                        hash,
                        sender,
                        error,
                    });
                }
            }
        }
        Ok(())
    }

    /// The block's attributes.
    pub(crate) fn attributes(&self) -> &BlockAttributes {
        self.exec.attributes()
    }

    /// Transactions executed so far.
    pub(crate) fn executed_count(&self) -> usize {
        self.exec.executed_count()
    }

    /// The nonce `sender`'s next transaction needs in this block.
    pub(crate) fn nonce(&self, sender: Address) -> u64 {
        state_nonce(self.exec.state().cache(), sender)
    }

    /// Settles the block; returns it and the transactions left out.
    pub(crate) fn finish(self) -> Result<(ExecutedBlock, Vec<Rejected>), NodeError> {
        Ok((self.exec.finish()?, self.rejected))
    }
}

impl Rejected {
    /// Whether the transaction can never become valid and should leave the mempool. A
    /// nonce gap, a fee cap below the current base fee and a full block may all pass.
    pub fn is_permanent(&self) -> bool {
        match &self.error {
            ExecuteTxError::Invalid(e) => !matches!(
                e,
                TxError::NonceTooHigh { .. } | TxError::FeeCapTooLow { .. }
            ),
            ExecuteTxError::Native(e) => !matches!(
                e,
                NativeTxError::NeededBySettlement { .. } | NativeTxError::FeeTooLow { .. }
            ),
            ExecuteTxError::Exec(_) => false,
        }
    }
}

/// `address`'s nonce in `state` (0 for an unknown account or a state that cannot be
/// read: the pool and the builder then treat it as a new sender).
pub(crate) fn state_nonce(state: &dyn StateView, address: Address) -> u64 {
    state.account(address).ok().flatten().map_or(0, |a| a.nonce)
}

/// A transaction the block builder left out, and why.
#[derive(Debug)]
pub struct Rejected {
    /// The transaction's hash.
    pub hash: B256,
    /// Its sender.
    pub sender: Address,
    /// Why.
    pub error: ExecuteTxError,
}
