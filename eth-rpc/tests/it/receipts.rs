//! Receipts of a block of 10,000 transactions (issue #19): a single receipt is found and
//! encoded without converting the rest of its block, and is byte for byte the answer the
//! whole-block conversion gave before that change.

use crate::common::{Contracts, MemBackend, TestNode, post_json, signers, test_spec};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use serde_json::Value;

/// Transactions in the block.
const TXS: usize = 10_000;
/// Where the one native transaction sits.
const NATIVE_AT: usize = 5_000;

/// An EIP-1559 transaction from `sender` with a fixed signature: the block executor takes
/// the sender as recovered, so no key is needed (and the test does not spend its time
/// signing).
fn unsigned(sender: Address, nonce: u64, to: Address, value: U256, input: Bytes) -> BlockTx {
    let tx = TxEip1559 {
        chain_id: test_spec().chain_id,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 2_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(to),
        value,
        access_list: Default::default(),
        input,
    };
    let envelope: TxEnvelope = tx.into_signed(Signature::test_signature()).into();
    let encoded = envelope.encoded_2718().into();
    BlockTx::Eth(RecoveredTx::with_sender(envelope, sender, encoded))
}

/// 9,999 Ethereum transactions from nine senders (a stored word and a log, a plain
/// transfer, a revert, in turn) and one native transfer at [`NATIVE_AT`].
fn big_block(backend: &MemBackend) -> Vec<BlockTx> {
    let keys = signers();
    let senders: Vec<Address> = keys[..9].iter().map(|k| k.address()).collect();
    let mut nonces = [0u64; 9];
    let mut txs = Vec::with_capacity(TXS);
    for j in 0..TXS - 1 {
        if txs.len() == NATIVE_AT {
            txs.push(backend.native_transfer(
                &keys[9],
                senders[0],
                U256::from(10u64).pow(U256::from(18)),
                U256::from(10u64).pow(U256::from(15)),
            ));
        }
        let s = j % 9;
        let tx = match j % 3 {
            0 => {
                let mut input = B256::from(U256::from(j + 1)).to_vec();
                input.extend_from_slice(B256::from(U256::from(j * 7 + 3)).as_slice());
                unsigned(
                    senders[s],
                    nonces[s],
                    Contracts::STORE,
                    U256::ZERO,
                    input.into(),
                )
            }
            1 => unsigned(
                senders[s],
                nonces[s],
                senders[(s + 1) % 9],
                U256::from(j),
                Bytes::new(),
            ),
            // The calldata (ignored) keeps the hashes apart: every transaction has the
            // same made-up signature.
            _ => unsigned(
                senders[s],
                nonces[s],
                Contracts::REVERT,
                U256::ZERO,
                B256::from(U256::from(j)).to_vec().into(),
            ),
        };
        nonces[s] += 1;
        txs.push(tx);
    }
    txs
}

/// The `result` text of one call, as the server wrote it.
async fn raw_result(node: &TestNode, method: &str, param: &str) -> String {
    let body = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":["{param}"]}}"#);
    let (head, body) = post_json(node.handle.local_addr(), &body).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    let prefix = r#"{"jsonrpc":"2.0","id":1,"result":"#;
    body.strip_prefix(prefix)
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or_else(|| panic!("unexpected answer {body}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_of_a_10k_block_are_unchanged() {
    let mut spec = test_spec();
    spec.genesis.gas_limit = 1_000_000_000;
    let backend = MemBackend::with_spec(spec);
    backend.set_automine(false);
    let txs = big_block(&backend);
    let hashes: Vec<B256> = txs.iter().map(BlockTx::hash).collect();
    let number = backend.mine_block(txs);
    let node = TestNode::start_over(backend, |_| {}).await;

    // The whole block's receipts are over the default client's 10 MB.
    let client = HttpClientBuilder::default()
        .max_response_size(256 << 20)
        .build(node.handle.http_url())
        .expect("client");
    let all: Value = client
        .request("eth_getBlockReceipts", rpc_params![format!("{number:#x}")])
        .await
        .expect("block receipts");
    let all = all.as_array().expect("receipts");
    assert_eq!(all.len(), TXS);

    let picked = [0, 1, 2, 4_998, 4_999, NATIVE_AT, 9_998, TXS - 1];
    let mut texts = String::new();
    for i in picked {
        let text = raw_result(&node, "eth_getTransactionReceipt", &hashes[i].to_string()).await;
        let one: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(one, all[i], "receipt {i} differs from eth_getBlockReceipts");
        texts.push_str(&text);
        texts.push('\n');
    }
    // Log indexes run on across the block: a stored word logs once, every third
    // Ethereum transaction (the native one logs nothing).
    let store_before = |i: usize| {
        let eth = if i > NATIVE_AT { i - 1 } else { i };
        eth.div_ceil(3)
    };
    for i in [0, 4_998, 9_998] {
        let logs = all[i]["logs"].as_array().expect("logs");
        if let Some(log) = logs.first() {
            assert_eq!(
                log["logIndex"],
                format!("{:#x}", store_before(i)),
                "receipt {i}"
            );
        }
    }
    // The same bytes as the whole-block conversion gave before single receipts were
    // built alone (recorded from that code on this block).
    assert_eq!(
        keccak256(texts.as_bytes()),
        GOLDEN,
        "answers changed:\n{texts}"
    );
}

/// keccak256 of the picked receipts' texts, one per line, as answered before the change.
const GOLDEN: B256 =
    alloy_primitives::b256!("45e6a4b6354fd619c605ba79a7677a89190bb9c00f4ca95a55256453aa2a73d2");
