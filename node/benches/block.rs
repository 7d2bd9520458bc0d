//! Executes and commits a block of 10,000 ERC-20 transfers from 1,000 senders: our
//! executor + settlement + MDBX commit, against raw revm on an in-memory account
//! database running the same transactions. Senders are recovered before timing on both
//! sides (signature recovery is measured on its own).
//!
//! `bytom2_pipelined_back_to_back` runs the blocks through [`bytom2_node::Pipeline`]
//! (block N+1 executes while block N commits), each sample's blocks signed before timing.
//!
//! Run: `cargo bench -p bytom2-node --bench block`.

use alloy_primitives::Address;
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::testing::workload::Workload;
use bytom2_evm_adapter::{
    EvmConfig, RecoveredTx,
    testing::{reference_db, run_reference_block},
};
use bytom2_node::{Chain, Pipeline};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

/// The binary's allocator, so that the figures are the node's (raw revm gets it too).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SENDERS: usize = 1_000;
const TXS: usize = 10_000;
const BENEFICIARY: Address = Address::repeat_byte(0xBE);

fn spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = 1_000_000_000;
    spec
}

fn signed_block(w: &Workload, nonces: &mut [u64]) -> Vec<RecoveredTx> {
    RecoveredTx::recover_all(w.transfers(nonces, TXS, true, 1_000_000_000_000))
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

fn bench(c: &mut Criterion) {
    let w = Workload::new(spec(), SENDERS);
    let mut group = c.benchmark_group("erc20_block_10k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));

    // Ours: execute + settle + commit into MDBX, one new block per iteration.
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let mut nonces = vec![0u64; SENDERS];
    group.bench_function("bytom2_execute_settle_commit", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let txs = signed_block(&w, &mut nonces);
                let head = chain.head();
                let attrs = chain.next_attributes(head.header.timestamp + 1, BENEFICIARY);
                let start = Instant::now();
                let (block, rejected) = chain.execute_block(attrs, txs).unwrap();
                chain.commit(&block).unwrap();
                total += start.elapsed();
                assert!(rejected.is_empty());
                assert_eq!(block.transactions.len(), TXS);
            }
            total
        })
    });

    // Ours through the pipeline: each iteration's blocks are signed first, then run back
    // to back (block N+1 executes while block N commits), timed until the last commit is
    // durable. Per-iteration time is the series' time divided by its blocks.
    let dir = tempfile::tempdir().unwrap();
    let pipeline = std::cell::RefCell::new(Pipeline::new(
        Chain::open(dir.path(), w.spec.clone()).unwrap(),
    ));
    let mut nonces = vec![0u64; SENDERS];
    group.bench_function("bytom2_pipelined_back_to_back", |b| {
        b.iter_custom(|iters| {
            let mut pipeline = pipeline.borrow_mut();
            let blocks: Vec<_> = (0..iters).map(|_| signed_block(&w, &mut nonces)).collect();
            let mut timestamp = pipeline.chain().head().header.timestamp;
            let start = Instant::now();
            for txs in blocks {
                timestamp += 1;
                let attrs = pipeline.next_attributes(timestamp, BENEFICIARY);
                let (block, rejected) = pipeline.execute(attrs, txs).unwrap();
                assert!(rejected.is_empty());
                pipeline.commit(block).unwrap();
            }
            pipeline.wait().unwrap();
            start.elapsed()
        })
    });

    // Raw revm over an in-memory account database, same transactions.
    let mut db = reference_db(&w.spec);
    let mut nonces = vec![0u64; SENDERS];
    let mut number = 1u64;
    group.bench_function("raw_revm_in_memory", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let txs = signed_block(&w, &mut nonces);
                let attrs = bytom2_evm_adapter::BlockAttributes {
                    number,
                    parent_hash: Default::default(),
                    timestamp: number,
                    beneficiary: BENEFICIARY,
                    gas_limit: 1_000_000_000,
                    base_fee: 1_000_000_000,
                    prev_randao: Default::default(),
                    extra_data: Default::default(),
                };
                number += 1;
                let envs: Vec<_> = txs.iter().map(|t| t.to_tx_env()).collect();
                let start = Instant::now();
                let block_env = EvmConfig::from_spec(&w.spec).block_env(&attrs);
                run_reference_block(&mut db, block_env, w.spec.chain_id, envs);
                total += start.elapsed();
            }
            total
        })
    });

    // Signature recovery alone (both sides need it; done in parallel by the node).
    let txs = w.transfers(&mut vec![0u64; SENDERS], TXS, true, 1_000_000_000_000);
    group.bench_function("recover_senders_parallel", |b| {
        b.iter(|| RecoveredTx::recover_all(txs.clone()))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
