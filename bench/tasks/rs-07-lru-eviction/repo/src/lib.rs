//! A small least-recently-used cache for rendered pages: when full, adding an entry drops the one
//! that was read or written longest ago.

mod recency;

use std::collections::HashMap;

use recency::Recency;

/// A cache holding at most `capacity` entries.
#[derive(Debug)]
pub struct LruCache {
    capacity: usize,
    entries: HashMap<String, String>,
    recency: Recency,
}

impl LruCache {
    /// Returns an empty cache; a capacity of 0 is treated as 1.
    pub fn new(capacity: usize) -> Self {
        LruCache { capacity: capacity.max(1), entries: HashMap::new(), recency: Recency::default() }
    }

    /// Returns the value for `key` and marks it as recently used.
    pub fn get(&mut self, key: &str) -> Option<&String> {
        if self.entries.contains_key(key) {
            self.recency.touch(key);
        }
        self.entries.get(key)
    }

    /// Stores `value` under `key`, replacing any old value, and marks it as recently used. When the
    /// cache is full and `key` is new, the least recently used entry is dropped first.
    pub fn put(&mut self, key: &str, value: &str) {
        if !self.entries.contains_key(key) && self.entries.len() == self.capacity {
            if let Some(oldest) = self.recency.pop_oldest() {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key.to_string(), value.to_string());
        self.recency.touch(key);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.recency.remove(key);
        self.entries.remove(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
