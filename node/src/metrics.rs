//! `--metrics-port`: Prometheus text at `GET /metrics`. The node's own metrics (head
//! height, pool size, unfinalized blocks held, block propose/verify/commit times,
//! finality latency, JSON-RPC calls by method and outcome) followed by those of
//! Commonware's runtime on a network node (simplex, marshal, p2p, and this node's
//! consensus tracker: views, nullifications, votes missed per validator).

use crate::Node;
use anyhow::Context as _;
use bytom2_eth_rpc::RpcMetrics;
use prometheus_client::{
    encoding::text::encode,
    metrics::{gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Seconds buckets for block work and finality.
const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0,
];

/// Renders the consensus runtime's metrics.
pub type ConsensusMetrics = Arc<dyn Fn() -> String + Send + Sync>;

/// The node's own metrics.
#[derive(Debug)]
pub struct NodeMetrics {
    registry: Mutex<Registry>,
    head: Gauge,
    pool: Gauge,
    held: Gauge,
    /// Building a block (the leader).
    pub propose: Histogram,
    /// Verifying a block proposed elsewhere.
    pub verify: Histogram,
    /// Committing a finalized block.
    pub commit: Histogram,
    /// From a block first held here (proposed or verified) to its commit.
    pub finality: Histogram,
}

impl Default for NodeMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("bytom2");
        let head = Gauge::default();
        let pool = Gauge::default();
        let held = Gauge::default();
        let histogram = || Histogram::new(BUCKETS);
        let (propose, verify, commit, finality) =
            (histogram(), histogram(), histogram(), histogram());
        registry.register(
            "head_height",
            "newest finalized block applied",
            head.clone(),
        );
        registry.register(
            "pool_transactions",
            "transactions in the pool",
            pool.clone(),
        );
        registry.register(
            "unfinalized_blocks",
            "blocks executed and not finalized",
            held.clone(),
        );
        registry.register(
            "block_propose_seconds",
            "time to build a block",
            propose.clone(),
        );
        registry.register(
            "block_verify_seconds",
            "time to verify a block proposed elsewhere",
            verify.clone(),
        );
        registry.register(
            "block_commit_seconds",
            "time to commit a finalized block",
            commit.clone(),
        );
        registry.register(
            "finality_latency_seconds",
            "from a block first held here to its commit",
            finality.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            head,
            pool,
            held,
            propose,
            verify,
            commit,
            finality,
        }
    }
}

impl NodeMetrics {
    /// Records `d` in `histogram`.
    pub fn observe(histogram: &Histogram, d: Duration) {
        histogram.observe(d.as_secs_f64());
    }

    /// Everything in Prometheus text format.
    pub fn render(
        &self,
        node: &Node,
        rpc: &RpcMetrics,
        consensus: Option<&ConsensusMetrics>,
    ) -> String {
        self.head.set(node.chain().head().header.number as i64);
        self.pool.set(node.pool.lock().len() as i64);
        self.held.set(node.proposals().len() as i64);
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry.lock().expect("not poisoned"));
        // One `# EOF`, at the end.
        let mut out = out.replace("# EOF\n", "");
        out.push_str(&rpc.render());
        if let Some(consensus) = consensus {
            out.push_str(&consensus().replace("# EOF\n", ""));
        }
        out.push_str("# EOF\n");
        out
    }
}

/// Serves `GET /metrics` on `addr` until the runtime stops; returns the bound address.
pub async fn serve(
    addr: SocketAddr,
    node: Arc<Node>,
    metrics: Arc<NodeMetrics>,
    rpc: Arc<RpcMetrics>,
    consensus: Option<ConsensusMetrics>,
) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("metrics address {addr} is not available"))?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let node = node.clone();
            let metrics = metrics.clone();
            let rpc = rpc.clone();
            let consensus = consensus.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut read = 0;
                // Read the request head (bounded), then answer and close.
                while read < buf.len() {
                    match tokio::time::timeout(
                        Duration::from_secs(5),
                        stream.read(&mut buf[read..]),
                    )
                    .await
                    {
                        Ok(Ok(0)) | Err(_) | Ok(Err(_)) => break,
                        Ok(Ok(n)) => read += n,
                    }
                    if buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let head = String::from_utf8_lossy(&buf[..read]);
                let (status, body) = if head.starts_with("GET /metrics") {
                    let node = node.clone();
                    let body = tokio::task::spawn_blocking(move || {
                        metrics.render(&node, &rpc, consensus.as_ref())
                    })
                    .await
                    .unwrap_or_default();
                    ("200 OK", body)
                } else {
                    ("404 Not Found", "not found: try GET /metrics\n".to_string())
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/openmetrics-text; version=1.0.0; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Ok(local)
}
