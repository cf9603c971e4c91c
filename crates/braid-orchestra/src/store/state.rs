//! The states an attempt and a run move through, and which moves between attempt states are legal.
//!
//! Each attempt state is recorded *before* the side effect it names, so that after a crash the store says
//! which side effect may be half done: an attempt found in `creating` may have a worktree or may not, one
//! found in `committing` may have its commit or may not. `docs/store.md` spells out what `braid gc` and
//! `braid run --resume` do with each state.

use std::fmt;
use std::str::FromStr;

/// Where one attempt of a run stands. The string forms (`as_str`) are what the store writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttemptState {
    /// Known to the run, nothing done yet: no worktree, no branch. Also where an interrupted attempt goes
    /// back to when a resume decides to redo it.
    Pending,
    /// About to run `git worktree add`: the worktree and its branch may or may not exist.
    Creating,
    /// The worktree and its branch exist; no setup has run.
    Created,
    /// The setup script (copying `.env`, installing dependencies) is about to run or running; the
    /// worktree may be partly set up.
    SettingUp,
    /// The agent is about to start or is working in the worktree; it may hold uncommitted edits.
    Running,
    /// The agent is done and its result is being committed on the attempt's branch; the commit may or
    /// may not exist.
    Committing,
    /// The result is committed on the attempt's branch (the commit sha is recorded). Final.
    Committed,
    /// The attempt ended with an error (recorded). Final.
    Failed,
    /// The attempt was stopped by the user or the run was cancelled. Final.
    Cancelled,
    /// The attempt's branch, if it had one, is kept as `refs/braid/archive/<run>/<n>`, so its commit stays
    /// reachable; the worktree may still exist.
    Archived,
    /// The worktree is gone. Nothing further happens to this attempt unless `braid restore` brings it back.
    Removed,
}

impl AttemptState {
    /// Every state, in the order an attempt normally passes through them.
    pub const ALL: [AttemptState; 11] = [
        AttemptState::Pending,
        AttemptState::Creating,
        AttemptState::Created,
        AttemptState::SettingUp,
        AttemptState::Running,
        AttemptState::Committing,
        AttemptState::Committed,
        AttemptState::Failed,
        AttemptState::Cancelled,
        AttemptState::Archived,
        AttemptState::Removed,
    ];

    /// The name the store writes and the CLI shows.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Pending => "pending",
            AttemptState::Creating => "creating",
            AttemptState::Created => "created",
            AttemptState::SettingUp => "setting_up",
            AttemptState::Running => "running",
            AttemptState::Committing => "committing",
            AttemptState::Committed => "committed",
            AttemptState::Failed => "failed",
            AttemptState::Cancelled => "cancelled",
            AttemptState::Archived => "archived",
            AttemptState::Removed => "removed",
        }
    }

    /// True for the states in which work is still to be done: `pending` up to `committing`. These are the
    /// states a crash can leave an attempt in and that a resume picks up.
    pub fn is_unfinished(self) -> bool {
        matches!(
            self,
            AttemptState::Pending
                | AttemptState::Creating
                | AttemptState::Created
                | AttemptState::SettingUp
                | AttemptState::Running
                | AttemptState::Committing
        )
    }

    /// True for the states an attempt's work ends in: `committed`, `failed` and `cancelled`.
    pub fn is_final(self) -> bool {
        matches!(self, AttemptState::Committed | AttemptState::Failed | AttemptState::Cancelled)
    }

    /// True when an attempt may move from `self` to `to`. The normal path is pending → creating →
    /// created → (setting_up →) running → committing → committed; any unfinished state may fail or be
    /// cancelled; a state that was interrupted mid-work (creating to committing) may go back to pending so
    /// a resume redoes it; final states are archived, and archived attempts removed; `braid restore`
    /// moves an archived or removed attempt back to the final state it had (its branch and worktree are
    /// back).
    pub fn can_move_to(self, to: AttemptState) -> bool {
        use AttemptState::*;
        match (self, to) {
            (Pending, Creating)
            | (Creating, Created)
            | (Created, SettingUp)
            // No setup script configured: straight to the agent.
            | (Created, Running)
            | (SettingUp, Running)
            | (Running, Committing)
            | (Committing, Committed) => true,
            (Archived | Removed, to) => to.is_final() || (self == Archived && to == Removed),
            (from, Failed | Cancelled) => from.is_unfinished(),
            (Creating | Created | SettingUp | Running | Committing, Pending) => true,
            (from, Archived) => from.is_final(),
            _ => false,
        }
    }
}

impl fmt::Display for AttemptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`AttemptState`]'s or [`RunState`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} state `{name}` (known: {known})")]
pub struct UnknownState {
    pub what: &'static str,
    pub name: String,
    pub known: String,
}

impl FromStr for AttemptState {
    type Err = UnknownState;

    /// Parses a name written by [`AttemptState::as_str`]; fails on any other string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttemptState::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| UnknownState {
            what: "attempt",
            name: s.to_string(),
            known: AttemptState::ALL.map(AttemptState::as_str).join(", "),
        })
    }
}

/// Where a whole run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunState {
    /// The run's braid process is (as far as this machine can tell) working on it.
    Running,
    /// Every attempt reached a final state and the run ended normally.
    Finished,
    /// The braid process running it died (a crash or `kill -9`) before it finished. The store reports a
    /// `running` run whose recorded process is gone as interrupted; a resume picks it up again.
    Interrupted,
    /// The user stopped the run.
    Cancelled,
}

impl RunState {
    /// Every run state.
    pub const ALL: [RunState; 4] = [RunState::Running, RunState::Finished, RunState::Interrupted, RunState::Cancelled];

    /// The name the store writes and the CLI shows.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Interrupted => "interrupted",
            RunState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RunState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunState {
    type Err = UnknownState;

    /// Parses a name written by [`RunState::as_str`]; fails on any other string.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RunState::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| UnknownState {
            what: "run",
            name: s.to_string(),
            known: RunState::ALL.map(RunState::as_str).join(", "),
        })
    }
}

// The store's names are the JSON forms too, so `braid show --json` and the database agree.
impl serde::Serialize for AttemptState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for AttemptState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for RunState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for state in AttemptState::ALL {
            assert_eq!(state.as_str().parse::<AttemptState>(), Ok(state));
        }
        for state in RunState::ALL {
            assert_eq!(state.as_str().parse::<RunState>(), Ok(state));
        }
        let err = "done".parse::<AttemptState>().unwrap_err();
        assert!(err.to_string().contains("unknown attempt state `done`"), "{err}");
        assert!(err.to_string().contains("setting_up"), "{err}");
    }

    #[test]
    fn unfinished_and_final_do_not_overlap() {
        for state in AttemptState::ALL {
            assert!(!(state.is_unfinished() && state.is_final()), "{state}");
        }
    }
}
