//! The live view of a run: one row per attempt (state, turns, tokens, elapsed, last action), and one
//! attempt's transcript on demand, kept apart from the terminal so that it is testable.

use std::time::{Duration, Instant};

use braid_protocol::{AgentEvent, RunEvent, ToolEffect};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cells::{human_duration, human_tokens};
use crate::palette;
use crate::timeline::{Timeline, summarize_arguments};
use crate::wrap::{truncate, wrap_line};
use crate::{RunIntent, RunView};

/// One attempt's row and transcript.
#[derive(Debug)]
struct Attempt {
    n: u32,
    agent: String,
    state: String,
    tokens: u64,
    turns: Option<u32>,
    started: Option<Instant>,
    elapsed: Option<Duration>,
    last_action: String,
    timeline: Timeline,
}

/// The state of the run panel.
#[derive(Debug)]
pub struct RunPanel {
    /// The time the panel treats as now; the terminal loop advances it, tests set it.
    pub now: Instant,
    title: String,
    run: Option<String>,
    attempts: Vec<Attempt>,
    selected: usize,
    /// The attempt whose transcript is open, and how many lines up from its end the view is scrolled.
    open: Option<(usize, usize)>,
    summary: Option<String>,
    cancelling: bool,
}

impl RunPanel {
    /// The state for a new run panel.
    pub fn new(view: RunView, now: Instant) -> Self {
        RunPanel {
            now,
            title: view.title,
            run: None,
            attempts: Vec::new(),
            selected: 0,
            open: None,
            summary: None,
            cancelling: false,
        }
    }

    /// Whether the run is over.
    pub fn finished(&self) -> bool {
        self.summary.is_some()
    }

    fn attempt(&mut self, n: u32) -> &mut Attempt {
        let i = match self.attempts.iter().position(|a| a.n == n) {
            Some(i) => i,
            None => {
                // An attempt the start did not announce (a resumed run) still gets its row.
                self.attempts.push(Attempt {
                    n,
                    agent: String::new(),
                    state: "pending".to_string(),
                    tokens: 0,
                    turns: None,
                    started: None,
                    elapsed: None,
                    last_action: String::new(),
                    timeline: Timeline::default(),
                });
                self.attempts.len() - 1
            }
        };
        &mut self.attempts[i]
    }

    /// Applies one event of the run.
    pub fn apply(&mut self, event: &RunEvent) {
        let now = self.now;
        match event {
            RunEvent::RunStarted { run, attempts, .. } => {
                self.run = Some(run.clone());
                for info in attempts {
                    let a = self.attempt(info.n);
                    a.agent = match &info.approach {
                        Some(approach) => format!("{} ({approach})", info.agent),
                        None => info.agent.clone(),
                    };
                }
            }
            RunEvent::AttemptState { n, state, note } => {
                let a = self.attempt(*n);
                a.state = state.clone();
                if state == "running" && a.started.is_none() {
                    a.started = Some(now);
                }
                if let Some(note) = note {
                    a.last_action = note.clone();
                }
            }
            RunEvent::Agent { n, event } => {
                let a = self.attempt(*n);
                if a.started.is_none() {
                    a.started = Some(now);
                }
                a.timeline.apply(event, now);
                if let Some(action) = last_action(event) {
                    a.last_action = action;
                }
                if let AgentEvent::TurnCompleted { total_usage, .. } = event {
                    a.tokens = total_usage.total();
                }
            }
            RunEvent::Progress { n, text } => self.attempt(*n).last_action = text.clone(),
            RunEvent::AttemptFinished { n, summary } => {
                let a = self.attempt(*n);
                a.state = summary.state.clone();
                a.turns = Some(summary.turns);
                a.tokens = summary.usage.total();
                a.elapsed = Some(Duration::from_millis(summary.elapsed_ms));
                a.last_action = match (&summary.error, &summary.commit) {
                    (Some(error), _) => error.clone(),
                    (None, Some(commit)) => format!(
                        "{} · {} files +{} -{}",
                        commit.chars().take(8).collect::<String>(),
                        summary.files_changed,
                        summary.insertions,
                        summary.deletions
                    ),
                    (None, None) => "no changes".to_string(),
                };
            }
            RunEvent::RunFinished { run, committed, failed, cancelled } => {
                self.summary =
                    Some(format!("run {run}: {committed} committed, {failed} failed, {cancelled} cancelled"));
            }
        }
    }

    /// Handles one key press and returns what the user asked for.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<RunIntent> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.cancelling = true;
            return vec![RunIntent::Cancel];
        }
        match (&mut self.open, key.code) {
            (Some(_), KeyCode::Esc | KeyCode::Char('q')) => self.open = None,
            (Some((_, scroll)), KeyCode::Up) => *scroll += 1,
            (Some((_, scroll)), KeyCode::Down) => *scroll = scroll.saturating_sub(1),
            (Some((_, scroll)), KeyCode::PageUp) => *scroll += 10,
            (Some((_, scroll)), KeyCode::PageDown) => *scroll = scroll.saturating_sub(10),
            (None, KeyCode::Up) => self.selected = self.selected.saturating_sub(1),
            (None, KeyCode::Down) => self.selected = (self.selected + 1).min(self.attempts.len().saturating_sub(1)),
            (None, KeyCode::Enter) if !self.attempts.is_empty() => self.open = Some((self.selected, 0)),
            _ => {}
        }
        Vec::new()
    }

    /// The table's lines at `width`: a header row, then one row per attempt, the selected one marked.
    pub(crate) fn table_lines(&self, width: usize, selectable: bool) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        let title = match &self.run {
            Some(run) => format!("run {run} · {}", self.title),
            None => self.title.clone(),
        };
        out.extend(wrap_line(&Line::styled(title, palette::bold()), width, &[]));
        let agent_width = self
            .attempts
            .iter()
            .map(|a| crate::wrap::width(&a.agent))
            .max()
            .unwrap_or(5)
            .clamp(5, if width < 70 { 8 } else { 16 });
        let row = |marker: &str, n: &str, agent: &str, state: &str, turns: &str, tokens: &str, elapsed: &str| {
            format!(
                "{marker}{n:>3} {agent:<aw$} {state:<10} {turns:>5} {tokens:>7} {elapsed:>7} ",
                agent = truncate(agent, agent_width),
                aw = agent_width
            )
        };
        let header = row("  ", "#", "agent", "state", "turns", "tokens", "elapsed") + "last action";
        out.push(Line::styled(truncate(&header, width), palette::dim()));
        for (i, a) in self.attempts.iter().enumerate() {
            let elapsed = match (a.elapsed, a.started) {
                (Some(e), _) => human_duration(e),
                // Whole seconds while running: tenths would flicker on every redraw.
                (None, Some(s)) => match self.now.saturating_duration_since(s).as_secs() {
                    secs if secs < 60 => format!("{secs}s"),
                    secs => human_duration(Duration::from_secs(secs)),
                },
                (None, None) => "-".to_string(),
            };
            let turns = a.turns.unwrap_or(a.timeline.turns).to_string();
            let marker = if selectable && i == self.selected { "▸ " } else { "  " };
            let left = row(marker, &a.n.to_string(), &a.agent, &a.state, &turns, &human_tokens(a.tokens), &elapsed);
            let room = width.saturating_sub(crate::wrap::width(&left));
            let state_style = match a.state.as_str() {
                "committed" => palette::good(),
                "failed" => palette::bad(),
                "cancelled" => palette::warn(),
                _ => palette::accent(),
            };
            let mut spans = vec![Span::styled(truncate(&left, width), state_style)];
            if room > 1 {
                spans.push(Span::styled(truncate(a.last_action.lines().next().unwrap_or(""), room), palette::dim()));
            }
            let line = Line::from(spans);
            out.push(if selectable && i == self.selected { line.style(palette::bold()) } else { line });
        }
        out
    }

    /// What stays in the scrollback when the panel closes: the table and the run's summary.
    pub fn final_lines(&self, width: u16) -> Vec<Line<'static>> {
        let mut out = self.table_lines(width as usize, false);
        if let Some(summary) = &self.summary {
            out.extend(wrap_line(&Line::styled(summary.clone(), palette::bold()), width as usize, &[]));
        }
        out.push(Line::default());
        out
    }

    /// The lines of attempt `i`'s transcript at `width`: its finished cells, then what is in progress.
    fn transcript_lines(&self, i: usize, width: usize) -> Vec<Line<'static>> {
        let Some(a) = self.attempts.get(i) else { return Vec::new() };
        let mut out = vec![Line::styled(format!("attempt {} · {} · {}", a.n, a.agent, a.state), palette::bold())];
        for cell in &a.timeline.finished {
            out.extend(cell.lines(width));
            out.push(Line::default());
        }
        out.extend(a.timeline.live_lines(width, self.now));
        out
    }

    /// How many rows the panel wants at `width`: the table and its hint, or as many as it can get for
    /// an open transcript.
    pub fn desired_height(&self, width: u16) -> u16 {
        match self.open {
            Some(_) => u16::MAX,
            None => u16::try_from(self.table_lines(width as usize, true).len() + 1).unwrap_or(u16::MAX),
        }
    }

    /// Draws the panel: the table with a key hint, or the open transcript scrolled to its end.
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect) {
        let width = area.width as usize;
        let height = area.height as usize;
        if width == 0 || height == 0 {
            return;
        }
        let (mut lines, hint) = match self.open {
            Some((i, scroll)) => {
                let mut lines = self.transcript_lines(i, width);
                let room = height.saturating_sub(1);
                let end = lines.len().saturating_sub(scroll.min(lines.len().saturating_sub(room)));
                lines.truncate(end);
                (lines, "Esc back · Up/Down scroll")
            }
            None => (self.table_lines(width, true), "Up/Down select · Enter open transcript · Ctrl-C cancel"),
        };
        if lines.len() + 1 > height {
            lines.drain(..lines.len() + 1 - height);
        }
        let hint = if self.cancelling { "cancelling… (Ctrl-C again to insist)" } else { hint };
        lines.push(Line::styled(truncate(hint, width), palette::dim()));
        frame.render_widget(Paragraph::new(lines), area);
    }
}

/// The one-line description of what an agent event shows the attempt doing, if it shows anything.
fn last_action(event: &AgentEvent) -> Option<String> {
    match event {
        AgentEvent::ToolCallBegin { name, arguments, effect, .. } => Some(match effect {
            ToolEffect::Command { command, .. } => format!("$ {command}"),
            ToolEffect::FileChange { changes } => {
                format!("editing {}", changes.iter().map(|c| c.path.as_str()).collect::<Vec<_>>().join(", "))
            }
            ToolEffect::Plan { .. } => "updating the plan".to_string(),
            ToolEffect::None => format!("{name} {}", summarize_arguments(arguments)),
        }),
        AgentEvent::AgentMessage { text } => text.lines().find(|l| !l.trim().is_empty()).map(str::to_string),
        AgentEvent::ApprovalRequested { .. } => Some("waiting for approval".to_string()),
        AgentEvent::TurnFailed { message } => Some(message.clone()),
        AgentEvent::Warning { message } => Some(message.clone()),
        _ => None,
    }
}
