//! The live drill engine: the tamper-evident event log (`chain`), the scheduler that
//! releases injects exactly once, and the live hub that streams committed events to
//! WebSockets (`hub`). The cluster fan-out over PostgreSQL will wake the same hub.

pub mod chain;
pub mod hub;
pub mod scheduler;
