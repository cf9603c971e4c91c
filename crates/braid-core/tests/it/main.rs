//! Integration tests of the agent session against the scripted model server, over real HTTP, with real
//! tools in real temporary repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod approvals;
mod compaction;
mod harness;
mod resume;
mod skills;
mod turn_loop;
