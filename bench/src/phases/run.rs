//! One node's full measurement (throughput, latency, memory, data size, reads, steady
//! state and, on bytom2, native vs Ethereum transfers), and the run over both nodes.

use super::{
    ctx::{Ctx, Which, chain_id, start},
    latency::latency,
    native_vs_eth::native_vs_eth,
    reads::read_phase,
    results::NodeResults,
    throughput::{generator_rate, steady_phase, throughput},
    token::setup_token,
};
use crate::load::{self, Kind};

fn dir_mib(path: &std::path::Path) -> Option<f64> {
    let mut total = 0u64;
    for e in std::fs::read_dir(path).ok()? {
        total += e.ok()?.metadata().ok()?.len();
    }
    Some(total as f64 / (1024.0 * 1024.0))
}

async fn run_node(ctx: &Ctx, which: Which) -> anyhow::Result<NodeResults> {
    let id = chain_id(ctx, which);
    // Run 1: interval mining, throughput and latency, memory.
    let (node, datadir) = start(ctx, which, Some(1.0), "tp", None)?;
    let mut r = NodeResults {
        name: node.name,
        startup_s: node.startup,
        ..Default::default()
    };
    eprintln!("[{}] started in {:.3} s", node.name, node.startup);
    let client = load::client(&node.url)?;
    r.generator_rps = generator_rate(&node.url, ctx.concurrency)?;
    let token = setup_token(ctx, &client, id, true).await?;
    r.btm = throughput(ctx, &client, &node.url, id, Kind::Native, None, ctx.runs).await?;
    eprintln!("[{}] BTM: {:.0} tx/s mined", node.name, r.btm.mined_tps());
    r.erc20 = throughput(
        ctx,
        &client,
        &node.url,
        id,
        Kind::Erc20(token),
        None,
        ctx.runs,
    )
    .await?;
    eprintln!(
        "[{}] ERC-20: {:.0} tx/s mined",
        node.name,
        r.erc20.mined_tps()
    );
    r.btm_batch = throughput(
        ctx,
        &client,
        &node.url,
        id,
        Kind::Native,
        Some(100),
        ctx.runs,
    )
    .await?;
    eprintln!(
        "[{}] BTM batched: {:.0} tx/s mined",
        node.name,
        r.btm_batch.mined_tps()
    );
    r.erc20_batch = throughput(
        ctx,
        &client,
        &node.url,
        id,
        Kind::Erc20(token),
        Some(100),
        ctx.runs,
    )
    .await?;
    eprintln!(
        "[{}] ERC-20 batched: {:.0} tx/s mined",
        node.name,
        r.erc20_batch.mined_tps()
    );
    r.latency_offered_tps = (r.btm.mined_tps() / 2.0).max(1.0);
    let (p50, p99) = latency(ctx, &client, id, r.latency_offered_tps, 10.0).await?;
    (r.latency_p50_ms, r.latency_p99_ms) = (p50, p99);
    eprintln!("[{}] latency p50 {p50:.0} ms p99 {p99:.0} ms", node.name);
    r.peak_rss_mib = node.peak_rss_mib();
    node.stop();
    if which == Which::Bytom2 {
        r.data_mib = dir_mib(&datadir);
    }
    // Run 2: automine, read path over 1,000 blocks.
    r.reads = read_phase(ctx, which).await?.1;
    // Run 3: interval mining again, long single-request runs on a fresh node.
    if ctx.steady_txs > 0 {
        let steady = steady_phase(ctx, which).await?;
        eprintln!(
            "[{}] steady state: BTM {:.0}, ERC-20 {:.0} tx/s mined",
            r.name,
            steady.0.mined_tps(),
            steady.1.mined_tps()
        );
        r.steady = Some(steady);
    }
    // Run 4 (bytom2 only): native vs Ethereum transfers.
    if which == Which::Bytom2 {
        r.native = Some(native_vs_eth(ctx).await.map_err(|e| {
            eprintln!("[bytom2] native vs Ethereum phase failed: {e:#}");
            format!("{e:#}")
        }));
    }
    Ok(r)
}

/// bytom2 alone.
pub(crate) async fn run_bytom2(ctx: &Ctx) -> anyhow::Result<NodeResults> {
    run_node(ctx, Which::Bytom2).await
}

/// Both nodes, bytom2 first.
pub(crate) async fn run_all(ctx: &Ctx) -> anyhow::Result<Vec<NodeResults>> {
    Ok(vec![
        run_node(ctx, Which::Bytom2).await?,
        run_node(ctx, Which::Anvil).await?,
    ])
}
