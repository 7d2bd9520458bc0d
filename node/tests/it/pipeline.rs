//! Blocks executed while their parent commits equal blocks executed after it.

use crate::support::*;
use alloy_primitives::{Address, U256};
use bytom2_evm_adapter::testing::workload::native_transfer;
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_node::{Chain, Pipeline};
use bytom2_utxo::{AssetId, OutPoint, StateView};

/// The unspent BTM outputs of `owner` in `state`, oldest first.
fn coins(state: &dyn StateView, owner: Address) -> Vec<(OutPoint, U256)> {
    let mut out = Vec::new();
    state
        .for_each_coin(owner, AssetId::BTM, &mut |op, c| {
            out.push((*op, c.output.amount));
            true
        })
        .unwrap();
    out
}

/// Each block mixes ERC-20 and BTM transfers (whose gas payments spend and create
/// outputs in settlement) with native transfers that spend outputs created by the
/// block before, which is still being committed when the pipeline executes them.
#[test]
fn pipelined_blocks_equal_blocks_built_one_commit_apart() {
    let w = workload();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut pipeline = Pipeline::new(Chain::open(dir_a.path(), w.spec.clone()).unwrap());
    let plain = Chain::open(dir_b.path(), w.spec.clone()).unwrap();
    let mut nonces = vec![0u64; SENDERS];
    // Senders 0..4 send native transfers only, the others Ethereum transfers only.
    let native_senders = 4;
    let genesis_time = plain.head().header.timestamp;
    // The plain chain first: each block is built from the state after its parent.
    let mut blocks = Vec::new();
    for number in 1..=6u64 {
        let state = plain.latest().unwrap();
        let base_fee = plain.next_attributes(0, Address::ZERO).base_fee;
        let mut txs: Vec<BlockTx> = (0..native_senders)
            .map(|i| {
                let key = &w.senders[i];
                let inputs = coins(&state, key.address());
                let to = w.senders[(i + 1) % native_senders].address();
                let amount = U256::from(10u64.pow(16));
                native_transfer(&w.spec, key, &inputs, &[(to, amount)], base_fee).into()
            })
            .collect();
        let mut eth = w.transfers(&mut nonces, 2 * SENDERS, number % 2 == 0, 10u128.pow(12));
        eth.retain(|t| {
            use alloy_consensus::transaction::SignerRecoverable;
            let from = t.recover_signer().unwrap();
            !w.senders[..native_senders]
                .iter()
                .any(|k| k.address() == from)
        });
        txs.extend(
            RecoveredTx::recover_all(eth)
                .into_iter()
                .map(|t| BlockTx::Eth(t.unwrap())),
        );
        let timestamp = genesis_time + number;
        let (b, rejected) = plain
            .execute_block(plain.next_attributes(timestamp, BENEFICIARY), txs.clone())
            .unwrap();
        assert!(rejected.is_empty(), "block {number}: {rejected:?}");
        plain.commit(&b).unwrap();
        blocks.push((timestamp, txs, b));
    }
    // Then the pipeline, each block executed right after its parent's commit started.
    for (timestamp, txs, b) in blocks {
        let (a, rejected) = pipeline
            .execute(pipeline.next_attributes(timestamp, BENEFICIARY), txs)
            .unwrap();
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(a.header, b.header, "block {}", b.header.number);
        assert_eq!(a.changes, b.changes, "block {}", b.header.number);
        pipeline.commit(a).unwrap();
    }
    pipeline.wait().unwrap();
    let (a, b) = (pipeline.chain(), &plain);
    assert_eq!(a.head().hash, b.head().hash);
    assert_eq!(a.head().header.number, 6);
    let (sa, sb) = (a.latest().unwrap(), b.latest().unwrap());
    assert_eq!(sa.commitment().unwrap(), sb.commitment().unwrap());
    for k in &w.senders {
        assert_eq!(coins(&sa, k.address()), coins(&sb, k.address()));
    }
}

/// A block that is not the child of the block being committed is refused before the
/// next block could build on it.
#[test]
fn a_block_off_the_tip_is_refused() {
    let w = workload();
    let dir = tempfile::tempdir().unwrap();
    let mut pipeline = Pipeline::new(Chain::open(dir.path(), w.spec.clone()).unwrap());
    let t = pipeline.chain().head().header.timestamp;
    let empty: Vec<BlockTx> = Vec::new();
    let (one, _) = pipeline
        .execute(pipeline.next_attributes(t + 1, BENEFICIARY), empty.clone())
        .unwrap();
    // Another child of genesis, executed before block 1 is handed over.
    let (other, _) = pipeline
        .execute(pipeline.next_attributes(t + 2, BENEFICIARY), empty)
        .unwrap();
    pipeline.commit(one).unwrap();
    let err = pipeline.commit(other).unwrap_err();
    assert!(err.to_string().contains("block 1"), "{err}");
    pipeline.wait().unwrap();
    assert_eq!(pipeline.chain().head().header.number, 1);
}
