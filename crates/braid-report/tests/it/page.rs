//! Tests of the rendered HTML itself, without a browser: escaping, structure, and the sections that
//! depend on the data (no plan, no checks, an attempt that never committed).

use braid_report::render_html;

use crate::fixture::{TASK, comparison};

#[test]
fn markup_in_the_task_and_in_a_diff_line_is_escaped() {
    let html = render_html(&comparison());
    assert!(!html.contains(TASK), "the task must not appear unescaped");
    assert!(html.contains("&lt;script&gt;window.__pwned = 1&lt;/script&gt;"));
    assert!(html.contains("// &lt;script&gt;alert(1)&lt;/script&gt;"), "the diff line's comment is escaped");
    // The page's own script is the only one.
    assert_eq!(html.matches("<script>").count(), 1);
}

#[test]
fn the_page_loads_nothing_from_outside() {
    let html = render_html(&comparison());
    for needle in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(needle), "the page must be self-contained, but it contains {needle:?}");
    }
}

#[test]
fn the_matrix_has_one_row_per_attempt_in_rank_order() {
    let html = render_html(&comparison());
    let matrix = &html[html.find("id=\"check-matrix\"").unwrap()..];
    let matrix = &matrix[..matrix.find("</table>").unwrap()];
    let rows: Vec<&str> = matrix.split("<tr data-attempt=\"").skip(1).map(|r| &r[..1]).collect();
    assert_eq!(rows, ["2", "1", "3"]);
    assert!(matrix.contains("11/13"), "failing test counts are shown");
    assert!(matrix.contains("tests::rejects_negative"), "failing test names are listed");
    assert!(matrix.contains("timed out"));
}

#[test]
fn a_claimed_success_that_fails_is_flagged_and_only_the_winner_is_open() {
    let html = render_html(&comparison());
    assert_eq!(html.matches("claimed success but checks fail").count(), 2);
    assert_eq!(html.matches("<details class=\"attempt\"").count(), 3);
    assert!(html.contains("<details class=\"attempt\" id=\"attempt-2\" data-attempt=\"2\" open>"));
    assert_eq!(html.matches(" open>").count(), 1);
}

#[test]
fn without_plan_or_checks_those_sections_say_so_or_disappear() {
    let mut c = comparison();
    c.plan = None;
    c.checks.clear();
    for a in &mut c.attempts {
        a.checks.clear();
    }
    c.attempts[2].commit = None;
    c.attempts[2].patch.clear();
    let html = render_html(&c);
    assert!(!html.contains("id=\"plan\""));
    assert!(!html.contains("id=\"check-matrix\""));
    assert!(html.contains("No checks were configured"));
    assert!(html.contains("(no commit: committed)"));
    assert!(html.contains("No changes."));
}

#[test]
fn a_patch_that_is_not_a_diff_is_shown_as_text() {
    let mut c = comparison();
    c.attempts[0].patch = "garbage <b>not a diff</b>".into();
    let html = render_html(&c);
    assert!(html.contains("<pre class=\"raw\">garbage &lt;b&gt;not a diff&lt;/b&gt;</pre>"));
}
