#[test]
fn adds() {
    assert_eq!(fixture::add(1, 2), 3);
}
