//! Native transactions and native assets in blocks: spends and creates, fees, issuance
//! through native transactions and through the precompile, the token's ERC-20 face, and
//! the settlement-cover rule. The ledger invariants are checked after every block.

use crate::{
    common::{Chain, Flavour, TxSpec, sign, signers, test_spec},
    invariants::check_ledger,
};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use bytom2_evm_adapter::{BlockTx, ExecuteTxError};
use bytom2_utxo::{
    AssetId, OutPoint, Output, StateView,
    native::{
        Issuance, NativeTx, NativeTxError, RecoveredNative,
        assets::{ASSET_ISSUER, AssetDefinition, read_definition, token_address},
    },
};

sol! {
    function createAsset(string name, string symbol, uint8 decimals, bytes data) external returns (bytes32 assetId, address token);
    function issue(bytes32 assetId, address to, uint256 amount) external;
    function transfer(address to, uint256 value) external returns (bool);
    function balanceOf(address) external view returns (uint256);
}

const GWEI: u128 = 1_000_000_000;

/// The coins of `owner` in `asset`, oldest first.
fn coins(chain: &Chain, owner: Address, asset: AssetId) -> Vec<(OutPoint, U256)> {
    let mut out = Vec::new();
    chain
        .state
        .for_each_coin(owner, asset, &mut |op, c| {
            out.push((*op, c.output.amount));
            true
        })
        .unwrap();
    out
}

/// Signs `tx` with `keys` in order and wraps it.
fn signed(mut tx: NativeTx, keys: &[&PrivateKeySigner]) -> BlockTx {
    let h = tx.sighash();
    tx.signatures = keys.iter().map(|k| k.sign_hash_sync(&h).unwrap()).collect();
    let raw = tx.encoded_2718();
    BlockTx::Native(RecoveredNative::decode(&raw).unwrap())
}

/// A fee comfortably above `base_fee x native_gas` for small transactions.
fn fee() -> U256 {
    U256::from(200_000u64) * U256::from(10 * GWEI)
}

/// Spends `from`'s oldest BTM output: `amount` to `to`, change back, `fee()` as fee.
fn transfer(chain: &Chain, key: &PrivateKeySigner, to: Address, amount: U256) -> BlockTx {
    let (op, value) = coins(chain, key.address(), AssetId::BTM)[0];
    signed(
        NativeTx {
            chain_id: chain.spec.chain_id,
            inputs: vec![op],
            outputs: vec![
                Output::new(AssetId::BTM, amount, to),
                Output::new(AssetId::BTM, value - amount - fee(), key.address()),
            ],
            issuance: None,
            signatures: vec![],
        },
        &[key],
    )
}

fn native_err(e: &Option<ExecuteTxError>) -> &NativeTxError {
    match e {
        Some(ExecuteTxError::Native(e)) => e,
        other => panic!("expected a native error, got {other:?}"),
    }
}

#[test]
fn native_transfer_moves_outputs_burns_base_fee_and_pays_the_tip() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let to = Address::repeat_byte(0x77);
    let miner = Address::repeat_byte(0x99);
    let before = chain.balance(keys[0].address());
    let supply_before = chain.state.supply(AssetId::BTM).unwrap();
    let tx = transfer(&chain, &keys[0], to, U256::from(12345));
    let attrs = chain.next_attrs(miner);
    let base_fee = attrs.base_fee;
    let (block, errors) = chain.mine_any(attrs, vec![tx.clone()]);
    assert!(errors.iter().all(Option::is_none), "{errors:?}");
    check_ledger(&chain.state);
    let executed = &block.transactions[0];
    assert_eq!(executed.tx_type(), 0x62);
    assert!(executed.success());
    let gas = executed.gas_used;
    assert_eq!(block.header.gas_used, gas);
    assert_eq!(chain.balance(to), U256::from(12345));
    assert_eq!(
        chain.balance(keys[0].address()),
        before - U256::from(12345) - fee()
    );
    let burned = U256::from(base_fee) * U256::from(gas);
    assert_eq!(chain.balance(miner), fee() - burned);
    let supply = chain.state.supply(AssetId::BTM).unwrap();
    assert_eq!(supply.burned - supply_before.burned, burned);
    // The outputs sit at (hash, i), created at (block, tx index, i).
    let coin = chain
        .state
        .coin(&OutPoint::new(tx.hash(), 0))
        .unwrap()
        .unwrap();
    assert_eq!(coin.output.owner, to);
    assert_eq!(coin.origin.block, 1);
}

#[test]
fn double_spends_bad_signers_low_fees_and_contract_outputs_are_refused() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let to = Address::repeat_byte(0x77);
    let good = transfer(&chain, &keys[0], to, U256::from(1000));
    // The same input again, paying someone else.
    let (op, value) = coins(&chain, keys[0].address(), AssetId::BTM)[0];
    let base = NativeTx {
        chain_id: chain.spec.chain_id,
        inputs: vec![op],
        outputs: vec![Output::new(AssetId::BTM, value - fee(), to)],
        issuance: None,
        signatures: vec![],
    };
    let double = signed(base.clone(), &[&keys[0]]);
    let wrong_key = signed(base.clone(), &[&keys[1]]);
    let low_fee = signed(
        NativeTx {
            outputs: vec![Output::new(AssetId::BTM, value - U256::from(1), to)],
            ..base.clone()
        },
        &[&keys[0]],
    );
    let to_contract = signed(
        NativeTx {
            outputs: vec![Output::new(
                AssetId::BTM,
                U256::from(5),
                crate::common::Contracts::STORE,
            )],
            ..base.clone()
        },
        &[&keys[0]],
    );
    let other_chain = signed(
        NativeTx {
            chain_id: 1,
            ..base.clone()
        },
        &[&keys[0]],
    );
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine_any(
        attrs,
        vec![good, double, wrong_key, low_fee, to_contract, other_chain],
    );
    assert_eq!(block.transactions.len(), 1);
    assert!(errors[0].is_none());
    assert!(matches!(native_err(&errors[1]), NativeTxError::MissingInput(o) if *o == op));
    for (i, e) in errors.iter().enumerate().skip(2) {
        let e = native_err(e);
        let ok = match i {
            2 => matches!(
                e,
                NativeTxError::SignerMismatch { .. } | NativeTxError::MissingInput(_)
            ),
            5 => matches!(e, NativeTxError::WrongChainId { .. }),
            _ => matches!(e, NativeTxError::MissingInput(_)),
        };
        assert!(ok, "tx {i}: {e}");
    }
    check_ledger(&chain.state);

    // Against a fresh output each rule fires on its own.
    let (op, value) = coins(&chain, keys[1].address(), AssetId::BTM)[0];
    let base = NativeTx {
        chain_id: chain.spec.chain_id,
        inputs: vec![op],
        outputs: vec![Output::new(AssetId::BTM, value - fee(), to)],
        issuance: None,
        signatures: vec![],
    };
    let cases: Vec<(BlockTx, &str)> = vec![
        (
            signed(base.clone(), &[&keys[0]]),
            "signatures do not match the signers",
        ),
        (
            signed(
                NativeTx {
                    outputs: vec![Output::new(AssetId::BTM, value - U256::from(1), to)],
                    ..base.clone()
                },
                &[&keys[1]],
            ),
            "fee too low",
        ),
        (
            signed(
                NativeTx {
                    outputs: vec![Output::new(
                        AssetId::BTM,
                        value - fee(),
                        crate::common::Contracts::STORE,
                    )],
                    ..base.clone()
                },
                &[&keys[1]],
            ),
            "call the contract instead",
        ),
        (
            signed(
                NativeTx {
                    chain_id: 1,
                    ..base.clone()
                },
                &[&keys[1]],
            ),
            "invalid chain id",
        ),
        (
            signed(
                NativeTx {
                    outputs: vec![Output::new(AssetId::BTM, value + U256::from(1), to)],
                    ..base.clone()
                },
                &[&keys[1]],
            ),
            "exceed inputs",
        ),
    ];
    let attrs = chain.next_attrs(Address::ZERO);
    let (txs, wants): (Vec<_>, Vec<_>) = cases.into_iter().unzip();
    let (block, errors) = chain.mine_any(attrs, txs);
    assert!(block.transactions.is_empty());
    for (e, want) in errors.iter().zip(wants) {
        let msg = native_err(e).to_string();
        assert!(msg.contains(want), "{msg:?} does not contain {want:?}");
    }
}

#[test]
fn native_issuance_creates_an_asset_with_an_erc20_face() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let issuer = &keys[2];
    let def = AssetDefinition {
        name: "Gold".into(),
        symbol: "GLD".into(),
        decimals: 8,
        issuer: issuer.address(),
        data: Bytes::from_static(b"one ounce"),
    };
    let asset = def.asset_id();
    let (op, value) = coins(&chain, issuer.address(), AssetId::BTM)[0];
    let holder = keys[3].address();
    let create = signed(
        NativeTx {
            chain_id: chain.spec.chain_id,
            inputs: vec![op],
            outputs: vec![
                Output::new(asset, U256::from(600), holder),
                Output::new(asset, U256::from(400), issuer.address()),
                Output::new(AssetId::BTM, value - fee(), issuer.address()),
            ],
            issuance: Some(Issuance {
                asset,
                amount: U256::from(1000),
                definition: Some(def.clone()),
            }),
            signatures: vec![],
        },
        &[issuer],
    );
    let attrs = chain.next_attrs(Address::ZERO);
    let (_, errors) = chain.mine_any(attrs, vec![create]);
    assert!(errors[0].is_none(), "{errors:?}");
    check_ledger(&chain.state);
    assert_eq!(
        read_definition(&chain.state, asset).unwrap(),
        Some(def.clone())
    );
    assert_eq!(chain.state.supply(asset).unwrap().issued, U256::from(1000));

    // The holder moves 250 through the ERC-20 face: an Ethereum transaction.
    let token = token_address(asset);
    let receiver = Address::repeat_byte(0x55);
    let erc20 = TxSpec {
        flavour: Flavour::Dynamic,
        nonce: 0,
        to: Some(token),
        value: U256::ZERO,
        input: transferCall {
            to: receiver,
            value: U256::from(250),
        }
        .abi_encode()
        .into(),
        gas: 200_000,
        max_fee: 100 * GWEI,
        tip: GWEI,
    };
    // Someone else issuing more (the holder signs; the issuer does not): refused.
    let (hop, hvalue) = coins(&chain, holder, AssetId::BTM)[0];
    let steal = signed(
        NativeTx {
            chain_id: chain.spec.chain_id,
            inputs: vec![hop],
            outputs: vec![
                Output::new(asset, U256::from(5), holder),
                Output::new(AssetId::BTM, hvalue - fee(), holder),
            ],
            issuance: Some(Issuance {
                asset,
                amount: U256::from(5),
                definition: None,
            }),
            signatures: vec![],
        },
        &[&keys[3]],
    );
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine_any(
        attrs,
        vec![
            BlockTx::Eth(
                bytom2_evm_adapter::RecoveredTx::recover(sign(
                    &keys[3],
                    chain.spec.chain_id,
                    &erc20,
                ))
                .unwrap(),
            ),
            steal,
        ],
    );
    assert!(errors[0].is_none(), "{errors:?}");
    assert!(block.transactions[0].success());
    let msg = native_err(&errors[1]).to_string();
    assert!(msg.contains("only the issuer"), "{msg}");
    check_ledger(&chain.state);
    assert_eq!(chain.state.balance(holder, asset).unwrap(), U256::from(350));
    assert_eq!(
        chain.state.balance(receiver, asset).unwrap(),
        U256::from(250)
    );
    // The token logged Transfer(holder, receiver, 250).
    let log = &block.transactions[0].receipt.receipt.logs[0];
    assert_eq!(log.address, token);
    assert_eq!(log.topics()[1], B256::left_padding_from(holder.as_slice()));
    // Supply is unchanged by transfers.
    assert_eq!(chain.state.supply(asset).unwrap().total(), U256::from(1000));
}

#[test]
fn precompile_creates_and_issues_and_refuses_non_issuers() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let call = |nonce: u64, input: Vec<u8>| TxSpec {
        flavour: Flavour::Dynamic,
        nonce,
        to: Some(ASSET_ISSUER),
        value: U256::ZERO,
        input: input.into(),
        gas: 500_000,
        max_fee: 100 * GWEI,
        tip: GWEI,
    };
    let create = call(
        0,
        createAssetCall {
            name: "Silver".into(),
            symbol: "SLV".into(),
            decimals: 6,
            data: Bytes::new(),
        }
        .abi_encode(),
    );
    let def = AssetDefinition {
        name: "Silver".into(),
        symbol: "SLV".into(),
        decimals: 6,
        issuer: keys[0].address(),
        data: Bytes::new(),
    };
    let asset = def.asset_id();
    let to = keys[1].address();
    let issue_ok = call(
        1,
        issueCall {
            assetId: asset.0,
            to,
            amount: U256::from(777),
        }
        .abi_encode(),
    );
    let issue_bad = TxSpec {
        nonce: 0,
        ..call(
            0,
            issueCall {
                assetId: asset.0,
                to,
                amount: U256::from(1),
            }
            .abi_encode(),
        )
    };
    let txs = vec![
        sign(&keys[0], chain.spec.chain_id, &create),
        sign(&keys[0], chain.spec.chain_id, &issue_ok),
        sign(&keys[2], chain.spec.chain_id, &issue_bad),
    ];
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine(attrs, txs);
    assert!(errors.iter().all(Option::is_none), "{errors:?}");
    assert!(block.transactions[0].success(), "create");
    assert!(block.transactions[1].success(), "issue");
    assert!(
        !block.transactions[2].success(),
        "a stranger's issue reverts"
    );
    check_ledger(&chain.state);
    assert_eq!(read_definition(&chain.state, asset).unwrap(), Some(def));
    assert_eq!(chain.state.balance(to, asset).unwrap(), U256::from(777));
    assert_eq!(chain.state.supply(asset).unwrap().issued, U256::from(777));
    // AssetCreated from the precompile; AssetIssued and the token's Transfer.
    assert_eq!(
        block.transactions[0].receipt.receipt.logs[0].address,
        ASSET_ISSUER
    );
    let logs = &block.transactions[1].receipt.receipt.logs;
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[1].address, token_address(asset));
    // The stranger's revert reason is "not the issuer".
    let out = &block.transactions[2].output;
    assert!(String::from_utf8_lossy(out).contains("not the issuer"));
}

#[test]
fn native_spend_of_outputs_needed_by_settlement_is_refused() {
    let mut chain = Chain::new(test_spec());
    let keys = signers();
    let key = &keys[4];
    // One BTM output holds everything; an Ethereum transfer of most of it is pending in
    // the block, so spending that output natively would leave the settlement short.
    let all = chain.balance(key.address());
    let eth = TxSpec {
        flavour: Flavour::Dynamic,
        nonce: 0,
        to: Some(Address::repeat_byte(0x33)),
        value: all - U256::from(10u128.pow(18)),
        input: Bytes::new(),
        gas: 21_000,
        max_fee: 100 * GWEI,
        tip: GWEI,
    };
    let eth =
        bytom2_evm_adapter::RecoveredTx::recover(sign(key, chain.spec.chain_id, &eth)).unwrap();
    let native = transfer(&chain, key, Address::repeat_byte(0x44), U256::from(1000));
    let attrs = chain.next_attrs(Address::ZERO);
    let (block, errors) = chain.mine_any(attrs, vec![BlockTx::Eth(eth), native]);
    assert!(errors[0].is_none());
    let msg = native_err(&errors[1]).to_string();
    assert!(msg.contains("needed to settle"), "{msg}");
    assert_eq!(block.transactions.len(), 1);
    check_ledger(&chain.state);
}
