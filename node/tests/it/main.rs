//! Integration tests of the chain wiring: persistence, archive reads, crash safety.

mod cli;
mod crash;
mod dev;
mod lifecycle;
mod network_cli;
mod persistence;
mod pipeline;
mod producer;
mod support;
mod wallet;
