//! Naming agents on the command line: `braid`, `codex`, `claude` or `cmd:<template>`, mixes such as
//! `braid:2,codex:1` spread over the attempts of a run, and `cmd:` templates turned into an argv.
//!
//! A template is split into words with shell-like quoting first and only then are placeholders
//! substituted inside each word, so whatever a prompt contains (quotes, spaces, `$(...)`, newlines) stays
//! inside the one argument it was placed in and no shell ever reads it.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// Which agent runs an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentSpec {
    /// braid's own agent core, in process.
    Braid,
    /// OpenAI's Codex CLI (`codex exec --json`).
    Codex,
    /// Anthropic's Claude Code (`claude -p --output-format stream-json`).
    Claude,
    /// Any other CLI, started from a template such as `my-agent --task {prompt} --dir {workdir}`.
    Cmd { template: String },
}

/// Why an agent name, a mix or a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentSpecError {
    #[error("unknown agent `{0}`: use braid, codex, claude or cmd:<command template>")]
    Unknown(String),
    #[error("`cmd:` needs a command template after the colon, e.g. `cmd:my-agent --task {{prompt}}`")]
    EmptyTemplate,
    #[error("the command template `{template}` has unbalanced quotes or a trailing backslash")]
    BadQuoting { template: String },
    #[error(
        "the command template `{template}` uses the unknown placeholder `{{{name}}}`: the known ones are \
         {{prompt}}, {{workdir}}, {{attempt}} and {{port}}"
    )]
    UnknownPlaceholder { template: String, name: String },
    #[error("the command template `{template}` uses {{port}}, but this attempt was given no port")]
    NoPort { template: String },
    #[error("bad count in the agent mix entry `{entry}`: expected NAME:COUNT with a whole number of 1 or more")]
    BadCount { entry: String },
    #[error("the agent mix is empty: name at least one agent, e.g. `braid` or `braid:2,codex:1`")]
    EmptyMix,
    #[error(
        "the agent mix `{mix}` gives counts for {counted} attempts, but {attempts} were asked for (-n): make them agree"
    )]
    CountMismatch { mix: String, counted: u32, attempts: u32 },
    #[error("the agent mix `{mix}` mixes entries with and without counts: give every entry a count or none")]
    PartialCounts { mix: String },
}

impl FromStr for AgentSpec {
    type Err = AgentSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if let Some(template) = trimmed.strip_prefix("cmd:") {
            let template = template.trim();
            if template.is_empty() {
                return Err(AgentSpecError::EmptyTemplate);
            }
            // Checking the template now reports a typo when the run starts, not when the first attempt
            // of that kind does.
            check_template(template)?;
            return Ok(AgentSpec::Cmd { template: template.to_string() });
        }
        match trimmed {
            "braid" => Ok(AgentSpec::Braid),
            "codex" => Ok(AgentSpec::Codex),
            "claude" => Ok(AgentSpec::Claude),
            other => Err(AgentSpecError::Unknown(other.to_string())),
        }
    }
}

impl fmt::Display for AgentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentSpec::Braid => f.write_str("braid"),
            AgentSpec::Codex => f.write_str("codex"),
            AgentSpec::Claude => f.write_str("claude"),
            AgentSpec::Cmd { template } => write!(f, "cmd:{template}"),
        }
    }
}

/// Parses a mix such as `braid:2,codex:1` or `braid,codex` into agents and counts (1 for an entry
/// without a count).
///
/// Entries are split on commas outside quotes, since a `cmd:` template may contain commas; an entry's
/// count is what follows its last colon when that is all digits. Fails on an unknown agent, a bad
/// template, a count that is zero or not a number, or a mix where only some entries have counts.
pub fn parse_mix(mix: &str) -> Result<Vec<(AgentSpec, u32)>, AgentSpecError> {
    let mut out = Vec::new();
    for entry in split_outside_quotes(mix, ',') {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let bad_count = || AgentSpecError::BadCount { entry: entry.to_string() };
        let (name, count) = match explicit_count(entry) {
            Some((name, count)) => match count.parse::<u32>() {
                Ok(n) if n > 0 => (name, Some(n)),
                _ => return Err(bad_count()),
            },
            None => match entry.split_once(':') {
                Some((name, _)) if matches!(name.trim(), "braid" | "codex" | "claude") => return Err(bad_count()),
                _ => (entry, None),
            },
        };
        out.push((name.parse::<AgentSpec>()?, count));
    }
    if out.is_empty() {
        return Err(AgentSpecError::EmptyMix);
    }
    let counted = out.iter().filter(|(_, c)| c.is_some()).count();
    if counted != 0 && counted != out.len() {
        return Err(AgentSpecError::PartialCounts { mix: mix.to_string() });
    }
    Ok(out.into_iter().map(|(spec, count)| (spec, count.unwrap_or(1))).collect())
}

/// One agent per attempt for `attempts` attempts (the `-n` of a run), in order.
///
/// When every entry of the mix has an explicit count, the counts must add up to `attempts` and each
/// agent gets that many consecutive attempts; without counts the agents take turns. Fails when the
/// mix does not parse, or its counts do not add up (the error gives both numbers).
pub fn expand_mix(mix: &str, attempts: u32) -> Result<Vec<AgentSpec>, AgentSpecError> {
    let parsed = parse_mix(mix)?;
    let explicit = split_outside_quotes(mix, ',').iter().any(|entry| explicit_count(entry.trim()).is_some());
    if !explicit {
        return Ok((0..attempts as usize).map(|i| parsed[i % parsed.len()].0.clone()).collect());
    }
    let counted: u32 = parsed.iter().map(|(_, c)| *c).sum();
    if counted != attempts {
        return Err(AgentSpecError::CountMismatch { mix: mix.to_string(), counted, attempts });
    }
    Ok(parsed.into_iter().flat_map(|(spec, count)| std::iter::repeat_n(spec, count as usize)).collect())
}

/// The name and count of a mix entry written `NAME:COUNT`, when the part after the last colon is all
/// digits.
fn explicit_count(entry: &str) -> Option<(&str, &str)> {
    entry
        .rsplit_once(':')
        .filter(|(name, count)| !name.is_empty() && !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits `text` on `sep` where it is outside single or double quotes.
fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in text.chars() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c == sep => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// The values a `cmd:` template's placeholders stand for in one attempt.
#[derive(Debug, Clone, Copy)]
pub struct TemplateValues<'a> {
    pub prompt: &'a str,
    pub workdir: &'a Path,
    pub attempt: u32,
    pub port: Option<u16>,
}

/// Checks a template's quoting and placeholders without values: what `FromStr` uses.
fn check_template(template: &str) -> Result<(), AgentSpecError> {
    let words = shlex::split(template).ok_or_else(|| AgentSpecError::BadQuoting { template: template.to_string() })?;
    for word in &words {
        substitute(template, word, None)?;
    }
    Ok(())
}

/// The argv for `template` with its placeholders replaced by `values`.
///
/// The template is split into words first (shell-like quoting), then each placeholder is replaced
/// inside its word, so a value never adds, splits or joins arguments. `{{` and `}}` stand for literal
/// braces. Fails on unbalanced quotes, an unknown placeholder, an empty template, or `{port}` without
/// a port.
pub fn expand_template(template: &str, values: &TemplateValues<'_>) -> Result<Vec<String>, AgentSpecError> {
    let words = shlex::split(template).ok_or_else(|| AgentSpecError::BadQuoting { template: template.to_string() })?;
    if words.is_empty() {
        return Err(AgentSpecError::EmptyTemplate);
    }
    words.iter().map(|word| substitute(template, word, Some(values))).collect()
}

/// Replaces the placeholders in one word; with `values` absent, only checks that they are known.
fn substitute(template: &str, word: &str, values: Option<&TemplateValues<'_>>) -> Result<String, AgentSpecError> {
    let mut out = String::new();
    let mut rest = word;
    while let Some(pos) = rest.find(['{', '}']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(after) = tail.strip_prefix('}') {
            // A lone closing brace is ordinary text (JSON in an argument, say).
            out.push('}');
            rest = after;
            continue;
        }
        let Some(end) = tail.find('}') else {
            out.push_str(tail);
            rest = "";
            break;
        };
        let name = &tail[1..end];
        // Only `{identifier}` is a placeholder; other braces (JSON in an argument) are ordinary text.
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            out.push('{');
            rest = &tail[1..];
            continue;
        }
        let unknown = || AgentSpecError::UnknownPlaceholder { template: template.to_string(), name: name.to_string() };
        match (name, values) {
            ("prompt" | "workdir" | "attempt" | "port", None) => {}
            ("prompt", Some(v)) => out.push_str(v.prompt),
            ("workdir", Some(v)) => out.push_str(&v.workdir.to_string_lossy()),
            ("attempt", Some(v)) => out.push_str(&v.attempt.to_string()),
            ("port", Some(v)) => match v.port {
                Some(port) => out.push_str(&port.to_string()),
                None => return Err(AgentSpecError::NoPort { template: template.to_string() }),
            },
            _ => return Err(unknown()),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_mix(mix: &str, attempts: u32, expected: Result<&[&str], &str>) {
        let got = expand_mix(mix, attempts).map(|specs| specs.iter().map(ToString::to_string).collect::<Vec<_>>());
        match expected {
            Ok(names) => assert_eq!(got.unwrap(), names, "{mix}"),
            Err(fragment) => {
                let err = got.unwrap_err().to_string();
                assert!(err.contains(fragment), "{mix}: {err}");
            }
        }
    }

    #[test]
    fn mixes_expand_to_one_agent_per_attempt() {
        check_mix("braid:2,codex:1", 3, Ok(&["braid", "braid", "codex"]));
        check_mix("braid,codex", 3, Ok(&["braid", "codex", "braid"]));
        check_mix("claude", 2, Ok(&["claude", "claude"]));
        check_mix("codex:2, claude:2", 4, Ok(&["codex", "codex", "claude", "claude"]));
        check_mix(
            "cmd:my-agent --task {prompt}:2,braid:1",
            3,
            Ok(&["cmd:my-agent --task {prompt}", "cmd:my-agent --task {prompt}", "braid"]),
        );
        check_mix("cmd:'a,b' {prompt}", 1, Ok(&["cmd:'a,b' {prompt}"]));
        check_mix("braid:2,codex:1", 4, Err("counts for 3 attempts, but 4 were asked for"));
        check_mix("braid:2,codex", 3, Err("with and without counts"));
        check_mix("braid:0", 0, Err("bad count"));
        check_mix("braid:x", 1, Err("bad count"));
        check_mix("gemini", 1, Err("unknown agent `gemini`"));
        check_mix("", 1, Err("empty"));
        check_mix("cmd:", 1, Err("needs a command template"));
        check_mix("cmd:run {task}", 1, Err("unknown placeholder `{task}`"));
        check_mix("cmd:run 'open", 1, Err("unbalanced quotes"));
    }

    #[test]
    fn specs_round_trip_through_display() {
        for text in ["braid", "codex", "claude", "cmd:agent --task {prompt} --dir {workdir}"] {
            assert_eq!(text.parse::<AgentSpec>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn a_hostile_prompt_stays_one_argument_and_is_never_interpreted() {
        let prompt = "it's \"quoted\" $(rm -rf /) `id` ; echo $HOME\nnext line {workdir}";
        let values = TemplateValues { prompt, workdir: Path::new("/tmp/w t"), attempt: 3, port: Some(4100) };
        let argv = expand_template(
            "agent --task {prompt} --dir '{workdir}' -n {attempt} --url=http://x:{port}/ '{{lit}}'",
            &values,
        )
        .unwrap();
        assert_eq!(argv, ["agent", "--task", prompt, "--dir", "/tmp/w t", "-n", "3", "--url=http://x:4100/", "{lit}"]);
        let values = TemplateValues { port: None, ..values };
        assert!(matches!(expand_template("a {port}", &values), Err(AgentSpecError::NoPort { .. })));
        assert!(matches!(expand_template("a {nope}", &values), Err(AgentSpecError::UnknownPlaceholder { .. })));
        assert_eq!(expand_template("a '{\"k\": 1}'", &values).unwrap(), ["a", "{\"k\": 1}"]);
    }
}
