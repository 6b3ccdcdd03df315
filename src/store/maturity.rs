//! Maturity records: framework versions, capability assessments, frozen drill
//! scorecards and recorded annual results, and the gathering of one team-year's
//! records for the pure computation (`crate::maturity::compute`).
//!
//! Which framework scores a year: the one recorded for that team and year if there is
//! one (so a year keeps its framework when an administrator loads a new one), else the
//! active framework, which is then recorded with the result.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Scope, StoreError, begin_write, from_json, to_json};
use crate::domain::drill::{DrillKind, DrillScale};
use crate::domain::registry::{Certificate, playbook_is_stale};
use crate::domain::{ExpertGroup, Side};
use crate::entities::{
    assessment_evidence, capability_assessment, corrective_action, drill, drill_scorecard,
    drill_system, drill_team, maturity_framework, maturity_result, playbook, playbook_version,
    system, team, team_member,
};
use crate::maturity::framework::BUILTIN_TOML;
use crate::maturity::{
    AssessmentInput, AssessmentMethod, Bilingual, DrillKpis, DrillMeasures, DrillRecord, Framework,
    MemberFacts, PlanProgress, ProtectedSystem, TeamFacts, TeamMaturity, TeamYear, TrendPoint,
};

// ---------------------------------------------------------------- frameworks

/// A stored framework version, as the API lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FrameworkVersion {
    pub id: String,
    pub version: u32,
    pub status: crate::maturity::framework::FrameworkStatus,
    pub name: Bilingual,
    /// SHA-256 of the file text.
    pub sha256: String,
    /// The framework new years are scored with.
    pub active: bool,
    pub loaded_by: Option<Uuid>,
    pub loaded_at: DateTime<Utc>,
}

fn framework_version(m: &maturity_framework::Model) -> Result<FrameworkVersion, StoreError> {
    let f = parse_stored(m)?;
    Ok(FrameworkVersion {
        id: f.id,
        version: f.version,
        status: f.status,
        name: f.name,
        sha256: m.sha256.clone(),
        active: m.active,
        loaded_by: m.loaded_by,
        loaded_at: m.loaded_at,
    })
}

fn parse_stored(m: &maturity_framework::Model) -> Result<Framework, StoreError> {
    // Only validated files are stored; a row that no longer parses was edited by hand.
    Framework::parse(&m.source).map_err(|e| {
        StoreError::Db(sea_orm::DbErr::Custom(format!(
            "stored framework {} v{} is invalid: {e}",
            m.framework_id, m.version
        )))
    })
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Stores the built-in framework if this database does not hold it yet, and makes it
/// active when no framework is. Run at start-up.
pub async fn ensure_builtin<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let builtin = Framework::builtin();
    let (_gate, txn) = begin_write(db).await?;
    let exists = maturity_framework::Entity::find()
        .filter(maturity_framework::Column::FrameworkId.eq(&builtin.id))
        .filter(maturity_framework::Column::Version.eq(builtin.version as i32))
        .one(&txn)
        .await?
        .is_some();
    let any_active = maturity_framework::Entity::find()
        .filter(maturity_framework::Column::Active.eq(true))
        .one(&txn)
        .await?
        .is_some();
    if !exists {
        insert_framework(&txn, &builtin, BUILTIN_TOML, !any_active, None, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn insert_framework(
    db: &impl ConnectionTrait,
    f: &Framework,
    source: &str,
    active: bool,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<maturity_framework::Model, StoreError> {
    maturity_framework::ActiveModel {
        id: Set(Uuid::now_v7()),
        framework_id: Set(f.id.clone()),
        version: Set(f.version as i32),
        status: Set(match f.status {
            crate::maturity::framework::FrameworkStatus::Proposal => "proposal".into(),
            crate::maturity::framework::FrameworkStatus::Official => "official".into(),
        }),
        name_vi: Set(f.name.vi.clone()),
        name_en: Set(f.name.en.clone()),
        source: Set(source.to_owned()),
        sha256: Set(sha256_hex(source)),
        active: Set(active),
        loaded_by: Set(by),
        loaded_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::unique_as(
            e,
            "version",
            "this framework id and version is already loaded",
        )
    })
}

/// Loads a validated framework file and makes it the active one. Loading the same id
/// and version again with the same text only re-activates it; with a different text it
/// is refused (a version names exactly one file, or old scores could not be redone).
pub async fn load_framework<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    framework: &Framework,
    source: &str,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<FrameworkVersion, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    let existing = maturity_framework::Entity::find()
        .filter(maturity_framework::Column::FrameworkId.eq(&framework.id))
        .filter(maturity_framework::Column::Version.eq(framework.version as i32))
        .one(&txn)
        .await?;
    if let Some(row) = &existing
        && row.sha256 != sha256_hex(source)
    {
        return Err(StoreError::Conflict {
            field: "version",
            message: format!(
                "{} version {} is already loaded with a different text; give the new file a new version",
                framework.id, framework.version
            ),
        });
    }
    maturity_framework::Entity::update_many()
        .col_expr(maturity_framework::Column::Active, Expr::value(false))
        .filter(maturity_framework::Column::Active.eq(true))
        .exec(&txn)
        .await?;
    let row = match existing {
        Some(row) => {
            let mut active: maturity_framework::ActiveModel = row.into();
            active.active = Set(true);
            active.update(&txn).await?
        }
        None => insert_framework(&txn, framework, source, true, by, now).await?,
    };
    txn.commit().await?;
    framework_version(&row)
}

pub async fn list_frameworks(
    db: &impl ConnectionTrait,
) -> Result<Vec<FrameworkVersion>, StoreError> {
    maturity_framework::Entity::find()
        .order_by_asc(maturity_framework::Column::FrameworkId)
        .order_by_asc(maturity_framework::Column::Version)
        .all(db)
        .await?
        .iter()
        .map(framework_version)
        .collect()
}

/// The active framework (the built-in one until an administrator loads another).
pub async fn active_framework(db: &impl ConnectionTrait) -> Result<Framework, StoreError> {
    match maturity_framework::Entity::find()
        .filter(maturity_framework::Column::Active.eq(true))
        .one(db)
        .await?
    {
        Some(row) => parse_stored(&row),
        // A database migrated but never started by `serve` (e.g. a fresh CLI run).
        None => Ok(Framework::builtin()),
    }
}

/// One exact framework version, as recorded with a score.
pub async fn framework(
    db: &impl ConnectionTrait,
    id: &str,
    version: u32,
) -> Result<Framework, StoreError> {
    let row = maturity_framework::Entity::find()
        .filter(maturity_framework::Column::FrameworkId.eq(id))
        .filter(maturity_framework::Column::Version.eq(version as i32))
        .one(db)
        .await?;
    match row {
        Some(row) => parse_stored(&row),
        None if id == Framework::builtin().id && version == Framework::builtin().version => {
            Ok(Framework::builtin())
        }
        None => Err(StoreError::NotFound),
    }
}

// ---------------------------------------------------------------- assessments

/// One parameter's assessed level with its evidence notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParameterLevel {
    pub code: String,
    pub level: u8,
    #[serde(default)]
    pub evidence: String,
}

/// A team's capability assessment for one year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub team_id: Uuid,
    pub year: i32,
    pub method: AssessmentMethod,
    /// Who assessed (person or organisation), as written by the user.
    pub assessor: String,
    pub assessed_on: Option<NaiveDate>,
    /// The framework whose parameters were assessed.
    pub framework: FrameworkKey,
    pub parameters: Vec<ParameterLevel>,
    pub notes: String,
    /// The account that saved it last.
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FrameworkKey {
    pub id: String,
    pub version: u32,
}

/// A validated assessment to store.
#[derive(Debug, Clone)]
pub struct AssessmentWrite {
    pub method: AssessmentMethod,
    pub assessor: String,
    pub assessed_on: Option<NaiveDate>,
    pub framework: FrameworkKey,
    pub parameters: Vec<ParameterLevel>,
    pub notes: String,
}

fn assessment(m: capability_assessment::Model) -> Result<Assessment, StoreError> {
    Ok(Assessment {
        team_id: m.team_id,
        year: m.year,
        method: AssessmentMethod::parse(&m.method)
            .ok_or_else(|| sea_orm::DbErr::Type(format!("assessment method {}", m.method)))?,
        assessor: m.assessor,
        assessed_on: m.assessed_on,
        framework: FrameworkKey {
            id: m.framework_id,
            version: m.framework_version as u32,
        },
        parameters: from_json(&m.parameters)?,
        notes: m.notes,
        updated_by: m.updated_by,
        updated_at: m.updated_at,
    })
}

async fn team_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
) -> Result<team::Model, StoreError> {
    match team::Entity::find_by_id(team_id).one(db).await? {
        Some(t) if scope.allows(t.org_id) => Ok(t),
        _ => Err(StoreError::NotFound),
    }
}

pub async fn get_assessment(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    year: i32,
) -> Result<Option<Assessment>, StoreError> {
    team_in_scope(db, scope, team_id).await?;
    capability_assessment::Entity::find()
        .filter(capability_assessment::Column::TeamId.eq(team_id))
        .filter(capability_assessment::Column::Year.eq(year))
        .one(db)
        .await?
        .map(assessment)
        .transpose()
}

/// Creates or replaces the team's assessment for the year. Returns it and whether it
/// was created.
pub async fn put_assessment<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    team_id: Uuid,
    year: i32,
    write: &AssessmentWrite,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(Assessment, bool), StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    team_in_scope(&txn, scope, team_id).await?;
    let existing = capability_assessment::Entity::find()
        .filter(capability_assessment::Column::TeamId.eq(team_id))
        .filter(capability_assessment::Column::Year.eq(year))
        .one(&txn)
        .await?;
    let created = existing.is_none();
    let mut model: capability_assessment::ActiveModel = match existing {
        Some(row) => row.into(),
        None => capability_assessment::ActiveModel {
            id: Set(Uuid::now_v7()),
            team_id: Set(team_id),
            year: Set(year),
            ..Default::default()
        },
    };
    model.method = Set(write.method.code().to_owned());
    model.assessor = Set(write.assessor.clone());
    model.assessed_on = Set(write.assessed_on);
    model.framework_id = Set(write.framework.id.clone());
    model.framework_version = Set(write.framework.version as i32);
    model.parameters = Set(to_json(&write.parameters));
    model.notes = Set(write.notes.clone());
    model.updated_by = Set(Some(by));
    model.updated_at = Set(now);
    let saved = if created {
        model.insert(&txn).await?
    } else {
        model.update(&txn).await?
    };
    txn.commit().await?;
    Ok((assessment(saved)?, created))
}

// ---------------------------------------------------------------- assessment evidence

/// A file attached to one parameter of a team's assessment for a year.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentEvidence {
    pub id: Uuid,
    pub team_id: Uuid,
    pub year: i32,
    /// The framework parameter it supports (`O-1`…).
    pub parameter: String,
    pub sha256: String,
    pub size: i64,
    /// Sniffed from the bytes (`application/octet-stream` when unknown).
    pub content_type: String,
    pub filename: String,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTime<Utc>,
}

impl From<assessment_evidence::Model> for AssessmentEvidence {
    fn from(m: assessment_evidence::Model) -> Self {
        AssessmentEvidence {
            id: m.id,
            team_id: m.team_id,
            year: m.year,
            parameter: m.parameter,
            sha256: m.sha256,
            size: m.size,
            content_type: m.content_type,
            filename: m.filename,
            uploaded_by: m.uploaded_by,
            uploaded_at: m.uploaded_at,
        }
    }
}

/// A file already stored under its hash, to attach.
#[derive(Debug, Clone)]
pub struct NewAssessmentEvidence {
    pub parameter: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub uploaded_by: Uuid,
}

/// Records a file attached to a parameter of the team's assessment for `year`. The
/// bytes are already on disk, synced; the row is the acknowledgement.
pub async fn add_assessment_evidence<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    team_id: Uuid,
    year: i32,
    new: &NewAssessmentEvidence,
    now: DateTime<Utc>,
) -> Result<AssessmentEvidence, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    team_in_scope(&txn, scope, team_id).await?;
    let model = assessment_evidence::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team_id),
        year: Set(year),
        parameter: Set(new.parameter.clone()),
        sha256: Set(new.sha256.clone()),
        size: Set(new.size),
        content_type: Set(new.content_type.clone()),
        filename: Set(new.filename.clone()),
        uploaded_by: Set(new.uploaded_by),
        uploaded_at: Set(crate::drill::chain::event_time(now)),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// The files attached to the team's assessment for `year`, oldest first.
pub async fn list_assessment_evidence(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    year: i32,
) -> Result<Vec<AssessmentEvidence>, StoreError> {
    team_in_scope(db, scope, team_id).await?;
    Ok(assessment_evidence::Entity::find()
        .filter(assessment_evidence::Column::TeamId.eq(team_id))
        .filter(assessment_evidence::Column::Year.eq(year))
        .order_by_asc(assessment_evidence::Column::UploadedAt)
        .order_by_asc(assessment_evidence::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// One attached file of the team's assessment for `year`, if in scope.
pub async fn assessment_evidence(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    year: i32,
    id: Uuid,
) -> Result<AssessmentEvidence, StoreError> {
    team_in_scope(db, scope, team_id).await?;
    assessment_evidence::Entity::find_by_id(id)
        .filter(assessment_evidence::Column::TeamId.eq(team_id))
        .filter(assessment_evidence::Column::Year.eq(year))
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------- drill scorecards

/// A blue team's frozen scorecard in an ended drill.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FrozenScorecard {
    pub drill_id: Uuid,
    pub team_id: Uuid,
    /// The log's head when the scorecard was frozen.
    pub head_seq: i64,
    pub head_hash: String,
    pub framework: FrameworkKey,
    pub measures: DrillMeasures,
    pub kpis: DrillKpis,
    pub frozen_at: DateTime<Utc>,
}

/// Freezes the scorecards of a drill's blue teams, inside the transaction that ends
/// the drill (so the head is the `drill_ended` event's). Idempotent: a scorecard
/// already frozen is kept.
pub async fn freeze_scorecards(
    txn: &impl ConnectionTrait,
    drill_id: Uuid,
    head_seq: i64,
    head_hash: &str,
    framework: &Framework,
    measures: &BTreeMap<Uuid, DrillMeasures>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for (team_id, m) in measures {
        let kpis = crate::maturity::score_drill(framework, m);
        drill_scorecard::Entity::insert(drill_scorecard::ActiveModel {
            drill_id: Set(drill_id),
            team_id: Set(*team_id),
            head_seq: Set(head_seq),
            head_hash: Set(head_hash.to_owned()),
            framework_id: Set(framework.id.clone()),
            framework_version: Set(framework.version as i32),
            measures: Set(to_json(m)),
            kpis: Set(to_json(&kpis)),
            score: Set(kpis.score),
            frozen_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                drill_scorecard::Column::DrillId,
                drill_scorecard::Column::TeamId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Computes and freezes the scorecards of a drill that is ending, inside the
/// transaction that appended `drill_ended` (`head_seq`, `head_hash`).
pub async fn freeze_drill(
    txn: &impl ConnectionTrait,
    drill_id: Uuid,
    head_seq: i64,
    head_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let events = super::records::all_events(txn, drill_id).await?;
    let card = crate::scoring::scorecard::compute(&events);
    let measures = crate::maturity::measure::measures(&card, now);
    let framework = active_framework(txn).await?;
    freeze_scorecards(
        txn, drill_id, head_seq, head_hash, &framework, &measures, now,
    )
    .await
}

/// The judges may rule after a drill's end (verdicts are accepted then too): when the
/// log grew after the freeze, the scorecards are frozen again at the new head, with the
/// framework they were first frozen with and the same end time.
async fn refreeze_if_grown(
    db: &impl ConnectionTrait,
    d: &drill::Model,
    cards: Vec<FrozenScorecard>,
) -> Result<Vec<FrozenScorecard>, StoreError> {
    let Some(first) = cards.first() else {
        return Ok(cards);
    };
    if first.head_seq >= d.head_seq {
        return Ok(cards);
    }
    let framework = framework(db, &first.framework.id, first.framework.version).await?;
    // Only the events up to the head read with the drill row, so head and content agree.
    let mut events = super::records::all_events(db, d.id).await?;
    events.retain(|e| e.seq <= d.head_seq);
    let card = crate::scoring::scorecard::compute(&events);
    let end = d.ended_at.unwrap_or(first.frozen_at);
    let measures = crate::maturity::measure::measures(&card, end);
    let head = (d.head_seq, d.head_hash.clone());
    let mut out = Vec::new();
    for old in cards {
        let m = measures
            .get(&old.team_id)
            .cloned()
            .unwrap_or_else(|| old.measures.clone());
        let kpis = crate::maturity::score_drill(&framework, &m);
        drill_scorecard::Entity::update_many()
            .col_expr(drill_scorecard::Column::HeadSeq, Expr::value(head.0))
            .col_expr(
                drill_scorecard::Column::HeadHash,
                Expr::value(head.1.clone()),
            )
            .col_expr(drill_scorecard::Column::Measures, Expr::value(to_json(&m)))
            .col_expr(drill_scorecard::Column::Kpis, Expr::value(to_json(&kpis)))
            .col_expr(drill_scorecard::Column::Score, Expr::value(kpis.score))
            .filter(drill_scorecard::Column::DrillId.eq(old.drill_id))
            .filter(drill_scorecard::Column::TeamId.eq(old.team_id))
            .filter(drill_scorecard::Column::HeadSeq.eq(old.head_seq))
            .exec(db)
            .await?;
        out.push(FrozenScorecard {
            head_seq: head.0,
            head_hash: head.1.clone(),
            measures: m,
            kpis,
            ..old
        });
    }
    Ok(out)
}

/// The frozen scorecards of a drill in scope, brought up to date with verdicts given
/// after the end (empty while the drill runs).
pub async fn final_scorecards(
    db: &impl ConnectionTrait,
    scope: &Scope,
    drill_id: Uuid,
) -> Result<Vec<FrozenScorecard>, StoreError> {
    let d = drill::Entity::find_by_id(drill_id)
        .one(db)
        .await?
        .filter(|d| scope.allows(d.org_id))
        .ok_or(StoreError::NotFound)?;
    let cards = frozen_scorecards(db, drill_id).await?;
    refreeze_if_grown(db, &d, cards).await
}

fn frozen(m: drill_scorecard::Model) -> Result<FrozenScorecard, StoreError> {
    Ok(FrozenScorecard {
        drill_id: m.drill_id,
        team_id: m.team_id,
        head_seq: m.head_seq,
        head_hash: m.head_hash,
        framework: FrameworkKey {
            id: m.framework_id,
            version: m.framework_version as u32,
        },
        measures: from_json(&m.measures)?,
        kpis: from_json(&m.kpis)?,
        frozen_at: m.frozen_at,
    })
}

/// The frozen scorecards of a drill (empty until it ends).
pub async fn frozen_scorecards(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Vec<FrozenScorecard>, StoreError> {
    drill_scorecard::Entity::find()
        .filter(drill_scorecard::Column::DrillId.eq(drill_id))
        .order_by_asc(drill_scorecard::Column::TeamId)
        .all(db)
        .await?
        .into_iter()
        .map(frozen)
        .collect()
}

// ---------------------------------------------------------------- annual maturity

/// The first and last instants of a year in Vietnam time, as UTC.
pub fn year_bounds(year: i32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(crate::time::vietnam())
        .single()?
        .with_timezone(&Utc);
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(crate::time::vietnam())
        .single()?
        .with_timezone(&Utc);
    Some((start, end))
}

/// Gathers what the computation reads about one blue team and one year. `as_of` is
/// the day the registry facts are read for (the year's last day, or today for the
/// current year): the registry keeps no history of members and certificates, so a
/// past year is read with today's members and their certificates' validity on that
/// year's last day.
pub async fn team_year(
    db: &impl ConnectionTrait,
    team: &team::Model,
    year: i32,
    as_of: NaiveDate,
) -> Result<TeamYear, StoreError> {
    let members = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let groups: Vec<ExpertGroup> = from_json(&m.expert_groups)?;
            let certs: Vec<Certificate> = from_json(&m.certificates)?;
            Ok(MemberFacts {
                expert_groups: groups,
                certified: certs.iter().any(|c| c.is_valid_on(as_of)),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    let assessment = capability_assessment::Entity::find()
        .filter(capability_assessment::Column::TeamId.eq(team.id))
        .filter(capability_assessment::Column::Year.eq(year))
        .one(db)
        .await?
        .map(assessment)
        .transpose()?
        .map(|a| AssessmentInput {
            method: a.method,
            levels: a
                .parameters
                .iter()
                .map(|p| (p.code.clone(), p.level))
                .collect(),
        });

    // The systems the team protects: those its organisation owns or operates.
    let systems = system::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(system::Column::OrgId.eq(team.org_id))
                .add(system::Column::OperatorOrgId.eq(team.org_id)),
        )
        .order_by_asc(system::Column::Name)
        .all(db)
        .await?;
    let mut protected = Vec::with_capacity(systems.len());
    for s in &systems {
        protected.push(ProtectedSystem {
            id: s.id,
            name: s.name.clone(),
            level: s.level.clamp(0, 5) as u8,
            current_plan: has_current_plan(db, s).await?,
        });
    }

    let (start, end) = year_bounds(year).ok_or(StoreError::NotFound)?;
    let played: Vec<Uuid> = drill_team::Entity::find()
        .filter(drill_team::Column::TeamId.eq(team.id))
        .filter(drill_team::Column::Side.eq(Side::Blue.code()))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.drill_id)
        .collect();
    let mut drills = Vec::new();
    if !played.is_empty() {
        let rows = drill::Entity::find()
            .filter(drill::Column::Id.is_in(played.clone()))
            .filter(drill::Column::Status.eq("ended"))
            .filter(drill::Column::EndedAt.gte(start))
            .filter(drill::Column::EndedAt.lt(end))
            .order_by_asc(drill::Column::EndedAt)
            .all(db)
            .await?;
        for d in rows {
            let cards = refreeze_if_grown(db, &d, frozen_scorecards(db, d.id).await?).await?;
            let Some(card) = cards.into_iter().find(|c| c.team_id == team.id) else {
                // Ended before scorecards were frozen (older database): nothing to draw on.
                continue;
            };
            let targets = drill_system::Entity::find()
                .filter(drill_system::Column::DrillId.eq(d.id))
                .all(db)
                .await?
                .into_iter()
                .map(|s| s.system_id)
                .collect();
            drills.push(DrillRecord {
                drill_id: d.id,
                title: d.title.clone(),
                kind: DrillKind::parse(&d.kind)
                    .ok_or_else(|| sea_orm::DbErr::Type(format!("drill kind {}", d.kind)))?,
                scale: DrillScale::parse(&d.scale)
                    .ok_or_else(|| sea_orm::DbErr::Type(format!("drill scale {}", d.scale)))?,
                ended_at: d.ended_at.unwrap_or(end),
                head_seq: card.head_seq,
                head_hash: card.head_hash,
                target_system_ids: targets,
                measures: card.measures,
            });
        }
    }

    // The improvement plans of every drill the team defended in: the corrective
    // actions due between the start of the year and `as_of`, and those completed by
    // the end of that day (so a later completion does not change a past year).
    let improvement_plan = if played.is_empty() {
        None
    } else {
        let first_day = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(StoreError::NotFound)?;
        // Midnight (Vietnam time) after `as_of`.
        let cutoff = as_of
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(crate::time::vietnam()).single())
            .map(|t| t.with_timezone(&Utc))
            .ok_or(StoreError::NotFound)?;
        let due = corrective_action::Entity::find()
            .filter(corrective_action::Column::DrillId.is_in(played))
            .filter(corrective_action::Column::DueOn.gte(first_day))
            .filter(corrective_action::Column::DueOn.lte(as_of))
            .all(db)
            .await?;
        let done = due
            .iter()
            .filter(|a| a.status == "done" && a.completed_at.is_some_and(|t| t < cutoff))
            .count();
        Some(PlanProgress {
            due: u32::try_from(due.len()).unwrap_or(u32::MAX),
            done: u32::try_from(done).unwrap_or(u32::MAX),
        })
    };

    let previous = maturity_result::Entity::find()
        .filter(maturity_result::Column::TeamId.eq(team.id))
        .filter(maturity_result::Column::Year.lt(year))
        .order_by_asc(maturity_result::Column::Year)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let result: TeamMaturity = from_json(&r.result)?;
            Ok(TrendPoint {
                year: r.year,
                level: r.level as u8,
                score: r.score,
                framework: result.framework,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    Ok(TeamYear {
        year,
        team: TeamFacts {
            id: team.id,
            org_id: team.org_id,
            name: team.name.clone(),
            members,
        },
        assessment,
        systems: protected,
        drills,
        improvement_plan,
        previous,
    })
}

/// An approved playbook in force that is not stale (R09–R10).
async fn has_current_plan(
    db: &impl ConnectionTrait,
    s: &system::Model,
) -> Result<bool, StoreError> {
    let books = playbook::Entity::find()
        .filter(playbook::Column::SystemId.eq(s.id))
        .all(db)
        .await?;
    for book in books {
        let version = playbook_version::Entity::find()
            .filter(playbook_version::Column::PlaybookId.eq(book.id))
            .filter(playbook_version::Column::Version.eq(book.current_version))
            .one(db)
            .await?;
        if let Some(v) = version
            && v.approved_on.is_some()
            && !playbook_is_stale(s.last_changed_on, v.reviewed_on, v.approved_on)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The blue teams in scope (optionally of one organisation), by name.
pub async fn blue_teams(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_id: Option<Uuid>,
) -> Result<Vec<team::Model>, StoreError> {
    let mut q = team::Entity::find().filter(team::Column::Side.eq(Side::Blue.code()));
    if let Scope::Orgs(ids) = scope {
        q = q.filter(team::Column::OrgId.is_in(ids.clone()));
    }
    // An organisation stands for itself and its units: a ministry's result includes
    // the teams of its centres and departments.
    if let Some(org) = org_id {
        let units = super::orgs::subtree(db, org).await?;
        q = q.filter(team::Column::OrgId.is_in(units));
    }
    Ok(q.order_by_asc(team::Column::Name).all(db).await?)
}

/// The framework a team-year was recorded with, if it was scored before.
pub async fn recorded_framework(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    year: i32,
) -> Result<Option<(String, u32)>, StoreError> {
    Ok(maturity_result::Entity::find_by_id((team_id, year))
        .one(db)
        .await?
        .map(|r| (r.framework_id, r.framework_version as u32)))
}

/// Records a team-year's result (replacing an earlier computation of the same year,
/// which used the same framework).
pub async fn record_result(
    db: &impl ConnectionTrait,
    result: &TeamMaturity,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    maturity_result::Entity::insert(maturity_result::ActiveModel {
        team_id: Set(result.team_id),
        year: Set(result.year),
        framework_id: Set(result.framework.id.clone()),
        framework_version: Set(result.framework.version as i32),
        level: Set(result.level as i16),
        score: Set(result.score),
        result: Set(to_json(result)),
        computed_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            maturity_result::Column::TeamId,
            maturity_result::Column::Year,
        ])
        .update_columns([
            maturity_result::Column::Level,
            maturity_result::Column::Score,
            maturity_result::Column::Result,
            maturity_result::Column::ComputedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The annual maturity of every blue team in scope (optionally of one organisation)
/// for a year: each team-year with its recorded framework, or the active one for a
/// year not scored before; the results are recorded.
pub async fn annual<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    org_id: Option<Uuid>,
    year: i32,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<AnnualMaturity, StoreError> {
    let as_of = NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |last| last.min(today));
    let active = active_framework(db).await?;
    let mut frameworks: BTreeMap<(String, u32), Framework> = BTreeMap::new();
    frameworks.insert((active.id.clone(), active.version), active.clone());
    let mut out = Vec::new();
    let mut without = Vec::new();
    for team in blue_teams(db, scope, org_id).await? {
        let recorded = recorded_framework(db, team.id, year).await?;
        let has_recorded = recorded.is_some();
        let key = recorded.unwrap_or((active.id.clone(), active.version));
        if !frameworks.contains_key(&key) {
            let f = framework(db, &key.0, key.1).await?;
            frameworks.insert(key.clone(), f);
        }
        let framework = &frameworks[&key];
        let input = team_year(db, &team, year, as_of).await?;
        // A year is scored (and pinned to a framework) once the team has records in
        // it: an assessment or an ended drill.
        if input.assessment.is_none() && input.drills.is_empty() && !has_recorded {
            without.push(TeamName {
                team_id: team.id,
                org_id: team.org_id,
                name: team.name.clone(),
            });
            continue;
        }
        let result = crate::maturity::compute(framework, &input);
        record_result(db, &result, now).await?;
        out.push(result);
    }
    Ok(AnnualMaturity {
        teams: out,
        teams_without_records: without,
    })
}

/// A year's maturity: the teams with records that year, and those without (listed so
/// that a team that did nothing is seen, not hidden).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnnualMaturity {
    pub teams: Vec<TeamMaturity>,
    pub teams_without_records: Vec<TeamName>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamName {
    pub team_id: Uuid,
    pub org_id: Uuid,
    pub name: String,
}
