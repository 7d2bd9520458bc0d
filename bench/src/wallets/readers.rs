//! Reads under load: 64 explorer-like readers (receipts, logs, balances, `balanceOf`
//! calls) looping while a batched ERC-20 run is mined.

use super::batches::{Waiter, batches};
use crate::{
    load::{self, Kind},
    phases::{Ctx, Throughput},
};
use alloy_primitives::{Address, B256, hex, keccak256};
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::{Value, json};
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Instant,
};

/// `ctx.txs` ERC-20 transfers in batches (waited for by nonce) while 64 readers loop
/// over receipts, logs, balances and calls. Returns the run and reads per second.
pub(super) async fn with_readers(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
    token: Address,
) -> anyhow::Result<(Throughput, f64)> {
    // Receipts of transactions mined before the run (the token's distribution).
    let head = load::block_number(client).await?;
    let mut known = Vec::new();
    for n in (1..=head).rev() {
        known.extend(load::block_tx_hashes(client, n).await?);
        if known.len() >= 1000 {
            break;
        }
    }
    anyhow::ensure!(
        !known.is_empty(),
        "no mined transactions to read receipts of"
    );
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let known = Arc::new(known);
    let transfer_topic = format!("{:#x}", keccak256("Transfer(address,address,uint256)"));
    let readers: Vec<_> = (0..64usize)
        .map(|r| {
            let (client, done, reads, known, addrs, topic) = (
                client.clone(),
                done.clone(),
                reads.clone(),
                known.clone(),
                addrs.clone(),
                transfer_topic.clone(),
            );
            tokio::spawn(async move {
                let mut i = r;
                while !done.load(Ordering::Relaxed) {
                    let who = addrs[i % addrs.len()];
                    let answer: Result<Value, _> = match i % 4 {
                        0 => {
                            client
                                .request(
                                    "eth_getTransactionReceipt",
                                    rpc_params![&known[i % known.len()]],
                                )
                                .await
                        }
                        1 => {
                            let head = load::block_number(&client).await.unwrap_or(0);
                            let filter = json!({
                                "fromBlock": format!("{:#x}", head.saturating_sub(99)),
                                "toBlock": format!("{head:#x}"),
                                "address": token,
                                "topics": [topic, B256::left_padding_from(who.as_slice())],
                            });
                            client.request("eth_getLogs", rpc_params![filter]).await
                        }
                        2 => {
                            client
                                .request("eth_getBalance", rpc_params![who, "latest"])
                                .await
                        }
                        _ => {
                            let mut data = vec![0x70, 0xa0, 0x82, 0x31];
                            data.extend_from_slice(
                                B256::left_padding_from(who.as_slice()).as_slice(),
                            );
                            let call = json!({"to": token, "data": hex::encode_prefixed(&data)});
                            client
                                .request("eth_call", rpc_params![call, "latest"])
                                .await
                        }
                    };
                    if answer.is_ok() {
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 64;
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    let run = batches(
        ctx,
        client,
        url,
        chain_id,
        Kind::Erc20(token),
        Waiter::Nonces,
    )
    .await;
    let secs = t0.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    for r in readers {
        let _ = r.await;
    }
    Ok((run?, reads.load(Ordering::Relaxed) as f64 / secs))
}
