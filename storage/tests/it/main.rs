//! Integration tests of the storage crate.

mod blocks;
mod history;
mod model;
mod open;
mod util;
