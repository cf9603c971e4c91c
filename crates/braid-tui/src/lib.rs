//! The terminal front end: an inline ratatui view over braid's event stream, for the interactive session
//! and for the live view of a run's attempts. It holds no business logic; it draws events and hands the
//! user's intents back to its caller.
