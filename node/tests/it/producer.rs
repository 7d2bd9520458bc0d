//! Block production keeps transactions that cannot run yet and evicts those that never
//! can.

use alloy_primitives::{Address, Bytes, U256, address};
use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::{ChainSpec, GenesisAccount, dev_accounts};
use bytom2_eth_rpc::EthBackend;
use bytom2_evm_adapter::testing::tx::{TxSpec, raw as encode};
use bytom2_node::{Chain, DevMiner, MinerConfig, Mining, Node, NodeConfig};
use std::time::Duration;

const LOOP: Address = address!("0x00000000000000000000000000000000000100f0");

fn spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    // JUMPDEST PUSH1 0 JUMP: burns all the gas it is given.
    spec.genesis.alloc.insert(
        LOOP,
        GenesisAccount {
            nonce: 1,
            code: Some(Bytes::from(vec![0x5b, 0x60, 0x00, 0x56])),
            ..Default::default()
        },
    );
    spec
}

fn raw(key: &PrivateKeySigner, nonce: u64, to: Address, gas: u64, max_fee: u128) -> Bytes {
    let tx = TxSpec::call(nonce, to, U256::from(1))
        .with_gas(gas)
        .with_fees(max_fee, 1)
        .sign(key, 19_000);
    encode(&tx)
}

#[test]
fn a_sender_whose_transaction_does_not_fit_keeps_its_later_nonces() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::open(dir.path(), spec()).unwrap();
    let node = Node::new(chain, NodeConfig::default());
    let miner = DevMiner::new(
        node.clone(),
        MinerConfig {
            mining: Mining::Interval(Duration::from_secs(3600)),
            ..MinerConfig::default()
        },
    );
    let keys: Vec<PrivateKeySigner> = dev_accounts()
        .iter()
        .map(|a| PrivateKeySigner::from_bytes(&a.private_key).unwrap())
        .collect();
    let fee = 10_000_000_000u128;
    // B burns 20M of the block's 30M gas; A's nonce 0 wants 15M and must wait; A's nonce 1
    // (21k) would fit but cannot run before nonce 0.
    node.send_raw_transaction(raw(&keys[1], 0, LOOP, 20_000_000, fee))
        .unwrap();
    let a0 = node
        .send_raw_transaction(raw(&keys[0], 0, LOOP, 15_000_000, fee))
        .unwrap();
    let a1 = node
        .send_raw_transaction(raw(&keys[0], 1, Address::with_last_byte(9), 21_000, fee))
        .unwrap();

    miner.mine_block().unwrap();
    assert!(
        node.pool_transaction(a0).is_some(),
        "nonce 0 waits for the next block"
    );
    assert!(
        node.pool_transaction(a1).is_some(),
        "nonce 1 stays in the pool"
    );

    miner.mine_block().unwrap();
    assert!(node.pool_transaction(a0).is_none());
    assert!(node.pool_transaction(a1).is_none());
    assert!(node.transaction_location(a0).unwrap().is_some());
    assert!(node.transaction_location(a1).unwrap().is_some());
}
