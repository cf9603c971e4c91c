//! The start-up benchmark: how long each harness takes from process start to its first model request
//! (against the scripted server, in a one-request session), and how long `--version` takes, alternating
//! harnesses round by round.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;

use crate::agents::Agent;
use crate::measure;
use crate::overhead::{one_line, run_session};
use crate::report::{Summary, cell, ratio};
use crate::session;

#[derive(Debug, Default)]
struct Tally {
    version_ms: Vec<f64>,
    first_request_ms: Vec<f64>,
    session_ms: Vec<f64>,
    rss_mib: Vec<f64>,
    failure: Option<String>,
}

/// Runs `rounds` rounds; returns the Markdown table.
pub fn run(agents: &[Agent], rounds: usize, work: &Path) -> anyhow::Result<String> {
    let steps = Arc::new(session::steps(1));
    let mut tallies: Vec<Tally> = agents.iter().map(|_| Tally::default()).collect();
    for round in 0..rounds {
        for (agent, tally) in agents.iter().zip(&mut tallies) {
            if tally.failure.is_some() {
                continue;
            }
            let result = (|| -> anyhow::Result<()> {
                let version = measure::run(&mut agent.version_command(), Duration::from_secs(60))?;
                if !version.success() {
                    bail!("`{} --version` failed: {version:?}", agent.program.display());
                }
                let label = format!("start-{}-{round}", agent.label().replace([' ', '(', ')'], ""));
                let run = run_session(agent, &steps, work, &label, Duration::from_secs(120))?;
                let Some(first) = run.first_request else { bail!("no model request arrived") };
                tally.version_ms.push(version.wall.as_secs_f64() * 1000.0);
                tally.first_request_ms.push(first.as_secs_f64() * 1000.0);
                tally.session_ms.push(run.measured.wall.as_secs_f64() * 1000.0);
                tally.rss_mib.push(run.measured.max_rss_kib as f64 / 1024.0);
                Ok(())
            })();
            match result {
                Ok(()) => {}
                Err(err) if agent.is_braid() => return Err(err),
                Err(err) => {
                    eprintln!("round {round} {}: {err:#}", agent.label());
                    tally.failure = Some(format!("{err:#}"));
                }
            }
        }
        eprintln!("start-up round {round} done");
    }
    Ok(table(agents, &tallies, rounds))
}

fn table(agents: &[Agent], tallies: &[Tally], rounds: usize) -> String {
    type Column = (&'static str, fn(&Tally) -> &Vec<f64>, usize);
    let columns: [Column; 4] = [
        ("`--version` ms", |t| &t.version_ms, 1),
        ("start to first model request ms", |t| &t.first_request_ms, 1),
        ("one-request session ms", |t| &t.session_ms, 1),
        ("peak RSS MiB", |t| &t.rss_mib, 1),
    ];
    let mut out = format!("| harness ({rounds} rounds, median [min–max]) |");
    for (name, _, _) in &columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for (agent, tally) in agents.iter().zip(tallies) {
        out.push_str(&format!("| {} |", agent.label()));
        for (_, get, decimals) in &columns {
            out.push_str(&format!(" {} |", cell(Summary::of(get(tally)), *decimals)));
        }
        out.push('\n');
    }
    if let Some(braid) = agents.iter().position(Agent::is_braid) {
        for (agent, tally) in agents.iter().zip(tallies).filter(|(a, _)| !a.is_braid()) {
            out.push_str(&format!("| **ratio {} / {}** |", agents[braid].label(), agent.label()));
            for (_, get, _) in &columns {
                out.push_str(&format!(" {} |", ratio(Summary::of(get(&tallies[braid])), Summary::of(get(tally)))));
            }
            out.push('\n');
        }
    }
    for (agent, tally) in agents.iter().zip(tallies) {
        if let Some(failure) = &tally.failure {
            out.push_str(&format!("\n{} could not be measured: {}\n", agent.label(), one_line(failure)));
        }
    }
    out
}
