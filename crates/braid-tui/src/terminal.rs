//! The real terminal: raw mode, bracketed paste and an inline viewport, restored on every way out
//! (return, error, panic), and the event loops that drive the session view and the run panel.

use std::io::{IsTerminal, Stdout};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use crossterm::execute;
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::layout::Position;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};
use ratatui::{Terminal, TerminalOptions, Viewport};

use crate::app::App;
use crate::run_panel::RunPanel;
use crate::{Intent, RunIntent, RunView, SessionView, TuiError, Update};

/// How long the loops wait for a key before redrawing (spinners and elapsed times move on).
const TICK: Duration = Duration::from_millis(80);

/// Whether the terminal is in our modes, so the panic hook restores only what was changed.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back: raw mode off, bracketed paste off, cursor shown. Does nothing when the
/// terminal was not set up, so it is safe to call twice (from a drop and from the panic hook).
fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // Errors are ignored: this runs on the way out, possibly during a panic, and there is nothing
        // better to do with a terminal that cannot be written to.
        let _ = crossterm::terminal::disable_raw_mode();
        let _ = execute!(std::io::stdout(), DisableBracketedPaste, crossterm::cursor::Show);
    }
}

/// Restores the terminal when dropped.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// The inline viewport's height for a terminal of `rows`: two thirds of it, at least 10 rows (or all
/// of a tiny terminal), at most 24, so that the scrollback above stays in view.
pub(crate) fn viewport_height(rows: u16) -> u16 {
    (rows.saturating_mul(2) / 3).clamp(rows.min(10), 24).max(1)
}

/// Sizes the inline viewport to `wanted` rows, capped at [`viewport_height`] of the screen, so that it
/// holds what is live and no empty rows. Changing the height clears the old viewport and starts a new
/// one where it began (ratatui fixes an inline viewport's height when the terminal is made);
/// `rebuild` makes the new terminal's backend from the old one.
pub(crate) fn fit_viewport<B: Backend>(
    terminal: &mut Terminal<B>,
    wanted: u16,
    rebuild: impl FnOnce(&B) -> B,
) -> Result<(), B::Error> {
    let rows = terminal.size()?.height;
    let target = wanted.clamp(1, viewport_height(rows));
    let area = terminal.get_frame().area();
    if target == area.height {
        return Ok(());
    }
    terminal.clear()?;
    terminal.set_cursor_position(Position { x: 0, y: area.y })?;
    let backend = rebuild(terminal.backend());
    *terminal = Terminal::with_options(backend, TerminalOptions { viewport: Viewport::Inline(target) })?;
    Ok(())
}

/// Sets the terminal up for an inline view and returns it with the guard that undoes it.
fn enter() -> Result<(Term, Guard), TuiError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
    let (_, rows) =
        crossterm::terminal::size().map_err(|e| TuiError::Io { doing: "reading the terminal size", source: e })?;
    crossterm::terminal::enable_raw_mode().map_err(|e| TuiError::Io { doing: "entering raw mode", source: e })?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(std::io::stdout(), EnableBracketedPaste)
        .map_err(|e| TuiError::Io { doing: "enabling bracketed paste", source: e })?;
    let options = TerminalOptions { viewport: Viewport::Inline(viewport_height(rows)) };
    let terminal = Terminal::with_options(CrosstermBackend::new(std::io::stdout()), options)
        .map_err(|e| TuiError::Io { doing: "setting up the inline viewport", source: e })?;
    Ok((terminal, guard))
}

/// Clears the viewport and leaves the cursor where it began, so whatever is printed next follows the
/// history in the scrollback.
fn leave(terminal: &mut Term) -> Result<(), TuiError> {
    let top = terminal.get_frame().area().y;
    terminal.clear().map_err(io("clearing the viewport"))?;
    terminal.set_cursor_position(Position { x: 0, y: top }).map_err(io("moving the cursor"))?;
    terminal.show_cursor().map_err(io("showing the cursor"))
}

fn io(doing: &'static str) -> impl Fn(std::io::Error) -> TuiError {
    move |source| TuiError::Io { doing, source }
}

/// Pushes `lines` into the scrollback above the viewport.
fn insert_history(terminal: &mut Term, lines: Vec<Line<'static>>) -> Result<(), TuiError> {
    if lines.is_empty() {
        return Ok(());
    }
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    terminal
        .insert_before(height, |buf| Paragraph::new(lines).render(buf.area, buf))
        .map_err(io("writing to the scrollback"))
}

fn width(terminal: &Term) -> Result<u16, TuiError> {
    Ok(terminal.size().map_err(io("reading the terminal size"))?.width)
}

/// The session view's loop; see [`crate::run_session`].
pub(crate) fn run_session(
    view: SessionView,
    updates: Receiver<Update>,
    mut intents: Box<dyn FnMut(Intent) + Send>,
) -> Result<(), TuiError> {
    let (mut terminal, guard) = enter()?;
    let mut app = App::new(view, Instant::now());
    for intent in app.start() {
        intents(intent);
    }
    let mut quit = false;
    let result = session_loop(&mut terminal, &mut app, &updates, &mut |i: Intent| {
        // Quit is delivered after the terminal is restored, as `Intent::Quit` promises.
        if i == Intent::Quit { quit = true } else { intents(i) }
    });
    let left = leave(&mut terminal);
    drop(terminal);
    drop(guard);
    if quit {
        intents(Intent::Quit);
    }
    result.and(left)
}

fn session_loop(
    terminal: &mut Term,
    app: &mut App,
    updates: &Receiver<Update>,
    send: &mut dyn FnMut(Intent),
) -> Result<(), TuiError> {
    loop {
        app.now = Instant::now();
        loop {
            match updates.try_recv() {
                Ok(update) => app.apply(update).into_iter().for_each(&mut *send),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    app.apply(Update::Exit);
                    break;
                }
            }
        }
        let lines = app.take_history(width(terminal)?);
        insert_history(terminal, lines)?;
        if app.should_quit() {
            return Ok(());
        }
        let wanted = app.desired_height(width(terminal)?);
        fit_viewport(terminal, wanted, |_| CrosstermBackend::new(std::io::stdout()))
            .map_err(io("sizing the viewport"))?;
        terminal.draw(|f| app.render(f, f.area())).map_err(io("drawing"))?;
        let mut timeout = TICK;
        // Handle every event already waiting before drawing again, so a paste or fast typing does
        // not redraw per key.
        while event::poll(timeout).map_err(io("reading the keyboard"))? {
            timeout = Duration::ZERO;
            app.now = Instant::now();
            match event::read().map_err(io("reading the keyboard"))? {
                Event::Key(key) => app.handle_key(key).into_iter().for_each(&mut *send),
                Event::Paste(text) => app.handle_paste(&text),
                Event::Resize(..) => terminal.autoresize().map_err(io("resizing"))?,
                _ => {}
            }
            if app.should_quit() {
                break;
            }
        }
    }
}

/// The run panel's loop; see [`crate::run_panel`].
pub(crate) fn run_panel(
    view: RunView,
    updates: Receiver<braid_protocol::RunEvent>,
    mut intents: Box<dyn FnMut(RunIntent) + Send>,
) -> Result<(), TuiError> {
    let (mut terminal, guard) = enter()?;
    let mut panel = RunPanel::new(view, Instant::now());
    let result = panel_loop(&mut terminal, &mut panel, &updates, &mut intents);
    let left = leave(&mut terminal);
    drop(terminal);
    drop(guard);
    result.and(left)
}

fn panel_loop(
    terminal: &mut Term,
    panel: &mut RunPanel,
    updates: &Receiver<braid_protocol::RunEvent>,
    intents: &mut Box<dyn FnMut(RunIntent) + Send>,
) -> Result<(), TuiError> {
    loop {
        panel.now = Instant::now();
        let mut closed = false;
        loop {
            match updates.try_recv() {
                Ok(event) => panel.apply(&event),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if closed || panel.finished() {
            // The final table goes to the scrollback, where it stays after the panel is gone.
            let lines = panel.final_lines(width(terminal)?);
            insert_history(terminal, lines)?;
            return Ok(());
        }
        let wanted = panel.desired_height(width(terminal)?);
        fit_viewport(terminal, wanted, |_| CrosstermBackend::new(std::io::stdout()))
            .map_err(io("sizing the viewport"))?;
        terminal.draw(|f| panel.render(f, f.area())).map_err(io("drawing"))?;
        let mut timeout = TICK;
        while event::poll(timeout).map_err(io("reading the keyboard"))? {
            timeout = Duration::ZERO;
            match event::read().map_err(io("reading the keyboard"))? {
                Event::Key(key) => panel.handle_key(key).into_iter().for_each(&mut *intents),
                Event::Resize(..) => terminal.autoresize().map_err(io("resizing"))?,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewport_height_fits_the_terminal() {
        for (rows, expected) in [(24, 16), (60, 24), (10, 10), (5, 5), (1, 1), (0, 1)] {
            assert_eq!(viewport_height(rows), expected, "rows {rows}");
        }
    }

    #[test]
    fn refuses_to_run_without_a_terminal() {
        if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
            // Run from a terminal, the views would take it over; this test is for CI and pipes.
            return;
        }
        let view = SessionView { cwd: ".".into(), history: vec![], model: "m".to_string(), prompt: None };
        let (_tx, rx) = std::sync::mpsc::channel();
        let err = crate::run_session(view, rx, Box::new(|_| {})).unwrap_err();
        assert!(matches!(err, TuiError::NotATerminal), "{err}");
        assert!(err.to_string().contains("braid exec"), "the message says what to do instead: {err}");
        let (_tx, rx) = std::sync::mpsc::channel();
        let err = crate::run_panel(RunView::default(), rx, Box::new(|_| {})).unwrap_err();
        assert!(matches!(err, TuiError::NotATerminal), "{err}");
        assert!(!ACTIVE.load(Ordering::SeqCst), "nothing was changed, so nothing is left to restore");
    }
}
