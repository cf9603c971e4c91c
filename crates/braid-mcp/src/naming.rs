//! The names tools are offered under: `<server>__<tool>`, with characters providers reject replaced
//! and names over 64 characters (the common provider limit) shortened deterministically, so the same
//! server offers the same names in every session and a resumed conversation's calls still resolve.

/// Longest tool name the providers accept.
pub const MAX_TOOL_NAME: usize = 64;

/// The name `tool` of `server` is offered under. Characters outside `[a-zA-Z0-9_-]` become `_`; a name
/// longer than `MAX_TOOL_NAME` keeps its head and gets a hash of the whole name appended, so two long
/// names that share a head stay distinct.
pub fn qualified_name(server: &str, tool: &str) -> String {
    let full: String = format!("{server}__{tool}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if full.len() <= MAX_TOOL_NAME {
        return full;
    }
    let hash = format!("{:016x}", fnv1a(format!("{server}__{tool}").as_bytes()));
    let suffix = &hash[..12];
    format!("{}_{suffix}", &full[..MAX_TOOL_NAME - suffix.len() - 1])
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_qualified_and_kept_within_the_limit() {
        let check = |server: &str, tool: &str, expected: &str| assert_eq!(qualified_name(server, tool), expected);
        check("fs", "read_text_file", "fs__read_text_file");
        check("web", "search.query v2", "web__search_query_v2");
        let long = "a".repeat(70);
        let one = qualified_name("srv", &long);
        let other = qualified_name("srv", &format!("{long}b"));
        assert_eq!(one.len(), MAX_TOOL_NAME);
        assert!(one.starts_with("srv__aaaa"), "{one}");
        assert_ne!(one, other, "names sharing a head stay distinct");
        assert_eq!(one, qualified_name("srv", &long), "the same name shortens the same way");
    }
}
