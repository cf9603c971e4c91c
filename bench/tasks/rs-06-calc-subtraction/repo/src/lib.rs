//! The calculator behind the `=` command: integer arithmetic with `+ - * /`, unary minus and
//! parentheses.

mod lexer;

use lexer::Token;

/// Evaluates `text`. `*` and `/` bind tighter than `+` and `-`; operators of equal precedence apply
/// from left to right; division truncates toward zero. Fails with a message on a syntax error,
/// division by zero or overflow.
pub fn eval(text: &str) -> Result<i64, String> {
    let mut parser = Parser { tokens: lexer::tokenize(text)?, pos: 0 };
    let value = parser.sum()?;
    if parser.pos != parser.tokens.len() {
        return Err(format!("unexpected {:?}", parser.tokens[parser.pos]));
    }
    Ok(value)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn next_if(&mut self, token: Token) -> bool {
        let found = self.tokens.get(self.pos) == Some(&token);
        if found {
            self.pos += 1;
        }
        found
    }

    fn sum(&mut self) -> Result<i64, String> {
        let left = self.product()?;
        if self.next_if(Token::Plus) {
            return left.checked_add(self.sum()?).ok_or_else(overflow);
        }
        if self.next_if(Token::Minus) {
            return left.checked_sub(self.sum()?).ok_or_else(overflow);
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<i64, String> {
        let mut value = self.atom()?;
        loop {
            if self.next_if(Token::Star) {
                value = value.checked_mul(self.atom()?).ok_or_else(overflow)?;
            } else if self.next_if(Token::Slash) {
                let divisor = self.atom()?;
                if divisor == 0 {
                    return Err("division by zero".to_string());
                }
                value = value.checked_div(divisor).ok_or_else(overflow)?;
            } else {
                return Ok(value);
            }
        }
    }

    fn atom(&mut self) -> Result<i64, String> {
        if self.next_if(Token::Minus) {
            return self.atom()?.checked_neg().ok_or_else(overflow);
        }
        if self.next_if(Token::Open) {
            let value = self.sum()?;
            return if self.next_if(Token::Close) { Ok(value) } else { Err("missing `)`".to_string()) };
        }
        match self.tokens.get(self.pos) {
            Some(&Token::Num(n)) => {
                self.pos += 1;
                Ok(n)
            }
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

fn overflow() -> String {
    "overflow".to_string()
}
