//! revm's [`Database`] over a [`StateView`]: the EVM sees each account's BTM balance as
//! the sum of its outputs plus the block's pending delta (DESIGN.md section 3).

use crate::{CodeCache, issuer::NATIVE_ASSET_CODE};
use alloy_primitives::{
    Address, B256, I256, KECCAK256_EMPTY, U256,
    map::{AddressMap, HashMap},
};
use bytom2_utxo::{
    Account, AssetId, Coin, CoinOrigin, OutPoint, StateCache, StateError, StateView,
    native::{
        RecoveredNative, ValidatedNative,
        assets::{self, ASSET_ISSUER, AssetDefinition, SUPPLY_SLOT},
    },
};
use revm::{
    bytecode::Bytecode,
    database_interface::{DBErrorMarker, Database},
    state::{AccountInfo, EvmState},
};
use std::{collections::BTreeMap, sync::Arc};

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

/// What a block state knows of one address's BTM and account. The EVM loads and commits
/// accounts with BTM balances only, so keeping them together makes each account it
/// touches one map lookup instead of one per map.
#[derive(Clone, Copy, Debug, Default)]
struct AddressEntry {
    /// Read cache of the total of the address's BTM outputs (`None`: not read yet).
    btm_outputs: Option<U256>,
    /// Pending BTM delta.
    btm_delta: I256,
    /// Read-through cache of `cache.account` (`None`: not read yet), kept in step by
    /// [`BlockState::put_account`].
    account: Option<Option<Account>>,
}

/// The state of a block being executed: a [`StateCache`] over the parent state, the net
/// balance delta per `(address, asset)` of everything the EVM did, and a code cache.
///
/// Output totals are read caches of `cache.balance`: they do not change while the EVM
/// runs (its balance changes are deltas), so each is read from the base once. Anything
/// that adds or spends outputs mid-block (native transactions) must call
/// [`BlockState::forget_outputs`] for the owners it touches.
#[derive(Debug)]
pub struct BlockState<V, H> {
    pub(crate) cache: StateCache<V>,
    /// BTM output totals and deltas, and accounts, per address.
    addresses: AddressMap<AddressEntry>,
    /// Deltas of the other assets (unordered: settlement sorts them).
    deltas: HashMap<(Address, AssetId), I256>,
    code: HashMap<B256, Bytecode>,
    /// Analyzed code shared with other block states (see [`BlockState::with_code_cache`]).
    shared_code: Option<Arc<CodeCache>>,
    /// Output totals of the other assets.
    outputs: HashMap<(Address, AssetId), U256>,
    /// Read-through cache of the asset registry: the asset of each token address.
    tokens: HashMap<Address, Option<AssetId>>,
    /// What the EVM issued per asset in this block (through the issuance precompile).
    pub(crate) evm_issued: BTreeMap<AssetId, U256>,
    hashes: H,
}

/// `new - old` as a signed value.
fn signed_diff(new: U256, old: U256) -> I256 {
    if new >= old {
        I256::from_raw(new - old)
    } else {
        -I256::from_raw(old - new)
    }
}

/// `outputs` plus `delta`: an error if the delta takes more than the outputs hold.
fn apply_delta(
    outputs: U256,
    delta: I256,
    owner: Address,
    asset: AssetId,
) -> Result<U256, StateError> {
    let value = if delta.is_negative() {
        outputs.checked_sub(delta.unsigned_abs())
    } else {
        outputs.checked_add(delta.into_raw())
    };
    value.ok_or(StateError::BalanceInconsistent { owner, asset })
}

impl AddressEntry {
    /// The total of `address`'s BTM outputs in `cache`, read there the first time.
    fn btm_outputs<V: StateView>(
        &mut self,
        cache: &StateCache<V>,
        address: Address,
    ) -> Result<U256, StateError> {
        if let Some(v) = self.btm_outputs {
            return Ok(v);
        }
        let v = cache.balance(address, AssetId::BTM)?;
        self.btm_outputs = Some(v);
        Ok(v)
    }
}

/// An address's entry with what the EVM sees of it (see [`BlockState::loaded_entry`]).
struct LoadedEntry<'a> {
    entry: &'a mut AddressEntry,
    /// BTM outputs plus the pending delta.
    balance: U256,
    account: Option<Account>,
}

// === impl BlockState ===

impl<V: StateView, H: BlockHashes> BlockState<V, H> {
    /// A block state over `parent`.
    pub fn new(parent: V, hashes: H) -> Self {
        Self {
            cache: StateCache::new(parent),
            addresses: AddressMap::default(),
            deltas: HashMap::default(),
            code: HashMap::default(),
            shared_code: None,
            outputs: HashMap::default(),
            tokens: HashMap::default(),
            evm_issued: BTreeMap::new(),
            hashes,
        }
    }

    /// Loads contract code through `cache` too: code loaded by an earlier block state
    /// over the same chain is taken from it, analyzed, instead of being read and
    /// analyzed again, and code this one loads is kept in it.
    pub fn with_code_cache(mut self, cache: Arc<CodeCache>) -> Self {
        self.shared_code = Some(cache);
        self
    }

    /// The overlay of explicit output changes and EVM account changes.
    pub fn cache(&self) -> &StateCache<V> {
        &self.cache
    }

    /// The pending delta of `(address, asset)`.
    pub fn delta(&self, address: Address, asset: AssetId) -> I256 {
        if asset.is_btm() {
            return self
                .addresses
                .get(&address)
                .map_or(I256::ZERO, |e| e.btm_delta);
        }
        self.deltas
            .get(&(address, asset))
            .copied()
            .unwrap_or(I256::ZERO)
    }

    /// Every non-zero pending delta, unordered.
    pub(crate) fn deltas(&self) -> impl Iterator<Item = ((Address, AssetId), I256)> + '_ {
        let btm = self
            .addresses
            .iter()
            .filter(|(_, e)| !e.btm_delta.is_zero())
            .map(|(a, e)| ((*a, AssetId::BTM), e.btm_delta));
        btm.chain(self.deltas.iter().map(|(k, d)| (*k, *d)))
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
        apply_delta(outputs, self.delta(address, asset), address, asset)
    }

    /// Drops the cached output total of `(owner, asset)` after its outputs changed.
    pub fn forget_outputs(&mut self, owner: Address, asset: AssetId) {
        if asset.is_btm() {
            if let Some(e) = self.addresses.get_mut(&owner) {
                e.btm_outputs = None;
            }
        } else {
            self.outputs.remove(&(owner, asset));
        }
    }

    fn output_balance(&mut self, address: Address, asset: AssetId) -> Result<U256, StateError> {
        if asset.is_btm() {
            return Ok(self.btm_entry(address)?.0);
        }
        if let Some(v) = self.outputs.get(&(address, asset)) {
            return Ok(*v);
        }
        let v = self.cache.balance(address, asset)?;
        self.outputs.insert((address, asset), v);
        Ok(v)
    }

    /// The entry of `address` with its BTM output total and its account read (each
    /// once per block), in one map lookup: what loading or committing an account needs.
    fn loaded_entry(&mut self, address: Address) -> Result<LoadedEntry<'_>, StateError> {
        let e = self.addresses.entry(address).or_default();
        let outputs = e.btm_outputs(&self.cache, address)?;
        let account = match e.account {
            Some(a) => a,
            None => {
                let a = self.cache.account(address)?;
                e.account = Some(a);
                a
            }
        };
        let balance = apply_delta(outputs, e.btm_delta, address, AssetId::BTM)?;
        Ok(LoadedEntry {
            entry: e,
            balance,
            account,
        })
    }

    /// The BTM output total and pending delta of `address`, reading the total once.
    fn btm_entry(&mut self, address: Address) -> Result<(U256, I256), StateError> {
        let e = self.addresses.entry(address).or_default();
        Ok((e.btm_outputs(&self.cache, address)?, e.btm_delta))
    }

    /// [`Self::effective_balance`] through the read caches.
    fn effective_balance_cached(
        &mut self,
        address: Address,
        asset: AssetId,
    ) -> Result<U256, StateError> {
        if asset.is_btm() {
            let (outputs, delta) = self.btm_entry(address)?;
            return apply_delta(outputs, delta, address, asset);
        }
        let outputs = self.output_balance(address, asset)?;
        self.with_delta(outputs, address, asset)
    }

    fn put_account(
        &mut self,
        address: Address,
        account: Option<Account>,
    ) -> Result<(), StateError> {
        let account = account.filter(|a| !a.is_empty());
        self.cache.set_account(address, account)?;
        self.addresses.entry(address).or_default().account = Some(account);
        Ok(())
    }

    /// The asset whose token is at `address`, if it is one (the registry, cached).
    fn token_asset(&mut self, address: Address) -> Result<Option<AssetId>, StateError> {
        if let Some(a) = self.tokens.get(&address) {
            return Ok(*a);
        }
        let a = assets::asset_of_token(&self.cache, address)?;
        self.tokens.insert(address, a);
        Ok(a)
    }

    /// A storage read as the EVM sees it: a token's ledger slots read the ledger.
    fn evm_storage(&mut self, address: Address, slot: U256) -> Result<U256, StateError> {
        if assets::is_ledger_slot(slot)
            && let Some(asset) = self.token_asset(address)?
        {
            return match assets::balance_slot_owner(slot) {
                Some(owner) => self.effective_balance_cached(owner, asset),
                None => Ok(self.cache.supply(asset)?.total()),
            };
        }
        self.cache.storage(address, slot)
    }

    /// The owners' outputs left after spending `spent` must still cover their pending
    /// negative deltas (DESIGN.md section 3).
    pub(crate) fn check_settlement_cover(
        &mut self,
        spent: &[(OutPoint, Coin)],
    ) -> Result<(), bytom2_utxo::native::NativeTxError> {
        let mut by_owner: BTreeMap<(Address, AssetId), (U256, OutPoint)> = BTreeMap::new();
        for (op, coin) in spent {
            let e = by_owner
                .entry((coin.output.owner, coin.output.asset))
                .or_insert((U256::ZERO, *op));
            e.0 = e.0.saturating_add(coin.output.amount);
        }
        for ((owner, asset), (amount, input)) in by_owner {
            let delta = self.delta(owner, asset);
            if !delta.is_negative() {
                continue;
            }
            let outputs = self.output_balance(owner, asset)?;
            if outputs.saturating_sub(amount) < delta.unsigned_abs() {
                return Err(bytom2_utxo::native::NativeTxError::NeededBySettlement {
                    input,
                    owner,
                });
            }
        }
        Ok(())
    }

    /// Applies a validated native transaction at `(number, tx_index)`: spends its inputs,
    /// creates its outputs, records issuance and burns, creates a new asset's token.
    pub(crate) fn apply_native(
        &mut self,
        tx: &RecoveredNative,
        v: &ValidatedNative,
        number: u64,
        tx_index: u32,
    ) -> Result<(), StateError> {
        // `v.spent` was read through this cache by the validation just before.
        for (op, coin) in &v.spent {
            self.cache.spend_read_coin(op, *coin)?;
            self.forget_outputs(coin.output.owner, coin.output.asset);
        }
        // The transaction spent an unspent input, so it was never applied before and no
        // output carries its hash yet.
        for (i, o) in tx.tx.outputs.iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| StateError::Backend("output index".into()))?;
            let coin = Coin::new(*o, CoinOrigin::new(number, tx_index, i));
            self.cache.add_new_coin(OutPoint::new(tx.hash, i), coin)?;
            self.forget_outputs(o.owner, o.asset);
        }
        if let Some((asset, def)) = &v.created_asset {
            self.register_asset(*asset, def)?;
        }
        if let Some(issuance) = &tx.tx.issuance
            && !issuance.amount.is_zero()
        {
            let mut supply = self.cache.supply(issuance.asset)?;
            supply.issued += issuance.amount;
            self.cache.set_supply(issuance.asset, supply)?;
        }
        for (&asset, &amount) in &v.burned {
            let mut supply = self.cache.supply(asset)?;
            supply.burned += amount;
            self.cache.set_supply(asset, supply)?;
        }
        Ok(())
    }

    /// Creates `asset`'s token (code, nonce 1, the definition in its storage) and
    /// registers it, as the issuance precompile's `createAsset` does through the journal.
    pub(crate) fn register_asset(
        &mut self,
        asset: AssetId,
        def: &AssetDefinition,
    ) -> Result<(), StateError> {
        let token = assets::token_address(asset);
        let code = NATIVE_ASSET_CODE.clone();
        let code_hash = code.hash_slow();
        self.cache.insert_code(code_hash, code.original_bytes())?;
        self.code.insert(code_hash, code);
        self.put_account(
            token,
            Some(Account {
                nonce: 1,
                code_hash,
            }),
        )?;
        self.cache.set_storage(
            ASSET_ISSUER,
            assets::registry_slot(token),
            U256::from_be_bytes(asset.0.0),
        )?;
        for (slot, value) in assets::definition_storage(def, asset) {
            self.cache.set_storage(token, slot, value)?;
        }
        self.tokens.insert(token, Some(asset));
        Ok(())
    }

    /// Adds `amount` (signed) to the pending delta of `(address, asset)`.
    pub fn add_delta(&mut self, address: Address, asset: AssetId, amount: I256) {
        if amount.is_zero() {
            return;
        }
        if asset.is_btm() {
            self.addresses.entry(address).or_default().btm_delta += amount;
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
    pub fn commit_evm_state(&mut self, mut state: EvmState) -> Result<I256, StateError> {
        let mut net = I256::ZERO;
        // The registry first: a token created in this transaction maps its ledger slots.
        if let Some(registry) = state.remove(&ASSET_ISSUER) {
            self.commit_account(ASSET_ISSUER, registry, &mut net)?;
            self.tokens.clear();
        }
        for (address, account) in state {
            self.commit_account(address, account, &mut net)?;
        }
        Ok(net)
    }

    fn commit_account(
        &mut self,
        address: Address,
        account: revm::state::Account,
        net: &mut I256,
    ) -> Result<(), StateError> {
        if !account.is_touched() {
            return Ok(());
        }
        let new_balance = if account.is_selfdestructed() {
            U256::ZERO
        } else {
            account.info.balance
        };
        let info = &account.info;
        let meta = Account {
            nonce: info.nonce,
            code_hash: info.code_hash,
        };
        let LoadedEntry {
            entry,
            balance: seen,
            account: stored,
        } = self.loaded_entry(address)?;
        if new_balance != seen {
            let diff = signed_diff(new_balance, seen);
            entry.btm_delta += diff;
            *net += diff;
        }
        if account.is_selfdestructed() {
            // EIP-6780: only an account created in this transaction is destroyed, so
            // nothing of it reached the overlay before; its slots are all zero.
            self.put_account(address, None)?;
            return Ok(());
        }
        let account_changed = stored.unwrap_or_default() != meta;
        // Code the block has seen (loaded or stored) is already in the state; only code
        // new to the block needs storing (a deployed contract is touched by every call).
        if let Some(code) = &info.code
            && info.code_hash != KECCAK256_EMPTY
            && !code.is_empty()
            && !self.code.contains_key(&info.code_hash)
        {
            self.cache
                .insert_code(info.code_hash, code.original_bytes())?;
            self.code.insert(info.code_hash, code.clone());
        }
        if account_changed {
            self.put_account(address, Some(meta))?;
        }
        for (slot, value) in account.storage {
            if !value.is_changed() {
                continue;
            }
            if assets::is_ledger_slot(slot)
                && let Some(asset) = self.token_asset(address)?
            {
                let diff = signed_diff(value.present_value, value.original_value);
                match assets::balance_slot_owner(slot) {
                    Some(owner) => self.add_delta(owner, asset, diff),
                    None => {
                        debug_assert_eq!(slot, SUPPLY_SLOT);
                        if diff.is_negative() {
                            return Err(StateError::Backend(format!(
                                "the EVM lowered the supply of {asset}"
                            )));
                        }
                        let issued = diff.into_raw();
                        let mut supply = self.cache.supply(asset)?;
                        supply.issued += issued;
                        self.cache.set_supply(asset, supply)?;
                        *self.evm_issued.entry(asset).or_default() += issued;
                    }
                }
                continue;
            }
            self.cache.set_storage(address, slot, value.present_value)?;
        }
        Ok(())
    }

    fn load_code(&mut self, code_hash: B256) -> Result<Bytecode, StateError> {
        if code_hash == KECCAK256_EMPTY || code_hash == B256::ZERO {
            return Ok(Bytecode::default());
        }
        if let Some(code) = self.code.get(&code_hash) {
            return Ok(code.clone());
        }
        if let Some(code) = self.shared_code.as_ref().and_then(|c| c.get(&code_hash)) {
            self.code.insert(code_hash, code.clone());
            return Ok(code);
        }
        let bytes = self
            .cache
            .code(code_hash)?
            .ok_or_else(|| StateError::Backend(format!("code {code_hash} missing")))?;
        let code = Bytecode::new_raw(bytes);
        self.code.insert(code_hash, code.clone());
        if let Some(shared) = &self.shared_code {
            shared.insert(code_hash, code.clone());
        }
        Ok(code)
    }
}

impl<V: StateView, H: BlockHashes> Database for BlockState<V, H> {
    type Error = DbError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, DbError> {
        let LoadedEntry {
            balance, account, ..
        } = self.loaded_entry(address)?;
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
        Ok(self.evm_storage(address, index)?)
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, DbError> {
        Ok(self.hashes.block_hash(number).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytom2_utxo::{MemoryState, Output};

    fn coin(owner: Address, asset: AssetId, amount: u64, index: u32) -> (OutPoint, Coin) {
        (
            OutPoint::new(B256::repeat_byte(9), index),
            Coin::new(
                Output::new(asset, U256::from(amount), owner),
                CoinOrigin::new(1, 0, index),
            ),
        )
    }

    /// BTM (kept per address) and other assets (kept per `(address, asset)`) read, move
    /// and list their deltas alike; a delta that comes back to zero is not settled.
    #[test]
    fn btm_and_other_asset_deltas_behave_alike() {
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let gold = AssetId(B256::repeat_byte(7));
        let mut state = BlockState::new(MemoryState::new(), HashMap::<u64, B256>::default());
        for (i, asset) in [AssetId::BTM, gold].into_iter().enumerate() {
            let (op, c) = coin(a, asset, 100, i as u32);
            state.cache.add_coin(op, c).unwrap();
        }
        for asset in [AssetId::BTM, gold] {
            assert_eq!(
                state.effective_balance_cached(a, asset).unwrap(),
                U256::from(100)
            );
            state.add_delta(a, asset, I256::try_from(-30).unwrap());
            state.add_delta(b, asset, I256::try_from(30).unwrap());
            assert_eq!(state.effective_balance(a, asset).unwrap(), U256::from(70));
            assert_eq!(
                state.effective_balance_cached(b, asset).unwrap(),
                U256::from(30)
            );
            assert_eq!(state.delta(a, asset), I256::try_from(-30).unwrap());
        }
        // The EVM sees the BTM balance with its delta.
        let info = state.basic(a).unwrap().expect("funded");
        assert_eq!(info.balance, U256::from(70));
        // `a` gets its BTM back: only `b`'s BTM and both gold deltas are left.
        state.add_delta(a, AssetId::BTM, I256::try_from(30).unwrap());
        let mut left: Vec<_> = state.deltas().collect();
        left.sort();
        let mut expected = vec![
            ((b, AssetId::BTM), I256::try_from(30).unwrap()),
            ((a, gold), I256::try_from(-30).unwrap()),
            ((b, gold), I256::try_from(30).unwrap()),
        ];
        expected.sort();
        assert_eq!(left, expected);
        // An output added mid-block is seen once its owner's cached total is dropped.
        for (i, asset) in [AssetId::BTM, gold].into_iter().enumerate() {
            let (op, c) = coin(a, asset, 5, 10 + i as u32);
            state.cache.add_coin(op, c).unwrap();
            let before = state.effective_balance_cached(a, asset).unwrap();
            state.forget_outputs(a, asset);
            assert_eq!(
                state.effective_balance_cached(a, asset).unwrap(),
                before + U256::from(5)
            );
        }
        // A delta larger than the outputs is an inconsistency, not a wrap-around.
        state.add_delta(b, AssetId::BTM, I256::try_from(-31).unwrap());
        assert!(matches!(
            state.effective_balance_cached(b, AssetId::BTM),
            Err(StateError::BalanceInconsistent { .. })
        ));
    }
}
