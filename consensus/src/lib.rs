//! bytom2 consensus: validators elected by stake order and finalize blocks with
//! Commonware's simplex BFT (a block is final once more than 2/3 of the committee voted
//! for it, and is never reverted); full nodes follow the finalized chain.
//!
//! This crate owns the protocol side and nothing else: the block as consensus sees it
//! ([`block`]), committees and the vote scheme ([`committee`]), validator key files
//! ([`keys`]), the application the engine drives ([`app`]: propose and verify through the
//! node's [`chain::Chain`] port), the ordered, exactly-once application of finalized blocks
//! ([`applier`]) with the certificate stored beside each ([`finality`]), one engine (or
//! certificate follower) per epoch ([`orchestrator`]), equivocation evidence
//! ([`evidence`]) and the tracker of the engine's activity ([`activity`]), and the wiring
//! of simplex, marshal and the p2p channels ([`engine`]). It is generic over Commonware's
//! runtime traits ([`runtime::Runtime`]), so the same code runs on the deterministic
//! runtime in tests and on the tokio runtime in the node. Operator documentation:
//! `docs/network.md`.
//!
//! # Feature flags
//! - `equivocate`: the test-only Byzantine validator (module `equivocator`); release builds
//!   leave it out.

pub mod activity;
pub mod app;
pub mod applier;
pub mod block;
pub mod chain;
pub mod committee;
pub mod engine;
#[cfg(feature = "equivocate")]
pub mod equivocator;
pub mod evidence;
pub mod finality;
pub mod keys;
pub mod orchestrator;
pub mod runtime;
pub mod timeouts;

pub use block::{BlockLimits, ConsensusBlock};
pub use chain::{Chain, ChainError, Head};
pub use committee::{
    Committee, CommitteeError, CommitteeProvider, CommitteeSource, FixedCommittee, Member,
    PrivateKey, PublicKey, Scheme,
};
pub use finality::{Finality, Finalization};
