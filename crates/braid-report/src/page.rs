//! The top of the report: the run's header and the ranking table, one row per attempt, best first.

use braid_orchestra::checks::CheckSource;
use braid_orchestra::compare::{Comparison, Evidence, Ranked};

use crate::escape::push_escaped as esc;
use crate::format;

/// Writes the header: run id, task, base commit, plan title, check source and when it was generated.
pub fn header(out: &mut String, c: &Comparison) {
    out.push_str("<header class=\"top\">\n<div class=\"brand\">braid compare</div>\n<h1>Run <code>");
    esc(out, &c.run.id);
    out.push_str("</code></h1>\n<p class=\"task\">");
    esc(out, &c.run.task);
    out.push_str("</p>\n<dl class=\"meta\">\n");
    let mut item = |label: &str, value: &str, code: bool| {
        out.push_str("<div><dt>");
        out.push_str(label);
        out.push_str("</dt><dd>");
        if code {
            out.push_str("<code>");
        }
        esc(out, value);
        if code {
            out.push_str("</code>");
        }
        out.push_str("</dd></div>\n");
    };
    item("base commit", format::short_hash(&c.run.base_commit), true);
    if let Some(title) = c.plan.as_ref().and_then(|p| p.title.as_deref()) {
        item("plan", title, false);
    } else if let Some(path) = &c.run.plan_path {
        item("plan", path, true);
    }
    item("attempts", &c.attempts.len().to_string(), false);
    item("checks from", source_label(c.check_source), false);
    item("generated", &c.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(), false);
    out.push_str("</dl>\n</header>\n");
}

/// How the header names where the checks came from.
fn source_label(source: CheckSource) -> &'static str {
    match source {
        CheckSource::Plan => "the plan",
        CheckSource::LocalConfig => ".braid/config.toml",
        CheckSource::RepoConfig => "braid.toml",
        CheckSource::Detected => "detected from the repository",
    }
}

/// The evidence of attempt `n`, if the comparison has it.
pub fn evidence(c: &Comparison, n: u32) -> Option<&Evidence> {
    c.attempts.iter().find(|e| e.n == n)
}

/// The attempts in rank order, with their ranking entry; attempts missing from the ranking follow, in
/// their own order, so that nothing gathered is hidden.
pub fn ranked(c: &Comparison) -> Vec<(Option<&Ranked>, &Evidence)> {
    let mut rows: Vec<(Option<&Ranked>, &Evidence)> =
        c.ranking.iter().filter_map(|r| evidence(c, r.n).map(|e| (Some(r), e))).collect();
    for e in &c.attempts {
        if !c.ranking.iter().any(|r| r.n == e.n) {
            rows.push((None, e));
        }
    }
    rows
}

/// Writes the ranking table.
pub fn ranking(out: &mut String, c: &Comparison) {
    out.push_str(
        "<section id=\"ranking\">\n<h2>Ranking</h2>\n<div class=\"scroll\">\n<table class=\"ranking\">\n<thead><tr>",
    );
    for (label, class) in [
        ("#", "num"),
        ("attempt", ""),
        ("verdict · claim", ""),
        ("why", "why"),
        ("tests ✓ / ✗", "num"),
        ("diff", "num"),
        ("files", "num"),
        ("scope", "num"),
        ("new warn.", "num"),
        ("P0 · P1", "num"),
        ("tokens", "num"),
        ("cost", "num"),
        ("time", "num"),
    ] {
        out.push_str(&format!("<th class=\"{class}\">{label}</th>"));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (rank, e) in ranked(c) {
        ranking_row(out, rank, e);
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

/// Writes one row of the ranking.
fn ranking_row(out: &mut String, rank: Option<&Ranked>, e: &Evidence) {
    let passed = rank.is_some_and(|r| r.passed);
    out.push_str(&format!("<tr data-attempt=\"{}\" class=\"{}\">", e.n, if passed { "won" } else { "lost" }));
    out.push_str(&format!("<td class=\"num rank\">{}</td>", rank.map_or("—".to_string(), |r| r.rank.to_string())));
    out.push_str(&format!("<td class=\"who\"><a href=\"#attempt-{0}\">#{0}</a> <span class=\"agent\">", e.n));
    esc(out, &e.agent);
    out.push_str("</span>");
    if let Some(approach) = &e.approach {
        out.push_str("<div class=\"approach\">");
        esc(out, approach);
        out.push_str("</div>");
    }
    out.push_str("</td><td class=\"verdict\">");
    out.push_str(if passed {
        "<span class=\"badge pass\">passed</span>"
    } else {
        "<span class=\"badge fail\">failed</span>"
    });
    out.push_str("<div>");
    claim(out, e.claimed_success, passed);
    out.push_str("</div></td><td class=\"why\">");
    match rank {
        Some(r) => esc(out, &r.reason),
        None => out.push_str("not ranked"),
    }
    if e.commit.is_none() {
        out.push_str(" <span class=\"muted\">(no commit: ");
        esc(out, e.state.as_str());
        out.push_str(")</span>");
    }
    out.push_str("</td>");
    let tests = e.checks.iter().filter_map(|o| o.tests.as_ref());
    let (tp, tf) = tests.fold((0, 0), |(p, f), t| (p + t.passed, f + t.failed));
    if e.checks.iter().any(|o| o.tests.is_some()) {
        let fail_class = if tf > 0 { " class=\"bad\"" } else { "" };
        out.push_str(&format!(
            "<td class=\"num\">{tp} <span class=\"muted\">/</span> <span{fail_class}>{tf}</span></td>"
        ));
    } else {
        out.push_str("<td class=\"num muted\">—</td>");
    }
    out.push_str(&format!(
        "<td class=\"num\"><span class=\"plus\">+{}</span> <span class=\"minus\">−{}</span></td><td class=\"num\">{}</td>",
        e.diff.added, e.diff.removed, e.diff.files
    ));
    let (outside, forbidden) = (e.outside_scope.len(), e.forbidden.len());
    out.push_str("<td class=\"num scope\">");
    if outside == 0 && forbidden == 0 {
        out.push_str("<span class=\"muted\">ok</span>");
    } else {
        let mut title = String::new();
        for f in &e.forbidden {
            title.push_str(&format!("forbidden: {f}\n"));
        }
        for f in &e.outside_scope {
            title.push_str(&format!("outside scope: {f}\n"));
        }
        out.push_str("<span title=\"");
        esc(out, title.trim_end());
        out.push_str("\">");
        if forbidden > 0 {
            out.push_str(&format!("<div class=\"bad\">{forbidden} forbidden</div>"));
        }
        if outside > 0 {
            out.push_str(&format!("<div class=\"warn\">{outside} outside</div>"));
        }
        out.push_str("</span>");
    }
    out.push_str("</td>");
    let warn_class = if e.new_warnings.is_empty() { "num muted" } else { "num warn" };
    out.push_str(&format!("<td class=\"{warn_class}\">{}</td>", e.new_warnings.len()));
    match e.findings {
        Some(f) => {
            let class = if f.p0 + f.p1 > 0 { "num bad" } else { "num" };
            out.push_str(&format!(
                "<td class=\"{class}\" title=\"review findings: P0 {} · P1 {} · P2 {} · P3 {}\">{} · {}</td>",
                f.p0, f.p1, f.p2, f.p3, f.p0, f.p1
            ));
        }
        None => out.push_str("<td class=\"num muted\" title=\"not reviewed\">—</td>"),
    }
    let t = e.tokens;
    out.push_str(&format!(
        "<td class=\"num\" title=\"input {} (cached {}) · output {}\">{}</td>",
        t.input,
        t.cached,
        t.output,
        format::count(t.input + t.output)
    ));
    out.push_str(&format!("<td class=\"num\">{}</td>", format::cost(e.cost_usd)));
    out.push_str(&format!("<td class=\"num\">{}</td>", e.wall_seconds.map_or("—".to_string(), format::duration)));
    out.push_str("</tr>\n");
}

/// Writes the agent's claim against the checks' verdict; a claimed success that the checks refute is
/// the one case flagged loudly, because it is the one a reader would otherwise believe.
fn claim(out: &mut String, claimed: Option<bool>, passed: bool) {
    match (claimed, passed) {
        (Some(true), false) => out.push_str("<span class=\"flag\">claimed success but checks fail</span>"),
        (Some(true), true) => out.push_str("<span class=\"muted small\">claimed success</span>"),
        (Some(false), _) => out.push_str("<span class=\"muted small\">said it failed</span>"),
        (None, _) => out.push_str("<span class=\"muted small\">no claim</span>"),
    }
}
