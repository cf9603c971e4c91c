//! A small reader for the header of a GGUF file: the magic, the version and the key/value metadata, which
//! is enough to tell a real model from a wrong or truncated file before it is copied into the store, and
//! to pick the chat template family from `general.architecture` and `general.name`.
//!
//! Layout (little-endian): `GGUF`, u32 version, u64 tensor count, u64 metadata count, then each key as a
//! string (u64 length + UTF-8 bytes), a u32 value type and the value. Versions 2 and 3 share this layout;
//! version 1 used 32-bit counts and is refused.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// What the header says about a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufInfo {
    /// The format version (2 or 3).
    pub version: u32,
    /// How many tensors the file declares.
    pub tensor_count: u64,
    /// How many metadata key/value pairs the header holds.
    pub metadata_count: u64,
    /// `general.architecture`, e.g. `qwen2` or `llama`.
    pub architecture: Option<String>,
    /// `general.name`, e.g. `SmolLM2 135M Instruct`.
    pub name: Option<String>,
    /// Whether the file carries `tokenizer.chat_template`.
    pub has_chat_template: bool,
}

/// Why a file is not a usable GGUF.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("`{}` is not a GGUF model: it does not start with the magic bytes `GGUF`", path.display())]
    BadMagic { path: PathBuf },
    #[error("`{}` is GGUF version {version}; braid reads versions 2 and 3 (convert it with a recent llama.cpp)", path.display())]
    UnsupportedVersion { path: PathBuf, version: u32 },
    #[error("`{}` is truncated: its GGUF header ends early ({what}); the file is incomplete, download it again", path.display())]
    Truncated { path: PathBuf, what: String },
    #[error("`{}` has a malformed GGUF header: {what}", path.display())]
    Malformed { path: PathBuf, what: String },
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// The largest string the reader accepts in the header. Real headers hold chat templates of a few
/// kilobytes; a length beyond this means the bytes are not a header at all.
const MAX_STRING: u64 = 16 * 1024 * 1024;

/// Reads the header of the GGUF file at `path`.
///
/// Returns the version, counts and the metadata braid uses. Fails when the file cannot be opened, does
/// not start with `GGUF`, has a version other than 2 or 3, or ends (or turns malformed) inside the header.
pub fn read_header(path: &Path) -> Result<GgufInfo, GgufError> {
    let file = File::open(path).map_err(|source| GgufError::Io { path: path.to_path_buf(), source })?;
    let mut reader = Reader { inner: BufReader::new(file), path };
    reader.header()
}

/// Value type codes from the GGUF specification.
mod kind {
    pub const U8: u32 = 0;
    pub const I8: u32 = 1;
    pub const U16: u32 = 2;
    pub const I16: u32 = 3;
    pub const U32: u32 = 4;
    pub const I32: u32 = 5;
    pub const F32: u32 = 6;
    pub const BOOL: u32 = 7;
    pub const STRING: u32 = 8;
    pub const ARRAY: u32 = 9;
    pub const U64: u32 = 10;
    pub const I64: u32 = 11;
    pub const F64: u32 = 12;
}

struct Reader<'a, R> {
    inner: R,
    path: &'a Path,
}

impl<R: Read> Reader<'_, R> {
    fn header(&mut self) -> Result<GgufInfo, GgufError> {
        let mut magic = [0u8; 4];
        match self.inner.read_exact(&mut magic) {
            Ok(()) if &magic == b"GGUF" => {}
            // A file shorter than the magic is simply not GGUF, whatever it is.
            Ok(()) => return Err(GgufError::BadMagic { path: self.path.to_path_buf() }),
            Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(GgufError::BadMagic { path: self.path.to_path_buf() });
            }
            Err(source) => return Err(GgufError::Io { path: self.path.to_path_buf(), source }),
        }
        let version = self.u32("the version")?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion { path: self.path.to_path_buf(), version });
        }
        let tensor_count = self.u64("the tensor count")?;
        let metadata_count = self.u64("the metadata count")?;
        let mut info = GgufInfo {
            version,
            tensor_count,
            metadata_count,
            architecture: None,
            name: None,
            has_chat_template: false,
        };
        for index in 0..metadata_count {
            let key = self.string(&format!("the key of metadata entry {index}"))?;
            let value_kind = self.u32(&format!("the type of `{key}`"))?;
            let what = format!("the value of `{key}`");
            if value_kind == kind::STRING {
                let value = self.string(&what)?;
                match key.as_str() {
                    "general.architecture" => info.architecture = Some(value),
                    "general.name" => info.name = Some(value),
                    "tokenizer.chat_template" => info.has_chat_template = true,
                    _ => {}
                }
            } else {
                self.skip_value(value_kind, &what)?;
            }
        }
        Ok(info)
    }

    /// Skips one value of type `value_kind`, arrays included (the tokenizer's vocabulary is an array of
    /// some 150,000 strings, which braid does not need).
    fn skip_value(&mut self, value_kind: u32, what: &str) -> Result<(), GgufError> {
        match value_kind {
            kind::ARRAY => {
                let element_kind = self.u32(what)?;
                let count = self.u64(what)?;
                if element_kind == kind::ARRAY {
                    return Err(self.malformed(format!("{what} is an array of arrays")));
                }
                match fixed_size(element_kind) {
                    Some(size) => {
                        let bytes = count
                            .checked_mul(size)
                            .ok_or_else(|| self.malformed(format!("{what} declares {count} elements")))?;
                        self.skip(bytes, what)
                    }
                    None => {
                        for _ in 0..count {
                            self.skip_value(element_kind, what)?;
                        }
                        Ok(())
                    }
                }
            }
            kind::STRING => {
                let len = self.string_len(what)?;
                self.skip(len, what)
            }
            other => match fixed_size(other) {
                Some(size) => self.skip(size, what),
                None => Err(self.malformed(format!("{what} has unknown value type {other}"))),
            },
        }
    }

    fn skip(&mut self, bytes: u64, what: &str) -> Result<(), GgufError> {
        let copied = io::copy(&mut (&mut self.inner).take(bytes), &mut io::sink()).map_err(|e| self.io(e))?;
        if copied < bytes {
            return Err(self.truncated(what));
        }
        Ok(())
    }

    fn string_len(&mut self, what: &str) -> Result<u64, GgufError> {
        let len = self.u64(what)?;
        if len > MAX_STRING {
            return Err(self.malformed(format!("{what} claims a string of {len} bytes")));
        }
        Ok(len)
    }

    fn string(&mut self, what: &str) -> Result<String, GgufError> {
        let len = self.string_len(what)?;
        let mut bytes = Vec::new();
        let read = (&mut self.inner).take(len).read_to_end(&mut bytes).map_err(|e| self.io(e))?;
        if (read as u64) < len {
            return Err(self.truncated(what));
        }
        String::from_utf8(bytes).map_err(|_| self.malformed(format!("{what} is not UTF-8")))
    }

    fn u32(&mut self, what: &str) -> Result<u32, GgufError> {
        let mut buf = [0u8; 4];
        self.exact(&mut buf, what)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn u64(&mut self, what: &str) -> Result<u64, GgufError> {
        let mut buf = [0u8; 8];
        self.exact(&mut buf, what)?;
        Ok(u64::from_le_bytes(buf))
    }

    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<(), GgufError> {
        self.inner
            .read_exact(buf)
            .map_err(|err| if err.kind() == io::ErrorKind::UnexpectedEof { self.truncated(what) } else { self.io(err) })
    }

    fn truncated(&self, what: &str) -> GgufError {
        GgufError::Truncated { path: self.path.to_path_buf(), what: format!("while reading {what}") }
    }

    fn malformed(&self, what: String) -> GgufError {
        GgufError::Malformed { path: self.path.to_path_buf(), what }
    }

    fn io(&self, source: io::Error) -> GgufError {
        GgufError::Io { path: self.path.to_path_buf(), source }
    }
}

/// The size in bytes of a fixed-size value type, or `None` for strings, arrays and unknown types.
fn fixed_size(value_kind: u32) -> Option<u64> {
    match value_kind {
        kind::U8 | kind::I8 | kind::BOOL => Some(1),
        kind::U16 | kind::I16 => Some(2),
        kind::U32 | kind::I32 | kind::F32 => Some(4),
        kind::U64 | kind::I64 | kind::F64 => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a header with the given string entries plus one u32, one array of strings and one array
    /// of u32, so that every skipping path is exercised.
    fn header(version: u32, strings: &[(&str, &str)]) -> Vec<u8> {
        fn string(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&(s.len() as u64).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes());
        out.extend_from_slice(&(strings.len() as u64 + 3).to_le_bytes());
        string(&mut out, "general.alignment");
        out.extend_from_slice(&kind::U32.to_le_bytes());
        out.extend_from_slice(&32u32.to_le_bytes());
        string(&mut out, "tokenizer.ggml.tokens");
        out.extend_from_slice(&kind::ARRAY.to_le_bytes());
        out.extend_from_slice(&kind::STRING.to_le_bytes());
        out.extend_from_slice(&2u64.to_le_bytes());
        string(&mut out, "<s>");
        string(&mut out, "</s>");
        string(&mut out, "tokenizer.ggml.token_type");
        out.extend_from_slice(&kind::ARRAY.to_le_bytes());
        out.extend_from_slice(&kind::I32.to_le_bytes());
        out.extend_from_slice(&2u64.to_le_bytes());
        out.extend_from_slice(&[0u8; 8]);
        for (key, value) in strings {
            string(&mut out, key);
            out.extend_from_slice(&kind::STRING.to_le_bytes());
            string(&mut out, value);
        }
        out
    }

    fn check(bytes: &[u8], expected: Result<(Option<&str>, Option<&str>, bool), &str>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        std::fs::write(&path, bytes).unwrap();
        match (read_header(&path), expected) {
            (Ok(info), Ok((arch, name, template))) => {
                assert_eq!(info.architecture.as_deref(), arch);
                assert_eq!(info.name.as_deref(), name);
                assert_eq!(info.has_chat_template, template);
            }
            (Err(err), Err(needle)) => {
                let text = err.to_string();
                assert!(text.contains(needle), "{text}");
                assert!(text.contains(&path.display().to_string()), "{text}");
            }
            (got, want) => panic!("got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn headers() {
        let full = header(
            3,
            &[("general.architecture", "qwen2"), ("general.name", "Qwen"), ("tokenizer.chat_template", "{{x}}")],
        );
        check(&full, Ok((Some("qwen2"), Some("Qwen"), true)));
        check(&header(2, &[("general.name", "SmolLM2")]), Ok((None, Some("SmolLM2"), false)));
        check(&full[..full.len() - 3], Err("is truncated"));
        check(&full[..6], Err("is truncated"));
        check(b"GG", Err("magic bytes"));
        check(b"PK\x03\x04 not a model", Err("magic bytes"));
        check(&header(1, &[]), Err("version 1"));
        let mut huge = header(3, &[]);
        huge.truncate(24);
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        check(&huge, Err("malformed"));
    }
}
