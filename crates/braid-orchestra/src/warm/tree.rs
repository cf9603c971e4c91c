//! Copying one cache path from the main checkout into a worktree: copy-on-write clones, plain copies or
//! hard links, keeping symbolic links as links and permissions and times as they were, built under a
//! temporary name and renamed into place so that a failure leaves nothing half-copied.

use std::ffi::CString;
use std::fs::{File, FileTimes, Metadata};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::{SeedMethod, WarmMode};

/// A failure and the file it happened at.
pub(super) type Failure = (PathBuf, io::Error);

/// Remembers, across the paths of one `seed` call, that the file system refused a clone, so that every
/// later file goes straight to a copy instead of asking again.
#[derive(Debug, Default)]
pub(super) struct Cloning {
    refused: bool,
}

impl Cloning {
    pub(super) fn new() -> Cloning {
        Cloning::default()
    }
}

/// What seeding one path made.
#[derive(Debug)]
pub(super) struct Counts {
    pub(super) method: SeedMethod,
    pub(super) files: u64,
    pub(super) bytes: u64,
}

/// Seeds `dest` (absent; its parent a real directory) from `source` with `mode` (not `Off`).
///
/// Returns what was made. Fails with the file at fault when anything cannot be read or written, or when
/// something appeared at `dest` meanwhile; nothing of `dest` is left behind then.
pub(super) fn seed_one(source: &Path, dest: &Path, mode: WarmMode, cloning: &mut Cloning) -> Result<Counts, Failure> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let name = dest.file_name().unwrap_or(dest.as_os_str());
    // The staging directory sits beside the destination so that the final rename stays on one file system.
    let staging = tempfile::Builder::new()
        .prefix(".braid-warm-")
        .tempdir_in(parent)
        .map_err(|err| (parent.to_path_buf(), err))?;
    let staged = staging.path().join(name);
    let mut counts = Counts {
        method: match mode {
            WarmMode::Auto if !cloning.refused => SeedMethod::Reflink,
            WarmMode::Hardlink => SeedMethod::Hardlink,
            _ => SeedMethod::Copy,
        },
        files: 0,
        bytes: 0,
    };
    let result = copy_entry(source, &staged, mode, cloning, &mut counts)
        .and_then(|()| fix_venv_scripts(source, &staged, dest))
        .and_then(|()| rename_noreplace(&staged, dest).map_err(|err| (dest.to_path_buf(), err)));
    if result.is_err() {
        // Copied directories keep their permissions, which may deny the owner writes; removing them needs
        // those back. Best effort: the temporary directory's own removal reports nothing either way.
        make_writable(staging.path());
    }
    drop(staging);
    result.map(|()| counts)
}

fn copy_entry(
    src: &Path,
    dst: &Path,
    mode: WarmMode,
    cloning: &mut Cloning,
    counts: &mut Counts,
) -> Result<(), Failure> {
    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |err| (path, err)
    };
    let meta = std::fs::symlink_metadata(src).map_err(at(src))?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        // Copied as a link, never followed: a link out of the tree (a venv's interpreter) stays a link.
        let target = std::fs::read_link(src).map_err(at(src))?;
        std::os::unix::fs::symlink(&target, dst).map_err(at(dst))?;
        set_link_times(dst, &meta).map_err(at(dst))?;
    } else if kind.is_dir() {
        std::fs::create_dir(dst).map_err(at(dst))?;
        for entry in std::fs::read_dir(src).map_err(at(src))? {
            let entry = entry.map_err(at(src))?;
            copy_entry(&entry.path(), &dst.join(entry.file_name()), mode, cloning, counts)?;
        }
        // Times and permissions last: creating the entries changed the time, and the permissions may
        // forbid creating them.
        let dir = File::open(dst).map_err(at(dst))?;
        dir.set_times(times(&meta)).map_err(at(dst))?;
        dir.set_permissions(meta.permissions()).map_err(at(dst))?;
    } else if kind.is_file() {
        copy_file(src, dst, &meta, mode, cloning, counts)?;
        counts.files += 1;
        counts.bytes += meta.len();
    }
    // Sockets, pipes and device nodes are no cache's content; they are left out.
    Ok(())
}

fn copy_file(
    src: &Path,
    dst: &Path,
    meta: &Metadata,
    mode: WarmMode,
    cloning: &mut Cloning,
    counts: &mut Counts,
) -> Result<(), Failure> {
    if mode == WarmMode::Hardlink {
        match std::fs::hard_link(src, dst) {
            Ok(()) => return Ok(()),
            // Across file systems there are no links; a copy is the honest fallback.
            Err(err) if err.raw_os_error() == Some(libc::EXDEV) => counts.method = SeedMethod::Copy,
            Err(err) => return Err((dst.to_path_buf(), err)),
        }
    }
    let mut input = File::open(src).map_err(|err| (src.to_path_buf(), err))?;
    let mut output =
        File::options().write(true).create_new(true).mode(0o600).open(dst).map_err(|err| (dst.to_path_buf(), err))?;
    let mut cloned = false;
    if mode == WarmMode::Auto && !cloning.refused {
        match clone_file(&input, &output) {
            Ok(()) => cloned = true,
            Err(err) if refuses_clone(&err) => {
                cloning.refused = true;
                counts.method = SeedMethod::Copy;
            }
            Err(err) => return Err((dst.to_path_buf(), err)),
        }
    }
    if !cloned {
        io::copy(&mut input, &mut output).map_err(|err| (dst.to_path_buf(), err))?;
    }
    // Cargo decides freshness by comparing modification times, so they must survive the copy.
    output.set_times(times(meta)).map_err(|err| (dst.to_path_buf(), err))?;
    output.set_permissions(meta.permissions()).map_err(|err| (dst.to_path_buf(), err))?;
    Ok(())
}

/// Makes `output` a copy-on-write clone of `input` with the `FICLONE` ioctl.
fn clone_file(input: &File, output: &File) -> io::Result<()> {
    // SAFETY: both descriptors are open for the duration of the call (borrowed from live Files), and
    // FICLONE takes the source descriptor as its integer argument, reading no memory of ours.
    let status = unsafe { libc::ioctl(output.as_raw_fd(), libc::FICLONE, input.as_raw_fd()) };
    if status == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Returns whether a clone failed because the file systems cannot clone (rather than a real I/O error).
fn refuses_clone(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EXDEV | libc::EINVAL | libc::ENOTTY | libc::ENOSYS))
}

fn times(meta: &Metadata) -> FileTimes {
    let mut times = FileTimes::new();
    if let Ok(accessed) = meta.accessed() {
        times = times.set_accessed(accessed);
    }
    if let Ok(modified) = meta.modified() {
        times = times.set_modified(modified);
    }
    times
}

/// Gives the symbolic link at `link` (not its target) the times in `meta`.
fn set_link_times(link: &Path, meta: &Metadata) -> io::Result<()> {
    let path = CString::new(link.as_os_str().as_bytes())?;
    let spec = |secs: i64, nanos: i64| libc::timespec { tv_sec: secs as libc::time_t, tv_nsec: nanos as _ };
    let stamps = [spec(meta.atime(), meta.atime_nsec()), spec(meta.mtime(), meta.mtime_nsec())];
    // SAFETY: `path` is a NUL-terminated string and `stamps` an array of two timespecs, both alive for the
    // call, as utimensat requires.
    let status = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), stamps.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    if status == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

/// Renames `from` to `to` unless `to` exists, atomically where the file system supports it.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let from_c = CString::new(from.as_os_str().as_bytes())?;
    let to_c = CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: both paths are NUL-terminated strings alive for the call.
    let status = unsafe {
        libc::renameat2(libc::AT_FDCWD, from_c.as_ptr(), libc::AT_FDCWD, to_c.as_ptr(), libc::RENAME_NOREPLACE)
    };
    if status == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if !matches!(err.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
        return Err(err);
    }
    // A file system without RENAME_NOREPLACE: check, then rename. The window between the two is small, and
    // the worktree belongs to the attempt being prepared, which runs nothing yet.
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, "appeared while it was being seeded"));
    }
    std::fs::rename(from, to)
}

/// Gives the owner write and search permission on every directory under `root`, so it can be removed.
fn make_writable(root: &Path) {
    let Ok(meta) = std::fs::symlink_metadata(root) else { return };
    if !meta.is_dir() {
        return;
    }
    let mut permissions = meta.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, meta.mode() | 0o700);
    let _ = std::fs::set_permissions(root, permissions);
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            make_writable(&entry.path());
        }
    }
}

/// The largest script in a virtual environment's `bin/` that is checked for the old location.
const SCRIPT_LIMIT: u64 = 1 << 20;

/// A Python virtual environment records its absolute location in its scripts: `activate` sets
/// `VIRTUAL_ENV` to it, and every console script (`pip`, `pytest`) starts with `#!<venv>/bin/python`. A
/// copied venv would therefore run the main checkout's interpreter, and `pip install` in the worktree
/// would install into the main checkout's venv. This rewrites the old location to the new one in the
/// small text files of `bin/` of a staged venv (a directory with `pyvenv.cfg`), writing new files so
/// that hard links to the main checkout's copies are broken rather than written through.
///
/// Fails with the file at fault when a script cannot be read or rewritten.
fn fix_venv_scripts(source: &Path, staged: &Path, dest: &Path) -> Result<(), Failure> {
    if !staged.join("pyvenv.cfg").is_file() {
        return Ok(());
    }
    let bin = staged.join("bin");
    let Ok(entries) = std::fs::read_dir(&bin) else { return Ok(()) };
    let old = std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf());
    let new = match (dest.parent().map(std::fs::canonicalize), dest.file_name()) {
        (Some(Ok(parent)), Some(name)) => parent.join(name),
        _ => dest.to_path_buf(),
    };
    let (old, new) = (old.as_os_str().as_bytes(), new.as_os_str().as_bytes());
    for entry in entries {
        let entry = entry.map_err(|err| (bin.clone(), err))?;
        let path = entry.path();
        let at = |err| (path.clone(), err);
        let meta = std::fs::symlink_metadata(&path).map_err(at)?;
        if !meta.is_file() || meta.len() > SCRIPT_LIMIT {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(at)?;
        if !contains(&bytes, old) {
            continue;
        }
        let fixed = replace_all(&bytes, old, new);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(entry.file_name());
        temp_name.push(".braid-warm-tmp");
        let temp = bin.join(temp_name);
        let mut output = File::options().write(true).create_new(true).mode(0o600).open(&temp).map_err(at)?;
        io::Write::write_all(&mut output, &fixed).map_err(at)?;
        output.set_times(times(&meta)).map_err(at)?;
        output.set_permissions(meta.permissions()).map_err(at)?;
        std::fs::rename(&temp, &path).map_err(at)?;
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace_all(haystack: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(old) {
            out.extend_from_slice(new);
            rest = &rest[old.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence() {
        fn check(input: &str, expected: &str) {
            assert_eq!(
                String::from_utf8(replace_all(input.as_bytes(), b"/main/.venv", b"/wt/1/.venv")).unwrap(),
                expected
            );
        }
        check("#!/main/.venv/bin/python\n", "#!/wt/1/.venv/bin/python\n");
        check("VIRTUAL_ENV='/main/.venv' # /main/.venv", "VIRTUAL_ENV='/wt/1/.venv' # /wt/1/.venv");
        check("nothing here", "nothing here");
        check("", "");
    }
}
