//! Harnesses measured in alternation, and the comparison table every timing benchmark prints: each
//! round runs every harness once, in order, so a drift in the machine's load hits all of them alike;
//! the table has one row of median [min–max] cells per harness and a ratio row for braid against each
//! peer.

use crate::agents::Agent;
use crate::report::{Summary, cell, one_line, ratio};

/// Everything measured for one harness over all rounds.
#[derive(Debug)]
pub struct Tally<T> {
    pub runs: Vec<T>,
    /// Why a peer stopped being measured; its later rounds are skipped.
    pub failure: Option<String>,
}

/// Runs `measure` for every agent in every round and collects the results per agent, in `agents`'
/// order. A failure of braid ends the benchmark with that error, since braid's figures are the point;
/// a peer's failure is recorded (and printed) and the peer sits out the remaining rounds, so the
/// table can say why it has no figures.
pub fn alternate<T>(
    agents: &[Agent],
    rounds: usize,
    mut measure: impl FnMut(&Agent, usize) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<Tally<T>>> {
    let mut tallies: Vec<Tally<T>> = agents.iter().map(|_| Tally { runs: Vec::new(), failure: None }).collect();
    for round in 0..rounds {
        for (agent, tally) in agents.iter().zip(&mut tallies) {
            if tally.failure.is_some() {
                continue;
            }
            match measure(agent, round) {
                Ok(run) => tally.runs.push(run),
                Err(err) if agent.is_braid() => return Err(err),
                Err(err) => {
                    eprintln!("round {round} {}: {err:#}", agent.label());
                    tally.failure = Some(format!("{err:#}"));
                }
            }
        }
    }
    Ok(tallies)
}

/// One column of the table: its heading, the figure it shows of each run, and the decimals shown.
pub type Column<T> = (&'static str, fn(&T) -> f64, usize);

/// The Markdown table: a header naming `what` was measured, one row per harness (with a `runs` column
/// when `show_runs`), a ratio row of medians for the first braid harness against each peer, and a
/// footnote for every peer that could not be measured.
pub fn table<T>(agents: &[Agent], tallies: &[Tally<T>], what: &str, columns: &[Column<T>], show_runs: bool) -> String {
    let summary =
        |tally: &Tally<T>, figure: fn(&T) -> f64| Summary::of(&tally.runs.iter().map(figure).collect::<Vec<_>>());
    let mut out = format!("| harness ({what}, median [min–max]) |");
    if show_runs {
        out.push_str(" runs |");
    }
    for (name, _, _) in columns {
        out.push_str(&format!(" {name} |"));
    }
    out.push_str(if show_runs { "\n|---|---:|" } else { "\n|---|" });
    out.push_str(&"---:|".repeat(columns.len()));
    out.push('\n');
    for (agent, tally) in agents.iter().zip(tallies) {
        out.push_str(&format!("| {} |", agent.label()));
        if show_runs {
            out.push_str(&format!(" {} |", tally.runs.len()));
        }
        for (_, figure, decimals) in columns {
            out.push_str(&format!(" {} |", cell(summary(tally, *figure), *decimals)));
        }
        out.push('\n');
    }
    if let Some(braid) = agents.iter().position(Agent::is_braid) {
        for (agent, tally) in agents.iter().zip(tallies).filter(|(agent, _)| !agent.is_braid()) {
            out.push_str(&format!("| **ratio {} / {}** |", agents[braid].label(), agent.label()));
            if show_runs {
                out.push_str(" |");
            }
            for (_, figure, _) in columns {
                out.push_str(&format!(" {} |", ratio(summary(&tallies[braid], *figure), summary(tally, *figure))));
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
