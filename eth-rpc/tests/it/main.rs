//! Integration tests: the server over an in-memory chain, driven by jsonrpsee's HTTP and
//! WebSocket clients and raw HTTP.

mod basics;
mod calls;
mod common;
mod dpos;
mod explorer;
mod logs;
mod receipts;
mod trace;
mod txs;
mod ws;
