//! Per-drill KPIs: the scorecard, computed from the drill's event log alone.

pub mod scorecard;
