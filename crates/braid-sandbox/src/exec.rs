//! Running a command in its own process group with a timeout and capped output.
