use paging::page_count;

#[test]
fn no_items_need_no_pages() {
    assert_eq!(page_count(0, 10), 0);
}

#[test]
fn fewer_items_than_a_page() {
    assert_eq!(page_count(1, 10), 1);
    assert_eq!(page_count(9, 10), 1);
}

#[test]
fn one_per_page() {
    assert_eq!(page_count(7, 1), 7);
}

#[test]
fn large_totals_do_not_overflow() {
    assert_eq!(page_count(usize::MAX, 2), usize::MAX / 2 + 1);
}
