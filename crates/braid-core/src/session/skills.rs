//! The session's side of skills: finding them when a session starts (with warnings for the files
//! skipped), listing them in the context, and adding a skill's body when a prompt invokes it as `$name`.

use std::path::Path;

use braid_protocol::{AgentEvent, Item};

use super::{Session, SessionError};
use crate::skills;

impl Session {
    /// Finds the skills for `repo_root` and braid's home (none when `options.skills` is off) and warns
    /// about every SKILL.md that was skipped. With `record`, lists them for the model in a developer item.
    pub(super) fn load_skills(&mut self, repo_root: &Path, record: bool) -> Result<(), SessionError> {
        if !self.options.skills {
            return Ok(());
        }
        let set = skills::discover(repo_root, self.options.home.as_deref());
        if record && let Some(text) = skills::context_text(&set.skills) {
            self.record_item(Item::developer(text))?;
        }
        self.skills = set.skills;
        self.skill_warnings = set.warnings;
        Ok(())
    }

    /// Emits the warnings `load_skills` collected; called once `SessionStarted` is out, so that front
    /// ends see them as part of the session.
    pub(super) fn emit_skill_warnings(&mut self) {
        for message in std::mem::take(&mut self.skill_warnings) {
            self.emit(AgentEvent::Warning { message });
        }
    }

    /// Adds, for each skill `input` invokes as `$name`, a developer item with the skill's body. A skill
    /// whose file has become unreadable since the session started gets a warning instead.
    pub(super) fn record_invoked_skills(&mut self, input: &str) -> Result<(), SessionError> {
        let invoked: Vec<skills::Skill> = skills::invoked(input, &self.skills).into_iter().cloned().collect();
        for skill in invoked {
            match skills::invocation_text(&skill) {
                Ok(text) => self.record_item(Item::developer(text))?,
                Err(problem) => self.emit(AgentEvent::Warning {
                    message: format!("skill `{}` was asked for but cannot be used: {problem}", skill.name),
                }),
            }
        }
        Ok(())
    }
}
