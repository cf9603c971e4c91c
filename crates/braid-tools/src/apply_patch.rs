//! The apply_patch tool: parses the patch format models are trained on and applies it wholly or not at all.
