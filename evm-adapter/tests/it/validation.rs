//! Invalid transactions are rejected with geth's messages and change nothing.

use crate::common::*;
use alloy_consensus::{Signed, TxEnvelope, TxLegacy};
use alloy_primitives::{Address, Bytes, Signature, U256};
use bytom2_evm_adapter::{ExecuteTxError, RecoveredTx};

fn dynamic(nonce: u64, to: Address, value: U256, max_fee: u128, tip: u128, gas: u64) -> TxSpec {
    TxSpec {
        flavour: Flavour::Dynamic,
        nonce,
        to: Some(to),
        value,
        input: Bytes::new(),
        gas,
        max_fee,
        tip,
    }
}

fn reject(chain: &mut Chain, tx: TxEnvelope) -> String {
    let before = chain.state.commitment_root();
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine(attrs, vec![tx]);
    assert!(block.transactions.is_empty());
    assert_eq!(
        block.header.state_root, before,
        "a rejected transaction changed the state"
    );
    match errors.into_iter().next().flatten() {
        Some(ExecuteTxError::Invalid(e)) => e.to_string(),
        other => panic!("expected an invalid-transaction error, got {other:?}"),
    }
}

trait Root {
    fn commitment_root(&self) -> alloy_primitives::B256;
}

impl Root for bytom2_utxo::MemoryState {
    fn commitment_root(&self) -> alloy_primitives::B256 {
        use bytom2_utxo::StateView;
        self.commitment().unwrap().root()
    }
}

#[test]
fn geth_error_messages() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let id = chain.spec.chain_id;
    let to = Address::with_last_byte(0x77);
    let gwei = 1_000_000_000u128;

    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(3, to, U256::from(1), 2 * gwei, 0, 21_000),
        ),
    );
    assert!(msg.starts_with("nonce too high"), "{msg}");

    // Each empty block lowers the base fee by 12.5%: read it for the block to come.
    let base = chain.next_attrs(Address::ZERO).base_fee as u128;
    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(0, to, U256::from(1), base - 1, 0, 21_000),
        ),
    );
    assert!(
        msg.starts_with("max fee per gas less than block base fee"),
        "{msg}"
    );

    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(0, to, U256::from(1), 2 * gwei, 3 * gwei, 21_000),
        ),
    );
    assert!(
        msg.starts_with("max priority fee per gas higher than max fee per gas"),
        "{msg}"
    );

    let huge = U256::from(10u64).pow(U256::from(25));
    let msg = reject(
        &mut chain,
        sign(&keys[0], id, &dynamic(0, to, huge, 2 * gwei, 0, 21_000)),
    );
    assert!(
        msg.starts_with("insufficient funds for gas * price + value"),
        "{msg}"
    );

    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(0, to, U256::from(1), 2 * gwei, 0, 20_000),
        ),
    );
    assert_eq!(msg, "intrinsic gas too low");

    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(0, to, U256::from(1), 2 * gwei, 0, 40_000_000),
        ),
    );
    assert_eq!(msg, "exceeds block gas limit");

    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id + 1,
            &dynamic(0, to, U256::from(1), 2 * gwei, 0, 21_000),
        ),
    );
    assert_eq!(msg, "invalid chain id");

    // Nonce too low: include one transaction, then replay nonce 0.
    let ok = sign(
        &keys[0],
        id,
        &dynamic(0, to, U256::from(1), 2 * gwei, 0, 21_000),
    );
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, _) = chain.mine(attrs, vec![ok]);
    assert_eq!(block.transactions.len(), 1);
    let msg = reject(
        &mut chain,
        sign(
            &keys[0],
            id,
            &dynamic(0, to, U256::from(2), 2 * gwei, 0, 21_000),
        ),
    );
    assert_eq!(msg, "nonce too low: next nonce 1, tx nonce 0");
}

#[test]
fn bad_signature_is_invalid_sender() {
    let tx = TxLegacy {
        chain_id: Some(1),
        gas_limit: 21_000,
        ..Default::default()
    };
    let sig = Signature::new(U256::ZERO, U256::ZERO, false);
    let env: TxEnvelope = Signed::new_unhashed(tx, sig).into();
    assert_eq!(
        RecoveredTx::recover(env).unwrap_err().to_string(),
        "invalid sender"
    );
}

#[test]
fn pre_eip155_transactions_execute() {
    // The CREATE2 deployer's own deployment is pre-EIP-155: such transactions must run.
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let tx = TxLegacy {
        chain_id: None,
        nonce: 0,
        gas_price: 10_000_000_000,
        gas_limit: 21_000,
        to: alloy_primitives::TxKind::Call(Address::with_last_byte(0x55)),
        value: U256::from(9),
        input: Bytes::new(),
    };
    use alloy_consensus::SignableTransaction;
    use alloy_signer::SignerSync;
    let sig = keys[3].sign_hash_sync(&tx.signature_hash()).unwrap();
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine(attrs, vec![tx.into_signed(sig).into()]);
    assert!(errors[0].is_none(), "{errors:?}");
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(chain.balance(Address::with_last_byte(0x55)), U256::from(9));
}
