//! The machine-readable part of a plan: the TOML inside the `toml plan` block, turned into a [`Machine`]
//! with the file line of every glob and check, so that the checker can point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{Check, DEFAULT_CHECK_TIMEOUT_SECS, Diagnostic, Machine};

/// The block as written. Globs and checks keep their spans so findings can name their lines.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMachine {
    scope: Option<Spanned<Vec<Spanned<String>>>>,
    forbidden: Option<Spanned<Vec<Spanned<String>>>>,
    // A BTreeMap loses the declared order, so each key keeps its span and the order is rebuilt from it.
    checks: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
    approaches: Option<Vec<String>>,
}

/// The file lines of the parts of a machine-readable block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MachineLines {
    /// The line of each `scope` glob, in order.
    pub scope: Vec<usize>,
    /// The line of each `forbidden` glob, in order.
    pub forbidden: Vec<usize>,
    /// The line of each check's name, in the order of `Machine::checks`.
    pub checks: Vec<usize>,
    /// The line of `scope`, or of the block's fence when there is none.
    pub scope_line: usize,
    /// The line of `checks`, or of the block's fence when there is none.
    pub checks_line: usize,
}

/// Parses the TOML `toml_text` of a block whose fence is at `block_line` and whose content starts at file
/// line `content_line`. Returns the machine when the TOML parsed (leaving out checks that are malformed),
/// and a `machine-toml` error for every problem, at its line in the plan file.
pub(crate) fn parse(
    toml_text: &str,
    block_line: usize,
    content_line: usize,
) -> (Option<(Machine, MachineLines)>, Vec<Diagnostic>) {
    let line_at = |offset: usize| content_line + toml_text[..offset.min(toml_text.len())].matches('\n').count();
    let raw: RawMachine = match toml::from_str(toml_text) {
        Ok(raw) => raw,
        Err(err) => {
            let line = err.span().map_or(block_line, |span| line_at(span.start));
            let message = err.message().trim_end().to_string();
            return (
                None,
                vec![Diagnostic::error(
                    line,
                    "machine-toml",
                    format!(
                        "the `toml plan` block is not valid TOML for a plan: {message}; fix it (see docs/plan-format.md)"
                    ),
                )],
            );
        }
    };

    let mut diagnostics = Vec::new();
    let mut lines = MachineLines { scope_line: block_line, checks_line: block_line, ..MachineLines::default() };
    let globs = |list: Option<Spanned<Vec<Spanned<String>>>>, at: &mut Vec<usize>| -> (Vec<String>, Option<usize>) {
        let Some(list) = list else { return (Vec::new(), None) };
        let list_line = line_at(list.span().start);
        let globs = list
            .into_inner()
            .into_iter()
            .map(|glob| {
                at.push(line_at(glob.span().start));
                glob.into_inner()
            })
            .collect();
        (globs, Some(list_line))
    };
    let (scope, scope_line) = globs(raw.scope, &mut lines.scope);
    let (forbidden, _) = globs(raw.forbidden, &mut lines.forbidden);
    lines.scope_line = scope_line.unwrap_or(block_line);

    let mut checks = Vec::new();
    if let Some(table) = raw.checks {
        lines.checks_line = line_at(table.span().start);
        let mut entries: Vec<_> = table.into_inner().into_iter().collect();
        entries.sort_by_key(|(name, _)| name.span().start);
        for (name, value) in entries {
            let line = line_at(name.span().start);
            match to_check(name.get_ref(), value.get_ref()) {
                Ok(check) => {
                    checks.push(check);
                    lines.checks.push(line);
                }
                Err(message) => diagnostics.push(Diagnostic::error(line, "machine-toml", message)),
            }
        }
    }
    let machine =
        Machine { line: block_line, scope, forbidden, checks, approaches: raw.approaches.unwrap_or_default() };
    (Some((machine, lines)), diagnostics)
}

/// One `checks` entry: a command string, or a table with `command` and optionally `timeout_secs` and
/// `required`. Fails with a message saying what to write instead.
fn to_check(name: &str, value: &toml::Value) -> Result<Check, String> {
    let mut check = Check {
        name: name.to_string(),
        command: String::new(),
        timeout_secs: DEFAULT_CHECK_TIMEOUT_SECS,
        required: true,
    };
    match value {
        toml::Value::String(command) => check.command = command.clone(),
        toml::Value::Table(table) => {
            for (key, value) in table {
                match (key.as_str(), value) {
                    ("command", toml::Value::String(command)) => check.command = command.clone(),
                    ("timeout_secs", toml::Value::Integer(secs)) if *secs > 0 => check.timeout_secs = *secs as u64,
                    ("required", toml::Value::Boolean(required)) => check.required = *required,
                    ("command", _) => return Err(format!("check `{name}`: `command` must be a string")),
                    ("timeout_secs", _) => {
                        return Err(format!(
                            "check `{name}`: `timeout_secs` must be a whole number of seconds above 0"
                        ));
                    }
                    ("required", _) => return Err(format!("check `{name}`: `required` must be true or false")),
                    (other, _) => {
                        return Err(format!(
                            "check `{name}`: unknown key `{other}`; a check table has `command`, `timeout_secs` and \
                             `required`"
                        ));
                    }
                }
            }
            if !table.contains_key("command") {
                return Err(format!("check `{name}` has no `command`; write `{name} = {{ command = \"...\" }}`"));
            }
        }
        _ => {
            return Err(format!(
                "check `{name}` must be a command string or a table like `{{ command = \"...\", timeout_secs = 600 }}`"
            ));
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(found: &[Diagnostic]) -> Vec<(usize, &'static str)> {
        found.iter().map(|d| (d.line, d.code)).collect()
    }

    #[test]
    fn checks_keep_their_declared_order_and_lines() {
        let toml = "scope = [\n  \"src/**\",\n  \"tests/*.rs\",\n]\n[checks]\nzeta = \"cargo test\"\nalpha = { command = \"make\", timeout_secs = 5, required = false }\n";
        let (parsed, found) = parse(toml, 10, 11);
        assert_eq!(found, []);
        let (machine, lines) = parsed.unwrap();
        let names: Vec<_> = machine.checks.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
        assert_eq!(machine.checks[0].timeout_secs, DEFAULT_CHECK_TIMEOUT_SECS);
        assert_eq!((machine.checks[1].timeout_secs, machine.checks[1].required), (5, false));
        assert_eq!(lines.scope, [12, 13]);
        assert_eq!(lines.scope_line, 11);
        assert_eq!(lines.checks, [16, 17]);
        assert_eq!(machine.line, 10);
    }

    #[test]
    fn toml_errors_are_reported_at_their_file_line() {
        let (parsed, found) = parse("scope = [\"a\"]\nscopes = []\n", 3, 4);
        assert!(parsed.is_none());
        assert_eq!(codes(&found), [(5, "machine-toml")]);
        assert!(found[0].message.contains("scopes"), "{}", found[0].message);
        let (_, found) = parse("scope = [\"a\"\n\n", 3, 4);
        assert_eq!(found[0].code, "machine-toml");
        let (_, found) = parse("scope = \"src\"\n", 1, 2);
        assert_eq!(codes(&found), [(2, "machine-toml")]);
    }

    #[test]
    fn malformed_checks_are_left_out_and_named() {
        let toml = "[checks]\na = 3\nb = { cmd = \"x\" }\nc = { command = \"x\", timeout_secs = 0 }\nd = { timeout_secs = 5 }\ne = \"ok\"\n";
        let (parsed, found) = parse(toml, 1, 2);
        let (machine, lines) = parsed.unwrap();
        assert_eq!(machine.checks.len(), 1);
        assert_eq!(lines.checks, [7]);
        assert_eq!(codes(&found), [(3, "machine-toml"), (4, "machine-toml"), (5, "machine-toml"), (6, "machine-toml")]);
        assert!(found[1].message.contains("unknown key `cmd`"), "{}", found[1].message);
        assert!(found[3].message.contains("has no `command`"), "{}", found[3].message);
    }
}
