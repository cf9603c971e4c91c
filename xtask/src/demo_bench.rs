//! `cargo xtask demo-bench`: every demo task with every model, solved or not and how long it took,
//! printed as a markdown table for `docs/benchmarks.md` together with the command and the machine.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cmd;
use crate::demo::{self, Attempt, Task};

/// The models benchmarked when `--models` is not given, largest first.
pub const DEFAULT_MODELS: &[&str] = &["qwen-coder-1.5b", "qwen-coder-0.5b", "smollm2-135m"];

/// Options of `cargo xtask demo-bench`.
#[derive(Debug, PartialEq)]
pub struct BenchArgs {
    pub models: Vec<String>,
    pub timeout: Duration,
}

/// Parses `[--models a,b,c] [--timeout SECS]`; fails naming the bad option.
pub fn parse_args(args: &[String]) -> anyhow::Result<BenchArgs> {
    let mut parsed =
        BenchArgs { models: DEFAULT_MODELS.iter().map(|m| (*m).to_string()).collect(), timeout: demo::DEFAULT_TIMEOUT };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--models" => {
                parsed.models = value("--models")?
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect();
                if parsed.models.is_empty() {
                    bail!("--models takes a comma-separated list of model names, e.g. qwen-coder-0.5b,smollm2-135m");
                }
            }
            "--timeout" => parsed.timeout = Duration::from_secs(demo::parse_secs(value("--timeout")?)?),
            other => bail!("unknown option `{other}` for `demo-bench`; options: --models a,b,c --timeout SECS"),
        }
    }
    Ok(parsed)
}

/// One model's results, in task order.
#[derive(Debug)]
pub struct ModelRow {
    pub model: String,
    pub attempts: Vec<Attempt>,
}

/// Runs every task with every model and prints the table on stdout. Fails when braid cannot be built, a
/// model cannot be pulled, or a task cannot be prepared; a task the model does not solve is a result.
pub fn run(root: &Path, args: &BenchArgs, command_line: &str) -> anyhow::Result<()> {
    let demo_dir = root.join("demo");
    let tasks = demo::tasks(&demo_dir)?;
    crate::step("build dependencies", || crate::deps::ensure(crate::deps::BUILD_DEPS))?;
    crate::step("cargo build --release -p braid", || demo::build_release(root))?;
    let braid = demo::braid_binary(root);
    let mut rows = Vec::new();
    for model in &args.models {
        crate::step(&format!("braid model pull {model}"), || demo::pull_model(&braid, model))?;
        let mut attempts = Vec::new();
        for task in &tasks {
            let repo = demo::scratch_dir(&format!("bench-{model}-{}", task.name()));
            let attempt = crate::step(&format!("{model} on task {}", task.name()), || {
                demo::attempt(&braid, &demo_dir, task, &repo, model, args.timeout, false)
            });
            let _ = std::fs::remove_dir_all(&repo);
            let attempt = attempt?;
            eprintln!("    solved: {}, {:.0?}", if attempt.passed { "yes" } else { "no" }, attempt.took);
            attempts.push(attempt);
        }
        rows.push(ModelRow { model: model.clone(), attempts });
    }
    println!("{}", table(&tasks, &rows, command_line, &machine(), args.timeout));
    Ok(())
}

/// The machine line: `nproc` and the CPU model from /proc/cpuinfo, or what could be found of them.
fn machine() -> String {
    let cores = cmd::stdout_of(&mut Command::new("nproc")).map(|s| s.trim().to_string()).unwrap_or_else(|_| "?".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores (`nproc`), {cpu}")
}

/// The markdown report: the command and machine, then one row per task and a column per model, each cell
/// "yes"/"no" with the wall time of `braid exec`, and a closing row with the count solved and total time.
pub fn table(tasks: &[Task], rows: &[ModelRow], command_line: &str, machine: &str, timeout: Duration) -> String {
    let mut out = format!(
        "Produced by `{command_line}` on {machine}; each task is one `braid exec` run, stopped after {}s.\n\n",
        timeout.as_secs()
    );
    out.push_str("| task |");
    for row in rows {
        out.push_str(&format!(" {} |", row.model));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(rows.len()));
    out.push('\n');
    for (i, task) in tasks.iter().enumerate() {
        out.push_str(&format!("| {} |", task.name()));
        for row in rows {
            let cell = row.attempts.get(i).map_or_else(|| "-".to_string(), cell);
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("| **solved** |");
    for row in rows {
        let solved = row.attempts.iter().filter(|a| a.passed).count();
        let total: Duration = row.attempts.iter().map(|a| a.took).sum();
        out.push_str(&format!(" **{solved}/{}** in {}s |", tasks.len(), total.as_secs()));
    }
    out.push('\n');
    out
}

fn cell(attempt: &Attempt) -> String {
    let verdict = if attempt.passed { "yes" } else { "no" };
    let note = if attempt.timed_out { " (timed out)" } else { "" };
    format!("{verdict}, {}s{note}", attempt.took.as_secs())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::{BenchArgs, ModelRow, parse_args, table};
    use crate::demo::{Attempt, Task};

    fn task(number: u32, slug: &str) -> Task {
        Task { number, slug: slug.into(), dir: PathBuf::new(), prompt: String::new(), check: vec![] }
    }

    fn attempt(passed: bool, secs: u64, timed_out: bool) -> Attempt {
        Attempt { passed, timed_out, took: Duration::from_secs(secs) }
    }

    #[test]
    fn the_table_has_a_column_per_model_and_a_total_row() {
        let tasks = [task(1, "a"), task(2, "b")];
        let rows = [
            ModelRow { model: "big".into(), attempts: vec![attempt(true, 40, false), attempt(true, 61, false)] },
            ModelRow { model: "tiny".into(), attempts: vec![attempt(false, 900, true), attempt(true, 9, false)] },
        ];
        let got =
            table(&tasks, &rows, "cargo xtask demo-bench", "2 cores (`nproc`), AMD EPYC", Duration::from_secs(900));
        let want = "Produced by `cargo xtask demo-bench` on 2 cores (`nproc`), AMD EPYC; each task is one `braid exec` \
                    run, stopped after 900s.\n\n\
                    | task | big | tiny |\n\
                    |---|---|---|\n\
                    | 1-a | yes, 40s | no, 900s (timed out) |\n\
                    | 2-b | yes, 61s | yes, 9s |\n\
                    | **solved** | **2/2** in 101s | **1/2** in 909s |\n";
        assert_eq!(got, want);
    }

    fn check(args: &[&str], expected: Result<BenchArgs, &str>) {
        crate::demo::tests::check_parse(parse_args, args, expected);
    }

    #[test]
    fn bench_options() {
        let models = |m: &[&str]| m.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        check(
            &[],
            Ok(BenchArgs {
                models: models(&["qwen-coder-1.5b", "qwen-coder-0.5b", "smollm2-135m"]),
                timeout: Duration::from_secs(900),
            }),
        );
        check(
            &["--models", "smollm2-135m, qwen-coder-0.5b", "--timeout", "300"],
            Ok(BenchArgs { models: models(&["smollm2-135m", "qwen-coder-0.5b"]), timeout: Duration::from_secs(300) }),
        );
        check(&["--models", ","], Err("comma-separated list"));
        check(&["--models"], Err("--models needs a value"));
        check(&["--runs", "3"], Err("unknown option `--runs`"));
    }
}
