//! One block lifecycle for every producer: [`Node::propose`] (lenient, commits nothing),
//! [`Node::verify`] (strict, for a block proposed elsewhere), [`Node::finalize`] (commits
//! a decided block, then maintains the pool, the caches and the subscribers). The dev
//! node's miner proposes and finalizes its own blocks at once; the BFT network finalizes
//! what the committee voted for.

use crate::{
    DbBlockHashes, Mempool, NodeError, Rejected,
    builder::BlockBuilder,
    proposals::{ParentState, Proposals},
    service::Node,
};
use alloy_primitives::{B256, map::HashSet};
use bytom2_evm_adapter::{
    Block, BlockAttributes, BlockHashes, BlockTx, ExecutedBlock, InvalidBlock, verify_block,
};
use bytom2_storage::LatestState;
use bytom2_utxo::StateView;
use parking_lot::Mutex;
use std::sync::Arc;

/// A block this node built, and the transactions it left out.
#[derive(Debug)]
pub struct Proposal {
    /// The block, executed and settled, not committed.
    pub block: ExecutedBlock,
    /// What the builder left out, and why.
    pub rejected: Vec<Rejected>,
}

/// A block being proposed: its transactions are taken from the pool and executed in
/// one or several steps (a producer may build the block of its next tick while
/// transactions arrive); nothing is committed. [`OpenProposal::finish`] settles it.
pub(crate) struct OpenProposal<V: StateView, H: BlockHashes> {
    builder: BlockBuilder<V, H>,
    /// [`bytom2_storage::Database::generation`] before its state was read.
    generation: u64,
    /// Every transaction taken from the pool (executed or left out).
    taken: HashSet<B256>,
}

impl<V: StateView, H: BlockHashes> OpenProposal<V, H> {
    fn new(builder: BlockBuilder<V, H>, generation: u64) -> Self {
        Self {
            builder,
            generation,
            taken: HashSet::default(),
        }
    }

    /// The pool's executable transactions not taken yet, in the pool's order, as many as
    /// the block has room for (`max` in all); they count as taken from here on.
    pub(crate) fn select(&mut self, pool: &Mutex<Mempool>, max: usize) -> Vec<BlockTx> {
        let room = max.saturating_sub(self.builder.executed_count());
        if room == 0 {
            return Vec::new();
        }
        let builder = &self.builder;
        // Senders' next nonces come from the block, so Ethereum transactions already
        // executed are not offered again; native ones are (no nonce), and are skipped.
        let offered = pool
            .lock()
            .best(room.saturating_add(self.taken.len()), |a| builder.nonce(a));
        let mut txs = Vec::new();
        for tx in offered {
            if txs.len() == room {
                break;
            }
            let hash = tx.hash();
            if self.taken.insert(hash) {
                txs.push(tx);
            }
        }
        txs
    }

    /// Executes `txs` after those already in the block (leniently: see
    /// [`BlockBuilder::add`]).
    pub(crate) fn add(&mut self, txs: Vec<BlockTx>) -> Result<(), NodeError> {
        self.builder.add(txs)
    }

    /// The block's attributes.
    pub(crate) fn attributes(&self) -> &BlockAttributes {
        self.builder.attributes()
    }

    /// The database generation its state was read at.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Every transaction taken from the pool so far.
    pub(crate) fn taken(&self) -> &HashSet<B256> {
        &self.taken
    }

    /// Transactions executed so far.
    #[cfg(test)]
    pub(crate) fn executed_count(&self) -> usize {
        self.builder.executed_count()
    }

    /// Settles the block.
    pub(crate) fn finish(self) -> Result<Proposal, NodeError> {
        let (block, rejected) = self.builder.finish()?;
        Ok(Proposal { block, rejected })
    }
}

// === impl Node ===

impl Node {
    /// The unfinalized blocks held (proposed here or verified).
    pub fn proposals(&self) -> &Proposals {
        &self.proposals
    }

    /// The state after block `parent` (the head or an unfinalized block held).
    fn parent_state(&self, parent: B256) -> Result<ParentState<'_>, NodeError> {
        let head = self.chain().head();
        let latest = self.chain().latest()?;
        self.proposals.parent_state(
            parent,
            (&head.header, head.hash),
            latest,
            DbBlockHashes(self.chain().db()),
        )
    }

    /// Builds a block with `attrs` over its parent (`attrs.parent_hash`: the head or an
    /// unfinalized block held) from the pool's best transactions, at most
    /// `max_block_txs` of them. Lenient: what cannot run is left out and reported, a
    /// sender's later nonces are held back. Nothing is committed or kept; hand the block
    /// to [`Proposals::insert`] to build on it, and to [`Node::finalize`] once decided.
    pub fn propose(&self, attrs: BlockAttributes) -> Result<Proposal, NodeError> {
        let _producing = self.producing.lock();
        self.propose_locked(attrs)
    }

    /// [`Node::propose`] with the production lock held.
    pub(crate) fn propose_locked(&self, attrs: BlockAttributes) -> Result<Proposal, NodeError> {
        let generation = self.chain().db().generation();
        let parent = self.parent_state(attrs.parent_hash)?;
        let builder = self.chain().builder(parent.state, parent.hashes, attrs)?;
        let mut open = OpenProposal::new(builder, generation);
        let txs = open.select(&self.pool, self.config().max_block_txs);
        open.add(txs)?;
        open.finish()
    }

    /// A proposal with `attrs` over the head's state, to fill in steps (the producing
    /// lock held while it is filled and finished; it goes stale once the database
    /// generation moves).
    pub(crate) fn open_on_head(
        &self,
        attrs: BlockAttributes,
    ) -> Result<OpenProposal<LatestState, DbBlockHashes<'_>>, NodeError> {
        // Read before the state: a write after it makes the block stale, never the
        // other way round.
        let generation = self.chain().db().generation();
        let state = self.chain().latest()?;
        let builder = self
            .chain()
            .builder(state, DbBlockHashes(self.chain().db()), attrs)?;
        Ok(OpenProposal::new(builder, generation))
    }

    /// Verifies `block`, proposed elsewhere, over its parent (the head or an unfinalized
    /// block held): every header field that follows from the parent, then exactly its
    /// transactions in order, then every field execution recomputes. Returns the block
    /// as executed here, ready for [`Proposals::insert`] and [`Node::finalize`]; an
    /// invalid block is [`NodeError::InvalidBlock`]. Nothing is written.
    ///
    /// Transactions already in the pool are not recovered again. The pool of a network
    /// node holds only transactions whose signers were recovered; a development node's
    /// may hold impersonated ones.
    pub fn verify(&self, block: &Block) -> Result<ExecutedBlock, NodeError> {
        let _producing = self.producing.lock();
        let parent = match self.parent_state(block.header.parent_hash) {
            Err(NodeError::UnknownParent(parent_hash)) => {
                return Err(InvalidBlock::UnknownParent { parent_hash }.into());
            }
            other => other?,
        };
        let pool = &self.pool;
        let known = |hash: &B256| pool.lock().get(hash);
        Ok(verify_block(
            self.chain().evm_config(),
            &parent.header,
            parent.hash,
            block,
            parent.state,
            parent.hashes,
            &known,
        )?)
    }

    /// Commits `block` (the head's child; storage refuses any other) with the certificate that finalized it (none
    /// on a development chain) in one write, then: the readers' cache gets the block
    /// before anyone hears of it, the pool drops what the block included or made invalid
    /// (spent inputs, used nonces) and what its builder found permanently invalid
    /// (`rejected`, empty for a block built elsewhere), unfinalized blocks at its height
    /// or orphaned are forgotten, and subscribers hear of it. Returns its number.
    pub fn finalize(
        &self,
        block: ExecutedBlock,
        certificate: Option<&[u8]>,
        rejected: &[Rejected],
    ) -> Result<u64, NodeError> {
        let _producing = self.producing.lock();
        self.finalize_locked(block, certificate, rejected)
    }

    /// [`Node::finalize`] with the production lock held.
    pub(crate) fn finalize_locked(
        &self,
        mut block: ExecutedBlock,
        certificate: Option<&[u8]>,
        rejected: &[Rejected],
    ) -> Result<u64, NodeError> {
        // Storage refuses a block that is not the head's child before writing anything.
        let started = std::time::Instant::now();
        self.chain()
            .commit_with(&block, &block.changes, certificate)?;
        let committed = started.elapsed();
        // The block goes to the readers' cache before anyone hears of it: the wallets
        // that poll its receipts as soon as the head moves find it decoded.
        let cached = Self::block_data(&mut block);
        let weight = 1 + cached.transactions.len();
        self.cache_block(Arc::new(cached), weight);
        let in_cache = started.elapsed();
        self.proposals.prune(block.header.number, block.hash);
        let number = self.after_block(&block, rejected)?;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        tracing::debug!(
            target: "node::lifecycle",
            number,
            hash = %block.hash,
            certified = certificate.is_some(),
            commit_ms = ms(committed),
            cache_ms = ms(in_cache - committed),
            after_ms = ms(started.elapsed() - in_cache),
            "finalized block"
        );
        Ok(number)
    }
}
