//! Small text statistics for the notes report.

/// Counts the words in `text`. A word is a run of characters that are not whitespace, so spaces,
/// tabs and newlines all separate words, and any number of them in a row counts as one separator.
pub fn word_count(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    text.split(' ').count()
}

/// Counts the lines in `text`; a trailing newline does not start a new line.
pub fn line_count(text: &str) -> usize {
    text.lines().count()
}

/// Returns the longest word in `text`, the first one when several are equally long.
pub fn longest_word(text: &str) -> Option<&str> {
    let mut best: Option<&str> = None;
    for word in text.split_whitespace() {
        if best.map_or(true, |b| word.chars().count() > b.chars().count()) {
            best = Some(word);
        }
    }
    best
}
