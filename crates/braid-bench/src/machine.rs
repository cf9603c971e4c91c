//! Facts recorded next to every result: the date, the machine (cores, CPU, kernel, load) and each
//! program's version, so that a figure can be traced to where it was measured.

use std::path::Path;
use std::process::Command;

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Converts days since 1970-01-01 to a (year, month, day) date in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era's years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One line describing this machine: core count, CPU model, kernel and the one-minute load average.
pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_owned()).unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), Linux {kernel}, load average {load} at the end")
}

/// The first line `program --version` prints, or why it printed none.
pub fn version_of(program: &Path) -> String {
    match Command::new(program).arg("--version").output() {
        Ok(out) => {
            String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or("no version printed").trim().to_owned()
        }
        Err(err) => format!("cannot run: {err}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates_are_right_around_leap_years() {
        let check = |days, expected: (i64, u32, u32)| assert_eq!(super::civil_from_days(days), expected, "{days}");
        check(0, (1970, 1, 1));
        check(59, (1970, 3, 1));
        check(11_016, (2000, 2, 29));
        check(20_779, (2026, 11, 22));
    }
}
