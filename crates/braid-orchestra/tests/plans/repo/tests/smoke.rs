//! Fixture: a file the data-driven plan checks match globs against.
#[test]
fn adds() {
    assert_eq!(fixture::add(1, 2), 3);
}
