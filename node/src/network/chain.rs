//! The node as consensus sees it: [`bytom2_consensus::Chain`] over the block lifecycle
//! ([`Node::propose`], [`Node::verify`], [`Node::finalize`]). Blocks proposed or verified
//! here are held in [`crate::Proposals`] until finalized; what a proposal left out for
//! good is remembered until the block is finalized, so the pool drops it then.

use crate::{Node, NodeError, Rejected, metrics::NodeMetrics};
use alloy_primitives::{Address, B256, map::HashMap};
use bytom2_consensus::{Chain, ChainError, Head, evidence::Evidence};
use bytom2_evm_adapter::{Block, BlockAttributes, ExecutedBlock, InvalidBlock};
use bytom2_storage::EvidenceRecord;
use parking_lot::Mutex;
use std::{collections::BTreeMap, sync::Arc, time::Instant};

/// Proposals whose left-out transactions are remembered at most (older ones are
/// forgotten: the pool then drops those transactions when a later block fails them).
const KEPT_REJECTIONS: usize = 64;

/// [`Chain`] over a [`Node`].
#[derive(Debug)]
pub struct NodeChain {
    node: Arc<Node>,
    rejected: Mutex<HashMap<B256, Vec<Rejected>>>,
    metrics: Arc<NodeMetrics>,
    /// When each unfinalized block was first held here, by number (for the finality
    /// latency metric; local clock, never consensus data).
    held_since: Mutex<BTreeMap<(u64, B256), Instant>>,
}

impl NodeChain {
    /// The consensus port of `node`.
    pub fn new(node: Arc<Node>, metrics: Arc<NodeMetrics>) -> Self {
        Self {
            node,
            rejected: Mutex::default(),
            metrics,
            held_since: Mutex::default(),
        }
    }

    fn held_now(&self, number: u64, hash: B256) {
        self.held_since
            .lock()
            .entry((number, hash))
            .or_insert_with(Instant::now);
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    fn block(&self, number: u64) -> Result<Option<Block>, NodeError> {
        let db = self.node.chain().db();
        let Some(header) = db.header(number)? else {
            return Ok(None);
        };
        let (transactions, _) = db.body(number)?.unwrap_or_default();
        Ok(Some(Block {
            header,
            transactions,
        }))
    }

    /// Whether `block` is the finalized block at its height.
    fn is_finalized(&self, block: &Block) -> bool {
        let number = block.header.number;
        number <= self.node.chain().head().header.number
            && matches!(self.node.chain().db().header(number), Ok(Some(h)) if h == block.header)
    }

    /// Verifies `block` and holds it.
    fn verify_and_hold(&self, block: &Block) -> Result<ExecutedBlock, ChainError> {
        let started = Instant::now();
        let executed = self.node.verify(block).map_err(chain_error)?;
        NodeMetrics::observe(&self.metrics.verify, started.elapsed());
        self.held_now(executed.header.number, executed.hash);
        self.node
            .proposals()
            .insert(executed.clone())
            .map_err(chain_error)?;
        Ok(executed)
    }
}

/// A node error as consensus reads it: a block that is invalid for good, a parent not
/// held yet, or a failure of this node.
fn chain_error(e: NodeError) -> ChainError {
    match e {
        NodeError::InvalidBlock(InvalidBlock::UnknownParent { parent_hash }) => {
            ChainError::UnknownParent(parent_hash)
        }
        NodeError::InvalidBlock(e) => ChainError::Invalid(e.to_string()),
        e => ChainError::Node(e.to_string()),
    }
}

impl Chain for NodeChain {
    fn genesis(&self) -> Block {
        self.block(0)
            .ok()
            .flatten()
            .expect("an open chain has its genesis block")
    }

    fn head(&self) -> Head {
        let head = self.node.chain().head();
        Head {
            number: head.header.number,
            hash: head.hash,
            state_root: head.header.state_root,
        }
    }

    fn finalized_block(&self, number: u64) -> Option<Block> {
        if number > self.node.chain().head().header.number {
            return None;
        }
        self.block(number).ok().flatten()
    }

    fn holds(&self, hash: &B256) -> bool {
        self.node.chain().head().hash == *hash || self.node.proposals().get(hash).is_some()
    }

    fn propose(
        &self,
        parent: &Block,
        timestamp: u64,
        beneficiary: Address,
    ) -> Result<Block, ChainError> {
        let attrs = BlockAttributes::child_of(
            self.node.chain().spec(),
            &parent.header,
            parent.hash_slow(),
            timestamp,
            beneficiary,
        );
        let started = Instant::now();
        let proposal = self.node.propose(attrs).map_err(chain_error)?;
        NodeMetrics::observe(&self.metrics.propose, started.elapsed());
        self.held_now(proposal.block.header.number, proposal.block.hash);
        let block = proposal.block.to_block();
        let hash = self
            .node
            .proposals()
            .insert(proposal.block)
            .map_err(chain_error)?;
        if !proposal.rejected.is_empty() {
            let mut rejected = self.rejected.lock();
            if rejected.len() >= KEPT_REJECTIONS {
                rejected.clear();
            }
            rejected.insert(hash, proposal.rejected);
        }
        Ok(block)
    }

    fn verify(&self, block: &Block) -> Result<(), ChainError> {
        match self.verify_and_hold(block) {
            Ok(_) => Ok(()),
            // Finalized meanwhile (its commit ran between the caller's look and this
            // verification, taking its parent out of reach): it is valid.
            Err(ChainError::UnknownParent(_)) if self.is_finalized(block) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn finalize(&self, block: &Block, certificate: &[u8]) -> Result<(), ChainError> {
        let hash = block.hash_slow();
        let executed = match self.node.proposals().take(&hash) {
            Some(held) => Arc::try_unwrap(held)
                .map(|p| p.block)
                .unwrap_or_else(|held| held.block.clone()),
            None => self.verify_and_hold(block)?,
        };
        let rejected = self.rejected.lock().remove(&hash).unwrap_or_default();
        let number = executed.header.number;
        let started = Instant::now();
        self.node
            .finalize(executed, Some(certificate), &rejected)
            .map_err(chain_error)?;
        let now = Instant::now();
        NodeMetrics::observe(&self.metrics.commit, now - started);
        let mut held = self.held_since.lock();
        if let Some(since) = held.get(&(number, hash)) {
            NodeMetrics::observe(&self.metrics.finality, now - *since);
        }
        // Everything at or below a finalized height is decided.
        *held = held.split_off(&(number + 1, B256::ZERO));
        Ok(())
    }

    fn record_evidence(&self, evidence: &Evidence) -> bool {
        let record = EvidenceRecord {
            first_seen_height: self.node.chain().head().header.number,
            kind: evidence.kind as u8,
            validator: super::dpos::key_bytes(&evidence.validator),
            epoch: evidence.epoch,
            view: evidence.view,
            data: evidence.data.clone().into(),
        };
        match self.node.chain().db().put_evidence(&record) {
            Ok(new) => new,
            Err(e) => {
                tracing::error!(target: "node::network", %e, "cannot store evidence");
                false
            }
        }
    }
}
