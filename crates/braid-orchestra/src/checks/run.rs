//! Running checks on attempts: every (attempt, check) pair as `sh -c <command>` from the attempt's root
//! under the sandbox, a bounded number at a time, each with its full output saved to a log.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use braid_sandbox::{Confinement, EnvPolicy, ExecRequest};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::{CheckOutcome, CheckSpec, recognise, warnings};
use crate::fsutil::write_atomic;

/// How much output a check keeps. The sandbox keeps the first and the last half of this budget; it is
/// large enough that a real test suite's log is complete, and when one is not, the runners' summaries
/// (at the end) are still there. The log then says how much was left out.
const MAX_OUTPUT_BYTES: usize = 32 * 1024 * 1024;

/// An attempt to run checks on: its number and its worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckTarget {
    pub n: u32,
    pub root: PathBuf,
}

/// How checks are run.
#[derive(Debug, Clone)]
pub struct RunChecksOptions {
    /// How many checks run at once, over all attempts and checks (0 counts as 1).
    pub concurrency: usize,
    /// Which of braid's variables the checks do not get.
    pub env_policy: EnvPolicy,
    /// The kernel confinement; `None` runs checks unconfined.
    pub confinement: Option<Arc<Confinement>>,
    /// Where logs go: `<log_dir>/<n>/<check name>.log`.
    pub log_dir: PathBuf,
}

/// One attempt's check results, one per check in the order of the specs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptChecks {
    pub n: u32,
    pub outcomes: Vec<CheckOutcome>,
}

/// Runs every check in `specs` on every target, at most `options.concurrency` at a time, and returns the
/// results in the order of `targets`, each with one outcome per spec in spec order.
///
/// Never fails: a command that cannot start, or a check whose task panicked, is a failed outcome with
/// the reason in its log. A log that cannot be written leaves the outcome as it is; its `log` path then
/// does not exist.
pub async fn run_checks(
    specs: &[CheckSpec],
    targets: &[CheckTarget],
    options: &RunChecksOptions,
) -> Vec<AttemptChecks> {
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut handles = Vec::new();
    for target in targets {
        for spec in specs {
            let (permits, spec, target) = (permits.clone(), spec.clone(), target.clone());
            let log = log_path(&options.log_dir, target.n, &spec.name);
            let (env_policy, confinement) = (options.env_policy.clone(), options.confinement.clone());
            handles.push(tokio::spawn(async move {
                // The semaphore is never closed, so acquiring only fails if that changes; running unbounded
                // is then better than not running.
                let _permit = permits.acquire_owned().await.ok();
                run_one(&spec, &target.root, log, env_policy, confinement).await
            }));
        }
    }
    let mut handles = handles.into_iter();
    let mut results = Vec::with_capacity(targets.len());
    for target in targets {
        let mut outcomes = Vec::with_capacity(specs.len());
        for spec in specs {
            let Some(handle) = handles.next() else { break };
            let outcome = match handle.await {
                Ok(outcome) => outcome,
                Err(err) => {
                    let log = log_path(&options.log_dir, target.n, &spec.name);
                    let reason = format!("braid could not finish check `{}`: {err}\n", spec.name);
                    save_log(&log, reason.as_bytes());
                    failed(spec, log, 0.0)
                }
            };
            outcomes.push(outcome);
        }
        results.push(AttemptChecks { n: target.n, outcomes });
    }
    results
}

/// `<log_dir>/<n>/<name>.log`, with characters that would leave the directory or hide the file
/// (`/`, a leading `.`) replaced by `_`.
fn log_path(log_dir: &Path, n: u32, name: &str) -> PathBuf {
    let mut file: String =
        name.chars().map(|c| if c.is_alphanumeric() || "-_.+".contains(c) { c } else { '_' }).collect();
    if file.is_empty() || file.starts_with('.') {
        file.insert(0, '_');
    }
    log_dir.join(n.to_string()).join(format!("{file}.log"))
}

/// Writes a check's log. A log that cannot be written must not cost the check its result, so the failure
/// is dropped here: the outcome stands and its log path does not exist (as `run_checks` documents).
fn save_log(path: &Path, text: &[u8]) {
    if write_atomic(path, text).is_err() {
        // Nothing else to do: there is no other place for the output, and a library does not print.
    }
}

/// An outcome for a check that did not run to an exit.
fn failed(spec: &CheckSpec, log: PathBuf, seconds: f64) -> CheckOutcome {
    CheckOutcome {
        name: spec.name.clone(),
        command: spec.command.clone(),
        required: spec.required,
        passed: false,
        exit_code: None,
        timed_out: false,
        seconds,
        log,
        runner: None,
        tests: None,
        warnings: Vec::new(),
    }
}

/// Runs one check in `root` and writes its log.
async fn run_one(
    spec: &CheckSpec,
    root: &Path,
    log: PathBuf,
    env_policy: EnvPolicy,
    confinement: Option<Arc<Confinement>>,
) -> CheckOutcome {
    let request = ExecRequest {
        argv: vec!["sh".into(), "-c".into(), spec.command.clone()],
        cwd: root.to_path_buf(),
        env: Vec::new(),
        env_policy,
        confinement,
        timeout: Duration::from_secs(spec.timeout_secs),
        max_output_bytes: MAX_OUTPUT_BYTES,
    };
    let started = Instant::now();
    match braid_sandbox::run(request).await {
        Ok(out) => {
            let mut text = out.output;
            if out.truncated_bytes > 0 {
                text.push_str(&format!(
                    "\n[braid: {} bytes of output were left out of the middle of this log]\n",
                    out.truncated_bytes
                ));
            }
            if out.timed_out {
                text.push_str(&format!("\n[braid: killed after the {} s timeout]\n", spec.timeout_secs));
            }
            save_log(&log, text.as_bytes());
            let recognised = recognise(&text);
            CheckOutcome {
                passed: out.exit_code == Some(0) && !out.timed_out,
                exit_code: out.exit_code,
                timed_out: out.timed_out,
                seconds: out.duration.as_secs_f64(),
                runner: recognised.as_ref().map(|(runner, _)| *runner),
                tests: recognised.map(|(_, counts)| counts),
                warnings: if spec.lint { warnings(&text) } else { Vec::new() },
                ..failed(spec, log, 0.0)
            }
        }
        Err(err) => {
            let reason = format!("braid could not start `sh -c {}` in {}: {err}\n", spec.command, root.display());
            save_log(&log, reason.as_bytes());
            failed(spec, log, started.elapsed().as_secs_f64())
        }
    }
}

#[cfg(test)]
mod tests;
