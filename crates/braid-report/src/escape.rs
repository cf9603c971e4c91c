//! HTML escaping: every piece of text that reaches the page (task, messages, file names, code) goes
//! through here, because all of it comes from agents and repositories and may contain markup.

/// Returns `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, safe both as element content and
/// inside a quoted attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped as [`escape`] does, without an intermediate string.
pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    fn check(input: &str, expected: &str) {
        assert_eq!(escape(input), expected, "escaping {input:?}");
    }

    #[test]
    fn markup_and_quotes_become_entities() {
        check("plain text", "plain text");
        check("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
        check("a && b", "a &amp;&amp; b");
        check("\"quoted\" and 'single'", "&quot;quoted&quot; and &#39;single&#39;");
        check("&amp; stays literal", "&amp;amp; stays literal");
        check("ünïcødé → ok", "ünïcødé → ok");
        check("", "");
    }
}
