//! Integration tests of braid-orchestra: plan execution against the scripted model server, in real
//! temporary git repositories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod execute;
