//! Escape attempts: real commands run under the `workspace-write` (and `read-only`) confinement, each of
//! which must fail, with the world outside the writable roots unchanged; and the things that must keep
//! working inside them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use braid_sandbox::exec::{ExecOutput, ExecRequest, run};
use braid_sandbox::{Confinement, Policy, SandboxSpec};

/// A workspace and a scratch temp dir that are writable, an `outside` directory next to them that
/// is not, holding `target.txt` ("original"), and a `home` with secrets (`.ssh/id_ed25519`, `.netrc`)
/// that every spec lists in `deny_read`.
struct Jail {
    _root: tempfile::TempDir,
    workspace: PathBuf,
    scratch: PathBuf,
    outside: PathBuf,
    home: PathBuf,
}

/// What the secret files hold; no confined command's output may contain it.
const SECRET: &str = "SECRET-MATERIAL";

impl Jail {
    fn new() -> Jail {
        let root = tempfile::tempdir().unwrap();
        let workspace = root.path().join("workspace");
        let scratch = root.path().join("scratch");
        let outside = root.path().join("outside");
        let home = root.path().join("home");
        for dir in [&workspace, &scratch, &outside, &home.join(".ssh")] {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(outside.join("target.txt"), "original").unwrap();
        std::fs::write(workspace.join("inside.txt"), "mine").unwrap();
        std::fs::write(home.join(".ssh/id_ed25519"), format!("{SECRET} key")).unwrap();
        std::fs::write(home.join(".netrc"), format!("machine x password {SECRET}")).unwrap();
        Jail { _root: root, workspace, scratch, outside, home }
    }

    fn spec(&self, policy: Policy, network: bool) -> SandboxSpec {
        SandboxSpec {
            policy,
            writable_roots: vec![self.workspace.clone(), self.scratch.clone()],
            network,
            // `.aws` does not exist: it is skipped.
            deny_read: [".ssh", ".netrc", ".aws"].iter().map(|name| self.home.join(name)).collect(),
            read_only: Vec::new(),
        }
    }

    async fn run_with(&self, spec: &SandboxSpec, script: &str) -> ExecOutput {
        self.run_in(Some(spec), &self.workspace, script).await
    }

    /// Runs `script` in `cwd`, confined by `spec` (unconfined with `None`), with `$OUTSIDE` and
    /// `$SECRETS` (the home) set.
    async fn run_in(&self, spec: Option<&SandboxSpec>, cwd: &Path, script: &str) -> ExecOutput {
        let request = ExecRequest {
            argv: vec!["bash".into(), "-c".into(), script.into()],
            cwd: cwd.to_path_buf(),
            env: vec![
                ("OUTSIDE".into(), self.outside.display().to_string()),
                ("SECRETS".into(), self.home.display().to_string()),
            ],
            env_policy: Default::default(),
            confinement: spec.map(|spec| Arc::new(Confinement::prepare(spec).unwrap())),
            timeout: Duration::from_secs(30),
            max_output_bytes: 64 * 1024,
        };
        run(request).await.unwrap()
    }

    async fn confined(&self, script: &str) -> ExecOutput {
        self.run_with(&self.spec(Policy::WorkspaceWrite, false), script).await
    }

    /// Runs `script` confined and asserts it failed and left `outside` as it was.
    async fn must_fail(&self, script: &str) {
        let before = snapshot(&self.outside);
        let out = self.confined(script).await;
        assert_ne!(out.exit_code, Some(0), "escaped: {script}\n{}", out.output);
        // The shell tool tells the model about a refusal only when the output shows one.
        assert!(braid_sandbox::looks_denied(&out.output), "refused without saying so: {script}\n{}", out.output);
        assert_eq!(snapshot(&self.outside), before, "outside changed: {script}\n{}", out.output);
    }
}

/// Every path under `dir` with its contents (or `<dir>`, `-> target`), sorted.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "<dir>".into()
            } else {
                std::fs::read_to_string(&path).unwrap_or_else(|_| "<unreadable>".into())
            };
            found.push((path.display().to_string(), what));
        }
    }
    found.sort();
    found
}

fn python(code: &str) -> String {
    format!("python3 -c '{code}'")
}

#[tokio::test]
async fn writes_outside_the_roots_fail() {
    let jail = Jail::new();
    for script in [
        "echo x > \"$OUTSIDE/new.txt\"",
        "echo x >> \"$OUTSIDE/target.txt\"",
        "echo x > ../outside/new.txt",
        "touch ../outside/new.txt",
        "cp inside.txt ../outside/",
        "tee ../outside/new.txt < inside.txt",
        "dd if=inside.txt of=../outside/new.txt",
        "truncate -s 0 ../outside/target.txt",
        "mkdir ../outside/dir",
        "mkfifo ../outside/fifo",
        "ln -s /etc/passwd ../outside/link",
        "rm ../outside/target.txt",
        "git init -q ../outside/repo",
        "echo x > /proc/self/root\"$OUTSIDE\"/new.txt",
        "echo x > /proc/self/cwd/../outside/new.txt",
        &python(
            "import os, sys; os.open(sys.argv[1] if len(sys.argv) > 1 else \"../outside/p.txt\", os.O_CREAT | os.O_WRONLY)",
        ),
    ] {
        jail.must_fail(script).await;
    }
}

#[tokio::test]
async fn links_and_renames_across_the_boundary_fail() {
    let jail = Jail::new();
    for script in [
        // A symlink inside pointing out: writing through it resolves outside.
        "ln -s ../outside out && echo x > out/new.txt",
        "ln -s ../outside/target.txt lnk && echo x >> lnk",
        // A hard link to an outside file, made inside, to write through it.
        "ln ../outside/target.txt hard && echo x >> hard",
        // Renames into a root from outside, and out of a root.
        "mv ../outside/target.txt ./stolen.txt",
        "mv inside.txt ../outside/",
        "ln inside.txt ../outside/hard",
    ] {
        jail.must_fail(script).await;
    }
}

#[tokio::test]
async fn other_writable_places_are_closed() {
    let jail = Jail::new();
    let shm = format!("/dev/shm/braid-escape-{}", std::process::id());
    jail.must_fail(&format!("echo x > {shm}")).await;
    assert!(!Path::new(&shm).exists());
    let home_file = format!("/root/braid-escape-{}", std::process::id());
    jail.must_fail(&format!("echo x > {home_file}")).await;
    assert!(!Path::new(&home_file).exists());
    // A new session does not shed the confinement.
    jail.must_fail("setsid -w bash -c 'echo x > ../outside/new.txt'").await;
    jail.must_fail("nohup bash -c 'echo x > ../outside/new.txt'").await;
}

#[tokio::test]
async fn a_descriptor_braid_holds_is_not_inherited() {
    let jail = Jail::new();
    // Opened without close-on-exec, the way a careless parent would leak it.
    let path = std::ffi::CString::new(jail.outside.join("target.txt").display().to_string()).unwrap();
    // SAFETY: a plain open of a valid path; the descriptor is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_APPEND) };
    assert!(fd > 2);
    let out = jail.confined(&format!("echo leaked >&{fd}")).await;
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    assert_ne!(out.exit_code, Some(0), "{}", out.output);
    assert_eq!(std::fs::read_to_string(jail.outside.join("target.txt")).unwrap(), "original");
}

#[tokio::test]
async fn the_network_is_closed() {
    let jail = Jail::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    for script in [
        format!("echo hi > /dev/tcp/127.0.0.1/{port}"),
        python(&format!("import socket; socket.create_connection((\"127.0.0.1\", {port}), 2)")),
        python("import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"x\", (\"127.0.0.1\", 9))"),
        // A DNS query to a resolver on this machine is a UDP datagram like any other.
        python("import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"q\", (\"127.0.0.53\", 53))"),
        python("import socket; socket.socket(socket.AF_INET6, socket.SOCK_STREAM)"),
        python("import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen()"),
    ] {
        jail.must_fail(&script).await;
    }
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "nothing connected");
}

#[tokio::test]
async fn ptrace_io_uring_signals_and_abstract_sockets_are_refused() {
    let jail = Jail::new();
    let errno_of = |call: &str| {
        python(&format!(
            "import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); r = {call}; sys.exit(0 if r != -1 else 3)"
        ))
    };
    for script in [
        errno_of("libc.ptrace(0, 0, 0, 0)"),
        errno_of("libc.syscall(425, 8, ctypes.create_string_buffer(256))"),
        // A process outside the sandbox (the test itself) cannot be signalled.
        format!("kill -0 {}", std::process::id()),
    ] {
        let out = jail.confined(&script).await;
        assert_ne!(out.exit_code, Some(0), "{script}\n{}", out.output);
    }
    let name = format!("braid-escape-{}", std::process::id());
    let listener =
        <std::os::unix::net::SocketAddr as std::os::linux::net::SocketAddrExt>::from_abstract_name(name.as_bytes())
            .unwrap();
    let _server = std::os::unix::net::UnixListener::bind_addr(&listener).unwrap();
    let out = jail
        .confined(&python(&format!("import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"\\0{name}\")")))
        .await;
    assert_ne!(out.exit_code, Some(0), "{}", out.output);
}

#[tokio::test]
async fn work_inside_the_roots_succeeds() {
    let jail = Jail::new();
    let out = jail
        .confined(
            "set -e; echo new > made.txt; mkdir -p sub/dir; mv made.txt sub/dir/; ln -s sub link; \
             cat link/dir/made.txt; echo scratch > \"$(dirname \"$PWD\")/scratch/t\"; rm inside.txt; \
             cat /etc/hostname > /dev/null; ls / > /dev/null; git init -q repo && git -C repo status --short",
        )
        .await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert!(out.output.starts_with("new"), "{}", out.output);
    assert_eq!(std::fs::read_to_string(jail.scratch.join("t")).unwrap(), "scratch\n");
}

#[tokio::test]
async fn read_only_allows_reading_and_nothing_else() {
    let jail = Jail::new();
    let spec = jail.spec(Policy::ReadOnly, false);
    let out = jail.run_with(&spec, "cat inside.txt && ls .. > /dev/null").await;
    assert_eq!((out.exit_code, out.output.as_str()), (Some(0), "mine"));
    let out = jail.run_with(&spec, "echo x > inside.txt").await;
    assert_ne!(out.exit_code, Some(0));
    assert_eq!(std::fs::read_to_string(jail.workspace.join("inside.txt")).unwrap(), "mine");
}

#[tokio::test]
async fn the_network_switch_opens_it() {
    let jail = Jail::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let spec = jail.spec(Policy::WorkspaceWrite, true);
    let out = jail.run_with(&spec, &format!("echo hi > /dev/tcp/127.0.0.1/{port}")).await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    let (mut stream, _) = listener.accept().unwrap();
    let mut got = String::new();
    std::io::Read::read_to_string(&mut stream, &mut got).unwrap();
    assert_eq!(got, "hi\n");
    let _ = stream.flush();
}

#[tokio::test]
async fn building_and_testing_a_small_crate_inside_the_workspace_works() {
    let jail = Jail::new();
    let out = jail
        .confined(
            // The linker needs a temp dir; in braid that is one of the writable roots, here the scratch one.
            "set -e; export CARGO_TARGET_DIR=\"$PWD/target\" TMPDIR=\"$(dirname \"$PWD\")/scratch\"; \
             cargo new -q --lib --vcs none tiny && cd tiny && cargo test -q --offline 2>&1",
        )
        .await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert!(out.output.contains("test result: ok. 1 passed"), "{}", out.output);
}

#[tokio::test]
async fn secret_locations_cannot_be_read_under_either_policy() {
    let jail = Jail::new();
    for policy in [Policy::WorkspaceWrite, Policy::ReadOnly] {
        let spec = jail.spec(policy, false);
        for script in [
            "cat \"$SECRETS/.ssh/id_ed25519\"",
            "ls \"$SECRETS/.ssh\"",
            "cat \"$SECRETS/.netrc\"",
            "grep -r . \"$SECRETS\"",
            "cat /proc/self/root\"$SECRETS/.ssh/id_ed25519\"",
            "cd \"$SECRETS/.ssh\" && cat id_ed25519",
            "chmod 700 \"$SECRETS/.ssh\" \"$SECRETS/.netrc\"; cat \"$SECRETS/.ssh/id_ed25519\" \"$SECRETS/.netrc\"",
            "umount \"$SECRETS/.ssh\"; umount \"$SECRETS/.netrc\"; cat \"$SECRETS/.ssh/id_ed25519\" \"$SECRETS/.netrc\"",
            "unshare -rm sh -c 'umount \"$SECRETS/.ssh\"; cat \"$SECRETS/.ssh/id_ed25519\"'",
            "mount -t tmpfs none \"$OUTSIDE\"; mount --bind / \"$PWD\" && cat \"$PWD$SECRETS/.ssh/id_ed25519\"",
        ] {
            let out = jail.run_with(&spec, script).await;
            assert_ne!(out.exit_code, Some(0), "read a secret under {}: {script}\n{}", policy.name(), out.output);
            assert!(!out.output.contains(SECRET), "secret shown under {}: {script}\n{}", policy.name(), out.output);
            assert!(braid_sandbox::looks_denied(&out.output), "refused without saying so: {script}\n{}", out.output);
        }
    }
    // The files themselves are untouched, and readable outside the sandbox.
    let key = std::fs::read_to_string(jail.home.join(".ssh/id_ed25519")).unwrap();
    assert!(key.starts_with(SECRET));
}

impl Jail {
    /// Makes the workspace a git repository with one commit, a `.braid/config.toml`, and a linked
    /// worktree next to it (whose `.git` is a file), all set up unconfined; returns the worktree.
    async fn init_repo(&self) -> PathBuf {
        let linked = self.workspace.parent().unwrap().join("linked");
        let script = format!(
            "set -e; git init -q; git -c user.name=t -c user.email=t@t commit -q --allow-empty -m init; \
             mkdir .git/hooks -p .braid; echo original > .braid/config.toml; git worktree add -q {}",
            linked.display()
        );
        let out = self.run_in(None, &self.workspace, &script).await;
        assert_eq!(out.exit_code, Some(0), "{}", out.output);
        assert!(linked.join(".git").is_file());
        linked
    }
}

#[tokio::test]
async fn git_and_braid_state_stay_read_only() {
    let jail = Jail::new();
    let linked = jail.init_repo().await;
    let mut spec = jail.spec(Policy::WorkspaceWrite, false);
    spec.writable_roots.push(linked.clone());
    let state = || {
        let mut all = snapshot(&jail.workspace.join(".git"));
        all.extend(snapshot(&jail.workspace.join(".braid")));
        all.push(("linked".into(), std::fs::read_to_string(linked.join(".git")).unwrap()));
        all
    };
    let before = state();
    for script in [
        "echo x > .git/hooks/pre-commit",
        "rm .git/config",
        "rm -rf .git",
        "mv .git g",
        "echo x > .braid/config.toml",
        "rm -rf .braid",
        "echo x > /proc/self/root\"$PWD\"/.git/hooks/h",
        "umount .git",
        "mount -o remount,rw .git",
        "unshare -rm sh -c 'umount .git; echo x > .git/hooks/h'",
        "git config core.hooksPath /tmp",
        "ln .git/config hard && echo x >> hard",
        "cd .git && echo x > hooks/h",
        "echo gitdir: /tmp > ../linked/.git",
        "rm ../linked/.git",
    ] {
        let out = jail.run_with(&spec, script).await;
        assert_ne!(out.exit_code, Some(0), "wrote git state: {script}\n{}", out.output);
        assert_eq!(state(), before, "git state changed: {script}\n{}", out.output);
        assert!(braid_sandbox::looks_denied(&out.output), "refused without saying so: {script}\n{}", out.output);
    }
    // A command whose working directory is inside `.git` sees the read-only mount too.
    let out = jail.run_in(Some(&spec), &jail.workspace.join(".git"), "echo x > hooks/h").await;
    assert_ne!(out.exit_code, Some(0), "{}", out.output);
    assert_eq!(state(), before);

    let out = jail
        .run_with(
            &spec,
            "set -e; echo x > src.txt; git status --short; git -C ../linked status --short; cat .braid/config.toml",
        )
        .await;
    assert_eq!(out.exit_code, Some(0), "{}", out.output);
    assert!(out.output.contains("?? src.txt") && out.output.ends_with("original\n"), "{}", out.output);
}
