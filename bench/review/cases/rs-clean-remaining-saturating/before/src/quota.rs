//! Per-user storage quotas.

pub struct Quota {
    pub limit: u64,
    pub used: u64,
}

impl Quota {
    pub fn remaining(&self) -> u64 {
        self.limit - self.used
    }
}
