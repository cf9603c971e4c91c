//! Writes minimal GGUF files for tests of code that reads GGUF headers: the magic, version 3, no
//! tensors, and the metadata entries asked for.

/// A GGUF header with the given string and u32 metadata entries (strings first, in order) and no
/// tensors: a valid file for header readers, not a model anything could load.
pub fn gguf_header(strings: &[(&str, &str)], u32s: &[(&str, u32)]) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    // Value type codes from the GGUF specification.
    const TYPE_U32: u32 = 4;
    const TYPE_STRING: u32 = 8;
    let mut out = b"GGUF".to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&((strings.len() + u32s.len()) as u64).to_le_bytes());
    for (key, value) in strings {
        string(&mut out, key);
        out.extend_from_slice(&TYPE_STRING.to_le_bytes());
        string(&mut out, value);
    }
    for (key, value) in u32s {
        string(&mut out, key);
        out.extend_from_slice(&TYPE_U32.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}
