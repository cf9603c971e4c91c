//! Installs the peers from their registries when they are missing: Codex CLI from npm
//! (`@openai/codex`) and aider from PyPI (`aider-chat`, in a virtual environment of its own), both under
//! one tools directory, so a clean clone needs nothing but `npm` and `python3`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The installed Codex CLI: its native binary and the npm entry point that starts it.
#[derive(Debug, Clone)]
pub struct Codex {
    pub native: PathBuf,
    pub npm: PathBuf,
    pub version: String,
}

/// Returns Codex CLI under `tools/codex`, installing `@openai/codex` with npm first when it is not
/// there. Fails with npm's own error text when the install fails or the package holds no binary for
/// this platform.
pub fn codex(tools: &Path) -> anyhow::Result<Codex> {
    let prefix = tools.join("codex");
    let npm_entry = prefix.join("node_modules/.bin/codex");
    if !npm_entry.exists() {
        eprintln!("installing Codex CLI (npm @openai/codex) into {}", prefix.display());
        std::fs::create_dir_all(&prefix).with_context(|| format!("cannot create {}", prefix.display()))?;
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("@openai/codex"))
        .context("cannot install Codex CLI with npm")?;
    }
    let native = find_native_codex(&prefix.join("node_modules/@openai"))?;
    let version = output(Command::new(&native).arg("--version"))?.trim().to_owned();
    Ok(Codex { native, npm: npm_entry, version })
}

/// Finds the platform package's `bin/codex` below `dir` (for example
/// `codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex`).
fn find_native_codex(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "codex")
                && path.parent().is_some_and(|p| p.ends_with("bin"))
            {
                return Ok(path);
            }
        }
    }
    bail!("no native `bin/codex` under {}; the npm install lacks this platform's package", dir.display())
}

/// The installed aider: its entry point and version.
#[derive(Debug, Clone)]
pub struct Aider {
    pub program: PathBuf,
    pub version: String,
}

/// Returns aider from the virtual environment `tools/aider-venv`, creating it and installing
/// `aider-chat` with pip first when missing. Fails with pip's error text when the install fails.
pub fn aider(tools: &Path) -> anyhow::Result<Aider> {
    let venv = tools.join("aider-venv");
    let program = venv.join("bin/aider");
    if !program.exists() {
        eprintln!("installing aider (PyPI aider-chat) into {}", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("cannot create aider's virtual environment")?;
        run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", "aider-chat"]))
            .context("cannot install aider-chat with pip")?;
    }
    let version = output(Command::new(&program).arg("--version"))?.trim().to_owned();
    Ok(Aider { program, version })
}

/// Runs an installer, failing with the tail of its output.
fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{command:?}");
    let out = command.output().with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr) + String::from_utf8_lossy(&out.stdout);
        bail!("{shown} failed ({}):\n{}", out.status, crate::suite::tail(&text, 3000));
    }
    Ok(())
}

/// Runs a command and returns its stdout, failing with its stderr.
fn output(command: &mut Command) -> anyhow::Result<String> {
    let shown = format!("{command:?}");
    let out = command.output().with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
