//! The `eth` namespace: chain, blocks, transactions, receipts, state reads and
//! transaction submission.

use crate::{
    backend::BlockData,
    convert::{
        RpcReceipt, RpcTransaction, pending_transaction, rpc_block, rpc_receipt, rpc_receipts,
        rpc_transaction,
    },
    ctx::{BlockJson, EthCtx},
    error::{RpcResult, internal, server_error},
};
use alloy_consensus::TxEnvelope;
use alloy_eips::{BlockId, BlockNumberOrTag, eip2718::Decodable2718, eip2718::Eip2718Error};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_rpc_types_eth::Index;
use bytom2_utxo::{AssetId, StateView};
use jsonrpsee::proc_macros::rpc;
use serde_json::value::RawValue;
use std::sync::Arc;

/// `eth_*` methods over blocks, transactions and state.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthRpc {
    /// `eth_chainId`.
    #[method(name = "chainId")]
    fn chain_id(&self) -> RpcResult<U64>;

    /// `eth_syncing`: `false` while the node follows the chain; while it catches up
    /// with its peers, geth's object `{startingBlock, currentBlock, highestBlock}`.
    #[method(name = "syncing")]
    fn syncing(&self) -> RpcResult<serde_json::Value>;

    /// `eth_accounts`: the development accounts on a development node, else `[]` (the
    /// node holds no keys).
    #[method(name = "accounts")]
    fn accounts(&self) -> RpcResult<Vec<Address>>;

    /// `eth_blockNumber`.
    #[method(name = "blockNumber")]
    fn block_number(&self) -> RpcResult<U64>;

    /// `eth_getBlockByNumber`.
    #[method(name = "getBlockByNumber", blocking)]
    fn block_by_number(
        &self,
        tag: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Arc<RawValue>>>;

    /// `eth_getBlockByHash`.
    #[method(name = "getBlockByHash", blocking)]
    fn block_by_hash(&self, hash: B256, full: Option<bool>) -> RpcResult<Option<Arc<RawValue>>>;

    /// `eth_getBlockTransactionCountByNumber`.
    #[method(name = "getBlockTransactionCountByNumber", blocking)]
    fn tx_count_by_number(&self, tag: BlockNumberOrTag) -> RpcResult<Option<U64>>;

    /// `eth_getBlockTransactionCountByHash`.
    #[method(name = "getBlockTransactionCountByHash", blocking)]
    fn tx_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;

    /// `eth_getUncleCountByBlockNumber`: `0x0` (no uncles), `null` for no block.
    #[method(name = "getUncleCountByBlockNumber", blocking)]
    fn uncle_count_by_number(&self, tag: BlockNumberOrTag) -> RpcResult<Option<U64>>;

    /// `eth_getUncleCountByBlockHash`.
    #[method(name = "getUncleCountByBlockHash", blocking)]
    fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>>;

    /// `eth_getTransactionByHash`: committed, else from the mempool (block fields null).
    #[method(name = "getTransactionByHash", blocking)]
    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>>;

    /// `eth_getTransactionByBlockNumberAndIndex`.
    #[method(name = "getTransactionByBlockNumberAndIndex", blocking)]
    fn transaction_by_number_and_index(
        &self,
        tag: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>>;

    /// `eth_getTransactionByBlockHashAndIndex`.
    #[method(name = "getTransactionByBlockHashAndIndex", blocking)]
    fn transaction_by_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>>;

    /// `eth_getTransactionReceipt`: `null` until mined.
    #[method(name = "getTransactionReceipt", blocking)]
    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>>;

    /// `eth_getBlockReceipts`.
    #[method(name = "getBlockReceipts", blocking)]
    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Arc<RawValue>>>;

    /// `eth_getBalance`: the sum of the address's BTM outputs at that block.
    #[method(name = "getBalance")]
    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256>;

    /// `eth_getCode`.
    #[method(name = "getCode")]
    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes>;

    /// `eth_getStorageAt`.
    #[method(name = "getStorageAt")]
    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256>;

    /// `eth_getTransactionCount`: `pending` counts the sender's contiguous mempool
    /// transactions.
    #[method(name = "getTransactionCount")]
    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64>;

    /// `eth_sendRawTransaction`.
    #[method(name = "sendRawTransaction")]
    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256>;
}

/// Implementation of [`EthRpcServer`].
#[derive(Debug)]
pub(crate) struct EthApi {
    ctx: EthCtx,
}

impl EthApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }

    /// The block as `eth_getBlockBy*` answers it, shared between requests.
    fn block_json(&self, block: &BlockData, full: bool) -> RpcResult<Arc<RawValue>> {
        let kind = if full {
            BlockJson::Full
        } else {
            BlockJson::Hashes
        };
        self.ctx.block_json(block, kind, || rpc_block(block, full))
    }

    fn block_of(&self, id: BlockId) -> RpcResult<Option<Arc<BlockData>>> {
        match id {
            BlockId::Number(tag) => self.ctx.block_by_tag(tag),
            BlockId::Hash(h) => self.ctx.block_by_hash(h.block_hash),
        }
    }
}

impl EthRpcServer for EthApi {
    fn chain_id(&self) -> RpcResult<U64> {
        Ok(U64::from(self.ctx.chain_id))
    }

    fn syncing(&self) -> RpcResult<serde_json::Value> {
        Ok(match self.ctx.backend.sync_status() {
            None => serde_json::Value::Bool(false),
            Some((starting, current, highest)) => serde_json::json!({
                "startingBlock": U64::from(starting),
                "currentBlock": U64::from(current),
                "highestBlock": U64::from(highest),
            }),
        })
    }

    fn accounts(&self) -> RpcResult<Vec<Address>> {
        Ok(self
            .ctx
            .backend
            .dev()
            .map(|d| d.accounts())
            .unwrap_or_default())
    }

    fn block_number(&self) -> RpcResult<U64> {
        Ok(U64::from(self.ctx.backend.latest_number()))
    }

    fn block_by_number(
        &self,
        tag: BlockNumberOrTag,
        full: Option<bool>,
    ) -> RpcResult<Option<Arc<RawValue>>> {
        self.ctx
            .block_by_tag(tag)?
            .map(|b| self.block_json(&b, full.unwrap_or(false)))
            .transpose()
    }

    fn block_by_hash(&self, hash: B256, full: Option<bool>) -> RpcResult<Option<Arc<RawValue>>> {
        self.ctx
            .block_by_hash(hash)?
            .map(|b| self.block_json(&b, full.unwrap_or(false)))
            .transpose()
    }

    fn tx_count_by_number(&self, tag: BlockNumberOrTag) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .block_by_tag(tag)?
            .map(|b| U64::from(b.transactions.len())))
    }

    fn tx_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        Ok(self
            .ctx
            .block_by_hash(hash)?
            .map(|b| U64::from(b.transactions.len())))
    }

    fn uncle_count_by_number(&self, tag: BlockNumberOrTag) -> RpcResult<Option<U64>> {
        Ok(self.ctx.block_by_tag(tag)?.map(|_| U64::ZERO))
    }

    fn uncle_count_by_hash(&self, hash: B256) -> RpcResult<Option<U64>> {
        Ok(self.ctx.block_by_hash(hash)?.map(|_| U64::ZERO))
    }

    fn transaction_by_hash(&self, hash: B256) -> RpcResult<Option<RpcTransaction>> {
        let backend = &self.ctx.backend;
        if let Some((number, index)) = backend.transaction_location(hash).map_err(internal)?
            && let Some(block) = self.ctx.block(number)?
        {
            return Ok(rpc_transaction(&block, index as usize));
        }
        Ok(backend
            .pool_transaction(hash)
            .map(|t| pending_transaction(&t)))
    }

    fn transaction_by_number_and_index(
        &self,
        tag: BlockNumberOrTag,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .block_by_tag(tag)?
            .and_then(|b| rpc_transaction(&b, index.0)))
    }

    fn transaction_by_hash_and_index(
        &self,
        hash: B256,
        index: Index,
    ) -> RpcResult<Option<RpcTransaction>> {
        Ok(self
            .ctx
            .block_by_hash(hash)?
            .and_then(|b| rpc_transaction(&b, index.0)))
    }

    fn transaction_receipt(&self, hash: B256) -> RpcResult<Option<RpcReceipt>> {
        let Some((number, index)) = self
            .ctx
            .backend
            .transaction_location(hash)
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let Some(block) = self.ctx.block(number)? else {
            return Ok(None);
        };
        Ok(rpc_receipt(&block, index as usize))
    }

    fn block_receipts(&self, block: BlockId) -> RpcResult<Option<Arc<RawValue>>> {
        self.block_of(block)?
            .map(|b| {
                self.ctx
                    .block_json(&b, BlockJson::Receipts, || rpc_receipts(&b))
            })
            .transpose()
    }

    fn balance(&self, address: Address, block: Option<BlockId>) -> RpcResult<U256> {
        let n = self.ctx.state_block(block)?;
        let state = self.ctx.state_at(n)?;
        state.balance(address, AssetId::BTM).map_err(internal)
    }

    fn code(&self, address: Address, block: Option<BlockId>) -> RpcResult<Bytes> {
        let n = self.ctx.state_block(block)?;
        let state = self.ctx.state_at(n)?;
        let Some(account) = state.account(address).map_err(internal)? else {
            return Ok(Bytes::new());
        };
        if !account.has_code() {
            return Ok(Bytes::new());
        }
        Ok(state
            .code(account.code_hash)
            .map_err(internal)?
            .unwrap_or_default())
    }

    fn storage_at(&self, address: Address, slot: U256, block: Option<BlockId>) -> RpcResult<B256> {
        let n = self.ctx.state_block(block)?;
        let state = self.ctx.state_at(n)?;
        let value = state.storage(address, slot).map_err(internal)?;
        Ok(B256::from(value))
    }

    fn transaction_count(&self, address: Address, block: Option<BlockId>) -> RpcResult<U64> {
        if matches!(block, Some(BlockId::Number(BlockNumberOrTag::Pending))) {
            let nonce = self.ctx.backend.pending_nonce(address).map_err(internal)?;
            return Ok(U64::from(nonce));
        }
        let n = self.ctx.state_block(block)?;
        let state = self.ctx.state_at(n)?;
        let nonce = state
            .account(address)
            .map_err(internal)?
            .map_or(0, |a| a.nonce);
        Ok(U64::from(nonce))
    }

    fn send_raw_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        send_raw(&self.ctx, raw)
    }
}

/// Submits an EIP-2718 envelope of either kind to the backend; answers its hash.
pub(crate) fn send_raw(ctx: &EthCtx, raw: Bytes) -> RpcResult<B256> {
    // Native transactions are decoded (and their errors worded) by the backend.
    if raw.first() != Some(&bytom2_utxo::native::NATIVE_TX_TYPE) {
        decode_raw_transaction(&raw)?;
    }
    // The exact envelope decoded, so its keccak is the transaction hash.
    let hash = keccak256(&raw);
    let accepted = ctx
        .backend
        .send_raw_transaction(raw)
        .map_err(|e| server_error(e.message))?;
    if accepted != hash {
        tracing::warn!(target: "rpc::eth", %hash, %accepted, "backend answered another hash");
    }
    Ok(hash)
}

/// Decodes an EIP-2718 envelope, with geth's messages for what does not decode.
pub(crate) fn decode_raw_transaction(raw: &[u8]) -> RpcResult<TxEnvelope> {
    if raw.is_empty() {
        return Err(server_error("typed transaction too short"));
    }
    TxEnvelope::decode_2718_exact(raw).map_err(|e| match e {
        Eip2718Error::UnexpectedType(_) => server_error("transaction type not supported"),
        Eip2718Error::RlpError(e) => server_error(format!("rlp: {e}")),
        other => server_error(format!("rlp: {other}")),
    })
}
