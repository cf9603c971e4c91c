//! `braid exec --plan FILE`: a session in the plan's repository, with the plan's forbidden paths refused,
//! driven milestone by milestone by `braid_orchestra::execute`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use braid_core::Session;
use braid_orchestra::execute::{
    CheckRunner, DEFAULT_FIX_ROUNDS, ExecuteError, PlanEvent, PlanExecution, PlanSink, progress_line,
};

use crate::cli::{GlobalArgs, OutputArgs};
use crate::exec::{
    Setup, ask_at_terminal, braid_home, interrupt_on_ctrl_c, load_config, make_sink, prepare_with, print_final,
    working_dir, write_last_message,
};

/// Runs the plan at `plan` (relative to `-C` or the current directory). Exit code 0 when every milestone
/// was accepted, 1 when the gate stopped the run, 130 on Ctrl-C.
pub async fn run(
    global: &GlobalArgs,
    plan: PathBuf,
    instructions: Option<String>,
    output: OutputArgs,
) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let path = cwd.join(&plan);
    let plan_path = path.canonicalize().with_context(|| format!("the plan {} does not exist", path.display()))?;
    let root = crate::plan_cmd::repo_root(plan_path.parent().unwrap_or(&cwd));
    let mut execution = PlanExecution {
        plan_path,
        root: root.clone(),
        path_var: std::env::var_os("PATH"),
        checks: CheckRunner::default(),
        fix_rounds: DEFAULT_FIX_ROUNDS,
        instructions,
    };
    let forbidden = execution.forbidden()?;
    let prepared = prepare_with(&config, &home, root, &Setup { forbidden: Some(forbidden), ..Setup::default() })?;
    execution.checks =
        CheckRunner { env_policy: prepared.commands.env.clone(), confinement: prepared.commands.confinement.clone() };
    let mut session = Session::start(prepared.options, prepared.client, prepared.tools, make_sink(&output))?;
    ask_at_terminal(&mut session, &output);
    let mut sink = plan_sink(&output);
    match execution.run(&mut session, &mut sink, &interrupt_on_ctrl_c()).await {
        Ok(outcome) => {
            let message = outcome.last_message.as_deref().unwrap_or_default();
            write_last_message(&output, message)?;
            if !output.json {
                print_final(message)?;
            }
            Ok(if outcome.completed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Err(ExecuteError::Session(braid_core::SessionError::Interrupted)) => Ok(ExitCode::from(130)),
        Err(err) => Err(err.into()),
    }
}

/// Plan events as JSON lines (`{"type":"plan.<kind>", ...}`) on stdout with `--json`, else progress lines
/// on stderr.
fn plan_sink(output: &OutputArgs) -> PlanSink {
    if output.json {
        Box::new(|event: &PlanEvent| {
            let Ok(mut value) = serde_json::to_value(event) else { return };
            if let Some(kind) = value.get("type").and_then(|t| t.as_str()).map(|t| format!("plan.{t}")) {
                value["type"] = serde_json::Value::String(kind);
            }
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{value}");
            let _ = stdout.flush();
        })
    } else {
        Box::new(|event: &PlanEvent| {
            let _ = writeln!(std::io::stderr().lock(), "{}", progress_line(event));
        })
    }
}
