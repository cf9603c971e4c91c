//! Small formatters shared by the report's sections: durations, token counts, money, short hashes.

/// `0.4 s`, `12.3 s`, `3m 05s`, `1h 02m`: short enough for a table cell.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "—".to_string();
    }
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let whole = seconds.round() as u64;
    if whole < 3600 {
        format!("{}m {:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h {:02}m", whole / 3600, (whole % 3600) / 60)
    }
}

/// `950`, `12.3k`, `4.1M`.
pub fn count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// `$0.42`, `$0.0031` (small costs keep two significant digits), `—` when unknown.
pub fn cost(usd: Option<f64>) -> String {
    match usd {
        None => "—".to_string(),
        Some(c) if c > 0.0 && c < 0.01 => format!("${c:.4}"),
        Some(c) => format!("${c:.2}"),
    }
}

/// The first 10 characters of a commit hash (the whole string when shorter).
pub fn short_hash(hash: &str) -> &str {
    hash.get(..10).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well_in_a_cell() {
        let cases = [(0.42, "0.4 s"), (59.94, "59.9 s"), (185.0, "3m 05s"), (3725.0, "1h 02m"), (f64::NAN, "—")];
        for (secs, expected) in cases {
            assert_eq!(duration(secs), expected, "{secs}");
        }
        assert_eq!([count(950), count(12_345), count(4_100_000)], ["950", "12.3k", "4.1M"]);
        assert_eq!([cost(None), cost(Some(0.4249)), cost(Some(0.00312))], ["—", "$0.42", "$0.0031"]);
        assert_eq!([short_hash("0123456789abcdef"), short_hash("abc")], ["0123456789", "abc"]);
    }
}
