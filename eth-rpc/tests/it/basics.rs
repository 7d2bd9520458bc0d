//! Identity methods, unknown methods, blocks, batches, CORS, bind errors.

use crate::common::*;
use bytom2_chainspec::DEV_CHAIN_ID;
use bytom2_eth_rpc::{RpcConfig, RpcError, start_server};
use serde_json::{Value, json};

#[tokio::test]
async fn identity_methods() {
    let node = TestNode::start().await;
    assert_eq!(
        node.call("eth_chainId", vec![]).await,
        json!(format!("{DEV_CHAIN_ID:#x}"))
    );
    assert_eq!(
        node.call("net_version", vec![]).await,
        json!(DEV_CHAIN_ID.to_string())
    );
    let version = node.call("web3_clientVersion", vec![]).await;
    let version = version.as_str().expect("string");
    assert!(version.starts_with("bytom2/v"), "{version}");
    assert!(!version.starts_with("anvil") && !version.starts_with("hardhatnetwork"));
    assert_eq!(node.call("net_listening", vec![]).await, json!(true));
    assert_eq!(node.call("net_peerCount", vec![]).await, json!("0x0"));
    assert_eq!(node.call("eth_syncing", vec![]).await, json!(false));
    assert_eq!(node.call("eth_accounts", vec![]).await, json!([]));
    assert_eq!(node.call("eth_blockNumber", vec![]).await, json!("0x0"));
    assert_eq!(
        node.call("web3_sha3", vec![json!("0x68656c6c6f20776f726c64")])
            .await,
        json!("0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad")
    );
}

#[tokio::test]
async fn unknown_methods_answer_geth_error() {
    let node = TestNode::start().await;
    for method in ["anvil_nodeInfo", "eth_getProof", "eth_sendTransaction"] {
        let err = node.try_call(method, vec![]).await.expect_err(method);
        assert_eq!(err.code(), -32601);
        assert_eq!(
            err.message(),
            format!("the method {method} does not exist/is not available")
        );
    }
}

#[tokio::test]
async fn invalid_params_are_32602() {
    let node = TestNode::start().await;
    let err = node
        .try_call("eth_getBalance", vec![json!("not an address")])
        .await
        .expect_err("bad address");
    assert_eq!(err.code(), -32602);
}

#[tokio::test]
async fn genesis_block_shape() {
    let node = TestNode::start().await;
    let block = node
        .call("eth_getBlockByNumber", vec![json!("latest"), json!(false)])
        .await;
    for field in [
        "hash",
        "parentHash",
        "stateRoot",
        "transactionsRoot",
        "receiptsRoot",
        "logsBloom",
        "miner",
        "number",
        "gasLimit",
        "gasUsed",
        "timestamp",
        "baseFeePerGas",
        "mixHash",
        "size",
        "withdrawalsRoot",
    ] {
        assert!(block.get(field).is_some(), "missing {field}: {block}");
    }
    assert_eq!(block["transactions"], json!([]));
    assert_eq!(block["withdrawals"], json!([]));
    assert_eq!(block["uncles"], json!([]));
    assert_eq!(block["baseFeePerGas"], json!("0x3b9aca00"));
    // Round trip through alloy's strict types.
    let _: alloy_rpc_types_eth::Block =
        serde_json::from_value(block.clone()).expect("alloy parses");
    let by_hash = node
        .call(
            "eth_getBlockByHash",
            vec![block["hash"].clone(), json!(true)],
        )
        .await;
    assert_eq!(by_hash["hash"], block["hash"]);
    for tag in ["earliest", "safe", "finalized", "pending", "0x0"] {
        let b = node
            .call("eth_getBlockByNumber", vec![json!(tag), json!(false)])
            .await;
        assert_eq!(b["number"], json!("0x0"), "{tag}");
    }
    assert_eq!(
        node.call("eth_getBlockByNumber", vec![json!("0x9"), json!(false)])
            .await,
        Value::Null
    );
    assert_eq!(
        node.call(
            "eth_getBlockByHash",
            vec![json!(format!("0x{}", "11".repeat(32))), json!(false)]
        )
        .await,
        Value::Null
    );
    assert_eq!(
        node.call(
            "eth_getBlockTransactionCountByNumber",
            vec![json!("latest")]
        )
        .await,
        json!("0x0")
    );
}

#[tokio::test]
async fn state_beyond_head_is_header_not_found() {
    let node = TestNode::start().await;
    let err = node
        .try_call(
            "eth_getBalance",
            vec![json!(format!("{:?}", Contracts::STORE)), json!("0x10")],
        )
        .await
        .expect_err("future block");
    assert_eq!(err.code(), -32000);
    assert_eq!(err.message(), "header not found");
}

#[tokio::test]
async fn batch_request() {
    let node = TestNode::start().await;
    let body = r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},
                   {"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]},
                   {"jsonrpc":"2.0","id":3,"method":"nope_nothing","params":[]}]"#;
    let (head, body) = post_json(node.handle.local_addr(), body).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let answers: Vec<Value> = serde_json::from_str(&body).expect("json array");
    assert_eq!(answers.len(), 3);
    let by_id = |id: u64| {
        answers
            .iter()
            .find(|a| a["id"] == json!(id))
            .expect("answer")
            .clone()
    };
    assert_eq!(by_id(1)["result"], json!(format!("{DEV_CHAIN_ID:#x}")));
    assert_eq!(by_id(2)["result"], json!("0x0"));
    assert_eq!(by_id(3)["error"]["code"], json!(-32601));
    assert_eq!(
        by_id(3)["error"]["message"],
        json!("the method nope_nothing does not exist/is not available")
    );
}

#[tokio::test]
async fn batch_over_the_cap_is_refused() {
    let node = TestNode::start_with(|c| c.max_batch_size = 2).await;
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let body = format!("[{call},{call},{call}]");
    let (_, body) = post_json(node.handle.local_addr(), &body).await;
    assert!(body.contains("-32010"), "{body}");
}

#[tokio::test]
async fn body_limit() {
    let node = TestNode::start_with(|c| c.max_request_body_size = 1024).await;
    let big = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"web3_sha3","params":["0x{}"]}}"#,
        "00".repeat(2048)
    );
    let (head, body) = post_json(node.handle.local_addr(), &big).await;
    assert!(head.starts_with("http/1.1 413"), "{head}");
    assert!(body.contains("too big"), "{body}");
}

#[tokio::test]
async fn cors_preflight() {
    let node = TestNode::start().await;
    let addr = node.handle.local_addr();
    let request = format!(
        "OPTIONS / HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\nConnection: close\r\n\r\n"
    );
    let (head, _) = raw_http(addr, &request).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    assert!(head.contains("access-control-allow-methods"), "{head}");
    // And an ordinary request from a page carries the header too.
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://app.example\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (head, _) = raw_http(addr, &request).await;
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
}

#[tokio::test]
async fn bind_failure_is_an_error() {
    let node = TestNode::start().await;
    let taken = node.handle.local_addr();
    let err = start_server(MemBackend::new(), RpcConfig::new(taken))
        .await
        .expect_err("port in use");
    assert!(matches!(err, RpcError::Bind { .. }), "{err}");
    assert!(err.to_string().contains(&taken.to_string()));
}

#[tokio::test]
async fn stop_and_await() {
    let node = TestNode::start().await;
    node.handle.stop();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        node.handle.clone().stopped(),
    )
    .await
    .expect("server stops");
}
