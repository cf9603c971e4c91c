//! Telling whether the braid process that owns a run is still alive, so a run whose process was killed
//! shows as interrupted instead of running forever.
//!
//! A pid alone is not enough: after the owner dies the kernel may hand the same pid to an unrelated
//! process. So a run records the pid, the host name and the process's start time (field 22 of
//! `/proc/<pid>/stat`, in clock ticks since boot), and the owner counts as alive only when a process with
//! that pid exists, is not a zombie, and started at that same tick.

use std::path::Path;

/// Which process owns a run: enough to recognise that very process later on this machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProcessStamp {
    pub pid: u32,
    /// The machine's host name, from `/proc/sys/kernel/hostname`. A run owned by another machine (a
    /// repository on a shared disk) cannot be checked from here and is taken to be alive.
    pub hostname: String,
    /// Start time of the process in clock ticks since boot, from `/proc/<pid>/stat`.
    pub start_ticks: u64,
}

impl ProcessStamp {
    /// The stamp of the calling process. Returns `None` where `/proc` cannot be read (not Linux); the run
    /// is then recorded without an owner and never reported as interrupted on its own.
    pub fn current() -> Option<ProcessStamp> {
        ProcessStamp::of_pid(std::process::id())
    }

    /// The stamp of the live process `pid` on this machine, or `None` when there is no such process (or
    /// it is a zombie, or `/proc` cannot be read).
    pub fn of_pid(pid: u32) -> Option<ProcessStamp> {
        let stat = read_stat(pid)?;
        if stat.state == 'Z' || stat.state == 'X' {
            return None;
        }
        Some(ProcessStamp { pid, hostname: hostname(), start_ticks: stat.start_ticks })
    }

    /// True unless this stamp's process is known to be gone: same host, and no live process with that
    /// pid and start time. A stamp from another host is taken as alive, since it cannot be checked here.
    pub fn is_alive(&self) -> bool {
        if self.hostname != hostname() {
            return true;
        }
        ProcessStamp::of_pid(self.pid).is_some_and(|now| now.start_ticks == self.start_ticks)
    }
}

/// The machine's host name, or an empty string when `/proc/sys/kernel/hostname` cannot be read.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|name| name.trim().to_string()).unwrap_or_default()
}

/// The two fields of `/proc/<pid>/stat` that liveness needs.
struct Stat {
    state: char,
    start_ticks: u64,
}

/// Reads and parses `/proc/<pid>/stat`; `None` when the process does not exist or the file is not in
/// the expected shape.
fn read_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    parse_stat(&text)
}

/// Parses the text of a `/proc/<pid>/stat` file. The second field is the command name in parentheses and
/// may itself contain spaces and parentheses, so the fields after it are counted from the *last* `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Fields after the name start at field 3 (state); the start time is field 22.
    let state = fields.next()?.chars().next()?;
    let start_ticks = fields.nth(22 - 4)?.parse().ok()?;
    Some(Stat { state, start_ticks })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_names() {
        let check = |text: &str, expected: Option<(char, u64)>| {
            let got = parse_stat(text).map(|s| (s.state, s.start_ticks));
            assert_eq!(got, expected, "{text}");
        };
        let tail = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19 20";
        check(&format!("42 (sleep) S {tail}"), Some(('S', 777)));
        check(&format!("42 (a b) c) (d) Z {tail}"), Some(('Z', 777)));
        check("42 (sleep) S 1 2", None);
        check("garbage", None);
    }

    #[test]
    fn the_current_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = ProcessStamp::current().unwrap();
        assert!(me.is_alive());
        let reused = ProcessStamp { start_ticks: me.start_ticks + 1, ..me.clone() };
        assert!(!reused.is_alive());
        let elsewhere = ProcessStamp { hostname: format!("{}-other", me.hostname), ..reused };
        assert!(elsewhere.is_alive());
    }
}
