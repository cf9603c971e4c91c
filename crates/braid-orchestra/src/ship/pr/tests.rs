//! Tests of the pull request's text and of placing findings on diff lines.

use std::path::PathBuf;

use super::*;
use crate::checks::TestCounts;
use crate::review::{Priority, ReviewTarget, Verdict};

const PATCH: &str = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,3 +1,4 @@
 fn a() {}
+fn b() {}
 fn c() {}
 fn d() {}
@@ -20,2 +21,3 @@ fn e() {
 x
+y
 z
diff --git a/gone.rs b/gone.rs
deleted file mode 100644
--- a/gone.rs
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
diff --git a/img.png b/img.png
Binary files a/img.png and b/img.png differ
";

fn finding(file: &str, start: u32, end: u32, title: &str) -> Finding {
    Finding {
        title: title.to_string(),
        body: format!("Body of {title}."),
        priority: Priority::P1,
        confidence: 0.9,
        file: file.to_string(),
        start_line: start,
        end_line: end,
        test: None,
    }
}

#[test]
fn hunks_are_the_new_side_ranges_by_file() {
    let map = hunks(PATCH);
    assert_eq!(map.get("src/lib.rs"), Some(&vec![1..=4, 21..=23]));
    assert_eq!(map.get("new.txt"), Some(&vec![1..=1]));
    assert_eq!(map.get("gone.rs"), None);
    assert_eq!(map.get("img.png"), None);
}

#[test]
fn a_finding_is_placed_only_when_its_lines_are_inside_one_hunk() {
    let map = hunks(PATCH);
    let check = |file: &str, start: u32, end: u32, placed: bool| {
        let findings = [finding(file, start, end, "f")];
        let (on, off) = place_findings(&findings, &map);
        assert_eq!((on.len(), off.len()), if placed { (1, 0) } else { (0, 1) }, "{file}:{start}-{end}");
    };
    check("src/lib.rs", 2, 2, true);
    check("src/lib.rs", 1, 4, true);
    check("src/lib.rs", 4, 2, true);
    check("src/lib.rs", 21, 23, true);
    check("src/lib.rs", 5, 5, false);
    check("src/lib.rs", 3, 21, false);
    check("src/lib.rs", 23, 24, false);
    check("src/lib.rs", 0, 0, false);
    check("new.txt", 1, 1, true);
    check("gone.rs", 1, 1, false);
    check("other.rs", 1, 1, false);
}

fn review(findings: Vec<Finding>) -> Review {
    Review {
        target: ReviewTarget::Attempt { run: "r1".into(), n: 2 },
        base_commit: "base".into(),
        head_commit: Some("head".into()),
        files: vec!["src/lib.rs".into()],
        verdict: Verdict::Incorrect,
        explanation: "b() is called before it is defined.".into(),
        confidence: 0.8,
        findings,
        dropped: Vec::new(),
        model: "test-model".into(),
    }
}

fn outcome(name: &str, passed: bool, tests: Option<TestCounts>) -> CheckOutcome {
    CheckOutcome {
        name: name.into(),
        command: format!("run {name}"),
        required: true,
        passed,
        exit_code: Some(if passed { 0 } else { 1 }),
        timed_out: false,
        seconds: 1.25,
        log: PathBuf::from("log"),
        runner: None,
        tests,
        warnings: Vec::new(),
    }
}

#[test]
fn the_draft_of_a_plan_run_with_checks_and_a_review() {
    let plan =
        PlanSummary::from_text("# Add b\n\n## Purpose / Big Picture\n\nCallers need `b`.\n\n## Progress\n\n- [ ] x\n");
    assert_eq!(plan, PlanSummary { title: Some("Add b".into()), purpose: Some("Callers need `b`.".into()) });
    let counts = TestCounts { passed: 3, failed: 1, skipped: 0, failing: vec!["t".into()] };
    let checks = [outcome("test", false, Some(counts)), outcome("lint", true, None)];
    let review = review(vec![finding("src/lib.rs", 2, 2, "On the diff"), finding("src/lib.rs", 9, 10, "Elsewhere")]);
    let draft = draft(&PrInput {
        run_id: "r1",
        n: 2,
        task: "",
        plan: Some(&plan),
        checks: &checks,
        review: Some(&review),
        patch: PATCH,
    });
    assert_eq!(draft.title, "Add b");
    assert_eq!(
        draft.comments,
        vec![PlacedComment {
            path: "src/lib.rs".into(),
            start_line: 2,
            end_line: 2,
            body: "**P1** On the diff\n\nBody of On the diff.\n\n_Confidence 90%._".into()
        }]
    );
    let expected = "\
## Summary

Callers need `b`.

Made by braid: attempt 2 of run `r1`.

## Checks

| Check | Result | Tests | Time |
|---|---|---|---|
| `test` | ❌ failed (exit 1) | 3 passed, 1 failed, 0 skipped | 1.2s |
| `lint` | ✅ passed | – | 1.2s |

## Review

**Verdict: incorrect** (0 P0, 2 P1, 0 P2, 0 P3; reviewed by test-model)

b() is called before it is defined.

### Findings outside the diff

- **P1** Elsewhere (`src/lib.rs`, lines 9–10)

  Body of Elsewhere.
";
    assert_eq!(draft.body, expected);
    assert!(draft.review_body.contains("incorrect"), "{}", draft.review_body);
}

#[test]
fn a_task_run_without_checks_or_review() {
    let draft = draft(&PrInput {
        run_id: "r9",
        n: 1,
        task: "\n  Fix the parser\nIt drops the last token.",
        plan: None,
        checks: &[],
        review: None,
        patch: PATCH,
    });
    assert_eq!(draft.title, "Fix the parser");
    assert!(draft.body.starts_with("## Summary\n\nFix the parser\nIt drops the last token.\n"), "{}", draft.body);
    assert!(draft.body.contains("No checks were run on this attempt; `braid compare r9`"), "{}", draft.body);
    assert!(!draft.body.contains("## Review"));
    assert!(draft.comments.is_empty() && draft.review_body.is_empty());
}

#[test]
fn titles_fall_back_and_are_shortened() {
    assert_eq!(title("", None), "braid attempt");
    let empty_plan = PlanSummary::default();
    assert_eq!(title("task line", Some(&empty_plan)), "task line");
    let long = "x".repeat(300);
    let shortened = title(&long, None);
    assert_eq!(shortened.chars().count(), TITLE_MAX);
    assert!(shortened.ends_with('…'));
}
