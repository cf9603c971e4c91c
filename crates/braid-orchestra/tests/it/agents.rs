//! External agent backends against the fake agent CLI from braid-test-support, run as real processes in
//! real temporary directories: events normalised, usage and cost read, the file really written, the
//! transcript logged; failures, malformed lines, timeout and cancellation (with the process tree gone),
//! a missing program, and a `cmd:` template given a hostile prompt.

use std::path::Path;
use std::time::{Duration, Instant};

use braid_core::session::CancellationToken;
use braid_orchestra::agents::{AgentError, AgentOutcome, AgentSettings, AgentSpec, AgentTask, ExternalAgent};
use braid_protocol::{AgentEvent, CommandStatus, FileChangeKind, ToolEffect, Usage};
use serde_json::Value;

/// A temporary working directory, a log directory and the fake agent linked as `codex` and `claude`.
struct Fixture {
    work: tempfile::TempDir,
    logs: tempfile::TempDir,
    bin: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            work: tempfile::tempdir().unwrap(),
            logs: tempfile::tempdir().unwrap(),
            bin: braid_test_support::fake_agent_bin_dir(),
        }
    }

    fn settings(&self) -> AgentSettings {
        AgentSettings {
            codex_program: self.bin.path().join("codex").to_string_lossy().into_owned(),
            claude_program: self.bin.path().join("claude").to_string_lossy().into_owned(),
            ..AgentSettings::default()
        }
    }

    fn task(&self, env: &[(&str, &str)]) -> AgentTask {
        AgentTask {
            prompt: "Add a greeting file.".into(),
            workdir: self.work.path().to_path_buf(),
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            model: Some("fake-model".into()),
            timeout: Duration::from_secs(30),
            log_path: self.logs.path().join("attempt-1").join("agent.jsonl"),
            attempt: 1,
            port: Some(4321),
        }
    }

    async fn run(&self, spec: AgentSpec, env: &[(&str, &str)]) -> (Result<AgentOutcome, AgentError>, Vec<AgentEvent>) {
        let agent = ExternalAgent::new(spec, self.settings());
        let mut events = Vec::new();
        let result = agent.run(&self.task(env), &mut |e| events.push(e), &CancellationToken::new()).await;
        (result, events)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.logs.path().join("attempt-1/agent.jsonl")).unwrap()
    }
}

/// A short name per event, to compare event sequences at a glance.
fn names(events: &[AgentEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            AgentEvent::SessionStarted { .. } => "session".into(),
            AgentEvent::TurnStarted => "turn".into(),
            AgentEvent::AgentMessageDelta { .. } => "delta".into(),
            AgentEvent::AgentMessage { .. } => "message".into(),
            AgentEvent::Reasoning { .. } => "reasoning".into(),
            AgentEvent::ToolCallBegin { name, .. } => format!("begin:{name}"),
            AgentEvent::ToolCallEnd { name, success, .. } => format!("end:{name}:{success}"),
            AgentEvent::Warning { .. } => "warning".into(),
            AgentEvent::TurnCompleted { .. } => "completed".into(),
            AgentEvent::TurnFailed { .. } => "failed".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Whether `pid` has exited (gone, or a zombie).
fn is_dead(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

async fn assert_dies(pid: u64) {
    let until = Instant::now() + Duration::from_secs(5);
    while !is_dead(pid) {
        assert!(Instant::now() < until, "process {pid} is still alive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the fake agent has written its record (it does so once it is running) and returns it.
async fn read_record(path: &Path) -> Value {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(value) = serde_json::from_str(&text)
        {
            return value;
        }
        assert!(Instant::now() < until, "the fake agent never wrote {}", path.display());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn codex_transcript_is_normalised() {
    let fx = Fixture::new();
    let record_path = fx.logs.path().join("record.json");
    let (result, events) = fx
        .run(
            AgentSpec::Codex,
            &[("FAKE_AGENT_WRITE", "hello.txt=hi"), ("FAKE_AGENT_RECORD", record_path.to_str().unwrap())],
        )
        .await;
    let outcome = result.unwrap();
    assert_eq!(
        names(&events),
        [
            "session",
            "turn",
            "reasoning",
            "begin:shell",
            "end:shell:true",
            "begin:apply_patch",
            "end:apply_patch:true",
            "message",
            "completed"
        ]
    );
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.turns, 1);
    assert_eq!(
        outcome.usage,
        Usage { input_tokens: 1200, cached_input_tokens: 200, output_tokens: 80, reasoning_output_tokens: 16 }
    );
    assert_eq!(outcome.cost_usd, None);
    assert_eq!(outcome.last_message.as_deref(), Some("Wrote hello.txt as asked."));
    assert_eq!(outcome.session_id.as_deref(), Some("0199a213-81c0-7800-8aa1-bbab2a035a53"));
    assert_eq!((outcome.malformed_lines, outcome.unknown_lines), (0, 0));
    assert_eq!(std::fs::read_to_string(fx.work.path().join("hello.txt")).unwrap(), "hi");
    // Codex's events do not name the model or directory; the task fills them in.
    let workdir = fx.work.path().to_str().unwrap();
    assert!(
        matches!(&events[0], AgentEvent::SessionStarted { model, cwd, provider, .. }
        if model == "fake-model" && cwd == workdir && provider == "codex"),
        "{:?}",
        events[0]
    );

    // The command's end carries its output and status; the file change names the file.
    let shell_end = events.iter().find_map(|e| match e {
        AgentEvent::ToolCallEnd { effect: ToolEffect::Command { exit_code, status, .. }, output, .. } => {
            Some((*exit_code, *status, output.clone()))
        }
        _ => None,
    });
    assert_eq!(shell_end, Some((Some(0), CommandStatus::Completed, String::new())));
    let change = events.iter().find_map(|e| match e {
        AgentEvent::ToolCallEnd { effect: ToolEffect::FileChange { changes }, .. } => Some(changes.clone()),
        _ => None,
    });
    let change = change.unwrap();
    assert_eq!(change.len(), 1);
    assert!(change[0].path.ends_with("hello.txt") && change[0].kind == FileChangeKind::Add);

    // Codex was started the documented way, with the prompt on stdin.
    let record = read_record(&record_path).await;
    let argv: Vec<&str> = record["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let workdir = fx.work.path().to_str().unwrap();
    assert_eq!(
        argv[1..],
        [
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-C",
            workdir,
            "--model",
            "fake-model",
            "--dangerously-bypass-approvals-and-sandbox",
            "-"
        ]
    );
    assert_eq!(record["stdin"], "Add a greeting file.");

    // The log holds stdout exactly as received, one JSON event per line.
    let log = fx.log();
    assert_eq!(log.lines().count(), 8);
    assert!(log.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()));
    assert!(fx.logs.path().join("attempt-1/agent.jsonl.stderr").exists());
}

#[tokio::test]
async fn claude_transcript_is_normalised_with_cost() {
    let fx = Fixture::new();
    let record_path = fx.logs.path().join("record.json");
    let (result, events) = fx
        .run(
            AgentSpec::Claude,
            &[("FAKE_AGENT_WRITE", "greeting.md=# hi"), ("FAKE_AGENT_RECORD", record_path.to_str().unwrap())],
        )
        .await;
    let outcome = result.unwrap();
    assert_eq!(
        names(&events),
        [
            "session",
            "turn",
            "reasoning",
            "begin:Bash",
            "end:Bash:true",
            "begin:Write",
            "end:Write:true",
            "message",
            "completed"
        ]
    );
    assert!(outcome.success);
    assert_eq!(outcome.turns, 3);
    // Cache reads and writes count as input, as braid's own Anthropic client counts them.
    assert_eq!(
        outcome.usage,
        Usage { input_tokens: 1080, cached_input_tokens: 900, output_tokens: 60, reasoning_output_tokens: 0 }
    );
    assert_eq!(outcome.cost_usd, Some(0.0123));
    assert_eq!(outcome.session_id.as_deref(), Some("8c2f0d5e-3b7a-4f0e-9d61-2f4b7c1a9e10"));
    assert_eq!(outcome.last_message.as_deref(), Some("Wrote greeting.md as asked."));
    assert!(fx.work.path().join("greeting.md").exists());
    let bash_end =
        events.iter().find_map(|e| match e {
            AgentEvent::ToolCallEnd {
                name, effect: ToolEffect::Command { command, aggregated_output, .. }, ..
            } if name == "Bash" => Some((command.clone(), aggregated_output.clone())),
            _ => None,
        });
    assert_eq!(bash_end, Some(("ls".to_string(), String::new())));
    let record = read_record(&record_path).await;
    let argv: Vec<&str> = record["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(
        argv[1..],
        [
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--model",
            "fake-model",
            "--permission-mode",
            "bypassPermissions"
        ]
    );
    assert_eq!(record["stdin"], "Add a greeting file.");
    assert_eq!(fx.log().lines().count(), 8);
}

#[tokio::test]
async fn failures_are_outcomes_with_the_agents_reason() {
    let fx = Fixture::new();
    let (result, events) = fx.run(AgentSpec::Codex, &[("FAKE_AGENT_MODE", "fail")]).await;
    let outcome = result.unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.exit_code, Some(1));
    assert_eq!(outcome.failure.as_deref(), Some("fake outage: the model could not be reached"));
    assert_eq!(names(&events), ["session", "turn", "warning", "failed"]);

    // Claude Code reports the error in its result even when it exits 0.
    let (result, events) = fx.run(AgentSpec::Claude, &[("FAKE_AGENT_MODE", "fail"), ("FAKE_AGENT_EXIT", "0")]).await;
    let outcome = result.unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.exit_code, Some(0));
    assert_eq!(outcome.failure.as_deref(), Some("claude ended with success: API Error: 500 fake outage"));
    assert_eq!(outcome.cost_usd, Some(0.001));
    assert_eq!(names(&events).last().unwrap(), "failed");

    // A transcript that says all went well does not hide a non-zero exit.
    let (result, _) = fx.run(AgentSpec::Codex, &[("FAKE_AGENT_EXIT", "3")]).await;
    let outcome = result.unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.exit_code, Some(3));

    // A plain agent that fails is explained by the end of its stderr.
    let (result, _) = fx
        .run(
            AgentSpec::Cmd { template: format!("{} cmd", fx.bin.path().join("fake-agent").display()) },
            &[("FAKE_AGENT_MODE", "fail")],
        )
        .await;
    let outcome = result.unwrap();
    assert!(!outcome.success);
    assert_eq!(
        outcome.failure.as_deref(),
        Some("the agent exited with code 1: fake-agent: fake outage, nothing was done")
    );
    let stderr = std::fs::read_to_string(fx.logs.path().join("attempt-1/agent.jsonl.stderr")).unwrap();
    assert_eq!(stderr, "fake-agent: fake outage, nothing was done\n");
}

#[tokio::test]
async fn malformed_and_unknown_lines_are_counted_not_fatal() {
    let fx = Fixture::new();
    for spec in [AgentSpec::Codex, AgentSpec::Claude] {
        let (result, events) = fx.run(spec.clone(), &[("FAKE_AGENT_MODE", "malformed")]).await;
        let outcome = result.unwrap();
        assert!(outcome.success, "{spec}: {outcome:?}");
        assert_eq!((outcome.malformed_lines, outcome.unknown_lines), (1, 1), "{spec}");
        let warnings: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                AgentEvent::Warning { message } => Some(message.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(warnings.len(), 2, "{spec}: {warnings:?}");
        assert!(warnings[0].contains("not a JSON event: this line is not JSON {"), "{warnings:?}");
        assert!(warnings[1].contains("unknown type `future.event`"), "{warnings:?}");
        assert_eq!(names(&events).last().unwrap(), "completed");
        // The log keeps the bad line as it came.
        assert!(fx.log().contains("\nthis line is not JSON {\n"));
    }
}

#[tokio::test]
async fn timeout_and_cancel_kill_the_whole_tree() {
    let fx = Fixture::new();
    let record_path = fx.logs.path().join("record.json");
    let env = [("FAKE_AGENT_MODE", "hang"), ("FAKE_AGENT_RECORD", record_path.to_str().unwrap())];

    let mut task = fx.task(&env);
    task.timeout = Duration::from_secs(2);
    let agent = ExternalAgent::new(AgentSpec::Codex, fx.settings());
    let started = Instant::now();
    let err = agent.run(&task, &mut |_| {}, &CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, AgentError::Timeout { secs: 2 }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let record = read_record(&record_path).await;
    assert_dies(record["pid"].as_u64().unwrap()).await;
    assert_dies(record["child_pid"].as_u64().unwrap()).await;
    std::fs::remove_file(&record_path).unwrap();

    let agent = ExternalAgent::new(AgentSpec::Claude, fx.settings());
    let cancel = CancellationToken::new();
    let task = fx.task(&env);
    let mut events = Vec::new();
    let mut sink = |e| events.push(e);
    let run = agent.run(&task, &mut sink, &cancel);
    let cancel_later = async {
        let record = read_record(&record_path).await;
        cancel.cancel();
        record
    };
    let (result, record) = tokio::join!(run, cancel_later);
    assert!(matches!(result, Err(AgentError::Cancelled)), "{result:?}");
    assert_eq!(names(&events), ["session", "turn"], "events before the hang still arrive");
    assert_dies(record["pid"].as_u64().unwrap()).await;
    assert_dies(record["child_pid"].as_u64().unwrap()).await;
}

#[tokio::test]
async fn a_missing_program_says_how_to_install_it() {
    let fx = Fixture::new();
    let settings = AgentSettings {
        codex_program: "braid-test-no-such-codex".into(),
        claude_program: "braid-test-no-such-claude".into(),
        ..AgentSettings::default()
    };
    let cases = [
        (AgentSpec::Codex, "braid-test-no-such-codex", "npm install -g @openai/codex"),
        (AgentSpec::Claude, "braid-test-no-such-claude", "npm install -g @anthropic-ai/claude-code"),
        (
            AgentSpec::Cmd { template: "braid-test-no-such-agent {prompt}".into() },
            "braid-test-no-such-agent",
            "install",
        ),
    ];
    for (spec, program, hint) in cases {
        let err = ExternalAgent::new(spec, settings.clone())
            .run(&fx.task(&[]), &mut |_| {}, &CancellationToken::new())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(&err, AgentError::NotInstalled { program: p, .. } if p == program), "{err:?}");
        assert!(text.contains(program) && text.contains(hint), "{text}");
    }
    let err = ExternalAgent::new(AgentSpec::Braid, settings)
        .run(&fx.task(&[]), &mut |_| {}, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, AgentError::NotExternal));
}

#[tokio::test]
async fn a_cmd_template_passes_a_hostile_prompt_as_one_argument() {
    let fx = Fixture::new();
    let record_path = fx.logs.path().join("record.json");
    let marker = fx.work.path().join("pwned");
    std::fs::write(fx.work.path().join("README"), "").unwrap();
    let prompt = format!(
        "it's \"done\" $(touch {m}) `touch {m}`; touch {m} && echo $HOME\nline two {{workdir}}",
        m = marker.display()
    );
    let template = format!(
        "'{}' cmd --task {{prompt}} --dir {{workdir}} --attempt {{attempt}} --port={{port}}",
        fx.bin.path().join("fake-agent").display()
    );
    let agent = ExternalAgent::new(format!("cmd:{template}").parse().unwrap(), fx.settings());
    let mut task = fx.task(&[("FAKE_AGENT_RECORD", record_path.to_str().unwrap())]);
    task.prompt = prompt.clone();
    let mut events = Vec::new();
    let outcome = agent.run(&task, &mut |e| events.push(e), &CancellationToken::new()).await.unwrap();
    assert!(outcome.success);
    assert!(!marker.exists(), "the prompt was run by a shell");
    let record = read_record(&record_path).await;
    let argv: Vec<&str> = record["argv"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let workdir = fx.work.path().to_str().unwrap();
    assert_eq!(argv[1..], ["--task", prompt.as_str(), "--dir", workdir, "--attempt", "1", "--port=4321"]);
    // Plain output becomes message deltas and one final message.
    assert_eq!(names(&events), ["delta", "delta", "delta", "delta", "message"]);
    assert_eq!(
        outcome.last_message.as_deref(),
        Some("fake-agent: starting\n$ ls\nREADME\nWrote fake-agent.txt as asked.")
    );
}

#[tokio::test]
async fn an_agent_that_leaves_a_process_holding_stdout_still_finishes() {
    // The background sleep inherits stdout, so end of output never comes; the run must end with the
    // agent anyway, and take the sleep with it.
    let fx = Fixture::new();
    let agent = ExternalAgent::new("cmd:sh -c 'sleep 1000 & echo $!'".parse().unwrap(), fx.settings());
    let started = Instant::now();
    let outcome = agent.run(&fx.task(&[]), &mut |_| {}, &CancellationToken::new()).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(outcome.success);
    let sleep_pid: u64 = outcome.last_message.unwrap().trim().parse().unwrap();
    assert_dies(sleep_pid).await;
}
