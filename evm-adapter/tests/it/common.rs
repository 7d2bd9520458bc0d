//! Shared helpers: keys, signing, hand-assembled test contracts, a chain driver.

use alloy_consensus::Header;
use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, map::HashMap};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::{ChainSpec, GenesisAccount, dev_accounts};
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockTx, EvmConfig, ExecuteTxError, ExecutedBlock, RecoveredTx,
    genesis_block,
};
use bytom2_utxo::{AssetId, MemoryState, StateView, StateWriter};

/// The hand-assembled contracts every test chain has at fixed addresses.
pub(crate) struct Contracts;

impl Contracts {
    /// `SSTORE(cd[0], cd[32])` then `LOG1(0, 0, cd[0])`.
    pub(crate) const STORE: Address = Address::repeat_byte(0xA1);
    /// `CALL(gas, cd[0], value = cd[32])`: forwards value out of the contract.
    pub(crate) const FORWARD: Address = Address::repeat_byte(0xA2);
    /// Reverts with the 32-byte word 42.
    pub(crate) const REVERT: Address = Address::repeat_byte(0xA3);
    /// Loops until out of gas.
    pub(crate) const LOOP: Address = Address::repeat_byte(0xA4);
    /// `CREATE2(callvalue, calldata as init code, salt 7)`, stores the address at slot 0.
    pub(crate) const FACTORY: Address = Address::repeat_byte(0xA5);
    /// `STATICCALL(precompile = cd[0], input = cd[32..])`, stores the first output word at
    /// slot 1 and the success flag at slot 2.
    pub(crate) const PRECOMPILE: Address = Address::repeat_byte(0xA6);

    /// All of them with their runtime code.
    pub(crate) fn all() -> Vec<(Address, Bytes)> {
        vec![
            (Self::STORE, hex("6020356000355560003560006000a100")),
            (Self::FORWARD, hex("60006000600060006020356000355af15000")),
            (Self::REVERT, hex("602a60005260206000fd")),
            (Self::LOOP, hex("5b600056")),
            (Self::FACTORY, hex("366000600037600736600034f560005500")),
            (
                Self::PRECOMPILE,
                hex("366000600037602060006020360360206000515afa60025560005160015500"),
            ),
        ]
    }
}

/// Decodes hex (test constants only).
pub(crate) fn hex(s: &str) -> Bytes {
    let s = s.trim_start_matches("0x");
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("test hex"))
        .collect();
    Bytes::from(bytes)
}

/// Init code that deploys `runtime`.
pub(crate) fn init_code(runtime: &[u8]) -> Bytes {
    let len = runtime.len() as u16;
    let [hi, lo] = len.to_be_bytes();
    // PUSH2 len PUSH1 14 PUSH1 0 CODECOPY PUSH2 len PUSH1 0 RETURN
    let mut code = vec![
        0x61, hi, lo, 0x60, 0x0e, 0x60, 0x00, 0x39, 0x61, hi, lo, 0x60, 0x00, 0xf3,
    ];
    code.extend_from_slice(runtime);
    code.into()
}

/// Init code that self-destructs to the caller while being created.
pub(crate) fn selfdestruct_init() -> Bytes {
    hex("33ff")
}

/// The dev chain with the test contracts added to the genesis.
pub(crate) fn test_spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    for (address, code) in Contracts::all() {
        spec.genesis.alloc.insert(
            address,
            GenesisAccount {
                balance: U256::from(1_000_000u64),
                nonce: 1,
                code: Some(code),
                ..Default::default()
            },
        );
    }
    spec
}

/// The dev keys.
pub(crate) fn signers() -> Vec<PrivateKeySigner> {
    dev_accounts()
        .iter()
        .map(|a| PrivateKeySigner::from_bytes(&a.private_key).expect("dev key"))
        .collect()
}

/// Transaction flavours.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Flavour {
    /// Legacy with EIP-155 chain id.
    Legacy,
    /// EIP-2930 with an access list naming the target.
    AccessList,
    /// EIP-1559.
    Dynamic,
}

/// A transaction to sign.
#[derive(Debug, Clone)]
pub(crate) struct TxSpec {
    /// Type.
    pub(crate) flavour: Flavour,
    /// Nonce.
    pub(crate) nonce: u64,
    /// Target (None: create).
    pub(crate) to: Option<Address>,
    /// Value.
    pub(crate) value: U256,
    /// Calldata or init code.
    pub(crate) input: Bytes,
    /// Gas limit.
    pub(crate) gas: u64,
    /// Fee cap (gas price for legacy/2930).
    pub(crate) max_fee: u128,
    /// Tip (EIP-1559 only).
    pub(crate) tip: u128,
}

/// Signs `spec` for `chain_id`.
pub(crate) fn sign(signer: &PrivateKeySigner, chain_id: u64, spec: &TxSpec) -> TxEnvelope {
    let to = spec.to.map_or(TxKind::Create, TxKind::Call);
    match spec.flavour {
        Flavour::Legacy => {
            let tx = TxLegacy {
                chain_id: Some(chain_id),
                nonce: spec.nonce,
                gas_price: spec.max_fee,
                gas_limit: spec.gas,
                to,
                value: spec.value,
                input: spec.input.clone(),
            };
            let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
            tx.into_signed(sig).into()
        }
        Flavour::AccessList => {
            let list = spec
                .to
                .map(|a| {
                    AccessList(vec![AccessListItem {
                        address: a,
                        storage_keys: vec![B256::ZERO],
                    }])
                })
                .unwrap_or_default();
            let tx = TxEip2930 {
                chain_id,
                nonce: spec.nonce,
                gas_price: spec.max_fee,
                gas_limit: spec.gas,
                to,
                value: spec.value,
                input: spec.input.clone(),
                access_list: list,
            };
            let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
            tx.into_signed(sig).into()
        }
        Flavour::Dynamic => {
            let tx = TxEip1559 {
                chain_id,
                nonce: spec.nonce,
                gas_limit: spec.gas,
                max_fee_per_gas: spec.max_fee,
                max_priority_fee_per_gas: spec.tip,
                to,
                value: spec.value,
                access_list: Default::default(),
                input: spec.input.clone(),
            };
            let sig = signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
            tx.into_signed(sig).into()
        }
    }
}

/// A chain in memory driven through our executor.
pub(crate) struct Chain {
    /// The spec.
    pub(crate) spec: ChainSpec,
    /// The state at the head.
    pub(crate) state: MemoryState,
    /// Head header.
    pub(crate) head: Header,
    /// Head hash.
    pub(crate) head_hash: B256,
    /// Hashes by number.
    pub(crate) hashes: HashMap<u64, B256>,
}

impl Chain {
    /// Starts at genesis.
    pub(crate) fn new(spec: ChainSpec) -> Self {
        let genesis = genesis_block(&spec).expect("genesis");
        let mut state = MemoryState::new();
        state.write_changes(genesis.changes).expect("genesis state");
        let mut hashes = HashMap::default();
        hashes.insert(0, genesis.hash);
        Self {
            spec,
            state,
            head: genesis.header,
            head_hash: genesis.hash,
            hashes,
        }
    }

    /// Attributes of the next block.
    pub(crate) fn next_attrs(&self, beneficiary: Address) -> BlockAttributes {
        BlockAttributes::child_of(
            &self.spec,
            &self.head,
            self.head_hash,
            self.head.timestamp + 2,
            beneficiary,
        )
    }

    /// Executes `txs` in a block; invalid ones are left out and their errors returned.
    pub(crate) fn mine(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<TxEnvelope>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        let txs = txs
            .into_iter()
            .map(|tx| {
                RecoveredTx::recover(tx)
                    .map(BlockTx::Eth)
                    .map_err(Into::into)
            })
            .collect();
        self.mine_recovered(attrs, txs)
    }

    /// Executes transactions of either kind in a block; invalid ones are left out.
    pub(crate) fn mine_any(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<BlockTx>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        self.mine_recovered(attrs, txs.into_iter().map(Ok).collect())
    }

    /// Executes the recovered transactions in a block, commits it, and returns each
    /// one's error (a recovery error stands in for a transaction that did not recover).
    fn mine_recovered(
        &mut self,
        attrs: BlockAttributes,
        txs: Vec<Result<BlockTx, ExecuteTxError>>,
    ) -> (ExecutedBlock, Vec<Option<ExecuteTxError>>) {
        let config = EvmConfig::from_spec(&self.spec);
        let mut exec = BlockExecutor::new(&config, attrs, &self.state, &self.hashes).unwrap();
        let errors = txs
            .into_iter()
            .map(|tx| tx.and_then(|tx| exec.execute_any(tx).map(|_| ())).err())
            .collect();
        let block = exec.finish().expect("finish block");
        self.state
            .write_changes(block.changes.clone())
            .expect("write block");
        self.head = block.header.clone();
        self.head_hash = block.hash;
        self.hashes.insert(block.header.number, block.hash);
        (block, errors)
    }

    /// BTM balance (sum of outputs).
    pub(crate) fn balance(&self, address: Address) -> U256 {
        self.state.balance(address, AssetId::BTM).expect("balance")
    }
}
