//! Transfers posted as JSON-RPC batches of 100 from every sender, and the two ways a run
//! waits for them: the harness's nonce check, or each sender polling its last receipt as
//! wallets do.

use crate::{
    load::{self, Kind},
    phases::{Ctx, Throughput},
    wire,
};
use alloy_primitives::{Address, keccak256};
use futures::{StreamExt, stream};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::Value;
use std::time::{Duration, Instant};

/// `ctx.runs` receipt-polling runs of `kind`; the run with the median mined rate, with
/// every run's rate and errors (one run moves by up to a block time).
pub(super) async fn polled(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    kind: Kind,
) -> anyhow::Result<Throughput> {
    let mut all = Vec::new();
    for _ in 0..ctx.runs.max(1) {
        all.push(batches(ctx, client, url, chain_id, kind, Waiter::Receipts).await?);
    }
    Ok(Throughput::median_of(all))
}

/// How a run knows its transactions are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waiter {
    /// The harness's own nonce check (a batch of `eth_getTransactionCount` every 50 ms).
    Nonces,
    /// Each sender polls its last transaction's receipt whenever the head moves.
    Receipts,
}

/// `ctx.txs` transfers in batches of 100 from every sender, waited for by `waiter`.
pub(super) async fn batches(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    kind: Kind,
    waiter: Waiter,
) -> anyhow::Result<Throughput> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let k = ctx.keys.len();
    let per_sender = ctx.txs / k;
    let (raws, sign_rate) = load::presign(&ctx.keys, &start, per_sender, kind, chain_id);
    let targets: Vec<u64> = start.iter().map(|n| n + per_sender as u64).collect();
    // Round-robin order: the last `k` transactions are each sender's last.
    let last: Vec<String> = raws[raws.len() - k..]
        .iter()
        .map(|r| format!("{:#x}", keccak256(r)))
        .collect();
    let bodies = wire::Bodies::send_raw(&raws, Some(100));
    let connections = ctx.concurrency.div_ceil(100).max(2);
    let t0 = Instant::now();
    let poller = (waiter == Waiter::Receipts).then(|| {
        let client = client.clone();
        tokio::spawn(async move { poll_receipts(&client, last).await })
    });
    let (submit_s, errors) = wire::post_all(url, &bodies, connections)?;
    match poller {
        Some(p) => p.await??,
        None => {
            load::wait_mined(client, &addrs, &targets, Duration::from_secs(600)).await?;
        }
    }
    Ok(Throughput::measured(
        raws.len(),
        submit_s,
        t0,
        errors,
        sign_rate,
    ))
}

/// Waits as wallets do: whenever the head moves (checked every 20 ms), every sender
/// whose last transaction has no receipt yet asks for it, all at once.
async fn poll_receipts(client: &HttpClient, mut waiting: Vec<String>) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut seen_head = None;
    while !waiting.is_empty() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} receipts missing after 600 s",
            waiting.len()
        );
        let head = load::block_number(client).await?;
        if seen_head != Some(head) {
            seen_head = Some(head);
            let found: Vec<bool> = stream::iter(waiting.clone())
                .map(|h| {
                    let client = client.clone();
                    async move {
                        let r: Value = client
                            .request("eth_getTransactionReceipt", rpc_params![h])
                            .await?;
                        anyhow::Ok(!r.is_null())
                    }
                })
                .buffered(waiting.len())
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<anyhow::Result<_>>()?;
            let mut it = found.into_iter();
            waiting.retain(|_| !it.next().unwrap_or(false));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
