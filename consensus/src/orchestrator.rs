//! One consensus instance per epoch. For each epoch this node either runs a simplex
//! engine (it is in that epoch's committee and holds its key) or follows it: it reads the
//! epoch's certificates, verifies each finalization against the epoch's committee and
//! hands it to marshal, which fetches and delivers the blocks.
//!
//! Epoch `e` covers heights `[e·L, (e+1)·L)` (`L` = the chain spec's epoch length). When
//! the applier commits the last block of `e`, the instance of `e + 1` starts from that
//! block (its view-0 parent); the instance of `e` keeps running for a grace period so
//! lagging peers can still collect its certificates, then stops. All instances share the
//! three simplex channels, multiplexed by epoch.

use crate::{
    activity::ActivityMailbox,
    app::App,
    applier::Marshal,
    block::digest_of,
    chain::Chain,
    committee::{CommitteeProvider, PublicKey, Scheme},
    runtime::Runtime,
    timeouts::Timeouts,
};
use commonware_codec::Decode as _;
use commonware_consensus::{
    Reporter as _, Reporters,
    marshal::standard::Inline,
    simplex::{
        self,
        config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
        types::{Activity, Certificate},
    },
    types::{Epoch, Epocher as _, FixedEpocher, ViewDelta},
};
use commonware_cryptography::{
    certificate::{Provider as _, Verifier as _},
    keccak256::Digest,
    sha256::Sha256,
};
use commonware_p2p::{Blocker, Receiver, Sender, utils::mux::MuxHandle};
use commonware_parallel::Sequential;
use commonware_runtime::{Handle, buffer::paged::CacheRef};
use commonware_utils::{NZDuration, NZUsize};
use futures::{FutureExt as _, StreamExt as _, channel::mpsc};
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tracing::{debug, info, warn};

/// How long an epoch's instance outlives the epoch.
pub const EPOCH_GRACE: Duration = Duration::from_secs(20);

/// The shared simplex channels, one sub-channel per epoch.
pub struct Muxes<S: Sender> {
    /// Votes.
    pub votes: MuxHandle<S>,
    /// Certificates.
    pub certificates: MuxHandle<S>,
    /// Certificate fetches.
    pub resolver: MuxHandle<S>,
}

impl<S: Sender> std::fmt::Debug for Muxes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Muxes").finish_non_exhaustive()
    }
}

/// What the orchestrator needs.
#[allow(missing_debug_implementations)]
pub struct Orchestrator<C: Chain, B> {
    /// Receives the engines' activity beside marshal.
    pub activity: ActivityMailbox,
    /// The view a follower saw last (engines report theirs through `activity`).
    pub status: Arc<std::sync::Mutex<crate::activity::ConsensusStatus>>,
    /// The node's chain.
    pub chain: Arc<C>,
    /// Committees and this node's key.
    pub provider: CommitteeProvider,
    /// This node's public key.
    pub public_key: PublicKey,
    /// Blocks misbehaving peers.
    pub blocker: B,
    /// Epoch boundaries.
    pub epocher: FixedEpocher,
    /// Marshal.
    pub marshal: Marshal,
    /// Storage partition prefix.
    pub partition_prefix: String,
    /// Target block interval.
    pub block_time: Duration,
    /// Engine timeouts.
    pub timeouts: Timeouts,
    /// Page cache for the engines' journals.
    pub page_cache: CacheRef,
    /// Test-only: sign conflicting votes (module `equivocator`, cargo feature
    /// `equivocate`; ignored without it).
    pub equivocate: bool,
}

/// Certificates on sub-channels (epochs) no instance here has registered.
pub type CertificateBackup =
    commonware_utils::channel::mpsc::Receiver<(u64, commonware_p2p::Message<PublicKey>)>;

/// Ended epochs: `(epoch, last block's hash)` from the applier.
pub type Boundaries = mpsc::UnboundedReceiver<(Epoch, alloy_primitives::B256)>;

impl<C: Chain, B: Blocker<PublicKey = PublicKey> + Sync> Orchestrator<C, B> {
    /// Runs the instance of the epoch after the head, then one per epoch as the applier
    /// reports each ended epoch.
    pub async fn run<E: Runtime, S: Sender<PublicKey = PublicKey>>(
        self,
        ctx: E,
        mut muxes: Muxes<S>,
        mut boundaries: Boundaries,
        backup: CertificateBackup,
    ) {
        let head = self.chain.head();
        let first = self
            .epocher
            .containing(commonware_consensus::types::Height::new(head.number + 1))
            .expect("every height has an epoch");
        // The view-0 parent of the epoch: genesis, or the previous epoch's last block.
        let floor = if first.epoch() == Epoch::zero() {
            self.chain.genesis().hash_slow()
        } else {
            let n = first.first().get() - 1;
            self.chain
                .finalized_block(n)
                .expect("the previous epoch's last block is applied")
                .hash_slow()
        };
        let current = Arc::new(std::sync::atomic::AtomicU64::new(first.epoch().get()));
        let catch_up = self.follower();
        let catch_up_current = current.clone();
        let catch_up_handle = ctx
            .child("catch_up")
            .spawn(move |ctx| catch_up.catch_up(ctx, backup, catch_up_current));
        let mut running: BTreeMap<Epoch, Handle<()>> = BTreeMap::new();
        let mut retiring: Vec<(std::time::SystemTime, Epoch)> = Vec::new();
        let handle = self
            .start_epoch(&ctx, &mut muxes, first.epoch(), floor)
            .await;
        running.insert(first.epoch(), handle);
        loop {
            let next_stop = retiring.iter().map(|(t, _)| *t).min();
            let timer = match next_stop {
                Some(t) => ctx.sleep_until(t).boxed(),
                None => futures::future::pending().boxed(),
            };
            futures::select! {
                boundary = boundaries.next() => {
                    let Some((ended, last)) = boundary else { break };
                    let next = ended.next();
                    if running.contains_key(&next) {
                        continue;
                    }
                    let handle = self.start_epoch(&ctx, &mut muxes, next, last).await;
                    running.insert(next, handle);
                    current.store(next.get(), std::sync::atomic::Ordering::Relaxed);
                    retiring.push((ctx.current() + EPOCH_GRACE, ended));
                    // Anything older than the ended epoch goes now.
                    let old: Vec<_> = running.range(..ended).map(|(e, _)| *e).collect();
                    for e in old {
                        if let Some(h) = running.remove(&e) {
                            h.abort();
                        }
                    }
                }
                _ = timer.fuse() => {
                    let now = ctx.current();
                    retiring.retain(|(t, e)| {
                        if *t <= now {
                            if let Some(h) = running.remove(e) {
                                info!(epoch = %e, "stopped the ended epoch's instance");
                                h.abort();
                            }
                            false
                        } else {
                            true
                        }
                    });
                }
            }
        }
        for (_, h) in running {
            h.abort();
        }
        catch_up_handle.abort();
    }

    fn follower(&self) -> Follower<B> {
        Follower {
            provider: self.provider.clone(),
            blocker: self.blocker.clone(),
            marshal: self.marshal.clone(),
            status: self.status.clone(),
        }
    }

    /// Starts the instance of `epoch` whose view-0 parent is block `floor`.
    async fn start_epoch<E: Runtime, S: Sender<PublicKey = PublicKey>>(
        &self,
        ctx: &E,
        muxes: &mut Muxes<S>,
        epoch: Epoch,
        floor: alloy_primitives::B256,
    ) -> Handle<()> {
        let sub = epoch.get();
        let certificates = muxes
            .certificates
            .register(sub)
            .await
            .expect("the certificate muxer runs");
        let ctx = ctx.child("epoch").with_attribute("epoch", sub);
        match self.provider.scheme(epoch) {
            Some(scheme) => {
                info!(epoch = %epoch, "starting the epoch's simplex engine");
                let votes = muxes
                    .votes
                    .register(sub)
                    .await
                    .expect("the vote muxer runs");
                #[allow(unused_mut)]
                let mut activity = self.activity.clone();
                #[cfg(feature = "equivocate")]
                if self.equivocate {
                    let (tx, rx) = futures::channel::mpsc::channel(64);
                    activity = activity.with_equivocator(tx);
                    let sender = votes.0.clone();
                    let signer = scheme.clone();
                    ctx.child("equivocator")
                        .spawn(move |_| crate::equivocator::run(signer, sender, rx));
                }
                let resolver = muxes
                    .resolver
                    .register(sub)
                    .await
                    .expect("the resolver muxer runs");
                let app = App::new(
                    self.chain.clone(),
                    self.provider.clone(),
                    self.blocker.clone(),
                    self.block_time,
                );
                let inline = Inline::new(
                    ctx.child("inline"),
                    app,
                    self.marshal.clone(),
                    self.epocher.clone(),
                );
                let engine = simplex::Engine::new(
                    ctx.child("simplex"),
                    simplex::Config {
                        scheme: (*scheme).clone(),
                        elector: RoundRobin::<Sha256>::default(),
                        blocker: self.blocker.clone(),
                        automaton: inline.clone(),
                        relay: inline.clone(),
                        reporter: Reporters::from((inline, activity)),
                        track_historical_votes: true,
                        strategy: Sequential,
                        partition: format!("{}-simplex-{sub}", self.partition_prefix),
                        mailbox_size: NZUsize!(1024),
                        epoch,
                        floor: Floor::Genesis(digest_of(floor)),
                        replay_buffer: NZUsize!(1024 * 1024),
                        write_buffer: NZUsize!(64 * 1024),
                        page_cache: self.page_cache.clone(),
                        leader_timeout: self.timeouts.leader,
                        certification_timeout: self.timeouts.certification,
                        timeout_retry: self.timeouts.retry,
                        view_retention: ViewDelta::new(64),
                        skip: SkipPolicy::Enabled {
                            timeout: self.timeouts.certification * 3,
                            budget: SkipBudget::Participants,
                        },
                        fetch_timeout: NZDuration!(Duration::from_secs(1)),
                        fetch_retry_delay: Duration::from_millis(100),
                        forward: ForwardPolicy::Disabled,
                    },
                );
                engine.start(votes, certificates, resolver)
            }
            None => {
                info!(epoch = %epoch, "following the epoch's certificates");
                let follower = self.follower();
                ctx.spawn(move |ctx| follower.run(ctx, epoch, certificates.1))
            }
        }
    }
}

/// Feeds marshal the finalizations of epochs this node does not vote in: one epoch's
/// (a follower), or any later epoch's (catching up after a restart or a late start,
/// when the network has moved past the epochs this node runs).
struct Follower<B> {
    provider: CommitteeProvider,
    blocker: B,
    marshal: Marshal,
    status: Arc<std::sync::Mutex<crate::activity::ConsensusStatus>>,
}

impl<B: Blocker<PublicKey = PublicKey>> Follower<B> {
    /// Checks a certificate received on epoch `epoch`'s sub-channel and hands marshal a
    /// finalization that verifies. A peer sending what does not decode or verify is
    /// blocked; an epoch whose committee is not known yet is skipped.
    fn receive(
        &mut self,
        rng: &mut impl rand_core::CryptoRng,
        epoch: Epoch,
        peer: PublicKey,
        bytes: commonware_runtime::IoBuf,
    ) {
        let Some(verifier) = self.provider.scoped(epoch) else {
            return;
        };
        let cfg = verifier.certificate_codec_config();
        let certificate = match Certificate::<Scheme, Digest>::decode_cfg(bytes, &cfg) {
            Ok(c) => c,
            Err(e) => {
                warn!(%peer, %e, "undecodable certificate; blocking the peer");
                self.blocker.block(peer);
                return;
            }
        };
        let Certificate::Finalization(finalization) = certificate else {
            return;
        };
        if finalization.proposal.round.epoch() != epoch
            || !finalization.verify(rng, &verifier, &Sequential)
        {
            warn!(%peer, "a finalization that does not verify; blocking the peer");
            self.blocker.block(peer);
            return;
        }
        debug!(round = ?finalization.proposal.round, "following a finalization");
        {
            let round = finalization.proposal.round;
            let mut status = self.status.lock().expect("not poisoned");
            if (round.epoch().get(), round.view().get()) > (status.epoch, status.view) {
                status.epoch = round.epoch().get();
                status.view = round.view().get();
            }
        }
        self.marshal.report(Activity::Finalization(finalization));
    }

    /// Follows one epoch's sub-channel.
    async fn run<E: Runtime>(
        mut self,
        mut ctx: E,
        epoch: Epoch,
        mut certificates: impl Receiver<PublicKey = PublicKey>,
    ) {
        while let Ok((peer, bytes)) = certificates.recv().await {
            self.receive(&mut ctx, epoch, peer, bytes);
        }
    }

    /// Follows the certificates of epochs no instance here runs, when they are ahead of
    /// the newest epoch `current` reports.
    async fn catch_up<E: Runtime>(
        mut self,
        mut ctx: E,
        mut backup: CertificateBackup,
        current: Arc<std::sync::atomic::AtomicU64>,
    ) {
        while let Some((sub, (peer, bytes))) = backup.recv().await {
            if sub <= current.load(std::sync::atomic::Ordering::Relaxed) {
                continue;
            }
            self.receive(&mut ctx, Epoch::new(sub), peer, bytes);
        }
    }
}
