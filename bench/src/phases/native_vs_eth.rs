//! Native (type 0x62) against Ethereum BTM transfers on one bytom2 node (issue #5): the
//! senders' outputs split ahead of the run, the timed native run, and the phase that
//! runs it between two Ethereum runs.

use super::{
    ctx::{Ctx, Which, start},
    results::{NativeVsEth, Throughput},
    throughput::throughput_once,
};
use crate::{
    load::{self, Kind},
    native::{self, Coin, FeeSchedule},
    wire,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use anyhow::Context;
use futures::{StreamExt, stream};
use jsonrpsee::http_client::HttpClient;
use std::time::{Duration, Instant};

/// Gives every sender `per_sender` unspent BTM outputs of exactly `amount` (outputs of
/// transactions in the pool cannot be spent, so they are created and mined first): each
/// round, every sender still short splits its largest other output into up to 255 outputs
/// of `amount` plus change, and the round is mined. Returns the outputs and the number of
/// setup transactions.
async fn prepare_coins(
    ctx: &Ctx,
    client: &HttpClient,
    fees: &FeeSchedule,
    per_sender: usize,
    amount: U256,
) -> anyhow::Result<(Vec<Vec<Coin>>, usize)> {
    let addrs: Vec<Address> = ctx.keys.iter().map(|k| k.address()).collect();
    let mut setup_txs = 0;
    for _round in 0..64 {
        let coins = native::list_unspent(client, &addrs).await?;
        let mut prepared = Vec::with_capacity(addrs.len());
        let mut raws = Vec::new();
        for (i, mine) in coins.iter().enumerate() {
            let ready: Vec<Coin> = mine
                .iter()
                .filter(|c| c.amount == amount)
                .take(per_sender)
                .copied()
                .collect();
            if ready.len() < per_sender {
                let n = (per_sender - ready.len()).min(native::MAX_OUTPUTS - 1);
                let input = mine
                    .iter()
                    .filter(|c| c.amount != amount)
                    .max_by_key(|c| c.amount)
                    .copied()
                    .with_context(|| format!("{} has no output to split", addrs[i]))?;
                let outputs = vec![(addrs[i], amount); n];
                let (raw, _) = native::transfer(&ctx.keys[i], ctx.chain_id, input, &outputs, fees)?;
                raws.push(raw);
            }
            prepared.push(ready);
        }
        if raws.is_empty() {
            return Ok((prepared, setup_txs));
        }
        setup_txs += raws.len();
        let hashes: Vec<B256> = raws.iter().map(keccak256).collect();
        let from = load::block_number(client).await?;
        let results: Vec<anyhow::Result<String>> = stream::iter(raws.iter())
            .map(|raw| load::send(client, raw))
            .buffer_unordered(16)
            .collect()
            .await;
        if let Some(Err(e)) = results.into_iter().find(|r| r.is_err()) {
            anyhow::bail!("a setup (split) transaction was refused: {e:#}");
        }
        native::wait_included(client, &hashes, from, Duration::from_secs(300)).await?;
    }
    anyhow::bail!("outputs not prepared after 64 rounds")
}

/// Native transfers: `txs / senders` per sender, each spending one prepared output (1
/// input; the recipient, the next sender, gets the dust minimum; change back), all
/// independent so all can sit in the pool at once. Submitted like the Ethereum transfers
/// (`eth_sendRawTransaction`, `concurrency` in flight) and timed until all are in blocks.
async fn native_throughput(
    ctx: &Ctx,
    client: &HttpClient,
    url: &str,
) -> anyhow::Result<(Throughput, f64, f64, f64, usize, Vec<usize>)> {
    let fees = FeeSchedule::fetch(client).await?;
    let k = ctx.keys.len();
    let per_sender = ctx.txs / k;
    // Enough for the dust minimum to the recipient, change of at least the dust minimum
    // and the fee of a 1-in-2-out transaction of up to 400 bytes, twice over.
    let fee_max = fees.fee(fees.gas(1, 2, 400));
    let amount = fees.min_output * U256::from(2) + fee_max * U256::from(2);
    let t_setup = Instant::now();
    let (coins, setup_txs) = prepare_coins(ctx, client, &fees, per_sender, amount).await?;
    let setup_s = t_setup.elapsed().as_secs_f64();
    eprintln!(
        "[bytom2] native: {per_sender} outputs of {amount} wei for each of {k} senders in {setup_s:.1} s ({setup_txs} setup transactions)"
    );
    let (keys, coins, fees) = (&ctx.keys, &coins, &fees);
    let (signed, sign_rate) = load::round_robin(k, per_sender, |round, i| {
        let to = keys[(i + 1) % k].address();
        native::transfer(
            &keys[i],
            ctx.chain_id,
            coins[i][round],
            &[(to, fees.min_output)],
            fees,
        )
    });
    let all = signed
        .into_iter()
        .collect::<anyhow::Result<Vec<(Bytes, u64)>>>()?;
    let n = all.len().max(1) as f64;
    let mean_gas = all.iter().map(|(_, g)| *g as f64).sum::<f64>() / n;
    let mean_bytes = all.iter().map(|(r, _)| r.len() as f64).sum::<f64>() / n;
    let raws: Vec<Bytes> = all.into_iter().map(|(r, _)| r).collect();
    let hashes: Vec<B256> = raws.iter().map(keccak256).collect();
    let from = load::block_number(client).await?;
    let bodies = wire::Bodies::send_raw(&raws, None);
    // Started at the same point of the block interval as the Ethereum runs.
    load::next_block(client).await?;
    let t0 = Instant::now();
    let (submit_s, errors) = wire::post_all(url, &bodies, ctx.concurrency)?;
    if errors > 0 {
        anyhow::bail!("{errors} native transactions were refused (first error above)");
    }
    let per_block = native::wait_included(client, &hashes, from, Duration::from_secs(600)).await?;
    eprintln!("[bytom2] native transfers per block: {per_block:?}");
    Ok((
        Throughput::measured(raws.len(), submit_s, t0, errors, sign_rate),
        mean_gas,
        mean_bytes,
        setup_s,
        setup_txs,
        per_block,
    ))
}

/// Native vs Ethereum BTM transfers on a fresh bytom2 dev node (`--block-time 1`, same
/// gas limit, same senders and transaction count): Ethereum transfers, then the native
/// run, then Ethereum transfers again.
pub(crate) async fn native_vs_eth(ctx: &Ctx) -> anyhow::Result<NativeVsEth> {
    let (node, _) = start(ctx, Which::Bytom2, Some(1.0), "native", None)?;
    let result = async {
        let client = load::client(&node.url)?;
        // Every run of this phase starts right after a block is in, so that no kind is
        // favoured by where in the 1-second block interval its submissions end.
        let eth = throughput_once(ctx, &client, &node.url, ctx.chain_id, Kind::Native, None, ctx.txs, true)
            .await?;
        eprintln!("[bytom2] Ethereum transfers: {:.0} tx/s mined", eth.mined_tps());
        let (native, native_gas, native_bytes, setup_s, setup_txs, native_per_block) =
            native_throughput(ctx, &client, &node.url).await?;
        eprintln!(
            "[bytom2] native transfers: {:.0} tx/s mined ({native_gas:.0} gas, {native_bytes:.0} bytes each)",
            native.mined_tps()
        );
        let eth_after =
            throughput_once(ctx, &client, &node.url, ctx.chain_id, Kind::Native, None, ctx.txs, true)
                .await?;
        eprintln!(
            "[bytom2] Ethereum transfers again: {:.0} tx/s mined",
            eth_after.mined_tps()
        );
        anyhow::Ok(NativeVsEth {
            eth,
            native,
            eth_after,
            native_gas,
            native_bytes,
            setup_s,
            setup_txs,
            native_per_block,
        })
    }
    .await;
    node.stop();
    result
}
