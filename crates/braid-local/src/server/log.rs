//! The request log of `braid model serve --request-log FILE`: one JSON line per finished generation,
//! so a benchmark can count the tokens and seconds an external agent spent on the served model.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::engine::{FinishReason, GenerationStats};

/// Why the request log cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RequestLogError {
    #[error("cannot open the request log {path} for appending; check that its directory exists and is writable")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A file that gets one line per finished generation, appended and flushed as it happens:
/// `{"ts_ms", "endpoint", "model", "prompt_tokens", "cached_tokens", "completion_tokens",
/// "prompt_seconds", "decode_seconds", "finish"}`.
#[derive(Debug)]
pub struct RequestLog {
    path: PathBuf,
    file: Mutex<File>,
}

impl RequestLog {
    /// Opens `path` for appending, creating it when missing. Fails when the file cannot be opened
    /// (a missing directory, no permission), naming the path.
    pub fn open(path: &Path) -> Result<RequestLog, RequestLogError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RequestLogError::Open { path: path.to_path_buf(), source })?;
        Ok(RequestLog { path: path.to_path_buf(), file: Mutex::new(file) })
    }

    /// The file the log appends to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the line for one finished generation of `endpoint` (for example `/v1/responses`).
    /// A failed write is reported through `tracing` and otherwise ignored: losing a log line must
    /// not fail the request it describes.
    pub(crate) fn record(&self, endpoint: &str, model: &str, stats: &GenerationStats) {
        let ts_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let finish = match stats.finish {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
        };
        let line = json!({
            "ts_ms": ts_ms as u64,
            "endpoint": endpoint,
            "model": model,
            "prompt_tokens": stats.prompt_tokens,
            "cached_tokens": stats.cached_tokens,
            "completion_tokens": stats.completion_tokens,
            "prompt_seconds": stats.prompt_seconds,
            "decode_seconds": stats.decode_seconds,
            "finish": finish,
        });
        // One write per line, so lines from concurrent requests never interleave even if another
        // process appends to the same file.
        let bytes = format!("{line}\n");
        let result = match self.file.lock() {
            Ok(mut file) => file.write_all(bytes.as_bytes()).and_then(|()| file.flush()),
            Err(_) => Ok(()),
        };
        if let Err(err) = result {
            tracing::warn!(path = %self.path.display(), "cannot append to the request log: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_appended_and_a_bad_path_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requests.jsonl");
        std::fs::write(&path, "{\"earlier\": true}\n").unwrap();
        let log = RequestLog::open(&path).unwrap();
        let stats = GenerationStats {
            prompt_tokens: 10,
            cached_tokens: 4,
            completion_tokens: 3,
            finish: FinishReason::Length,
            prompt_seconds: 0.5,
            decode_seconds: 0.25,
        };
        log.record("/v1/responses", "m", &stats);
        log.record("/v1/chat/completions", "m", &stats);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["endpoint"], "/v1/responses");
        assert_eq!(lines[1]["cached_tokens"], 4);
        assert_eq!(lines[1]["finish"], "length");
        assert_eq!(lines[2]["endpoint"], "/v1/chat/completions");
        assert!(lines[2]["ts_ms"].as_u64().unwrap() > 0);

        let missing = dir.path().join("no/such/dir/log.jsonl");
        let err = RequestLog::open(&missing).unwrap_err().to_string();
        assert!(err.contains(&missing.display().to_string()), "{err}");
    }
}
