//! Names braid derives from a run id and an attempt number: the worktree directory, the branch, the
//! archive ref, and the rule a run id must follow so that all three are valid and unambiguous.

use crate::GitError;

/// The rule every run id must follow, quoted in [`GitError::BadName`].
pub const RUN_RULE: &str = "a run id is 1 to 100 ASCII letters, digits, '-', '_' or '.', does not start with '.' or '-', contains no \"..\" and does not end with \".lock\"";

/// The directory under the main worktree's root that holds every attempt worktree.
pub const WORKTREES_DIR: &str = ".braid/worktrees";

/// The prefix of every attempt branch (`braid/<run>/<n>`).
pub const BRANCH_PREFIX: &str = "braid/";

/// The prefix of every archive ref (`refs/braid/archive/<run>/<n>`).
pub const ARCHIVE_PREFIX: &str = "refs/braid/archive/";

/// Checks that `run` is a valid run id (see [`RUN_RULE`]).
///
/// Fails with [`GitError::BadName`] naming the id and the rule. The rule keeps the id a single path
/// component and a valid ref component, so it can never escape `.braid/worktrees` or change a ref's meaning.
pub fn validate_run(run: &str) -> Result<(), GitError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ok = !run.is_empty()
        && run.len() <= 100
        && run.chars().all(allowed)
        && !run.starts_with('.')
        && !run.starts_with('-')
        && !run.contains("..")
        && !run.ends_with(".lock");
    if ok { Ok(()) } else { Err(GitError::BadName { name: run.to_string(), rule: RUN_RULE }) }
}

/// Returns the attempt branch's short name, `braid/<run>/<n>`.
pub fn branch_name(run: &str, n: u32) -> String {
    format!("{BRANCH_PREFIX}{run}/{n}")
}

/// Returns the archive ref's full name, `refs/braid/archive/<run>/<n>`.
pub fn archive_ref(run: &str, n: u32) -> String {
    format!("{ARCHIVE_PREFIX}{run}/{n}")
}

/// Splits `<run>/<n>` (the tail of a branch, archive ref or worktree path) into a valid run id and an
/// attempt number; `None` for anything braid would not have created.
pub fn parse_run_n(tail: &str) -> Option<(String, u32)> {
    let (run, n) = tail.split_once('/')?;
    validate_run(run).ok()?;
    // Only the canonical decimal form, so that one attempt has exactly one name.
    if n.is_empty() || (n.len() > 1 && n.starts_with('0')) || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((run.to_string(), n.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids() {
        let check = |run: &str, ok: bool| assert_eq!(validate_run(run).is_ok(), ok, "{run:?}");
        check("r1", true);
        check("2026-11-22_run.3", true);
        check("A", true);
        check("", false);
        check("..", false);
        check("a..b", false);
        check(".hidden", false);
        check("-flag", false);
        check("a/b", false);
        check("a b", false);
        check("x.lock", false);
        check("ü", false);
        check(&"a".repeat(101), false);
        let err = validate_run("a/b").unwrap_err().to_string();
        assert!(err.contains("\"a/b\"") && err.contains("ASCII letters"), "{err}");
    }

    #[test]
    fn run_n_tails() {
        let check = |tail: &str, expected: Option<(&str, u32)>| {
            assert_eq!(parse_run_n(tail), expected.map(|(r, n)| (r.to_string(), n)), "{tail:?}");
        };
        check("r1/3", Some(("r1", 3)));
        check("r1/0", Some(("r1", 0)));
        check("r1/03", None);
        check("r1/x", None);
        check("r1/", None);
        check("r1", None);
        check("r1/3/4", None);
        check("../3", None);
        check("r1/99999999999", None);
    }
}
