//! Deterministic signed workloads (BTM and ERC-20 transfers from many funded senders,
//! native transfers), for tests and benchmarks.
//!
//! The token is the test token of [`super::contracts`], placed in the genesis at
//! [`TOKEN`] with its balances already in storage, so no setup transactions are needed.

use super::contracts::{
    TOKEN, TOKEN_BALANCE, balance_slot, short_string, token_runtime, transfer_calldata,
};
use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::{ChainSpec, GenesisAccount};
use bytom2_utxo::{
    AssetId, OutPoint, Output,
    native::{NativeTx, RecoveredNative},
};
use std::fmt;

/// What to send, besides sender and nonce.
#[derive(Debug, Clone)]
pub struct Call {
    /// Recipient or create.
    pub to: TxKind,
    /// BTM value in wei.
    pub value: U256,
    /// Calldata.
    pub input: Bytes,
    /// Gas limit.
    pub gas: u64,
    /// maxFeePerGas (the tip is 1 wei).
    pub max_fee: u128,
}

/// Funded senders with deterministic keys on a chain spec that holds the test token.
pub struct Workload {
    /// The chain spec (the base spec plus senders and token in the genesis).
    pub spec: ChainSpec,
    /// The senders' keys.
    pub senders: Vec<PrivateKeySigner>,
}

impl fmt::Debug for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Workload")
            .field("senders", &self.senders.len())
            .finish()
    }
}

impl Workload {
    /// `count` senders with keys `keccak256("bytom2/workload" || i)`, each with 1,000 BTM
    /// and [`TOKEN_BALANCE`] tokens, added to `base`'s genesis with the token.
    pub fn new(mut base: ChainSpec, count: usize) -> Self {
        let senders: Vec<PrivateKeySigner> = (0..count as u64)
            .map(|i| {
                let mut seed = b"bytom2/workload".to_vec();
                seed.extend_from_slice(&i.to_be_bytes());
                PrivateKeySigner::from_bytes(&keccak256(seed)).expect("hash is a valid key")
            })
            .collect();
        let btm = U256::from(1000u64) * U256::from(10u64).pow(U256::from(18));
        let mut token = GenesisAccount {
            nonce: 1,
            code: Some(token_runtime()),
            ..Default::default()
        };
        for s in &senders {
            base.genesis
                .alloc
                .insert(s.address(), GenesisAccount::with_balance(btm));
            token.storage.insert(
                balance_slot(s.address()),
                B256::from(U256::from(TOKEN_BALANCE)),
            );
        }
        let supply = U256::from(TOKEN_BALANCE) * U256::from(count);
        token
            .storage
            .insert(B256::with_last_byte(2), B256::from(supply));
        token
            .storage
            .insert(B256::with_last_byte(3), short_string("Test Token"));
        token
            .storage
            .insert(B256::with_last_byte(4), short_string("TST"));
        base.genesis.alloc.insert(TOKEN, token);
        Self {
            spec: base,
            senders,
        }
    }

    /// A signed EIP-1559 transaction from sender `i`.
    pub fn sign(&self, i: usize, nonce: u64, call: Call) -> TxEnvelope {
        let tx = TxEip1559 {
            chain_id: self.spec.chain_id,
            nonce,
            gas_limit: call.gas,
            max_fee_per_gas: call.max_fee,
            max_priority_fee_per_gas: 1,
            to: call.to,
            value: call.value,
            access_list: Default::default(),
            input: call.input,
        };
        let sig = self.senders[i]
            .sign_hash_sync(&tx.signature_hash())
            .expect("signing works");
        tx.into_signed(sig).into()
    }

    /// `count` transfers round-robin over the senders starting at `nonces` (advanced):
    /// ERC-20 transfers of 1 token unit when `erc20`, else BTM transfers of 1 wei, each to
    /// the next sender.
    pub fn transfers(
        &self,
        nonces: &mut [u64],
        count: usize,
        erc20: bool,
        max_fee: u128,
    ) -> Vec<TxEnvelope> {
        let k = self.senders.len();
        (0..count)
            .map(|j| {
                let i = j % k;
                let to = self.senders[(i + 1) % k].address();
                let nonce = nonces[i];
                nonces[i] += 1;
                let call = if erc20 {
                    Call {
                        to: TxKind::Call(TOKEN),
                        value: U256::ZERO,
                        input: transfer_calldata(to, U256::from(1)),
                        gas: 60_000,
                        max_fee,
                    }
                } else {
                    Call {
                        to: TxKind::Call(to),
                        value: U256::from(1),
                        input: Bytes::new(),
                        gas: 21_000,
                        max_fee,
                    }
                };
                self.sign(i, nonce, call)
            })
            .collect()
    }
}

/// A native BTM transaction of `key` spending `inputs` (outpoints with their amounts)
/// into `outputs` plus the change back to `key`, paying twice the fee at `base_fee` (at
/// least 1 gwei) under `spec`'s native gas schedule; signed and recovered.
pub fn native_transfer(
    spec: &ChainSpec,
    key: &PrivateKeySigner,
    inputs: &[(OutPoint, U256)],
    outputs: &[(Address, U256)],
    base_fee: u64,
) -> RecoveredNative {
    let mut tx = NativeTx {
        chain_id: spec.chain_id,
        inputs: inputs.iter().map(|(op, _)| *op).collect(),
        outputs: outputs
            .iter()
            .chain([&(key.address(), U256::MAX >> 64)])
            .map(|(owner, amount)| Output::new(AssetId::BTM, *amount, *owner))
            .collect(),
        issuance: None,
        signatures: Vec::new(),
    };
    let sign = |tx: &mut NativeTx| {
        tx.signatures.clear();
        let sig = key.sign_hash_sync(&tx.sighash()).expect("signing works");
        tx.signatures.push(sig);
        tx.encoded_2718()
    };
    // Sized with the largest change amount first, then the real fee.
    let size = sign(&mut tx).len();
    let gas = spec.native_gas(tx.inputs.len(), tx.outputs.len(), size, false);
    let fee = U256::from(base_fee.max(1_000_000_000)) * U256::from(gas) * U256::from(2);
    let spent: U256 = outputs.iter().map(|(_, a)| *a).sum();
    let total: U256 = inputs.iter().map(|(_, a)| *a).sum();
    tx.outputs.last_mut().expect("change").amount = total
        .checked_sub(spent + fee)
        .expect("the inputs cover the outputs and the fee");
    let raw = sign(&mut tx);
    RecoveredNative::decode(&raw).expect("a valid transaction")
}
