//! Per-block time as the UTXO set grows: the same block (2,000 ERC-20 transfers from
//! 1,000 senders, whose gas payments spend and create outputs in settlement) executed and
//! committed on chains whose genesis holds 10^4, 10^5 and 10^6 outputs.
//!
//! Run: `cargo bench -p bytom2-node --bench scaling`. `SCALING_OUTPUTS` (a
//! comma-separated list, e.g. `10000000`) picks other set sizes; setting up 10^7 took
//! about 4 minutes and 18 GiB of memory here (the genesis spec of 10^7 accounts and its
//! state changes are built in memory). Figures in `docs/performance.md`.

use alloy_primitives::{Address, U256};
use bytom2_chainspec::{ChainSpec, GenesisAccount};
use bytom2_evm_adapter::RecoveredTx;
use bytom2_evm_adapter::testing::workload::Workload;
use bytom2_node::Chain;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

/// The binary's allocator, so that the figures are the node's (raw revm gets it too).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const SENDERS: usize = 1_000;
const TXS: usize = 2_000;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("block_vs_utxo_set");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(15));
    let sizes: Vec<u64> = std::env::var("SCALING_OUTPUTS")
        .ok()
        .map(|v| {
            v.split(',')
                .map(|n| n.trim().parse().expect("SCALING_OUTPUTS: numbers"))
                .collect()
        })
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    for outputs in sizes {
        let mut spec = ChainSpec::dev();
        spec.genesis.gas_limit = 1_000_000_000;
        // Filler owners, one output each, so the UTXO set has `outputs` entries.
        for i in 0..outputs.saturating_sub(SENDERS as u64 + 20) {
            let mut a = [0u8; 20];
            a[0] = 0xF1;
            a[12..].copy_from_slice(&i.to_be_bytes());
            spec.genesis.alloc.insert(
                Address::from(a),
                GenesisAccount::with_balance(U256::from(1_000 + i)),
            );
        }
        let w = Workload::new(spec, SENDERS);
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
        let mut nonces = vec![0u64; SENDERS];
        group.bench_with_input(BenchmarkId::from_parameter(outputs), &outputs, |b, _| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let txs: Vec<RecoveredTx> = RecoveredTx::recover_all(w.transfers(
                        &mut nonces,
                        TXS,
                        true,
                        1_000_000_000_000,
                    ))
                    .into_iter()
                    .map(|r| r.unwrap())
                    .collect();
                    let head = chain.head();
                    let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
                    let start = Instant::now();
                    let (block, _) = chain.execute_block(attrs, txs).unwrap();
                    chain.commit(&block).unwrap();
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
