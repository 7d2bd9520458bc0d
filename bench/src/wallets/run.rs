//! What the wallets phase measures on one node ([`WalletResults`]) and its run on both
//! nodes: each workload in turn on a fresh node, and bytom2's block times from its log.

use super::{
    batches::{Waiter, batches, polled},
    block_log::{BlockTimes, block_times, parse_blocks},
    readers::with_readers,
    receipt_latency::receipt_latency,
};
use crate::{
    load::{self, Kind},
    phases::{Ctx, Throughput, Which, chain_id, setup_token, start},
};
use jsonrpsee::http_client::HttpClient;

/// Everything the wallets phase measures on one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct WalletResults {
    /// ERC-20 transfers in batches, waited for by nonce (no receipt polling, no readers).
    pub(crate) erc20_idle: Throughput,
    /// BTM transfers in batches, each sender polling for its last receipt.
    pub(crate) btm_polled: Throughput,
    /// ERC-20 transfers in batches, each sender polling for its last receipt.
    pub(crate) erc20_polled: Throughput,
    /// ERC-20 transfers in batches while 64 readers run.
    pub(crate) erc20_read: Throughput,
    /// Reads answered per second during `erc20_read`.
    pub(crate) reads_per_s: f64,
    /// Receipt latency in ms on a block of 100: (first call, median of 200).
    pub(crate) receipt_100: (f64, f64),
    /// Receipt latency in ms on a block of 15,000: (first call, median of 200).
    pub(crate) receipt_15k: (f64, f64),
    /// bytom2 only: per-block (execute, commit) medians and maxima in ms and transactions
    /// per block, idle and under the read load.
    pub(crate) blocks_idle: Option<BlockTimes>,
    pub(crate) blocks_read: Option<BlockTimes>,
}

/// Both nodes, bytom2 first.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<Vec<WalletResults>> {
    let mut out = Vec::new();
    for which in [Which::Bytom2, Which::Anvil] {
        out.push(run_node(ctx, which).await?);
    }
    Ok(out)
}

async fn run_node(ctx: &Ctx, which: Which) -> anyhow::Result<WalletResults> {
    let log = ctx.scratch.join(format!("wallets-{which:?}.log"));
    let (node, _) = start(
        ctx,
        which,
        Some(1.0),
        "wallets",
        (which == Which::Bytom2).then_some(log.as_path()),
    )?;
    let name = node.name;
    let result = async {
        let id = chain_id(ctx, which);
        let client = load::client(&node.url)?;
        let token = setup_token(ctx, &client, id, true).await?;
        let mut r = WalletResults::default();
        let erc20 = Kind::Erc20(token);
        let (idle, idle_blocks) = timed(&client, || {
            batches(ctx, &client, &node.url, id, erc20, Waiter::Nonces)
        })
        .await?;
        r.erc20_idle = idle;
        eprintln!("[{name}] ERC-20 idle: {:.0} tx/s", r.erc20_idle.mined_tps());
        r.btm_polled = polled(ctx, &client, &node.url, id, Kind::Native).await?;
        eprintln!("[{name}] BTM polled: {:.0} tx/s", r.btm_polled.mined_tps());
        r.erc20_polled = polled(ctx, &client, &node.url, id, erc20).await?;
        eprintln!(
            "[{name}] ERC-20 polled: {:.0} tx/s",
            r.erc20_polled.mined_tps()
        );
        let ((read, reads_per_s), read_blocks) =
            timed(&client, || with_readers(ctx, &client, &node.url, id, token)).await?;
        (r.erc20_read, r.reads_per_s) = (read, reads_per_s);
        eprintln!(
            "[{name}] ERC-20 with 64 readers: {:.0} tx/s, {reads_per_s:.0} reads/s",
            r.erc20_read.mined_tps()
        );
        r.receipt_100 = receipt_latency(ctx, &client, id, 100).await?;
        r.receipt_15k = receipt_latency(ctx, &client, id, 15_000).await?;
        eprintln!(
            "[{name}] receipt ms first/median: 100 txs {:.2}/{:.2}, 15,000 txs {:.2}/{:.2}",
            r.receipt_100.0, r.receipt_100.1, r.receipt_15k.0, r.receipt_15k.1
        );
        if which == Which::Bytom2 {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // Kept after the run (the scratch directory goes) for a closer look.
            let kept = std::env::temp_dir().join("bytom2-bench-wallets.log");
            if std::fs::write(&kept, &text).is_ok() {
                eprintln!("[{name}] node log: {}", kept.display());
            }
            let blocks = parse_blocks(&text);
            r.blocks_idle = block_times(&blocks, idle_blocks);
            r.blocks_read = block_times(&blocks, read_blocks);
        }
        anyhow::Ok(r)
    }
    .await;
    node.stop();
    result
}

/// Runs `f` and returns its value with the range of blocks made meanwhile.
async fn timed<T, F: Future<Output = anyhow::Result<T>>>(
    client: &HttpClient,
    f: impl FnOnce() -> F,
) -> anyhow::Result<(T, (u64, u64))> {
    let from = load::block_number(client).await? + 1;
    let value = f().await?;
    let to = load::block_number(client).await?;
    Ok((value, (from, to)))
}
