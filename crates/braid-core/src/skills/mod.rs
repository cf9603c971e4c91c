//! Skills: folders holding a `SKILL.md` whose front matter names the skill and says when to use it.
//! braid finds them in the repository (`.braid/skills`, and for compatibility `.codex/skills` and
//! `.claude/skills`) and in braid's home (`skills/`), puts only their names, descriptions and paths in
//! the context, and lets the model read a skill's body when it decides the skill applies. A prompt
//! naming a skill as `$name` asks for it explicitly, and braid then hands the model the body itself.
//!
//! A broken SKILL.md never stops a session: it is skipped with a warning naming the file and the problem.

pub mod front_matter;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use front_matter::{FrontMatter, FrontMatterError};

/// The file that makes a folder a skill.
pub const SKILL_MD: &str = "SKILL.md";
/// The most of a SKILL.md body braid puts into the context when a skill is invoked explicitly.
pub const MAX_INVOKED_BODY_BYTES: usize = 16 * 1024;

/// Where a skill was found. The order of the variants is the precedence order: on a name clash the
/// earlier root wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkillSource {
    /// `<repo>/.braid/skills`.
    Braid,
    /// `<repo>/.codex/skills`, read for compatibility.
    Codex,
    /// `<repo>/.claude/skills`, read for compatibility.
    Claude,
    /// `<braid home>/skills`.
    Home,
}

impl SkillSource {
    /// Every source, in precedence order.
    pub const ALL: [SkillSource; 4] = [SkillSource::Braid, SkillSource::Codex, SkillSource::Claude, SkillSource::Home];

    /// A short label for listings: the root relative to the repository, or `home`.
    pub fn label(self) -> &'static str {
        match self {
            SkillSource::Braid => ".braid/skills",
            SkillSource::Codex => ".codex/skills",
            SkillSource::Claude => ".claude/skills",
            SkillSource::Home => "home",
        }
    }

    /// The root directory of this source, or `None` for the home source without a home.
    fn root(self, repo_root: &Path, home: Option<&Path>) -> Option<PathBuf> {
        match self {
            SkillSource::Home => home.map(|h| h.join("skills")),
            other => Some(repo_root.join(other.label())),
        }
    }
}

/// One skill braid found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skill {
    pub name: String,
    pub description: String,
    /// The SKILL.md file.
    pub path: PathBuf,
    pub source: SkillSource,
}

/// The skills found, and what was wrong with the files that were skipped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SkillSet {
    /// The usable skills, in precedence order (by root, then by folder name).
    pub skills: Vec<Skill>,
    /// One message per skipped file: broken front matter, an unreadable file, or a duplicate name.
    pub warnings: Vec<String>,
}

/// The `skills` config key: `skills = false`, or a `[skills]` table with `enabled = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkillsToml {
    Switch(bool),
    Table(SkillsTable),
}

impl<'de> Deserialize<'de> for SkillsToml {
    /// Accepts a boolean or the table; anything else fails with a message showing both forms (serde's
    /// own for an untagged enum only says that no variant matched).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SkillsToml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("`skills = true|false` or a `[skills]` table with `enabled = true|false`")
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> Result<SkillsToml, E> {
                Ok(SkillsToml::Switch(on))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<SkillsToml, A::Error> {
                SkillsTable::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(SkillsToml::Table)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The `[skills]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkillsTable {
    /// Whether braid looks for skills at all (default true).
    pub enabled: Option<bool>,
}

impl SkillsToml {
    /// Whether discovery is on.
    pub fn enabled(&self) -> bool {
        match self {
            SkillsToml::Switch(on) => *on,
            SkillsToml::Table(table) => table.enabled.unwrap_or(true),
        }
    }
}

/// The root skills are looked for in: the repository containing `cwd`, or `cwd` itself outside one.
pub fn repo_root(cwd: &Path) -> PathBuf {
    crate::git_info::discover(cwd).map_or_else(|| cwd.to_path_buf(), |git| git.root)
}

/// Finds the skills under `repo_root`'s roots and `<home>/skills` (skipped when `home` is `None`).
/// Never fails: missing roots are simply empty, and every file that cannot be used becomes a warning.
pub fn discover(repo_root: &Path, home: Option<&Path>) -> SkillSet {
    let mut set = SkillSet::default();
    for source in SkillSource::ALL {
        let Some(root) = source.root(repo_root, home) else { continue };
        for path in skill_files(&root) {
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(err) => {
                    set.warnings.push(format!("skill {} was skipped: cannot read it: {err}", path.display()));
                    continue;
                }
            };
            let front = match front_matter::parse(&text) {
                Ok(front) => front,
                Err(err) => {
                    set.warnings.push(format!("skill {} was skipped: {err}", path.display()));
                    continue;
                }
            };
            if let Some(first) = set.skills.iter().find(|s| s.name == front.name) {
                set.warnings.push(format!(
                    "skill `{}` is defined twice: {} is used and {} is ignored (rename one to keep both)",
                    front.name,
                    first.path.display(),
                    path.display()
                ));
                continue;
            }
            set.skills.push(Skill { name: front.name, description: front.description, path, source });
        }
    }
    set
}

/// The SKILL.md files under `root`: in each folder directly under it, or, for folders without one, in
/// the folders one level further down (so skills can be grouped). Sorted by path so the outcome of a
/// name clash within one root does not depend on the file system's listing order.
fn skill_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for dir in subdirectories(root) {
        let file = dir.join(SKILL_MD);
        if file.is_file() {
            found.push(file);
            continue;
        }
        found.extend(subdirectories(&dir).into_iter().map(|d| d.join(SKILL_MD)).filter(|f| f.is_file()));
    }
    found
}

/// The directories directly inside `dir`, sorted; empty when `dir` cannot be listed.
fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    dirs
}

/// The developer message listing `skills` for the model: names, one-line descriptions and paths, never
/// the bodies. `None` when there are no skills.
pub fn context_text(skills: &[Skill]) -> Option<String> {
    if skills.is_empty() {
        return None;
    }
    let mut text = String::from(
        "<skills>\nSkills are instructions for particular kinds of task, each in a SKILL.md file. When the task \
         matches a skill's description, read its SKILL.md with your file tools before you start, then the files \
         it points to (paths in it are relative to its folder). Do not read skills that do not apply.\n",
    );
    for skill in skills {
        let description = skill.description.split_whitespace().collect::<Vec<_>>().join(" ");
        text.push_str(&format!("- {}: {} (file: {})\n", skill.name, description, skill.path.display()));
    }
    text.push_str("</skills>");
    Some(text)
}

/// The skills `prompt` invokes as `$name`, in order of first mention. A `$` counts only at a word start
/// and only when the whole name after it is a known skill, so `$5`, `$HOME` and `a$b` are left alone.
pub fn invoked<'a>(prompt: &str, skills: &'a [Skill]) -> Vec<&'a Skill> {
    let mut found: Vec<&Skill> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in prompt.char_indices() {
        let at_word_start = previous.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '$'));
        previous = Some(c);
        if c != '$' || !at_word_start {
            continue;
        }
        let rest = &prompt[at + 1..];
        let end = rest.find(|ch: char| !front_matter::is_name_char(ch)).unwrap_or(rest.len());
        let word = &rest[..end];
        if let Some(skill) = skills.iter().find(|s| s.name == word)
            && !found.iter().any(|f| f.name == skill.name)
        {
            found.push(skill);
        }
    }
    found
}

/// The developer message for a skill the user invoked explicitly: use it, where it is, and its body
/// (read now, capped at `MAX_INVOKED_BODY_BYTES`).
///
/// Fails when the SKILL.md can no longer be read or parsed; the error says which file and why, and the
/// caller warns and carries on without it.
pub fn invocation_text(skill: &Skill) -> Result<String, String> {
    let text =
        std::fs::read_to_string(&skill.path).map_err(|err| format!("cannot read {}: {err}", skill.path.display()))?;
    let front = front_matter::parse(&text).map_err(|err| format!("{}: {err}", skill.path.display()))?;
    let folder = skill.path.parent().unwrap_or(&skill.path);
    let body = front.body.trim();
    let (body, cut) = match body.len() > MAX_INVOKED_BODY_BYTES {
        true => (crate::context::cut_at_char_boundary(body, MAX_INVOKED_BODY_BYTES), true),
        false => (body, false),
    };
    let mut out = format!(
        "<skill name=\"{}\">\nThe user asked for the skill `{}` explicitly: follow it for this task. Its file is {}, and \
         the paths it mentions are relative to {}; read them with your file tools when the steps need them.\n\n{}",
        skill.name,
        skill.name,
        skill.path.display(),
        folder.display(),
        body
    );
    if cut {
        out.push_str(&format!(
            "\n\n[braid cut the skill here at {MAX_INVOKED_BODY_BYTES} bytes; read the rest from {}]",
            skill.path.display()
        ));
    }
    out.push_str("\n</skill>");
    Ok(out)
}

#[cfg(test)]
mod tests;
