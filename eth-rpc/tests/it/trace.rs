//! Tracing: `debug_trace*` with the struct logger, callTracer and prestateTracer;
//! Parity's `trace_transaction`/`trace_block`; replays of blocks holding native
//! transactions; trace gas equal to receipt gas; errors.

use crate::common::*;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_chainspec::DEV_CHAIN_ID;
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use serde_json::{Value, json};

fn a(x: Address) -> String {
    format!("{x:?}")
}

fn word(n: u64) -> String {
    format!("{}", B256::from(U256::from(n)))
}

/// Calldata of STORE: slot, value.
fn store_data(slot: u64, value: u64) -> Bytes {
    let mut data = B256::from(U256::from(slot)).to_vec();
    data.extend_from_slice(B256::from(U256::from(value)).as_slice());
    data.into()
}

/// A signed EIP-1559 call from dev key `key` with `nonce`.
fn call_tx(key: usize, nonce: u64, to: Address, input: Bytes) -> alloy_consensus::TxEnvelope {
    sign_1559(
        &signers()[key],
        DEV_CHAIN_ID,
        nonce,
        Some(to),
        U256::ZERO,
        input,
        200_000,
    )
}

/// The receipt's gas used and status.
async fn receipt(node: &TestNode, hash: B256) -> (u64, bool) {
    let r = node
        .call("eth_getTransactionReceipt", vec![json!(hash)])
        .await;
    (qty(&r["gasUsed"]).to::<u64>(), r["status"] == json!("0x1"))
}

/// The error answer of `method` (panics on success).
async fn refused(
    node: &TestNode,
    method: &str,
    params: Vec<Value>,
) -> jsonrpsee::types::ErrorObjectOwned {
    match node.try_call(method, params).await {
        Ok(v) => panic!("{method} answered {v}"),
        Err(e) => e,
    }
}

async fn trace(node: &TestNode, hash: B256, opts: Value) -> Value {
    node.call("debug_traceTransaction", vec![json!(hash), opts])
        .await
}

fn ops(trace: &Value) -> Vec<&str> {
    trace["structLogs"]
        .as_array()
        .expect("structLogs")
        .iter()
        .map(|l| l["op"].as_str().expect("op"))
        .collect()
}

#[tokio::test]
async fn struct_logger_shows_opcodes_gas_depth_and_options() {
    let node = TestNode::start().await;
    let hash = node
        .send(&call_tx(0, 0, Contracts::STORE, store_data(1, 7)))
        .await;
    let (gas, ok) = receipt(&node, hash).await;
    let t = trace(&node, hash, json!({})).await;
    assert_eq!(t["gas"], json!(gas));
    assert_eq!(t["failed"], json!(!ok));
    assert_eq!(t["returnValue"], json!("0x"));
    assert_eq!(
        ops(&t),
        [
            "PUSH1",
            "CALLDATALOAD",
            "PUSH1",
            "CALLDATALOAD",
            "SSTORE",
            "PUSH1",
            "CALLDATALOAD",
            "PUSH1",
            "PUSH1",
            "LOG1",
            "STOP"
        ]
    );
    let logs = t["structLogs"].as_array().unwrap();
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(l["depth"], json!(1));
        assert!(l["stack"].is_array(), "stack by default");
        assert!(l.get("memory").is_none(), "no memory by default");
        if let Some(next) = logs.get(i + 1) {
            let (g, cost) = (l["gas"].as_u64().unwrap(), l["gasCost"].as_u64().unwrap());
            assert_eq!(next["gas"].as_u64().unwrap(), g - cost, "gas at step {i}");
        }
    }
    assert_eq!(logs[0]["pc"], json!(0));
    assert_eq!(logs[0]["gasCost"], json!(3));
    // The SSTORE step shows the written slot and the stack (geth 1.14's hex form).
    assert_eq!(logs[4]["storage"][word(1)], json!(word(7)));
    assert_eq!(logs[4]["stack"], json!(["0x7", "0x1"]));

    let t = trace(
        &node,
        hash,
        json!({"disableStorage": true, "disableStack": true, "enableMemory": true}),
    )
    .await;
    let logs = t["structLogs"].as_array().unwrap();
    assert!(logs.iter().all(|l| l.get("stack").is_none()));
    assert!(logs.iter().all(|l| l.get("storage").is_none()));
    assert!(logs.iter().any(|l| l.get("memory").is_some()));
}

#[tokio::test]
async fn call_tracer_shows_nested_calls_reverts_and_logs() {
    let node = TestNode::start().await;
    let nest = node
        .send(&call_tx(0, 0, Contracts::NEST, Bytes::new()))
        .await;
    let (gas, ok) = receipt(&node, nest).await;
    assert!(ok);
    let t = trace(&node, nest, json!({"tracer": "callTracer"})).await;
    assert_eq!(t["type"], json!("CALL"));
    assert_eq!(t["from"], json!(a(signers()[0].address()).to_lowercase()));
    assert_eq!(t["to"], json!(a(Contracts::NEST).to_lowercase()));
    assert_eq!(t["gasUsed"], json!(format!("{gas:#x}")));
    assert!(t.get("error").is_none());
    let calls = t["calls"].as_array().expect("nested calls");
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0]["to"],
        json!(a(Contracts::FORTY_TWO).to_lowercase())
    );
    assert_eq!(calls[0]["output"], json!(word(42)));
    assert!(calls[0].get("error").is_none());
    assert_eq!(calls[1]["to"], json!(a(Contracts::REVERT).to_lowercase()));
    assert_eq!(calls[1]["error"], json!("execution reverted"));
    assert_eq!(calls[1]["revertReason"], json!("nope"));

    // The struct logger follows the calls into depth 2; enableReturnData shows what
    // FORTY_TWO returned.
    let s = trace(&node, nest, json!({"enableReturnData": true})).await;
    assert_eq!(s["gas"], json!(gas));
    let logs = s["structLogs"].as_array().expect("structLogs");
    let depths: Vec<u64> = logs.iter().map(|l| l["depth"].as_u64().unwrap()).collect();
    assert_eq!(depths.first(), Some(&1));
    assert!(depths.contains(&2), "steps inside the called contracts");
    assert!(depths.windows(2).all(|w| w[0].abs_diff(w[1]) <= 1));
    assert!(logs.iter().any(|l| l["returnData"] == json!(word(42))));

    let top = trace(
        &node,
        nest,
        json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": true}}),
    )
    .await;
    assert!(top.get("calls").is_none());
    assert_eq!(top["gasUsed"], t["gasUsed"]);

    // A reverting transaction: status 0, the top frame carries the error.
    let bad = node
        .send(&call_tx(0, 1, Contracts::REVERT, Bytes::new()))
        .await;
    let (gas, ok) = receipt(&node, bad).await;
    assert!(!ok);
    let t = trace(&node, bad, json!({"tracer": "callTracer"})).await;
    assert_eq!(t["error"], json!("execution reverted"));
    assert_eq!(t["revertReason"], json!("nope"));
    assert_eq!(t["gasUsed"], json!(format!("{gas:#x}")));
    let s = trace(&node, bad, json!({})).await;
    assert_eq!(s["failed"], json!(true));
    assert_eq!(s["gas"], json!(gas));

    // withLog: STORE's LOG1 appears in its frame.
    let store = node
        .send(&call_tx(0, 2, Contracts::STORE, store_data(3, 4)))
        .await;
    let t = trace(
        &node,
        store,
        json!({"tracer": "callTracer", "tracerConfig": {"withLog": true}}),
    )
    .await;
    let logs = t["logs"].as_array().expect("logs");
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0]["topics"], json!([word(3)]));
}

#[tokio::test]
async fn prestate_tracer_default_and_diff_mode() {
    let node = TestNode::start().await;
    let sender = signers()[0].address();
    node.send(&call_tx(0, 0, Contracts::STORE, store_data(5, 3)))
        .await;
    let hash = node
        .send(&call_tx(0, 1, Contracts::STORE, store_data(5, 9)))
        .await;
    let store = a(Contracts::STORE).to_lowercase();
    let from = a(sender).to_lowercase();

    let pre = trace(&node, hash, json!({"tracer": "prestateTracer"})).await;
    assert_eq!(pre[&store]["storage"][word(5)], json!(word(3)));
    assert_eq!(pre[&from]["nonce"], json!(1));

    let diff = trace(
        &node,
        hash,
        json!({"tracer": "prestateTracer", "tracerConfig": {"diffMode": true}}),
    )
    .await;
    assert_eq!(diff["pre"][&store]["storage"][word(5)], json!(word(3)));
    assert_eq!(diff["post"][&store]["storage"][word(5)], json!(word(9)));
    assert_eq!(diff["pre"][&from]["nonce"], json!(1));
    assert_eq!(diff["post"][&from]["nonce"], json!(2));
    // The sender paid for gas: its balance fell by exactly the fee.
    let (gas, _) = receipt(&node, hash).await;
    let tx = node
        .call("eth_getTransactionByHash", vec![json!(hash)])
        .await;
    let fee = U256::from(gas) * qty(&tx["gasPrice"]);
    assert_eq!(
        qty(&diff["pre"][&from]["balance"]) - qty(&diff["post"][&from]["balance"]),
        fee
    );
}

#[tokio::test]
async fn parity_traces_of_a_transaction_and_a_block() {
    let node = TestNode::start().await;
    let hash = node
        .send(&call_tx(0, 0, Contracts::NEST, Bytes::new()))
        .await;
    let block = node
        .call("eth_getBlockByNumber", vec![json!("0x1"), json!(false)])
        .await;
    let traces = node.call("trace_transaction", vec![json!(hash)]).await;
    let traces = traces.as_array().expect("traces");
    assert_eq!(traces.len(), 3);
    for t in traces {
        assert_eq!(t["blockHash"], block["hash"]);
        assert_eq!(t["blockNumber"], json!(1));
        assert_eq!(t["transactionHash"], json!(hash));
        assert_eq!(t["transactionPosition"], json!(0));
        assert_eq!(t["type"], json!("call"));
    }
    assert_eq!(traces[0]["traceAddress"], json!([]));
    assert_eq!(traces[0]["subtraces"], json!(2));
    assert_eq!(
        traces[0]["action"]["to"],
        json!(a(Contracts::NEST).to_lowercase())
    );
    assert_eq!(traces[1]["traceAddress"], json!([0]));
    assert_eq!(traces[1]["result"]["output"], json!(word(42)));
    assert_eq!(traces[2]["traceAddress"], json!([1]));
    assert_eq!(traces[2]["error"], json!("Reverted"));

    let by_block = node.call("trace_block", vec![json!("0x1")]).await;
    assert_eq!(by_block.as_array().expect("block traces"), traces);
    let by_hash = node.call("trace_block", vec![block["hash"].clone()]).await;
    assert_eq!(&by_hash, &by_block);
    assert_eq!(
        node.call("trace_block", vec![json!("0x0")]).await,
        json!([])
    );

    // Unknown transactions and blocks are null, as in reth and OpenEthereum.
    assert_eq!(
        node.call("trace_transaction", vec![json!(B256::repeat_byte(7))])
            .await,
        Value::Null
    );
    assert_eq!(
        node.call("trace_block", vec![json!("0x99")]).await,
        Value::Null
    );
}

#[tokio::test]
async fn a_native_transaction_before_the_traced_one_is_replayed() {
    let node = TestNode::start().await;
    let keys = signers();
    let payee = Address::repeat_byte(0x77);
    let amount = U256::from(123_456_789u64);
    let fee = U256::from(10u64).pow(U256::from(15u64));
    let native = node.backend.native_transfer(&keys[0], payee, amount, fee);
    let native_hash = native.hash();
    let eth = RecoveredTx::recover(call_tx(
        1,
        0,
        Contracts::BALANCE,
        B256::left_padding_from(payee.as_slice()).to_vec().into(),
    ))
    .expect("recover");
    let eth_hash = eth.hash;
    let number = node.backend.mine_block(vec![native, BlockTx::Eth(eth)]);

    // The traced call sees the payee's output created by the native transaction.
    let t = trace(&node, eth_hash, json!({"tracer": "callTracer"})).await;
    assert_eq!(t["output"], json!(format!("{}", B256::from(amount))));
    let (gas, ok) = receipt(&node, eth_hash).await;
    assert!(ok);
    assert_eq!(t["gasUsed"], json!(format!("{gas:#x}")));
    let s = trace(&node, eth_hash, json!({})).await;
    assert_eq!(s["gas"], json!(gas));
    assert_eq!(s["returnValue"], json!(format!("{}", B256::from(amount))));

    // The native transaction itself has nothing to trace.
    let err = refused(&node, "debug_traceTransaction", vec![json!(native_hash)]).await;
    assert_eq!(err.code(), -32000);
    assert!(err.message().contains("native UTXO transaction"), "{err:?}");
    assert_eq!(
        node.call("trace_transaction", vec![json!(native_hash)])
            .await,
        json!([])
    );

    let block = node
        .call(
            "debug_traceBlockByNumber",
            vec![
                json!(format!("{number:#x}")),
                json!({"tracer": "callTracer"}),
            ],
        )
        .await;
    let block = block.as_array().expect("results");
    assert_eq!(block.len(), 2);
    assert_eq!(block[0]["txHash"], json!(native_hash));
    assert!(block[0]["error"].as_str().unwrap().contains("native UTXO"));
    assert_eq!(block[1]["txHash"], json!(eth_hash));
    assert_eq!(block[1]["result"], t);

    let parity = node
        .call("trace_block", vec![json!(format!("{number:#x}"))])
        .await;
    let parity = parity.as_array().expect("traces");
    assert_eq!(parity.len(), 1);
    assert_eq!(parity[0]["transactionPosition"], json!(1));
    assert_eq!(parity[0]["transactionHash"], json!(eth_hash));
}

#[tokio::test]
async fn block_traces_have_the_receipts_gas_and_status() {
    let node = TestNode::start().await;
    node.backend.set_automine(false);
    let txs = [
        call_tx(0, 0, Contracts::STORE, store_data(1, 1)),
        call_tx(0, 1, Contracts::HEAVY, Bytes::new()),
        call_tx(0, 2, Contracts::REVERT, Bytes::new()),
        call_tx(0, 3, Contracts::NEST, Bytes::new()),
        call_tx(1, 0, Contracts::STORE, store_data(1, 0)),
    ];
    let mut hashes = Vec::new();
    for tx in &txs {
        hashes.push(node.send(tx).await);
    }
    let number = node.backend.mine();
    let block = node
        .call(
            "eth_getBlockByNumber",
            vec![json!(format!("{number:#x}")), json!(false)],
        )
        .await;
    let order: Vec<B256> = serde_json::from_value(block["transactions"].clone()).unwrap();
    assert_eq!(order.len(), txs.len());

    let logs = node
        .call(
            "debug_traceBlockByNumber",
            vec![json!(format!("{number:#x}"))],
        )
        .await;
    let calls = node
        .call(
            "debug_traceBlockByHash",
            vec![block["hash"].clone(), json!({"tracer": "callTracer"})],
        )
        .await;
    for (i, hash) in order.iter().enumerate() {
        let (gas, ok) = receipt(&node, *hash).await;
        assert_eq!(logs[i]["txHash"], json!(hash));
        assert_eq!(logs[i]["result"]["gas"], json!(gas), "tx {i}");
        assert_eq!(logs[i]["result"]["failed"], json!(!ok), "tx {i}");
        assert_eq!(
            calls[i]["result"]["gasUsed"],
            json!(format!("{gas:#x}")),
            "tx {i}"
        );
        assert_eq!(calls[i]["result"].get("error").is_none(), ok, "tx {i}");
        // The single-transaction trace is the block's entry.
        assert_eq!(trace(&node, *hash, json!({})).await, logs[i]["result"]);
    }
}

#[tokio::test]
async fn trace_call_runs_like_eth_call() {
    let node = TestNode::start().await;
    let t = node
        .call(
            "debug_traceCall",
            vec![json!({"to": a(Contracts::FORTY_TWO)}), json!("latest")],
        )
        .await;
    assert_eq!(t["failed"], json!(false));
    assert_eq!(t["returnValue"], json!(word(42)));
    assert_eq!(ops(&t).last(), Some(&"RETURN"));

    let t = node
        .call(
            "debug_traceCall",
            vec![
                json!({"to": a(Contracts::NEST)}),
                json!("latest"),
                json!({"tracer": "callTracer"}),
            ],
        )
        .await;
    assert_eq!(t["calls"].as_array().map(Vec::len), Some(2));

    // State overrides apply; the block defaults to latest.
    let t = node
        .call(
            "debug_traceCall",
            vec![
                json!({"to": a(Contracts::ECHO), "input": word(0)}),
                Value::Null,
                json!({
                    "tracer": "callTracer",
                    "stateOverrides": {a(Contracts::ECHO): {"stateDiff": {word(0): word(7)}}}
                }),
            ],
        )
        .await;
    assert_eq!(t["output"], json!(word(7)));

    let err = refused(
        &node,
        "debug_traceCall",
        vec![
            json!({"to": a(Contracts::ECHO)}),
            json!("latest"),
            json!({"txIndex": "0x0"}),
        ],
    )
    .await;
    assert_eq!(err.code(), -32602);
}

#[tokio::test]
async fn tracing_errors_are_clear() {
    let node = TestNode::start().await;
    let hash = node
        .send(&call_tx(0, 0, Contracts::STORE, store_data(1, 7)))
        .await;

    let err = refused(
        &node,
        "debug_traceTransaction",
        vec![json!(hash), json!({"tracer": "fooTracer"})],
    )
    .await;
    assert_eq!(err.code(), -32602);
    assert!(
        err.message().contains("unknown tracer \"fooTracer\""),
        "{err:?}"
    );
    let err = refused(
        &node,
        "debug_traceTransaction",
        vec![
            json!(hash),
            json!({"tracer": "{result: function() { return 1; }}"}),
        ],
    )
    .await;
    assert_eq!(err.code(), -32602);
    assert!(
        err.message()
            .contains("JavaScript tracers are not supported")
    );
    let err = refused(
        &node,
        "debug_traceTransaction",
        vec![
            json!(hash),
            json!({"tracer": "callTracer", "tracerConfig": {"onlyTopCall": 3}}),
        ],
    )
    .await;
    assert_eq!(err.code(), -32602);

    // Unknown transaction: geth's "transaction not found".
    let err = refused(
        &node,
        "debug_traceTransaction",
        vec![json!(B256::repeat_byte(9))],
    )
    .await;
    assert_eq!(
        (err.code(), err.message()),
        (-32000, "transaction not found")
    );
    // Malformed hashes and options are invalid params, never a crash.
    for params in [
        vec![json!("0x12")],
        vec![json!(hash), json!({"disableStack": "yes"})],
        vec![json!(hash), json!(7)],
    ] {
        let err = refused(&node, "debug_traceTransaction", params.clone()).await;
        assert_eq!(err.code(), -32602, "{params:?}");
    }

    let err = refused(&node, "debug_traceBlockByNumber", vec![json!("0x99")]).await;
    assert_eq!(
        (err.code(), err.message()),
        (-32000, "block #153 not found")
    );
    let err = refused(
        &node,
        "debug_traceBlockByHash",
        vec![json!(B256::repeat_byte(1))],
    )
    .await;
    assert_eq!(err.code(), -32000);
    assert!(err.message().ends_with("not found"));
    let err = refused(&node, "debug_traceBlockByNumber", vec![json!("0x0")]).await;
    assert_eq!(err.message(), "genesis is not traceable");
}

/// A trace stops at `max_trace_bytes` while it is built: an endless loop under the struct
/// logger (about 170,000 steps here, some 20 MB of JSON unbounded) is refused with the
/// limit in the message, and the same call traced within the limit still answers.
#[tokio::test]
async fn traces_stop_at_the_size_limit() {
    let limit = 256 * 1024;
    let node = TestNode::start_with(|c| c.max_trace_bytes = limit).await;
    let looper = Address::repeat_byte(0xEE);
    // JUMPDEST PUSH1 0 JUMP: runs until the gas is gone.
    let overrides = json!({a(looper): {"code": "0x5b600056"}});
    let call = json!({"to": a(looper), "gas": "0x1e8480"});
    let err = refused(
        &node,
        "debug_traceCall",
        vec![
            call.clone(),
            json!("latest"),
            json!({"stateOverrides": overrides}),
        ],
    )
    .await;
    assert_eq!(err.code(), -32000);
    assert_eq!(
        err.message(),
        format!(
            "trace exceeds the size limit of {limit} bytes; trace less (disableStack, \
             disableStorage, the struct logger's limit, or a call tracer)"
        )
    );
    // geth's `limit` keeps the struct logger within the bound.
    let t = node
        .call(
            "debug_traceCall",
            vec![
                call.clone(),
                json!("latest"),
                json!({"stateOverrides": overrides, "limit": 100}),
            ],
        )
        .await;
    assert_eq!(ops(&t).len(), 100);
    assert_eq!(t["failed"], json!(true));
    // A call tracer of the same loop is one frame.
    let t = node
        .call(
            "debug_traceCall",
            vec![
                call,
                json!("latest"),
                json!({"stateOverrides": overrides, "tracer": "callTracer"}),
            ],
        )
        .await;
    assert_eq!(t["error"], json!("out of gas"));

    // A mined transaction's trace has the same bound.
    let key = &signers()[0];
    let chain_id = DEV_CHAIN_ID;
    let tx = sign_1559(
        key,
        chain_id,
        0,
        Some(Contracts::HEAVY),
        U256::ZERO,
        Bytes::new(),
        200_000,
    );
    let hash = node.send(&tx).await;
    let ok = node.call("debug_traceTransaction", vec![json!(hash)]).await;
    assert_eq!(ops(&ok).last(), Some(&"STOP"));
    let small = TestNode::start_with(|c| c.max_trace_bytes = 1_000).await;
    let hash = small.send(&tx).await;
    let err = refused(&small, "debug_traceTransaction", vec![json!(hash)]).await;
    assert!(
        err.message()
            .starts_with("trace exceeds the size limit of 1000 bytes"),
        "{}",
        err.message()
    );
    let number = small.call("eth_blockNumber", vec![]).await;
    let err = refused(&small, "debug_traceBlockByNumber", vec![number]).await;
    assert!(
        err.message().starts_with("trace exceeds the size limit"),
        "{}",
        err.message()
    );
}
