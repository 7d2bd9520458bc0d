//! eth_getLogs, polling filters, fee methods.

use crate::common::*;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_chainspec::DEV_CHAIN_ID;
use bytom2_eth_rpc::EthBackend;
use serde_json::{Value, json};

/// Stores `value` at `key` in STORE (which logs topic `key`), from dev account `who`.
pub(crate) async fn store(node: &TestNode, who: usize, nonce: u64, key: u64, value: u64) -> B256 {
    let mut data = B256::from(U256::from(key)).to_vec();
    data.extend_from_slice(B256::from(U256::from(value)).as_slice());
    let tx = sign_1559(
        &signers()[who],
        DEV_CHAIN_ID,
        nonce,
        Some(Contracts::STORE),
        U256::ZERO,
        Bytes::from(data),
        100_000,
    );
    node.send(&tx).await
}

fn topic(n: u64) -> String {
    format!("{}", B256::from(U256::from(n)))
}

#[tokio::test]
async fn get_logs_by_topic_and_range() {
    let node = TestNode::start().await;
    let h1 = store(&node, 0, 0, 1, 10).await; // block 1
    let h2 = store(&node, 0, 1, 2, 20).await; // block 2
    let h3 = store(&node, 0, 2, 1, 30).await; // block 3

    let all = node
        .call(
            "eth_getLogs",
            vec![json!({"fromBlock": "earliest", "toBlock": "latest", "address": format!("{:?}", Contracts::STORE)})],
        )
        .await;
    assert_eq!(all.as_array().expect("logs").len(), 3);

    let ones = node
        .call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "topics": [topic(1)]})],
        )
        .await;
    let ones = ones.as_array().expect("logs");
    assert_eq!(ones.len(), 2);
    assert_eq!(ones[0]["transactionHash"], json!(h1));
    assert_eq!(ones[1]["transactionHash"], json!(h3));
    assert_eq!(ones[1]["blockNumber"], json!("0x3"));
    assert_eq!(ones[1]["logIndex"], json!("0x0"));
    assert_eq!(ones[1]["removed"], json!(false));
    let _: Vec<alloy_rpc_types_eth::Log> =
        serde_json::from_value(Value::Array(ones.clone())).expect("alloy parses");

    // OR-list in position 0, null wildcard.
    let either = node
        .call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "topics": [[topic(1), topic(2)]]})],
        )
        .await;
    assert_eq!(either.as_array().expect("logs").len(), 3);
    let none = node
        .call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "topics": [null, topic(1)]})],
        )
        .await;
    assert_eq!(none, json!([]));
    // By block hash.
    let receipt = node
        .call("eth_getTransactionReceipt", vec![json!(h2)])
        .await;
    let by_hash = node
        .call(
            "eth_getLogs",
            vec![json!({"blockHash": receipt["blockHash"]})],
        )
        .await;
    assert_eq!(by_hash[0]["transactionHash"], json!(h2));
    assert_eq!(receipt["logs"][0], by_hash[0]);
    // Wrong address.
    let other = node
        .call(
            "eth_getLogs",
            vec![
                json!({"fromBlock": "0x0", "address": [format!("{:?}", Address::repeat_byte(9))]}),
            ],
        )
        .await;
    assert_eq!(other, json!([]));
}

#[tokio::test]
async fn get_logs_limits() {
    let node = TestNode::start_with(|c| {
        c.max_logs_block_range = 2;
        c.max_logs = 1;
    })
    .await;
    store(&node, 0, 0, 1, 1).await;
    store(&node, 0, 1, 1, 2).await;
    store(&node, 0, 2, 1, 3).await;
    let err = node
        .try_call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x0", "toBlock": "0x3"})],
        )
        .await
        .expect_err("range too wide");
    assert_eq!(err.code(), -32602);
    assert!(
        err.message().contains("max block range 2"),
        "{}",
        err.message()
    );
    let err = node
        .try_call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x1", "toBlock": "0x2"})],
        )
        .await
        .expect_err("too many results");
    assert_eq!(err.code(), -32602);
    assert!(err.message().contains("max results 1"), "{}", err.message());
    let err = node
        .try_call(
            "eth_getLogs",
            vec![json!({"fromBlock": "0x3", "toBlock": "0x1"})],
        )
        .await
        .expect_err("reversed");
    assert_eq!(err.code(), -32602);
    assert_eq!(err.message(), "invalid block range params");
    let err = node
        .try_call(
            "eth_newFilter",
            vec![json!({"fromBlock": "0x3", "toBlock": "0x1"})],
        )
        .await
        .expect_err("reversed");
    assert_eq!(err.code(), -32602);
}

#[tokio::test]
async fn block_filter_roundtrip() {
    let node = TestNode::start().await;
    let id = node.call("eth_newBlockFilter", vec![]).await;
    assert!(id.as_str().expect("id").starts_with("0x"));
    assert_eq!(
        node.call("eth_getFilterChanges", vec![id.clone()]).await,
        json!([])
    );
    let number = node.backend.mine();
    let block = node
        .call(
            "eth_getBlockByNumber",
            vec![json!(format!("{number:#x}")), json!(false)],
        )
        .await;
    assert_eq!(
        node.call("eth_getFilterChanges", vec![id.clone()]).await,
        json!([block["hash"]])
    );
    assert_eq!(
        node.call("eth_getFilterChanges", vec![id.clone()]).await,
        json!([])
    );
    assert_eq!(
        node.call("eth_uninstallFilter", vec![id.clone()]).await,
        json!(true)
    );
    assert_eq!(
        node.call("eth_uninstallFilter", vec![id.clone()]).await,
        json!(false)
    );
    let err = node
        .try_call("eth_getFilterChanges", vec![id])
        .await
        .expect_err("gone");
    assert_eq!(err.code(), -32000);
    assert_eq!(err.message(), "filter not found");
}

#[tokio::test]
async fn log_and_pending_filters() {
    let node = TestNode::start().await;
    let before = store(&node, 1, 0, 4, 0).await;
    let logs = node
        .call(
            "eth_newFilter",
            vec![json!({"fromBlock": "earliest", "topics": [topic(4)]})],
        )
        .await;
    let pending = node.call("eth_newPendingTransactionFilter", vec![]).await;
    let h1 = store(&node, 1, 1, 4, 1).await;
    let _ = store(&node, 1, 2, 5, 1).await;
    let changes = node.call("eth_getFilterChanges", vec![logs.clone()]).await;
    let changes = changes.as_array().expect("logs");
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["transactionHash"], json!(h1));
    assert_eq!(
        node.call("eth_getFilterChanges", vec![logs.clone()]).await,
        json!([])
    );
    // The whole range of the filter: the log from before it was installed too.
    let all = node.call("eth_getFilterLogs", vec![logs]).await;
    assert_eq!(all.as_array().expect("logs").len(), 2);
    assert_eq!(all[0]["transactionHash"], json!(before));
    let hashes = node.call("eth_getFilterChanges", vec![pending]).await;
    assert_eq!(hashes.as_array().expect("hashes").len(), 2);
    assert_eq!(hashes[0], json!(h1));
}

#[tokio::test]
async fn filters_expire() {
    let node =
        TestNode::start_with(|c| c.filter_timeout = std::time::Duration::from_millis(200)).await;
    let id = node.call("eth_newBlockFilter", vec![]).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let err = node
        .try_call("eth_getFilterChanges", vec![id])
        .await
        .expect_err("expired");
    assert_eq!(err.message(), "filter not found");
}

#[tokio::test]
async fn fee_history_and_prices() {
    let node = TestNode::start().await;
    for nonce in 0..3 {
        store(&node, 2, nonce, 9, nonce).await;
    }
    let history = node
        .call(
            "eth_feeHistory",
            vec![json!("0x2"), json!("latest"), json!([25.0, 75.0])],
        )
        .await;
    assert_eq!(history["oldestBlock"], json!("0x2"));
    assert_eq!(history["baseFeePerGas"].as_array().expect("fees").len(), 3);
    assert_eq!(history["gasUsedRatio"].as_array().expect("ratios").len(), 2);
    let reward = history["reward"].as_array().expect("reward");
    assert_eq!(reward.len(), 2);
    assert_eq!(reward[0].as_array().expect("row").len(), 2);
    // Every transaction paid the 1 gwei tip (the cap 2 gwei is above base + tip).
    assert_eq!(reward[0][0], json!("0x3b9aca00"));
    let parsed: alloy_rpc_types_eth::FeeHistory =
        serde_json::from_value(history.clone()).expect("alloy parses");
    assert_eq!(
        parsed.next_block_base_fee(),
        Some(u128::from(node.backend.next_base_fee()))
    );
    // Hardhat's call: one block, 50th percentile.
    let one = node
        .call(
            "eth_feeHistory",
            vec![json!("0x1"), json!("latest"), json!([50])],
        )
        .await;
    assert_eq!(one["baseFeePerGas"].as_array().expect("fees").len(), 2);
    assert_eq!(one["reward"][0][0], json!("0x3b9aca00"));
    // Decimal block count, too many blocks is clamped to the chain.
    let all = node
        .call("eth_feeHistory", vec![json!(100), json!("latest")])
        .await;
    assert_eq!(all["oldestBlock"], json!("0x0"));
    assert_eq!(all["gasUsedRatio"].as_array().expect("ratios").len(), 4);
    assert!(all.get("reward").is_none());
    let err = node
        .try_call(
            "eth_feeHistory",
            vec![json!("0x1"), json!("latest"), json!([60, 50])],
        )
        .await
        .expect_err("decreasing percentiles");
    assert!(err.message().starts_with("invalid reward percentile"));

    let tip = qty(&node.call("eth_maxPriorityFeePerGas", vec![]).await);
    assert_eq!(tip, U256::from(1_000_000_000u64));
    let price = qty(&node.call("eth_gasPrice", vec![]).await);
    let next_base = *parsed.base_fee_per_gas.last().expect("next");
    assert_eq!(price, U256::from(next_base) + tip);
}
