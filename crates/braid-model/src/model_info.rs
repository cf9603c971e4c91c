//! What braid knows about remote models without asking them: their context windows, so that a session
//! can compact before a request would overflow. Config (`model_context_window`) always wins over this.

/// Context windows of well-known model families, by name prefix, longest prefix first where prefixes
/// overlap. Figures are the input tokens each provider documents; where a window is shared between input
/// and output (OpenAI's GPT-5: 400k in all, 272k of it input) the input share is listed, since that is
/// what a request must fit in.
const KNOWN_WINDOWS: &[(&str, u64)] = &[
    ("gpt-5", 272_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-oss", 131_072),
    ("o4-mini", 200_000),
    ("o3", 200_000),
    ("o1", 200_000),
    ("codex-mini", 200_000),
    ("claude-", 200_000),
    ("qwen2.5-coder", 32_768),
    ("qwen3-coder", 262_144),
];

/// The context window of `model` when it belongs to a known family. A provider prefix (`openai/gpt-5`,
/// as OpenRouter spells names) is ignored.
pub fn known_context_window(model: &str) -> Option<u64> {
    let name = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase();
    KNOWN_WINDOWS
        .iter()
        .filter(|(prefix, _)| name.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, window)| *window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_provider_prefixes() {
        assert_eq!(known_context_window("gpt-5-codex"), Some(272_000));
        assert_eq!(known_context_window("openai/gpt-4.1-mini"), Some(1_047_576));
        assert_eq!(known_context_window("claude-sonnet-4-5"), Some(200_000));
        assert_eq!(known_context_window("Qwen2.5-Coder-7B-Instruct"), Some(32_768));
        assert_eq!(known_context_window("my-finetune"), None);
    }
}
