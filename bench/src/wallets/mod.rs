//! Workloads that behave like real clients (issue #19): wallets that wait for their
//! receipts, and explorers that read while blocks are made. Both nodes, same run; the
//! section of the report is spliced into `bench/RESULTS.md` (`--only wallets`).
//!
//! - **Receipt polling**: 200 senders' transfers go in as JSON-RPC batches of 100, and
//!   each sender waits for its last transaction as ethers and viem do: whenever the head
//!   moves, every sender still waiting asks `eth_getTransactionReceipt` (up to 200
//!   requests at once). Mined tx/s is measured until the last receipt is answered;
//!   `--runs` runs of each, the median reported.
//! - **Reads under load**: 64 readers loop over receipts, `eth_getLogs` over the last
//!   100 blocks, balances and `balanceOf` calls while 20,000 ERC-20 transfers are mined;
//!   the same transfers without readers are the idle baseline. For bytom2 the node's
//!   own log gives each block's execute and commit times in both runs.
//! - **Receipt latency by block size**: one block of 100 and one of 15,000 transfers
//!   (automine off, `evm_mine`); the first and the median of 200 sequential
//!   `eth_getTransactionReceipt` calls for a transaction of each.

mod batches;
mod block_log;
mod readers;
mod receipt_latency;
mod run;
mod section;

pub(crate) use run::run;
pub(crate) use section::{TITLE, section};
