//! Drill KPIs K1–K7 of a blue team (domain.md §3.4): the raw measurements of one drill
//! ([`DrillMeasures`], taken from the drill log by the scorecard) and their
//! normalisation to 0–100 with a framework's rules ([`score_drill`]). Pure: no clock, no
//! database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::framework::{Bilingual, Framework, KpiDef, Normalisation};

/// Counts of red-team findings the judges (BGK) accepted, by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SeverityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
}

/// The judges' grades of a team's final report: one grade per section of the VNCERT
/// final report (system introduction; process, technology, people; overall
/// assessment; per action, actor and day; lessons learned), and the tools deployed but
/// not used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportGrades {
    pub sections: Vec<f64>,
    pub unused_tools: u32,
}

/// What one blue team did in one drill, measured from the drill log. `None` means the
/// drill gave nothing to measure (no attacker action, no detection, no availability
/// record, no graded report); such a KPI is left out of the drill's score.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillMeasures {
    /// K1: attacker actions (and detect-expected injects) detected, in % of those run.
    pub coverage_pct: Option<f64>,
    /// K2: mean seconds from action to detection, undetected actions counted at the
    /// drill's end.
    pub mttd_s: Option<f64>,
    /// K3: mean seconds from detection to the report to the organisers.
    pub time_to_report_s: Option<f64>,
    /// K4: % of detections with a verified, effective containment.
    pub contained_pct: Option<f64>,
    /// K4: mean seconds from detection to that containment.
    pub mttc_s: Option<f64>,
    /// K5: findings accepted against the team's systems; `None` when no red team
    /// acted in the drill (no red action, no finding), so that a drill nobody
    /// attacked does not score a perfect compromise outcome.
    #[serde(default)]
    pub accepted_findings: Option<SeverityCounts>,
    /// K6: % of the service checks that found the team's target services up, where
    /// any were made (`service_check` records).
    pub availability_pct: Option<f64>,
    /// K7: the judges' grades of the final report, where graded.
    pub report: Option<ReportGrades>,
}

/// One KPI of one drill (or of a year: then `raw` and `value` are means over drills).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiScore {
    /// `K1`…`K7`.
    pub id: String,
    pub name: Bilingual,
    /// The measurement in its unit (see `unit`); null when not recorded.
    pub raw: Option<f64>,
    /// `percent`, `seconds`, `points` (K5: severity points lost) or `grade` (K7: mean
    /// section grade).
    pub unit: KpiUnit,
    /// Normalised 0–100; null when not recorded.
    pub value: Option<f64>,
    /// The weight the framework gives this KPI.
    pub weight: f64,
    /// The weight actually used after leaving out KPIs that were not recorded
    /// (renormalised so the used weights sum to 1); 0 when not recorded.
    pub effective_weight: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KpiUnit {
    Percent,
    Seconds,
    Points,
    Grade,
}

/// A drill's KPIs and its score (the weighted mean of the recorded KPIs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillKpis {
    pub kpis: Vec<KpiScore>,
    /// 0–100; 0 when nothing at all was recorded.
    pub score: f64,
    /// The KPIs left out because the drill did not record them (weights renormalised).
    pub not_recorded: Vec<String>,
}

/// The measurement a KPI id stands for. The ids are the product's (K1–K7 of
/// domain.md §3.4): a framework may reweight and renormalise them, not invent new ones.
pub fn raw_measure(id: &str, m: &DrillMeasures, n: &Normalisation) -> Option<(f64, KpiUnit)> {
    match (id, n) {
        ("K1", _) => m.coverage_pct.map(|v| (v, KpiUnit::Percent)),
        ("K2", _) => m.mttd_s.map(|v| (v, KpiUnit::Seconds)),
        ("K3", _) => m.time_to_report_s.map(|v| (v, KpiUnit::Seconds)),
        ("K4", _) => m.contained_pct.map(|v| (v, KpiUnit::Percent)),
        (
            "K5",
            Normalisation::SeverityPoints {
                critical,
                high,
                medium,
                low,
            },
        ) => {
            let f = m.accepted_findings?;
            Some((
                f.critical as f64 * critical
                    + f.high as f64 * high
                    + f.medium as f64 * medium
                    + f.low as f64 * low,
                KpiUnit::Points,
            ))
        }
        ("K6", _) => m.availability_pct.map(|v| (v, KpiUnit::Percent)),
        ("K7", _) => m.report.as_ref().and_then(|r| {
            (!r.sections.is_empty()).then(|| {
                (
                    r.sections.iter().sum::<f64>() / r.sections.len() as f64,
                    KpiUnit::Grade,
                )
            })
        }),
        _ => None,
    }
}

/// The KPI ids the product measures, with the normalisation kinds each accepts.
pub fn kpi_accepts(id: &str, n: &Normalisation) -> bool {
    use Normalisation as N;
    match id {
        "K1" | "K6" => matches!(n, N::Percent),
        "K2" | "K3" => matches!(n, N::LinearTime { .. } | N::LogTime { .. }),
        "K4" => matches!(n, N::Containment { .. }),
        "K5" => matches!(n, N::SeverityPoints { .. }),
        "K7" => matches!(n, N::Rubric { .. }),
        _ => false,
    }
}

/// 0–100 for a raw measurement under a normalisation rule.
pub fn normalise(def: &KpiDef, raw: f64, m: &DrillMeasures) -> f64 {
    let v = match &def.normalisation {
        Normalisation::Percent => raw,
        Normalisation::LinearTime { best_s, worst_s } => linear_time(raw, *best_s, *worst_s),
        Normalisation::LogTime { best_s, worst_s } => log_time(raw, *best_s, *worst_s),
        Normalisation::Containment {
            ratio_weight,
            time_weight,
            best_s,
            worst_s,
        } => {
            // No containment at all has no time: the time part scores 0.
            let time = m.mttc_s.map_or(0.0, |t| linear_time(t, *best_s, *worst_s));
            ratio_weight * raw.clamp(0.0, 100.0) + time_weight * time
        }
        Normalisation::SeverityPoints { .. } => 100.0 - raw,
        Normalisation::Rubric {
            max_per_section,
            penalty_per_unused_tool,
        } => {
            let unused = m.report.as_ref().map_or(0, |r| r.unused_tools);
            raw * 100.0 / max_per_section - penalty_per_unused_tool * unused as f64
        }
    };
    v.clamp(0.0, 100.0)
}

fn linear_time(t: f64, best: f64, worst: f64) -> f64 {
    if t <= best {
        100.0
    } else if t >= worst {
        0.0
    } else {
        100.0 * (worst - t) / (worst - best)
    }
}

fn log_time(t: f64, best: f64, worst: f64) -> f64 {
    if t <= best {
        100.0
    } else if t >= worst {
        0.0
    } else {
        100.0 * (worst.ln() - t.ln()) / (worst.ln() - best.ln())
    }
}

/// Rounds a presented value to two decimals (scores are shown, exported and compared
/// at this precision).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Scores one drill for one team with a framework: every KPI normalised, the drill's
/// score the weighted mean of the recorded ones (weights renormalised over them).
pub fn score_drill(framework: &Framework, m: &DrillMeasures) -> DrillKpis {
    let measured: Vec<(&KpiDef, Option<(f64, KpiUnit)>)> = framework
        .kpis
        .iter()
        .map(|def| (def, raw_measure(&def.id, m, &def.normalisation)))
        .collect();
    let used_weight: f64 = measured
        .iter()
        .filter(|(_, raw)| raw.is_some())
        .map(|(def, _)| def.weight)
        .sum();
    let mut score = 0.0;
    let mut kpis = Vec::new();
    let mut not_recorded = Vec::new();
    for (def, raw) in measured {
        let unit = unit_of(&def.normalisation);
        match raw {
            Some((raw, unit)) => {
                let value = normalise(def, raw, m);
                let effective = def.weight / used_weight;
                score += effective * value;
                kpis.push(KpiScore {
                    id: def.id.clone(),
                    name: def.name.clone(),
                    raw: Some(round2(raw)),
                    unit,
                    value: Some(round2(value)),
                    weight: def.weight,
                    effective_weight: (effective * 10_000.0).round() / 10_000.0,
                });
            }
            None => {
                not_recorded.push(def.id.clone());
                kpis.push(KpiScore {
                    id: def.id.clone(),
                    name: def.name.clone(),
                    raw: None,
                    unit,
                    value: None,
                    weight: def.weight,
                    effective_weight: 0.0,
                });
            }
        }
    }
    DrillKpis {
        kpis,
        score: round2(score),
        not_recorded,
    }
}

fn unit_of(n: &Normalisation) -> KpiUnit {
    match n {
        Normalisation::Percent | Normalisation::Containment { .. } => KpiUnit::Percent,
        Normalisation::LinearTime { .. } | Normalisation::LogTime { .. } => KpiUnit::Seconds,
        Normalisation::SeverityPoints { .. } => KpiUnit::Points,
        Normalisation::Rubric { .. } => KpiUnit::Grade,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(k: &DrillKpis, id: &str) -> Option<f64> {
        k.kpis.iter().find(|s| s.id == id).and_then(|s| s.value)
    }

    #[test]
    fn time_normalisations_hit_their_ends_and_the_middle() {
        assert_eq!(linear_time(1800.0, 1800.0, 28800.0), 100.0);
        assert_eq!(linear_time(28800.0, 1800.0, 28800.0), 0.0);
        assert_eq!(linear_time(15300.0, 1800.0, 28800.0), 50.0);
        // log-linear: the geometric mean of 15 min and 24 h (≈ 2 h 27 min) scores 50.
        let mid = (900.0f64 * 86400.0).sqrt();
        assert!((log_time(mid, 900.0, 86400.0) - 50.0).abs() < 1e-9);
        assert_eq!(log_time(3600.0, 900.0, 86400.0).round(), 70.0);
    }

    #[test]
    fn a_perfect_drill_scores_100_and_an_unrecorded_kpi_is_left_out() {
        let f = Framework::builtin();
        let m = DrillMeasures {
            coverage_pct: Some(100.0),
            mttd_s: Some(600.0),
            time_to_report_s: Some(60.0),
            contained_pct: Some(100.0),
            mttc_s: Some(1200.0),
            accepted_findings: Some(SeverityCounts::default()),
            availability_pct: None,
            report: Some(ReportGrades {
                sections: vec![4.0; 5],
                unused_tools: 0,
            }),
        };
        let k = score_drill(&f, &m);
        assert_eq!(k.score, 100.0);
        assert_eq!(k.not_recorded, ["K6"]);
        assert_eq!(value(&k, "K6"), None);
    }

    #[test]
    fn findings_and_unused_tools_cost_points() {
        let f = Framework::builtin();
        let m = DrillMeasures {
            accepted_findings: Some(SeverityCounts {
                critical: 1,
                high: 2,
                medium: 1,
                low: 3,
            }),
            report: Some(ReportGrades {
                sections: vec![3.0, 3.0, 2.0, 4.0, 3.0],
                unused_tools: 1,
            }),
            ..Default::default()
        };
        let k = score_drill(&f, &m);
        // 100 − (40 + 2×20 + 8 + 3×2) = 6
        assert_eq!(value(&k, "K5"), Some(6.0));
        // mean 3 → 75, minus 10 for the unused tool
        assert_eq!(value(&k, "K7"), Some(65.0));
        // only K5 (0.15) and K7 (0.10) recorded: (0.15×6 + 0.10×65) / 0.25 = 29.6
        assert_eq!(k.score, 29.6);
    }

    #[test]
    fn a_drill_nobody_attacked_records_no_compromise_outcome_and_scores_nothing() {
        let f = Framework::builtin();
        let k = score_drill(&f, &DrillMeasures::default());
        assert_eq!(value(&k, "K5"), None);
        assert_eq!(k.not_recorded.len(), f.kpis.len());
        assert_eq!(k.score, 0.0);
        // Attacked and nothing accepted: a perfect K5, and the score is K5 alone.
        let attacked = DrillMeasures {
            accepted_findings: Some(SeverityCounts::default()),
            ..Default::default()
        };
        let k = score_drill(&f, &attacked);
        assert_eq!(value(&k, "K5"), Some(100.0));
        assert_eq!(k.score, 100.0);
    }
}
