//! pytest, in its default, `-q` and `-rf` forms.

use super::{TestCounts, counted_items, push_failing};

/// Reads pytest output: the last summary line (`=== 1 failed, 2 passed, 1 skipped in 0.12s ===`, or
/// without the `=` rule under `-q`) and the `FAILED path::test` and `ERROR path::test` lines of the
/// short test summary. Errors count as failures, `xfailed` as skipped and `xpassed` as passed. Returns
/// `None` without a summary line.
pub(super) fn pytest(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    for line in text.lines() {
        if let Some(summary) = summary(line) {
            found = true;
            counts = TestCounts { failing: std::mem::take(&mut counts.failing), ..summary };
        } else if let Some(rest) = line.strip_prefix("FAILED ").or_else(|| line.strip_prefix("ERROR ")) {
            // `FAILED test_x.py::test_y - assert 1 == 2`: the reason follows ` - `.
            let name = rest.split(" - ").next().unwrap_or(rest);
            push_failing(&mut counts, name);
        }
    }
    found.then_some(counts)
}

/// Reads one summary line, or returns `None` when `line` is not one.
fn summary(line: &str) -> Option<TestCounts> {
    let line = line.trim().trim_matches('=').trim();
    // `1 failed, 1 passed in 0.07s` or `... in 61.20s (0:01:01)`.
    let (items, duration) = line.rsplit_once(" in ")?;
    let duration = duration.split(' ').next()?;
    duration.strip_suffix('s')?.parse::<f64>().ok()?;
    if items == "no tests ran" {
        return Some(TestCounts::default());
    }
    let mut counts = TestCounts::default();
    for (number, word) in counted_items(items, ",")? {
        match word.as_str() {
            "passed" | "xpassed" => counts.passed += number,
            "failed" | "error" | "errors" => counts.failed += number,
            "skipped" | "xfailed" => counts.skipped += number,
            "warning" | "warnings" | "deselected" | "rerun" => {}
            _ => return None,
        }
    }
    Some(counts)
}
