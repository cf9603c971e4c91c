//! Escape attempts: real commands run under the `workspace-write` (and `read-only`) confinement, each of
//! which must fail, with the world outside the writable roots unchanged; and the things that must keep
//! working inside them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use braid_sandbox::exec::{ExecOutput, ExecRequest, run};
use braid_sandbox::{Confinement, Policy, SandboxSpec};

/// A workspace and a scratch temp dir that are writable, and an `outside` directory next to them that
/// is not, holding `target.txt` ("original").
struct Jail {
    _root: tempfile::TempDir,
    workspace: PathBuf,
    scratch: PathBuf,
    outside: PathBuf,
}

impl Jail {
    fn new() -> Jail {
        let root = tempfile::tempdir().unwrap();
        let workspace = root.path().join("workspace");
        let scratch = root.path().join("scratch");
        let outside = root.path().join("outside");
        for dir in [&workspace, &scratch, &outside] {
            std::fs::create_dir(dir).unwrap();
        }
        std::fs::write(outside.join("target.txt"), "original").unwrap();
        std::fs::write(workspace.join("inside.txt"), "mine").unwrap();
        Jail { _root: root, workspace, scratch, outside }
    }

    fn spec(&self, policy: Policy, network: bool) -> SandboxSpec {
        SandboxSpec {
            policy,
            writable_roots: vec![self.workspace.clone(), self.scratch.clone()],
            network,
            deny_read: Vec::new(),
        }
    }

    async fn run_with(&self, spec: &SandboxSpec, script: &str) -> ExecOutput {
        let confinement = Arc::new(Confinement::prepare(spec).unwrap());
        let request = ExecRequest {
            argv: vec!["bash".into(), "-c".into(), script.into()],
            cwd: self.workspace.clone(),
            env: vec![("OUTSIDE".into(), self.outside.display().to_string())],
            env_policy: Default::default(),
            confinement: Some(confinement),
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
