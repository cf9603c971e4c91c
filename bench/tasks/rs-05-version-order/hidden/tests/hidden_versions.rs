use std::cmp::Ordering;
use versions::{compare_versions, newest};

#[test]
fn parts_compare_as_numbers() {
    assert_eq!(compare_versions("1.10.0", "1.9.0"), Ordering::Greater);
    assert_eq!(compare_versions("1.2.10", "1.2.9"), Ordering::Greater);
    assert_eq!(compare_versions("10.0", "9.99"), Ordering::Greater);
    assert_eq!(compare_versions("0.9", "0.10"), Ordering::Less);
}

#[test]
fn leading_zeros_and_trailing_zero_parts() {
    assert_eq!(compare_versions("1.02", "1.2"), Ordering::Equal);
    assert_eq!(compare_versions("1.0.0.0", "1"), Ordering::Equal);
    assert_eq!(compare_versions("1.0.0.1", "1"), Ordering::Greater);
}

#[test]
fn newest_with_two_digit_parts() {
    assert_eq!(newest(&["1.9.0", "1.10.0", "1.2.0"]), Some("1.10.0"));
}
