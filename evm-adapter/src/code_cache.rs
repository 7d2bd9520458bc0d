//! Analyzed contract code shared between [`BlockState`](crate::BlockState)s.
//!
//! Code is content-addressed (its key is its keccak hash), so code read once is the same
//! for every later block and call. revm analyzes legacy code (jump destinations) when it
//! is loaded; an RPC node builds a fresh `BlockState` for every `eth_call`, which re-read
//! and re-analyzed the called contract's code each time (3% of a `balanceOf` call's CPU).
//! A [`CodeCache`] handed to [`BlockState::with_code_cache`](crate::BlockState::with_code_cache)
//! keeps what was loaded, up to a byte bound (past it, the cache starts empty again).

use alloy_primitives::{B256, map::HashMap};
use revm::bytecode::Bytecode;
use std::sync::RwLock;

/// Analyzed code by code hash, bounded by the total size of the code held.
#[derive(Debug)]
pub struct CodeCache {
    max_bytes: usize,
    inner: RwLock<Held>,
}

#[derive(Debug, Default)]
struct Held {
    codes: HashMap<B256, Bytecode>,
    bytes: usize,
}

impl CodeCache {
    /// An empty cache holding at most `max_bytes` of code.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: RwLock::new(Held::default()),
        }
    }

    /// The code with hash `hash`, if held.
    pub fn get(&self, hash: &B256) -> Option<Bytecode> {
        let held = self.inner.read().unwrap_or_else(|e| e.into_inner());
        held.codes.get(hash).cloned()
    }

    /// Keeps `code` (whose hash is `hash`); when it would pass the bound, everything
    /// held before is dropped first. Code larger than the bound is not kept.
    pub fn insert(&self, hash: B256, code: Bytecode) {
        let size = code.len();
        if size > self.max_bytes {
            return;
        }
        let mut held = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if held.codes.contains_key(&hash) {
            return;
        }
        if held.bytes + size > self.max_bytes {
            held.codes.clear();
            held.bytes = 0;
        }
        held.bytes += size;
        held.codes.insert(hash, code);
    }

    /// How many codes are held.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .codes
            .len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Bytes, keccak256};

    fn code(n: usize, fill: u8) -> (B256, Bytecode) {
        let bytes = Bytes::from(vec![fill; n]);
        (keccak256(&bytes), Bytecode::new_raw(bytes))
    }

    #[test]
    fn holds_codes_up_to_its_bound() {
        let cache = CodeCache::new(100);
        let (a, code_a) = code(60, 0x5b);
        let (b, code_b) = code(30, 0x60);
        cache.insert(a, code_a.clone());
        cache.insert(b, code_b.clone());
        assert_eq!(cache.get(&a), Some(code_a.clone()));
        assert_eq!(cache.get(&b), Some(code_b));
        // Past the bound: the cache starts again with the new code only.
        let (c, code_c) = code(20, 0x01);
        cache.insert(c, code_c.clone());
        assert_eq!((cache.get(&a), cache.get(&c)), (None, Some(code_c)));
        assert_eq!(cache.len(), 1);
        // Larger than the whole bound: not kept, nothing dropped.
        let (d, code_d) = code(101, 0x02);
        cache.insert(d, code_d);
        assert_eq!((cache.get(&d), cache.len()), (None, 1));
        // Inserting held code again changes nothing.
        cache.insert(a, code_a.clone());
        cache.insert(a, code_a);
        assert_eq!(cache.len(), 2);
    }
}
