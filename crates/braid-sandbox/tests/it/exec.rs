//! `braid_sandbox::exec::run` against real processes: exit statuses, output order and capping, timeouts
//! and cancellation killing the whole process group, and the errors for commands that cannot start.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use braid_sandbox::exec::{ExecError, ExecOutput, ExecRequest, run};

fn request(argv: &[&str]) -> ExecRequest {
    ExecRequest {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        cwd: std::env::temp_dir(),
        env: Vec::new(),
        env_policy: Default::default(),
        confinement: None,
        timeout: Duration::from_secs(20),
        max_output_bytes: 64 * 1024,
    }
}

async fn sh(script: &str) -> ExecOutput {
    run(request(&["sh", "-c", script])).await.unwrap()
}

/// Whether `pid` has exited: gone from /proc, or a zombie waiting for its (new) parent to reap it.
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state letter follows the command name, which is in parentheses.
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Waits up to five seconds for `pid` to die, and fails the test if it does not.
async fn assert_dies(pid: u32) {
    let until = Instant::now() + Duration::from_secs(5);
    while !is_dead(pid) {
        assert!(Instant::now() < until, "process {pid} is still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn pids(text: &str) -> Vec<u32> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

#[tokio::test]
async fn exit_codes_are_reported() {
    let out = sh("exit 3").await;
    assert_eq!((out.exit_code, out.signal, out.timed_out), (Some(3), None, false));
    let out = sh("true").await;
    assert_eq!(out.exit_code, Some(0));
}

#[tokio::test]
async fn death_by_signal_is_reported() {
    let out = sh("kill -TERM $$").await;
    // 15 is SIGTERM on Linux.
    assert_eq!((out.exit_code, out.signal), (None, Some(15)));
}

#[tokio::test]
async fn stdout_and_stderr_interleave_in_write_order() {
    let out = sh("echo out1; echo err1 >&2; echo out2; echo err2 >&2").await;
    assert_eq!(out.output, "out1\nerr1\nout2\nerr2\n");
    assert_eq!(out.truncated_bytes, 0);
}

#[tokio::test]
async fn env_is_added_and_cwd_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(&["sh", "-c", "echo $BRAID_TEST_VAR; pwd; test -n \"$PATH\" && echo path-kept"]);
    req.env.push(("BRAID_TEST_VAR".into(), "hello".into()));
    req.cwd = dir.path().to_path_buf();
    let out = run(req).await.unwrap();
    let cwd = dir.path().canonicalize().unwrap();
    assert_eq!(out.output, format!("hello\n{}\npath-kept\n", cwd.display()));
}

#[tokio::test]
async fn stdin_is_empty() {
    // `cat` would hang forever if stdin were inherited from a terminal or an open pipe.
    let out = sh("cat; echo end").await;
    assert_eq!(out.output, "end\n");
}

#[tokio::test]
async fn big_output_keeps_head_and_tail() {
    let mut req = request(&["seq", "1", "200000"]);
    req.max_output_bytes = 1000;
    let out = run(req).await.unwrap();
    let full: usize = (1..=200_000).map(|n: u32| n.to_string().len() + 1).sum();
    assert_eq!(out.exit_code, Some(0));
    assert!(out.output.starts_with("1\n2\n3\n"), "{}", &out.output[..50]);
    assert!(out.output.ends_with("199999\n200000\n"));
    let marker = format!("[... {} bytes cut ...]\n", out.truncated_bytes);
    assert!(out.output.contains(&marker), "no marker {marker:?}");
    assert_eq!(out.output.len() - marker.len(), full - out.truncated_bytes);
    assert!(out.output.len() <= 1000 + marker.len());
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(&["sh", "-c", "sleep 1000 & echo $!; sleep 1000"]);
    req.cwd = dir.path().to_path_buf();
    // Long enough for the shell to print the background pid even on a loaded machine.
    req.timeout = Duration::from_millis(1500);
    let started = Instant::now();
    let out = run(req).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(out.timed_out);
    assert_eq!((out.exit_code, out.signal), (None, Some(9)));
    let grandchild = pids(&out.output);
    assert_eq!(grandchild.len(), 1, "output so far: {:?}", out.output);
    assert_dies(grandchild[0]).await;
}

#[tokio::test]
async fn background_process_holding_the_pipe_does_not_block() {
    // The shell exits at once, but its background `sleep` keeps the output pipe open.
    let started = Instant::now();
    let out = sh("sleep 1000 & echo $!; echo done").await;
    assert!(started.elapsed() < Duration::from_secs(5), "waited on the escaped grandchild");
    assert_eq!(out.exit_code, Some(0));
    assert!(!out.timed_out);
    let pid = pids(&out.output);
    assert!(out.output.ends_with("done\n"));
    assert_dies(pid[0]).await;
}

#[tokio::test]
async fn dropped_future_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let script =
        format!("echo $$ > {0}.tmp; sleep 1000 & echo $! >> {0}.tmp; mv {0}.tmp {0}; wait", pid_file.display());
    // Poll for the pid file while the command runs, then let `select!` drop the unfinished run, as a
    // cancelled turn would. Polling (rather than a fixed delay) keeps this reliable on a loaded machine.
    let pids = tokio::select! {
        out = run(request(&["sh", "-c", &script])) => panic!("the command finished: {out:?}"),
        pids = async {
            loop {
                if let Ok(text) = std::fs::read_to_string(&pid_file) {
                    break pids(&text);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => pids,
    };
    assert_eq!(pids.len(), 2, "pids: {pids:?}");
    for pid in pids {
        assert_dies(pid).await;
    }
}

#[tokio::test]
async fn missing_program_is_named() {
    let err = run(request(&["braid-no-such-program-xyz", "--help"])).await.unwrap_err();
    assert!(matches!(err, ExecError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("braid-no-such-program-xyz") && message.contains("not found"), "{message}");
}

#[tokio::test]
async fn non_executable_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let err = run(request(&[script.to_str().unwrap()])).await.unwrap_err();
    assert!(matches!(err, ExecError::NotExecutable { .. }), "{err:?}");
    assert!(err.to_string().contains("script.sh"));
}

#[tokio::test]
async fn missing_cwd_is_named() {
    let mut req = request(&["true"]);
    req.cwd = PathBuf::from("/braid/no/such/dir");
    let err = run(req).await.unwrap_err();
    assert!(matches!(err, ExecError::CwdMissing { ref cwd } if cwd == Path::new("/braid/no/such/dir")));
    assert!(err.to_string().contains("/braid/no/such/dir"));
}

#[tokio::test]
async fn empty_argv_is_refused() {
    let err = run(request(&[])).await.unwrap_err();
    assert!(matches!(err, ExecError::EmptyArgv));
}
