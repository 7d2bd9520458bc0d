//! What every phase runs with: the context built from the command line ([`Ctx`]), which
//! node a phase measures ([`Which`]), and starting that node on a fresh data directory.

use crate::nodes::NodeProc;
use alloy_signer_local::PrivateKeySigner;
use std::path::PathBuf;

/// Everything the phases need.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) bytom2: PathBuf,
    pub(crate) anvil: PathBuf,
    pub(crate) spec_path: PathBuf,
    pub(crate) chain_id: u64,
    pub(crate) keys: Vec<PrivateKeySigner>,
    pub(crate) txs: usize,
    /// Transactions of each steady-state run (0: no steady-state phase).
    pub(crate) steady_txs: usize,
    pub(crate) concurrency: usize,
    pub(crate) gas_limit: u64,
    pub(crate) read_seconds: u64,
    pub(crate) scratch: PathBuf,
    /// Runs of each throughput workload (the median is reported).
    pub(crate) runs: usize,
    /// `--log-level` of the bytom2 nodes (their log goes to the harness's stderr).
    pub(crate) node_log_level: String,
}

/// Which node a phase runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Bytom2,
    Anvil,
}

/// Starts `which` on a fresh data directory named by `tag`; with `log`, bytom2 is a
/// development node (the dev methods are served) and its log goes there at `info`.
pub(crate) fn start(
    ctx: &Ctx,
    which: Which,
    block_time: Option<f64>,
    tag: &str,
    log: Option<&std::path::Path>,
) -> anyhow::Result<(NodeProc, PathBuf)> {
    let datadir = ctx.scratch.join(format!("bytom2-{tag}"));
    let node = match which {
        Which::Bytom2 => NodeProc::bytom2(
            &ctx.bytom2,
            &ctx.spec_path,
            &datadir,
            ctx.gas_limit,
            block_time,
            &ctx.node_log_level,
            log,
        )?,
        Which::Anvil => NodeProc::anvil(&ctx.anvil, ctx.keys.len(), ctx.gas_limit, block_time)?,
    };
    Ok((node, datadir))
}

/// The chain id `which` runs with.
pub(crate) fn chain_id(ctx: &Ctx, which: Which) -> u64 {
    match which {
        Which::Bytom2 => ctx.chain_id,
        Which::Anvil => 31337,
    }
}
