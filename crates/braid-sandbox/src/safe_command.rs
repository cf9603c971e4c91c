//! Which commands are known to only read: the commands the `untrusted` approval policy runs without
//! asking. A command qualifies only when every program it runs is on a short list and none of its
//! arguments can make that program write, run another program or reach the network.
//!
//! `sh -c` / `bash -lc` scripts are split with a real (small) shell lexer that understands quoting and
//! operators, so `ls; rm -rf ~` is two commands, the second of which is not safe. Anything the lexer does
//! not fully understand (expansions, substitutions, redirections, subshells, here-documents) makes the
//! command unsafe: a false "unsafe" costs one approval, a false "safe" costs the user's files.

/// Programs that only read whatever their arguments (beyond the per-program checks below).
const READ_ONLY: &[&str] = &[
    "cat",
    "ls",
    "pwd",
    "head",
    "tail",
    "wc",
    "nl",
    "echo",
    "true",
    "false",
    "which",
    "whoami",
    "uname",
    "date",
    "file",
    "stat",
    "du",
    "df",
    "grep",
    "egrep",
    "fgrep",
    "cut",
    "tr",
    "diff",
    "cmp",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "id",
    "tac",
    "rev",
    "seq",
    "printf",
    "column",
    "md5sum",
    "sha256sum",
    "sha1sum",
];

/// Git subcommands that only read the repository.
const GIT_READ_ONLY: &[&str] =
    &["status", "diff", "log", "show", "rev-parse", "ls-files", "blame", "grep", "describe", "shortlog", "cat-file"];

/// Whether `argv` is known to only read. `argv` is either a program with its arguments, or a shell
/// (`sh`, `bash`, `zsh`, `dash`) with `-c`/`-lc` and a script.
pub fn is_known_safe(argv: &[String]) -> bool {
    let Some(program) = argv.first() else { return false };
    if is_shell(program) {
        return match argv.get(1..) {
            Some([flag, script]) if matches!(flag.as_str(), "-c" | "-lc" | "-cl") => match split_script(script) {
                Some(commands) => !commands.is_empty() && commands.iter().all(|words| simple_is_safe(words)),
                None => false,
            },
            _ => false,
        };
    }
    simple_is_safe(argv)
}

/// The simple commands `argv` runs: itself, or for a shell with `-c`/`-lc` the commands of its script.
/// `None` when the script holds anything the lexer does not fully understand (expansions,
/// redirections, subshells), so callers can fall back to comparing the whole argv.
pub fn simple_commands(argv: &[String]) -> Option<Vec<Vec<String>>> {
    let program = argv.first()?;
    if !is_shell(program) {
        return Some(vec![argv.to_vec()]);
    }
    match argv.get(1..) {
        Some([flag, script]) if matches!(flag.as_str(), "-c" | "-lc" | "-cl") => {
            split_script(script).filter(|commands| !commands.is_empty())
        }
        _ => None,
    }
}

fn is_shell(program: &str) -> bool {
    matches!(basename(program), "sh" | "bash" | "zsh" | "dash")
}

fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Whether one simple command (a program and its words) only reads.
fn simple_is_safe(words: &[String]) -> bool {
    let Some(program) = words.first() else { return false };
    let args = &words[1..];
    let has = |flags: &[&str]| args.iter().any(|a| flags.iter().any(|f| a == f || a.starts_with(&format!("{f}="))));
    match basename(program) {
        "find" => !has(&["-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls"]),
        "rg" => !has(&["--pre", "--pre-glob"]),
        "sort" => !has(&["-o", "--output"]) && !args.iter().any(|a| a.starts_with("-o")),
        // `uniq IN OUT` writes OUT.
        "uniq" => args.iter().filter(|a| !a.starts_with('-')).count() <= 1,
        // `tree -o FILE` writes FILE.
        "tree" => !has(&["-o"]),
        "sed" => sed_is_print_only(args),
        "git" => git_is_read_only(args),
        name => READ_ONLY.contains(&name),
    }
}

/// `sed -n 'A,Bp' [files]`: printing a line range, the one sed use worth allowing. Every other script
/// could hold a `w` (write) or `e` (execute) command.
fn sed_is_print_only(args: &[String]) -> bool {
    let [flag, script, files @ ..] = args else { return false };
    let range = |s: &str| !s.is_empty() && (s == "$" || s.chars().all(|c| c.is_ascii_digit()));
    let script_ok = script.strip_suffix('p').is_some_and(|body| match body.split_once(',') {
        Some((a, b)) => range(a) && range(b),
        None => range(body),
    });
    flag == "-n" && script_ok && files.iter().all(|f| !f.starts_with('-'))
}

/// `git [-C DIR] [--no-pager] SUBCOMMAND ARGS` with a read-only subcommand and no option that writes a
/// file or runs a program. `-c` is refused outright: a config override can set a pager or an alias.
fn git_is_read_only(args: &[String]) -> bool {
    let mut rest = args;
    loop {
        match rest {
            [flag, _dir, tail @ ..] if flag == "-C" => rest = tail,
            [flag, tail @ ..] if flag == "--no-pager" => rest = tail,
            _ => break,
        }
    }
    let Some((subcommand, options)) = rest.split_first() else { return false };
    let risky = |a: &String| {
        a.starts_with("--output") || a == "--ext-diff" || a.starts_with("--exec") || a.starts_with("--open-files")
    };
    match subcommand.as_str() {
        "branch" => options
            .iter()
            .all(|a| matches!(a.as_str(), "-a" | "-r" | "-v" | "-vv" | "--list" | "--show-current" | "--all")),
        "remote" => options.iter().all(|a| a == "-v"),
        name => GIT_READ_ONLY.contains(&name) && !options.iter().any(risky),
    }
}

/// Splits a shell script into simple commands (lists of words) at `;`, `&&`, `||`, `|` and newlines.
/// Returns `None` for anything beyond quoted words and those operators: `$` expansions, backticks,
/// redirections (except `2>&1`), `&`, parentheses, braces, here-documents, comments.
fn split_script(script: &str) -> Option<Vec<Vec<String>>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let end_command = |words: &mut Vec<String>, commands: &mut Vec<Vec<String>>| -> Option<()> {
        if words.is_empty() {
            return None;
        }
        commands.push(std::mem::take(words));
        Some(())
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        other => word.push(other),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '$' | '`' => return None,
                        '\\' => match chars.next()? {
                            escaped @ ('"' | '\\' | '$' | '`') => word.push(escaped),
                            '\n' => {}
                            other => {
                                word.push('\\');
                                word.push(other);
                            }
                        },
                        other => word.push(other),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next()? {
                    '\n' => {}
                    other => word.push(other),
                }
            }
            ' ' | '\t' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            ';' | '\n' | '|' | '&' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                match (c, chars.peek()) {
                    ('&', Some('&')) | ('|', Some('|')) => {
                        chars.next();
                    }
                    // A lone `&` runs the command in the background, where nothing waits for it.
                    ('&', _) => return None,
                    // `;` or a newline with nothing before it (`ls;;` or blank lines) is harmless.
                    (';' | '\n', _) if words.is_empty() => continue,
                    _ => {}
                }
                end_command(&mut words, &mut commands)?;
            }
            '2' if !in_word && script_rest_is(&mut chars, ">&1") => {
                // `2>&1` merges stderr into stdout; it writes nothing.
            }
            '$' | '`' | '>' | '<' | '(' | ')' | '{' | '}' | '#' => return None,
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if !words.is_empty() {
        commands.push(words);
    }
    Some(commands)
}

/// Consumes `expected` from `chars` when the input continues with it (and is then followed by a word
/// boundary); leaves `chars` untouched otherwise.
fn script_rest_is(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, expected: &str) -> bool {
    let ahead: String = chars.clone().take(expected.len() + 1).collect();
    let matches = ahead.starts_with(expected)
        && ahead[expected.len()..].chars().next().is_none_or(|c| matches!(c, ' ' | '\t' | '\n' | ';' | '|' | '&'));
    if matches {
        for _ in 0..expected.len() {
            chars.next();
        }
    }
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn check(words: &[&str], expected: bool) {
        assert_eq!(is_known_safe(&argv(words)), expected, "{words:?}");
    }

    fn script(text: &str, expected: bool) {
        check(&["bash", "-lc", text], expected);
    }

    #[test]
    fn plain_argv() {
        check(&["ls", "-la"], true);
        check(&["/usr/bin/cat", "src/main.rs"], true);
        check(&["rg", "-n", "TODO", "src"], true);
        check(&["rg", "--pre", "sh", "x"], false);
        check(&["find", ".", "-name", "*.rs"], true);
        check(&["find", ".", "-delete"], false);
        check(&["find", ".", "-exec", "rm", "{}", ";"], false);
        check(&["sort", "-o", "out.txt", "in.txt"], false);
        check(&["sort", "-ofile", "in.txt"], false);
        check(&["uniq", "in.txt", "out.txt"], false);
        check(&["rm", "-rf", "/"], false);
        check(&["env", "rm", "x"], false);
        check(&["python3", "-c", "print(1)"], false);
        check(&[], false);
    }

    #[test]
    fn sed_only_prints_ranges() {
        check(&["sed", "-n", "1,40p", "src/lib.rs"], true);
        check(&["sed", "-n", "10,$p", "a"], true);
        check(&["sed", "-n", "1w out", "a"], false);
        check(&["sed", "-i", "s/a/b/", "a"], false);
        check(&["sed", "s/a/b/", "a"], false);
    }

    #[test]
    fn git_reads_only() {
        check(&["git", "status"], true);
        check(&["git", "-C", "sub", "--no-pager", "log", "--oneline", "-5"], true);
        check(&["git", "diff", "HEAD~1"], true);
        check(&["git", "diff", "--output=x.patch"], false);
        check(&["git", "diff", "--ext-diff"], false);
        check(&["git", "-c", "core.pager=sh", "log"], false);
        check(&["git", "branch", "-a"], true);
        check(&["git", "branch", "-D", "main"], false);
        check(&["git", "commit", "-m", "x"], false);
        check(&["git", "push"], false);
        check(&["git", "grep", "--open-files-in-pager=vi", "x"], false);
    }

    #[test]
    fn scripts_are_split_at_operators() {
        script("ls -la && git status", true);
        script("cat a.txt | grep foo | wc -l", true);
        script("ls; rm -rf ~", false);
        script("ls && rm -rf ~", false);
        script("ls || rm -rf ~", false);
        script("ls | sh", false);
        script("ls\nrm x", false);
        script("grep -rn 'a;b' src 2>&1 | head -20", true);
        script("echo \"a && b\"", true);
        script("echo 'rm -rf /'", true);
    }

    #[test]
    fn anything_not_understood_is_unsafe() {
        script("echo $(rm -rf ~)", false);
        script("echo `rm x`", false);
        script("echo \"$(rm x)\"", false);
        script("echo $HOME", false);
        script("cat a > b", false);
        script("cat < a", false);
        script("ls &", false);
        script("(rm x)", false);
        script("{ rm x; }", false);
        script("cat <<EOF", false);
        script("echo 'unterminated", false);
        script("ls # rm", false);
        script("", false);
        check(&["bash", "-lc", "ls", "extra"], false);
        check(&["bash", "script.sh"], false);
    }
}
