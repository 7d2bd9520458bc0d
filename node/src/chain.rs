//! The chain: the MDBX database, the chain spec, its execution rules and the head.

use crate::{NodeError, builder::BlockBuilder, builder::Rejected};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, keccak256};
use bytom2_chainspec::ChainSpec;
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockHashes, BlockTx, EvmConfig, ExecutedBlock,
    base_fee_of_child, genesis_block,
};
use bytom2_storage::{BlockToCommit, Database, LatestState};
use bytom2_utxo::native::NativeLimits;
use bytom2_utxo::{StateChanges, StateView};
use parking_lot::RwLock;
use std::{path::Path, sync::Arc};

/// File in the data directory holding keccak256 of the chain spec's JSON it was created
/// with, so a restart can check the spec without rebuilding the genesis state.
pub const SPEC_FINGERPRINT_FILE: &str = "chainspec.keccak";

fn write_fingerprint(path: &Path, fingerprint: B256) -> Result<(), NodeError> {
    std::fs::write(path, format!("{fingerprint}\n")).map_err(|e| NodeError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The newest committed block.
#[derive(Debug, Clone)]
pub struct Head {
    /// Its header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
}

/// Block hashes read from the database (for `BLOCKHASH`).
#[derive(Debug, Clone, Copy)]
pub struct DbBlockHashes<'a>(pub &'a Database);

impl BlockHashes for DbBlockHashes<'_> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        self.0.header(number).ok().flatten().map(|h| h.hash_slow())
    }
}

/// The chain as stored, with its head cached.
#[derive(Debug, Clone)]
pub struct Chain {
    db: Database,
    spec: Arc<ChainSpec>,
    evm: Arc<EvmConfig>,
    head: Arc<RwLock<Head>>,
}

// === impl Chain ===

impl Chain {
    /// Opens the chain in `datadir`, writing the genesis block of `spec` if the
    /// directory is new. Fails if the directory holds another chain.
    pub fn open(datadir: &Path, spec: ChainSpec) -> Result<Self, NodeError> {
        spec.validate()?;
        let db = Database::open(datadir)?;
        let fingerprint = keccak256(spec.to_json());
        let fingerprint_file = datadir.join(SPEC_FINGERPRINT_FILE);
        match db.head()? {
            None => {
                let genesis = genesis_block(&spec)?;
                db.commit_block(&BlockToCommit {
                    header: &genesis.header,
                    hash: genesis.hash,
                    transactions: &[],
                    tx_hashes: &[],
                    senders: &[],
                    receipts: &[],
                    changes: &genesis.changes,
                    commitment: &genesis.commitment,
                    settlement: None,
                    certificate: None,
                })?;
                tracing::info!(target: "node::chain", hash = %genesis.hash, "wrote genesis block");
                write_fingerprint(&fingerprint_file, fingerprint)?;
            }
            Some(_) => match std::fs::read_to_string(&fingerprint_file) {
                // Cheap check: the spec this directory was created with, by hash.
                Ok(stored) => {
                    if stored.trim() != fingerprint.to_string() {
                        return Err(NodeError::SpecMismatch {
                            path: fingerprint_file,
                        });
                    }
                }
                // A directory from before fingerprints (or a crash right after genesis):
                // compare genesis hashes the slow way, then remember the fingerprint.
                Err(_) => {
                    let genesis = genesis_block(&spec)?;
                    let stored = db.header(0)?.ok_or(NodeError::MissingBlock(0))?.hash_slow();
                    if stored != genesis.hash {
                        return Err(NodeError::GenesisMismatch {
                            stored,
                            expected: genesis.hash,
                        });
                    }
                    write_fingerprint(&fingerprint_file, fingerprint)?;
                }
            },
        }
        let (number, hash) = db.head()?.ok_or(NodeError::MissingBlock(0))?;
        let header = db.header(number)?.ok_or(NodeError::MissingBlock(number))?;
        tracing::info!(target: "node::chain", number, %hash, "opened chain");
        Ok(Self {
            db,
            evm: Arc::new(EvmConfig::from_spec(&spec)),
            spec: Arc::new(spec),
            head: Arc::new(RwLock::new(Head { header, hash })),
        })
    }

    /// Whether `datadir` already holds a chain (a database or a spec fingerprint).
    pub fn exists(datadir: &Path) -> bool {
        datadir.join(SPEC_FINGERPRINT_FILE).exists() || datadir.join("mdbx.dat").exists()
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The chain spec.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// The chain's execution rules.
    pub fn evm_config(&self) -> &EvmConfig {
        &self.evm
    }

    /// The chain with `config` as its execution rules (system hooks: every node of the
    /// chain must run the same).
    pub fn with_evm_config(mut self, config: EvmConfig) -> Self {
        self.evm = Arc::new(config);
        self
    }

    /// The newest committed block.
    pub fn head(&self) -> Head {
        self.head.read().clone()
    }

    /// Reads the head again from the database (after a development node unwound it).
    pub fn reload_head(&self) -> Result<(), NodeError> {
        let (number, hash) = self.db.head()?.ok_or(NodeError::MissingBlock(0))?;
        let header = self
            .db
            .header(number)?
            .ok_or(NodeError::MissingBlock(number))?;
        *self.head.write() = Head { header, hash };
        Ok(())
    }

    /// The state at the head.
    pub fn latest(&self) -> Result<LatestState, NodeError> {
        Ok(self.db.latest()?)
    }

    /// Attributes of the next block: `timestamp` (raised to the parent's if lower), the
    /// EIP-1559 base fee, the parent's gas limit.
    pub fn next_attributes(&self, timestamp: u64, beneficiary: Address) -> BlockAttributes {
        let head = self.head.read();
        BlockAttributes::child_of(&self.spec, &head.header, head.hash, timestamp, beneficiary)
    }

    /// The base fee of the head's child.
    pub fn next_base_fee(&self) -> u64 {
        base_fee_of_child(self.evm.fees(), &self.head.read().header)
    }

    /// The rules of native transactions on this chain.
    pub fn native_limits(&self) -> NativeLimits {
        *self.evm.native_limits()
    }

    /// Executes `txs` in order into a block with `attrs`. Invalid transactions and those
    /// that no longer fit are left out and returned. Nothing is written.
    pub fn execute_block(
        &self,
        attrs: BlockAttributes,
        txs: impl IntoIterator<Item = impl Into<BlockTx>>,
    ) -> Result<(ExecutedBlock, Vec<Rejected>), NodeError> {
        let state = self.db.latest()?;
        self.execute_over(state, DbBlockHashes(&self.db), attrs, txs)
    }

    /// [`Chain::execute_block`] over the parent state `state` and its block hashes.
    pub(crate) fn execute_over<V: StateView, H: BlockHashes>(
        &self,
        state: V,
        hashes: H,
        attrs: BlockAttributes,
        txs: impl IntoIterator<Item = impl Into<BlockTx>>,
    ) -> Result<(ExecutedBlock, Vec<Rejected>), NodeError> {
        let mut builder = self.builder(state, hashes, attrs)?;
        builder.add(txs)?;
        builder.finish()
    }

    /// A block with `attrs` over the parent state `state`, built by adding transactions
    /// in one or several steps ([`BlockBuilder::add`]); adding them all at once is
    /// [`Chain::execute_over`].
    pub(crate) fn builder<V: StateView, H: BlockHashes>(
        &self,
        state: V,
        hashes: H,
        attrs: BlockAttributes,
    ) -> Result<BlockBuilder<V, H>, NodeError> {
        Ok(BlockBuilder::new(BlockExecutor::new(
            &self.evm, attrs, state, hashes,
        )?))
    }

    /// Commits an executed block (one MDBX write transaction) and moves the head.
    pub fn commit(&self, block: &ExecutedBlock) -> Result<(), NodeError> {
        self.commit_with(block, &block.changes, None)
    }

    /// [`Chain::commit`] with the block's state changes held apart from it, and the
    /// encoded certificate that finalized it (none on a development chain).
    pub(crate) fn commit_with(
        &self,
        block: &ExecutedBlock,
        changes: &StateChanges,
        certificate: Option<&[u8]>,
    ) -> Result<(), NodeError> {
        let n = block.transactions.len();
        let mut raw = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        let mut senders = Vec::with_capacity(n);
        let mut receipts = Vec::with_capacity(n);
        for t in &block.transactions {
            raw.push(t.encoded.clone());
            hashes.push(t.tx.hash());
            senders.push(t.tx.sender());
            receipts.push(t.stored_receipt());
        }
        // Only the block producer commits; readers keep the old head until the write is
        // durable, then see the new one.
        self.db.commit_block(&BlockToCommit {
            header: &block.header,
            hash: block.hash,
            transactions: &raw,
            tx_hashes: &hashes,
            senders: &senders,
            receipts: &receipts,
            changes,
            commitment: &block.commitment,
            settlement: Some(&block.settlement),
            certificate,
        })?;
        *self.head.write() = Head {
            header: block.header.clone(),
            hash: block.hash,
        };
        tracing::debug!(
            target: "node::chain",
            number = block.header.number,
            hash = %block.hash,
            txs = n,
            gas_used = block.header.gas_used,
            "committed block"
        );
        Ok(())
    }
}
