//! Integration tests for braid-git against the real git CLI in temporary repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod archive;
mod create;
mod diff;
mod discover;
mod merge;
mod remote;
mod scratch;
mod support;
mod untouched;
