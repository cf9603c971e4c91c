//! Integration tests of the GitHub client against the fake GitHub of braid-test-support, whose branches
//! live in a real bare repository on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client;
