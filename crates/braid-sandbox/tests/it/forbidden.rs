//! A plan's forbidden paths under `workspace-write`: real commands that try to change them fail the way
//! any sandbox refusal does (and `looks_denied` says so), while their neighbours stay writable.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use braid_sandbox::exec::{ExecOutput, ExecRequest, run};
use braid_sandbox::{Confinement, PathGlobs, Policy, SandboxSpec, forbidden_mounts};

/// A workspace holding `forbidden.txt`, `free.txt`, `locked/old.sql` and `open/`, where `forbidden.txt`
/// and everything under `locked/` are forbidden.
struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
    spec: SandboxSpec,
}

impl Workspace {
    fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("locked")).unwrap();
        std::fs::create_dir_all(root.join("open")).unwrap();
        std::fs::write(root.join("forbidden.txt"), "keep me").unwrap();
        std::fs::write(root.join("free.txt"), "free").unwrap();
        std::fs::write(root.join("locked/old.sql"), "old").unwrap();
        let globs = PathGlobs::new(&["forbidden.txt".to_string(), "locked/**".to_string()]).unwrap();
        let read_only = forbidden_mounts(&root, &globs);
        assert_eq!(read_only, vec![root.join("forbidden.txt"), root.join("locked")]);
        let spec = SandboxSpec {
            policy: Policy::WorkspaceWrite,
            writable_roots: vec![root.clone()],
            network: false,
            deny_read: Vec::new(),
            read_only,
        };
        Workspace { _dir: dir, root, spec }
    }

    async fn run(&self, script: &str) -> ExecOutput {
        let request = ExecRequest {
            argv: vec!["bash".into(), "-c".into(), script.into()],
            cwd: self.root.clone(),
            env: Vec::new(),
            env_policy: Default::default(),
            confinement: Some(Arc::new(Confinement::prepare(&self.spec).unwrap())),
            timeout: Duration::from_secs(30),
            max_output_bytes: 64 * 1024,
        };
        run(request).await.unwrap()
    }

    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }
}

fn exists(root: &Path, path: &str) -> bool {
    std::fs::symlink_metadata(root.join(path)).is_ok()
}

#[tokio::test]
async fn changing_a_forbidden_path_is_refused_like_a_sandbox_denial() {
    let ws = Workspace::new();
    std::fs::write(ws.root.join("other.txt"), "other").unwrap();
    for script in [
        "echo x > forbidden.txt",
        "echo x >> forbidden.txt",
        "truncate -s 0 forbidden.txt",
        "rm forbidden.txt",
        "rm -f forbidden.txt",
        "mv other.txt forbidden.txt",
        "mv forbidden.txt moved.txt",
        "cp free.txt forbidden.txt",
        "echo x > locked/new.sql",
        "touch locked/new.sql",
        "mkdir locked/sub",
        "echo x > locked/old.sql",
        "rm locked/old.sql",
        "rm -rf locked",
        "mv locked gone",
        "mv free.txt locked/",
        "ln -s /etc/passwd locked/link",
        "python3 -c 'open(\"forbidden.txt\", \"w\").write(\"x\")'",
    ] {
        let out = ws.run(script).await;
        assert_ne!(out.exit_code, Some(0), "not refused: {script}\n{}", out.output);
        assert!(braid_sandbox::looks_denied(&out.output), "refused without saying so: {script}\n{}", out.output);
        assert_eq!(ws.read("forbidden.txt").as_deref(), Some("keep me"), "{script}");
        assert_eq!(ws.read("locked/old.sql").as_deref(), Some("old"), "{script}");
        for made in ["locked/new.sql", "locked/sub", "locked/link", "locked/free.txt", "moved.txt", "gone"] {
            assert!(!exists(&ws.root, made), "{script} made {made}");
        }
    }
    assert_eq!(ws.read("other.txt").as_deref(), Some("other"));
    assert_eq!(ws.read("free.txt").as_deref(), Some("free"));
}

#[tokio::test]
async fn neighbours_of_forbidden_paths_stay_writable() {
    let ws = Workspace::new();
    let out = ws
        .run("echo changed > free.txt && echo new > open/new.txt && mkdir lockedx && echo y > lockedx/a && cat forbidden.txt")
        .await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert!(out.output.contains("keep me"), "forbidden files stay readable: {}", out.output);
    assert_eq!(ws.read("free.txt").as_deref(), Some("changed\n"));
    assert_eq!(ws.read("open/new.txt").as_deref(), Some("new\n"));
    assert_eq!(ws.read("lockedx/a").as_deref(), Some("y\n"));
}
