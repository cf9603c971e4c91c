use wordcount::word_count;

#[test]
fn empty_and_blank_text_has_no_words() {
    assert_eq!(word_count(""), 0);
    assert_eq!(word_count("   "), 0);
    assert_eq!(word_count("\n\t\n"), 0);
}

#[test]
fn leading_and_trailing_whitespace_is_ignored() {
    assert_eq!(word_count("  hello world  "), 2);
}

#[test]
fn tabs_and_newlines_separate_words() {
    assert_eq!(word_count("one\ttwo\nthree\r\nfour"), 4);
}
