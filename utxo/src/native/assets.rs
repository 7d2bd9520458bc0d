//! Native assets: definitions, ids, the ERC-20 address of each asset, and where the
//! registry lives in the state.
//!
//! Everything about an asset except its outputs and supply counters lives in EVM
//! storage, so it is committed, versioned and readable at past blocks like any other
//! state:
//! - the **registry**, storage of the issuance precompile [`ASSET_ISSUER`]: slot
//!   [`registry_slot`]`(token)` holds the asset id of each asset's token;
//! - the **token** at [`token_address`]`(asset)`: the `NativeAsset` ERC-20 runtime code,
//!   with the definition in its storage (the Solidity layout of
//!   `contracts/src/NativeAsset.sol`, see [`definition_storage`]).
//!
//! Two kinds of token slot are not storage at all: the EVM reads them from the ledger
//! and its writes to them become ledger changes (the executor maps them):
//! [`balance_slot`]`(owner)` is `owner`'s balance of the asset (the sum of its outputs
//! plus the block's pending delta) and [`SUPPLY_SLOT`] its total supply.

use crate::{AssetId, StateResult, StateView};
use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
use alloy_rlp::{Encodable, RlpDecodable, RlpEncodable};

/// The asset-issuance precompile; its storage is the asset registry.
pub const ASSET_ISSUER: Address = address!("0x000000000000000000000000000000000000b701");

/// The 12-byte prefix of a token's balance slots: `"bytom2/bal"` and two zero bytes.
pub const BALANCE_SLOT_TAG: [u8; 12] = *b"bytom2/bal\0\0";

/// The 12-byte prefix of the registry's slots: `"bytom2/reg"` and two zero bytes.
pub const REGISTRY_SLOT_TAG: [u8; 12] = *b"bytom2/reg\0\0";

/// The token slot that reads as the asset's total supply: `keccak256("bytom2/supply")`.
pub const SUPPLY_SLOT: U256 = U256::from_be_bytes(alloy_primitives::hex!(
    "0x3d2a231c626bafd4a801c29b2c7e4e478079663fc1d02fc61d5c1bd7a48c679e"
));

/// Longest name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest symbol, in bytes.
pub const MAX_SYMBOL_LEN: usize = 16;
/// Most decimals.
pub const MAX_DECIMALS: u8 = 36;
/// Longest free-form data, in bytes.
pub const MAX_DATA_LEN: usize = 1024;

/// Token storage slots of the `NativeAsset` contract's state variables, in declaration
/// order.
pub mod token_slots {
    /// `string name`.
    pub const NAME: u64 = 0;
    /// `string symbol`.
    pub const SYMBOL: u64 = 1;
    /// `address issuer`.
    pub const ISSUER: u64 = 2;
    /// `bytes32 assetId`.
    pub const ASSET_ID: u64 = 3;
    /// `uint256 decimals`.
    pub const DECIMALS: u64 = 4;
    /// `bytes data`.
    pub const DATA: u64 = 5;
    /// `mapping(address => mapping(address => uint256)) allowance`.
    pub const ALLOWANCES: u64 = 6;
}

/// What defines an asset: fixed when it is created. RLP:
/// `[name, symbol, decimals, issuer, data]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable)]
pub struct AssetDefinition {
    /// Name, 1 to [`MAX_NAME_LEN`] bytes of UTF-8.
    pub name: String,
    /// Ticker symbol, 1 to [`MAX_SYMBOL_LEN`] bytes of UTF-8.
    pub symbol: String,
    /// Decimals shown by wallets, at most [`MAX_DECIMALS`].
    pub decimals: u8,
    /// The only address that may issue more.
    pub issuer: Address,
    /// Free-form data, at most [`MAX_DATA_LEN`] bytes.
    pub data: Bytes,
}

impl AssetDefinition {
    /// The asset id: `keccak256("bytom2/asset" || rlp(definition))`. Two issuers, or two
    /// definitions differing in any field, give different assets.
    pub fn asset_id(&self) -> AssetId {
        let mut buf = b"bytom2/asset".to_vec();
        self.encode(&mut buf);
        AssetId(keccak256(buf))
    }

    /// Checks the field limits; the error says which one.
    pub fn check(&self) -> Result<(), String> {
        if self.name.is_empty() || self.name.len() > MAX_NAME_LEN {
            return Err(format!("asset name must be 1 to {MAX_NAME_LEN} bytes"));
        }
        if self.symbol.is_empty() || self.symbol.len() > MAX_SYMBOL_LEN {
            return Err(format!("asset symbol must be 1 to {MAX_SYMBOL_LEN} bytes"));
        }
        if self.decimals > MAX_DECIMALS {
            return Err(format!("asset decimals must be at most {MAX_DECIMALS}"));
        }
        if self.data.len() > MAX_DATA_LEN {
            return Err(format!("asset data must be at most {MAX_DATA_LEN} bytes"));
        }
        if self.issuer.is_zero() {
            return Err("asset issuer must not be the zero address".into());
        }
        Ok(())
    }
}

/// The ERC-20 address of `asset`: the last 20 bytes of
/// `keccak256("bytom2/asset-token" || asset)`.
pub fn token_address(asset: AssetId) -> Address {
    let mut buf = b"bytom2/asset-token".to_vec();
    buf.extend_from_slice(asset.0.as_slice());
    Address::from_slice(&keccak256(buf)[12..])
}

fn tagged(tag: &[u8; 12], address: Address) -> U256 {
    let mut b = [0u8; 32];
    b[..12].copy_from_slice(tag);
    b[12..].copy_from_slice(address.as_slice());
    U256::from_be_bytes(b)
}

fn untag(tag: &[u8; 12], slot: U256) -> Option<Address> {
    let b = slot.to_be_bytes::<32>();
    (b[..12] == tag[..]).then(|| Address::from_slice(&b[12..]))
}

/// The registry slot of `token` in [`ASSET_ISSUER`]'s storage.
pub fn registry_slot(token: Address) -> U256 {
    tagged(&REGISTRY_SLOT_TAG, token)
}

/// The token slot that reads as `owner`'s balance: [`BALANCE_SLOT_TAG`] `|| owner`.
pub fn balance_slot(owner: Address) -> U256 {
    tagged(&BALANCE_SLOT_TAG, owner)
}

/// The owner of a balance slot, if `slot` is one.
pub fn balance_slot_owner(slot: U256) -> Option<Address> {
    untag(&BALANCE_SLOT_TAG, slot)
}

/// Whether a token slot is read from the ledger rather than storage.
pub fn is_ledger_slot(slot: U256) -> bool {
    slot == SUPPLY_SLOT || balance_slot_owner(slot).is_some()
}

/// The asset whose token is at `token`, if it is one (the registry).
pub fn asset_of_token(
    view: &(impl StateView + ?Sized),
    token: Address,
) -> StateResult<Option<AssetId>> {
    let id = view.storage(ASSET_ISSUER, registry_slot(token))?;
    Ok((!id.is_zero()).then(|| AssetId(B256::from(id))))
}

/// Whether `asset` exists (was created).
pub fn asset_exists(view: &(impl StateView + ?Sized), asset: AssetId) -> StateResult<bool> {
    Ok(asset_of_token(view, token_address(asset))? == Some(asset))
}

/// Solidity's storage encoding of a `string`/`bytes` value at `slot`: short values
/// (under 32 bytes) sit in the slot with `2 * len` in the low byte; longer ones put
/// `2 * len + 1` in the slot and the bytes in 32-byte words from `keccak256(slot)`.
fn solidity_bytes(slot: u64, value: &[u8], out: &mut Vec<(U256, U256)>) {
    let slot_u = U256::from(slot);
    if value.len() < 32 {
        let mut b = [0u8; 32];
        b[..value.len()].copy_from_slice(value);
        b[31] = (value.len() * 2) as u8;
        out.push((slot_u, U256::from_be_bytes(b)));
        return;
    }
    out.push((slot_u, U256::from(value.len() * 2 + 1)));
    let base = U256::from_be_bytes(keccak256(slot_u.to_be_bytes::<32>()).0);
    for (i, chunk) in value.chunks(32).enumerate() {
        let mut b = [0u8; 32];
        b[..chunk.len()].copy_from_slice(chunk);
        out.push((base + U256::from(i), U256::from_be_bytes(b)));
    }
}

fn read_solidity_bytes(
    view: &(impl StateView + ?Sized),
    token: Address,
    slot: u64,
) -> StateResult<Vec<u8>> {
    let head = view.storage(token, U256::from(slot))?.to_be_bytes::<32>();
    if head[31] & 1 == 0 {
        let len = usize::from(head[31] / 2).min(31);
        return Ok(head[..len].to_vec());
    }
    let len = U256::from_be_bytes(head) >> 1;
    let len = usize::try_from(len).unwrap_or(usize::MAX).min(MAX_DATA_LEN);
    let base = U256::from_be_bytes(keccak256(U256::from(slot).to_be_bytes::<32>()).0);
    let mut out = Vec::with_capacity(len);
    let mut i = 0u64;
    while out.len() < len {
        let word = view
            .storage(token, base + U256::from(i))?
            .to_be_bytes::<32>();
        let take = (len - out.len()).min(32);
        out.extend_from_slice(&word[..take]);
        i += 1;
    }
    Ok(out)
}

/// The storage a new token holds: its definition in the `NativeAsset` layout
/// ([`token_slots`]). Zero values are left out.
pub fn definition_storage(def: &AssetDefinition, asset: AssetId) -> Vec<(U256, U256)> {
    let mut out = Vec::new();
    solidity_bytes(token_slots::NAME, def.name.as_bytes(), &mut out);
    solidity_bytes(token_slots::SYMBOL, def.symbol.as_bytes(), &mut out);
    out.push((
        U256::from(token_slots::ISSUER),
        U256::from_be_slice(def.issuer.as_slice()),
    ));
    out.push((
        U256::from(token_slots::ASSET_ID),
        U256::from_be_bytes(asset.0.0),
    ));
    out.push((U256::from(token_slots::DECIMALS), U256::from(def.decimals)));
    if !def.data.is_empty() {
        solidity_bytes(token_slots::DATA, &def.data, &mut out);
    }
    out.retain(|(_, v)| !v.is_zero());
    out
}

/// The definition of `asset`, if it exists.
pub fn read_definition(
    view: &(impl StateView + ?Sized),
    asset: AssetId,
) -> StateResult<Option<AssetDefinition>> {
    if !asset_exists(view, asset)? {
        return Ok(None);
    }
    let token = token_address(asset);
    let name = read_solidity_bytes(view, token, token_slots::NAME)?;
    let symbol = read_solidity_bytes(view, token, token_slots::SYMBOL)?;
    let data = read_solidity_bytes(view, token, token_slots::DATA)?;
    let issuer = view.storage(token, U256::from(token_slots::ISSUER))?;
    let decimals = view.storage(token, U256::from(token_slots::DECIMALS))?;
    Ok(Some(AssetDefinition {
        name: String::from_utf8_lossy(&name).into_owned(),
        symbol: String::from_utf8_lossy(&symbol).into_owned(),
        decimals: u8::try_from(decimals).unwrap_or(u8::MAX),
        issuer: Address::from_word(B256::from(issuer)),
        data: data.into(),
    }))
}

/// The issuer of `asset`, if it exists.
pub fn read_issuer(
    view: &(impl StateView + ?Sized),
    asset: AssetId,
) -> StateResult<Option<Address>> {
    if !asset_exists(view, asset)? {
        return Ok(None);
    }
    let issuer = view.storage(token_address(asset), U256::from(token_slots::ISSUER))?;
    Ok(Some(Address::from_word(B256::from(issuer))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryState, StateCache, StateWriter};

    #[test]
    fn supply_slot_is_the_documented_hash() {
        assert_eq!(
            SUPPLY_SLOT,
            U256::from_be_bytes(keccak256("bytom2/supply").0),
            "{:x}",
            U256::from_be_bytes(keccak256("bytom2/supply").0)
        );
    }

    #[test]
    fn balance_slots_round_trip_and_do_not_collide_with_the_layout() {
        let a = Address::repeat_byte(0xab);
        assert_eq!(balance_slot_owner(balance_slot(a)), Some(a));
        assert_eq!(balance_slot_owner(registry_slot(a)), None);
        for s in 0..=token_slots::ALLOWANCES {
            assert!(!is_ledger_slot(U256::from(s)));
        }
    }

    #[test]
    fn definition_round_trips_through_storage_for_short_and_long_values() {
        for (name, data) in [
            ("Gold", Bytes::new()),
            (
                "A name that is longer than thirty-one bytes, surely",
                Bytes::from(vec![7u8; 100]),
            ),
        ] {
            let def = AssetDefinition {
                name: name.into(),
                symbol: "GLD".into(),
                decimals: 8,
                issuer: Address::repeat_byte(3),
                data,
            };
            def.check().unwrap();
            let asset = def.asset_id();
            let base = MemoryState::default();
            let mut cache = StateCache::new(&base);
            let token = token_address(asset);
            assert!(read_definition(&cache, asset).unwrap().is_none());
            cache
                .set_storage(
                    ASSET_ISSUER,
                    registry_slot(token),
                    U256::from_be_bytes(asset.0.0),
                )
                .unwrap();
            for (slot, value) in definition_storage(&def, asset) {
                cache.set_storage(token, slot, value).unwrap();
            }
            let changes = cache.into_changes();
            let mut state = MemoryState::default();
            state.write_changes(changes).unwrap();
            assert_eq!(read_definition(&state, asset).unwrap(), Some(def.clone()));
            assert_eq!(read_issuer(&state, asset).unwrap(), Some(def.issuer));
        }
    }

    #[test]
    fn asset_id_depends_on_every_field() {
        let def = AssetDefinition {
            name: "Gold".into(),
            symbol: "GLD".into(),
            decimals: 8,
            issuer: Address::repeat_byte(3),
            data: Bytes::new(),
        };
        let mut other = def.clone();
        other.issuer = Address::repeat_byte(4);
        assert_ne!(def.asset_id(), other.asset_id());
        let mut other = def.clone();
        other.decimals = 9;
        assert_ne!(def.asset_id(), other.asset_id());
        assert_ne!(
            token_address(def.asset_id()),
            token_address(other.asset_id())
        );
    }
}
