//! Run ids: short, sorted by creation time as plain strings, and safe in file names and git ref names
//! (`20261122-153012-k3f9x`: UTC date and time, then five random base-36 characters).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

/// How many random characters follow the time. 36^5 is about sixty million, so two runs started in the
/// same second collide with negligible odds; `Store::create_run` refuses a duplicate all the same.
const SUFFIX_LEN: usize = 5;

/// A new run id for a run created at `now`. Ids of runs created in different seconds sort by time.
///
/// The suffix mixes the process id, a per-process counter, the clock's nanoseconds and a per-process
/// random hasher key, so two processes (or two calls in one process) starting in the same second still get
/// different ids.
pub fn new_run_id(now: DateTime<Utc>) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(now.timestamp_subsec_nanos());
    if let Ok(since_epoch) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(since_epoch.as_nanos());
    }
    let mut bits = hasher.finish();
    let mut suffix = String::with_capacity(SUFFIX_LEN);
    for _ in 0..SUFFIX_LEN {
        let digit = (bits % 36) as u32;
        bits /= 36;
        suffix.push(char::from_digit(digit, 36).unwrap_or('0'));
    }
    format!("{}-{suffix}", now.format("%Y%m%d-%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ids_are_shaped_sortable_and_distinct() {
        let early = Utc.with_ymd_and_hms(2026, 11, 22, 15, 30, 12).unwrap();
        let late = Utc.with_ymd_and_hms(2026, 11, 22, 15, 30, 13).unwrap();
        let id = new_run_id(early);
        assert!(id.starts_with("20261122-153012-"), "{id}");
        assert_eq!(id.len(), "20261122-153012-".len() + SUFFIX_LEN);
        assert!(id.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || c == '-'), "{id}");
        assert!(id < new_run_id(late));
        let many: std::collections::HashSet<String> = (0..1000).map(|_| new_run_id(early)).collect();
        assert_eq!(many.len(), 1000);
    }
}
