//! Integration tests of braid-local against real GGUF models and real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod engine;
mod server;
