//! Workloads that behave like real clients (issue #19): wallets that wait for their
//! receipts, and explorers that read while blocks are made. Both nodes, same run; the
//! section of the report is spliced into `bench/RESULTS.md` (`--only wallets`).
//!
//! - **Receipt polling**: 200 senders' transfers go in as JSON-RPC batches of 100, and
//!   each sender waits for its last transaction as ethers and viem do: whenever the head
//!   moves, every sender still waiting asks `eth_getTransactionReceipt` (up to 200
//!   requests at once). Mined tx/s is measured until the last receipt is answered;
//!   `--runs` runs of each, the median reported.
//! - **Reads under load**: 64 readers loop over receipts, `eth_getLogs` over the last
//!   100 blocks, balances and `balanceOf` calls while 20,000 ERC-20 transfers are mined;
//!   the same transfers without readers are the idle baseline. For bytom2 the node's
//!   own log gives each block's execute and commit times in both runs.
//! - **Receipt latency by block size**: one block of 100 and one of 15,000 transfers
//!   (automine off, `evm_mine`); the first and the median of 200 sequential
//!   `eth_getTransactionReceipt` calls for a transaction of each.

use crate::{
    load::{self, Kind},
    phases::{Ctx, Throughput, Which, chain_id, setup_token, start},
    wire,
};
use alloy_primitives::{Address, B256, hex, keccak256};
use futures::{StreamExt, stream};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::{Value, json};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Everything this module measures on one node.
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

/// Block times from the node's log over a run's blocks.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockTimes {
    pub(crate) blocks: usize,
    pub(crate) median_txs: f64,
    pub(crate) execute_median_ms: f64,
    pub(crate) execute_max_ms: f64,
    pub(crate) commit_median_ms: f64,
    pub(crate) commit_max_ms: f64,
    /// Sums over the run's blocks, per 1,000 transactions (comparable across block sizes).
    pub(crate) execute_per_k_ms: f64,
    pub(crate) commit_per_k_ms: f64,
    /// Every block of the run: (transactions, execute ms, commit ms).
    pub(crate) each: Vec<(usize, f64, f64)>,
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

/// `ctx.runs` receipt-polling runs of `kind`; the run with the median mined rate, with
/// every run's rate and errors (one run moves by up to a block time).
async fn polled(
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
enum Waiter {
    /// The harness's own nonce check (a batch of `eth_getTransactionCount` every 50 ms).
    Nonces,
    /// Each sender polls its last transaction's receipt whenever the head moves.
    Receipts,
}

/// `ctx.txs` transfers in batches of 100 from every sender, waited for by `waiter`.
async fn batches(
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
    Ok(Throughput {
        txs: raws.len(),
        submit_s,
        mined_s: t0.elapsed().as_secs_f64(),
        errors,
        sign_rate,
        mined_runs: Vec::new(),
    })
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

/// `ctx.txs` ERC-20 transfers in batches (waited for by nonce) while 64 readers loop
/// over receipts, logs, balances and calls. Returns the run and reads per second.
async fn with_readers(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    token: Address,
) -> anyhow::Result<(Throughput, f64)> {
    // Receipts of transactions mined before the run (the token's distribution).
    let head = load::block_number(client).await?;
    let mut known = Vec::new();
    for n in (1..=head).rev() {
        known.extend(load::block_tx_hashes(client, n).await?);
        if known.len() >= 1000 {
            break;
        }
    }
    anyhow::ensure!(
        !known.is_empty(),
        "no mined transactions to read receipts of"
    );
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let known = Arc::new(known);
    let transfer_topic = format!("{:#x}", keccak256("Transfer(address,address,uint256)"));
    let readers: Vec<_> = (0..64usize)
        .map(|r| {
            let (client, done, reads, known, addrs, topic) = (
                client.clone(),
                done.clone(),
                reads.clone(),
                known.clone(),
                addrs.clone(),
                transfer_topic.clone(),
            );
            tokio::spawn(async move {
                let mut i = r;
                while !done.load(Ordering::Relaxed) {
                    let who = addrs[i % addrs.len()];
                    let answer: Result<Value, _> = match i % 4 {
                        0 => {
                            client
                                .request(
                                    "eth_getTransactionReceipt",
                                    rpc_params![&known[i % known.len()]],
                                )
                                .await
                        }
                        1 => {
                            let head = load::block_number(&client).await.unwrap_or(0);
                            let filter = json!({
                                "fromBlock": format!("{:#x}", head.saturating_sub(99)),
                                "toBlock": format!("{head:#x}"),
                                "address": token,
                                "topics": [topic, B256::left_padding_from(who.as_slice())],
                            });
                            client.request("eth_getLogs", rpc_params![filter]).await
                        }
                        2 => {
                            client
                                .request("eth_getBalance", rpc_params![who, "latest"])
                                .await
                        }
                        _ => {
                            let mut data = vec![0x70, 0xa0, 0x82, 0x31];
                            data.extend_from_slice(
                                B256::left_padding_from(who.as_slice()).as_slice(),
                            );
                            let call = json!({"to": token, "data": hex::encode_prefixed(&data)});
                            client
                                .request("eth_call", rpc_params![call, "latest"])
                                .await
                        }
                    };
                    if answer.is_ok() {
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 64;
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    let run = batches(
        ctx,
        client,
        url,
        chain_id,
        Kind::Erc20(token),
        Waiter::Nonces,
    )
    .await;
    let secs = t0.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    Ok((run?, reads.load(Ordering::Relaxed) as f64 / secs))
}

/// Mines one block of `count` BTM transfers with automine and interval mining off, then
/// times `eth_getTransactionReceipt` of its middle transaction: the first call and the
/// median of 200 more, in ms.
async fn receipt_latency(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let _: Value = client
        .request("evm_setIntervalMining", rpc_params![0])
        .await?;
    let _: Value = client
        .request("evm_setAutomine", rpc_params![false])
        .await?;
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let per_sender = count.div_ceil(ctx.keys.len());
    let (mut raws, _) = load::presign(&ctx.keys, &start, per_sender, Kind::Native, chain_id);
    raws.truncate(count);
    let errors = load::submit(client, &raws, 64).await?;
    anyhow::ensure!(errors == 0, "{errors} submissions failed");
    let _: Value = client.request("evm_mine", rpc_params![]).await?;
    let head = load::block_number(client).await?;
    let in_block = load::block_tx_hashes(client, head).await?;
    anyhow::ensure!(
        in_block.len() == count,
        "the block holds {} transactions, not {count}",
        in_block.len()
    );
    let hash = in_block[count / 2].clone();
    let mut times = Vec::with_capacity(201);
    for _ in 0..201 {
        let t = Instant::now();
        let r: Value = client
            .request("eth_getTransactionReceipt", rpc_params![&hash])
            .await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(!r.is_null(), "no receipt for {hash}");
    }
    let first = times[0];
    let mut rest = times.split_off(1);
    rest.sort_by(f64::total_cmp);
    let _: Value = client.request("evm_setAutomine", rpc_params![true]).await?;
    Ok((first, rest[rest.len() / 2]))
}

/// One `built block` line of the node's log: (number, txs, execute ms, commit ms).
type BlockLine = (u64, usize, f64, f64);

/// The `built block` lines of a bytom2 log (`--log-level info`), colours removed.
fn parse_blocks(log: &str) -> Vec<BlockLine> {
    log.lines()
        .filter(|l| l.contains("built block"))
        .filter_map(|line| {
            let plain = strip_ansi(line);
            let field = |name: &str| {
                plain
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(name)?.strip_prefix('='))
                    .map(str::to_string)
            };
            Some((
                field("number")?.parse().ok()?,
                field("txs")?.parse().ok()?,
                field("execute_ms")?.parse().ok()?,
                field("commit_ms")?.parse().ok()?,
            ))
        })
        .collect()
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Medians and maxima over the non-empty blocks numbered `from..=to`.
fn block_times(blocks: &[BlockLine], (from, to): (u64, u64)) -> Option<BlockTimes> {
    let run: Vec<&BlockLine> = blocks
        .iter()
        .filter(|b| (from..=to).contains(&b.0) && b.1 > 0)
        .collect();
    if run.is_empty() {
        return None;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let execute: Vec<f64> = run.iter().map(|b| b.2).collect();
    let commit: Vec<f64> = run.iter().map(|b| b.3).collect();
    let txs: usize = run.iter().map(|b| b.1).sum();
    let per_k = |v: &[f64]| v.iter().sum::<f64>() * 1000.0 / txs as f64;
    Some(BlockTimes {
        blocks: run.len(),
        median_txs: median(run.iter().map(|b| b.1 as f64).collect()),
        execute_median_ms: median(execute.clone()),
        execute_max_ms: max(&execute),
        commit_median_ms: median(commit.clone()),
        commit_max_ms: max(&commit),
        execute_per_k_ms: per_k(&execute),
        commit_per_k_ms: per_k(&commit),
        each: run.iter().map(|b| (b.1, b.2, b.3)).collect(),
    })
}

/// The report section's title.
pub(crate) const TITLE: &str = "## Wallets and explorers (issue #19)";

/// The markdown section for both nodes (bytom2 first).
pub(crate) fn section(setup: &str, r: &[WalletResults]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "{TITLE}\n");
    let [b, a] = r else {
        let _ = writeln!(s, "The phase did not finish on both nodes.");
        return s;
    };
    let _ = writeln!(
        s,
        "One fresh node each, `--block-time 1`, {setup}. Transfers go in as JSON-RPC batches of 100. \
\"polled\": each sender polls `eth_getTransactionReceipt` for its last transaction whenever the head moves \
(checked every 20 ms), and the run ends at the last receipt. \"64 readers\": receipts, `eth_getLogs` over the last 100 blocks, \
balances and `balanceOf` calls in a loop while the transfers are mined. \"idle\": the same ERC-20 transfers with neither.\n"
    );
    let _ = writeln!(
        s,
        "| workload | bytom2 mined tx/s | anvil mined tx/s | ratio bytom2/anvil |\n|---|---|---|---|"
    );
    for (label, x, y) in [
        (
            "BTM transfers, receipt polling",
            &b.btm_polled,
            &a.btm_polled,
        ),
        (
            "ERC-20 transfers, receipt polling",
            &b.erc20_polled,
            &a.erc20_polled,
        ),
        ("ERC-20 transfers, idle", &b.erc20_idle, &a.erc20_idle),
        ("ERC-20 transfers, 64 readers", &b.erc20_read, &a.erc20_read),
    ] {
        let _ = writeln!(
            s,
            "| {label} | {:.0} | {:.0} | {:.2}x |",
            x.mined_tps(),
            y.mined_tps(),
            x.mined_tps() / y.mined_tps()
        );
    }
    let _ = writeln!(
        s,
        "| reads answered per second during the 64-reader run | {:.0} | {:.0} | {:.2}x |",
        b.reads_per_s,
        a.reads_per_s,
        b.reads_per_s / a.reads_per_s
    );
    let runs = Throughput::runs_text;
    let _ = writeln!(
        s,
        "\nReceipt polling, every run (mined tx/s; the median is in the table): BTM bytom2 {}, anvil {}; ERC-20 bytom2 {}, anvil {}.\n",
        runs(&b.btm_polled),
        runs(&a.btm_polled),
        runs(&b.erc20_polled),
        runs(&a.erc20_polled)
    );
    let _ = writeln!(
        s,
        "\n`eth_getTransactionReceipt` of the middle transaction of one block (ms; first call, then the median of 200):\n\n\
| block | bytom2 first | bytom2 median | anvil first | anvil median |\n|---|---|---|---|---|"
    );
    for (label, x, y) in [
        ("100 transactions", b.receipt_100, a.receipt_100),
        ("15,000 transactions", b.receipt_15k, a.receipt_15k),
    ] {
        let _ = writeln!(
            s,
            "| {label} | {:.2} | {:.2} | {:.2} | {:.2} |",
            x.0, x.1, y.0, y.1
        );
    }
    let _ = writeln!(
        s,
        "\nbytom2's blocks (its `built block` log lines), ERC-20 transfers idle and under the 64 readers:\n\n\
| run | blocks | median txs | execute median / max ms | commit median / max ms | execute per 1,000 txs ms | commit per 1,000 txs ms |\n|---|---|---|---|---|---|---|"
    );
    for (label, t) in [("idle", &b.blocks_idle), ("64 readers", &b.blocks_read)] {
        match t {
            Some(t) => {
                let _ = writeln!(
                    s,
                    "| {label} | {} | {:.0} | {:.1} / {:.1} | {:.1} / {:.1} | {:.2} | {:.2} |",
                    t.blocks,
                    t.median_txs,
                    t.execute_median_ms,
                    t.execute_max_ms,
                    t.commit_median_ms,
                    t.commit_max_ms,
                    t.execute_per_k_ms,
                    t.commit_per_k_ms
                );
            }
            None => {
                let _ = writeln!(s, "| {label} | no blocks logged | | | | | |");
            }
        }
    }
    // Fixed costs per block (the commit's sync above all) weigh more in small blocks:
    // every block is listed, so blocks of similar size can be compared.
    for (label, t) in [("idle", &b.blocks_idle), ("64 readers", &b.blocks_read)] {
        if let Some(t) = t {
            let each: Vec<String> = t
                .each
                .iter()
                .map(|(txs, e, c)| format!("{txs} txs {e:.1}/{c:.1}"))
                .collect();
            let _ = writeln!(
                s,
                "\nEach block, {label} (execute/commit ms): {}.",
                each.join(", ")
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_block_lines_with_and_without_colours() {
        let log = "2026-12-03T10:00:00.000Z  INFO node::producer: built block number=7 txs=4970 gas_used=1 built_ahead=false select_ms=1.0 execute_ms=15.5 commit_ms=8.25\n\
\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m built block \u{1b}[3mnumber\u{1b}[0m\u{1b}[2m=\u{1b}[0m8 \u{1b}[3mtxs\u{1b}[0m\u{1b}[2m=\u{1b}[0m3 \u{1b}[3mexecute_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m1.5 \u{1b}[3mcommit_ms\u{1b}[0m\u{1b}[2m=\u{1b}[0m2\n\
something else\n";
        let blocks = parse_blocks(log);
        assert_eq!(blocks, vec![(7, 4970, 15.5, 8.25), (8, 3, 1.5, 2.0)]);
        let t = block_times(&blocks, (8, 8)).expect("one block");
        assert_eq!(t.blocks, 1);
        assert_eq!(t.execute_median_ms, 1.5);
        assert!(block_times(&blocks, (9, 10)).is_none());
    }
}
