//! Integration tests of braid-local against real things: real GGUF models, real pip and a real
//! package index on 127.0.0.1, real HTTP clients, real files in temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
mod engine;
mod server;
mod store;
