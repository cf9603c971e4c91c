//! Integration tests of braid-orchestra: plan files checked against a fixture repository, and plan
//! execution against the scripted model server in real temporary git repositories, the run store on real
//! SQLite files, external agent backends against the fake agent CLI, and whole runs in real repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod execute;
mod plan_check;
mod ship;
mod store;
mod warm;
