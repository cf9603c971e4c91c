//! Running a plan's checks: each one a shell command from the repository root, under the session's
//! sandbox and environment policy, with its own timeout.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use braid_sandbox::{Confinement, EnvPolicy, ExecRequest};
use serde::Serialize;

use crate::plan::Check;

/// Lines of a failing check's output shown to the model: the end, where test runners summarise.
const TAIL_LINES: usize = 40;

/// How checks are run.
#[derive(Debug, Clone, Default)]
pub struct CheckRunner {
    /// Which of braid's variables the checks do not get.
    pub env_policy: EnvPolicy,
    /// The kernel confinement; `None` runs checks unconfined (the `full-access` policy).
    pub confinement: Option<Arc<Confinement>>,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub name: String,
    pub command: String,
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub seconds: f64,
    /// The last lines of the output.
    pub tail: String,
}

impl CheckResult {
    /// One line for people: `test passed (1.2 s)` or `test failed: exit 1 (0.4 s)`.
    pub fn summary(&self) -> String {
        format!("{} {}", self.name, self.verdict())
    }

    /// How the check ended, without its name: `passed (1.2 s)` or `failed: exit 1 (0.4 s)`.
    pub fn verdict(&self) -> String {
        let how = if self.passed {
            "passed".to_string()
        } else if self.timed_out {
            "timed out".to_string()
        } else {
            match self.exit_code {
                Some(code) => format!("failed: exit {code}"),
                None => "failed: killed by a signal".to_string(),
            }
        };
        format!("{how} ({:.1} s)", self.seconds)
    }
}

impl CheckRunner {
    /// Runs `check` from `root`. A command that cannot be started counts as failed, with the reason as
    /// its output.
    pub async fn run(&self, root: &Path, check: &Check) -> CheckResult {
        let request = ExecRequest {
            argv: vec!["sh".into(), "-c".into(), check.command.clone()],
            cwd: root.to_path_buf(),
            env: Vec::new(),
            env_policy: self.env_policy.clone(),
            confinement: self.confinement.clone(),
            timeout: Duration::from_secs(check.timeout_secs),
            max_output_bytes: 64 * 1024,
        };
        let started = std::time::Instant::now();
        let result = CheckResult {
            name: check.name.clone(),
            command: check.command.clone(),
            passed: false,
            exit_code: None,
            timed_out: false,
            seconds: 0.0,
            tail: String::new(),
        };
        match braid_sandbox::run(request).await {
            Ok(out) => CheckResult {
                passed: out.exit_code == Some(0) && !out.timed_out,
                exit_code: out.exit_code,
                timed_out: out.timed_out,
                seconds: out.duration.as_secs_f64(),
                tail: tail(&out.output),
                ..result
            },
            Err(err) => CheckResult { seconds: started.elapsed().as_secs_f64(), tail: err.to_string(), ..result },
        }
    }
}

fn tail(output: &str) -> String {
    let lines: Vec<&str> = output.trim_end().lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}
