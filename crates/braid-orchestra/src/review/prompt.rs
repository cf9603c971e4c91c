//! What the reviewer is told: how to review, the change as a diff whose lines carry their new-side
//! numbers (models are poor at counting lines from hunk headers, and findings must name real lines), the
//! plan and the checks' results when there are any.

use std::fmt::Write as _;

use super::Change;
use super::hunks::{DiffLine, DiffLines};
use super::tools::{RUN_TEST, SUBMIT_REVIEW};

/// How much of the diff goes into the prompt; the reviewer reads the rest of a large change with its tools.
const MAX_DIFF_BYTES: usize = 60_000;
/// How much of the plan goes into the prompt.
const MAX_PLAN_BYTES: usize = 8_000;

/// The first message of a review.
pub(crate) fn review_prompt(change: &Change, focus: Option<&str>, with_tests: bool) -> String {
    let mut prompt = format!(
        "Review {target}: {files} file(s), +{added} -{removed} lines. The code as it is after the change is in \
the current directory; read any file you need with your tools (nothing you run can change files).\n\n\
Report only discrete, provable problems that this change introduces: a bug, a crash, data loss, a security \
hole, a broken contract or a clear performance regression, each with the input or situation that goes wrong. \
Do not report style, naming, missing comments, speculative issues, or problems that existed before the \
change. A correct change gets no findings: that is a good review. Each finding names the file and the lines \
in the file after the change (the numbers on the diff lines below), its priority (0 must fix before merging, \
1 should fix, 2 a real bug in a rare case, 3 minor) and your confidence from 0 to 1.\n",
        target = change.target,
        files = change.diff.files.len(),
        added = change.diff.insertions,
        removed = change.diff.deletions,
    );
    if with_tests {
        let _ = write!(
            prompt,
            "\nWhen a finding claims a behaviour a small test can show, you may write and run that test with \
`{RUN_TEST}` (in a scratch copy of this code) and give its id in the finding.\n"
        );
    }
    if let Some(focus) = focus.map(str::trim).filter(|f| !f.is_empty()) {
        let _ = write!(prompt, "\nThe user asks you to pay most attention to: {focus}\n");
    }
    if let Some(plan) = &change.plan {
        let _ = write!(
            prompt,
            "\nThe change carries out this plan; a change that misses what the plan requires is a finding:\n<plan>\n{}\n</plan>\n",
            braid_core::context::cut_at_char_boundary(plan, MAX_PLAN_BYTES)
        );
    }
    if !change.checks.is_empty() {
        prompt.push_str("\nbraid ran these checks on the change:\n");
        for check in &change.checks {
            let verdict = if check.passed { "passed".to_string() } else { failure(check) };
            let _ = writeln!(prompt, "- `{}` (`{}`): {verdict}", check.name, check.command);
        }
    }
    let _ = write!(
        prompt,
        "\nThe change, each line with its number in the file after the change (`-` lines are removed and have none):\n\n{}\n\
When you are done, call `{SUBMIT_REVIEW}` once with the findings (empty when there are none), the verdict \
(`incorrect` when a finding should block the change) and a short explanation.",
        annotated_diff(&change.diff.patch, MAX_DIFF_BYTES)
    );
    prompt
}

fn failure(check: &crate::checks::CheckOutcome) -> String {
    let mut text = match (check.exit_code, check.timed_out) {
        (_, true) => "timed out".to_string(),
        (Some(code), _) => format!("failed with exit code {code}"),
        (None, _) => "was killed".to_string(),
    };
    if let Some(tests) = &check.tests
        && !tests.failing.is_empty()
    {
        let _ = write!(text, "; failing tests: {}", tests.failing.join(", "));
    }
    text
}

/// `patch` with each context and added line prefixed by its new-side number, cut at `limit` bytes.
pub(crate) fn annotated_diff(patch: &str, limit: usize) -> String {
    let mut out = String::new();
    for line in DiffLines::new(patch) {
        if out.len() > limit {
            out.push_str("[... the rest of the diff is left out: read the changed files with your tools ...]\n");
            break;
        }
        let _ = match line {
            DiffLine::Added { text, new } | DiffLine::Context { text, new } => writeln!(out, "{new:>5} {text}"),
            DiffLine::Removed { text, .. } => writeln!(out, "      {text}"),
            DiffLine::Hunk { text, .. } => writeln!(out, "{text}"),
            DiffLine::Meta(text) if text.starts_with("index ") || text.starts_with("GIT binary patch") => continue,
            DiffLine::Meta(text) => {
                if text.starts_with("diff --git ") && !out.is_empty() {
                    out.push('\n');
                }
                writeln!(out, "{text}")
            }
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_lines_carry_their_new_numbers() {
        let patch = "diff --git a/a.py b/a.py\nindex 1..2 100644\n--- a/a.py\n+++ b/a.py\n@@ -9,3 +9,3 @@ def f():\n     x = 1\n-    y = 2\n+    y = 3\n     return x\n";
        insta::assert_snapshot!(annotated_diff(patch, 10_000), @r"
        diff --git a/a.py b/a.py
        --- a/a.py
        +++ b/a.py
        @@ -9,3 +9,3 @@ def f():
            9      x = 1
              -    y = 2
           10 +    y = 3
           11      return x
        ");
    }

    #[test]
    fn a_long_diff_is_cut_with_a_note() {
        let body: String = (0..100).map(|i| format!("+line {i}\n")).collect();
        let patch = format!("diff --git a/a b/a\n--- /dev/null\n+++ b/a\n@@ -0,0 +1,100 @@\n{body}");
        let text = annotated_diff(&patch, 200);
        assert!(text.len() < 400, "{text}");
        assert!(text.ends_with("read the changed files with your tools ...]\n"), "{text}");
    }
}
