//! Throughput workloads: pre-signed transfers posted with many requests in flight and
//! timed until mined; the median of several runs, single long steady-state runs, and the
//! rate the submission client itself gets through.

use super::{
    ctx::{Ctx, Which, chain_id, start},
    results::Throughput,
    token::setup_token,
};
use crate::{
    load::{self, Kind},
    wire,
};
use alloy_primitives::Address;
use jsonrpsee::http_client::HttpClient;
use serde_json::json;
use std::time::{Duration, Instant};

/// Runs a throughput workload `runs` times on the same node and keeps the run with the
/// median mined rate: with 1-second blocks, where the last transaction falls against the
/// block ticks moves one run's mined rate by up to a block time.
pub(crate) async fn throughput(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    kind: Kind,
    batch: Option<usize>,
    runs: usize,
) -> anyhow::Result<Throughput> {
    let mut all = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        all.push(throughput_once(ctx, client, url, chain_id, kind, batch, ctx.txs, false).await?);
    }
    Ok(Throughput::median_of(all))
}

/// One timed run of `txs` transactions. With `align`, the submission starts right after
/// a new block is in.
#[allow(clippy::too_many_arguments)]
pub(super) async fn throughput_once(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    kind: Kind,
    batch: Option<usize>,
    txs: usize,
    align: bool,
) -> anyhow::Result<Throughput> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let per_sender = txs / ctx.keys.len();
    let (raws, sign_rate) = load::presign(&ctx.keys, &start, per_sender, kind, chain_id);
    let targets: Vec<u64> = start.iter().map(|n| n + per_sender as u64).collect();
    let bodies = wire::Bodies::send_raw(&raws, batch);
    let connections = batch.map_or(ctx.concurrency, |b| ctx.concurrency.div_ceil(b).max(2));
    if align {
        load::next_block(client).await?;
    }
    let t0 = Instant::now();
    let (submit_s, errors) = wire::post_all(url, &bodies, connections)?;
    load::wait_mined(client, &addrs, &targets, Duration::from_secs(600)).await?;
    Ok(Throughput::measured(
        raws.len(),
        submit_s,
        t0,
        errors,
        sign_rate,
    ))
}

/// Steady-state throughput on a fresh node with 1-second blocks: `ctx.steady_txs`
/// single-request BTM transfers, then as many ERC-20 transfers, one run each. With
/// 20,000 transactions a run lasts a few block times, so where it ends in the block
/// interval moves the mined rate by a large step; a run many block times long shows the
/// rate the node keeps up.
pub(super) async fn steady_phase(
    ctx: &Ctx,
    which: Which,
) -> anyhow::Result<(Throughput, Throughput)> {
    let (node, _) = start(ctx, which, Some(1.0), "steady", None)?;
    let run = async {
        let id = chain_id(ctx, which);
        let client = load::client(&node.url)?;
        let token = setup_token(ctx, &client, id, true).await?;
        let url = &node.url;
        let btm = throughput_once(
            ctx,
            &client,
            url,
            id,
            Kind::Native,
            None,
            ctx.steady_txs,
            false,
        )
        .await?;
        let erc20 = throughput_once(
            ctx,
            &client,
            url,
            id,
            Kind::Erc20(token),
            None,
            ctx.steady_txs,
            false,
        )
        .await?;
        anyhow::Ok((btm, erc20))
    }
    .await;
    node.stop();
    run
}

/// Requests per second the submission client gets through with `eth_chainId` (the
/// cheapest call) at the throughput phases' concurrency, over two seconds.
pub(super) fn generator_rate(url: &str, concurrency: usize) -> anyhow::Result<f64> {
    let (rate, _) = wire::repeat(
        url,
        "eth_chainId",
        &json!([]),
        concurrency,
        Duration::from_secs(2),
    )?;
    Ok(rate)
}
