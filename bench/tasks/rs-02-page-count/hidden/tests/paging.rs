use paging::{page_count, page_range};

#[test]
fn full_pages() {
    assert_eq!(page_count(20, 10), 2);
}

#[test]
fn a_partial_last_page_counts() {
    assert_eq!(page_count(21, 10), 3);
}

#[test]
fn ranges_of_pages() {
    assert_eq!(page_range(25, 10, 0), 0..10);
    assert_eq!(page_range(25, 10, 2), 20..25);
    assert_eq!(page_range(25, 10, 3), 25..25);
}
