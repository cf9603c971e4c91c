//! Commands the model runs are confined by default (`workspace-write`): a write outside the working
//! directory is refused by the kernel and reported to the model as a sandbox denial; `--sandbox
//! full-access` lifts it.

use braid_test_support::{Reply, Script, ScriptedServer, TempRepo, Turn};
use serde_json::json;

use crate::harness::Env;

fn script(target: &str) -> Script {
    Script::new([
        Reply::Turn(Turn::new().tool_call(
            "c1",
            "shell",
            json!({"command": ["sh", "-c", format!("echo inside > inside.txt; echo escaped > {target}")]}),
        )),
        Reply::Turn(Turn::new().text("done")),
    ])
}

#[test]
fn the_default_sandbox_refuses_writes_outside_and_says_so() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(std::env::current_dir().unwrap()).unwrap();
    let target = outside.path().join("escaped.txt");
    let server = ScriptedServer::start(script(&target.display().to_string()));
    let env = Env::new(&server, "chat");
    let out = env.braid(repo.path()).args(["exec", "write a file"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!target.exists(), "the write outside the workspace went through");
    assert_eq!(repo.read("inside.txt"), "inside\n", "writes inside the workspace work");
    let seen = &server.requests()[1].tool_outputs()[0].1;
    assert!(
        seen.contains("Permission denied")
            && seen.contains("braid sandbox: this command runs under the workspace-write policy"),
        "{seen}"
    );

    let server = ScriptedServer::start(script(&target.display().to_string()));
    let env = Env::new(&server, "chat");
    let out = env.braid(repo.path()).args(["--sandbox", "full-access", "exec", "write a file"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "escaped\n");

    let out = env.braid(repo.path()).args(["--sandbox", "open", "exec", "x"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("use read-only, workspace-write or full-access"));
}

#[test]
fn braid_sandbox_runs_one_command_under_a_policy() {
    let repo = TempRepo::new();
    let outside = tempfile::tempdir_in(std::env::current_dir().unwrap()).unwrap();
    let target = outside.path().join("x.txt");
    let env = Env::with_config("");
    let run = |args: &[&str]| env.braid(repo.path()).arg("sandbox").args(args).output().unwrap();

    let out = run(&["--", "sh", "-c", "echo inside > f.txt && cat f.txt"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "inside\n");

    let out = run(&["--", "sh", "-c", &format!("echo x > {}", target.display())]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Permission denied") && stderr.contains("under workspace-write"), "{stderr}");
    assert!(!target.exists());

    let out = run(&[
        "--writable",
        outside.path().to_str().unwrap(),
        "--",
        "sh",
        "-c",
        &format!("echo x > {}", target.display()),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run(&["--policy", "read-only", "--", "touch", "new.txt"]);
    assert!(!out.status.success());
    assert!(!repo.path().join("new.txt").exists());

    let out = run(&["--policy", "nope", "--", "true"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown sandbox policy `nope`"));
    let out = run(&["--", "no-such-program-xyz"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("command not found"));
}

#[test]
fn braid_sandbox_hides_secret_locations_in_home() {
    let repo = TempRepo::new();
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".ssh")).unwrap();
    let key = home.path().join(".ssh/id_ed25519");
    std::fs::write(&key, "FAKE-PRIVATE-KEY-TEXT").unwrap();
    std::fs::write(home.path().join(".netrc"), "machine h password FAKE-NETRC-TEXT").unwrap();
    let env = Env::with_config("");
    let run =
        |args: &[&str]| env.braid(repo.path()).env("HOME", home.path()).arg("sandbox").args(args).output().unwrap();

    for policy in ["workspace-write", "read-only"] {
        for target in [key.clone(), home.path().join(".netrc")] {
            let out = run(&["--policy", policy, "--", "cat", target.to_str().unwrap()]);
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(!out.status.success(), "{policy}: {all}");
            assert!(!all.contains("FAKE-PRIVATE-KEY-TEXT") && !all.contains("FAKE-NETRC-TEXT"), "{policy}: {all}");
            assert!(all.contains("Permission denied") && all.contains("unreadable:"), "{policy}: {all}");
        }
    }
    // braid's own home (sessions, models, config) is hidden too.
    let out = run(&["--", "cat", env.home.path().join("config.toml").to_str().unwrap()]);
    assert!(!out.status.success());

    // `[sandbox] deny_read` replaces the default list.
    std::fs::write(env.home.path().join("config.toml"), "[sandbox]\ndeny_read = [\"~/.netrc\"]\n").unwrap();
    let out = run(&["--", "cat", key.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["--", "cat", home.path().join(".netrc").to_str().unwrap()]);
    assert!(!out.status.success());
    std::fs::write(env.home.path().join("config.toml"), "[sandbox]\ndeny_read = [\"secrets\"]\n").unwrap();
    let out = run(&["--", "true"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("entry `secrets` is relative"), "{out:?}");
}
