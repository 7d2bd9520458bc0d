//! Native UTXO transfers (EIP-2718 type `0x62`, docs/native-transactions.md) for the
//! "native vs Ethereum transfers on bytom2" phase (issue #5).
//!
//! Transactions are built and signed with `bytom2_utxo::native::NativeTx`.

use crate::load;
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use bytom2_utxo::{AssetId, OutPoint, Output, native::NativeTx};
use jsonrpsee::{
    core::{client::ClientT, params::BatchRequestBuilder},
    http_client::HttpClient,
    rpc_params,
};
use serde_json::Value;
use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

/// BTM's asset id.
pub(crate) const BTM: B256 = B256::ZERO;
/// Most outputs a native transaction may have.
pub(crate) const MAX_OUTPUTS: usize = 256;

/// A BTM-only native transaction without issuance.
#[derive(Debug, Clone)]
pub(crate) struct NativeTransfer {
    pub(crate) chain_id: u64,
    /// Outpoints spent: (creating transaction, index).
    pub(crate) inputs: Vec<(B256, u32)>,
    /// BTM outputs: (owner, amount).
    pub(crate) outputs: Vec<(Address, U256)>,
}

impl NativeTransfer {
    fn tx(&self) -> NativeTx {
        NativeTx {
            chain_id: self.chain_id,
            inputs: self
                .inputs
                .iter()
                .map(|(tx, i)| OutPoint::new(*tx, *i))
                .collect(),
            outputs: self
                .outputs
                .iter()
                .map(|(owner, amount)| Output::new(AssetId::BTM, *amount, *owner))
                .collect(),
            issuance: None,
            signatures: Vec::new(),
        }
    }

    /// The signed envelope (one signer: every input belongs to `key`).
    pub(crate) fn sign(&self, key: &PrivateKeySigner) -> Bytes {
        let mut tx = self.tx();
        let sig = key.sign_hash_sync(&tx.sighash()).expect("signing works");
        tx.signatures.push(sig);
        tx.encoded_2718().into()
    }
}

/// `utxo_feeSchedule`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FeeSchedule {
    pub(crate) base_fee: U256,
    pub(crate) base: u64,
    pub(crate) per_input: u64,
    pub(crate) per_output: u64,
    pub(crate) per_byte: u64,
    pub(crate) min_output: U256,
}

fn u256(v: &Value) -> anyhow::Result<U256> {
    let s = v.as_str().context("expected a hex quantity")?;
    Ok(U256::from_str_radix(s.trim_start_matches("0x"), 16)?)
}

impl FeeSchedule {
    pub(crate) async fn fetch(client: &HttpClient) -> anyhow::Result<Self> {
        let v: Value = client.request("utxo_feeSchedule", rpc_params![]).await?;
        Ok(Self {
            base_fee: u256(&v["baseFeePerGas"])?,
            base: load::quantity(&v["base"])?,
            per_input: load::quantity(&v["perInput"])?,
            per_output: load::quantity(&v["perOutput"])?,
            per_byte: load::quantity(&v["perByte"])?,
            min_output: u256(&v["minOutputAmount"])?,
        })
    }

    /// Native gas of a transaction of this shape and envelope size.
    pub(crate) fn gas(&self, inputs: usize, outputs: usize, bytes: usize) -> u64 {
        self.base
            + inputs as u64 * self.per_input
            + outputs as u64 * self.per_output
            + bytes as u64 * self.per_byte
    }

    /// The fee paid: native gas × max(base fee, 1 gwei) × 2 (headroom for base fee rises).
    pub(crate) fn fee(&self, gas: u64) -> U256 {
        U256::from(gas) * self.base_fee.max(U256::from(1_000_000_000u64)) * U256::from(2)
    }
}

/// One unspent BTM output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coin {
    pub(crate) tx: B256,
    pub(crate) index: u32,
    pub(crate) amount: U256,
}

/// Unspent BTM outputs of every address (`utxo_listUnspent`, batched), oldest first.
pub(crate) async fn list_unspent(
    client: &HttpClient,
    addrs: &[Address],
) -> anyhow::Result<Vec<Vec<Coin>>> {
    let mut out = Vec::with_capacity(addrs.len());
    for chunk in addrs.chunks(50) {
        let mut batch = BatchRequestBuilder::new();
        for a in chunk {
            batch.insert("utxo_listUnspent", rpc_params![a, BTM])?;
        }
        let res = client.batch_request::<Value>(batch).await?;
        for r in res.into_iter() {
            let coins = r.map_err(|e| anyhow::anyhow!("utxo_listUnspent: {e:?}"))?;
            let mut v = Vec::new();
            for c in coins.as_array().context("utxo_listUnspent: not a list")? {
                v.push(Coin {
                    tx: serde_json::from_value(c["tx"].clone())?,
                    index: load::quantity(&c["index"])? as u32,
                    amount: u256(&c["amount"])?,
                });
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// A transfer spending `input` (owned by `key`): `amount` to `to`, the rest minus the fee
/// back to `key`. Returns the raw envelope and its native gas.
pub(crate) fn transfer(
    key: &PrivateKeySigner,
    chain_id: u64,
    input: Coin,
    outputs: &[(Address, U256)],
    fees: &FeeSchedule,
) -> anyhow::Result<(Bytes, u64)> {
    let spent: U256 = outputs.iter().map(|(_, a)| *a).sum();
    let mut tx = NativeTransfer {
        chain_id,
        inputs: vec![(input.tx, input.index)],
        outputs: outputs.to_vec(),
    };
    // Size with a change output of the largest plausible encoding, then the real fee.
    tx.outputs.push((key.address(), input.amount));
    let size = tx.sign(key).len();
    let gas = fees.gas(1, tx.outputs.len(), size);
    let fee = fees.fee(gas);
    let change = input
        .amount
        .checked_sub(spent + fee)
        .filter(|c| *c >= fees.min_output)
        .with_context(|| {
            format!(
                "coin of {} cannot pay {spent} and a fee of {fee} with change",
                input.amount
            )
        })?;
    tx.outputs.last_mut().expect("change output").1 = change;
    let raw = tx.sign(key);
    Ok((raw, gas))
}

/// Waits until every hash in `hashes` is in a block after `from` (watching new blocks);
/// returns how many of them each block that had some included.
pub(crate) async fn wait_included(
    client: &HttpClient,
    hashes: &[B256],
    from: u64,
    timeout: Duration,
) -> anyhow::Result<Vec<usize>> {
    let mut pending: HashSet<B256> = hashes.iter().copied().collect();
    let deadline = Instant::now() + timeout;
    let mut next = from + 1;
    let mut per_block = Vec::new();
    while !pending.is_empty() {
        let head = load::block_number(client).await?;
        while next <= head {
            let mut ours = 0usize;
            for h in load::block_tx_hashes(client, next).await? {
                if let Ok(h) = h.parse::<B256>()
                    && pending.remove(&h)
                {
                    ours += 1;
                }
            }
            if ours > 0 {
                per_block.push(ours);
            }
            next += 1;
        }
        if pending.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "{} native transactions not included within {timeout:?}",
                pending.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(per_block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytom2_utxo::native::{NATIVE_TX_TYPE, RecoveredNative};

    #[test]
    fn envelope_is_type_0x62_and_recovers_to_the_key() {
        let key = PrivateKeySigner::random();
        let tx = NativeTransfer {
            chain_id: 19000,
            inputs: vec![(B256::repeat_byte(1), 3)],
            outputs: vec![(Address::repeat_byte(9), U256::from(5))],
        };
        let raw = tx.sign(&key);
        assert_eq!(raw[0], NATIVE_TX_TYPE);
        let back = RecoveredNative::decode(&raw).unwrap();
        assert_eq!(back.signers, vec![key.address()]);
    }
}
