//! The development node's controls behind `evm_*`, `anvil_*` and `hardhat_*` (issue #6):
//! mining on request and its mode, the clock, snapshots and reverts, state edits that
//! keep every balance equal to the sum of its outputs, impersonation and the dev keys.
//!
//! - **Snapshots** remember the head, the clock and how many state edits were made.
//!   Reverting unwinds the stored blocks above the snapshot's head through the change
//!   sets ([`bytom2_storage::Database::unwind_to`]), then undoes the edits made at that
//!   head after the snapshot (kept in a journal while a snapshot exists), empties the
//!   mempool and forgets that snapshot and every later one (Hardhat takes a new one).
//! - **State edits** (`anvil_setBalance`, `setCode`, `setNonce`, `setStorageAt`) change the
//!   head's state in place, as on anvil: the head's header keeps its `stateRoot`, the next
//!   block's root covers the edit. `anvil_setBalance` creates an output for the
//!   difference, or spends the address's oldest outputs and returns change, and counts it
//!   in the BTM supply as a development adjustment (`adjusted_in` / `adjusted_out`).
//! - **Impersonated** senders' transactions carry a placeholder signature derived from
//!   the sender (so two senders' otherwise equal transactions keep distinct hashes); the
//!   sender is stored with the block, never recovered.

use crate::{
    DevMiner, Mining, NodeError,
    dev_state::{Snapshot, inverse},
    pool::Mempool,
};
use alloy_consensus::{SignableTransaction, TxEnvelope, TypedTransaction};
use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, Signature, U256, keccak256};
use alloy_signer::SignerSync;
use bytom2_eth_rpc::{DevBackend, DevError, PoolError};
use bytom2_evm_adapter::RecoveredTx;
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, OutPoint, Output, StateCache, StateChanges, StateView,
};
use std::{sync::atomic::Ordering, time::Duration};

fn internal(e: impl std::fmt::Display) -> DevError {
    DevError::Internal(e.to_string())
}

// === impl DevMiner ===

impl DevMiner {
    fn dev_state(&self) -> &crate::dev_state::DevState {
        self.dev_state_opt()
            .expect("the dev methods are offered by development nodes only")
    }

    /// Builds changes with `f` over the head's state and applies them in place.
    fn edit_state(
        &self,
        f: impl FnOnce(&mut StateCache<&bytom2_storage::LatestState>, u64) -> Result<(), DevError>,
    ) -> Result<(), DevError> {
        let _producing = self.node().producing.lock();
        let head = self.node().chain().head().header.number;
        let latest = self.node().chain().latest().map_err(internal)?;
        let mut cache = StateCache::new(&latest);
        f(&mut cache, head)?;
        let changes = cache.into_changes();
        drop(latest);
        if changes.is_empty() {
            return Ok(());
        }
        self.node()
            .chain()
            .db()
            .apply_dev_changes(&changes)
            .map_err(internal)?;
        let mut snapshots = self.dev_state().snapshots.lock();
        if !snapshots.taken.is_empty() {
            snapshots.journal.push((head, changes));
        }
        Ok(())
    }

    /// After the stored chain moved back: the head, cached blocks and the mempool.
    fn chain_rewound(&self) -> Result<(), DevError> {
        self.node().chain().reload_head().map_err(internal)?;
        self.node().clear_block_cache();
        *self.node().pool.lock() = Mempool::new(self.node().config().pool.clone());
        Ok(())
    }

    fn mine_blocks(
        &self,
        blocks: u64,
        interval: Option<u64>,
        timestamp: Option<u64>,
    ) -> Result<(), NodeError> {
        let _producing = self.node().producing.lock();
        let mut next = timestamp;
        for mined in 0..blocks {
            // A shutdown stops a long run between two blocks.
            if self.node().is_stopping() {
                return Err(NodeError::ShuttingDown {
                    mined,
                    requested: blocks,
                });
            }
            self.mine_block_locked(next)?;
            // The block just committed is the cached head.
            next = interval.map(|every| {
                self.node()
                    .chain()
                    .head()
                    .header
                    .timestamp
                    .saturating_add(every)
            });
        }
        Ok(())
    }
}

impl DevBackend for DevMiner {
    fn snapshot(&self) -> Result<U256, DevError> {
        let _producing = self.node().producing.lock();
        let head = self.node().chain().head().header.number;
        let p = self.production().lock().clone();
        let mut s = self.dev_state().snapshots.lock();
        let id = s.next_id;
        s.next_id += 1;
        let journal_len = s.journal.len();
        s.taken.push(Snapshot {
            id,
            head,
            time_offset: p.time_offset,
            next_timestamp: p.next_timestamp,
            journal_len,
        });
        tracing::debug!(target: "node::dev", id, head, "took a snapshot");
        Ok(U256::from(id))
    }

    fn revert(&self, id: U256) -> Result<bool, DevError> {
        let _producing = self.node().producing.lock();
        let mut s = self.dev_state().snapshots.lock();
        let Some(index) = s.taken.iter().position(|t| U256::from(t.id) == id) else {
            return Ok(false);
        };
        // That snapshot and every later one go.
        let snapshot = s.taken.split_off(index).swap_remove(0);
        let db = self.node().chain().db();
        if self.node().chain().head().header.number > snapshot.head {
            db.unwind_to(snapshot.head).map_err(internal)?;
        }
        // Edits at the snapshot's head after it: undone newest first. Later heads' edits
        // went with their blocks.
        let edits: Vec<(u64, StateChanges)> = s.journal.drain(snapshot.journal_len..).collect();
        for (_, changes) in edits.iter().rev().filter(|(h, _)| *h == snapshot.head) {
            db.apply_dev_changes(&inverse(changes)).map_err(internal)?;
        }
        if s.taken.is_empty() {
            s.journal.clear();
        }
        drop(s);
        {
            let mut p = self.production().lock();
            p.time_offset = snapshot.time_offset;
            p.next_timestamp = snapshot.next_timestamp;
            p.next_base_fee = None;
        }
        self.chain_rewound()?;
        tracing::info!(target: "node::dev", id = snapshot.id, head = snapshot.head, "reverted to snapshot");
        Ok(true)
    }

    fn mine(
        &self,
        blocks: u64,
        interval: Option<u64>,
        timestamp: Option<u64>,
    ) -> Result<(), DevError> {
        if let Some(t) = timestamp {
            let head = self.node().chain().head().header.timestamp;
            if t < head {
                return Err(DevError::InvalidParams(format!(
                    "Timestamp error: {t} is lower than previous block's timestamp"
                )));
            }
        }
        self.mine_blocks(blocks, interval.or(timestamp.map(|_| 1)), timestamp)
            .map_err(internal)
    }

    fn increase_time(&self, seconds: u64) -> Result<i64, DevError> {
        let seconds = i64::try_from(seconds)
            .map_err(|_| DevError::InvalidParams(format!("{seconds} seconds is too far")))?;
        let mut p = self.production().lock();
        p.time_offset = p.time_offset.saturating_add(seconds);
        Ok(p.time_offset)
    }

    fn set_next_block_timestamp(&self, timestamp: u64) -> Result<(), DevError> {
        let head = self.node().chain().head().header.timestamp;
        if timestamp < head {
            return Err(DevError::InvalidParams(format!(
                "Timestamp error: {timestamp} is lower than previous block's timestamp"
            )));
        }
        self.production().lock().next_timestamp = Some(timestamp);
        Ok(())
    }

    fn set_time(&self, timestamp: u64) -> Result<i64, DevError> {
        let mut p = self.production().lock();
        p.follow_on_from(timestamp);
        Ok(p.time_offset)
    }

    fn set_automine(&self, enabled: bool) {
        {
            let mut p = self.production().lock();
            p.mining = match (enabled, p.mining) {
                (true, _) => Mining::Auto,
                (false, Mining::Interval(d)) => Mining::Interval(d),
                (false, _) => Mining::Manual,
            };
        }
        self.node().signal();
    }

    fn automine(&self) -> bool {
        self.mining() == Mining::Auto
    }

    fn set_interval_mining(&self, seconds: u64) {
        self.production().lock().mining = if seconds == 0 {
            Mining::Manual
        } else {
            Mining::Interval(Duration::from_secs(seconds))
        };
        self.node().signal();
    }

    fn set_block_gas_limit(&self, gas_limit: u64) -> Result<(), DevError> {
        if gas_limit < 21_000 {
            return Err(DevError::InvalidParams(format!(
                "block gas limit {gas_limit} is below the 21000 of a transfer"
            )));
        }
        self.production().lock().gas_limit = Some(gas_limit);
        Ok(())
    }

    fn set_balance(&self, address: Address, balance: U256) -> Result<(), DevError> {
        self.edit_state(|cache, head| {
            let current = cache.balance(address, AssetId::BTM).map_err(internal)?;
            let mut supply = cache.supply(AssetId::BTM).map_err(internal)?;
            let create = |cache: &mut StateCache<_>, amount: U256| -> Result<(), DevError> {
                let tag = self
                    .dev_state()
                    .outputs_created
                    .fetch_add(1, Ordering::Relaxed)
                    + 1;
                let mut seed = b"bytom2/dev-adjustment".to_vec();
                seed.extend_from_slice(&head.to_be_bytes());
                seed.extend_from_slice(&tag.to_be_bytes());
                seed.extend_from_slice(address.as_slice());
                let op = OutPoint::new(keccak256(&seed), 0);
                let index = u32::try_from(tag % u64::from(u32::MAX)).unwrap_or(0);
                let coin = Coin::new(
                    Output::new(AssetId::BTM, amount, address),
                    CoinOrigin::new(head, u32::MAX, index),
                );
                cache.add_coin(op, coin).map_err(internal)
            };
            if balance > current {
                create(cache, balance - current)?;
                supply.adjusted_in += balance - current;
            } else if balance < current {
                let remove = current - balance;
                let mut picked: Vec<(OutPoint, U256)> = Vec::new();
                let mut sum = U256::ZERO;
                cache
                    .for_each_coin(address, AssetId::BTM, &mut |op, coin| {
                        picked.push((*op, coin.output.amount));
                        sum += coin.output.amount;
                        sum < remove
                    })
                    .map_err(internal)?;
                for (op, _) in &picked {
                    cache.spend_coin(op).map_err(internal)?;
                }
                if sum > remove {
                    create(cache, sum - remove)?;
                }
                supply.adjusted_out += remove;
            }
            cache.set_supply(AssetId::BTM, supply).map_err(internal)
        })
    }

    fn set_code(&self, address: Address, code: Bytes) -> Result<(), DevError> {
        self.edit_state(|cache, _| {
            let account = cache
                .account(address)
                .map_err(internal)?
                .unwrap_or_default();
            let code_hash = if code.is_empty() {
                KECCAK256_EMPTY
            } else {
                let hash = keccak256(&code);
                cache.insert_code(hash, code).map_err(internal)?;
                hash
            };
            cache
                .set_account(
                    address,
                    Some(Account {
                        code_hash,
                        ..account
                    }),
                )
                .map_err(internal)
        })
    }

    fn set_nonce(&self, address: Address, nonce: u64) -> Result<(), DevError> {
        self.edit_state(|cache, _| {
            let account = cache
                .account(address)
                .map_err(internal)?
                .unwrap_or_default();
            cache
                .set_account(address, Some(Account { nonce, ..account }))
                .map_err(internal)
        })
    }

    fn set_storage_at(&self, address: Address, slot: U256, value: B256) -> Result<(), DevError> {
        self.edit_state(|cache, _| {
            cache
                .set_storage(address, slot, U256::from_be_bytes(value.0))
                .map_err(internal)
        })
    }

    fn impersonate(&self, address: Address, enabled: bool) {
        let mut set = self.dev_state().impersonated.lock();
        if enabled {
            set.insert(address);
        } else {
            set.remove(&address);
        }
    }

    fn set_coinbase(&self, address: Address) {
        self.production().lock().beneficiary = address;
    }

    fn set_next_block_base_fee(&self, base_fee: u64) -> Result<(), DevError> {
        self.production().lock().next_base_fee = Some(base_fee);
        Ok(())
    }

    fn set_next_prev_randao(&self, randao: B256) {
        self.production().lock().next_prev_randao = Some(randao);
    }

    fn drop_transaction(&self, hash: B256) -> Option<B256> {
        self.node().pool.lock().remove(&hash).map(|_| hash)
    }

    fn reset(&self) -> Result<(), DevError> {
        let _producing = self.node().producing.lock();
        self.node()
            .chain()
            .db()
            .reset_to_genesis()
            .map_err(internal)?;
        {
            let mut s = self.dev_state().snapshots.lock();
            s.taken.clear();
            s.journal.clear();
        }
        {
            let mut p = self.production().lock();
            p.time_offset = 0;
            p.next_timestamp = None;
            p.next_base_fee = None;
        }
        self.chain_rewound()?;
        tracing::info!(target: "node::dev", "reset to genesis");
        Ok(())
    }

    fn accounts(&self) -> Vec<Address> {
        // As anvil: the held keys' accounts, then the impersonated ones.
        let dev = self.dev_state();
        let mut accounts = dev.accounts.clone();
        let mut impersonated: Vec<Address> = dev
            .impersonated
            .lock()
            .iter()
            .filter(|a| !dev.signers.contains_key(*a))
            .copied()
            .collect();
        impersonated.sort_unstable();
        accounts.extend(impersonated);
        accounts
    }

    fn can_send_from(&self, address: Address) -> bool {
        let dev = self.dev_state();
        dev.signers.contains_key(&address) || dev.impersonated.lock().contains(&address)
    }

    fn send_transaction(&self, from: Address, tx: TypedTransaction) -> Result<B256, PoolError> {
        let err = |message: String| PoolError { message };
        let signature = match self.dev_state().signers.get(&from) {
            Some(signer) => signer
                .sign_hash_sync(&tx.signature_hash())
                .map_err(|e| err(format!("signing failed: {e}")))?,
            // Impersonated: a placeholder signature unique to the sender.
            None => Signature::new(U256::from_be_slice(from.as_slice()), U256::from(1), false),
        };
        let envelope: TxEnvelope = tx.into_envelope(signature);
        let encoded = alloy_eips::eip2718::Encodable2718::encoded_2718(&envelope).into();
        let tx = RecoveredTx::with_sender(envelope, from, encoded);
        let size = tx.encoded.len();
        self.node().admit_eth(tx, size).map_err(Into::into)
    }
}
