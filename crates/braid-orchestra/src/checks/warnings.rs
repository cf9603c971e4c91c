//! Warnings from compilers and linters: rustc and clippy's human output, and the one-line
//! `file:line:col: CODE message` shape of ruff, flake8, go vet and gcc; and which of an attempt's
//! warnings its base commit did not have.

use std::collections::HashMap;

use super::Warning;
use super::parse::strip_ansi;

/// Reads the warnings in `output` (ANSI colour codes are stripped first), in the order printed.
///
/// rustc and clippy: a `warning: message` or `warning[code]: message` line, then in the lines up to
/// the next blank line the first ` --> file:line:col` and the lint from `= note: `#[warn(code)]` on by
/// default` or `= note: `-W code` implied by ...`. rustc names a lint only at its first warning, so a
/// later warning without a code takes the code of an earlier one with the same message but for the
/// names it quotes. Cargo's
/// summaries (`warning: 3 warnings emitted`, `warning: `x` (lib) generated 3 warnings`) are not
/// warnings and are left out.
///
/// One-line tools: `file:line:col: CODE message` (ruff, flake8; a code is capital letters then digits),
/// `file:line:col: warning: message [-Wflag]` (gcc, clang; the flag is the code) and
/// `file:line:col: message` (go vet; no code). A leading `./` is dropped from the file. Errors and
/// notes in that shape are not warnings.
pub fn warnings(output: &str) -> Vec<Warning> {
    let text = strip_ansi(output);
    let mut found: Vec<Warning> = Vec::new();
    // The rustc warning whose detail lines are being read.
    let mut open: Option<Warning> = None;
    for line in text.lines() {
        if let Some(warning) = rustc_header(line) {
            found.extend(open.take());
            open = (!is_summary(&warning.message)).then_some(warning);
        } else if line.trim().is_empty() || line.starts_with("error") {
            found.extend(open.take());
        } else if let Some(warning) = open.as_mut() {
            read_detail(warning, line.trim());
        } else if let Some(warning) = one_line(line) {
            found.push(warning);
        }
    }
    found.extend(open);
    fill_codes(&mut found);
    found
}

/// The attempt's warnings that the base does not have. Warnings match on file, code and message, not on
/// the line (code added above a warning moves it), and as a multiset: when the base has one warning and
/// the attempt two identical ones, one is new. Returns them in the attempt's order.
pub fn new_warnings(base: &[Warning], attempt: &[Warning]) -> Vec<Warning> {
    type Key<'a> = (&'a Option<String>, &'a Option<String>, &'a str);
    let mut left: HashMap<Key<'_>, usize> = HashMap::new();
    for warning in base {
        *left.entry((&warning.file, &warning.code, warning.message.as_str())).or_default() += 1;
    }
    attempt
        .iter()
        .filter(|warning| match left.get_mut(&(&warning.file, &warning.code, warning.message.as_str())) {
            Some(count) if *count > 0 => {
                *count -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Reads `warning: message` or `warning[code]: message` at the start of a line.
fn rustc_header(line: &str) -> Option<Warning> {
    let rest = line.strip_prefix("warning")?;
    let (code, message) = if let Some(rest) = rest.strip_prefix(": ") {
        (None, rest)
    } else {
        let (code, message) = rest.strip_prefix('[')?.split_once("]: ")?;
        (Some(code.to_string()), message)
    };
    Some(Warning { file: None, line: None, code, message: message.trim().to_string() })
}

/// Whether a `warning:` line is cargo's or rustc's count of the warnings above it.
fn is_summary(message: &str) -> bool {
    let counted = |words: &str| {
        message.split_once(' ').is_some_and(|(number, rest)| number.parse::<u64>().is_ok() && rest.starts_with(words))
    };
    counted("warning emitted")
        || counted("warnings emitted")
        || message.contains(" generated ") && (message.contains(" warning") || message.contains(" warnings"))
}

/// Reads a detail line of a rustc warning: its location and its lint.
fn read_detail(warning: &mut Warning, line: &str) {
    if let Some(location) = line.strip_prefix("--> ") {
        if warning.file.is_none()
            && let Some((file, line_number, _)) = location_parts(location)
        {
            warning.file = Some(file.to_string());
            warning.line = Some(line_number);
        }
    } else if let Some(note) = line.strip_prefix("= note: ")
        && warning.code.is_none()
    {
        if let Some(rest) = note.strip_prefix("`#[warn(") {
            warning.code = rest.split_once(")]").map(|(code, _)| code.to_string());
        } else if let Some(rest) = note.strip_prefix("`-W ").or_else(|| note.strip_prefix("`-D ")) {
            warning.code = rest.split_once('`').map(|(code, _)| code.to_string());
        }
    }
}

/// Splits `file:line:col` (the column optional) into its parts. The file may not contain spaces, which
/// keeps sentences with a colon in them from reading as locations.
fn location_parts(location: &str) -> Option<(&str, u32, Option<u32>)> {
    let mut parts = location.trim().splitn(3, ':');
    let file = parts.next()?;
    let line = parts.next()?.parse().ok()?;
    let column = parts.next().and_then(|c| c.parse().ok());
    (!file.is_empty() && !file.contains(char::is_whitespace)).then_some((file, line, column))
}

/// Reads the one-line shape `file:line:col: rest`.
fn one_line(line: &str) -> Option<Warning> {
    let mut parts = line.splitn(4, ':');
    let file = parts.next()?;
    let line_number: u32 = parts.next()?.parse().ok()?;
    parts.next()?.parse::<u32>().ok()?;
    let rest = parts.next()?.trim();
    if file.is_empty() || file.contains(char::is_whitespace) || rest.is_empty() {
        return None;
    }
    let file = file.strip_prefix("./").unwrap_or(file).to_string();
    let warning = |code: Option<String>, message: &str| Warning {
        file: Some(file.clone()),
        line: Some(line_number),
        code,
        message: message.trim().to_string(),
    };
    if let Some(message) = rest.strip_prefix("warning:") {
        // gcc and clang close the line with the flag that enabled the warning: `[-Wunused-variable]`.
        let message = message.trim();
        if let Some((text, flag)) = message.rsplit_once(" [")
            && let Some(flag) = flag.strip_suffix(']')
        {
            return Some(warning(Some(flag.to_string()), text));
        }
        return Some(warning(None, message));
    }
    if rest.starts_with("error") || rest.starts_with("note:") || rest.starts_with("fatal error") {
        return None;
    }
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    if is_rule_code(first) {
        // ruff marks fixable findings with `[*]`.
        let message = after.trim_start().strip_prefix("[*]").unwrap_or(after);
        return Some(warning(Some(first.to_string()), message));
    }
    Some(warning(None, rest))
}

/// Whether `word` looks like a linter rule: capital letters then digits (`E501`, `F401`, `SIM102`).
fn is_rule_code(word: &str) -> bool {
    let letters = word.chars().take_while(char::is_ascii_uppercase).count();
    let digits = &word[letters..];
    letters > 0 && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Gives each warning without a code the code of an earlier warning with the same message shape: the
/// message with its quoted parts left out, since rustc's messages differ in the names they quote
/// (``unused variable: `a` `` and ``unused variable: `b` `` are one lint).
fn fill_codes(found: &mut [Warning]) {
    let shape = |message: &str| -> String { message.split('`').step_by(2).collect::<Vec<_>>().join("``") };
    let mut known: HashMap<String, String> = HashMap::new();
    for warning in found.iter_mut() {
        match &warning.code {
            Some(code) => {
                known.entry(shape(&warning.message)).or_insert_with(|| code.clone());
            }
            None => warning.code = known.get(&shape(&warning.message)).cloned(),
        }
    }
}

#[cfg(test)]
mod tests;
