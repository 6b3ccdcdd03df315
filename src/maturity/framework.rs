//! The competency framework as versioned data: its types, the TOML loader and the
//! validator. A framework that fails validation is never used: [`Framework::parse`]
//! returns every problem, each naming its place in the file (`levels[3].band`,
//! `dimensions[D2].metrics[1].source.fact`…), and nothing else in this module accepts
//! an unvalidated framework.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The built-in default framework (`vn-irt` version 1), embedded at compile time.
pub const BUILTIN_TOML: &str = include_str!("frameworks/vn-irt-v1.toml");

/// Weights must sum to 1 within this tolerance (files are written by people, with
/// decimals such as 0.25 + 0.25 + 0.5).
const WEIGHT_TOLERANCE: f64 = 1e-6;

/// A Vietnamese and an English text; Vietnamese first, as everywhere in the product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    pub vi: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Bilingual {
            vi: vi.into(),
            en: en.into(),
        }
    }
}

/// A validated framework. Construct it with [`Framework::parse`] or
/// [`Framework::builtin`]; the fields are public for reading (exports describe the
/// framework), but a hand-built value is never passed to the computation unchecked
/// because the computation takes a [`Framework`] only from those constructors in the
/// application code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Stable identifier, e.g. `vn-irt`; with `version` it names exactly one file.
    pub id: String,
    pub version: u32,
    /// `proposal` for the product's default; an authority's own file says `official`.
    pub status: FrameworkStatus,
    pub name: Bilingual,
    #[serde(default)]
    pub notice: Option<Bilingual>,
    pub scale: Scale,
    pub categories: Vec<Category>,
    pub parameters: Vec<Parameter>,
    pub kpis: Vec<KpiDef>,
    pub dimensions: Vec<Dimension>,
    pub drills: DrillAggregation,
    pub levels: Vec<LevelDef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrameworkStatus {
    /// A design proposal (the product's default), not a published requirement.
    Proposal,
    /// Published by an authority.
    Official,
}

/// The capability scale: SIM3 uses 0–4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    pub max: u8,
}

/// A parameter category (SIM3: O, H, T, P).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: Bilingual,
}

/// One capability parameter (e.g. SIM3 `O-1`), assessed on the framework's scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub code: String,
    pub name: Bilingual,
}

impl Parameter {
    /// The category is the part before the dash (`O-1` → `O`).
    pub fn category(&self) -> &str {
        self.code.split('-').next().unwrap_or("")
    }
}

/// A drill KPI: its weight in a drill's score and how its raw value becomes 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiDef {
    pub id: String,
    pub name: Bilingual,
    pub weight: f64,
    pub normalisation: Normalisation,
}

/// How a KPI's raw measurement maps onto 0–100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Normalisation {
    /// The raw value is already a percentage (clamped to 0–100).
    Percent,
    /// A duration in seconds: 100 at or below `best_s`, 0 at or above `worst_s`,
    /// linear in between.
    LinearTime { best_s: f64, worst_s: f64 },
    /// As `linear_time` but linear in the logarithm of the duration (minutes and
    /// hours matter alike).
    LogTime { best_s: f64, worst_s: f64 },
    /// K4: `ratio_weight` × the share of contained detections + `time_weight` × the
    /// linear score of the mean time to contain.
    Containment {
        ratio_weight: f64,
        time_weight: f64,
        best_s: f64,
        worst_s: f64,
    },
    /// K5: 100 minus the severity points of accepted findings, floored at 0.
    SeverityPoints {
        critical: f64,
        high: f64,
        medium: f64,
        low: f64,
    },
    /// K7: mean section grade × (100 / `max_per_section`), minus a penalty per tool
    /// deployed but not used, floored at 0.
    Rubric {
        max_per_section: f64,
        penalty_per_unused_tool: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub id: String,
    pub name: Bilingual,
    pub weight: f64,
    pub metrics: Vec<Metric>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub id: String,
    pub weight: f64,
    pub source: MetricSource,
}

/// Where a dimension metric's 0–100 value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MetricSource {
    /// The mean of a category's parameters, each level × 100 / scale max.
    CategoryMean { category: String },
    /// A fact of the records, as a percentage (see [`Fact`]).
    Fact { fact: Fact },
    /// The drills of the year (see [`DrillAggregation`]).
    Drills,
}

/// How the year's drill scores become one value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillAggregation {
    /// The weight of the worst drill in the mean (the others weigh 1).
    pub worst_drill_weight: f64,
    /// The value when the team played in no drill that year.
    pub no_drill_score: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelDef {
    pub level: u8,
    pub name: Bilingual,
    /// `[min, max)`; the top band includes its max (100).
    pub band: [f64; 2],
    #[serde(default)]
    pub gates: Vec<Gate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    pub id: String,
    pub check: GateCheck,
    pub text: Bilingual,
    #[serde(default)]
    pub when_not_recorded: WhenNotRecorded,
}

/// What a gate does when the evidence it needs is not recorded by cyberdrill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WhenNotRecorded {
    /// The gate fails (the requirement cannot be shown).
    #[default]
    Fail,
    /// The gate is reported as not assessed and does not hold the level back.
    NotAssessed,
}

/// A gate's condition. Parameters, categories, KPIs and facts are named by id and
/// checked against the framework when it is loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GateCheck {
    ParameterMin {
        parameter: String,
        min: u8,
    },
    ParametersMin {
        parameters: Vec<String>,
        min: u8,
    },
    CategoryMin {
        category: String,
        min: u8,
    },
    AllParametersMin {
        min: u8,
    },
    /// The year's value of a KPI (mean of the drills' raw values) is at least `min`.
    KpiMin {
        kpi: String,
        min: f64,
    },
    KpiMax {
        kpi: String,
        max: f64,
    },
    FactMin {
        fact: Fact,
        min: f64,
    },
    FactMax {
        fact: Fact,
        max: f64,
    },
    /// Every level-3+ system the team protects has an approved, non-stale playbook.
    IrPlansCurrent,
    /// Every level-3+ system the team protects was the target of a live-fire drill in
    /// the year in which the team played blue.
    LiveFireEachSystem,
    /// The year's assessment used one of these methods.
    AssessmentMethod {
        any_of: Vec<AssessmentMethod>,
    },
}

/// How a capability assessment was made (domain.md §1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssessmentMethod {
    /// Tự đánh giá.
    #[serde(rename = "self")]
    SelfAssessment,
    /// Đánh giá chéo.
    Peer,
    /// Đánh giá độc lập.
    ExternalAudit,
}

impl AssessmentMethod {
    pub const ALL: [AssessmentMethod; 3] = [
        AssessmentMethod::SelfAssessment,
        AssessmentMethod::Peer,
        AssessmentMethod::ExternalAudit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AssessmentMethod::SelfAssessment => "self",
            AssessmentMethod::Peer => "peer",
            AssessmentMethod::ExternalAudit => "external_audit",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// The facts of the records a framework may refer to. Percentages are 0–100.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// % of the level-3+ systems the team protects with an approved, non-stale playbook.
    IrPlanCoverage,
    /// min(1, qualified experts / 5) × 100.
    Staffing,
    /// % of the four Form-01 expert groups covered, KTPT counted double.
    SkillCoverage,
    /// % of members holding a certificate valid at the end of the year.
    CertifiedShare,
    /// Presence of the tools TT 12 requires (not recorded by cyberdrill).
    RequiredTools,
    /// % of real incidents reported on time (not recorded by cyberdrill).
    ReportingTimeliness,
    /// % of improvement-plan actions closed (not recorded by cyberdrill yet).
    ImprovementPlanClosure,
    /// Count of qualified experts (members with an expert group and a valid certificate).
    QualifiedExperts,
    /// Count of the year's drills in which the team played blue.
    Drills,
    /// Count of those that were live-fire drills.
    LiveFireDrills,
    /// Count of national or international drills (not told apart by cyberdrill).
    NationalOrInternationalDrills,
    /// Count of critical red-team findings the judges accepted against the team.
    AcceptedCriticalFindings,
}

impl Fact {
    pub const ALL: [Fact; 12] = [
        Fact::IrPlanCoverage,
        Fact::Staffing,
        Fact::SkillCoverage,
        Fact::CertifiedShare,
        Fact::RequiredTools,
        Fact::ReportingTimeliness,
        Fact::ImprovementPlanClosure,
        Fact::QualifiedExperts,
        Fact::Drills,
        Fact::LiveFireDrills,
        Fact::NationalOrInternationalDrills,
        Fact::AcceptedCriticalFindings,
    ];

    /// True for facts that are percentages (usable as dimension metrics).
    pub fn is_percentage(self) -> bool {
        matches!(
            self,
            Fact::IrPlanCoverage
                | Fact::Staffing
                | Fact::SkillCoverage
                | Fact::CertifiedShare
                | Fact::RequiredTools
                | Fact::ReportingTimeliness
                | Fact::ImprovementPlanClosure
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            Fact::IrPlanCoverage => "ir_plan_coverage",
            Fact::Staffing => "staffing",
            Fact::SkillCoverage => "skill_coverage",
            Fact::CertifiedShare => "certified_share",
            Fact::RequiredTools => "required_tools",
            Fact::ReportingTimeliness => "reporting_timeliness",
            Fact::ImprovementPlanClosure => "improvement_plan_closure",
            Fact::QualifiedExperts => "qualified_experts",
            Fact::Drills => "drills",
            Fact::LiveFireDrills => "live_fire_drills",
            Fact::NationalOrInternationalDrills => "national_or_international_drills",
            Fact::AcceptedCriticalFindings => "accepted_critical_findings",
        }
    }
}

/// One problem in a framework file, at a place (`levels[3].band`) or, for a syntax
/// error, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FrameworkProblem {
    pub place: String,
    pub message: String,
}

impl fmt::Display for FrameworkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Every problem found in a framework file; a framework with any is never used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid framework: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct FrameworkErrors(pub Vec<FrameworkProblem>);

impl Framework {
    /// Parses and validates a framework file.
    pub fn parse(text: &str) -> Result<Framework, FrameworkErrors> {
        let framework: Framework = toml::from_str(text).map_err(|e| {
            let place = match e.span() {
                Some(span) => {
                    let (line, col) = line_col(text, span.start);
                    format!("line {line}, column {col}")
                }
                None => "file".to_owned(),
            };
            FrameworkErrors(vec![FrameworkProblem {
                place,
                message: e.message().to_owned(),
            }])
        })?;
        let problems = framework.problems();
        if problems.is_empty() {
            Ok(framework)
        } else {
            Err(FrameworkErrors(problems))
        }
    }

    /// The built-in default framework.
    pub fn builtin() -> Framework {
        match Framework::parse(BUILTIN_TOML) {
            Ok(f) => f,
            // A unit test parses the embedded file, so this cannot ship broken.
            Err(e) => panic!("the built-in framework is invalid: {e}"),
        }
    }

    /// The reference stored with every score.
    pub fn reference(&self) -> FrameworkRef {
        FrameworkRef {
            id: self.id.clone(),
            version: self.version,
            status: self.status,
            name: self.name.clone(),
        }
    }

    pub fn parameter(&self, code: &str) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.code == code)
    }

    pub fn kpi(&self, id: &str) -> Option<&KpiDef> {
        self.kpis.iter().find(|k| k.id == id)
    }

    pub fn level(&self, level: u8) -> Option<&LevelDef> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// Every rule a framework must follow before anything is computed from it.
    fn problems(&self) -> Vec<FrameworkProblem> {
        let mut p = Problems::default();
        if self.id.trim().is_empty() {
            p.add("id", "must not be empty");
        }
        if self.version == 0 {
            p.add("version", "must be 1 or more");
        }
        if self.scale.max == 0 {
            p.add("scale.max", "must be 1 or more");
        }

        let categories: BTreeSet<&str> = self.categories.iter().map(|c| c.code.as_str()).collect();
        if categories.len() != self.categories.len() {
            p.add("categories", "a category code appears twice");
        }
        let mut params = BTreeSet::new();
        for (i, param) in self.parameters.iter().enumerate() {
            if !params.insert(param.code.as_str()) {
                p.add(
                    format!("parameters[{i}].code"),
                    format!("{} appears twice", param.code),
                );
            }
            if !categories.contains(param.category()) {
                p.add(
                    format!("parameters[{}].code", param.code),
                    format!(
                        "category {:?} is not among the categories",
                        param.category()
                    ),
                );
            }
        }

        let mut kpis = BTreeSet::new();
        for kpi in &self.kpis {
            if !kpis.insert(kpi.id.as_str()) {
                p.add(format!("kpis[{}].id", kpi.id), "appears twice");
            }
            check_weight(&mut p, format!("kpis[{}].weight", kpi.id), kpi.weight);
            check_normalisation(&mut p, &kpi.id, &kpi.normalisation);
            if !super::kpi::kpi_accepts(&kpi.id, &kpi.normalisation) {
                p.add(
                    format!("kpis[{}]", kpi.id),
                    "the product measures K1–K7 only, each with its own kind of normalisation (domain.md §3.4): K1/K6 percent, K2/K3 linear_time or log_time, K4 containment, K5 severity_points, K7 rubric",
                );
            }
        }
        check_sum(&mut p, "kpis", self.kpis.iter().map(|k| k.weight));

        let mut dims = BTreeSet::new();
        for dim in &self.dimensions {
            let at = format!("dimensions[{}]", dim.id);
            if !dims.insert(dim.id.as_str()) {
                p.add(format!("{at}.id"), "appears twice");
            }
            check_weight(&mut p, format!("{at}.weight"), dim.weight);
            if dim.metrics.is_empty() {
                p.add(
                    format!("{at}.metrics"),
                    "a dimension needs at least one metric",
                );
            }
            for (i, metric) in dim.metrics.iter().enumerate() {
                let mat = format!("{at}.metrics[{i}]");
                check_weight(&mut p, format!("{mat}.weight"), metric.weight);
                match &metric.source {
                    MetricSource::CategoryMean { category }
                        if !categories.contains(category.as_str()) =>
                    {
                        p.add(
                            format!("{mat}.source.category"),
                            format!("unknown category {category:?}"),
                        );
                    }
                    MetricSource::Fact { fact } if !fact.is_percentage() => {
                        p.add(
                            format!("{mat}.source.fact"),
                            format!(
                                "{} is a count, not a percentage; use it in a gate",
                                fact.code()
                            ),
                        );
                    }
                    _ => {}
                }
            }
            if !dim.metrics.is_empty() {
                check_sum(
                    &mut p,
                    &format!("{at}.metrics"),
                    dim.metrics.iter().map(|m| m.weight),
                );
            }
        }
        if self.dimensions.is_empty() {
            p.add("dimensions", "at least one dimension is needed");
        } else {
            check_sum(
                &mut p,
                "dimensions",
                self.dimensions.iter().map(|d| d.weight),
            );
        }
        if !(self.drills.worst_drill_weight.is_finite() && self.drills.worst_drill_weight >= 1.0) {
            p.add("drills.worst_drill_weight", "must be 1 or more");
        }
        if !(0.0..=100.0).contains(&self.drills.no_drill_score) {
            p.add("drills.no_drill_score", "must be between 0 and 100");
        }

        self.check_levels(&mut p, &params, &categories, &kpis);
        p.0
    }

    fn check_levels(
        &self,
        p: &mut Problems,
        params: &BTreeSet<&str>,
        categories: &BTreeSet<&str>,
        kpis: &BTreeSet<&str>,
    ) {
        let mut by_level: BTreeMap<u8, &LevelDef> = BTreeMap::new();
        for (i, level) in self.levels.iter().enumerate() {
            if !(1..=5).contains(&level.level) {
                p.add(format!("levels[{i}].level"), "must be between 1 and 5");
            } else if by_level.insert(level.level, level).is_some() {
                p.add(
                    format!("levels[{i}].level"),
                    format!("level {} appears twice", level.level),
                );
            }
        }
        for n in 1..=5u8 {
            if !by_level.contains_key(&n) {
                p.add(
                    "levels",
                    format!("level {n} is missing (levels 1 to 5 each need a band)"),
                );
            }
        }
        // Bands must tile 0–100 without gaps or overlaps, in level order.
        let mut expected_min = 0.0;
        for (n, level) in &by_level {
            let [min, max] = level.band;
            let at = format!("levels[{n}].band");
            if !(min.is_finite() && max.is_finite()) || min >= max {
                p.add(
                    &at,
                    format!("[{min}, {max}] is empty: the lower bound must be below the upper"),
                );
            } else if (min - expected_min).abs() > WEIGHT_TOLERANCE {
                let what = if min < expected_min {
                    "overlaps the band below"
                } else {
                    "leaves a gap after the band below"
                };
                p.add(
                    &at,
                    format!("starts at {min} but the band below ends at {expected_min}: {what}"),
                );
            }
            expected_min = max;
            for (g, gate) in level.gates.iter().enumerate() {
                check_gate(
                    p,
                    &format!("levels[{n}].gates[{g}]"),
                    gate,
                    self.scale.max,
                    params,
                    categories,
                    kpis,
                );
            }
        }
        if by_level.len() == 5 && (expected_min - 100.0).abs() > WEIGHT_TOLERANCE {
            p.add(
                "levels[5].band",
                format!("ends at {expected_min}; the top band must end at 100"),
            );
        }
        if let Some(first) = by_level.get(&1)
            && !first.gates.is_empty()
        {
            p.add(
                "levels[1].gates",
                "level 1 has no gates: every team is at least level 1",
            );
        }
    }
}

fn check_gate(
    p: &mut Problems,
    at: &str,
    gate: &Gate,
    scale_max: u8,
    params: &BTreeSet<&str>,
    categories: &BTreeSet<&str>,
    kpis: &BTreeSet<&str>,
) {
    let level_ok = |p: &mut Problems, min: u8| {
        if min > scale_max {
            p.add(
                format!("{at}.check.min"),
                format!("{min} is above the scale maximum {scale_max}"),
            );
        }
    };
    match &gate.check {
        GateCheck::ParameterMin { parameter, min } => {
            if !params.contains(parameter.as_str()) {
                p.add(
                    format!("{at}.check.parameter"),
                    format!("unknown parameter {parameter:?}"),
                );
            }
            level_ok(p, *min);
        }
        GateCheck::ParametersMin { parameters, min } => {
            for (i, param) in parameters.iter().enumerate() {
                if !params.contains(param.as_str()) {
                    p.add(
                        format!("{at}.check.parameters[{i}]"),
                        format!("unknown parameter {param:?}"),
                    );
                }
            }
            level_ok(p, *min);
        }
        GateCheck::CategoryMin { category, min } => {
            if !categories.contains(category.as_str()) {
                p.add(
                    format!("{at}.check.category"),
                    format!("unknown category {category:?}"),
                );
            }
            level_ok(p, *min);
        }
        GateCheck::AllParametersMin { min } => level_ok(p, *min),
        GateCheck::KpiMin { kpi, .. } | GateCheck::KpiMax { kpi, .. }
            if !kpis.contains(kpi.as_str()) =>
        {
            p.add(format!("{at}.check.kpi"), format!("unknown KPI {kpi:?}"));
        }
        GateCheck::AssessmentMethod { any_of } if any_of.is_empty() => {
            p.add(format!("{at}.check.any_of"), "name at least one method");
        }
        _ => {}
    }
    if gate.id.trim().is_empty() {
        p.add(format!("{at}.id"), "must not be empty");
    }
}

fn check_normalisation(p: &mut Problems, id: &str, n: &Normalisation) {
    let at = format!("kpis[{id}].normalisation");
    let span = |p: &mut Problems, best: f64, worst: f64| {
        if !(best.is_finite() && worst.is_finite() && best > 0.0 && best < worst) {
            p.add(
                &at,
                format!("best_s ({best}) must be above 0 and below worst_s ({worst})"),
            );
        }
    };
    match n {
        Normalisation::Percent => {}
        Normalisation::LinearTime { best_s, worst_s }
        | Normalisation::LogTime { best_s, worst_s } => span(p, *best_s, *worst_s),
        Normalisation::Containment {
            ratio_weight,
            time_weight,
            best_s,
            worst_s,
        } => {
            span(p, *best_s, *worst_s);
            if (ratio_weight + time_weight - 1.0).abs() > WEIGHT_TOLERANCE
                || *ratio_weight < 0.0
                || *time_weight < 0.0
            {
                p.add(
                    &at,
                    format!(
                        "ratio_weight + time_weight must be 1 (they sum to {})",
                        ratio_weight + time_weight
                    ),
                );
            }
        }
        Normalisation::SeverityPoints {
            critical,
            high,
            medium,
            low,
        } => {
            if [critical, high, medium, low]
                .iter()
                .any(|v| !(v.is_finite() && **v >= 0.0))
            {
                p.add(&at, "severity points must be 0 or more");
            }
        }
        Normalisation::Rubric {
            max_per_section,
            penalty_per_unused_tool,
        } => {
            if !(max_per_section.is_finite() && *max_per_section > 0.0) {
                p.add(&at, "max_per_section must be above 0");
            }
            if !(penalty_per_unused_tool.is_finite() && *penalty_per_unused_tool >= 0.0) {
                p.add(&at, "penalty_per_unused_tool must be 0 or more");
            }
        }
    }
}

fn check_weight(p: &mut Problems, at: String, weight: f64) {
    if !(weight.is_finite() && weight > 0.0 && weight <= 1.0) {
        p.add(
            at,
            format!("{weight} is not a weight: must be above 0 and at most 1"),
        );
    }
}

fn check_sum(p: &mut Problems, at: &str, weights: impl Iterator<Item = f64>) {
    let sum: f64 = weights.sum();
    if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
        p.add(
            format!("{at}.weight"),
            format!("the weights sum to {}, not 1", round6(sum)),
        );
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[derive(Default)]
struct Problems(Vec<FrameworkProblem>);

impl Problems {
    fn add(&mut self, place: impl Into<String>, message: impl Into<String>) {
        self.0.push(FrameworkProblem {
            place: place.into(),
            message: message.into(),
        });
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Which framework a score was computed with; stored with every score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FrameworkRef {
    pub id: String,
    pub version: u32,
    pub status: FrameworkStatus,
    pub name: Bilingual,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_with(edit: impl FnOnce(&str) -> String) -> Result<Framework, FrameworkErrors> {
        Framework::parse(&edit(BUILTIN_TOML))
    }

    fn places(e: FrameworkErrors) -> Vec<String> {
        e.0.into_iter()
            .map(|p| format!("{}: {}", p.place, p.message))
            .collect()
    }

    #[test]
    fn the_builtin_framework_is_valid_and_is_the_domain_model() {
        let f = Framework::builtin();
        assert_eq!((f.id.as_str(), f.version), ("vn-irt", 1));
        assert_eq!(f.status, FrameworkStatus::Proposal);
        let weights: Vec<(&str, f64)> = f
            .dimensions
            .iter()
            .map(|d| (d.id.as_str(), d.weight))
            .collect();
        assert_eq!(
            weights,
            [
                ("D1", 0.10),
                ("D2", 0.15),
                ("D3", 0.10),
                ("D4", 0.20),
                ("D5", 0.45)
            ]
        );
        assert_eq!(f.parameters.len(), 44, "SIM3 v1 without O-6");
        assert_eq!(f.kpis.len(), 7);
        assert_eq!(f.level(3).map(|l| l.name.vi.as_str()), Some("Xác lập"));
    }

    #[test]
    fn dimension_weights_that_do_not_sum_to_one_are_refused() {
        let err = builtin_with(|t| t.replace("weight = 0.45", "weight = 0.40")).unwrap_err();
        assert_eq!(
            places(err),
            ["dimensions.weight: the weights sum to 0.95, not 1"]
        );
    }

    #[test]
    fn kpi_and_metric_weights_must_sum_to_one_too() {
        let err = builtin_with(|t| {
            t.replacen(
                "weight = 0.25\nnormalisation",
                "weight = 0.3\nnormalisation",
                1,
            )
        })
        .unwrap_err();
        assert_eq!(places(err), ["kpis.weight: the weights sum to 1.05, not 1"]);
        let err = builtin_with(|t| {
            t.replace(
                r#"id = "D1.sim3", weight = 0.5"#,
                r#"id = "D1.sim3", weight = 0.6"#,
            )
        })
        .unwrap_err();
        assert_eq!(
            places(err),
            ["dimensions[D1].metrics.weight: the weights sum to 1.1, not 1"]
        );
    }

    #[test]
    fn a_missing_level_is_named() {
        let text = BUILTIN_TOML.replace("level = 4\n", "level = 7\n");
        let err = Framework::parse(&text).unwrap_err();
        let found = places(err);
        assert!(
            found.contains(&"levels[3].level: must be between 1 and 5".to_owned()),
            "{found:?}"
        );
        assert!(
            found.contains(
                &"levels: level 4 is missing (levels 1 to 5 each need a band)".to_owned()
            ),
            "{found:?}"
        );
    }

    #[test]
    fn a_level_without_a_band_is_a_syntax_error_at_its_line() {
        let text = BUILTIN_TOML.replace("band = [40, 55]\n", "");
        let err = Framework::parse(&text).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(err.0[0].place.starts_with("line "), "{:?}", err.0);
        assert!(err.0[0].message.contains("band"), "{:?}", err.0);
    }

    #[test]
    fn overlapping_and_gapped_bands_are_named() {
        let err = builtin_with(|t| t.replace("band = [55, 70]", "band = [50, 70]")).unwrap_err();
        assert_eq!(
            places(err),
            ["levels[3].band: starts at 50 but the band below ends at 55: overlaps the band below"]
        );
        let err = builtin_with(|t| t.replace("band = [55, 70]", "band = [60, 70]")).unwrap_err();
        assert_eq!(
            places(err),
            [
                "levels[3].band: starts at 60 but the band below ends at 55: leaves a gap after the band below"
            ]
        );
        let err = builtin_with(|t| t.replace("band = [85, 100]", "band = [85, 99]")).unwrap_err();
        assert_eq!(
            places(err),
            ["levels[5].band: ends at 99; the top band must end at 100"]
        );
    }

    #[test]
    fn gates_naming_unknown_kpis_parameters_or_facts_are_refused() {
        let err = builtin_with(|t| t.replace(r#"kpi = "K1", min = 50"#, r#"kpi = "K9", min = 50"#))
            .unwrap_err();
        assert_eq!(
            places(err),
            [r#"levels[3].gates[5].check.kpi: unknown KPI "K9""#]
        );
        let err = builtin_with(|t| t.replace(r#"parameter = "P-9""#, r#"parameter = "P-99""#))
            .unwrap_err();
        assert_eq!(
            places(err),
            [r#"levels[2].gates[1].check.parameter: unknown parameter "P-99""#]
        );
        let err =
            builtin_with(|t| t.replace(r#"fact = "qualified_experts""#, r#"fact = "experts""#))
                .unwrap_err();
        assert!(err.0[0].place.starts_with("line "), "{:?}", err.0);
        assert!(
            err.0[0].message.contains("unknown variant `experts`"),
            "{:?}",
            err.0
        );
    }

    #[test]
    fn a_gate_above_the_scale_and_a_count_used_as_a_metric_are_refused() {
        let err = builtin_with(|t| {
            t.replace(
                r#"parameter = "O-1", min = 2"#,
                r#"parameter = "O-1", min = 5"#,
            )
        })
        .unwrap_err();
        assert_eq!(
            places(err),
            ["levels[2].gates[0].check.min: 5 is above the scale maximum 4"]
        );
        let err = builtin_with(|t| t.replace(r#"fact = "ir_plan_coverage""#, r#"fact = "drills""#))
            .unwrap_err();
        assert_eq!(
            places(err),
            [
                "dimensions[D1].metrics[1].source.fact: drills is a count, not a percentage; use it in a gate"
            ]
        );
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let err = Framework::parse("id = \"x\"\nversion = = 1\n").unwrap_err();
        assert_eq!(err.0[0].place, "line 2, column 11");
    }
}
