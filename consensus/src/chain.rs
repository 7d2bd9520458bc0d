//! The port between consensus and the node that executes and stores blocks: a
//! synchronous interface the node implements over its block lifecycle (propose, verify,
//! finalize), so this crate never touches the database or the pool.
//!
//! Calls are CPU-bound and may take a block's execution time; the engine runs them on the
//! runtime's blocking pool. Every call must be deterministic in its arguments and the
//! chain it has applied: two honest nodes asked the same give the same answer.

use alloy_primitives::{Address, B256};
use bytom2_evm_adapter::Block;

/// Why a block was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The block is invalid for good (a peer sent it; never retry, block the sender).
    #[error("invalid block: {0}")]
    Invalid(String),
    /// The block's parent is neither finalized here nor held: verify its ancestors first.
    #[error("unknown parent {0}")]
    UnknownParent(B256),
    /// This node failed (database, I/O): nothing is known about the block.
    #[error("node failure: {0}")]
    Node(String),
}

/// The newest block this node has finalized and applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its state root.
    pub state_root: B256,
}

/// What consensus needs of the node.
pub trait Chain: Send + Sync + 'static {
    /// The genesis block.
    fn genesis(&self) -> Block;

    /// The newest finalized block applied.
    fn head(&self) -> Head;

    /// The finalized block at `number`, if applied here.
    fn finalized_block(&self, number: u64) -> Option<Block>;

    /// Whether block `hash` is held unfinalized (proposed or verified here) or is the
    /// head: a child of it can be proposed or verified.
    fn holds(&self, hash: &B256) -> bool;

    /// Builds and holds a child of `parent` (finalized head or held) with `timestamp`
    /// (seconds; raised to the parent's if earlier) and `beneficiary`, from the pool.
    fn propose(
        &self,
        parent: &Block,
        timestamp: u64,
        beneficiary: Address,
    ) -> Result<Block, ChainError>;

    /// Verifies `block` over its parent (finalized head or held) and holds it.
    fn verify(&self, block: &Block) -> Result<(), ChainError>;

    /// Commits `block`, the head's child, finalized by `certificate` (the encoded
    /// [`crate::Finality`]). The block need not be held: it is verified first if it is
    /// not. A block the committee finalized that fails here means a broken committee or a
    /// determinism bug: the caller halts.
    fn finalize(&self, block: &Block, certificate: &[u8]) -> Result<(), ChainError>;

    /// Keeps verified equivocation `evidence` (first seen at this node's head); true if
    /// it was not kept before.
    fn record_evidence(&self, evidence: &crate::evidence::Evidence) -> bool;
}
