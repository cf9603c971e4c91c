//! The few styles the front end uses, in one place so that every cell speaks the same colours.

use ratatui::style::{Color, Modifier, Style};

/// Secondary text: hints, durations, counts.
pub(crate) fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

/// Headings, hunk headers, inline code and the selection marker.
pub(crate) fn accent() -> Style {
    Style::new().fg(Color::Cyan)
}

/// Added lines, success marks.
pub(crate) fn good() -> Style {
    Style::new().fg(Color::Green)
}

/// Removed lines, failures, errors.
pub(crate) fn bad() -> Style {
    Style::new().fg(Color::Red)
}

/// Warnings and the approval prompt's frame.
pub(crate) fn warn() -> Style {
    Style::new().fg(Color::Yellow)
}

/// The user's own prompts.
pub(crate) fn user() -> Style {
    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
}

/// Bold text.
pub(crate) fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The highlighted row of a list (popup, run panel).
pub(crate) fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}
