//! Integration tests for braid-sandbox: real processes and real temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod escape;
mod exec;
mod forbidden;
mod stream;
