//! Wires one node's consensus: the simplex engines (one per epoch, see
//! [`crate::orchestrator`]), marshal (block dissemination, ordered delivery of finalized blocks,
//! backfill of missing ones), the application ([`crate::app::App`] through marshal's
//! `Inline` wrapper) and the [`Applier`]. Generic over Commonware's runtime and p2p
//! traits: the node runs it on the tokio runtime with authenticated p2p, the tests on the
//! deterministic runtime with simulated p2p.

use crate::{
    activity::{ConsensusStatus, Tracker},
    applier::{Applied, Applier},
    block::{BlockLimits, ConsensusBlock, digest_of},
    chain::Chain,
    committee::{CommitteeProvider, PublicKey, Scheme},
    orchestrator::{Muxes, Orchestrator},
};
pub use crate::{runtime::Runtime, timeouts::Timeouts};
use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{self, Start, core::Actor as Marshal, resolver::p2p as backfill},
    types::{Epocher, FixedEpocher, Height, ViewDelta},
};
use commonware_cryptography::Digested;
use commonware_p2p::{
    Blocker, Provider, Receiver, Sender,
    utils::mux::{Builder as _, Muxer},
};
use commonware_parallel::Sequential;
use commonware_runtime::{Handle, buffer::paged::CacheRef};
use commonware_storage::archive::immutable;
use commonware_utils::{NZDuration, NZU16, NZU64, NZUsize};
use std::{
    num::{NonZeroU64, NonZeroUsize},
    sync::{Arc, Mutex},
    time::Duration,
};

/// One node's consensus configuration.
#[allow(missing_debug_implementations)]
pub struct Config<C, B, P> {
    /// The node's chain.
    pub chain: Arc<C>,
    /// Committees and this node's signing key.
    pub provider: CommitteeProvider,
    /// This node's public key.
    pub public_key: PublicKey,
    /// Blocks misbehaving peers.
    pub blocker: B,
    /// The peers to fetch from and disseminate to.
    pub peers: P,
    /// Blocks per epoch.
    pub epoch_length: NonZeroU64,
    /// Prefix of every storage partition this node uses.
    pub partition_prefix: String,
    /// Target block interval.
    pub block_time: Duration,
    /// Limits on blocks received.
    pub limits: BlockLimits,
    /// Engine timeouts.
    pub timeouts: Timeouts,
    /// What the applier has done.
    pub applied: Arc<Mutex<Applied>>,
    /// The engine's view, leader and evidence count.
    pub status: Arc<Mutex<ConsensusStatus>>,
    /// Test-only: sign conflicting votes (module `equivocator`, cargo feature
    /// `equivocate`; ignored without it).
    pub equivocate: bool,
}

/// A p2p channel: its sender and receiver.
pub type Channel<S, R> = (S, R);

/// The p2p channels consensus uses.
#[allow(missing_debug_implementations)]
pub struct Channels<S, R> {
    /// Simplex votes.
    pub votes: Channel<S, R>,
    /// Simplex certificates.
    pub certificates: Channel<S, R>,
    /// Simplex's fetches of missing certificates.
    pub resolver: Channel<S, R>,
    /// Block dissemination.
    pub broadcast: Channel<S, R>,
    /// Backfill of finalized blocks.
    pub backfill: Channel<S, R>,
    /// Equivocation evidence.
    pub evidence: Channel<S, R>,
}

const MAILBOX: NonZeroUsize = NZUsize!(1024);
const REPLAY_BUFFER: NonZeroUsize = NZUsize!(1024 * 1024);
const WRITE_BUFFER: NonZeroUsize = NZUsize!(64 * 1024);
const ITEMS_PER_SECTION: NonZeroU64 = NZU64!(4096);

fn archive_config<C>(prefix: &str, name: &str, cache: &CacheRef, codec: C) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{prefix}-{name}-metadata"),
        freezer_table_partition: format!("{prefix}-{name}-freezer-table"),
        freezer_table_initial_size: 1024,
        freezer_table_resize_frequency: 4,
        freezer_table_resize_chunk_size: 1024,
        freezer_key_partition: format!("{prefix}-{name}-freezer-key"),
        freezer_key_page_cache: cache.clone(),
        freezer_value_partition: format!("{prefix}-{name}-freezer-value"),
        freezer_value_target_size: 64 * 1024 * 1024,
        freezer_value_compression: None,
        ordinal_partition: format!("{prefix}-{name}-ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        codec_config: codec,
        replay_buffer: REPLAY_BUFFER,
        freezer_key_write_buffer: WRITE_BUFFER,
        freezer_value_write_buffer: WRITE_BUFFER,
        ordinal_write_buffer: WRITE_BUFFER,
    }
}

/// Starts a node's consensus (a validator's if the provider holds a committee member's
/// key, a follower's otherwise): returns when every actor is running; the handle ends
/// when any of them stops.
pub async fn start<E, C, B, P, S, R>(
    ctx: E,
    cfg: Config<C, B, P>,
    channels: Channels<S, R>,
) -> Handle<()>
where
    E: Runtime,
    C: Chain,
    B: Blocker<PublicKey = PublicKey> + Sync,
    P: Provider<PublicKey = PublicKey>,
    S: Sender<PublicKey = PublicKey>,
    R: Receiver<PublicKey = PublicKey>,
{
    let epocher = FixedEpocher::new(cfg.epoch_length);
    let page_cache = CacheRef::new(NZU16!(4096), NZUsize!(4096));
    let prefix = cfg.partition_prefix.clone();

    // Block dissemination.
    let (buffer, buffer_mailbox) = buffered::Engine::new(
        ctx.child("buffer"),
        buffered::Config {
            public_key: cfg.public_key.clone(),
            mailbox_size: MAILBOX,
            deque_size: 16,
            priority: false,
            codec_config: cfg.limits,
            peer_provider: cfg.peers.clone(),
            strategy: Sequential,
        },
    );
    buffer.start(channels.broadcast);

    // Marshal's stores of finalized blocks and certificates.
    let finalizations = immutable::Archive::init(
        ctx.child("finalizations_by_height"),
        archive_config(
            &prefix,
            "finalizations",
            &page_cache,
            <Scheme as commonware_cryptography::certificate::Verifier>::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .expect("marshal's finalization archive opens");
    let blocks = immutable::Archive::init(
        ctx.child("finalized_blocks"),
        archive_config(&prefix, "blocks", &page_cache, cfg.limits),
    )
    .await
    .expect("marshal's block archive opens");

    let genesis = ConsensusBlock::new(cfg.chain.genesis());
    let genesis_digest = digest_of(genesis.hash());
    let (marshal, marshal_mailbox, _floor) = Marshal::init(
        ctx.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: cfg.provider.clone(),
            epocher: epocher.clone(),
            start: Start::Genesis(Digested::precomputed(genesis, genesis_digest)),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: MAILBOX,
            view_retention: ViewDelta::new(1024),
            prunable_items_per_section: NZU64!(1024),
            page_cache: page_cache.clone(),
            replay_buffer: REPLAY_BUFFER,
            key_write_buffer: WRITE_BUFFER,
            value_write_buffer: WRITE_BUFFER,
            block_codec_config: cfg.limits,
            max_repair: NZUsize!(32),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;

    // Applies finalized blocks to the node.
    let (boundary_tx, boundary_rx) = futures::channel::mpsc::unbounded();
    let (applier, applier_mailbox) = Applier::new(cfg.chain.clone(), cfg.applied.clone());
    let boundary_epocher = epocher.clone();
    let applier = applier.on_applied(Box::new(move |block: &ConsensusBlock| {
        let Some(info) = boundary_epocher.containing(Height::new(block.number())) else {
            return;
        };
        if info.last().get() == block.number() {
            let _ = boundary_tx.unbounded_send((info.epoch(), block.hash()));
        }
    }));
    let applier_handle = applier.start(ctx.child("applier"), marshal_mailbox.clone());

    let backfill_network = backfill::init(
        ctx.child("backfill"),
        backfill::Config {
            public_key: cfg.public_key.clone(),
            peer_provider: cfg.peers.clone(),
            blocker: cfg.blocker.clone(),
            mailbox_size: MAILBOX,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(200),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );
    let marshal_handle = marshal.start(applier_mailbox, buffer_mailbox, backfill_network);

    // One simplex engine (or follower) per epoch, on multiplexed channels.
    let (votes, votes_mux) = Muxer::new(ctx.child("votes_mux"), channels.votes.0, channels.votes.1);
    let (certs, certs_mux, certs_backup) = Muxer::builder(
        ctx.child("certificates_mux"),
        channels.certificates.0,
        channels.certificates.1,
    )
    .with_backup()
    .build();
    let (res, res_mux) = Muxer::new(
        ctx.child("resolver_mux"),
        channels.resolver.0,
        channels.resolver.1,
    );
    let mux_handles = [votes.start(), certs.start(), res.start()];
    // Evidence, view and metrics.
    let (tracker, activity) = Tracker::new(
        cfg.chain.clone(),
        cfg.provider.clone(),
        channels.evidence.0,
        cfg.blocker.clone(),
        cfg.status.clone(),
    );
    let evidence_in = channels.evidence.1;
    let tracker_handle = ctx
        .child("activity")
        .spawn(move |ctx| tracker.run(ctx, evidence_in));
    let orchestrator = Orchestrator {
        activity,
        status: cfg.status.clone(),
        chain: cfg.chain.clone(),
        provider: cfg.provider.clone(),
        public_key: cfg.public_key.clone(),
        blocker: cfg.blocker.clone(),
        epocher,
        marshal: marshal_mailbox,
        partition_prefix: prefix,
        block_time: cfg.block_time,
        timeouts: cfg.timeouts,
        page_cache,
        equivocate: cfg.equivocate,
    };
    let muxes = Muxes {
        votes: votes_mux,
        certificates: certs_mux,
        resolver: res_mux,
    };
    let orchestrator_handle = ctx
        .child("orchestrator")
        .spawn(move |ctx| orchestrator.run(ctx, muxes, boundary_rx, certs_backup));

    ctx.child("supervisor").spawn(move |_| async move {
        let mux_ended = futures::future::select_all(mux_handles);
        futures::future::select(
            futures::future::select_all([
                applier_handle,
                marshal_handle,
                orchestrator_handle,
                tracker_handle,
            ]),
            mux_ended,
        )
        .await;
    })
}
