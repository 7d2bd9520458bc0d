//! `eth_getLogs` and the log matching the filters and subscriptions share.
//!
//! A range query scans the blocks of the range, skipping those whose header bloom cannot
//! match. It is capped: at most [`RpcConfig::max_logs_block_range`] blocks and
//! [`RpcConfig::max_logs`] results, otherwise `-32602` tells the client to narrow the
//! range.
//!
//! [`RpcConfig::max_logs_block_range`]: crate::RpcConfig::max_logs_block_range
//! [`RpcConfig::max_logs`]: crate::RpcConfig::max_logs

use crate::{
    backend::BlockData,
    convert::rpc_log,
    ctx::EthCtx,
    error::{RpcResult, invalid_params, server_error},
};
use alloy_eips::BlockNumberOrTag;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};
use jsonrpsee::proc_macros::rpc;

/// `eth_getLogs`.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthLogsRpc {
    /// `eth_getLogs`.
    #[method(name = "getLogs", blocking)]
    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>>;
}

/// Implementation of [`EthLogsRpcServer`].
#[derive(Debug)]
pub(crate) struct LogsApi {
    ctx: EthCtx,
}

impl LogsApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

impl EthLogsRpcServer for LogsApi {
    fn logs(&self, filter: Filter) -> RpcResult<Vec<Log>> {
        query_logs(&self.ctx, &filter, None)
    }
}

/// The logs of one block that match `filter`'s addresses and topics.
pub(crate) fn matching_logs(block: &BlockData, filter: &Filter) -> Vec<Log> {
    if !filter.matches_bloom(block.header.logs_bloom) {
        return Vec::new();
    }
    // Only the logs the block's index names for the filter's most selective part are
    // checked, and only the matches converted: a saturated bloom lets most blocks of a
    // busy chain through.
    let mut out = Vec::new();
    for (index, position) in block.log_index().candidates(filter) {
        let (index, position) = (index as usize, position as usize);
        if let Some(log) = block.receipts.get(index).and_then(|r| r.logs.get(position))
            && filter.matches(log)
        {
            out.push(rpc_log(block, index, position, log));
        }
    }
    out
}

/// The inclusive block range of a range filter, clamped to the head; `None` when it is
/// empty (it starts above the head). `start` overrides the lower end (filters poll from
/// where they stopped).
pub(crate) fn resolve_range(
    ctx: &EthCtx,
    filter: &Filter,
    start: Option<u64>,
) -> RpcResult<Option<(u64, u64)>> {
    let head = ctx.backend.latest_number();
    let (from, to) = filter.block_option.as_range();
    let from = ctx.tag_number(from.copied().unwrap_or(BlockNumberOrTag::Latest));
    let to = ctx.tag_number(to.copied().unwrap_or(BlockNumberOrTag::Latest));
    if from > to {
        return Err(invalid_params("invalid block range params"));
    }
    let from = start.map_or(from, |s| s.max(from));
    let to = to.min(head);
    if from > to {
        return Ok(None);
    }
    Ok(Some((from, to)))
}

/// Runs a log query. `start` moves the lower end of a range filter up (polling).
pub(crate) fn query_logs(ctx: &EthCtx, filter: &Filter, start: Option<u64>) -> RpcResult<Vec<Log>> {
    let max_logs = ctx.config.max_logs;
    if let FilterBlockOption::AtBlockHash(hash) = filter.block_option {
        let block = ctx
            .block_by_hash(hash)?
            .ok_or_else(|| server_error("unknown block"))?;
        let logs = matching_logs(&block, filter);
        if logs.len() > max_logs {
            return Err(invalid_params(format!(
                "query exceeds max results {max_logs}"
            )));
        }
        return Ok(logs);
    }
    let Some((from, to)) = resolve_range(ctx, filter, start)? else {
        return Ok(Vec::new());
    };
    let max_range = ctx.config.max_logs_block_range;
    if max_range != 0 && to - from + 1 > max_range {
        return Err(invalid_params(format!(
            "query exceeds max block range {max_range}"
        )));
    }
    let mut out = Vec::new();
    for n in from..=to {
        // Skip blocks whose header bloom rules the filter out before loading them.
        match ctx.backend.logs_bloom(n).map_err(server_error)? {
            None => break,
            Some(bloom) if !filter.matches_bloom(bloom) => continue,
            Some(_) => {}
        }
        let Some(block) = ctx.block(n)? else { break };
        out.extend(matching_logs(&block, filter));
        if out.len() > max_logs {
            return Err(invalid_params(format!(
                "query exceeds max results {max_logs}, retry with the range {from}-{}",
                n.saturating_sub(1).max(from)
            )));
        }
    }
    Ok(out)
}
