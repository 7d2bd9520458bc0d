//! Evidence of validator misbehaviour: idempotent puts, range reads by height, kept
//! across reopen and block unwinds.

use crate::util::commit_with;
use alloy_primitives::{B256, Bytes};
use bytom2_storage::{Database, EvidenceRecord};

fn record(height: u64, kind: u8, data: &[u8]) -> EvidenceRecord {
    EvidenceRecord {
        first_seen_height: height,
        kind,
        validator: B256::repeat_byte(kind),
        epoch: 3,
        view: height.wrapping_add(40),
        data: Bytes::copy_from_slice(data),
    }
}

#[test]
fn put_is_idempotent_and_ranges_read_by_height() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.evidence_range(0, u64::MAX, 100).unwrap(), vec![]);

    let a = record(5, 0, b"conflicting notarizes");
    let b = record(5, 1, b"conflicting finalizes");
    let c = record(9, 2, b"nullify and finalize");
    let d = record(u64::MAX, 0, b"far away");
    for r in [&c, &a, &d, &b] {
        assert!(db.put_evidence(r).unwrap(), "first put stores");
    }
    // The same record again, or the same bytes seen later: nothing new.
    assert!(!db.put_evidence(&a).unwrap());
    assert!(
        !db.put_evidence(&record(7, 1, b"conflicting notarizes"))
            .unwrap()
    );
    assert_eq!(db.evidence_height(a.digest()).unwrap(), Some(5));
    assert_eq!(db.evidence_height(B256::ZERO).unwrap(), None);

    // Height 5 holds two records, ordered by digest.
    let mut five = vec![a.clone(), b.clone()];
    five.sort_by_key(EvidenceRecord::digest);
    assert_eq!(db.evidence_range(5, 5, 10).unwrap(), five);
    assert_eq!(db.evidence_range(0, 4, 10).unwrap(), vec![]);
    assert_eq!(db.evidence_range(6, 8, 10).unwrap(), vec![]);
    let mut all = five.clone();
    all.push(c.clone());
    assert_eq!(db.evidence_range(0, 9, 10).unwrap(), all);
    assert_eq!(
        db.evidence_range(5, 9, 2).unwrap(),
        five,
        "limit keeps the first"
    );
    assert_eq!(db.evidence_range(9, u64::MAX, 10).unwrap(), vec![c, d]);
    assert_eq!(
        db.evidence_range(9, 5, 10).unwrap(),
        vec![],
        "reversed range"
    );
    assert_eq!(db.evidence_range(0, 9, 0).unwrap(), vec![]);
}

#[test]
fn evidence_survives_reopen_and_unwinds() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    commit_with(&db, |_| {});
    commit_with(&db, |_| {});
    let r = record(1, 1, b"votes");
    // Not a state write: readers' cached state stays valid.
    let generation = db.generation();
    assert!(db.put_evidence(&r).unwrap());
    assert!(!db.put_evidence(&r).unwrap());
    assert_eq!(db.generation(), generation);
    drop(db);

    let db = Database::open(dir.path()).unwrap();
    assert_eq!(db.evidence_range(0, 10, 10).unwrap(), vec![r.clone()]);
    assert!(
        !db.put_evidence(&r).unwrap(),
        "still a duplicate after reopen"
    );
    db.unwind_to(0).unwrap();
    assert_eq!(db.head().unwrap().map(|(n, _)| n), Some(0));
    assert_eq!(db.evidence_range(0, 10, 10).unwrap(), vec![r.clone()]);
    db.reset_to_genesis().unwrap();
    assert_eq!(db.evidence_range(0, 10, 10).unwrap(), vec![r]);
}
