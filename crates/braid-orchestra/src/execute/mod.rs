//! `braid exec --plan`: executing a plan milestone by milestone in one agent session.
//!
//! Each milestone is one turn of the agent followed by a gate that braid evaluates itself: the
//! milestone's checks pass, the plan still passes the checker, its Progress shows a newly ticked or added
//! item, a change of course (the plan's design edited, or files changed outside `scope`) is recorded in
//! the Decision Log, and no forbidden path changed. While the gate refuses, the agent gets the reasons and
//! another turn, a bounded number of times. At the end the agent writes Outcomes & Retrospective and braid
//! appends its own record of what the gate saw, so the plan ends with evidence whatever the agent wrote.

mod checks;
mod render;
mod snapshot;

use std::path::{Path, PathBuf};

use braid_core::Session;
use braid_core::session::CancellationToken;
use braid_sandbox::globs::PathGlobs;
use serde::Serialize;

pub use checks::{CheckResult, CheckRunner};
pub use render::progress_line;
pub use snapshot::Snapshot;

use crate::author::one_line;
use crate::fsutil::write_atomic;
use crate::plan::{Check, CheckOptions, Milestone, Plan, SectionKind, check, format_timestamp};

/// Extra turns a milestone gets after the gate first refuses it, unless the caller says otherwise.
pub const DEFAULT_FIX_ROUNDS: u32 = 3;

/// How a plan is executed.
#[derive(Debug, Clone)]
pub struct PlanExecution {
    /// The plan file.
    pub plan_path: PathBuf,
    /// The repository root, where checks run and globs are resolved.
    pub root: PathBuf,
    /// `PATH`, for the plan checker's program lookup.
    pub path_var: Option<std::ffi::OsString>,
    /// How checks are run.
    pub checks: CheckRunner,
    /// Extra turns a milestone gets after the gate first refuses it.
    pub fix_rounds: u32,
    /// The user's extra instructions, added to every milestone's prompt.
    pub instructions: Option<String>,
}

/// What the execution reports as it goes; front ends print these beside the session's own events.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanEvent {
    MilestoneStarted {
        number: u32,
        total: usize,
        title: String,
    },
    /// A milestone whose Progress item was already ticked when the run began.
    MilestoneSkipped {
        number: u32,
        title: String,
    },
    CheckFinished {
        milestone: u32,
        result: CheckResult,
    },
    /// The gate refused the milestone; the agent gets the problems and another turn if rounds are left.
    GateRefused {
        milestone: u32,
        round: u32,
        problems: Vec<String>,
    },
    /// Files changed outside the plan's `scope`: allowed, reported.
    OutOfScope {
        milestone: u32,
        paths: Vec<String>,
    },
    MilestoneAccepted {
        number: u32,
        rounds: u32,
    },
    Finished {
        completed: bool,
        accepted: usize,
        total: usize,
    },
}

/// Receives the execution's events, in order.
pub type PlanSink = Box<dyn FnMut(&PlanEvent) + Send>;

/// Why a plan could not be executed (a milestone the gate refused is not an error: see `PlanOutcome`).
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    #[error(transparent)]
    Session(#[from] braid_core::SessionError),
    #[error("cannot read the plan {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the plan {} does not pass `braid plan check`; fix it first:\n{report}", path.display())]
    Invalid { path: PathBuf, report: String },
    #[error(
        "the plan {} is outside the repository {}; keep it inside so the agent can keep it current",
        path.display(),
        root.display()
    )]
    OutsideRoot { path: PathBuf, root: PathBuf },
    #[error(transparent)]
    Write(#[from] crate::fsutil::WriteError),
}

/// What the gate saw for one milestone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneRecord {
    pub number: u32,
    pub title: String,
    pub accepted: bool,
    pub skipped: bool,
    /// Turns the agent took (1 when the first was accepted).
    pub rounds: u32,
    pub checks: Vec<CheckResult>,
    pub out_of_scope: Vec<String>,
    /// The gate's last refusal, for a milestone that was not accepted.
    pub problems: Vec<String>,
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanOutcome {
    /// Every milestone was accepted.
    pub completed: bool,
    pub milestones: Vec<MilestoneRecord>,
    /// The agent's last message.
    pub last_message: Option<String>,
}

/// The plan, loaded and checked.
struct Loaded {
    text: String,
    plan: Plan,
    report: crate::plan::Report,
}

impl PlanExecution {
    /// The plan file relative to the root, as the agent is told it.
    fn label(&self) -> String {
        self.plan_path.strip_prefix(&self.root).unwrap_or(&self.plan_path).display().to_string()
    }

    /// Reads and parses the plan; `strict` also refuses a plan with checker errors.
    fn load(&self, strict: bool) -> Result<Loaded, ExecuteError> {
        let text = std::fs::read_to_string(&self.plan_path)
            .map_err(|source| ExecuteError::Read { path: self.plan_path.clone(), source })?;
        let options = CheckOptions { root: &self.root, path_var: self.path_var.clone() };
        let (plan, report) = check(&text, &options);
        if strict && report.errors().next().is_some() {
            return Err(ExecuteError::Invalid { path: self.plan_path.clone(), report: report.human(&self.label()) });
        }
        Ok(Loaded { text, plan, report })
    }

    /// The plan's `forbidden` globs, for the session's path policy and sandbox. Fails when the plan
    /// cannot be read or does not pass the checker.
    pub fn forbidden(&self) -> Result<PathGlobs, ExecuteError> {
        Ok(forbidden_globs(&self.load(true)?.plan))
    }

    /// Executes the plan in `session`, which works in `self.root` with the plan's forbidden paths
    /// refused. Returns what the gate saw; fails when the plan is unusable or the session fails.
    pub async fn run(
        &self,
        session: &mut Session,
        sink: &mut PlanSink,
        cancel: &CancellationToken,
    ) -> Result<PlanOutcome, ExecuteError> {
        if !self.plan_path.starts_with(&self.root) {
            return Err(ExecuteError::OutsideRoot { path: self.plan_path.clone(), root: self.root.clone() });
        }
        let start = self.load(true)?;
        let forbidden = forbidden_globs(&start.plan);
        let scope_globs = start.plan.machine.as_ref().map(|m| m.scope.clone()).unwrap_or_default();
        let scope = PathGlobs::new(&scope_globs).unwrap_or_else(|_| PathGlobs::empty());
        let milestones = start.plan.milestones.clone();
        let total = milestones.len();
        let mut records = Vec::new();
        let mut last_message = None;
        let mut first_turn = true;

        for milestone in &milestones {
            if already_done(&start.plan, milestone.number) {
                sink(&PlanEvent::MilestoneSkipped { number: milestone.number, title: milestone.title.clone() });
                records.push(MilestoneRecord {
                    number: milestone.number,
                    title: milestone.title.clone(),
                    accepted: true,
                    skipped: true,
                    rounds: 0,
                    checks: Vec::new(),
                    out_of_scope: Vec::new(),
                    problems: Vec::new(),
                });
                continue;
            }
            sink(&PlanEvent::MilestoneStarted { number: milestone.number, total, title: milestone.title.clone() });
            let before = self.load(false)?;
            let checks: Vec<Check> = before.plan.checks_for(milestone).into_iter().cloned().collect();
            let tree = Snapshot::take(&self.root, &forbidden);
            let mut prompt = self.milestone_prompt(milestone, total, &checks, &forbidden, first_turn);
            first_turn = false;
            let mut record = MilestoneRecord {
                number: milestone.number,
                title: milestone.title.clone(),
                accepted: false,
                skipped: false,
                rounds: 0,
                checks: Vec::new(),
                out_of_scope: Vec::new(),
                problems: Vec::new(),
            };
            while record.rounds <= self.fix_rounds {
                record.rounds += 1;
                let outcome = session.run_turn(&prompt, cancel).await?;
                last_message = outcome.last_message.or(last_message);
                let gate = self.gate(milestone.number, &before, &tree, &checks, &scope, &forbidden, sink).await;
                record.checks = gate.checks;
                record.out_of_scope = gate.out_of_scope;
                if gate.problems.is_empty() {
                    record.accepted = true;
                    record.problems.clear();
                    break;
                }
                sink(&PlanEvent::GateRefused {
                    milestone: milestone.number,
                    round: record.rounds,
                    problems: gate.problems.clone(),
                });
                prompt = fix_prompt(milestone.number, &self.label(), &gate.problems);
                record.problems = gate.problems;
            }
            if !record.out_of_scope.is_empty() {
                sink(&PlanEvent::OutOfScope { milestone: milestone.number, paths: record.out_of_scope.clone() });
            }
            let accepted = record.accepted;
            if accepted {
                sink(&PlanEvent::MilestoneAccepted { number: milestone.number, rounds: record.rounds });
            }
            records.push(record);
            if !accepted {
                break;
            }
        }

        let completed = records.len() == total && records.iter().all(|r| r.accepted);
        if completed && records.iter().any(|r| !r.skipped) {
            let outcome = session.run_turn(&outcomes_prompt(&self.label(), total), cancel).await?;
            last_message = outcome.last_message.or(last_message);
        }
        self.append_record(&records, completed)?;
        let accepted = records.iter().filter(|r| r.accepted).count();
        sink(&PlanEvent::Finished { completed, accepted, total });
        Ok(PlanOutcome { completed, milestones: records, last_message })
    }

    /// Evaluates the gate after a turn on milestone `number`: runs its checks and compares the plan and
    /// the tree with how they were when the milestone began. Returns the problems (none: accepted).
    #[allow(clippy::too_many_arguments)]
    async fn gate(
        &self,
        number: u32,
        before: &Loaded,
        tree: &Snapshot,
        checks: &[Check],
        scope: &PathGlobs,
        forbidden: &PathGlobs,
        sink: &mut PlanSink,
    ) -> Gate {
        let label = self.label();
        let mut problems = Vec::new();
        let now = match self.load(false) {
            Ok(now) => Some(now),
            Err(err) => {
                problems.push(format!("{err}; restore {label} with your updates to it"));
                None
            }
        };
        let changed = tree.changed(&Snapshot::take(&self.root, forbidden));
        let plan_relative = Path::new(&label);
        let out_of_scope: Vec<String> = changed
            .iter()
            .filter(|p| p.as_path() != plan_relative && !scope.is_match(p) && !forbidden.is_match(p))
            .map(|p| p.display().to_string())
            .collect();
        for path in changed.iter().filter(|p| forbidden.is_match(p)) {
            let glob = forbidden.matching(path).unwrap_or_default();
            problems.push(format!(
                "`{}` changed, but the plan forbids changing it (`forbidden` glob `{glob}`); put it back exactly as it was",
                path.display()
            ));
        }
        if let Some(now) = &now {
            let errors: Vec<String> =
                now.report.errors().map(|d| format!("{label}:{}: {}", d.line, d.message)).collect();
            if !errors.is_empty() {
                problems.push(format!("the plan no longer passes `braid plan check`:\n  {}", errors.join("\n  ")));
            }
            if !progress_advanced(&before.plan, &now.plan) {
                problems.push(format!(
                    "Progress in {label} shows nothing new: tick what you finished as `- [x] (YYYY-MM-DD HH:MMZ) what was done` (UTC, now {}) or add items for what remains",
                    format_timestamp(chrono::Utc::now())
                ));
            }
            let course_changed = design(&before.text, &before.plan) != design(&now.text, &now.plan);
            if (course_changed || !out_of_scope.is_empty()) && now.plan.decisions.len() <= before.plan.decisions.len() {
                let why = if course_changed {
                    "the plan's design changed".to_string()
                } else {
                    format!("files outside the plan's scope changed ({})", out_of_scope.join(", "))
                };
                problems.push(format!(
                    "{why}, so the Decision Log in {label} needs a new entry: `- Decision: ...` with `  Rationale: ...` and `  Date: YYYY-MM-DD HH:MMZ` lines"
                ));
            }
        }
        let mut results = Vec::new();
        for check in checks {
            let result = self.checks.run(&self.root, check).await;
            sink(&PlanEvent::CheckFinished { milestone: number, result: result.clone() });
            if !result.passed {
                problems.push(format!(
                    "check `{}` (`{}`) {}; the end of its output:\n{}",
                    check.name,
                    check.command,
                    result.verdict(),
                    indent(&result.tail)
                ));
            }
            results.push(result);
        }
        Gate { problems, checks: results, out_of_scope }
    }

    fn milestone_prompt(
        &self,
        milestone: &Milestone,
        total: usize,
        checks: &[Check],
        forbidden: &PathGlobs,
        first: bool,
    ) -> String {
        let label = self.label();
        let now = format_timestamp(chrono::Utc::now());
        let mut prompt = String::new();
        if first {
            prompt.push_str(&format!(
                "You are executing the plan in {label}, one milestone per turn. Read the plan first.\n\n"
            ));
        }
        prompt.push_str(&format!("Milestone {} of {total}: {}\n", milestone.number, milestone.title));
        if let Some(scope) = &milestone.scope {
            prompt.push_str(&format!("Scope: {scope}\n"));
        }
        if let Some(acceptance) = &milestone.acceptance {
            prompt.push_str(&format!("Acceptance: {acceptance}\n"));
        }
        let names: Vec<String> = checks.iter().map(|c| format!("`{}` ({})", c.command, c.name)).collect();
        if !names.is_empty() {
            prompt.push_str(&format!("When you finish, braid runs: {}\n", names.join(", ")));
        }
        prompt.push_str(&format!(
            "\nDo only this milestone. Keep {label} current as you work (it is now {now} UTC):\n\
- in Progress, tick what you finish as `- [x] ({now}) what was done`, and add items for work you discover;\n\
- under Surprises & Discoveries, note what surprised you, with evidence;\n\
- when you change course (another design, or files outside the plan's scope), add a Decision Log entry \
(`- Decision: ...`, `  Rationale: ...`, `  Date: {now}`).\n"
        ));
        if !forbidden.is_empty() {
            prompt.push_str(&format!(
                "Never change files matching {}: braid refuses it.\n",
                forbidden.globs().iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")
            ));
        }
        if let Some(extra) = &self.instructions {
            prompt.push_str(&format!("\nThe user adds:\n{}\n", extra.trim()));
        }
        prompt.push_str("\nWhen the milestone is done, reply with a short summary.");
        prompt
    }

    /// Puts braid's record of the run under Outcomes & Retrospective, replacing the placeholder of a
    /// fresh plan.
    fn append_record(&self, records: &[MilestoneRecord], completed: bool) -> Result<(), ExecuteError> {
        let loaded = self.load(false)?;
        let Some(outcomes) = loaded.plan.section(SectionKind::Outcomes) else { return Ok(()) };
        let mut text = format!("braid's record ({}):\n\n", format_timestamp(chrono::Utc::now()));
        for record in records {
            text.push_str(&format!("- Milestone {} ({}): ", record.number, record.title));
            if record.skipped {
                text.push_str("already done when this run began.\n");
                continue;
            }
            let rounds = if record.rounds == 1 { "1 turn".to_string() } else { format!("{} turns", record.rounds) };
            if record.accepted {
                text.push_str(&format!("accepted after {rounds}"));
            } else {
                text.push_str(&format!("not accepted after {rounds}: {}", one_line(&record.problems.join("; "))));
            }
            let checks: Vec<String> = record.checks.iter().map(CheckResult::summary).collect();
            if !checks.is_empty() {
                text.push_str(&format!("; checks: {}", checks.join(", ")));
            }
            if !record.out_of_scope.is_empty() {
                text.push_str(&format!("; changed outside scope: {}", record.out_of_scope.join(", ")));
            }
            text.push_str(".\n");
        }
        if !completed {
            text.push_str("- The run stopped there; later milestones were not started.\n");
        }
        let body = &loaded.text[outcomes.body.clone()];
        let kept = body.trim();
        let new_body = if kept.is_empty() || kept == "To be written when the work is done." {
            format!("\n{text}\n")
        } else {
            format!("\n{kept}\n\n{text}\n")
        };
        let mut out = loaded.text.clone();
        out.replace_range(outcomes.body.clone(), &new_body);
        if !out.ends_with('\n') {
            out.push('\n');
        }
        write_atomic(&self.plan_path, out.as_bytes())?;
        Ok(())
    }
}

/// A loaded plan's `forbidden` globs. The checker refuses a plan with an invalid glob before it is
/// executed, so the empty fallback is never reached for a plan that loaded strictly.
fn forbidden_globs(plan: &Plan) -> PathGlobs {
    let globs = plan.machine.as_ref().map(|m| m.forbidden.clone()).unwrap_or_default();
    PathGlobs::new(&globs).unwrap_or_else(|_| PathGlobs::empty())
}

/// The gate's findings for one turn.
struct Gate {
    problems: Vec<String>,
    checks: Vec<CheckResult>,
    out_of_scope: Vec<String>,
}

/// Whether Progress already has a ticked item for milestone `number` ("Milestone 2: ..."), which makes a
/// second run of the same plan continue where the first stopped.
fn already_done(plan: &Plan, number: u32) -> bool {
    let prefix = format!("milestone {number}");
    plan.progress.iter().any(|item| {
        let text = item.text.trim().to_lowercase();
        item.done && text.starts_with(&prefix) && text[prefix.len()..].starts_with(|c: char| !c.is_ascii_digit())
    })
}

/// Whether Progress gained a ticked item or a new item since `before`.
fn progress_advanced(before: &Plan, now: &Plan) -> bool {
    now.progress.iter().any(|item| {
        let earlier = before.progress.iter().find(|old| old.text.trim() == item.text.trim());
        match earlier {
            None => true,
            Some(old) => item.done && !old.done,
        }
    })
}

/// The parts of a plan that describe its design: every section but the living ones, plus the machine
/// block. A change here is a change of course.
fn design(text: &str, plan: &Plan) -> Vec<String> {
    let notes = plan.section_named(crate::author::REVISION_NOTES).map(|s| s.line);
    plan.sections
        .iter()
        .filter(|s| {
            !matches!(
                s.kind,
                Some(SectionKind::Progress | SectionKind::Surprises | SectionKind::DecisionLog | SectionKind::Outcomes)
            ) && Some(s.line) != notes
        })
        .map(|s| text[s.body.clone()].trim().to_string())
        .chain(plan.machine_block.clone().map(|r| text[r].to_string()))
        .collect()
}

fn fix_prompt(number: u32, label: &str, problems: &[String]) -> String {
    let list: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
    format!(
        "Milestone {number} is not accepted yet:\n{}\n\nFix these, keep {label} current, then reply with a short summary.",
        list.join("\n")
    )
}

fn outcomes_prompt(label: &str, total: usize) -> String {
    format!(
        "All {total} milestones are accepted. Now fill in Outcomes & Retrospective in {label}: what was achieved \
against the Purpose, what remains or was left out, and what you would do differently. Change nothing else. \
braid then adds its own record of the checks below what you write."
    )
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}
