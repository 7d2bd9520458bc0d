//! The `txpool` namespace in geth's shapes: `txpool_status`, `txpool_content`,
//! `txpool_contentFrom`, `txpool_inspect`.

use crate::{PoolContent, convert::pending_eth_transaction, ctx::EthCtx, error::RpcResult};
use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, U64};
use alloy_rpc_types_eth::Transaction;
use bytom2_evm_adapter::RecoveredTx;
use jsonrpsee::proc_macros::rpc;
use serde::Serialize;
use std::collections::BTreeMap;

/// `txpool_status`: counts as hex quantities.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct TxpoolStatus {
    /// Executable transactions.
    pub(crate) pending: U64,
    /// Transactions waiting for a nonce gap to close.
    pub(crate) queued: U64,
}

/// Sender → nonce (decimal string) → `T`, as geth keys it.
type BySender<T> = BTreeMap<Address, BTreeMap<String, T>>;

/// `txpool_content` / `txpool_inspect`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TxpoolContent<T> {
    /// Executable transactions.
    pub(crate) pending: BySender<T>,
    /// Transactions waiting for a nonce gap to close.
    pub(crate) queued: BySender<T>,
}

/// `txpool_contentFrom`: one sender's transactions.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TxpoolContentFrom {
    /// Executable transactions by nonce.
    pub(crate) pending: BTreeMap<String, Transaction>,
    /// Waiting transactions by nonce.
    pub(crate) queued: BTreeMap<String, Transaction>,
}

/// The `txpool` namespace.
#[rpc(server, namespace = "txpool")]
pub(crate) trait TxpoolRpc {
    /// `txpool_status`.
    #[method(name = "status", blocking)]
    fn status(&self) -> RpcResult<TxpoolStatus>;

    /// `txpool_content`.
    #[method(name = "content", blocking)]
    fn content(&self) -> RpcResult<TxpoolContent<Transaction>>;

    /// `txpool_contentFrom`.
    #[method(name = "contentFrom", blocking)]
    fn content_from(&self, address: Address) -> RpcResult<TxpoolContentFrom>;

    /// `txpool_inspect`: one-line summaries.
    #[method(name = "inspect", blocking)]
    fn inspect(&self) -> RpcResult<TxpoolContent<String>>;
}

/// Implementation of [`TxpoolRpcServer`].
#[derive(Debug)]
pub(crate) struct TxpoolApi {
    ctx: EthCtx,
}

impl TxpoolApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

fn map_pool<T>(
    pool: &BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    f: impl Fn(&RecoveredTx) -> T,
) -> BySender<T> {
    pool.iter()
        .map(|(a, txs)| (*a, txs.iter().map(|(n, t)| (n.to_string(), f(t))).collect()))
        .collect()
}

/// geth's `txpool_inspect` line: `to: value wei + gas gas × price wei`.
fn summary(tx: &RecoveredTx) -> String {
    let to = tx
        .tx
        .to()
        .map_or_else(|| "contract creation".to_string(), |a| a.to_string());
    format!(
        "{to}: {} wei + {} gas × {} wei",
        tx.tx.value(),
        tx.tx.gas_limit(),
        tx.max_fee()
    )
}

fn count(pool: &BTreeMap<Address, BTreeMap<u64, RecoveredTx>>) -> U64 {
    U64::from(pool.values().map(BTreeMap::len).sum::<usize>())
}

impl TxpoolRpcServer for TxpoolApi {
    fn status(&self) -> RpcResult<TxpoolStatus> {
        let PoolContent { pending, queued } = self.ctx.backend.pool_content();
        Ok(TxpoolStatus {
            pending: count(&pending),
            queued: count(&queued),
        })
    }

    fn content(&self) -> RpcResult<TxpoolContent<Transaction>> {
        let c = self.ctx.backend.pool_content();
        Ok(TxpoolContent {
            pending: map_pool(&c.pending, pending_eth_transaction),
            queued: map_pool(&c.queued, pending_eth_transaction),
        })
    }

    fn content_from(&self, address: Address) -> RpcResult<TxpoolContentFrom> {
        let mut c = self.ctx.backend.pool_content();
        let take = |pool: &mut BTreeMap<Address, BTreeMap<u64, RecoveredTx>>| {
            pool.remove(&address)
                .unwrap_or_default()
                .iter()
                .map(|(n, t)| (n.to_string(), pending_eth_transaction(t)))
                .collect()
        };
        Ok(TxpoolContentFrom {
            pending: take(&mut c.pending),
            queued: take(&mut c.queued),
        })
    }

    fn inspect(&self) -> RpcResult<TxpoolContent<String>> {
        let c = self.ctx.backend.pool_content();
        Ok(TxpoolContent {
            pending: map_pool(&c.pending, summary),
            queued: map_pool(&c.queued, summary),
        })
    }
}
