//! Summaries and tables: median, min and max of repeated measurements, the braid/peer ratio, and the
//! section of `docs/benchmarks.md` each benchmark rewrites with its latest table.

use std::path::Path;

use anyhow::{Context as _, bail};

/// Median, minimum and maximum of a set of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `values`; `None` when there are none. The median of an even count is the mean of the
    /// two middle values.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() & 1 == 0 { (sorted[mid - 1] + sorted[mid]) / 2.0 } else { sorted[mid] };
        Some(Summary { median, min: sorted[0], max: sorted[sorted.len() - 1] })
    }

    /// `median [min–max]` with `decimals` digits after the point.
    pub fn cell(&self, decimals: usize) -> String {
        format!("{:.d$} [{:.d$}–{:.d$}]", self.median, self.min, self.max, d = decimals)
    }
}

/// The ratio of two medians as a table cell, or `n/a` when the peer has no figure.
pub fn ratio(braid: Option<Summary>, peer: Option<Summary>) -> String {
    match (braid, peer) {
        (Some(braid), Some(peer)) if peer.median > 0.0 => format!("{:.2}", braid.median / peer.median),
        _ => "n/a".to_owned(),
    }
}

/// A summary cell, or `—` when nothing was measured.
pub fn cell(summary: Option<Summary>, decimals: usize) -> String {
    summary.map_or_else(|| "—".to_owned(), |s| s.cell(decimals))
}

/// `text` on one line, shortened, for a table's footnote.
pub fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 400 { format!("{}…", flat.chars().take(400).collect::<String>()) } else { flat }
}

/// Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` in the document at
/// `path` with `content`, writing the file whole (a temporary file renamed over it) so an interrupted
/// run never leaves half a document.
///
/// Fails when the file cannot be read or written, or lacks the two markers (they say where the table
/// belongs, so a missing pair is a broken document rather than something to guess about).
pub fn replace_section(path: &Path, name: &str, content: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let updated = replaced(&text, name, content).with_context(|| format!("in {}", path.display()))?;
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, updated).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

fn replaced(text: &str, name: &str, content: &str) -> anyhow::Result<String> {
    let open = format!("<!-- bench:{name} -->");
    let close = format!("<!-- /bench:{name} -->");
    let (Some(start), Some(end)) = (text.find(&open), text.find(&close)) else {
        bail!("the markers `{open}` and `{close}` are missing; add them where the {name} table belongs");
    };
    if end < start {
        bail!("`{close}` comes before `{open}`");
    }
    let inner_start = start + open.len();
    Ok(format!("{}\n{}\n{}", &text[..inner_start], content.trim_end(), &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_take_the_middle() {
        let check = |values: &[f64], expected: Option<(f64, f64, f64)>| {
            let got = Summary::of(values).map(|s| (s.median, s.min, s.max));
            assert_eq!(got, expected, "{values:?}");
        };
        check(&[], None);
        check(&[3.0], Some((3.0, 3.0, 3.0)));
        check(&[5.0, 1.0, 3.0], Some((3.0, 1.0, 5.0)));
        check(&[4.0, 1.0, 2.0, 3.0], Some((2.5, 1.0, 4.0)));
        check(&[f64::NAN, 2.0], Some((2.0, 2.0, 2.0)));
    }

    #[test]
    fn ratios_divide_medians() {
        let s = |m| Summary::of(&[m]);
        assert_eq!(ratio(s(1.0), s(4.0)), "0.25");
        assert_eq!(ratio(s(1.0), None), "n/a");
        assert_eq!(ratio(s(1.0), s(0.0)), "n/a");
    }

    #[test]
    fn sections_are_replaced_between_their_markers_only() {
        let doc = "# B\n<!-- bench:x -->\nold\n<!-- /bench:x -->\ntail\n<!-- bench:y -->\nkeep\n<!-- /bench:y -->\n";
        let got = replaced(doc, "x", "new table\n").unwrap();
        assert_eq!(
            got,
            "# B\n<!-- bench:x -->\nnew table\n<!-- /bench:x -->\ntail\n<!-- bench:y -->\nkeep\n<!-- /bench:y -->\n"
        );
        let err = replaced(doc, "z", "t").unwrap_err().to_string();
        assert!(err.contains("<!-- bench:z -->"), "{err}");
    }
}
