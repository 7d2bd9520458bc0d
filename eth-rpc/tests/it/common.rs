//! An in-memory node behind [`EthBackend`]: a chain executed by the evm-adapter's
//! `BlockExecutor` over `MemoryState`, every block's state kept for archive reads, and a
//! mempool that mines each transaction into its own block (automine) unless switched
//! off. Plus signing helpers, test contracts and raw HTTP.

use alloy_consensus::{TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, U256, map::HashMap};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use bytom2_chainspec::{ChainSpec, GenesisAccount};
use bytom2_eth_rpc::{
    BlockData, BoxedState, DposBackend, EthBackend, NativeFeeSchedule, PoolContent, PoolError,
    RpcConfig, RpcHandle, start_server,
};
use bytom2_evm_adapter::testing::tx::{Flavour, TxSpec};
use bytom2_evm_adapter::{
    BlockAttributes, BlockExecutor, BlockTx, EvmConfig, RecoveredTx, base_fee_of_child,
    genesis_block,
};
use bytom2_utxo::{
    AssetId, MemoryState, OutPoint, Output, StateView, StateWriter,
    native::{NativeTx, RecoveredNative},
};
use jsonrpsee::{
    core::{client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
};
use parking_lot::Mutex;
use serde_json::Value;
use std::{collections::BTreeMap, sync::Arc};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::broadcast,
};

/// Hand-assembled contracts in the test genesis.
pub(crate) struct Contracts;

impl Contracts {
    /// `SSTORE(cd[0], cd[32])` then `LOG1(0, 0, topic = cd[0])`.
    pub(crate) const STORE: Address = Address::repeat_byte(0xA1);
    /// Returns the word 42.
    pub(crate) const FORTY_TWO: Address = Address::repeat_byte(0xA2);
    /// Reverts with `Error("nope")`.
    pub(crate) const REVERT: Address = Address::repeat_byte(0xA3);
    /// Returns `SLOAD(cd[0])` of its own storage.
    pub(crate) const ECHO: Address = Address::repeat_byte(0xA4);
    /// Writes 5 slots (`SSTORE(i, 1)` for i in 1..=5): costs more than 21000.
    pub(crate) const HEAVY: Address = Address::repeat_byte(0xA5);
    /// Calls [`Self::FORTY_TWO`] (keeping its 32-byte answer), then [`Self::REVERT`]
    /// (which reverts), then stores the first answer at slot 0.
    pub(crate) const NEST: Address = Address::repeat_byte(0xA6);
    /// Returns `BALANCE(cd[0])`.
    pub(crate) const BALANCE: Address = Address::repeat_byte(0xA7);

    fn all() -> Vec<(Address, Bytes)> {
        // PUSH1 100 PUSH1 12 PUSH1 0 CODECOPY PUSH1 100 PUSH1 0 REVERT, then the data.
        let mut revert = hex("6064600c60003960646000fd").to_vec();
        revert.extend_from_slice(&error_string("nope"));
        let mut heavy = Vec::new();
        for i in 1..=5u8 {
            heavy.extend_from_slice(&[0x60, 0x01, 0x60, i, 0x55]);
        }
        heavy.push(0x00);
        // CALL(gas, FORTY_TWO, 0, 0, 0, 0, 32) POP; CALL(gas, REVERT, 0, 0, 0, 0, 0) POP;
        // SSTORE(0, MLOAD(0)) STOP.
        let nest = format!(
            "6020600060006000600073{}5af1506000600060006000600073{}5af150600051600055 00",
            "a2".repeat(20),
            "a3".repeat(20)
        )
        .replace(' ', "");
        vec![
            (Self::NEST, hex(&nest)),
            (Self::BALANCE, hex("6000353160005260206000f3")),
            (Self::STORE, hex("6020356000355560003560006000a100")),
            (Self::FORTY_TWO, hex("602a60005260206000f3")),
            (Self::REVERT, revert.into()),
            (Self::ECHO, hex("6000355460005260206000f3")),
            (Self::HEAVY, heavy.into()),
        ]
    }
}

/// ABI encoding of `Error(s)`.
pub(crate) fn error_string(s: &str) -> Vec<u8> {
    let mut out = vec![0x08, 0xc3, 0x79, 0xa0];
    out.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(s.len()).to_be_bytes::<32>());
    let mut padded = s.as_bytes().to_vec();
    padded.resize(s.len().div_ceil(32) * 32, 0);
    out.extend_from_slice(&padded);
    out
}

/// Decodes hex (test constants only).
pub(crate) fn hex(s: &str) -> Bytes {
    alloy_primitives::hex::decode(s.trim_start_matches("0x"))
        .expect("test hex")
        .into()
}

/// The dev chain with the test contracts.
pub(crate) fn test_spec() -> ChainSpec {
    let mut spec = ChainSpec::dev();
    for (address, code) in Contracts::all() {
        spec.genesis.alloc.insert(
            address,
            GenesisAccount {
                nonce: 1,
                code: Some(code),
                ..Default::default()
            },
        );
    }
    spec
}

pub(crate) use bytom2_evm_adapter::testing::tx::dev_signers as signers;

/// An EIP-1559 transaction, 2 gwei cap, 1 gwei tip.
pub(crate) fn sign_1559(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Option<Address>,
    value: U256,
    input: Bytes,
    gas: u64,
) -> TxEnvelope {
    let spec = match to {
        Some(to) => TxSpec::call(nonce, to, value)
            .with_input(input)
            .with_gas(gas),
        None => TxSpec {
            value,
            ..TxSpec::create(nonce, input, gas)
        },
    };
    spec.sign(signer, chain_id)
}

/// A legacy EIP-155 transfer at `gas_price`.
pub(crate) fn sign_legacy(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    gas_price: u128,
) -> TxEnvelope {
    TxSpec::call(nonce, to, value)
        .with_flavour(Flavour::Legacy)
        .with_fees(gas_price, 0)
        .sign(signer, chain_id)
}

/// `0x…` of the 2718 encoding.
pub(crate) fn raw(tx: &TxEnvelope) -> String {
    format!("0x{}", alloy_primitives::hex::encode(tx.encoded_2718()))
}

struct Chain {
    spec: ChainSpec,
    blocks: Vec<Arc<BlockData>>,
    states: Vec<MemoryState>,
    hashes: HashMap<u64, B256>,
    by_hash: HashMap<B256, u64>,
    tx_location: HashMap<B256, (u64, u32)>,
    pool: BTreeMap<Address, BTreeMap<u64, RecoveredTx>>,
    automine: bool,
}

impl Chain {
    fn head(&self) -> &Arc<BlockData> {
        self.blocks.last().expect("genesis")
    }

    fn state_nonce(&self, address: Address) -> u64 {
        self.states
            .last()
            .expect("genesis")
            .account(address)
            .expect("state")
            .map_or(0, |a| a.nonce)
    }

    /// Mines `txs` into one block; returns the executor's rejections.
    fn mine(&mut self, txs: Vec<BlockTx>) -> Vec<String> {
        let head = self.head().clone();
        let attrs = BlockAttributes::child_of(
            &self.spec,
            &head.header,
            head.hash,
            head.header.timestamp + 2,
            Address::repeat_byte(0xC0),
        );
        let parent = self.states.last().expect("genesis");
        let config = EvmConfig::from_spec(&self.spec);
        let mut exec = BlockExecutor::new(&config, attrs, parent, &self.hashes).expect("pre-block");
        let mut errors = Vec::new();
        for tx in txs {
            if let Err(e) = exec.execute_any(tx) {
                errors.push(e.to_string());
            }
        }
        let block = exec.finish().expect("finish block");
        let mut state = parent.clone();
        state.write_changes(block.changes.clone()).expect("write");
        let number = block.header.number;
        let data = BlockData::new(
            block.header.clone(),
            block.hash,
            block.transactions.iter().map(|e| e.tx.clone()).collect(),
            block
                .transactions
                .iter()
                .map(|e| e.stored_receipt())
                .collect(),
        );
        for (i, tx) in data.transactions.iter().enumerate() {
            self.tx_location.insert(tx.hash(), (number, i as u32));
        }
        self.hashes.insert(number, block.hash);
        self.by_hash.insert(block.hash, number);
        self.blocks.push(Arc::new(data));
        self.states.push(state);
        errors
    }
}

/// The in-memory node.
pub(crate) struct MemBackend {
    chain: Mutex<Chain>,
    evm: EvmConfig,
    blocks_tx: broadcast::Sender<u64>,
    pending_tx: broadcast::Sender<B256>,
    /// The consensus views (`dpos_*`), when the test gives one (before the server
    /// starts: the server registers the methods only if there is one).
    dpos: Mutex<Option<Arc<dyn DposBackend>>>,
}

impl MemBackend {
    /// Genesis of [`test_spec`], automine on.
    pub(crate) fn new() -> Arc<Self> {
        Self::with_spec(test_spec())
    }

    /// Genesis of `spec`, automine on.
    pub(crate) fn with_spec(spec: ChainSpec) -> Arc<Self> {
        let genesis = genesis_block(&spec).expect("genesis");
        let mut state = MemoryState::new();
        state.write_changes(genesis.changes).expect("genesis state");
        let mut hashes = HashMap::default();
        hashes.insert(0, genesis.hash);
        let mut by_hash = HashMap::default();
        by_hash.insert(genesis.hash, 0);
        let block = BlockData::new(genesis.header, genesis.hash, Vec::new(), Vec::new());
        Arc::new(Self {
            evm: EvmConfig::from_spec(&spec),
            chain: Mutex::new(Chain {
                spec,
                blocks: vec![Arc::new(block)],
                states: vec![state],
                hashes,
                by_hash,
                tx_location: HashMap::default(),
                pool: BTreeMap::new(),
                automine: true,
            }),
            blocks_tx: broadcast::channel(64).0,
            pending_tx: broadcast::channel(64).0,
            dpos: Mutex::new(None),
        })
    }

    /// Serves the `dpos_*` methods from `dpos` (call before starting the server).
    pub(crate) fn set_dpos(&self, dpos: Arc<dyn DposBackend>) {
        *self.dpos.lock() = Some(dpos);
    }

    /// Turns automine on or off.
    pub(crate) fn set_automine(&self, on: bool) {
        self.chain.lock().automine = on;
    }

    /// Mines the pool's transactions (possibly none) into a block.
    pub(crate) fn mine(&self) -> u64 {
        let number = {
            let mut chain = self.chain.lock();
            let txs: Vec<_> = std::mem::take(&mut chain.pool)
                .into_values()
                .flat_map(BTreeMap::into_values)
                .map(BlockTx::Eth)
                .collect();
            chain.mine(txs);
            chain.head().header.number
        };
        let _ = self.blocks_tx.send(number);
        number
    }

    /// Mines `txs` (either kind, in this order) into a block; panics if one is refused.
    pub(crate) fn mine_block(&self, txs: Vec<BlockTx>) -> u64 {
        let number = {
            let mut chain = self.chain.lock();
            let errors = chain.mine(txs);
            assert!(errors.is_empty(), "refused: {errors:?}");
            chain.head().header.number
        };
        let _ = self.blocks_tx.send(number);
        number
    }

    /// The BTM outputs of `owner` at the head, oldest first.
    pub(crate) fn coins(&self, owner: Address) -> Vec<(OutPoint, U256)> {
        let chain = self.chain.lock();
        let mut out = Vec::new();
        chain
            .states
            .last()
            .expect("genesis")
            .for_each_coin(owner, AssetId::BTM, &mut |op, c| {
                out.push((*op, c.output.amount));
                true
            })
            .expect("coins");
        out
    }

    /// A signed native transfer of `amount` from `key`'s oldest output to `to`, change
    /// back, `fee` as fee.
    pub(crate) fn native_transfer(
        &self,
        key: &PrivateKeySigner,
        to: Address,
        amount: U256,
        fee: U256,
    ) -> BlockTx {
        let (op, value) = self.coins(key.address())[0];
        let mut tx = NativeTx {
            chain_id: self.chain_id(),
            inputs: vec![op],
            outputs: vec![
                Output::new(AssetId::BTM, amount, to),
                Output::new(AssetId::BTM, value - amount - fee, key.address()),
            ],
            issuance: None,
            signatures: vec![],
        };
        let h = tx.sighash();
        tx.signatures = vec![key.sign_hash_sync(&h).expect("sign")];
        BlockTx::Native(RecoveredNative::decode(&tx.encoded_2718()).expect("native tx"))
    }
}

impl EthBackend for MemBackend {
    fn chain_id(&self) -> u64 {
        self.chain.lock().spec.chain_id
    }

    fn evm_config(&self) -> &EvmConfig {
        &self.evm
    }

    fn latest_number(&self) -> u64 {
        self.chain.lock().head().header.number
    }

    fn finalized_number(&self) -> u64 {
        self.latest_number()
    }

    fn block_by_number(&self, number: u64) -> Result<Option<Arc<BlockData>>, String> {
        Ok(self.chain.lock().blocks.get(number as usize).cloned())
    }

    fn block_number_by_hash(&self, hash: B256) -> Result<Option<u64>, String> {
        Ok(self.chain.lock().by_hash.get(&hash).copied())
    }

    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, u32)>, String> {
        Ok(self.chain.lock().tx_location.get(&hash).copied())
    }

    fn state_at(&self, number: u64) -> Result<BoxedState, String> {
        let chain = self.chain.lock();
        let state = chain
            .states
            .get(number as usize)
            .cloned()
            .ok_or_else(|| format!("no state at {number}"))?;
        Ok(Box::new(state))
    }

    fn block_hash(&self, number: u64) -> Option<B256> {
        self.chain.lock().hashes.get(&number).copied()
    }

    fn next_base_fee(&self) -> u64 {
        let chain = self.chain.lock();
        base_fee_of_child(self.evm.fees(), &chain.head().header)
    }

    fn next_gas_limit(&self) -> u64 {
        self.chain.lock().head().header.gas_limit
    }

    fn next_beneficiary(&self) -> Address {
        Address::repeat_byte(0xC0)
    }

    fn send_raw_transaction(&self, raw: Bytes) -> Result<B256, PoolError> {
        let err = |m: String| PoolError { message: m };
        let tx = TxEnvelope::decode_2718_exact(&raw).map_err(|e| err(format!("rlp: {e}")))?;
        tx.recover_signer()
            .map_err(|_| err("invalid sender".into()))?;
        let tx = RecoveredTx::recover(tx).map_err(|e| err(e.to_string()))?;
        let hash = tx.hash;
        let mine = {
            let mut chain = self.chain.lock();
            let state_nonce = chain.state_nonce(tx.sender);
            let nonce = alloy_consensus::Transaction::nonce(&tx.tx);
            if nonce < state_nonce {
                return Err(err(format!(
                    "nonce too low: next nonce {state_nonce}, tx nonce {nonce}"
                )));
            }
            if chain.tx_location.contains_key(&hash) {
                return Err(err("already known".into()));
            }
            if chain.automine {
                let errors = chain.mine(vec![tx.into()]);
                if let Some(e) = errors.into_iter().next() {
                    // Roll the empty block back: the transaction was rejected.
                    if let Some(b) = chain.blocks.pop() {
                        chain.by_hash.remove(&b.hash);
                        chain.hashes.remove(&b.header.number);
                    }
                    chain.states.pop();
                    return Err(err(e));
                }
                true
            } else {
                chain.pool.entry(tx.sender).or_default().insert(nonce, tx);
                false
            }
        };
        let _ = self.pending_tx.send(hash);
        if mine {
            let _ = self.blocks_tx.send(self.latest_number());
        }
        Ok(hash)
    }

    fn pending_nonce(&self, address: Address) -> Result<u64, String> {
        let chain = self.chain.lock();
        let mut nonce = chain.state_nonce(address);
        if let Some(txs) = chain.pool.get(&address) {
            while txs.contains_key(&nonce) {
                nonce += 1;
            }
        }
        Ok(nonce)
    }

    fn pool_transaction(&self, hash: B256) -> Option<bytom2_evm_adapter::BlockTx> {
        self.chain
            .lock()
            .pool
            .values()
            .flat_map(|m| m.values())
            .find(|t| t.hash == hash)
            .cloned()
            .map(Into::into)
    }

    fn pool_content(&self) -> PoolContent {
        PoolContent {
            pending: self.chain.lock().pool.clone(),
            queued: BTreeMap::new(),
        }
    }

    fn subscribe_blocks(&self) -> broadcast::Receiver<u64> {
        self.blocks_tx.subscribe()
    }

    fn subscribe_pending_transactions(&self) -> broadcast::Receiver<B256> {
        self.pending_tx.subscribe()
    }

    fn native_fee_schedule(&self) -> NativeFeeSchedule {
        NativeFeeSchedule::from_spec(&self.chain.lock().spec)
    }

    fn dpos(&self) -> Option<Arc<dyn DposBackend>> {
        self.dpos.lock().clone()
    }
}

/// A server over a fresh [`MemBackend`] on a free port, with an HTTP client.
pub(crate) struct TestNode {
    pub(crate) backend: Arc<MemBackend>,
    pub(crate) handle: RpcHandle,
    pub(crate) http: HttpClient,
}

impl TestNode {
    /// Starts one with the default config on `127.0.0.1:0`.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts one after `tweak` adjusted the config.
    pub(crate) async fn start_with(tweak: impl FnOnce(&mut RpcConfig)) -> Self {
        Self::start_over(MemBackend::new(), tweak).await
    }

    /// Starts one over `backend` after `tweak` adjusted the config.
    pub(crate) async fn start_over(
        backend: Arc<MemBackend>,
        tweak: impl FnOnce(&mut RpcConfig),
    ) -> Self {
        let mut config = RpcConfig::new("127.0.0.1:0".parse().expect("addr"));
        tweak(&mut config);
        let handle = start_server(backend.clone(), config)
            .await
            .expect("server starts");
        let http = HttpClientBuilder::default()
            .build(handle.http_url())
            .expect("client");
        Self {
            backend,
            handle,
            http,
        }
    }

    /// Calls `method` with `params`; panics on an error answer.
    pub(crate) async fn call(&self, method: &str, params: Vec<Value>) -> Value {
        match self.try_call(method, params).await {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// Calls `method` with `params`, returning the error object on failure.
    pub(crate) async fn try_call(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<Value, jsonrpsee::types::ErrorObjectOwned> {
        let mut p = ArrayParams::new();
        for v in params {
            p.insert(v).expect("param");
        }
        match self.http.request::<Value, _>(method, p).await {
            Ok(v) => Ok(v),
            Err(jsonrpsee::core::client::Error::Call(e)) => Err(e),
            Err(other) => panic!("{method}: transport error {other}"),
        }
    }

    /// Sends a signed transaction, returning its hash.
    pub(crate) async fn send(&self, tx: &TxEnvelope) -> B256 {
        let v = self
            .call("eth_sendRawTransaction", vec![raw(tx).into()])
            .await;
        serde_json::from_value(v).expect("hash")
    }
}

/// Parses a hex quantity.
pub(crate) fn qty(v: &Value) -> U256 {
    v.as_str()
        .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| panic!("not a quantity: {v}"))
}

/// One raw HTTP/1.1 exchange: returns the status line plus headers (lowercased) and the
/// body.
pub(crate) async fn raw_http(addr: std::net::SocketAddr, request: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.expect("read response");
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (head.to_ascii_lowercase(), body.to_string())
}

/// A POST of `body` as JSON with `Connection: close`.
pub(crate) async fn post_json(addr: std::net::SocketAddr, body: &str) -> (String, String) {
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw_http(addr, &request).await
}
