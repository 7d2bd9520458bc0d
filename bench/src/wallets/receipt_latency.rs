//! Receipt latency by block size: one block of `count` transfers mined on demand, then
//! `eth_getTransactionReceipt` of one of its transactions timed.

use crate::{
    load::{self, Kind},
    phases::Ctx,
};
use alloy_primitives::Address;
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use serde_json::Value;
use std::time::Instant;

/// Mines one block of `count` BTM transfers with automine and interval mining off, then
/// times `eth_getTransactionReceipt` of its middle transaction: the first call and the
/// median of 200 more, in ms.
pub(super) async fn receipt_latency(
    ctx: &Ctx,
    client: &HttpClient,
    chain_id: u64,
    count: usize,
) -> anyhow::Result<(f64, f64)> {
    let _: Value = client
        .request("evm_setIntervalMining", rpc_params![0])
        .await?;
    let _: Value = client
        .request("evm_setAutomine", rpc_params![false])
        .await?;
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let start = load::nonces(client, &addrs, "pending").await?;
    let per_sender = count.div_ceil(ctx.keys.len());
    let (mut raws, _) = load::presign(&ctx.keys, &start, per_sender, Kind::Native, chain_id);
    raws.truncate(count);
    let errors = load::submit(client, &raws, 64).await?;
    anyhow::ensure!(errors == 0, "{errors} submissions failed");
    let _: Value = client.request("evm_mine", rpc_params![]).await?;
    let head = load::block_number(client).await?;
    let in_block = load::block_tx_hashes(client, head).await?;
    anyhow::ensure!(
        in_block.len() == count,
        "the block holds {} transactions, not {count}",
        in_block.len()
    );
    let hash = in_block[count / 2].clone();
    let mut times = Vec::with_capacity(201);
    for _ in 0..201 {
        let t = Instant::now();
        let r: Value = client
            .request("eth_getTransactionReceipt", rpc_params![&hash])
            .await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(!r.is_null(), "no receipt for {hash}");
    }
    let first = times[0];
    let mut rest = times.split_off(1);
    rest.sort_by(f64::total_cmp);
    let _: Value = client.request("evm_setAutomine", rpc_params![true]).await?;
    Ok((first, rest[rest.len() / 2]))
}
