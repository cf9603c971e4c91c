//! The agent's tools. Each tool declares its JSON schema (`Tool::spec`), previews its effect before it runs
//! and returns exactly the text the model will see. Tools never decide policy: path checks and process
//! confinement are asked of `braid-sandbox`.

mod args;
mod registry;

pub mod apply_patch;
pub mod fs_tools;
pub mod plan;
pub mod shell;

pub use braid_sandbox::OutputSink;
pub use fs_tools::{EditFileTool, GrepTool, ListDirTool, ReadFileTool};
pub use plan::UpdatePlanTool;
pub use registry::{Exposure, Tool, ToolContext, ToolRegistry, ToolResult};
pub use shell::{ShellConfig, ShellTool};
