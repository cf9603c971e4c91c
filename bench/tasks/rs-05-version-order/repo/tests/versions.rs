use std::cmp::Ordering;
use versions::{compare_versions, newest};

#[test]
fn patch_levels() {
    assert_eq!(compare_versions("1.2.3", "1.2.4"), Ordering::Less);
    assert_eq!(compare_versions("2.0.0", "1.9.9"), Ordering::Greater);
}

#[test]
fn missing_parts_are_zero() {
    assert_eq!(compare_versions("1.2", "1.2.0"), Ordering::Equal);
}

#[test]
fn picks_the_newest() {
    assert_eq!(newest(&["0.3.1", "0.4.0", "0.3.9"]), Some("0.4.0"));
    assert_eq!(newest(&[]), None);
}
