//! Tests of the reviewer benchmark: the shipped evaluation set is well formed, malformed cases are
//! refused by name, the scoring counts hand-made findings right, and the runner records a crashing,
//! babbling or hanging reviewer per case (a fake `braid` script stands in for the real one).

use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::time::Duration;

use super::cases::{self, BugSpot, CaseKind, Language};
use super::score::{self, Finding, Judged, Reviewed, Run, Verdict};
use super::*;

fn set_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/review/cases")
}

#[test]
fn the_evaluation_set_is_well_formed() {
    let problems = cases::validate_all(&set_dir(), 15).unwrap();
    assert!(problems.is_empty(), "broken cases:\n{}", problems.join("\n"));
    let set = cases::load(&set_dir()).unwrap();
    for language in [Language::Python, Language::Rust, Language::Javascript, Language::Go, Language::Shell] {
        for kind in [CaseKind::Bug, CaseKind::Clean] {
            assert!(set.iter().any(|c| c.language == language && c.kind == kind), "no {kind:?} case in {language:?}");
        }
    }
    // Every Python and shell case proves itself with a demo.
    for case in &set {
        if matches!(case.language, Language::Python | Language::Shell) {
            assert!(case.dir.join("demo.sh").exists(), "{} has no demo.sh", case.id);
        }
    }
}

/// Writes a case directory under `root` from its parts.
fn write_case(root: &Path, id: &str, toml: &str, patch: &str) -> PathBuf {
    let dir = root.join(id);
    std::fs::create_dir_all(dir.join("before")).unwrap();
    std::fs::write(dir.join("before/a.py"), "x = 1\ny = 2\n").unwrap();
    std::fs::write(dir.join("case.toml"), toml).unwrap();
    std::fs::write(dir.join("change.patch"), patch).unwrap();
    dir
}

const PATCH: &str =
    "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n x = 1\n-y = 2\n+y = 3\n+z = 4\n";

#[test]
fn malformed_cases_are_refused_naming_the_problem() {
    let check = |toml: &str, expected: &str| {
        let root = tempfile::tempdir().unwrap();
        let dir = write_case(root.path(), "py-x", toml, PATCH);
        let err = format!("{:#}", cases::load_case(&dir).unwrap_err());
        assert!(err.contains(expected) && err.contains("py-x"), "{toml}: {err}");
    };
    check("kind = \"bug\"\nlanguage = \"python\"\nsummary = \"s\"\n", "needs a [bug] table");
    check(
        "kind = \"clean\"\nlanguage = \"python\"\nsummary = \"s\"\n[bug]\nfile = \"a.py\"\nstart_line = 1\nend_line = 1\ndescription = \"d\"\n",
        "clean case has no [bug]",
    );
    check(
        "kind = \"bug\"\nlanguage = \"python\"\nsummary = \"s\"\n[bug]\nfile = \"a.py\"\nstart_line = 3\nend_line = 2\ndescription = \"d\"\n",
        "not a range",
    );
    check("kind = \"bug\"\nlanguage = \"cobol\"\nsummary = \"s\"\n", "case.toml");
    check("kind = \"clean\"\nlanguage = \"python\"\nsummary = \" \"\n", "summary is empty");

    let root = tempfile::tempdir().unwrap();
    let dir = write_case(root.path(), "py-y", "kind = \"clean\"\nlanguage = \"python\"\nsummary = \"s\"\n", PATCH);
    std::fs::remove_file(dir.join("change.patch")).unwrap();
    let err = cases::load_case(&dir).unwrap_err().to_string();
    assert!(err.contains("`change.patch`"), "{err}");
}

#[test]
fn validation_catches_a_patch_that_does_not_apply_and_a_bug_off_the_change() {
    let root = tempfile::tempdir().unwrap();
    let bug = |line: u32| {
        format!(
            "kind = \"bug\"\nlanguage = \"python\"\nsummary = \"s\"\n[bug]\nfile = \"a.py\"\nstart_line = {line}\nend_line = {line}\ndescription = \"d\"\n"
        )
    };
    let good = cases::load_case(&write_case(root.path(), "good", &bug(2), PATCH)).unwrap();
    cases::validate(&good).unwrap();
    let far = cases::load_case(&write_case(root.path(), "far", &bug(9), PATCH)).unwrap();
    let err = format!("{:#}", cases::validate(&far).unwrap_err());
    assert!(err.contains("not on or next to a changed line"), "{err}");
    let stale = PATCH.replace(" x = 1", " x = 0");
    let stale = cases::load_case(&write_case(root.path(), "stale", &bug(2), &stale)).unwrap();
    let err = format!("{:#}", cases::validate(&stale).unwrap_err());
    assert!(err.contains("does not apply") && err.contains("stale"), "{err}");
    // A demo that fails for another reason than the declared one is a broken demo.
    std::fs::write(good.dir.join("demo.sh"), "exit 1\n").unwrap();
    let err = format!("{:#}", cases::validate(&good).unwrap_err());
    assert!(err.contains("demo.sh exited Some(1)"), "{err}");
    std::fs::write(good.dir.join("demo.sh"), "grep -q 'z = 4' a.py && exit 3\n").unwrap();
    cases::validate(&good).unwrap();
}

#[test]
fn touched_lines_are_added_lines_and_the_neighbours_of_removed_ones() {
    let patch = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,4 +1,4 @@\n one\n-two\n+TWO\n three\n-four\n\
                 diff --git a/new.rs b/new.rs\nnew file mode 100644\n--- /dev/null\n+++ b/new.rs\n@@ -0,0 +1,2 @@\n+fn a() {}\n+fn b() {}\n\
                 diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
    let touched = cases::touched_lines(patch);
    let lines = |file: &str| touched.get(file).map(|l| l.iter().copied().collect::<Vec<_>>());
    assert_eq!(lines("a.py"), Some(vec![1, 2, 3, 4]));
    assert_eq!(lines("new.rs"), Some(vec![1, 2]));
    assert_eq!(lines("gone.txt"), None);
}

fn finding(file: &str, start: u32, end: u32) -> Finding {
    Finding { file: file.to_owned(), start_line: start, end_line: end, priority: 1, confidence: 0.9, title: "t".into() }
}

fn bug_at(file: &str, start: u32, end: u32) -> BugSpot {
    BugSpot { file: file.to_owned(), start_line: start, end_line: end, description: "d".into() }
}

#[test]
fn a_finding_catches_a_bug_in_its_file_within_three_lines() {
    let bug = bug_at("src/a.rs", 10, 12);
    let check = |f: Finding, expected: bool| assert_eq!(score::catches(&f, &bug), expected, "{f:?}");
    check(finding("src/a.rs", 10, 10), true);
    check(finding("src/a.rs", 12, 20), true);
    check(finding("src/a.rs", 1, 7), true);
    check(finding("src/a.rs", 1, 6), false);
    check(finding("src/a.rs", 15, 15), true);
    check(finding("src/a.rs", 16, 30), false);
    check(finding("./src/a.rs", 11, 11), true);
    check(finding("src/b.rs", 11, 11), false);
    check(finding("src/a.rs", 20, 9), true);
    // Near line 1 the widened range stops at 0 rather than wrapping.
    assert!(score::catches(&finding("a", 1, 1), &bug_at("a", 2, 2)));
}

fn ok_run(findings: Vec<Finding>, verdict: Verdict, secs: u64) -> Run {
    let exit_code = i32::from(findings.iter().any(|f| f.priority <= 1));
    Run { wall: Duration::from_secs(secs), result: Ok(Reviewed { findings, verdict, exit_code }) }
}

#[test]
fn the_score_counts_recall_precision_verdicts_and_failures() {
    let bug_a = bug_at("a.py", 5, 5);
    let bug_b = bug_at("b.go", 20, 22);
    let bug_c = bug_at("c.js", 1, 1);
    let runs = [
        // Bug a caught, plus a stray finding elsewhere in the file.
        ok_run(vec![finding("a.py", 6, 6), finding("a.py", 40, 41)], Verdict::Incorrect, 10),
        // Bug b missed: the finding is in another file.
        ok_run(vec![finding("other.go", 21, 21)], Verdict::Correct, 20),
        // Bug c: the reviewer crashed.
        Run { wall: Duration::from_secs(30), result: Err("exited with code 101".into()) },
        // A clean change flagged.
        ok_run(vec![finding("d.rs", 1, 2)], Verdict::Incorrect, 40),
        // A clean change left alone.
        ok_run(vec![], Verdict::Correct, 50),
    ];
    let judged = [
        Judged { kind: CaseKind::Bug, bug: Some(&bug_a), run: &runs[0] },
        Judged { kind: CaseKind::Bug, bug: Some(&bug_b), run: &runs[1] },
        Judged { kind: CaseKind::Bug, bug: Some(&bug_c), run: &runs[2] },
        Judged { kind: CaseKind::Clean, bug: None, run: &runs[3] },
        Judged { kind: CaseKind::Clean, bug: None, run: &runs[4] },
    ];
    let s = score::score(&judged);
    assert_eq!((s.cases, s.bug_cases, s.caught), (5, 3, 1));
    assert_eq!((s.findings, s.true_findings, s.clean_flagged), (4, 1, 1));
    assert_eq!((s.verdicts_right, s.failures), (2, 1));
    assert_eq!(s.recall, Some(1.0 / 3.0));
    assert_eq!(s.precision, Some(0.25));
    assert_eq!(s.verdict_accuracy, Some(0.4));
    assert_eq!(s.mean_wall_secs, Some(30.0));
    assert_eq!(score::ratio_cell(s.precision, s.true_findings, s.findings), "0.25 (1/4)");

    // A reviewer that never speaks has no precision at all, not a perfect one.
    let quiet = ok_run(vec![], Verdict::Correct, 1);
    let s = score::score(&[Judged { kind: CaseKind::Bug, bug: Some(&bug_a), run: &quiet }]);
    assert_eq!((s.precision, s.recall), (None, Some(0.0)));
    assert_eq!(score::score(&[]).mean_wall_secs, None);
}

#[test]
fn review_output_is_parsed_or_recorded_as_a_failure() {
    let json = r#"{"target":{"kind":"commit","rev":"HEAD"},"findings":[{"title":"Off by one","body":"b","priority":0,"confidence":0.8,"file":"a.py","start_line":3,"end_line":4}],"verdict":"incorrect","dropped":[],"model":"m"}"#;
    let review = score::parse_review(json, Some(1)).unwrap();
    assert_eq!(
        review.findings,
        vec![Finding { priority: 0, confidence: 0.8, title: "Off by one".into(), ..finding("a.py", 3, 4) }]
    );
    assert_eq!((review.verdict, review.exit_code), (Verdict::Incorrect, 1));
    let check_err = |stdout: &str, code: Option<i32>, expected: &str| {
        let err = score::parse_review(stdout, code).unwrap_err();
        assert!(err.contains(expected), "{stdout:?} {code:?}: {err}");
    };
    check_err(json, Some(2), "exited with code 2");
    check_err(json, None, "signal");
    check_err("Error: no model", Some(0), "no review JSON");
    check_err(r#"{"findings":[],"verdict":"maybe"}"#, Some(0), "no review JSON");
    check_err(r#"{"findings":[{"file":"a"}],"verdict":"correct"}"#, Some(0), "no review JSON");
}

/// A fake `braid` in `dir`: a shell script with `body`, standing in for `braid ... review --json`.
fn fake_braid(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("braid");
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Flags the first hunk of the reviewed commit, whatever it is: a reviewer that flags everything.
const FLAG_FIRST_HUNK: &str = r#"
case " $* " in *" review --commit HEAD --json --no-tests "*) ;; *) echo "unexpected arguments: $*" >&2; exit 64;; esac
file=$(git diff --name-only HEAD~1 HEAD | head -n 1)
range=$(git diff -U0 HEAD~1 HEAD -- "$file" | awk '/^@@/ { split($3, a, ","); s = substr(a[1], 2); n = (a[2] == "" ? 1 : a[2]); print s, s + n - 1; exit }')
set -- $range
printf '{"findings":[{"file":"%s","start_line":%s,"end_line":%s,"priority":1,"confidence":0.9,"title":"t","body":"b"}],"verdict":"incorrect","dropped":[]}\n' "$file" "$1" "$2"
exit 1
"#;

fn two_cases() -> Vec<Case> {
    let set = cases::load(&set_dir()).unwrap();
    ["py-bug-chunk-drops-tail", "py-clean-median-even"]
        .iter()
        .map(|id| set.iter().find(|c| c.id == *id).unwrap().clone())
        .collect()
}

fn profile(name: &str) -> Reviewer {
    Reviewer { label: name.to_owned(), slug: name.to_owned(), setup: Setup::Profile { name: name.to_owned() } }
}

#[test]
fn the_runner_reviews_each_case_in_its_own_repository_and_scores_it() {
    let scratch = tempfile::tempdir().unwrap();
    let braid = fake_braid(scratch.path(), FLAG_FIRST_HUNK);
    let set = two_cases();
    let reviewer = profile("fake");
    let runs = run_all(&reviewer, &set, &braid, &scratch.path().join("work"), Duration::from_secs(60));
    for run in &runs {
        assert!(run.result.is_ok(), "{:?}", run.result);
    }
    let s = score::score(&judge(&set, &runs));
    assert_eq!((s.caught, s.bug_cases, s.findings, s.true_findings), (1, 1, 2, 1));
    assert_eq!((s.clean_flagged, s.verdicts_right, s.failures), (1, 1, 0));
    // The repository of each case is kept for inspection, with the change as its last commit.
    assert!(scratch.path().join("work/py-bug-chunk-drops-tail/repo/batching.py").is_file());

    let table = tables(std::slice::from_ref(&reviewer), &set, std::slice::from_ref(&runs));
    assert!(table.contains("| fake | 1.00 (1/1) | 0.50 (1/2) | 0.50 (1/2) | 1/1 | 0 |"), "{table}");
    assert!(table.contains("| py-bug-chunk-drops-tail | caught, 1 finding(s)"), "{table}");
    assert!(table.contains("| py-clean-median-even | flagged, 1 finding(s)"), "{table}");

    let json = scratch.path().join("review-fake.json");
    write_report(&json, &reviewer, "cargo xtask bench review", &set, &runs).unwrap();
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(written["score"]["caught"], 1);
    assert_eq!(written["cases"][0]["review"]["findings"][0]["file"], "batching.py");
    assert_eq!(written["command"], "cargo xtask bench review");
}

#[test]
fn a_crashing_babbling_or_hanging_reviewer_is_recorded_per_case() {
    let check = |body: &str, limit: u64, expected: &str| {
        let scratch = tempfile::tempdir().unwrap();
        let braid = fake_braid(scratch.path(), body);
        let set = two_cases();
        let runs = run_all(&profile("fake"), &set, &braid, &scratch.path().join("work"), Duration::from_secs(limit));
        assert_eq!(runs.len(), 2);
        for run in &runs {
            let err = run.result.as_ref().unwrap_err();
            assert!(err.contains(expected), "{body}: {err}");
        }
        let table = tables(&[profile("fake")], &set, &[runs]);
        assert!(table.contains("Failed runs:") && table.contains(expected), "{table}");
    };
    check("echo 'thread main panicked' >&2; exit 101", 60, "exited with code 101; stderr: thread main panicked");
    check("echo 'here is my review: looks fine'; exit 0", 60, "no review JSON");
    check("exec sleep 30", 1, "no review within the 1 s limit");
}

#[test]
fn a_case_that_cannot_be_prepared_is_a_failed_run_not_an_abort() {
    let scratch = tempfile::tempdir().unwrap();
    let braid = fake_braid(scratch.path(), FLAG_FIRST_HUNK);
    let mut set = two_cases();
    set[0].dir = scratch.path().join("missing");
    let runs = run_all(&profile("fake"), &set, &braid, &scratch.path().join("work"), Duration::from_secs(60));
    assert!(runs[0].result.as_ref().unwrap_err().contains("missing"), "{:?}", runs[0]);
    assert!(runs[1].result.is_ok(), "{:?}", runs[1]);
}

#[test]
fn reviewers_pass_their_model_to_braid() {
    let args = |reviewer: &Reviewer| {
        let command = reviewer.command(Path::new("braid"), Path::new("/repo"));
        command.get_args().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    };
    let local = Reviewer { label: "l".into(), slug: "l".into(), setup: Setup::Local { home: "/h".into() } };
    assert_eq!(args(&local), "-c model_provider=local review --commit HEAD --json --no-tests");
    let command = local.command(Path::new("braid"), Path::new("/repo"));
    assert!(command.get_envs().any(|(k, v)| k == "BRAID_HOME" && v == Some("/h".as_ref())));
    assert_eq!(args(&profile("gpt")), "-p gpt review --commit HEAD --json --no-tests");
}

#[test]
fn remote_profiles_are_those_whose_provider_is_not_local() {
    let check = |text: &str, expected: &[&str]| {
        let config = Some((PathBuf::from("/h/config.toml"), text.to_owned()));
        assert_eq!(remote_profiles(&config).unwrap(), expected, "{text}");
    };
    check("", &[]);
    check("model = \"x\"\n", &[]);
    check(
        "[profiles.fast]\nmodel_provider = \"openai\"\n[profiles.here]\nmodel_provider = \"local\"\n[profiles.bare]\nmodel = \"m\"\n",
        &["fast"],
    );
    // A profile without its own provider inherits the top level's.
    check("model_provider = \"anthropic\"\n[profiles.b]\nmodel = \"m\"\n[profiles.a]\nmodel = \"n\"\n", &["a", "b"]);
    assert_eq!(remote_profiles(&None).unwrap(), Vec::<String>::new());
    let err = remote_profiles(&Some((PathBuf::from("/h/config.toml"), "profiles = [".to_owned()))).unwrap_err();
    assert!(err.to_string().contains("/h/config.toml"), "{err}");
}

#[test]
fn slugs_are_safe_file_name_parts() {
    assert_eq!(slug("qwen-coder-0.5b"), "qwen-coder-0.5b");
    assert_eq!(slug("/models/tiny model.gguf"), "tiny-model");
    assert_eq!(slug("team/gpt 5"), "team-gpt-5");
}
