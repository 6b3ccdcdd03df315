//! The live drill engine: the tamper-evident event log (`chain`), the scheduler that
//! releases injects exactly once, and the live hub that streams committed events to
//! WebSockets (`hub`, writing to each socket through its `subscriber` queue). With several processes on PostgreSQL, leases decide which one
//! runs a drill's scheduler and LISTEN/NOTIFY (`listener`) wakes every process's hub.

pub mod chain;
pub mod hub;
pub mod listener;
pub mod scheduler;
pub mod scores;
pub mod subscriber;
