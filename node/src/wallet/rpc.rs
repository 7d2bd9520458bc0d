//! A small client of the node's JSON-RPC over HTTP: the `utxo_*` methods of
//! `docs/native-transactions.md` and the few `eth_*` ones the wallet needs.
//!
//! Replies are read leniently (a quantity may be a hex or decimal string or a JSON
//! number), and a reply of the wrong shape is an error naming the method and the field.

use super::select::FeeSchedule;
use alloy_primitives::{Address, B256, Bytes, U256, hex};
use anyhow::{Context as _, anyhow, bail};
use bytom2_chainspec::FeeParams;
use bytom2_utxo::{AssetId, Coin, CoinOrigin, OutPoint, Output};
use jsonrpsee::{
    core::{
        client::{ClientT, Error as ClientError},
        params::ArrayParams,
    },
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::Value;
use std::time::Duration;

/// JSON-RPC "method not found".
const METHOD_NOT_FOUND: i32 = -32601;

/// What `utxo_getAsset` says about an asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AssetInfo {
    /// The asset id.
    pub(crate) id: AssetId,
    /// Name.
    pub(crate) name: String,
    /// Ticker symbol.
    pub(crate) symbol: String,
    /// Decimals.
    pub(crate) decimals: u8,
    /// Issuer (none for BTM).
    pub(crate) issuer: Option<Address>,
}

impl AssetInfo {
    /// BTM, known without asking.
    pub(crate) fn btm() -> Self {
        Self {
            id: AssetId::BTM,
            name: "BTM".into(),
            symbol: "BTM".into(),
            decimals: 18,
            issuer: None,
        }
    }
}

/// The node's RPC.
#[derive(Debug)]
pub(crate) struct Rpc {
    client: HttpClient,
    url: String,
}

impl Rpc {
    /// A client of the node at `url` (nothing is sent yet).
    pub(crate) fn new(url: &str) -> anyhow::Result<Self> {
        let client = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(60))
            .build(url)
            .map_err(|e| anyhow!("invalid --rpc-url {url:?}: {e}"))?;
        Ok(Self {
            client,
            url: url.to_string(),
        })
    }

    fn error(&self, method: &str, e: ClientError) -> anyhow::Error {
        match e {
            ClientError::Call(e) if e.code() == METHOD_NOT_FOUND => anyhow!(
                "the node at {} does not serve {method} (not a bytom2 node with the utxo RPC?)",
                self.url
            ),
            ClientError::Call(e) => anyhow!("{method}: {}", e.message()),
            e @ (ClientError::Transport(_)
            | ClientError::RequestTimeout
            | ClientError::RestartNeeded(_)) => {
                anyhow!("cannot reach the node at {}: {e}", self.url)
            }
            e => anyhow!("{method}: {e}"),
        }
    }

    async fn call(&self, method: &str, params: ArrayParams) -> anyhow::Result<Value> {
        self.client
            .request::<Value, _>(method, params)
            .await
            .map_err(|e| self.error(method, e))
    }

    /// `eth_chainId`.
    pub(crate) async fn chain_id(&self) -> anyhow::Result<u64> {
        let v = self.call("eth_chainId", rpc_params![]).await?;
        quantity_u64(&v).context("eth_chainId: bad reply")
    }

    /// `utxo_feeSchedule`.
    pub(crate) async fn fee_schedule(&self) -> anyhow::Result<FeeSchedule> {
        let v = self.call("utxo_feeSchedule", rpc_params![]).await?;
        parse_fee_schedule(&v).context("utxo_feeSchedule: bad reply")
    }

    /// `utxo_listUnspent(owner, asset)`, oldest first.
    pub(crate) async fn list_unspent(
        &self,
        owner: Address,
        asset: Option<AssetId>,
    ) -> anyhow::Result<Vec<(OutPoint, Coin)>> {
        let asset = asset.map(|a| a.0);
        let v = self
            .call("utxo_listUnspent", rpc_params![owner, asset])
            .await?;
        let list = v
            .as_array()
            .ok_or_else(|| anyhow!("utxo_listUnspent: bad reply: not a list"))?;
        list.iter()
            .map(parse_coin)
            .collect::<anyhow::Result<_>>()
            .context("utxo_listUnspent: bad reply")
    }

    /// `utxo_getBalances(owner)`: non-zero balances, BTM first.
    pub(crate) async fn balances(&self, owner: Address) -> anyhow::Result<Vec<(AssetId, U256)>> {
        let v = self.call("utxo_getBalances", rpc_params![owner]).await?;
        let list = v
            .as_array()
            .ok_or_else(|| anyhow!("utxo_getBalances: bad reply: not a list"))?;
        list.iter()
            .map(|b| {
                Ok((
                    AssetId(b256(field(b, "asset")?)?),
                    quantity(field(b, "balance")?)?,
                ))
            })
            .collect::<anyhow::Result<_>>()
            .context("utxo_getBalances: bad reply")
    }

    /// `utxo_getAsset(id)`; `None` for an unknown asset.
    pub(crate) async fn asset(&self, id: AssetId) -> anyhow::Result<Option<AssetInfo>> {
        let v = self.call("utxo_getAsset", rpc_params![id.0]).await?;
        if v.is_null() {
            return Ok(None);
        }
        parse_asset(&v)
            .map(Some)
            .context("utxo_getAsset: bad reply")
    }

    /// `utxo_sendRawTransaction(raw)`: the hash, or the node's reason for refusing it.
    pub(crate) async fn send_raw(&self, raw: &[u8]) -> anyhow::Result<B256> {
        let method = "utxo_sendRawTransaction";
        let raw = Bytes::copy_from_slice(raw);
        match self
            .client
            .request::<Value, _>(method, rpc_params![raw])
            .await
        {
            Ok(v) => b256(&v).context("utxo_sendRawTransaction: bad reply"),
            Err(ClientError::Call(e)) if e.code() != METHOD_NOT_FOUND => {
                Err(anyhow!("transaction rejected: {}", e.message()))
            }
            Err(e) => Err(self.error(method, e)),
        }
    }

    /// Waits until `hash` is in a block (polling `utxo_getTransaction`), for at most
    /// `timeout`; returns the block number.
    pub(crate) async fn wait_mined(&self, hash: B256, timeout: Duration) -> anyhow::Result<u64> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let tx = self.call("utxo_getTransaction", rpc_params![hash]).await?;
            if let Some(block) = tx.get("blockNumber").filter(|b| !b.is_null()) {
                return quantity_u64(block).context("utxo_getTransaction: bad blockNumber");
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "transaction {hash} is not in a block after {}s",
                    timeout.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn field<'a>(v: &'a Value, name: &str) -> anyhow::Result<&'a Value> {
    v.get(name).ok_or_else(|| anyhow!("missing field {name:?}"))
}

/// A quantity: `"0x…"` hex, a decimal string, or a JSON number.
fn quantity(v: &Value) -> anyhow::Result<U256> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(U256::from)
            .ok_or_else(|| anyhow!("{n} is not a non-negative integer")),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(h) if !h.is_empty() => U256::from_str_radix(h, 16),
            _ => U256::from_str_radix(s, 10),
        }
        .map_err(|e| anyhow!("{s:?} is not a quantity: {e}")),
        other => bail!("{other} is not a quantity"),
    }
}

fn quantity_u64(v: &Value) -> anyhow::Result<u64> {
    u64::try_from(quantity(v)?).map_err(|_| anyhow!("{v} does not fit in 64 bits"))
}

fn string(v: &Value) -> anyhow::Result<&str> {
    v.as_str().ok_or_else(|| anyhow!("{v} is not a string"))
}

fn b256(v: &Value) -> anyhow::Result<B256> {
    let s = string(v)?;
    s.parse()
        .map_err(|_| anyhow!("{s:?} is not 32 bytes of hex"))
}

fn address(v: &Value) -> anyhow::Result<Address> {
    let s = string(v)?;
    s.parse().map_err(|_| anyhow!("{s:?} is not an address"))
}

fn parse_fee_schedule(v: &Value) -> anyhow::Result<FeeSchedule> {
    let q = |name| quantity_u64(field(v, name)?).with_context(|| format!("field {name:?}"));
    Ok(FeeSchedule {
        base_fee: q("baseFeePerGas")?,
        params: FeeParams {
            native_gas_base: q("base")?,
            native_gas_per_input: q("perInput")?,
            native_gas_per_output: q("perOutput")?,
            native_gas_per_byte: q("perByte")?,
            native_gas_issuance: q("issuance")?,
            ..FeeParams::default()
        },
        min_output: quantity(field(v, "minOutputAmount")?).context("field \"minOutputAmount\"")?,
    })
}

fn parse_coin(v: &Value) -> anyhow::Result<(OutPoint, Coin)> {
    let u32_of = |name| -> anyhow::Result<u32> {
        u32::try_from(quantity_u64(field(v, name)?)?)
            .map_err(|_| anyhow!("field {name:?} does not fit in 32 bits"))
    };
    let op = OutPoint::new(b256(field(v, "tx")?)?, u32_of("index")?);
    let output = Output::new(
        AssetId(b256(field(v, "asset")?)?),
        quantity(field(v, "amount")?)?,
        address(field(v, "owner")?)?,
    );
    let origin = CoinOrigin::new(
        quantity_u64(field(v, "blockNumber")?)?,
        u32_of("txIndex")?,
        u32_of("outputIndex")?,
    );
    Ok((op, Coin::new(output, origin)))
}

fn parse_asset(v: &Value) -> anyhow::Result<AssetInfo> {
    let issuer = field(v, "issuer")?;
    Ok(AssetInfo {
        id: AssetId(b256(field(v, "assetId")?)?),
        name: string(field(v, "name")?)?.to_string(),
        symbol: string(field(v, "symbol")?)?.to_string(),
        decimals: u8::try_from(quantity_u64(field(v, "decimals")?)?)
            .map_err(|_| anyhow!("decimals above 255"))?,
        issuer: if issuer.is_null() {
            None
        } else {
            Some(address(issuer)?)
        },
    })
}

/// Parses a hex string (0x optional) into bytes; `what` names it in errors.
pub(crate) fn parse_hex(s: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| anyhow!("invalid {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_in_every_shape() {
        assert_eq!(quantity(&json!("0x10")).unwrap(), U256::from(16));
        assert_eq!(quantity(&json!("16")).unwrap(), U256::from(16));
        assert_eq!(quantity(&json!(16)).unwrap(), U256::from(16));
        assert!(quantity(&json!("0x")).is_err());
        assert!(quantity(&json!(-1)).is_err());
        assert!(quantity(&json!(null)).is_err());
        assert!(quantity_u64(&json!(format!("{:#x}", U256::MAX))).is_err());
    }

    #[test]
    fn coin_and_asset_and_fee_schedule_replies() {
        let tx = B256::repeat_byte(1);
        let (op, c) = parse_coin(&json!({
            "tx": tx, "index": "0x3", "asset": B256::ZERO, "amount": "0xde0b6b3a7640000",
            "owner": Address::repeat_byte(2), "blockNumber": "0x5", "txIndex": "0xffffffff",
            "outputIndex": "0x1"
        }))
        .unwrap();
        assert_eq!(op, OutPoint::new(tx, 3));
        assert_eq!(c.output.amount, U256::from(10u64.pow(18)));
        assert_eq!(c.origin, CoinOrigin::new(5, u32::MAX, 1));
        let e = parse_coin(&json!({"tx": tx})).unwrap_err().to_string();
        assert!(e.contains("index"), "{e}");

        let a = parse_asset(&json!({
            "assetId": B256::ZERO, "token": null, "name": "BTM", "symbol": "BTM",
            "decimals": "0x12", "issuer": null, "data": "0x", "supply": "0x1"
        }))
        .unwrap();
        assert_eq!(a, AssetInfo::btm());

        let f = parse_fee_schedule(&json!({
            "baseFeePerGas": "0x3b9aca00", "base": "0x2328", "perInput": "0xfa0",
            "perOutput": "0xfa0", "perByte": "0x10", "issuance": "0x61a8",
            "minOutputAmount": "0x1"
        }))
        .unwrap();
        assert_eq!(f.base_fee, 1_000_000_000);
        assert_eq!(
            f.params.native_gas(1, 2, 100, true),
            9000 + 4000 * 3 + 1600 + 25000
        );
        assert!(
            parse_fee_schedule(&json!({}))
                .unwrap_err()
                .to_string()
                .contains("baseFeePerGas")
        );
    }
}
