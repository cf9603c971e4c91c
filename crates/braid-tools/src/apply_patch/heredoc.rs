//! Recognising a patch sent through a shell: `apply_patch <<'EOF' ... EOF` scripts and plain
//! `["apply_patch", "<patch>"]` argv, so the shell tool can route them to the apply_patch tool.

/// The names a model may use for the patch command.
const COMMANDS: [&str; 2] = ["apply_patch", "applypatch"];

/// The shells whose `-c`/`-lc` script may carry a heredoc patch.
const SHELLS: [&str; 4] = ["bash", "sh", "zsh", "dash"];

/// The delimiter of a heredoc opened on `line` (`cmd <<'EOF'`, `<<"EOF"`, `<<EOF`, `<<-EOF`), or `None`
/// when the line opens no heredoc. Only a word-like delimiter is accepted, so that `<<` in other contexts
/// (a C++ stream, a bit shift) is not mistaken for one.
pub(crate) fn opening_delimiter(line: &str) -> Option<String> {
    let (_, after) = line.split_once("<<")?;
    let after = after.strip_prefix('-').unwrap_or(after).trim();
    let unquoted =
        ['\'', '"'].iter().find_map(|&q| after.strip_prefix(q).and_then(|s| s.strip_suffix(q))).unwrap_or(after);
    let word_like = !unquoted.is_empty() && unquoted.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    word_like.then(|| unquoted.to_string())
}

/// Returns the patch text when `argv` is a way of running the patch command that models trained on Codex
/// use: `["apply_patch", "<patch>"]`, or a shell (`bash -lc`, `sh -c`, ...) whose script is
/// `apply_patch <<'EOF'` followed by the patch and the closing delimiter. Returns `None` for anything
/// else, including scripts that do more than apply the patch.
pub fn extract_from_shell_argv(argv: &[String]) -> Option<String> {
    match argv {
        [cmd, patch] if is_patch_command(cmd) => Some(patch.clone()),
        [shell, flag, script] if is_shell(shell) && (flag == "-c" || flag == "-lc") => from_script(script),
        _ => None,
    }
}

fn is_patch_command(word: &str) -> bool {
    COMMANDS.contains(&word)
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    SHELLS.contains(&name)
}

/// The patch carried by a shell script `apply_patch <<'EOF'\n...\nEOF`, with nothing but whitespace after
/// the closing delimiter.
fn from_script(script: &str) -> Option<String> {
    let script = script.trim_start();
    let (first, body) = script.split_once('\n')?;
    let command = first.split_whitespace().next()?;
    let rest = first.trim_start().strip_prefix(command)?;
    if !is_patch_command(command) || !rest.trim_start().starts_with("<<") {
        return None;
    }
    let delimiter = opening_delimiter(rest)?;
    let strip_tabs = rest.trim_start().starts_with("<<-");
    let mut patch = String::new();
    let mut lines = body.split('\n');
    for line in lines.by_ref() {
        let line = if strip_tabs { line.trim_start_matches('\t') } else { line };
        if line.trim_end_matches('\r') == delimiter {
            // Anything after the closing delimiter would be another command: not a plain patch.
            return lines.all(|l| l.trim().is_empty()).then_some(patch);
        }
        patch.push_str(line);
        patch.push('\n');
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(argv: &[&str], expected: Option<&str>) {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        assert_eq!(extract_from_shell_argv(&argv).as_deref(), expected, "argv: {argv:?}");
    }

    const PATCH: &str = "*** Begin Patch\n*** Delete File: a\n*** End Patch\n";

    #[test]
    fn direct_invocation() {
        check(&["apply_patch", PATCH], Some(PATCH));
        check(&["applypatch", PATCH], Some(PATCH));
        check(&["apply_patch"], None);
        check(&["apply_patch", PATCH, "extra"], None);
        check(&["cat", PATCH], None);
    }

    #[test]
    fn heredoc_in_shell_script() {
        let quoted = format!("apply_patch <<'EOF'\n{PATCH}EOF\n");
        check(&["bash", "-lc", &quoted], Some(PATCH));
        check(&["/bin/bash", "-c", &quoted], Some(PATCH));
        check(&["sh", "-c", &format!("apply_patch <<\"PATCH\"\n{PATCH}PATCH")], Some(PATCH));
        check(&["zsh", "-lc", &format!("  apply_patch << EOF\n{PATCH}EOF\n\n")], Some(PATCH));
        check(&["bash", "-lc", "apply_patch <<-EOF\n\t*** Begin Patch\n\tEOF\n"], Some("*** Begin Patch\n"));
    }

    #[test]
    fn other_scripts_are_not_patches() {
        check(&["bash", "-lc", "ls -la"], None);
        check(&["bash", "-lc", &format!("cat <<'EOF'\n{PATCH}EOF\n")], None);
        check(&["bash", "-lc", &format!("apply_patch <<'EOF'\n{PATCH}")], None);
        check(&["bash", "-lc", &format!("apply_patch <<'EOF'\n{PATCH}EOF\nrm -rf x\n")], None);
        check(&["bash", "-x", &format!("apply_patch <<'EOF'\n{PATCH}EOF\n")], None);
        check(&["python", "-c", &format!("apply_patch <<'EOF'\n{PATCH}EOF\n")], None);
        check(&["bash", "-lc", "apply_patch\n*** Begin Patch\n"], None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(opening_delimiter("apply_patch <<'EOF'").as_deref(), Some("EOF"));
        assert_eq!(opening_delimiter("<<\"END_PATCH\"").as_deref(), Some("END_PATCH"));
        assert_eq!(opening_delimiter("x <<-EOF").as_deref(), Some("EOF"));
        assert_eq!(opening_delimiter("std::cout << x;"), None);
        assert_eq!(opening_delimiter("no heredoc"), None);
    }
}
