//! go test, verbose (`-v`) or not.

use super::{TestCounts, push_failing};

/// Reads go test output. Tests are counted from the `--- PASS:`, `--- FAIL:` and `--- SKIP:` lines
/// (subtests, indented, count as tests of their own). Without `-v` go prints no line for a passing
/// test, so a package reported `ok` with no `--- PASS:` line of its own counts as one passed test; a
/// package reported `FAIL` with no `--- FAIL:` line (it did not build, or its test binary crashed)
/// counts as one failed test named after the package. Returns `None` when there is neither kind of
/// line.
pub(super) fn go_test(text: &str) -> Option<TestCounts> {
    let mut counts = TestCounts::default();
    let mut found = false;
    // What the lines since the last package line reported: the tests of the package that ends next.
    let (mut passed_here, mut failed_here) = (0u64, 0u64);
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("--- ") {
            let Some((verdict, rest)) = rest.split_once(": ") else { continue };
            // `TestX (0.00s)`: the name is the first word.
            let name = rest.split(' ').next().unwrap_or(rest);
            match verdict {
                "PASS" => {
                    counts.passed += 1;
                    passed_here += 1;
                }
                "FAIL" => {
                    counts.failed += 1;
                    failed_here += 1;
                    push_failing(&mut counts, name);
                }
                "SKIP" => counts.skipped += 1,
                _ => continue,
            }
            found = true;
        } else if package_line(line, "ok").is_some() {
            found = true;
            if passed_here == 0 && failed_here == 0 {
                counts.passed += 1;
            }
            (passed_here, failed_here) = (0, 0);
        } else if let Some(package) = package_line(line, "FAIL") {
            found = true;
            if failed_here == 0 {
                counts.failed += 1;
                push_failing(&mut counts, package);
            }
            (passed_here, failed_here) = (0, 0);
        }
    }
    found.then_some(counts)
}

/// Reads `ok  \texample.com/m\t0.01s` or `FAIL\texample.com/m\t0.01s` (also `(cached)`,
/// `[build failed]`, `[no tests to run]` in place of the time) and returns the package path.
fn package_line<'a>(line: &'a str, verdict: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(verdict)?;
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let mut fields = rest.split_whitespace();
    let package = fields.next()?;
    let detail = fields.next()?;
    let time_like = detail.strip_suffix('s').is_some_and(|n| n.parse::<f64>().is_ok());
    (time_like || detail.starts_with('(') || detail.starts_with('[')).then_some(package)
}
