//! Integration tests of braid-report: a realistic comparison rendered and opened in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod fixture;
mod page;
