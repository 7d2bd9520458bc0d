//! The read path: 1,000 blocks with one ERC-20 transfer each, then `eth_getBalance`,
//! `eth_call` and `eth_getLogs` over them from 64 concurrent clients, on a fresh
//! automining node.

use super::{
    ctx::{Ctx, Which, chain_id, start},
    token::setup_token,
};
use crate::{load, wire};
use alloy_primitives::{TxKind, U256, hex, keccak256};
use jsonrpsee::http_client::HttpClient;
use serde_json::{Value, json};
use std::time::Duration;

async fn read_path(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
    chain_id: u64,
) -> anyhow::Result<Vec<(&'static str, f64)>> {
    let token = setup_token(ctx, client, chain_id, false).await?;
    let me = ctx.keys[0].address();
    // 1,000 blocks, each with one Transfer log.
    let nonce = load::nonces(client, &[me], "pending").await?[0];
    for i in 0..1000u64 {
        let to = ctx.keys[1 + (i as usize % (ctx.keys.len() - 1))].address();
        let raw = load::sign(
            &ctx.keys[0],
            chain_id,
            nonce + i,
            TxKind::Call(token),
            U256::ZERO,
            load::transfer_calldata(to, U256::from(1)),
            100_000,
        );
        let hash = load::send(client, &raw).await?;
        load::receipt(client, &hash).await?;
    }
    let head = load::block_number(client).await?;
    let transfer_topic = format!("{:#x}", keccak256("Transfer(address,address,uint256)"));
    let mut calldata = vec![0x70, 0xa0, 0x82, 0x31];
    calldata.extend_from_slice(alloy_primitives::B256::left_padding_from(me.as_slice()).as_slice());
    let requests: Vec<(&'static str, &'static str, Value)> = vec![
        ("eth_getBalance", "eth_getBalance", json!([me, "latest"])),
        (
            "eth_call balanceOf",
            "eth_call",
            json!([{ "to": token, "data": hex::encode_prefixed(&calldata) }, "latest"]),
        ),
        (
            "eth_getLogs (1,000 blocks)",
            "eth_getLogs",
            json!([{ "fromBlock": format!("{:#x}", head.saturating_sub(999)), "toBlock": format!("{head:#x}"), "address": token, "topics": [transfer_topic] }]),
        ),
    ];
    let mut out = Vec::new();
    for (label, method, params) in requests {
        let (rate, errors) = wire::repeat(
            url,
            method,
            &params,
            64,
            Duration::from_secs(ctx.read_seconds),
        )?;
        if errors > 0 {
            eprintln!("{label}: {errors} errors");
        }
        out.push((label, rate));
    }
    Ok(out)
}

/// The read path on a fresh automining node of its own; with the node's name.
pub(super) async fn read_phase(
    ctx: &Ctx,
    which: Which,
) -> anyhow::Result<(&'static str, Vec<(&'static str, f64)>)> {
    let (node, _) = start(ctx, which, None, "read", None)?;
    let reads = async {
        let client = load::client(&node.url)?;
        read_path(ctx, &client, &node.url, chain_id(ctx, which)).await
    }
    .await;
    let name = node.name;
    node.stop();
    Ok((name, reads?))
}

/// The read path alone, on bytom2 then anvil (for profiling).
pub(crate) async fn reads_only(
    ctx: &Ctx,
) -> anyhow::Result<Vec<(&'static str, Vec<(&'static str, f64)>)>> {
    let mut out = Vec::new();
    for which in [Which::Bytom2, Which::Anvil] {
        out.push(read_phase(ctx, which).await?);
    }
    Ok(out)
}
