//! The update_plan tool: the agent keeps its own todo list, surfaced to front ends as events.
