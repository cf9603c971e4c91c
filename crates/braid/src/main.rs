//! The `braid` binary: parses the command line and wires the library crates together. No behaviour lives
//! here that a library crate could own.

fn main() {}
