//! Consensus tests on Commonware's deterministic runtime with simulated p2p.

mod mock_chain;
mod sim;
