//! The wallets phase's section of the markdown report (both nodes, bytom2 first).

use super::run::WalletResults;
use crate::phases::Throughput;

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
