use duration::parse_duration;

#[test]
fn all_three_units_and_large_numbers() {
    assert_eq!(parse_duration("1h2m3s"), Some(3723));
    assert_eq!(parse_duration("90m"), Some(5400));
    assert_eq!(parse_duration("0s"), Some(0));
    assert_eq!(parse_duration("100h"), Some(360_000));
}

#[test]
fn malformed_text_is_refused() {
    for bad in ["", "h", "1", "1x", "m5", "1h1h", "5s1m", "1m 5s", "-1s", "+1s", "1.5h", "1H", "s1"] {
        assert_eq!(parse_duration(bad), None, "{bad:?} should be refused");
    }
}

#[test]
fn overflow_is_refused() {
    assert_eq!(parse_duration("99999999999999999999s"), None);
    assert_eq!(parse_duration("9999999999999999h"), None);
}
