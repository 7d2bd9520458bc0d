//! What the RPC server reads ([`EthBackend`] for [`Node`]): blocks decoded once and
//! cached, archive state, the pool's contents, assets and settlements, the next block as
//! the producer plans it.

use crate::{Node, builder::state_nonce};
use alloy_primitives::{Address, B256, Bytes};
use bytom2_eth_rpc::{
    BlockData, BoxedState, DevBackend, EthBackend, NativeFeeSchedule, PoolContent, PoolError,
};
use bytom2_evm_adapter::{BlockTx, EvmConfig, ExecutedBlock, RecoveredTx};
use bytom2_utxo::{
    AssetId, Settlement,
    native::assets::{ASSET_ISSUER, REGISTRY_SLOT_TAG},
};
use std::sync::Arc;
use tokio::sync::broadcast;

// === impl Node ===

impl Node {
    /// Block `number` decoded for RPC, from the cache or the database.
    pub(crate) fn load_block(&self, number: u64) -> Result<Option<Arc<BlockData>>, String> {
        if number > self.latest_number() {
            return Ok(None);
        }
        // A block not committed (a race with a dev revert) is not found and nothing is
        // kept for it.
        let loaded = self.cache.get_or_build(
            number,
            |b| 1 + b.transactions.len(),
            || match self.decode_block(number) {
                Ok(Some(block)) => Ok(Arc::new(block)),
                Ok(None) => Err(None),
                Err(e) => Err(Some(e)),
            },
        );
        match loaded {
            Ok(block) => Ok(Some(block)),
            Err(None) => Ok(None),
            Err(Some(e)) => Err(e),
        }
    }

    /// The RPC view of a block just committed, its transactions and logs moved out of
    /// it (the rest of `block` stays for pool maintenance).
    pub(crate) fn block_data(block: &mut ExecutedBlock) -> BlockData {
        let executed = std::mem::take(&mut block.transactions);
        let count = executed.len();
        let mut transactions = Vec::with_capacity(count);
        let mut receipts = Vec::with_capacity(count);
        for e in executed {
            let (tx, receipt) = e.into_tx_and_receipt();
            transactions.push(tx);
            receipts.push(receipt);
        }
        BlockData::new(block.header.clone(), block.hash, transactions, receipts)
    }

    /// Reads and decodes block `number` (`None` when it is not committed).
    fn decode_block(&self, number: u64) -> Result<Option<BlockData>, String> {
        let db = self.chain.db();
        let Some(header) = db.header(number).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let (raw, senders) = db
            .body(number)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let receipts = db
            .receipts(number)
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let mut transactions = Vec::with_capacity(raw.len());
        for (bytes, sender) in raw.iter().zip(senders) {
            transactions.push(decode_stored(bytes, sender)?);
        }
        let hash = header.hash_slow();
        Ok(Some(BlockData::new(header, hash, transactions, receipts)))
    }
}

/// Blocks behind the highest peer that still count as following the chain.
const SYNC_SLACK: u64 = 8;

impl EthBackend for Node {
    fn chain_id(&self) -> u64 {
        self.chain.spec().chain_id
    }

    fn evm_config(&self) -> &EvmConfig {
        self.chain.evm_config()
    }

    fn latest_number(&self) -> u64 {
        self.chain.head().header.number
    }

    fn finalized_number(&self) -> u64 {
        // One validator in dev mode: every committed block is final.
        self.latest_number()
    }

    fn block_by_number(&self, number: u64) -> Result<Option<Arc<BlockData>>, String> {
        self.load_block(number)
    }

    fn logs_bloom(&self, number: u64) -> Result<Option<alloy_primitives::Bloom>, String> {
        if let Some(b) = self.cache.get(&number) {
            return Ok(Some(b.header.logs_bloom));
        }
        let header = self.chain.db().header(number).map_err(|e| e.to_string())?;
        Ok(header.map(|h| h.logs_bloom))
    }

    fn block_number_by_hash(&self, hash: B256) -> Result<Option<u64>, String> {
        self.chain
            .db()
            .block_number(hash)
            .map_err(|e| e.to_string())
    }

    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, u32)>, String> {
        self.chain.db().tx_location(hash).map_err(|e| e.to_string())
    }

    fn state_at(&self, number: u64) -> Result<BoxedState, String> {
        let db = self.chain.db();
        if number >= self.latest_number() {
            return db
                .latest()
                .map(|s| Box::new(s) as BoxedState)
                .map_err(|e| e.to_string());
        }
        db.state_at(number)
            .map(|s| Box::new(s) as BoxedState)
            .map_err(|e| e.to_string())
    }

    fn block_hash(&self, number: u64) -> Option<B256> {
        self.chain
            .db()
            .header(number)
            .ok()
            .flatten()
            .map(|h| h.hash_slow())
    }

    fn next_base_fee(&self) -> u64 {
        self.producer()
            .and_then(|p| p.next_base_fee())
            .unwrap_or_else(|| self.chain.next_base_fee())
    }

    fn next_gas_limit(&self) -> u64 {
        self.producer()
            .and_then(|p| p.next_gas_limit())
            .unwrap_or_else(|| self.chain.head().header.gas_limit)
    }

    fn next_beneficiary(&self) -> Address {
        self.producer()
            .map_or(Address::ZERO, |p| p.next_beneficiary())
    }

    fn send_raw_transaction(&self, raw: Bytes) -> Result<B256, PoolError> {
        self.admit_raw(raw).map_err(Into::into)
    }

    fn pending_nonce(&self, address: Address) -> Result<u64, String> {
        let state = self.chain.latest().map_err(|e| e.to_string())?;
        let nonce = state_nonce(&state, address);
        Ok(self.pool.lock().pending_nonce(address, nonce))
    }

    fn pool_transaction(&self, hash: B256) -> Option<BlockTx> {
        self.pool.lock().get(&hash)
    }

    fn pool_content(&self) -> PoolContent {
        let Ok(state) = self.chain.latest() else {
            return PoolContent::default();
        };
        let (pending, queued) = self.pool.lock().content(|a| state_nonce(&state, a));
        PoolContent { pending, queued }
    }

    fn subscribe_blocks(&self) -> broadcast::Receiver<u64> {
        self.blocks.subscribe()
    }

    fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256> {
        self.pending.subscribe()
    }

    fn list_assets(&self) -> Result<Vec<AssetId>, String> {
        let entries = self
            .chain
            .db()
            .storage_entries(ASSET_ISSUER)
            .map_err(|e| e.to_string())?;
        let mut assets: Vec<AssetId> = entries
            .into_iter()
            .filter(|(slot, _)| slot.to_be_bytes::<32>()[..12] == REGISTRY_SLOT_TAG[..])
            .map(|(_, id)| AssetId(B256::from(id)))
            .collect();
        assets.sort_unstable();
        Ok(assets)
    }

    fn block_settlement(&self, number: u64) -> Result<Option<Settlement>, String> {
        let db = self.chain.db();
        let Some(header) = db.header(number).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let stored = db.settlement(number).map_err(|e| e.to_string())?;
        Ok(Some(match stored {
            Some(s) => s,
            None => Settlement {
                id: bytom2_evm_adapter::settlement_id(number, header.parent_hash),
                ..Default::default()
            },
        }))
    }

    fn dev(&self) -> Option<Arc<dyn DevBackend>> {
        self.producer().and_then(|p| p.dev())
    }

    fn dpos(&self) -> Option<Arc<dyn bytom2_eth_rpc::DposBackend>> {
        self.dpos.read().clone()
    }

    fn sync_status(&self) -> Option<(u64, u64, u64)> {
        let dpos = self.dpos.read().clone()?;
        let status = dpos.status().ok()?;
        let current = status.finalized_height.to::<u64>();
        let highest = status
            .peers
            .iter()
            .map(|p| p.finalized_height.to::<u64>())
            .max()?;
        // Peers announce every 2 s: a few blocks behind is following, not syncing.
        let mut start = self.sync_start.lock();
        if highest > current + SYNC_SLACK {
            Some((*start.get_or_insert(current), current, highest))
        } else {
            *start = None;
            None
        }
    }

    fn native_fee_schedule(&self) -> NativeFeeSchedule {
        NativeFeeSchedule::from_spec(self.chain.spec())
    }
}

/// A stored transaction: an Ethereum one keeps the stored sender (no recovery); a native
/// one with one signature takes the stored sender as its signer, one with several is
/// recovered (its signers are shown).
fn decode_stored(bytes: &[u8], sender: Address) -> Result<BlockTx, String> {
    use alloy_eips::eip2718::Decodable2718;
    if bytes.first() == Some(&bytom2_utxo::native::NATIVE_TX_TYPE) {
        return bytom2_utxo::native::RecoveredNative::decode_stored(bytes, sender)
            .map(BlockTx::Native)
            .map_err(|e| e.to_string());
    }
    let tx =
        alloy_consensus::TxEnvelope::decode_2718(&mut &bytes[..]).map_err(|e| e.to_string())?;
    Ok(BlockTx::Eth(RecoveredTx::with_sender(
        tx,
        sender,
        Bytes::copy_from_slice(bytes),
    )))
}
