//! Where a comparison's checks come from: the plan's machine checks, else `[checks]` in
//! `.braid/config.toml`, else `[checks]` in `braid.toml`, else the repository's files.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{CheckSource, CheckSpec, ChecksError};
use crate::plan::{DEFAULT_CHECK_TIMEOUT_SECS, Plan};

/// npm's placeholder `test` script in a fresh `package.json`, which runs no tests.
const NPM_PLACEHOLDER: &str = "echo \"Error: no test specified\" && exit 1";

/// The checks to run and where they came from, looked for in this order: the plan's machine checks;
/// `[checks]` in `<repo_root>/.braid/config.toml`; `[checks]` in `<repo_root>/braid.toml`; detection
/// from the repository's files (see [`detect`]). A configuration file without a `[checks]` table, or with
/// an empty one, passes to the next source; its other tables are ignored.
///
/// Fails with `ChecksError::Config` when a configuration file is not valid TOML or a check in it is
/// malformed (the message names the line), `ChecksError::Read` when one exists but cannot be read, and
/// `ChecksError::NoChecks` when no source gives any check.
pub fn resolve(repo_root: &Path, plan: Option<&Plan>) -> Result<(CheckSource, Vec<CheckSpec>), ChecksError> {
    if let Some(machine) = plan.and_then(|plan| plan.machine.as_ref())
        && !machine.checks.is_empty()
    {
        let specs = machine
            .checks
            .iter()
            .map(|check| CheckSpec {
                name: check.name.clone(),
                command: check.command.clone(),
                timeout_secs: check.timeout_secs,
                required: check.required,
                lint: lint_by_name(&check.name),
            })
            .collect();
        return Ok((CheckSource::Plan, specs));
    }
    for (source, relative) in
        [(CheckSource::LocalConfig, ".braid/config.toml"), (CheckSource::RepoConfig, "braid.toml")]
    {
        let path = repo_root.join(relative);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(ChecksError::Read { path, source }),
        };
        let specs = parse_config(&text).map_err(|message| ChecksError::Config { path: path.clone(), message })?;
        if !specs.is_empty() {
            return Ok((source, specs));
        }
    }
    let specs = detect(repo_root)?;
    if specs.is_empty() {
        return Err(ChecksError::NoChecks { root: repo_root.to_path_buf() });
    }
    Ok((CheckSource::Detected, specs))
}

/// Whether a check is a lint check when its table does not say: its name is `lint`, `clippy` or `check`.
fn lint_by_name(name: &str) -> bool {
    matches!(name, "lint" | "clippy" | "check")
}

/// A configuration file as far as checks go: other top-level keys are someone else's.
#[derive(Deserialize)]
struct RawConfig {
    // Each name keeps its span so that the declared order can be rebuilt and errors can name lines.
    checks: Option<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
}

/// Parses the `[checks]` of a configuration file, in declared order. Fails with a message naming the
/// line and what to write instead.
pub(crate) fn parse_config(text: &str) -> Result<Vec<CheckSpec>, String> {
    let line_at = |offset: usize| 1 + text[..offset.min(text.len())].matches('\n').count();
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(1, |span| line_at(span.start));
        format!(
            "line {line}: {}; fix the TOML (checks are `name = \"command\"` lines under [checks])",
            err.message().trim_end()
        )
    })?;
    let mut entries: Vec<_> = raw.checks.unwrap_or_default().into_iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    entries
        .into_iter()
        .map(|(name, value)| {
            to_spec(name.get_ref(), value.get_ref())
                .map_err(|message| format!("line {}: {message}", line_at(name.span().start)))
        })
        .collect()
}

/// One `[checks]` entry: a command string, or a table with `command` and optionally `timeout_secs`,
/// `required` and `lint`. Fails with a message saying what to write instead.
fn to_spec(name: &str, value: &toml::Value) -> Result<CheckSpec, String> {
    let mut spec = CheckSpec {
        name: name.to_string(),
        command: String::new(),
        timeout_secs: DEFAULT_CHECK_TIMEOUT_SECS,
        required: true,
        lint: lint_by_name(name),
    };
    let example = format!("`{name} = \"make test\"` or `{name} = {{ command = \"make test\", timeout_secs = 600 }}`");
    match value {
        toml::Value::String(command) => spec.command = command.clone(),
        toml::Value::Table(table) => {
            for (key, value) in table {
                match (key.as_str(), value) {
                    ("command", toml::Value::String(command)) => spec.command = command.clone(),
                    ("timeout_secs", toml::Value::Integer(secs)) if *secs > 0 => spec.timeout_secs = *secs as u64,
                    ("required", toml::Value::Boolean(required)) => spec.required = *required,
                    ("lint", toml::Value::Boolean(lint)) => spec.lint = *lint,
                    ("command", _) => return Err(format!("check `{name}`: `command` must be a string")),
                    ("timeout_secs", _) => {
                        return Err(format!(
                            "check `{name}`: `timeout_secs` must be a whole number of seconds above 0"
                        ));
                    }
                    ("required" | "lint", _) => return Err(format!("check `{name}`: `{key}` must be true or false")),
                    (other, _) => {
                        return Err(format!(
                            "check `{name}`: unknown key `{other}`; a check table has `command`, `timeout_secs`, \
                             `required` and `lint`"
                        ));
                    }
                }
            }
            if !table.contains_key("command") {
                return Err(format!("check `{name}` has no `command`; write {example}"));
            }
        }
        _ => return Err(format!("check `{name}` must be a command string or a table; write {example}")),
    }
    if spec.command.trim().is_empty() {
        return Err(format!("check `{name}` has an empty command; write {example}"));
    }
    Ok(spec)
}

/// Detects checks from the files at `repo_root`, reading files only (no process is started). One check
/// per ecosystem found, in this order: Cargo (`Cargo.toml` → `cargo test`), Go (`go.mod` →
/// `go test ./...`), npm (`package.json` with a `test` script other than npm's placeholder →
/// `npm test`) and Python (`pyproject.toml`, `pytest.ini`, `setup.cfg`, `tox.ini`, `setup.py`, or a
/// `tests/` directory holding a `test_*.py` file → `python3 -m pytest`). The first check found is named
/// `test`, the others `go-test`, `npm-test` and `pytest`, so that a one-language repository gets the
/// usual name. An unreadable or invalid `package.json` counts as having no test script.
///
/// Returns the checks, empty when nothing was detected; fails only when a directory that exists cannot
/// be listed.
pub(crate) fn detect(repo_root: &Path) -> Result<Vec<CheckSpec>, ChecksError> {
    let has = |name: &str| repo_root.join(name).is_file();
    let found = [
        ("test", "cargo test", has("Cargo.toml")),
        ("go-test", "go test ./...", has("go.mod")),
        ("npm-test", "npm test", npm_test_script(&repo_root.join("package.json"))),
        (
            "pytest",
            "python3 -m pytest",
            ["pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "setup.py"].iter().any(|name| has(name))
                || python_tests_dir(&repo_root.join("tests"))?,
        ),
    ];
    Ok(found
        .into_iter()
        .filter(|(_, _, present)| *present)
        .enumerate()
        .map(|(index, (name, command, _))| CheckSpec {
            name: if index == 0 { "test".to_string() } else { name.to_string() },
            command: command.to_string(),
            timeout_secs: DEFAULT_CHECK_TIMEOUT_SECS,
            required: true,
            lint: false,
        })
        .collect())
}

/// Whether `path` is a `package.json` with a real `scripts.test`.
fn npm_test_script(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return false };
    json.get("scripts")
        .and_then(|scripts| scripts.get("test"))
        .and_then(|test| test.as_str())
        .is_some_and(|test| !test.trim().is_empty() && test.trim() != NPM_PLACEHOLDER)
}

/// Whether the directory `dir` holds a `test_*.py` file. A missing directory holds none.
fn python_tests_dir(dir: &Path) -> Result<bool, ChecksError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if matches!(err.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => {
            return Ok(false);
        }
        Err(source) => return Err(ChecksError::Read { path: dir.to_path_buf(), source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| ChecksError::Read { path: dir.to_path_buf(), source })?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("test_") && name.ends_with(".py") {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
