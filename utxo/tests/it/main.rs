//! Property tests of the ledger layer.

mod cache_model;
