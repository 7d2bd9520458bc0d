//! Differential execution: the same transactions through our executor (UTXO state,
//! deltas, settlement) and through plain revm over an in-memory account database must
//! agree on balances, nonces, code, storage, gas, status and logs after every block.

use crate::{common::*, invariants::check_ledger};
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256};
use bytom2_evm_adapter::{EvmConfig, RecoveredTx};
use bytom2_utxo::{AssetId, StateView};
use proptest::prelude::*;
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context_interface::result::ExecutionResult,
    database::{CacheDB, EmptyDB},
};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
enum Action {
    Transfer {
        from: u8,
        to: u8,
        value: u64,
        flavour: u8,
    },
    Store {
        from: u8,
        key: u8,
        value: u64,
        flavour: u8,
    },
    Forward {
        from: u8,
        to: u8,
        value: u64,
        send: u64,
    },
    Revert {
        from: u8,
    },
    OutOfGas {
        from: u8,
        extra_gas: u16,
    },
    Deploy {
        from: u8,
        value: u64,
    },
    Create2 {
        from: u8,
        value: u64,
        destruct: bool,
    },
    DestructOnCreate {
        from: u8,
        value: u64,
    },
    DestructToSelf {
        from: u8,
        value: u64,
    },
    Precompile {
        from: u8,
        which: u8,
        input: Vec<u8>,
    },
    BadNonce {
        from: u8,
    },
    LowFee {
        from: u8,
    },
    TooExpensive {
        from: u8,
    },
}

fn action() -> impl Strategy<Value = Action> {
    let from = 0u8..6;
    prop_oneof![
        4 => (from.clone(), 0u8..16, any::<u64>(), 0u8..3)
            .prop_map(|(from, to, value, flavour)| Action::Transfer { from, to, value, flavour }),
        3 => (from.clone(), 0u8..4, any::<u64>(), 0u8..3)
            .prop_map(|(from, key, value, flavour)| Action::Store { from, key, value, flavour }),
        3 => (from.clone(), 0u8..16, any::<u64>(), any::<u64>())
            .prop_map(|(from, to, value, send)| Action::Forward { from, to, value, send }),
        1 => from.clone().prop_map(|from| Action::Revert { from }),
        1 => (from.clone(), any::<u16>()).prop_map(|(from, extra_gas)| Action::OutOfGas { from, extra_gas }),
        2 => (from.clone(), any::<u64>()).prop_map(|(from, value)| Action::Deploy { from, value }),
        2 => (from.clone(), any::<u64>(), any::<bool>())
            .prop_map(|(from, value, destruct)| Action::Create2 { from, value, destruct }),
        1 => (from.clone(), any::<u64>()).prop_map(|(from, value)| Action::DestructOnCreate { from, value }),
        1 => (from.clone(), any::<u64>()).prop_map(|(from, value)| Action::DestructToSelf { from, value }),
        2 => (from.clone(), 1u8..=0x11, proptest::collection::vec(any::<u8>(), 0..200))
            .prop_map(|(from, which, input)| Action::Precompile { from, which, input }),
        1 => from.clone().prop_map(|from| Action::BadNonce { from }),
        1 => from.clone().prop_map(|from| Action::LowFee { from }),
        1 => from.prop_map(|from| Action::TooExpensive { from }),
    ]
}

fn target(i: u8) -> Address {
    let accounts = bytom2_chainspec::dev_accounts();
    match i {
        0..=7 => accounts[i as usize].address,
        8 => Contracts::STORE,
        9 => Contracts::FORWARD,
        _ => Address::with_last_byte(0xF0 + i),
    }
}

fn word(a: Address) -> [u8; 32] {
    B256::left_padding_from(a.as_slice()).0
}

/// Turns actions into signed transactions, tracking nonces.
fn build_txs(chain: &Chain, actions: &[Action], nonces: &mut HashMap<u8, u64>) -> Vec<TxEnvelope> {
    let signers = signers();
    let base_fee = chain.next_attrs(Address::ZERO).base_fee as u128;
    let mut out = Vec::new();
    for action in actions {
        let from = match action {
            Action::Transfer { from, .. }
            | Action::Store { from, .. }
            | Action::Forward { from, .. }
            | Action::Revert { from }
            | Action::OutOfGas { from, .. }
            | Action::Deploy { from, .. }
            | Action::Create2 { from, .. }
            | Action::DestructOnCreate { from, .. }
            | Action::DestructToSelf { from, .. }
            | Action::Precompile { from, .. }
            | Action::BadNonce { from }
            | Action::LowFee { from }
            | Action::TooExpensive { from } => *from,
        };
        let nonce = nonces.entry(from).or_insert_with(|| {
            chain
                .state
                .account(signers[from as usize].address())
                .unwrap()
                .map_or(0, |a| a.nonce)
        });
        let mut spec = TxSpec {
            flavour: Flavour::Dynamic,
            nonce: *nonce,
            to: None,
            value: U256::ZERO,
            input: Bytes::new(),
            gas: 200_000,
            max_fee: base_fee * 2 + 2,
            tip: (from as u128) * 1_000_000,
        };
        let mut advance = true;
        match action {
            Action::Transfer {
                to, value, flavour, ..
            } => {
                spec.flavour =
                    [Flavour::Legacy, Flavour::AccessList, Flavour::Dynamic][*flavour as usize];
                spec.to = Some(target(*to));
                spec.value = U256::from(*value);
                spec.gas = 60_000;
            }
            Action::Store {
                key,
                value,
                flavour,
                ..
            } => {
                spec.flavour =
                    [Flavour::Legacy, Flavour::AccessList, Flavour::Dynamic][*flavour as usize];
                spec.to = Some(Contracts::STORE);
                let mut input = vec![0u8; 64];
                input[31] = *key;
                input[32..].copy_from_slice(&U256::from(*value).to_be_bytes::<32>());
                spec.input = input.into();
            }
            Action::Forward {
                to, value, send, ..
            } => {
                spec.to = Some(Contracts::FORWARD);
                spec.value = U256::from(*value);
                let mut input = word(target(*to)).to_vec();
                input.extend_from_slice(&U256::from(*send).to_be_bytes::<32>());
                spec.input = input.into();
            }
            Action::Revert { .. } => spec.to = Some(Contracts::REVERT),
            Action::OutOfGas { extra_gas, .. } => {
                spec.to = Some(Contracts::LOOP);
                spec.gas = 21_000 + *extra_gas as u64;
            }
            Action::Deploy { value, .. } => {
                spec.value = U256::from(*value);
                spec.input = init_code(&hex("6020356000355560003560006000a100"));
                spec.gas = 300_000;
            }
            Action::Create2 {
                value, destruct, ..
            } => {
                spec.to = Some(Contracts::FACTORY);
                spec.value = U256::from(*value);
                spec.input = if *destruct {
                    selfdestruct_init()
                } else {
                    init_code(&hex("602a60005260206000f3"))
                };
                spec.gas = 300_000;
            }
            Action::DestructOnCreate { value, .. } => {
                spec.value = U256::from(*value);
                spec.input = selfdestruct_init();
                spec.gas = 100_000;
            }
            Action::DestructToSelf { value, .. } => {
                // `ADDRESS SELFDESTRUCT` in the creating transaction: Prague burns the value.
                spec.value = U256::from(*value);
                spec.input = hex("30ff");
                spec.gas = 100_000;
            }
            Action::Precompile { which, input, .. } => {
                spec.to = Some(Contracts::PRECOMPILE);
                let mut data = word(Address::with_last_byte(*which)).to_vec();
                data.extend_from_slice(input);
                spec.input = data.into();
                spec.gas = 1_000_000;
            }
            Action::BadNonce { .. } => {
                spec.nonce += 5;
                spec.to = Some(target(0));
                advance = false;
            }
            Action::LowFee { .. } => {
                spec.max_fee = base_fee - 1;
                spec.tip = 0;
                spec.to = Some(target(1));
                advance = false;
            }
            Action::TooExpensive { .. } => {
                spec.to = Some(target(2));
                spec.value = U256::from(10u64).pow(U256::from(24));
                advance = false;
            }
        }
        if advance {
            *nonce += 1;
        }
        out.push(sign(&signers[from as usize], chain.spec.chain_id, &spec));
    }
    out
}

fn compare_state(chain: &Chain, db: &CacheDB<EmptyDB>) {
    let mut seen = HashSet::new();
    for (address, account) in &db.cache.accounts {
        seen.insert(*address);
        let info = &account.info;
        assert_eq!(
            chain.balance(*address),
            info.balance,
            "balance of {address}"
        );
        let ours = chain.state.account(*address).unwrap().unwrap_or_default();
        assert_eq!(ours.nonce, info.nonce, "nonce of {address}");
        let their_code = if info.code_hash == B256::ZERO {
            KECCAK256_EMPTY
        } else {
            info.code_hash
        };
        assert_eq!(ours.code_hash, their_code, "code hash of {address}");
        if ours.has_code() {
            assert!(
                chain.state.code(ours.code_hash).unwrap().is_some(),
                "code of {address}"
            );
        }
        for (slot, value) in &account.storage {
            assert_eq!(
                chain.state.storage(*address, *slot).unwrap(),
                *value,
                "slot {slot} of {address}"
            );
        }
    }
    for ((address, slot), value) in chain.state.storage_slots() {
        let theirs = db
            .cache
            .accounts
            .get(address)
            .and_then(|a| a.storage.get(slot))
            .copied();
        assert_eq!(theirs, Some(*value), "extra slot {slot} of {address}");
    }
    for ((owner, asset), _) in chain.state.balances() {
        assert_eq!(*asset, AssetId::BTM);
        assert!(
            seen.contains(owner),
            "{owner} holds outputs the reference does not know"
        );
    }
}

/// Runs the blocks on both sides; returns (succeeded, failed, rejected) counts.
fn run(blocks: Vec<Vec<Action>>) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    let mut chain = Chain::new(test_spec());
    let mut db = bytom2_evm_adapter::testing::reference_db(&chain.spec);
    let mut spent_ever = HashSet::new();
    let beneficiary = Address::with_last_byte(0xBE);
    for actions in blocks {
        let mut nonces = HashMap::new();
        let txs = build_txs(&chain, &actions, &mut nonces);
        let attrs = chain.next_attrs(beneficiary);
        db.cache
            .block_hashes
            .insert(U256::from(chain.head.number), chain.head_hash);

        // Reference first, on the same transactions.
        let mut expected = Vec::new();
        {
            let mut evm = Context::mainnet()
                .with_db(&mut db)
                .with_block(EvmConfig::from_spec(&chain.spec).block_env(&attrs))
                .with_cfg(EvmConfig::from_spec(&chain.spec).cfg_env())
                .build_mainnet();
            for tx in &txs {
                let rec = RecoveredTx::recover(tx.clone()).unwrap();
                expected.push(evm.transact_commit(rec.to_tx_env()).ok());
            }
        }
        let (block, errors) = chain.mine(attrs, txs.clone());
        let mut included = block.transactions.iter();
        for ((tx, exp), err) in txs.iter().zip(&expected).zip(&errors) {
            match (exp, err) {
                (None, Some(_)) => counts.2 += 1,
                (Some(exp), None) => {
                    let got = included.next().unwrap();
                    if got.success() {
                        counts.0 += 1;
                    } else {
                        counts.1 += 1;
                    }
                    assert_eq!(got.tx.hash(), *tx.tx_hash());
                    assert_eq!(
                        got.success(),
                        exp.is_success(),
                        "status of {:?}",
                        tx.tx_hash()
                    );
                    assert_eq!(got.gas_used, exp.tx_gas_used(), "gas of {}", tx.tx_hash());
                    assert_eq!(
                        got.receipt.receipt.logs,
                        exp.logs(),
                        "logs of {}",
                        tx.tx_hash()
                    );
                    if let ExecutionResult::Revert { output, .. } = exp {
                        assert_eq!(&got.output, output);
                    }
                    let _ = tx.gas_limit();
                }
                (exp, err) => panic!(
                    "disagree on {}: reference {exp:?}, ours {err:?}",
                    tx.tx_hash()
                ),
            }
        }
        assert!(included.next().is_none());
        compare_state(&chain, &db);
        check_ledger(&chain.state);
        for (op, _) in &block.settlement.spent {
            assert!(spent_ever.insert(*op), "{op} spent twice");
        }
        for (op, _) in &block.settlement.created {
            assert!(
                !spent_ever.contains(op),
                "{op} re-created after being spent"
            );
        }
    }
    counts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn executor_agrees_with_plain_revm(
        blocks in proptest::collection::vec(proptest::collection::vec(action(), 1..14), 1..4)
    ) {
        let _ = run(blocks);
    }
}

#[test]
fn every_action_kind_once() {
    let all = vec![
        Action::Transfer {
            from: 0,
            to: 12,
            value: 10u64.pow(18),
            flavour: 0,
        },
        Action::Transfer {
            from: 1,
            to: 2,
            value: 5,
            flavour: 1,
        },
        Action::Store {
            from: 2,
            key: 1,
            value: 99,
            flavour: 2,
        },
        Action::Forward {
            from: 3,
            to: 13,
            value: 1000,
            send: 700,
        },
        Action::Forward {
            from: 3,
            to: 13,
            value: 0,
            send: u64::MAX,
        },
        Action::Revert { from: 4 },
        Action::OutOfGas {
            from: 5,
            extra_gas: 5000,
        },
        Action::Deploy {
            from: 0,
            value: 12345,
        },
        Action::Create2 {
            from: 1,
            value: 77,
            destruct: false,
        },
        Action::Create2 {
            from: 2,
            value: 88,
            destruct: true,
        },
        Action::DestructOnCreate {
            from: 3,
            value: 4242,
        },
        Action::DestructToSelf {
            from: 3,
            value: 777,
        },
        Action::Precompile {
            from: 4,
            which: 2,
            input: vec![1, 2, 3],
        },
        Action::Precompile {
            from: 4,
            which: 1,
            input: vec![7; 128],
        },
        Action::Precompile {
            from: 4,
            which: 5,
            input: vec![0; 96],
        },
        Action::BadNonce { from: 5 },
        Action::LowFee { from: 5 },
        Action::TooExpensive { from: 5 },
    ];
    let (ok, failed, rejected) = run(vec![all.clone(), all]);
    // Per block 13 succeed (a value forward whose inner CALL fails still succeeds), the
    // revert and the out-of-gas loop fail, the three invalid transactions are rejected;
    // in the second block the repeated CREATE2 collides, burns the gas it forwarded and
    // the factory runs out of gas storing the result.
    assert_eq!((ok, failed, rejected), (25, 5, 6));
}
