//! Splits a calculator expression into tokens.

/// One token of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Num(i64),
    Plus,
    Minus,
    Star,
    Slash,
    Open,
    Close,
}

/// Returns the tokens of `text`, skipping whitespace. Fails on an unknown character or a number that
/// does not fit in an `i64`.
pub fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(mut value) = c.to_digit(10).map(i64::from) {
            i += 1;
            while let Some(digit) = chars.get(i).and_then(|d| d.to_digit(10)) {
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(digit)))
                    .ok_or("number too large")?;
                i += 1;
            }
            tokens.push(Token::Num(value));
            continue;
        }
        let token = match c {
            '+' => Token::Plus,
            '-' => Token::Minus,
            '*' => Token::Star,
            '/' => Token::Slash,
            '(' => Token::Open,
            ')' => Token::Close,
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            other => return Err(format!("unexpected character {other:?}")),
        };
        tokens.push(token);
        i += 1;
    }
    Ok(tokens)
}
