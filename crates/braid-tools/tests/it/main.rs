//! The braid-tools integration tests, one module per tool, linked into a single test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apply_patch;
