//! Test-only Byzantine behaviour (cargo feature `equivocate`, left out of release
//! builds): after each view this validator voted to notarize, it signs a second notarize
//! vote for a different block in the same view and sends it to every peer. Honest nodes
//! holding both votes report the conflict; it is how the evidence path is tested end to
//! end.

use crate::{block::digest_of, committee::Scheme, evidence::ConsensusActivity};
use commonware_codec::Encode as _;
use commonware_consensus::simplex::types::{Notarization, Notarize, Proposal, Vote};
use commonware_cryptography::{certificate::Scheme as _, keccak256::Digest};
use commonware_p2p::{Recipients, Sender};
use futures::{StreamExt as _, channel::mpsc};
use std::sync::Arc;
use tracing::warn;

/// Notarizations handed to the equivocator.
pub type Notarizations = mpsc::Receiver<Notarization<Scheme, Digest>>;

/// Runs the equivocator of one epoch: `scheme` signs, `votes` reaches the peers.
pub async fn run<S: Sender<PublicKey = crate::PublicKey>>(
    scheme: Arc<Scheme>,
    mut votes: S,
    mut notarizations: Notarizations,
) {
    let Some(me) = scheme.me().and_then(|m| m.signer()) else {
        return;
    };
    while let Some(notarization) = notarizations.next().await {
        if !notarization.certificate.signers.iter().any(|s| s == me) {
            continue;
        }
        let mut other = notarization.proposal.payload.0;
        other[0] ^= 0xff;
        let proposal = Proposal::new(
            notarization.proposal.round,
            notarization.proposal.parent,
            digest_of(other.into()),
        );
        let Some(vote) = Notarize::sign(scheme.as_ref(), proposal) else {
            continue;
        };
        warn!(round = ?notarization.proposal.round, "equivocating: sent a conflicting notarize vote");
        let _ = votes.send(
            Recipients::All,
            Vote::<Scheme, Digest>::Notarize(vote).encode(),
            true,
        );
    }
}

/// Whether `activity` goes to the equivocator.
pub fn wants(activity: &ConsensusActivity) -> Option<Notarization<Scheme, Digest>> {
    match activity {
        ConsensusActivity::Notarization(n) => Some(n.clone()),
        _ => None,
    }
}
