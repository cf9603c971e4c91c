//! The parsed form of a patch: the file operations and the hunks of each update, as plain data that
//! `apply` consumes and front ends can inspect.

use braid_protocol::{FileChange, FileChangeKind};

/// A parsed patch: its file operations, in the order the patch lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patch {
    pub hunks: Vec<FileOp>,
}

impl Patch {
    /// The changes the patch announces, one per file operation in patch order, as front ends show them
    /// before it runs (and as `apply_patch` returns them once it has).
    pub fn changes(&self) -> Vec<FileChange> {
        self.hunks
            .iter()
            .map(|op| {
                let (kind, move_to) = match op {
                    FileOp::Add { .. } => (FileChangeKind::Add, None),
                    FileOp::Delete { .. } => (FileChangeKind::Delete, None),
                    FileOp::Update { move_to, .. } => (FileChangeKind::Update, move_to.clone()),
                };
                FileChange { path: op.path().to_string(), kind, move_to }
            })
            .collect()
    }
}

/// One file operation of a patch. Paths are relative, as the patch wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOp {
    /// Create a file that must not exist yet. `contents` ends with a newline unless it is empty.
    Add { path: String, contents: String },
    /// Remove a file that must exist.
    Delete { path: String },
    /// Change an existing file by applying `chunks` in order, and rename it when `move_to` is set.
    Update { path: String, move_to: Option<String>, chunks: Vec<Chunk> },
}

impl FileOp {
    /// The path the operation names (for an update, the path before any move).
    pub fn path(&self) -> &str {
        match self {
            FileOp::Add { path, .. } | FileOp::Delete { path } | FileOp::Update { path, .. } => path,
        }
    }
}

/// One hunk of an update: where to look, which lines to find, and what to put in their place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chunk {
    /// The `@@ <line>` anchors, outermost first, each searched for after the previous one.
    pub anchors: Vec<String>,
    /// The lines to find: context and removed lines, in file order.
    pub old_lines: Vec<String>,
    /// The lines that replace them: context and added lines, in file order.
    pub new_lines: Vec<String>,
    /// Set by `*** End of File`: the old lines should be found at the very end of the file.
    pub end_of_file: bool,
}

#[cfg(test)]
impl Chunk {
    /// A chunk from string slices, for the parser's and the applier's unit tests.
    pub(crate) fn from_strs(anchors: &[&str], old: &[&str], new: &[&str], end_of_file: bool) -> Chunk {
        let owned = |lines: &[&str]| lines.iter().map(|s| s.to_string()).collect();
        Chunk { anchors: owned(anchors), old_lines: owned(old), new_lines: owned(new), end_of_file }
    }
}
