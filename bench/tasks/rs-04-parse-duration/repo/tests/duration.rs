use duration::parse_duration;

#[test]
fn single_units() {
    assert_eq!(parse_duration("45s"), Some(45));
    assert_eq!(parse_duration("2m"), Some(120));
    assert_eq!(parse_duration("1h"), Some(3600));
}

#[test]
fn combined_units() {
    assert_eq!(parse_duration("1h30m"), Some(5400));
    assert_eq!(parse_duration("2m5s"), Some(125));
}

#[test]
fn a_bare_number_is_refused() {
    assert_eq!(parse_duration("30"), None);
}
