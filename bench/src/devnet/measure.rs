//! The measurements, on any node that serves the load (a devnet's full node or a dev
//! node): funding the senders, finalized throughput with the CPU time of every node
//! process, finality latency one transaction at a time and at a steady open-loop rate,
//! and idle CPU.

use super::{metrics, net};
use crate::{
    load::{self, Kind},
    phases::{Ctx, OpenLoopRun},
    wire,
};
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use jsonrpsee::{
    core::{client::ClientT, params::BatchRequestBuilder},
    http_client::HttpClient,
    rpc_params,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The processes whose CPU time counts, and where the load goes.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    /// (name, pid, metrics URL) of every node process.
    pub(crate) procs: Vec<(String, u32, Option<String>)>,
}

impl Target {
    fn ticks(&self) -> Vec<Option<u64>> {
        self.procs.iter().map(|p| net::cpu_ticks(p.1)).collect()
    }
    fn scrape(&self) -> Vec<Option<metrics::Snapshot>> {
        self.procs
            .iter()
            .map(|p| p.2.as_deref().and_then(metrics::scrape))
            .collect()
    }
    /// Per node: the block histograms' (observations, mean ms) between two scrapes.
    fn metrics_between(
        &self,
        before: &[Option<metrics::Snapshot>],
        after: &[Option<metrics::Snapshot>],
    ) -> Vec<NodeMetrics> {
        self.procs
            .iter()
            .zip(before.iter().zip(after))
            .filter_map(|(p, (a, b))| Some((p.0.clone(), metrics::delta(a.as_ref()?, b.as_ref()?))))
            .collect()
    }
}

/// A node's block histograms over a window: (name, [(observations, mean ms)] of
/// [`metrics::HISTOGRAMS`]).
pub(crate) type NodeMetrics = (String, [(u64, f64); 4]);

/// What the nodes did while nothing was sent: CPU (% of one core) per node, the blocks
/// made and the block histograms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Idle {
    pub(crate) cpu: Vec<(String, f64)>,
    pub(crate) range: (u64, u64),
    pub(crate) metrics: Vec<NodeMetrics>,
}

/// Latency percentiles over some transactions (ms).
#[derive(Debug, Clone, Default)]
pub(crate) struct Latency {
    pub(crate) samples: usize,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

impl Latency {
    fn of(mut ms: Vec<f64>) -> Self {
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        Self {
            samples: ms.len(),
            p50_ms: pct(0.5),
            p99_ms: pct(0.99),
            max_ms: ms.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// One timed run of transfers, finalized.
#[derive(Debug, Clone, Default)]
pub(crate) struct KindRun {
    pub(crate) txs: usize,
    /// Seconds to submit them all.
    pub(crate) submit_s: f64,
    /// Seconds from the first submission to the last receipt.
    pub(crate) secs: f64,
    /// CPU seconds of each node process during the run: (name, seconds).
    pub(crate) cpu: Vec<(String, f64)>,
    /// CPU seconds of the harness itself (signing is done before timing; this is the
    /// submission client and the receipt polling).
    pub(crate) harness_cpu: f64,
    /// Blocks made during the run (first, last) and the transactions in each.
    pub(crate) range: (u64, u64),
    pub(crate) per_block: Vec<usize>,
    /// Gas used by one of the transfers.
    pub(crate) gas_per_tx: u64,
    /// Receipts of the senders' last transfers that failed (status 0).
    pub(crate) failed: usize,
    /// Per node: the block histograms over the run.
    pub(crate) metrics: Vec<NodeMetrics>,
    /// Finalized tx/s of every run, in order (this one is their median).
    pub(crate) runs: Vec<f64>,
}

impl KindRun {
    pub(crate) fn tps(&self) -> f64 {
        self.txs as f64 / self.secs
    }
    /// CPU milliseconds per transaction of each node.
    pub(crate) fn cpu_ms_per_tx(&self) -> Vec<(String, f64)> {
        self.cpu
            .iter()
            .map(|(n, s)| (n.clone(), s * 1000.0 / self.txs as f64))
            .collect()
    }
    pub(crate) fn median_of(mut all: Vec<KindRun>) -> KindRun {
        let runs: Vec<f64> = all.iter().map(KindRun::tps).collect();
        all.sort_by(|a, b| a.tps().total_cmp(&b.tps()));
        let mut m = all.swap_remove(all.len() / 2);
        m.runs = runs;
        m
    }
}

/// The newest block's base fee (wei).
pub(crate) async fn base_fee(client: &HttpClient) -> anyhow::Result<u64> {
    let block: Value = client
        .request("eth_getBlockByNumber", rpc_params!["latest", false])
        .await?;
    load::quantity(&block["baseFeePerGas"])
}

/// Waits (up to `timeout`) until the base fee is at most `max` wei: full blocks raise it
/// by up to 12.5% each, and the benchmark's transfers offer at most 100 gwei, so each run
/// starts from a low base fee. Returns the base fee reached.
pub(crate) async fn wait_base_fee(
    client: &HttpClient,
    max: u64,
    timeout: Duration,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let fee = base_fee(client).await?;
        if fee <= max || Instant::now() > deadline {
            return Ok(fee);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Gives every sender from index `funders` on `amount` wei, sent by the first `funders`
/// senders (the funded development accounts) in turn, and waits for it. Returns the
/// number of funding transfers.
pub(crate) async fn fund_senders(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    funders: usize,
    amount: U256,
) -> anyhow::Result<usize> {
    let funders = funders.min(ctx.keys.len());
    if ctx.keys.len() <= funders {
        return Ok(0);
    }
    let from: Vec<Address> = ctx.keys[..funders].iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &from, "pending").await?;
    let mut next = start.clone();
    let raws: Vec<Bytes> = (funders..ctx.keys.len())
        .map(|j| {
            let f = j % funders;
            let nonce = next[f];
            next[f] += 1;
            load::sign(
                &ctx.keys[f],
                chain_id,
                nonce,
                TxKind::Call(ctx.keys[j].address()),
                amount,
                Bytes::new(),
                21_000,
            )
        })
        .collect();
    let errors = load::submit(client, &raws, 16).await?;
    anyhow::ensure!(errors == 0, "{errors} funding transfers were refused");
    load::wait_mined(client, &from, &next, Duration::from_secs(120)).await?;
    let last = ctx.keys[ctx.keys.len() - 1].address();
    let balance: Value = client
        .request("eth_getBalance", rpc_params![last, "latest"])
        .await?;
    anyhow::ensure!(
        balance.as_str() != Some("0x0"),
        "sender {last} has no balance after funding"
    );
    Ok(raws.len())
}

/// Polls the receipts of `hashes` (batches of 100, every 20 ms) until every one is
/// there. Returns one receipt and how many were failed (status 0).
async fn wait_receipts(
    client: &HttpClient,
    hashes: &[String],
    timeout: Duration,
) -> anyhow::Result<(Value, usize)> {
    let deadline = Instant::now() + timeout;
    let mut missing: Vec<String> = hashes.to_vec();
    let mut sample = Value::Null;
    let mut failed = 0;
    loop {
        let mut still = Vec::new();
        for chunk in missing.chunks(100) {
            let mut batch = BatchRequestBuilder::new();
            for h in chunk {
                batch.insert("eth_getTransactionReceipt", rpc_params![h])?;
            }
            let res = client.batch_request::<Value>(batch).await?;
            for (h, r) in chunk.iter().zip(res) {
                match r {
                    Ok(v) if !v.is_null() => {
                        if v["status"].as_str() != Some("0x1") {
                            failed += 1;
                        }
                        if sample.is_null() {
                            sample = v;
                        }
                    }
                    _ => still.push(h.clone()),
                }
            }
        }
        missing = still;
        if missing.is_empty() {
            return Ok((sample, failed));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{} senders' last transfers have no receipt after {timeout:?}",
            missing.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One timed run: `txs` pre-signed transfers of `kind` (round-robin over the senders)
/// posted to `target.url` with `ctx.concurrency` requests in flight, timed from the
/// first submission until the receipt of every sender's last transfer is there (a
/// sender's transfers are in nonce order, so that is the last receipt of all). The CPU
/// time of every node process and of the harness is read before and after.
pub(crate) async fn finalized_run(
    ctx: &Ctx,
    client: &HttpClient,
    target: &Target,
    chain_id: u64,
    kind: Kind,
) -> anyhow::Result<KindRun> {
    let fee = wait_base_fee(client, 2_000_000_000, Duration::from_secs(120)).await?;
    if fee > 2_000_000_000 {
        eprintln!("[devnet] base fee still {fee} wei before the run");
    }
    let k = ctx.keys.len();
    let addrs: Vec<Address> = ctx.keys.iter().map(|key| key.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let per_sender = (ctx.txs / k).max(1);
    let (raws, _) = load::presign(&ctx.keys, &start, per_sender, kind, chain_id);
    let last: Vec<String> = raws[(per_sender - 1) * k..]
        .iter()
        .map(|r| format!("{:#x}", keccak256(r)))
        .collect();
    let bodies = wire::Bodies::send_raw(&raws, None);
    load::next_block(client).await?;
    let first_block = load::block_number(client).await? + 1;
    let cpu0 = target.ticks();
    let me0 = net::cpu_ticks(std::process::id());
    let m0 = target.scrape();
    let t0 = Instant::now();
    let (submit_s, errors) = wire::post_all(&target.url, &bodies, ctx.concurrency)?;
    anyhow::ensure!(
        errors == 0,
        "{errors} submissions were refused (first error above)"
    );
    let (sample, failed) = wait_receipts(client, &last, Duration::from_secs(600)).await?;
    let secs = t0.elapsed().as_secs_f64();
    let cpu1 = target.ticks();
    let me1 = net::cpu_ticks(std::process::id());
    let m1 = target.scrape();
    let last_block = load::quantity(&sample["blockNumber"]).unwrap_or(first_block);
    let head = load::block_number(client).await?;
    let mut per_block = Vec::new();
    for n in first_block..=head.max(last_block) {
        per_block.push(load::block_tx_hashes(client, n).await?.len());
    }
    // Up to the block of the last receipt seen (trailing empty blocks dropped).
    while per_block.last() == Some(&0) {
        per_block.pop();
    }
    let cpu = net::cpu_seconds(&cpu0, &cpu1);
    Ok(KindRun {
        txs: raws.len(),
        submit_s,
        secs,
        cpu: target
            .procs
            .iter()
            .zip(cpu)
            .map(|(p, s)| (p.0.clone(), s))
            .collect(),
        harness_cpu: net::cpu_seconds(&[me0], &[me1])[0],
        range: (first_block, first_block + per_block.len() as u64 - 1),
        per_block,
        gas_per_tx: load::quantity(&sample["gasUsed"]).unwrap_or(0),
        failed,
        metrics: target.metrics_between(&m0, &m1),
        runs: Vec::new(),
    })
}

/// `runs` finalized runs of `kind`; the median by finalized tx/s, with every run's rate.
pub(crate) async fn finalized_runs(
    ctx: &Ctx,
    client: &HttpClient,
    target: &Target,
    chain_id: u64,
    kind: Kind,
    label: &str,
) -> anyhow::Result<KindRun> {
    let mut all = Vec::new();
    for i in 0..ctx.runs.max(1) {
        let r = finalized_run(ctx, client, target, chain_id, kind).await?;
        eprintln!(
            "[devnet] {label} run {}: {} txs finalized in {:.2} s = {:.0} tx/s (submitted in {:.2} s), {} blocks",
            i + 1,
            r.txs,
            r.secs,
            r.tps(),
            r.submit_s,
            r.per_block.len()
        );
        all.push(r);
    }
    Ok(KindRun::median_of(all))
}

/// CPU of every node process over `secs` seconds with no load, in % of one core, with
/// the blocks made meanwhile and the nodes' block histograms.
pub(crate) async fn idle(client: &HttpClient, target: &Target, secs: f64) -> anyhow::Result<Idle> {
    let from = load::block_number(client).await? + 1;
    let m0 = target.scrape();
    let before = target.ticks();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let after = target.ticks();
    let m1 = target.scrape();
    let to = load::block_number(client).await?;
    Ok(Idle {
        cpu: target
            .procs
            .iter()
            .zip(net::cpu_seconds(&before, &after))
            .map(|(p, s)| (p.0.clone(), s * 100.0 / secs))
            .collect(),
        range: (from, to),
        metrics: target.metrics_between(&m0, &m1),
    })
}

/// Finality latency one transfer at a time: each sample waits a different fraction of
/// `spread` seconds first (so the submissions fall all over the block interval), then
/// sends a BTM transfer from `keys` in turn and polls its receipt every 2 ms.
pub(crate) async fn idle_latency(
    client: &HttpClient,
    chain_id: u64,
    keys: &[PrivateKeySigner],
    samples: usize,
    spread: f64,
) -> anyhow::Result<Latency> {
    let addrs: Vec<Address> = keys.iter().map(|k| k.address()).collect();
    let mut nonces = load::nonces(client, &addrs, "pending").await?;
    let mut ms = Vec::with_capacity(samples);
    for s in 0..samples {
        // The golden-ratio sequence spreads the offsets evenly over [0, spread).
        let offset = (s as f64 * 0.618_033_988_749_895).fract() * spread;
        tokio::time::sleep(Duration::from_secs_f64(offset)).await;
        let i = s % keys.len();
        let raw = load::sign(
            &keys[i],
            chain_id,
            nonces[i],
            TxKind::Call(addrs[(i + 1) % keys.len()]),
            U256::from(1),
            Bytes::new(),
            21_000,
        );
        nonces[i] += 1;
        let t = Instant::now();
        let hash = load::send(client, &raw).await?;
        let deadline = t + Duration::from_secs(60);
        loop {
            let r: Value = client
                .request("eth_getTransactionReceipt", rpc_params![&hash])
                .await?;
            if !r.is_null() {
                break;
            }
            anyhow::ensure!(Instant::now() < deadline, "no receipt for {hash} in 60 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Latency::of(ms))
}

/// A steady open-loop load and its finality latency.
#[derive(Debug, Clone, Default)]
pub(crate) struct OpenLoop {
    /// Offered rate (tx/s) and the rate the submissions kept.
    pub(crate) rate: f64,
    pub(crate) achieved: f64,
    pub(crate) sent: usize,
    pub(crate) latency: Latency,
    /// CPU seconds of each node from the first submission until every transfer is in.
    pub(crate) cpu: Vec<(String, f64)>,
    /// The blocks made meanwhile and the block histograms.
    pub(crate) range: (u64, u64),
    pub(crate) metrics: Vec<NodeMetrics>,
}

/// BTM transfers at a steady `rate` for `secs` seconds, each submitted at its scheduled
/// time whatever the node answers (open loop); each timed from its submission until a
/// block holding it is seen on the node (a watcher polls the head every 5 ms and reads
/// every new block's transaction hashes).
pub(crate) async fn open_loop(
    ctx: &Ctx,
    client: &HttpClient,
    target: &Target,
    chain_id: u64,
    rate: f64,
    secs: f64,
) -> anyhow::Result<OpenLoop> {
    wait_base_fee(client, 2_000_000_000, Duration::from_secs(120)).await?;
    let mut run = OpenLoopRun::start(
        ctx,
        client,
        chain_id,
        rate,
        secs,
        100_000,
        Duration::from_millis(5),
    )
    .await?;
    let from = load::block_number(client).await? + 1;
    let m0 = target.scrape();
    let cpu0 = target.ticks();
    let send_s = run.submit(client, rate).await;
    let mined = load::wait_mined(client, &run.addrs, &run.targets, Duration::from_secs(300)).await;
    let cpu1 = target.ticks();
    let m1 = target.scrape();
    let to = load::block_number(client).await?;
    let sent = run.len();
    let ms = run.finish().await?;
    mined?;
    Ok(OpenLoop {
        rate,
        achieved: sent as f64 / send_s,
        sent,
        latency: Latency::of(ms),
        cpu: target
            .procs
            .iter()
            .zip(net::cpu_seconds(&cpu0, &cpu1))
            .map(|(p, s)| (p.0.clone(), s))
            .collect(),
        range: (from, to),
        metrics: target.metrics_between(&m0, &m1),
    })
}
