//! Equivocation evidence: two conflicting votes signed by one validator in one round
//! (two notarizes for different blocks, two finalizes, or a nullify and a finalize). The
//! engine reports what it saw unverified; evidence is kept only once both signatures
//! verify against the epoch's committee, so anyone holding the chain spec (and, with
//! staking, the epoch's committee) can check it again from the stored bytes alone.
//!
//! The stored bytes are Commonware's encoding of the `Activity` variant; the record adds
//! the kind, the validator's key, the epoch and the view, for queries.

use crate::committee::{Committee, PublicKey, Scheme};
use commonware_codec::{Decode as _, Encode as _};
use commonware_consensus::{
    Epochable as _, Viewable as _,
    simplex::types::{Activity, Attributable as _},
};
use commonware_cryptography::keccak256::Digest;
use commonware_parallel::Sequential;
use rand_core::CryptoRng;

/// A simplex activity over this crate's blocks.
pub type ConsensusActivity = Activity<Scheme, Digest>;

/// Largest encoded evidence accepted from a peer.
pub const MAX_EVIDENCE_SIZE: usize = 4096;

/// What a validator signed twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// Notarize votes for two different blocks in one view.
    ConflictingNotarize = 1,
    /// Finalize votes for two different blocks in one view.
    ConflictingFinalize = 2,
    /// A nullify vote and a finalize vote in one view.
    NullifyFinalize = 3,
}

impl EvidenceKind {
    /// The kind stored as `byte`.
    pub fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::ConflictingNotarize),
            2 => Some(Self::ConflictingFinalize),
            3 => Some(Self::NullifyFinalize),
            _ => None,
        }
    }
}

/// Verified evidence of equivocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    /// What was signed twice.
    pub kind: EvidenceKind,
    /// Who signed.
    pub validator: PublicKey,
    /// The epoch of the votes.
    pub epoch: u64,
    /// The view of the votes.
    pub view: u64,
    /// The encoded activity (both votes with their signatures).
    pub data: Vec<u8>,
}

/// Why evidence was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvidenceError {
    /// Not an encoding of evidence.
    #[error("not evidence: {0}")]
    Malformed(String),
    /// The epoch's committee is not known here.
    #[error("no committee for epoch {0}")]
    UnknownEpoch(u64),
    /// A signature does not verify, or the signer is not in the committee.
    #[error("evidence does not verify")]
    Invalid,
}

impl Evidence {
    /// Verifies `activity` against `committee` (of its epoch) under the vote `namespace`;
    /// `None` if it is not evidence, `Err` if it does not verify.
    pub fn verify(
        rng: &mut impl CryptoRng,
        namespace: &[u8],
        committee: &Committee,
        activity: &ConsensusActivity,
    ) -> Result<Option<Self>, EvidenceError> {
        let (kind, signer, epoch, view) = match activity {
            Activity::ConflictingNotarize(e) => (
                EvidenceKind::ConflictingNotarize,
                e.signer(),
                e.epoch(),
                e.view(),
            ),
            Activity::ConflictingFinalize(e) => (
                EvidenceKind::ConflictingFinalize,
                e.signer(),
                e.epoch(),
                e.view(),
            ),
            Activity::NullifyFinalize(e) => (
                EvidenceKind::NullifyFinalize,
                e.signer(),
                e.epoch(),
                e.view(),
            ),
            _ => return Ok(None),
        };
        let verifier = Scheme::verifier(namespace, committee.keys().clone());
        if !activity.verify(rng, &verifier, &Sequential) {
            return Err(EvidenceError::Invalid);
        }
        let validator = committee
            .keys()
            .get(usize::from(signer))
            .cloned()
            .ok_or(EvidenceError::Invalid)?;
        Ok(Some(Self {
            kind,
            validator,
            epoch: epoch.get(),
            view: view.get(),
            data: activity.encode().to_vec(),
        }))
    }

    /// Decodes and verifies evidence a peer sent; `committee_of` gives an epoch's
    /// committee.
    pub fn from_bytes(
        rng: &mut impl CryptoRng,
        namespace: &[u8],
        bytes: &[u8],
        committee_of: impl Fn(u64) -> Option<std::sync::Arc<Committee>>,
    ) -> Result<Self, EvidenceError> {
        if bytes.len() > MAX_EVIDENCE_SIZE {
            return Err(EvidenceError::Malformed("too large".into()));
        }
        // The epoch is needed for the committee's size, which bounds the decoding: read
        // it with the largest committee allowed, then check against the real one.
        let activity = ConsensusActivity::decode_cfg(bytes.to_vec(), &usize::from(u16::MAX))
            .map_err(|e| EvidenceError::Malformed(e.to_string()))?;
        let epoch = match &activity {
            Activity::ConflictingNotarize(e) => e.epoch(),
            Activity::ConflictingFinalize(e) => e.epoch(),
            Activity::NullifyFinalize(e) => e.epoch(),
            _ => return Err(EvidenceError::Malformed("not evidence".into())),
        };
        let committee =
            committee_of(epoch.get()).ok_or(EvidenceError::UnknownEpoch(epoch.get()))?;
        Self::verify(rng, namespace, &committee, &activity)?
            .ok_or_else(|| EvidenceError::Malformed("not evidence".into()))
    }
}
