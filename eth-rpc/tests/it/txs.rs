//! Submitting transactions: receipts, balances, archive reads, nonces, pool errors.

use crate::common::*;
use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::{Transaction, TransactionReceipt};
use bytom2_chainspec::{DEV_ACCOUNT_BALANCE, DEV_CHAIN_ID};
use serde_json::{Value, json};

fn addr(a: Address) -> Value {
    json!(format!("{a:?}"))
}

fn as_addr(v: &Value) -> Address {
    serde_json::from_value(v.clone()).expect("address")
}

#[tokio::test]
async fn transfer_receipt_and_balances() {
    let node = TestNode::start().await;
    let signers = signers();
    let from = signers[0].address();
    let to = Address::repeat_byte(0x77);
    let value = U256::from(123_456_789u64);
    let tx = sign_1559(
        &signers[0],
        DEV_CHAIN_ID,
        0,
        Some(to),
        value,
        Bytes::new(),
        21_000,
    );
    let hash = node.send(&tx).await;
    assert_eq!(hash, *tx.tx_hash());

    let receipt = node
        .call("eth_getTransactionReceipt", vec![json!(hash)])
        .await;
    assert_eq!(receipt["status"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    assert_eq!(receipt["cumulativeGasUsed"], json!("0x5208"));
    assert_eq!(receipt["type"], json!("0x2"));
    assert_eq!(receipt["logs"], json!([]));
    assert_eq!(receipt["contractAddress"], Value::Null);
    assert_eq!(receipt["transactionIndex"], json!("0x0"));
    assert_eq!(receipt["blockNumber"], json!("0x1"));
    assert_eq!(as_addr(&receipt["from"]), from);
    let parsed: TransactionReceipt = serde_json::from_value(receipt.clone()).expect("alloy parses");
    // Base fee of block 1 is 1 gwei (empty genesis: 1 gwei * 7/8 ... computed by the
    // spec); the effective price is base fee + 1 gwei tip, capped at 2 gwei.
    let effective = qty(&receipt["effectiveGasPrice"]);
    let block = node
        .call("eth_getBlockByNumber", vec![json!("0x1"), json!(false)])
        .await;
    let base_fee = qty(&block["baseFeePerGas"]);
    assert_eq!(
        effective,
        (base_fee + U256::from(1_000_000_000u64)).min(U256::from(2_000_000_000u64))
    );
    assert_eq!(parsed.gas_used, 21_000);
    assert_eq!(block["transactions"], json!([hash]));
    let full = node
        .call("eth_getBlockByNumber", vec![json!("0x1"), json!(true)])
        .await;
    let _: alloy_rpc_types_eth::Block = serde_json::from_value(full.clone()).expect("alloy parses");
    assert_eq!(full["transactions"][0]["hash"], json!(hash));
    assert_eq!(
        full["transactions"][0]["gasPrice"],
        receipt["effectiveGasPrice"]
    );
    assert_eq!(full["transactions"][0]["blockHash"], block["hash"]);
    assert_eq!(receipt["blockHash"], block["hash"]);

    let balance_now = qty(&node
        .call("eth_getBalance", vec![addr(from), json!("latest")])
        .await);
    let balance_before = qty(&node
        .call("eth_getBalance", vec![addr(from), json!("0x0")])
        .await);
    assert_eq!(balance_before, DEV_ACCOUNT_BALANCE);
    assert_eq!(
        balance_before - balance_now,
        value + U256::from(21_000u64) * effective
    );
    assert_eq!(
        qty(&node.call("eth_getBalance", vec![addr(to)]).await),
        value
    );
    // EIP-1898 object form.
    let at_genesis = node
        .call(
            "eth_getBalance",
            vec![addr(to), json!({"blockNumber": "0x0"})],
        )
        .await;
    assert_eq!(at_genesis, json!("0x0"));
    let by_hash = node
        .call(
            "eth_getBalance",
            vec![addr(to), json!({"blockHash": block["hash"]})],
        )
        .await;
    assert_eq!(qty(&by_hash), value);

    let fetched = node
        .call("eth_getTransactionByHash", vec![json!(hash)])
        .await;
    let parsed: Transaction = serde_json::from_value(fetched.clone()).expect("alloy parses");
    assert_eq!(parsed.block_number, Some(1));
    assert_eq!(fetched["from"], receipt["from"]);
    let by_index = node
        .call(
            "eth_getTransactionByBlockNumberAndIndex",
            vec![json!("0x1"), json!("0x0")],
        )
        .await;
    assert_eq!(by_index["hash"], json!(hash));
    let block_receipts = node.call("eth_getBlockReceipts", vec![json!("0x1")]).await;
    assert_eq!(block_receipts[0], receipt);
    assert_eq!(
        node.call("eth_getTransactionCount", vec![addr(from), json!("latest")])
            .await,
        json!("0x1")
    );
    assert_eq!(
        node.call("eth_getTransactionCount", vec![addr(from), json!("0x0")])
            .await,
        json!("0x0")
    );
    // Unknown transactions are null.
    let unknown = json!(format!("0x{}", "ab".repeat(32)));
    assert_eq!(
        node.call("eth_getTransactionReceipt", vec![unknown.clone()])
            .await,
        Value::Null
    );
    assert_eq!(
        node.call("eth_getTransactionByHash", vec![unknown]).await,
        Value::Null
    );
}

#[tokio::test]
async fn contract_creation_receipt() {
    let node = TestNode::start().await;
    let signers = signers();
    let from = signers[1].address();
    // Init code returning the 10-byte runtime of FORTY_TWO.
    let runtime = hex("602a60005260206000f3");
    let mut init = hex("600a600c600039600a6000f3").to_vec();
    init.extend_from_slice(&runtime);
    let tx = sign_1559(
        &signers[1],
        DEV_CHAIN_ID,
        0,
        None,
        U256::ZERO,
        init.into(),
        200_000,
    );
    let hash = node.send(&tx).await;
    let receipt = node
        .call("eth_getTransactionReceipt", vec![json!(hash)])
        .await;
    assert_eq!(receipt["status"], json!("0x1"));
    let created = from.create(0);
    assert_eq!(as_addr(&receipt["contractAddress"]), created);
    assert_eq!(receipt["to"], Value::Null);
    assert_eq!(
        node.call("eth_getCode", vec![addr(created)]).await,
        json!(format!("{runtime}"))
    );
    assert_eq!(
        node.call("eth_getCode", vec![addr(created), json!("earliest")])
            .await,
        json!("0x")
    );
}

#[tokio::test]
async fn legacy_transfer_type_zero() {
    let node = TestNode::start().await;
    let signers = signers();
    let tx = sign_legacy(
        &signers[2],
        DEV_CHAIN_ID,
        0,
        Address::repeat_byte(0x78),
        U256::from(1u64),
        3_000_000_000,
    );
    let hash = node.send(&tx).await;
    let receipt = node
        .call("eth_getTransactionReceipt", vec![json!(hash)])
        .await;
    assert_eq!(receipt["type"], json!("0x0"));
    assert_eq!(receipt["effectiveGasPrice"], json!("0xb2d05e00"));
}

#[tokio::test]
async fn nonce_too_low_from_pool() {
    let node = TestNode::start().await;
    let signers = signers();
    let to = Some(Address::repeat_byte(0x79));
    let first = sign_1559(
        &signers[3],
        DEV_CHAIN_ID,
        0,
        to,
        U256::from(1u64),
        Bytes::new(),
        21_000,
    );
    node.send(&first).await;
    let again = sign_1559(
        &signers[3],
        DEV_CHAIN_ID,
        0,
        to,
        U256::from(2u64),
        Bytes::new(),
        21_000,
    );
    let err = node
        .try_call("eth_sendRawTransaction", vec![raw(&again).into()])
        .await
        .expect_err("stale nonce");
    assert_eq!(err.code(), -32000);
    assert_eq!(err.message(), "nonce too low: next nonce 1, tx nonce 0");
}

#[tokio::test]
async fn garbage_raw_transaction() {
    let node = TestNode::start().await;
    let err = node
        .try_call("eth_sendRawTransaction", vec![json!("0x02c0ffee")])
        .await
        .expect_err("garbage");
    assert_eq!(err.code(), -32000);
    assert!(err.message().starts_with("rlp:"), "{}", err.message());
    let err = node
        .try_call("eth_sendRawTransaction", vec![json!("0x")])
        .await
        .expect_err("empty");
    assert_eq!(err.message(), "typed transaction too short");
}

#[tokio::test]
async fn pending_nonce_and_pool() {
    let node = TestNode::start().await;
    node.backend.set_automine(false);
    let signers = signers();
    let from = signers[4].address();
    let to = Some(Address::repeat_byte(0x7A));
    let mut hashes = Vec::new();
    for nonce in 0..2 {
        let tx = sign_1559(
            &signers[4],
            DEV_CHAIN_ID,
            nonce,
            to,
            U256::from(1u64),
            Bytes::new(),
            21_000,
        );
        hashes.push(node.send(&tx).await);
    }
    assert_eq!(
        node.call(
            "eth_getTransactionCount",
            vec![addr(from), json!("pending")]
        )
        .await,
        json!("0x2")
    );
    assert_eq!(
        node.call("eth_getTransactionCount", vec![addr(from), json!("latest")])
            .await,
        json!("0x0")
    );
    // A pool transaction is found, without block fields; its receipt is null.
    let pending = node
        .call("eth_getTransactionByHash", vec![json!(hashes[0])])
        .await;
    assert_eq!(pending["blockHash"], Value::Null);
    assert_eq!(pending["blockNumber"], Value::Null);
    assert_eq!(
        node.call("eth_getTransactionReceipt", vec![json!(hashes[0])])
            .await,
        Value::Null
    );
    let status = node.call("txpool_status", vec![]).await;
    assert_eq!(status, json!({"pending": "0x2", "queued": "0x0"}));
    let content = node.call("txpool_content", vec![]).await;
    let key = format!("{from:?}");
    assert_eq!(content["pending"][&key]["1"]["hash"], json!(hashes[1]));
    assert_eq!(content["queued"], json!({}));
    let inspect = node.call("txpool_inspect", vec![]).await;
    assert!(
        inspect["pending"][&key]["0"]
            .as_str()
            .expect("summary")
            .contains("wei")
    );

    node.backend.mine();
    assert_eq!(
        node.call("eth_getTransactionCount", vec![addr(from), json!("latest")])
            .await,
        json!("0x2")
    );
    let receipt = node
        .call("eth_getTransactionReceipt", vec![json!(hashes[1])])
        .await;
    assert_eq!(receipt["transactionIndex"], json!("0x1"));
    assert_eq!(receipt["gasUsed"], json!("0x5208"));
    assert_eq!(receipt["cumulativeGasUsed"], json!("0xa410"));
}
