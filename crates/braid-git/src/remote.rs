//! Remotes: reading a remote's URL and pushing an attempt's branch to it, for `braid pick --pr`.

use crate::GitError;
use crate::cmd::Git;
use crate::repo::Repo;

impl Repo {
    /// Returns the fetch URL of remote `name` as configured (`remote.<name>.url`, after git's
    /// `insteadOf` rewriting).
    ///
    /// Fails with [`GitError::NoSuchRemote`] when no such remote is configured and [`GitError::Command`]
    /// when git fails otherwise.
    pub fn remote_url(&self, name: &str) -> Result<String, GitError> {
        let git = Git::new(self.root(), ["remote", "get-url", "--"]).arg(name);
        let output = git.output()?;
        if output.success {
            return Ok(output.text());
        }
        // git answers "No such remote" with exit status 2.
        if output.code == Some(2) {
            return Err(GitError::NoSuchRemote { remote: name.to_string(), repo: self.root().to_path_buf() });
        }
        Err(git.failed(&output))
    }

    /// Pushes local branch `branch` to the branch of the same name on `remote` (a remote's name or a
    /// URL), without force: a remote branch that moved elsewhere makes the push fail instead of being
    /// overwritten. Returns git's porcelain report of the ref it updated.
    ///
    /// Fails with [`GitError::NoSuchBranch`] when the local branch does not exist and with
    /// [`GitError::Command`] (git's stderr included: rejected push, unknown remote, authentication) when
    /// git fails.
    pub fn push(&self, remote: &str, branch: &str) -> Result<String, GitError> {
        let local = format!("refs/heads/{branch}");
        let exists =
            Git::new(self.root(), ["rev-parse", "--verify", "--quiet"]).arg(format!("{local}^{{commit}}")).output()?;
        if !exists.success {
            return Err(GitError::NoSuchBranch { branch: branch.to_string(), repo: self.root().to_path_buf() });
        }
        let git = Git::new(self.root(), ["push", "--porcelain", "--"]).arg(remote).arg(format!("{local}:{local}"));
        let output = git.output()?;
        if !output.success {
            // With --porcelain git reports a rejection on stdout; keep both so the error says why.
            let mut failed = git.failed(&output);
            if let GitError::Command { stderr, .. } = &mut failed {
                let report = output.text();
                if !report.is_empty() {
                    stderr.push_str(&report);
                }
            }
            return Err(failed);
        }
        Ok(output.text())
    }
}
