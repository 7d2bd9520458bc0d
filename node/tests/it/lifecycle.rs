//! The block lifecycle between nodes (issue #20): a block proposed on one node's state
//! and verified on another built from the same genesis is the same block; any tampering
//! is caught with the matching [`InvalidBlock`] and changes nothing on the verifier; a
//! block finalized from elsewhere maintains the pool as a block made here does; blocks
//! build on unfinalized parents.

use alloy_consensus::{SignableTransaction, TxEnvelope};
use alloy_primitives::{Address, B256, Bloom, Bytes, Signature, TxKind, U256, address};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, sol};
use bytom2_chainspec::ChainSpec;
use bytom2_eth_rpc::EthBackend;
use bytom2_evm_adapter::testing::{
    contracts::{TOKEN, transfer_calldata},
    tx::{TxSpec, raw},
    workload::{Call, Workload, native_transfer},
};
use bytom2_evm_adapter::{
    Block, BlockAttributes, BlockTx, EvmConfig, ExecuteTxError, ExecutedBlock, FixedField,
    InvalidBlock, SystemHooks, SystemState, TxError,
};
use bytom2_node::{Chain, Node, NodeConfig, NodeError};
use bytom2_storage::StorageError;
use bytom2_utxo::{AssetId, OutPoint, StateView, native::assets::ASSET_ISSUER};
use proptest::prelude::*;
use std::sync::Arc;

sol! {
    function createAsset(string name, string symbol, uint8 decimals, bytes data) external returns (bytes32 assetId, address token);
}

const SENDERS: usize = 4;
const BENEFICIARY: Address = address!("0x00000000000000000000000000000000000c0ffe");
const GWEI: u128 = 1_000_000_000;
const MAX_FEE: u128 = 100 * GWEI;
/// Block timestamps far from the wall clock, the same on both nodes.
const T0: u64 = 4_000_000_000;

/// The post-block step of a chain with rewards: mints 1 gwei to the block's fee
/// recipient before the block and moves 12,345 wei from the first sender to a fixed
/// address after it.
#[derive(Debug)]
struct MovesValue {
    from: Address,
}

const HOOK_SINK: Address = address!("0x000000000000000000000000000000000000500c");

impl SystemHooks for MovesValue {
    fn pre_block(&self, block: &mut dyn SystemState) -> Result<(), bytom2_evm_adapter::ExecError> {
        let to = block.attributes().beneficiary;
        block.mint_reward(to, U256::from(GWEI))
    }

    fn post_block(&self, block: &mut dyn SystemState) -> Result<(), bytom2_evm_adapter::ExecError> {
        let amount = U256::from(12_345u64);
        if block.balance(self.from, AssetId::BTM)? >= amount {
            block.transfer(self.from, HOOK_SINK, AssetId::BTM, amount)?;
        }
        Ok(())
    }
}

struct Net {
    w: Workload,
    /// Each node with its data directory.
    nodes: Vec<(tempfile::TempDir, Arc<Node>)>,
}

impl Net {
    /// `count` nodes of one chain (the workload's, with or without the hooks), each in
    /// its own data directory; no producer runs.
    fn new(count: usize, hooks: bool) -> Self {
        let w = Workload::new(ChainSpec::dev(), SENDERS);
        let nodes = (0..count)
            .map(|_| {
                let dir = tempfile::tempdir().unwrap();
                let mut chain = Chain::open(dir.path(), w.spec.clone()).unwrap();
                if hooks {
                    let from = w.senders[0].address();
                    let config =
                        EvmConfig::from_spec(&w.spec).with_hooks(Arc::new(MovesValue { from }));
                    chain = chain.with_evm_config(config);
                }
                (dir, Node::new(chain, NodeConfig::default()))
            })
            .collect();
        Self { w, nodes }
    }

    fn node(&self, i: usize) -> &Arc<Node> {
        &self.nodes[i].1
    }

    fn nonce(&self, node: usize, sender: usize) -> u64 {
        node_nonce(self.node(node), self.w.senders[sender].address())
    }

    /// Sender `i`'s largest BTM output at node `node`'s head (the first of equals).
    fn first_coin(&self, node: usize, i: usize) -> (OutPoint, U256) {
        let state = self.node(node).chain().latest().unwrap();
        let mut found: Option<(OutPoint, U256)> = None;
        let owner = self.w.senders[i].address();
        let mut visit = |op: &OutPoint, coin: &bytom2_utxo::Coin| {
            if found.is_none_or(|(_, a)| coin.output.amount > a) {
                found = Some((*op, coin.output.amount));
            }
            true
        };
        state
            .for_each_coin(owner, AssetId::BTM, &mut visit)
            .unwrap();
        found.expect("the sender has an output")
    }

    fn attrs_on(&self, node: usize, timestamp: u64) -> BlockAttributes {
        self.node(node)
            .chain()
            .next_attributes(timestamp, BENEFICIARY)
    }
}

fn node_nonce(node: &Node, address: Address) -> u64 {
    let state = node.chain().latest().unwrap();
    state.account(address).unwrap().map_or(0, |a| a.nonce)
}

fn send(node: &Node, raw: Bytes) -> B256 {
    node.send_raw_transaction(raw).expect("the pool accepts it")
}

/// What one random operation sends.
#[derive(Debug, Clone, Copy)]
enum Op {
    Transfer { from: usize, to: usize, value: u64 },
    Erc20 { from: usize, to: usize, amount: u64 },
    Deploy { from: usize },
    Revert { from: usize },
    Native { from: usize, to: usize, value: u64 },
    CreateAsset { from: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let s = || 0..SENDERS;
    prop_oneof![
        (s(), s(), 1..1_000_000u64).prop_map(|(from, to, value)| Op::Transfer { from, to, value }),
        (s(), s(), 1..1_000u64).prop_map(|(from, to, amount)| Op::Erc20 { from, to, amount }),
        s().prop_map(|from| Op::Deploy { from }),
        s().prop_map(|from| Op::Revert { from }),
        (s(), s(), 1..1_000_000u64).prop_map(|(from, to, value)| Op::Native { from, to, value }),
        s().prop_map(|from| Op::CreateAsset { from }),
    ]
}

/// Signs `ops` against node 0's head (nonces follow on per sender; a native
/// transaction spends its sender's oldest output, at most one per sender per block).
fn build(net: &Net, ops: &[Op], base_fee: u64) -> Vec<Bytes> {
    let w = &net.w;
    let mut nonces: Vec<u64> = (0..SENDERS).map(|i| net.nonce(0, i)).collect();
    let mut native_used = [false; SENDERS];
    let mut out = Vec::new();
    let eth = |i: usize, call: Call, nonces: &mut Vec<u64>| {
        let tx = w.sign(i, nonces[i], call);
        nonces[i] += 1;
        raw(&tx)
    };
    for op in ops {
        let call = |to, value: u64, input: Bytes, gas| Call {
            to,
            value: U256::from(value),
            input,
            gas,
            max_fee: MAX_FEE,
        };
        let addr = |i: usize| w.senders[i].address();
        match *op {
            Op::Transfer { from, to, value } => out.push(eth(
                from,
                call(TxKind::Call(addr(to)), value, Bytes::new(), 21_000),
                &mut nonces,
            )),
            Op::Erc20 { from, to, amount } => out.push(eth(
                from,
                call(
                    TxKind::Call(TOKEN),
                    0,
                    transfer_calldata(addr(to), U256::from(amount)),
                    80_000,
                ),
                &mut nonces,
            )),
            // PUSH1 42 PUSH1 0 SSTORE STOP: a contract that stores a word as it is made.
            Op::Deploy { from } => out.push(eth(
                from,
                call(
                    TxKind::Create,
                    0,
                    Bytes::from_static(&[0x60, 0x2a, 0x60, 0x00, 0x55, 0x00]),
                    100_000,
                ),
                &mut nonces,
            )),
            // More tokens than anyone has: the token reverts.
            Op::Revert { from } => out.push(eth(
                from,
                call(
                    TxKind::Call(TOKEN),
                    0,
                    transfer_calldata(addr(0), U256::MAX),
                    80_000,
                ),
                &mut nonces,
            )),
            Op::CreateAsset { from } => {
                let input = createAssetCall {
                    name: format!("Asset {from}"),
                    symbol: "AST".into(),
                    decimals: 18,
                    data: Bytes::new(),
                }
                .abi_encode();
                out.push(eth(
                    from,
                    call(TxKind::Call(ASSET_ISSUER), 0, input.into(), 1_000_000),
                    &mut nonces,
                ))
            }
            Op::Native { from, to, value } => {
                if std::mem::replace(&mut native_used[from], true) {
                    continue;
                }
                let input = net.first_coin(0, from);
                let tx = native_transfer(
                    &w.spec,
                    &w.senders[from],
                    &[input],
                    &[(addr(to), U256::from(value))],
                    base_fee,
                );
                out.push(BlockTx::Native(tx).encoded_2718());
            }
        }
    }
    out
}

/// Asserts two executions of one block are the same block.
fn assert_same(a: &ExecutedBlock, b: &ExecutedBlock) {
    assert_eq!(a.hash, b.hash);
    assert_eq!(a.header, b.header);
    assert_eq!(a.header.state_root, b.header.state_root);
    assert_eq!(a.transactions, b.transactions, "receipts");
    assert_eq!(a.settlement, b.settlement);
    assert_eq!(a.changes, b.changes);
    assert_eq!((a.burned, a.minted), (b.burned, b.minted));
}

/// Proposes on node 0 from its pool (holding `txs`), verifies on node 1, and finalizes
/// the block on both; returns it.
fn round(net: &Net, txs: Vec<Bytes>, timestamp: u64) -> ExecutedBlock {
    let (a, b) = (net.node(0), net.node(1));
    for raw in txs {
        // A transaction the pool refuses (a native one racing a settlement spend) is
        // simply not proposed.
        let _ = a.send_raw_transaction(raw);
    }
    let proposal = a.propose(net.attrs_on(0, timestamp)).unwrap();
    let verified = b.verify(&proposal.block.to_block()).unwrap();
    assert_same(&proposal.block, &verified);
    let block = proposal.block.clone();
    a.finalize(proposal.block, None, &proposal.rejected)
        .unwrap();
    b.finalize(verified, None, &[]).unwrap();
    assert_eq!(a.chain().head().hash, b.chain().head().hash);
    block
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random blocks proposed on one node's state and verified on another's are the same
    /// executed block: header (state root included), receipts, settlement, changes.
    #[test]
    fn two_nodes_agree_on_every_block(
        blocks in prop::collection::vec(prop::collection::vec(op(), 0..10), 1..4),
        hooks in any::<bool>(),
    ) {
        let net = Net::new(2, hooks);
        let mut included = 0;
        for (i, ops) in blocks.iter().enumerate() {
            let base_fee = net.attrs_on(0, T0).base_fee;
            let txs = build(&net, ops, base_fee);
            let block = round(&net, txs, T0 + i as u64);
            included += block.transactions.len();
            if hooks {
                prop_assert_eq!(block.minted, U256::from(GWEI));
            }
        }
        // Every Ethereum transaction is valid when sent: any one makes the run include
        // something.
        let eth = blocks.iter().flatten().any(|op| !matches!(op, Op::Native { .. }));
        prop_assert!(included > 0 || !eth);
    }
}

/// A block of every kind of transaction proposed on node 0, not finalized.
fn proposed(net: &Net) -> (ExecutedBlock, Block) {
    // A first block, so that the parent's timestamp is not zero.
    round(net, Vec::new(), T0);
    let ops = [
        Op::Transfer {
            from: 0,
            to: 1,
            value: 5,
        },
        Op::Transfer {
            from: 2,
            to: 3,
            value: 7,
        },
        Op::Erc20 {
            from: 2,
            to: 3,
            amount: 9,
        },
        Op::Revert { from: 3 },
        Op::Native {
            from: 1,
            to: 0,
            value: 11,
        },
        Op::Transfer {
            from: 0,
            to: 3,
            value: 13,
        },
    ];
    let base_fee = net.attrs_on(0, T0 + 1).base_fee;
    for raw in build(net, &ops, base_fee) {
        send(net.node(0), raw);
    }
    let p = net.node(0).propose(net.attrs_on(0, T0 + 1)).unwrap();
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert_eq!(p.block.transactions.len(), ops.len());
    let block = p.block.to_block();
    (p.block, block)
}

/// A change to a block.
type Tamper<'a> = &'a dyn Fn(&mut Block);

/// The node's head and its state root.
fn head_and_root(node: &Node) -> (B256, B256) {
    let state = node.chain().latest().unwrap();
    (node.chain().head().hash, state.commitment().unwrap().root())
}

fn rejection(node: &Node, block: &Block) -> InvalidBlock {
    match node.verify(block) {
        Err(NodeError::InvalidBlock(e)) => e,
        other => panic!("expected an invalid block, got {other:?}"),
    }
}

fn eip1559(key: &PrivateKeySigner, nonce: u64, max_fee: u128, to: Address) -> TxEnvelope {
    TxSpec::call(nonce, to, U256::from(1))
        .with_fees(max_fee, 1)
        .sign(key, ChainSpec::dev().chain_id)
}

#[test]
fn tampered_blocks_are_rejected_with_the_field_that_differs() {
    let net = Net::new(2, false);
    let verifier = net.node(1);
    let (executed, block) = proposed(&net);
    let before = head_and_root(verifier);
    // The untouched block verifies.
    assert_same(&executed, &verifier.verify(&block).unwrap());

    let with = |f: &dyn Fn(&mut Block)| {
        let mut b = block.clone();
        f(&mut b);
        rejection(verifier, &b)
    };
    let head = verifier.chain().head();

    // Header fields that follow from the parent.
    assert!(matches!(
        with(&|b| b.header.parent_hash = B256::repeat_byte(1)),
        InvalidBlock::UnknownParent { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.number += 1),
        InvalidBlock::Number { .. }
    ));
    let parent_time = head.header.timestamp;
    assert!(matches!(
        with(&|b| b.header.timestamp = parent_time - 1),
        InvalidBlock::Timestamp { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.gas_limit *= 2),
        InvalidBlock::GasLimit { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.gas_limit = 4_999),
        InvalidBlock::GasLimit { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.gas_used = b.header.gas_limit + 1),
        InvalidBlock::GasUsedOverLimit { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.base_fee_per_gas = Some(7)),
        InvalidBlock::BaseFee { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.base_fee_per_gas = None),
        InvalidBlock::BaseFee { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.mix_hash = B256::repeat_byte(2)),
        InvalidBlock::PrevRandao { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.extra_data = Bytes::from(vec![0; 33])),
        InvalidBlock::ExtraData { len: 33 }
    ));
    let fixed: [(Tamper, FixedField); 8] = [
        (
            &|b| b.header.ommers_hash = B256::ZERO,
            FixedField::OmmersHash,
        ),
        (
            &|b| b.header.difficulty = U256::from(1),
            FixedField::Difficulty,
        ),
        (&|b| b.header.nonce = [1; 8].into(), FixedField::Nonce),
        (
            &|b| b.header.withdrawals_root = None,
            FixedField::WithdrawalsRoot,
        ),
        (
            &|b| b.header.blob_gas_used = Some(131_072),
            FixedField::BlobGasUsed,
        ),
        (
            &|b| b.header.excess_blob_gas = None,
            FixedField::ExcessBlobGas,
        ),
        (
            &|b| b.header.parent_beacon_block_root = Some(B256::repeat_byte(3)),
            FixedField::ParentBeaconBlockRoot,
        ),
        (&|b| b.header.requests_hash = None, FixedField::RequestsHash),
    ];
    for (tamper, field) in fixed {
        match with(tamper) {
            InvalidBlock::FixedField(f) => assert_eq!(f, field),
            other => panic!("{field:?}: {other:?}"),
        }
    }

    // Header fields execution recomputes.
    assert!(matches!(
        with(&|b| b.header.gas_used -= 1),
        InvalidBlock::GasUsed { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.transactions_root = B256::ZERO),
        InvalidBlock::TransactionsRoot { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.receipts_root = B256::ZERO),
        InvalidBlock::ReceiptsRoot { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.logs_bloom = Bloom::repeat_byte(0xff)),
        InvalidBlock::LogsBloom { .. }
    ));
    assert!(matches!(
        with(&|b| b.header.state_root = B256::ZERO),
        InvalidBlock::StateRoot { .. }
    ));

    // Transactions added, removed, reordered.
    let extra = raw(&net.w.sign(
        2,
        net.nonce(1, 2) + 2,
        Call {
            to: TxKind::Call(Address::with_last_byte(7)),
            value: U256::from(1),
            input: Bytes::new(),
            gas: 21_000,
            max_fee: MAX_FEE,
        },
    ));
    assert!(matches!(
        with(&|b| b.transactions.push(extra.clone())),
        InvalidBlock::GasUsed { .. }
    ));
    assert!(matches!(
        with(&|b| {
            b.transactions.pop();
        }),
        InvalidBlock::GasUsed { .. }
    ));
    // Two transfers of different senders swap places: same gas, another order.
    assert!(matches!(
        with(&|b| b.transactions.swap(0, 1)),
        InvalidBlock::TransactionsRoot { .. }
    ));
    // Sender 0's second transfer before its first: a nonce gap at index 0.
    match with(&|b| b.transactions.swap(0, 5)) {
        InvalidBlock::Transaction {
            index: 0, error, ..
        } => {
            assert!(
                matches!(
                    *error,
                    ExecuteTxError::Invalid(TxError::NonceTooHigh { .. })
                ),
                "{error:?}"
            )
        }
        other => panic!("{other:?}"),
    }

    // A transaction replaced by an invalid one.
    let replace = |tx: Bytes| with(&|b| b.transactions[5] = tx.clone());
    let key = &net.w.senders[0];
    let nonce = net.nonce(1, 0) + 1;
    let to = Address::with_last_byte(9);
    let forged = {
        let TxEnvelope::Eip1559(signed) = eip1559(key, nonce, MAX_FEE, to) else {
            unreachable!()
        };
        let bad = Signature::new(U256::ZERO, U256::ZERO, false);
        raw(&TxEnvelope::from(signed.strip_signature().into_signed(bad)))
    };
    assert!(matches!(
        replace(forged),
        InvalidBlock::Undecodable { index: 5, .. }
    ));
    assert!(matches!(
        replace(Bytes::from_static(&[0x02, 0xc0])),
        InvalidBlock::Undecodable { index: 5, .. }
    ));
    let tx_error = |e: InvalidBlock| match e {
        InvalidBlock::Transaction {
            index: 5, error, ..
        } => *error,
        other => panic!("{other:?}"),
    };
    assert!(matches!(
        tx_error(replace(raw(&eip1559(key, nonce + 3, MAX_FEE, to)))),
        ExecuteTxError::Invalid(TxError::NonceTooHigh { .. })
    ));
    assert!(matches!(
        tx_error(replace(raw(&eip1559(key, nonce, 1, to)))),
        ExecuteTxError::Invalid(TxError::FeeCapTooLow { .. })
    ));
    let pauper = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x77)).unwrap();
    assert!(matches!(
        tx_error(replace(raw(&eip1559(&pauper, 0, MAX_FEE, to)))),
        ExecuteTxError::Invalid(TxError::InsufficientFunds { .. })
    ));
    // A native transaction spending the output the block's native transaction spent.
    let spent = net.first_coin(1, 1);
    let double = native_transfer(
        &net.w.spec,
        &net.w.senders[1],
        &[spent],
        &[(to, U256::from(3))],
        head.header.base_fee_per_gas.unwrap(),
    );
    assert!(matches!(
        tx_error(replace(BlockTx::Native(double).encoded_2718())),
        ExecuteTxError::Native(_)
    ));

    // None of it changed the verifier.
    let after = head_and_root(verifier);
    assert_eq!(before, after);
    assert!(verifier.proposals().is_empty());
    assert_eq!(verifier.pool_content().pending.len(), 0);
    // And the untouched block still verifies and finalizes.
    let verified = verifier.verify(&block).unwrap();
    verifier
        .finalize(verified, Some(b"certificate"), &[])
        .unwrap();
    assert_eq!(verifier.chain().head().hash, executed.hash);
    let stored = verifier
        .chain()
        .db()
        .finalization(executed.header.number)
        .unwrap();
    assert_eq!(stored.as_ref().map(|c| &c[..]), Some(&b"certificate"[..]));
}

#[test]
fn a_foreign_block_maintains_the_pool() {
    let net = Net::new(2, false);
    let (a, b) = (net.node(0), net.node(1));
    let w = &net.w;
    let base_fee = net.attrs_on(0, T0).base_fee;
    let to = Address::with_last_byte(5);
    let call = |value: u64| Call {
        to: TxKind::Call(to),
        value: U256::from(value),
        input: Bytes::new(),
        gas: 21_000,
        max_fee: MAX_FEE,
    };
    // In both pools: a transfer the block includes.
    let shared = raw(&w.sign(2, 0, call(1)));
    let shared_hash = send(a, shared.clone());
    send(b, shared);
    // A's transfer of sender 0, nonce 0; B holds another transaction with that nonce.
    send(a, raw(&w.sign(0, 0, call(2))));
    let same_nonce = send(b, raw(&w.sign(0, 0, call(3))));
    // A's native transaction and B's spend the same output of sender 1.
    let coin = net.first_coin(0, 1);
    let native = |value: u64| {
        BlockTx::Native(native_transfer(
            &w.spec,
            &w.senders[1],
            &[coin],
            &[(to, U256::from(value))],
            base_fee,
        ))
        .encoded_2718()
    };
    send(a, native(4));
    let same_input = send(b, native(5));
    // Unrelated to the block: sender 3's transfer stays in B's pool.
    let unrelated = send(b, raw(&w.sign(3, 0, call(6))));

    let p = a.propose(net.attrs_on(0, T0)).unwrap();
    assert_eq!(p.block.transactions.len(), 3);
    let verified = b.verify(&p.block.to_block()).unwrap();
    b.finalize(verified, None, &[]).unwrap();

    for gone in [shared_hash, same_nonce, same_input] {
        assert!(b.pool_transaction(gone).is_none(), "{gone} left the pool");
    }
    assert!(b.pool_transaction(unrelated).is_some());
}

#[test]
fn blocks_build_on_unfinalized_parents_and_losers_are_forgotten() {
    let net = Net::new(2, false);
    let (a, b) = (net.node(0), net.node(1));
    let w = &net.w;
    let to = Address::with_last_byte(6);
    let call = |value: u64| Call {
        to: TxKind::Call(to),
        value: U256::from(value),
        input: Bytes::new(),
        gas: 21_000,
        max_fee: MAX_FEE,
    };
    send(a, raw(&w.sign(0, 0, call(1))));
    let p1 = a.propose(net.attrs_on(0, T0)).unwrap().block;
    let p1_hash = a.proposals().insert(p1.clone()).unwrap();
    b.proposals()
        .insert(b.verify(&p1.to_block()).unwrap())
        .unwrap();

    // Two children of the unfinalized block, both spending what it left.
    send(a, raw(&w.sign(0, 1, call(2))));
    let child = |timestamp: u64, beneficiary: Address| {
        let attrs = BlockAttributes::child_of(&w.spec, &p1.header, p1_hash, timestamp, beneficiary);
        a.propose(attrs).unwrap().block
    };
    let (p2a, p2b) = (
        child(T0 + 1, BENEFICIARY),
        child(T0 + 2, Address::with_last_byte(1)),
    );
    assert_ne!(p2a.hash, p2b.hash);
    assert_eq!(
        p2a.transactions.len(),
        1,
        "the parent's transaction is not offered again"
    );
    for p in [&p2a, &p2b] {
        let verified = b.verify(&p.to_block()).unwrap();
        assert_same(p, &verified);
        b.proposals().insert(verified).unwrap();
    }
    assert_eq!(b.proposals().len(), 3);

    // The parent is finalized, then one child; the other child is forgotten.
    for node in [a, b] {
        let p1 = node
            .proposals()
            .take(&p1_hash)
            .map_or_else(|| p1.clone(), |p| p.block.clone());
        node.finalize(p1, None, &[]).unwrap();
    }
    let b2 = b.proposals().take(&p2a.hash).unwrap().block.clone();
    b.finalize(b2, None, &[]).unwrap();
    assert!(b.proposals().is_empty(), "the losing child is pruned");
    assert_eq!(b.chain().head().hash, p2a.hash);
    // A block that is not the head's child is refused.
    assert!(matches!(
        b.finalize(p2b, None, &[]),
        Err(NodeError::Storage(StorageError::NotNextBlock { .. }))
    ));
}
