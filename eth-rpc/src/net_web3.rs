//! The `web3` and `net` namespaces.

use crate::{ctx::EthCtx, error::RpcResult};
use alloy_primitives::{B256, Bytes, U64, keccak256};
use jsonrpsee::proc_macros::rpc;

/// `web3_*`.
#[rpc(server, namespace = "web3")]
pub(crate) trait Web3Rpc {
    /// `web3_clientVersion`.
    #[method(name = "clientVersion")]
    fn client_version(&self) -> RpcResult<String>;

    /// `web3_sha3`: keccak256 of the bytes.
    #[method(name = "sha3")]
    fn sha3(&self, data: Bytes) -> RpcResult<B256>;
}

/// `net_*`.
#[rpc(server, namespace = "net")]
pub(crate) trait NetRpc {
    /// `net_version`: the chain id in decimal.
    #[method(name = "version")]
    fn version(&self) -> RpcResult<String>;

    /// `net_listening`: `true`.
    #[method(name = "listening")]
    fn listening(&self) -> RpcResult<bool>;

    /// `net_peerCount`: `0x0` (peers are the consensus layer's business).
    #[method(name = "peerCount")]
    fn peer_count(&self) -> RpcResult<U64>;
}

/// Implementation of [`Web3RpcServer`] and [`NetRpcServer`].
#[derive(Debug)]
pub(crate) struct NetWeb3Api {
    ctx: EthCtx,
}

impl NetWeb3Api {
    /// Over the shared context.
    pub(crate) fn new(ctx: EthCtx) -> Self {
        Self { ctx }
    }
}

impl Web3RpcServer for NetWeb3Api {
    fn client_version(&self) -> RpcResult<String> {
        Ok(self.ctx.config.client_version.clone())
    }

    fn sha3(&self, data: Bytes) -> RpcResult<B256> {
        Ok(keccak256(&data))
    }
}

impl NetRpcServer for NetWeb3Api {
    fn version(&self) -> RpcResult<String> {
        Ok(self.ctx.chain_id.to_string())
    }

    fn listening(&self) -> RpcResult<bool> {
        Ok(true)
    }

    fn peer_count(&self) -> RpcResult<U64> {
        Ok(U64::ZERO)
    }
}
