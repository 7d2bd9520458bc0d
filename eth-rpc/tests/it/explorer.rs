//! The explorer page on the RPC port, and JSON-RPC (HTTP and WebSocket) beside it.

use crate::common::*;
use jsonrpsee::{
    core::client::{Subscription, SubscriptionClientT},
    rpc_params,
    ws_client::WsClientBuilder,
};
use serde_json::{Value, json};
use std::time::Duration;

/// A plain GET of `path` with `Connection: close`.
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    raw_http(addr, &request).await
}

#[tokio::test]
async fn get_root_serves_the_page() {
    let node = TestNode::start().await;
    let addr = node.handle.local_addr();

    let (head, body) = get(addr, "/").await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(head.contains("content-security-policy: default-src 'none'; script-src 'self'"));
    assert!(head.contains("x-content-type-options: nosniff"));
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert!(body.contains("<title>bytom2 explorer</title>"));

    for (path, ty) in [
        ("/explorer.js", "text/javascript; charset=utf-8"),
        ("/explorer.css", "text/css; charset=utf-8"),
    ] {
        let (head, body) = get(addr, path).await;
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        assert!(
            head.contains(&format!("content-type: {ty}")),
            "{path}: {head}"
        );
        assert!(body.len() > 1000, "{path}: {} bytes", body.len());
    }

    // Other paths are jsonrpsee's: only POST is JSON-RPC.
    let (head, _) = get(addr, "/nope").await;
    assert!(head.starts_with("http/1.1 405"), "{head}");
}

#[tokio::test]
async fn post_root_is_still_json_rpc() {
    let node = TestNode::start().await;
    let addr = node.handle.local_addr();
    let (_, page) = get(addr, "/").await;
    assert!(page.contains("explorer.js"));

    let (head, body) = post_json(
        addr,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#,
    )
    .await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let answer: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(answer["result"], json!("0x0"));

    // A batch, as the page sends.
    let (_, body) = post_json(
        addr,
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":2,"method":"utxo_supply","params":[]}]"#,
    )
    .await;
    let answers: Vec<Value> = serde_json::from_str(&body).expect("json");
    assert_eq!(answers.len(), 2);
    assert!(answers.iter().all(|a| a.get("result").is_some()), "{body}");
}

#[tokio::test]
async fn websocket_subscriptions_still_work() {
    let node = TestNode::start().await;
    let (head, _) = get(node.handle.local_addr(), "/").await;
    assert!(head.starts_with("http/1.1 200"));

    // The WebSocket handshake is a GET of `/` too: it must reach jsonrpsee.
    let ws = WsClientBuilder::default()
        .build(node.handle.ws_url())
        .await
        .expect("ws connects");
    let mut heads: Subscription<Value> = ws
        .subscribe("eth_subscribe", rpc_params!["newHeads"], "eth_unsubscribe")
        .await
        .expect("subscribe newHeads");
    node.backend.mine();
    let header = tokio::time::timeout(Duration::from_secs(10), heads.next())
        .await
        .expect("notification in time")
        .expect("subscription open")
        .expect("valid notification");
    assert_eq!(header["number"], json!("0x1"));
}
