use calc::eval;

#[test]
fn precedence_and_parentheses() {
    assert_eq!(eval("2 + 3 * 4"), Ok(14));
    assert_eq!(eval("(2 + 3) * 4"), Ok(20));
    assert_eq!(eval("12 / 5"), Ok(2));
}

#[test]
fn chains_of_subtraction() {
    assert_eq!(eval("10 - 4 - 3"), Ok(3));
}

#[test]
fn errors() {
    assert!(eval("1 / 0").is_err());
    assert!(eval("2 +").is_err());
    assert!(eval("(1").is_err());
}
