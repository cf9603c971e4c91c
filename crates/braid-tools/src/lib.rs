//! The agent's tools. Each tool declares its JSON schema (`Tool::spec`), previews its effect before it runs
//! and returns exactly the text the model will see. Tools never decide policy: path checks and process
//! confinement are asked of `braid-sandbox`.

// Argument parsing and path checks return `Result<_, ToolResult>` on purpose: a refused call is a
// result for the model, built once per call, so the size of the error value (which this lint is about)
// costs nothing that matters.
#![allow(clippy::result_large_err)]

mod args;
mod registry;

pub mod apply_patch;
pub mod fs_tools;
pub mod image;
pub mod plan;
pub mod shell;

pub use braid_sandbox::OutputSink;
pub use fs_tools::{EditFileTool, GrepTool, ListDirTool, ReadFileTool};
pub use plan::UpdatePlanTool;
pub use registry::{Exposure, Tool, ToolContext, ToolRegistry, ToolResult};
pub use shell::{ShellConfig, ShellTool};
