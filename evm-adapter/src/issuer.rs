//! The asset-issuance precompile at [`ASSET_ISSUER`] (Solidity interface
//! `contracts/src/IAssetIssuer.sol`), one of the chain's own precompiles
//! ([`crate::SystemPrecompile`]).
//!
//! `createAsset` puts the `NativeAsset` ERC-20 runtime code at the asset's token address
//! with the definition in its storage, and registers the token in the precompile's own
//! storage (the registry); `issue` raises the token's supply slot and the recipient's
//! balance slot. Every write goes through revm's journal, so a reverted call leaves
//! nothing; the executor maps the ledger slots onto supply and deltas when the
//! transaction commits (see [`crate::BlockState`]).

use alloy_primitives::{Address, B256, Bytes, Log, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolValue, sol};
use bytom2_utxo::{
    AssetId,
    native::assets::{
        self, ASSET_ISSUER, AssetDefinition, SUPPLY_SLOT, balance_slot, registry_slot,
        token_address, token_slots,
    },
};
use revm::{
    bytecode::Bytecode,
    context_interface::{ContextTr, JournalTr, journaled_state::account::JournaledAccountTr},
    interpreter::{CallInputs, Gas, InstructionResult, InterpreterResult},
};
use std::sync::LazyLock;

sol! {
    /// The precompile's ABI.
    interface IAssetIssuer {
        event AssetCreated(bytes32 indexed assetId, address indexed issuer, address token, string name, string symbol, uint8 decimals);
        event AssetIssued(bytes32 indexed assetId, address indexed to, uint256 amount);
        function createAsset(string name, string symbol, uint8 decimals, bytes data) external returns (bytes32 assetId, address token);
        function issue(bytes32 assetId, address to, uint256 amount) external;
        function tokenOf(bytes32 assetId) external view returns (address);
        function assetOf(address token) external view returns (bytes32);
    }

    /// ERC-20 `Transfer`, logged by a token when its asset is issued.
    event Transfer(address indexed from, address indexed to, uint256 value);
}

/// Gas of `createAsset`: a base plus [`CREATE_GAS_PER_BYTE`] per byte of name, symbol and
/// data.
pub const CREATE_GAS: u64 = 100_000;
/// Gas per byte of a new asset's name, symbol and data.
pub const CREATE_GAS_PER_BYTE: u64 = 200;
/// Gas of `issue`.
pub const ISSUE_GAS: u64 = 30_000;
/// Gas of the two reads.
pub const READ_GAS: u64 = 2_600;

/// The compiled `NativeAsset` runtime code (from `contracts/artifacts/NativeAsset.json`).
pub static NATIVE_ASSET_CODE: LazyLock<Bytecode> = LazyLock::new(|| {
    const ARTIFACT: &str = include_str!("../../contracts/artifacts/NativeAsset.json");
    const KEY: &str = "\"deployedBytecode\": \"0x";
    let start = ARTIFACT.find(KEY).expect("artifact has deployedBytecode") + KEY.len();
    let len = ARTIFACT[start..].find('"').expect("closing quote");
    let bytes = alloy_primitives::hex::decode(&ARTIFACT[start..start + len])
        .expect("deployedBytecode is hex");
    Bytecode::new_raw(bytes.into())
});

/// The outcome of a call before gas accounting.
enum Outcome {
    Return(Vec<u8>),
    Revert(String),
}

/// Runs a call to the issuer at [`ASSET_ISSUER`].
pub(crate) fn run_issuer<CTX: ContextTr>(
    ctx: &mut CTX,
    inputs: &CallInputs,
) -> Result<InterpreterResult, String> {
    let input: Vec<u8> = inputs.input.as_bytes(ctx).to_vec();
    let selector: Option<[u8; 4]> = input.get(..4).and_then(|s| s.try_into().ok());
    let (cost, outcome) = if inputs.target_address != ASSET_ISSUER {
        (
            READ_GAS,
            Outcome::Revert("delegatecall to the issuer is not supported".into()),
        )
    } else if !inputs.call_value().is_zero() {
        (
            READ_GAS,
            Outcome::Revert("the issuer takes no value".into()),
        )
    } else {
        match selector {
            Some(IAssetIssuer::tokenOfCall::SELECTOR) => {
                match IAssetIssuer::tokenOfCall::abi_decode(&input) {
                    Ok(c) => (
                        READ_GAS,
                        Outcome::Return(token_address(AssetId(c.assetId)).abi_encode()),
                    ),
                    Err(_) => (READ_GAS, Outcome::Revert("bad arguments".into())),
                }
            }
            Some(IAssetIssuer::assetOfCall::SELECTOR) => {
                match IAssetIssuer::assetOfCall::abi_decode(&input) {
                    Ok(c) => {
                        let id = registered(ctx, c.token)?;
                        (READ_GAS, Outcome::Return(id.abi_encode()))
                    }
                    Err(_) => (READ_GAS, Outcome::Revert("bad arguments".into())),
                }
            }
            Some(IAssetIssuer::createAssetCall::SELECTOR) => {
                match IAssetIssuer::createAssetCall::abi_decode(&input) {
                    Ok(c) => {
                        let bytes = (c.name.len() + c.symbol.len() + c.data.len()) as u64;
                        let cost =
                            CREATE_GAS.saturating_add(bytes.saturating_mul(CREATE_GAS_PER_BYTE));
                        if cost > inputs.gas_limit {
                            return Ok(out_of_gas(inputs.gas_limit));
                        }
                        (cost, create_asset(ctx, inputs, c)?)
                    }
                    Err(_) => (CREATE_GAS, Outcome::Revert("bad arguments".into())),
                }
            }
            Some(IAssetIssuer::issueCall::SELECTOR) => {
                match IAssetIssuer::issueCall::abi_decode(&input) {
                    Ok(c) => {
                        if ISSUE_GAS > inputs.gas_limit {
                            return Ok(out_of_gas(inputs.gas_limit));
                        }
                        (ISSUE_GAS, issue(ctx, inputs, c)?)
                    }
                    Err(_) => (ISSUE_GAS, Outcome::Revert("bad arguments".into())),
                }
            }
            _ => (READ_GAS, Outcome::Revert("unknown function".into())),
        }
    };
    let mut gas = Gas::new(inputs.gas_limit);
    if !gas.record_regular_cost(cost) {
        return Ok(out_of_gas(inputs.gas_limit));
    }
    Ok(match outcome {
        Outcome::Return(data) => {
            InterpreterResult::new(InstructionResult::Return, data.into(), gas)
        }
        Outcome::Revert(reason) => InterpreterResult::new(
            InstructionResult::Revert,
            alloy_sol_types::Revert::from(reason).abi_encode().into(),
            gas,
        ),
    })
}

fn out_of_gas(limit: u64) -> InterpreterResult {
    let mut gas = Gas::new(limit);
    gas.spend_all();
    InterpreterResult::new(InstructionResult::PrecompileOOG, Bytes::new(), gas)
}

fn sload<CTX: ContextTr>(ctx: &mut CTX, address: Address, slot: U256) -> Result<U256, String> {
    let journal = ctx.journal_mut();
    journal.load_account(address).map_err(|e| e.to_string())?;
    Ok(journal
        .sload(address, slot)
        .map_err(|e| e.to_string())?
        .data)
}

fn sstore<CTX: ContextTr>(
    ctx: &mut CTX,
    address: Address,
    slot: U256,
    value: U256,
) -> Result<(), String> {
    let journal = ctx.journal_mut();
    journal.load_account(address).map_err(|e| e.to_string())?;
    journal
        .sstore(address, slot, value)
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The asset registered for `token`, or zero.
fn registered<CTX: ContextTr>(ctx: &mut CTX, token: Address) -> Result<B256, String> {
    Ok(B256::from(sload(ctx, ASSET_ISSUER, registry_slot(token))?))
}

fn create_asset<CTX: ContextTr>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    c: IAssetIssuer::createAssetCall,
) -> Result<Outcome, String> {
    if inputs.is_static {
        return Ok(Outcome::Revert("createAsset in a static call".into()));
    }
    let def = AssetDefinition {
        name: c.name,
        symbol: c.symbol,
        decimals: c.decimals,
        issuer: inputs.caller,
        data: c.data,
    };
    if let Err(e) = def.check() {
        return Ok(Outcome::Revert(e));
    }
    let asset = def.asset_id();
    let token = token_address(asset);
    if !registered(ctx, token)?.is_zero() {
        return Ok(Outcome::Revert("asset exists".into()));
    }
    {
        let journal = ctx.journal_mut();
        let mut account = journal
            .load_account_mut(token)
            .map_err(|e| e.to_string())?
            .data;
        let code = NATIVE_ASSET_CODE.clone();
        account.set_code(code.hash_slow(), code);
        account.set_nonce(1);
    }
    sstore(
        ctx,
        ASSET_ISSUER,
        registry_slot(token),
        U256::from_be_bytes(asset.0.0),
    )?;
    for (slot, value) in assets::definition_storage(&def, asset) {
        sstore(ctx, token, slot, value)?;
    }
    let event = IAssetIssuer::AssetCreated {
        assetId: asset.0,
        issuer: def.issuer,
        token,
        name: def.name,
        symbol: def.symbol,
        decimals: def.decimals,
    };
    ctx.journal_mut().log(Log {
        address: ASSET_ISSUER,
        data: event.encode_log_data(),
    });
    Ok(Outcome::Return((asset.0, token).abi_encode_params()))
}

fn issue<CTX: ContextTr>(
    ctx: &mut CTX,
    inputs: &CallInputs,
    c: IAssetIssuer::issueCall,
) -> Result<Outcome, String> {
    if inputs.is_static {
        return Ok(Outcome::Revert("issue in a static call".into()));
    }
    let asset = AssetId(c.assetId);
    let token = token_address(asset);
    if asset.is_btm() || registered(ctx, token)? != asset.0 {
        return Ok(Outcome::Revert("unknown asset".into()));
    }
    let issuer = Address::from_word(B256::from(sload(
        ctx,
        token,
        U256::from(token_slots::ISSUER),
    )?));
    if issuer != inputs.caller {
        return Ok(Outcome::Revert("not the issuer".into()));
    }
    if c.to.is_zero() {
        return Ok(Outcome::Revert("issue to the zero address".into()));
    }
    let supply = sload(ctx, token, SUPPLY_SLOT)?;
    let balance = sload(ctx, token, balance_slot(c.to))?;
    let (Some(supply), Some(balance)) =
        (supply.checked_add(c.amount), balance.checked_add(c.amount))
    else {
        return Ok(Outcome::Revert("supply overflow".into()));
    };
    sstore(ctx, token, SUPPLY_SLOT, supply)?;
    sstore(ctx, token, balance_slot(c.to), balance)?;
    let journal = ctx.journal_mut();
    journal.log(Log {
        address: ASSET_ISSUER,
        data: IAssetIssuer::AssetIssued {
            assetId: asset.0,
            to: c.to,
            amount: c.amount,
        }
        .encode_log_data(),
    });
    journal.log(Log {
        address: token,
        data: Transfer {
            from: Address::ZERO,
            to: c.to,
            value: c.amount,
        }
        .encode_log_data(),
    });
    Ok(Outcome::Return(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_code_is_the_compiled_artifact() {
        assert!(NATIVE_ASSET_CODE.original_bytes().len() > 500);
    }
}
