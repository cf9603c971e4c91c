//! Running checks with real `sh` processes in temporary directories. The checks print captured fixtures
//! (see `fixtures/README.md`) and exit with the code the runner did, so no runner need be installed.

use super::*;
use crate::checks::{Runner, TestCounts};

fn fixture(name: &str) -> String {
    format!("{}/src/checks/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn spec(name: &str, command: &str, timeout_secs: u64, lint: bool) -> CheckSpec {
    CheckSpec { name: name.into(), command: command.into(), timeout_secs, required: true, lint }
}

fn options(log_dir: &Path, concurrency: usize) -> RunChecksOptions {
    RunChecksOptions {
        concurrency,
        env_policy: EnvPolicy::default(),
        confinement: None,
        log_dir: log_dir.to_path_buf(),
    }
}

/// Two attempt worktrees and a log directory, in one temporary directory.
fn setup() -> (tempfile::TempDir, Vec<CheckTarget>, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<_> = [1, 2]
        .into_iter()
        .map(|n| {
            let root = dir.path().join(format!("worktrees/{n}"));
            std::fs::create_dir_all(&root).unwrap();
            CheckTarget { n, root }
        })
        .collect();
    let logs = dir.path().join("logs");
    (dir, targets, logs)
}

#[tokio::test]
async fn outcomes_follow_targets_and_specs_with_parsed_output_and_logs() {
    let (_dir, targets, logs) = setup();
    let pytest = fixture("pytest/some_fail.txt");
    let clippy = fixture("clippy/warnings.txt");
    let specs = [
        // The attempt number decides the exit code, so the two attempts differ.
        spec("test", &format!("cat '{pytest}'; [ \"$(basename \"$PWD\")\" = 2 ]"), 30, false),
        spec("clippy", &format!("cat '{clippy}'"), 30, true),
        spec("plain", "echo no runner here; pwd", 30, false),
    ];
    let results = run_checks(&specs, &targets, &options(&logs, 3)).await;

    assert_eq!(results.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2]);
    for (attempt, target) in results.iter().zip(&targets) {
        let names: Vec<_> = attempt.outcomes.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["test", "clippy", "plain"]);
        let [test, clippy_outcome, plain] = &attempt.outcomes[..] else { panic!() };

        let counts =
            TestCounts { passed: 1, failed: 1, skipped: 1, failing: vec!["test_sample.py::test_subtracts".into()] };
        assert_eq!((test.runner, test.tests.as_ref()), (Some(Runner::Pytest), Some(&counts)));
        assert_eq!(test.passed, attempt.n == 2, "the exit code decides, not the parsed counts");
        assert_eq!(test.exit_code, Some(if attempt.n == 2 { 0 } else { 1 }));
        assert!(test.warnings.is_empty(), "not a lint check");
        assert_eq!(test.log, logs.join(format!("{}/test.log", attempt.n)));
        assert_eq!(std::fs::read_to_string(&test.log).unwrap(), std::fs::read_to_string(&pytest).unwrap());

        assert!(clippy_outcome.passed);
        assert_eq!(clippy_outcome.warnings.len(), 4);
        assert_eq!(clippy_outcome.warnings[2].code.as_deref(), Some("clippy::needless_return"));
        assert_eq!(clippy_outcome.runner, None);

        assert!(plain.passed && plain.runner.is_none() && plain.tests.is_none());
        let log = std::fs::read_to_string(&plain.log).unwrap();
        assert_eq!(log, format!("no runner here\n{}\n", target.root.canonicalize().unwrap().display()));
    }
}

#[tokio::test]
async fn a_check_past_its_timeout_is_killed_and_fails() {
    let (_dir, targets, logs) = setup();
    let specs = [spec("slow", "echo begun; sleep 30", 1, false)];
    let started = std::time::Instant::now();
    let results = run_checks(&specs, &targets[..1], &options(&logs, 1)).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let outcome = &results[0].outcomes[0];
    assert!(outcome.timed_out && !outcome.passed && outcome.exit_code.is_none(), "{outcome:?}");
    let log = std::fs::read_to_string(&outcome.log).unwrap();
    assert!(log.starts_with("begun\n") && log.contains("1 s timeout"), "{log}");
}

#[tokio::test]
async fn a_check_that_cannot_start_fails_with_the_reason_in_its_log() {
    let (dir, _targets, logs) = setup();
    let gone = CheckTarget { n: 7, root: dir.path().join("no-such-worktree") };
    let results = run_checks(&[spec("test", "true", 5, false)], &[gone], &options(&logs, 1)).await;
    let outcome = &results[0].outcomes[0];
    assert!(!outcome.passed && outcome.exit_code.is_none() && !outcome.timed_out, "{outcome:?}");
    let log = std::fs::read_to_string(logs.join("7/test.log")).unwrap();
    assert!(log.contains("could not start") && log.contains("no-such-worktree"), "{log}");
}

#[tokio::test]
async fn no_more_checks_run_at_once_than_the_bound() {
    let (dir, targets, logs) = setup();
    let events = dir.path().join("events");
    let events = events.display();
    // Each check appends its start and end times (nanoseconds) to one shared file.
    let command = format!("echo \"s $(date +%s%N)\" >> {events}; sleep 0.4; echo \"e $(date +%s%N)\" >> {events}");
    let specs: Vec<_> = ["a", "b", "c"].iter().map(|name| spec(name, &command, 30, false)).collect();
    let results = run_checks(&specs, &targets, &options(&logs, 2)).await;
    assert!(results.iter().flat_map(|r| &r.outcomes).all(|o| o.passed));

    let text = std::fs::read_to_string(dir.path().join("events")).unwrap();
    let mut marks: Vec<(u128, i32)> = text
        .lines()
        .map(|line| {
            let (kind, time) = line.split_once(' ').unwrap();
            // At equal times an end sorts first, so a check starting as another ends is not an overlap.
            (time.parse().unwrap(), if kind == "s" { 1 } else { -1 })
        })
        .collect();
    assert_eq!(marks.len(), 12);
    marks.sort();
    let (mut running, mut most) = (0, 0);
    for (_, step) in marks {
        running += step;
        most = most.max(running);
    }
    assert_eq!(most, 2, "{text}");
}

#[test]
fn log_names_stay_inside_the_attempts_directory() {
    let check = |name: &str, expected: &str| assert_eq!(log_path(Path::new("/l"), 3, name), Path::new(expected));
    check("test", "/l/3/test.log");
    check("go-test", "/l/3/go-test.log");
    check("../../etc/x", "/l/3/_.._.._etc_x.log");
    check(".hidden", "/l/3/_.hidden.log");
    check("a b/c", "/l/3/a_b_c.log");
    check("", "/l/3/_.log");
}
