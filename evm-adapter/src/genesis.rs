//! The genesis block of a chain spec: `alloc` balances become outputs, code, nonces and
//! storage become EVM account state.

use alloy_consensus::{EMPTY_ROOT_HASH, Header};
use alloy_primitives::{B256, U256, keccak256};
use bytom2_chainspec::ChainSpec;
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, LtHash, MemoryState, OutPoint, Output, StateCache,
    StateChanges, StateError, Supply,
};

/// The genesis header and the state it creates.
#[derive(Debug, Clone)]
pub struct GenesisBlock {
    /// Block 0.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// The whole genesis state, as changes over an empty state.
    pub changes: StateChanges,
    /// The commitment of that state.
    pub commitment: LtHash,
}

/// The id of every genesis outpoint: `keccak256("bytom2/genesis" || chain_id (u64 BE))`.
/// Genesis outputs are numbered in ascending address order.
pub fn genesis_id(chain_id: u64) -> B256 {
    let mut buf = b"bytom2/genesis".to_vec();
    buf.extend_from_slice(&chain_id.to_be_bytes());
    keccak256(buf)
}

/// Builds the genesis block of `spec`.
pub fn genesis_block(spec: &ChainSpec) -> Result<GenesisBlock, StateError> {
    let empty = MemoryState::new();
    let mut cache = StateCache::new(&empty);
    let id = genesis_id(spec.chain_id);
    let mut index = 0u32;
    let mut total = U256::ZERO;
    for (address, account) in &spec.genesis.alloc {
        if !account.balance.is_zero() {
            let coin = Coin::new(
                Output::new(AssetId::BTM, account.balance, *address),
                CoinOrigin::new(0, 0, index),
            );
            cache.add_coin(OutPoint::new(id, index), coin)?;
            index += 1;
            total = total
                .checked_add(account.balance)
                .ok_or_else(|| StateError::Backend("genesis supply exceeds 2^256-1".to_string()))?;
        }
        let code_hash = match &account.code {
            Some(code) if !code.is_empty() => {
                let hash = keccak256(code);
                cache.insert_code(hash, code.clone())?;
                hash
            }
            _ => Account::default().code_hash,
        };
        cache.set_account(
            *address,
            Some(Account {
                nonce: account.nonce,
                code_hash,
            }),
        )?;
        for (slot, value) in &account.storage {
            cache.set_storage(*address, (*slot).into(), (*value).into())?;
        }
    }
    cache.set_supply(
        AssetId::BTM,
        Supply {
            genesis: total,
            ..Default::default()
        },
    )?;
    let changes = cache.into_changes();
    let mut commitment = LtHash::new();
    commitment.apply(&changes);
    let g = &spec.genesis;
    let header = Header {
        parent_hash: B256::ZERO,
        beneficiary: g.coinbase,
        state_root: commitment.root(),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        number: 0,
        gas_limit: g.gas_limit,
        gas_used: 0,
        timestamp: g.timestamp,
        extra_data: g.extra_data.clone(),
        mix_hash: g.mix_hash,
        base_fee_per_gas: Some(g.base_fee_per_gas),
        ..crate::attributes::prague_header()
    };
    let hash = header.hash_slow();
    Ok(GenesisBlock {
        header,
        hash,
        changes,
        commitment,
    })
}
