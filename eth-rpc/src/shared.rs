//! [`SharedCache`]: values that many readers ask for at once (a block just committed,
//! its receipts as JSON) built once and shared, within a bound.

use parking_lot::Mutex;
use std::{
    collections::{HashMap, VecDeque},
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

/// A bounded map from keys to values that are built on first use, once: readers that
/// ask for a key while its value is being built wait for that build instead of starting
/// their own (two hundred wallets polling the block that just arrived decode it once).
/// Each value has a weight (transactions, bytes); once the built values weigh more than
/// the bound, the oldest inserted are dropped. A failed build stores nothing and the next
/// reader tries again.
#[derive(Debug)]
pub struct SharedCache<K, V> {
    inner: Mutex<Entries<K, V>>,
    max_weight: usize,
}

#[derive(Debug)]
struct Entries<K, V> {
    slots: HashMap<K, Arc<Slot<V>>>,
    /// Keys in insertion order (eviction order).
    order: VecDeque<K>,
    /// Sum of the weights of the built values still in `slots`.
    weight: usize,
}

#[derive(Debug)]
struct Slot<V> {
    /// The value once built; its lock is held while building.
    value: Mutex<Option<V>>,
    /// The weight charged for it (0 until built).
    weight: AtomicUsize,
}

// === impl SharedCache ===

impl<K: Hash + Eq + Clone, V: Clone> SharedCache<K, V> {
    /// An empty cache whose values may weigh `max_weight` in all.
    pub fn new(max_weight: usize) -> Self {
        Self {
            inner: Mutex::new(Entries {
                slots: HashMap::new(),
                order: VecDeque::new(),
                weight: 0,
            }),
            max_weight,
        }
    }

    /// The value of `key` if it is built.
    pub fn get(&self, key: &K) -> Option<V> {
        let slot = self.inner.lock().slots.get(key).cloned()?;
        slot.value.lock().clone()
    }

    /// The value of `key`: the cached one, else the one `build` makes (waiting for a
    /// build of the same key in progress, and using its value if it succeeded).
    /// `weight` says what a value counts against the bound.
    pub fn get_or_build<E>(
        &self,
        key: K,
        weight: impl FnOnce(&V) -> usize,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let slot = self.slot(&key);
        let mut value = slot.value.lock();
        if let Some(v) = value.as_ref() {
            return Ok(v.clone());
        }
        let built = match build() {
            Ok(built) => built,
            Err(e) => {
                drop(value);
                self.forget_empty(&key, &slot);
                return Err(e);
            }
        };
        *value = Some(built.clone());
        let w = weight(&built);
        slot.weight.store(w, Ordering::Release);
        drop(value);
        self.charge(&key, &slot, w);
        Ok(built)
    }

    /// Puts `value` under `key` unless a value is there already (the writer of a block
    /// hands it over before any reader asks).
    pub fn insert(&self, key: K, value: V, weight: usize) {
        let slot = self.slot(&key);
        let mut current = slot.value.lock();
        if current.is_some() {
            return;
        }
        *current = Some(value);
        slot.weight.store(weight, Ordering::Release);
        drop(current);
        self.charge(&key, &slot, weight);
    }

    /// `key`'s slot, made (empty, last in the eviction order) if there is none.
    fn slot(&self, key: &K) -> Arc<Slot<V>> {
        let mut inner = self.inner.lock();
        if let Some(slot) = inner.slots.get(key) {
            return slot.clone();
        }
        let slot = Arc::new(Slot {
            value: Mutex::new(None),
            weight: AtomicUsize::new(0),
        });
        inner.slots.insert(key.clone(), slot.clone());
        inner.order.push_back(key.clone());
        slot
    }

    /// Drops `key`'s slot if it is still `slot` and holds nothing (a failed build), so
    /// that keys that never get a value (a block not yet made) take no room.
    fn forget_empty(&self, key: &K, slot: &Arc<Slot<V>>) {
        let mut inner = self.inner.lock();
        let empty = inner.slots.get(key).is_some_and(|s| Arc::ptr_eq(s, slot))
            && slot.value.try_lock().is_some_and(|v| v.is_none());
        if empty {
            inner.slots.remove(key);
            if let Some(at) = inner.order.iter().position(|k| k == key) {
                inner.order.remove(at);
            }
        }
    }

    /// Counts `w` for `key`'s new value (unless the slot was dropped meanwhile) and
    /// evicts the oldest values while the total is over the bound.
    fn charge(&self, key: &K, slot: &Arc<Slot<V>>, w: usize) {
        let mut inner = self.inner.lock();
        if !inner.slots.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            return;
        }
        inner.weight += w;
        while inner.weight > self.max_weight {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(s) = inner.slots.remove(&old) {
                inner.weight -= s.weight.load(Ordering::Acquire);
            }
        }
    }

    /// Forgets every value.
    pub fn clear(&self) {
        let mut inner = self.inner.lock();
        inner.slots.clear();
        inner.order.clear();
        inner.weight = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn builds_once_for_concurrent_readers() {
        let cache = SharedCache::<u64, Arc<u64>>::new(100);
        let builds = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let v = cache
                        .get_or_build(
                            7,
                            |_| 1,
                            || {
                                builds.fetch_add(1, Ordering::SeqCst);
                                std::thread::sleep(std::time::Duration::from_millis(20));
                                Ok::<_, ()>(Arc::new(49))
                            },
                        )
                        .expect("built");
                    assert_eq!(*v, 49);
                });
            }
        });
        assert_eq!(builds.load(Ordering::SeqCst), 1);
        assert_eq!(cache.get(&7).as_deref(), Some(&49));
    }

    #[test]
    fn a_failed_build_is_retried() {
        let cache = SharedCache::<u64, u64>::new(100);
        assert_eq!(cache.get_or_build(1, |_| 1, || Err("no")), Err("no"));
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get_or_build(1, |_| 1, || Ok::<_, &str>(5)), Ok(5));
        assert_eq!(cache.get_or_build(1, |_| 1, || Err("not called")), Ok(5));
    }

    #[test]
    fn failed_builds_take_no_room_and_inserts_fill_slots() {
        let cache = SharedCache::<u64, u64>::new(10);
        for k in 0..1000 {
            assert!(cache.get_or_build(k, |_| 1, || Err::<u64, _>(())).is_err());
        }
        {
            let inner = cache.inner.lock();
            assert!(inner.slots.is_empty() && inner.order.is_empty());
        }
        cache.insert(3, 30, 4);
        cache.insert(3, 31, 4);
        assert_eq!(cache.get(&3), Some(30), "an insert keeps the value there");
        assert_eq!(cache.get_or_build(3, |_| 1, || Err("not called")), Ok(30));
        for k in 4..8 {
            cache.insert(k, k * 10, 4);
        }
        assert_eq!(cache.get(&3), None, "evicted");
        assert_eq!(cache.get(&7), Some(70));
        let inner = cache.inner.lock();
        assert_eq!(inner.order.len(), inner.slots.len());
    }

    #[test]
    fn evicts_oldest_over_the_bound() {
        let cache = SharedCache::<u64, u64>::new(10);
        for k in 0..5 {
            cache
                .get_or_build(k, |_| 4, || Ok::<_, ()>(k))
                .expect("built");
        }
        // 5 values of 4 over a bound of 10: the two newest stay.
        assert_eq!(cache.get(&0), None);
        assert_eq!(cache.get(&2), None);
        assert_eq!(cache.get(&3), Some(3));
        assert_eq!(cache.get(&4), Some(4));
        cache.clear();
        assert_eq!(cache.get(&4), None);
    }
}
