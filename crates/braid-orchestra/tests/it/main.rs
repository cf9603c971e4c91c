//! Integration tests of braid-orchestra: plan files checked against a fixture repository.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod plan_check;
