//! revm's [`Database`] over a [`StateView`]: the EVM sees each account's BTM balance as
//! the sum of its outputs plus the block's pending delta (DESIGN.md section 3).

use alloy_primitives::{Address, B256, I256, KECCAK256_EMPTY, U256, map::HashMap};
use bytom2_utxo::{Account, AssetId, StateCache, StateError, StateView};
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, Database},
    state::{AccountInfo, EvmState},
};
use std::collections::BTreeMap;

/// Hashes of past blocks, for the `BLOCKHASH` opcode (the last 256 blocks).
pub trait BlockHashes {
    /// Hash of block `number`, if known.
    fn block_hash(&self, number: u64) -> Option<B256>;
}

impl BlockHashes for HashMap<u64, B256> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        self.get(&number).copied()
    }
}

impl BlockHashes for BTreeMap<u64, B256> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        self.get(&number).copied()
    }
}

impl<T: BlockHashes + ?Sized> BlockHashes for &T {
    fn block_hash(&self, number: u64) -> Option<B256> {
        (**self).block_hash(number)
    }
}

/// A state error as revm's database error.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(#[from] pub StateError);

impl DBErrorMarker for DbError {}

/// The state of a block being executed: a [`StateCache`] over the parent state, the net
/// balance delta per `(address, asset)` of everything the EVM did, and a code cache.
#[derive(Debug)]
pub struct BlockState<V, H> {
    pub(crate) cache: StateCache<V>,
    pub(crate) deltas: BTreeMap<(Address, AssetId), I256>,
    code: HashMap<B256, Bytecode>,
    /// Read cache of `cache.balance` (output totals): they do not change while the EVM
    /// runs (its balance changes are deltas), so each is read from the base once. Anything
    /// that adds or spends outputs mid-block (native transactions) must call
    /// [`BlockState::forget_outputs`] for the owners it touches.
    outputs: HashMap<(Address, AssetId), U256>,
    /// Read-through cache of `cache.account`, kept in step by [`Self::put_account`].
    accounts: HashMap<Address, Option<Account>>,
    hashes: H,
}

// === impl BlockState ===

impl<V: StateView, H: BlockHashes> BlockState<V, H> {
    /// A block state over `parent`.
    pub fn new(parent: V, hashes: H) -> Self {
        Self {
            cache: StateCache::new(parent),
            deltas: BTreeMap::new(),
            code: HashMap::default(),
            outputs: HashMap::default(),
            accounts: HashMap::default(),
            hashes,
        }
    }

    /// The overlay of explicit output changes and EVM account changes.
    pub fn cache(&self) -> &StateCache<V> {
        &self.cache
    }

    /// The pending delta of `(address, asset)`.
    pub fn delta(&self, address: Address, asset: AssetId) -> I256 {
        self.deltas
            .get(&(address, asset))
            .copied()
            .unwrap_or(I256::ZERO)
    }

    /// What the EVM sees as the balance: outputs plus pending delta.
    pub fn effective_balance(&self, address: Address, asset: AssetId) -> Result<U256, StateError> {
        let outputs = self.cache.balance(address, asset)?;
        self.with_delta(outputs, address, asset)
    }

    /// `outputs` plus the pending delta of `(address, asset)`.
    fn with_delta(
        &self,
        outputs: U256,
        address: Address,
        asset: AssetId,
    ) -> Result<U256, StateError> {
        let delta = self.delta(address, asset);
        let value = if delta.is_negative() {
            outputs.checked_sub(delta.unsigned_abs())
        } else {
            outputs.checked_add(delta.into_raw())
        };
        value.ok_or(StateError::BalanceInconsistent {
            owner: address,
            asset,
        })
    }

    /// Drops the cached output total of `(owner, asset)` after its outputs changed.
    pub fn forget_outputs(&mut self, owner: Address, asset: AssetId) {
        self.outputs.remove(&(owner, asset));
    }

    fn output_balance(&mut self, address: Address, asset: AssetId) -> Result<U256, StateError> {
        if let Some(v) = self.outputs.get(&(address, asset)) {
            return Ok(*v);
        }
        let v = self.cache.balance(address, asset)?;
        self.outputs.insert((address, asset), v);
        Ok(v)
    }

    /// [`Self::effective_balance`] through the read caches.
    fn effective_balance_cached(
        &mut self,
        address: Address,
        asset: AssetId,
    ) -> Result<U256, StateError> {
        let outputs = self.output_balance(address, asset)?;
        self.with_delta(outputs, address, asset)
    }

    fn account_cached(&mut self, address: Address) -> Result<Option<Account>, StateError> {
        if let Some(a) = self.accounts.get(&address) {
            return Ok(*a);
        }
        let a = self.cache.account(address)?;
        self.accounts.insert(address, a);
        Ok(a)
    }

    fn put_account(
        &mut self,
        address: Address,
        account: Option<Account>,
    ) -> Result<(), StateError> {
        let account = account.filter(|a| !a.is_empty());
        self.cache.set_account(address, account)?;
        self.accounts.insert(address, account);
        Ok(())
    }

    /// Adds `amount` (signed) to the pending delta of `(address, asset)`.
    pub fn add_delta(&mut self, address: Address, asset: AssetId, amount: I256) {
        if amount.is_zero() {
            return;
        }
        let entry = self.deltas.entry((address, asset)).or_insert(I256::ZERO);
        *entry += amount;
        if entry.is_zero() {
            self.deltas.remove(&(address, asset));
        }
    }

    /// Applies the state a transaction left: balances become deltas, nonces, code and
    /// storage go into the overlay. Mirrors revm's `CacheDB::commit`.
    ///
    /// Returns the net BTM change over all accounts: minus the base fee burned, minus any
    /// value the EVM itself burned (a contract created in the transaction that
    /// self-destructs to itself under Prague).
    pub fn commit_evm_state(&mut self, state: EvmState) -> Result<I256, StateError> {
        let mut net = I256::ZERO;
        for (address, account) in state {
            if !account.is_touched() {
                continue;
            }
            let new_balance = if account.is_selfdestructed() {
                U256::ZERO
            } else {
                account.info.balance
            };
            let seen = self.effective_balance_cached(address, AssetId::BTM)?;
            if new_balance != seen {
                let diff = if new_balance > seen {
                    I256::from_raw(new_balance - seen)
                } else {
                    -I256::from_raw(seen - new_balance)
                };
                self.add_delta(address, AssetId::BTM, diff);
                net += diff;
            }
            if account.is_selfdestructed() {
                // EIP-6780: only an account created in this transaction is destroyed, so
                // nothing of it reached the overlay before; its slots are all zero.
                self.put_account(address, None)?;
                continue;
            }
            let info = &account.info;
            if let Some(code) = &info.code
                && info.code_hash != KECCAK256_EMPTY
                && !code.is_empty()
            {
                self.cache
                    .insert_code(info.code_hash, code.original_bytes())?;
                self.code
                    .entry(info.code_hash)
                    .or_insert_with(|| code.clone());
            }
            let meta = Account {
                nonce: info.nonce,
                code_hash: info.code_hash,
            };
            if self.account_cached(address)?.unwrap_or_default() != meta {
                self.put_account(address, Some(meta))?;
            }
            for (slot, value) in account.storage {
                if value.is_changed() {
                    self.cache.set_storage(address, slot, value.present_value)?;
                }
            }
        }
        Ok(net)
    }

    fn load_code(&mut self, code_hash: B256) -> Result<Bytecode, StateError> {
        if code_hash == KECCAK256_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.code.get(&code_hash) {
            return Ok(code.clone());
        }
        let bytes = self
            .cache
            .code(code_hash)?
            .ok_or_else(|| StateError::Backend(format!("code {code_hash} missing")))?;
        let code = Bytecode::new_raw(bytes);
        self.code.insert(code_hash, code.clone());
        Ok(code)
    }
}

impl<V: StateView, H: BlockHashes> Database for BlockState<V, H> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let balance = self.effective_balance_cached(address, AssetId::BTM)?;
        let account = self.account_cached(address)?;
        if account.is_none() && balance.is_zero() {
            return Ok(None);
        }
        let account = account.unwrap_or_default();
        let code = if account.has_code() {
            Some(self.load_code(account.code_hash)?)
        } else {
            None
        };
        Ok(Some(AccountInfo {
            balance,
            nonce: account.nonce,
            code_hash: if account.has_code() {
                account.code_hash
            } else {
                KECCAK256_EMPTY
            },
            account_id: None,
            code,
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        Ok(self.load_code(code_hash)?)
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        Ok(self.cache.storage(address, index)?)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(self.hashes.block_hash(number).unwrap_or_default())
    }
}
