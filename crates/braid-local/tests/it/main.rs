//! Integration tests of braid-local against real things: real pip, a real package index on 127.0.0.1,
//! real files in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod store;
