//! The measurement phases, run for each node in turn.

mod ctx;
mod latency;
mod native_vs_eth;
mod reads;
mod results;
mod run;
mod throughput;
mod token;

pub(crate) use ctx::{Ctx, Which, chain_id, start};
pub(crate) use latency::OpenLoopRun;
pub(crate) use native_vs_eth::native_vs_eth;
pub(crate) use reads::reads_only;
pub(crate) use results::{NativeVsEth, NodeResults, Throughput};
pub(crate) use run::{run_all, run_bytom2};
pub(crate) use throughput::throughput;
pub(crate) use token::setup_token;
