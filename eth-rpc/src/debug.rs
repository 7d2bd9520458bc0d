//! The `debug` namespace: geth's `debug_traceTransaction`, `debug_traceCall`,
//! `debug_traceBlockByNumber` and `debug_traceBlockByHash` with the built-in tracers.
//! Mined transactions are traced by replaying their block ([`Replay`]); calls run like
//! `eth_call`.

use crate::{
    backend::BlockData,
    ctx::EthCtx,
    error::{RpcResult, invalid_params, server_error},
    evm::prepare,
    replay::{Replay, locate},
    tracer::{debug_inspector, native_not_traceable, trace_call, trace_next},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_rpc_types_trace::geth::{
    GethDebugTracingCallOptions, GethDebugTracingOptions, GethTrace, TraceResult,
};
use jsonrpsee::proc_macros::rpc;
use std::sync::Arc;

/// geth's tracing methods.
#[rpc(server, namespace = "debug")]
pub(crate) trait DebugRpc {
    /// `debug_traceTransaction`: replays a mined transaction under a tracer.
    #[method(name = "traceTransaction", blocking)]
    fn trace_transaction(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace>;

    /// `debug_traceCall`: runs a call request under a tracer.
    #[method(name = "traceCall", blocking)]
    fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        opts: Option<GethDebugTracingCallOptions>,
    ) -> RpcResult<GethTrace>;

    /// `debug_traceBlockByNumber`: every transaction of a block.
    #[method(name = "traceBlockByNumber", blocking)]
    fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>>;

    /// `debug_traceBlockByHash`: every transaction of a block.
    #[method(name = "traceBlockByHash", blocking)]
    fn trace_block_by_hash(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>>;
}

/// Implementation of [`DebugRpcServer`].
#[derive(Debug)]
pub(crate) struct DebugApi {
    ctx: EthCtx,
}

impl DebugApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }

    /// Traces every transaction of `block`; a native one gets an error entry.
    fn trace_block(
        &self,
        block: Arc<BlockData>,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        let template = debug_inspector(opts.unwrap_or_default())?;
        let mut replay = Replay::new(&self.ctx, block)?;
        let mut traces = Vec::with_capacity(replay.block().transactions.len());
        // One budget for the whole answer: each transaction gets what the ones before
        // left.
        let mut budget = self.ctx.config.max_trace_bytes;
        while let Some(hash) = replay.next_tx().map(|tx| tx.hash()) {
            let inspector = template
                .try_clone()
                .map_err(|e| server_error(e.to_string()))?;
            traces.push(match trace_next(&mut replay, inspector, &mut budget)? {
                Some(result) => TraceResult::Success {
                    result,
                    tx_hash: Some(hash),
                },
                None => TraceResult::Error {
                    error: native_not_traceable(hash),
                    tx_hash: Some(hash),
                },
            });
        }
        Ok(traces)
    }
}

impl DebugRpcServer for DebugApi {
    fn trace_transaction(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<GethTrace> {
        let inspector = debug_inspector(opts.unwrap_or_default())?;
        let Some((block, index)) = locate(&self.ctx, hash)? else {
            return Err(server_error("transaction not found"));
        };
        if block.transactions[index].as_native().is_some() {
            return Err(server_error(native_not_traceable(hash)));
        }
        let mut replay = Replay::new(&self.ctx, block)?;
        replay.run_until(index)?;
        let mut budget = self.ctx.config.max_trace_bytes;
        trace_next(&mut replay, inspector, &mut budget)?
            .ok_or_else(|| server_error(native_not_traceable(hash)))
    }

    fn trace_call(
        &self,
        request: TransactionRequest,
        block: Option<BlockId>,
        opts: Option<GethDebugTracingCallOptions>,
    ) -> RpcResult<GethTrace> {
        let opts = opts.unwrap_or_default();
        if opts.tx_index.is_some() {
            return Err(invalid_params("txIndex is not supported"));
        }
        let inspector = debug_inspector(opts.tracing_options)?;
        // As in geth, the call runs in the environment of the block it reads (default
        // latest), not in the next block's.
        let block = Some(block.unwrap_or_default());
        let (mut db, env) = prepare(
            &self.ctx,
            &request,
            block,
            opts.state_overrides,
            opts.block_overrides,
        )?;
        trace_call(&mut db, &env, inspector, self.ctx.config.max_trace_bytes)
    }

    fn trace_block_by_number(
        &self,
        number: BlockNumberOrTag,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        let n = self.ctx.tag_number(number);
        let block = self
            .ctx
            .block(n)?
            .ok_or_else(|| server_error(format!("block #{n} not found")))?;
        self.trace_block(block, opts)
    }

    fn trace_block_by_hash(
        &self,
        hash: B256,
        opts: Option<GethDebugTracingOptions>,
    ) -> RpcResult<Vec<TraceResult>> {
        let block = self
            .ctx
            .block_by_hash(hash)?
            .ok_or_else(|| server_error(format!("block {hash} not found")))?;
        self.trace_block(block, opts)
    }
}
