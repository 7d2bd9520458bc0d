//! A revm database with `eth_call`'s state overrides (geth's `StateOverride`: `balance`,
//! `nonce`, `code`, `state`, `stateDiff`) and extra block hashes over another database.

use crate::error::{RpcResult, internal, server_error};
use alloy_primitives::{Address, B256, KECCAK256_EMPTY, U256, keccak256, map::HashMap};
use alloy_rpc_types_eth::state::StateOverride;
use bytom2_evm_adapter::DbError;
use revm::{Database, bytecode::Bytecode, state::AccountInfo};

/// The overrides of one account.
#[derive(Debug, Default, Clone)]
struct AccountOverlay {
    balance: Option<U256>,
    nonce: Option<u64>,
    code: Option<(B256, Bytecode)>,
    storage: HashMap<U256, U256>,
    /// `state`: every slot not listed reads zero.
    replace_storage: bool,
}

/// A database with per-account overrides (`eth_call`'s state override set) and extra
/// block hashes (block overrides) over another database.
#[derive(Debug)]
pub(crate) struct OverlayDb<D> {
    inner: D,
    accounts: HashMap<Address, AccountOverlay>,
    codes: HashMap<B256, Bytecode>,
    pub(crate) block_hashes: std::collections::BTreeMap<u64, B256>,
}

// === impl OverlayDb ===

impl<D: Database<Error = DbError>> OverlayDb<D> {
    /// No overrides yet.
    pub(crate) fn new(inner: D) -> Self {
        Self {
            inner,
            accounts: HashMap::default(),
            codes: HashMap::default(),
            block_hashes: Default::default(),
        }
    }

    /// Applies a state override set (geth's `StateOverride.Apply`).
    pub(crate) fn apply_state_overrides(&mut self, overrides: StateOverride) -> RpcResult<()> {
        for (address, o) in overrides {
            if o.state.is_some() && o.state_diff.is_some() {
                return Err(server_error(format!(
                    "account {address} has both 'state' and 'stateDiff'"
                )));
            }
            if o.move_precompile_to.is_some() {
                return Err(server_error("movePrecompileToAddress is not supported"));
            }
            let entry = self.accounts.entry(address).or_default();
            entry.balance = o.balance.or(entry.balance);
            entry.nonce = o.nonce.or(entry.nonce);
            if let Some(code) = o.code {
                let hash = if code.is_empty() {
                    KECCAK256_EMPTY
                } else {
                    keccak256(&code)
                };
                let bytecode = Bytecode::new_raw(code);
                self.codes.insert(hash, bytecode.clone());
                entry.code = Some((hash, bytecode));
            }
            if let Some(state) = o.state {
                entry.replace_storage = true;
                entry.storage = state
                    .into_iter()
                    .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                    .collect();
            }
            if let Some(diff) = o.state_diff {
                for (k, v) in diff {
                    entry
                        .storage
                        .insert(U256::from_be_bytes(k.0), U256::from_be_bytes(v.0));
                }
            }
        }
        Ok(())
    }

    /// The BTM balance the EVM would see for `address` (overrides included).
    pub(crate) fn balance_of(&mut self, address: Address) -> RpcResult<U256> {
        Ok(self
            .basic(address)
            .map_err(internal)?
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    /// Whether `address` has code (overrides included).
    pub(crate) fn has_code(&mut self, address: Address) -> RpcResult<bool> {
        Ok(self
            .basic(address)
            .map_err(internal)?
            .is_some_and(|a| a.code_hash != KECCAK256_EMPTY && a.code_hash != B256::ZERO))
    }
}

impl<D: Database<Error = DbError>> Database for OverlayDb<D> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let info = self.inner.basic(address)?;
        let Some(o) = self.accounts.get(&address) else {
            return Ok(info);
        };
        let mut info = info.unwrap_or_default();
        if let Some(b) = o.balance {
            info.balance = b;
        }
        if let Some(n) = o.nonce {
            info.nonce = n;
        }
        if let Some((hash, code)) = &o.code {
            info.code_hash = *hash;
            info.code = Some(code.clone());
        }
        Ok(Some(info))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, DbError> {
        match self.codes.get(&code_hash) {
            Some(code) => Ok(code.clone()),
            None => self.inner.code_by_hash(code_hash),
        }
    }

    fn storage(&mut self, address: Address, index: U256) -> Result<U256, DbError> {
        if let Some(o) = self.accounts.get(&address) {
            if let Some(v) = o.storage.get(&index) {
                return Ok(*v);
            }
            if o.replace_storage {
                return Ok(U256::ZERO);
            }
        }
        self.inner.storage(address, index)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        match self.block_hashes.get(&number) {
            Some(h) => Ok(*h),
            None => self.inner.block_hash(number),
        }
    }
}
