//! Warm starts: the first `cargo build` in a fresh attempt worktree, cold against seeded from the main
//! checkout's `target/` by `braid_orchestra::warm::seed`. A small binary crate with registry dependencies
//! (already in `~/.cargo/registry`, built `--offline`) is committed in a "main checkout" and built there
//! once; then each start gets its own `git worktree add` and its first build is timed:
//! - *cold*: nothing seeded;
//! - *copy* (and *hardlink* in the full run): `target/` seeded first, the seeding timed separately;
//! - *copy + aligned source times*: as *copy*, then `warm::align_source_times` gives the worktree's
//!   sources the main checkout's mtimes. This shows whether the crate itself is rebuilt because of its
//!   new path or only because `git worktree add` wrote its sources just now.
//!
//! Every seeded build must compile nothing but the worktree's own crate, or the benchmark fails: that is
//! the check that cargo really reuses a seeded `target/`.
//!
//! Run with `cargo bench -p braid-orchestra --bench warm_start` (regex, serde with derive, serde_json);
//! with `--smoke` or `BRAID_BENCH_SMOKE=1`, and when `cargo test --all-targets` runs it without `--bench`,
//! it builds a crate with one small dependency to check that the benchmark still works.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
// Running cargo is what this benchmark measures; benchmarks are not the library the lint guards.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use braid_orchestra::warm::{SeedMethod, WarmMode, WarmOptions, align_source_times, seed};
use braid_test_support::TempRepo;

const CRATE: &str = "warm-demo";

const FULL_DEPS: &str = r#"regex = "1"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

const FULL_MAIN: &str = r#"use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug)]
struct Hit {
    word: String,
    at: usize,
}

fn main() {
    let pattern = regex::Regex::new(r"\b\w+ing\b").unwrap();
    let text = "warming, building and seeding";
    let hits: Vec<Hit> = pattern.find_iter(text).map(|m| Hit { word: m.as_str().into(), at: m.start() }).collect();
    println!("{}", serde_json::to_string(&hits).unwrap());
}
"#;

const SMOKE_DEPS: &str = "itoa = \"1\"\n";

const SMOKE_MAIN: &str = "fn main() {\n    println!(\"{}\", itoa::Buffer::new().format(42));\n}\n";

/// One timed first build in a worktree.
struct Start {
    name: &'static str,
    seed: Option<(Duration, SeedMethod, u64, u64)>,
    build: Duration,
    compiled: Vec<String>,
    dirty: Option<String>,
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    // The outer cargo's target directory would be shared by every start; each worktree must use its own.
    command.env_remove("CARGO_TARGET_DIR").env_remove("CARGO_BUILD_TARGET_DIR");
    command
}

/// Runs `cargo build --offline` in `dir`; returns the wall time, the crates cargo compiled, and the first
/// reason cargo's fingerprint log gives for rebuilding this crate.
fn build(dir: &Path) -> (Duration, Vec<String>, Option<String>) {
    let started = Instant::now();
    let out = cargo()
        .args(["build", "--offline"])
        .current_dir(dir)
        .env("CARGO_LOG", "cargo::core::compiler::fingerprint=info")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "cargo build in {} failed:\n{stderr}", dir.display());
    let compiled = stderr
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("Compiling "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    // The log line is long; its kind and the stale file say enough.
    let dirty = stderr.lines().find(|line| line.contains("dirty:")).map(|line| {
        let reason = line.split_once("dirty:").map_or(line, |(_, r)| r).trim();
        let kind = reason.split(['(', '{']).next().unwrap_or(reason);
        match reason.split_once("stale: \"").and_then(|(_, rest)| rest.split_once('"')) {
            Some((stale, _)) => format!("{kind}: {stale} is newer than the dep-info"),
            None => reason.chars().take(160).collect(),
        }
    });
    (elapsed, compiled, dirty)
}

/// Every regular file under `dir` with its modification time and size.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, (SystemTime, u64)> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                pending.push(path);
            } else if meta.is_file() {
                files.insert(path, (meta.modified().unwrap(), meta.len()));
            }
        }
    }
    files
}

fn start(main: &TempRepo, worktrees: &Path, name: &'static str, mode: Option<WarmMode>, align: bool) -> Start {
    let dir: PathBuf = worktrees.join(name.replace([' ', ','], "-"));
    main.git(&["worktree", "add", "-q", "--detach", dir.to_str().unwrap()]);
    let seed = mode.map(|mode| {
        let started = Instant::now();
        let report = seed(main.path(), &dir, &WarmOptions { mode, paths: vec!["target".into()] }).unwrap();
        let elapsed = started.elapsed();
        let entry = report.entries.first().expect("target/ was not seeded");
        (elapsed, entry.method, entry.files, entry.bytes)
    });
    // The alignment counts as part of the seeding: it is what the start would do before building.
    let seed = seed.map(|(elapsed, method, files, bytes)| {
        let started = Instant::now();
        if align {
            align_source_times(main.path(), &dir, &["target".into()]).unwrap();
        }
        (elapsed + started.elapsed(), method, files, bytes)
    });
    let (build, compiled, dirty) = build(&dir);
    Start { name, seed, build, compiled, dirty }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it.
    let smoke = std::env::var("BRAID_BENCH_SMOKE").is_ok_and(|v| v == "1")
        || args.iter().any(|a| a == "--smoke")
        || !args.iter().any(|a| a == "--bench");
    let (deps, source) = if smoke { (SMOKE_DEPS, SMOKE_MAIN) } else { (FULL_DEPS, FULL_MAIN) };

    let main = TempRepo::new();
    main.write(
        "Cargo.toml",
        &format!("[package]\nname = \"{CRATE}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n[dependencies]\n{deps}"),
    );
    main.write("src/main.rs", source);
    main.write(".gitignore", "/target\n");
    let out = cargo().args(["generate-lockfile", "--offline"]).current_dir(main.path()).output().unwrap();
    assert!(out.status.success(), "cargo generate-lockfile: {}", String::from_utf8_lossy(&out.stderr));
    main.commit_all("a small crate with registry dependencies");
    let (main_build, main_compiled, _) = build(main.path());

    let worktrees = tempfile::tempdir().unwrap();
    let mut starts = vec![
        start(&main, worktrees.path(), "cold", None, false),
        start(&main, worktrees.path(), "copy", Some(WarmMode::Copy), false),
    ];
    if !smoke {
        starts.push(start(&main, worktrees.path(), "auto", Some(WarmMode::Auto), false));
    }
    starts.push(start(&main, worktrees.path(), "copy + aligned source times", Some(WarmMode::Copy), true));
    // Last, because its build writes through the links into the main checkout's target/: how much it
    // changed there is measured too.
    let mut changed_in_main = None;
    if !smoke {
        let before = snapshot(&main.path().join("target"));
        starts.push(start(&main, worktrees.path(), "hardlink", Some(WarmMode::Hardlink), false));
        let after = snapshot(&main.path().join("target"));
        changed_in_main = Some(before.iter().filter(|(path, stamp)| after.get(*path) != Some(stamp)).count());
    }

    println!(
        "main checkout: first build {:.2} s, {} crates compiled ({} of them dependencies)",
        main_build.as_secs_f64(),
        main_compiled.len(),
        main_compiled.len().saturating_sub(1)
    );
    println!();
    println!(
        "| start | seeding s | seeded files | seeded MiB | first build s | seeding + build s | crates compiled | vs cold |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let cold = starts[0].build.as_secs_f64();
    for start in &starts {
        let (seed_s, method, files, mib) = match start.seed {
            Some((d, method, files, bytes)) => {
                (d.as_secs_f64(), format!(" ({method:?})").to_lowercase(), files.to_string(), bytes as f64 / 1048576.0)
            }
            None => (0.0, String::new(), "–".into(), 0.0),
        };
        let total = seed_s + start.build.as_secs_f64();
        println!(
            "| {}{method} | {seed_s:.2} | {files} | {mib:.1} | {:.2} | {total:.2} | {} | {:.2} |",
            start.name,
            start.build.as_secs_f64(),
            start.compiled.len(),
            total / cold
        );
    }
    println!();
    if let Some(changed) = changed_in_main {
        println!(
            "hardlink: the worktree's build changed {changed} files of the main checkout's target/ through the links"
        );
    }
    for start in &starts[1..] {
        println!(
            "{}: compiled {:?}; cargo's reason: {}",
            start.name,
            start.compiled,
            start.dirty.as_deref().unwrap_or("(nothing dirty)")
        );
    }

    // The check that makes the figures mean something: the cold start built the dependencies, every seeded
    // start reused them, and with aligned source times even the crate itself was reused.
    assert_eq!(starts[0].compiled.len(), main_compiled.len(), "the cold start did not build everything");
    for start in &starts[1..] {
        let expected: &[&str] = if start.name.contains("aligned") { &[] } else { &[CRATE] };
        assert_eq!(start.compiled, expected, "{}: cargo rebuilt more than expected", start.name);
    }
}
