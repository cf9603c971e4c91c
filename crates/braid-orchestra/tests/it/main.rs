//! Integration tests of braid-orchestra: plan files checked against a fixture repository, and plan
//! execution against the scripted model server in real temporary git repositories, and external agent
//! backends against the fake agent CLI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod execute;
mod plan_check;
