//! A real terminal for end-to-end tests of the interactive session: a private tmux server (its own
//! socket in a temp dir, so the developer's tmux is never touched) running one pane, typed into with
//! `send-keys` and read with `capture-pane`.
//!
//! `cargo xtask test` installs tmux and sets `BRAID_REQUIRE_TMUX=1`; a missing tmux is then a failure.
//! Without that variable a test that needs it prints why it is skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How often the pane is read while waiting for text.
const POLL: Duration = Duration::from_millis(100);

/// One tmux pane running one command, torn down (server and all) on drop.
pub struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

/// Whether tmux is installed. Returns `false` after printing the skip reason when it is not and it is not
/// required; panics when `BRAID_REQUIRE_TMUX=1`.
pub fn tmux_available() -> bool {
    let found = Command::new("tmux").arg("-V").output().is_ok_and(|out| out.status.success());
    if found {
        return true;
    }
    let reason = "tmux is not installed; run `sudo apt-get install -y tmux` or `cargo xtask test`, which installs it";
    crate::unavailable("BRAID_REQUIRE_TMUX", reason);
    false
}

impl Tmux {
    /// Starts `command` (run by `sh -c`) in a `width`×`height` pane working in `cwd`, with `env` set on
    /// top of a minimal environment (`PATH`, `HOME`, `TERM=xterm-256color`, `LANG=C.UTF-8`).
    pub fn start(command: &str, cwd: &Path, env: &[(&str, &str)], width: u16, height: u16) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let tmux = Tmux { socket, _dir: dir };
        let path = std::env::var("PATH").unwrap_or_default();
        let home = std::env::var("HOME").unwrap_or_else(|_| "/".into());
        let mut args: Vec<String> = vec![
            "-f".into(),
            "/dev/null".into(),
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            "t".into(),
            "-x".into(),
            width.to_string(),
            "-y".into(),
            height.to_string(),
            "-c".into(),
            cwd.display().to_string(),
        ];
        let base = [("PATH", path.as_str()), ("HOME", home.as_str()), ("TERM", "xterm-256color"), ("LANG", "C.UTF-8")];
        for (key, value) in base.iter().chain(env) {
            args.push("-e".into());
            args.push(format!("{key}={value}"));
        }
        // The pane stays after the command ends, so a test can read what it left on the screen.
        args.push(format!("{command}; echo \"[exited $?]\"; sleep 600"));
        tmux.run(&args);
        tmux
    }

    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let output = Command::new("tmux").arg("-S").arg(&self.socket).args(args).output().unwrap();
        assert!(
            output.status.success(),
            "tmux {:?} failed: {}",
            args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect::<Vec<_>>(),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Types `text` literally (no key names are interpreted).
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Presses keys by tmux's names: `Enter`, `C-c`, `Escape`, `y`, `Up`.
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The visible screen and the scrollback above it, as text.
    pub fn screen(&self) -> String {
        let output = self.run(&["capture-pane", "-p", "-J", "-S", "-2000", "-t", "t"]);
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the pane shows `needle`, and returns the screen then. Panics with the screen after
    /// `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        self.wait_until(&format!("`{needle}`"), timeout, |screen| screen.contains(needle))
    }

    /// Waits until `done` holds for the screen, and returns the screen then. Panics naming `what`, with
    /// the screen, after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("the pane never showed {what} within {timeout:?}; it shows:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-S").arg(&self.socket).arg("kill-server").output();
    }
}
