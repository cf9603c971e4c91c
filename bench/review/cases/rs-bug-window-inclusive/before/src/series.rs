//! A series of samples and its moving average.

pub struct Series {
    pub samples: Vec<f64>,
    pub size: usize,
}

impl Series {
    pub fn len(&self) -> usize {
        self.samples.len()
    }
}
