//! Finding programs the way a shell would: executable files, looked up in a `PATH` the caller passes in
//! (so that callers judging a command for another environment, like the plan checker, stay pure).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The first executable `program` in the directories of `path_var`. Empty entries (which a shell reads
/// as the current directory) are skipped: the answer must not depend on where braid happens to run.
pub fn find_program(program: &str, path_var: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(path_var)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn finds_the_first_executable_and_skips_plain_files_and_empty_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (plain, exec) = (dir.path().join("plain"), dir.path().join("exec"));
        std::fs::create_dir_all(&plain).unwrap();
        std::fs::create_dir_all(&exec).unwrap();
        std::fs::write(plain.join("tool"), "").unwrap();
        std::fs::write(exec.join("tool"), "").unwrap();
        std::fs::set_permissions(exec.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths(["", plain.to_str().unwrap(), exec.to_str().unwrap()]).unwrap();
        assert_eq!(find_program("tool", &path), Some(exec.join("tool")));
        assert_eq!(find_program("missing", &path), None);
        assert!(!is_executable(&plain));
    }
}
