//! bytom2's Ethereum JSON-RPC server: the `eth`, `net`, `web3`, `txpool`, `debug`,
//! `trace`, `utxo`, `dpos` and development namespaces on jsonrpsee, so MetaMask,
//! Foundry, Hardhat, ethers, viem and web3.py work unchanged.
//!
//! The node implements [`EthBackend`] (chain data, archive state, mempool,
//! notifications) and calls [`start_server`]; the server answers from the backend only.
//!
//! - One port serves HTTP and WebSocket; batches (at most [`RpcConfig::max_batch_size`]
//!   requests); CORS allows any origin (answers `OPTIONS` preflights); request bodies are
//!   capped ([`RpcConfig::max_request_body_size`]) and so are connections.
//! - Errors carry geth's codes and messages (RPC-COMPAT.md section (b)):
//!   unknown methods `-32601` "the method X does not exist/is not available"; invalid
//!   parameters `-32602`; invalid transactions, missing headers and filters `-32000`
//!   with geth's text; reverts in `eth_call`/`eth_estimateGas` code `3`, "execution
//!   reverted[: reason]" and the hex revert data in `data`.
//! - Every method that reads storage or runs the EVM runs on tokio's blocking pool.
//! - Block tags: `latest` and `pending` are the head (this node builds no pending block;
//!   pending transactions show through `eth_getTransactionByHash`, the `pending` nonce
//!   and `txpool_*`), `safe` and `finalized` the newest final block, `earliest` genesis.
//!   Every state method reads any past block (archive), by number, tag, hash or EIP-1898
//!   object; a number above the head is `-32000` "header not found".
//! - `eth_call`/`eth_estimateGas`/`eth_createAccessList` follow geth: `from` defaults to
//!   the zero address, gas to [`RpcConfig::gas_cap`], no fee means no base-fee check,
//!   and without a block (or at `pending`) they run on the head state in the next block's
//!   environment (number + 1, timestamp now, next base fee), as anvil does;
//!   nonces are not checked; state overrides (`balance`, `nonce`, `code`, `state`,
//!   `stateDiff`) and block overrides are applied.
//!   There is no execution timeout: the gas cap bounds a call.
//! - Fee suggestions follow geth's gas price oracle: the tip is the 60th percentile of
//!   the three lowest effective tips (at least 2 wei) of each of the last 20 blocks,
//!   capped at 500 gwei, and 1 gwei when those blocks hold no transactions;
//!   `eth_gasPrice` is the next block's base fee plus that tip; `eth_feeHistory` weighs
//!   rewards by gas used as geth does (blob fields: base fee 1 wei, ratio 0).
//! - Tracing (`docs/tracing.md`): `debug_traceTransaction`, `debug_traceBlockByNumber`,
//!   `debug_traceBlockByHash` and `debug_traceCall` with geth's struct logger
//!   (`disableStorage`, `disableStack`, `enableMemory`, `enableReturnData`, `limit`) and
//!   built-in tracers (`callTracer` with `onlyTopCall`/`withLog`, `prestateTracer` with
//!   `diffMode`, `4byteTracer`, `flatCallTracer`, `muxTracer`, `noopTracer`,
//!   `erc7562Tracer`) from revm-inspectors; `trace_transaction` and `trace_block` in
//!   Parity's format. A mined transaction is traced by replaying its block with the
//!   block executor on the parent's archive state, in the block's environment, every
//!   earlier transaction (native ones included) applied first; the replay must match the
//!   receipts' gas and status or the answer is an error. Unknown and JavaScript tracers
//!   are `-32602`; `timeout` is accepted and ignored (gas bounds a trace);
//!   `debug_traceCall`'s `txIndex` is refused. Native transactions run no EVM code:
//!   `debug_traceTransaction` of one is `-32000`, block traces list them with an `error`,
//!   `trace_*` give them no traces. Unknown transactions: `debug_traceTransaction`
//!   `-32000` "transaction not found" (geth), `trace_transaction` `null` (reth).
//!   A `debug_trace*` answer stops at [`RpcConfig::max_trace_bytes`] while it is built
//!   (`-32000` "trace exceeds the size limit of N bytes…").
//! - A receipt or a transaction is built from its own entries of the block
//!   ([`BlockData::first_log_index`]), whatever the block's size; whole-block answers
//!   (`eth_getBlockBy*`, `eth_getBlockReceipts`) are built once per block as JSON and
//!   shared ([`SharedCache`], which the node also uses for its decoded blocks).
//! - Polling filters expire after [`RpcConfig::filter_timeout`] without a poll;
//!   subscriptions (`newHeads`, `logs`, `newPendingTransactions`) need a WebSocket.
//!
//! - `GET /` on the same port is a block explorer: a static page (and its script, style
//!   sheet and icon) embedded in the binary that reads the chain through these methods
//!   (docs/explorer.md); WebSocket upgrades and `POST`s of `/` are JSON-RPC.
//!
//! - On a development node ([`EthBackend::dev`] is `Some`) the dev methods are served
//!   with anvil's names and their `hardhat_`/`anvil_` aliases (module `dev`,
//!   [`DevBackend`]), `eth_sendTransaction` signs for the dev accounts and impersonated
//!   ones, and `eth_accounts` lists them; on other nodes the dev methods are not
//!   registered at all.
//!
//! - On a node of a BFT network ([`EthBackend::dpos`] is `Some`: a validator or a full
//!   node) the read-only `dpos_*` methods are served (module `dpos`, [`DposBackend`],
//!   docs/dpos-rpc.md): `dpos_status` (role, key, epoch, view, finalized head, leader,
//!   peers), `dpos_committee` (an epoch's members and quorum, `null` for an unknown
//!   epoch), `dpos_getFinalization` (the certificate that finalized a block, by number,
//!   tag or hash, direct or through a descendant; `null` for an unknown block and for
//!   genesis) and `dpos_getEvidence` (misbehaviour first seen in an inclusive block
//!   range, tags as in `eth_getLogs`, at most [`MAX_EVIDENCE_BLOCK_RANGE`] blocks
//!   apart and [`MAX_EVIDENCE_RESULTS`] results, else `-32602`). On a development
//!   node they are not registered at all, like the dev methods elsewhere.
//!
//! Not served (answered `-32601`): `eth_getProof` (the state commitment is a multiset
//! hash, which cannot prove single entries; proofs wait for a provable commitment),
//! `eth_sign*` (not even on development nodes), the dev methods outside development
//! nodes, the `dpos_*` methods on development nodes, `debug_*` other than the tracing
//! methods above (`debug_traceBlock` of raw RLP, `debug_getRaw*`,
//! `debug_storageRangeAt`, …), `trace_*` other than `trace_transaction`/`trace_block`,
//! `eth_simulateV1`.
//!
//! # Status
//! ALPHA.
//!
//! # Feature Flags
//! None.
//!
//! # Example
//! ```no_run
//! use bytom2_eth_rpc::{EthBackend, RpcConfig, start_server};
//! use std::sync::Arc;
//!
//! # async fn run(backend: Arc<dyn EthBackend>) -> Result<(), bytom2_eth_rpc::RpcError> {
//! let handle = start_server(backend, RpcConfig::new("127.0.0.1:8545".parse().unwrap())).await?;
//! println!("listening on {}", handle.http_url());
//! handle.stop();
//! handle.stopped().await;
//! # Ok(())
//! # }
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod access_list;
mod backend;
mod call;
mod config;
mod convert;
mod ctx;
mod debug;
mod dev;
mod dev_backend;
mod dpos;
mod dpos_backend;
mod error;
mod eth;
mod evm;
mod explorer;
mod fees;
mod filters;
mod log_index;
mod logs;
mod metrics;
mod net_web3;
mod overlay;
mod pool;
mod pubsub;
mod replay;
mod server;
mod shared;
mod trace;
mod trace_budget;
mod tracer;
mod txpool;
mod utxo;

pub use backend::{BlockData, BoxedState, EthBackend, NativeFeeSchedule};
pub use config::{RpcConfig, default_client_version};
pub use convert::{
    NativeReceiptJson, NativeTransactionJson, OutPointJson, OutputJson, RpcReceipt, RpcTransaction,
};
pub use dev::MAX_MINE_BLOCKS;
pub use dev_backend::{DevBackend, DevError};
pub use dpos::{MAX_EVIDENCE_BLOCK_RANGE, MAX_EVIDENCE_RESULTS};
pub use dpos_backend::{
    DposBackend, DposCommittee, DposCommitteeMember, DposEvidence, DposEvidenceKind,
    DposFinalization, DposPeer, DposRole, DposSigner, DposStatus,
};
pub use metrics::RpcMetrics;
pub use pool::{PoolContent, PoolError};
pub use server::{RpcError, RpcHandle, start_server};
pub use shared::SharedCache;
pub use utxo::{
    AssetJson, BalanceJson, CoinJson, FeeScheduleJson, OutPointParam, SettlementJson, SupplyJson,
};
