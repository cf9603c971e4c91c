//! Fixture: a file the data-driven plan checks match globs against.
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}
