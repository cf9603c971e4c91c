//! `braid skills list`: the skills a session started in the working directory would offer the model,
//! in precedence order, with the files that were skipped (and why) on stderr.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use braid_core::skills;

use crate::cli::{GlobalArgs, SkillsListArgs};
use crate::exec::{braid_home, load_config, working_dir};

/// Runs `braid skills list`. Fails only when braid's home, the config or the working directory cannot
/// be read, or stdout cannot be written; broken skills are warnings.
pub fn list(global: &GlobalArgs, args: &SkillsListArgs) -> anyhow::Result<ExitCode> {
    let home = braid_home()?;
    let config = load_config(&home, global)?;
    let cwd = working_dir(global.cd.as_deref(), None)?;
    let set = skills::discover(&skills::repo_root(&cwd), Some(&home));

    let mut err = std::io::stderr().lock();
    for warning in &set.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    if !config.skills_enabled() {
        let _ = writeln!(
            err,
            "note: skills are turned off in {} (`skills = false`), so sessions do not offer these",
            config.path.display()
        );
    }

    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&set.skills).context("cannot encode the skills as JSON")?;
        json.push('\n');
        json
    } else if set.skills.is_empty() {
        "no skills found; add folders with a SKILL.md under .braid/skills in the repository or under \
         $BRAID_HOME/skills\n"
            .to_string()
    } else {
        let mut text = String::new();
        for skill in &set.skills {
            let description = skill.description.split_whitespace().collect::<Vec<_>>().join(" ");
            text.push_str(&format!(
                "{} ({})\n  {}\n  {}\n",
                skill.name,
                skill.source.label(),
                description,
                skill.path.display()
            ));
        }
        text
    };
    std::io::stdout().lock().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
