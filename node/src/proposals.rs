//! Blocks executed but not finalized ([`Proposals`]): proposed here or verified from
//! another node, keyed by block hash. Several may sit on one parent, and a block may
//! build on one that is not committed yet: its parent state is the committed head with
//! every uncommitted ancestor's changes over it ([`ParentState`]).

use crate::{DbBlockHashes, NodeError};
use alloy_consensus::Header;
use alloy_primitives::{B256, map::HashMap};
use bytom2_evm_adapter::{BlockHashes, ExecutedBlock};
use bytom2_storage::LatestState;
use bytom2_utxo::{StateView, Tip, TipView};
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};

/// Most blocks kept unfinalized: a bound on what proposers can make this node hold.
pub const MAX_PROPOSALS: usize = 1024;

/// An executed block waiting for finality.
#[derive(Debug)]
pub struct Proposed {
    /// The block.
    pub block: ExecutedBlock,
    /// Its changes indexed for reading, built when a child first needs them.
    tip: OnceLock<Arc<Tip>>,
}

impl Proposed {
    fn tip(&self) -> Arc<Tip> {
        self.tip
            .get_or_init(|| {
                Arc::new(Tip::new(
                    Arc::new(self.block.changes.clone()),
                    self.block.commitment.clone(),
                ))
            })
            .clone()
    }
}

/// The unfinalized blocks (module docs).
#[derive(Debug, Default)]
pub struct Proposals {
    blocks: Mutex<HashMap<B256, Arc<Proposed>>>,
}

/// The state a child of some block executes over, and its parent's header.
pub(crate) struct ParentState<'a> {
    /// The parent's header.
    pub(crate) header: Header,
    /// The parent's hash.
    pub(crate) hash: B256,
    /// The state after the parent.
    pub(crate) state: Box<dyn StateView + Send + 'a>,
    /// Block hashes for `BLOCKHASH`: the uncommitted ancestors', then the database's.
    pub(crate) hashes: AncestorHashes<'a>,
}

/// `BLOCKHASH` over uncommitted ancestors and the database.
#[derive(Debug)]
pub(crate) struct AncestorHashes<'a> {
    db: DbBlockHashes<'a>,
    /// `(number, hash)` of each uncommitted ancestor.
    pending: Vec<(u64, B256)>,
}

impl BlockHashes for AncestorHashes<'_> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        match self.pending.iter().find(|(n, _)| *n == number) {
            Some((_, hash)) => Some(*hash),
            None => self.db.block_hash(number),
        }
    }
}

impl Proposals {
    /// Keeps `block` until it is finalized or pruned; returns its hash. Fails when
    /// [`MAX_PROPOSALS`] are held.
    pub fn insert(&self, block: ExecutedBlock) -> Result<B256, NodeError> {
        let hash = block.hash;
        let mut blocks = self.blocks.lock();
        if blocks.len() >= MAX_PROPOSALS && !blocks.contains_key(&hash) {
            return Err(NodeError::TooManyProposals(MAX_PROPOSALS));
        }
        blocks.entry(hash).or_insert_with(|| {
            Arc::new(Proposed {
                block,
                tip: OnceLock::new(),
            })
        });
        Ok(hash)
    }

    /// The block with `hash`, if held.
    pub fn get(&self, hash: &B256) -> Option<Arc<Proposed>> {
        self.blocks.lock().get(hash).cloned()
    }

    /// Removes and returns the block with `hash`.
    pub fn take(&self, hash: &B256) -> Option<Arc<Proposed>> {
        self.blocks.lock().remove(hash)
    }

    /// Number of blocks held.
    pub fn len(&self) -> usize {
        self.blocks.lock().len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every block at or below `finalized` (that height is decided: the others
    /// there lost) and every block whose parent is no longer held or finalized.
    pub(crate) fn prune(&self, finalized: u64, finalized_hash: B256) {
        let mut blocks = self.blocks.lock();
        blocks.retain(|_, p| p.block.header.number > finalized);
        // Children of the losers go too, level by level.
        loop {
            let orphans: Vec<B256> = blocks
                .iter()
                .filter(|(_, p)| {
                    let parent = p.block.header.parent_hash;
                    parent != finalized_hash && !blocks.contains_key(&parent)
                })
                .map(|(h, _)| *h)
                .collect();
            if orphans.is_empty() {
                break;
            }
            for h in orphans {
                blocks.remove(&h);
            }
        }
    }

    /// The uncommitted ancestors of the block `hash` (itself included), oldest first,
    /// down to a child of the committed head `head`; `None` if the chain of parents
    /// does not reach it.
    fn ancestry(&self, hash: B256, head: B256) -> Option<Vec<Arc<Proposed>>> {
        let blocks = self.blocks.lock();
        let mut chain = Vec::new();
        let mut at = hash;
        while at != head {
            let p = blocks.get(&at)?.clone();
            at = p.block.header.parent_hash;
            chain.push(p);
            if chain.len() > blocks.len() {
                return None;
            }
        }
        chain.reverse();
        Some(chain)
    }

    /// The state after block `parent`: the head's (`latest`, at `head`) when it is the
    /// head, or the head's with the uncommitted ancestors' changes over it.
    pub(crate) fn parent_state<'a>(
        &self,
        parent: B256,
        head: (&Header, B256),
        latest: LatestState,
        db: DbBlockHashes<'a>,
    ) -> Result<ParentState<'a>, NodeError> {
        let (head_header, head_hash) = head;
        if parent == head_hash {
            return Ok(ParentState {
                header: head_header.clone(),
                hash: head_hash,
                state: Box::new(latest),
                hashes: AncestorHashes {
                    db,
                    pending: Vec::new(),
                },
            });
        }
        let chain = self
            .ancestry(parent, head_hash)
            .ok_or(NodeError::UnknownParent(parent))?;
        let mut state: Box<dyn StateView + Send + 'a> = Box::new(latest);
        let mut pending = Vec::with_capacity(chain.len());
        for p in &chain {
            state = Box::new(TipView::new(state, Some(p.tip())));
            pending.push((p.block.header.number, p.block.hash));
        }
        let last = chain.last().expect("the parent is not the head");
        Ok(ParentState {
            header: last.block.header.clone(),
            hash: last.block.hash,
            state,
            hashes: AncestorHashes { db, pending },
        })
    }
}
