//! Where a block's time goes: runs blocks of 10,000 ERC-20 transfers from 1,000 senders
//! and prints the time of each phase (execution on revm, settlement + commitment + roots,
//! MDBX commit). `cargo run --release -p bytom2-node --example block_phases`.

use alloy_primitives::Address;
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::{BlockExecutor, RecoveredTx};
use bytom2_node::{Chain, DbBlockHashes, workload::Workload};
use std::time::Instant;

fn main() {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = 1_000_000_000;
    let w = Workload::new(spec, 1_000);
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let mut nonces = vec![0u64; 1_000];
    // Sign everything first, so that a profiler started later (`perf record -D`) sees
    // only block work.
    let rounds = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let blocks: Vec<Vec<RecoveredTx>> = (0..rounds)
        .map(|_| {
            RecoveredTx::recover_all(w.transfers(&mut nonces, 10_000, true, 10u128.pow(12)))
                .into_iter()
                .map(|r| r.unwrap())
                .collect()
        })
        .collect();
    println!("signed");
    for (round, txs) in blocks.into_iter().enumerate() {
        let head = chain.head();
        let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
        let t0 = Instant::now();
        let state = chain.latest().unwrap();
        let mut exec = BlockExecutor::new(w.spec.chain_id, attrs, state, DbBlockHashes(chain.db()));
        for tx in txs {
            exec.execute(tx).unwrap();
        }
        let t1 = Instant::now();
        let block = exec.finish().unwrap();
        let t2 = Instant::now();
        chain.commit(&block).unwrap();
        let t3 = Instant::now();
        println!(
            "round {round}: execute {:?}, finish (settle+commitment+roots) {:?}, commit {:?}, total {:?}; {} state changes",
            t1 - t0,
            t2 - t1,
            t3 - t2,
            t3 - t0,
            block.changes.len()
        );
    }
}
