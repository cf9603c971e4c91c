//! The model store (being written on helper/store; this placeholder holds only the family enum).

/// Which chat format a model was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Qwen2,
    SmolLM2,
    ChatMl,
}
