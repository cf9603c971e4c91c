//! The parsers against real runners' output (see `fixtures/README.md`) and against text that is not a
//! runner's.

use super::*;

/// Asserts what `recognise` reads from a fixture: the runner, the counts (passed, failed, skipped) and
/// the failing names.
fn check(fixture: &str, runner: Runner, (passed, failed, skipped): (u64, u64, u64), failing: &[&str]) {
    let path = format!("{}/src/checks/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let expected = TestCounts { passed, failed, skipped, failing: failing.iter().map(|s| s.to_string()).collect() };
    assert_eq!(recognise(&text), Some((runner, expected)), "{fixture}");
}

#[test]
fn every_fixture_reads_as_its_runner() {
    use Runner::*;
    check("cargo_test/all_pass.txt", CargoTest, (4, 0, 1), &[]);
    check("cargo_test/some_fail_no_fail_fast.txt", CargoTest, (2, 2, 1), &["tests::subtracts", "public_add_fails"]);
    check("nextest/all_pass.txt", Nextest, (4, 0, 1), &[]);
    check("nextest/some_fail.txt", Nextest, (2, 2, 1), &["rsp tests::subtracts", "rsp::api public_add_fails"]);
    check("pytest/all_pass.txt", Pytest, (2, 0, 0), &[]);
    check("pytest/all_pass_q.txt", Pytest, (2, 0, 0), &[]);
    check("pytest/some_fail.txt", Pytest, (1, 1, 1), &["test_sample.py::test_subtracts"]);
    check("pytest/some_fail_q.txt", Pytest, (1, 1, 1), &["test_sample.py::test_subtracts"]);
    check("pytest/some_fail_color.txt", Pytest, (1, 1, 1), &["test_sample.py::test_subtracts"]);
    check("go_test/all_pass.txt", GoTest, (1, 0, 0), &[]);
    check("go_test/all_pass_v.txt", GoTest, (2, 0, 0), &[]);
    check("go_test/some_fail.txt", GoTest, (1, 1, 0), &["TestSubtracts"]);
    check("go_test/some_fail_v.txt", GoTest, (3, 1, 1), &["TestSubtracts"]);
    check("jest/all_pass.txt", Jest, (2, 0, 0), &[]);
    check("jest/some_fail.txt", Jest, (3, 1, 1), &["math › subtracts"]);
    check("jest/some_fail_color.txt", Jest, (1, 1, 1), &["math › subtracts"]);
    check("vitest/all_pass.txt", Vitest, (2, 0, 0), &[]);
    check("vitest/some_fail.txt", Vitest, (3, 1, 1), &["math.test.js > math > subtracts"]);
    check("vitest/some_fail_color.txt", Vitest, (3, 1, 1), &["math.test.js > math > subtracts"]);
}

#[test]
fn text_that_is_no_runners_output_is_not_recognised() {
    let clippy = format!("{}/src/checks/fixtures/clippy/warnings.txt", env!("CARGO_MANIFEST_DIR"));
    let clippy = std::fs::read_to_string(clippy).unwrap();
    for text in [
        "",
        "\n\n",
        "hello world\n",
        "make: *** [Makefile:3: all] Error 2\n",
        "ok then, we are done\n",
        "test result: whatever\n",
        "Tests: many\n",
        "== this took a while in 3 minutes ==\n",
        "\u{1b}[31mred\u{1b}[0m\n",
        &clippy,
    ] {
        assert_eq!(recognise(text), None, "{text:?}");
    }
}

/// A runner, its (passed, failed, skipped) and its failing names.
type Expected<'a> = (Runner, (u64, u64, u64), &'a [&'a str]);

#[test]
fn hand_written_edge_cases() {
    let check = |text: &str, expected: Option<Expected<'_>>| {
        let got = recognise(text).map(|(runner, c)| (runner, (c.passed, c.failed, c.skipped), c.failing));
        let expected = expected.map(|(r, n, f)| (r, n, f.iter().map(|s| s.to_string()).collect::<Vec<_>>()));
        assert_eq!(got, expected, "{text:?}");
    };
    // pytest errors count as failures and are named; a `no tests ran` summary is zero of everything.
    check(
        "ERROR test_a.py::test_b - ImportError\n=== 1 passed, 1 error in 0.10s ===\n",
        Some((Runner::Pytest, (1, 1, 0), &["test_a.py::test_b"])),
    );
    check("=== no tests ran in 0.01s ===\n", Some((Runner::Pytest, (0, 0, 0), &[])));
    // A go package that does not build has no `--- FAIL` line: the package is the failure.
    check(
        "# example.com/m\n./a.go:3:1: syntax error\nFAIL\texample.com/m [build failed]\nFAIL\n",
        Some((Runner::GoTest, (0, 1, 0), &["example.com/m"])),
    );
    // Nextest timeouts are failures.
    check(
        "     TIMEOUT [  60.0s] m slow\n     Summary [  60.1s] 2 tests run: 1 passed, 1 timed out, 0 skipped\n",
        Some((Runner::Nextest, (1, 1, 0), &["m slow"])),
    );
    // Two runners in one check: the first in recognise's order wins.
    check(
        "test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\
         === 2 passed in 0.01s ===\n",
        Some((Runner::CargoTest, (1, 0, 0), &[])),
    );
    // Doc-test names have spaces.
    check(
        "test src/lib.rs - add (line 3) ... FAILED\n\nfailures:\n    src/lib.rs - add (line 3)\n\n\
         test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s\n",
        Some((Runner::CargoTest, (0, 1, 0), &["src/lib.rs - add (line 3)"])),
    );
}

#[test]
fn ansi_sequences_are_stripped() {
    assert_eq!(strip_ansi("\u{1b}[1m\u{1b}[31mFAIL\u{1b}[0m x\r\n"), "FAIL x\n");
    assert_eq!(strip_ansi("a\u{1b}]8;;http://x\u{7}link\u{1b}]8;;\u{1b}\\b"), "alinkb");
    assert_eq!(strip_ansi("plain ünïcode"), "plain ünïcode");
}
