//! jest and vitest.

use super::{TestCounts, counted_items, push_failing};

/// Reads jest output: the `Tests:       1 failed, 1 skipped, 2 passed, 4 total` line and the
/// `● Suite › test` headers of failing tests (not `● Test suite failed to run`). `todo` tests count as
/// skipped. Returns `None` without a `Tests:` line.
pub(super) fn jest(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(items) = line.strip_prefix("Tests:") {
            let Some(items) = counted_items(items, ",") else { continue };
            found = true;
            add_counts(&mut counts, &items);
        } else if let Some(name) = line.strip_prefix("● ")
            && name != "Test suite failed to run"
            && !name.starts_with("Console")
        {
            push_failing(&mut counts, name);
        }
    }
    found.then_some(counts)
}

/// Reads vitest output: the `Tests  1 failed | 2 passed | 1 skipped (4)` line and the
/// `FAIL  file > suite > test` lines. Returns `None` without a `Tests` line.
pub(super) fn vitest(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Tests ") {
            // The total in parentheses closes the line: `2 passed (2)`.
            let Some((items, total)) = rest.rsplit_once(" (") else { continue };
            if total.strip_suffix(')').is_none_or(|n| n.parse::<u64>().is_err()) {
                continue;
            }
            let Some(items) = counted_items(items, "|") else { continue };
            found = true;
            add_counts(&mut counts, &items);
        } else if let Some(name) = line.strip_prefix("FAIL ") {
            // Only test lines name a test with ` > `; `FAIL  file.test.js [ file.test.js ]` is a file
            // that failed to load, which the counts already reflect.
            if name.contains(" > ") {
                push_failing(&mut counts, name);
            }
        }
    }
    found.then_some(counts)
}

fn add_counts(counts: &mut TestCounts, items: &[(u64, String)]) {
    for (number, word) in items {
        match word.as_str() {
            "passed" => counts.passed += number,
            "failed" => counts.failed += number,
            "skipped" | "todo" => counts.skipped += number,
            _ => {}
        }
    }
}
