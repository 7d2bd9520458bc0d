//! Pre-signed load: EIP-1559 BTM and ERC-20 transfers from many senders, and the
//! set-up calls around the timed submissions ([`crate::wire`] does those).

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use anyhow::Context;
use futures::{StreamExt, stream};
use jsonrpsee::{
    core::{client::ClientT, params::BatchRequestBuilder},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// An HTTP JSON-RPC client sized for load.
pub(crate) fn client(url: &str) -> anyhow::Result<HttpClient> {
    Ok(HttpClientBuilder::default()
        .max_concurrent_requests(1024)
        .request_timeout(Duration::from_secs(120))
        .max_request_size(64 * 1024 * 1024)
        .max_response_size(64 * 1024 * 1024)
        .build(url)?)
}

pub(crate) fn quantity(v: &Value) -> anyhow::Result<u64> {
    let s = v.as_str().context("expected a hex quantity")?;
    Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?)
}

/// The node's head block number.
pub(crate) async fn block_number(client: &HttpClient) -> anyhow::Result<u64> {
    quantity(
        &client
            .request::<Value, _>("eth_blockNumber", rpc_params![])
            .await?,
    )
}

/// Returns as soon as a block after the current head is in (polling every 2 ms), so that
/// timed runs that begin after it start at the same point of the block interval.
pub(crate) async fn next_block(client: &HttpClient) -> anyhow::Result<()> {
    let head = block_number(client).await?;
    while block_number(client).await? <= head {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

/// The transaction hashes of block `number` (empty if it does not exist).
pub(crate) async fn block_tx_hashes(
    client: &HttpClient,
    number: u64,
) -> anyhow::Result<Vec<String>> {
    let block: Value = client
        .request(
            "eth_getBlockByNumber",
            rpc_params![format!("{number:#x}"), false],
        )
        .await?;
    Ok(block["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str().map(str::to_string))
        .collect())
}

/// What each transaction does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// 1 wei of BTM/ETH to the next sender.
    Native,
    /// 1 token unit of the ERC-20 at this address to the next sender.
    Erc20(Address),
}

/// `transfer(to, amount)` calldata.
pub(crate) fn transfer_calldata(to: Address, amount: U256) -> Bytes {
    let mut data = vec![0xa9, 0x05, 0x9c, 0xbb];
    data.extend_from_slice(B256::left_padding_from(to.as_slice()).as_slice());
    data.extend_from_slice(&amount.to_be_bytes::<32>());
    data.into()
}

/// Signs one EIP-1559 transaction.
/// maxFeePerGas of every benchmark transaction (100 gwei; tip 1 gwei).
pub(crate) const MAX_FEE: u128 = 100_000_000_000;

pub(crate) fn sign(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas: u64,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: gas,
        max_fee_per_gas: MAX_FEE,
        max_priority_fee_per_gas: 1_000_000_000,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let sig = key
        .sign_hash_sync(&tx.signature_hash())
        .expect("signing works");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// Makes `k * per_sender` items on all cores in round-robin order: item `j` is
/// `make(round, sender)` with `round = j / k`, `sender = j % k`. Returns them in that
/// order and the rate they were made at (items/s).
pub(crate) fn round_robin<T: Send>(
    k: usize,
    per_sender: usize,
    make: impl Fn(usize, usize) -> T + Sync,
) -> (Vec<T>, f64) {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let make = &make;
    let per_thread: Vec<Vec<(usize, T)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    (t..k * per_sender)
                        .step_by(threads)
                        .map(|j| (j, make(j / k, j % k)))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("signer thread"))
            .collect()
    });
    let mut all: Vec<(usize, T)> = per_thread.into_iter().flatten().collect();
    all.sort_by_key(|(j, _)| *j);
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    (all.into_iter().map(|(_, item)| item).collect(), rate)
}

/// Pre-signs `per_sender` transactions for every sender (round-robin order), starting at
/// `nonces`, on all cores. Returns the raw transactions and the signing rate (tx/s).
pub(crate) fn presign(
    keys: &[PrivateKeySigner],
    nonces: &[u64],
    per_sender: usize,
    kind: Kind,
    chain_id: u64,
) -> (Vec<Bytes>, f64) {
    let k = keys.len();
    round_robin(k, per_sender, |round, i| {
        let to = keys[(i + 1) % k].address();
        let nonce = nonces[i] + round as u64;
        match kind {
            Kind::Native => sign(
                &keys[i],
                chain_id,
                nonce,
                TxKind::Call(to),
                U256::from(1),
                Bytes::new(),
                21_000,
            ),
            Kind::Erc20(token) => sign(
                &keys[i],
                chain_id,
                nonce,
                TxKind::Call(token),
                U256::ZERO,
                transfer_calldata(to, U256::from(1)),
                60_000,
            ),
        }
    })
}

/// Current nonces (`pending`) of all senders, in one batch.
pub(crate) async fn nonces(
    client: &HttpClient,
    addrs: &[Address],
    tag: &str,
) -> anyhow::Result<Vec<u64>> {
    let mut out = Vec::with_capacity(addrs.len());
    for chunk in addrs.chunks(100) {
        let mut batch = BatchRequestBuilder::new();
        for a in chunk {
            batch.insert("eth_getTransactionCount", rpc_params![a, tag])?;
        }
        let res = client.batch_request::<Value>(batch).await?;
        for r in res.into_iter() {
            out.push(quantity(&r.map_err(|e| anyhow::anyhow!("{e:?}"))?)?);
        }
    }
    Ok(out)
}

/// Submits `raws` with at most `concurrency` requests in flight (set-up, not timed; the
/// timed phases use [`crate::wire`]). Returns the number of errors.
pub(crate) async fn submit(
    client: &HttpClient,
    raws: &[Bytes],
    concurrency: usize,
) -> anyhow::Result<usize> {
    let results: Vec<anyhow::Result<Value>> = stream::iter(raws.iter())
        .map(|raw| async move {
            Ok(client
                .request::<Value, _>(
                    "eth_sendRawTransaction",
                    rpc_params![hex::encode_prefixed(raw)],
                )
                .await?)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        eprintln!("first submission error: {e:#}");
    }
    Ok(results.iter().filter(|r| r.is_err()).count())
}

/// Polls `eth_getTransactionReceipt` of `hash` every 5 ms until it is there (6,000
/// tries at the most).
pub(crate) async fn receipt(client: &HttpClient, hash: &str) -> anyhow::Result<Value> {
    for _ in 0..6000 {
        let r: Value = client
            .request("eth_getTransactionReceipt", rpc_params![hash])
            .await?;
        if !r.is_null() {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    anyhow::bail!("no receipt for {hash}")
}

/// Sends one signed transaction; returns its hash as the node gives it.
pub(crate) async fn send(client: &HttpClient, raw: &Bytes) -> anyhow::Result<String> {
    Ok(client
        .request(
            "eth_sendRawTransaction",
            rpc_params![hex::encode_prefixed(raw)],
        )
        .await?)
}

/// Waits until every sender's `latest` nonce reaches its target.
pub(crate) async fn wait_mined(
    client: &HttpClient,
    addrs: &[Address],
    targets: &[u64],
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let now = nonces(client, addrs, "latest").await?;
        if now.iter().zip(targets).all(|(n, t)| n >= t) {
            return Ok(());
        }
        if Instant::now() > deadline {
            let short: u64 = now
                .iter()
                .zip(targets)
                .map(|(n, t)| t.saturating_sub(*n))
                .sum();
            anyhow::bail!("{short} transactions not mined within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
