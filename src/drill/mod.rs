//! The live drill engine: the tamper-evident event log (`chain`), and — as it grows —
//! the scheduler that releases injects exactly once, the live hub that streams events
//! to browsers, and the cluster fan-out over PostgreSQL.

pub mod chain;
pub mod scheduler;
