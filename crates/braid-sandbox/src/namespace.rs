//! The mount-namespace half of confinement: what Landlock cannot express. Landlock only grants rights,
//! so it cannot make `<root>/.git` read-only inside a writable root, nor hide `~/.ssh` inside a
//! readable `/`. A confined command therefore starts in its own user and mount namespace in which
//! `.git`, `.braid` and the spec's `read_only` paths (a plan's forbidden files) are bind-mounted
//! read-only and every secret location is covered: a directory by
//! an empty read-only tmpfs with mode 000, a file by an empty mode-000 file.
//!
//! As in `confine.rs`, everything that allocates (paths, map text, mount data, flag words, the decoy
//! file) is prepared in the parent by `MountPlan::new`; `MountPlan::enter` only makes system calls,
//! because it runs between fork and exec in a child of a multithreaded process.
//!
//! The command cannot undo the mounts: Landlock, applied right after, forbids mount and umount; every
//! capability is dropped before exec; and a namespace the command creates itself receives copies of
//! these mounts locked to their parent.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::confine::{ConfineError, Policy, SandboxSpec};

/// What each step of `enter` does, by index, for error messages.
const STEPS: [&str; 10] = [
    "creating a user and mount namespace (unshare CLONE_NEWUSER | CLONE_NEWNS)",
    "writing /proc/self/setgroups",
    "writing /proc/self/uid_map",
    "writing /proc/self/gid_map",
    "making / a private mount",
    "bind-mounting read-only",
    "mounting an empty tmpfs over",
    "bind-mounting an empty file over",
    "re-entering the working directory",
    "dropping capabilities",
];
const STEP_UNSHARE: u32 = 0;
const STEP_SETGROUPS: u32 = 1;
const STEP_UID_MAP: u32 = 2;
const STEP_GID_MAP: u32 = 3;
const STEP_PRIVATE: u32 = 4;
const STEP_READ_ONLY: u32 = 5;
const STEP_HIDE_DIR: u32 = 6;
const STEP_HIDE_FILE: u32 = 7;
const STEP_CWD: u32 = 8;
const STEP_CAPS: u32 = 9;

/// Mount flags the kernel locks on mounts copied into a less privileged namespace; a remount inside
/// such a namespace must repeat them or it fails with EPERM.
const LOCKABLE: [(libc::c_ulong, libc::c_ulong); 6] = [
    (libc::ST_NOSUID, libc::MS_NOSUID),
    (libc::ST_NODEV, libc::MS_NODEV),
    (libc::ST_NOEXEC, libc::MS_NOEXEC),
    (libc::ST_NOATIME, libc::MS_NOATIME),
    (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
    (libc::ST_RELATIME, libc::MS_RELATIME),
];

/// `_LINUX_CAPABILITY_VERSION_3`: capset with two 32-bit words per set.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Distinguishes the decoy files of confinements prepared by one process.
static DECOY_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A path to mount on, with the flags its read-only remount needs.
#[derive(Debug)]
struct Target {
    path: CString,
    remount_flags: libc::c_ulong,
}

/// The empty mode-000 file bind-mounted over secret files; removed when the plan is dropped.
#[derive(Debug)]
struct Decoy {
    path: PathBuf,
    c_path: CString,
    remount_flags: libc::c_ulong,
}

/// Where a step of `enter` failed: the step, the index of the path it was working on, and the errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failure {
    step: u32,
    index: u32,
    errno: i32,
}

/// Everything the child needs to build its namespace, prepared in the parent.
#[derive(Debug)]
pub(crate) struct MountPlan {
    setgroups_path: CString,
    uid_map_path: CString,
    gid_map_path: CString,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    /// `.git` and `.braid` in the writable roots, then the spec's `read_only` paths: bound onto
    /// themselves, then remounted read-only.
    read_only: Vec<Target>,
    /// Secret directories: covered by an empty read-only tmpfs.
    hidden_dirs: Vec<CString>,
    /// Secret files (anything that is not a directory): covered by the decoy.
    hidden_files: Vec<CString>,
    decoy: Option<Decoy>,
}

impl MountPlan {
    /// The namespace `spec` needs: `None` for `full-access`, and when there is nothing to protect
    /// (no `.git`/`.braid` in a writable root, no existing `read_only` path and no existing secret
    /// location), so that no namespace
    /// is made for nothing. Fails when a path cannot be turned into a C string, its mount flags cannot
    /// be read, or the decoy file cannot be created in the temp dir.
    pub(crate) fn new(spec: &SandboxSpec) -> Result<Option<MountPlan>, ConfineError> {
        if spec.policy == Policy::FullAccess {
            return Ok(None);
        }
        let mut read_only = Vec::new();
        if spec.policy == Policy::WorkspaceWrite {
            for root in &spec.writable_roots {
                for name in [".git", ".braid"] {
                    let path = root.join(name);
                    // A `.git` may be a file (a linked worktree points at its repository with one).
                    if std::fs::symlink_metadata(&path).is_ok() {
                        read_only.push(Target { remount_flags: remount_flags(&path)?, path: c_string(&path)? });
                    }
                }
            }
            for path in &spec.read_only {
                // Like a secret location, a forbidden path that does not exist has nothing to mount on.
                if std::fs::symlink_metadata(path).is_ok() {
                    read_only.push(Target { remount_flags: remount_flags(path)?, path: c_string(path)? });
                }
            }
        }
        let mut hidden_dirs = Vec::new();
        let mut hidden_files = Vec::new();
        for path in &spec.deny_read {
            // A location that does not exist holds no secret; mounting needs something to mount on.
            let Ok(meta) = std::fs::metadata(path) else { continue };
            if meta.is_dir() { hidden_dirs.push(c_string(path)?) } else { hidden_files.push(c_string(path)?) }
        }
        if read_only.is_empty() && hidden_dirs.is_empty() && hidden_files.is_empty() {
            return Ok(None);
        }
        let decoy = if hidden_files.is_empty() { None } else { Some(Decoy::create()?) };
        // SAFETY: getuid and getgid cannot fail.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Ok(Some(MountPlan {
            setgroups_path: c"/proc/self/setgroups".to_owned(),
            uid_map_path: c"/proc/self/uid_map".to_owned(),
            gid_map_path: c"/proc/self/gid_map".to_owned(),
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            read_only,
            hidden_dirs,
            hidden_files,
            decoy,
        }))
    }

    /// Checks, once, that this machine lets braid build the namespace: a forked child performs every
    /// step and reports the first failure through a pipe. Fails with `Unsupported` naming the step,
    /// the path and the cause, and how to proceed.
    pub(crate) fn probe(&self, policy: Policy) -> Result<(), ConfineError> {
        let syscall = |what| move |source| ConfineError::Syscall { what, source };
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(syscall("pipe2")(io::Error::last_os_error()));
        }
        // SAFETY: pipe2 just returned these descriptors and nothing else owns them.
        let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        // SAFETY: the child only makes system calls on memory prepared before the fork (`enter` does not
        // allocate) and leaves with `_exit`, so no lock another thread held at the fork is needed.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(syscall("fork")(io::Error::last_os_error()));
        }
        if pid == 0 {
            let report = match self.enter(None) {
                Ok(()) => [u32::MAX, 0, 0],
                Err(failure) => [failure.step, failure.index, failure.errno as u32],
            };
            // SAFETY: writing twelve bytes from a local array to an open pipe, then leaving at once.
            unsafe {
                libc::write(writer.as_raw_fd(), report.as_ptr().cast(), std::mem::size_of_val(&report));
                libc::_exit(0);
            }
        }
        drop(writer);
        let mut report = [0u32; 3];
        // SAFETY: reading at most twelve bytes into a local array from the pipe's read end.
        let read =
            unsafe { libc::read(reader.as_raw_fd(), report.as_mut_ptr().cast(), std::mem::size_of_val(&report)) };
        let mut status = 0;
        // SAFETY: reaping the child forked above.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        if usize::try_from(read).ok() != Some(std::mem::size_of_val(&report)) {
            return Err(ConfineError::Unsupported {
                policy: policy.name(),
                reason: format!("the namespace probe ended without a report (wait status {status})"),
            });
        }
        if report[0] == u32::MAX {
            return Ok(());
        }
        let failure = Failure { step: report[0], index: report[1], errno: report[2] as i32 };
        Err(ConfineError::Unsupported { policy: policy.name(), reason: self.describe(failure) })
    }

    /// What went wrong in words, with the path involved and what the user can do about it.
    fn describe(&self, failure: Failure) -> String {
        let cause = io::Error::from_raw_os_error(failure.errno);
        let step = STEPS.get(failure.step as usize).copied().unwrap_or("an unknown step");
        let index = failure.index as usize;
        let path = match failure.step {
            STEP_READ_ONLY => self.read_only.get(index).map(|t| t.path.as_c_str()),
            STEP_HIDE_DIR => self.hidden_dirs.get(index).map(CString::as_c_str),
            STEP_HIDE_FILE => self.hidden_files.get(index).map(CString::as_c_str),
            _ => None,
        };
        let what = match path {
            Some(path) => format!("{step} {}", path.to_string_lossy()),
            None => step.to_string(),
        };
        if failure.step <= STEP_GID_MAP {
            format!(
                "{what} failed ({cause}), so `.git`/`.braid` cannot be made read-only nor secret locations hidden; enable unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`, or on Ubuntu `sysctl kernel.apparmor_restrict_unprivileged_userns=0`)"
            )
        } else if failure.step == STEP_READ_ONLY {
            format!(
                "{what} failed ({cause}); if that path comes from a plan's `forbidden` list, narrow the glob, otherwise enable unprivileged user namespaces with mounts"
            )
        } else {
            format!(
                "{what} failed ({cause}); remove that path from `[sandbox] deny_read` in config.toml if it is the problem, or enable unprivileged user namespaces with mounts"
            )
        }
    }

    /// Builds the namespace in the calling process and re-enters `cwd` (so a working directory under a
    /// covered path sees the covering mount), then drops every capability. Only for a forked child: it
    /// makes system calls on data prepared in the parent and allocates nothing. Returns the first step
    /// that failed.
    fn enter(&self, cwd: Option<&CStr>) -> Result<(), Failure> {
        let fail = |step, index| Failure { step, index, errno: io::Error::last_os_error().raw_os_error().unwrap_or(0) };
        // SAFETY: every call takes integers or pointers to NUL-terminated strings and buffers owned by
        // `self` (or static), which outlive the calls.
        unsafe {
            if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
                return Err(fail(STEP_UNSHARE, 0));
            }
            // Denying setgroups is what lets an unprivileged process write its own gid map.
            write_file(&self.setgroups_path, b"deny").map_err(|()| fail(STEP_SETGROUPS, 0))?;
            write_file(&self.uid_map_path, &self.uid_map).map_err(|()| fail(STEP_UID_MAP, 0))?;
            write_file(&self.gid_map_path, &self.gid_map).map_err(|()| fail(STEP_GID_MAP, 0))?;
            let root = c"/";
            let none: *const libc::c_char = std::ptr::null();
            if libc::mount(none, root.as_ptr(), none, libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) != 0 {
                return Err(fail(STEP_PRIVATE, 0));
            }
            for (index, target) in (0u32..).zip(&self.read_only) {
                let path = target.path.as_ptr();
                if libc::mount(path, path, none, libc::MS_BIND, std::ptr::null()) != 0
                    || libc::mount(none, path, none, target.remount_flags, std::ptr::null()) != 0
                {
                    return Err(fail(STEP_READ_ONLY, index));
                }
            }
            let tmpfs = c"tmpfs";
            let data = c"mode=000";
            let tmpfs_flags = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
            for (index, dir) in (0u32..).zip(&self.hidden_dirs) {
                if libc::mount(tmpfs.as_ptr(), dir.as_ptr(), tmpfs.as_ptr(), tmpfs_flags, data.as_ptr().cast()) != 0 {
                    return Err(fail(STEP_HIDE_DIR, index));
                }
            }
            if let Some(decoy) = &self.decoy {
                for (index, file) in (0u32..).zip(&self.hidden_files) {
                    let path = file.as_ptr();
                    if libc::mount(decoy.c_path.as_ptr(), path, none, libc::MS_BIND, std::ptr::null()) != 0
                        || libc::mount(none, path, none, decoy.remount_flags, std::ptr::null()) != 0
                    {
                        return Err(fail(STEP_HIDE_FILE, index));
                    }
                }
            }
            // The working directory was entered before the mounts; entering it again resolves it through
            // them, so relative paths cannot reach what a mount covers.
            if let Some(cwd) = cwd
                && libc::chdir(cwd.as_ptr()) != 0
            {
                return Err(fail(STEP_CWD, 0));
            }
            drop_capabilities().map_err(|()| fail(STEP_CAPS, 0))?;
        }
        Ok(())
    }

    /// `enter` for the exec child, with the failure as an `io::Error` (std reports it as the spawn
    /// error).
    pub(crate) fn enter_in_child(&self, cwd: Option<&CStr>) -> io::Result<()> {
        self.enter(cwd).map_err(|failure| io::Error::from_raw_os_error(failure.errno))
    }
}

impl Decoy {
    /// Creates the empty mode-000 file in the temp dir. Fails when it cannot be created or its mount's
    /// flags cannot be read.
    fn create() -> Result<Decoy, ConfineError> {
        let name = format!("braid-hidden-{}-{}", std::process::id(), DECOY_COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        let c_path = c_string(&path)?;
        let _ = std::fs::remove_file(&path);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o000)
            .open(&path)
            .map_err(|source| ConfineError::OpenPath { path: path.clone(), source })?;
        // From here on the decoy owns the file, so it is removed on every way out.
        let mut decoy = Decoy { remount_flags: 0, c_path, path };
        decoy.remount_flags = remount_flags(&decoy.path)?;
        Ok(decoy)
    }
}

impl Drop for Decoy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The flags for a read-only bind remount of `path`: read-only plus whatever the kernel locks on the
/// mount holding it. Fails when `path` cannot be examined.
fn remount_flags(path: &Path) -> Result<libc::c_ulong, ConfineError> {
    let c_path = c_string(path)?;
    // SAFETY: an all-zero statvfs is a valid value for the kernel to overwrite.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is NUL-terminated and `stat` is a valid statvfs to write into.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(ConfineError::OpenPath { path: path.to_path_buf(), source: io::Error::last_os_error() });
    }
    let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
    for (reported, mount_flag) in LOCKABLE {
        if stat.f_flag & reported != 0 {
            flags |= mount_flag;
        }
    }
    // Neither relatime nor noatime reported means strictatime, which must be asked for by name.
    if stat.f_flag & (libc::ST_RELATIME | libc::ST_NOATIME) == 0 {
        flags |= libc::MS_STRICTATIME;
    }
    Ok(flags)
}

fn c_string(path: &Path) -> Result<CString, ConfineError> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|e| ConfineError::OpenPath { path: path.to_path_buf(), source: io::Error::other(e) })
}

/// Writes `text` to the file at `path` with raw system calls.
///
/// # Safety
/// Only makes system calls; safe to call between fork and exec.
unsafe fn write_file(path: &CStr, text: &[u8]) -> Result<(), ()> {
    // SAFETY: `path` is NUL-terminated and `text` is a valid buffer of its length.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(());
        }
        let written = libc::write(fd, text.as_ptr().cast(), text.len());
        libc::close(fd);
        if usize::try_from(written).ok() != Some(text.len()) {
            return Err(());
        }
    }
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Empties the bounding, ambient, inheritable, permitted and effective capability sets, so that no
/// capability survives exec, even for a command braid runs as root (whose uid in the namespace is 0
/// and would otherwise regain the bounding set at exec).
///
/// # Safety
/// Only makes system calls; safe to call between fork and exec.
unsafe fn drop_capabilities() -> Result<(), ()> {
    // SAFETY: prctl and capset take integers and pointers to local structs.
    unsafe {
        // Capabilities past the kernel's last one give EINVAL, which is harmless.
        for cap in 0..64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && *libc::__errno_location() != libc::EINVAL {
                return Err(());
            }
        }
        if libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 {
            return Err(());
        }
        let header = CapHeader { version: CAPABILITY_VERSION_3, pid: 0 };
        let data = [CapData { effective: 0, permitted: 0, inheritable: 0 }; 2];
        if libc::syscall(libc::SYS_capset, &header as *const CapHeader, data.as_ptr()) != 0 {
            return Err(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(policy: Policy, roots: Vec<PathBuf>, deny_read: Vec<PathBuf>) -> SandboxSpec {
        SandboxSpec { policy, writable_roots: roots, network: false, deny_read, read_only: Vec::new() }
    }

    #[test]
    fn the_probe_succeeds_here() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ws/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("home/.ssh")).unwrap();
        std::fs::write(dir.path().join("home/.netrc"), "secret").unwrap();
        let deny = vec![dir.path().join("home/.ssh"), dir.path().join("home/.netrc"), dir.path().join("home/.aws")];
        let plan = MountPlan::new(&spec(Policy::WorkspaceWrite, vec![dir.path().join("ws")], deny)).unwrap().unwrap();
        assert_eq!((plan.read_only.len(), plan.hidden_dirs.len(), plan.hidden_files.len()), (1, 1, 1));
        plan.probe(Policy::WorkspaceWrite).unwrap();
    }

    #[test]
    fn nothing_to_protect_needs_no_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let missing = vec![dir.path().join("nope")];
        assert!(MountPlan::new(&spec(Policy::WorkspaceWrite, vec![dir.path().into()], missing)).unwrap().is_none());
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        // Under read-only nothing is writable, so `.git` needs no extra protection.
        assert!(MountPlan::new(&spec(Policy::ReadOnly, vec![dir.path().into()], vec![])).unwrap().is_none());
        assert!(MountPlan::new(&spec(Policy::FullAccess, vec![], vec![dir.path().into()])).unwrap().is_none());
    }

    #[test]
    fn the_decoy_goes_away_with_the_plan() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "secret").unwrap();
        let plan = MountPlan::new(&spec(Policy::ReadOnly, vec![], vec![dir.path().join("token")])).unwrap().unwrap();
        let decoy = plan.decoy.as_ref().unwrap().path.clone();
        assert!(decoy.exists());
        drop(plan);
        assert!(!decoy.exists());
    }

    #[test]
    fn failures_name_the_step_path_and_remedy() {
        let dir = tempfile::tempdir().unwrap();
        let plan = MountPlan::new(&spec(Policy::ReadOnly, vec![], vec![dir.path().into()])).unwrap().unwrap();
        let text = plan.describe(Failure { step: STEP_UNSHARE, index: 0, errno: libc::EPERM });
        assert!(text.contains("unshare") && text.contains("kernel.unprivileged_userns_clone=1"), "{text}");
        let text = plan.describe(Failure { step: STEP_HIDE_DIR, index: 0, errno: libc::EACCES });
        assert!(text.contains(&dir.path().display().to_string()) && text.contains("deny_read"), "{text}");
    }
}
