//! The grep tool: regex search over the workspace's files, skipping what .gitignore ignores.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use braid_protocol::{ToolEffect, ToolSpec};
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::sinks::Lossy;
use grep_searcher::{BinaryDetection, SearcherBuilder};
use serde::Deserialize;
use serde_json::json;

use super::{blocking, clip_line, resolve};
use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "grep";
const DEFAULT_MAX_RESULTS: usize = 100;

/// Searches file contents for a regular expression.
#[derive(Debug, Clone, Default)]
pub struct GrepTool;

impl GrepTool {
    /// The grep tool (it has no configuration).
    pub fn new() -> Self {
        GrepTool
    }
}

#[derive(Debug, Deserialize)]
struct GrepArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    max_results: Option<usize>,
}

/// A checked search: what to look for, where, and how many matching lines to report.
struct Search {
    matcher: RegexMatcher,
    root: PathBuf,
    shown_root: String,
    glob: Option<String>,
    max_results: usize,
    /// Paths in the output are relative to this directory (the canonical cwd).
    base: PathBuf,
}

#[async_trait]
impl Tool for GrepTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.into(),
            description: "Searches files for a regular expression (Rust regex syntax) and returns matching \
                          lines as `path:line:text`, sorted by path. Files ignored by .gitignore, the .git \
                          directory and binary files are skipped."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": { "type": "string", "description": "The regular expression to search for, e.g. `fn \\w+_test`." },
                    "path": { "type": "string", "description": "A directory or file to search (default: the current directory)." },
                    "glob": { "type": "string", "description": "Only search files whose path matches this glob, e.g. `*.rs` or `src/**/*.ts`." },
                    "case_insensitive": { "type": "boolean", "description": "Ignore case when matching (default false)." },
                    "max_results": { "type": "integer", "minimum": 1, "description": format!("The most matching lines to return (default {DEFAULT_MAX_RESULTS}).") }
                },
                "required": ["pattern"],
                "additionalProperties": false
            }),
        }
    }

    fn exposure(&self, _ctx: &ToolContext, _args: &serde_json::Value) -> crate::Exposure {
        crate::Exposure::ReadOnly
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let search = match prepare(ctx, args) {
            Ok(search) => search,
            Err(result) => return result,
        };
        blocking(move || match run(&search) {
            Ok(output) => ToolResult::ok(output, ToolEffect::None),
            Err(message) => ToolResult::error(message),
        })
        .await
    }
}

/// Parses the arguments, compiles the pattern and resolves the path.
fn prepare(ctx: &ToolContext, args: serde_json::Value) -> Result<Search, ToolResult> {
    let args: GrepArgs = args::parse(NAME, args)?;
    if args.pattern.is_empty() {
        return Err(ToolResult::error("`pattern` is empty; give a regular expression to search for"));
    }
    let max_results = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
    if max_results == 0 {
        return Err(ToolResult::error("`max_results` must be at least 1"));
    }
    let matcher =
        RegexMatcherBuilder::new().case_insensitive(args.case_insensitive).build(&args.pattern).map_err(|err| {
            ToolResult::error(format!(
                "invalid regular expression `{}`: {err}; escape special characters such as ( [ {{ . * with a backslash",
                args.pattern
            ))
        })?;
    let shown_root = args.path.unwrap_or_else(|| ".".into());
    let root = resolve(ctx, &shown_root)?;
    let base = ctx.cwd.canonicalize().unwrap_or_else(|_| ctx.cwd.clone());
    Ok(Search { matcher, root, shown_root, glob: args.glob, max_results, base })
}

/// Runs the search. Returns `path:line:text` lines (or `No matches.`) with a note when capped; fails
/// when the path does not exist or the glob is invalid.
fn run(search: &Search) -> Result<String, String> {
    if !search.root.exists() {
        return Err(format!("`{}` does not exist", search.shown_root));
    }
    let files = files_to_search(search)?;
    let mut searcher = SearcherBuilder::new().line_number(true).binary_detection(BinaryDetection::quit(0)).build();
    let mut out = String::new();
    let mut found = 0usize;
    let mut capped = false;
    let mut unreadable = Vec::new();
    for (shown, path) in files {
        if capped {
            break;
        }
        let sink = Lossy(|line_number, line: &str| {
            if found == search.max_results {
                capped = true;
                return Ok(false);
            }
            found += 1;
            let text = line.trim_end_matches('\n').trim_end_matches('\r');
            let _ = writeln!(out, "{shown}:{line_number}:{}", clip_line(text));
            Ok(true)
        });
        if let Err(err) = searcher.search_path(&search.matcher, &path, sink) {
            unreadable.push(format!("{shown}: {err}"));
        }
    }
    if found == 0 {
        out.push_str("No matches.\n");
    }
    if capped {
        let _ = writeln!(
            out,
            "(showing the first {} matches; narrow the pattern, path or glob, or raise max_results)",
            search.max_results
        );
    }
    for problem in unreadable.iter().take(5) {
        let _ = writeln!(out, "(could not search {problem})");
    }
    Ok(out)
}

/// Every file under the search root that is not ignored and matches the glob, as (path shown to the
/// model, absolute path), sorted by the shown path so the output order does not depend on the walk.
fn files_to_search(search: &Search) -> Result<Vec<(String, PathBuf)>, String> {
    let mut walk = ignore::WalkBuilder::new(&search.root);
    walk.hidden(false).require_git(false).filter_entry(|entry| entry.file_name() != ".git");
    if let Some(glob) = &search.glob {
        let overrides = ignore::overrides::OverrideBuilder::new(&search.root)
            .add(glob)
            .and_then(|builder| builder.build())
            .map_err(|err| format!("invalid glob `{glob}`: {err}"))?;
        walk.overrides(overrides);
    }
    let mut files: Vec<(String, PathBuf)> = walk
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .map(|entry| {
            let path = entry.into_path();
            (relative_display(&path, &search.base), path)
        })
        .collect();
    files.sort();
    Ok(files)
}

/// `path` relative to `base` when it lies inside it, else the absolute path.
fn relative_display(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).unwrap_or(path).display().to_string()
}
