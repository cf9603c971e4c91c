//! A request counter.

#[derive(Debug, Default)]
pub struct Counter {
    count: u64,
}

impl Counter {
    pub fn add(&mut self, n: u64) -> u64 {
        self.count = self.count.wrapping_add(n);
        self.count
    }
}
