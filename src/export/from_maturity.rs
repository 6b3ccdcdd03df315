//! Filling the export model from the maturity computation's results
//! (`store::maturity::annual`). Only a change of shape: every number is the
//! computation's own.

use super::maturity::{
    DimensionDef, DimensionScore, DrillLogRef, FrameworkRef, KpiDef, KpiScore, LevelDef,
    MaturityContent, OrgRef, TeamDrill, TeamMaturity, YearScore,
};
use crate::maturity::{Framework, KpiUnit};
use crate::time::rfc3339_micros;

/// The KPI whose raw value is the mean time to detect (K2 of domain.md §3.4).
const MTTD_KPI: &str = "K2";

fn both(b: &crate::maturity::Bilingual) -> String {
    if b.vi == b.en {
        b.vi.clone()
    } else {
        format!("{} / {}", b.vi, b.en)
    }
}

/// The framework as the export describes it.
pub fn framework_ref(f: &Framework) -> FrameworkRef {
    FrameworkRef {
        id: f.id.clone(),
        version: f.version.to_string(),
        name: both(&f.name),
        dimensions: f
            .dimensions
            .iter()
            .map(|d| DimensionDef {
                code: d.id.clone(),
                name_vi: d.name.vi.clone(),
                name_en: d.name.en.clone(),
                weight: d.weight,
            })
            .collect(),
        kpis: f
            .kpis
            .iter()
            .map(|k| KpiDef {
                code: k.id.clone(),
                name_vi: k.name.vi.clone(),
                name_en: k.name.en.clone(),
                weight: k.weight,
            })
            .collect(),
        levels: f
            .levels
            .iter()
            .map(|l| LevelDef {
                level: l.level,
                name_vi: l.name.vi.clone(),
                name_en: l.name.en.clone(),
                min_score: l.band[0],
                gates: l.gates.iter().map(|g| both(&g.text)).collect(),
            })
            .collect(),
    }
}

/// Builds the export's content from a year's results. `framework` is the one the
/// results were computed with (the active one for a year without results).
pub fn content(
    year: i32,
    organisation: OrgRef,
    framework: &Framework,
    teams: &[crate::maturity::TeamMaturity],
) -> MaturityContent {
    let mut drill_logs: Vec<DrillLogRef> = Vec::new();
    for t in teams {
        for d in &t.drills {
            if !drill_logs.iter().any(|l| l.drill_id == d.drill_id) {
                drill_logs.push(DrillLogRef {
                    drill_id: d.drill_id,
                    title: d.title.clone(),
                    ended_at: Some(rfc3339_micros(d.ended_at)),
                    events: u64::try_from(d.head_seq).unwrap_or(0),
                    head_hash: d.head_hash.clone(),
                });
            }
        }
    }
    drill_logs.sort_by(|a, b| {
        a.ended_at
            .cmp(&b.ended_at)
            .then(a.drill_id.cmp(&b.drill_id))
    });
    MaturityContent {
        year,
        organisation,
        framework: framework_ref(framework),
        drill_logs,
        teams: teams
            .iter()
            .map(|t| TeamMaturity {
                team_id: t.team_id,
                team_name: t.team_name.clone(),
                level: t.level,
                level_name_vi: t.level_name.vi.clone(),
                level_name_en: t.level_name.en.clone(),
                score: t.score,
                dimensions: t
                    .dimensions
                    .iter()
                    .map(|d| DimensionScore {
                        code: d.id.clone(),
                        score: Some(d.score),
                    })
                    .collect(),
                gates_failed: t.gates_failed.iter().map(|g| both(&g.message)).collect(),
                drills: t
                    .drills
                    .iter()
                    .map(|d| TeamDrill {
                        drill_id: d.drill_id,
                        title: d.title.clone(),
                        ended_at: Some(rfc3339_micros(d.ended_at)),
                        kpis: d
                            .kpis
                            .kpis
                            .iter()
                            .map(|k| KpiScore {
                                code: k.id.clone(),
                                score: k.value,
                            })
                            .collect(),
                        mean_time_to_detect_s: d
                            .kpis
                            .kpis
                            .iter()
                            .find(|k| k.id == MTTD_KPI && k.unit == KpiUnit::Seconds)
                            .and_then(|k| k.raw),
                    })
                    .collect(),
                trend: t
                    .trend
                    .iter()
                    .filter(|p| p.year != year)
                    .map(|p| YearScore {
                        year: p.year,
                        score: p.score,
                        level: p.level,
                        framework_version: format!("{} {}", p.framework.id, p.framework.version),
                    })
                    .collect(),
            })
            .collect(),
    }
}
