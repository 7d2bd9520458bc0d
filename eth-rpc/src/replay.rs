//! Replaying a committed block for tracing: the block's own executor over the state at
//! the end of its parent, in the block's environment, with every transaction (native
//! ones included) applied in order, so a traced transaction sees exactly the state it
//! saw when the block was built.

use crate::{
    backend::{BlockData, BoxedState},
    ctx::{BackendHashes, EthCtx},
    error::{RpcResult, internal, server_error},
};
use alloy_primitives::B256;
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockState, BlockTx, InspectedContext, TxSummary,
};
use jsonrpsee::types::ErrorObjectOwned;
use revm::{Inspector, context::BlockEnv, context_interface::result::ResultAndState};
use std::sync::Arc;

/// The block state a replayed transaction runs on.
pub(crate) type ReplayState = BlockState<BoxedState, BackendHashes>;

/// A committed block being re-executed, one transaction at a time.
pub(crate) struct Replay {
    block: Arc<BlockData>,
    exec: BlockExecutor<BoxedState, BackendHashes>,
    /// Index of the next transaction to run.
    next: usize,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("block", &self.block.header.number)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// What running one transaction of a replayed block gave.
#[derive(Debug)]
pub(crate) enum Step<R> {
    /// An Ethereum transaction, traced: what the inspection returned.
    Eth(R),
    /// A native UTXO transaction: applied, but it runs no EVM code to trace.
    Native,
}

// === impl Replay ===

impl Replay {
    /// Starts replaying `block` on the state at the end of its parent, with the block's
    /// environment (number, timestamp, base fee, beneficiary, randomness, gas limit) and
    /// the chain's native-transaction rules. The genesis block has nothing to replay.
    pub(crate) fn new(ctx: &EthCtx, block: Arc<BlockData>) -> RpcResult<Self> {
        let h = &block.header;
        let Some(parent) = h.number.checked_sub(1) else {
            return Err(server_error("genesis is not traceable"));
        };
        let attrs = BlockAttributes::of_header(h);
        let state = ctx.state_at(parent)?;
        let exec = BlockExecutor::new(&ctx.evm, attrs, state, ctx.hashes()).map_err(internal)?;
        Ok(Self {
            block,
            exec,
            next: 0,
        })
    }

    /// The block being replayed.
    pub(crate) fn block(&self) -> &BlockData {
        &self.block
    }

    /// revm's environment of the block.
    pub(crate) fn block_env(&self) -> BlockEnv {
        self.exec.config().block_env(self.exec.attributes())
    }

    /// Index of the next transaction to run (how many have run).
    pub(crate) fn position(&self) -> usize {
        self.next
    }

    /// The next transaction to run, if any is left.
    pub(crate) fn next_tx(&self) -> Option<&BlockTx> {
        self.block.transactions.get(self.next)
    }

    /// Runs the transactions before `index` untraced.
    pub(crate) fn run_until(&mut self, index: usize) -> RpcResult<()> {
        while self.next < index {
            let tx = self.next_tx().cloned().ok_or_else(|| self.missing())?;
            let summary = self
                .exec
                .execute_any(tx)
                .map_err(|e| self.diverged(e.to_string()))?;
            self.check(summary)?;
        }
        Ok(())
    }

    /// Runs the next transaction: an Ethereum one under `inspector`, `inspect` getting
    /// the inspector, revm's result and the state before the transaction; a native one
    /// untraced.
    pub(crate) fn trace_next<I, R>(
        &mut self,
        inspector: I,
        inspect: impl FnOnce(I, &ResultAndState, &mut ReplayState) -> R,
    ) -> RpcResult<Step<R>>
    where
        I: for<'a> Inspector<InspectedContext<'a, BoxedState, BackendHashes>>,
    {
        let tx = self.next_tx().cloned().ok_or_else(|| self.missing())?;
        let (summary, step) = match tx {
            BlockTx::Eth(tx) => {
                let (summary, traced) = self
                    .exec
                    .execute_inspected(tx, inspector, inspect)
                    .map_err(|e| self.diverged(e.to_string()))?;
                (summary, Step::Eth(traced))
            }
            BlockTx::Native(tx) => {
                let summary = self
                    .exec
                    .execute_native(tx)
                    .map_err(|e| self.diverged(e.to_string()))?;
                (summary, Step::Native)
            }
        };
        self.check(summary)?;
        Ok(step)
    }

    /// Checks that the transaction just run did what its receipt says (the replay is
    /// faithful) and moves on.
    fn check(&mut self, summary: TxSummary) -> RpcResult<()> {
        let receipts = &self.block.receipts;
        let before = self
            .next
            .checked_sub(1)
            .and_then(|i| receipts.get(i))
            .map_or(0, |r| r.cumulative_gas_used);
        let Some(receipt) = receipts.get(self.next) else {
            return Err(self.diverged("no receipt".into()));
        };
        let gas = receipt.cumulative_gas_used.saturating_sub(before);
        if summary.gas_used != gas || summary.success != receipt.success {
            return Err(self.diverged(format!(
                "gas {} (receipt {gas}), success {} (receipt {})",
                summary.gas_used, summary.success, receipt.success
            )));
        }
        self.next += 1;
        Ok(())
    }

    /// The replay of the next transaction did not match the block.
    fn diverged(&self, why: String) -> ErrorObjectOwned {
        let hash = self.next_tx().map_or(B256::ZERO, BlockTx::hash);
        internal(format!(
            "replaying block {} diverged at transaction {} ({hash}): {why}",
            self.block.header.number, self.next
        ))
    }

    /// There is no next transaction.
    fn missing(&self) -> ErrorObjectOwned {
        internal(format!(
            "block {} has no transaction {}",
            self.block.header.number, self.next
        ))
    }
}

/// Where a committed transaction is: its block and index, or `None` when no committed
/// transaction has `hash`.
pub(crate) fn locate(ctx: &EthCtx, hash: B256) -> RpcResult<Option<(Arc<BlockData>, usize)>> {
    let Some((number, index)) = ctx.backend.transaction_location(hash).map_err(internal)? else {
        return Ok(None);
    };
    let block = ctx.existing_block(number)?;
    let index = index as usize;
    if block.transactions.get(index).map(BlockTx::hash) != Some(hash) {
        return Err(internal(format!(
            "transaction index of {hash} points at block {number} index {index}, which holds another"
        )));
    }
    Ok(Some((block, index)))
}
