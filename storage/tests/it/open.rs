//! Open failures: lock, schema version, corruption.

use crate::util::{coin, commit_with, outpoint};
use alloy_primitives::Address;
use bytom2_storage::{Database, DatabaseConfig, SCHEMA_VERSION, StorageError, Table};
use bytom2_utxo::{AssetId, StateView};
use signet_libmdbx::{DatabaseFlags, Environment, WriteFlags};
use std::path::Path;

#[test]
fn open_creates_the_directory_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/data");
    let db = Database::open(&path).unwrap();
    assert_eq!(db.head().unwrap(), None);
    assert_eq!(db.path(), path);
    drop(db);
    let db = Database::open(&path).unwrap();
    assert_eq!(db.head().unwrap(), None);
}

#[test]
fn second_open_in_the_same_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let err = Database::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StorageError::Locked { path } if path == dir.path()),
        "{err}"
    );
    assert!(!err.is_fatal());
    // A clone shares the handle; the lock is held until the last clone is gone.
    let clone = db.clone();
    drop(db);
    assert!(matches!(
        Database::open(dir.path()),
        Err(StorageError::Locked { .. })
    ));
    drop(clone);
    Database::open(dir.path()).unwrap();
}

#[test]
fn a_live_view_keeps_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    let view = db.latest().unwrap();
    drop(db);
    assert!(matches!(
        Database::open(dir.path()),
        Err(StorageError::Locked { .. })
    ));
    drop(view);
    Database::open(dir.path()).unwrap();
}

/// Overwrites the stored schema version with raw MDBX.
fn set_schema_version(path: &Path, version: u32) {
    let mut builder = Environment::builder();
    builder.set_max_dbs(32);
    let env = builder.open(path).unwrap();
    let txn = env.begin_rw_unsync().unwrap();
    let meta = txn
        .create_db(Some(Table::Meta.name()), DatabaseFlags::empty())
        .unwrap();
    txn.put(
        meta,
        b"schema_version",
        version.to_be_bytes(),
        WriteFlags::empty(),
    )
    .unwrap();
    txn.commit().unwrap();
}

#[test]
fn newer_and_older_schemas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Database::open(dir.path()).unwrap());

    set_schema_version(dir.path(), SCHEMA_VERSION + 1);
    let err = Database::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StorageError::NewerSchema { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&(SCHEMA_VERSION + 1).to_string()) && msg.contains("supported"),
        "{msg}"
    );

    set_schema_version(dir.path(), SCHEMA_VERSION - 1);
    let err = Database::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StorageError::OlderSchema { found, supported }
            if found == SCHEMA_VERSION - 1 && supported == SCHEMA_VERSION),
        "{err}"
    );

    set_schema_version(dir.path(), SCHEMA_VERSION);
    Database::open(dir.path()).unwrap();
}

#[test]
fn garbage_data_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        let owner = Address::repeat_byte(1);
        commit_with(&db, |c| {
            c.add_coin(outpoint(1), coin(owner, AssetId::BTM, 5, 0, 0))
                .unwrap()
        });
        assert_eq!(
            db.latest().unwrap().balance(owner, AssetId::BTM).unwrap(),
            alloy_primitives::U256::from(5)
        );
    }
    let data = dir.path().join("mdbx.dat");
    let len = std::fs::metadata(&data)
        .unwrap()
        .len()
        .clamp(1 << 16, 1 << 22) as usize;
    // Deterministic garbage (xorshift).
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let garbage: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&data, garbage).unwrap();
    let err = Database::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StorageError::Corrupt { path, .. } if path == dir.path()),
        "{err}"
    );
    assert!(err.is_fatal());
}

/// The page size a data file was created with, read with raw MDBX.
fn page_size(path: &Path) -> u32 {
    let mut builder = Environment::builder();
    builder.set_max_dbs(32);
    let env = builder.open(path).unwrap();
    env.stat().unwrap().page_size()
}

#[test]
fn page_size_is_chosen_at_creation_and_kept_by_the_file() {
    let owner = Address::repeat_byte(1);
    let fresh = tempfile::tempdir().unwrap();
    drop(Database::open(fresh.path()).unwrap());
    let default = DatabaseConfig::default().page_size;
    assert_eq!(page_size(fresh.path()) as usize, default);

    // A file made with other pages (as before 2 KiB became the default) opens with the
    // default configuration, keeps its pages and its state, and takes new blocks.
    let dir = tempfile::tempdir().unwrap();
    let four_k = DatabaseConfig {
        page_size: 4096,
        ..Default::default()
    };
    {
        let db = Database::open_with(dir.path(), &four_k).unwrap();
        commit_with(&db, |c| {
            c.add_coin(outpoint(1), coin(owner, AssetId::BTM, 5, 0, 0))
                .unwrap()
        });
    }
    assert_eq!(page_size(dir.path()), 4096);
    let db = Database::open(dir.path()).unwrap();
    commit_with(&db, |c| {
        c.add_coin(outpoint(2), coin(owner, AssetId::BTM, 7, 1, 0))
            .unwrap()
    });
    assert_eq!(
        db.latest().unwrap().balance(owner, AssetId::BTM).unwrap(),
        alloy_primitives::U256::from(12)
    );
    drop(db);
    assert_eq!(page_size(dir.path()), 4096);
}
