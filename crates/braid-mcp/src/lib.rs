//! MCP connectors: the servers declared under `[mcp_servers.<name>]`, started and spoken to through the
//! official Rust SDK, and their tools offered to the agent as `<server>__<tool>`.
