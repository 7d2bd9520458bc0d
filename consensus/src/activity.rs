//! What the engine reports beyond ordering: equivocation evidence (verified, kept through
//! the [`Chain`] and gossiped to every peer, since a validator that splits its votes may
//! leave each node holding only one of them), the view and leader for status reads, and
//! the metrics: views, nullifications, finalizations and the votes each validator missed
//! (counted from the signers of each finalization certificate).
//!
//! The engine's reporter must not block: [`ActivityMailbox`] only enqueues; the
//! [`Tracker`] actor does the work.

use crate::{
    chain::Chain,
    committee::{CommitteeProvider, PublicKey, Scheme},
    evidence::{ConsensusActivity, Evidence},
};
use commonware_actor::Feedback;
use commonware_consensus::{
    Reporter,
    simplex::elector::{Config as _, Elector as _, RoundRobin, RoundRobinElector},
    types::Round,
};
use commonware_cryptography::sha256::Sha256;
use commonware_p2p::{Blocker, Receiver, Recipients, Sender};
use commonware_runtime::{
    Clock, Metrics, Spawner,
    telemetry::metrics::{Counter, CounterFamily, Gauge, GaugeExt as _, MetricsExt as _},
};
use futures::{FutureExt as _, StreamExt as _, channel::mpsc};
use rand_core::CryptoRng;
use std::sync::{Arc, Mutex};
use tracing::{info, warn};

/// The engine's view of the chain, for status reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsensusStatus {
    /// Epoch of the newest certificate seen.
    pub epoch: u64,
    /// View of the newest certificate seen.
    pub view: u64,
    /// Leader of the view after it.
    pub leader: Option<PublicKey>,
    /// Evidence kept since start.
    pub evidence: u64,
}

/// Enqueues the engine's activity for the [`Tracker`].
#[derive(Clone, Debug)]
pub struct ActivityMailbox {
    tracker: mpsc::Sender<ConsensusActivity>,
    /// Notarizations for the test-only equivocator.
    #[cfg(feature = "equivocate")]
    equivocator: Option<
        mpsc::Sender<
            commonware_consensus::simplex::types::Notarization<
                crate::Scheme,
                commonware_cryptography::keccak256::Digest,
            >,
        >,
    >,
}

impl ActivityMailbox {
    /// This mailbox also handing notarizations to an equivocator.
    #[cfg(feature = "equivocate")]
    pub fn with_equivocator(
        &self,
        equivocator: mpsc::Sender<
            commonware_consensus::simplex::types::Notarization<
                crate::Scheme,
                commonware_cryptography::keccak256::Digest,
            >,
        >,
    ) -> Self {
        Self {
            tracker: self.tracker.clone(),
            equivocator: Some(equivocator),
        }
    }
}

impl Reporter for ActivityMailbox {
    type Activity = ConsensusActivity;

    fn report(&mut self, activity: ConsensusActivity) -> Feedback {
        #[cfg(feature = "equivocate")]
        if let (Some(tx), Some(n)) = (
            self.equivocator.as_mut(),
            crate::equivocator::wants(&activity),
        ) {
            let _ = tx.try_send(n);
        }
        // Votes are the bulk and matter only as evidence, which the engine reports as
        // its own activity: skip them here.
        if matches!(
            activity,
            ConsensusActivity::Notarize(_)
                | ConsensusActivity::Nullify(_)
                | ConsensusActivity::Finalize(_)
        ) {
            return Feedback::Ok;
        }
        match self.tracker.try_send(activity) {
            Ok(()) => Feedback::Ok,
            Err(e) if e.is_full() => Feedback::Backoff,
            Err(_) => Feedback::Closed,
        }
    }
}

/// Label of a per-validator metric.
#[derive(
    Clone, Debug, Hash, PartialEq, Eq, commonware_runtime::telemetry::metrics::EncodeLabelSet,
)]
struct ValidatorLabel {
    validator: String,
}

/// The tracker actor.
#[allow(missing_debug_implementations)]
pub struct Tracker<C: Chain, S, B> {
    chain: Arc<C>,
    provider: CommitteeProvider,
    evidence_out: S,
    blocker: B,
    status: Arc<Mutex<ConsensusStatus>>,
    activity: mpsc::Receiver<ConsensusActivity>,
}

/// Activity queued at most.
const QUEUE: usize = 4096;

impl<C, S, B> Tracker<C, S, B>
where
    C: Chain,
    S: Sender<PublicKey = PublicKey>,
    B: Blocker<PublicKey = PublicKey>,
{
    /// A tracker keeping evidence through `chain` and gossiping it on `evidence_out`.
    pub fn new(
        chain: Arc<C>,
        provider: CommitteeProvider,
        evidence_out: S,
        blocker: B,
        status: Arc<Mutex<ConsensusStatus>>,
    ) -> (Self, ActivityMailbox) {
        let (tx, rx) = mpsc::channel(QUEUE);
        (
            Self {
                chain,
                provider,
                evidence_out,
                blocker,
                status,
                activity: rx,
            },
            ActivityMailbox {
                tracker: tx,
                #[cfg(feature = "equivocate")]
                equivocator: None,
            },
        )
    }

    /// Runs the tracker and the receiver of peers' evidence.
    pub async fn run<E: Clock + Spawner + Metrics + CryptoRng>(
        mut self,
        mut ctx: E,
        mut evidence_in: impl Receiver<PublicKey = PublicKey>,
    ) {
        let views: Gauge = ctx.gauge("view", "view of the newest certificate seen");
        let nullifications: Counter = ctx.counter(
            "nullifications",
            "views skipped by a nullification certificate",
        );
        let finalizations: Counter = ctx.counter("finalizations", "finalization certificates seen");
        let evidence_kept: Counter = ctx.counter("evidence", "equivocation evidence kept");
        let missed: CounterFamily<ValidatorLabel> = ctx.family(
            "votes_missed",
            "finalization certificates a validator's vote is missing from",
        );
        loop {
            futures::select! {
                activity = self.activity.next() => {
                    let Some(activity) = activity else { return };
                    match &activity {
                        ConsensusActivity::Notarization(n) => {
                            self.saw_round(n.round(), &views);
                        }
                        ConsensusActivity::Nullification(n) => {
                            nullifications.inc();
                            self.saw_round(n.round(), &views);
                        }
                        ConsensusActivity::Finalization(f) => {
                            finalizations.inc();
                            self.saw_round(f.round(), &views);
                            if let Some(committee) = self.provider.committee(f.round().epoch()) {
                                let signed: std::collections::BTreeSet<usize> =
                                    f.certificate.signers.iter().map(usize::from).collect();
                                for (i, key) in committee.keys().iter().enumerate() {
                                    if !signed.contains(&i) {
                                        missed
                                            .get_or_create(&ValidatorLabel { validator: key.to_string() })
                                            .inc();
                                    }
                                }
                            }
                        }
                        ConsensusActivity::ConflictingNotarize(_)
                        | ConsensusActivity::ConflictingFinalize(_)
                        | ConsensusActivity::NullifyFinalize(_) => {
                            let epoch = match &activity {
                                ConsensusActivity::ConflictingNotarize(e) => commonware_consensus::Epochable::epoch(e),
                                ConsensusActivity::ConflictingFinalize(e) => commonware_consensus::Epochable::epoch(e),
                                ConsensusActivity::NullifyFinalize(e) => commonware_consensus::Epochable::epoch(e),
                                _ => unreachable!(),
                            };
                            let Some(committee) = self.provider.committee(epoch) else { continue };
                            match Evidence::verify(&mut ctx, self.provider.namespace(), &committee, &activity) {
                                Ok(Some(evidence)) => {
                                    if self.keep(&evidence) {
                                        evidence_kept.inc();
                                        // Every peer gets it: the other vote may be all it saw.
                                        let _ = self.evidence_out.send(
                                            Recipients::All,
                                            evidence.data.clone(),
                                            false,
                                        );
                                    }
                                }
                                Ok(None) => {}
                                Err(e) => warn!(%e, "the engine reported evidence that does not verify"),
                            }
                        }
                        _ => {}
                    }
                }
                message = evidence_in.recv().fuse() => {
                    let Ok((peer, bytes)) = message else { return };
                    let provider = self.provider.clone();
                    match Evidence::from_bytes(&mut ctx, provider.namespace(), bytes.as_ref(), |e| {
                        provider.committee(commonware_consensus::types::Epoch::new(e))
                    }) {
                        Ok(evidence) => {
                            if self.keep(&evidence) {
                                evidence_kept.inc();
                            }
                        }
                        Err(crate::evidence::EvidenceError::UnknownEpoch(_)) => {}
                        Err(e) => {
                            warn!(%peer, %e, "invalid evidence from a peer; blocking it");
                            self.blocker.block(peer);
                        }
                    }
                }
            }
        }
    }

    /// Stores `evidence`; true if it is new here.
    fn keep(&self, evidence: &Evidence) -> bool {
        let new = self.chain.record_evidence(evidence);
        if new {
            self.status.lock().expect("not poisoned").evidence += 1;
            info!(
                validator = %evidence.validator,
                kind = ?evidence.kind,
                epoch = evidence.epoch,
                view = evidence.view,
                "kept equivocation evidence"
            );
        }
        new
    }

    fn saw_round(&self, round: Round, views: &Gauge) {
        let mut status = self.status.lock().expect("not poisoned");
        let (epoch, view) = (round.epoch().get(), round.view().get());
        if (epoch, view) <= (status.epoch, status.view) {
            return;
        }
        status.epoch = epoch;
        status.view = view;
        let _ = views.try_set(view);
        status.leader = self
            .provider
            .committee(round.epoch())
            .and_then(|committee| {
                let elector: RoundRobinElector<Scheme> =
                    RoundRobin::<Sha256>::default().build(committee.keys());
                let next = Round::new(round.epoch(), round.view().next());
                let leader = elector.elect(next, ());
                committee.keys().get(usize::from(leader)).cloned()
            });
    }
}
