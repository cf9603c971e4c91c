//! braid's outer loop. Today: execution plans — their format and checks (`plan`), the repository guide
//! `braid init` writes (`init`), authoring and revising plans with the agent (`author`), and executing a
//! plan milestone by milestone (`execute`). Later: runs of parallel attempts, ranking, review and ship.
//!
//! This crate never renders UI or touches the terminal: it reports through events and returns data that
//! the front ends print.

pub mod agents;
pub mod author;
pub mod checks;
pub mod compare;
pub mod execute;
pub mod fsutil;
pub mod init;
pub mod plan;
pub mod review;
pub mod run;
pub mod ship;
pub mod store;
pub mod warm;
