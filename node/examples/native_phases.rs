//! Where a block of native transfers spends its time, beside a block of Ethereum BTM
//! transfers from the same senders: each round builds one block of 10,000 native
//! transfers (type 0x62, 1 input and 2 outputs: the dust minimum to the next sender, the
//! change back) and one of 10,000 EIP-1559 transfers of 1 wei, from 200 senders, and
//! prints the execution (validation and state changes), finish (settlement, commitment,
//! roots) and MDBX commit time of each.
//! `cargo run --release -p bytom2-node --example native_phases` (`ROUNDS=n`, at most 5).
//!
//! Signatures are recovered before timing on both sides, as the node recovers them when
//! it admits a transaction. Times are wall / this thread's CPU / the process's CPU.

use alloy_primitives::{Address, B256, U256};
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::testing::workload::{Workload, native_transfer};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_node::Chain;
use bytom2_utxo::{AssetId, OutPoint, StateView};
mod common;

use common::Stamp;

const SENDERS: usize = 200;
const PER_SENDER: usize = 50;

fn main() {
    let mut spec = ChainSpec::dev();
    spec.genesis.gas_limit = 2_000_000_000;
    let w = Workload::new(spec, SENDERS);
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .clamp(1, 5);
    let dust = chain.native_limits().min_output_amount.max(U256::from(1));
    let piece = U256::from(10u64)
        .pow(U256::from(15))
        .max(dust * U256::from(4));
    let address = |i: usize| w.senders[i % SENDERS].address();

    // Block 1: every sender splits its genesis output into PER_SENDER x rounds pieces.
    let latest = chain.latest().unwrap();
    let base_fee = chain.next_attributes(0, Address::ZERO).base_fee;
    let split: Vec<BlockTx> = (0..SENDERS)
        .map(|i| {
            let mut coins = Vec::new();
            latest
                .for_each_coin(address(i), AssetId::BTM, &mut |op, c| {
                    coins.push((*op, c.output.amount));
                    true
                })
                .unwrap();
            let outputs = vec![(address(i), piece); PER_SENDER * rounds];
            native_transfer(chain.spec(), &w.senders[i], &coins, &outputs, base_fee).into()
        })
        .collect();
    let split_hashes: Vec<B256> = split.iter().map(|t| t.hash()).collect();
    let head = chain.head();
    let (block, rejected) = chain
        .execute_block(
            chain.next_attributes(head.header.timestamp + 1, Address::ZERO),
            split,
        )
        .unwrap();
    assert!(
        rejected.is_empty(),
        "split rejected: {:?}",
        rejected[0].error
    );
    chain.commit(&block).unwrap();
    drop(latest);

    // Sign every block first, so a profiler started later sees only block work.
    let mut nonces = vec![0u64; SENDERS];
    let mut blocks = Vec::new();
    for r in 0..rounds {
        let base_fee = chain.next_attributes(0, Address::ZERO).base_fee;
        let natives: Vec<BlockTx> = (0..PER_SENDER)
            .flat_map(|j| (0..SENDERS).map(move |i| (i, j)))
            .map(|(i, j)| {
                let index = u32::try_from(r * PER_SENDER + j).unwrap();
                let input = (OutPoint::new(split_hashes[i], index), piece);
                native_transfer(
                    chain.spec(),
                    &w.senders[i],
                    &[input],
                    &[(address(i + 1), dust)],
                    base_fee,
                )
                .into()
            })
            .collect();
        let eths: Vec<BlockTx> = RecoveredTx::recover_all(w.transfers(
            &mut nonces,
            SENDERS * PER_SENDER,
            false,
            10u128.pow(12),
        ))
        .into_iter()
        .map(|t| t.unwrap().into())
        .collect();
        blocks.push((natives, eths));
    }
    println!("signed");

    // All native blocks first: an Ethereum transfer's settlement spends its sender's
    // oldest outputs, which are the pieces the native transfers spend.
    let (natives, eths): (Vec<_>, Vec<_>) = blocks.into_iter().unzip();
    let runs = natives
        .into_iter()
        .map(|b| ("native", b))
        .chain(eths.into_iter().map(|b| ("ethereum", b)));
    for (round, (kind, txs)) in runs.enumerate() {
        let n = txs.len();
        let head = chain.head();
        let attrs = chain.next_attributes(head.header.timestamp + 1, Address::ZERO);
        let t0 = Stamp::now();
        let (block, rejected) = chain.execute_block(attrs, txs).unwrap();
        let t1 = Stamp::now();
        chain.commit(&block).unwrap();
        let t2 = Stamp::now();
        assert!(rejected.is_empty(), "{kind}: {:?}", rejected[0].error);
        assert_eq!(block.transactions.len(), n);
        println!(
            "block {} {kind:>8}: {n} txs, execute+finish {}, commit {}, total {} ms (wall/thread cpu/process cpu); {} state changes",
            round + 2,
            t1.since(t0),
            t2.since(t1),
            t2.since(t0),
            block.changes.len()
        );
    }
}
