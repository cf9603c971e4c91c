//! Embedded llama.cpp inference for braid.
