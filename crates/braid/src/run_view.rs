//! How runs look in the terminal: the live progress of `braid run` (a line per attempt), the `braid runs`
//! table, `braid show` and the `braid gc` report.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use braid_orchestra::author::one_line;
use braid_orchestra::run::GcReport;
use braid_orchestra::store::{AttemptState, RunDetail, RunSummary};
use braid_protocol::{AgentEvent, AttemptSummary, RunEvent};

/// The longest "last action" shown on a progress line.
const ACTION_CHARS: usize = 60;

/// One attempt as the progress shows it.
#[derive(Debug, Clone)]
struct Row {
    n: u32,
    agent: String,
    state: String,
    turns: u32,
    tokens: u64,
    started: Instant,
    finished: Option<Duration>,
    action: String,
}

/// The live progress of a run. On a terminal the block of attempt lines is redrawn in place; elsewhere
/// (a pipe, CI logs) each state change is printed once as a plain line, which reads well in a log.
pub struct Progress {
    live: bool,
    rows: Vec<Row>,
    drawn: usize,
    last_draw: Option<Instant>,
    run: String,
    out: Vec<u8>,
}

impl Progress {
    pub fn new(live: bool) -> Progress {
        Progress { live, rows: Vec::new(), drawn: 0, last_draw: None, run: String::new(), out: Vec::new() }
    }

    /// Takes in one event and updates the display.
    pub fn on(&mut self, event: &RunEvent) {
        match event {
            RunEvent::RunStarted { run, base, attempts, resumed } => {
                self.run = run.clone();
                let verb = if *resumed { "resuming" } else { "run" };
                self.line(&format!("{verb} {run} · {} attempts from {}", attempts.len(), short(base)));
                for attempt in attempts {
                    let approach = attempt
                        .approach
                        .as_deref()
                        .map(|a| format!(" · approach: {}", clip(a, 50)))
                        .unwrap_or_default();
                    self.line(&format!("  #{} {} on {}{approach}", attempt.n, attempt.agent, attempt.branch));
                    self.rows.push(Row {
                        n: attempt.n,
                        agent: attempt.agent.clone(),
                        state: "pending".into(),
                        turns: 0,
                        tokens: 0,
                        started: Instant::now(),
                        finished: None,
                        action: String::new(),
                    });
                }
            }
            RunEvent::AttemptState { n, state, note } => {
                if let Some(row) = self.row(*n) {
                    row.state = state.clone();
                    if state == "running" {
                        row.started = Instant::now();
                    }
                }
                // A final state is printed with the attempt's summary right after.
                if !self.live && !matches!(state.as_str(), "committed" | "failed" | "cancelled") {
                    let note = note.as_deref().map(|n| format!(" ({})", clip(n, 80))).unwrap_or_default();
                    self.line(&format!("#{n} {state}{note}"));
                }
            }
            RunEvent::Agent { n, event } => {
                let Some(row) = self.row(*n) else { return };
                match event {
                    AgentEvent::ToolCallBegin { name, arguments, .. } => {
                        row.turns += 1;
                        row.action = format!("{name} {}", clip(&one_line(arguments), ACTION_CHARS));
                    }
                    AgentEvent::AgentMessage { text } => row.action = clip(&one_line(text), ACTION_CHARS),
                    AgentEvent::TurnCompleted { total_usage, .. } => row.tokens = total_usage.total(),
                    AgentEvent::Warning { message } => row.action = clip(&one_line(message), ACTION_CHARS),
                    _ => return,
                }
            }
            RunEvent::Progress { n, text } => {
                if let Some(row) = self.row(*n) {
                    row.action = clip(&one_line(text), ACTION_CHARS);
                }
                if !self.live {
                    self.line(&format!("#{n} {}", clip(&one_line(text), 100)));
                }
            }
            RunEvent::AttemptFinished { n, summary } => {
                if let Some(row) = self.row(*n) {
                    row.state = summary.state.clone();
                    row.finished = Some(Duration::from_millis(summary.elapsed_ms));
                    row.turns = row.turns.max(summary.turns);
                    row.tokens = row.tokens.max(summary.usage.total());
                }
                if !self.live {
                    self.line(&format!("#{n} {}", finished_line(summary)));
                }
            }
            RunEvent::RunFinished { run, committed, failed, cancelled } => {
                self.draw(true);
                self.drawn = 0;
                self.line(&format!(
                    "run {run}: {committed} committed, {failed} failed, {cancelled} cancelled · `braid show {run}` for details"
                ));
                return;
            }
        }
        self.draw(false);
    }

    /// Draws the final state of the block, once the run is over.
    pub fn finish(&mut self) {
        self.flush();
    }

    fn row(&mut self, n: u32) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.n == n)
    }

    /// Prints a line above the live block (or just a line, when not live).
    fn line(&mut self, text: &str) {
        self.erase();
        let _ = writeln!(self.out, "{text}");
        self.flush();
    }

    /// Redraws the attempt lines in place, at most ten times a second unless `force`.
    fn draw(&mut self, force: bool) {
        if !self.live || self.rows.is_empty() {
            return;
        }
        if !force && self.last_draw.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        self.last_draw = Some(Instant::now());
        self.erase();
        let lines: Vec<String> = self.rows.iter().map(row_line).collect();
        for line in &lines {
            let _ = writeln!(self.out, "{line}");
        }
        self.drawn = lines.len();
        self.flush();
    }

    /// Moves the cursor back over the live block and clears it.
    fn erase(&mut self) {
        if self.live && self.drawn > 0 {
            let _ = write!(self.out, "\x1b[{}A\x1b[J", self.drawn);
            self.drawn = 0;
        }
    }

    fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(&self.out);
        let _ = stderr.flush();
        self.out.clear();
    }
}

fn row_line(row: &Row) -> String {
    let elapsed = row.finished.unwrap_or_else(|| row.started.elapsed());
    format!(
        "  #{:<2} {:<10} {:<11} {:>3} turns {:>8} tok {:>6}  {}",
        row.n,
        clip(&row.agent, 10),
        row.state,
        row.turns,
        row.tokens,
        format_duration(elapsed),
        row.action
    )
}

fn finished_line(summary: &AttemptSummary) -> String {
    let mut line = format!(
        "{} · {} files +{} -{} · {} turns · {} tokens · {}",
        summary.state,
        summary.files_changed,
        summary.insertions,
        summary.deletions,
        summary.turns,
        summary.usage.total(),
        format_duration(Duration::from_millis(summary.elapsed_ms))
    );
    if let Some(commit) = &summary.commit {
        let _ = write!(line, " · commit {}", short(commit));
    }
    if let Some(error) = &summary.error {
        let _ = write!(line, " · {}", clip(&one_line(error), 120));
    }
    line
}

/// The `braid runs` table.
pub fn runs_table(runs: &[RunSummary]) -> String {
    let mut out = String::from("RUN                     STATE        ATTEMPTS  COMMITTED  FAILED  TOKENS    TASK\n");
    for summary in runs {
        let run = &summary.run;
        let count = |state: AttemptState| summary.attempts_by_state.get(&state).copied().unwrap_or(0);
        let tokens = summary.tokens.input + summary.tokens.output;
        let _ = writeln!(
            out,
            "{:<23} {:<12} {:>8}  {:>9}  {:>6}  {:>8}  {}",
            run.id,
            run.state.as_str(),
            run.attempts,
            count(AttemptState::Committed),
            count(AttemptState::Failed),
            tokens,
            clip(&one_line(&run.task), 50)
        );
    }
    out
}

/// `braid show`: the run, then a block per attempt.
pub fn run_detail_text(detail: &RunDetail) -> String {
    let run = &detail.run;
    let mut out = format!("run {} · {}\n", run.id, run.state.as_str());
    let _ = writeln!(out, "task: {}", one_line(&run.task));
    if let Some(plan) = &run.plan_path {
        let _ = writeln!(out, "plan: {}", plan.display());
    }
    let _ =
        writeln!(out, "base: {} · started {}", short(&run.base_commit), run.created_at.format("%Y-%m-%d %H:%M:%SZ"));
    for attempt in &detail.attempts {
        let _ = writeln!(out, "\n#{} {} · {} · {}", attempt.n, attempt.agent, attempt.state.as_str(), attempt.branch);
        if let Some(approach) = &attempt.approach {
            let _ = writeln!(out, "  approach: {}", one_line(approach));
        }
        if let Some(commit) = &attempt.commit {
            let _ = writeln!(out, "  commit:   {commit}");
        }
        let _ = writeln!(
            out,
            "  turns {} · tokens {} in ({} cached) / {} out{}",
            attempt.turns,
            attempt.tokens.input,
            attempt.tokens.cached,
            attempt.tokens.output,
            attempt.cost_usd.map(|c| format!(" · ${c:.4}")).unwrap_or_default()
        );
        if let Some(error) = &attempt.error {
            let _ = writeln!(out, "  error:    {}", clip(&one_line(error), 200));
        }
        let history: Vec<String> =
            detail.transitions.iter().filter(|t| t.n == attempt.n).map(|t| t.to.as_str().to_string()).collect();
        if !history.is_empty() {
            let _ = writeln!(out, "  states:   {}", history.join(" → "));
        }
    }
    out
}

/// What `braid gc` did (or, with `dry_run`, would do).
pub fn gc_text(report: &GcReport, dry_run: bool) -> String {
    let mut out = String::new();
    for line in &report.actions {
        let _ = writeln!(out, "{}{line}", if dry_run { "would: " } else { "" });
    }
    for run in &report.skipped_live {
        let _ = writeln!(out, "skipped run {run}: it is still going");
    }
    for problem in &report.problems {
        let _ = writeln!(out, "problem: {problem}");
    }
    if report.actions.is_empty() && report.problems.is_empty() {
        out.push_str("nothing to collect\n");
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(max.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

fn short(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 3600 {
        format!("{}h{:02}m", secs / 3600, secs % 3600 / 60)
    } else if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}.{}s", secs, duration.subsec_millis() / 100)
    }
}
