//! What a network node answers to `dpos_*` ([`DposBackend`]): its role and view of the
//! chain, the committees, the finalization certificate stored beside each block (signers
//! resolved to their keys, so a light client checks finality itself) and the evidence
//! kept.

use super::peers::Peers;
use crate::Node;
use alloy_primitives::{B256, B512, Bytes, U64};
use bytom2_consensus::{
    CommitteeProvider, Finality, PublicKey, activity::ConsensusStatus, applier::Applied,
    evidence::EvidenceKind,
};
use bytom2_eth_rpc::{
    DposBackend, DposCommittee, DposCommitteeMember, DposEvidence, DposEvidenceKind,
    DposFinalization, DposPeer, DposRole, DposSigner, DposStatus,
};
use commonware_codec::Encode as _;
use commonware_consensus::types::Epoch;
use std::sync::{Arc, Mutex};

/// The `dpos_*` backend of a network node.
#[derive(Debug)]
pub(crate) struct NetworkDpos {
    pub(crate) node: Arc<Node>,
    pub(crate) validator: bool,
    pub(crate) public_key: PublicKey,
    pub(crate) provider: CommitteeProvider,
    pub(crate) epoch_length: u64,
    pub(crate) status: Arc<Mutex<ConsensusStatus>>,
    pub(crate) applied: Arc<Mutex<Applied>>,
    pub(crate) peers: Peers,
}

/// A public key's 32 bytes.
pub(crate) fn key_bytes(key: &PublicKey) -> B256 {
    B256::from_slice(&key.encode())
}

impl DposBackend for NetworkDpos {
    fn status(&self) -> Result<DposStatus, String> {
        let head = self.node.chain().head();
        let status = self.status.lock().expect("not poisoned").clone();
        let _ = self.applied.lock().expect("not poisoned").tip;
        let epoch = self.current_epoch();
        let committee_size = self
            .provider
            .committee(Epoch::new(epoch))
            .map_or(0, |c| c.len() as u64);
        Ok(DposStatus {
            role: if self.validator {
                DposRole::Validator
            } else {
                DposRole::Full
            },
            public_key: key_bytes(&self.public_key),
            epoch: U64::from(epoch),
            view: U64::from(status.view),
            finalized_height: U64::from(head.header.number),
            finalized_hash: head.hash,
            leader: status.leader.as_ref().map(key_bytes),
            peers: self
                .peers
                .recent()
                .into_iter()
                .map(|(key, height)| DposPeer {
                    public_key: key_bytes(&key),
                    finalized_height: U64::from(height),
                })
                .collect(),
            committee_size: U64::from(committee_size),
        })
    }

    fn current_epoch(&self) -> u64 {
        (self.node.chain().head().header.number + 1) / self.epoch_length
    }

    fn committee(&self, epoch: u64) -> Result<Option<DposCommittee>, String> {
        // Committees are known up to the epoch after the current one.
        if epoch > self.current_epoch() + 1 {
            return Ok(None);
        }
        let Some(committee) = self.provider.committee(Epoch::new(epoch)) else {
            return Ok(None);
        };
        let n = committee.len() as u64;
        Ok(Some(DposCommittee {
            epoch: U64::from(epoch),
            members: committee
                .members()
                .enumerate()
                .map(|(i, m)| DposCommitteeMember {
                    public_key: key_bytes(&m.key),
                    fee_recipient: m.fee_recipient,
                    index: U64::from(i as u64),
                })
                .collect(),
            // Simplex's quorum: more than two thirds, n - f with f = (n - 1) / 3.
            quorum: U64::from(n - (n - 1) / 3),
        }))
    }

    fn finalization(&self, number: u64) -> Result<Option<DposFinalization>, String> {
        let db = self.node.chain().db();
        let Some(bytes) = db.finalization(number).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let finality = Finality::from_bytes(&bytes).map_err(|e| e.to_string())?;
        let block_hash = db
            .header(number)
            .map_err(|e| e.to_string())?
            .map(|h| h.hash_slow())
            .ok_or("block without header")?;
        let proposal = &finality.finalization.proposal;
        let epoch = proposal.round.epoch();
        let committee = self
            .provider
            .committee(epoch)
            .ok_or_else(|| format!("no committee for epoch {epoch}"))?;
        let certificate = &finality.finalization.certificate;
        let signers = certificate
            .signers
            .iter()
            .zip(&certificate.signatures)
            .map(|(index, signature)| {
                let i = usize::from(index);
                let key = committee
                    .keys()
                    .get(i)
                    .ok_or_else(|| format!("signer {i} outside the committee"))?;
                Ok(DposSigner {
                    index: U64::from(i as u64),
                    public_key: key_bytes(key),
                    signature: B512::from_slice(&signature.encode()),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Some(DposFinalization {
            block_number: U64::from(number),
            block_hash,
            certified_height: U64::from(finality.height),
            certified_hash: B256::from(proposal.payload.0),
            direct: finality.is_direct(number),
            epoch: U64::from(epoch.get()),
            view: U64::from(proposal.round.view().get()),
            parent_view: U64::from(proposal.parent.get()),
            payload: B256::from(proposal.payload.0),
            signers,
        }))
    }

    fn evidence(&self, from: u64, to: u64, limit: usize) -> Result<Vec<DposEvidence>, String> {
        let records = self
            .node
            .chain()
            .db()
            .evidence_range(from, to, limit)
            .map_err(|e| e.to_string())?;
        Ok(records
            .into_iter()
            .filter_map(|r| {
                let kind = match EvidenceKind::from_byte(r.kind)? {
                    EvidenceKind::ConflictingNotarize => DposEvidenceKind::ConflictingNotarize,
                    EvidenceKind::ConflictingFinalize => DposEvidenceKind::ConflictingFinalize,
                    EvidenceKind::NullifyFinalize => DposEvidenceKind::NullifyFinalize,
                };
                Some(DposEvidence {
                    kind,
                    validator: r.validator,
                    epoch: U64::from(r.epoch),
                    view: U64::from(r.view),
                    first_seen_block: U64::from(r.first_seen_height),
                    data: Bytes::from(r.data.to_vec()),
                })
            })
            .collect())
    }
}
