//! `braid init`: the PLANS.md guide and the AGENTS.md rule pointing at it (written by a helper).
