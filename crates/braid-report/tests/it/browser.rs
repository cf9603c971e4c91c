//! The acceptance test: the report opened in real headless Chromium. It must load without console
//! errors or network requests, show one matrix row per attempt and the ranking in order, not overflow
//! a narrow window, and leave a full-page screenshot at
//! `<target dir>/test-artifacts/compare-report.png` (the target dir is `CARGO_TARGET_DIR`, or the
//! `target` directory above the test binary), with `-dark` and `-narrow` variants beside it.

use std::path::PathBuf;

use braid_report::render_html;
use braid_test_support::Page;
use serde_json::json;

use crate::fixture::comparison;

/// Where test artifacts go: `<target dir>/test-artifacts`.
fn artifacts_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("test-artifacts");
    }
    // The test binary lives in `<target>/debug/deps/`.
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("test-artifacts")
}

#[test]
fn the_report_renders_cleanly_in_headless_chromium() {
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let html_path = dir.join("compare-report.html");
    std::fs::write(&html_path, render_html(&comparison())).unwrap();
    let Some(mut page) = Page::open(&html_path) else { return };

    assert_eq!(page.console_errors(), Vec::<String>::new());
    let requests = page.requests();
    assert_eq!(requests.len(), 1, "only the page itself may load: {requests:?}");
    assert!(requests[0].starts_with("file://"), "{requests:?}");

    assert_eq!(page.eval("document.querySelectorAll('#check-matrix tbody tr[data-attempt]').length"), json!(3));
    let ranking = page.eval(
        "Array.from(document.querySelectorAll('table.ranking tbody tr')).map(r => r.dataset.attempt + ':' + r.cells[0].textContent)",
    );
    assert_eq!(ranking, json!(["2:1", "1:2", "3:3"]));
    // The markup in the task stayed text: its script never ran.
    assert_eq!(page.eval("typeof window.__pwned"), json!("undefined"));
    assert!(page.eval("document.querySelector('p.task').textContent").as_str().unwrap().contains("<script>"));
    // The script added its buttons, and they work.
    assert_eq!(page.eval("document.querySelectorAll('#diff-tools button').length"), json!(2));
    let opened = page.eval(
        "document.querySelector('#diff-tools button').click(); document.querySelectorAll('details.attempt[open]').length",
    );
    assert_eq!(opened, json!(3));
    page.screenshot(&dir.join("compare-report.png"));
    // The dark scheme, for a look at its contrast.
    let dark = json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]});
    page.call("Emulation.setEmulatedMedia", dark);
    page.screenshot(&dir.join("compare-report-dark.png"));
    page.call("Emulation.setEmulatedMedia", json!({"features": []}));

    // A narrow window scrolls inside the wide tables, never the whole page sideways.
    page.set_width(420);
    let overflow = page.eval("document.documentElement.scrollWidth - window.innerWidth");
    assert!(overflow.as_i64().unwrap() <= 0, "the page is wider than a 420 px window by {overflow} px");
    page.screenshot(&dir.join("compare-report-narrow.png"));
    assert_eq!(page.console_errors(), Vec::<String>::new());
    let png = std::fs::read(dir.join("compare-report.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "the screenshot is a real PNG");
}

#[test]
fn console_errors_and_failed_requests_are_reported() {
    // The fixture's own check: a page with a script error and a failing image must produce errors, so
    // that an empty list in the test above means something.
    let dir = tempfile_dir();
    let path = dir.join("broken.html");
    std::fs::write(
        &path,
        "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body><img src=\"missing.png\">\
         <script>console.error('boom'); undefinedFunction();</script></body></html>",
    )
    .unwrap();
    let Some(mut page) = Page::open(&path) else { return };
    let errors = page.console_errors().join("\n");
    assert!(errors.contains("boom"), "{errors}");
    assert!(errors.contains("undefinedFunction"), "{errors}");
    assert!(errors.contains("missing.png"), "{errors}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh directory for one test's files.
fn tempfile_dir() -> PathBuf {
    let dir = artifacts_dir().join(format!("broken-page-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
