//! Memory over a long session: 1000 user turns, each a tool call (a real `seq` process) and an answer,
//! against the scripted server over real HTTP, with a real rollout file. With a 32k-token window braid
//! compacts every few dozen turns; the same session with compaction out of reach (a window it never
//! fills) is measured alongside as the reference. Prints a markdown table of resident memory (VmRSS).
//!
//! Run with `cargo bench -p braid-core --bench long_session` (optionally `-- --turns N`); under
//! `cargo test` it runs 20 turns as a smoke test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use braid_core::config::ToolsToml;
use braid_core::session::CancellationToken;
use braid_core::{Session, SessionOptions};
use braid_model::{ProviderConfig, RetryConfig, WireApi};
use braid_protocol::AgentEvent;
use braid_test_support::{RecordedRequest, Reply, ScriptedServer, TempRepo, Turn};
use serde_json::json;

const CHECKPOINTS: [u64; 6] = [1, 100, 250, 500, 750, 1000];

/// Answers like a model would, with usage a real provider would report (about 4 bytes per token):
/// a summary for a compaction request, a tool call for a new user message, text after a tool output.
fn responder(calls: Arc<AtomicU64>) -> braid_test_support::Responder {
    Box::new(move |request: &RecordedRequest| {
        let body = request.body.to_string();
        let input_tokens = body.len() as u64 / 4;
        if body.contains("Write a handoff note for") {
            return Reply::Turn(
                Turn::new()
                    .text("## Task\nKeep answering.\n## State\nAll turns so far answered; nothing pending.")
                    .usage(input_tokens, 40),
            );
        }
        let last_role = request.body["messages"].as_array().and_then(|m| m.last()).map(|m| m["role"].clone());
        if last_role == Some(json!("tool")) {
            Reply::Turn(Turn::new().text("The numbers are printed above; done.").usage(input_tokens, 12))
        } else {
            let n = calls.fetch_add(1, Ordering::Relaxed);
            Reply::Turn(
                Turn::new()
                    .tool_call(&format!("call-{n}"), "shell", json!({"command": ["seq", "1", "300"]}))
                    .usage(input_tokens, 20),
            )
        }
    })
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}

struct Run {
    rss: Vec<(u64, u64)>,
    compactions: u64,
    history_items: usize,
    rollout_bytes: u64,
    seconds: f64,
}

async fn run(turns: u64, window: u64) -> Run {
    let server = ScriptedServer::start_responder(responder(Arc::new(AtomicU64::new(0))), false);
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    let provider = ProviderConfig {
        name: "scripted".into(),
        base_url: server.base_url(),
        wire_api: WireApi::Chat,
        api_key: Some("k".into()),
        env_key: None,
        headers: Default::default(),
        retry: RetryConfig::default(),
        stream_idle_timeout: Duration::from_secs(30),
    };
    let options = SessionOptions {
        home: Some(home.path().to_path_buf()),
        context_window: Some(window),
        ..SessionOptions::new("scripted-model", "scripted", repo.path().to_path_buf())
    };
    let compactions = Arc::new(Mutex::new(0u64));
    let counter = compactions.clone();
    let sink: braid_core::EventSink = Box::new(move |event| {
        if matches!(event, AgentEvent::ContextCompacted { .. }) {
            *counter.lock().unwrap() += 1;
        }
    });
    let client = braid_model::client_for(provider).unwrap();
    let tools = braid_core::tools::default_registry(&ToolsToml::default(), Default::default());
    let mut session = Session::start(options, client, tools, sink).unwrap();
    let cancel = CancellationToken::new();
    let started = Instant::now();
    let mut rss = Vec::new();
    for turn in 1..=turns {
        session.run_turn(&format!("Turn {turn}: print the numbers from 1 to 300."), &cancel).await.unwrap();
        if CHECKPOINTS.contains(&turn) || turn == turns {
            rss.push((turn, rss_kib()));
        }
    }
    let rollout_bytes = std::fs::metadata(session.rollout_path().unwrap()).map(|m| m.len()).unwrap_or(0);
    let compactions = *compactions.lock().unwrap();
    Run {
        rss,
        compactions,
        history_items: session.history().len(),
        rollout_bytes,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// One run's figures on one line, for the parent process to read.
fn report(run: &Run) -> String {
    json!({
        "rss": run.rss,
        "compactions": run.compactions,
        "history_items": run.history_items,
        "rollout_bytes": run.rollout_bytes,
        "seconds": run.seconds,
    })
    .to_string()
}

fn parse(line: &str) -> Run {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    Run {
        rss: serde_json::from_value(value["rss"].clone()).unwrap(),
        compactions: value["compactions"].as_u64().unwrap(),
        history_items: value["history_items"].as_u64().unwrap() as usize,
        rollout_bytes: value["rollout_bytes"].as_u64().unwrap(),
        seconds: value["seconds"].as_f64().unwrap(),
    }
}

/// Runs one session with `window` in a fresh process, so neither run's resident memory includes a heap
/// the other grew.
#[allow(clippy::disallowed_methods)]
fn child(mode: &str, turns: u64, window: u64) -> Run {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--mode", mode, "--turns", &turns.to_string(), "--window", &window.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    parse(String::from_utf8_lossy(&out.stdout).lines().last().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it, and then a
    // short session checks that the benchmark still works without taking minutes of a debug build.
    let full = args.iter().any(|a| a == "--bench");
    let turns = value("--turns").and_then(|n| n.parse().ok()).unwrap_or(if full { 1000u64 } else { 20 });
    if value("--mode").is_some() {
        let window = value("--window").and_then(|w| w.parse().ok()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        println!("{}", report(&runtime.block_on(run(turns, window))));
        return;
    }
    // The smoke run uses a window small enough to compact within its 20 turns.
    let window = if full { 32_000 } else { 8_000 };
    let compacting = child("compacting", turns, window);
    let reference = child("reference", turns, 100_000_000);
    assert!(compacting.compactions > 0, "the compacting session never compacted");
    assert_eq!(reference.compactions, 0, "the reference session compacted");

    println!("| turn | RSS with compaction ({}k window) | RSS without compaction | ratio |", window / 1000);
    println!("|---:|---:|---:|---:|");
    for ((turn, with), (_, without)) in compacting.rss.iter().zip(&reference.rss) {
        println!(
            "| {turn} | {:.1} MiB | {:.1} MiB | {:.2} |",
            *with as f64 / 1024.0,
            *without as f64 / 1024.0,
            *with as f64 / *without as f64
        );
    }
    // Growth from turn 100 on (from the first turn in a shorter run), so start-up allocations do not count.
    let growth = |run: &Run| {
        let first = run.rss.iter().find(|(t, _)| *t >= 100).or(run.rss.first()).map_or(1, |(_, r)| *r.max(&1)) as f64;
        run.rss.last().map_or(0.0, |(_, r)| *r as f64) / first
    };
    println!();
    for (name, run) in [("compacting", &compacting), ("reference", &reference)] {
        println!(
            "{name}: {} compactions, {} items in history at the end, rollout {:.1} MiB, {:.1} s; RSS growth from turn 100 to the last = {:.2}",
            run.compactions,
            run.history_items,
            run.rollout_bytes as f64 / 1048576.0,
            run.seconds,
            growth(run)
        );
    }
}
