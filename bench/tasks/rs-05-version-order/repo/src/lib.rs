//! Release versions of the plugins (`1.4.2`, `2.0`), compared so the newest can be picked.

use std::cmp::Ordering;

/// Compares two dotted version strings such as `1.4.2` and `1.10`. A missing part counts as 0, so
/// `1.2` and `1.2.0` are equal.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let left: Vec<&str> = a.split('.').collect();
    let right: Vec<&str> = b.split('.').collect();
    let len = left.len().max(right.len());
    for i in 0..len {
        let x = left.get(i).copied().unwrap_or("0");
        let y = right.get(i).copied().unwrap_or("0");
        match x.cmp(y) {
            Ordering::Equal => continue,
            other => return other,
        }
    }
    Ordering::Equal
}

/// Returns the newest of `versions`, or `None` when there are none.
pub fn newest<'a>(versions: &[&'a str]) -> Option<&'a str> {
    versions.iter().copied().max_by(|a, b| compare_versions(a, b))
}
