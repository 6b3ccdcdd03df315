//! The competency framework (versioned data) and the yearly maturity of response
//! teams. Pure: the framework types, loader and validator ([`framework`]), the drill
//! KPIs K1–K7 and their normalisation ([`kpi`]), and the annual computation
//! ([`compute`]). The database side lives in `store::maturity`; how the numbers are
//! made is written down in `docs/scoring.md`.

pub mod compute;
pub mod framework;
pub mod kpi;
pub mod measure;

pub use compute::{
    AssessmentInput, DimensionScore, DrillRecord, DrillUsed, GateResult, GateStatus, MemberFacts,
    MetricScore, PlanProgress, ProtectedSystem, TeamFacts, TeamMaturity, TeamYear, TrendPoint,
    compute,
};
pub use framework::{
    AssessmentMethod, Bilingual, Framework, FrameworkErrors, FrameworkProblem, FrameworkRef,
};
pub use kpi::{
    DrillKpis, DrillMeasures, KpiScore, KpiUnit, ReportGrades, SeverityCounts, score_drill,
};
