//! eth_call, eth_estimateGas, eth_createAccessList.

use crate::common::*;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_chainspec::DEV_CHAIN_ID;
use serde_json::{Value, json};

fn a(x: Address) -> String {
    format!("{x:?}")
}

fn word(n: u64) -> String {
    format!("{}", B256::from(U256::from(n)))
}

#[tokio::test]
async fn call_returns_output() {
    let node = TestNode::start().await;
    let out = node
        .call(
            "eth_call",
            vec![json!({"to": a(Contracts::FORTY_TWO)}), json!("latest")],
        )
        .await;
    assert_eq!(out, json!(word(42)));
    // `data` and `input` both work; default block is latest.
    let out = node
        .call(
            "eth_call",
            vec![json!({"to": a(Contracts::ECHO), "input": word(7)})],
        )
        .await;
    assert_eq!(out, json!(word(0)));
}

#[tokio::test]
async fn call_sees_archive_state_and_overrides() {
    let node = TestNode::start().await;
    let signers = signers();
    // STORE: slot 5 := 9 in block 1.
    let mut data = B256::from(U256::from(5)).to_vec();
    data.extend_from_slice(B256::from(U256::from(9)).as_slice());
    let tx = sign_1559(
        &signers[0],
        DEV_CHAIN_ID,
        0,
        Some(Contracts::STORE),
        U256::ZERO,
        data.into(),
        100_000,
    );
    node.send(&tx).await;
    assert_eq!(
        node.call(
            "eth_getStorageAt",
            vec![json!(a(Contracts::STORE)), json!("0x5"), json!("latest")]
        )
        .await,
        json!(word(9))
    );
    assert_eq!(
        node.call(
            "eth_getStorageAt",
            vec![json!(a(Contracts::STORE)), json!("0x5"), json!("0x0")]
        )
        .await,
        json!(word(0))
    );
    // ECHO with a state override reads the overridden slot.
    let out = node
        .call(
            "eth_call",
            vec![
                json!({"to": a(Contracts::ECHO), "data": word(3)}),
                json!("latest"),
                json!({ a(Contracts::ECHO): {"stateDiff": { word(3): word(77) }} }),
            ],
        )
        .await;
    assert_eq!(out, json!(word(77)));
    // Code override: ECHO's address runs FORTY_TWO's code.
    let out = node
        .call(
            "eth_call",
            vec![
                json!({"to": a(Contracts::ECHO)}),
                json!("latest"),
                json!({ a(Contracts::ECHO): {"code": "0x602a60005260206000f3"} }),
            ],
        )
        .await;
    assert_eq!(out, json!(word(42)));
    // Block override: NUMBER.
    let number_code = "0x4360005260206000f3"; // NUMBER PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    let out = node
        .call(
            "eth_call",
            vec![
                json!({"to": a(Contracts::ECHO)}),
                json!("latest"),
                json!({ a(Contracts::ECHO): {"code": number_code} }),
                json!({"number": "0x99"}),
            ],
        )
        .await;
    assert_eq!(out, json!(word(0x99)));
}

#[tokio::test]
async fn revert_is_code_3_with_reason_and_data() {
    let node = TestNode::start().await;
    let err = node
        .try_call(
            "eth_call",
            vec![json!({"to": a(Contracts::REVERT)}), json!("latest")],
        )
        .await
        .expect_err("reverts");
    assert_eq!(err.code(), 3);
    assert_eq!(err.message(), "execution reverted: nope");
    let data: String = serde_json::from_str(err.data().expect("data").get()).expect("hex string");
    assert_eq!(data, format!("{}", Bytes::from(error_string("nope"))));

    let err = node
        .try_call("eth_estimateGas", vec![json!({"to": a(Contracts::REVERT)})])
        .await
        .expect_err("reverts");
    assert_eq!(err.code(), 3);
    assert_eq!(err.message(), "execution reverted: nope");
}

#[tokio::test]
async fn call_errors_are_gethlike() {
    let node = TestNode::start().await;
    let poor = Address::repeat_byte(0x55);
    let err = node
        .try_call(
            "eth_call",
            vec![json!({"from": a(poor), "to": a(Contracts::FORTY_TWO), "value": "0x1"})],
        )
        .await
        .expect_err("no funds");
    assert_eq!(err.code(), -32000);
    assert!(
        err.message()
            .contains("insufficient funds for gas * price + value"),
        "{}",
        err.message()
    );
    // Out of gas is a plain -32000.
    let err = node
        .try_call(
            "eth_call",
            vec![json!({"to": a(Contracts::HEAVY), "gas": "0x5300"})],
        )
        .await
        .expect_err("oog");
    assert_eq!(err.code(), -32000);
    assert_eq!(err.message(), "out of gas");
}

#[tokio::test]
async fn estimate_gas() {
    let node = TestNode::start().await;
    let from = signers()[0].address();
    let transfer = node
        .call(
            "eth_estimateGas",
            vec![json!({"from": a(from), "to": a(Address::repeat_byte(0x42)), "value": "0x1"})],
        )
        .await;
    assert_eq!(transfer, json!("0x5208"));
    // With fees (as wallets send it) too.
    let transfer = node
        .call(
            "eth_estimateGas",
            vec![json!({"from": a(from), "to": a(Address::repeat_byte(0x42)), "value": "0x1", "maxFeePerGas": "0x77359400"})],
        )
        .await;
    assert_eq!(transfer, json!("0x5208"));

    // HEAVY writes five fresh slots: the estimate must suffice and be tight.
    let estimate = qty(&node
        .call(
            "eth_estimateGas",
            vec![json!({"from": a(from), "to": a(Contracts::HEAVY)})],
        )
        .await)
    .to::<u64>();
    assert!(estimate > 21_000 + 5 * 20_000, "{estimate}");
    let ok = node
        .try_call(
            "eth_call",
            vec![json!({"from": a(from), "to": a(Contracts::HEAVY), "gas": format!("{estimate:#x}")})],
        )
        .await;
    assert!(ok.is_ok(), "estimate {estimate} is enough");
    let short = node
        .try_call(
            "eth_call",
            vec![json!({"from": a(from), "to": a(Contracts::HEAVY), "gas": format!("{:#x}", estimate * 97 / 100)})],
        )
        .await;
    assert!(short.is_err(), "estimate {estimate} is within 3%");

    // A sender without funds and a fee cap: geth's message.
    let err = node
        .try_call(
            "eth_estimateGas",
            vec![json!({"from": a(Address::repeat_byte(0x56)), "to": a(from), "gasPrice": "0x3b9aca00"})],
        )
        .await
        .expect_err("no funds");
    assert_eq!(err.message(), "insufficient funds for transfer");
}

#[tokio::test]
async fn create_access_list() {
    let node = TestNode::start().await;
    let from = signers()[0].address();
    // STORE touches slot 5 of itself: geth lists the recipient's slots even though the
    // recipient address itself is excluded.
    let mut data = B256::from(U256::from(5)).to_vec();
    data.extend_from_slice(B256::from(U256::from(1)).as_slice());
    let result = node
        .call(
            "eth_createAccessList",
            vec![json!({"from": a(from), "to": a(Contracts::STORE), "data": Bytes::from(data)})],
        )
        .await;
    let list = result["accessList"].as_array().expect("list");
    assert_eq!(list.len(), 1, "{result}");
    let item: alloy_eips::eip2930::AccessListItem =
        serde_json::from_value(list[0].clone()).expect("item");
    assert_eq!(item.address, Contracts::STORE);
    assert_eq!(item.storage_keys, vec![B256::from(U256::from(5))]);
    assert!(qty(&result["gasUsed"]) > U256::from(21_000));
    assert!(result.get("error").is_none_or(Value::is_null), "{result}");

    // ECHO reads slot 0 of itself when given no calldata.
    let result = node
        .call(
            "eth_createAccessList",
            vec![
                json!({"from": a(from), "to": a(Contracts::ECHO)}),
                json!("latest"),
            ],
        )
        .await;
    let list: alloy_eips::eip2930::AccessList =
        serde_json::from_value(result["accessList"].clone()).expect("list");
    assert_eq!(list.0.len(), 1);
    assert_eq!(list.0[0].address, Contracts::ECHO);
    assert_eq!(list.0[0].storage_keys, vec![B256::ZERO]);
}

#[tokio::test]
async fn calls_reach_the_asset_issuance_precompile() {
    use bytom2_utxo::{AssetId, native::assets::token_address};
    let node = TestNode::start().await;
    let asset = AssetId(B256::repeat_byte(7));
    let selector = &alloy_primitives::keccak256("tokenOf(bytes32)")[..4];
    let data = format!(
        "0x{}{}",
        alloy_primitives::hex::encode(selector),
        alloy_primitives::hex::encode(asset.0)
    );
    let out = node
        .call(
            "eth_call",
            vec![
                json!({"to": "0x000000000000000000000000000000000000b701", "data": data}),
                json!("latest"),
            ],
        )
        .await;
    let expected = B256::left_padding_from(token_address(asset).as_slice());
    assert_eq!(out, json!(format!("{expected}")));
    // eth_estimateGas charges the precompile's gas.
    let gas = node
        .call(
            "eth_estimateGas",
            vec![json!({"to": "0x000000000000000000000000000000000000b701", "data": data})],
        )
        .await;
    let gas = u64::from_str_radix(gas.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    assert!(gas > 21_000 && gas < 40_000, "{gas}");
}

/// Code that adds 1..=n in a loop (11 opcodes a round) and returns the sum.
fn summing_loop(n: u32) -> String {
    let n = n.to_be_bytes();
    format!(
        "0x62{:02x}{:02x}{:02x}60005b8101906001900390816006576000526020 6000f3",
        n[1], n[2], n[3]
    )
    .replace(' ', "")
}

#[tokio::test]
async fn long_calls_answer_like_short_ones() {
    // A call runs on the RPC worker up to 100,000 opcodes and starts again on the
    // blocking pool past that: the answer must not depend on which.
    let node = TestNode::start().await;
    let at = Address::repeat_byte(0x5a);
    for (n, steps) in [
        (10u32, 110u64),
        (9_000, 99_000),
        (9_100, 100_100),
        (50_000, 550_000),
    ] {
        let out = node
            .call(
                "eth_call",
                vec![
                    json!({"to": a(at), "gas": "0x2000000"}),
                    json!("latest"),
                    json!({ a(at): {"code": summing_loop(n)} }),
                ],
            )
            .await;
        let sum = u64::from(n) * (u64::from(n) + 1) / 2;
        assert_eq!(out, json!(word(sum)), "{n} rounds, about {steps} opcodes");
    }
}
