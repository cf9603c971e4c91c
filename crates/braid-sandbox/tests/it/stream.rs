//! `braid_sandbox::stream` against real processes: lines arrive while the process runs, the process group
//! dies with the handle, long lines are capped, stderr is kept apart, and a missing program is named.

use std::time::{Duration, Instant};

use braid_sandbox::exec::ExecError;
use braid_sandbox::stream::{ExitInfo, StreamRequest, spawn};

fn sh(script: &str) -> StreamRequest {
    StreamRequest::new(vec!["sh".into(), "-c".into(), script.into()], std::env::temp_dir())
}

/// Whether `pid` has exited: gone from /proc, or a zombie waiting to be reaped.
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

async fn assert_dies(pid: u32) {
    let until = Instant::now() + Duration::from_secs(5);
    while !is_dead(pid) {
        assert!(Instant::now() < until, "process {pid} is still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn lines_arrive_while_the_process_still_runs() {
    // The process prints one line and then waits for a file that the test creates only after it has
    // read that line: if lines were only delivered at exit, this would hang until the timeout.
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("go");
    let script = format!("echo first; while [ ! -e '{}' ]; do sleep 0.02; done; echo second", flag.display());
    let mut child = spawn(&sh(&script)).unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), child.next_line()).await.unwrap();
    assert_eq!(first.unwrap().unwrap(), "first");
    std::fs::write(&flag, "").unwrap();
    assert_eq!(child.next_line().await.unwrap().unwrap(), "second");
    assert!(child.next_line().await.is_none());
    assert_eq!(child.wait().await.unwrap(), ExitInfo { code: Some(0), signal: None });
}

#[tokio::test]
async fn a_last_line_without_newline_and_crlf_endings_are_read() {
    let mut child = spawn(&sh("printf 'a\\r\\nb\\n\\nc'")).unwrap();
    let mut lines = Vec::new();
    while let Some(line) = child.next_line().await {
        lines.push(line.unwrap());
    }
    assert_eq!(lines, ["a", "b", "", "c"]);
}

#[tokio::test]
async fn dropping_the_handle_kills_the_whole_group() {
    let mut child = spawn(&sh("sleep 1000 & echo $!; wait")).unwrap();
    let leader = child.id().unwrap();
    let grandchild: u32 = child.next_line().await.unwrap().unwrap().trim().parse().unwrap();
    assert!(!is_dead(grandchild));
    drop(child);
    assert_dies(grandchild).await;
    assert_dies(leader).await;
}

#[tokio::test]
async fn kill_ends_the_group_and_wait_reports_the_signal() {
    let mut child = spawn(&sh("sleep 1000 & echo $!; wait")).unwrap();
    let grandchild: u32 = child.next_line().await.unwrap().unwrap().trim().parse().unwrap();
    child.kill();
    let exit = tokio::time::timeout(Duration::from_secs(5), child.wait()).await.unwrap().unwrap();
    // 9 is SIGKILL on Linux.
    assert_eq!(exit, ExitInfo { code: None, signal: Some(9) });
    assert_dies(grandchild).await;
}

#[tokio::test]
async fn a_huge_line_is_capped_and_marked() {
    // Ten megabytes on one line, then a normal one: the first comes back cut to the cap, the second whole.
    let mut req = sh("head -c 10485760 /dev/zero | tr '\\0' x; echo; echo next");
    req.max_line_bytes = 1000;
    let mut child = spawn(&req).unwrap();
    let long = child.next_line().await.unwrap().unwrap();
    assert!(long.starts_with(&"x".repeat(1000)), "{}", &long[..50]);
    assert!(long.ends_with(&format!("[braid: line truncated, {} bytes dropped]", 10_485_760 - 1000)), "{long:.1100}");
    assert!(long.len() < 1100);
    assert_eq!(child.next_line().await.unwrap().unwrap(), "next");
}

#[tokio::test]
async fn stderr_is_kept_apart_tailed_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("err.log");
    let mut req = sh("echo out; i=0; while [ $i -lt 100 ]; do echo err$i >&2; i=$((i+1)); done; exit 4");
    req.stderr_tail_bytes = 12;
    req.stderr_log = Some(log.clone());
    let mut child = spawn(&req).unwrap();
    assert_eq!(child.next_line().await.unwrap().unwrap(), "out");
    assert!(child.next_line().await.is_none());
    assert_eq!(child.wait().await.unwrap().code, Some(4));
    assert_eq!(child.stderr_tail(), "err98\nerr99\n");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.starts_with("err0\nerr1\n") && logged.ends_with("err99\n"), "{logged}");
}

#[tokio::test]
async fn stdin_bytes_are_given_and_then_closed() {
    let mut req = sh("cat; echo done");
    req.stdin = Some(b"from braid\n".to_vec());
    let mut child = spawn(&req).unwrap();
    assert_eq!(child.next_line().await.unwrap().unwrap(), "from braid");
    assert_eq!(child.next_line().await.unwrap().unwrap(), "done");
}

#[tokio::test]
async fn a_missing_program_or_directory_is_named() {
    let req = StreamRequest::new(vec!["braid-no-such-agent".into()], std::env::temp_dir());
    let err = spawn(&req).unwrap_err();
    assert!(matches!(&err, ExecError::NotFound { program } if program == "braid-no-such-agent"), "{err:?}");
    assert!(err.to_string().contains("braid-no-such-agent"));

    let req = StreamRequest::new(vec!["sh".into()], "/no/such/dir".into());
    assert!(matches!(spawn(&req).unwrap_err(), ExecError::CwdMissing { .. }));
    let req = StreamRequest::new(Vec::new(), std::env::temp_dir());
    assert!(matches!(spawn(&req).unwrap_err(), ExecError::EmptyArgv));
}
