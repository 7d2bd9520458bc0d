//! What a node of a BFT network offers the `dpos_*` methods ([`DposBackend`]) and the
//! answers it gives, already in their JSON shape (camelCase, quantities as hex). The
//! node implements the trait; module `dpos` serves it (docs/dpos-rpc.md).

use alloy_primitives::{Address, B256, B512, Bytes, U64};
use serde::{Deserialize, Serialize};

/// What this node does in the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DposRole {
    /// A member of the current committee: it votes.
    Validator,
    /// Follows the finalized chain without voting.
    Full,
}

/// A connected peer as `dpos_status` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposPeer {
    /// The peer's public key (ed25519).
    pub public_key: B256,
    /// The newest finalized block the peer reported.
    pub finalized_height: U64,
}

/// `dpos_status`: the node's view of consensus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposStatus {
    /// Validator or full node.
    pub role: DposRole,
    /// This node's public key (ed25519).
    pub public_key: B256,
    /// The current epoch.
    pub epoch: U64,
    /// The current view (round) in that epoch.
    pub view: U64,
    /// The newest finalized block's number.
    pub finalized_height: U64,
    /// Its hash.
    pub finalized_hash: B256,
    /// The leader of the current view, when known.
    pub leader: Option<B256>,
    /// The connected peers.
    pub peers: Vec<DposPeer>,
    /// Members of the current committee.
    pub committee_size: U64,
}

/// A member of a committee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposCommitteeMember {
    /// The validator's public key (ed25519).
    pub public_key: B256,
    /// Where the fees of the blocks it proposes go.
    pub fee_recipient: Address,
    /// Its index in the committee (the index signers are named by).
    pub index: U64,
}

/// `dpos_committee`: the validators of one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposCommittee {
    /// The epoch.
    pub epoch: U64,
    /// Its members, by index.
    pub members: Vec<DposCommitteeMember>,
    /// Signatures a certificate needs.
    pub quorum: U64,
}

/// One signature of a finalization certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposSigner {
    /// The signer's index in the epoch's committee.
    pub index: U64,
    /// Its public key (ed25519).
    pub public_key: B256,
    /// Its ed25519 signature of the finalize vote (64 bytes).
    pub signature: B512,
}

/// `dpos_getFinalization`: the certificate that finalized a block.
///
/// A block is finalized by its own certificate (`direct`) or by one of a descendant
/// (`direct: false`): a light client then checks the certificate over
/// `certifiedHash` and follows `parentHash` links down from it to `blockHash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposFinalization {
    /// The block asked about.
    pub block_number: U64,
    /// Its hash.
    pub block_hash: B256,
    /// The block the certificate names.
    pub certified_height: U64,
    /// Its hash.
    pub certified_hash: B256,
    /// Whether the certificate names this block itself.
    pub direct: bool,
    /// The certificate's epoch.
    pub epoch: U64,
    /// Its view.
    pub view: U64,
    /// The view of the certified block's parent.
    pub parent_view: U64,
    /// The digest the validators signed (32 bytes).
    pub payload: B256,
    /// The signatures, by signer index.
    pub signers: Vec<DposSigner>,
}

/// What a validator did that evidence proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DposEvidenceKind {
    /// Two notarize votes for different blocks in one view.
    ConflictingNotarize,
    /// Two finalize votes for different blocks in one view.
    ConflictingFinalize,
    /// A nullify vote and a finalize vote in one view.
    NullifyFinalize,
}

/// `dpos_getEvidence`: one piece of evidence of misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DposEvidence {
    /// What the validator did.
    pub kind: DposEvidenceKind,
    /// The validator's public key (ed25519).
    pub validator: B256,
    /// The epoch of the votes.
    pub epoch: U64,
    /// Their view.
    pub view: U64,
    /// The head block when this node first saw the evidence.
    pub first_seen_block: U64,
    /// The encoded evidence (the signed votes), which anyone can check.
    pub data: Bytes,
}

/// What a node of a BFT network offers the `dpos_*` methods. Methods may block (storage
/// reads): the server calls them off the async threads. An `Err` is the node failing
/// (`-32603`); what does not exist is `None`.
pub trait DposBackend: Send + Sync {
    /// The node's view of consensus.
    fn status(&self) -> Result<DposStatus, String>;

    /// The current epoch (`dpos_committee` without an epoch).
    fn current_epoch(&self) -> u64;

    /// The committee of `epoch`; `None` for an epoch this node does not know (a
    /// future one, or one before the data it kept).
    fn committee(&self, epoch: u64) -> Result<Option<DposCommittee>, String>;

    /// The certificate that finalized committed block `number` (never genesis, which
    /// the server answers itself); `None` when none is stored.
    fn finalization(&self, number: u64) -> Result<Option<DposFinalization>, String>;

    /// The evidence first seen at blocks `from..=to`, by block, at most `limit` pieces
    /// (the first ones).
    fn evidence(&self, from: u64, to: u64, limit: usize) -> Result<Vec<DposEvidence>, String>;
}
