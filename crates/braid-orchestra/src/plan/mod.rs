//! The plan format: parsing a plan file into sections, Progress, Decision Log, milestones and the
//! machine-readable part, and checking it (written by a helper).
