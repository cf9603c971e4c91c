//! Which of braid's own environment variables a command the model runs may see. By default every
//! variable whose name says it holds a credential is withheld, so that a command cannot print an API
//! key into the conversation (and so to the model provider).

/// Words that mark a variable as a credential when they appear in its name (case-insensitively).
const SECRET_WORDS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];
/// Variables that grant access without looking like a secret: an agent socket signs with the user's
/// keys on request.
const SECRET_NAMES: &[&str] = &["SSH_AUTH_SOCK", "GPG_AGENT_INFO"];

/// Which inherited variables a command does not get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvPolicy {
    /// Further variables to withhold, by exact name (the configured providers' key variables, and
    /// whatever the user lists).
    pub remove: Vec<String>,
    /// Pass credential-looking variables through after all (the user asked for it in config);
    /// `remove` still applies.
    pub inherit_secrets: bool,
    /// Variables every command gets, such as a run attempt's `BRAID_ATTEMPT` and `BRAID_PORT`.
    pub set: Vec<(String, String)>,
}

impl EnvPolicy {
    /// Whether the variable `name` is withheld.
    pub fn withholds(&self, name: &str) -> bool {
        self.remove.iter().any(|r| r == name) || (!self.inherit_secrets && looks_secret(name))
    }

    /// The names among `names` that are withheld, in order.
    pub fn withheld<I, S>(&self, names: I) -> Vec<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        names.into_iter().filter(|n| self.withholds(n.as_ref())).map(|n| n.as_ref().to_string()).collect()
    }
}

/// Whether a variable's name says it holds a credential.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAMES.contains(&upper.as_str()) || SECRET_WORDS.iter().any(|word| upper.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_withheld_and_others_kept() {
        let policy = EnvPolicy { remove: vec!["LAB_AUTH".into()], inherit_secrets: false, set: Vec::new() };
        let names = [
            "OPENAI_API_KEY",
            "anthropic_api_key",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "PGPASSWORD",
            "SSH_AUTH_SOCK",
            "LAB_AUTH",
            "PATH",
            "HOME",
            "CARGO_HOME",
            "LANG",
        ];
        // The first seven are credentials; the rest are not.
        assert_eq!(policy.withheld(names), names[..7]);
        let lenient = EnvPolicy { remove: vec!["LAB_AUTH".into()], inherit_secrets: true, set: Vec::new() };
        assert_eq!(lenient.withheld(names), ["LAB_AUTH"]);
    }
}
