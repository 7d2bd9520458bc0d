//! Polling filters: `eth_newFilter`, `eth_newBlockFilter`,
//! `eth_newPendingTransactionFilter`, `eth_getFilterChanges`, `eth_getFilterLogs`,
//! `eth_uninstallFilter`.
//!
//! Filters live in memory, keyed by a random-looking hex id. A filter not polled for
//! [`RpcConfig::filter_timeout`](crate::RpcConfig::filter_timeout) (5 minutes by default)
//! is dropped, by a sweep on every filter call and by a background task of the server.

use crate::{
    convert::pending_eth_transaction,
    ctx::EthCtx,
    error::{RpcResult, invalid_params, server_error},
    logs::query_logs,
};
use alloy_primitives::{B256, keccak256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, FilterChanges, Log};
use jsonrpsee::proc_macros::rpc;
use parking_lot::Mutex;
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};
use tokio::sync::broadcast::{self, error::TryRecvError};

/// What a filter watches.
#[derive(Debug)]
enum FilterKind {
    /// New blocks from `next` on.
    Blocks { next: u64 },
    /// Transactions entering the mempool.
    Pending {
        rx: broadcast::Receiver<B256>,
        full: bool,
    },
    /// Logs matching `filter` in blocks from `next` on.
    Logs { filter: Box<Filter>, next: u64 },
}

#[derive(Debug)]
struct Entry {
    kind: FilterKind,
    last_poll: Instant,
}

/// The table of installed filters.
#[derive(Debug)]
pub(crate) struct Filters {
    table: Mutex<HashMap<String, Entry>>,
    timeout: Duration,
    counter: AtomicU64,
    seed: u128,
}

// === impl Filters ===

impl Filters {
    /// An empty table whose filters expire after `timeout` without a poll.
    pub(crate) fn new(timeout: Duration) -> Self {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            table: Mutex::new(HashMap::new()),
            timeout,
            counter: AtomicU64::new(0),
            seed,
        }
    }

    /// Drops the filters not polled within the timeout.
    pub(crate) fn sweep(&self) {
        let timeout = self.timeout;
        self.table
            .lock()
            .retain(|_, e| e.last_poll.elapsed() < timeout);
    }

    /// Number of installed filters.
    pub(crate) fn len(&self) -> usize {
        self.table.lock().len()
    }

    fn install(&self, kind: FilterKind) -> String {
        self.sweep();
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut preimage = self.seed.to_be_bytes().to_vec();
        preimage.extend_from_slice(&n.to_be_bytes());
        let id = format!(
            "0x{}",
            alloy_primitives::hex::encode(&keccak256(preimage)[..16])
        );
        self.table.lock().insert(
            id.clone(),
            Entry {
                kind,
                last_poll: Instant::now(),
            },
        );
        id
    }

    fn remove(&self, id: &str) -> bool {
        self.table.lock().remove(&id.to_ascii_lowercase()).is_some()
    }
}

/// Filter methods.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthFilterRpc {
    /// `eth_newFilter`: logs from the next block on.
    #[method(name = "newFilter", blocking)]
    fn new_filter(&self, filter: Filter) -> RpcResult<String>;

    /// `eth_newBlockFilter`.
    #[method(name = "newBlockFilter", blocking)]
    fn new_block_filter(&self) -> RpcResult<String>;

    /// `eth_newPendingTransactionFilter` (`true`: full transactions instead of hashes).
    #[method(name = "newPendingTransactionFilter", blocking)]
    fn new_pending_eth_transaction_filter(&self, full: Option<bool>) -> RpcResult<String>;

    /// `eth_getFilterChanges`: what happened since the last poll.
    #[method(name = "getFilterChanges", blocking)]
    fn filter_changes(&self, id: String) -> RpcResult<FilterChanges>;

    /// `eth_getFilterLogs`: every log of a log filter's range.
    #[method(name = "getFilterLogs", blocking)]
    fn filter_logs(&self, id: String) -> RpcResult<Vec<Log>>;

    /// `eth_uninstallFilter`.
    #[method(name = "uninstallFilter", blocking)]
    fn uninstall_filter(&self, id: String) -> RpcResult<bool>;
}

/// Implementation of [`EthFilterRpcServer`].
#[derive(Debug)]
pub(crate) struct FilterApi {
    ctx: EthCtx,
    filters: Arc<Filters>,
}

impl FilterApi {
    /// Over the shared context and the server's filter table.
    pub(crate) fn new(ctx: EthCtx, filters: Arc<Filters>) -> Self {
        Self { ctx, filters }
    }
}

fn not_found() -> jsonrpsee::types::ErrorObjectOwned {
    server_error("filter not found")
}

/// What a poll must compute outside the table lock.
enum Poll {
    Blocks(u64),
    Logs(Box<Filter>, u64),
    Done(FilterChanges),
}

impl EthFilterRpcServer for FilterApi {
    fn new_filter(&self, filter: Filter) -> RpcResult<String> {
        filter
            .block_option
            .ensure_valid_block_range()
            .map_err(|_| invalid_params("invalid block range params"))?;
        let next = self.ctx.backend.latest_number() + 1;
        Ok(self.filters.install(FilterKind::Logs {
            filter: Box::new(filter),
            next,
        }))
    }

    fn new_block_filter(&self) -> RpcResult<String> {
        let next = self.ctx.backend.latest_number() + 1;
        Ok(self.filters.install(FilterKind::Blocks { next }))
    }

    fn new_pending_eth_transaction_filter(&self, full: Option<bool>) -> RpcResult<String> {
        let rx = self.ctx.backend.subscribe_pending_transactions();
        Ok(self.filters.install(FilterKind::Pending {
            rx,
            full: full.unwrap_or(false),
        }))
    }

    fn filter_changes(&self, id: String) -> RpcResult<FilterChanges> {
        let filters = &self.filters;
        filters.sweep();
        let id = id.to_ascii_lowercase();
        let poll = {
            let mut table = filters.table.lock();
            let entry = table.get_mut(&id).ok_or_else(not_found)?;
            entry.last_poll = Instant::now();
            match &mut entry.kind {
                FilterKind::Blocks { next } => Poll::Blocks(*next),
                FilterKind::Logs { filter, next } => Poll::Logs(filter.clone(), *next),
                FilterKind::Pending { rx, full } => {
                    let mut hashes = Vec::new();
                    loop {
                        match rx.try_recv() {
                            Ok(h) => hashes.push(h),
                            Err(TryRecvError::Lagged(_)) => continue,
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                    if *full {
                        let txs = hashes
                            .iter()
                            .filter_map(|h| self.ctx.backend.pool_transaction(*h))
                            .filter_map(|t| t.as_eth().map(pending_eth_transaction))
                            .collect();
                        Poll::Done(FilterChanges::Transactions(txs))
                    } else {
                        Poll::Done(FilterChanges::Hashes(hashes))
                    }
                }
            }
        };
        let head = self.ctx.backend.latest_number();
        let changes = match poll {
            Poll::Done(c) => return Ok(c),
            Poll::Blocks(next) => {
                let hashes = (next..=head)
                    .filter_map(|n| self.ctx.backend.block_hash(n))
                    .collect();
                FilterChanges::Hashes(hashes)
            }
            Poll::Logs(filter, next) => {
                if matches!(filter.block_option, FilterBlockOption::AtBlockHash(_)) {
                    FilterChanges::Empty
                } else {
                    FilterChanges::Logs(query_logs(&self.ctx, &filter, Some(next))?)
                }
            }
        };
        if let Some(entry) = filters.table.lock().get_mut(&id) {
            match &mut entry.kind {
                FilterKind::Blocks { next } | FilterKind::Logs { next, .. } => {
                    *next = (*next).max(head + 1);
                }
                FilterKind::Pending { .. } => {}
            }
        }
        Ok(match changes {
            FilterChanges::Hashes(h) if h.is_empty() => FilterChanges::Empty,
            FilterChanges::Logs(l) if l.is_empty() => FilterChanges::Empty,
            other => other,
        })
    }

    fn filter_logs(&self, id: String) -> RpcResult<Vec<Log>> {
        let filters = &self.filters;
        filters.sweep();
        let filter = {
            let mut table = filters.table.lock();
            let entry = table
                .get_mut(&id.to_ascii_lowercase())
                .ok_or_else(not_found)?;
            entry.last_poll = Instant::now();
            match &entry.kind {
                FilterKind::Logs { filter, .. } => filter.clone(),
                _ => return Err(not_found()),
            }
        };
        query_logs(&self.ctx, &filter, None)
    }

    fn uninstall_filter(&self, id: String) -> RpcResult<bool> {
        self.filters.sweep();
        Ok(self.filters.remove(&id))
    }
}
