//! braid's filters over what the reviewer reported: findings on lines that do not exist, far from the
//! change, below the confidence threshold, or repeating a kept one are dropped (and listed with the
//! reason), and the rest are ordered most severe first.

use std::collections::BTreeSet;

use super::hunks::ChangedLines;
use super::model::{DropReason, Dropped, Finding};

/// How strict the filters are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FilterOptions {
    /// Findings with a lower confidence are dropped.
    pub min_confidence: f64,
    /// How many lines around a changed line still count as the change's neighbourhood.
    pub radius: u32,
}

impl Default for FilterOptions {
    fn default() -> FilterOptions {
        FilterOptions { min_confidence: 0.5, radius: 5 }
    }
}

/// Splits `findings` (in the reviewer's order) into the kept ones, most severe first, and the dropped
/// ones with their reasons. `line_count(file)` is the number of lines `file` has after the change, or
/// `None` when it does not exist then. A finding whose line range is reversed is read the right way round.
pub fn filter(
    findings: Vec<Finding>,
    changed: &ChangedLines,
    line_count: &dyn Fn(&str) -> Option<u32>,
    options: FilterOptions,
) -> (Vec<Finding>, Vec<Dropped>) {
    let mut kept: Vec<Finding> = Vec::new();
    let mut dropped = Vec::new();
    for mut finding in findings {
        finding.file = normalise_path(&finding.file);
        if finding.start_line > finding.end_line {
            std::mem::swap(&mut finding.start_line, &mut finding.end_line);
        }
        finding.start_line = finding.start_line.max(1);
        finding.end_line = finding.end_line.max(finding.start_line);
        let reason = match line_count(&finding.file) {
            None => Some(DropReason::NoSuchLocation),
            // An empty file still has a line 1 to point at.
            Some(count) if finding.start_line > count.max(1) => Some(DropReason::NoSuchLocation),
            Some(_) if !changed.near(&finding.file, finding.start_line, finding.end_line, options.radius) => {
                Some(DropReason::OutsideChange)
            }
            Some(_) if finding.confidence < options.min_confidence => {
                Some(DropReason::LowConfidence { threshold: options.min_confidence })
            }
            Some(_) => kept.iter().position(|k| same_problem(k, &finding)).map(|of| DropReason::Duplicate { of }),
        };
        match reason {
            Some(reason) => dropped.push(Dropped { finding, reason }),
            None => kept.push(finding),
        }
    }
    // Most severe first, then surest, then by place; duplicates are renumbered to follow their finding.
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&kept[a], &kept[b]);
        a.priority
            .cmp(&b.priority)
            .then(b.confidence.total_cmp(&a.confidence))
            .then_with(|| a.file.cmp(&b.file))
            .then(a.start_line.cmp(&b.start_line))
    });
    let mut new_index = vec![0; kept.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    for drop in &mut dropped {
        if let DropReason::Duplicate { of } = &mut drop.reason {
            *of = new_index[*of];
        }
    }
    let mut slots: Vec<Option<Finding>> = kept.into_iter().map(Some).collect();
    let kept = order.iter().filter_map(|&old| slots[old].take()).collect();
    (kept, dropped)
}

/// A path as the reviewer might write it (`b/src/x.rs`, `./src/x.rs`), as the diff names it.
fn normalise_path(path: &str) -> String {
    let path = path.trim();
    let path = path.strip_prefix("./").unwrap_or(path);
    let path = path.strip_prefix("b/").filter(|rest| !rest.is_empty()).unwrap_or(path);
    path.to_string()
}

/// Whether two findings report the same problem: the same file, lines that overlap or nearly touch, and
/// titles sharing most of their words. Two different problems on one line are both kept.
fn same_problem(a: &Finding, b: &Finding) -> bool {
    if a.file != b.file || a.start_line > b.end_line + 2 || b.start_line > a.end_line + 2 {
        return false;
    }
    let (words_a, words_b) = (title_words(&a.title), title_words(&b.title));
    let union = words_a.union(&words_b).count();
    union > 0 && words_a.intersection(&words_b).count() * 2 >= union
}

/// Words too common to say two titles are about the same thing.
const STOP_WORDS: &[&str] = &["the", "and", "for", "with", "when", "not", "this", "that", "from", "are", "can"];

fn title_words(title: &str) -> BTreeSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|word| word.len() >= 3 && !STOP_WORDS.contains(&word.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::Priority;

    fn finding(title: &str, priority: Priority, confidence: f64, file: &str, start: u32, end: u32) -> Finding {
        Finding {
            title: title.into(),
            body: String::new(),
            priority,
            confidence,
            file: file.into(),
            start_line: start,
            end_line: end,
            test: None,
        }
    }

    fn changed() -> ChangedLines {
        ChangedLines::parse(
            "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -10,2 +10,3 @@\n x\n+y\n x\n",
        )
    }

    fn lines(file: &str) -> Option<u32> {
        (file == "src/a.rs" || file == "src/other.rs").then_some(100)
    }

    #[test]
    fn each_filter_drops_with_its_reason_and_the_rest_are_ordered() {
        let findings = vec![
            finding("Minor naming nit", Priority::P3, 0.9, "src/a.rs", 11, 11),
            finding("Off-by-one drops the last item", Priority::P1, 0.8, "b/src/a.rs", 12, 10),
            finding("Unsure about this", Priority::P0, 0.3, "src/a.rs", 11, 11),
            finding("Problem in code the change did not touch", Priority::P0, 0.9, "src/a.rs", 60, 61),
            finding("Untouched file", Priority::P1, 0.9, "src/other.rs", 11, 11),
            finding("Invented file", Priority::P1, 0.9, "src/ghost.rs", 1, 1),
            finding("Past the end", Priority::P1, 0.9, "src/a.rs", 500, 501),
            finding("The last item is dropped by an off-by-one", Priority::P2, 0.9, "./src/a.rs", 11, 11),
            finding("Overflow on large input", Priority::P0, 0.95, "src/a.rs", 15, 15),
        ];
        let (kept, dropped) = filter(findings, &changed(), &lines, FilterOptions::default());
        let kept: Vec<_> = kept.iter().map(|f| (f.title.as_str(), f.file.as_str(), f.start_line, f.end_line)).collect();
        assert_eq!(
            kept,
            [
                ("Overflow on large input", "src/a.rs", 15, 15),
                ("Off-by-one drops the last item", "src/a.rs", 10, 12),
                ("Minor naming nit", "src/a.rs", 11, 11),
            ]
        );
        let dropped: Vec<_> = dropped.iter().map(|d| (d.finding.title.as_str(), d.reason.clone())).collect();
        assert_eq!(
            dropped,
            [
                ("Unsure about this", DropReason::LowConfidence { threshold: 0.5 }),
                ("Problem in code the change did not touch", DropReason::OutsideChange),
                ("Untouched file", DropReason::OutsideChange),
                ("Invented file", DropReason::NoSuchLocation),
                ("Past the end", DropReason::NoSuchLocation),
                // Its index follows the kept finding it repeats after sorting.
                ("The last item is dropped by an off-by-one", DropReason::Duplicate { of: 1 }),
            ]
        );
    }

    #[test]
    fn same_problem_needs_the_same_place_and_similar_words() {
        let check = |a: Finding, b: Finding, expected: bool| assert_eq!(same_problem(&a, &b), expected);
        let base = || finding("Null pointer when list is empty", Priority::P1, 0.9, "x.rs", 10, 12);
        check(base(), finding("Totally different", Priority::P1, 0.9, "x.rs", 10, 10), false);
        check(base(), finding("Empty list gives a null pointer", Priority::P1, 0.9, "x.rs", 13, 14), true);
        check(base(), finding("Empty list gives a null pointer", Priority::P1, 0.9, "y.rs", 10, 12), false);
        check(base(), finding("Empty list gives a null pointer", Priority::P1, 0.9, "x.rs", 20, 22), false);
        check(base(), finding("Leaks the file handle", Priority::P1, 0.9, "x.rs", 11, 11), false);
    }
}
