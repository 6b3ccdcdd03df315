//! The after-action report (HSEEP AAR/IP) of a drill: its observations (strengths,
//! areas for improvement) and improvement plan (corrective actions) are stored here;
//! the rest of the report is read from the drill, its scenario version and its log.
//!
//! Every write is also an event in the drill's hash-chained log (audience
//! `controllers`), appended in the same transaction, so the improvement plan has the
//! same audit trail as the drill itself.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::drill_log::{self, NewEvent};
use super::drills::{self, Drill, TimelineEntry, lock_drill};
use super::{Scope, StoreError, begin_write, playbooks};
use crate::entities::{aar_observation, corrective_action, drill_event, playbook, system, team};
use crate::scenario::Scenario;

/// `strength` or `improvement` (an area for improvement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObservationKind {
    Strength,
    Improvement,
}

impl ObservationKind {
    pub fn code(self) -> &'static str {
        match self {
            ObservationKind::Strength => "strength",
            ObservationKind::Improvement => "improvement",
        }
    }

    fn parse(code: &str) -> Result<Self, sea_orm::DbErr> {
        match code {
            "strength" => Ok(ObservationKind::Strength),
            "improvement" => Ok(ObservationKind::Improvement),
            other => Err(sea_orm::DbErr::Type(format!("observation kind {other}"))),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Observation {
    pub id: Uuid,
    pub kind: ObservationKind,
    pub text: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// `open` or `done`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectiveAction {
    pub id: Uuid,
    pub observation_id: Option<Uuid>,
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub playbook_id: Option<Uuid>,
    /// The playbook's title and system, for reading the plan without a second lookup.
    pub playbook_title: Option<String>,
    pub status: ActionStatus,
    pub completed_at: Option<DateTime<Utc>>,
    pub completed_by: Option<Uuid>,
    /// The playbook version its completion opened for review.
    pub playbook_version: Option<i32>,
    pub created_at: DateTime<Utc>,
}

fn observation(m: aar_observation::Model) -> Result<Observation, sea_orm::DbErr> {
    Ok(Observation {
        id: m.id,
        kind: ObservationKind::parse(&m.kind)?,
        text: m.text,
        created_by: m.created_by,
        created_at: m.created_at,
    })
}

async fn action(
    db: &impl ConnectionTrait,
    m: corrective_action::Model,
) -> Result<CorrectiveAction, StoreError> {
    let playbook_title = match m.playbook_id {
        Some(id) => playbook_label(db, id).await?,
        None => None,
    };
    Ok(CorrectiveAction {
        id: m.id,
        observation_id: m.observation_id,
        action: m.action,
        owner: m.owner,
        due_on: m.due_on,
        playbook_id: m.playbook_id,
        playbook_title,
        status: if m.status == "done" {
            ActionStatus::Done
        } else {
            ActionStatus::Open
        },
        completed_at: m.completed_at,
        completed_by: m.completed_by,
        playbook_version: m.playbook_version,
        created_at: m.created_at,
    })
}

/// "System — category title", as the improvement plan names a playbook.
async fn playbook_label(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<String>, StoreError> {
    let Some(book) = playbook::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let sys = system::Entity::find_by_id(book.system_id).one(db).await?;
    let version = crate::entities::playbook_version::Entity::find()
        .filter(crate::entities::playbook_version::Column::PlaybookId.eq(id))
        .filter(crate::entities::playbook_version::Column::Version.eq(book.current_version))
        .one(db)
        .await?;
    Ok(Some(format!(
        "{} — {}",
        sys.map(|s| s.name).unwrap_or_default(),
        version.map(|v| v.title).unwrap_or(book.category)
    )))
}

pub async fn observations(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Vec<Observation>, StoreError> {
    let rows = aar_observation::Entity::find()
        .filter(aar_observation::Column::DrillId.eq(drill_id))
        .order_by_asc(aar_observation::Column::CreatedAt)
        .order_by_asc(aar_observation::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(observation)
        .collect::<Result<_, _>>()?)
}

pub async fn actions(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Vec<CorrectiveAction>, StoreError> {
    let rows = corrective_action::Entity::find()
        .filter(corrective_action::Column::DrillId.eq(drill_id))
        .order_by_asc(corrective_action::Column::DueOn)
        .order_by_asc(corrective_action::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        out.push(action(db, row).await?);
    }
    Ok(out)
}

/// Adds a strength or an area for improvement.
pub async fn add_observation(
    db: &DatabaseConnection,
    scope: &Scope,
    drill_id: Uuid,
    kind: ObservationKind,
    text: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Observation, StoreError> {
    drills::get(db, scope, drill_id).await?;
    drill_log::retrying(|| async {
        let (_gate, txn) = begin_write(db).await?;
        lock_drill(&txn, drill_id).await?;
        let row = aar_observation::ActiveModel {
            id: Set(Uuid::now_v7()),
            drill_id: Set(drill_id),
            kind: Set(kind.code().to_owned()),
            text: Set(text.to_owned()),
            created_by: Set(Some(by)),
            created_at: Set(crate::drill::chain::event_time(now)),
        }
        .insert(&txn)
        .await?;
        append(
            &txn,
            drill_id,
            "aar_observation_recorded",
            by,
            json!({"observation_id": row.id, "kind": kind.code(), "text": text}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(observation(row)?)
    })
    .await
}

/// What a corrective action says.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub observation_id: Option<Uuid>,
    pub action: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub playbook_id: Option<Uuid>,
}

/// Adds a corrective action to the improvement plan. The observation must be one of
/// this drill's; the playbook one the caller may see.
pub async fn add_action(
    db: &DatabaseConnection,
    scope: &Scope,
    drill_id: Uuid,
    new: &NewAction,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<CorrectiveAction, StoreError> {
    drills::get(db, scope, drill_id).await?;
    if let Some(obs) = new.observation_id {
        let found = aar_observation::Entity::find_by_id(obs)
            .filter(aar_observation::Column::DrillId.eq(drill_id))
            .one(db)
            .await?;
        if found.is_none() {
            return Err(StoreError::Invalid {
                field: "observation_id",
                message: "no such observation in this drill's report".into(),
            });
        }
    }
    if let Some(pb) = new.playbook_id {
        match playbooks::get(db, scope, pb).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(StoreError::Invalid {
                    field: "playbook_id",
                    message: "no such playbook".into(),
                });
            }
            Err(e) => return Err(e),
        }
    }
    let row = drill_log::retrying(|| async {
        let (_gate, txn) = begin_write(db).await?;
        lock_drill(&txn, drill_id).await?;
        let row = corrective_action::ActiveModel {
            id: Set(Uuid::now_v7()),
            drill_id: Set(drill_id),
            observation_id: Set(new.observation_id),
            action: Set(new.action.clone()),
            owner: Set(new.owner.clone()),
            due_on: Set(new.due_on),
            playbook_id: Set(new.playbook_id),
            status: Set("open".into()),
            completed_at: Set(None),
            completed_by: Set(None),
            playbook_version: Set(None),
            created_by: Set(Some(by)),
            created_at: Set(crate::drill::chain::event_time(now)),
        }
        .insert(&txn)
        .await?;
        append(
            &txn,
            drill_id,
            "corrective_action_recorded",
            by,
            json!({
                "action_id": row.id,
                "observation_id": new.observation_id,
                "action": new.action,
                "owner": new.owner,
                "due_on": new.due_on,
                "playbook_id": new.playbook_id,
            }),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    })
    .await?;
    action(db, row).await
}

/// Marks a corrective action done. When it names a playbook, a new version of that
/// playbook is opened for review in the same transaction: the current content, with
/// the approval and review dates cleared (so it shows as not yet reviewed) and a change
/// note that names the drill and the action. Completing a done action is a conflict.
pub async fn complete_action(
    db: &DatabaseConnection,
    scope: &Scope,
    drill_id: Uuid,
    action_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<CorrectiveAction, StoreError> {
    let drill = drills::get(db, scope, drill_id).await?;
    let row = drill_log::retrying(|| async {
        let (_gate, txn) = begin_write(db).await?;
        lock_drill(&txn, drill_id).await?;
        let row = corrective_action::Entity::find_by_id(action_id)
            .filter(corrective_action::Column::DrillId.eq(drill_id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if row.status == "done" {
            return Err(StoreError::Conflict {
                field: "status",
                message: "this corrective action is already done".into(),
            });
        }
        let mut version = None;
        if let Some(pb) = row.playbook_id {
            let current = playbooks::get(&txn, scope, pb).await?;
            let mut draft = current.to_draft();
            draft.approved_by = None;
            draft.approved_on = None;
            draft.reviewed_on = None;
            draft.change_note = format!(
                "Mở để rà soát sau diễn tập «{}»: {} / Opened for review after the drill «{}»: {}",
                drill.title, row.action, drill.title, row.action
            );
            let saved = playbooks::save_version_in(&txn, scope, pb, &draft, Some(by), now).await?;
            version = Some(saved.version);
        }
        let mut active: corrective_action::ActiveModel = row.into();
        active.status = Set("done".into());
        active.completed_at = Set(Some(crate::drill::chain::event_time(now)));
        active.completed_by = Set(Some(by));
        active.playbook_version = Set(version);
        let row = active.update(&txn).await?;
        append(
            &txn,
            drill_id,
            "corrective_action_completed",
            by,
            json!({
                "action_id": row.id,
                "playbook_id": row.playbook_id,
                "playbook_version": version,
            }),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    })
    .await?;
    action(db, row).await
}

async fn append(
    txn: &impl ConnectionTrait,
    drill_id: Uuid,
    kind: &'static str,
    by: Uuid,
    data: Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    drill_log::append(
        txn,
        drill_id,
        NewEvent {
            kind,
            actor_id: Some(by),
            audience: "controllers".into(),
            data,
        },
        now,
    )
    .await
    .map(|_| ())
}

// ---------------------------------------------------------------- the report

/// One inject as the report shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InjectOutcome {
    #[serde(flatten)]
    pub entry: TimelineEntry,
    /// Seconds from the drill start to the release.
    pub released_after_start_s: Option<f64>,
    /// The first acknowledgement by a team, and how long after the release it came.
    pub first_ack_at: Option<DateTime<Utc>>,
    pub time_to_ack_s: Option<f64>,
    /// What the scenario expected of the responders (kind, target time, points).
    pub expectations: Vec<ExpectationLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpectationLine {
    pub kind: String,
    pub target_s: u32,
    pub points: u32,
    pub description_vi: Option<String>,
    pub description_en: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bilingual {
    pub vi: String,
    pub en: String,
}

/// The whole after-action report of a drill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AfterActionReport {
    pub drill: Drill,
    pub scenario_title: Bilingual,
    pub scenario_summary: Bilingual,
    pub objectives: Vec<Bilingual>,
    pub systems: Vec<String>,
    pub teams: Vec<String>,
    /// Events in the drill's log and its head hash when the report was made.
    pub log_events: i64,
    pub log_head: String,
    pub injects: Vec<InjectOutcome>,
    pub strengths: Vec<Observation>,
    pub improvements: Vec<Observation>,
    pub corrective_actions: Vec<CorrectiveAction>,
}

pub async fn report(
    db: &DatabaseConnection,
    scope: &Scope,
    drill_id: Uuid,
) -> Result<AfterActionReport, StoreError> {
    // One read transaction, so the report is a consistent snapshot.
    let txn = db.begin().await?;
    let drill = drills::get(&txn, scope, drill_id).await?;
    let loaded =
        super::scenarios::version(&txn, &Scope::All, drill.scenario_id, drill.scenario_version)
            .await?;
    let scenario: &Scenario = &loaded.scenario;
    let timeline = drills::timeline(&txn, drill_id).await?;
    let head = crate::entities::drill::Entity::find_by_id(drill_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let acks = drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Kind.eq("ack_recorded"))
        .order_by_asc(drill_event::Column::Seq)
        .all(&txn)
        .await?;
    let systems = system::Entity::find()
        .filter(system::Column::Id.is_in(drill.system_ids.clone()))
        .order_by_asc(system::Column::Name)
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let team_ids: Vec<Uuid> = drill.teams.iter().map(|t| t.team_id).collect();
    let teams = team::Entity::find()
        .filter(team::Column::Id.is_in(team_ids))
        .order_by_asc(team::Column::Name)
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let injects = timeline
        .into_iter()
        .map(|entry| {
            let id_s = entry.inject_id.to_string();
            let first_ack_at = acks
                .iter()
                .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok().map(|d| (e, d)))
                .filter(|(_, d)| d["inject_id"] == id_s.as_str() && !d["team_id"].is_null())
                .map(|(e, d)| {
                    d["received_at"]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map_or(e.at, |t| t.with_timezone(&Utc))
                })
                .min();
            let seconds =
                |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_milliseconds() as f64 / 1000.0;
            let time_to_ack_s = match (entry.released_at, first_ack_at) {
                (Some(r), Some(a)) => Some(seconds(r, a).max(0.0)),
                _ => None,
            };
            let released_after_start_s = match (drill.started_at, entry.released_at) {
                (Some(s), Some(r)) => Some(seconds(s, r).max(0.0)),
                _ => None,
            };
            let expectations = scenario
                .injects
                .iter()
                .find(|i| i.key.as_str() == entry.key)
                .map(|i| {
                    i.expectations
                        .iter()
                        .map(|x| ExpectationLine {
                            kind: x.kind.as_str().to_owned(),
                            target_s: x.target_secs,
                            points: x.points,
                            description_vi: x.description.as_ref().map(|d| d.vi.clone()),
                            description_en: x.description.as_ref().map(|d| d.en.clone()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            InjectOutcome {
                entry,
                released_after_start_s,
                first_ack_at,
                time_to_ack_s,
                expectations,
            }
        })
        .collect();
    let all = observations(&txn, drill_id).await?;
    let (strengths, improvements) = all
        .into_iter()
        .partition(|o| o.kind == ObservationKind::Strength);
    let corrective_actions = actions(&txn, drill_id).await?;
    txn.commit().await?;
    Ok(AfterActionReport {
        scenario_title: Bilingual {
            vi: scenario.title.vi.clone(),
            en: scenario.title.en.clone(),
        },
        scenario_summary: Bilingual {
            vi: scenario.summary.vi.clone(),
            en: scenario.summary.en.clone(),
        },
        objectives: scenario
            .objectives
            .iter()
            .map(|o| Bilingual {
                vi: o.vi.clone(),
                en: o.en.clone(),
            })
            .collect(),
        systems,
        teams,
        log_events: head.head_seq,
        log_head: head.head_hash,
        drill,
        injects,
        strengths,
        improvements,
        corrective_actions,
    })
}
