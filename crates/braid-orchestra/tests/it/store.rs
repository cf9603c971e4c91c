//! The run store on real SQLite files in temp dirs: migrations and refusals when opening, the attempt
//! state machine, atomic transitions, two connections writing at once, dead owners reported as
//! interrupted (including a real child killed with SIGKILL), id prefixes, and the summaries.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_orchestra::store::{
    AttemptState, AttemptUpdate, NewAttempt, NewRun, ProcessStamp, RunState, SCHEMA_VERSION, Store, StoreError, Tokens,
    new_run_id,
};
use chrono::{TimeZone, Utc};
use tempfile::TempDir;

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("repo/.braid/braid.db")
}

fn new_run(id: &str, owner: Option<ProcessStamp>) -> NewRun {
    NewRun {
        id: id.to_string(),
        created_at: Utc::now(),
        task: "make it faster".to_string(),
        plan_path: Some(PathBuf::from("plans/speed.md")),
        base_commit: "0123456789abcdef0123456789abcdef01234567".to_string(),
        base_ref: Some("main".into()),
        agents: "braid:2,codex:1".to_string(),
        attempts: 3,
        concurrency: 2,
        owner,
    }
}

fn new_attempt(run: &str, n: u32) -> NewAttempt {
    NewAttempt {
        n,
        agent: "braid".to_string(),
        approach: Some(format!("approach {n}")),
        branch: format!("braid/{run}/{n}"),
        worktree: PathBuf::from(format!(".braid/worktrees/{run}/{n}")),
        port: Some(40000 + n as u16),
    }
}

/// A store with one run owned by this test process and `attempts` pending attempts.
fn store_with_run(dir: &TempDir, run: &str, attempts: u32) -> Store {
    let store = Store::open(&db_path(dir)).unwrap();
    store.create_run(&new_run(run, ProcessStamp::current())).unwrap();
    for n in 1..=attempts {
        store.add_attempt(run, &new_attempt(run, n)).unwrap();
    }
    store
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn state_of(store: &Store, run: &str, n: u32) -> AttemptState {
    let detail = store.run(run).unwrap().unwrap();
    detail.attempts.iter().find(|a| a.n == n).unwrap().state
}

#[test]
fn a_new_store_is_migrated_from_empty_in_wal_mode() {
    let dir = TempDir::new().unwrap();
    let path = db_path(&dir);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), path);
    let conn = raw(&path);
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables.retain(|t| !t.starts_with("sqlite_"));
    assert_eq!(tables, ["attempts", "check_results", "event_counts", "picks", "reviews", "runs", "transitions"]);
    assert!(store.runs().unwrap().is_empty());
}

#[test]
fn reopening_keeps_the_data() {
    let dir = TempDir::new().unwrap();
    {
        let store = store_with_run(&dir, "r1", 2);
        store.transition("r1", 1, AttemptState::Creating, Some("git worktree add")).unwrap();
    }
    let store = Store::open(&db_path(&dir)).unwrap();
    let detail = store.run("r1").unwrap().unwrap();
    assert_eq!(detail.run.task, "make it faster");
    assert_eq!(detail.run.plan_path, Some(PathBuf::from("plans/speed.md")));
    assert_eq!(detail.attempts.len(), 2);
    assert_eq!(detail.attempts[0].state, AttemptState::Creating);
    assert_eq!(detail.attempts[0].port, Some(40001));
    assert_eq!(detail.transitions.len(), 1);
    assert_eq!(detail.transitions[0].note.as_deref(), Some("git worktree add"));
}

#[test]
fn a_store_from_a_newer_braid_is_refused() {
    let dir = TempDir::new().unwrap();
    let path = db_path(&dir);
    drop(Store::open(&path).unwrap());
    raw(&path).pragma_update(None, "user_version", SCHEMA_VERSION + 5).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::TooNew { found, known, .. } if found == SCHEMA_VERSION + 5 && known == SCHEMA_VERSION)
    );
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&format!("version {}", SCHEMA_VERSION + 5)), "{message}");
    assert!(message.contains("upgrade braid"), "{message}");
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_with_advice() {
    let dir = TempDir::new().unwrap();
    let path = db_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("move it aside or delete it"), "{message}");
    // The file is left as it was.
    assert!(std::fs::read_to_string(&path).unwrap().starts_with("these are my notes"));
}

/// The moves the state machine allows, written out independently of `AttemptState::can_move_to`.
const LEGAL: &[(&str, &[&str])] = &[
    ("pending", &["creating", "failed", "cancelled"]),
    ("creating", &["created", "failed", "cancelled", "pending"]),
    ("created", &["setting_up", "running", "failed", "cancelled", "pending"]),
    ("setting_up", &["running", "failed", "cancelled", "pending"]),
    ("running", &["committing", "failed", "cancelled", "pending"]),
    ("committing", &["committed", "failed", "cancelled", "pending"]),
    ("committed", &["archived"]),
    ("failed", &["archived"]),
    ("cancelled", &["archived"]),
    ("archived", &["removed"]),
    ("removed", &[]),
];

/// How to bring a pending attempt to each state.
fn path_to(state: AttemptState) -> Vec<AttemptState> {
    use AttemptState::*;
    let work = vec![Creating, Created, SettingUp, Running, Committing, Committed];
    match state {
        Pending => vec![],
        Failed => vec![Failed],
        Cancelled => vec![Cancelled],
        Archived => [work, vec![Archived]].concat(),
        Removed => [work, vec![Archived, Removed]].concat(),
        other => work[..=work.iter().position(|s| *s == other).unwrap()].to_vec(),
    }
}

#[test]
fn the_state_machine_allows_exactly_the_documented_moves() {
    let dir = TempDir::new().unwrap();
    let all = AttemptState::ALL;
    let store = store_with_run(&dir, "sm", (all.len() * all.len()) as u32);
    let mut n = 0;
    for from in all {
        let allowed = LEGAL.iter().find(|(name, _)| *name == from.as_str()).unwrap().1;
        for to in all {
            n += 1;
            for step in path_to(from) {
                store.transition("sm", n, step, None).unwrap();
            }
            assert_eq!(state_of(&store, "sm", n), from);
            let result = store.transition("sm", n, to, Some("under test"));
            let legal = allowed.contains(&to.as_str());
            assert_eq!(from.can_move_to(to), legal, "{from} -> {to}");
            match result {
                Ok(()) => {
                    assert!(legal, "{from} -> {to} was allowed");
                    assert_eq!(state_of(&store, "sm", n), to);
                }
                Err(err) => {
                    assert!(!legal, "{from} -> {to} was refused: {err}");
                    assert!(
                        matches!(err, StoreError::IllegalTransition { from: f, to: t, .. } if f == from && t == to)
                    );
                    assert_eq!(err.to_string(), format!("attempt {n} of run sm cannot move from {from} to {to}"));
                    assert_eq!(state_of(&store, "sm", n), from);
                }
            }
        }
    }
    // Every recorded history ends where the attempt is, and a refused move left no row behind.
    let detail = store.run("sm").unwrap().unwrap();
    for attempt in &detail.attempts {
        let history: Vec<_> = detail.transitions.iter().filter(|t| t.n == attempt.n).collect();
        let last = history.last().map_or(AttemptState::Pending, |t| t.to);
        assert_eq!(last, attempt.state, "attempt {}", attempt.n);
        for pair in history.windows(2) {
            assert_eq!(pair[0].to, pair[1].from);
        }
    }
}

#[test]
fn transitions_stamp_times_errors_and_resets() {
    let dir = TempDir::new().unwrap();
    let store = store_with_run(&dir, "t", 2);
    let attempt = |n| store.run("t").unwrap().unwrap().attempts.into_iter().find(|a| a.n == n).unwrap();
    store.transition("t", 1, AttemptState::Creating, None).unwrap();
    assert!(attempt(1).started_at.is_some());
    store.transition("t", 1, AttemptState::Pending, Some("interrupted, will redo")).unwrap();
    assert_eq!((attempt(1).started_at, attempt(1).finished_at), (None, None));
    store.transition("t", 1, AttemptState::Creating, None).unwrap();
    store.transition("t", 1, AttemptState::Failed, Some("git worktree add failed: exit 128")).unwrap();
    let failed = attempt(1);
    assert!(failed.finished_at.is_some());
    assert_eq!(failed.error.as_deref(), Some("git worktree add failed: exit 128"));
    let err = store.transition("t", 9, AttemptState::Creating, None).unwrap_err();
    assert_eq!(err.to_string(), "run t has no attempt 9");
    store.transition("t", 2, AttemptState::Cancelled, None).unwrap();
    assert_eq!(attempt(2).error, None);
}

#[test]
fn a_transition_that_fails_halfway_leaves_no_trace() {
    let dir = TempDir::new().unwrap();
    let store = store_with_run(&dir, "atomic", 1);
    store.transition("atomic", 1, AttemptState::Creating, None).unwrap();
    // Make the second statement of the next transition (the attempt's state update) fail after the
    // transition row has been inserted.
    raw(store.path())
        .execute_batch(
            "CREATE TRIGGER refuse_created BEFORE UPDATE OF state ON attempts
             WHEN NEW.state = 'created' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let err = store.transition("atomic", 1, AttemptState::Created, None).unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    let detail = store.run("atomic").unwrap().unwrap();
    assert_eq!(detail.attempts[0].state, AttemptState::Creating);
    assert_eq!(detail.transitions.len(), 1);
    // Transitions are append-only.
    let err = raw(store.path()).execute("UPDATE transitions SET note = 'rewritten'", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[test]
fn two_connections_write_at_once_without_lock_errors() {
    let dir = TempDir::new().unwrap();
    let first = store_with_run(&dir, "busy", 2);
    let second = Store::open(&db_path(&dir)).unwrap();
    const ROUNDS: u32 = 150;
    let work = |store: Store, n: u32| {
        std::thread::spawn(move || {
            for round in 0..ROUNDS {
                store.transition("busy", n, AttemptState::Creating, None).unwrap();
                store.bump_event("busy", n, "tool_call").unwrap();
                let update = AttemptUpdate { turns: Some(round + 1), ..Default::default() };
                store.update_attempt("busy", n, &update).unwrap();
                store.transition("busy", n, AttemptState::Pending, Some("again")).unwrap();
                // A reader in the middle, as `braid runs` would be.
                assert_eq!(store.runs().unwrap().len(), 1);
            }
        })
    };
    let a = work(first.clone(), 1);
    let b = work(second, 2);
    a.join().unwrap();
    b.join().unwrap();
    let detail = first.run("busy").unwrap().unwrap();
    assert_eq!(detail.transitions.len(), 4 * ROUNDS as usize);
    assert!(detail.events.iter().all(|e| e.count == u64::from(ROUNDS)));
    assert!(detail.attempts.iter().all(|a| a.turns == ROUNDS));
}

#[test]
fn progress_updates_events_and_summaries() {
    let dir = TempDir::new().unwrap();
    let store = store_with_run(&dir, "sum", 3);
    let update = AttemptUpdate {
        turns: Some(4),
        tokens: Some(Tokens { input: 1000, cached: 400, output: 200 }),
        cost_usd: Some(0.25),
        last_action: Some("edited src/lib.rs".to_string()),
        ..Default::default()
    };
    store.update_attempt("sum", 1, &update).unwrap();
    store
        .update_attempt(
            "sum",
            2,
            &AttemptUpdate { tokens: Some(Tokens { input: 10, cached: 0, output: 5 }), ..Default::default() },
        )
        .unwrap();
    // A partial update leaves the other fields alone.
    store
        .update_attempt("sum", 1, &AttemptUpdate { commit: Some("abc123".to_string()), ..Default::default() })
        .unwrap();
    for kind in ["tool_call", "tool_call", "message", "error"] {
        store.bump_event("sum", 1, kind).unwrap();
    }
    for step in [
        AttemptState::Creating,
        AttemptState::Created,
        AttemptState::Running,
        AttemptState::Committing,
        AttemptState::Committed,
    ] {
        store.transition("sum", 1, step, None).unwrap();
    }
    store.transition("sum", 2, AttemptState::Failed, Some("agent crashed")).unwrap();

    let detail = store.run("sum").unwrap().unwrap();
    let first = &detail.attempts[0];
    assert_eq!((first.turns, first.cost_usd, first.commit.as_deref()), (4, Some(0.25), Some("abc123")));
    assert_eq!(first.last_action.as_deref(), Some("edited src/lib.rs"));
    let events: Vec<_> = detail.events.iter().map(|e| (e.n, e.kind.as_str(), e.count)).collect();
    assert_eq!(events, [(1, "error", 1), (1, "message", 1), (1, "tool_call", 2)]);

    let summaries = store.runs().unwrap();
    let summary = &summaries[0];
    let by_state: Vec<_> = summary.attempts_by_state.iter().map(|(s, c)| (s.as_str(), *c)).collect();
    assert_eq!(by_state, [("pending", 1), ("committed", 1), ("failed", 1)]);
    assert_eq!(summary.tokens, Tokens { input: 1010, cached: 400, output: 205 });
    assert_eq!(summary.cost_usd, Some(0.25));

    let check_missing = |err: StoreError| assert_eq!(err.to_string(), "run sum has no attempt 7");
    check_missing(store.update_attempt("sum", 7, &update).unwrap_err());
    check_missing(store.bump_event("sum", 7, "message").unwrap_err());
    let err = store.add_attempt("sum", &new_attempt("sum", 1)).unwrap_err();
    assert!(matches!(err, StoreError::AttemptExists { n: 1, .. }), "{err:?}");
    let err = store.add_attempt("nope", &new_attempt("nope", 1)).unwrap_err();
    assert!(matches!(err, StoreError::NoSuchRun { .. }), "{err:?}");
    let err = store.create_run(&new_run("sum", None)).unwrap_err();
    assert!(err.to_string().starts_with("run sum already exists in "), "{err}");
}

#[test]
fn runs_are_listed_newest_first_and_finished_runs_keep_their_state() {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&db_path(&dir)).unwrap();
    for (id, hour) in [("old", 9), ("new", 11), ("mid", 10)] {
        let created_at = Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).unwrap();
        store.create_run(&NewRun { created_at, ..new_run(id, ProcessStamp::current()) }).unwrap();
    }
    store.finish_run("old", RunState::Finished, None).unwrap();
    store.finish_run("mid", RunState::Cancelled, Some("stopped by the user")).unwrap();
    let runs = store.runs().unwrap();
    let listed: Vec<_> = runs.iter().map(|s| (s.run.id.as_str(), s.run.state)).collect();
    assert_eq!(listed, [("new", RunState::Running), ("mid", RunState::Cancelled), ("old", RunState::Finished)]);
    assert_eq!(runs[1].run.error.as_deref(), Some("stopped by the user"));
    assert!(runs[1].run.finished_at.is_some());
    let err = store.finish_run("new", RunState::Running, None).unwrap_err();
    assert!(matches!(err, StoreError::NotAnEndState { .. }));
    let err = store.finish_run("gone", RunState::Finished, None).unwrap_err();
    assert!(err.to_string().starts_with("no run `gone` in "), "{err}");
}

#[test]
fn a_run_whose_owner_is_gone_reads_interrupted() {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&db_path(&dir)).unwrap();
    let me = ProcessStamp::current().unwrap();
    // The same pid, but a process that started at another time: the pid was reused, the owner is dead.
    let reused = ProcessStamp { start_ticks: me.start_ticks + 1, ..me.clone() };
    store.create_run(&new_run("reused", Some(reused))).unwrap();
    // A pid beyond the kernel's maximum never exists.
    let never = ProcessStamp { pid: 4_194_305 + 1, ..me.clone() };
    store.create_run(&new_run("dead", Some(never))).unwrap();
    store.create_run(&new_run("alive", Some(me.clone()))).unwrap();
    // Without a recorded owner nothing can be said: the run stays as recorded.
    store.create_run(&new_run("unowned", None)).unwrap();
    // Another machine's run cannot be checked from here.
    let remote = ProcessStamp { hostname: format!("{}-elsewhere", me.hostname), pid: 4_194_306, ..me.clone() };
    store.create_run(&new_run("remote", Some(remote))).unwrap();
    for id in ["reused", "dead", "alive", "unowned", "remote"] {
        store.add_attempt(id, &new_attempt(id, 1)).unwrap();
    }

    let check = |id: &str, state: RunState| {
        let run = store.run(id).unwrap().unwrap().run;
        assert_eq!((run.state, run.recorded_state), (state, RunState::Running), "{id}");
        assert_eq!(store.live_attempt(id, 1).unwrap(), state == RunState::Running, "{id}");
    };
    check("reused", RunState::Interrupted);
    check("dead", RunState::Interrupted);
    check("alive", RunState::Running);
    check("unowned", RunState::Running);
    check("remote", RunState::Running);
    assert!(!store.live_attempt("alive", 2).unwrap());
    assert!(!store.live_attempt("nobody", 1).unwrap());

    // Resuming hands the run to a live owner again.
    store.resume_run("dead", Some(&me)).unwrap();
    check("dead", RunState::Running);
}

#[test]
#[allow(clippy::disallowed_methods)] // The test needs a real process to kill; the library spawns none.
fn a_run_whose_process_is_killed_reads_interrupted() {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&db_path(&dir)).unwrap();
    let mut child = std::process::Command::new("sleep").arg("600").spawn().unwrap();
    let owner = ProcessStamp::of_pid(child.id()).unwrap();
    store.create_run(&new_run("victim", Some(owner))).unwrap();
    store.add_attempt("victim", &new_attempt("victim", 1)).unwrap();
    store.transition("victim", 1, AttemptState::Creating, None).unwrap();
    let state = |store: &Store| store.runs().unwrap()[0].run.state;
    assert_eq!(state(&store), RunState::Running);
    assert!(store.live_attempt("victim", 1).unwrap());

    child.kill().unwrap(); // SIGKILL
    // Until it is reaped the child is a zombie: its /proc entry exists, but it is dead all the same.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(state(&store), RunState::Interrupted);
    child.wait().unwrap();
    // A second process sees the same truth.
    let other = Store::open(&db_path(&dir)).unwrap();
    assert_eq!(state(&other), RunState::Interrupted);
    assert!(!other.live_attempt("victim", 1).unwrap());

    // What a resume does: the interrupted attempt goes back to pending, noting why, and is redone.
    let unfinished = other.attempts_to_resume("victim").unwrap();
    assert_eq!(unfinished.iter().map(|a| (a.n, a.state)).collect::<Vec<_>>(), [(1, AttemptState::Creating)]);
    other.transition("victim", 1, AttemptState::Pending, Some("interrupted, will redo")).unwrap();
    assert_eq!(other.attempts_to_resume("victim").unwrap()[0].state, AttemptState::Pending);
}

#[test]
fn attempts_to_resume_skips_finished_attempts() {
    let dir = TempDir::new().unwrap();
    let store = store_with_run(&dir, "res", 4);
    store.transition("res", 1, AttemptState::Failed, None).unwrap();
    for step in [AttemptState::Creating, AttemptState::Created, AttemptState::SettingUp] {
        store.transition("res", 2, step, None).unwrap();
    }
    store.transition("res", 4, AttemptState::Cancelled, None).unwrap();
    store.transition("res", 4, AttemptState::Archived, None).unwrap();
    let left: Vec<_> = store.attempts_to_resume("res").unwrap().iter().map(|a| (a.n, a.state)).collect();
    assert_eq!(left, [(2, AttemptState::SettingUp), (3, AttemptState::Pending)]);
    assert!(matches!(store.attempts_to_resume("none").unwrap_err(), StoreError::NoSuchRun { .. }));
}

#[test]
fn run_ids_resolve_by_unique_prefix() {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&db_path(&dir)).unwrap();
    for id in ["20261122-153012-aaaaa", "20261122-153012-aabbb", "20261122-160000-zzzzz"] {
        store.create_run(&new_run(id, None)).unwrap();
    }
    let check = |prefix: &str, expected: Result<Option<&str>, &str>| {
        let got = store.run(prefix).map(|found| found.map(|d| d.run.id)).map_err(|e| e.to_string());
        let expected = expected.map(|id| id.map(str::to_string)).map_err(str::to_string);
        assert_eq!(got, expected, "{prefix}");
    };
    check("20261122-153012-aaaaa", Ok(Some("20261122-153012-aaaaa")));
    check("20261122-16", Ok(Some("20261122-160000-zzzzz")));
    check("20261122-153012-aab", Ok(Some("20261122-153012-aabbb")));
    check(
        "20261122-153012-aa",
        Err("run id `20261122-153012-aa` is ambiguous: it begins 20261122-153012-aaaaa, \
             20261122-153012-aabbb; give more characters"),
    );
    check("2025", Ok(None));
    check("", Ok(None));
    // LIKE-style wildcards are plain characters here.
    check("2026%", Ok(None));
    check("________", Ok(None));
}

#[test]
fn generated_run_ids_are_accepted_and_distinct() {
    let dir = TempDir::new().unwrap();
    let store = Store::open(&db_path(&dir)).unwrap();
    let now = Utc::now();
    for _ in 0..50 {
        store.create_run(&new_run(&new_run_id(now), None)).unwrap();
    }
    assert_eq!(store.runs().unwrap().len(), 50);
}

#[test]
fn several_processes_creating_the_store_at_once_migrate_it_once() {
    // The race is narrow (CI once lost it as "database is locked"), so it is run many times over.
    for round in 0..25 {
        let dir = TempDir::new().unwrap();
        let path = db_path(&dir);
        let start = Arc::new(std::sync::Barrier::new(6));
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                let start = Arc::clone(&start);
                std::thread::spawn(move || {
                    start.wait();
                    Store::open(&path).map(|_| ()).map_err(|e| e.to_string())
                })
            })
            .collect();
        for opener in openers {
            assert_eq!(opener.join().unwrap(), Ok(()), "round {round}");
        }
        let version: u32 = raw(&path).query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }
}

#[test]
fn a_hand_edited_value_is_reported_with_the_file() {
    let dir = TempDir::new().unwrap();
    let store = store_with_run(&dir, "edited", 1);
    raw(store.path()).execute("UPDATE runs SET created_at = 'yesterday'", []).unwrap();
    let err = store.runs().unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&store.path().display().to_string()), "{message}");
    assert!(message.contains("stored time `yesterday` is not RFC 3339"), "{message}");
}
