//! Stored blocks, transactions and receipts as the JSON shapes of
//! `alloy-rpc-types-eth` (what alloy, viem, ethers and web3.py parse).

use crate::backend::BlockData;
use alloy_consensus::{
    Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction as _, transaction::Recovered,
};
use alloy_eips::eip4895::Withdrawals;
use alloy_primitives::{Address, B256, Bloom, Bytes, Log as PrimitiveLog, U64, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, Transaction, TransactionReceipt};
use bytom2_evm_adapter::{BlockTx, RecoveredTx};
use bytom2_utxo::{
    OutPoint, Output,
    native::{NATIVE_TX_TYPE, RecoveredNative},
};
use serde::Serialize;

/// A transaction as JSON: Ethereum's shape, or a native transaction in an
/// Ethereum-compatible shape (docs/native-transactions.md, "In `eth_*`").
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RpcTransaction {
    /// An Ethereum transaction.
    Eth(Box<Transaction>),
    /// A native transaction.
    Native(Box<NativeTransactionJson>),
}

/// A receipt as JSON, of either kind.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RpcReceipt {
    /// An Ethereum transaction's receipt.
    Eth(Box<TransactionReceipt>),
    /// A native transaction's receipt.
    Native(Box<NativeReceiptJson>),
}

/// An outpoint as JSON.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OutPointJson {
    /// Creating transaction (or settlement, genesis).
    pub tx: B256,
    /// Index there.
    pub index: U64,
}

impl From<OutPoint> for OutPointJson {
    fn from(op: OutPoint) -> Self {
        Self {
            tx: op.tx,
            index: U64::from(op.index),
        }
    }
}

/// An output as JSON.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct OutputJson {
    /// Asset id.
    pub asset: B256,
    /// Base units.
    pub amount: U256,
    /// Owner.
    pub owner: Address,
}

impl From<&Output> for OutputJson {
    fn from(o: &Output) -> Self {
        Self {
            asset: o.asset.0,
            amount: o.amount,
            owner: o.owner,
        }
    }
}

/// A native transaction in Ethereum's transaction shape, plus its own fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeTransactionJson {
    /// Hash.
    pub hash: B256,
    /// `0x62`.
    #[serde(rename = "type")]
    pub ty: U64,
    /// Chain id.
    pub chain_id: U64,
    /// The first signer.
    pub from: Address,
    /// The owner of the first output not owned by `from` (or `from`).
    pub to: Address,
    /// BTM paid to addresses other than `from`.
    pub value: U256,
    /// Always zero.
    pub nonce: U64,
    /// Native gas.
    pub gas: U64,
    /// Fee per native gas (rounded down); `None` in the pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<U256>,
    /// Always `0x`.
    pub input: Bytes,
    /// First signature's `r`.
    pub r: U256,
    /// First signature's `s`.
    pub s: U256,
    /// First signature's parity.
    pub v: U64,
    /// First signature's parity.
    pub y_parity: U64,
    /// Block hash (`null` in the pool).
    pub block_hash: Option<B256>,
    /// Block number.
    pub block_number: Option<U64>,
    /// Position in the block.
    pub transaction_index: Option<U64>,
    /// Outpoints spent.
    pub inputs: Vec<OutPointJson>,
    /// Outputs created, at `(hash, i)`.
    pub outputs: Vec<OutputJson>,
    /// Issuance, if any.
    pub issuance: Option<serde_json::Value>,
    /// Recovered signers.
    pub signers: Vec<Address>,
}

/// A native transaction's receipt.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeReceiptJson {
    /// `0x62`.
    #[serde(rename = "type")]
    pub ty: U64,
    /// `0x1`.
    pub status: U64,
    /// Cumulative gas of the block up to this transaction.
    pub cumulative_gas_used: U64,
    /// Native gas.
    pub gas_used: U64,
    /// Fee per native gas.
    pub effective_gas_price: U256,
    /// No logs.
    pub logs: Vec<Log>,
    /// Empty bloom.
    pub logs_bloom: Bloom,
    /// Hash.
    pub transaction_hash: B256,
    /// Position.
    pub transaction_index: U64,
    /// Block hash.
    pub block_hash: B256,
    /// Block number.
    pub block_number: U64,
    /// First signer.
    pub from: Address,
    /// See [`NativeTransactionJson::to`].
    pub to: Address,
    /// Always `null`.
    pub contract_address: Option<Address>,
}

/// The issuance of a native transaction as JSON.
pub(crate) fn issuance_json(tx: &RecoveredNative) -> Option<serde_json::Value> {
    let i = tx.tx.issuance.as_ref()?;
    Some(serde_json::json!({
        "assetId": i.asset.0,
        "amount": i.amount,
        "definition": i.definition.as_ref().map(|d| serde_json::json!({
            "name": d.name,
            "symbol": d.symbol,
            "decimals": d.decimals,
            "issuer": d.issuer,
            "data": d.data,
        })),
    }))
}

/// `to` and `value` of a native transaction's Ethereum shape.
fn native_to_value(tx: &RecoveredNative) -> (Address, U256) {
    let from = tx.sender();
    let to = tx
        .tx
        .outputs
        .iter()
        .map(|o| o.owner)
        .find(|o| *o != from)
        .unwrap_or(from);
    let value = tx
        .tx
        .outputs
        .iter()
        .filter(|o| o.asset.is_btm() && o.owner != from)
        .fold(U256::ZERO, |acc, o| acc.saturating_add(o.amount));
    (to, value)
}

/// A native transaction's JSON; `location` is `(block hash, number, index, gas,
/// price)` once mined.
pub(crate) fn native_json(
    tx: &RecoveredNative,
    gas: u64,
    price: Option<U256>,
    location: Option<(B256, u64, u64)>,
) -> NativeTransactionJson {
    let (to, value) = native_to_value(tx);
    let sig = tx.tx.signatures.first();
    NativeTransactionJson {
        hash: tx.hash,
        ty: U64::from(NATIVE_TX_TYPE),
        chain_id: U64::from(tx.tx.chain_id),
        from: tx.sender(),
        to,
        value,
        nonce: U64::ZERO,
        gas: U64::from(gas),
        gas_price: price,
        input: Bytes::new(),
        r: sig.map_or(U256::ZERO, |s| s.r()),
        s: sig.map_or(U256::ZERO, |s| s.s()),
        v: U64::from(sig.is_some_and(|s| s.v())),
        y_parity: U64::from(sig.is_some_and(|s| s.v())),
        block_hash: location.map(|l| l.0),
        block_number: location.map(|l| U64::from(l.1)),
        transaction_index: location.map(|l| U64::from(l.2)),
        inputs: tx.tx.inputs.iter().map(|op| (*op).into()).collect(),
        outputs: tx.tx.outputs.iter().map(Into::into).collect(),
        issuance: issuance_json(tx),
        signers: tx.signers.clone(),
    }
}

/// Gas used by transaction `index` of `block` (from the cumulative values).
pub(crate) fn gas_used_at(block: &BlockData, index: usize) -> u64 {
    let cumulative = block
        .receipts
        .get(index)
        .map_or(0, |r| r.cumulative_gas_used);
    let previous = index
        .checked_sub(1)
        .and_then(|i| block.receipts.get(i))
        .map_or(0, |r| r.cumulative_gas_used);
    cumulative.saturating_sub(previous)
}

/// Price per gas transaction `index` of `block` paid.
pub(crate) fn effective_gas_price_at(block: &BlockData, index: usize) -> u128 {
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    match block.transactions.get(index) {
        Some(BlockTx::Eth(tx)) => tx.effective_gas_price(base_fee),
        Some(BlockTx::Native(_)) => {
            let fee = block
                .receipts
                .get(index)
                .and_then(|r| r.native_fee)
                .unwrap_or_default();
            let gas = gas_used_at(block, index).max(1);
            u128::try_from(fee / U256::from(gas)).unwrap_or(u128::MAX)
        }
        None => 0,
    }
}

/// The header as JSON (`hash`, `size` and every consensus field).
pub(crate) fn rpc_header(block: &BlockData) -> Header {
    Header {
        hash: block.hash,
        inner: block.header.clone(),
        total_difficulty: None,
        size: Some(U256::from(block_size(block))),
    }
}

/// The block with transaction hashes or full transactions. Withdrawals are the empty
/// list the header's `withdrawalsRoot` commits to; there are no uncles.
pub(crate) fn rpc_block(block: &BlockData, full: bool) -> Block<RpcTransaction> {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len())
                .filter_map(|i| rpc_transaction(block, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(BlockTx::hash).collect())
    };
    Block {
        header: rpc_header(block),
        uncles: Vec::new(),
        transactions,
        withdrawals: block
            .header
            .withdrawals_root
            .map(|_| Withdrawals::new(Vec::new())),
    }
}

/// The RLP size of the block as Ethereum encodes it: `[header, txs, ommers, withdrawals]`.
fn block_size(block: &BlockData) -> usize {
    let list = |payload: usize| {
        alloy_rlp::Header {
            list: true,
            payload_length: payload,
        }
        .length_with_payload()
    };
    let txs: usize = block
        .transactions
        .iter()
        .map(|t| match t {
            BlockTx::Eth(t) => t.tx.length(),
            // An opaque typed envelope is an RLP string.
            BlockTx::Native(t) => t.size() + alloy_rlp::length_of_length(t.size()),
        })
        .sum();
    let mut payload = block.header.length() + list(txs) + list(0);
    if block.header.withdrawals_root.is_some() {
        payload += list(0);
    }
    list(payload)
}

/// Transaction `index` of `block`, with its block, position and effective gas price.
pub(crate) fn rpc_transaction(block: &BlockData, index: usize) -> Option<RpcTransaction> {
    let price = effective_gas_price_at(block, index);
    Some(match block.transactions.get(index)? {
        BlockTx::Eth(tx) => RpcTransaction::Eth(Box::new(Transaction {
            inner: Recovered::new_unchecked(tx.tx.clone(), tx.sender),
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            transaction_index: Some(index as u64),
            effective_gas_price: Some(price),
            block_timestamp: Some(block.header.timestamp),
        })),
        BlockTx::Native(tx) => RpcTransaction::Native(Box::new(native_json(
            tx,
            gas_used_at(block, index),
            Some(U256::from(price)),
            Some((block.hash, block.header.number, index as u64)),
        ))),
    })
}

/// A mempool Ethereum transaction: no block; `gasPrice` of a dynamic-fee transaction is
/// its fee cap, as geth shows it.
pub(crate) fn pending_eth_transaction(tx: &RecoveredTx) -> Transaction {
    Transaction {
        inner: Recovered::new_unchecked(tx.tx.clone(), tx.sender),
        block_hash: None,
        block_number: None,
        transaction_index: None,
        effective_gas_price: Some(tx.max_fee()),
        block_timestamp: None,
    }
}

/// A mempool transaction of either kind.
pub(crate) fn pending_transaction(tx: &BlockTx) -> RpcTransaction {
    match tx {
        BlockTx::Eth(t) => RpcTransaction::Eth(Box::new(pending_eth_transaction(t))),
        BlockTx::Native(t) => RpcTransaction::Native(Box::new(native_json(t, 0, None, None))),
    }
}

/// Log `position` of transaction `index` of `block` as RPC shows it (block-wide index).
pub(crate) fn rpc_log(block: &BlockData, index: usize, position: usize, log: &PrimitiveLog) -> Log {
    Log {
        inner: log.clone(),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        block_timestamp: Some(block.header.timestamp),
        transaction_hash: block.transactions.get(index).map(BlockTx::hash),
        transaction_index: Some(index as u64),
        log_index: Some(block.first_log_index(index) + position as u64),
        removed: false,
    }
}

/// The logs of transaction `index` of `block`, with block-wide log indexes.
pub(crate) fn tx_logs(block: &BlockData, index: usize) -> Vec<Log> {
    let Some(receipt) = block.receipts.get(index) else {
        return Vec::new();
    };
    receipt
        .logs
        .iter()
        .enumerate()
        .map(|(position, log)| rpc_log(block, index, position, log))
        .collect()
}

/// Every receipt of `block`.
pub(crate) fn rpc_receipts(block: &BlockData) -> Vec<RpcReceipt> {
    (0..block.transactions.len())
        .filter_map(|i| rpc_receipt(block, i))
        .collect()
}

/// The receipt of transaction `index` of `block`, built from that transaction, its
/// stored receipt and the one before it (gas used), whatever the block's size.
pub(crate) fn rpc_receipt(block: &BlockData, index: usize) -> Option<RpcReceipt> {
    let tx = block.transactions.get(index)?;
    let receipt = block.receipts.get(index)?;
    let gas_used = gas_used_at(block, index);
    let price = effective_gas_price_at(block, index);
    let logs = tx_logs(block, index);
    let tx = match tx {
        BlockTx::Eth(tx) => tx,
        BlockTx::Native(tx) => {
            let (to, _) = native_to_value(tx);
            return Some(RpcReceipt::Native(Box::new(NativeReceiptJson {
                ty: U64::from(NATIVE_TX_TYPE),
                status: U64::from(receipt.success),
                cumulative_gas_used: U64::from(receipt.cumulative_gas_used),
                gas_used: U64::from(gas_used),
                effective_gas_price: U256::from(price),
                logs,
                logs_bloom: Bloom::ZERO,
                transaction_hash: tx.hash,
                transaction_index: U64::from(index),
                block_hash: block.hash,
                block_number: U64::from(block.header.number),
                from: tx.sender(),
                to,
                contract_address: None,
            })));
        }
    };
    let mut bloom = Bloom::ZERO;
    bloom.accrue_logs(&receipt.logs);
    let contract_address =
        (receipt.success && tx.tx.kind().is_create()).then(|| tx.sender.create(tx.tx.nonce()));
    let inner = ReceiptEnvelope::from_typed(
        tx.tx.tx_type(),
        ReceiptWithBloom {
            receipt: Receipt {
                status: receipt.success.into(),
                cumulative_gas_used: receipt.cumulative_gas_used,
                logs,
            },
            logs_bloom: bloom,
        },
    );
    Some(RpcReceipt::Eth(Box::new(TransactionReceipt {
        inner,
        transaction_hash: tx.hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used,
        effective_gas_price: price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.sender,
        to: tx.tx.to(),
        contract_address,
    })))
}
