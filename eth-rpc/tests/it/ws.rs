//! WebSocket subscriptions.

use crate::{common::*, logs::store};
use jsonrpsee::{
    core::client::{Subscription, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{Value, json};
use std::time::Duration;

async fn next(sub: &mut Subscription<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("notification in time")
        .expect("subscription open")
        .expect("valid notification")
}

#[tokio::test]
async fn new_heads_logs_and_pending() {
    let node = TestNode::start().await;
    let ws = WsClientBuilder::default()
        .build(node.handle.ws_url())
        .await
        .expect("ws connects");
    // Plain requests work over WebSocket too.
    let chain_id: Value =
        jsonrpsee::core::client::ClientT::request(&ws, "eth_chainId", rpc_params![])
            .await
            .expect("chainId");
    assert_eq!(chain_id, node.call("eth_chainId", vec![]).await);

    let mut heads: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe")
        .await
        .expect("subscribe newHeads");
    let mut logs: Subscription<Value> = ws
        .subscribe(
            "eth_subscribe",
            rpc_params![
                "logs",
                json!({"address": format!("{:?}", Contracts::STORE)})
            ],
            "eth_unsubscribe",
        )
        .await
        .expect("subscribe logs");
    let mut pending: Subscription<Value> = ws
        .subscribe(
            "eth_subscribe",
            rpc_params!["newPendingTransactions"],
            "eth_unsubscribe",
        )
        .await
        .expect("subscribe pending");

    let hash = store(&node, 0, 0, 3, 3).await;
    let header = next(&mut heads).await;
    assert_eq!(header["number"], json!("0x1"));
    assert!(header.get("baseFeePerGas").is_some());
    assert!(header.get("hash").is_some());
    let _: alloy_rpc_types_eth::Header = serde_json::from_value(header).expect("alloy parses");
    let log = next(&mut logs).await;
    assert_eq!(log["transactionHash"], json!(hash));
    assert_eq!(next(&mut pending).await, json!(hash));
    heads.unsubscribe().await.expect("unsubscribe");
}

#[tokio::test]
async fn unknown_subscription_is_rejected() {
    let node = TestNode::start().await;
    let ws = WsClientBuilder::default()
        .build(node.handle.ws_url())
        .await
        .expect("ws connects");
    let err = ws
        .subscribe::<Value, _>("eth_subscribe", rpc_params!["nonsense"], "eth_unsubscribe")
        .await
        .expect_err("rejected");
    assert!(err.to_string().contains("no such subscription"), "{err}");
}
