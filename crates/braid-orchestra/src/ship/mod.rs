//! Shipping a picked attempt: turning it into a pull request (and, elsewhere, merging it).

pub mod pr;
