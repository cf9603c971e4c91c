//! `braid init`: sets up the repository (the working directory, or `-C`) for execution plans and prints
//! what happened to each file, then the next step.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use braid_orchestra::init::{InitReport, init};

use crate::cli::{GlobalArgs, InitArgs};
use crate::exec::working_dir;

/// Runs `braid init`.
pub fn run(global: &GlobalArgs, _args: InitArgs) -> anyhow::Result<ExitCode> {
    let repo = working_dir(global.cd.as_deref(), None)?;
    let report = init(&repo)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(render(&report).as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The report as people read it: the repository, one aligned line per file, and what to do next.
fn render(report: &InitReport) -> String {
    let width = report.files.iter().map(|f| f.path.display().to_string().len()).max().unwrap_or(0);
    let mut text = format!("braid init in {}\n", report.repo.display());
    for file in &report.files {
        let path = file.path.display().to_string();
        text.push_str(&format!("  {:<9} {path:<width$}  {}\n", file.status.word(), file.purpose));
    }
    text.push_str(
        "Next: `braid plan \"<goal>\"` writes a plan to plans/<slug>.md; check it with `braid plan check <file>` and run it with `braid exec --plan <file>`.\n",
    );
    text
}
