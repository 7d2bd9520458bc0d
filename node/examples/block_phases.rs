//! Where a block's time goes: runs blocks of 10,000 ERC-20 transfers from 1,000 senders
//! and prints the time of each phase (execution on revm, settlement + commitment + roots,
//! MDBX commit), then runs the same transactions on raw revm over an in-memory account
//! database (`CacheDB`) and prints the ratio.
//! `cargo run --release -p bytom2-node --example block_phases` (`ROUNDS=n` blocks).
//!
//! Wall times on a shared virtual machine vary from run to run, so each phase also
//! prints the CPU time of the main thread and of the whole process (the roots thread
//! works beside the main one), which vary much less.

use alloy_primitives::Address;
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::testing::workload::Workload;
use bytom2_evm_adapter::{
    BlockExecutor, RecoveredTx,
    testing::{reference_db, run_reference_block},
};
use bytom2_node::{Chain, DbBlockHashes, Pipeline};
use revm::context::TxEnv;
mod common;

use common::Stamp;

/// The middle value of `v` (sorts it).
fn median<T: PartialOrd + Copy>(v: &mut [T]) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

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
    let envs: Vec<Vec<_>> = blocks
        .iter()
        .map(|b| b.iter().map(|t| t.to_tx_env()).collect())
        .collect();
    println!("signed");
    // Raw revm runs each block right after ours, so that both see the machine alike.
    let mut db = reference_db(&w.spec);
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    let (mut ratios, mut cpu_ratios, mut process_ratios) = (Vec::new(), Vec::new(), Vec::new());
    // The same blocks again later, pipelined on a fresh chain.
    let (pipelined_blocks, pipelined_envs) = (blocks.clone(), envs.clone());
    for (round, (txs, envs)) in blocks.into_iter().zip(envs).enumerate() {
        let head = chain.head();
        let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
        let block_env = chain.evm_config().block_env(&attrs);
        let t0 = Stamp::now();
        let state = chain.latest().unwrap();
        let mut exec =
            BlockExecutor::new(chain.evm_config(), attrs, state, DbBlockHashes(chain.db()))
                .unwrap();
        for tx in txs {
            exec.execute(tx).unwrap();
        }
        let t1 = Stamp::now();
        let block = exec.finish().unwrap();
        let t2 = Stamp::now();
        chain.commit(&block).unwrap();
        let t3 = Stamp::now();

        let r0 = Stamp::now();
        run_reference_block(&mut db, block_env, w.spec.chain_id, envs);
        let r1 = Stamp::now();
        let (total, r) = (t3.0 - t0.0, r1.0 - r0.0);
        ours.push(total);
        raw.push(r);
        ratios.push(total.as_secs_f64() / r.as_secs_f64());
        cpu_ratios.push((t3.1 - t0.1).as_secs_f64() / (r1.1 - r0.1).as_secs_f64());
        // Raw revm is single-threaded, so its thread time is its process time.
        process_ratios.push((t3.2 - t0.2).as_secs_f64() / (r1.1 - r0.1).as_secs_f64());
        println!(
            "round {round} (ms wall/thread cpu/process cpu): execute {}, finish (settle+commitment+roots) {}, commit {}, total {}; raw revm {}; {} state changes",
            t1.since(t0),
            t2.since(t1),
            t3.since(t2),
            t3.since(t0),
            r1.since(r0),
            block.changes.len()
        );
    }
    println!(
        "median: bytom2 {:?}, raw revm {:?}; median of the per-round ratios: wall {:.2}x, main-thread cpu {:.2}x, process cpu {:.2}x",
        median(&mut ours),
        median(&mut raw),
        median(&mut ratios),
        median(&mut cpu_ratios),
        median(&mut process_ratios)
    );
    // With every thread's work spread perfectly over the machine's cores, a block could
    // take no less than its process CPU divided by the cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "a block's CPU over {cores} cores (the wall-time floor with perfect packing): {:.2}x raw revm",
        median(&mut process_ratios) / cores as f64
    );

    pipelined(&w, pipelined_blocks, pipelined_envs);
}

/// The same blocks back to back on a fresh chain through [`Pipeline`] (block N+1
/// executes while block N commits), then on raw revm back to back: time per block of
/// each series, from the first execution to the last durable commit.
fn pipelined(w: &Workload, blocks: Vec<Vec<RecoveredTx>>, envs: Vec<Vec<TxEnv>>) {
    let dir = tempfile::tempdir().unwrap();
    let mut pipeline = Pipeline::new(Chain::open(dir.path(), w.spec.clone()).unwrap());
    let n = blocks.len() as f64;
    let mut timestamp = pipeline.chain().head().header.timestamp;
    let mut block_envs = Vec::new();
    let t0 = Stamp::now();
    for txs in blocks {
        timestamp += 1;
        let attrs = pipeline.next_attributes(timestamp, Address::ZERO);
        block_envs.push(pipeline.chain().evm_config().block_env(&attrs));
        let (block, rejected) = pipeline.execute(attrs, txs).unwrap();
        assert!(rejected.is_empty());
        pipeline.commit(block).unwrap();
    }
    pipeline.wait().unwrap();
    let t1 = Stamp::now();
    let mut db = reference_db(&w.spec);
    let r0 = Stamp::now();
    for (block_env, envs) in block_envs.into_iter().zip(envs) {
        run_reference_block(&mut db, block_env, w.spec.chain_id, envs);
    }
    let r1 = Stamp::now();
    let per_block = |a: Stamp, b: Stamp| (b.0 - a.0).as_secs_f64() * 1e3 / n;
    let (ours, raw) = (per_block(t0, t1), per_block(r0, r1));
    println!(
        "pipelined, {n} blocks back to back: bytom2 {ours:.1} ms per block (wall; process cpu {:.1} ms), raw revm {raw:.1} ms per block; ratio {:.2}x",
        (t1.2 - t0.2).as_secs_f64() * 1e3 / n,
        ours / raw
    );
}
