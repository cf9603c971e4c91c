//! The AI reviewer (`braid review`): the model reads a change with read-only tools and answers through a
//! tool whose schema is the review's, and braid keeps only the findings that are confident, on or near the
//! changed lines, and not repeated.

mod model;

pub use model::{DropReason, Dropped, Finding, Priority, Review, ReviewTarget, TestEvidence, Verdict};
