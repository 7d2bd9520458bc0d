//! The built-in development chain and its pre-funded accounts.

use std::sync::OnceLock;

use alloy_primitives::{Address, B256, U256, address, uint};
use alloy_signer_local::{MnemonicBuilder, coins_bip39::English};

use crate::{
    ChainParams, ChainSpec, Genesis, GenesisAccount, Hardfork,
    genesis::{DEFAULT_GAS_LIMIT, INITIAL_BASE_FEE},
    predeploys::predeploys,
};

/// Chain id of the development chain: 19000 (`0x4a38`).
///
/// Not 1 (Ethereum), not 31337 (Hardhat and Anvil), not 1337 (Ganache/geth dev), so a
/// wallet never confuses a bytom2 dev node with another local chain.
pub const DEV_CHAIN_ID: u64 = 19_000;

/// The standard test mnemonic of Hardhat, Anvil and Foundry.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// How many dev accounts are derived and funded.
pub const DEV_ACCOUNT_COUNT: u32 = 10;

/// Balance of each dev account: 10,000 BTM.
pub const DEV_ACCOUNT_BALANCE: U256 = uint!(10_000_000_000_000_000_000_000_U256);

/// Foundation address of the dev chain: `0x000000000000000000000000000000000000f0da`
/// ("f0da" for foundation), a key-less address, so dev rewards are easy to spot.
pub const DEV_FOUNDATION: Address = address!("000000000000000000000000000000000000f0da");

/// A pre-funded dev account and its secret key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevAccount {
    /// The account's address.
    pub address: Address,
    /// Its secp256k1 secret key (public knowledge: never use on a real network).
    pub private_key: B256,
}

/// The dev accounts: [`DEV_MNEMONIC`] at `m/44'/60'/0'/0/{0..9}`, the same keys Hardhat
/// and Anvil print. Derived once per process and cached.
pub fn dev_accounts() -> Vec<DevAccount> {
    static ACCOUNTS: OnceLock<Vec<DevAccount>> = OnceLock::new();
    ACCOUNTS.get_or_init(derive_dev_accounts).clone()
}

fn derive_dev_accounts() -> Vec<DevAccount> {
    // One seed stretch and one walk to m/44'/60'/0'/0, then a child per account.
    let parent = MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .build_parent_key()
        .expect("the standard test mnemonic and default path are valid");
    (0..DEV_ACCOUNT_COUNT)
        .map(|i| {
            let signer = parent
                .child(i)
                .expect("non-hardened child derivation succeeds")
                .signer();
            DevAccount {
                address: signer.address(),
                private_key: signer.to_bytes(),
            }
        })
        .collect()
}

// === impl ChainSpec ===

impl ChainSpec {
    /// The development chain: chain id [`DEV_CHAIN_ID`], the ten [`dev_accounts`] with
    /// [`DEV_ACCOUNT_BALANCE`] each, the CREATE2 deployer and Multicall3 predeployed, gas
    /// limit 30,000,000, base fee 1 gwei, timestamp 0, foundation [`DEV_FOUNDATION`],
    /// every other parameter at its default.
    pub fn dev() -> Self {
        let mut alloc = predeploys();
        alloc.extend(
            dev_accounts()
                .into_iter()
                .map(|a| (a.address, GenesisAccount::with_balance(DEV_ACCOUNT_BALANCE))),
        );
        Self {
            chain_id: DEV_CHAIN_ID,
            genesis: Genesis {
                alloc,
                gas_limit: DEFAULT_GAS_LIMIT,
                base_fee_per_gas: INITIAL_BASE_FEE,
                ..Genesis::default()
            },
            params: ChainParams {
                foundation: DEV_FOUNDATION,
                ..ChainParams::default()
            },
            hardfork: Hardfork::Prague,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CREATE2_DEPLOYER, MULTICALL3, ONE_BTM};
    use alloy_primitives::b256;

    #[test]
    fn dev_accounts_match_hardhat_and_anvil() {
        let accounts = dev_accounts();
        assert_eq!(accounts.len(), 10);
        assert_eq!(
            accounts[0].address,
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            accounts[0].private_key,
            b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
        );
        assert_eq!(
            accounts[1].address,
            address!("70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(
            accounts[9].address,
            address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720")
        );
        assert_eq!(dev_accounts(), accounts, "cached");
    }

    #[test]
    fn dev_spec() {
        let spec = ChainSpec::dev();
        spec.validate().unwrap();
        assert_eq!(spec.chain_id, 19_000);
        assert_eq!(DEV_ACCOUNT_BALANCE, U256::from(10_000u64) * ONE_BTM);
        assert_eq!(spec.genesis.alloc.len(), 12);
        for a in dev_accounts() {
            assert_eq!(spec.genesis.alloc[&a.address].balance, DEV_ACCOUNT_BALANCE);
        }
        assert!(spec.genesis.alloc[&CREATE2_DEPLOYER].code.is_some());
        assert!(spec.genesis.alloc[&MULTICALL3].code.is_some());
        assert_eq!(spec.genesis.gas_limit, 30_000_000);
        assert_eq!(spec.genesis.base_fee_per_gas, 1_000_000_000);
        assert_eq!(spec.genesis.timestamp, 0);
        assert_eq!(spec.params.foundation, DEV_FOUNDATION);
        assert_eq!(
            spec.genesis.total_balance(),
            Some(DEV_ACCOUNT_BALANCE * U256::from(10))
        );
    }

    #[test]
    fn dev_spec_round_trips_through_json() {
        let spec = ChainSpec::dev();
        assert_eq!(ChainSpec::from_json_str(&spec.to_json()).unwrap(), spec);
    }
}
