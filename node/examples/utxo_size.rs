//! Disk and memory with a large UTXO set: writes a genesis with N one-output owners
//! (default 1,000,000), mines a few blocks of ERC-20 transfers on top, and prints the data
//! directory size per million outputs and the process's peak RSS.
//! `cargo run --release -p bytom2-node --example utxo_size [N]`.

use alloy_primitives::{Address, U256};
use bytom2_chainspec::{ChainSpec, GenesisAccount};
use bytom2_evm_adapter::RecoveredTx;
use bytom2_node::{Chain, workload::Workload};
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_mib(path: &std::path::Path) -> f64 {
    std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0) as f64
        / (1024.0 * 1024.0)
}

fn main() {
    let outputs: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = 1_000_000_000;
    for i in 0..outputs {
        let mut a = [0u8; 20];
        a[0] = 0xF1;
        a[12..].copy_from_slice(&i.to_be_bytes());
        spec.genesis.alloc.insert(
            Address::from(a),
            GenesisAccount::with_balance(U256::from(1_000 + i)),
        );
    }
    let w = Workload::new(spec, 1_000);
    let dir = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let genesis_s = t0.elapsed().as_secs_f64();
    let after_genesis_rss = peak_rss_mib();
    let mut nonces = vec![0u64; 1_000];
    for _ in 0..5 {
        let txs: Vec<RecoveredTx> =
            RecoveredTx::recover_all(w.transfers(&mut nonces, 10_000, true, 10u128.pow(12)))
                .into_iter()
                .map(|r| r.unwrap())
                .collect();
        let head = chain.head();
        let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
        let (block, _) = chain.execute_block(attrs, txs).unwrap();
        chain.commit(&block).unwrap();
    }
    let total_outputs = outputs + 1_020;
    let mib = dir_mib(dir.path());
    println!(
        "outputs ~{total_outputs}: genesis written in {genesis_s:.1} s; data directory {mib:.0} MiB \
         ({:.0} MiB per million outputs, with 5 blocks of 10,000 transactions on top); \
         peak RSS {:.0} MiB after genesis, {:.0} MiB after the blocks",
        mib / (total_outputs as f64 / 1e6),
        after_genesis_rss,
        peak_rss_mib()
    );
}
