//! `bytom2 wallet decode`: a raw transaction, native (type `0x62`) or Ethereum, as JSON.
//! No RPC.

use alloy_consensus::{TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Signature, U256, keccak256};
use anyhow::anyhow;
use bytom2_utxo::native::{NATIVE_TX_TYPE, NativeTx, assets::token_address};
use serde_json::{Value, json};

/// Decodes `bytes` as a native transaction if it starts with [`NATIVE_TX_TYPE`], else as
/// an Ethereum transaction, into JSON. Amounts are decimal strings of base units.
pub(crate) fn decode(bytes: &[u8]) -> anyhow::Result<Value> {
    if bytes.first() == Some(&NATIVE_TX_TYPE) {
        let tx = NativeTx::decode_2718(bytes).map_err(|e| anyhow!("{e}"))?;
        return Ok(native_json(&tx, bytes));
    }
    let mut buf = bytes;
    let env = TxEnvelope::decode_2718(&mut buf).map_err(|e| {
        anyhow!("not a native or Ethereum transaction: invalid Ethereum transaction: {e}")
    })?;
    if !buf.is_empty() {
        return Err(anyhow!(
            "not a native or Ethereum transaction: {} bytes after the Ethereum transaction",
            buf.len()
        ));
    }
    Ok(json!({
        "kind": "ethereum",
        "hash": env.tx_hash(),
        "from": env.recover_signer().ok(),
        "transaction": serde_json::to_value(&env)?,
    }))
}

fn signature_hex(sig: &Signature) -> String {
    let mut b = [0u8; 65];
    b[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    b[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    b[64] = u8::from(sig.v());
    alloy_primitives::hex::encode_prefixed(b)
}

fn amount(v: U256) -> String {
    v.to_string()
}

fn native_json(tx: &NativeTx, bytes: &[u8]) -> Value {
    let sighash = tx.sighash();
    // A signature with a high s, or one that does not recover, has no signer (null).
    let signers: Vec<Value> = tx
        .signatures
        .iter()
        .map(|sig| {
            if sig.normalize_s().is_some() {
                return Value::Null;
            }
            sig.recover_address_from_prehash(&sighash)
                .map_or(Value::Null, |a| json!(a))
        })
        .collect();
    let issuance = tx.issuance.as_ref().map(|i| {
        json!({
            "assetId": i.asset.0,
            "token": token_address(i.asset),
            "amount": amount(i.amount),
            "definition": i.definition.as_ref().map(|d| json!({
                "name": d.name,
                "symbol": d.symbol,
                "decimals": d.decimals,
                "issuer": d.issuer,
                "data": d.data,
            })),
        })
    });
    json!({
        "kind": "native",
        "type": format!("{NATIVE_TX_TYPE:#x}"),
        "hash": keccak256(bytes),
        "size": bytes.len(),
        "chainId": tx.chain_id,
        "sighash": sighash,
        "inputs": tx.inputs.iter().map(|op| json!({"tx": op.tx, "index": op.index})).collect::<Vec<_>>(),
        "outputs": tx.outputs.iter().enumerate().map(|(index, o)| json!({
            "index": index,
            "asset": o.asset.0,
            "amount": amount(o.amount),
            "owner": o.owner,
        })).collect::<Vec<_>>(),
        "issuance": issuance,
        "signatures": tx.signatures.iter().map(signature_hex).collect::<Vec<_>>(),
        "signers": signers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Address, B256, TxKind};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;
    use bytom2_utxo::{
        AssetId, OutPoint, Output,
        native::{Issuance, assets::AssetDefinition},
    };

    #[test]
    fn native_transaction_with_issuance_and_signer() {
        let key = PrivateKeySigner::random();
        let def = AssetDefinition {
            name: "Gold".into(),
            symbol: "GLD".into(),
            decimals: 8,
            issuer: key.address(),
            data: vec![0xab].into(),
        };
        let asset = def.asset_id();
        let mut tx = NativeTx {
            chain_id: 19_000,
            inputs: vec![OutPoint::new(B256::repeat_byte(1), 2)],
            outputs: vec![
                Output::new(asset, U256::from(500), Address::repeat_byte(3)),
                Output::new(AssetId::BTM, U256::from(10u64.pow(18)), key.address()),
            ],
            issuance: Some(Issuance {
                asset,
                amount: U256::from(500),
                definition: Some(def),
            }),
            signatures: vec![],
        };
        tx.signatures
            .push(key.sign_hash_sync(&tx.sighash()).unwrap());
        let bytes = tx.encoded_2718();
        let v = decode(&bytes).unwrap();
        assert_eq!(v["kind"], "native");
        assert_eq!(v["hash"], json!(tx.hash()));
        assert_eq!(v["chainId"], 19_000);
        assert_eq!(v["inputs"][0]["index"], 2);
        assert_eq!(v["outputs"][1]["amount"], "1000000000000000000");
        assert_eq!(v["outputs"][1]["owner"], json!(key.address()));
        assert_eq!(v["issuance"]["assetId"], json!(asset.0));
        assert_eq!(v["issuance"]["definition"]["symbol"], "GLD");
        assert_eq!(v["issuance"]["token"], json!(token_address(asset)));
        assert_eq!(v["signers"], json!([key.address()]));
        assert_eq!(v["signatures"][0].as_str().unwrap().len(), 2 + 130);

        // A corrupted signature decodes, with no signer.
        tx.signatures[0] = Signature::new(U256::from(1), U256::MAX, false);
        let v = decode(&tx.encoded_2718()).unwrap();
        assert_eq!(v["signers"], json!([null]));
        assert_eq!(v["issuance"]["amount"], "500");
    }

    #[test]
    fn ethereum_transaction() {
        let key = PrivateKeySigner::random();
        let tx = TxEip1559 {
            chain_id: 19_000,
            nonce: 7,
            gas_limit: 21_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(4)),
            value: U256::from(5),
            ..Default::default()
        };
        let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
        let env = TxEnvelope::from(tx.into_signed(sig));
        let bytes = env.encoded_2718();
        let v = decode(&bytes).unwrap();
        assert_eq!(v["kind"], "ethereum");
        assert_eq!(v["from"], json!(key.address()));
        assert_eq!(v["hash"], json!(env.tx_hash()));
        assert_eq!(v["transaction"]["nonce"], "0x7");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [&[][..], &[0x62], &[0x62, 0xc0], &[0x02, 0x01], &[0xff; 40]] {
            assert!(decode(bytes).is_err(), "{bytes:?}");
        }
        let e = decode(&[0x62, 0xc0]).unwrap_err().to_string();
        assert!(e.starts_with("invalid native transaction"), "{e}");
    }
}
