//! A realistic comparison of three attempts: one passing every check, one failing a test, one touching
//! a forbidden file. Real-looking Rust and Python diffs, and markup in the task and in a diff line to
//! prove the page escapes them.

use std::path::PathBuf;

use braid_orchestra::checks::{CheckOutcome, CheckSource, CheckSpec, Runner, TestCounts, Warning};
use braid_orchestra::compare::{Comparison, Criterion, DiffStats, Evidence, FindingCounts, PlanInfo, Ranked, RunInfo};
use braid_orchestra::store::{AttemptState, Tokens};
use chrono::{TimeZone, Utc};

/// The task, with markup that must show as text.
pub const TASK: &str = "Make `parse_duration` accept `1h30m` and reject negatives <script>window.__pwned = 1</script>";

const RUST_PATCH: &str = r#"diff --git a/src/duration.rs b/src/duration.rs
index 3f2a1c0..9b7e4d2 100644
--- a/src/duration.rs
+++ b/src/duration.rs
@@ -1,14 +1,24 @@
 //! Parses human durations such as `90s` or `1h30m`.
 use std::time::Duration;
 
-/// Parses `text` as a number of seconds.
+/// Parses `text` as a sequence of `<number><unit>` parts (`h`, `m`, `s`).
 pub fn parse_duration(text: &str) -> Result<Duration, String> {
-    let secs: u64 = text.trim_end_matches('s').parse().map_err(|e| format!("{e}"))?;
-    Ok(Duration::from_secs(secs))
+    let mut total = 0u64;
+    let mut digits = String::new();
+    for c in text.chars() {
+        match c {
+            '0'..='9' => digits.push(c),
+            'h' | 'm' | 's' => {
+                let n: u64 = digits.parse().map_err(|_| format!("no number before `{c}` in {text:?}"))?;
+                total += n * match c { 'h' => 3600, 'm' => 60, _ => 1 };
+                digits.clear();
+            }
+            _ => return Err(format!("unexpected {c:?} in {text:?}")), // <script>alert(1)</script>
+        }
+    }
+    Ok(Duration::from_secs(total))
 }
 
 #[cfg(test)]
 mod tests {
@@ -20,3 +30,8 @@ mod tests {
     fn seconds() {
         assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
     }
+
+    #[test]
+    fn hours_and_minutes() {
+        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
+    }
 }
\ No newline at end of file
"#;

const PYTHON_PATCH: &str = r#"diff --git a/tools/durations.py b/tools/durations.py
new file mode 100644
index 0000000..5d1c2aa
--- /dev/null
+++ b/tools/durations.py
@@ -0,0 +1,14 @@
+"""Parse durations like 1h30m into seconds."""
+import re
+
+UNITS = {"h": 3600, "m": 60, "s": 1}
+
+
+def parse(text: str) -> int:
+    # Each part is a number followed by its unit.
+    parts = re.findall(r"(\d+)([hms])", text)
+    if not parts:
+        raise ValueError(f"not a duration: {text!r}")
+    return sum(int(n) * UNITS[u] for n, u in parts)
+
+print(parse("1h30m"))  # 5400
"#;

const FORBIDDEN_PATCH: &str = r#"diff --git a/src/duration.rs b/src/duration.rs
index 3f2a1c0..1c0ffee 100644
--- a/src/duration.rs
+++ b/src/duration.rs
@@ -5,6 +5,9 @@ use std::time::Duration;
 pub fn parse_duration(text: &str) -> Result<Duration, String> {
-    let secs: u64 = text.trim_end_matches('s').parse().map_err(|e| format!("{e}"))?;
+    if text == "1h30m" {
+        return Ok(Duration::from_secs(5400));
+    }
+    let secs: u64 = text.trim_end_matches('s').parse().map_err(|e| format!("{e}"))?;
     Ok(Duration::from_secs(secs))
 }
diff --git a/Cargo.lock b/Cargo.lock
index 11aa22b..33cc44d 100644
--- a/Cargo.lock
+++ b/Cargo.lock
@@ -1,4 +1,4 @@
 [[package]]
 name = "durations"
-version = "0.1.0"
+version = "0.1.1"
 edition = "2024"
diff --git a/assets/logo.png b/assets/logo.png
index 1234567..89abcde 100644
Binary files a/assets/logo.png and b/assets/logo.png differ
"#;

fn specs() -> Vec<CheckSpec> {
    vec![
        CheckSpec {
            name: "build".into(),
            command: "cargo build".into(),
            timeout_secs: 600,
            required: true,
            lint: false,
        },
        CheckSpec { name: "test".into(), command: "cargo test".into(), timeout_secs: 900, required: true, lint: false },
        CheckSpec {
            name: "clippy".into(),
            command: "cargo clippy -- -D warnings".into(),
            timeout_secs: 600,
            required: false,
            lint: true,
        },
    ]
}

fn outcome(name: &str, passed: bool, seconds: f64, tests: Option<TestCounts>, warnings: Vec<Warning>) -> CheckOutcome {
    let spec = specs().into_iter().find(|s| s.name == name).unwrap();
    CheckOutcome {
        name: name.into(),
        command: spec.command,
        required: spec.required,
        passed,
        exit_code: Some(if passed { 0 } else { 101 }),
        timed_out: false,
        seconds,
        log: PathBuf::from(format!(".braid/runs/r/1/checks/{name}.log")),
        runner: tests.as_ref().map(|_| Runner::CargoTest),
        tests,
        warnings,
    }
}

fn counts(passed: u64, failing: &[&str]) -> Option<TestCounts> {
    Some(TestCounts {
        passed,
        failed: failing.len() as u64,
        skipped: 0,
        failing: failing.iter().map(|s| (*s).to_string()).collect(),
    })
}

fn evidence(n: u32, agent: &str, approach: &str, checks: Vec<CheckOutcome>, patch: &str, diff: DiffStats) -> Evidence {
    Evidence {
        n,
        agent: agent.into(),
        approach: Some(approach.into()),
        branch: format!("braid/run-7f3a/{n}"),
        commit: Some(format!("{n}a1b2c3d4e5f60718293a4b5c6d7e8f9012345678")),
        state: AttemptState::Committed,
        checks,
        diff,
        outside_scope: Vec::new(),
        forbidden: Vec::new(),
        new_warnings: Vec::new(),
        findings: None,
        tokens: Tokens { input: 48_200, cached: 30_000, output: 3_900 },
        cost_usd: Some(0.0731),
        wall_seconds: Some(212.4),
        claimed_success: Some(true),
        final_message: Some("Implemented unit parsing and added a test.".into()),
        patch: patch.into(),
    }
}

/// The comparison the acceptance test renders: attempts 2, 1, 3 in rank order.
pub fn comparison() -> Comparison {
    let clippy_warning = Warning {
        file: Some("src/duration.rs".into()),
        line: Some(9),
        code: Some("clippy::needless_return".into()),
        message: "unneeded `return` statement".into(),
    };
    let winner = evidence(
        2,
        "codex",
        "state machine over the characters",
        vec![
            outcome("build", true, 14.2, None, vec![]),
            outcome("test", true, 21.7, counts(13, &[]), vec![]),
            outcome("clippy", true, 9.8, None, vec![]),
        ],
        &format!("{RUST_PATCH}{PYTHON_PATCH}"),
        DiffStats { files: 2, added: 34, removed: 3 },
    );
    let mut failing = evidence(
        1,
        "braid",
        "regex split",
        vec![
            outcome("build", true, 13.9, None, vec![]),
            outcome("test", false, 22.4, counts(11, &["tests::hours_and_minutes", "tests::rejects_negative"]), vec![]),
            outcome("clippy", false, 10.1, None, vec![clippy_warning.clone()]),
        ],
        PYTHON_PATCH,
        DiffStats { files: 1, added: 14, removed: 0 },
    );
    failing.new_warnings = vec![clippy_warning];
    failing.findings = Some(FindingCounts { p0: 0, p1: 1, p2: 2, p3: 0 });
    failing.cost_usd = Some(0.41);
    let mut forbidden = evidence(
        3,
        "claude",
        "special-case the example",
        vec![
            outcome("build", true, 12.5, None, vec![]),
            outcome("test", true, 20.2, counts(13, &[]), vec![]),
            CheckOutcome {
                timed_out: true,
                passed: false,
                exit_code: None,
                ..outcome("clippy", false, 600.0, None, vec![])
            },
        ],
        FORBIDDEN_PATCH,
        DiffStats { files: 3, added: 4, removed: 2 },
    );
    forbidden.forbidden = vec!["Cargo.lock".into()];
    forbidden.outside_scope = vec!["Cargo.lock".into(), "assets/logo.png".into()];
    forbidden.claimed_success = Some(true);
    forbidden.wall_seconds = Some(48.0);
    Comparison {
        run: RunInfo {
            id: "run-7f3a".into(),
            task: TASK.into(),
            base_commit: "3f2a1c09d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3".into(),
            plan_path: Some(".braid/plans/durations.md".into()),
        },
        plan: Some(PlanInfo {
            title: Some("Human durations".into()),
            acceptance: vec![
                Criterion {
                    milestone: 1,
                    title: "Parse units".into(),
                    text: "`parse_duration(\"1h30m\")` returns 5400 seconds.".into(),
                    checks: vec!["build".into(), "test".into()],
                },
                Criterion {
                    milestone: 2,
                    title: "Clean code".into(),
                    text: "No new clippy warnings.".into(),
                    checks: vec!["clippy".into()],
                },
            ],
            validation: Some("Run `cargo test`; `hours_and_minutes` must pass.".into()),
            scope: vec!["src/**".into(), "tools/**".into()],
            forbidden: vec!["Cargo.lock".into(), ".github/**".into()],
        }),
        checks: specs(),
        check_source: CheckSource::Plan,
        attempts: vec![winner, failing, forbidden],
        ranking: vec![
            Ranked { rank: 1, n: 2, passed: true, reason: "all required checks pass; fewest changed lines".into() },
            Ranked {
                rank: 2,
                n: 1,
                passed: false,
                reason: "test fails: 2 of 13 tests (tests::hours_and_minutes)".into(),
            },
            Ranked { rank: 3, n: 3, passed: false, reason: "changes a forbidden file: Cargo.lock".into() },
        ],
        generated_at: Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 0).unwrap(),
    }
}
