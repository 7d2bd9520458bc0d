//! Property tests of the ledger layer.

mod cache_model;
mod keys;
mod tip_model;
