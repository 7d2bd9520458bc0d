//! Integration tests of the executor: differential against plain revm, ledger
//! invariants, validation errors.

mod common;
mod differential;
mod inspected;
mod invariants;
mod native;
mod system;
mod validation;
