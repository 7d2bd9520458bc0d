//! The `utxo` namespace: the UTXO ledger and native assets (docs/native-transactions.md).

use crate::{
    convert::{OutputJson, effective_gas_price_at, gas_used_at, issuance_json},
    ctx::EthCtx,
    error::{internal, invalid_params, server_error},
    eth::send_raw,
};
use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, U64, U256};
use bytom2_evm_adapter::BlockTx;
use bytom2_utxo::{
    AssetId, Coin, OutPoint, Settlement, StateView, Supply,
    native::{
        NATIVE_TX_TYPE,
        assets::{read_definition, token_address},
    },
};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use serde::{Deserialize, Serialize};

/// An unspent (or spent) output with where it was created.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CoinJson {
    /// Creating transaction, settlement or genesis id.
    pub tx: B256,
    /// Index there.
    pub index: U64,
    /// Asset.
    pub asset: B256,
    /// Base units.
    pub amount: U256,
    /// Owner.
    pub owner: Address,
    /// Block it was created in.
    pub block_number: U64,
    /// Transaction index there (`0xffffffff`: the block's settlement).
    pub tx_index: U64,
    /// Output index.
    pub output_index: U64,
}

impl CoinJson {
    fn new(op: &OutPoint, coin: &Coin) -> Self {
        Self {
            tx: op.tx,
            index: U64::from(op.index),
            asset: coin.output.asset.0,
            amount: coin.output.amount,
            owner: coin.output.owner,
            block_number: U64::from(coin.origin.block),
            tx_index: U64::from(coin.origin.tx),
            output_index: U64::from(coin.origin.index),
        }
    }
}

/// An outpoint parameter: `{"tx", "index"}` or `"0x…:n"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OutPointParam {
    /// `{"tx": "0x…", "index": "0x3"}` (index as a hex quantity or a number).
    Object {
        /// Creating id.
        tx: B256,
        /// Index (hex quantity or number).
        index: serde_json::Value,
    },
    /// `"0x…:3"`.
    Text(String),
}

impl OutPointParam {
    fn parse(&self) -> RpcResult<OutPoint> {
        let bad = || invalid_params("invalid outpoint: expected {\"tx\", \"index\"} or \"0x…:n\"");
        match self {
            Self::Object { tx, index } => {
                let index = crate::ctx::parse_quantity(index).map_err(|_| bad())?;
                Ok(OutPoint::new(*tx, u32::try_from(index).map_err(|_| bad())?))
            }
            Self::Text(s) => {
                let (tx, index) = s.rsplit_once(':').ok_or_else(bad)?;
                let tx: B256 = tx.parse().map_err(|_| bad())?;
                let index: u32 = index.parse().map_err(|_| bad())?;
                Ok(OutPoint::new(tx, index))
            }
        }
    }
}

/// One asset's balance.
#[derive(Debug, Clone, Serialize)]
pub struct BalanceJson {
    /// Asset id.
    pub asset: B256,
    /// Sum of the owner's outputs.
    pub balance: U256,
}

/// Supply counters and total.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplyJson {
    /// Genesis allocation.
    pub genesis: U256,
    /// Issued since.
    pub issued: U256,
    /// Staking rewards.
    pub rewards: U256,
    /// Burned.
    pub burned: U256,
    /// Added by development-node balance edits (`anvil_setBalance`).
    pub adjusted_in: U256,
    /// Removed by development-node balance edits.
    pub adjusted_out: U256,
    /// `genesis + issued + rewards + adjustedIn - burned - adjustedOut`.
    pub total: U256,
}

impl From<Supply> for SupplyJson {
    fn from(s: Supply) -> Self {
        Self {
            genesis: s.genesis,
            issued: s.issued,
            rewards: s.rewards,
            burned: s.burned,
            adjusted_in: s.adjusted_in,
            adjusted_out: s.adjusted_out,
            total: s.total(),
        }
    }
}

/// An asset: definition, token address, supply.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetJson {
    /// Asset id.
    pub asset_id: B256,
    /// ERC-20 address (`null` for BTM).
    pub token: Option<Address>,
    /// Name.
    pub name: String,
    /// Symbol.
    pub symbol: String,
    /// Decimals.
    pub decimals: u8,
    /// Issuer (`null` for BTM).
    pub issuer: Option<Address>,
    /// Free-form data.
    pub data: Bytes,
    /// Supply.
    pub supply: SupplyJson,
}

/// What settlement spent and created in a block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementJson {
    /// The block.
    pub block_number: U64,
    /// The settlement id.
    pub id: B256,
    /// Spent outputs.
    pub spent: Vec<CoinJson>,
    /// Created outputs.
    pub created: Vec<CoinJson>,
}

/// The native gas schedule with the next block's base fee.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeeScheduleJson {
    /// Base fee of the next block.
    pub base_fee_per_gas: U256,
    /// Gas of every native transaction.
    pub base: U64,
    /// Per input.
    pub per_input: U64,
    /// Per output.
    pub per_output: U64,
    /// Per envelope byte.
    pub per_byte: U64,
    /// Per issuance.
    pub issuance: U64,
    /// Dust limit of BTM outputs.
    pub min_output_amount: U256,
}

/// `utxo_*` methods.
#[rpc(server, namespace = "utxo")]
pub(crate) trait UtxoApi {
    /// Unspent outputs of `address` (one asset, or all), oldest first.
    #[method(name = "listUnspent", blocking)]
    fn list_unspent(
        &self,
        address: Address,
        asset: Option<B256>,
        block: Option<BlockId>,
    ) -> RpcResult<Vec<CoinJson>>;

    /// One unspent output.
    #[method(name = "getOutput", blocking)]
    fn get_output(&self, outpoint: OutPointParam) -> RpcResult<Option<CoinJson>>;

    /// Balances of `address` in every asset.
    #[method(name = "getBalances", blocking)]
    fn get_balances(&self, address: Address, block: Option<BlockId>)
    -> RpcResult<Vec<BalanceJson>>;

    /// Submits a native (or Ethereum) transaction.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;

    /// A native transaction with its spent coins.
    #[method(name = "getTransaction", blocking)]
    fn get_transaction(&self, hash: B256) -> RpcResult<Option<serde_json::Value>>;

    /// What a block's settlement spent and created.
    #[method(name = "getBlockSettlement", blocking)]
    fn get_block_settlement(&self, block: BlockId) -> RpcResult<Option<SettlementJson>>;

    /// An asset.
    #[method(name = "getAsset", blocking)]
    fn get_asset(&self, asset: B256) -> RpcResult<Option<AssetJson>>;

    /// Every asset, BTM first.
    #[method(name = "listAssets", blocking)]
    fn list_assets(&self) -> RpcResult<Vec<AssetJson>>;

    /// Supply of an asset (BTM by default).
    #[method(name = "supply", blocking)]
    fn supply(&self, asset: Option<B256>) -> RpcResult<SupplyJson>;

    /// The native gas schedule and the next base fee.
    #[method(name = "feeSchedule")]
    fn fee_schedule(&self) -> RpcResult<FeeScheduleJson>;
}

/// The `utxo` namespace over the shared context.
#[derive(Debug, Clone)]
pub(crate) struct UtxoApi {
    ctx: EthCtx,
}

impl UtxoApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }

    fn asset_json(&self, state: &dyn StateView, asset: AssetId) -> RpcResult<Option<AssetJson>> {
        let supply = state.supply(asset).map_err(internal)?.into();
        if asset.is_btm() {
            return Ok(Some(AssetJson {
                asset_id: asset.0,
                token: None,
                name: "BTM".into(),
                symbol: "BTM".into(),
                decimals: 18,
                issuer: None,
                data: Bytes::new(),
                supply,
            }));
        }
        let Some(def) = read_definition(state, asset).map_err(internal)? else {
            return Ok(None);
        };
        Ok(Some(AssetJson {
            asset_id: asset.0,
            token: Some(token_address(asset)),
            name: def.name,
            symbol: def.symbol,
            decimals: def.decimals,
            issuer: Some(def.issuer),
            data: def.data,
            supply,
        }))
    }

    fn assets(&self) -> RpcResult<Vec<AssetId>> {
        let mut assets = vec![AssetId::BTM];
        assets.extend(self.ctx.backend.list_assets().map_err(internal)?);
        Ok(assets)
    }
}

impl UtxoApiServer for UtxoApi {
    fn list_unspent(
        &self,
        address: Address,
        asset: Option<B256>,
        block: Option<BlockId>,
    ) -> RpcResult<Vec<CoinJson>> {
        let n = self.ctx.state_block(block)?;
        if n != self.ctx.backend.latest_number() {
            return Err(server_error(
                "utxo_listUnspent reads the latest block only (the output index keeps no history)",
            ));
        }
        let state = self.ctx.state_at(n)?;
        let assets = match asset {
            Some(a) => vec![AssetId(a)],
            None => self.assets()?,
        };
        let mut out = Vec::new();
        for asset in assets {
            state
                .for_each_coin(address, asset, &mut |op, coin| {
                    out.push(CoinJson::new(op, coin));
                    true
                })
                .map_err(internal)?;
        }
        Ok(out)
    }

    fn get_output(&self, outpoint: OutPointParam) -> RpcResult<Option<CoinJson>> {
        let op = outpoint.parse()?;
        let state = self.ctx.state_at(self.ctx.backend.latest_number())?;
        Ok(state
            .coin(&op)
            .map_err(internal)?
            .map(|c| CoinJson::new(&op, &c)))
    }

    fn get_balances(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> RpcResult<Vec<BalanceJson>> {
        let n = self.ctx.state_block(block)?;
        let state = self.ctx.state_at(n)?;
        let mut out = Vec::new();
        for asset in self.assets()? {
            let balance = state.balance(address, asset).map_err(internal)?;
            if !balance.is_zero() {
                out.push(BalanceJson {
                    asset: asset.0,
                    balance,
                });
            }
        }
        Ok(out)
    }

    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        send_raw(&self.ctx, raw)
    }

    fn get_transaction(&self, hash: B256) -> RpcResult<Option<serde_json::Value>> {
        let backend = &self.ctx.backend;
        let (tx, location) = match backend.transaction_location(hash).map_err(internal)? {
            Some((number, index)) => {
                let Some(block) = self.ctx.block(number)? else {
                    return Ok(None);
                };
                match block.transactions.get(index as usize) {
                    Some(BlockTx::Native(t)) => (t.clone(), Some((block, number, index as usize))),
                    _ => return Ok(None),
                }
            }
            None => match backend.pool_transaction(hash) {
                Some(BlockTx::Native(t)) => (t, None),
                _ => return Ok(None),
            },
        };
        // The coins spent, as they were before the transaction's block.
        let before = match &location {
            Some((_, number, _)) => number.saturating_sub(1),
            None => backend.latest_number(),
        };
        let state = self.ctx.state_at(before)?;
        let mut inputs = Vec::with_capacity(tx.tx.inputs.len());
        for op in &tx.tx.inputs {
            let coin = state.coin(op).map_err(internal)?;
            inputs.push(match coin {
                Some(c) => serde_json::to_value(CoinJson::new(op, &c)).map_err(internal)?,
                None => serde_json::json!({"tx": op.tx, "index": U64::from(op.index)}),
            });
        }
        let outputs: Vec<serde_json::Value> = tx
            .tx
            .outputs
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let mut v = serde_json::to_value(OutputJson::from(o)).unwrap_or_default();
                v["tx"] = serde_json::json!(tx.hash);
                v["index"] = serde_json::json!(U64::from(i));
                if let Some((_, number, index)) = &location {
                    v["blockNumber"] = serde_json::json!(U64::from(*number));
                    v["txIndex"] = serde_json::json!(U64::from(*index));
                    v["outputIndex"] = serde_json::json!(U64::from(i));
                }
                v
            })
            .collect();
        let mut json = serde_json::json!({
            "hash": tx.hash,
            "type": U64::from(NATIVE_TX_TYPE),
            "chainId": U64::from(tx.tx.chain_id),
            "inputs": inputs,
            "outputs": outputs,
            "issuance": issuance_json(&tx),
            "signers": tx.signers,
            "blockNumber": null,
            "blockHash": null,
            "transactionIndex": null,
        });
        if let Some((block, number, index)) = location {
            let gas = gas_used_at(&block, index);
            let fee = block.receipts.get(index).and_then(|r| r.native_fee);
            json["blockNumber"] = serde_json::json!(U64::from(number));
            json["blockHash"] = serde_json::json!(block.hash);
            json["transactionIndex"] = serde_json::json!(U64::from(index));
            json["gasUsed"] = serde_json::json!(U64::from(gas));
            json["fee"] = serde_json::json!(fee);
            json["effectiveGasPrice"] =
                serde_json::json!(U256::from(effective_gas_price_at(&block, index)));
        }
        Ok(Some(json))
    }

    fn get_block_settlement(&self, block: BlockId) -> RpcResult<Option<SettlementJson>> {
        let number = match block {
            BlockId::Number(tag) => self.ctx.tag_number(tag),
            BlockId::Hash(h) => match self
                .ctx
                .backend
                .block_number_by_hash(h.block_hash)
                .map_err(internal)?
            {
                Some(n) => n,
                None => return Ok(None),
            },
        };
        let Some(Settlement { id, spent, created }) = self
            .ctx
            .backend
            .block_settlement(number)
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let coins = |v: &[(OutPoint, Coin)]| v.iter().map(|(op, c)| CoinJson::new(op, c)).collect();
        Ok(Some(SettlementJson {
            block_number: U64::from(number),
            id,
            spent: coins(&spent),
            created: coins(&created),
        }))
    }

    fn get_asset(&self, asset: B256) -> RpcResult<Option<AssetJson>> {
        let state = self.ctx.state_at(self.ctx.backend.latest_number())?;
        self.asset_json(state.as_ref(), AssetId(asset))
    }

    fn list_assets(&self) -> RpcResult<Vec<AssetJson>> {
        let state = self.ctx.state_at(self.ctx.backend.latest_number())?;
        let mut out = Vec::new();
        for asset in self.assets()? {
            if let Some(a) = self.asset_json(state.as_ref(), asset)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    fn supply(&self, asset: Option<B256>) -> RpcResult<SupplyJson> {
        let state = self.ctx.state_at(self.ctx.backend.latest_number())?;
        let asset = AssetId(asset.unwrap_or_default());
        Ok(state.supply(asset).map_err(internal)?.into())
    }

    fn fee_schedule(&self) -> RpcResult<FeeScheduleJson> {
        let s = self.ctx.backend.native_fee_schedule();
        Ok(FeeScheduleJson {
            base_fee_per_gas: U256::from(self.ctx.backend.next_base_fee()),
            base: U64::from(s.base),
            per_input: U64::from(s.per_input),
            per_output: U64::from(s.per_output),
            per_byte: U64::from(s.per_byte),
            issuance: U64::from(s.issuance),
            min_output_amount: s.min_output_amount,
        })
    }
}
