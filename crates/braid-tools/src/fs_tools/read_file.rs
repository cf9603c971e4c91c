//! The read_file tool: a numbered range of a text file's lines, paged so one call stays small.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use async_trait::async_trait;
use braid_protocol::ToolSpec;
use serde::Deserialize;
use serde_json::json;

use super::{blocking, clip_line, resolve};
use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "read_file";
const DEFAULT_LIMIT: usize = 2000;
/// A call returns at most about this many bytes, then says how to get the rest.
const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// A NUL byte in this many leading bytes marks a file as binary (the heuristic git and grep use).
const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Reads lines of a text file, numbered unless built with `plain`, from a 1-based offset.
#[derive(Debug, Clone)]
pub struct ReadFileTool {
    numbered: bool,
}

impl Default for ReadFileTool {
    fn default() -> Self {
        ReadFileTool::new()
    }
}

impl ReadFileTool {
    /// The read_file tool, with line numbers.
    pub fn new() -> Self {
        ReadFileTool { numbered: true }
    }

    /// The read_file tool without line numbers. Small models copy the numbers into their patches,
    /// so the embedded model gets the lines exactly as they are in the file.
    pub fn plain() -> Self {
        ReadFileTool { numbered: false }
    }
}

#[derive(Debug, Deserialize)]
struct ReadArgs {
    path: String,
    #[serde(default)]
    offset: Option<usize>,
    #[serde(default)]
    limit: Option<usize>,
}

#[async_trait]
impl Tool for ReadFileTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: format!(
                "{} Use offset and limit to page through long files; a call returns at most {DEFAULT_LIMIT} \
                 lines or about {} KiB, and says where to continue.",
                if self.numbered {
                    "Reads a text file and returns its lines numbered from 1, as `<line number>\\t<text>`."
                } else {
                    "Reads a text file and returns its lines exactly as they are."
                },
                MAX_OUTPUT_BYTES / 1024
            ),
            parameters: json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string", "description": "The file to read, relative to the current directory or absolute." },
                    "offset": { "type": "integer", "minimum": 1, "description": "The first line to show (1-based; default 1)." },
                    "limit": { "type": "integer", "minimum": 1, "description": format!("How many lines to show at most (default {DEFAULT_LIMIT}).") }
                },
                "required": ["path"],
                "additionalProperties": false
            }),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::ReadOnly
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let args: ReadArgs = match args::parse(NAME, args) {
            Ok(args) => args,
            Err(result) => return result,
        };
        let offset = args.offset.unwrap_or(1);
        let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
        if offset == 0 {
            return ToolResult::error("`offset` is 1-based: the first line is offset 1");
        }
        if limit == 0 {
            return ToolResult::error("`limit` must be at least 1");
        }
        let path = match resolve(ctx, &args.path) {
            Ok(path) => path,
            Err(result) => return result,
        };
        let shown = args.path;
        let numbered = self.numbered;
        let max_bytes = ctx.output_cap(MAX_OUTPUT_BYTES);
        blocking(move || match read_lines(&path, &shown, offset, limit, numbered, max_bytes) {
            Ok(text) => ToolResult::ok(text, braid_protocol::ToolEffect::None),
            Err(message) => ToolResult::error(message),
        })
        .await
    }
}

/// Reads lines `offset..offset+limit` of the file at `path` (named `shown` in messages), numbered, in at
/// most `max_bytes` of output.
///
/// Returns the numbered lines with a paging note when not all of the file is shown. Fails with a message
/// for the model when the file is missing, a directory, binary, unreadable, or shorter than `offset`.
fn read_lines(
    path: &Path,
    shown: &str,
    offset: usize,
    limit: usize,
    numbered: bool,
    max_bytes: usize,
) -> Result<String, String> {
    let io_message = |err: io::Error| match err.kind() {
        io::ErrorKind::NotFound => format!("`{shown}` does not exist"),
        _ => format!("cannot read `{shown}`: {err}"),
    };
    let meta = std::fs::metadata(path).map_err(io_message)?;
    if meta.is_dir() {
        return Err(format!("`{shown}` is a directory, not a file; use list_dir to see what it holds"));
    }
    let mut reader = BufReader::new(File::open(path).map_err(io_message)?);
    let mut sniff = Vec::with_capacity(BINARY_SNIFF_BYTES);
    (&mut reader).take(BINARY_SNIFF_BYTES as u64).read_to_end(&mut sniff).map_err(io_message)?;
    if sniff.contains(&0) {
        return Err(format!("`{shown}` is a binary file ({} bytes); read_file only shows text", meta.len()));
    }
    let mut reader = BufReader::new(sniff.as_slice().chain(reader));

    let mut out = String::new();
    let mut line = Vec::new();
    let mut total = 0usize;
    // The last line shown, once any is; set when output stops early because of the byte cap.
    let mut last_shown = None;
    let mut capped = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io_message)? == 0 {
            break;
        }
        total += 1;
        let wanted = total >= offset && total - offset < limit;
        if !wanted || capped {
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\n').trim_end_matches('\r');
        let shown_line =
            if numbered { format!("{total:>6}\t{}\n", clip_line(text)) } else { format!("{}\n", clip_line(text)) };
        if out.len() + shown_line.len() > max_bytes && last_shown.is_some() {
            capped = true;
            continue;
        }
        out.push_str(&shown_line);
        last_shown = Some(total);
    }

    if total == 0 {
        return Ok(format!("(`{shown}` is empty)"));
    }
    let Some(last) = last_shown else {
        return Err(format!(
            "offset {offset} is beyond the end of `{shown}`, which has {total} lines; use an offset from 1 to {total}"
        ));
    };
    if last < total {
        out.push_str(&format!("(showing lines {offset}-{last} of {total}; call again with offset={})\n", last + 1));
    } else if offset > 1 {
        out.push_str(&format!("(showing lines {offset}-{last} of {total}; this is the end of the file)\n"));
    }
    Ok(out)
}
