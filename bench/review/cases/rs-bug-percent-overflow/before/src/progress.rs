//! Download progress.

pub struct Progress {
    pub done: u32,
    pub total: u32,
}

impl Progress {
    pub fn is_finished(&self) -> bool {
        self.done >= self.total
    }
}
