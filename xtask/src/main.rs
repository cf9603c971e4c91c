//! braid's developer tasks, in Rust rather than shell scripts so they run the same everywhere:
//! `cargo xtask test` (tidy, fmt, clippy, the whole test suite) and its parts, the demo on the embedded
//! model (`demo`, `demo-bench`), the decode benchmark against llama.cpp (`bench-decode`), and the
//! benchmarks against Codex CLI and aider (`bench`, which runs `braid-bench`).

// xtask is a developer tool that drives cargo: spawning processes and printing are its whole job.
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

mod bench_decode;
mod cmd;
mod demo;
mod demo_bench;
mod deps;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  test     tidy, fmt --check, clippy -D warnings, then every test of the workspace (what CI runs);
           installs Chromium for the HTML report's tests when missing
  lint     tidy, fmt --check and clippy only
  tidy     repository hygiene checks (module headers, file sizes)
  demo [--model NAME] [--task N] [--keep] [--timeout SECS]
           install build deps, build braid, pull the model, and let `braid exec` fix demo task N
           (default qwen-coder-1.5b, task 1) in a fresh temp git repository; exit 0 when its test passes
  demo-bench [--models a,b,c] [--timeout SECS]
           every demo task with every model; prints a markdown table for docs/benchmarks.md
  bench-decode --model PATH.gguf [--prompt TEXT] [--tokens 128] [--threads 2] [--runs 3]
           braid's decode tokens/s against llama.cpp's own build of the same source, and the ratio
  bench <overhead|startup|tasks|suite> [ARGS]
           build braid and braid-bench in release mode and run that benchmark against Codex CLI and
           aider (installed from npm and PyPI when missing); writes its table into docs/benchmarks.md.
           `cargo xtask bench <name> --help` lists its options
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("lint") => lint(),
        Some("tidy") => tidy::run(&workspace_root()),
        Some("demo") => demo::parse_args(&args[1..]).and_then(|a| demo::run(&workspace_root(), &a)),
        Some("demo-bench") => demo_bench::parse_args(&args[1..])
            .and_then(|a| demo_bench::run(&workspace_root(), &a, &format!("cargo xtask {}", args.join(" ")))),
        Some("bench-decode") => {
            bench_decode::parse_args(&args[1..]).and_then(|a| bench_decode::run(&workspace_root(), &a))
        }
        Some("bench") => bench(&workspace_root(), &args[1..]),
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

/// The model the tests that need a real one load: the smallest in the catalog.
const TEST_MODEL: &str = "smollm2-135m";

fn test() -> anyhow::Result<()> {
    let root = workspace_root();
    // llama.cpp builds from source, so cmake and libclang must be there before clippy compiles it.
    step("build dependencies", || deps::ensure(deps::BUILD_DEPS))?;
    // Chromium, tmux and python3-venv are for a few tests only, so failing to install them is a warning:
    // those tests then say they skip, while with them installed they must run (BRAID_REQUIRE_CHROMIUM,
    // BRAID_REQUIRE_TMUX).
    let test_deps_ready = match step("test dependencies", || deps::ensure(deps::TEST_DEPS)) {
        Ok(()) => true,
        Err(err) => {
            eprintln!("warning: {err:#}; tests that need Chromium, tmux or a Python venv will say they skip");
            false
        }
    };
    lint()?;
    let model_ready = pull_test_model(&root);
    let mut required = Vec::new();
    if model_ready {
        required.push("BRAID_REQUIRE_LOCAL_MODEL");
    }
    if test_deps_ready {
        required.push("BRAID_REQUIRE_CHROMIUM");
        required.push("BRAID_REQUIRE_TMUX");
    }
    let mut totals = TestTotals::default();
    let result = step("cargo test", || {
        cargo_test(&root, &["test", "--workspace", "--all-targets", "--no-fail-fast"], &required, &mut totals)
    });
    // One closing line for the whole suite, so CI reads the total rather than the last binary's count.
    println!("summary: {} passed, {} failed, {} skipped", totals.passed, totals.failed, totals.ignored);
    result?;
    null_device_intact()?;
    step("benchmark smoke", || bench_smoke(&root))
}

/// Fails when `/dev/null` is no longer the null device. On a shared development machine it was once
/// found replaced by a regular file (something running as root renamed a file over it), after which
/// every program that reads it misbehaves; the suite checks it so that a test doing this is caught.
fn null_device_intact() -> anyhow::Result<()> {
    use std::os::unix::fs::FileTypeExt as _;
    let kind = std::fs::metadata("/dev/null").context("cannot stat /dev/null")?.file_type();
    if !kind.is_char_device() {
        bail!(
            "/dev/null is no longer a character device after the tests: a test replaced it; restore it with `mknod -m 666 /dev/null.new c 1 3 && mv /dev/null.new /dev/null` and find the test"
        );
    }
    Ok(())
}

/// The benchmarks are too slow for CI, so CI runs each harness on a tiny case instead, with braid only
/// and the debug build the tests just made: the task runner on one task with the scripted server
/// playing the reference solution, an eight-request overhead session, one round of the worktree fan-out
/// and one of the warm start. That keeps the runners from rotting between real benchmark runs.
fn bench_smoke(root: &Path) -> anyhow::Result<()> {
    let bench = ["run", "--quiet", "-p", "braid-bench", "--"];
    let tasks = ["tasks", "--scripted", "--only", "py-01-median-even", "--agents", "braid", "--no-peers", "--no-docs"];
    cargo(root, &[&bench[..], &tasks[..]].concat())?;
    let overhead = ["overhead", "--requests", "8", "--rounds", "1", "--no-peers", "--no-docs"];
    cargo(root, &[&bench[..], &overhead[..]].concat())?;
    // The worktree fan-out and warm-start benchmarks in their one-round smoke mode, in the test profile
    // (a `harness = false` bench is a plain program, which `cargo test --bench` runs with these args).
    cargo(root, &["test", "--quiet", "-p", "braid-git", "--bench", "fanout", "--", "--smoke"])?;
    cargo(root, &["test", "--quiet", "-p", "braid-orchestra", "--bench", "warm_start", "--", "--smoke"])
}

/// `cargo xtask bench <name> [ARGS]`: builds braid and braid-bench in release mode (the figures are
/// about the binary users run) and runs the benchmark, recording this command line with its results.
fn bench(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let Some(name) = args.first() else {
        bail!("name a benchmark: cargo xtask bench overhead|startup|tasks|review|suite");
    };
    step("cargo build --release -p braid -p braid-bench", || {
        cargo(root, &["build", "--release", "-p", "braid", "-p", "braid-bench"])
    })?;
    let program = demo::target_dir(root).join("release").join("braid-bench");
    let mut command = Command::new(&program);
    command.arg(name).current_dir(root);
    if name != "suite" && !args.iter().any(|a| a == "--help" || a == "-h") {
        command.arg("--command-line").arg(format!("cargo xtask bench {}", args.join(" ")));
    }
    command.args(&args[1..]);
    let status = command.status().with_context(|| format!("cannot run {}", program.display()))?;
    if !status.success() {
        bail!("`braid-bench {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

/// Test counts summed over every `test result:` line cargo prints.
#[derive(Debug, Default)]
struct TestTotals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestTotals {
    /// Adds the counts of one `test result: ok. 3 passed; 0 failed; 1 ignored; ...` line.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result:") else { return };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(label), Some(count)) = (words.next(), words.next()) else { continue };
            let Ok(count) = count.parse::<u64>() else { continue };
            match label {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }
}

/// Pulls the test model into the user's store with the debug `braid` binary (which the tests build
/// anyway). Returns whether it is installed; when the pull fails, says why, and the tests that need
/// the model then print that they are skipping.
fn pull_test_model(root: &Path) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    eprintln!("==> braid model pull {TEST_MODEL}");
    let status = Command::new(&cargo)
        .args(["run", "--quiet", "-p", "braid", "--", "model", "pull", TEST_MODEL])
        .current_dir(root)
        .status();
    match status {
        Ok(status) if status.success() => true,
        Ok(status) => {
            eprintln!(
                "warning: `braid model pull {TEST_MODEL}` failed ({status}); tests that need it will say they skip"
            );
            false
        }
        Err(err) => {
            eprintln!("warning: cannot run {cargo} to pull {TEST_MODEL}: {err}; tests that need it will say they skip");
            false
        }
    }
}

/// Runs `cargo test`, echoing its output while counting results. Each variable of `required`
/// (`BRAID_REQUIRE_LOCAL_MODEL`, `BRAID_REQUIRE_CHROMIUM`, `BRAID_REQUIRE_TMUX`) is set to `1`, so that tests needing what
/// was just installed fail instead of skipping when they cannot find it.
fn cargo_test(root: &Path, args: &[&str], required: &[&str], totals: &mut TestTotals) -> anyhow::Result<()> {
    use std::io::BufRead;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(&cargo);
    for name in required {
        command.env(name, "1");
    }
    let mut child = command
        .args(args)
        .current_dir(root)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {cargo}"))?;
    if let Some(stdout) = child.stdout.take() {
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.context("cannot read cargo test output")?;
            println!("{line}");
            totals.add_line(&line);
        }
    }
    let status = child.wait().with_context(|| format!("cannot wait for {cargo}"))?;
    if !status.success() {
        bail!("`cargo {}` exited with {status}", args.join(" "));
    }
    Ok(())
}

/// Runs one named step, printing its name and duration, so a slow or failing step is easy to spot in CI.
fn step<T>(name: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
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

#[cfg(test)]
mod tests {
    use super::TestTotals;

    #[test]
    fn totals_sum_every_result_line_and_ignore_the_rest() {
        let mut totals = TestTotals::default();
        totals
            .add_line("test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s");
        totals.add_line(
            "test result: FAILED. 7 passed; 2 failed; 0 ignored; 0 measured; 5 filtered out; finished in 1.2s",
        );
        totals.add_line("running 3 tests");
        totals.add_line("test a::b ... ok");
        assert_eq!((totals.passed, totals.failed, totals.ignored), (10, 2, 1));
    }
}
