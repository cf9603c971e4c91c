//! Embedded llama.cpp inference for braid.
pub mod store;
