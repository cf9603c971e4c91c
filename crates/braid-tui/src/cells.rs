//! History cells: one block of the transcript each (a prompt, an answer, a command, a diff, the plan,
//! a notice), rendered to wrapped, styled lines for a given width.

use std::time::Duration;

use braid_protocol::{ApprovalDecision, CommandStatus, PlanItem, PlanStatus};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use crate::diff::{self, FileDiff};
use crate::markdown;
use crate::palette;
use crate::wrap::{truncate, wrap_line};

/// How many lines of a command's output a finished command cell shows.
const OUTPUT_TAIL: usize = 5;

/// What kind of notice a one-line message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    Info,
    Warning,
    Error,
}

/// A command, running or finished.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommandCell {
    pub command: String,
    pub output: String,
    pub exit_code: Option<i32>,
    pub status: CommandStatus,
    /// How long it ran, or has been running.
    pub elapsed: Duration,
    /// Lines of output that came before `output` and are no longer held (a long-running command's
    /// live output keeps only its tail); counted with the folded lines.
    pub earlier_lines: usize,
}

/// How many bytes of a running command's streamed output are held for display: plenty for the last
/// few lines, and bounded however much the command prints.
const LIVE_KEEP: usize = 8 * 1024;

/// The output a running command has streamed so far: its tail, and how many lines came before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiveOutput {
    pub tail: String,
    pub earlier_lines: usize,
}

impl LiveOutput {
    /// Appends a piece of output. Past `LIVE_KEEP` bytes, whole lines are dropped from the front (and
    /// counted) until half of it is left; a single line longer than that is cut inside.
    pub(crate) fn push(&mut self, delta: &str) {
        self.tail.push_str(delta);
        if self.tail.len() <= LIVE_KEEP {
            return;
        }
        let mut keep_from = self.tail.len() - LIVE_KEEP / 2;
        while !self.tail.is_char_boundary(keep_from) {
            keep_from += 1;
        }
        let cut = self.tail[..keep_from].rfind('\n').map_or(keep_from, |newline| newline + 1);
        self.earlier_lines += self.tail[..cut].matches('\n').count();
        self.tail.drain(..cut);
    }
}

/// One block of the transcript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    User(String),
    Assistant(String),
    Reasoning(String),
    Command(CommandCell),
    Files {
        files: Vec<FileDiff>,
        success: Option<bool>,
    },
    Plan {
        explanation: Option<String>,
        items: Vec<PlanItem>,
    },
    /// Any other tool call: its name and a short summary of its arguments.
    Tool {
        name: String,
        summary: String,
        success: Option<bool>,
    },
    Notice(Notice, String),
    Decided {
        what: String,
        decision: ApprovalDecision,
        by_user: bool,
    },
}

/// The spinner frame for `elapsed`, so that animation is a pure function of time (and tests see a
/// fixed frame).
pub(crate) fn spinner(elapsed: Duration) -> &'static str {
    const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    FRAMES[(elapsed.as_millis() / 100) as usize % FRAMES.len()]
}

/// A duration as people read it: `850ms`, `4.2s`, `3m 05s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m {:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// A token count as people read it: `950`, `12.3k`, `1.2M`.
pub(crate) fn human_tokens(n: u64) -> String {
    if n < 1000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        format!("{:.1}M", n as f64 / 1_000_000.0)
    }
}

impl Cell {
    /// The cell's lines at `width` columns, with no trailing blank line.
    pub(crate) fn lines(&self, width: usize) -> Vec<Line<'static>> {
        let width = width.max(4);
        match self {
            Cell::User(text) => {
                let mut out = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    let marker = if i == 0 { "› " } else { "  " };
                    let l = Line::from(vec![Span::styled(marker, palette::user()), Span::raw(line.to_string())]);
                    out.extend(wrap_line(&l, width, &[Span::raw("  ")]));
                }
                if out.is_empty() {
                    out.push(Line::styled("›", palette::user()));
                }
                out
            }
            Cell::Assistant(text) => markdown::render(text, width),
            Cell::Reasoning(text) => {
                let style = palette::dim().add_modifier(Modifier::ITALIC);
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .flat_map(|l| wrap_line(&Line::styled(l.replace("**", ""), style), width, &[]))
                    .collect()
            }
            Cell::Command(c) => command_lines(c, width, None),
            Cell::Files { files, success } => {
                let mut out = diff::render(files, width);
                if *success == Some(false) {
                    out.push(Line::styled("  ✗ the patch was not applied", palette::bad()));
                }
                out
            }
            Cell::Plan { explanation, items } => plan_lines(explanation.as_deref(), items, width),
            Cell::Tool { name, summary, success } => {
                let (mark, style) = match success {
                    Some(true) => ("✓ ", palette::good()),
                    Some(false) => ("✗ ", palette::bad()),
                    None => ("• ", palette::accent()),
                };
                let line = Line::from(vec![
                    Span::styled(mark, style),
                    Span::styled(name.clone(), palette::bold()),
                    Span::raw(" "),
                    Span::styled(summary.clone(), palette::dim()),
                ]);
                wrap_line(&line, width, &[Span::raw("  ")])
            }
            Cell::Notice(kind, text) => {
                let (mark, style) = match kind {
                    Notice::Info => ("• ", palette::dim()),
                    Notice::Warning => ("⚠ ", palette::warn()),
                    Notice::Error => ("✗ ", palette::bad()),
                };
                text.lines()
                    .enumerate()
                    .flat_map(|(i, l)| {
                        let m = if i == 0 { mark } else { "  " };
                        wrap_line(&Line::styled(format!("{m}{l}"), style), width, &[Span::raw("  ")])
                    })
                    .collect()
            }
            Cell::Decided { what, decision, by_user } => {
                let (mark, verb, style) = match decision {
                    ApprovalDecision::Approve => ("✓ ", "approved", palette::good()),
                    ApprovalDecision::ApproveForSession => ("✓ ", "approved for the session", palette::good()),
                    ApprovalDecision::Deny => ("✗ ", "denied", palette::bad()),
                    ApprovalDecision::Abort => ("✗ ", "aborted", palette::bad()),
                };
                let by = if *by_user { "" } else { " (by default)" };
                let line = Line::from(vec![
                    Span::styled(mark, style),
                    Span::styled(format!("{verb}{by}: "), style),
                    Span::raw(what.clone()),
                ]);
                wrap_line(&line, width, &[Span::raw("  ")])
            }
        }
    }
}

/// A command cell's lines. `spinner_at` is set while it runs (the elapsed time drives the spinner).
pub(crate) fn command_lines(c: &CommandCell, width: usize, spinner_at: Option<Duration>) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let head =
        Line::from(vec![Span::styled("$ ", palette::accent()), Span::styled(c.command.clone(), palette::bold())]);
    out.extend(wrap_line(&head, width, &[Span::raw("  ")]));
    let output: Vec<&str> = c.output.trim_end_matches('\n').lines().collect();
    let shown = output.len().saturating_sub(OUTPUT_TAIL);
    let folded = shown + c.earlier_lines;
    if folded > 0 {
        out.push(Line::styled(format!("  … {folded} earlier lines"), palette::dim()));
    }
    for line in &output[shown..] {
        // Output lines are cut rather than wrapped: a long log line would otherwise fill the screen.
        out.push(Line::styled(format!("  {}", truncate(line, width.saturating_sub(2))), palette::dim()));
    }
    let status = match spinner_at {
        Some(elapsed) => Line::from(vec![
            Span::styled(format!("  {} ", spinner(elapsed)), palette::accent()),
            Span::styled(format!("running {}", human_duration(c.elapsed)), palette::dim()),
        ]),
        None => {
            let (mark, style, what) = match (c.status, c.exit_code) {
                (CommandStatus::Completed, Some(0)) | (CommandStatus::Completed, None) => {
                    ("✓", palette::good(), "exit 0".to_string())
                }
                (CommandStatus::TimedOut, _) => ("✗", palette::bad(), "timed out".to_string()),
                (CommandStatus::Declined, _) => ("✗", palette::bad(), "not run (declined)".to_string()),
                (_, Some(code)) => ("✗", palette::bad(), format!("exit {code}")),
                (_, None) => ("✗", palette::bad(), "failed".to_string()),
            };
            Line::from(vec![
                Span::styled(format!("  {mark} "), style),
                Span::styled(format!("{what} · {}", human_duration(c.elapsed)), palette::dim()),
            ])
        }
    };
    out.push(status);
    out
}

fn plan_lines(explanation: Option<&str>, items: &[PlanItem], width: usize) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled("Plan", palette::bold())];
    if let Some(e) = explanation.filter(|e| !e.trim().is_empty()) {
        out.extend(wrap_line(&Line::styled(format!("  {e}"), palette::dim()), width, &[Span::raw("  ")]));
    }
    for item in items {
        let (mark, mark_style, text_style) = match item.status {
            PlanStatus::Completed => ("✓ ", palette::good(), palette::dim().add_modifier(Modifier::CROSSED_OUT)),
            PlanStatus::InProgress => ("▸ ", palette::accent(), palette::bold()),
            PlanStatus::Pending => ("□ ", palette::dim(), ratatui::style::Style::new()),
        };
        let line = Line::from(vec![
            Span::raw("  "),
            Span::styled(mark, mark_style),
            Span::styled(item.step.clone(), text_style),
        ]);
        out.extend(wrap_line(&line, width, &[Span::raw("    ")]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::plain;

    fn text(cell: &Cell, width: usize) -> String {
        cell.lines(width).iter().map(plain).collect::<Vec<_>>().join("\n")
    }

    fn command(output: &str, status: CommandStatus, exit_code: Option<i32>) -> CommandCell {
        CommandCell {
            command: "cargo test --workspace".to_string(),
            output: output.to_string(),
            exit_code,
            status,
            elapsed: Duration::from_millis(4200),
            earlier_lines: 0,
        }
    }

    #[test]
    fn command_cell_running() {
        let c = command("", CommandStatus::InProgress, None);
        let text = command_lines(&c, 60, Some(Duration::from_millis(4200))).iter().map(plain).collect::<Vec<_>>();
        insta::assert_snapshot!(text.join("\n"), @r"
            $ cargo test --workspace
              ⠹ running 4.2s
        ");
    }

    #[test]
    fn command_cell_running_with_streamed_output() {
        let mut live = LiveOutput::default();
        for i in 1..=7 {
            live.push(&format!("Compiling crate{i}\n"));
        }
        live.push("   Running tests");
        let c = CommandCell {
            output: live.tail,
            earlier_lines: live.earlier_lines,
            ..command("", CommandStatus::InProgress, None)
        };
        let text = command_lines(&c, 60, Some(Duration::from_millis(4200))).iter().map(plain).collect::<Vec<_>>();
        insta::assert_snapshot!(text.join("\n"), @r"
            $ cargo test --workspace
              … 3 earlier lines
              Compiling crate4
              Compiling crate5
              Compiling crate6
              Compiling crate7
                 Running tests
              ⠹ running 4.2s
        ");
    }

    fn check_live(pieces: &[String], expected_earlier: usize, expected_tail_end: &str) {
        let mut live = LiveOutput::default();
        for piece in pieces {
            live.push(piece);
        }
        assert!(live.tail.len() <= LIVE_KEEP, "{} bytes held", live.tail.len());
        assert_eq!(live.earlier_lines, expected_earlier);
        assert!(live.tail.ends_with(expected_tail_end), "{:?}", &live.tail[live.tail.len().saturating_sub(40)..]);
    }

    #[test]
    fn live_output_holds_a_bounded_tail_and_counts_what_it_dropped() {
        let lines: Vec<String> = (0..3000).map(|i| format!("{i:09}\n")).collect();
        // 3000 lines of 10 bytes: the tail keeps the last lines, and together they are all counted.
        let mut live = LiveOutput::default();
        lines.iter().for_each(|l| live.push(l));
        assert_eq!(live.earlier_lines + live.tail.lines().count(), 3000);
        check_live(&lines, live.earlier_lines, "000002999\n");
        // One huge line without a newline is cut inside, at a character boundary.
        check_live(&["é".repeat(10_000)], 0, "éé");
        check_live(&["short\n".to_string()], 0, "short\n");
    }

    #[test]
    fn command_cell_finished() {
        let output = (1..=8).map(|i| format!("line {i}")).collect::<Vec<_>>().join("\n");
        insta::assert_snapshot!(text(&Cell::Command(command(&output, CommandStatus::Completed, Some(0))), 60), @r"
        $ cargo test --workspace
          … 3 earlier lines
          line 4
          line 5
          line 6
          line 7
          line 8
          ✓ exit 0 · 4.2s
        ");
        insta::assert_snapshot!(text(&Cell::Command(command("boom", CommandStatus::Failed, Some(101))), 60), @r"
        $ cargo test --workspace
          boom
          ✗ exit 101 · 4.2s
        ");
    }

    #[test]
    fn plan_checklist() {
        let items = vec![
            PlanItem { step: "Read the code".to_string(), status: PlanStatus::Completed },
            PlanItem { step: "Fix the parser's handling of empty input".to_string(), status: PlanStatus::InProgress },
            PlanItem { step: "Run the tests".to_string(), status: PlanStatus::Pending },
        ];
        let cell = Cell::Plan { explanation: Some("Small fix.".to_string()), items };
        insta::assert_snapshot!(text(&cell, 40), @r"
        Plan
          Small fix.
          ✓ Read the code
          ▸ Fix the parser's handling of empty
            input
          □ Run the tests
        ");
    }

    #[test]
    fn one_line_cells() {
        let cells = [
            Cell::Tool {
                name: "github__list_issues".to_string(),
                summary: "repo=braid".to_string(),
                success: Some(true),
            },
            Cell::Notice(Notice::Warning, "retrying".to_string()),
            Cell::Notice(Notice::Error, "the model refused".to_string()),
            Cell::Decided { what: "rm -rf target".to_string(), decision: ApprovalDecision::Deny, by_user: true },
            Cell::User("fix it\nplease".to_string()),
            Cell::Reasoning("**Looking** at the code".to_string()),
        ];
        let all: Vec<String> = cells.iter().map(|c| text(c, 60)).collect();
        insta::assert_snapshot!(all.join("\n"), @r"
        ✓ github__list_issues repo=braid
        ⚠ retrying
        ✗ the model refused
        ✗ denied: rm -rf target
        › fix it
          please
        Looking at the code
        ");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(human_duration(Duration::from_secs(185)), "3m 05s");
        assert_eq!(human_tokens(12_345), "12.3k");
        assert_eq!(human_tokens(999), "999");
    }
}
