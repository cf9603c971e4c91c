//! The ranking: a deterministic order over attempts' evidence, and a one-line reason for each place.
//!
//! The order, most important first (docs/compare.md explains each choice):
//! 1. attempts that pass lose to none that fail: passing means a commit, every required check passed,
//!    and no file the plan forbids was changed;
//! 2. among failing attempts, one that committed work before one that did not;
//! 3. fewer P0/P1 review findings;
//! 4. more tests passing (test counts where a runner was recognised, else passing checks);
//! 5. plan conformance: fewer files changed outside the plan's scope;
//! 6. fewer new compiler or linter warnings;
//! 7. a smaller diff (lines added plus removed);
//! 8. lower cost (dollars where known, else tokens);
//! 9. the lower attempt number, so that equal evidence still gives one order.

use std::cmp::Ordering;

use super::{Evidence, Ranked};

/// Whether the attempt passes: it committed, every required check passed, and no forbidden file changed.
pub fn passes(evidence: &Evidence) -> bool {
    evidence.commit.is_some()
        && !evidence.checks.is_empty()
        && evidence.checks.iter().filter(|c| c.required).all(|c| c.passed)
        && evidence.forbidden.is_empty()
}

/// Orders `attempts` best first and says why each is where it is.
pub fn rank(attempts: &mut [Evidence]) -> Vec<Ranked> {
    attempts.sort_by(compare);
    let mut ranking = Vec::with_capacity(attempts.len());
    for (index, evidence) in attempts.iter().enumerate() {
        let reason = match index {
            0 => best_reason(evidence),
            _ => below_reason(evidence, &attempts[index - 1]),
        };
        ranking.push(Ranked { rank: index as u32 + 1, n: evidence.n, passed: passes(evidence), reason });
    }
    ranking
}

/// The order: `Less` when `a` is better.
fn compare(a: &Evidence, b: &Evidence) -> Ordering {
    deciding(a, b).map_or_else(|| a.n.cmp(&b.n), |(ordering, _)| ordering)
}

/// The first measure on which `a` and `b` differ, with how they compare on it (`Less`: `a` is better)
/// and its name for the reason line.
fn deciding(a: &Evidence, b: &Evidence) -> Option<(Ordering, Measure)> {
    let measures: [(Measure, Ordering); 8] = [
        (Measure::Passes, passes(b).cmp(&passes(a))),
        (Measure::Work, b.commit.is_some().cmp(&a.commit.is_some())),
        (Measure::Findings, severe_findings(a).cmp(&severe_findings(b))),
        (Measure::Tests, tests_passing(b).cmp(&tests_passing(a))),
        (Measure::Scope, a.outside_scope.len().cmp(&b.outside_scope.len())),
        (Measure::Warnings, a.new_warnings.len().cmp(&b.new_warnings.len())),
        (Measure::Diff, diff_size(a).cmp(&diff_size(b))),
        (Measure::Cost, cost(a).partial_cmp(&cost(b)).unwrap_or(Ordering::Equal)),
    ];
    measures.into_iter().find(|(_, ordering)| *ordering != Ordering::Equal).map(|(m, o)| (o, m))
}

#[derive(Debug, Clone, Copy)]
enum Measure {
    Passes,
    Work,
    Findings,
    Tests,
    Scope,
    Warnings,
    Diff,
    Cost,
}

fn severe_findings(evidence: &Evidence) -> u32 {
    evidence.findings.map_or(0, |f| f.p0 + f.p1)
}

/// Tests passing over all checks: the runners' counts where recognised, else 1 per passing check.
fn tests_passing(evidence: &Evidence) -> u64 {
    evidence.checks.iter().map(|c| c.tests.as_ref().map_or(u64::from(c.passed), |t| t.passed)).sum()
}

fn diff_size(evidence: &Evidence) -> u64 {
    evidence.diff.added + evidence.diff.removed
}

/// Dollars where known; otherwise tokens, scaled far above any dollar figure so that an attempt of
/// known cost compares with one of unknown cost only by their kind, deterministically.
fn cost(evidence: &Evidence) -> f64 {
    match evidence.cost_usd {
        Some(dollars) => dollars,
        None => 1e6 + (evidence.tokens.input + evidence.tokens.output) as f64,
    }
}

/// Why the best attempt is first: its verdict and what it has going for it.
fn best_reason(evidence: &Evidence) -> String {
    if !passes(evidence) {
        return format!("best of a field where none passes: {}", failure(evidence));
    }
    let mut parts = vec![format!("passes every required check ({})", tests_phrase(evidence))];
    if !evidence.outside_scope.is_empty() {
        parts.push(format!("{} file(s) outside the plan's scope", evidence.outside_scope.len()));
    }
    parts.push(format!("diff +{} −{}", evidence.diff.added, evidence.diff.removed));
    parts.join("; ")
}

/// Why `evidence` is below `above`: the measure that decided, with both sides' figures.
fn below_reason(evidence: &Evidence, above: &Evidence) -> String {
    let Some((_, measure)) = deciding(above, evidence) else {
        return format!("ties with #{} on every measure; the lower attempt number goes first", above.n);
    };
    let versus = |this: String, that: String| format!("{this} (#{}: {that})", above.n);
    // A failing attempt always says first what fails; the measure that put it below another failing
    // one follows.
    let lead = if passes(evidence) || matches!(measure, Measure::Passes | Measure::Work) {
        String::new()
    } else {
        format!("{}; ", failure(evidence))
    };
    let why = match measure {
        Measure::Passes | Measure::Work => failure(evidence),
        Measure::Findings => versus(
            format!("more P0/P1 review findings: {}", severe_findings(evidence)),
            severe_findings(above).to_string(),
        ),
        Measure::Tests => {
            // Without a recognised test runner the count is of passing checks, and is called so.
            let counted = |e: &Evidence| e.checks.iter().any(|c| c.tests.is_some());
            let what = if counted(evidence) || counted(above) { "tests" } else { "checks" };
            versus(format!("fewer {what} pass: {}", tests_passing(evidence)), tests_passing(above).to_string())
        }
        Measure::Scope => versus(
            format!("{} file(s) changed outside the plan's scope", evidence.outside_scope.len()),
            above.outside_scope.len().to_string(),
        ),
        Measure::Warnings => {
            versus(format!("{} new warning(s)", evidence.new_warnings.len()), above.new_warnings.len().to_string())
        }
        Measure::Diff => versus(
            format!("larger diff: +{} −{}", evidence.diff.added, evidence.diff.removed),
            format!("+{} −{}", above.diff.added, above.diff.removed),
        ),
        Measure::Cost => versus(format!("costs more: {}", cost_phrase(evidence)), cost_phrase(above)),
    };
    format!("{lead}{why}")
}

/// What makes an attempt fail, most serious first.
fn failure(evidence: &Evidence) -> String {
    if evidence.commit.is_none() {
        return format!("no work committed (attempt {})", evidence.state.as_str());
    }
    if evidence.checks.is_empty() {
        return "no checks ran".to_string();
    }
    let mut parts = Vec::new();
    if !evidence.forbidden.is_empty() {
        parts.push(format!("changes forbidden file(s): {}", evidence.forbidden.join(", ")));
    }
    for check in evidence.checks.iter().filter(|c| c.required && !c.passed) {
        let how = match (&check.tests, check.timed_out) {
            (_, true) => "timed out".to_string(),
            (Some(tests), false) if tests.failed > 0 => {
                let names: Vec<&str> = tests.failing.iter().take(3).map(String::as_str).collect();
                let more = tests.failing.len().saturating_sub(3);
                let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                format!("{} of {} tests fail ({}{more})", tests.failed, tests.passed + tests.failed, names.join(", "))
            }
            _ => check.exit_code.map_or_else(|| "killed".to_string(), |code| format!("exit {code}")),
        };
        parts.push(format!("required check `{}` fails: {how}", check.name));
    }
    if parts.is_empty() { "fails".to_string() } else { parts.join("; ") }
}

fn tests_phrase(evidence: &Evidence) -> String {
    let counted: Vec<_> = evidence.checks.iter().filter_map(|c| c.tests.as_ref()).collect();
    if counted.is_empty() {
        let passed = evidence.checks.iter().filter(|c| c.passed).count();
        return format!("{passed} of {} checks pass", evidence.checks.len());
    }
    let passed: u64 = counted.iter().map(|t| t.passed).sum();
    format!("{passed} tests pass")
}

fn cost_phrase(evidence: &Evidence) -> String {
    match evidence.cost_usd {
        Some(dollars) => format!("${dollars:.2}"),
        None => format!("{} tokens", evidence.tokens.input + evidence.tokens.output),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::checks::{CheckOutcome, TestCounts};
    use crate::compare::{DiffStats, FindingCounts};
    use crate::store::{AttemptState, Tokens};

    fn check(name: &str, required: bool, passed: bool, tests: Option<(u64, u64)>) -> CheckOutcome {
        CheckOutcome {
            name: name.to_string(),
            command: format!("run {name}"),
            required,
            passed,
            exit_code: Some(if passed { 0 } else { 1 }),
            timed_out: false,
            seconds: 1.0,
            log: PathBuf::from(format!("{name}.log")),
            runner: None,
            tests: tests.map(|(passed, failed)| TestCounts {
                passed,
                failed,
                skipped: 0,
                failing: (0..failed).map(|i| format!("t{i}")).collect(),
            }),
            warnings: Vec::new(),
        }
    }

    /// An attempt that passes one required test check with `tests` passing and a diff of `lines`.
    fn attempt(n: u32, tests: u64, lines: u64) -> Evidence {
        Evidence {
            n,
            agent: "braid".to_string(),
            approach: None,
            branch: format!("braid/r/{n}"),
            commit: Some(format!("{n:040}")),
            state: AttemptState::Committed,
            checks: vec![check("test", true, true, Some((tests, 0)))],
            diff: DiffStats { files: 1, added: lines, removed: 0 },
            outside_scope: Vec::new(),
            forbidden: Vec::new(),
            new_warnings: Vec::new(),
            findings: None,
            tokens: Tokens::default(),
            cost_usd: None,
            wall_seconds: None,
            claimed_success: Some(true),
            final_message: None,
            patch: String::new(),
        }
    }

    /// Ranks `attempts` and checks the order (by attempt number) and the reasons.
    fn check_ranking(mut attempts: Vec<Evidence>, order: &[u32], reasons: &[&str]) {
        let ranking = rank(&mut attempts);
        assert_eq!(ranking.iter().map(|r| r.n).collect::<Vec<_>>(), order);
        assert_eq!(ranking.iter().map(|r| r.reason.as_str()).collect::<Vec<_>>(), reasons);
    }

    #[test]
    fn each_measure_decides_in_its_turn() {
        // Failing a required check loses, however much else is better.
        let mut failing = attempt(1, 50, 1);
        failing.checks.push(check("lint", true, false, None));
        check_ranking(
            vec![failing, attempt(2, 3, 100)],
            &[2, 1],
            &["passes every required check (3 tests pass); diff +100 −0", "required check `lint` fails: exit 1"],
        );
        // An optional check failing does not.
        let mut optional = attempt(1, 5, 1);
        optional.checks.push(check("docs", false, false, None));
        check_ranking(
            vec![optional, attempt(2, 3, 1)],
            &[1, 2],
            &["passes every required check (5 tests pass); diff +1 −0", "fewer tests pass: 3 (#1: 5)"],
        );
        // A forbidden file fails the attempt even when its checks pass.
        let mut cheat = attempt(1, 9, 1);
        cheat.forbidden = vec!["tests/x.rs".to_string()];
        check_ranking(
            vec![cheat, attempt(2, 3, 1)],
            &[2, 1],
            &["passes every required check (3 tests pass); diff +1 −0", "changes forbidden file(s): tests/x.rs"],
        );
        // Severe review findings come before test counts.
        let mut flagged = attempt(1, 9, 1);
        flagged.findings = Some(FindingCounts { p0: 0, p1: 1, p2: 4, p3: 0 });
        check_ranking(
            vec![flagged, attempt(2, 3, 1)],
            &[2, 1],
            &["passes every required check (3 tests pass); diff +1 −0", "more P0/P1 review findings: 1 (#2: 0)"],
        );
        // Then scope, warnings, diff size and cost, in that order.
        let mut outside = attempt(1, 3, 1);
        outside.outside_scope = vec!["README.md".to_string()];
        let mut big = attempt(2, 3, 40);
        big.cost_usd = Some(0.01);
        let mut dear = attempt(3, 3, 40);
        dear.cost_usd = Some(0.50);
        check_ranking(
            vec![outside, big, dear],
            &[2, 3, 1],
            &[
                "passes every required check (3 tests pass); diff +40 −0",
                "costs more: $0.50 (#2: $0.01)",
                "1 file(s) changed outside the plan's scope (#3: 0)",
            ],
        );
        // Equal evidence keeps the attempts' order, and says so.
        check_ranking(
            vec![attempt(2, 3, 1), attempt(1, 3, 1)],
            &[1, 2],
            &[
                "passes every required check (3 tests pass); diff +1 −0",
                "ties with #1 on every measure; the lower attempt number goes first",
            ],
        );
    }

    #[test]
    fn attempts_without_work_or_checks_fail_and_say_why() {
        let mut nothing = attempt(1, 0, 0);
        nothing.commit = None;
        nothing.checks.clear();
        nothing.state = AttemptState::Failed;
        let mut unchecked = attempt(2, 0, 1);
        unchecked.checks.clear();
        let mut failing = attempt(3, 0, 1);
        failing.checks = vec![check("test", true, false, Some((4, 2)))];
        check_ranking(
            vec![nothing, unchecked, failing],
            &[3, 2, 1],
            &[
                "best of a field where none passes: required check `test` fails: 2 of 6 tests fail (t0, t1)",
                "no checks ran; fewer tests pass: 0 (#3: 4)",
                "no work committed (attempt failed)",
            ],
        );
    }
}
