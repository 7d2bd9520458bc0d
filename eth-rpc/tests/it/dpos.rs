//! The `dpos_*` namespace over a fake consensus backend: answer shapes, block
//! resolution, parameter errors, range limits, and `-32601` on a node without consensus.

use crate::common::*;
use alloy_primitives::{Address, B256, B512, Bytes, U64};
use bytom2_eth_rpc::{
    DposBackend, DposCommittee, DposCommitteeMember, DposEvidence, DposEvidenceKind,
    DposFinalization, DposPeer, DposRole, DposSigner, DposStatus, MAX_EVIDENCE_BLOCK_RANGE,
    MAX_EVIDENCE_RESULTS,
};
use jsonrpsee::{core::client::ClientT, rpc_params, ws_client::WsClientBuilder};
use parking_lot::Mutex;
use serde_json::{Value, json};
use std::sync::Arc;

const METHODS: [&str; 4] = [
    "dpos_status",
    "dpos_committee",
    "dpos_getFinalization",
    "dpos_getEvidence",
];

fn key(i: u8) -> B256 {
    B256::repeat_byte(i)
}

/// A consensus backend with fixed answers: epoch 3 (epochs 2 and 3 known), every
/// even block finalized by its own certificate and every odd one by its child's.
#[derive(Default)]
struct FakeDpos {
    evidence: Vec<DposEvidence>,
    /// The `(from, to, limit)` of every evidence query.
    evidence_queries: Mutex<Vec<(u64, u64, usize)>>,
}

impl FakeDpos {
    fn status() -> DposStatus {
        DposStatus {
            role: DposRole::Validator,
            public_key: key(1),
            epoch: U64::from(3),
            view: U64::from(42),
            finalized_height: U64::from(7),
            finalized_hash: key(0x77),
            leader: Some(key(2)),
            peers: vec![DposPeer {
                public_key: key(2),
                finalized_height: U64::from(6),
            }],
            committee_size: U64::from(4),
        }
    }
}

impl DposBackend for FakeDpos {
    fn status(&self) -> Result<DposStatus, String> {
        Ok(Self::status())
    }

    fn current_epoch(&self) -> u64 {
        3
    }

    fn committee(&self, epoch: u64) -> Result<Option<DposCommittee>, String> {
        if !(2..=3).contains(&epoch) {
            return Ok(None);
        }
        let members = (0..4u8)
            .map(|i| DposCommitteeMember {
                public_key: key(i + 1),
                fee_recipient: Address::repeat_byte(0xF0 + i),
                index: U64::from(i),
            })
            .collect();
        Ok(Some(DposCommittee {
            epoch: U64::from(epoch),
            members,
            quorum: U64::from(3),
        }))
    }

    fn finalization(&self, number: u64) -> Result<Option<DposFinalization>, String> {
        assert_ne!(number, 0, "the server answers genesis itself");
        let certified = number + number % 2;
        Ok(Some(DposFinalization {
            block_number: U64::from(number),
            block_hash: B256::with_last_byte(number as u8),
            certified_height: U64::from(certified),
            certified_hash: B256::with_last_byte(certified as u8),
            direct: certified == number,
            epoch: U64::from(3),
            view: U64::from(certified + 10),
            parent_view: U64::from(certified + 9),
            payload: key(0xDD),
            signers: vec![DposSigner {
                index: U64::from(1),
                public_key: key(2),
                signature: B512::repeat_byte(0x5A),
            }],
        }))
    }

    fn evidence(&self, from: u64, to: u64, limit: usize) -> Result<Vec<DposEvidence>, String> {
        self.evidence_queries.lock().push((from, to, limit));
        Ok(self
            .evidence
            .iter()
            .filter(|e| (from..=to).contains(&e.first_seen_block.to::<u64>()))
            .take(limit)
            .cloned()
            .collect())
    }
}

fn evidence(block: u64, kind: DposEvidenceKind) -> DposEvidence {
    DposEvidence {
        kind,
        validator: key(3),
        epoch: U64::from(2),
        view: U64::from(17),
        first_seen_block: U64::from(block),
        data: Bytes::from_static(&[0xAB, 0xCD]),
    }
}

/// A node over `fake` with `blocks` empty blocks mined.
async fn start(fake: Arc<FakeDpos>, blocks: u64) -> TestNode {
    let backend = MemBackend::new();
    backend.set_dpos(fake);
    for _ in 0..blocks {
        backend.mine();
    }
    TestNode::start_over(backend, |_| {}).await
}

async fn expect_code(node: &TestNode, method: &str, params: Vec<Value>, code: i32) -> String {
    let err = node
        .try_call(method, params.clone())
        .await
        .expect_err(&format!("{method} {params:?} must fail"));
    assert_eq!(err.code(), code, "{method} {params:?}: {}", err.message());
    err.message().to_string()
}

#[tokio::test]
async fn without_consensus_every_method_is_unknown() {
    let node = TestNode::start().await;
    for method in METHODS {
        for params in [vec![], vec![json!("0x1")], vec![json!("bad"), json!({})]] {
            let message = expect_code(&node, method, params, -32601).await;
            assert_eq!(
                message,
                format!("the method {method} does not exist/is not available")
            );
        }
    }
}

#[tokio::test]
async fn status_shape() {
    let node = start(Arc::default(), 0).await;
    let status = node.call("dpos_status", vec![]).await;
    assert_eq!(
        status,
        json!({
            "role": "validator",
            "publicKey": format!("0x{}", "01".repeat(32)),
            "epoch": "0x3",
            "view": "0x2a",
            "finalizedHeight": "0x7",
            "finalizedHash": format!("0x{}", "77".repeat(32)),
            "leader": format!("0x{}", "02".repeat(32)),
            "peers": [{
                "publicKey": format!("0x{}", "02".repeat(32)),
                "finalizedHeight": "0x6",
            }],
            "committeeSize": "0x4",
        })
    );
    // A full node without a known leader.
    let full = DposStatus {
        role: DposRole::Full,
        leader: None,
        ..FakeDpos::status()
    };
    let json = serde_json::to_value(full).unwrap();
    assert_eq!(json["role"], json!("full"));
    assert_eq!(json["leader"], Value::Null);
}

#[tokio::test]
async fn committee_by_epoch() {
    let node = start(Arc::default(), 0).await;
    let current = node.call("dpos_committee", vec![]).await;
    assert_eq!(current["epoch"], json!("0x3"));
    assert_eq!(current["quorum"], json!("0x3"));
    assert_eq!(
        current["members"][1],
        json!({
            "publicKey": format!("0x{}", "02".repeat(32)),
            "feeRecipient": format!("0x{}", "f1".repeat(20)),
            "index": "0x1",
        })
    );
    assert_eq!(current["members"].as_array().unwrap().len(), 4);
    assert_eq!(
        node.call("dpos_committee", vec![Value::Null]).await,
        current
    );
    for epoch in [json!("0x2"), json!(2), json!("2")] {
        let c = node.call("dpos_committee", vec![epoch]).await;
        assert_eq!(c["epoch"], json!("0x2"));
    }
    assert_eq!(
        node.call("dpos_committee", vec![json!("0x9")]).await,
        Value::Null
    );
    for bad in [
        json!("latest"),
        json!("0xzz"),
        json!(-1),
        json!({}),
        json!(true),
    ] {
        expect_code(&node, "dpos_committee", vec![bad], -32602).await;
    }
}

#[tokio::test]
async fn finalization_by_number_tag_and_hash() {
    let node = start(Arc::default(), 3).await;
    let one = node.call("dpos_getFinalization", vec![json!("0x1")]).await;
    assert_eq!(
        one,
        json!({
            "blockNumber": "0x1",
            "blockHash": B256::with_last_byte(1),
            "certifiedHeight": "0x2",
            "certifiedHash": B256::with_last_byte(2),
            "direct": false,
            "epoch": "0x3",
            "view": "0xc",
            "parentView": "0xb",
            "payload": format!("0x{}", "dd".repeat(32)),
            "signers": [{
                "index": "0x1",
                "publicKey": format!("0x{}", "02".repeat(32)),
                "signature": format!("0x{}", "5a".repeat(64)),
            }],
        })
    );
    let two = node.call("dpos_getFinalization", vec![json!("0x2")]).await;
    assert_eq!(two["direct"], json!(true));
    assert_eq!(two["certifiedHeight"], json!("0x2"));
    let latest = node
        .call("dpos_getFinalization", vec![json!("latest")])
        .await;
    assert_eq!(latest["blockNumber"], json!("0x3"));
    let finalized = node
        .call("dpos_getFinalization", vec![json!("finalized")])
        .await;
    assert_eq!(finalized["blockNumber"], json!("0x3"));

    // By hash, and by an EIP-1898 object.
    let block = node
        .call("eth_getBlockByNumber", vec![json!("0x2"), json!(false)])
        .await;
    let by_hash = node
        .call("dpos_getFinalization", vec![block["hash"].clone()])
        .await;
    assert_eq!(by_hash, two);
    let by_object = node
        .call(
            "dpos_getFinalization",
            vec![json!({ "blockHash": block["hash"] })],
        )
        .await;
    assert_eq!(by_object, two);

    // Genesis, a block above the head and an unknown hash: null.
    for missing in [
        json!("0x0"),
        json!("earliest"),
        json!("0x4"),
        json!(format!("0x{}", "ee".repeat(32))),
    ] {
        assert_eq!(
            node.call("dpos_getFinalization", vec![missing.clone()])
                .await,
            Value::Null,
            "{missing}"
        );
    }
    for bad in [
        vec![],
        vec![json!("head")],
        vec![json!("0x12zz")],
        vec![json!(true)],
    ] {
        expect_code(&node, "dpos_getFinalization", bad, -32602).await;
    }
}

#[tokio::test]
async fn evidence_ranges() {
    let fake = Arc::new(FakeDpos {
        evidence: vec![
            evidence(1, DposEvidenceKind::ConflictingNotarize),
            evidence(2, DposEvidenceKind::ConflictingFinalize),
            evidence(3, DposEvidenceKind::NullifyFinalize),
        ],
        ..Default::default()
    });
    let node = start(fake.clone(), 3).await;
    let all = node
        .call("dpos_getEvidence", vec![json!("earliest"), json!("latest")])
        .await;
    assert_eq!(
        all[0],
        json!({
            "kind": "conflictingNotarize",
            "validator": format!("0x{}", "03".repeat(32)),
            "epoch": "0x2",
            "view": "0x11",
            "firstSeenBlock": "0x1",
            "data": "0xabcd",
        })
    );
    let kinds: Vec<&Value> = all.as_array().unwrap().iter().map(|e| &e["kind"]).collect();
    assert_eq!(
        kinds,
        [
            &json!("conflictingNotarize"),
            &json!("conflictingFinalize"),
            &json!("nullifyFinalize")
        ]
    );
    // Inclusive on both ends; the tags resolved.
    let two = node
        .call("dpos_getEvidence", vec![json!("0x2"), json!("0x2")])
        .await;
    assert_eq!(two.as_array().unwrap().len(), 1);
    assert_eq!(two[0]["firstSeenBlock"], json!("0x2"));
    assert_eq!(
        node.call("dpos_getEvidence", vec![json!("0x4"), json!("0x10")])
            .await,
        json!([])
    );
    // The widest range allowed, and the server's result bound passed down.
    let widest = format!("{MAX_EVIDENCE_BLOCK_RANGE:#x}");
    node.call("dpos_getEvidence", vec![json!("0x0"), json!(widest)])
        .await;
    assert_eq!(
        fake.evidence_queries.lock().as_slice(),
        [
            (0, 3, MAX_EVIDENCE_RESULTS + 1),
            (2, 2, MAX_EVIDENCE_RESULTS + 1),
            (4, 16, MAX_EVIDENCE_RESULTS + 1),
            (0, MAX_EVIDENCE_BLOCK_RANGE, MAX_EVIDENCE_RESULTS + 1),
        ]
    );

    // Too wide, reversed, malformed or missing: -32602, without asking the backend.
    let queries = fake.evidence_queries.lock().len();
    let too_wide = format!("{:#x}", MAX_EVIDENCE_BLOCK_RANGE + 1);
    let message = expect_code(
        &node,
        "dpos_getEvidence",
        vec![json!("0x0"), json!(too_wide)],
        -32602,
    )
    .await;
    assert_eq!(
        message,
        "block range too wide: toBlock - fromBlock is 10001, at most 10000"
    );
    let message = expect_code(
        &node,
        "dpos_getEvidence",
        vec![json!("latest"), json!("0x1")],
        -32602,
    )
    .await;
    assert!(
        message.starts_with("invalid block range params"),
        "{message}"
    );
    for bad in [
        vec![],
        vec![json!("0x1")],
        vec![json!("0x1"), json!("nope")],
        vec![json!({}), json!("0x1")],
        vec![json!(2), json!("0x3")],
    ] {
        expect_code(&node, "dpos_getEvidence", bad, -32602).await;
    }
    assert_eq!(fake.evidence_queries.lock().len(), queries);
}

#[tokio::test]
async fn evidence_results_are_bounded() {
    let fake = Arc::new(FakeDpos {
        evidence: vec![
            evidence(1, DposEvidenceKind::ConflictingNotarize);
            MAX_EVIDENCE_RESULTS + 1
        ],
        ..Default::default()
    });
    let node = start(fake, 1).await;
    let message = expect_code(
        &node,
        "dpos_getEvidence",
        vec![json!("0x1"), json!("0x1")],
        -32602,
    )
    .await;
    assert!(
        message.starts_with("query exceeds max results 10000"),
        "{message}"
    );
}

#[tokio::test]
async fn served_over_websocket() {
    let node = start(Arc::default(), 1).await;
    let ws = WsClientBuilder::default()
        .build(node.handle.ws_url())
        .await
        .expect("ws connects");
    let status: Value = ws
        .request("dpos_status", rpc_params![])
        .await
        .expect("status");
    assert_eq!(status, node.call("dpos_status", vec![]).await);
    let committee: Value = ws
        .request("dpos_committee", rpc_params!["0x2"])
        .await
        .expect("committee");
    assert_eq!(committee["epoch"], json!("0x2"));
}
