//! Executes and commits a block of 10,000 ERC-20 transfers from 1,000 senders: our
//! executor + settlement + MDBX commit, against raw revm on an in-memory account
//! database running the same transactions. Senders are recovered before timing on both
//! sides (signature recovery is measured on its own).
//!
//! Run: `cargo bench -p bytom2-node --bench block`.

use alloy_primitives::Address;
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::{
    RecoveredTx,
    testing::{reference_db, run_reference_block},
};
use bytom2_node::{Chain, workload::Workload};
use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

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
                run_reference_block(&mut db, attrs.block_env(), w.spec.chain_id, envs);
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
