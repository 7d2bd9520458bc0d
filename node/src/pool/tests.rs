//! The pool's behaviour: admission errors in geth's words, replacement, limits, the
//! next block's order, native double spends, maintenance.

use super::*;
use alloy_primitives::{Address, B256, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bytom2_evm_adapter::{RecoveredTx, testing::tx::TxSpec};
use bytom2_utxo::{AssetId, Coin, OutPoint, native::RecoveredNative};

const GWEI: u128 = 1_000_000_000;

fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(i + 1)).unwrap()
}

fn tx(signer: &PrivateKeySigner, nonce: u64, max_fee: u128, tip: u128) -> RecoveredTx {
    let to = address!("0x000000000000000000000000000000000000dead");
    let t = TxSpec::call(nonce, to, U256::from(1))
        .with_fees(max_fee, tip)
        .sign(signer, 7);
    RecoveredTx::recover(t).unwrap()
}

fn ctx(state_nonce: u64) -> AdmissionContext {
    AdmissionContext {
        chain_id: 7,
        base_fee: GWEI as u64,
        gas_limit: 30_000_000,
        state_nonce,
        balance: U256::from(10u128.pow(20)),
    }
}

#[test]
fn pending_nonce_counts_contiguous_transactions_only() {
    let k = key(0);
    let mut pool = Mempool::new(PoolConfig::default());
    for n in [0, 1, 3] {
        pool.add(tx(&k, n, 2 * GWEI, 1), 100, ctx(0)).unwrap();
    }
    assert_eq!(pool.pending_nonce(k.address(), 0), 2);
    let (pending, queued) = pool.content(|_| 0);
    assert_eq!(pending[&k.address()].len(), 2);
    assert_eq!(
        queued[&k.address()].keys().copied().collect::<Vec<_>>(),
        vec![3]
    );
    assert_eq!(pool.best(10, |_| 0).len(), 2);
}

#[test]
fn admission_errors_use_geth_messages() {
    let k = key(1);
    let mut pool = Mempool::new(PoolConfig::default());
    let t = tx(&k, 0, 2 * GWEI, 1);
    pool.add(t.clone(), 100, ctx(0)).unwrap();
    assert_eq!(
        pool.add(t, 100, ctx(0)).unwrap_err().to_string(),
        "already known"
    );
    let low = pool
        .add(tx(&k, 0, 3 * GWEI, 1), 100, ctx(3))
        .unwrap_err()
        .to_string();
    assert_eq!(low, "nonce too low: next nonce 3, tx nonce 0");
    let err = pool
        .add(tx(&k, 5, GWEI / 2, 1), 100, ctx(0))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("max fee per gas less than block base fee"),
        "{err}"
    );
    let err = pool
        .add(tx(&k, 5, 2 * GWEI, 3 * GWEI), 100, ctx(0))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "max priority fee per gas higher than max fee per gas");
    let mut poor = ctx(0);
    poor.balance = U256::from(5);
    let err = pool
        .add(tx(&k, 5, 2 * GWEI, 1), 100, poor)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("insufficient funds for gas * price + value"),
        "{err}"
    );
    let err = pool
        .add(tx(&k, 6, 2 * GWEI, 1), 200 * 1024, ctx(0))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "oversized data");
    let mut other_chain = ctx(0);
    other_chain.chain_id = 8;
    assert_eq!(
        pool.add(tx(&k, 7, 2 * GWEI, 1), 100, other_chain)
            .unwrap_err()
            .to_string(),
        "invalid chain id"
    );
}

#[test]
fn replacement_needs_both_caps_raised_ten_percent() {
    let k = key(2);
    let mut pool = Mempool::new(PoolConfig::default());
    let first = tx(&k, 0, 10 * GWEI, 2 * GWEI);
    pool.add(first.clone(), 100, ctx(0)).unwrap();
    let err = pool
        .add(tx(&k, 0, 11 * GWEI, 2 * GWEI), 100, ctx(0))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "replacement transaction underpriced");
    let err = pool
        .add(tx(&k, 0, 10 * GWEI + 1, 3 * GWEI), 100, ctx(0))
        .unwrap_err()
        .to_string();
    assert_eq!(err, "replacement transaction underpriced");
    let replaced = pool
        .add(tx(&k, 0, 11 * GWEI, 22 * GWEI / 10), 100, ctx(0))
        .unwrap();
    assert_eq!(replaced, Some(first.hash));
    assert_eq!(pool.len(), 1);
}

#[test]
fn full_pool_refuses_and_prune_evicts() {
    let mut pool = Mempool::new(PoolConfig {
        max_count: 2,
        ..PoolConfig::default()
    });
    let (a, b, c) = (key(3), key(4), key(5));
    let ta = tx(&a, 0, 2 * GWEI, 1);
    pool.add(ta.clone(), 100, ctx(0)).unwrap();
    let tb = tx(&b, 0, 2 * GWEI, 1);
    pool.add(tb.clone(), 100, ctx(0)).unwrap();
    assert_eq!(
        pool.add(tx(&c, 0, 2 * GWEI, 1), 100, ctx(0))
            .unwrap_err()
            .to_string(),
        "txpool is full"
    );
    // a's transaction was mined (state nonce 1), b's turned invalid.
    let a_addr = a.address();
    pool.prune(|s| if s == a_addr { 1 } else { 0 }, [], &[tb.hash]);
    assert!(pool.is_empty());
}

#[test]
fn best_orders_by_arrival_and_nonce() {
    let (a, b) = (key(6), key(7));
    let mut pool = Mempool::new(PoolConfig::default());
    let a0 = tx(&a, 0, 2 * GWEI, 1);
    let b0 = tx(&b, 0, 2 * GWEI, 1);
    let a1 = tx(&a, 1, 2 * GWEI, 1);
    for t in [&a1, &b0, &a0] {
        pool.add(t.clone(), 100, ctx(0)).unwrap();
    }
    let order: Vec<B256> = pool.best(10, |_| 0).iter().map(|t| t.hash()).collect();
    // a's run starts with a0 (arrived last), so b0 goes first, then a0, a1.
    assert_eq!(order, vec![b0.hash, a0.hash, a1.hash]);
}

fn native(
    signer: &PrivateKeySigner,
    input: OutPoint,
    amount: u64,
) -> (RecoveredNative, Vec<(OutPoint, Coin)>) {
    use bytom2_utxo::{CoinOrigin, Output, native::NativeTx};
    let mut t = NativeTx {
        chain_id: 7,
        inputs: vec![input],
        outputs: vec![Output::new(
            AssetId::BTM,
            U256::from(amount % 1000 + 1),
            Address::repeat_byte(5),
        )],
        issuance: None,
        signatures: vec![],
    };
    t.signatures = vec![signer.sign_hash_sync(&t.sighash()).unwrap()];
    let tx = RecoveredNative::decode(&t.encoded_2718()).unwrap();
    let coin = Coin::new(
        Output::new(AssetId::BTM, U256::from(amount), signer.address()),
        CoinOrigin::new(0, 0, input.index),
    );
    (tx, vec![(input, coin)])
}

#[test]
fn native_double_spends_and_settlement_conflicts_are_refused() {
    let mut pool = Mempool::new(PoolConfig::default());
    let a = key(1);
    let op = OutPoint::new(B256::repeat_byte(1), 0);
    let op2 = OutPoint::new(B256::repeat_byte(1), 1);
    let balance = |_: Address| U256::from(10u128.pow(20));
    let (t1, s1) = native(&a, op, 10u128.pow(18) as u64);
    pool.add_native(t1.clone(), s1.clone(), balance).unwrap();
    assert_eq!(
        pool.add_native(t1.clone(), s1, balance)
            .unwrap_err()
            .to_string(),
        "already known"
    );
    // Another transaction spending the same output.
    let (t2, s2) = native(&a, op, 10u128.pow(18) as u64 + 1);
    let err = pool.add_native(t2, s2, balance).unwrap_err().to_string();
    assert!(
        err.contains("already spent by pending transaction"),
        "{err}"
    );
    // An Ethereum transaction that needs nearly all of a's BTM, then a native spend
    // of the rest: refused, naming the pending transaction.
    let mut c = ctx(0);
    c.balance = U256::from(3) * U256::from(10u128.pow(18));
    let eth = tx(&a, 0, GWEI * 50_000, GWEI);
    pool.add(eth.clone(), 100, c).unwrap();
    let (t3, s3) = native(&a, op2, 10u128.pow(18) as u64);
    let err = pool
        .add_native(t3, s3, |_| U256::from(3) * U256::from(10u128.pow(18)))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("needed to settle pending transaction"),
        "{err}"
    );
    assert!(err.contains(&eth.hash.to_string()), "{err}");
    // Both kinds come out of `best`, and pruning drops spent inputs.
    assert_eq!(pool.best(10, |_| 0).len(), 2);
    pool.prune(|_| 0, [op], &[]);
    assert_eq!(pool.native_len(), 0);
    assert!(!pool.contains(&t1.hash));
}

/// Pruning after a block drops exactly the pooled native transactions that spend an
/// output the block spent, and frees those outputs for new spends.
#[test]
fn prune_drops_the_native_transactions_whose_inputs_a_block_spent() {
    let mut pool = Mempool::new(PoolConfig::default());
    let balance = |_: Address| U256::from(10u128.pow(20));
    let ops: Vec<OutPoint> = (0..3)
        .map(|i| OutPoint::new(B256::repeat_byte(9), i))
        .collect();
    let txs: Vec<RecoveredNative> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let (t, s) = native(&key(u8::try_from(i).unwrap() + 1), *op, 10u64.pow(18));
            pool.add_native(t.clone(), s, balance).unwrap();
            t
        })
        .collect();
    // The block included the first and spent the second's input otherwise; an
    // output no pooled transaction spends changes nothing.
    let other = OutPoint::new(B256::repeat_byte(8), 0);
    pool.prune(|_| 0, [ops[0], ops[1], other], &[]);
    assert_eq!(pool.native_len(), 1);
    assert!(!pool.contains(&txs[0].hash) && !pool.contains(&txs[1].hash));
    assert!(pool.contains(&txs[2].hash));
    let (again, s) = native(&key(2), ops[1], 10u64.pow(18) + 7);
    pool.add_native(again, s, balance).unwrap();
}
