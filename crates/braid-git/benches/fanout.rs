//! Fan-out on a large repository: creating and removing 8 attempt worktrees with braid-git (8 threads,
//! as the orchestrator does) against 8 plain sequential `git worktree add` / `git worktree remove`.
//!
//! The repository (20,000 files in nested directories, about 100 MB, one commit) is generated once and
//! cached under the target directory (`bench-work/git-fanout/`). Prints a markdown table of median times
//! over the rounds and the ratio braid / plain git.
//!
//! Run with `cargo bench -p braid-git --bench fanout` (optionally `-- --rounds N`). With `-- --smoke`,
//! `BRAID_BENCH_SMOKE=1`, or under `cargo test --all-targets` (no `--bench` argument) it runs one round on a
//! 200-file repository in a temp dir, to keep the benchmark from rotting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
// The baseline is plain git run the way a user would run it, so this benchmark spawns git itself.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use braid_git::Repo;

const ATTEMPTS: u32 = 8;

struct Shape {
    files: usize,
    bytes_per_file: usize,
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

/// Writes `shape.files` files of pseudo-random words, 100 per directory in two levels, and commits them.
fn generate(dir: &Path, shape: &Shape) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..shape.files {
        let path = dir.join(format!("d{:02}/e{:02}/f{:03}.txt", i / 1000, (i / 100) % 10, i % 100));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = String::with_capacity(shape.bytes_per_file + 16);
        while text.len() < shape.bytes_per_file {
            let word = next();
            let len = 2 + (word % 9) as usize;
            text.extend((0..len).map(|k| (b'a' + ((word >> (k * 5)) % 26) as u8) as char));
            text.push(if word % 11 == 0 { '\n' } else { ' ' });
        }
        std::fs::write(&path, text).unwrap();
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "generated"]);
}

/// Returns the cached large repository, generating it on first use.
fn cached_repo(shape: &Shape) -> PathBuf {
    // The bench binary lives in <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_path_buf();
    let dir = target.join(format!("bench-work/git-fanout/repo-{}x{}", shape.files, shape.bytes_per_file));
    let done = dir.join(".git/braid-bench-complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        generate(&dir, shape);
        std::fs::write(&done, "").unwrap();
        println!("generated {} in {:.1} s", dir.display(), started.elapsed().as_secs_f64());
    }
    dir
}

struct Round {
    braid_create: f64,
    git_create: f64,
    braid_remove: f64,
    git_remove: f64,
}

fn round(root: &Path, id: usize) -> Round {
    let repo = Arc::new(Repo::discover(root).unwrap());
    let run = format!("bench{id}");

    let started = Instant::now();
    let handles: Vec<_> = (1..=ATTEMPTS)
        .map(|n| {
            let repo = Arc::clone(&repo);
            let run = run.clone();
            std::thread::spawn(move || repo.create_worktree(&run, n, "HEAD").unwrap())
        })
        .collect();
    let worktrees: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let braid_create = started.elapsed().as_secs_f64();

    let plain_dir = root.join(format!(".braid/plain{id}"));
    let started = Instant::now();
    for n in 1..=ATTEMPTS {
        let path = plain_dir.join(n.to_string());
        git(root, &["worktree", "add", "-q", "-b", &format!("plain/{id}/{n}"), path.to_str().unwrap(), "HEAD"]);
    }
    let git_create = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let handles: Vec<_> = worktrees
        .into_iter()
        .map(|wt| {
            let repo = Arc::clone(&repo);
            std::thread::spawn(move || repo.remove_worktree(&wt, false).unwrap())
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());
    let braid_remove = started.elapsed().as_secs_f64();

    let started = Instant::now();
    for n in 1..=ATTEMPTS {
        git(root, &["worktree", "remove", plain_dir.join(n.to_string()).to_str().unwrap()]);
    }
    let git_remove = started.elapsed().as_secs_f64();

    // Leave the cached repository as it was: no branches, no directories.
    for n in 1..=ATTEMPTS {
        git(root, &["branch", "-q", "-D", &format!("braid/{run}/{n}"), &format!("plain/{id}/{n}")]);
    }
    let _ = std::fs::remove_dir(&plain_dir);
    Round { braid_create, git_create, braid_remove, git_remove }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke")
        || std::env::var_os("BRAID_BENCH_SMOKE").is_some_and(|v| v != "0")
        || !args.iter().any(|a| a == "--bench");
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(if smoke { 1 } else { 5 });
    let temp;
    let shape;
    let root = if smoke {
        shape = Shape { files: 200, bytes_per_file: 1000 };
        temp = tempfile::tempdir().unwrap();
        generate(temp.path(), &shape);
        temp.path().to_path_buf()
    } else {
        shape = Shape { files: 20_000, bytes_per_file: 5_000 };
        cached_repo(&shape)
    };
    // One untimed round first, so that both sides start with a warm page cache.
    round(&root, 0);
    let results: Vec<Round> = (1..=rounds).map(|id| round(&root, id)).collect();
    let col = |f: fn(&Round) -> f64| median(results.iter().map(f).collect());
    let (bc, gc, br, gr) =
        (col(|r| r.braid_create), col(|r| r.git_create), col(|r| r.braid_remove), col(|r| r.git_remove));
    println!(
        "{} files, {:.0} MB, {ATTEMPTS} attempts, median of {rounds} round(s), {} cores",
        shape.files,
        (shape.files * shape.bytes_per_file) as f64 / 1e6,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    println!();
    println!("| operation | braid-git, {ATTEMPTS} threads | plain git, {ATTEMPTS} in sequence | ratio braid / git |");
    println!("|---|---:|---:|---:|");
    println!("| create {ATTEMPTS} worktrees | {bc:.2} s | {gc:.2} s | {:.2} |", bc / gc);
    println!("| remove {ATTEMPTS} worktrees | {br:.2} s | {gr:.2} s | {:.2} |", br / gr);
}
