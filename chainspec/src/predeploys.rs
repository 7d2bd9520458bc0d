//! Contracts that Ethereum tooling expects at fixed addresses on every chain.
//!
//! - The deterministic CREATE2 deployer (Arachnid's, used by Foundry's `forge script` and
//!   `new Contract{salt: ...}`).
//! - Multicall3 (viem, ethers and wagmi batch reads through it). Its runtime code is in
//!   `multicall3.hex`, the code deployed at the same address on Ethereum mainnet (solc
//!   0.8.12, 3,808 bytes); a test checks it against the well-known code hash.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, U256, address, b256, hex};

use crate::GenesisAccount;

/// Address of the deterministic CREATE2 deployer.
pub const CREATE2_DEPLOYER: Address = address!("4e59b44847b379578588920cA78FbF26c0B4956C");

/// Runtime code of the deterministic CREATE2 deployer.
const CREATE2_DEPLOYER_CODE: [u8; 69] = hex!(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
);

/// keccak256 of the CREATE2 deployer's runtime code.
pub const CREATE2_DEPLOYER_CODE_HASH: B256 =
    b256!("2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989");

/// Address of Multicall3.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");

/// Multicall3's runtime code, as hex.
const MULTICALL3_CODE_HEX: &str = include_str!("multicall3.hex");

/// keccak256 of Multicall3's runtime code, as deployed on Ethereum mainnet.
pub const MULTICALL3_CODE_HASH: B256 =
    b256!("d5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891");

/// Runtime code of the deterministic CREATE2 deployer.
pub fn create2_deployer_code() -> Bytes {
    Bytes::from_static(&CREATE2_DEPLOYER_CODE)
}

/// Runtime code of Multicall3.
pub fn multicall3_code() -> Bytes {
    Bytes::from(
        hex::decode(MULTICALL3_CODE_HEX.trim()).expect("multicall3.hex is checked by a unit test"),
    )
}

/// The predeployed accounts, ready to insert into a genesis `alloc`: code, no balance,
/// no storage, nonce 1 (as for any contract created since EIP-161).
pub fn predeploys() -> BTreeMap<Address, GenesisAccount> {
    let contract = |code: Bytes| GenesisAccount {
        balance: U256::ZERO,
        nonce: 1,
        code: Some(code),
        storage: BTreeMap::new(),
    };
    BTreeMap::from([
        (CREATE2_DEPLOYER, contract(create2_deployer_code())),
        (MULTICALL3, contract(multicall3_code())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn multicall3_code_is_canonical() {
        let code = multicall3_code();
        assert_eq!(code.len(), 3_808);
        assert_eq!(keccak256(&code), MULTICALL3_CODE_HASH);
    }

    #[test]
    fn create2_deployer_code_is_canonical() {
        assert_eq!(
            keccak256(create2_deployer_code()),
            CREATE2_DEPLOYER_CODE_HASH
        );
    }

    #[test]
    fn predeploy_accounts() {
        let p = predeploys();
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[&MULTICALL3].code.as_ref().map(keccak256),
            Some(MULTICALL3_CODE_HASH)
        );
        assert_eq!(p[&CREATE2_DEPLOYER].code, Some(create2_deployer_code()));
    }
}
