//! The shell tool: runs an argv through braid-sandbox with a timeout and reports exit code and capped output.
