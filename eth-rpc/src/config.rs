//! The server's settings ([`RpcConfig`]) and their defaults, `web3_clientVersion`'s
//! included.

use std::{net::SocketAddr, time::Duration};

/// `bytom2/v<version>/<os>-<arch>/rust`, geth's layout. It must not start with
/// `anvil` or `hardhatnetwork`: tools key dev-only methods off that prefix.
pub fn default_client_version() -> String {
    format!(
        "bytom2/v{}/{}-{}/rust",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Server settings. [`RpcConfig::new`] gives the defaults for an address.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Counts calls by method and outcome when set (the node's `/metrics`).
    pub metrics: Option<std::sync::Arc<crate::RpcMetrics>>,
    /// Where to listen (HTTP and WebSocket on the same port). Port 0 picks a free one;
    /// [`RpcHandle::local_addr`](crate::RpcHandle::local_addr) tells which.
    pub addr: SocketAddr,
    /// Largest request body in bytes (default 10 MiB). Bigger requests get HTTP 413 with
    /// JSON-RPC error `-32007` "Request is too big".
    pub max_request_body_size: u32,
    /// Largest response body in bytes (default 100 MiB).
    pub max_response_body_size: u32,
    /// Most simultaneous connections, HTTP keep-alive and WebSocket alike (default 500).
    pub max_connections: u32,
    /// Most subscriptions per WebSocket connection (default 1024).
    pub max_subscriptions_per_connection: u32,
    /// Most requests in one batch (default 100); 0 disables batches.
    pub max_batch_size: u32,
    /// Gas limit of `eth_call`/`eth_estimateGas` when the request gives none, and the
    /// cap on what it gives (default 50,000,000, geth's `RPCGasCap`); 0 for no cap.
    pub gas_cap: u64,
    /// Most blocks one `eth_getLogs` range may span (default 10,000); 0 for no cap.
    pub max_logs_block_range: u64,
    /// Most logs one `eth_getLogs` may return (default 10,000).
    pub max_logs: usize,
    /// Most blocks one `eth_feeHistory` covers (default 1024).
    pub max_fee_history_blocks: u64,
    /// A filter not polled for this long is dropped (default 5 minutes).
    pub filter_timeout: Duration,
    /// Largest trace a `debug_trace*` answer may hold, in bytes of JSON as estimated
    /// while it is built (default 64 MiB): past it the tracer records no more and the
    /// answer is `-32000` "trace exceeds the size limit of N bytes…".
    pub max_trace_bytes: usize,
    /// `web3_clientVersion` (default [`default_client_version`]).
    pub client_version: String,
}

impl RpcConfig {
    /// The defaults, listening on `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            metrics: None,
            addr,
            max_request_body_size: 10 * 1024 * 1024,
            max_response_body_size: 100 * 1024 * 1024,
            max_connections: 500,
            max_subscriptions_per_connection: 1024,
            max_batch_size: 100,
            gas_cap: 50_000_000,
            max_logs_block_range: 10_000,
            max_logs: 10_000,
            max_fee_history_blocks: 1024,
            filter_timeout: Duration::from_secs(5 * 60),
            max_trace_bytes: 64 << 20,
            client_version: default_client_version(),
        }
    }
}

impl Default for RpcConfig {
    /// `127.0.0.1:8545`.
    fn default() -> Self {
        Self::new(SocketAddr::from(([127, 0, 0, 1], 8545)))
    }
}
