//! The session view's state, apart from the terminal: events and updates go in, intents come out of
//! key handling, and a frame can be drawn into any buffer, so that all of it is testable without a
//! terminal.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use braid_protocol::ApprovalDecision;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::cells::{Cell, Notice, human_tokens};
use crate::composer::{Composer, MAX_ROWS};
use crate::diff;
use crate::palette;
use crate::popup;
use crate::timeline::{Timeline, approval_lines};
use crate::wrap::truncate;
use crate::{Intent, SessionView, SlashCommand, Update};

/// A second Ctrl-C within this long of the first quits.
const QUIT_WINDOW: Duration = Duration::from_secs(2);

/// An open popup over the composer.
#[derive(Debug, Clone)]
enum Popup {
    /// The `@` file picker; `at` is the byte offset of the `@` in the composer.
    Files {
        at: usize,
        selected: usize,
    },
    Commands {
        selected: usize,
    },
}

/// The whole state of the session view.
#[derive(Debug)]
pub struct App {
    /// The time the view treats as now; the terminal loop advances it, tests set it.
    pub now: Instant,
    /// The prompt to send when the view opens (`App::start`).
    initial: Option<String>,
    model: String,
    cwd: PathBuf,
    timeline: Timeline,
    /// How many of the timeline's finished cells are already in the scrollback.
    flushed: usize,
    composer: Composer,
    popup: Option<Popup>,
    /// Files under `cwd`, listed the first time the picker opens.
    files: Option<Vec<String>>,
    /// Prompts typed while a turn ran, sent one by one as turns end.
    queued: Vec<String>,
    /// Set from a submit until the turn it starts is reported, so Enter queues in between.
    submitted: bool,
    /// When Ctrl-C was last pressed with nothing to interrupt or clear.
    quit_armed: Option<Instant>,
    should_quit: bool,
}

impl App {
    /// The state for a new session view.
    pub fn new(view: SessionView, now: Instant) -> Self {
        App {
            initial: view.prompt.filter(|p| !p.trim().is_empty()),
            now,
            model: view.model,
            cwd: view.cwd,
            timeline: Timeline::default(),
            flushed: 0,
            composer: Composer::new(view.history),
            popup: None,
            files: None,
            queued: Vec::new(),
            submitted: false,
            quit_armed: None,
            should_quit: false,
        }
    }

    /// Sends the first prompt the view was opened with, once; the caller calls this when the view is up.
    pub fn start(&mut self) -> Vec<Intent> {
        match self.initial.take() {
            Some(text) => self.submit(text),
            None => Vec::new(),
        }
    }

    /// Whether the view should close (the user quit, or the caller sent `Exit`).
    pub fn should_quit(&self) -> bool {
        self.should_quit
    }

    fn busy(&self) -> bool {
        self.submitted || self.timeline.turn_started.is_some()
    }

    fn push(&mut self, cell: Cell) {
        self.timeline.finished.push(cell);
    }

    /// Applies an update from the caller. Returns the intents it causes: a queued prompt is submitted
    /// when a turn ends.
    pub fn apply(&mut self, update: Update) -> Vec<Intent> {
        match update {
            Update::Agent(event) => {
                let ends_turn = matches!(
                    event,
                    braid_protocol::AgentEvent::TurnCompleted { .. } | braid_protocol::AgentEvent::TurnFailed { .. }
                );
                if matches!(event, braid_protocol::AgentEvent::TurnStarted) {
                    self.submitted = false;
                }
                if let braid_protocol::AgentEvent::SessionStarted { model, .. } = &event {
                    self.model = model.clone();
                }
                self.timeline.apply(&event, self.now);
                if ends_turn && !self.queued.is_empty() {
                    let text = self.queued.remove(0);
                    return self.submit(text);
                }
            }
            Update::Info(text) => self.push(Cell::Notice(Notice::Info, text)),
            Update::Diff(text) if text.trim().is_empty() => {
                self.push(Cell::Notice(Notice::Info, "no changes".to_string()))
            }
            Update::Diff(text) => self.push(Cell::Files { files: diff::parse_unified(&text), success: None }),
            Update::Error(text) => {
                self.submitted = false;
                self.push(Cell::Notice(Notice::Error, text));
            }
            Update::Exit => self.should_quit = true,
        }
        Vec::new()
    }

    fn submit(&mut self, text: String) -> Vec<Intent> {
        self.push(Cell::User(text.clone()));
        self.submitted = true;
        vec![Intent::Submit { text }]
    }

    /// Handles a bracketed paste.
    pub fn handle_paste(&mut self, text: &str) {
        self.composer.paste(text);
        self.update_popup();
    }

    /// Handles one key press and returns what the user asked for.
    pub fn handle_key(&mut self, key: KeyEvent) -> Vec<Intent> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return self.ctrl_c();
        }
        // Any other key disarms the pending quit: "Ctrl-C again" means the very next key.
        self.quit_armed = None;
        if let Some(request) = &self.timeline.approval {
            let decision = match key.code {
                KeyCode::Char('y') => Some(ApprovalDecision::Approve),
                KeyCode::Char('a') => Some(ApprovalDecision::ApproveForSession),
                KeyCode::Char('n') => Some(ApprovalDecision::Deny),
                KeyCode::Esc | KeyCode::Char('x') => Some(ApprovalDecision::Abort),
                _ => None,
            };
            // While a question is open, other keys go nowhere: a stray keystroke must not answer it.
            return match decision {
                Some(decision) => {
                    let call_id = request.call_id.clone();
                    self.timeline.approval = None;
                    vec![Intent::Approve { call_id, decision }]
                }
                None => Vec::new(),
            };
        }
        if ctrl && key.code == KeyCode::Char('d') && self.composer.is_empty() {
            self.should_quit = true;
            return vec![Intent::Quit];
        }
        if let Some(intents) = self.popup_key(key) {
            return intents;
        }
        let newline = (key.code == KeyCode::Enter && key.modifiers.intersects(KeyModifiers::SHIFT | KeyModifiers::ALT))
            || (ctrl && key.code == KeyCode::Char('j'));
        if newline {
            self.composer.insert_char('\n');
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter => return self.enter(),
            KeyCode::Char(c) if !ctrl => self.composer.insert_char(c),
            KeyCode::Char('a') if ctrl => self.composer.home(),
            KeyCode::Char('e') if ctrl => self.composer.end(),
            KeyCode::Char('u') if ctrl => self.composer.clear(),
            KeyCode::Backspace => self.composer.backspace(),
            KeyCode::Delete => self.composer.delete(),
            KeyCode::Left => self.composer.left(),
            KeyCode::Right => self.composer.right(),
            KeyCode::Home => self.composer.home(),
            KeyCode::End => self.composer.end(),
            KeyCode::Up => self.composer.up(),
            KeyCode::Down => self.composer.down(),
            KeyCode::Tab => self.composer.insert_str("    "),
            _ => {}
        }
        self.update_popup();
        Vec::new()
    }

    fn ctrl_c(&mut self) -> Vec<Intent> {
        if self.timeline.turn_started.is_some() {
            self.push(Cell::Notice(Notice::Warning, "interrupted".to_string()));
            self.timeline.approval = None;
            return vec![Intent::Interrupt];
        }
        if !self.composer.is_empty() {
            self.composer.clear();
            self.popup = None;
            return Vec::new();
        }
        match self.quit_armed {
            Some(at) if self.now.saturating_duration_since(at) <= QUIT_WINDOW => {
                self.should_quit = true;
                vec![Intent::Quit]
            }
            _ => {
                self.quit_armed = Some(self.now);
                Vec::new()
            }
        }
    }

    fn enter(&mut self) -> Vec<Intent> {
        let text = self.composer.take();
        self.popup = None;
        if text.trim().is_empty() {
            return Vec::new();
        }
        if let Some(command) = text.strip_prefix('/') {
            return self.run_command(command.trim());
        }
        if self.busy() {
            self.queued.push(text);
            return Vec::new();
        }
        self.submit(text)
    }

    fn run_command(&mut self, line: &str) -> Vec<Intent> {
        let (name, arg) = match line.split_once(char::is_whitespace) {
            Some((n, a)) => (n, Some(a.trim().to_string()).filter(|a| !a.is_empty())),
            None => (line, None),
        };
        let command = match name {
            "quit" | "exit" => {
                self.should_quit = true;
                return vec![Intent::Quit];
            }
            "plan" => match arg {
                Some(goal) => SlashCommand::Plan(goal),
                None => {
                    self.push(Cell::Notice(Notice::Error, "/plan needs a goal: /plan <what to do>".to_string()));
                    return Vec::new();
                }
            },
            "compact" => SlashCommand::Compact,
            "diff" => SlashCommand::Diff,
            "review" => SlashCommand::Review,
            "status" => SlashCommand::Status,
            "model" => SlashCommand::Model(arg),
            "new" => SlashCommand::New,
            "resume" => SlashCommand::Resume(arg),
            other => {
                let text = format!("unknown command /{other}; type / to see the commands");
                self.push(Cell::Notice(Notice::Error, text));
                return Vec::new();
            }
        };
        self.push(Cell::User(format!("/{line}")));
        vec![Intent::Command(command)]
    }

    /// Keys a popup takes (selection, completion, closing). `None` when the key is not for the popup.
    fn popup_key(&mut self, key: KeyEvent) -> Option<Vec<Intent>> {
        let popup = self.popup.clone()?;
        let entries = self.popup_entries();
        let len = entries.len();
        match (key.code, popup) {
            (KeyCode::Esc, _) => self.popup = None,
            (KeyCode::Up, Popup::Files { at, selected }) => {
                self.popup = Some(Popup::Files { at, selected: selected.saturating_sub(1) })
            }
            (KeyCode::Down, Popup::Files { at, selected }) => {
                self.popup = Some(Popup::Files { at, selected: (selected + 1).min(len.saturating_sub(1)) })
            }
            (KeyCode::Up, Popup::Commands { selected }) => {
                self.popup = Some(Popup::Commands { selected: selected.saturating_sub(1) })
            }
            (KeyCode::Down, Popup::Commands { selected }) => {
                self.popup = Some(Popup::Commands { selected: (selected + 1).min(len.saturating_sub(1)) })
            }
            (KeyCode::Tab | KeyCode::Enter, Popup::Files { at, selected }) => {
                let Some((path, _)) = entries.get(selected) else {
                    self.popup = None;
                    return if key.code == KeyCode::Enter { None } else { Some(Vec::new()) };
                };
                let end = self.composer.cursor;
                self.composer.text.replace_range(at..end, &format!("@{path} "));
                self.composer.cursor = at + path.len() + 2;
                self.popup = None;
            }
            (KeyCode::Tab | KeyCode::Enter, Popup::Commands { selected }) => {
                let Some((name, _)) = entries.get(selected) else {
                    self.popup = None;
                    return None;
                };
                if key.code == KeyCode::Tab || name == "/plan" {
                    self.composer.clear();
                    self.composer.insert_str(&format!("{name} "));
                    self.popup = None;
                } else {
                    self.composer.clear();
                    self.popup = None;
                    return Some(self.run_command(name.trim_start_matches('/')));
                }
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    /// Opens, keeps or closes the popups after the composer changed.
    fn update_popup(&mut self) {
        let text = &self.composer.text;
        let cursor = self.composer.cursor;
        let before = &text[..cursor];
        if text.starts_with('/') && !text.contains(char::is_whitespace) {
            let selected = match self.popup {
                Some(Popup::Commands { selected }) => selected,
                _ => 0,
            };
            self.popup = Some(Popup::Commands { selected });
            let len = self.popup_entries().len();
            self.popup = Some(Popup::Commands { selected: selected.min(len.saturating_sub(1)) });
            return;
        }
        // The word under the cursor starts with `@`: the picker follows what is typed after it.
        let word_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        if before[word_start..].starts_with('@') {
            if self.files.is_none() {
                self.files = Some(popup::list_files(&self.cwd));
            }
            let selected = match self.popup {
                Some(Popup::Files { at, selected }) if at == word_start => selected,
                _ => 0,
            };
            self.popup = Some(Popup::Files { at: word_start, selected: 0 });
            let len = self.popup_entries().len();
            self.popup = Some(Popup::Files { at: word_start, selected: selected.min(len.saturating_sub(1)) });
            return;
        }
        self.popup = None;
    }

    fn popup_entries(&self) -> Vec<(String, String)> {
        match &self.popup {
            None => Vec::new(),
            Some(Popup::Commands { .. }) => {
                let query = self.composer.text.trim_start_matches('/');
                popup::filter_commands(query).iter().map(|(n, d)| (format!("/{n}"), d.to_string())).collect()
            }
            Some(Popup::Files { at, .. }) => {
                let query = self.composer.text.get(at + 1..self.composer.cursor).unwrap_or("");
                let files = self.files.as_deref().unwrap_or(&[]);
                popup::filter_files(files, query).into_iter().map(|f| (f, String::new())).collect()
            }
        }
    }

    /// Lines of finished cells not yet in the scrollback, at `width`, each cell followed by a blank
    /// line. The caller inserts them above the viewport.
    pub fn take_history(&mut self, width: u16) -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for cell in &self.timeline.finished[self.flushed..] {
            out.extend(cell.lines(width as usize));
            out.push(Line::default());
        }
        self.flushed = self.timeline.finished.len();
        out
    }

    /// The status line: model, tokens, context left, the working indicator and a hint.
    fn status_line(&self, width: usize) -> Line<'static> {
        let mut parts: Vec<Span<'static>> = vec![Span::styled(self.model.clone(), palette::bold())];
        if let Some(usage) = &self.timeline.total_usage {
            parts.push(Span::styled(format!(" · {} tokens", human_tokens(usage.total())), palette::dim()));
        }
        if let Some(left) = self.timeline.context.as_ref().and_then(|c| c.percent()) {
            parts.push(Span::styled(format!(" · {}% context left", 100u64.saturating_sub(left)), palette::dim()));
        }
        let hint = if self.quit_armed.is_some_and(|at| self.now.saturating_duration_since(at) <= QUIT_WINDOW) {
            Span::styled(" · press Ctrl-C again to quit", palette::warn())
        } else if let Some(started) = self.timeline.turn_started {
            let secs = self.now.saturating_duration_since(started).as_secs();
            let spin = crate::cells::spinner(self.now.saturating_duration_since(started));
            parts.push(Span::styled(format!(" · {spin} working {secs}s"), palette::accent()));
            Span::styled(" · Ctrl-C to interrupt", palette::dim())
        } else {
            // The longest idle hint that fits next to the rest.
            let used: usize = parts.iter().map(|s| crate::wrap::width(&s.content)).sum();
            let hint = [" · Enter send · Ctrl-J newline · @ files · / commands", " · Enter send · / commands", ""]
                .into_iter()
                .find(|h| used + crate::wrap::width(h) <= width)
                .unwrap_or("");
            Span::styled(hint, palette::dim())
        };
        parts.push(hint);
        let text: String = parts.iter().map(|s| s.content.as_ref()).collect();
        if crate::wrap::width(&text) <= width {
            return Line::from(parts);
        }
        // Too narrow for everything: keep the start, cut the rest.
        let mut out = Vec::new();
        let mut room = width;
        for span in parts {
            let w = crate::wrap::width(&span.content);
            if w <= room {
                room -= w;
                out.push(span);
            } else {
                out.push(Span::styled(truncate(&span.content, room), span.style));
                break;
            }
        }
        Line::from(out)
    }

    /// The rows below what is in progress: queued prompts, the popup, a rule, the composer and the
    /// status line. Also returns the cursor's position among them (column, row).
    fn bottom_lines(&self, width: usize) -> (Vec<Line<'static>>, (u16, usize)) {
        let (composer_rows, cursor) = self.composer.layout(width);
        let composer_height = composer_rows.len().min(MAX_ROWS);
        let scroll = (cursor.1 as usize + 1).saturating_sub(composer_height);
        let mut bottom: Vec<Line<'static>> = Vec::new();
        for q in &self.queued {
            let line = Line::from(vec![Span::styled("queued: ", palette::dim()), Span::raw(q.replace('\n', " "))]);
            bottom.push(Line::from(truncate_line(&line, width)));
        }
        if self.popup.is_some() {
            let entries = self.popup_entries();
            let selected = match self.popup {
                Some(Popup::Files { selected, .. } | Popup::Commands { selected }) => selected,
                None => 0,
            };
            let empty =
                if matches!(self.popup, Some(Popup::Files { .. })) { "no matching files" } else { "no such command" };
            bottom.extend(popup::render_list(&entries, selected, width, empty));
        }
        bottom.push(Line::styled("─".repeat(width), palette::dim()));
        let cursor_row = bottom.len() + cursor.1 as usize - scroll;
        bottom.extend(composer_rows.into_iter().skip(scroll).take(composer_height));
        bottom.push(self.status_line(width));
        (bottom, (cursor.0, cursor_row))
    }

    /// What is in progress: the approval prompt when one is open, else streaming text and running tools.
    fn live_lines(&self, width: usize) -> Vec<Line<'static>> {
        match &self.timeline.approval {
            Some(request) => approval_lines(request, width),
            None => self.timeline.live_lines(width, self.now),
        }
    }

    /// How many rows the live part wants at `width`, so the viewport can be sized to it.
    pub fn desired_height(&self, width: u16) -> u16 {
        let width = width as usize;
        let rows = self.live_lines(width).len() + self.bottom_lines(width).0.len();
        u16::try_from(rows).unwrap_or(u16::MAX)
    }

    /// Draws the live part of the session into `area` of `frame`: what is in progress (or the approval
    /// prompt) at the top, then queued prompts, the popup, the composer and the status line at the
    /// bottom. When the area is too small, the newest part of what is in progress is shown.
    pub fn render(&self, frame: &mut Frame<'_>, area: Rect) {
        let width = area.width as usize;
        if width == 0 || area.height == 0 {
            return;
        }
        let (mut bottom, (cursor_col, cursor_row)) = self.bottom_lines(width);
        let height = area.height as usize;
        let bottom_height = bottom.len().min(height);
        let skip = bottom.len() - bottom_height;
        let live_height = height - bottom_height;
        let mut live = self.live_lines(width);
        if live.len() > live_height {
            // Show the newest part of what is in progress; the rest reaches the scrollback when done.
            live.drain(..live.len() - live_height);
        }
        let live_area = Rect { height: live.len() as u16, ..area };
        frame.render_widget(Paragraph::new(live), live_area);
        let bottom_area = Rect { y: area.y + live_height as u16, height: bottom_height as u16, ..area };
        frame.render_widget(Paragraph::new(bottom.split_off(skip)), bottom_area);
        if self.timeline.approval.is_none()
            && let Some(row) = cursor_row.checked_sub(skip).filter(|r| *r < bottom_height)
        {
            let x = area.x + cursor_col.min(area.width.saturating_sub(1));
            frame.set_cursor_position((x, bottom_area.y + row as u16));
        }
    }
}

/// A line cut to `width` columns, as one dim span.
fn truncate_line(line: &Line<'static>, width: usize) -> Vec<Span<'static>> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    vec![Span::styled(truncate(&text, width), palette::dim())]
}
