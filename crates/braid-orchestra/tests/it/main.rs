//! Integration tests of braid-orchestra: plan files checked against a fixture repository, and plan
//! execution against the scripted model server in real temporary git repositories, and the run store on
//! real SQLite files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod execute;
mod plan_check;
mod store;
