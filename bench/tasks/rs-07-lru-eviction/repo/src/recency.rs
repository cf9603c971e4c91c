//! The order in which a cache's keys were last used, oldest first.

/// Keys from least to most recently used. Each key appears at most once.
#[derive(Debug, Default)]
pub struct Recency {
    keys: Vec<String>,
}

impl Recency {
    /// Marks `key` as the most recently used, adding it when it is new.
    pub fn touch(&mut self, key: &str) {
        self.keys.push(key.to_string());
    }

    /// Removes `key`; does nothing when it is absent.
    pub fn remove(&mut self, key: &str) {
        self.keys.retain(|k| k != key);
    }

    /// Removes and returns the least recently used key.
    pub fn pop_oldest(&mut self) -> Option<String> {
        if self.keys.is_empty() {
            None
        } else {
            Some(self.keys.remove(0))
        }
    }
}
