//! braid's developer tasks, in Rust rather than shell scripts so they run the same everywhere:
//! `cargo xtask test` (tidy, fmt, clippy, the whole test suite) and its parts.

// xtask is a developer tool that drives cargo: spawning processes and printing are its whole job.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test     tidy, fmt --check, clippy -D warnings, then every test of the workspace (what CI runs)
  lint     tidy, fmt --check and clippy only
  tidy     repository hygiene checks (module headers, file sizes)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("lint") => lint(),
        Some("tidy") => tidy::run(&workspace_root()),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or(manifest_dir)
}

fn lint() -> anyhow::Result<()> {
    let root = workspace_root();
    step("tidy", || tidy::run(&root))?;
    step("cargo fmt --check", || cargo(&root, &["fmt", "--all", "--", "--check"]))?;
    step("cargo clippy", || cargo(&root, &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
}

fn test() -> anyhow::Result<()> {
    let root = workspace_root();
    lint()?;
    step("cargo test", || cargo(&root, &["test", "--workspace", "--all-targets", "--no-fail-fast"]))?;
    step("doc tests", || cargo(&root, &["test", "--workspace", "--doc"]))
}

/// Runs one named step, printing its name and duration, so a slow or failing step is easy to spot in CI.
fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    eprintln!("==> {name}");
    let started = Instant::now();
    let result = f();
    eprintln!("==> {name}: {} in {:.0?}", if result.is_ok() { "ok" } else { "FAILED" }, started.elapsed());
    result.with_context(|| format!("step `{name}` failed"))
}

fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status =
        Command::new(&cargo).args(args).current_dir(root).status().with_context(|| format!("cannot run {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}
