//! Back-to-back blocks: block N+1 executes while block N's MDBX commit runs on a thread
//! of its own, as reth keeps execution apart from persistence.
//!
//! At most one block is being committed at a time, and blocks are committed in order:
//! [`Pipeline::commit`] first waits for the previous block's commit. Meanwhile the next
//! block reads the committing block's changes through a [`TipView`] over a database
//! snapshot, which may be from before that commit or after it (the view is the same).
//! The chain's head (what RPC readers see) still moves only once a block is durable.
//!
//! This is for importing or producing blocks faster than one commit apart. The dev
//! node's producer does not use it: with blocks a second or more apart, each commit
//! ends long before the next block starts.

use crate::{Chain, DbBlockHashes, NodeError, Rejected};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256};
use bytom2_evm_adapter::{BlockAttributes, BlockHashes, BlockTx, ExecutedBlock};
use bytom2_storage::StorageError;
use bytom2_utxo::{Tip, TipView};
use std::{sync::Arc, thread::JoinHandle};

/// The block being committed.
#[derive(Debug)]
struct InFlight {
    header: Header,
    hash: B256,
    tip: Arc<Tip>,
    commit: JoinHandle<Result<(), NodeError>>,
}

/// Block hashes for `BLOCKHASH`: the block being committed, then the database.
#[derive(Debug)]
struct TipHashes<'a> {
    db: DbBlockHashes<'a>,
    tip: Option<(u64, B256)>,
}

impl BlockHashes for TipHashes<'_> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        match self.tip {
            Some((n, hash)) if n == number => Some(hash),
            _ => self.db.block_hash(number),
        }
    }
}

/// Executes blocks over the chain while the previous block commits (module docs).
#[derive(Debug)]
pub struct Pipeline {
    chain: Chain,
    inflight: Option<InFlight>,
}

impl Pipeline {
    /// A pipeline writing to `chain`.
    pub fn new(chain: Chain) -> Self {
        Self {
            chain,
            inflight: None,
        }
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        &self.chain
    }

    /// Attributes of the child of the last block handed to [`Pipeline::commit`] (or of
    /// the head), as [`Chain::next_attributes`].
    pub fn next_attributes(&self, timestamp: u64, beneficiary: Address) -> BlockAttributes {
        match &self.inflight {
            Some(f) => BlockAttributes::child_of(
                self.chain.spec(),
                &f.header,
                f.hash,
                timestamp,
                beneficiary,
            ),
            None => self.chain.next_attributes(timestamp, beneficiary),
        }
    }

    /// Executes `txs` into the child of the last block handed to [`Pipeline::commit`],
    /// as [`Chain::execute_block`] does for the head. Nothing is written.
    pub fn execute(
        &self,
        attrs: BlockAttributes,
        txs: impl IntoIterator<Item = impl Into<BlockTx>>,
    ) -> Result<(ExecutedBlock, Vec<Rejected>), NodeError> {
        let base = self.chain.latest()?;
        let state = TipView::new(base, self.inflight.as_ref().map(|f| f.tip.clone()));
        let hashes = TipHashes {
            db: DbBlockHashes(self.chain.db()),
            tip: self.inflight.as_ref().map(|f| (f.header.number, f.hash)),
        };
        self.chain.execute_over(state, hashes, attrs, txs)
    }

    /// Waits for the previous block's commit (returning its error, if it failed), then
    /// starts committing `block` on a thread of its own. `block` must be the child of
    /// the last block handed here (or of the head): the next block executes on top of
    /// it before the database has checked it.
    pub fn commit(&mut self, mut block: ExecutedBlock) -> Result<(), NodeError> {
        let (parent_number, parent_hash) = match &self.inflight {
            Some(f) => (f.header.number, f.hash),
            None => {
                let head = self.chain.head();
                (head.header.number, head.hash)
            }
        };
        if block.header.parent_hash != parent_hash || block.header.number != parent_number + 1 {
            return Err(StorageError::NotNextBlock {
                number: block.header.number,
                parent_hash: block.header.parent_hash,
                expected_number: parent_number + 1,
                expected_parent: Some(parent_hash),
            }
            .into());
        }
        self.wait()?;
        let changes = Arc::new(std::mem::take(&mut block.changes));
        let tip = Arc::new(Tip::new(changes.clone(), block.commitment.clone()));
        let (header, hash) = (block.header.clone(), block.hash);
        let chain = self.chain.clone();
        let commit = std::thread::Builder::new()
            .name("bytom2-commit".into())
            .spawn(move || chain.commit_with(&block, &changes, None))
            .map_err(|e| NodeError::Io {
                path: self.chain.db().path().to_path_buf(),
                message: format!("starting the commit thread: {e}"),
            })?;
        self.inflight = Some(InFlight {
            header,
            hash,
            tip,
            commit,
        });
        Ok(())
    }

    /// Waits until every block handed to [`Pipeline::commit`] is committed; the error
    /// of a commit that failed.
    pub fn wait(&mut self) -> Result<(), NodeError> {
        match self.inflight.take() {
            None => Ok(()),
            Some(f) => f.commit.join().unwrap_or_else(|panic| {
                let why = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(NodeError::Io {
                    path: self.chain.db().path().to_path_buf(),
                    message: format!(
                        "the commit thread of block {} panicked: {why}",
                        f.header.number
                    ),
                })
            }),
        }
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        if let Err(e) = self.wait() {
            tracing::error!(target: "node::pipeline", "block commit failed: {e}");
        }
    }
}
