//! Kernel confinement of one command: a Landlock ruleset (which paths may be read, written and run;
//! TCP bind and connect; signals and abstract sockets outside the sandbox) and a seccomp filter (no
//! internet sockets, no ptrace, no io_uring). Both are applied in the child between fork and exec,
//! after `no_new_privs`, so they bind the command and everything it starts, and cannot be undone.
//!
//! Everything that allocates or opens files (the ruleset and its rules, the BPF program) is prepared in
//! the parent by `Confinement::prepare`; the child only makes three system calls, because the parent is
//! multithreaded and allocating between fork and exec can deadlock.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use crate::namespace::MountPlan;

/// How much of the machine a command may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Read anything (except what is withheld), write nothing but `/dev/null`.
    ReadOnly,
    /// Read anything, write inside the writable roots only.
    WorkspaceWrite,
    /// No confinement at all.
    FullAccess,
}

impl Policy {
    /// The name used in config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Policy::ReadOnly => "read-only",
            Policy::WorkspaceWrite => "workspace-write",
            Policy::FullAccess => "full-access",
        }
    }

    /// Parses a name as used in config and on the command line.
    pub fn parse(name: &str) -> Option<Policy> {
        match name {
            "read-only" => Some(Policy::ReadOnly),
            "workspace-write" => Some(Policy::WorkspaceWrite),
            "full-access" | "danger-full-access" => Some(Policy::FullAccess),
            _ => None,
        }
    }
}

/// A policy with the paths and switches it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSpec {
    pub policy: Policy,
    /// Directories a `workspace-write` command may write (the working directory, the temp dir, extra
    /// roots from config). Ignored by the other policies.
    pub writable_roots: Vec<PathBuf>,
    /// Whether confined commands may use the network.
    pub network: bool,
    /// Secret locations (directories or files) no confined command may read, under both `read-only`
    /// and `workspace-write`; ones that do not exist are skipped.
    pub deny_read: Vec<PathBuf>,
    /// Existing files and directories inside the writable roots that a `workspace-write` command may
    /// not change (a plan's `forbidden` paths, see `forbidden_mounts`): each is bind-mounted read-only,
    /// so writing fails with EROFS and removing or renaming over it with EBUSY. Ones that do not exist
    /// are skipped.
    pub read_only: Vec<PathBuf>,
}

impl SandboxSpec {
    /// What a confined command may do, as people read it: `writable: /repo, /tmp; network off`.
    pub fn allowance(&self) -> String {
        let writable = match self.policy {
            Policy::ReadOnly => "nothing".to_string(),
            Policy::WorkspaceWrite => {
                self.writable_roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            }
            Policy::FullAccess => "everything".to_string(),
        };
        let mut text = format!("writable: {writable}; network {}", if self.network { "on" } else { "off" });
        if self.policy != Policy::FullAccess && !self.deny_read.is_empty() {
            let hidden = self.deny_read.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            text.push_str(&format!("; unreadable: {hidden}"));
        }
        if self.policy == Policy::WorkspaceWrite && !self.read_only.is_empty() {
            let frozen = self.read_only.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            text.push_str(&format!("; read-only: {frozen}"));
        }
        text
    }
}

/// Words (lowercase) with which programs report a refusal by the kernel: EACCES, EPERM, EROFS and EBUSY
/// (the read-only and covering mounts), EXDEV (Landlock refuses links and renames across its rules with
/// it), also as Python prints them.
const DENIAL_MARKERS: &[&str] = &[
    "permission denied",
    "operation not permitted",
    "read-only file system",
    "device or resource busy",
    "invalid cross-device link",
    // What mount(8) and umount(8) say before even trying, without capabilities.
    "must be superuser",
    "errno 1]",
    "errno 13]",
    "errno 30]",
];

/// Whether a failed confined command's output looks like the sandbox refused it, so the model (and the
/// `on-failure` policy) can be told. A heuristic on purpose: the kernel's refusal reaches braid only as
/// the words the program chose to print, in whatever case it chose.
pub fn looks_denied(output: &str) -> bool {
    let output = output.to_lowercase();
    DENIAL_MARKERS.iter().any(|marker| output.contains(marker))
}

/// Why a confinement could not be prepared or applied.
#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    #[error(
        "this kernel cannot enforce the {policy} sandbox: {reason}. braid will not run commands unconfined on its own; choose `sandbox = \"full-access\"` in config.toml (or --sandbox full-access) only where you trust every command the model runs"
    )]
    Unsupported { policy: &'static str, reason: String },
    #[error("sandbox: cannot open {} to grant access to it: {source}", path.display())]
    OpenPath { path: PathBuf, source: io::Error },
    #[error("sandbox: {what} failed: {source}")]
    Syscall { what: &'static str, source: io::Error },
}

// Landlock's ABI (include/uapi/linux/landlock.h): filesystem rights, network rights, scopes.
const FS_EXECUTE: u64 = 1 << 0;
const FS_WRITE_FILE: u64 = 1 << 1;
const FS_READ_FILE: u64 = 1 << 2;
const FS_READ_DIR: u64 = 1 << 3;
const FS_REMOVE_DIR: u64 = 1 << 4;
const FS_REMOVE_FILE: u64 = 1 << 5;
const FS_MAKE_CHAR: u64 = 1 << 6;
const FS_MAKE_DIR: u64 = 1 << 7;
const FS_MAKE_REG: u64 = 1 << 8;
const FS_MAKE_SOCK: u64 = 1 << 9;
const FS_MAKE_FIFO: u64 = 1 << 10;
const FS_MAKE_BLOCK: u64 = 1 << 11;
const FS_MAKE_SYM: u64 = 1 << 12;
const FS_REFER: u64 = 1 << 13;
const FS_TRUNCATE: u64 = 1 << 14;
const FS_IOCTL_DEV: u64 = 1 << 15;
const NET_BIND_TCP: u64 = 1 << 0;
const NET_CONNECT_TCP: u64 = 1 << 1;
const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
const SCOPE_SIGNAL: u64 = 1 << 1;
const CREATE_RULESET_VERSION: u32 = 1 << 0;
const RULE_PATH_BENEATH: libc::c_int = 1;

/// Rights that apply to a file (as opposed to a directory); a rule on a file may grant only these.
const FILE_RIGHTS: u64 = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV;
const READ_RIGHTS: u64 = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
const WRITE_RIGHTS: u64 = FS_WRITE_FILE
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_CHAR
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_SOCK
    | FS_MAKE_FIFO
    | FS_MAKE_BLOCK
    | FS_MAKE_SYM
    | FS_REFER
    | FS_TRUNCATE;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI version the running kernel supports, or `None` without Landlock.
pub fn landlock_abi() -> Option<u32> {
    // SAFETY: with a null attribute, size 0 and the VERSION flag, the call only returns a number.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(version).ok().filter(|v| *v > 0)
}

/// Filesystem rights the given Landlock ABI knows about.
fn fs_rights(abi: u32) -> u64 {
    let mut rights = READ_RIGHTS | (WRITE_RIGHTS & !(FS_REFER | FS_TRUNCATE));
    if abi >= 2 {
        rights |= FS_REFER;
    }
    if abi >= 3 {
        rights |= FS_TRUNCATE;
    }
    if abi >= 5 {
        rights |= FS_IOCTL_DEV;
    }
    rights
}

/// A prepared confinement, reusable for any number of commands.
#[derive(Debug)]
pub struct Confinement {
    spec: SandboxSpec,
    ruleset: Option<OwnedFd>,
    filter: Vec<libc::sock_filter>,
    /// The namespace that makes `.git`/`.braid` read-only and hides the secret locations; `None` when
    /// there is nothing to protect.
    namespace: Option<MountPlan>,
}

impl Confinement {
    /// Prepares the confinement `spec` asks for. Fails with `Unsupported` when the kernel cannot enforce
    /// it (no Landlock, or no user namespace in which to make `.git`/`.braid` read-only and hide the
    /// secret locations, which a probe checks here), so a command never runs with less confinement than
    /// the user chose.
    pub fn prepare(spec: &SandboxSpec) -> Result<Confinement, ConfineError> {
        if spec.policy == Policy::FullAccess {
            return Ok(Confinement { spec: spec.clone(), ruleset: None, filter: Vec::new(), namespace: None });
        }
        let abi = landlock_abi().ok_or_else(|| ConfineError::Unsupported {
            policy: spec.policy.name(),
            reason: "Landlock is not available (it needs Linux 5.13 or later with Landlock enabled in the LSM list)"
                .to_string(),
        })?;
        let handled_fs = fs_rights(abi);
        let handled_net = if abi >= 4 && !spec.network { NET_BIND_TCP | NET_CONNECT_TCP } else { 0 };
        let scoped = if abi >= 6 { SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL } else { 0 };
        let attr = RulesetAttr { handled_access_fs: handled_fs, handled_access_net: handled_net, scoped };
        // Older kernels reject an attribute larger than they know unless the extra is zero; pass the size
        // of the fields this kernel has.
        let size = match abi {
            0..=3 => 8,
            4..=5 => 16,
            _ => std::mem::size_of::<RulesetAttr>(),
        };
        // SAFETY: `attr` is a valid landlock_ruleset_attr of at least `size` bytes.
        let fd = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, &attr as *const RulesetAttr, size, 0u32) };
        let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0).ok_or_else(|| ConfineError::Syscall {
            what: "landlock_create_ruleset",
            source: io::Error::last_os_error(),
        })?;
        // SAFETY: the kernel just returned this descriptor (close-on-exec) and nothing else owns it.
        let ruleset = unsafe { OwnedFd::from_raw_fd(fd) };

        let dev_rights = if abi >= 5 { FS_IOCTL_DEV } else { 0 };
        allow(&ruleset, Path::new("/"), READ_RIGHTS | dev_rights, handled_fs)?;
        allow(&ruleset, Path::new("/dev/null"), FS_WRITE_FILE | FS_TRUNCATE, handled_fs)?;
        if spec.policy == Policy::WorkspaceWrite {
            for root in &spec.writable_roots {
                allow(&ruleset, root, READ_RIGHTS | WRITE_RIGHTS, handled_fs)?;
            }
        }
        let namespace = MountPlan::new(spec)?;
        if let Some(plan) = &namespace {
            plan.probe(spec.policy)?;
        }
        Ok(Confinement { spec: spec.clone(), ruleset: Some(ruleset), filter: seccomp_filter(spec.network), namespace })
    }

    /// What this confinement enforces.
    pub fn spec(&self) -> &SandboxSpec {
        &self.spec
    }

    /// Applies the confinement to the calling process, whose working directory is `cwd`. Only for the
    /// child between fork and exec: it makes plain system calls on data prepared in the parent and
    /// allocates nothing. The namespace comes first, because a Landlocked process may not mount.
    pub(crate) fn apply_in_child(&self, cwd: Option<&CStr>) -> io::Result<()> {
        let Some(ruleset) = &self.ruleset else { return Ok(()) };
        if let Some(plan) = &self.namespace {
            plan.enter_in_child(cwd)?;
        }
        // SAFETY: each call takes plain integers or a pointer to memory owned by `self`, which outlives
        // the calls; none of them allocates.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) != 0 {
                return Err(io::Error::last_os_error());
            }
            let program = libc::sock_fprog {
                len: u16::try_from(self.filter.len()).unwrap_or(u16::MAX),
                filter: self.filter.as_ptr().cast_mut(),
            };
            if libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0u32,
                &program as *const libc::sock_fprog,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }
}

/// Grants `rights` (limited to what a file may get, when `path` is not a directory) beneath `path`. A
/// path that does not exist is skipped: there is nothing to grant access to.
fn allow(ruleset: &OwnedFd, path: &Path, rights: u64, handled: u64) -> Result<(), ConfineError> {
    let open_error = |source| ConfineError::OpenPath { path: path.to_path_buf(), source };
    let Ok(meta) = std::fs::metadata(path) else { return Ok(()) };
    let rights = if meta.is_dir() { rights } else { rights & FILE_RIGHTS } & handled;
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|e| open_error(io::Error::other(e)))?;
    // SAFETY: `c_path` is a valid NUL-terminated string; O_PATH opens without reading.
    let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(open_error(io::Error::last_os_error()));
    }
    // SAFETY: `open` just returned this descriptor and nothing else owns it.
    let parent = unsafe { OwnedFd::from_raw_fd(fd) };
    let attr = PathBeneathAttr { allowed_access: rights, parent_fd: parent.as_raw_fd() };
    // SAFETY: `attr` is a valid packed landlock_path_beneath_attr; both descriptors are open.
    let added = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            RULE_PATH_BENEATH,
            &attr as *const PathBeneathAttr,
            0u32,
        )
    };
    if added != 0 {
        return Err(ConfineError::Syscall { what: "landlock_add_rule", source: io::Error::last_os_error() });
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xC000_00B7;
/// x32 system calls share x86_64's architecture tag and set this bit in the number.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The seccomp program: refuses ptrace and io_uring (whose operations would bypass this filter), foreign
/// architectures and x32 calls, and without `network` every socket that is not a Unix socket.
fn seccomp_filter(network: bool) -> Vec<libc::sock_filter> {
    let stmt = |code: u32, k: u32| libc::sock_filter { code: code as u16, jt: 0, jf: 0, k };
    let jump = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    };
    let load = |offset: u32| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let deny = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32);
    let allow = stmt(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW);
    // struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low half, on little-endian machines).
    let mut program = vec![load(4), jump(AUDIT_ARCH, 1, 0), deny, load(0)];
    program.push(libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
        jt: 0,
        jf: 1,
        k: X32_SYSCALL_BIT,
    });
    program.push(deny);
    let refused = [libc::SYS_ptrace, libc::SYS_io_uring_setup, libc::SYS_io_uring_enter, libc::SYS_io_uring_register];
    for nr in refused {
        program.push(jump(nr as u32, 0, 1));
        program.push(deny);
    }
    if !network {
        program.push(jump(libc::SYS_socket as u32, 0, 3));
        program.push(load(16));
        program.push(jump(libc::AF_UNIX as u32, 1, 0));
        program.push(deny);
    }
    program.push(allow);
    program
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_round_trip() {
        for policy in [Policy::ReadOnly, Policy::WorkspaceWrite, Policy::FullAccess] {
            assert_eq!(Policy::parse(policy.name()), Some(policy));
        }
        assert_eq!(Policy::parse("yolo"), None);
    }

    #[test]
    fn allowance_names_roots_and_network() {
        let spec = SandboxSpec {
            policy: Policy::WorkspaceWrite,
            writable_roots: vec![PathBuf::from("/repo"), PathBuf::from("/tmp")],
            network: false,
            deny_read: Vec::new(),
            read_only: Vec::new(),
        };
        assert_eq!(spec.allowance(), "writable: /repo, /tmp; network off");
        let frozen = SandboxSpec { read_only: vec![PathBuf::from("/repo/Cargo.lock")], ..spec.clone() };
        assert_eq!(frozen.allowance(), "writable: /repo, /tmp; network off; read-only: /repo/Cargo.lock");
        let read_only = SandboxSpec { policy: Policy::ReadOnly, network: true, ..spec };
        assert_eq!(read_only.allowance(), "writable: nothing; network on");
        let hidden = SandboxSpec {
            deny_read: vec![PathBuf::from("/h/.ssh"), PathBuf::from("/h/.netrc")],
            read_only: vec![PathBuf::from("/repo/Cargo.lock")],
            ..read_only
        };
        assert_eq!(hidden.allowance(), "writable: nothing; network on; unreadable: /h/.ssh, /h/.netrc");
    }

    #[test]
    fn filter_ends_in_allow_and_blocks_sockets_only_without_network() {
        let closed = seccomp_filter(false);
        let open = seccomp_filter(true);
        assert_eq!(closed.len(), open.len() + 4);
        assert_eq!(closed.last().map(|i| i.k), Some(libc::SECCOMP_RET_ALLOW));
    }
}
