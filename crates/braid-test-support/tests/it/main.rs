//! Integration tests for braid-test-support: the scripted server driven over real HTTP on 127.0.0.1 by a
//! plain reqwest client, in all three wire formats, and the temporary git repository fixture.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod anthropic;
mod chat;
mod failures;
mod fake_agent;
mod invariant;
mod responses;
mod support;
mod temp_repo;
