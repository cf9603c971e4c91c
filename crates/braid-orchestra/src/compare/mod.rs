//! Comparing a run's attempts on evidence: gathering what each attempt did (checks, diff, plan
//! conformance, cost) and ranking them by a documented, deterministic order.

mod model;

pub use model::{Comparison, Criterion, DiffStats, Evidence, FindingCounts, PlanInfo, Ranked, RunInfo};
