//! The markdown report.

use crate::phases::{NativeVsEth, NodeResults, Throughput};
use std::fmt::Write;

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1024.0
                    / 1024.0
            })
        })
        .unwrap_or(0.0);
    format!("{cores} cores ({cpu}), {mem:.0} GiB RAM")
}

pub(crate) fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "n/a".into()
    }
}

/// The title of the native section.
pub(crate) const NATIVE_TITLE: &str = "## Native vs Ethereum transfers on bytom2";

/// The section "native vs Ethereum transfers on bytom2" (issue #5).
pub(crate) fn native_section(setup: &str, r: &Result<NativeVsEth, String>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{NATIVE_TITLE}\n");
    let n = match r {
        Ok(n) => n,
        Err(e) => {
            let _ = writeln!(s, "The phase failed: {e}");
            return s;
        }
    };
    let _ = writeln!(
        s,
        "One fresh bytom2 dev node (`--block-time 1`), same machine, same senders, same number of transactions ({setup}). \
Ethereum: EIP-1559 BTM transfers of 1 wei to the next sender (21,000 gas), nonces in sequence. \
Native: type-0x62 transfers, 1 input and 2 outputs (the dust minimum to the next sender, change back), each spending its own output \
prepared before timing ({} split transactions, {:.1} s, not timed), so all are independent and in the pool at once; \
fee = native gas x max(base fee, 1 gwei) x 2. Both are pre-signed, submitted over `eth_sendRawTransaction` with the same concurrency, \
and timed from the first submission until every transaction is in a block; every run starts right after a block is in, so all three start at the same point of the block interval. The Ethereum run is done before and after the native run.\n",
        n.setup_txs, n.setup_s
    );
    let _ = writeln!(
        s,
        "| workload | txs | gas per tx | submitted tx/s | mined tx/s | mined gas/s |\n|---|---|---|---|---|---|"
    );
    for (label, t, gas) in [
        ("Ethereum BTM transfers (before)", &n.eth, 21_000.0),
        ("native BTM transfers, 1 in 2 out", &n.native, n.native_gas),
        ("Ethereum BTM transfers (after)", &n.eth_after, 21_000.0),
    ] {
        let _ = writeln!(
            s,
            "| {label} | {} | {gas:.0} | {:.0} | {:.0} | {:.1} M |",
            t.txs,
            t.submitted_tps(),
            t.mined_tps(),
            t.mined_tps() * gas / 1e6
        );
    }
    let _ = writeln!(
        s,
        "\n**Native / Ethereum (mined tx/s, Ethereum = mean of both runs): {}** (target of issue #5: 1.5x). \
A native transfer is {:.0} bytes and {:.0} native gas ({:.2}x the 21,000 of an Ethereum transfer); \
native gas counts towards the same block gas limit, which caps neither workload here. Submission errors: {}. \
The native transfers went into {} blocks ({:?} per block): with 1-second blocks, one block more or less moves a mined rate by a large step, \
so the mined rates are only as precise as the block time allows; the submitted rates show what the node admits per second.",
        ratio(n.native.mined_tps(), n.eth_mined_tps()),
        n.native_bytes,
        n.native_gas,
        n.native_gas / 21_000.0,
        n.eth.errors + n.native.errors + n.eth_after.errors,
        n.native_per_block.len(),
        n.native_per_block
    );
    s
}

/// `old` with its section titled `title` replaced by `section` (or `section` inserted
/// before the memory section, or appended).
pub(crate) fn splice(old: &str, title: &str, section: &str) -> String {
    let section = section.trim_end();
    if let Some(start) = old.find(title) {
        let rest = &old[start + title.len()..];
        let end = rest
            .find("\n## ")
            .map_or(old.len(), |e| start + title.len() + e);
        return format!("{}{section}\n{}", &old[..start], &old[end..]);
    }
    if let Some(at) = old.find("## Memory, disk, start-up") {
        return format!("{}{section}\n\n{}", &old[..at], &old[at..]);
    }
    format!("{old}\n{section}\n")
}

/// A table of throughput runs: (workload, bytom2's run, anvil's run) per row.
fn throughput_table(s: &mut String, rows: &[(&str, &Throughput, &Throughput)]) {
    let _ = writeln!(
        s,
        "| workload | bytom2 submitted tx/s | bytom2 mined tx/s | anvil submitted tx/s | anvil mined tx/s | mined ratio bytom2/anvil |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for (label, x, y) in rows {
        let _ = writeln!(
            s,
            "| {label} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
            x.submitted_tps(),
            x.mined_tps(),
            y.submitted_tps(),
            y.mined_tps(),
            ratio(x.mined_tps(), y.mined_tps())
        );
    }
}

/// The steady-state runs: many block times long, so where a run ends in the block
/// interval hardly moves its mined rate.
fn steady_section(b: &(Throughput, Throughput), a: &(Throughput, Throughput)) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Steady state: {} transactions per run, single requests\n",
        b.0.txs
    );
    throughput_table(
        &mut s,
        &[
            ("BTM/ETH transfers", &b.0, &a.0),
            ("ERC-20 transfers", &b.1, &a.1),
        ],
    );
    let _ = writeln!(
        s,
        "\nOne run of each on a fresh node of each kind, same senders, `--block-time 1`, submitted as in the table above. \
A 20,000-transaction run lasts two to five block times, so the wait for the block after the last submission \
(half a block time on average, up to a whole one) is a large part of bytom2's mined time and a small part of anvil's; \
a run of {} transactions shows the rate each node keeps up. The issue's target is stated on the 20,000-transaction runs above. \
Submission errors: bytom2 {} / anvil {}.\n",
        b.0.txs,
        b.0.errors + b.1.errors,
        a.0.errors + a.1.errors
    );
    s
}

/// Renders the results of [bytom2, anvil].
pub(crate) fn markdown(setup: &str, r: &[NodeResults]) -> String {
    let (b, a) = (&r[0], &r[1]);
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmark results: bytom2 vs anvil\n");
    let _ = writeln!(
        s,
        "Generated by `bench/run.sh` (`bytom2-bench`). Machine: {}. Date: {}.\n",
        machine(),
        date()
    );
    let _ = writeln!(
        s,
        "Setup: {setup}. anvil is Foundry 1.7.1 from npm `@foundry-rs/anvil-linux-amd64`.\n"
    );
    let _ = writeln!(s, "## End-to-end throughput\n");
    throughput_table(
        &mut s,
        &[
            ("BTM/ETH transfers, single requests", &b.btm, &a.btm),
            ("ERC-20 transfers, single requests", &b.erc20, &a.erc20),
            (
                "BTM/ETH transfers, batches of 100",
                &b.btm_batch,
                &a.btm_batch,
            ),
            (
                "ERC-20 transfers, batches of 100",
                &b.erc20_batch,
                &a.erc20_batch,
            ),
        ],
    );
    let runs = crate::phases::Throughput::runs_text;
    let _ = writeln!(
        s,
        "\nEach workload ran {} times on each node; the table shows the run with the median mined rate (the submitted rate is that run's). \
Mined tx/s of every run, bytom2 / anvil: BTM {} / {}; ERC-20 {} / {}; BTM batches {} / {}; ERC-20 batches {} / {}. \
Submissions go through a minimal HTTP/1.1 client: every request body is built and every keep-alive connection opened before timing, \
on one thread of the load generator.",
        b.btm.mined_runs.len(),
        runs(&b.btm),
        runs(&a.btm),
        runs(&b.erc20),
        runs(&a.erc20),
        runs(&b.btm_batch),
        runs(&a.btm_batch),
        runs(&b.erc20_batch),
        runs(&a.erc20_batch)
    );
    let _ = writeln!(
        s,
        "\nSubmission errors: bytom2 {} / anvil {}. Load generator: signs {:.0} tx/s (before timing), answers {:.0} eth_chainId req/s against bytom2 and {:.0} against anvil.\n",
        b.btm.errors + b.erc20.errors + b.btm_batch.errors + b.erc20_batch.errors,
        a.btm.errors + a.erc20.errors + a.btm_batch.errors + a.erc20_batch.errors,
        b.btm.sign_rate,
        b.generator_rps,
        a.generator_rps
    );
    if let (Some(bs), Some(as_)) = (&b.steady, &a.steady) {
        let _ = writeln!(s, "{}", steady_section(bs, as_));
    }
    let _ = writeln!(
        s,
        "## Inclusion latency at half of each node's measured capacity\n"
    );
    let _ = writeln!(
        s,
        "| node | offered tx/s | p50 ms | p99 ms |\n|---|---|---|---|"
    );
    for n in [b, a] {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {:.0} | {:.0} |",
            n.name, n.latency_offered_tps, n.latency_p50_ms, n.latency_p99_ms
        );
    }
    let _ = writeln!(s, "\n## Read path (64 concurrent clients)\n");
    let _ = writeln!(
        s,
        "| method | bytom2 req/s | anvil req/s | ratio |\n|---|---|---|---|"
    );
    for ((label, x), (_, y)) in b.reads.iter().zip(&a.reads) {
        let _ = writeln!(s, "| {label} | {x:.0} | {y:.0} | {} |", ratio(*x, *y));
    }
    if let Some(n) = &b.native {
        let _ = writeln!(s, "\n{}", native_section(setup, n));
    }
    let _ = writeln!(s, "\n## Memory, disk, start-up\n");
    let _ = writeln!(s, "| | bytom2 | anvil |\n|---|---|---|");
    let _ = writeln!(
        s,
        "| peak RSS during the throughput run | {:.0} MiB | {:.0} MiB |",
        b.peak_rss_mib, a.peak_rss_mib
    );
    let _ = writeln!(
        s,
        "| data directory after the throughput run | {} | in memory |",
        b.data_mib.map_or("n/a".into(), |m| format!("{m:.1} MiB"))
    );
    let _ = writeln!(
        s,
        "| start-up to first RPC answer | {:.3} s | {:.3} s |",
        b.startup_s, a.startup_s
    );
    if let Ok(notes) = std::fs::read_to_string("bench/ANALYSIS.md") {
        let _ = writeln!(s, "\n{notes}");
    }
    s
}
