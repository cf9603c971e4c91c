//! `braid plan`, `braid plan revise` and `braid plan check`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use braid_orchestra::plan::{self, CheckOptions};

use crate::cli::{GlobalArgs, PlanArgs, PlanCheckArgs, PlanCommand};

/// Runs `braid plan ...`.
pub async fn run(global: &GlobalArgs, args: PlanArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(PlanCommand::Check(check_args)) => check(global, check_args),
        Some(PlanCommand::Revise(_)) | None => anyhow::bail!("braid plan authoring is being written"),
    }
}

/// The exit code when a plan file cannot be read, told apart from 1 (a plan has errors).
const UNREADABLE: u8 = 2;

/// Runs `braid plan check`: checks every file, printing its report on stdout (lines for people, or one
/// JSON object per line with `--json`). Returns exit code 0 when every plan passes, 1 when one has errors
/// (or warnings, with `--strict`), and 2 when a file could not be read (named on stderr; the others are
/// still checked). Fails only when stdout cannot be written.
fn check(_global: &GlobalArgs, args: PlanCheckArgs) -> anyhow::Result<ExitCode> {
    let path_var = std::env::var_os("PATH");
    let mut stdout = std::io::stdout().lock();
    let mut passed = true;
    let mut unreadable = false;
    for file in &args.files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(err) => {
                let _ = writeln!(std::io::stderr().lock(), "error: cannot read plan file {}: {err}", file.display());
                unreadable = true;
                continue;
            }
        };
        let root = repository_root(file);
        let (_, report) = plan::check(&text, &CheckOptions { root: &root, path_var: path_var.clone() });
        let label = file.display().to_string();
        let file_passed = report.passed(args.strict);
        if args.json {
            let mut json = report.to_json(&label);
            // `ok` follows the exit code, which `--strict` makes fail on warnings too.
            json["ok"] = file_passed.into();
            writeln!(stdout, "{json}").context("cannot write to stdout")?;
        } else {
            write!(stdout, "{}", report.human(&label)).context("cannot write to stdout")?;
        }
        passed &= file_passed;
    }
    Ok(if unreadable {
        ExitCode::from(UNREADABLE)
    } else if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The root a plan's globs and relative programs are relative to: the nearest directory above `file`
/// holding `.git` (a directory, or a file in a worktree), else the file's own directory.
fn repository_root(file: &Path) -> PathBuf {
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let directory = absolute.parent().map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    directory.ancestors().find(|dir| dir.join(".git").exists()).map_or(directory.clone(), Path::to_path_buf)
}
