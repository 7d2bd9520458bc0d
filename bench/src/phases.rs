//! The measurement phases, run for each node in turn.

use crate::{
    load::{self, Kind},
    native::{self, Coin, FeeSchedule},
    nodes::NodeProc,
    wire,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex, keccak256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use futures::{StreamExt, stream};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

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

/// One throughput run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Throughput {
    pub(crate) txs: usize,
    pub(crate) submit_s: f64,
    pub(crate) mined_s: f64,
    pub(crate) errors: usize,
    pub(crate) sign_rate: f64,
    /// Mined tx/s of every run of this workload, in order (this one is their median).
    pub(crate) mined_runs: Vec<f64>,
}

impl Throughput {
    pub(crate) fn submitted_tps(&self) -> f64 {
        self.txs as f64 / self.submit_s
    }
    pub(crate) fn mined_tps(&self) -> f64 {
        self.txs as f64 / self.mined_s
    }

    /// The run with the median mined rate of `runs` (at least one), with every run's
    /// rate in order and the errors of all of them.
    pub(crate) fn median_of(mut runs: Vec<Throughput>) -> Throughput {
        let mined_runs: Vec<f64> = runs.iter().map(Throughput::mined_tps).collect();
        let errors = runs.iter().map(|t| t.errors).sum();
        runs.sort_by(|a, b| a.mined_tps().total_cmp(&b.mined_tps()));
        let mut median = runs.swap_remove(runs.len() / 2);
        median.mined_runs = mined_runs;
        median.errors = errors;
        median
    }

    /// Every run's mined rate, as "a, b, c".
    pub(crate) fn runs_text(&self) -> String {
        self.mined_runs
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Everything measured on one node.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeResults {
    pub(crate) name: &'static str,
    pub(crate) startup_s: f64,
    pub(crate) generator_rps: f64,
    pub(crate) btm: Throughput,
    pub(crate) btm_batch: Throughput,
    pub(crate) erc20: Throughput,
    pub(crate) erc20_batch: Throughput,
    pub(crate) latency_offered_tps: f64,
    pub(crate) latency_p50_ms: f64,
    pub(crate) latency_p99_ms: f64,
    pub(crate) reads: Vec<(&'static str, f64)>,
    pub(crate) peak_rss_mib: f64,
    pub(crate) data_mib: Option<f64>,
    /// Steady state: one long run of single-request BTM transfers, then ERC-20 transfers,
    /// on a fresh node (`None` when `--steady-txs 0`).
    pub(crate) steady: Option<(Throughput, Throughput)>,
    /// bytom2 only: native vs Ethereum transfers (or why the phase failed).
    pub(crate) native: Option<Result<NativeVsEth, String>>,
}

/// Native vs Ethereum BTM transfers on one bytom2 node (issue #5).
#[derive(Debug, Clone, Default)]
pub(crate) struct NativeVsEth {
    /// Ethereum transfers (21,000 gas) before the native run.
    pub(crate) eth: Throughput,
    /// Native 1-in-2-out transfers, each spending its own prepared output.
    pub(crate) native: Throughput,
    /// Ethereum transfers again, after the native run.
    pub(crate) eth_after: Throughput,
    /// Mean native gas of one native transfer.
    pub(crate) native_gas: f64,
    /// Mean envelope size of one native transfer (bytes).
    pub(crate) native_bytes: f64,
    /// Seconds spent splitting the senders' outputs (not timed).
    pub(crate) setup_s: f64,
    /// Setup transactions (split outputs).
    pub(crate) setup_txs: usize,
    /// Native transfers included per block, in order.
    pub(crate) native_per_block: Vec<usize>,
}

impl NativeVsEth {
    /// Mean of the two Ethereum runs (mined tx/s).
    pub(crate) fn eth_mined_tps(&self) -> f64 {
        (self.eth.mined_tps() + self.eth_after.mined_tps()) / 2.0
    }
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

async fn receipt(client: &HttpClient, hash: &str) -> anyhow::Result<Value> {
    for _ in 0..6000 {
        let r: Value = client
            .request("eth_getTransactionReceipt", rpc_params![hash])
            .await?;
        if !r.is_null() {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    anyhow::bail!("no receipt for {hash}")
}

async fn send(client: &HttpClient, raw: &Bytes) -> anyhow::Result<String> {
    Ok(client
        .request(
            "eth_sendRawTransaction",
            rpc_params![hex::encode_prefixed(raw)],
        )
        .await?)
}

/// Deploys the OpenZeppelin test token from key 0 and gives every sender some.
pub(crate) async fn setup_token(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    distribute: bool,
) -> anyhow::Result<Address> {
    let artifact: Value =
        serde_json::from_str(include_str!("../../contracts/artifacts/TestToken.json"))?;
    let mut code = hex::decode(artifact["bytecode"].as_str().context("bytecode")?)?;
    code.extend_from_slice(&U256::from(10u64).pow(U256::from(30)).to_be_bytes::<32>());
    let me = ctx.keys[0].address();
    let nonce = load::nonces(client, &[me], "pending").await?[0];
    let raw = load::sign(
        &ctx.keys[0],
        chain_id,
        nonce,
        TxKind::Create,
        U256::ZERO,
        code.into(),
        3_000_000,
    );
    let hash = send(client, &raw).await?;
    let r = receipt(client, &hash).await?;
    let token: Address = serde_json::from_value(r["contractAddress"].clone())?;
    if distribute {
        let raws: Vec<Bytes> = ctx.keys[1..]
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let data =
                    load::transfer_calldata(k.address(), U256::from(10u64).pow(U256::from(24)));
                load::sign(
                    &ctx.keys[0],
                    chain_id,
                    nonce + 1 + i as u64,
                    TxKind::Call(token),
                    U256::ZERO,
                    data,
                    100_000,
                )
            })
            .collect();
        load::submit(client, &raws, 16).await?;
        load::wait_mined(
            client,
            &[me],
            &[nonce + ctx.keys.len() as u64],
            Duration::from_secs(120),
        )
        .await?;
    }
    Ok(token)
}

/// Runs a throughput workload `runs` times on the same node and keeps the run with the
/// median mined rate: with 1-second blocks, where the last transaction falls against the
/// block ticks moves one run's mined rate by up to a block time.
async fn throughput(
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
async fn throughput_once(
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
    Ok(Throughput {
        txs: raws.len(),
        submit_s,
        mined_s: t0.elapsed().as_secs_f64(),
        errors,
        sign_rate,
        mined_runs: Vec::new(),
    })
}

/// Submits at a steady `rate` for `secs`; returns (p50, p99) inclusion latency in ms.
async fn latency(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    rate: f64,
    secs: f64,
) -> anyhow::Result<(f64, f64)> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let count = ((rate * secs) as usize).clamp(ctx.keys.len(), 20_000);
    let per_sender = count.div_ceil(ctx.keys.len());
    let (raws, _) = load::presign(&ctx.keys, &start, per_sender, Kind::Native, chain_id);
    let hashes: Vec<String> = raws
        .iter()
        .map(|r| format!("{:#x}", keccak256(r)))
        .collect();
    let seen: Arc<tokio::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (client, seen, done) = (client.clone(), seen.clone(), done.clone());
        tokio::spawn(async move {
            let mut next: u64 = load::block_number(&client).await? + 1;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let head = load::block_number(&client).await?;
                while next <= head {
                    let hashes = load::block_tx_hashes(&client, next).await?;
                    let now = Instant::now();
                    let mut seen = seen.lock().await;
                    for h in hashes {
                        seen.entry(h).or_insert(now);
                    }
                    next += 1;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            anyhow::Ok(())
        })
    };
    let t0 = Instant::now();
    let submitted: Vec<Instant> = stream::iter(raws.iter().enumerate())
        .map(|(i, raw)| async move {
            let at = t0 + Duration::from_secs_f64(i as f64 / rate);
            tokio::time::sleep_until(at.into()).await;
            let sent = Instant::now();
            let _ = send(client, raw).await;
            sent
        })
        .buffered(4096)
        .collect()
        .await;
    let targets: Vec<u64> = start.iter().map(|n| n + per_sender as u64).collect();
    load::wait_mined(client, &addrs, &targets, Duration::from_secs(300)).await?;
    tokio::time::sleep(Duration::from_millis(100)).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    watcher.await??;
    let seen = seen.lock().await;
    let mut lat: Vec<f64> = hashes
        .iter()
        .zip(&submitted)
        .filter_map(|(h, s)| {
            seen.get(h)
                .map(|t| t.saturating_duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok((pct(0.5), pct(0.99)))
}

async fn read_path(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let token = setup_token(ctx, client, chain_id, false).await?;
    let me = ctx.keys[0].address();
    // 1,000 blocks, each with one Transfer log.
    let nonce = load::nonces(client, &[me], "pending").await?[0];
    for i in 0..1000u64 {
        let to = ctx.keys[1 + (i as usize % (ctx.keys.len() - 1))].address();
        let raw = load::sign(
            &ctx.keys[0],
            chain_id,
            nonce + i,
            TxKind::Call(token),
            U256::ZERO,
            load::transfer_calldata(to, U256::from(1)),
            100_000,
        );
        let hash = send(client, &raw).await?;
        receipt(client, &hash).await?;
    }
    let head = load::block_number(client).await?;
    let transfer_topic = format!("{:#x}", keccak256("Transfer(address,address,uint256)"));
    let mut calldata = vec![0x70, 0xa0, 0x82, 0x31];
    calldata.extend_from_slice(alloy_primitives::B256::left_padding_from(me.as_slice()).as_slice());
    let requests: Vec<(&'static str, &'static str, Value)> = vec![
        ("eth_getBalance", "eth_getBalance", json!([me, "latest"])),
        (
            "eth_call balanceOf",
            "eth_call",
            json!([{ "to": token, "data": hex::encode_prefixed(&calldata) }, "latest"]),
        ),
        (
            "eth_getLogs (1,000 blocks)",
            "eth_getLogs",
            json!([{ "fromBlock": format!("{:#x}", head.saturating_sub(999)), "toBlock": format!("{head:#x}"), "address": token, "topics": [transfer_topic] }]),
        ),
    ];
    let mut out = Vec::new();
    for (label, method, params) in requests {
        let (rate, errors) = wire::repeat(
            url,
            method,
            &params,
            64,
            Duration::from_secs(ctx.read_seconds),
        )?;
        if errors > 0 {
            eprintln!("{label}: {errors} errors");
        }
        out.push((label, rate));
    }
    Ok(out)
}

/// Requests per second the submission client gets through with `eth_chainId` (the
/// cheapest call) at the throughput phases' concurrency, over two seconds.
fn generator_rate(url: &str, concurrency: usize) -> anyhow::Result<f64> {
    let (rate, _) = wire::repeat(
        url,
        "eth_chainId",
        &json!([]),
        concurrency,
        Duration::from_secs(2),
    )?;
    Ok(rate)
}

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

/// Gives every sender `per_sender` unspent BTM outputs of exactly `amount` (outputs of
/// transactions in the pool cannot be spent, so they are created and mined first): each
/// round, every sender still short splits its largest other output into up to 255 outputs
/// of `amount` plus change, and the round is mined. Returns the outputs and the number of
/// setup transactions.
async fn prepare_coins(
    ctx: &Ctx,
    client: &HttpClient,
    fees: &FeeSchedule,
    per_sender: usize,
    amount: U256,
) -> anyhow::Result<(Vec<Vec<Coin>>, usize)> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let mut setup_txs = 0;
    for _round in 0..64 {
        let coins = native::list_unspent(client, &addrs).await?;
        let mut prepared = Vec::with_capacity(addrs.len());
        let mut raws = Vec::new();
        for (i, mine) in coins.iter().enumerate() {
            let ready: Vec<Coin> = mine
                .iter()
                .filter(|c| c.amount == amount)
                .take(per_sender)
                .copied()
                .collect();
            if ready.len() < per_sender {
                let n = (per_sender - ready.len()).min(native::MAX_OUTPUTS - 1);
                let input = mine
                    .iter()
                    .filter(|c| c.amount != amount)
                    .max_by_key(|c| c.amount)
                    .copied()
                    .with_context(|| format!("{} has no output to split", addrs[i]))?;
                let outputs = vec![(addrs[i], amount); n];
                let (raw, _) = native::transfer(&ctx.keys[i], ctx.chain_id, input, &outputs, fees)?;
                raws.push(raw);
            }
            prepared.push(ready);
        }
        if raws.is_empty() {
            return Ok((prepared, setup_txs));
        }
        setup_txs += raws.len();
        let hashes: Vec<B256> = raws.iter().map(keccak256).collect();
        let from = load::block_number(client).await?;
        let results: Vec<anyhow::Result<String>> = stream::iter(raws.iter())
            .map(|raw| send(client, raw))
            .buffer_unordered(16)
            .collect()
            .await;
        if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
            anyhow::bail!("a setup (split) transaction was refused: {e:#}");
        }
        native::wait_included(client, &hashes, from, Duration::from_secs(300)).await?;
    }
    anyhow::bail!("outputs not prepared after 64 rounds")
}

/// Native transfers: `txs / senders` per sender, each spending one prepared output (1
/// input; the recipient, the next sender, gets the dust minimum; change back), all
/// independent so all can sit in the pool at once. Submitted like the Ethereum transfers
/// (`eth_sendRawTransaction`, `concurrency` in flight) and timed until all are in blocks.
async fn native_throughput(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
) -> anyhow::Result<(Throughput, f64, f64, f64, usize, Vec<usize>)> {
    let fees = FeeSchedule::fetch(client).await?;
    let k = ctx.keys.len();
    let per_sender = ctx.txs / k;
    // Enough for the dust minimum to the recipient, change of at least the dust minimum
    // and the fee of a 1-in-2-out transaction of up to 400 bytes, twice over.
    let fee_max = fees.fee(fees.gas(1, 2, 400));
    let amount = fees.min_output * U256::from(2) + fee_max * U256::from(2);
    let t_setup = Instant::now();
    let (coins, setup_txs) = prepare_coins(ctx, client, &fees, per_sender, amount).await?;
    let setup_s = t_setup.elapsed().as_secs_f64();
    eprintln!(
        "[bytom2] native: {per_sender} outputs of {amount} wei for each of {k} senders in {setup_s:.1} s ({setup_txs} setup transactions)"
    );
    let (keys, coins, fees) = (&ctx.keys, &coins, &fees);
    let (signed, sign_rate) = load::round_robin(k, per_sender, |round, i| {
        let to = keys[(i + 1) % k].address();
        native::transfer(
            &keys[i],
            ctx.chain_id,
            coins[i][round],
            &[(to, fees.min_output)],
            fees,
        )
    });
    let all = signed
        .into_iter()
        .collect::<anyhow::Result<Vec<(Bytes, u64)>>>()?;
    let n = all.len().max(1) as f64;
    let mean_gas = all.iter().map(|(_, g)| *g as f64).sum::<f64>() / n;
    let mean_bytes = all.iter().map(|(r, _)| r.len() as f64).sum::<f64>() / n;
    let raws: Vec<Bytes> = all.into_iter().map(|(r, _)| r).collect();
    let hashes: Vec<B256> = raws.iter().map(keccak256).collect();
    let from = load::block_number(client).await?;
    let bodies = wire::Bodies::send_raw(&raws, None);
    // Started at the same point of the block interval as the Ethereum runs.
    load::next_block(client).await?;
    let t0 = Instant::now();
    let (submit_s, errors) = wire::post_all(url, &bodies, ctx.concurrency)?;
    if errors > 0 {
        anyhow::bail!("{errors} native transactions were refused (first error above)");
    }
    let per_block = native::wait_included(client, &hashes, from, Duration::from_secs(600)).await?;
    eprintln!("[bytom2] native transfers per block: {per_block:?}");
    Ok((
        Throughput {
            txs: raws.len(),
            submit_s,
            mined_s: t0.elapsed().as_secs_f64(),
            errors,
            sign_rate,
            mined_runs: Vec::new(),
        },
        mean_gas,
        mean_bytes,
        setup_s,
        setup_txs,
        per_block,
    ))
}

/// Native vs Ethereum BTM transfers on a fresh bytom2 dev node (`--block-time 1`, same
/// gas limit, same senders and transaction count): Ethereum transfers, then the native
/// run, then Ethereum transfers again.
pub(crate) async fn native_vs_eth(ctx: &Ctx) -> anyhow::Result<NativeVsEth> {
    let (node, _) = start(ctx, Which::Bytom2, Some(1.0), "native", None)?;
    let result = async {
        let client = load::client(&node.url)?;
        // Every run of this phase starts right after a block is in, so that no kind is
        // favoured by where in the 1-second block interval its submissions end.
        let eth = throughput_once(ctx, &client, &node.url, ctx.chain_id, Kind::Native, None, ctx.txs, true)
            .await?;
        eprintln!("[bytom2] Ethereum transfers: {:.0} tx/s mined", eth.mined_tps());
        let (native, native_gas, native_bytes, setup_s, setup_txs, native_per_block) =
            native_throughput(ctx, &client, &node.url).await?;
        eprintln!(
            "[bytom2] native transfers: {:.0} tx/s mined ({native_gas:.0} gas, {native_bytes:.0} bytes each)",
            native.mined_tps()
        );
        let eth_after =
            throughput_once(ctx, &client, &node.url, ctx.chain_id, Kind::Native, None, ctx.txs, true)
                .await?;
        eprintln!(
            "[bytom2] Ethereum transfers again: {:.0} tx/s mined",
            eth_after.mined_tps()
        );
        anyhow::Ok(NativeVsEth {
            eth,
            native,
            eth_after,
            native_gas,
            native_bytes,
            setup_s,
            setup_txs,
            native_per_block,
        })
    }
    .await;
    node.stop();
    result
}

/// Steady-state throughput on a fresh node with 1-second blocks: `ctx.steady_txs`
/// single-request BTM transfers, then as many ERC-20 transfers, one run each. With
/// 20,000 transactions a run lasts a few block times, so where it ends in the block
/// interval moves the mined rate by a large step; a run many block times long shows the
/// rate the node keeps up.
async fn steady_phase(ctx: &Ctx, which: Which) -> anyhow::Result<(Throughput, Throughput)> {
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

/// The read path on a fresh automining node of its own; with the node's name.
async fn read_phase(
    ctx: &Ctx,
    which: Which,
) -> anyhow::Result<(&'static str, Vec<(&'static str, f64)>)> {
    let (node, _) = start(ctx, which, None, "read", None)?;
    let reads = async {
        let client = load::client(&node.url)?;
        read_path(ctx, &client, &node.url, chain_id(ctx, which)).await
    }
    .await;
    let name = node.name;
    node.stop();
    Ok((name, reads?))
}

/// The read path alone, on bytom2 then anvil (for profiling).
pub(crate) async fn reads_only(
    ctx: &Ctx,
) -> anyhow::Result<Vec<(&'static str, Vec<(&'static str, f64)>)>> {
    let mut out = Vec::new();
    for which in [Which::Bytom2, Which::Anvil] {
        out.push(read_phase(ctx, which).await?);
    }
    Ok(out)
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
