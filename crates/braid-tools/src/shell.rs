//! The shell tool: runs an argv through braid-sandbox with a timeout and reports exit code and capped output.
//!
//! The argument shape (`command` as an argv array, `workdir`, `timeout_ms`) is the one Codex-trained
//! models emit, so they call it correctly without extra prompting; a plain string command is accepted too
//! and run with `bash -lc`.

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use braid_protocol::{CommandStatus, ToolEffect, ToolSpec};
use braid_sandbox::exec::{self, ExecOutput, ExecRequest};
use serde::Deserialize;
use serde_json::json;

use crate::{Tool, ToolContext, ToolResult, args};

const NAME: &str = "shell";

/// Limits for the shell tool.
#[derive(Debug, Clone)]
pub struct ShellConfig {
    /// The timeout when the model gives none.
    pub default_timeout: Duration,
    /// The longest timeout the model may ask for; longer requests are lowered to this.
    pub max_timeout: Duration,
    /// How many bytes of output the model sees (head and tail; the middle is cut).
    pub max_output_bytes: usize,
    /// Which of braid's environment variables commands do not get (credentials, by default).
    pub env_policy: braid_sandbox::EnvPolicy,
    /// The kernel confinement every command runs under; `None` runs them unconfined.
    pub confinement: Option<std::sync::Arc<braid_sandbox::Confinement>>,
    /// Offer the model the `with_escalated_permissions` and `justification` arguments, with which it
    /// asks to run a command outside the sandbox (the `on-request` approval policy).
    pub offer_escalation: bool,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig {
            default_timeout: Duration::from_secs(120),
            max_timeout: Duration::from_secs(600),
            max_output_bytes: 16 * 1024,
            env_policy: braid_sandbox::EnvPolicy::default(),
            confinement: None,
            offer_escalation: false,
        }
    }
}

/// Runs a command the model chose, in its own process group, and reports how it ended.
#[derive(Debug, Clone)]
pub struct ShellTool {
    config: ShellConfig,
}

impl ShellTool {
    /// A shell tool with the given limits.
    pub fn new(config: ShellConfig) -> Self {
        ShellTool { config }
    }
}

#[derive(Debug, Deserialize)]
struct RawArgs {
    command: serde_json::Value,
    #[serde(default)]
    workdir: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
    #[serde(default)]
    with_escalated_permissions: Option<bool>,
    #[serde(default)]
    justification: Option<String>,
}

/// The arguments after validation: an argv, where to run it, for how long, and whether the model
/// asked to run it outside the sandbox (with its justification).
#[derive(Debug)]
struct Call {
    argv: Vec<String>,
    cwd: PathBuf,
    timeout: Duration,
    escalation: Option<String>,
}

impl ShellTool {
    /// Parses and checks the arguments: the command's shape, the workdir against the workspace policy.
    fn prepare(&self, ctx: &ToolContext, args: serde_json::Value) -> Result<Call, ToolResult> {
        let raw: RawArgs = args::parse(NAME, args)?;
        let argv = command_argv(raw.command)?;
        let cwd = match raw.workdir.as_deref() {
            None | Some("") => ctx.cwd.clone(),
            Some(dir) => ctx
                .policy
                .resolve(&ctx.cwd, dir)
                .map_err(|err| ToolResult::error(format!("cannot run in workdir `{dir}`: {err}")))?,
        };
        let timeout = match raw.timeout_ms {
            None | Some(0) => self.config.default_timeout,
            Some(ms) => Duration::from_millis(ms).min(self.config.max_timeout),
        };
        // The arguments are honoured only when offered: a model that sends them unasked (or under another
        // policy) runs inside the sandbox like any other command.
        let escalation = (self.config.offer_escalation && raw.with_escalated_permissions == Some(true))
            .then(|| raw.justification.unwrap_or_default());
        Ok(Call { argv, cwd, timeout, escalation })
    }
}

/// Turns the `command` argument into an argv: an array of strings is taken as is, a string is run with
/// `bash -lc`. Anything else is an error telling the model which shapes work.
fn command_argv(command: serde_json::Value) -> Result<Vec<String>, ToolResult> {
    let shape_error = || {
        ToolResult::error(
            "invalid arguments for `shell`: `command` must be a non-empty array of strings such as \
             [\"bash\", \"-lc\", \"cargo test\"], or a single command line string",
        )
    };
    match command {
        serde_json::Value::String(line) if !line.trim().is_empty() => Ok(vec!["bash".into(), "-lc".into(), line]),
        serde_json::Value::Array(items) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(s) => Ok(s),
                _ => Err(shape_error()),
            })
            .collect(),
        _ => Err(shape_error()),
    }
}

/// The argv as a person would type it, quoted for a POSIX shell.
fn display_command(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// Seconds with one decimal, as shown to the model.
fn seconds(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64())
}

/// A note for the model when a confined command failed with what looks like a sandbox refusal: what
/// the sandbox allows, so it changes course rather than retrying the same thing.
fn denial_note(confinement: &braid_sandbox::Confinement, out: &ExecOutput, success: bool) -> Option<String> {
    if success || !braid_sandbox::looks_denied(&out.output) {
        return None;
    }
    let spec = confinement.spec();
    Some(format!(
        "\n[braid sandbox: this command runs under the {} policy, which may have denied it ({}). Work inside \
         those limits, or tell the user what needs more access and why.]",
        spec.policy.name(),
        spec.allowance()
    ))
}

/// The text the model sees for a finished (or timed out) command.
fn format_output(out: &ExecOutput, timeout: Duration) -> String {
    let first = if out.timed_out {
        format!("Command timed out after {} seconds and was killed.", seconds(timeout))
    } else {
        match (out.exit_code, out.signal) {
            (Some(code), _) => format!("Exit code: {code}"),
            (None, Some(signal)) => format!("Exit code: none (killed by signal {signal})"),
            (None, None) => "Exit code: unknown".to_string(),
        }
    };
    let label = if out.timed_out { "Output so far:" } else { "Output:" };
    format!("{first}\nWall time: {} seconds\n{label}\n{}", seconds(out.duration), out.output)
}

#[async_trait]
impl Tool for ShellTool {
    fn spec(&self) -> ToolSpec {
        let mut parameters = json!({
            "type": "object",
            "properties": {
                "command": {
                    "type": "array",
                    "items": { "type": "string" },
                    "description": "The program and its arguments, e.g. [\"bash\", \"-lc\", \"cargo test\"]."
                },
                "workdir": {
                    "type": "string",
                    "description": "Directory to run in, relative to the current directory; defaults to the current directory."
                },
                "timeout_ms": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Kill the command after this many milliseconds."
                }
            },
            "required": ["command"],
            "additionalProperties": false
        });
        if self.config.offer_escalation
            && let Some(properties) = parameters.get_mut("properties").and_then(|p| p.as_object_mut())
        {
            properties.insert(
                "with_escalated_permissions".into(),
                json!({
                    "type": "boolean",
                    "description": "Ask the user to run this command outside the sandbox (for example to reach the network or write outside the workspace). Only when it cannot work inside; give a justification."
                }),
            );
            properties.insert(
                "justification".into(),
                json!({
                    "type": "string",
                    "description": "One sentence the user reads when asked to approve running outside the sandbox: why the command needs it."
                }),
            );
        }
        ToolSpec {
            name: NAME.into(),
            description: format!(
                "Runs a command and returns its exit code and combined stdout/stderr. Pass the command as \
                 an argv array, usually [\"bash\", \"-lc\", \"<command line>\"]. Output longer than {} bytes \
                 keeps its beginning and end. The command is killed after timeout_ms (default {} s, at \
                 most {} s). stdin is empty, so interactive commands will not wait for input.",
                self.config.max_output_bytes,
                self.config.default_timeout.as_secs(),
                self.config.max_timeout.as_secs(),
            ),
            parameters,
        }
    }

    fn preview(&self, ctx: &ToolContext, args: &serde_json::Value) -> ToolEffect {
        match self.prepare(ctx, args.clone()) {
            Ok(call) if let Some(patch) = crate::apply_patch::extract_from_shell_argv(&call.argv) => {
                let patch_ctx = ToolContext { cwd: call.cwd.clone(), ..ctx.clone() };
                crate::apply_patch::ApplyPatchTool.preview(&patch_ctx, &json!({ "input": patch }))
            }
            Ok(call) => ToolEffect::Command {
                command: display_command(&call.argv),
                cwd: call.cwd.display().to_string(),
                exit_code: None,
                aggregated_output: String::new(),
                status: CommandStatus::InProgress,
            },
            Err(_) => ToolEffect::None,
        }
    }

    fn exposure(&self, ctx: &ToolContext, args: &serde_json::Value) -> crate::Exposure {
        match self.prepare(ctx, args.clone()) {
            Ok(call) if crate::apply_patch::extract_from_shell_argv(&call.argv).is_some() => crate::Exposure::Edit,
            Ok(call) => crate::Exposure::Command { argv: call.argv, cwd: call.cwd, escalation: call.escalation },
            Err(_) => crate::Exposure::ReadOnly,
        }
    }

    async fn call(&self, ctx: &ToolContext, args: serde_json::Value) -> ToolResult {
        let call = match self.prepare(ctx, args) {
            Ok(call) => call,
            Err(result) => return result,
        };
        // Models trained on Codex often edit files with `apply_patch <<'EOF' ... EOF` through the shell.
        // Running that as a command would fail (there is no such program), so it is applied as a patch,
        // under the same path policy as the apply_patch tool, relative to the command's workdir.
        if let Some(patch) = crate::apply_patch::extract_from_shell_argv(&call.argv) {
            let patch_ctx = ToolContext { cwd: call.cwd.clone(), ..ctx.clone() };
            return crate::apply_patch::ApplyPatchTool.call(&patch_ctx, serde_json::json!({ "input": patch })).await;
        }
        let request = ExecRequest {
            argv: call.argv.clone(),
            cwd: call.cwd.clone(),
            // Pagers and colour codes only get in the way of a model reading the output.
            env: [("PAGER", "cat"), ("GIT_PAGER", "cat"), ("NO_COLOR", "1")]
                .into_iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .chain(self.config.env_policy.set.iter().cloned())
                .collect(),
            timeout: call.timeout,
            max_output_bytes: ctx.output_cap(self.config.max_output_bytes),
            env_policy: self.config.env_policy.clone(),
            confinement: if ctx.unconfined { None } else { self.config.confinement.clone() },
        };
        let out = match exec::run_with_output(request, ctx.output.clone()).await {
            Ok(out) => out,
            Err(err) => return ToolResult::error(err.to_string()),
        };
        let success = out.exit_code == Some(0) && !out.timed_out;
        let status = if out.timed_out {
            CommandStatus::TimedOut
        } else if success {
            CommandStatus::Completed
        } else {
            CommandStatus::Failed
        };
        let mut output = format_output(&out, call.timeout);
        let confinement = self.config.confinement.as_deref().filter(|_| !ctx.unconfined);
        let note = confinement.and_then(|c| denial_note(c, &out, success));
        let sandbox_denied = note.is_some();
        if let Some(note) = note {
            output.push_str(&note);
        }
        ToolResult {
            output,
            images: Vec::new(),
            success,
            effect: ToolEffect::Command {
                command: display_command(&call.argv),
                cwd: call.cwd.display().to_string(),
                exit_code: out.exit_code,
                aggregated_output: out.output,
                status,
            },
            sandbox_denied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_shapes() {
        let argv = command_argv(json!(["ls", "-la"])).unwrap();
        assert_eq!(argv, ["ls", "-la"]);
        let argv = command_argv(json!("echo hi | wc -c")).unwrap();
        assert_eq!(argv, ["bash", "-lc", "echo hi | wc -c"]);
        for bad in [json!([]), json!(""), json!(3), json!(["ls", 3]), json!({"cmd": "ls"})] {
            let err = command_argv(bad.clone()).unwrap_err();
            assert!(err.output.contains("`command` must be"), "{bad}: {}", err.output);
        }
    }

    #[test]
    fn commands_display_with_shell_quoting() {
        let argv: Vec<String> = ["bash", "-lc", "cargo test -p x"].map(String::from).into();
        assert_eq!(display_command(&argv), "bash -lc 'cargo test -p x'");
    }
}
