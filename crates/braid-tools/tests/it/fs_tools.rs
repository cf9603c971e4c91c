//! The file tools on real temporary directories.

mod grep;
mod list_dir;
mod read_file;
