use wordcount::{line_count, longest_word, word_count};

#[test]
fn counts_simple_words() {
    assert_eq!(word_count("the quick brown fox"), 4);
}

#[test]
fn double_spaces_do_not_add_words() {
    assert_eq!(word_count("the  quick   fox"), 3);
}

#[test]
fn counts_lines() {
    assert_eq!(line_count("a\nb\n"), 2);
}

#[test]
fn finds_the_longest_word() {
    assert_eq!(longest_word("a bb ccc dd"), Some("ccc"));
}
