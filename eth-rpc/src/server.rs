//! Starting the server: one port for HTTP and WebSocket, CORS for browsers, limits,
//! geth's "method does not exist" error, hex subscription ids, the block explorer page.

use crate::{
    EthBackend, RpcConfig,
    call::{CallApi, EthCallRpcServer},
    ctx::EthCtx,
    debug::{DebugApi, DebugRpcServer},
    error::method_not_found,
    eth::{EthApi, EthRpcServer},
    fees::{EthFeesRpcServer, FeesApi},
    filters::{EthFilterRpcServer, FilterApi, Filters},
    logs::{EthLogsRpcServer, LogsApi},
    net_web3::{NetRpcServer, NetWeb3Api, Web3RpcServer},
    pubsub::{EthPubSubRpcServer, PubSubApi},
    trace::{TraceApi, TraceRpcServer},
    txpool::{TxpoolApi, TxpoolRpcServer},
};
use alloy_primitives::keccak256;
use jsonrpsee::{
    RpcModule,
    server::{
        BatchRequestConfig, IdProvider, RegisterMethodError, ServerBuilder, ServerConfig,
        ServerHandle,
        middleware::rpc::{
            Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, RpcServiceBuilder,
            RpcServiceT,
        },
    },
    types::{Request, SubscriptionId},
};
use std::{
    collections::HashSet,
    future::Future,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};
use tower_http::cors::{Any, CorsLayer};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The address could not be bound (in use, not permitted, …).
    #[error("cannot listen for RPC on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// Two methods with one name (a bug).
    #[error("registering RPC methods: {0}")]
    Register(#[from] RegisterMethodError),
}

/// A running server. Dropping it leaves the server running; [`RpcHandle::stop`] then
/// [`RpcHandle::stopped`] shut it down.
#[derive(Debug, Clone)]
pub struct RpcHandle {
    local_addr: SocketAddr,
    handle: ServerHandle,
}

// === impl RpcHandle ===

impl RpcHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://<addr>`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// `ws://<addr>`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.local_addr)
    }

    /// Asks the server to stop (idempotent). Open connections are closed.
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }

    /// Waits until the server has stopped.
    pub async fn stopped(self) {
        self.handle.stopped().await
    }
}

/// Builds every namespace over `ctx` (the polling filters over `filters`).
fn build_module(
    ctx: &EthCtx,
    filters: &Arc<Filters>,
) -> Result<RpcModule<()>, RegisterMethodError> {
    let mut module = RpcModule::new(());
    module.merge(EthApi::new(ctx.clone()).into_rpc())?;
    module.merge(CallApi::new(ctx.clone()).into_rpc())?;
    module.merge(FeesApi::new(ctx.clone()).into_rpc())?;
    module.merge(LogsApi::new(ctx.clone()).into_rpc())?;
    module.merge(FilterApi::new(ctx.clone(), filters.clone()).into_rpc())?;
    module.merge(PubSubApi::new(ctx.clone()).into_rpc())?;
    module.merge(TxpoolApi::new(ctx.clone()).into_rpc())?;
    module.merge(DebugApi::new(ctx.clone()).into_rpc())?;
    module.merge(TraceApi::new(ctx.clone()).into_rpc())?;
    // Registered on development nodes only, so elsewhere they are unknown methods
    // (whatever their parameters).
    if ctx.backend.dev().is_some() {
        module.merge(crate::dev::DevRpcServer::into_rpc(crate::dev::DevApi::new(
            ctx.clone(),
        )))?;
    }
    // The same for the consensus methods on a node without BFT consensus.
    if ctx.backend.dpos().is_some() {
        module.merge(crate::dpos::DposRpcServer::into_rpc(
            crate::dpos::DposApi::new(ctx.clone()),
        ))?;
    }
    module.merge(crate::utxo::UtxoApiServer::into_rpc(
        crate::utxo::UtxoApi::new(ctx.clone()),
    ))?;
    module.merge(Web3RpcServer::into_rpc(NetWeb3Api::new(ctx.clone())))?;
    module.merge(NetRpcServer::into_rpc(NetWeb3Api::new(ctx.clone())))?;
    Ok(module)
}

/// Starts the JSON-RPC server for `backend` on `config.addr`: HTTP and WebSocket on one
/// port, batches, CORS for any origin, and the limits of `config`. Fails (never panics)
/// when the address cannot be bound.
pub async fn start_server(
    backend: Arc<dyn EthBackend>,
    config: RpcConfig,
) -> Result<RpcHandle, RpcError> {
    let addr = config.addr;
    let config = Arc::new(config);
    let ctx = EthCtx::new(backend, config.clone());
    let filters = Arc::new(Filters::new(config.filter_timeout));
    let module = build_module(&ctx, &filters)?;
    let known: Arc<HashSet<&'static str>> = Arc::new(module.method_names().collect());
    let metrics = config.metrics.clone();

    let batch = match config.max_batch_size {
        0 => BatchRequestConfig::Disabled,
        n => BatchRequestConfig::Limit(n),
    };
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_size)
        .max_response_body_size(config.max_response_body_size)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_batch_request_config(batch)
        .set_id_provider(HexIdProvider::new())
        .build();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .max_age(Duration::from_secs(86_400));
    let server = ServerBuilder::with_config(server_config)
        .set_http_middleware(
            tower::ServiceBuilder::new()
                .layer(cors)
                .layer(crate::explorer::ExplorerLayer),
        )
        .set_rpc_middleware(
            RpcServiceBuilder::new().layer_fn(move |service| MethodFilter {
                service,
                known: known.clone(),
                metrics: metrics.clone(),
            }),
        )
        .build(addr)
        .await
        .map_err(|source| RpcError::Bind { addr, source })?;
    let local_addr = server
        .local_addr()
        .map_err(|source| RpcError::Bind { addr, source })?;
    let handle = server.start(module);
    tokio::spawn(sweep_filters(
        filters,
        config.filter_timeout,
        handle.clone(),
    ));
    tracing::info!(target: "rpc::server", %local_addr, "JSON-RPC listening (HTTP and WebSocket)");
    Ok(RpcHandle { local_addr, handle })
}

/// Drops expired filters every few seconds until the server stops.
async fn sweep_filters(filters: Arc<Filters>, timeout: Duration, handle: ServerHandle) {
    let period = (timeout / 5).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut interval = tokio::time::interval(period);
    let stopped = handle.stopped();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = interval.tick() => {
                filters.sweep();
                tracing::trace!(target: "rpc::filters", installed = filters.len(), "swept filters");
            }
        }
    }
}

/// Subscription ids as geth makes them: `0x` and 32 hex digits.
#[derive(Debug)]
struct HexIdProvider {
    seed: u128,
    counter: AtomicU64,
}

impl HexIdProvider {
    fn new() -> Self {
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }
}

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut preimage = b"bytom2/subscription".to_vec();
        preimage.extend_from_slice(&self.seed.to_be_bytes());
        preimage.extend_from_slice(&n.to_be_bytes());
        let hash = keccak256(preimage);
        SubscriptionId::Str(format!("0x{}", alloy_primitives::hex::encode(&hash[..16])).into())
    }
}

/// Answers unknown methods with geth's `-32601` "the method X does not exist/is not
/// available" (jsonrpsee's own text is "Method not found"), in batches too.
#[derive(Debug, Clone)]
struct MethodFilter<S> {
    service: S,
    known: Arc<HashSet<&'static str>>,
    metrics: Option<Arc<crate::RpcMetrics>>,
}

impl<S> RpcServiceT for MethodFilter<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let method = self.known.get(req.method_name()).copied();
        let answer = if method.is_some() {
            Ok(self.service.call(req))
        } else {
            Err((
                req.id.clone().into_owned(),
                method_not_found(req.method_name()),
            ))
        };
        let metrics = self.metrics.clone();
        async move {
            let response = match answer {
                Ok(fut) => fut.await,
                Err((id, err)) => MethodResponse::error(id, err),
            };
            if let Some(metrics) = metrics {
                metrics.record(method.unwrap_or("unknown"), response.as_error_code());
            }
            response
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let entries = batch
            .into_iter()
            .map(|entry| match entry {
                Ok(BatchEntry::Call(req)) if !self.known.contains(req.method_name()) => {
                    let err = method_not_found(req.method_name());
                    Err(BatchEntryErr::new(req.id.clone(), err))
                }
                other => other,
            })
            .collect();
        self.service.batch(Batch::from(entries))
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        self.service.notification(n)
    }
}
