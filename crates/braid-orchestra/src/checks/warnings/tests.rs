//! Warnings read from a real clippy run and from the one-line tools' shapes, and the new-warning
//! comparison.

use super::*;

fn w(file: Option<&str>, line: Option<u32>, code: Option<&str>, message: &str) -> Warning {
    Warning { file: file.map(str::to_string), line, code: code.map(str::to_string), message: message.to_string() }
}

/// Asserts the warnings read from `output`.
fn check(output: &str, expected: &[Warning]) {
    assert_eq!(warnings(output), expected, "{output:?}");
}

#[test]
fn clippy_fixture() {
    let path = format!("{}/src/checks/fixtures/clippy/warnings.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    check(
        &text,
        &[
            w(Some("src/lib.rs"), Some(25), Some("unused_variables"), "unused variable: `unused`"),
            w(Some("src/lib.rs"), Some(31), Some("unused_variables"), "unused variable: `unused`"),
            w(Some("src/lib.rs"), Some(27), Some("clippy::needless_return"), "unneeded `return` statement"),
            w(
                Some("src/lib.rs"),
                Some(30),
                Some("clippy::ptr_arg"),
                "writing `&Vec` instead of `&[_]` involves a new object where a slice will do",
            ),
        ],
    );
}

#[test]
fn rustc_forms() {
    // The lint named only at the first warning passes to a later one quoting another name.
    check(
        "warning: unused variable: `a`\n --> src/a.rs:1:5\n  |\n  = note: `#[warn(unused_variables)]` on by default\n\n\
         warning: unused variable: `b`\n --> src/a.rs:2:5\n\n",
        &[
            w(Some("src/a.rs"), Some(1), Some("unused_variables"), "unused variable: `a`"),
            w(Some("src/a.rs"), Some(2), Some("unused_variables"), "unused variable: `b`"),
        ],
    );
    // `warning[code]:`, a `-W` note, a warning without a location, and the summaries left out.
    check(
        "warning[E0170]: pattern binding `A` is named the same as a variant\n --> src/b.rs:9:9\n\n\
         warning: item in documentation is missing backticks\n --> src/c.rs:3:1\n  = note: `-W clippy::doc-markdown` implied by `-W clippy::pedantic`\n\n\
         warning: unused manifest key: package.colour\n\
         warning: 3 warnings emitted\n\
         warning: `x` (lib) generated 3 warnings (run `cargo fix --lib -p x` to apply 1 suggestion)\n\
         error: could not compile `x`\n",
        &[
            w(Some("src/b.rs"), Some(9), Some("E0170"), "pattern binding `A` is named the same as a variant"),
            w(Some("src/c.rs"), Some(3), Some("clippy::doc-markdown"), "item in documentation is missing backticks"),
            w(None, None, None, "unused manifest key: package.colour"),
        ],
    );
}

#[test]
fn one_line_tools() {
    check(
        "src/app.py:1:8: F401 [*] `os` imported but unused\n\
         ./main.go:5:2: fmt.Printf format %d has arg x of wrong type string\n\
         a.c:3:9: warning: unused variable 'x' [-Wunused-variable]\n\
         a.c:4:1: error: expected ';'\n\
         a.c:4:1: note: declared here\n\
         lib/x.py:10:80: E501 line too long (88 > 79 characters)\n\
         test_x.py:9: AssertionError\n\
         thread 'main' panicked at src/main.rs:2:5:\n\
         Found 2 errors.\n",
        &[
            w(Some("src/app.py"), Some(1), Some("F401"), "`os` imported but unused"),
            w(Some("main.go"), Some(5), None, "fmt.Printf format %d has arg x of wrong type string"),
            w(Some("a.c"), Some(3), Some("-Wunused-variable"), "unused variable 'x'"),
            w(Some("lib/x.py"), Some(10), Some("E501"), "line too long (88 > 79 characters)"),
        ],
    );
}

#[test]
fn nothing_to_read() {
    check("", &[]);
    check("all good\n\nFinished dev\n", &[]);
    check("warning: 1 warning emitted\n", &[]);
}

#[test]
fn new_warnings_ignore_lines_and_count_duplicates() {
    let base = [
        w(Some("a.rs"), Some(10), Some("unused_variables"), "unused variable: `x`"),
        w(Some("b.py"), Some(1), Some("F401"), "`os` imported but unused"),
    ];
    let attempt = [
        // The same warning moved down by added code: not new.
        w(Some("a.rs"), Some(14), Some("unused_variables"), "unused variable: `x`"),
        // A second identical one: new, because the base had only one.
        w(Some("a.rs"), Some(30), Some("unused_variables"), "unused variable: `x`"),
        // The same message in another file: new.
        w(Some("c.rs"), Some(1), Some("unused_variables"), "unused variable: `x`"),
    ];
    assert_eq!(new_warnings(&base, &attempt), [attempt[1].clone(), attempt[2].clone()]);
    assert_eq!(new_warnings(&attempt, &base), [base[1].clone()]);
    assert_eq!(new_warnings(&base, &[]), []);
    assert_eq!(new_warnings(&[], &base), base);
}
