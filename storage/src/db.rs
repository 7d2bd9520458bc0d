//! The database handle: opening (lock, schema check, tables) and block-data readers.

use crate::{
    StorageError, StorageResult, Table,
    block::{decode_body, decode_header, decode_receipts, decode_settlement},
    codec::{
        META_HEAD, META_SCHEMA_VERSION, META_TX_LOOKUP_HEAD, decode_head, decode_number,
        decode_schema_version, decode_tx_location,
    },
    lookup::RecentLookups,
    tables::Tables,
};
use alloy_consensus::Header;
use alloy_primitives::{Address, B256, Bytes, U256};
use bytom2_utxo::{Settlement, StoredReceipt};
use parking_lot::{Mutex, RwLock};
use signet_libmdbx::{
    DatabaseFlags, Environment, EnvironmentFlags, Geometry, MdbxError, Mode, Ro, SyncMode,
    TransactionKind, TxUnsync, WriteFlags, sys::PageSize, tx::Tx,
};
use std::{
    borrow::Cow,
    fmt,
    fs::{File, OpenOptions, TryLockError},
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

/// Schema version this release reads and writes (stored in `Meta` under
/// `"schema_version"`). 2: the stored state commitment expands its terms with ChaCha20
/// (1 used the BLAKE3 XOF, so a schema-1 commitment cannot be carried forward).
/// 3: `TxLookup` is written in batches and `Meta` `"tx_lookup_head"` says how far (a
/// schema-2 binary would miss the lookups of the latest blocks).
pub const SCHEMA_VERSION: u32 = 3;

/// Name of the advisory lock file in the data directory.
pub const LOCK_FILE: &str = "LOCK";

/// Options for [`Database::open_with`].
#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    /// Upper bound of the data file in bytes (address space reserved for the map).
    pub max_size: usize,
    /// How much the data file grows at a time, in bytes.
    pub growth_step: usize,
    /// `true`: every commit is flushed to disk before it returns (MDBX `SYNC_DURABLE`;
    /// survives power loss). `false`: MDBX `SAFE_NOSYNC`, which survives a killed
    /// process but may lose the last blocks on a system crash (never corrupts).
    pub durable: bool,
    /// Maximum number of concurrent read transactions (views).
    pub max_readers: u64,
    /// Transaction lookups are written to `TxLookup` in the commit that brings the
    /// lookups held in memory to this many transactions (module `lookup`).
    pub lookup_batch_txs: usize,
    /// … or that is this many blocks after the last one written.
    pub lookup_batch_blocks: u64,
    /// MDBX page size in bytes of a new data file (a power of two, 256 to 65,536); an
    /// existing file keeps the page size it was created with. Every B-tree page a
    /// block's writes touch is written back whole at commit, and the unspent outputs
    /// are keyed by transaction hash, so a block's new and spent outputs land on
    /// scattered pages: smaller pages write less per output. With 2 KiB pages a block
    /// of 10,000 native transfers committed in 10–30% less CPU than with 4 KiB in three
    /// of four alternating pairs of runs, and blocks of ERC-20 transfers were unchanged
    /// (docs/performance.md). `max_size` can be at most 2^31 pages.
    pub page_size: usize,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            max_size: 4 << 40,
            growth_step: 128 << 20,
            durable: true,
            max_readers: 4096,
            lookup_batch_txs: 65_536,
            lookup_batch_blocks: 1_024,
            page_size: 2_048,
        }
    }
}

/// The shared state of a [`Database`]: the environment, the table handles and the
/// directory lock. Field order matters: the environment closes before the lock is
/// released.
pub(crate) struct Inner {
    pub(crate) env: Environment,
    pub(crate) tables: Tables,
    /// Transaction lookups not yet in `TxLookup`.
    pub(crate) lookups: RwLock<RecentLookups>,
    /// [`DatabaseConfig::lookup_batch_txs`] and [`DatabaseConfig::lookup_batch_blocks`].
    pub(crate) lookup_batch: (usize, u64),
    /// Whether a lookup batch is being written (at most one at a time).
    pub(crate) lookup_busy: AtomicBool,
    /// Bumped after every committed write of state (blocks, development edits,
    /// unwinds): see [`Database::generation`].
    pub(crate) generation: AtomicU64,
    path: PathBuf,
    _lock: File,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inner")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A bytom2 database: one MDBX environment in a data directory. Cheap to clone (an
/// `Arc`); `Send + Sync`.
///
/// Writes go only through [`Database::commit_block`] (one write transaction per block);
/// reads through [`Database::latest`], [`Database::state_at`] and the block readers.
/// The directory is locked (advisory `flock` on [`LOCK_FILE`]) for as long as the
/// handle or any view made from it lives.
#[derive(Clone, Debug)]
pub struct Database {
    pub(crate) inner: Arc<Inner>,
    /// Held while a batch of transaction lookups is written behind the chain (the
    /// writer thread holds the environment open only while it holds this) and while
    /// blocks are unwound. Outside [`Inner`], so the last handle can wait for a batch
    /// without keeping the environment open itself.
    pub(crate) lookup_gate: Arc<Mutex<()>>,
}

impl Drop for Database {
    fn drop(&mut self) {
        // A lookup batch being written holds the environment, and so the directory's
        // lock, open: the last handles wait for it, so that the directory is unlocked
        // once they are gone (a reopen right after a drop finds it free).
        if Arc::strong_count(&self.inner) <= 2 {
            drop(self.lookup_gate.lock());
        }
    }
}

// === impl Database ===

impl Database {
    /// Opens (creating if missing) the database in directory `path` with the default
    /// [`DatabaseConfig`].
    ///
    /// Fails with [`StorageError::Locked`] if another handle holds the directory,
    /// [`StorageError::Corrupt`] if the data file cannot be read,
    /// [`StorageError::NewerSchema`]/[`StorageError::OlderSchema`] if it was written
    /// with another schema version.
    pub fn open(path: &Path) -> StorageResult<Self> {
        Self::open_with(path, &DatabaseConfig::default())
    }

    /// Opens (creating if missing) the database in directory `path`.
    pub fn open_with(path: &Path, config: &DatabaseConfig) -> StorageResult<Self> {
        let io = |source| StorageError::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(path).map_err(io)?;
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(LOCK_FILE))
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StorageError::Locked {
                    path: path.to_path_buf(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }

        let mut builder = Environment::builder();
        // No write-map: MDBX keeps a transaction's dirty pages in its own memory and writes
        // them with pwrite at commit. With a write-map every page a commit touches after the
        // previous commit's flush takes a write-protect fault and the file system's
        // `page_mkwrite`, and those grow with the tables: measured with the block_phases
        // example over 40 blocks of 10,000 transfers, blocks 31-40 committed in a median
        // 151 ms of CPU with a write-map and 76 ms without (docs/performance.md).
        builder
            .set_max_dbs(Table::ALL.len() + 4)
            .set_max_readers(config.max_readers)
            .set_geometry(Geometry {
                size: Some(0..config.max_size),
                growth_step: isize::try_from(config.growth_step).ok(),
                shrink_threshold: None,
                page_size: Some(PageSize::Set(config.page_size)),
            })
            .set_flags(EnvironmentFlags {
                mode: Mode::ReadWrite {
                    sync_mode: if config.durable {
                        SyncMode::Durable
                    } else {
                        SyncMode::SafeNoSync
                    },
                },
                ..Default::default()
            });
        let env = builder.open(path).map_err(|e| open_error(path, e))?;
        let tables = init_tables(&env, path)?;
        let lookups = recent_lookups(&env, &tables)?;
        tracing::debug!(
            target: "storage",
            path = %path.display(),
            recent_lookups = lookups.len(),
            "opened database"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                env,
                tables,
                lookups: RwLock::new(lookups),
                lookup_batch: (config.lookup_batch_txs, config.lookup_batch_blocks),
                lookup_busy: AtomicBool::new(false),
                generation: AtomicU64::new(0),
                path: path.to_path_buf(),
                _lock: lock,
            }),
            lookup_gate: Arc::new(Mutex::new(())),
        })
    }

    /// A counter of the state writes committed through this handle (blocks, development
    /// edits, unwinds) since it was opened: a state read while it stayed the same is
    /// still the state at the head. Bumped after the write is durable.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Records a committed state write (see [`Database::generation`]).
    pub(crate) fn bump_generation(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The last committed block `(number, hash)`; `None` before genesis.
    pub fn head(&self) -> StorageResult<Option<(u64, B256)>> {
        self.read(read_head)
    }

    /// The header of block `number`.
    pub fn header(&self, number: u64) -> StorageResult<Option<Header>> {
        self.read(|txn, t| get(txn, t, Table::Headers, &number.to_be_bytes(), decode_header))
    }

    /// The number of the block with hash `hash`.
    pub fn block_number(&self, hash: B256) -> StorageResult<Option<u64>> {
        self.read(|txn, t| get(txn, t, Table::HeaderNumbers, hash.as_slice(), decode_number))
    }

    /// The raw EIP-2718 transactions of block `number` and their senders.
    pub fn body(&self, number: u64) -> StorageResult<Option<(Vec<Bytes>, Vec<Address>)>> {
        self.read(|txn, t| get(txn, t, Table::Bodies, &number.to_be_bytes(), decode_body))
    }

    /// The receipts of block `number`.
    pub fn receipts(&self, number: u64) -> StorageResult<Option<Vec<StoredReceipt>>> {
        self.read(|txn, t| {
            get(
                txn,
                t,
                Table::Receipts,
                &number.to_be_bytes(),
                decode_receipts,
            )
        })
    }

    /// What the settlement of block `number` spent and created (`None` when it moved
    /// nothing).
    pub fn settlement(&self, number: u64) -> StorageResult<Option<Settlement>> {
        self.read(|txn, t| {
            get(
                txn,
                t,
                Table::Settlements,
                &number.to_be_bytes(),
                decode_settlement,
            )
        })
    }

    /// The encoded certificate that finalized block `number` (`None` when none was
    /// stored: a development chain, or a block not committed).
    pub fn finalization(&self, number: u64) -> StorageResult<Option<Bytes>> {
        self.read(|txn, t| {
            get(txn, t, Table::Finalizations, &number.to_be_bytes(), |v| {
                Ok(Bytes::copy_from_slice(v))
            })
        })
    }

    /// Every non-zero storage slot of `address` at the head, in slot order.
    pub fn storage_entries(&self, address: Address) -> StorageResult<Vec<(U256, U256)>> {
        self.read(|txn, t| {
            let prefix = address.as_slice();
            let mut cursor = txn.cursor(t.get(Table::Storage))?;
            let mut item: Option<KeyValue<'_>> = cursor.set_range(prefix)?;
            let mut out = Vec::new();
            while let Some((key, value)) = item {
                if !key.starts_with(prefix) {
                    break;
                }
                let slot = crate::codec::decode_u256(&key[prefix.len()..])?;
                out.push((slot, crate::codec::decode_u256(&value)?));
                item = cursor.next()?;
            }
            Ok(out)
        })
    }

    /// Where transaction `hash` is: `(block number, index in the block)`.
    pub fn tx_location(&self, hash: B256) -> StorageResult<Option<(u64, u32)>> {
        // The recent lookups are locked before the read transaction opens: the writer
        // drops lookups only after the commit that wrote them to the table, so if they
        // are gone, this snapshot has them (module `lookup`).
        let recent = self.inner.lookups.read();
        self.read(|txn, t| {
            if let Some(found) = get(txn, t, Table::TxLookup, hash.as_slice(), decode_tx_location)?
            {
                return Ok(Some(found));
            }
            // Lookups of a block being committed are held before its commit: only those
            // of blocks this snapshot has count.
            let head = read_head(txn, t)?.map(|(n, _)| n);
            Ok(recent
                .get(&hash)
                .filter(|(number, _)| head.is_some_and(|h| *number <= h)))
        })
    }

    /// Runs `f` in a fresh read-only transaction.
    fn read<T>(
        &self,
        f: impl FnOnce(&TxUnsync<Ro>, &Tables) -> StorageResult<T>,
    ) -> StorageResult<T> {
        let txn = self.inner.env.begin_ro_unsync()?;
        f(&txn, &self.inner.tables)
    }
}

/// A key and value read through a cursor.
pub(crate) type KeyValue<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Reads one value of `table` in `txn` and decodes it.
pub(crate) fn get<K: TransactionKind, T>(
    txn: &Tx<K>,
    tables: &Tables,
    table: Table,
    key: &[u8],
    decode: impl FnOnce(&[u8]) -> StorageResult<T>,
) -> StorageResult<Option<T>> {
    let value: Option<Cow<'_, [u8]>> = txn.get(tables.get(table).dbi(), key)?;
    value.map(|v| decode(&v)).transpose()
}

/// Reads the head from `Meta`.
pub(crate) fn read_head<K: TransactionKind>(
    txn: &Tx<K>,
    tables: &Tables,
) -> StorageResult<Option<(u64, B256)>> {
    get(txn, tables, Table::Meta, META_HEAD, decode_head)
}

/// The transaction lookups of the blocks after `Meta` `"tx_lookup_head"`, rebuilt from
/// their bodies (a transaction's hash is the keccak of its stored envelope).
fn recent_lookups(env: &Environment, tables: &Tables) -> StorageResult<RecentLookups> {
    let txn = env.begin_ro_unsync()?;
    let Some((head, _)) = read_head(&txn, tables)? else {
        return Ok(RecentLookups::new(None));
    };
    let written = get(
        &txn,
        tables,
        Table::Meta,
        META_TX_LOOKUP_HEAD,
        decode_number,
    )?
    .unwrap_or(head);
    let mut recent = RecentLookups::new(Some(written));
    for number in written.saturating_add(1)..=head {
        let (raw, _) = get(
            &txn,
            tables,
            Table::Bodies,
            &number.to_be_bytes(),
            decode_body,
        )?
        .ok_or_else(|| StorageError::Inconsistent(format!("body {number} is missing")))?;
        let hashes: Vec<B256> = raw.iter().map(alloy_primitives::keccak256).collect();
        recent.add_block(number, &hashes);
    }
    Ok(recent)
}

/// Maps an error of `mdbx_env_open`: damaged files become [`StorageError::Corrupt`].
fn open_error(path: &Path, e: MdbxError) -> StorageError {
    match e {
        MdbxError::Corrupted
        | MdbxError::PageNotFound
        | MdbxError::VersionMismatch
        | MdbxError::Invalid
        | MdbxError::WannaRecovery
        | MdbxError::BadSignature
        | MdbxError::Problem
        | MdbxError::Incompatible
        | MdbxError::TooLarge => StorageError::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        other => StorageError::Mdbx(other),
    }
}

/// Checks the schema version (writing it into a fresh database) and opens every table.
fn init_tables(env: &Environment, path: &Path) -> StorageResult<Tables> {
    let corrupt = |e: MdbxError| match e {
        MdbxError::Corrupted | MdbxError::PageNotFound | MdbxError::Incompatible => {
            StorageError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }
        }
        other => StorageError::Mdbx(other),
    };
    let txn = env.begin_rw_unsync()?;
    let meta = txn
        .create_db(Some(Table::Meta.name()), DatabaseFlags::empty())
        .map_err(corrupt)?;
    let version: Option<Cow<'_, [u8]>> = txn.get(meta.dbi(), META_SCHEMA_VERSION)?;
    match version.map(|v| decode_schema_version(&v)).transpose()? {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(StorageError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) if found < SCHEMA_VERSION => {
            return Err(StorageError::OlderSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(_) => {}
        None => {
            let head: Option<Cow<'_, [u8]>> = txn.get(meta.dbi(), META_HEAD)?;
            if head.is_some() {
                return Err(StorageError::Corrupt {
                    path: path.to_path_buf(),
                    reason: "a head is stored but no schema version".into(),
                });
            }
            txn.put(
                meta,
                META_SCHEMA_VERSION,
                SCHEMA_VERSION.to_be_bytes(),
                WriteFlags::empty(),
            )?;
        }
    }
    let tables = Tables::create(&txn).map_err(|e| match e {
        StorageError::Mdbx(e) => corrupt(e),
        other => other,
    })?;
    txn.commit()?;
    Ok(tables)
}
