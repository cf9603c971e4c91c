//! The `braid` binary: parses the command line and wires the library crates together. No behaviour lives
//! here that a library crate could own.

mod approve;
mod cli;
mod compare_cmd;
mod exec;
mod init_cmd;
mod local;
mod mcp_cmd;
mod mcp_server;
mod model_cmd;
mod pick_cmd;
mod plan_cmd;
mod plan_exec;
mod pr_cmd;
mod review_cmd;
mod run_cmd;
mod run_view;
mod sandbox_cmd;
mod skills_cmd;
mod tui_cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            report_error(&anyhow::anyhow!("cannot start the async runtime: {err}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            report_error(&err);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = cli.command else {
        return tui_cmd::run(&cli.global, cli.interactive).await;
    };
    match command {
        cli::Command::Exec(args) => exec::run(&cli.global, args).await,
        cli::Command::Resume(args) => exec::run_resume(&cli.global, args).await,
        cli::Command::Fork(args) => exec::run_fork(&cli.global, args).await,
        cli::Command::Model(command) => model_cmd::run(&cli.global, command).await,
        cli::Command::Sandbox(args) => sandbox_cmd::run(&cli.global, args),
        cli::Command::Init(args) => init_cmd::run(&cli.global, args),
        cli::Command::Plan(args) => plan_cmd::run(&cli.global, args).await,
        cli::Command::Run(args) => run_cmd::run(&cli.global, args).await,
        cli::Command::Runs(args) => run_cmd::runs(&cli.global, args),
        cli::Command::Show(args) => run_cmd::show(&cli.global, args),
        cli::Command::Gc(args) => run_cmd::gc(&cli.global, args),
        cli::Command::Compare(args) => compare_cmd::compare(&cli.global, args).await,
        cli::Command::Review(args) => review_cmd::review(&cli.global, args).await,
        cli::Command::Pick(args) => pick_cmd::pick(&cli.global, args).await,
        cli::Command::Restore(args) => pick_cmd::restore(&cli.global, args),
        cli::Command::Skills(cli::SkillsCommand::List(args)) => skills_cmd::list(&cli.global, &args),
        cli::Command::Mcp(cli::McpCommand::List(args)) => mcp_cmd::list(&cli.global, &args).await,
        cli::Command::McpServer(args) => mcp_server::serve(&cli.global, &args).await,
    }
}

/// Prints a failure as one line on stderr: the error and its causes, joined.
#[allow(clippy::print_stderr)]
fn report_error(err: &anyhow::Error) {
    let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    eprintln!("error: {}", chain.join(": "));
}
