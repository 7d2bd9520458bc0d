//! The ERC-20 token the workloads transfer: deployed from key 0 and, when asked,
//! distributed to every sender.

use super::ctx::Ctx;
use crate::load;
use alloy_primitives::{Address, Bytes, TxKind, U256, hex};
use anyhow::Context;
use jsonrpsee::http_client::HttpClient;
use serde_json::Value;
use std::time::Duration;

/// Deploys the OpenZeppelin test token from key 0 and gives every sender some.
pub(crate) async fn setup_token(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    distribute: bool,
) -> anyhow::Result<Address> {
    let artifact: Value =
        serde_json::from_str(include_str!("../../../contracts/artifacts/TestToken.json"))?;
    let mut code = hex::decode(artifact["bytecode"].as_str().context("bytecode")?)?;
    code.extend_from_slice(&U256::from(10u64).pow(U256::from(30)).to_be_bytes::<32>());
    let me = ctx.keys[0].address();
    let nonce = load::nonces(client, &[me], "pending").await?[0];
    let raw = load::sign(
        &ctx.keys[0],
        chain_id,
        nonce,
        TxKind::Create,
        U256::ZERO,
        code.into(),
        3_000_000,
    );
    let hash = load::send(client, &raw).await?;
    let r = load::receipt(client, &hash).await?;
    let token: Address = serde_json::from_value(r["contractAddress"].clone())?;
    if distribute {
        let raws: Vec<Bytes> = ctx.keys[1..]
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let data =
                    load::transfer_calldata(k.address(), U256::from(10u64).pow(U256::from(24)));
                load::sign(
                    &ctx.keys[0],
                    chain_id,
                    nonce + 1 + i as u64,
                    TxKind::Call(token),
                    U256::ZERO,
                    data,
                    100_000,
                )
            })
            .collect();
        load::submit(client, &raws, 16).await?;
        load::wait_mined(
            client,
            &[me],
            &[nonce + ctx.keys.len() as u64],
            Duration::from_secs(120),
        )
        .await?;
    }
    Ok(token)
}
