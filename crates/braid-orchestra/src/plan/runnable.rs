//! Whether a check's shell command could run, decided without running anything: every simple command in
//! it must start with a shell builtin or keyword, a program on `PATH`, or an executable file in the
//! repository.

use std::ffi::OsStr;
use std::path::Path;

use braid_sandbox::program::{find_program, is_executable};

/// Builtins and keywords `sh` runs itself. `echo`, `printf`, `test` and `[` are builtins of every common
/// `sh` even though they also exist as programs.
const BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "bg", "break", "case", "cd", "command", "continue", "done", "echo", "esac", "eval", "exec",
    "exit", "export", "false", "fc", "fg", "fi", "for", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd",
    "read", "readonly", "return", "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask",
    "unalias", "unset", "wait", "}",
];

/// Keywords after which a command follows, so the word after them is the program to look up.
const PREFIX_KEYWORDS: &[&str] = &["if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"];

/// Why a command is not runnable; the checker turns it into a message naming the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotRunnable {
    Empty,
    UnbalancedQuotes,
    /// A program that is neither a builtin, nor on `PATH`, nor an executable file in the repository.
    Missing(String),
    /// A path to a file in the repository that is missing or not executable.
    NotExecutable(String),
}

/// Checks `command`: `root` resolves relative paths, `path_var` is searched for bare program names (no
/// lookup at all without it). Returns the first reason it could not run.
pub(crate) fn runnable(command: &str, root: &Path, path_var: Option<&OsStr>) -> Result<(), NotRunnable> {
    let segments = segments(command)?;
    let mut any = false;
    for segment in &segments {
        let words = shlex::split(segment).ok_or(NotRunnable::UnbalancedQuotes)?;
        let Some(program) = program(&words) else { continue };
        any = true;
        // A program computed at run time (`$CARGO test`) cannot be judged here.
        if program.contains('$') || program.contains('`') || BUILTINS.contains(&program) {
            continue;
        }
        if program.contains('/') {
            if !is_executable(&root.join(program)) {
                return Err(NotRunnable::NotExecutable(program.to_string()));
            }
            continue;
        }
        let on_path = path_var.is_some_and(|path| find_program(program, path).is_some());
        if !on_path {
            return Err(NotRunnable::Missing(program.to_string()));
        }
    }
    if any { Ok(()) } else { Err(NotRunnable::Empty) }
}

/// The program word of one simple command: the first word that is not an assignment (`VAR=value`), a
/// redirection (`>out`, `2>&1`, or `>` followed by its target) or a keyword that a command follows.
fn program(words: &[String]) -> Option<&str> {
    let mut index = 0;
    while index < words.len() {
        let word = words[index].as_str();
        let redirect = word.trim_start_matches(|c: char| c.is_ascii_digit());
        if redirect.starts_with('>') || redirect.starts_with('<') {
            // A bare operator takes the next word as its target.
            index += if redirect.trim_start_matches(['>', '<', '&', '|']).is_empty() { 2 } else { 1 };
        } else if is_assignment(word) || PREFIX_KEYWORDS.contains(&word) {
            index += 1;
        } else {
            return Some(word);
        }
    }
    None
}

/// Whether `word` is `NAME=value` with a valid shell variable name.
fn is_assignment(word: &str) -> bool {
    let Some((name, _)) = word.split_once('=') else { return false };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits a command line into simple commands at `&&`, `||`, `;`, `|`, `&`, parentheses and newlines
/// outside quotes. A `&` that belongs to a redirection (`2>&1`, `&>`) does not split. Fails when a quote is
/// never closed.
fn segments(command: &str) -> Result<Vec<String>, NotRunnable> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = command.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                current.push(c);
                if c == '\\' && q == '"' {
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    current.push(c);
                }
                '\\' => {
                    current.push(c);
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                }
                '&' if previous == '>' || previous == '<' || chars.peek() == Some(&'>') => current.push(c),
                ';' | '|' | '&' | '(' | ')' | '\n' => {
                    segments.push(std::mem::take(&mut current));
                }
                // A comment runs to the end of the line.
                '#' if previous.is_whitespace() => {
                    while chars.peek().is_some_and(|next| *next != '\n') {
                        chars.next();
                    }
                }
                _ => current.push(c),
            },
        }
        previous = c;
    }
    if quote.is_some() {
        return Err(NotRunnable::UnbalancedQuotes);
    }
    segments.push(current);
    Ok(segments.into_iter().filter(|segment| !segment.trim().is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn segments_split_at_operators_outside_quotes() {
        let check = |command: &str, expected: &[&str]| {
            let found = segments(command).unwrap();
            let found: Vec<_> = found.iter().map(|s| s.trim()).collect();
            assert_eq!(found, expected, "{command}");
        };
        check("cargo test && cargo clippy", &["cargo test", "cargo clippy"]);
        check("a || b; c | d & e\nf", &["a", "b", "c", "d", "e", "f"]);
        check("echo 'a && b' \"c; d\"", &["echo 'a && b' \"c; d\""]);
        check("cargo test 2>&1 | tee log", &["cargo test 2>&1", "tee log"]);
        check("(cd x && make) # a comment; rm", &["cd x", "make"]);
        check("echo a\\;b", &["echo a\\;b"]);
        assert_eq!(segments("echo 'oops"), Err(NotRunnable::UnbalancedQuotes));
    }

    #[test]
    fn the_program_is_the_first_word_after_assignments_redirections_and_keywords() {
        let check = |words: &str, expected: Option<&str>| {
            let words = shlex::split(words).unwrap();
            assert_eq!(program(&words), expected, "{words:?}");
        };
        check("RUST_LOG=debug A_1=x cargo test", Some("cargo"));
        check("> out.txt 2>&1 make", Some("make"));
        check("2>/dev/null make", Some("make"));
        check("if ! grep -q x file", Some("grep"));
        check("X=1", None);
        check("=x y", Some("=x"));
    }

    #[test]
    fn programs_are_found_as_builtins_on_path_or_in_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(bin.join("sub")).unwrap();
        let make_exec = |path: &Path, mode: u32| {
            std::fs::write(path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        make_exec(&bin.join("cargo"), 0o755);
        make_exec(&bin.join("plain"), 0o644);
        make_exec(&dir.path().join("check.sh"), 0o755);
        let path = std::env::join_paths([Path::new("/nonexistent"), &bin]).unwrap();
        let run = |command: &str| runnable(command, dir.path(), Some(&path));
        assert_eq!(run("cargo test && cd x && [ -f y ] && echo ok"), Ok(()));
        assert_eq!(run("FOO=1 ./check.sh --fast"), Ok(()));
        assert_eq!(run("$MAKE all"), Ok(()));
        assert_eq!(run("cargo test | carg"), Err(NotRunnable::Missing("carg".into())));
        assert_eq!(run("plain"), Err(NotRunnable::Missing("plain".into())));
        assert_eq!(run("sub"), Err(NotRunnable::Missing("sub".into())));
        assert_eq!(run("bin/plain"), Err(NotRunnable::NotExecutable("bin/plain".into())));
        assert_eq!(run("./missing.sh"), Err(NotRunnable::NotExecutable("./missing.sh".into())));
        assert_eq!(run("  ; "), Err(NotRunnable::Empty));
        assert_eq!(run("# only a comment"), Err(NotRunnable::Empty));
        assert_eq!(run("echo \"unclosed"), Err(NotRunnable::UnbalancedQuotes));
        assert_eq!(runnable("cargo", dir.path(), None), Err(NotRunnable::Missing("cargo".into())));
    }
}
