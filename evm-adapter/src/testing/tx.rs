//! Keys and transactions for tests: the dev keys, a transaction description
//! ([`TxSpec`]: type, nonce, target, value, input, gas, fees) and its signing.

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy, TypedTransaction,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip2930::{AccessList, AccessListItem},
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::dev_accounts;

/// 1 gwei.
pub const GWEI: u128 = 1_000_000_000;

/// The keys of the standard test mnemonic's accounts (funded on the dev chain).
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    dev_accounts()
        .iter()
        .map(|a| PrivateKeySigner::from_bytes(&a.private_key).expect("dev key"))
        .collect()
}

/// Transaction types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// Legacy with EIP-155 chain id.
    Legacy,
    /// EIP-2930, with an access list naming the target's slot 0.
    AccessList,
    /// EIP-1559.
    Dynamic,
}

/// A transaction to sign. [`TxSpec::call`] and [`TxSpec::create`] start one; the
/// `with_*` methods change a field.
#[derive(Debug, Clone)]
pub struct TxSpec {
    /// Type.
    pub flavour: Flavour,
    /// Nonce.
    pub nonce: u64,
    /// Target (`None`: create).
    pub to: Option<Address>,
    /// Value.
    pub value: U256,
    /// Calldata or init code.
    pub input: Bytes,
    /// Gas limit.
    pub gas: u64,
    /// Fee cap (the gas price of legacy and EIP-2930 transactions).
    pub max_fee: u128,
    /// Tip (EIP-1559 only).
    pub tip: u128,
}

impl TxSpec {
    /// An EIP-1559 call of `to` with `value`: 21,000 gas, a 2 gwei fee cap, 1 gwei tip.
    pub fn call(nonce: u64, to: Address, value: U256) -> Self {
        Self {
            flavour: Flavour::Dynamic,
            nonce,
            to: Some(to),
            value,
            input: Bytes::new(),
            gas: 21_000,
            max_fee: 2 * GWEI,
            tip: GWEI,
        }
    }

    /// An EIP-1559 creation with `init` code and `gas`.
    pub fn create(nonce: u64, init: Bytes, gas: u64) -> Self {
        Self {
            to: None,
            input: init,
            gas,
            ..Self::call(nonce, Address::ZERO, U256::ZERO)
        }
    }

    /// With another type.
    pub fn with_flavour(mut self, flavour: Flavour) -> Self {
        self.flavour = flavour;
        self
    }

    /// With calldata.
    pub fn with_input(mut self, input: Bytes) -> Self {
        self.input = input;
        self
    }

    /// With a gas limit.
    pub fn with_gas(mut self, gas: u64) -> Self {
        self.gas = gas;
        self
    }

    /// With a fee cap and a tip.
    pub fn with_fees(mut self, max_fee: u128, tip: u128) -> Self {
        self.max_fee = max_fee;
        self.tip = tip;
        self
    }

    /// Signed by `signer` for `chain_id`.
    pub fn sign(&self, signer: &PrivateKeySigner, chain_id: u64) -> TxEnvelope {
        sign(signer, chain_id, self)
    }

    /// The transaction for `chain_id`, unsigned (what `eth_sendTransaction` signs).
    pub fn unsigned(&self, chain_id: u64) -> TypedTransaction {
        let to = self.to.map_or(TxKind::Create, TxKind::Call);
        match self.flavour {
            Flavour::Legacy => TxLegacy {
                chain_id: Some(chain_id),
                nonce: self.nonce,
                gas_price: self.max_fee,
                gas_limit: self.gas,
                to,
                value: self.value,
                input: self.input.clone(),
            }
            .into(),
            Flavour::AccessList => {
                let list = self
                    .to
                    .map(|a| {
                        AccessList(vec![AccessListItem {
                            address: a,
                            storage_keys: vec![B256::ZERO],
                        }])
                    })
                    .unwrap_or_default();
                TxEip2930 {
                    chain_id,
                    nonce: self.nonce,
                    gas_price: self.max_fee,
                    gas_limit: self.gas,
                    to,
                    value: self.value,
                    input: self.input.clone(),
                    access_list: list,
                }
                .into()
            }
            Flavour::Dynamic => TxEip1559 {
                chain_id,
                nonce: self.nonce,
                gas_limit: self.gas,
                max_fee_per_gas: self.max_fee,
                max_priority_fee_per_gas: self.tip,
                to,
                value: self.value,
                access_list: Default::default(),
                input: self.input.clone(),
            }
            .into(),
        }
    }
}

/// Signs `spec` for `chain_id`.
pub fn sign(signer: &PrivateKeySigner, chain_id: u64, spec: &TxSpec) -> TxEnvelope {
    let tx = spec.unsigned(chain_id);
    let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
    tx.into_envelope(sig)
}

/// The EIP-2718 encoding of `tx` (what `eth_sendRawTransaction` takes).
pub fn raw(tx: &TxEnvelope) -> Bytes {
    tx.encoded_2718().into()
}
