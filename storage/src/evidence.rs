//! Evidence of validator misbehaviour ([`EvidenceRecord`]): [`Database::put_evidence`]
//! and [`Database::evidence_range`].
//!
//! A record is keyed by the height of the block that was the head when the node first
//! saw it and the keccak-256 digest of its encoded bytes (`first_seen_height(8)
//! digest(32)`, big-endian so a range of heights is one cursor walk); the value is
//! `kind(1) validator(32) epoch(8) view(8) data(…)`. A second table maps each digest to
//! the height it is stored under, so a piece of evidence is stored once, at the height it
//! was first seen, however often it is offered again.
//!
//! Evidence is written in its own small write transaction, apart from blocks, and is
//! never removed: unwinding blocks on a development node leaves it.

use crate::{
    Database, StorageError, StorageResult, Table,
    db::{KeyValue, get},
};
use alloy_primitives::{B256, Bytes, keccak256};
use signet_libmdbx::{MdbxError, WriteFlags};

/// Length of an `Evidence` key: `first_seen_height(8) digest(32)`.
const KEY_LEN: usize = 8 + 32;
/// Length of the fixed part of an `Evidence` value: `kind(1) validator(32) epoch(8)
/// view(8)`.
const VALUE_HEAD_LEN: usize = 1 + 32 + 8 + 8;

/// One piece of evidence that a validator misbehaved, as stored.
///
/// The storage layer does not interpret it: `kind` and `data` are the consensus
/// layer's codes and encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// Number of the head block when the node first saw the evidence.
    pub first_seen_height: u64,
    /// What the validator did (the consensus layer's code).
    pub kind: u8,
    /// The validator's public key.
    pub validator: B256,
    /// The epoch of the votes.
    pub epoch: u64,
    /// The view of the votes.
    pub view: u64,
    /// The encoded evidence (the signed votes), which anyone can check.
    pub data: Bytes,
}

// === impl EvidenceRecord ===

impl EvidenceRecord {
    /// The keccak-256 digest of [`EvidenceRecord::data`], which names the evidence.
    pub fn digest(&self) -> B256 {
        keccak256(&self.data)
    }

    /// The `Evidence` key.
    fn key(&self, digest: &B256) -> [u8; KEY_LEN] {
        let mut k = [0u8; KEY_LEN];
        k[..8].copy_from_slice(&self.first_seen_height.to_be_bytes());
        k[8..].copy_from_slice(digest.as_slice());
        k
    }

    /// The `Evidence` value.
    fn encode_value(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(VALUE_HEAD_LEN + self.data.len());
        v.push(self.kind);
        v.extend_from_slice(self.validator.as_slice());
        v.extend_from_slice(&self.epoch.to_be_bytes());
        v.extend_from_slice(&self.view.to_be_bytes());
        v.extend_from_slice(&self.data);
        v
    }

    /// Decodes an `Evidence` entry.
    fn decode(key: &[u8], value: &[u8]) -> StorageResult<Self> {
        if key.len() != KEY_LEN {
            return Err(StorageError::Codec(format!(
                "evidence key: expected {KEY_LEN} bytes, found {}",
                key.len()
            )));
        }
        if value.len() < VALUE_HEAD_LEN {
            return Err(StorageError::Codec(format!(
                "evidence value: expected at least {VALUE_HEAD_LEN} bytes, found {}",
                value.len()
            )));
        }
        let u64_at = |b: &[u8], at: usize| {
            u64::from_be_bytes(b[at..at + 8].try_into().expect("length checked above"))
        };
        Ok(Self {
            first_seen_height: u64_at(key, 0),
            kind: value[0],
            validator: B256::from_slice(&value[1..33]),
            epoch: u64_at(value, 33),
            view: u64_at(value, 41),
            data: Bytes::copy_from_slice(&value[VALUE_HEAD_LEN..]),
        })
    }
}

// === impl Database ===

impl Database {
    /// Stores `record` in its own write transaction. Returns `false`, writing nothing,
    /// when evidence with the same bytes ([`EvidenceRecord::digest`]) is already stored,
    /// whatever height it was first seen at: storing is idempotent and the first height
    /// stays.
    pub fn put_evidence(&self, record: &EvidenceRecord) -> StorageResult<bool> {
        let digest = record.digest();
        let txn = self.inner.env.begin_rw_unsync()?;
        let tables = &self.inner.tables;
        let height = record.first_seen_height.to_be_bytes();
        match txn.put(
            tables.get(Table::EvidenceDigests),
            digest,
            height,
            WriteFlags::NO_OVERWRITE,
        ) {
            Ok(()) => {}
            // Dropping the transaction aborts it: nothing was written.
            Err(MdbxError::KeyExist) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        txn.put(
            tables.get(Table::Evidence),
            record.key(&digest),
            record.encode_value(),
            WriteFlags::empty(),
        )?;
        txn.commit()?;
        tracing::debug!(
            target: "storage",
            height = record.first_seen_height,
            kind = record.kind,
            validator = %record.validator,
            %digest,
            "stored evidence"
        );
        Ok(true)
    }

    /// The evidence first seen at heights `from..=to`, by height then digest, at most
    /// `limit` records (the first ones).
    pub fn evidence_range(
        &self,
        from: u64,
        to: u64,
        limit: usize,
    ) -> StorageResult<Vec<EvidenceRecord>> {
        let mut out = Vec::new();
        if from > to || limit == 0 {
            return Ok(out);
        }
        let txn = self.inner.env.begin_ro_unsync()?;
        let mut cursor = txn.cursor(self.inner.tables.get(Table::Evidence))?;
        let mut item: Option<KeyValue<'_>> = cursor.set_range(&from.to_be_bytes())?;
        while let Some((key, value)) = item {
            let record = EvidenceRecord::decode(&key, &value)?;
            if record.first_seen_height > to {
                break;
            }
            out.push(record);
            if out.len() == limit {
                break;
            }
            item = cursor.next()?;
        }
        Ok(out)
    }

    /// The height evidence with digest `digest` was first seen at, if it is stored.
    pub fn evidence_height(&self, digest: B256) -> StorageResult<Option<u64>> {
        let txn = self.inner.env.begin_ro_unsync()?;
        get(
            &txn,
            &self.inner.tables,
            Table::EvidenceDigests,
            digest.as_slice(),
            crate::codec::decode_number,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trips() {
        let record = EvidenceRecord {
            first_seen_height: 0x0102_0304_0506_0708,
            kind: 2,
            validator: B256::repeat_byte(0xAB),
            epoch: 7,
            view: u64::MAX,
            data: Bytes::from_static(b"votes"),
        };
        let digest = record.digest();
        let key = record.key(&digest);
        assert_eq!(&key[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&key[8..], digest.as_slice());
        let decoded = EvidenceRecord::decode(&key, &record.encode_value()).unwrap();
        assert_eq!(decoded, record);
        assert!(EvidenceRecord::decode(&key[..39], &record.encode_value()).is_err());
        assert!(EvidenceRecord::decode(&key, &[0u8; VALUE_HEAD_LEN - 1]).is_err());
        let empty = EvidenceRecord {
            data: Bytes::new(),
            ..record
        };
        assert_eq!(
            EvidenceRecord::decode(&key, &empty.encode_value()).unwrap(),
            empty
        );
    }
}
