use calc::eval;

#[test]
fn left_to_right_for_equal_precedence() {
    assert_eq!(eval("10 - 2 + 3"), Ok(11));
    assert_eq!(eval("1 - 1 - 1 - 1"), Ok(-2));
    assert_eq!(eval("100 / 10 / 5"), Ok(2));
    assert_eq!(eval("20 - 3 * 2 - 4"), Ok(10));
    assert_eq!(eval("1 + 2 - 3 + 4"), Ok(4));
}

#[test]
fn unary_minus_and_nesting() {
    assert_eq!(eval("-3 - -3"), Ok(0));
    assert_eq!(eval("2 * (10 - 4 - 3)"), Ok(6));
    assert_eq!(eval("-(7 - 2) - 1"), Ok(-6));
}

#[test]
fn bad_input() {
    assert!(eval("").is_err());
    assert!(eval("1 2").is_err());
    assert!(eval("3 % 2").is_err());
    assert!(eval("9223372036854775807 + 1").is_err());
}
