//! A deterministic in-memory [`Chain`]: each block carries one transaction naming its
//! height and proposer, and its state root is the hash of its parent's state root and its
//! transaction, so a verifier recomputes every field as the real node does, quickly.
//! Finalized blocks survive a simulated crash (as MDBX does); held ones do not.

use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, keccak256};
use bytom2_consensus::{Chain, ChainError, Finality, Head, evidence::Evidence};
use bytom2_evm_adapter::{Block, transactions_root};
use std::{collections::HashMap, sync::Mutex};

#[derive(Debug, Default)]
struct Inner {
    finalized: Vec<(Block, Option<Vec<u8>>)>,
    evidence: Vec<Evidence>,
    held: HashMap<B256, Block>,
}

/// The mock chain of one node.
#[derive(Debug)]
pub(crate) struct MockChain {
    inner: Mutex<Inner>,
    /// Proposes blocks with a wrong state root (a Byzantine leader).
    corrupt: std::sync::atomic::AtomicBool,
}

fn genesis() -> Block {
    Block {
        header: Header {
            state_root: keccak256(b"genesis"),
            transactions_root: transactions_root(&[] as &[Bytes]),
            gas_limit: 30_000_000,
            ..Default::default()
        },
        transactions: vec![],
    }
}

fn child(parent: &Block, timestamp: u64, beneficiary: Address) -> Block {
    let number = parent.header.number + 1;
    let mut tx = number.to_be_bytes().to_vec();
    tx.extend_from_slice(beneficiary.as_slice());
    let tx = Bytes::from(tx);
    let txs = vec![tx.clone()];
    Block {
        header: Header {
            parent_hash: parent.hash_slow(),
            number,
            timestamp: timestamp.max(parent.header.timestamp),
            beneficiary,
            gas_limit: parent.header.gas_limit,
            state_root: keccak256([parent.header.state_root.as_slice(), &tx].concat()),
            transactions_root: transactions_root(&txs),
            ..Default::default()
        },
        transactions: txs,
    }
}

impl MockChain {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                finalized: vec![(genesis(), None)],
                evidence: Vec::new(),
                held: HashMap::new(),
            }),
            corrupt: Default::default(),
        }
    }

    /// From now on proposes invalid blocks.
    pub(crate) fn corrupt(&self) {
        self.corrupt
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forgets the unfinalized blocks (a restart).
    pub(crate) fn restart(&self) {
        self.inner.lock().unwrap().held.clear();
    }

    /// `(hash, state root)` of every finalized block, by height.
    pub(crate) fn finalized(&self) -> Vec<(B256, B256)> {
        let inner = self.inner.lock().unwrap();
        inner
            .finalized
            .iter()
            .map(|(b, _)| (b.hash_slow(), b.header.state_root))
            .collect()
    }

    /// The evidence kept.
    pub(crate) fn evidence(&self) -> Vec<Evidence> {
        self.inner.lock().unwrap().evidence.clone()
    }

    /// The stored proof of block `number`.
    pub(crate) fn certificate(&self, number: u64) -> Option<Finality> {
        let inner = self.inner.lock().unwrap();
        let bytes = inner.finalized.get(number as usize)?.1.clone()?;
        Some(Finality::from_bytes(&bytes).expect("stored finality decodes"))
    }

    fn parent_of<'a>(inner: &'a Inner, block: &Block) -> Option<&'a Block> {
        let (head, _) = inner.finalized.last().unwrap();
        if head.hash_slow() == block.header.parent_hash {
            return Some(head);
        }
        inner.held.get(&block.header.parent_hash)
    }

    fn check(inner: &Inner, block: &Block) -> Result<(), ChainError> {
        let Some(parent) = Self::parent_of(inner, block) else {
            return Err(ChainError::UnknownParent(block.header.parent_hash));
        };
        let Some(tx) = block.transactions.first() else {
            return Err(ChainError::Invalid("no transaction".into()));
        };
        let beneficiary = Address::from_slice(tx.get(8..28).unwrap_or(&[0; 20]));
        let expected = child(parent, block.header.timestamp, beneficiary);
        if expected.header != block.header || expected.transactions != block.transactions {
            return Err(ChainError::Invalid("header does not follow".into()));
        }
        Ok(())
    }
}

impl Chain for MockChain {
    fn genesis(&self) -> Block {
        genesis()
    }

    fn head(&self) -> Head {
        let inner = self.inner.lock().unwrap();
        let (b, _) = inner.finalized.last().unwrap();
        Head {
            number: b.header.number,
            hash: b.hash_slow(),
            state_root: b.header.state_root,
        }
    }

    fn finalized_block(&self, number: u64) -> Option<Block> {
        let inner = self.inner.lock().unwrap();
        inner.finalized.get(number as usize).map(|(b, _)| b.clone())
    }

    fn holds(&self, hash: &B256) -> bool {
        let inner = self.inner.lock().unwrap();
        inner.held.contains_key(hash) || inner.finalized.last().unwrap().0.hash_slow() == *hash
    }

    fn propose(
        &self,
        parent: &Block,
        timestamp: u64,
        beneficiary: Address,
    ) -> Result<Block, ChainError> {
        let mut inner = self.inner.lock().unwrap();
        let hash = parent.hash_slow();
        let (head, _) = inner.finalized.last().unwrap();
        if head.hash_slow() != hash && !inner.held.contains_key(&hash) {
            return Err(ChainError::UnknownParent(hash));
        }
        let mut block = child(parent, timestamp, beneficiary);
        if self.corrupt.load(std::sync::atomic::Ordering::SeqCst) {
            block.header.state_root = keccak256(b"not the state");
        }
        inner.held.insert(block.hash_slow(), block.clone());
        Ok(block)
    }

    fn verify(&self, block: &Block) -> Result<(), ChainError> {
        let mut inner = self.inner.lock().unwrap();
        Self::check(&inner, block)?;
        inner.held.insert(block.hash_slow(), block.clone());
        Ok(())
    }

    fn record_evidence(&self, evidence: &Evidence) -> bool {
        let mut inner = self.inner.lock().unwrap();
        if inner.evidence.contains(evidence) {
            return false;
        }
        inner.evidence.push(evidence.clone());
        true
    }

    fn finalize(&self, block: &Block, certificate: &[u8]) -> Result<(), ChainError> {
        let mut inner = self.inner.lock().unwrap();
        let head = inner.finalized.last().unwrap().0.hash_slow();
        if block.header.parent_hash != head {
            return Err(ChainError::Node("not the head's child".into()));
        }
        Self::check(&inner, block)?;
        Finality::from_bytes(certificate).map_err(|e| ChainError::Node(e.to_string()))?;
        let number = block.header.number;
        inner
            .finalized
            .push((block.clone(), Some(certificate.to_vec())));
        inner.held.retain(|_, b| b.header.number > number);
        Ok(())
    }
}
