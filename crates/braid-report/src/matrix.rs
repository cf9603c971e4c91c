//! The check matrix (one row per attempt in rank order, one column per check) and the plan section
//! (each acceptance criterion next to its checks' verdict on every attempt).

use braid_orchestra::checks::CheckOutcome;
use braid_orchestra::compare::{Comparison, Evidence};

use crate::escape::push_escaped as esc;
use crate::format;
use crate::page::ranked;

/// How one check ended on one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Pass,
    Fail,
    Timeout,
    NotRun,
}

impl Cell {
    fn of(outcome: Option<&CheckOutcome>) -> Cell {
        match outcome {
            None => Cell::NotRun,
            Some(o) if o.timed_out => Cell::Timeout,
            Some(o) if o.passed => Cell::Pass,
            Some(_) => Cell::Fail,
        }
    }

    fn class(self) -> &'static str {
        match self {
            Cell::Pass => "pass",
            Cell::Fail => "fail",
            Cell::Timeout => "timeout",
            Cell::NotRun => "notrun",
        }
    }
}

/// The outcome of the check named `name` on attempt `e`. Outcomes are in the comparison's check order,
/// but they are looked up by name so that a short or reordered list cannot shift a column.
fn outcome<'a>(e: &'a Evidence, name: &str) -> Option<&'a CheckOutcome> {
    e.checks.iter().find(|o| o.name == name)
}

/// Writes the check matrix table (`id="check-matrix"`, each attempt row `data-attempt="<n>"`).
pub fn check_matrix(out: &mut String, c: &Comparison) {
    out.push_str("<section id=\"checks\">\n<h2>Checks</h2>\n");
    if c.checks.is_empty() {
        out.push_str("<p class=\"muted\">No checks were configured or detected for this run.</p>\n</section>\n");
        return;
    }
    out.push_str("<div class=\"scroll\">\n<table id=\"check-matrix\" class=\"matrix\">\n<thead><tr><th>attempt</th>");
    for spec in &c.checks {
        out.push_str("<th title=\"");
        esc(out, &spec.command);
        out.push_str("\"><code>");
        esc(out, &spec.name);
        out.push_str("</code>");
        if spec.required {
            out.push_str(" <span class=\"req\" title=\"required: a failure makes the attempt lose\">required</span>");
        } else {
            out.push_str(" <span class=\"muted small\">report only</span>");
        }
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (_, e) in ranked(c) {
        out.push_str(&format!("<tr data-attempt=\"{0}\"><th scope=\"row\">#{0} <span class=\"muted\">", e.n));
        esc(out, &e.agent);
        out.push_str("</span></th>");
        for spec in &c.checks {
            cell(out, outcome(e, &spec.name));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n<p class=\"legend\"><span class=\"cell pass\">pass</span> \
        <span class=\"cell fail\">fail</span> <span class=\"cell timeout\">timeout</span> \
        <span class=\"cell notrun\">not run</span> Counts are tests passed / run; expand a failing cell for the failing tests.</p>\n</section>\n");
}

/// Writes one matrix cell: its state, test counts or exit code, duration, and the failing tests.
fn cell(out: &mut String, outcome: Option<&CheckOutcome>) {
    let state = Cell::of(outcome);
    out.push_str(&format!("<td class=\"cell {}\"", state.class()));
    let Some(o) = outcome else {
        out.push_str(">not run</td>");
        return;
    };
    let failing: &[String] = o.tests.as_ref().map_or(&[], |t| &t.failing);
    if !failing.is_empty() {
        out.push_str(" title=\"failing: ");
        esc(out, &failing.join(", "));
        out.push('"');
    }
    out.push('>');
    let main = match (&o.tests, state) {
        (_, Cell::Timeout) => "timed out".to_string(),
        (Some(t), _) => format!("{}/{}", t.passed, t.passed + t.failed),
        (None, Cell::Pass) => "ok".to_string(),
        (None, _) => o.exit_code.map_or("killed".to_string(), |code| format!("exit {code}")),
    };
    out.push_str(&format!(
        "<span class=\"count\">{main}</span> <span class=\"dur\">{}</span>",
        format::duration(o.seconds)
    ));
    if !o.warnings.is_empty() {
        let n = o.warnings.len();
        out.push_str(&format!(" <span class=\"small warn\">{n} warning{}</span>", if n == 1 { "" } else { "s" }));
    }
    if !failing.is_empty() {
        out.push_str(&format!("<details class=\"failing\"><summary>{} failing</summary><ul>", failing.len()));
        for name in failing {
            out.push_str("<li><code>");
            esc(out, name);
            out.push_str("</code></li>");
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</td>");
}

/// Writes the plan section: acceptance criteria with their checks and per-attempt verdicts, the
/// scope and forbidden globs, and the validation text. Writes nothing when the run had no plan.
pub fn plan(out: &mut String, c: &Comparison) {
    let Some(plan) = &c.plan else { return };
    let rows = ranked(c);
    out.push_str("<section id=\"plan\">\n<h2>Plan</h2>\n");
    if let Some(title) = &plan.title {
        out.push_str("<p class=\"plan-title\">");
        esc(out, title);
        out.push_str("</p>\n");
    }
    if !plan.acceptance.is_empty() {
        out.push_str("<div class=\"scroll\">\n<table class=\"criteria\">\n<thead><tr><th>milestone</th><th>acceptance</th><th>decided by</th>");
        for (_, e) in &rows {
            out.push_str(&format!("<th class=\"center\">#{}</th>", e.n));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for criterion in &plan.acceptance {
            out.push_str(&format!("<tr><td class=\"num\">M{}</td><td><strong>", criterion.milestone));
            esc(out, &criterion.title);
            out.push_str("</strong><div>");
            esc(out, &criterion.text);
            out.push_str("</div></td><td>");
            for name in &criterion.checks {
                out.push_str("<code class=\"chip\">");
                esc(out, name);
                out.push_str("</code> ");
            }
            out.push_str("</td>");
            for (_, e) in &rows {
                let cells: Vec<Cell> = criterion.checks.iter().map(|name| Cell::of(outcome(e, name))).collect();
                let verdict = if cells.is_empty() || cells.contains(&Cell::NotRun) {
                    Cell::NotRun
                } else if cells.contains(&Cell::Timeout) {
                    Cell::Timeout
                } else if cells.iter().all(|c| *c == Cell::Pass) {
                    Cell::Pass
                } else {
                    Cell::Fail
                };
                let mark = match verdict {
                    Cell::Pass => "✓ met",
                    Cell::Fail => "✗ not met",
                    Cell::Timeout => "timed out",
                    Cell::NotRun => "not run",
                };
                out.push_str(&format!("<td class=\"cell center {}\">{mark}</td>", verdict.class()));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n</div>\n");
    }
    out.push_str("<div class=\"globs\">");
    for (label, globs) in [("scope", &plan.scope), ("forbidden", &plan.forbidden)] {
        out.push_str(&format!("<div><h3>{label}</h3>"));
        if globs.is_empty() {
            out.push_str("<p class=\"muted\">none declared</p>");
        }
        for glob in globs {
            out.push_str(&format!("<code class=\"chip {label}\">"));
            esc(out, glob);
            out.push_str("</code> ");
        }
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
    if let Some(validation) = &plan.validation {
        out.push_str("<details class=\"validation\"><summary>Validation and acceptance (from the plan)</summary><pre>");
        esc(out, validation);
        out.push_str("</pre></details>\n");
    }
    out.push_str("</section>\n");
}
