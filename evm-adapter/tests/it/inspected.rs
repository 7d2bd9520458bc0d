//! `BlockExecutor::execute_inspected`: a traced transaction does exactly what the
//! untraced path does, and the inspection sees the state before the transaction.

use crate::common::*;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_evm_adapter::{BlockExecutor, BlockTx, EvmConfig, RecoveredTx};
use revm::{Database, inspector::CountInspector};

/// STORE calldata: slot, value.
fn store(slot: u64, value: u64) -> Bytes {
    let mut data = B256::from(U256::from(slot)).to_vec();
    data.extend_from_slice(B256::from(U256::from(value)).as_slice());
    data.into()
}

fn txs(chain_id: u64) -> Vec<RecoveredTx> {
    let keys = signers();
    let spec = |nonce, to, input: Bytes| TxSpec {
        flavour: Flavour::Dynamic,
        nonce,
        to: Some(to),
        value: U256::ZERO,
        input,
        gas: 200_000,
        max_fee: 2_000_000_000,
        tip: 1_000_000_000,
    };
    [
        spec(0, Contracts::STORE, store(1, 7)),
        spec(1, Contracts::REVERT, Bytes::new()),
        spec(2, Contracts::STORE, store(1, 9)),
    ]
    .iter()
    .map(|s| RecoveredTx::recover(sign(&keys[0], chain_id, s)).expect("recover"))
    .collect()
}

#[test]
fn inspected_execution_builds_the_same_block() {
    let chain = Chain::new(test_spec());
    let attrs = chain.next_attrs(Address::repeat_byte(0x99));
    let chain_id = chain.spec.chain_id;
    let config = EvmConfig::from_spec(&chain.spec);
    let new_exec =
        || BlockExecutor::new(&config, attrs.clone(), &chain.state, &chain.hashes).unwrap();

    let mut plain = new_exec();
    for tx in txs(chain_id) {
        plain.execute_any(BlockTx::Eth(tx)).expect("valid");
    }
    let plain = plain.finish().expect("finish");

    let mut traced = new_exec();
    for (i, tx) in txs(chain_id).into_iter().enumerate() {
        let sender = tx.sender;
        let (summary, (opcodes, nonce_before, slot_before)) = traced
            .execute_inspected(tx, CountInspector::new(), |inspector, result, state| {
                assert_eq!(
                    result.result.tx_gas_used(),
                    result.result.gas().tx_gas_used()
                );
                let nonce = state.basic(sender).unwrap().map_or(0, |a| a.nonce);
                let slot = state.storage(Contracts::STORE, U256::from(1)).unwrap();
                (inspector.total_opcodes(), nonce, slot)
            })
            .expect("valid");
        assert_eq!(summary.gas_used, plain.transactions[i].gas_used);
        assert_eq!(summary.success, plain.transactions[i].success());
        assert!(opcodes > 0, "the inspector watched transaction {i}");
        assert_eq!(nonce_before, i as u64, "state before the transaction");
        let expected_slot = if i == 0 { 0 } else { 7 };
        assert_eq!(slot_before, U256::from(expected_slot));
    }
    let traced = traced.finish().expect("finish");
    assert_eq!(traced.hash, plain.hash);
    assert_eq!(traced.header, plain.header);
    assert_eq!(traced.changes, plain.changes);
}
