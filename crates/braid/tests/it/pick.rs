//! `braid pick --merge|--squash` and `braid restore` end to end: a run of three attempts made by a `cmd:`
//! agent, one picked into the branch the run started from, the others archived, one restored, and the
//! refusals (a second pick, a dirty checkout in the way) that change nothing.

use std::path::Path;

use braid_test_support::{TempRepo, tree_snapshot};

use crate::harness::{Env, jsonl};

/// Each attempt writes its own file and says so.
const AGENT: &str = r#"cd "$BRAID_WORKTREE"
printf 'attempt %s\n' "$BRAID_ATTEMPT" > "file$BRAID_ATTEMPT.txt"
echo "Wrote file$BRAID_ATTEMPT.txt."
"#;

/// Makes a run of three attempts in `repo` and returns its id.
fn three_attempts(env: &Env, repo: &TempRepo, dir: &Path) -> String {
    let agent = dir.join("agent.sh");
    std::fs::write(&agent, AGENT).unwrap();
    let spec = format!("cmd:sh {}", agent.display());
    let out = env.braid(repo.path()).args(["run", "Write a file", "-n", "3", "--agent", &spec]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = env.braid(repo.path()).args(["runs", "--json"]).output().unwrap();
    jsonl(&out.stdout)[0]["run"]["id"].as_str().unwrap().to_string()
}

/// Runs git in the repository and returns its output without the trailing newline.
fn git(repo: &TempRepo, args: &[&str]) -> String {
    repo.git(args).trim_end().to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn pick_merges_one_attempt_archives_the_rest_and_restore_brings_one_back() {
    let repo = TempRepo::new();
    let dir = tempfile::tempdir().unwrap();
    let env = Env::with_config("");
    let run = three_attempts(&env, &repo, dir.path());
    git(&repo, &["branch", "other"]);
    let other = git(&repo, &["rev-parse", "other"]);
    let attempt2 = git(&repo, &["rev-parse", &format!("braid/{run}/2")]);

    let out = env.braid(repo.path()).args(["pick", &format!("{run}/2"), "--merge"]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains(&format!("picked attempt 2 of run {run}: fast-forwarded main")), "{stdout}");
    for n in 1..=3 {
        assert!(stdout.contains(&format!("archived attempt {n} as refs/braid/archive/{run}/{n}")), "{stdout}");
    }
    assert_eq!(git(&repo, &["rev-parse", "main"]), attempt2);
    assert_eq!(repo.read("file2.txt"), "attempt 2\n");
    assert!(!repo.path().join("file1.txt").exists());
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&repo, &["for-each-ref", "--format=%(refname)", &format!("refs/braid/archive/{run}/")]).lines().count(),
        3
    );
    assert_eq!(git(&repo, &["branch", "--list", "braid/*"]), "");
    assert!(!repo.path().join(".braid/worktrees").join(&run).exists());
    assert_eq!(git(&repo, &["rev-parse", "other"]), other);

    let show = text(&env.braid(repo.path()).args(["show", &run]).output().unwrap().stdout);
    assert_eq!(show.matches("· removed ·").count(), 3, "{show}");
    assert!(show.contains(&format!("picked: #2 · merge · main is now {}", &attempt2[..10])), "{show}");

    // A run is picked once.
    let out = env.braid(repo.path()).args(["pick", &format!("{run}/1"), "--merge"]).output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already picked (attempt 2)"), "{}", text(&out.stderr));
    assert_eq!(git(&repo, &["rev-parse", "main"]), attempt2);

    // Restore attempt 1: its branch and worktree are back, and the store says committed.
    let out = env.braid(repo.path()).args(["restore", &format!("{run}/1")]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = text(&out.stdout).trim().to_string();
    assert!(path.ends_with(&format!(".braid/worktrees/{run}/1")), "{path}");
    assert_eq!(std::fs::read_to_string(Path::new(&path).join("file1.txt")).unwrap(), "attempt 1\n");
    assert!(git(&repo, &["branch", "--list", &format!("braid/{run}/1")]).contains("braid/"));
    let show = text(&env.braid(repo.path()).args(["show", &run]).output().unwrap().stdout);
    assert!(show.contains(&format!("#1 cmd:sh {} · committed", dir.path().join("agent.sh").display())), "{show}");
    let out = env.braid(repo.path()).args(["restore", &format!("{run}/1")]).output().unwrap();
    assert!(!out.status.success() && text(&out.stderr).contains("nothing to restore"), "{}", text(&out.stderr));

    let fsck = git(&repo, &["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(!fsck.contains("missing") && !fsck.contains("error"), "{fsck}");
}

#[test]
fn squash_reports_json_and_a_dirty_checkout_in_the_way_is_refused() {
    let repo = TempRepo::new();
    let dir = tempfile::tempdir().unwrap();
    let env = Env::with_config("");
    let run = three_attempts(&env, &repo, dir.path());

    // The user has their own uncommitted file2.txt: the pick would overwrite it, so nothing changes.
    repo.write("file2.txt", "mine\n");
    let before = tree_snapshot(repo.path());
    let out = env.braid(repo.path()).args(["pick", &format!("{run}/2"), "--squash"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("file2.txt") && stderr.contains("commit or stash them"), "{stderr}");
    before.assert_same(&tree_snapshot(repo.path()));
    assert_eq!(git(&repo, &["branch", "--list", "braid/*"]).lines().count(), 3);

    // Without the file in the way the squash goes through; unrelated dirt stays.
    std::fs::remove_file(repo.path().join("file2.txt")).unwrap();
    repo.write("README.md", "# my edit\n");
    let base = git(&repo, &["rev-parse", "main"]);
    let out = env.braid(repo.path()).args(["pick", &format!("{run}/2"), "--squash", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json = &jsonl(&out.stdout)[0];
    assert_eq!(json["kind"], "squash");
    assert_eq!(json["how"], "squash");
    assert_eq!(json["target_branch"], "main");
    assert_eq!(json["old_tip"], base.as_str());
    assert_eq!(json["new_tip"], git(&repo, &["rev-parse", "main"]).as_str());
    assert_eq!(json["archive"]["archived"].as_array().unwrap().len(), 3);
    assert_eq!(git(&repo, &["rev-parse", "main^"]), base);
    assert_eq!(git(&repo, &["log", "-1", "--format=%s", "main"]), "Write a file");
    assert_eq!(repo.read("README.md"), "# my edit\n");
    assert_eq!(repo.read("file2.txt"), "attempt 2\n");

    // Flags that do not go together, and a missing one, are clap's to refuse.
    let out = env.braid(repo.path()).args(["pick", &format!("{run}/1")]).output().unwrap();
    assert!(!out.status.success());
    let out = env.braid(repo.path()).args(["pick", &format!("{run}/1"), "--merge", "--squash"]).output().unwrap();
    assert!(!out.status.success());
}
