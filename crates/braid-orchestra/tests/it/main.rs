//! Integration tests of braid-orchestra: plan files checked against a fixture repository, and plan
//! execution against the scripted model server in real temporary git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod execute;
mod plan_check;
mod warm;
