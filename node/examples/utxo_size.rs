//! Disk and memory with a large UTXO set, measured the way a running node sees it:
//!
//! 1. builds a UTXO set of N outputs (default 1,000,000) with real blocks: 1,000 funded
//!    senders pay 1 wei to fresh addresses, 10,000 transfers a block, each creating one
//!    output in settlement;
//! 2. reopens the data directory in a fresh process (this example re-run with `--reopen`),
//!    produces five blocks of 10,000 ERC-20 transfers on top, and reports that process's
//!    peak RSS and the data directory size.
//!
//! `cargo run --release -p bytom2-node --example utxo_size [N]`.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::RecoveredTx;
use bytom2_evm_adapter::testing::workload::{Call, Workload};
use bytom2_node::Chain;
use bytom2_utxo::StateView;
use std::{path::Path, time::Instant};

const SENDERS: usize = 1_000;
const PER_BLOCK: usize = 10_000;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_mib(path: &Path) -> f64 {
    std::fs::read_dir(path)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>()
        })
        .unwrap_or(0) as f64
        / (1024.0 * 1024.0)
}

fn workload() -> Workload {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = 1_000_000_000;
    Workload::new(spec, SENDERS)
}

fn nonces(chain: &Chain, w: &Workload) -> Vec<u64> {
    let state = chain.latest().unwrap();
    w.senders
        .iter()
        .map(|s| state.account(s.address()).unwrap().map_or(0, |a| a.nonce))
        .collect()
}

fn mine(chain: &Chain, txs: Vec<alloy_consensus::TxEnvelope>) {
    let txs: Vec<RecoveredTx> = RecoveredTx::recover_all(txs)
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let head = chain.head();
    let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
    let (block, rejected) = chain.execute_block(attrs, txs).unwrap();
    assert!(rejected.is_empty());
    chain.commit(&block).unwrap();
}

fn reopen(dir: &Path) {
    let w = workload();
    let t0 = Instant::now();
    let chain = Chain::open(dir, w.spec.clone()).unwrap();
    let open_s = t0.elapsed().as_secs_f64();
    let mut n = nonces(&chain, &w);
    let t1 = Instant::now();
    for _ in 0..5 {
        mine(&chain, w.transfers(&mut n, PER_BLOCK, true, 10u128.pow(12)));
    }
    println!(
        "reopened in {open_s:.2} s; 5 blocks of {PER_BLOCK} ERC-20 transfers in {:.1} s (signing included); \
         peak RSS of this process {:.0} MiB; data directory {:.0} MiB",
        t1.elapsed().as_secs_f64(),
        peak_rss_mib(),
        dir_mib(dir)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--reopen") {
        reopen(Path::new(&args[2]));
        return;
    }
    let target: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let w = workload();
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let mut n = nonces(&chain, &w);
    let t0 = Instant::now();
    let mut created = 0usize;
    let mut fresh: u64 = 0;
    while created < target {
        let txs = (0..PER_BLOCK)
            .map(|j| {
                let i = j % SENDERS;
                fresh += 1;
                let to =
                    Address::from_word(B256::from(U256::from(fresh) | (U256::from(0xA5u8) << 240)));
                let nonce = n[i];
                n[i] += 1;
                let call = Call {
                    to: TxKind::Call(to),
                    value: U256::from(1),
                    input: Bytes::new(),
                    gas: 21_000,
                    max_fee: 10u128.pow(12),
                };
                w.sign(i, nonce, call)
            })
            .collect();
        mine(&chain, txs);
        created += PER_BLOCK;
    }
    let build_s = t0.elapsed().as_secs_f64();
    drop(chain);
    let outputs = created + SENDERS + 20;
    let mib = dir_mib(dir.path());
    println!(
        "built a UTXO set of ~{outputs} outputs in {build_s:.0} s ({} blocks); data directory {mib:.0} MiB = {:.0} MiB per million outputs (history and blocks included)",
        created / PER_BLOCK,
        mib / (outputs as f64 / 1e6)
    );
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new(exe)
        .args(["--reopen", &dir.path().to_string_lossy()])
        .status()
        .unwrap();
    assert!(status.success());
}
