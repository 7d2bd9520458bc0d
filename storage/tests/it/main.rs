//! Integration tests of the storage crate.

mod blocks;
mod evidence;
mod history;
mod lookup;
mod model;
mod open;
mod util;
