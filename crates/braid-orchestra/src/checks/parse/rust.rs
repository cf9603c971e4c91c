//! cargo test (libtest's human output) and cargo nextest.

use super::{TestCounts, counted_items, push_failing};

/// Reads libtest output: one `test result:` line per test binary, summed, and the failing tests' names
/// from `test x ... FAILED`, `---- x stdout ----` and the `failures:` list. Returns `None` without a
/// `test result:` line.
pub(super) fn cargo_test(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("test result: ") {
            // `ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s`
            let Some((_, items)) = rest.split_once(". ") else { continue };
            let items = items.split("; finished").next().unwrap_or(items);
            let Some(items) = counted_items(items, ";") else { continue };
            found = true;
            for (number, word) in items {
                match word.as_str() {
                    "passed" => counts.passed += number,
                    "failed" => counts.failed += number,
                    "ignored" => counts.skipped += number,
                    _ => {}
                }
            }
        } else if let Some(name) = line.strip_prefix("test ").and_then(|rest| rest.strip_suffix(" ... FAILED")) {
            push_failing(&mut counts, name);
        } else if let Some(name) = line.strip_prefix("---- ").and_then(|rest| rest.strip_suffix(" stdout ----")) {
            push_failing(&mut counts, name);
        } else if line == "failures:" {
            // The second `failures:` section lists the names indented by four spaces; the first one holds
            // the `---- name stdout ----` blocks, which the branch above reads.
            while lines.peek().is_some_and(|next| next.trim().is_empty()) {
                lines.next();
            }
            while let Some(name) = lines.peek().and_then(|next| next.strip_prefix("    ")) {
                push_failing(&mut counts, name);
                lines.next();
            }
        }
    }
    found.then_some(counts)
}

/// Reads nextest output: the `Summary [..] N tests run: N passed, N failed, N skipped` line and the
/// `FAIL [..]` / `TIMEOUT [..]` lines, whose names are `<binary> <test>` as nextest prints them. Timed
/// out tests count as failed. Returns `None` without a summary line.
pub(super) fn nextest(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Summary [") {
            let Some((_, items)) = rest.split_once(" run: ") else { continue };
            let Some(items) = counted_items(items, ",") else { continue };
            found = true;
            counts.passed = 0;
            counts.failed = 0;
            counts.skipped = 0;
            for (number, word) in items {
                // `2 passed (1 slow)`, `1 failed`, `1 timed out`, `1 skipped`.
                if word.starts_with("passed") {
                    counts.passed += number;
                } else if word.starts_with("failed") || word.starts_with("timed out") {
                    counts.failed += number;
                } else if word.starts_with("skipped") {
                    counts.skipped += number;
                }
            }
        } else if let Some(rest) = line.strip_prefix("FAIL [").or_else(|| line.strip_prefix("TIMEOUT [")) {
            let Some((_, name)) = rest.split_once("] ") else { continue };
            push_failing(&mut counts, strip_progress(name.trim()));
        }
    }
    found.then_some(counts)
}

/// Strips nextest's `(3/4) ` progress counter from the front of a test name.
fn strip_progress(name: &str) -> &str {
    if let Some(rest) = name.strip_prefix('(')
        && let Some((counter, after)) = rest.split_once(") ")
        && counter.chars().all(|c| c.is_ascii_digit() || c == '/')
    {
        return after.trim();
    }
    name
}
