//! `eth_subscribe` / `eth_unsubscribe` over WebSocket: `newHeads` (header JSON),
//! `logs` (with a filter; every matching log of each new block, one notification per
//! log) and `newPendingTransactions` (hashes, or full transactions with `true`).
//! Notifications go out as `eth_subscription`, as geth sends them.

use crate::{
    convert::{pending_transaction, rpc_header},
    ctx::EthCtx,
    error::invalid_params,
    logs::matching_logs,
};
use alloy_rpc_types_eth::Filter;
use jsonrpsee::{
    PendingSubscriptionSink, SubscriptionSink, core::SubscriptionResult, proc_macros::rpc,
};
use serde::Serialize;
use serde_json::value::to_raw_value;
use tokio::sync::broadcast::{self, error::RecvError};

/// Subscriptions.
#[rpc(server, namespace = "eth")]
pub(crate) trait EthPubSubRpc {
    /// `eth_subscribe(kind, params?)`.
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = serde_json::Value)]
    async fn subscribe(
        &self,
        kind: String,
        params: Option<serde_json::Value>,
    ) -> SubscriptionResult;
}

/// Implementation of [`EthPubSubRpcServer`].
#[derive(Debug)]
pub(crate) struct PubSubApi {
    ctx: EthCtx,
}

impl PubSubApi {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

/// What a subscription sends.
enum Kind {
    Heads,
    Logs(Box<Filter>),
    Pending { full: bool },
}

#[jsonrpsee::core::async_trait]
impl EthPubSubRpcServer for PubSubApi {
    async fn subscribe(
        &self,
        pending: PendingSubscriptionSink,
        kind: String,
        params: Option<serde_json::Value>,
    ) -> SubscriptionResult {
        let kind = match kind.as_str() {
            "newHeads" => Kind::Heads,
            "logs" => {
                let filter = match params {
                    None | Some(serde_json::Value::Null) => Filter::default(),
                    Some(v) => match serde_json::from_value::<Filter>(v) {
                        Ok(f) => f,
                        Err(e) => {
                            pending
                                .reject(invalid_params(format!("invalid logs filter: {e}")))
                                .await;
                            return Ok(());
                        }
                    },
                };
                Kind::Logs(Box::new(filter))
            }
            "newPendingTransactions" => Kind::Pending {
                full: matches!(params, Some(serde_json::Value::Bool(true))),
            },
            other => {
                pending
                    .reject(invalid_params(format!("no such subscription: {other}")))
                    .await;
                return Ok(());
            }
        };
        let ctx = self.ctx.clone();
        match kind {
            Kind::Pending { full } => {
                let rx = ctx.backend.subscribe_pending_transactions();
                let sink = pending.accept().await?;
                forward(sink, rx, move |hash| {
                    if full {
                        let tx = ctx.backend.pool_transaction(hash)?;
                        Some(vec![to_raw(&pending_transaction(&tx))?])
                    } else {
                        Some(vec![to_raw(&hash)?])
                    }
                })
                .await
            }
            Kind::Heads => {
                let rx = ctx.backend.subscribe_blocks();
                let sink = pending.accept().await?;
                forward(sink, rx, move |n| {
                    let block = ctx.block(n).ok()??;
                    Some(vec![to_raw(&rpc_header(&block))?])
                })
                .await
            }
            Kind::Logs(filter) => {
                let rx = ctx.backend.subscribe_blocks();
                let sink = pending.accept().await?;
                forward(sink, rx, move |n| {
                    let block = ctx.block(n).ok()??;
                    matching_logs(&block, &filter)
                        .iter()
                        .map(to_raw)
                        .collect::<Option<Vec<_>>>()
                })
                .await
            }
        }
    }
}

fn to_raw<T: Serialize>(value: &T) -> Option<Box<serde_json::value::RawValue>> {
    to_raw_value(value).ok()
}

/// Feeds `rx` through `render` (run off the async threads: it reads storage) to `sink`
/// until the client unsubscribes or disconnects. A lagging receiver skips what it
/// missed.
async fn forward<T, F>(
    sink: SubscriptionSink,
    mut rx: broadcast::Receiver<T>,
    render: F,
) -> SubscriptionResult
where
    T: Clone + Send + 'static,
    F: Fn(T) -> Option<Vec<Box<serde_json::value::RawValue>>> + Clone + Send + Sync + 'static,
{
    loop {
        let item = tokio::select! {
            _ = sink.closed() => return Ok(()),
            item = rx.recv() => item,
        };
        let item = match item {
            Ok(item) => item,
            Err(RecvError::Lagged(skipped)) => {
                tracing::debug!(target: "rpc::pubsub", skipped, "subscription lagged");
                continue;
            }
            Err(RecvError::Closed) => return Ok(()),
        };
        let render = render.clone();
        let messages = match tokio::task::spawn_blocking(move || render(item)).await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(target: "rpc::pubsub", error = %e, "render task failed");
                continue;
            }
        };
        for message in messages {
            if sink.send(message).await.is_err() {
                return Ok(());
            }
        }
    }
}
