//! The Debian packages braid's build and demo need (llama.cpp wants cmake and libclang; the model store
//! wants pip; the demo wants git; the report's tests want Chromium, the TUI's end-to-end test tmux and
//! the MCP server's test python3-venv), checked with `dpkg-query` and installed with `apt-get` when missing.

use std::process::Command;

use anyhow::bail;

use crate::cmd;

/// Debian packages the release build and `cargo xtask demo` need.
pub const BUILD_DEPS: &[&str] = &["cmake", "clang", "libclang-dev", "python3-pip", "git"];

/// Debian packages only the test suite needs: headless Chromium, which opens the HTML comparison report;
/// tmux, in which the interactive session's end-to-end test types; python3-venv, for the venv holding the
/// official Python MCP SDK that drives `braid mcp-server`.
pub const TEST_DEPS: &[&str] = &["chromium", "tmux", "python3-venv"];

/// Checks `packages` and installs the missing ones with `apt-get install -y` (through `sudo` when not
/// root). Returns `Ok` when all are present afterwards; fails with the command to run by hand when there is
/// no apt-get, no root and no sudo, or the install fails. On a system without `dpkg-query` (not Debian) it
/// warns and returns `Ok`, leaving the build to report what is missing.
pub fn ensure(packages: &[&str]) -> anyhow::Result<()> {
    if cmd::which("dpkg-query").is_none() {
        eprintln!(
            "warning: no dpkg-query, so this is not Debian; cannot check for the packages {}. Install their \
             equivalents if the build fails.",
            packages.join(" ")
        );
        return Ok(());
    }
    let missing = missing(packages)?;
    if missing.is_empty() {
        eprintln!("build dependencies present: {}", packages.join(" "));
        return Ok(());
    }
    let by_hand = format!("sudo apt-get update && sudo apt-get install -y {}", missing.join(" "));
    if cmd::which("apt-get").is_none() {
        bail!("missing Debian packages {} and no apt-get to install them; run: {by_hand}", missing.join(" "));
    }
    let root = is_root();
    if !root && cmd::which("sudo").is_none() {
        bail!(
            "missing Debian packages {}; not root and no sudo, so ask an administrator to run: {by_hand}",
            missing.join(" ")
        );
    }
    eprintln!("installing missing Debian packages: {}", missing.join(" "));
    let apt = |args: &[&str]| {
        let mut c = if root { Command::new("apt-get") } else { Command::new("sudo") };
        if !root {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    // `update` may fail offline while the install still succeeds from a populated cache, so its failure is
    // only a warning; the install is what must work.
    if let Err(err) = cmd::run(&mut apt(&["update", "-q"])) {
        eprintln!("warning: {err:#}");
    }
    let mut install_args = vec!["install", "-y", "-q", "--no-install-recommends"];
    install_args.extend(missing.iter().map(String::as_str));
    if let Err(err) = cmd::run(&mut apt(&install_args)) {
        bail!("{err:#}\ninstalling the build dependencies failed; run it by hand: {by_hand}");
    }
    let still = self::missing(packages)?;
    if !still.is_empty() {
        bail!("apt-get finished but these packages are still not installed: {}", still.join(" "));
    }
    Ok(())
}

/// The packages among `packages` that dpkg does not report as installed; fails when dpkg-query cannot run.
pub fn missing(packages: &[&str]) -> anyhow::Result<Vec<String>> {
    let mut query = Command::new("dpkg-query");
    query.args(["-W", "-f=${Package} ${Status}\\n"]).args(packages);
    // dpkg-query exits 1 when some package is unknown, but still lists the known ones: read stdout either way.
    let output = cmd::capture(&mut query)?;
    let listing = String::from_utf8_lossy(&output.stdout);
    Ok(packages.iter().filter(|p| !installed(&listing, p)).map(|p| (*p).to_string()).collect())
}

/// Whether the `dpkg-query -W -f='${Package} ${Status}\n'` `listing` shows `package` as installed.
fn installed(listing: &str, package: &str) -> bool {
    listing.lines().any(|line| {
        let mut words = line.split_whitespace();
        // Multi-arch packages are listed as `name:arch`; the status ends in `installed` when present.
        words.next().is_some_and(|name| name.split(':').next() == Some(package)) && line.ends_with(" installed")
    })
}

/// Whether this process runs as root, read from `id -u` because xtask has no libc binding.
fn is_root() -> bool {
    cmd::stdout_of(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::installed;

    fn check(listing: &str, package: &str, expected: bool) {
        assert_eq!(installed(listing, package), expected, "{package} in {listing:?}");
    }

    #[test]
    fn dpkg_listing_is_read_by_package_and_status() {
        let listing = "cmake install ok installed\nclang deinstall ok config-files\n\
                       libclang-dev:amd64 install ok installed\ngit unknown ok not-installed\n";
        check(listing, "cmake", true);
        check(listing, "clang", false);
        check(listing, "libclang-dev", true);
        check(listing, "git", false);
        check(listing, "python3-pip", false);
        check(listing, "cmak", false);
    }

    #[test]
    fn an_unknown_package_is_missing() {
        if crate::cmd::which("dpkg-query").is_none() {
            return; // Not Debian: nothing to query.
        }
        let missing = super::missing(&["braid-no-such-package-xyz"]).unwrap();
        assert_eq!(missing, vec!["braid-no-such-package-xyz".to_string()]);
    }
}
