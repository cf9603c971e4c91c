//! Reading a test runner's output into counts and failing test names: which runner printed it, and
//! what its summary said.

mod go;
mod js;
mod python;
mod rust;

#[cfg(test)]
mod tests;

use super::{Runner, TestCounts};

/// Recognises the test runner that printed `output` and reads its summary. ANSI colour codes are
/// stripped first.
///
/// Returns `None` when no runner's summary is found; the caller then knows only the exit code. Output
/// holding several runners' summaries (a check that runs two suites) yields the first runner found in
/// this order: nextest, cargo test, pytest, go test, jest, vitest. nextest comes before cargo test
/// because nextest repeats each failing test's libtest output, `test result:` lines included.
pub fn recognise(output: &str) -> Option<(Runner, TestCounts)> {
    let text = strip_ansi(output);
    let parsers: [(Runner, Parser); 6] = [
        (Runner::Nextest, rust::nextest),
        (Runner::CargoTest, rust::cargo_test),
        (Runner::Pytest, python::pytest),
        (Runner::GoTest, go::go_test),
        (Runner::Jest, js::jest),
        (Runner::Vitest, js::vitest),
    ];
    parsers.iter().find_map(|(runner, parse)| parse(&text).map(|counts| (*runner, counts)))
}

/// Reads one runner's output; `None` when it is not that runner's.
type Parser = fn(&str) -> Option<TestCounts>;

/// Returns `text` without ANSI escape sequences: CSI sequences (colours, cursor moves), OSC sequences
/// (hyperlinks, titles) and two-character escapes. Carriage returns are dropped too, so that progress
/// lines redrawn in place read as ordinary lines.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters and intermediates, then one final byte in `@`..=`~`.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: ends with BEL or with ESC `\`.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Reads items like `1 failed`, `2 passed` separated by `separator` into (number, word) pairs. Returns
/// `None` when any item is not a number followed by words, so that ordinary prose is not mistaken for a
/// summary.
pub(crate) fn counted_items(text: &str, separator: &str) -> Option<Vec<(u64, String)>> {
    let mut items = Vec::new();
    for item in text.split(separator) {
        let item = item.trim();
        let (number, word) = item.split_once(' ')?;
        let number: u64 = number.parse().ok()?;
        let word = word.trim();
        if word.is_empty() {
            return None;
        }
        items.push((number, word.to_string()));
    }
    if items.is_empty() { None } else { Some(items) }
}

/// Adds `name` to the failing tests unless it is already there, keeping the order of first report.
pub(crate) fn push_failing(counts: &mut TestCounts, name: &str) {
    let name = name.trim();
    if !name.is_empty() && !counts.failing.iter().any(|known| known == name) {
        counts.failing.push(name.to_string());
    }
}
