//! `cargo xtask bench-decode`: braid's decode speed against llama.cpp's own, on the same GGUF, prompt,
//! thread count and llama.cpp source. The llama.cpp side is a small C driver (`xtask/native-decode/`) built
//! with cmake from the tree the `llama-cpp-sys-2` crate bundles; the crate ships no examples or tools, so
//! `llama-simple` and `llama-bench` cannot be built from that tree. Both sides print the same JSON line.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::cmd;

/// The prompt both sides decode from unless `--prompt` is given: plain code-assistant text, so the
/// tokenizer sees the kind of input braid sends.
pub const DEFAULT_PROMPT: &str = "Write a Python function that returns the n-th Fibonacci number iteratively, \
                                  with a docstring and two doctests.";

/// Options of `cargo xtask bench-decode`.
#[derive(Debug, PartialEq)]
pub struct DecodeArgs {
    pub model: PathBuf,
    pub prompt: String,
    pub tokens: u32,
    pub threads: u32,
    /// Each side runs this many times and the best run counts, which filters out a busy neighbour.
    pub runs: u32,
}

/// Parses `--model PATH.gguf [--prompt TEXT] [--tokens N] [--threads N] [--runs N]`; fails naming the bad
/// option, and when the model file does not exist.
pub fn parse_args(args: &[String]) -> anyhow::Result<DecodeArgs> {
    let mut model = None;
    let mut parsed =
        DecodeArgs { model: PathBuf::new(), prompt: DEFAULT_PROMPT.to_string(), tokens: 128, threads: 2, runs: 3 };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        let count = |name: &str, v: &str| match v.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(anyhow::anyhow!("{name} takes a positive whole number, not `{v}`")),
        };
        match arg.as_str() {
            "--model" => model = Some(PathBuf::from(value("--model")?)),
            "--prompt" => parsed.prompt = value("--prompt")?.clone(),
            "--tokens" => parsed.tokens = count("--tokens", value("--tokens")?)?,
            "--threads" => parsed.threads = count("--threads", value("--threads")?)?,
            "--runs" => parsed.runs = count("--runs", value("--runs")?)?,
            other => bail!(
                "unknown option `{other}` for `bench-decode`; options: --model PATH.gguf --prompt TEXT --tokens N \
                 --threads N --runs N"
            ),
        }
    }
    parsed.model =
        model.context("bench-decode needs --model PATH.gguf (for example a file from `braid model pull`)")?;
    if !parsed.model.is_file() {
        bail!("{}: no such model file", parsed.model.display());
    }
    Ok(parsed)
}

/// One benchmark run's figures, as both sides print them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed {
    pub decode_tok_s: f64,
    pub prompt_tok_s: f64,
    pub tokens: u64,
}

/// Reads the last line of `stdout` that is a JSON object with `decode_tok_s`, `prompt_tok_s` and `tokens`;
/// fails quoting the output when there is none.
pub fn parse_speed(stdout: &str) -> anyhow::Result<Speed> {
    let line = stdout
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('{'))
        .with_context(|| format!("no JSON line in the benchmark output:\n{}", stdout.trim_end()))?;
    let value: serde_json::Value =
        serde_json::from_str(line).with_context(|| format!("the benchmark printed bad JSON: {line}"))?;
    let number = |key: &str| {
        value.get(key).and_then(serde_json::Value::as_f64).with_context(|| format!("`{key}` missing from {line}"))
    };
    Ok(Speed {
        decode_tok_s: number("decode_tok_s")?,
        prompt_tok_s: number("prompt_tok_s")?,
        tokens: value
            .get("tokens")
            .and_then(serde_json::Value::as_u64)
            .with_context(|| format!("`tokens` missing from {line}"))?,
    })
}

/// The best of `speeds` by decode rate; `None` when empty.
fn best(speeds: &[Speed]) -> Option<Speed> {
    speeds.iter().copied().max_by(|a, b| a.decode_tok_s.total_cmp(&b.decode_tok_s))
}

/// Runs the benchmark: builds (or reuses) the native driver, measures it, then measures braid's
/// `decode_bench` example, and prints both and the ratio. Fails when a build or run fails, in particular
/// with a clear message while braid-local has no `decode_bench` example yet.
pub fn run(root: &Path, args: &DecodeArgs) -> anyhow::Result<()> {
    let llama_src = llama_source(root)?;
    let build_dir = crate::demo::target_dir(root).join("llama-native");
    let driver = crate::step("build llama.cpp native decode driver", || build_native(root, &llama_src, &build_dir))?;
    warn_if_busy();
    let native = measure("llama.cpp", args.runs, || native_command(&driver, args))?;
    println!("llama.cpp native ({}): {}", llama_src.display(), describe_speed(native));
    let example = root.join("crates/braid-local/examples/decode_bench.rs");
    if !example.is_file() {
        bail!(
            "braid's side is not written yet: {} does not exist. It must accept --model PATH --prompt TEXT --tokens N \
             --threads N and print one JSON line {{\"decode_tok_s\": f64, \"prompt_tok_s\": f64, \"tokens\": n}}",
            example.display()
        );
    }
    // Build first, so compile time is not mistaken for a slow run and cargo's output stays out of the runs.
    crate::step("cargo build --release -p braid-local --example decode_bench", || {
        cmd::run(Command::new(cmd::cargo_program()).current_dir(root).args([
            "build",
            "--release",
            "-p",
            "braid-local",
            "--example",
            "decode_bench",
        ]))
    })?;
    let braid = measure("braid", args.runs, || braid_command(root, args))?;
    println!("braid (braid-local decode_bench): {}", describe_speed(braid));
    let ratio = braid.decode_tok_s / native.decode_tok_s;
    println!(
        "decode ratio braid/llama.cpp = {ratio:.3} (target >= 0.95) on {} with {} threads, {} tokens, best of {}",
        args.model.display(),
        args.threads,
        args.tokens,
        args.runs
    );
    Ok(())
}

/// Warns when the one-minute load average already fills the cores: with two decode threads competing
/// against other work, llama.cpp's spinning threads lose most of their time and both figures collapse
/// (measured here: 2-thread decode falls several-fold under a load of 6 on 2 cores).
fn warn_if_busy() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|l| l.parse::<f64>().ok()));
    if let Some(load) = load.filter(|l| *l >= cores as f64 * 0.5) {
        eprintln!(
            "warning: load average {load:.2} on {cores} cores; the figures below are unreliable on a busy machine"
        );
    }
}

fn describe_speed(speed: Speed) -> String {
    format!("decode {:.2} tok/s, prompt {:.2} tok/s, {} tokens", speed.decode_tok_s, speed.prompt_tok_s, speed.tokens)
}

/// Runs the command `make` builds `runs` times, printing each run, and returns the best.
fn measure(label: &str, runs: u32, make: impl Fn() -> Command) -> anyhow::Result<Speed> {
    let mut speeds = Vec::new();
    for i in 1..=runs {
        let speed = parse_speed(&cmd::stdout_of(&mut make())?)?;
        eprintln!("{label} run {i}/{runs}: {}", describe_speed(speed));
        speeds.push(speed);
    }
    best(&speeds).context("no runs")
}

fn native_command(driver: &Path, args: &DecodeArgs) -> Command {
    let mut c = Command::new(driver);
    c.arg("--model").arg(&args.model).args(["--prompt", &args.prompt]);
    c.args(["--tokens", &args.tokens.to_string(), "--threads", &args.threads.to_string()]);
    c
}

fn braid_command(root: &Path, args: &DecodeArgs) -> Command {
    let mut c = Command::new(cmd::cargo_program());
    c.current_dir(root).args(["run", "--quiet", "--release", "-p", "braid-local", "--example", "decode_bench", "--"]);
    c.arg("--model").arg(&args.model).args(["--prompt", &args.prompt]);
    c.args(["--tokens", &args.tokens.to_string(), "--threads", &args.threads.to_string()]);
    c
}

/// The `llama.cpp/` tree inside the `llama-cpp-sys-2` package cargo resolved for this workspace, found
/// with `cargo metadata`, so the native build uses exactly the source braid links. Fails when cargo
/// metadata fails or the workspace does not depend on llama-cpp-sys-2.
pub fn llama_source(root: &Path) -> anyhow::Result<PathBuf> {
    let json = cmd::stdout_of(Command::new(cmd::cargo_program()).current_dir(root).args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
    ]))?;
    let metadata: serde_json::Value = serde_json::from_str(&json).context("cargo metadata printed bad JSON")?;
    let package = metadata["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "llama-cpp-sys-2"))
        .context("the workspace does not depend on llama-cpp-sys-2 (braid-local should)")?;
    let manifest = package["manifest_path"].as_str().context("cargo metadata gave llama-cpp-sys-2 no manifest_path")?;
    let source = Path::new(manifest).parent().map(|dir| dir.join("llama.cpp")).unwrap_or_default();
    if !source.join("CMakeLists.txt").is_file() {
        bail!("{}: no llama.cpp source tree with a CMakeLists.txt", source.display());
    }
    Ok(source)
}

/// Configures and builds the native driver into `build_dir` (Release, GGML_NATIVE=ON) and returns its
/// path. cmake and make reuse what is already built, so only the first run takes minutes. Fails when cmake
/// is missing or the build fails.
fn build_native(root: &Path, llama_src: &Path, build_dir: &Path) -> anyhow::Result<PathBuf> {
    if cmd::which("cmake").is_none() {
        bail!("cmake is not installed; run `cargo xtask demo` once or `sudo apt-get install -y cmake`");
    }
    let project = root.join("xtask/native-decode");
    cmd::run(
        Command::new("cmake")
            .arg("-S")
            .arg(&project)
            .arg("-B")
            .arg(build_dir)
            .args(["-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON", "-DGGML_CCACHE=OFF"])
            .arg(format!("-DLLAMA_SRC={}", llama_src.display())),
    )?;
    let jobs = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    cmd::run(Command::new("cmake").arg("--build").arg(build_dir).args([
        "--target",
        "braid-native-decode",
        "-j",
        &jobs.to_string(),
    ]))?;
    Ok(build_dir.join("braid-native-decode"))
}

#[cfg(test)]
mod tests {
    use super::{Speed, best, parse_speed};

    fn check(stdout: &str, expected: Result<Speed, &str>) {
        match (parse_speed(stdout), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want),
            (Err(err), Err(want)) => assert!(format!("{err:#}").contains(want), "{err:#} lacks {want}"),
            (got, want) => panic!("{stdout:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn speed_lines() {
        let speed = Speed { decode_tok_s: 41.5, prompt_tok_s: 120.25, tokens: 128 };
        check(r#"{"decode_tok_s": 41.5, "prompt_tok_s": 120.25, "tokens": 128}"#, Ok(speed));
        check("loading...\n{\"decode_tok_s\":41.5,\"prompt_tok_s\":120.25,\"tokens\":128}\n\n", Ok(speed));
        check("only chatter\n", Err("no JSON line"));
        check("{not json}", Err("bad JSON"));
        check(r#"{"decode_tok_s": 1.0, "tokens": 3}"#, Err("`prompt_tok_s` missing"));
        check(r#"{"decode_tok_s": 1.0, "prompt_tok_s": 2.0, "tokens": -1}"#, Err("`tokens` missing"));
    }

    #[test]
    fn the_best_run_is_the_fastest_decode() {
        let s = |d: f64| Speed { decode_tok_s: d, prompt_tok_s: 1.0, tokens: 1 };
        assert_eq!(best(&[s(10.0), s(12.5), s(11.0)]), Some(s(12.5)));
        assert_eq!(best(&[]), None);
    }

    #[test]
    fn a_missing_model_file_is_refused() {
        let args = ["--model".to_string(), "/nonexistent/model.gguf".to_string()];
        let err = super::parse_args(&args).unwrap_err();
        assert_eq!(err.to_string(), "/nonexistent/model.gguf: no such model file");
        let err = super::parse_args(&[]).unwrap_err();
        assert!(err.to_string().contains("needs --model"), "{err}");
        let args = ["--tokens".to_string(), "0".to_string()];
        assert!(super::parse_args(&args).unwrap_err().to_string().contains("positive whole number"));
    }
}
