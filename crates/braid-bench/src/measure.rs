//! Runs one process to completion and measures it the way the benchmarks report it: wall time, CPU time
//! (user + system, children included) and peak resident memory from `wait4`, with a time limit that
//! kills the whole process group.

use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// What one measured run cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The exit code, or `None` when a signal ended the process (the time limit's kill included).
    pub code: Option<i32>,
    pub wall: Duration,
    /// User plus system CPU time of the process and every descendant it waited for.
    pub cpu: Duration,
    /// The largest resident set of the process or any descendant it waited for, in KiB. A harness that
    /// is a launcher (Codex's npm entry point is a Node script starting a native binary) is therefore
    /// charged for its biggest process, not the sum.
    pub max_rss_kib: u64,
    pub timed_out: bool,
}

impl Measured {
    /// Whether the process exited with status 0 within its time limit.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }
}

/// Starts `command` in a process group of its own, waits for it, and kills the whole group when
/// `limit` passes first. Stragglers the process left behind (a shell's background jobs) are killed
/// once it exits, so no benchmark run outlives its measurement.
///
/// Fails when the program cannot be started or waited for; a non-zero exit is a result, not an error.
pub fn run(command: &mut Command, limit: Duration) -> anyhow::Result<Measured> {
    command.process_group(0);
    let program = command.get_program().to_string_lossy().into_owned();
    let started = Instant::now();
    let child = command.spawn().with_context(|| format!("cannot start `{program}`"))?;
    let pid = i32::try_from(child.id()).context("process id out of range")?;
    let (cancel, cancelled) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let fired = matches!(cancelled.recv_timeout(limit), Err(mpsc::RecvTimeoutError::Timeout));
        if fired {
            kill_group(pid);
        }
        fired
    });
    // Wait for the exit without reaping first: while the child is a zombie its pid, and so its group
    // id, cannot be reused, so killing the stragglers of the group cannot hit an unrelated process.
    wait_exit(pid).with_context(|| format!("cannot wait for `{program}` (pid {pid})"))?;
    let wall = started.elapsed();
    let _ = cancel.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    kill_group(pid);
    let (status, usage) = wait4(pid).with_context(|| format!("cannot reap `{program}` (pid {pid})"))?;
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    Ok(Measured { code, wall, cpu, max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0), timed_out })
}

/// Kills every process in the group led by `pid`; a group that is already gone is fine.
fn kill_group(pid: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory of ours.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
    }
}

/// Blocks until `pid` has exited, leaving it unreaped (`WNOWAIT`), retrying on EINTR.
fn wait_exit(pid: i32) -> anyhow::Result<()> {
    let id = libc::id_t::try_from(pid).context("process id out of range")?;
    loop {
        // SAFETY: siginfo_t is plain old data, so all-zero bytes are a valid value that waitid fills.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: the pointer is to a live, writable local of the right type.
        let got = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if got == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            bail!("waitid failed: {err}");
        }
    }
}

/// Reaps `pid`, retrying on EINTR, and returns its raw status and resource usage.
fn wait4(pid: i32) -> anyhow::Result<(i32, libc::rusage)> {
    loop {
        let mut status = 0;
        // SAFETY: rusage is plain old data, so all-zero bytes are a valid value that wait4 overwrites.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live, writable locals of the right types.
        let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if got == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4 failed: {err}");
        }
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_exit_code_cpu_and_memory() {
        // python allocates ~64 MiB and burns a little CPU, so both figures must show it.
        let mut command = Command::new("python3");
        command.args(["-c", "b = bytearray(64 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\nraise SystemExit(3)"]);
        let measured = run(&mut command, Duration::from_secs(30)).unwrap();
        assert_eq!(measured.code, Some(3));
        assert!(!measured.timed_out);
        assert!(measured.max_rss_kib > 60 * 1024, "{measured:?}");
        assert!(measured.cpu > Duration::ZERO, "{measured:?}");
    }

    #[test]
    fn the_limit_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survived");
        // The background sleep would write the marker after the limit if only the shell were killed.
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let measured = run(Command::new("sh").args(["-c", &script]), Duration::from_millis(300)).unwrap();
        assert!(measured.timed_out);
        assert_eq!(measured.code, None);
        assert!(measured.wall < Duration::from_secs(10), "{measured:?}");
        std::thread::sleep(Duration::from_millis(2500));
        assert!(!marker.exists(), "a process of the group outlived the limit");
    }
}
