//! The node on a BFT network: Commonware's tokio runtime on its own threads, the
//! authenticated p2p network (peers known by their ed25519 keys: the committee, and the
//! observers the chain spec lists), the consensus engine ([`bytom2_consensus`]) over the
//! node's block lifecycle ([`NodeChain`]), and transaction gossip ([`gossip`]).
//!
//! It talks to the rest of the node over channels and the [`crate::Node`] methods only:
//! finalized blocks reach readers through [`crate::Node::finalize`], admitted
//! transactions leave through the relay channel the node was given.

mod chain;
mod dpos;
pub(crate) mod gossip;
mod peers;

pub use chain::NodeChain;
use peers::Peers;

use crate::Node;
use anyhow::Context as _;
use bytom2_consensus::{
    BlockLimits, Committee, CommitteeProvider, FixedCommittee, PrivateKey, PublicKey,
    activity::ConsensusStatus,
    applier::Applied,
    engine::{Channels, Config, Timeouts},
};
use commonware_cryptography::{ChaCha20Poly1305, Signer as _};
use commonware_p2p::{
    Ingress, Manager as _, TrackedPeers,
    authenticated::discovery::{self, Network},
};
use commonware_runtime::{Quota, Runner as _, Spawner as _, Supervisor as _, tokio as cw_tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZU32, NZUsize, ordered::Set};
use std::{
    net::SocketAddr,
    num::NonZeroU64,
    path::PathBuf,
    sync::{Arc, Mutex},
    thread::JoinHandle,
    time::Duration,
};

/// p2p channel ids.
mod channel {
    pub(super) const VOTES: u64 = 0;
    pub(super) const CERTIFICATES: u64 = 1;
    pub(super) const RESOLVER: u64 = 2;
    pub(super) const BROADCAST: u64 = 3;
    pub(super) const BACKFILL: u64 = 4;
    pub(super) const TRANSACTIONS: u64 = 5;
    pub(super) const EVIDENCE: u64 = 6;
    pub(super) const STATUS: u64 = 7;
}

/// Largest block a peer may send (and this node may propose).
pub const MAX_BLOCK_SIZE: usize = 8 * 1024 * 1024;
/// Largest p2p message: a block with room for its framing.
const MAX_MESSAGE_SIZE: u32 = (MAX_BLOCK_SIZE + 1024 * 1024) as u32;

/// How this node joins the network.
#[derive(Clone)]
pub struct NetworkConfig {
    /// This node's identity (a validator's consensus key, or a full node's p2p key).
    pub key: PrivateKey,
    /// Whether the key votes (it is in the committee).
    pub validator: bool,
    /// The genesis committee (every epoch's until staking elects).
    pub committee: Arc<Committee>,
    /// Full nodes the validators accept connections from.
    pub observers: Vec<PublicKey>,
    /// The p2p namespace of the chain spec.
    pub namespace: String,
    /// Blocks per epoch.
    pub epoch_length: NonZeroU64,
    /// Address to listen on for peers.
    pub listen: SocketAddr,
    /// Address peers dial this node at.
    pub dialable: SocketAddr,
    /// Peers to start from.
    pub bootstrappers: Vec<(PublicKey, Ingress)>,
    /// Target block interval.
    pub block_time: Duration,
    /// Where the consensus journals and archives live (`datadir/consensus`).
    pub storage: PathBuf,
    /// Threads of the consensus runtime.
    pub worker_threads: usize,
    /// Test-only: sign conflicting votes (cargo feature `equivocate`; ignored without
    /// it).
    pub equivocate: bool,
}

impl std::fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("public_key", &self.key.public_key())
            .field("validator", &self.validator)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// The running network side of a node.
#[allow(missing_debug_implementations)]
pub struct NetworkHandle {
    stop: Option<futures::channel::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// What the applier has done.
    pub applied: Arc<Mutex<Applied>>,
    /// Ends when the consensus thread stops.
    pub exited: Option<tokio::sync::oneshot::Receiver<()>>,
    /// Renders the consensus runtime's metrics.
    pub metrics: crate::metrics::ConsensusMetrics,
}

impl NetworkHandle {
    /// Stops consensus and the p2p network, waiting for them up to `grace`.
    pub fn stop(mut self, grace: Duration) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let deadline = std::time::Instant::now() + grace;
            while !thread.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if thread.is_finished() {
                let _ = thread.join();
            } else {
                tracing::warn!(target: "node::network", "consensus did not stop in time");
            }
        }
    }
}

/// Transactions the node admitted, waiting for gossip.
const RELAY_QUEUE: usize = 16_384;

/// State shared between the consensus thread and the node's readers.
struct Shared {
    metrics: Arc<crate::metrics::NodeMetrics>,
    reader: Arc<Mutex<Option<cw_tokio::Context>>>,
    provider: CommitteeProvider,
    applied: Arc<Mutex<Applied>>,
    status: Arc<Mutex<ConsensusStatus>>,
    peers: Peers,
}

/// Starts the network side of `node` on its own threads (and makes the node answer
/// `dpos_*`: call it before the RPC server starts).
pub fn start(
    node: Arc<Node>,
    cfg: NetworkConfig,
    metrics: Arc<crate::metrics::NodeMetrics>,
) -> anyhow::Result<NetworkHandle> {
    // A port in use is a clear error here, not a panic in the listener.
    std::net::TcpListener::bind(cfg.listen)
        .with_context(|| format!("p2p address {} is not available", cfg.listen))?;
    std::fs::create_dir_all(&cfg.storage)
        .with_context(|| format!("creating {}", cfg.storage.display()))?;
    let (relay_tx, relay_rx) = tokio::sync::mpsc::channel(RELAY_QUEUE);
    node.attach_relay(relay_tx);
    let applied = Arc::new(Mutex::new(Applied::default()));
    let namespace = format!("{}_VOTES", cfg.namespace);
    let provider = CommitteeProvider::new(
        namespace.as_bytes(),
        Arc::new(FixedCommittee(cfg.committee.clone())),
        cfg.validator.then(|| cfg.key.clone()),
    );
    let reader: Arc<Mutex<Option<cw_tokio::Context>>> = Arc::default();
    let slot = reader.clone();
    let consensus_metrics: crate::metrics::ConsensusMetrics = Arc::new(move || {
        slot.lock()
            .expect("not poisoned")
            .as_ref()
            .map(commonware_runtime::Metrics::encode)
            .unwrap_or_default()
    });
    let shared = Shared {
        metrics,
        reader,
        provider,
        applied: applied.clone(),
        status: Arc::new(Mutex::new(ConsensusStatus::default())),
        peers: Peers::default(),
    };
    // Before the RPC server starts: it registers `dpos_*` only if the node answers them.
    node.attach_dpos(Arc::new(dpos::NetworkDpos {
        node: node.clone(),
        validator: cfg.validator,
        public_key: cfg.key.public_key(),
        provider: shared.provider.clone(),
        epoch_length: cfg.epoch_length.get(),
        status: shared.status.clone(),
        applied: shared.applied.clone(),
        peers: shared.peers.clone(),
    }));
    let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
    let (exited_tx, exited_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("bytom2-consensus".into())
        .spawn(move || {
            let runner = cw_tokio::Runner::new(
                cw_tokio::Config::new()
                    .with_worker_threads(cfg.worker_threads)
                    .with_storage_directory(cfg.storage.clone())
                    // Peers send votes or status every few seconds: a silent connection
                    // is dead, and is dropped so that it is redialled.
                    .with_read_write_timeout(Duration::from_secs(8))
                    .with_catch_panics(false),
            );
            runner.start(|ctx| async move {
                run(ctx, node, cfg, relay_rx, shared, stop_rx).await;
            });
            let _ = exited_tx.send(());
        })
        .context("starting the consensus thread")?;
    Ok(NetworkHandle {
        stop: Some(stop_tx),
        thread: Some(thread),
        applied,
        exited: Some(exited_rx),
        metrics: consensus_metrics,
    })
}

async fn run(
    ctx: cw_tokio::Context,
    node: Arc<Node>,
    cfg: NetworkConfig,
    relay: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    shared: Shared,
    stop: futures::channel::oneshot::Receiver<()>,
) {
    let Shared {
        metrics,
        reader,
        provider,
        applied,
        status,
        peers,
    } = shared;
    let public_key = cfg.key.public_key();
    let handshake = Cups::<_, ChaCha20Poly1305>::new(
        Sake {
            signer: cfg.key.clone(),
            synchrony_bound: Duration::from_secs(5),
            max_handshake_age: Duration::from_secs(10),
            version: sake::Version::V1,
        },
        cups::Version::V1,
    );
    let bootstrappers = cfg
        .bootstrappers
        .iter()
        .filter(|(key, _)| *key != public_key)
        .map(|(key, addr)| (key.clone(), addr.clone()))
        .collect();
    let max_peers = NZUsize!(cfg.committee.len() + cfg.observers.len() + 1);
    let p2p = discovery::Config::local(
        handshake,
        cfg.namespace.as_bytes(),
        cfg.listen,
        cfg.dialable,
        bootstrappers,
        max_peers,
        MAX_MESSAGE_SIZE,
        NZUsize!(4096),
    );
    let (mut network, mut oracle) = Network::new(ctx.child("p2p"), p2p);
    let primary = cfg.committee.keys().clone();
    let secondary = Set::from_iter_dedup(
        cfg.observers
            .iter()
            .filter(|k| !cfg.committee.contains(k))
            .cloned(),
    );
    let _ = oracle.track(0, TrackedPeers::new(primary, secondary));

    let fast = Quota::per_second(NZU32!(512));
    let slow = Quota::per_second(NZU32!(64));
    let votes = network.register(channel::VOTES, fast);
    let certificates = network.register(channel::CERTIFICATES, fast);
    let resolver = network.register(channel::RESOLVER, fast);
    let broadcast = network.register(channel::BROADCAST, slow);
    let backfill = network.register(channel::BACKFILL, fast);
    let transactions = network.register(channel::TRANSACTIONS, fast);
    let evidence = network.register(channel::EVIDENCE, slow);
    let status_channel = network.register(channel::STATUS, Quota::per_second(NZU32!(4)));
    network.start();

    *reader.lock().expect("not poisoned") = Some(ctx.child("metrics"));
    let chain = Arc::new(NodeChain::new(node.clone(), metrics));
    let limits = BlockLimits {
        max_transactions: node.config().max_block_txs,
        max_transaction_size: node.config().pool.max_tx_size,
        max_block_size: MAX_BLOCK_SIZE,
    };
    let consensus = bytom2_consensus::engine::start(
        ctx.child("consensus"),
        Config {
            chain,
            provider,
            public_key: public_key.clone(),
            blocker: oracle.clone(),
            peers: oracle.clone(),
            epoch_length: cfg.epoch_length,
            partition_prefix: "bytom2".into(),
            block_time: cfg.block_time,
            limits,
            timeouts: Timeouts::for_block_time(cfg.block_time),
            applied,
            status,
            equivocate: cfg.equivocate,
        },
        Channels {
            votes,
            certificates,
            resolver,
            broadcast,
            backfill,
            evidence,
        },
    )
    .await;
    let peers_node = node.clone();
    let peers_task = ctx
        .child("peers")
        .spawn(move |ctx| peers::run(ctx, peers_node, peers, status_channel));
    let gossip_node = node.clone();
    let gossip_blocker = oracle.clone();
    let gossip = ctx
        .child("gossip")
        .spawn(move |ctx| gossip::run(ctx, gossip_node, relay, transactions, gossip_blocker));
    tracing::info!(
        target: "node::network",
        public_key = %public_key,
        validator = cfg.validator,
        listen = %cfg.listen,
        "joined the network"
    );
    futures::future::select(
        stop,
        futures::future::select_all([consensus, gossip, peers_task]),
    )
    .await;
    tracing::info!(target: "node::network", "stopping consensus");
    let _ = ctx.stop(0, Some(Duration::from_secs(5))).await;
}
