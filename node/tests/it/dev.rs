//! The development controls on a node: snapshots and reverts, state edits that keep
//! every balance equal to the sum of its outputs, time travel, impersonation, reset.

use alloy_primitives::{Address, B256, Bytes, U256, address};
use bytom2_chainspec::{ChainSpec, dev_accounts};
use bytom2_eth_rpc::{DevBackend, DevError, EthBackend};
use bytom2_evm_adapter::testing::tx::{TxSpec, dev_signers, raw};
use bytom2_node::{Chain, DevMiner, MinerConfig, Mining, Node, NodeConfig};
use bytom2_utxo::{AssetId, StateView};
use std::sync::Arc;

const X: Address = address!("0x00000000000000000000000000000000000d0001");
const Y: Address = address!("0x00000000000000000000000000000000000d0002");
const FEE: u128 = 10_000_000_000;

/// A development node's miner (the node is [`DevMiner::node`]).
fn dev_node(dir: &std::path::Path) -> Arc<DevMiner> {
    let chain = Chain::open(dir, ChainSpec::dev()).unwrap();
    DevMiner::new(
        Node::new(chain, NodeConfig::default()),
        MinerConfig {
            mining: Mining::Manual,
            dev_keys: Some(dev_accounts().iter().map(|a| a.private_key).collect()),
            ..MinerConfig::default()
        },
    )
}

fn transfer(nonce: u64, to: Address, value: u64) -> TxSpec {
    TxSpec::call(nonce, to, U256::from(value)).with_fees(FEE, 1)
}

fn send(node: &Node, from: usize, nonce: u64, to: Address, value: u64) -> B256 {
    let tx = transfer(nonce, to, value).sign(&dev_signers()[from], 19_000);
    node.send_raw_transaction(raw(&tx)).unwrap()
}

/// Everything a test compares: head, commitment, and what the addresses hold.
#[derive(Debug, PartialEq)]
struct Seen {
    head: (u64, B256),
    root: B256,
    balances: Vec<U256>,
    outputs: Vec<U256>,
    accounts: Vec<Option<bytom2_utxo::Account>>,
    slot: U256,
    supply: bytom2_utxo::Supply,
}

fn seen(node: &Node) -> Seen {
    let state = node.chain().latest().unwrap();
    let addrs = [X, Y, dev_accounts()[0].address, dev_accounts()[1].address];
    let outputs = addrs
        .iter()
        .map(|a| {
            let mut sum = U256::ZERO;
            state
                .for_each_coin(*a, AssetId::BTM, &mut |_, c| {
                    sum += c.output.amount;
                    true
                })
                .unwrap();
            sum
        })
        .collect();
    Seen {
        head: node.chain().db().head().unwrap().unwrap(),
        root: state.commitment().unwrap().root(),
        balances: addrs
            .iter()
            .map(|a| state.balance(*a, AssetId::BTM).unwrap())
            .collect(),
        outputs,
        accounts: addrs.iter().map(|a| state.account(*a).unwrap()).collect(),
        slot: state.storage(X, U256::from(7)).unwrap(),
        supply: state.supply(AssetId::BTM).unwrap(),
    }
}

/// Balance == sum of outputs for the watched addresses.
fn check_outputs(s: &Seen) {
    assert_eq!(s.balances, s.outputs, "balance equals the sum of outputs");
}

#[test]
fn set_balance_creates_or_spends_outputs_and_counts_the_adjustment() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    let before = seen(node.node());

    node.set_balance(X, U256::from(5_000)).unwrap();
    let s = seen(node.node());
    check_outputs(&s);
    assert_eq!(s.balances[0], U256::from(5_000));
    assert_eq!(s.supply.adjusted_in, U256::from(5_000));
    assert_eq!(s.supply.total(), before.supply.total() + U256::from(5_000));

    // Lower a dev account with many outputs' worth: spends and returns change.
    let dev0 = dev_accounts()[0].address;
    node.set_balance(dev0, U256::from(123)).unwrap();
    let s = seen(node.node());
    check_outputs(&s);
    assert_eq!(s.balances[2], U256::from(123));
    assert_eq!(
        s.supply.total(),
        before.supply.total() + U256::from(5_000) - before.balances[2] + U256::from(123)
    );
    node.set_balance(X, U256::ZERO).unwrap();
    let s = seen(node.node());
    check_outputs(&s);
    assert_eq!(s.balances[0], U256::ZERO);

    // The edited state carries into the next block, whose root covers it.
    node.mine_block().unwrap();
    let after = seen(node.node());
    check_outputs(&after);
    let header = node.node().chain().head().header;
    assert_eq!(header.state_root, after.root);
}

#[test]
fn revert_restores_blocks_state_edits_and_time_and_works_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    send(node.node(), 0, 0, Y, 1_000);
    node.mine_block().unwrap();
    node.set_storage_at(X, U256::from(7), B256::with_last_byte(1))
        .unwrap();
    let saved = seen(node.node());
    let id = node.snapshot().unwrap();

    // After the snapshot: edits at the same head, blocks, and edits on later heads.
    node.set_balance(X, U256::from(77)).unwrap();
    node.set_nonce(X, 9).unwrap();
    node.set_code(Y, Bytes::from(vec![0x60, 0x00])).unwrap();
    node.set_storage_at(X, U256::from(7), B256::with_last_byte(2))
        .unwrap();
    send(node.node(), 0, 1, Y, 2_000);
    node.mine_block().unwrap();
    node.set_balance(dev_accounts()[1].address, U256::from(1))
        .unwrap();
    let inner = node.snapshot().unwrap();
    node.increase_time(3_600).unwrap();
    node.mine(3, Some(10), None).unwrap();
    node.set_balance(X, U256::from(78)).unwrap();
    let changed = seen(node.node());
    check_outputs(&changed);
    assert_ne!(changed, saved);
    assert_eq!(changed.head.0, saved.head.0 + 4);

    assert!(node.revert(id).unwrap());
    let back = seen(node.node());
    assert_eq!(back, saved);
    check_outputs(&back);
    assert_eq!(node.node().chain().head().hash, saved.head.1);
    // The later snapshot went with it, and the reverted one is spent.
    assert!(!node.revert(inner).unwrap());
    assert!(!node.revert(id).unwrap());
    // The second transfer's block is gone: nonce 1 is free again, and lookups forget it.
    assert_eq!(
        node.node()
            .pending_nonce(dev_accounts()[0].address)
            .unwrap(),
        1
    );
    assert!(
        node.node()
            .block_by_number(saved.head.0 + 1)
            .unwrap()
            .is_none()
    );

    // The chain goes on from the snapshot, on the clock as it was.
    let h = send(node.node(), 0, 1, Y, 3_000);
    let n = node.mine_block().unwrap();
    assert_eq!(n, saved.head.0 + 1);
    assert!(node.node().transaction_location(h).unwrap().is_some());
    let ts = node.node().chain().head().header.timestamp;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(ts < now + 600, "the hour added after the snapshot is gone");
    check_outputs(&seen(node.node()));
}

#[test]
fn time_travel_moves_block_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    node.mine(1, None, None).unwrap();
    let t0 = node.node().chain().head().header.timestamp;
    assert_eq!(node.increase_time(1_000).unwrap(), 1_000);
    node.mine(1, None, None).unwrap();
    let t1 = node.node().chain().head().header.timestamp;
    assert!(t1 >= t0 + 1_000, "{t1} >= {t0} + 1000");

    node.set_next_block_timestamp(t1 + 50).unwrap();
    node.mine(1, None, None).unwrap();
    assert_eq!(node.node().chain().head().header.timestamp, t1 + 50);
    // Blocks mined with an interval are that far apart.
    node.mine(3, Some(7), None).unwrap();
    let head = node.node().chain().head().header;
    let prev = node
        .node()
        .chain()
        .db()
        .header(head.number - 1)
        .unwrap()
        .unwrap();
    assert_eq!(head.timestamp - prev.timestamp, 7);
    // Below the head's timestamp: anvil's error.
    let err = node.set_next_block_timestamp(1).unwrap_err();
    assert!(
        matches!(&err, DevError::InvalidParams(m) if m.starts_with("Timestamp error: 1 is lower")),
        "{err:?}"
    );
}

#[test]
fn impersonated_accounts_send_without_keys_and_keep_distinct_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    node.set_balance(X, U256::from(10u128.pow(18))).unwrap();
    node.set_balance(Y, U256::from(10u128.pow(18))).unwrap();
    assert!(!node.can_send_from(X));
    node.impersonate(X, true);
    node.impersonate(Y, true);
    assert!(node.can_send_from(X));
    let target = Address::with_last_byte(0x42);
    let hx = node
        .send_transaction(X, transfer(0, target, 5).unsigned(19_000))
        .unwrap();
    let hy = node
        .send_transaction(Y, transfer(0, target, 5).unsigned(19_000))
        .unwrap();
    assert_ne!(
        hx, hy,
        "equal transactions of two senders have distinct hashes"
    );
    node.mine_block().unwrap();
    let block = node.node().block_by_number(1).unwrap().unwrap();
    let senders: Vec<Address> = block.transactions.iter().map(|t| t.sender()).collect();
    assert_eq!(senders, vec![X, Y]);
    assert!(block.receipts.iter().all(|r| r.success));
    let state = node.node().chain().latest().unwrap();
    assert_eq!(state.balance(target, AssetId::BTM).unwrap(), U256::from(10));

    node.impersonate(X, false);
    assert!(!node.can_send_from(X));
    // Dev accounts sign with their own keys.
    let dev0 = dev_accounts()[0].address;
    assert!(node.can_send_from(dev0));
    let h = node
        .send_transaction(dev0, transfer(0, target, 5).unsigned(19_000))
        .unwrap();
    node.mine_block().unwrap();
    let (n, i) = node.node().transaction_location(h).unwrap().unwrap();
    let block = node.node().block_by_number(n).unwrap().unwrap();
    assert_eq!(block.transactions[i as usize].sender(), dev0);
}

#[test]
fn reset_returns_to_genesis_and_drops_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    let genesis = seen(node.node());
    node.set_balance(X, U256::from(9)).unwrap();
    send(node.node(), 0, 0, Y, 1);
    node.mine_block().unwrap();
    node.snapshot().unwrap();
    send(node.node(), 0, 1, Y, 1);
    node.reset().unwrap();
    assert_eq!(seen(node.node()), genesis);
    assert!(node.node().pool_content().pending.is_empty());
    assert_eq!(node.node().latest_number(), 0);
    send(node.node(), 0, 0, Y, 1);
    assert_eq!(node.mine_block().unwrap(), 1);
}

#[test]
fn automine_and_interval_modes_switch_at_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let node = dev_node(dir.path());
    assert!(!node.automine());
    let producer = {
        let node = node.clone();
        std::thread::spawn(move || node.run())
    };
    send(node.node(), 0, 0, Y, 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(node.node().latest_number(), 0, "manual mining waits");
    node.set_automine(true);
    wait_for(|| node.node().latest_number() == 1);
    assert!(node.automine());
    node.set_interval_mining(1);
    assert!(!node.automine());
    wait_for(|| node.node().latest_number() >= 2);
    node.set_interval_mining(0);
    node.node().shutdown();
    producer.join().unwrap().unwrap();
}

fn wait_for(f: impl Fn() -> bool) {
    for _ in 0..100 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("condition not reached in 5 s");
}

#[test]
fn other_nodes_offer_no_dev_controls() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), ChainSpec::dev()).unwrap();
    let node = Node::new(chain, NodeConfig::default());
    assert!(node.dev().is_none());
}
