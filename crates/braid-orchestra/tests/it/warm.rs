//! Warm starts: seeding a worktree's caches from a main checkout in real temporary git repositories,
//! checking what is copied, what is left alone, and that a failure leaves nothing half-made.

use std::fs::{File, FileTimes};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use braid_orchestra::warm::{
    SeedMethod, SkipReason, WarmError, WarmMode, WarmOptions, WarmReport, align_source_times, seed,
};
use braid_test_support::TempRepo;

fn write(root: &Path, rel: &str, contents: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A main checkout that ignores `target/` and `node_modules/`, has a tracked `build/` directory, and
/// has caches on disk at all three.
fn main_checkout() -> TempRepo {
    let repo = TempRepo::new();
    repo.write(".gitignore", "/target\nnode_modules/\n");
    repo.write("build/gen.sh", "echo tracked\n");
    repo.write("src/lib.rs", "pub fn f() {}\n");
    repo.commit_all("sources");
    write(repo.path(), "target/debug/app", "binary");
    write(repo.path(), "target/debug/.fingerprint/app/hash", "1234");
    write(repo.path(), "node_modules/left-pad/index.js", "module.exports = 1;\n");
    write(repo.path(), "build/out.o", "object");
    repo
}

fn options(mode: WarmMode, paths: &[&str]) -> WarmOptions {
    WarmOptions { mode, paths: paths.iter().map(|p| p.to_string()).collect() }
}

fn seeded(report: &WarmReport) -> Vec<&str> {
    report.entries.iter().map(|e| e.path.as_str()).collect()
}

fn skipped(report: &WarmReport) -> Vec<(&str, SkipReason)> {
    report.skipped.iter().map(|s| (s.path.as_str(), s.reason)).collect()
}

/// Every entry of a directory tree, relative to it, sorted, so two trees can be compared.
fn listing(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn copies_only_ignored_paths_that_exist() {
    let main = main_checkout();
    let worktree = tempfile::tempdir().unwrap();
    let report = seed(main.path(), worktree.path(), &WarmOptions::new(WarmMode::Copy)).unwrap();

    assert_eq!(seeded(&report), ["target", "node_modules"]);
    assert!(skipped(&report).contains(&("build", SkipReason::NotIgnored)), "{report:?}");
    assert!(skipped(&report).contains(&(".venv", SkipReason::Missing)), "{report:?}");
    assert_eq!(std::fs::read_to_string(worktree.path().join("target/debug/app")).unwrap(), "binary");
    assert_eq!(listing(&main.path().join("target")), listing(&worktree.path().join("target")));
    assert!(!worktree.path().join("build").exists(), "a tracked directory was seeded");
    let target = &report.entries[0];
    assert_eq!((target.method, target.files, target.bytes), (SeedMethod::Copy, 2, 10));
    // Nothing but the seeded paths: no staging directory is left beside them.
    let names: Vec<_> = std::fs::read_dir(worktree.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn nested_ignore_files_and_info_exclude_decide_like_git() {
    let main = TempRepo::new();
    main.write(".gitignore", "build/\n");
    main.write("web/.gitignore", "node_modules\n");
    main.write("lib/.gitignore", "!build/\n");
    main.write("web/app.js", "");
    main.write("lib/x", "");
    main.commit_all("ignores");
    std::fs::write(main.path().join(".git/info/exclude"), ".venv\n").unwrap();
    for dir in ["web/node_modules/a", "lib/build", "build", ".venv/lib", ".tox"] {
        write(main.path(), &format!("{dir}/file"), "x");
    }
    let worktree = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(worktree.path().join("web")).unwrap();
    std::fs::create_dir_all(worktree.path().join("lib")).unwrap();
    let paths = ["web/node_modules", "lib/build", "build", ".venv", ".tox"];
    let report = seed(main.path(), worktree.path(), &options(WarmMode::Copy, &paths)).unwrap();

    assert_eq!(seeded(&report), ["web/node_modules", "build", ".venv"]);
    assert_eq!(skipped(&report), [("lib/build", SkipReason::NotIgnored), (".tox", SkipReason::NotIgnored)]);
    assert!(worktree.path().join("web/node_modules/a/file").is_file());
}

#[test]
fn symbolic_links_stay_links_and_are_never_followed() {
    let main = main_checkout();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret/big", "not to be copied");
    std::os::unix::fs::symlink(outside.path().join("secret"), main.path().join("target/abs")).unwrap();
    std::os::unix::fs::symlink("debug/app", main.path().join("target/rel")).unwrap();
    std::os::unix::fs::symlink("../../nowhere", main.path().join("target/dangling")).unwrap();
    // A cache that is itself a link (to a cache shared on purpose) is not seeded at all.
    std::os::unix::fs::symlink(outside.path(), main.path().join("node_modules.link")).unwrap();
    std::fs::remove_dir_all(main.path().join("node_modules")).unwrap();
    std::fs::rename(main.path().join("node_modules.link"), main.path().join("node_modules")).unwrap();

    let worktree = tempfile::tempdir().unwrap();
    let report = seed(main.path(), worktree.path(), &WarmOptions::new(WarmMode::Copy)).unwrap();

    assert_eq!(seeded(&report), ["target"]);
    assert!(skipped(&report).contains(&("node_modules", SkipReason::Symlink)), "{report:?}");
    for (name, target) in
        [("abs", outside.path().join("secret")), ("rel", "debug/app".into()), ("dangling", "../../nowhere".into())]
    {
        let link = worktree.path().join("target").join(name);
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "{name}");
        assert_eq!(std::fs::read_link(&link).unwrap(), target, "{name}");
    }
    assert_eq!(report.entries[0].files, 2, "files behind links were counted: {report:?}");
}

#[test]
fn permissions_and_times_are_kept() {
    let main = main_checkout();
    let old = SystemTime::UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789);
    let set = |rel: &str, mode: u32| {
        let path = main.path().join(rel);
        File::open(&path).unwrap().set_times(FileTimes::new().set_modified(old).set_accessed(old)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    std::os::unix::fs::symlink("app", main.path().join("target/debug/link")).unwrap();
    set("target/debug/app", 0o751);
    set("target/debug/.fingerprint/app/hash", 0o444);
    set("target/debug/.fingerprint/app", 0o555);
    set("target/debug", 0o750);
    let worktree = tempfile::tempdir().unwrap();
    seed(main.path(), worktree.path(), &options(WarmMode::Copy, &["target"])).unwrap();

    for rel in ["target", "target/debug", "target/debug/app", "target/debug/.fingerprint/app/hash", "target/debug/link"]
    {
        let (before, after) = (
            std::fs::symlink_metadata(main.path().join(rel)).unwrap(),
            std::fs::symlink_metadata(worktree.path().join(rel)).unwrap(),
        );
        assert_eq!(before.mode(), after.mode(), "{rel}");
        assert_eq!(before.modified().unwrap(), after.modified().unwrap(), "{rel}");
    }
    let app = std::fs::metadata(worktree.path().join("target/debug/app")).unwrap();
    assert_eq!(app.modified().unwrap(), old);
    assert_ne!(app.ino(), std::fs::metadata(main.path().join("target/debug/app")).unwrap().ino());
}

#[test]
fn hardlink_mode_shares_inodes() {
    let main = main_checkout();
    let worktree = tempfile::tempdir().unwrap();
    let report = seed(main.path(), worktree.path(), &options(WarmMode::Hardlink, &["target"])).unwrap();

    assert_eq!(report.entries[0].method, SeedMethod::Hardlink);
    let (before, after) = (
        std::fs::metadata(main.path().join("target/debug/app")).unwrap(),
        std::fs::metadata(worktree.path().join("target/debug/app")).unwrap(),
    );
    assert_eq!((before.dev(), before.ino()), (after.dev(), after.ino()));
    assert_eq!(after.nlink(), 2);
    // Directories are never linked: the worktree's target/ is its own.
    assert_ne!(
        std::fs::metadata(main.path().join("target")).unwrap().ino(),
        std::fs::metadata(worktree.path().join("target")).unwrap().ino()
    );
}

#[test]
fn a_worktree_on_another_file_system_falls_back_to_copies() {
    let main = main_checkout();
    let Ok(other) = tempfile::tempdir_in("/dev/shm") else { return };
    let dev = |p: &Path| std::fs::metadata(p).unwrap().dev();
    if dev(other.path()) == dev(main.path()) {
        return;
    }
    for mode in [WarmMode::Hardlink, WarmMode::Auto] {
        let worktree = tempfile::tempdir_in(other.path()).unwrap();
        let report = seed(main.path(), worktree.path(), &options(mode, &["target"])).unwrap();
        assert_eq!(report.entries[0].method, SeedMethod::Copy, "{mode}");
        assert_eq!(std::fs::read_to_string(worktree.path().join("target/debug/app")).unwrap(), "binary");
    }
}

#[test]
fn auto_mode_clones_or_falls_back_to_a_copy() {
    let main = main_checkout();
    let worktree = tempfile::tempdir().unwrap();
    let report = seed(main.path(), worktree.path(), &options(WarmMode::Auto, &["target", "node_modules"])).unwrap();

    // ext4 and tmpfs refuse clones (Copy); btrfs and XFS accept them (Reflink). Either way the bytes match,
    // and the refusal is remembered for the next path.
    let methods: Vec<_> = report.entries.iter().map(|e| e.method).collect();
    assert!(methods == [SeedMethod::Copy; 2] || methods == [SeedMethod::Reflink; 2], "{methods:?}");
    assert_eq!(
        std::fs::read_to_string(worktree.path().join("node_modules/left-pad/index.js")).unwrap(),
        "module.exports = 1;\n"
    );
    assert_ne!(
        std::fs::metadata(main.path().join("target/debug/app")).unwrap().ino(),
        std::fs::metadata(worktree.path().join("target/debug/app")).unwrap().ino()
    );
}

#[test]
fn existing_worktree_content_is_never_overwritten() {
    let main = main_checkout();
    let worktree = tempfile::tempdir().unwrap();
    write(worktree.path(), "target/mine", "the attempt's own");
    std::os::unix::fs::symlink("/nonexistent", worktree.path().join("node_modules")).unwrap();
    let report = seed(main.path(), worktree.path(), &WarmOptions::new(WarmMode::Copy)).unwrap();

    assert!(report.entries.is_empty(), "{report:?}");
    assert!(skipped(&report).contains(&("target", SkipReason::Present)));
    assert!(skipped(&report).contains(&("node_modules", SkipReason::Present)));
    assert_eq!(listing(&worktree.path().join("target")), [PathBuf::from("mine")]);
    assert_eq!(std::fs::read_link(worktree.path().join("node_modules")).unwrap(), Path::new("/nonexistent"));
}

#[test]
fn a_parent_that_is_a_link_is_not_followed() {
    let main = TempRepo::new();
    main.write(".gitignore", "node_modules/\n");
    main.write("web/app.js", "");
    main.commit_all("web");
    write(main.path(), "web/node_modules/a", "x");
    let worktree = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), worktree.path().join("web")).unwrap();
    let report = seed(main.path(), worktree.path(), &options(WarmMode::Copy, &["web/node_modules"])).unwrap();

    assert_eq!(skipped(&report), [("web/node_modules", SkipReason::Symlink)]);
    assert_eq!(listing(elsewhere.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_failure_midway_leaves_nothing_behind() {
    let main = main_checkout();
    // A file the copy cannot make: the worktree sits deep enough that the staged copy of this path passes
    // PATH_MAX (4096 bytes) while the original stays under it. Root reads unreadable files, so a name
    // that is too long is the failure that works for every user.
    let segment = "d".repeat(200);
    let deep: String = (0..18).map(|_| segment.as_str()).collect::<Vec<_>>().join("/");
    write(main.path(), &format!("target/{deep}/last"), "x");
    write(main.path(), "target/a-first", "copied before the failure");
    std::fs::set_permissions(main.path().join("target/debug"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let base = tempfile::tempdir().unwrap();
    let worktree = base.path().join("w".repeat(250)).join("w".repeat(250));
    std::fs::create_dir_all(&worktree).unwrap();

    let err = seed(main.path(), &worktree, &options(WarmMode::Copy, &["node_modules", "target"])).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, WarmError::Io { ref path, .. } if path == "target"), "{message}");
    assert!(message.starts_with("cannot seed `target`"), "{message}");
    // The path seeded before the failure stays; of the failed one nothing remains, not even staging.
    let names: Vec<_> = std::fs::read_dir(&worktree).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["node_modules"]);

    if unsafe { libc::geteuid() } != 0 {
        std::fs::remove_dir_all(main.path().join(format!("target/{}", segment))).unwrap();
        let unreadable = main.path().join("target/debug/app");
        std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
        let worktree = tempfile::tempdir().unwrap();
        let err = seed(main.path(), worktree.path(), &options(WarmMode::Copy, &["target"])).unwrap_err();
        assert!(err.to_string().contains(&unreadable.display().to_string()), "{err}");
        assert_eq!(listing(worktree.path()), Vec::<PathBuf>::new());
    }
}

#[test]
fn off_does_nothing_and_bad_paths_are_refused() {
    let main = main_checkout();
    let worktree = tempfile::tempdir().unwrap();
    let report = seed(main.path(), worktree.path(), &WarmOptions::new(WarmMode::Off)).unwrap();
    assert_eq!(report, WarmReport::default());
    assert_eq!(listing(worktree.path()), Vec::<PathBuf>::new());

    for bad in ["../target", "/tmp"] {
        let err = seed(main.path(), worktree.path(), &options(WarmMode::Copy, &["target", bad])).unwrap_err();
        assert!(matches!(err, WarmError::BadPath { .. }), "{err}");
        assert!(err.to_string().contains(bad), "{err}");
    }
    // A bad path is refused before anything is copied.
    assert_eq!(listing(worktree.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_seeded_virtual_environment_points_at_itself() {
    let main = TempRepo::new();
    main.write(".gitignore", ".venv/\n");
    main.commit_all("ignore");
    let venv = main.path().join(".venv");
    let old = std::fs::canonicalize(main.path()).unwrap().join(".venv");
    write(main.path(), ".venv/pyvenv.cfg", "home = /usr/bin\n");
    write(main.path(), ".venv/bin/pip", &format!("#!{}/bin/python\nimport pip\n", old.display()));
    write(main.path(), ".venv/bin/activate", &format!("VIRTUAL_ENV='{}'\n", old.display()));
    write(main.path(), ".venv/lib/site.py", &format!("# {}\n", old.display()));
    std::os::unix::fs::symlink("/usr/bin/python3", venv.join("bin/python")).unwrap();
    let worktree = tempfile::tempdir().unwrap();
    seed(main.path(), worktree.path(), &options(WarmMode::Hardlink, &[".venv"])).unwrap();

    let new = std::fs::canonicalize(worktree.path()).unwrap().join(".venv");
    let pip = std::fs::read_to_string(worktree.path().join(".venv/bin/pip")).unwrap();
    assert_eq!(pip, format!("#!{}/bin/python\nimport pip\n", new.display()));
    let activate = std::fs::read_to_string(worktree.path().join(".venv/bin/activate")).unwrap();
    assert_eq!(activate, format!("VIRTUAL_ENV='{}'\n", new.display()));
    // The main checkout's scripts are untouched although the seed linked them first.
    let main_pip = std::fs::read_to_string(venv.join("bin/pip")).unwrap();
    assert!(main_pip.starts_with(&format!("#!{}/bin/python", old.display())), "{main_pip}");
    assert_eq!(std::fs::metadata(venv.join("bin/pip")).unwrap().nlink(), 1);
    // Only bin/ is rewritten; the rest stays linked.
    assert_eq!(std::fs::metadata(venv.join("lib/site.py")).unwrap().nlink(), 2);
    assert_eq!(std::fs::read_link(worktree.path().join(".venv/bin/python")).unwrap(), Path::new("/usr/bin/python3"));
}

#[test]
fn a_real_git_worktree_gets_the_main_checkouts_target() {
    let main = main_checkout();
    let parent = tempfile::tempdir().unwrap();
    let worktree = parent.path().join("attempt-1");
    main.git(&["worktree", "add", "-q", "-b", "braid/run/1", worktree.to_str().unwrap()]);
    let report = seed(main.path(), &worktree, &WarmOptions::default()).unwrap();

    assert_eq!(seeded(&report), ["target", "node_modules"]);
    assert!(skipped(&report).contains(&("build", SkipReason::NotIgnored)), "{report:?}");
    let status = main.git(&["-C", worktree.to_str().unwrap(), "status", "--porcelain", "--ignored"]);
    assert_eq!(status, "!! node_modules/\n!! target/\n");
}

#[test]
fn aligned_source_times_follow_identical_files_only() {
    let main = main_checkout();
    main.write("src/same.rs", "same\n");
    main.write("src/changed.rs", "main's version\n");
    main.commit_all("more sources");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    for rel in ["src/lib.rs", "src/same.rs", "src/changed.rs", "target/debug/app"] {
        File::open(main.path().join(rel)).unwrap().set_times(FileTimes::new().set_modified(old)).unwrap();
    }
    let parent = tempfile::tempdir().unwrap();
    let worktree = parent.path().join("attempt");
    main.git(&["worktree", "add", "-q", "--detach", worktree.to_str().unwrap()]);
    std::fs::write(worktree.join("src/changed.rs"), "the attempt's version\n").unwrap();
    write(&worktree, "target/debug/app", "binary");
    std::fs::set_permissions(worktree.join("src/same.rs"), std::fs::Permissions::from_mode(0o444)).unwrap();

    let aligned = align_source_times(main.path(), &worktree, &["target".to_string()]).unwrap();
    let modified = |rel: &str| std::fs::metadata(worktree.join(rel)).unwrap().modified().unwrap();
    assert_eq!(modified("src/lib.rs"), old);
    assert_eq!(modified("src/same.rs"), old);
    assert_ne!(modified("src/changed.rs"), old, "a file that differs from the main checkout's kept its time");
    assert_ne!(modified("target/debug/app"), old, "a skipped cache was touched");
    // README.md, .gitignore, build/gen.sh, build/out.o (committed by the `add -A` above) and the two equal
    // sources: all identical to the main checkout's.
    assert_eq!(aligned, 6, "{:?}", listing(&worktree));
    let status = main.git(&["-C", worktree.to_str().unwrap(), "status", "--porcelain"]);
    assert_eq!(status, " M src/changed.rs\n");
}
