//! `braid model ...` end to end: the real binary with a private BRAID_HOME.

use std::path::Path;

use assert_cmd::Command;

fn braid(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("braid").unwrap();
    cmd.env("BRAID_HOME", home).env_remove("RUST_LOG").timeout(std::time::Duration::from_secs(60));
    cmd
}

/// A GGUF header with two string metadata entries and no tensors: enough for `model add`.
fn tiny_gguf() -> Vec<u8> {
    braid_test_support::gguf_header(&[("general.architecture", "qwen2"), ("general.name", "Tiny Qwen")], &[])
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn model_add_list_rm() {
    let home = tempfile::tempdir().unwrap();
    let gguf = home.path().join("tiny.gguf");
    std::fs::write(&gguf, tiny_gguf()).unwrap();
    let added = stdout_of(braid(home.path()).args(["model", "add"]).arg(&gguf).args(["--name", "tiny"]));
    assert!(added.starts_with("added tiny (") && added.contains("family qwen2"), "{added}");

    let listed = stdout_of(braid(home.path()).args(["model", "list"]));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&home.path().display().to_string()), "[BRAID_HOME]");
    settings.bind(|| insta::assert_snapshot!(listed));

    stdout_of(braid(home.path()).args(["model", "rm", "tiny"]));
    let err = braid(home.path()).args(["model", "rm", "tiny"]).assert().failure().get_output().stderr.clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("unknown model `tiny`"), "{err}");
}

fn regex_escape(text: &str) -> String {
    text.chars().flat_map(|c| if r"\.+*?()|[]{}^$#&-~".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
}

#[test]
fn model_bad_input() {
    let home = tempfile::tempdir().unwrap();
    let check = |args: &[&str], path: Option<&Path>, needle: &str| {
        let mut cmd = braid(home.path());
        cmd.args(args);
        if let Some(path) = path {
            cmd.env("PATH", path);
        }
        let out = cmd.assert().failure().get_output().clone();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
    };
    let not_gguf = home.path().join("notes.txt");
    std::fs::write(&not_gguf, "hello").unwrap();
    let empty_bin = home.path().join("bin");
    std::fs::create_dir(&empty_bin).unwrap();

    check(&["model", "pull", "gpt-17"], None, "`gpt-17` is not in the catalog");
    check(&["model", "pull", "smollm2-135m"], Some(&empty_bin), "apt-get install python3-pip");
    check(&["model", "add", not_gguf.to_str().unwrap(), "--name", "n"], None, "is not a GGUF model");
    check(&["model", "add", not_gguf.to_str().unwrap(), "--name", "n"], None, not_gguf.to_str().unwrap());
    check(&["model", "add", "/nonexistent.gguf", "--name", "n"], None, "/nonexistent.gguf");
}
