//! End-to-end tests of the `braid` binary: real processes against the scripted model server, in real
//! temporary git repositories, with the JSONL stream and the recorded requests asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod approvals;
mod bad_input;
mod compare;
mod environment;
mod exec_e2e;
mod harness;
mod init;
mod long_session;
mod mcp;
mod mcp_server;
mod model_cli;
mod pick;
mod pick_pr;
mod plan_check;
mod plan_e2e;
mod review;
mod run;
mod run_plan;
mod sandbox;
mod skills;
mod tui;
