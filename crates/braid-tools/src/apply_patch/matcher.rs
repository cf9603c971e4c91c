//! Finding a hunk's lines in a file: exactly first, then ignoring trailing whitespace, then ignoring
//! surrounding whitespace, then with Unicode punctuation and odd spaces normalised.
//!
//! Models often retype code with a stray trailing space or a typographic dash where the file has `-`; the
//! looser levels let such a hunk apply, while trying the strict levels first keeps an exact match from being
//! shadowed by an earlier, merely similar one.

/// How loosely two lines are compared, strictest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Exact,
    TrimEnd,
    Trim,
    Normalized,
}

const LEVELS: [Level; 4] = [Level::Exact, Level::TrimEnd, Level::Trim, Level::Normalized];

fn lines_equal(level: Level, a: &str, b: &str) -> bool {
    match level {
        Level::Exact => a == b,
        Level::TrimEnd => a.trim_end() == b.trim_end(),
        Level::Trim => a.trim() == b.trim(),
        Level::Normalized => a.trim().chars().map(normalize_char).eq(b.trim().chars().map(normalize_char)),
    }
}

/// Maps typographic punctuation and unusual spaces to their ASCII counterparts.
fn normalize_char(c: char) -> char {
    match c {
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{2018}'..='\u{201B}' => '\'',
        '\u{201C}'..='\u{201F}' => '"',
        '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        other => other,
    }
}

fn matches_at(level: Level, haystack: &[String], needle: &[String], at: usize) -> bool {
    haystack
        .get(at..at + needle.len())
        .is_some_and(|window| window.iter().zip(needle).all(|(h, n)| lines_equal(level, h, n)))
}

/// Finds `needle` in `haystack` at or after index `start`.
///
/// Returns the index of the first line of the match, trying each level of looseness over the whole range
/// before the next. With `at_end`, the position that ends exactly at the end of the file is tried first (at
/// every level), and only then the rest. An empty needle matches at `start`, or at the end with `at_end`.
/// Returns `None` when there is no match at any level.
pub(crate) fn find(haystack: &[String], needle: &[String], start: usize, at_end: bool) -> Option<usize> {
    if needle.is_empty() {
        return Some(if at_end { haystack.len() } else { start.min(haystack.len()) });
    }
    let last = haystack.len().checked_sub(needle.len())?;
    if start > last {
        return None;
    }
    if at_end && LEVELS.iter().any(|&level| matches_at(level, haystack, needle, last)) {
        return Some(last);
    }
    LEVELS.iter().find_map(|&level| (start..=last).find(|&at| matches_at(level, haystack, needle, at)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.split('\n').map(String::from).collect()
    }

    /// Checks where `needle` (lines separated by `\n`) is found in `haystack` from `start`.
    fn check(haystack: &str, needle: &str, start: usize, at_end: bool, expected: Option<usize>) {
        let needle = if needle.is_empty() { Vec::new() } else { lines(needle) };
        assert_eq!(
            find(&lines(haystack), &needle, start, at_end),
            expected,
            "needle {needle:?} in {haystack:?} from {start} (at_end: {at_end})"
        );
    }

    #[test]
    fn exact_and_positional() {
        check("a\nb\nc\nb", "b", 0, false, Some(1));
        check("a\nb\nc\nb", "b", 2, false, Some(3));
        check("a\nb\nc\nb", "b\nc", 0, false, Some(1));
        check("a\nb\nc", "c\nd", 0, false, None);
        check("a\nb", "a\nb\nc", 0, false, None);
        check("a\nb", "a", 5, false, None);
        check("a\nb", "", 1, false, Some(1));
        check("a\nb", "", 0, true, Some(2));
    }

    #[test]
    fn end_of_file_prefers_the_last_position() {
        check("x\ny\nx\ny", "x\ny", 0, true, Some(2));
        // Falls back to an earlier match when the end does not match.
        check("x\ny\nz", "x\ny", 0, true, Some(0));
        // A loose match at the end wins over an exact one earlier.
        check("x\ny\nx \ny", "x\ny", 0, true, Some(2));
    }

    #[test]
    fn stricter_levels_win_over_earlier_loose_matches() {
        check("foo \nfoo", "foo", 0, false, Some(1));
        check("  foo\nfoo", "foo", 0, false, Some(1));
    }

    #[test]
    fn whitespace_tolerance() {
        check("fn a() {   \n}", "fn a() {\n}", 0, false, Some(0));
        check("    let x = 1;\n", "let x = 1;", 0, false, Some(0));
        check("\tlet x = 1;", "  let x = 1;  ", 0, false, Some(0));
        check("let x = 1;", "let  x = 1;", 0, false, None);
    }

    #[test]
    fn unicode_punctuation_tolerance() {
        check("// a - b", "// a \u{2014} b", 0, false, Some(0));
        check("// a \u{2013} b", "// a - b", 0, false, Some(0));
        check("say(\"hi\")", "say(\u{201C}hi\u{201D})", 0, false, Some(0));
        check("it's", "it\u{2019}s", 0, false, Some(0));
        check("a b", "a\u{00A0}b", 0, false, Some(0));
        check("a b", "a\u{202F}b", 0, false, Some(0));
        check("a_b", "a\u{2014}b", 0, false, None);
    }
}
