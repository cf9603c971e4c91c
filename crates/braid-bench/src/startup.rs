//! The start-up benchmark: how long each harness takes from process start to its first model request
//! (against the scripted server, in a one-request session), and how long `--version` takes, alternating
//! harnesses round by round.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use crate::agents::Agent;
use crate::measure;
use crate::overhead::run_session;
use crate::rounds::{self, Column};
use crate::session;

/// One round of one harness.
#[derive(Debug)]
struct Startup {
    version_ms: f64,
    first_request_ms: f64,
    session_ms: f64,
    rss_mib: f64,
}

/// Runs `rounds` rounds; returns the Markdown table.
pub fn run(agents: &[Agent], rounds: usize, work: &Path) -> anyhow::Result<String> {
    let steps = Arc::new(session::steps(1));
    let tallies = rounds::alternate(agents, rounds, |agent, round| {
        let version = measure::run(&mut agent.version_command(), Duration::from_secs(60))?;
        if !version.success() {
            bail!("`{} --version` failed: {version:?}", agent.program.display());
        }
        let label = format!("start-{}-{round}", agent.label().replace([' ', '(', ')'], ""));
        let run = run_session(agent, &steps, work, &label, Duration::from_secs(120))?;
        let Some(first) = run.first_request else { bail!("no model request arrived") };
        eprintln!(
            "round {round} {:<22} --version {:>6.1} ms, first request after {:>6.1} ms",
            agent.label(),
            version.wall.as_secs_f64() * 1000.0,
            first.as_secs_f64() * 1000.0
        );
        Ok(Startup {
            version_ms: version.wall.as_secs_f64() * 1000.0,
            first_request_ms: first.as_secs_f64() * 1000.0,
            session_ms: run.measured.wall.as_secs_f64() * 1000.0,
            rss_mib: run.measured.max_rss_kib as f64 / 1024.0,
        })
    })?;
    let columns: [Column<Startup>; 4] = [
        ("`--version` ms", |s| s.version_ms, 1),
        ("start to first model request ms", |s| s.first_request_ms, 1),
        ("one-request session ms", |s| s.session_ms, 1),
        ("peak RSS MiB", |s| s.rss_mib, 1),
    ];
    Ok(rounds::table(agents, &tallies, &format!("{rounds} rounds"), &columns, false))
}
