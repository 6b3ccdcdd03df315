//! Drills: creation from a scenario version (a snapshot of its injects), the
//! lifecycle transitions, releasing and skipping injects exactly once, ad-hoc
//! injects, the timeline and the scheduler's view of running drills.
//!
//! Every change is one transaction that also appends its event to the drill log
//! (`drill_log`), so the state and its record can never disagree. Each transaction
//! first locks the drill row (`FOR UPDATE` on PostgreSQL; SQLite's `IMMEDIATE`
//! transaction already serialises writers), which orders every writer of a drill —
//! two scheduler processes included — one after the other.
//!
//! Scoping: drills belong to the organising organisation. Reads go through
//! [`get`]/[`list`] with the caller's scope; the mutating functions take a drill id
//! the handler has already resolved in scope.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::drill_log::{self, NewEvent, retrying};
use super::{Page, Scope, StoreError, begin_write, from_code, paginate};
use crate::domain::Side;
use crate::domain::clock::DrillClock;
use crate::domain::drill::{
    DrillKind, DrillScale, DrillStatus, Transition, Visibility, next_status,
};
use crate::drill::chain::{GENESIS_HASH, event_time};
use crate::entities::{drill, drill_inject, drill_system, drill_team, team_member};
use crate::scenario::{Audience, Scenario};

// ---------------------------------------------------------------- read models

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrillTeam {
    pub team_id: Uuid,
    pub side: Side,
}

/// A drill as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Drill {
    pub id: Uuid,
    /// The organising organisation.
    pub org_id: Uuid,
    pub scenario_id: Uuid,
    pub scenario_version: i32,
    pub scenario_slug: String,
    pub title: String,
    pub kind: DrillKind,
    pub scale: DrillScale,
    pub status: DrillStatus,
    /// Drill seconds per wall-clock second.
    pub speed: f64,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Set while paused.
    pub paused_since: Option<DateTime<Utc>>,
    pub system_ids: Vec<Uuid>,
    pub teams: Vec<DrillTeam>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// `seq` of the last event in the drill log.
    pub head_seq: i64,
}

/// `pending`, `released` or `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InjectState {
    Pending,
    Released,
    Skipped,
}

impl InjectState {
    pub fn code(self) -> &'static str {
        match self {
            InjectState::Pending => "pending",
            InjectState::Released => "released",
            InjectState::Skipped => "skipped",
        }
    }

    fn parse(code: &str) -> Result<Self, sea_orm::DbErr> {
        match code {
            "pending" => Ok(InjectState::Pending),
            "released" => Ok(InjectState::Released),
            "skipped" => Ok(InjectState::Skipped),
            other => Err(sea_orm::DbErr::Type(format!("inject state {other}"))),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

/// One inject of a drill's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub inject_id: Uuid,
    pub key: String,
    /// Drill time of a scheduled inject, in seconds; `null` for manual and ad-hoc.
    pub offset_s: Option<f64>,
    /// When it is (or was) due. For a pending inject it is computed from the clock
    /// now, and `null` while the drill is planned or paused and for manual injects.
    pub due_at: Option<DateTime<Utc>>,
    pub released_at: Option<DateTime<Utc>>,
    pub state: InjectState,
    /// How late the release was against its due time (scheduled injects).
    pub late_by_ms: Option<i64>,
    pub ad_hoc: bool,
    pub audience: String,
    pub channel: String,
    pub title: Text,
}

/// A release that happened.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Released {
    pub drill_id: Uuid,
    pub inject_id: Uuid,
    pub key: String,
    pub due_at: Option<DateTime<Utc>>,
    pub released_at: DateTime<Utc>,
    pub late_by_ms: Option<i64>,
    /// `seq` of the `inject_released` event.
    pub seq: i64,
}

fn clock_of(m: &drill::Model) -> DrillClock {
    DrillClock {
        anchor_at: m.anchor_at,
        anchor_elapsed_ms: m.anchor_elapsed_ms,
        speed: m.speed,
        paused_since: m.paused_since,
    }
}

fn status_of(m: &drill::Model) -> Result<DrillStatus, sea_orm::DbErr> {
    DrillStatus::parse(&m.status)
        .ok_or_else(|| sea_orm::DbErr::Type(format!("drill status {}", m.status)))
}

async fn hydrate(db: &impl ConnectionTrait, m: drill::Model) -> Result<Drill, StoreError> {
    let system_ids = drill_system::Entity::find()
        .filter(drill_system::Column::DrillId.eq(m.id))
        .order_by_asc(drill_system::Column::SystemId)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.system_id)
        .collect();
    let teams = drill_team::Entity::find()
        .filter(drill_team::Column::DrillId.eq(m.id))
        .order_by_asc(drill_team::Column::TeamId)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            Ok(DrillTeam {
                team_id: t.team_id,
                side: from_code(&t.side)?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    Ok(Drill {
        kind: DrillKind::parse(&m.kind)
            .ok_or_else(|| sea_orm::DbErr::Type(format!("drill kind {}", m.kind)))?,
        scale: DrillScale::parse(&m.scale)
            .ok_or_else(|| sea_orm::DbErr::Type(format!("drill scale {}", m.scale)))?,
        status: status_of(&m)?,
        id: m.id,
        org_id: m.org_id,
        scenario_id: m.scenario_id,
        scenario_version: m.scenario_version,
        scenario_slug: m.scenario_slug,
        title: m.title,
        speed: m.speed,
        started_at: m.started_at,
        ended_at: m.ended_at,
        paused_since: m.paused_since,
        system_ids,
        teams,
        created_by: m.created_by,
        created_at: m.created_at,
        head_seq: m.head_seq,
    })
}

fn scoped(scope: &Scope) -> sea_orm::Select<drill::Entity> {
    let q = drill::Entity::find();
    match scope {
        Scope::All => q,
        Scope::Orgs(ids) => q.filter(drill::Column::OrgId.is_in(ids.clone())),
    }
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Drill, StoreError> {
    let row = scoped(scope)
        .filter(drill::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    hydrate(db, row).await
}

/// The drill clock of a drill the caller already resolved in scope (the consoles
/// show drill time).
pub async fn clock(db: &impl ConnectionTrait, id: Uuid) -> Result<DrillClock, StoreError> {
    let row = drill::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(clock_of(&row))
}

/// Any drill, without scoping (the command line and the scheduler).
pub async fn get_unscoped(db: &impl ConnectionTrait, id: Uuid) -> Result<Drill, StoreError> {
    get(db, &Scope::All, id).await
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    status: Option<DrillStatus>,
    page: Page,
) -> Result<(Vec<Drill>, Option<Uuid>), StoreError> {
    let mut q = scoped(scope);
    if let Some(s) = status {
        q = q.filter(drill::Column::Status.eq(s.code()));
    }
    if let Some(after) = page.after {
        q = q.filter(drill::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(drill::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let (rows, next) = paginate(rows, page.limit, |r| r.id);
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(hydrate(db, r).await?);
    }
    Ok((out, next))
}

/// The drill teams (with their side) that have a member linked to `user_id`.
pub async fn teams_of_user(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, Side)>, StoreError> {
    let teams = drill_team::Entity::find()
        .filter(drill_team::Column::DrillId.eq(drill_id))
        .all(db)
        .await?;
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let member_of: Vec<Uuid> = team_member::Entity::find()
        .filter(team_member::Column::UserId.eq(user_id))
        .filter(team_member::Column::TeamId.is_in(teams.iter().map(|t| t.team_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.team_id)
        .collect();
    teams
        .into_iter()
        .filter(|t| member_of.contains(&t.team_id))
        .map(|t| Ok((t.team_id, from_code(&t.side)?)))
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(StoreError::from)
}

// ---------------------------------------------------------------- creation

/// A drill to create; references are already checked by the caller.
#[derive(Debug, Clone)]
pub struct NewDrill<'a> {
    pub org_id: Uuid,
    pub scenario_id: Uuid,
    pub scenario_version: i32,
    pub scenario: &'a Scenario,
    pub title: String,
    pub kind: DrillKind,
    pub scale: DrillScale,
    pub speed: f64,
    pub system_ids: Vec<Uuid>,
    pub teams: Vec<(Uuid, Side)>,
    /// The scenario's team slots and the drill team filling each (`team:SLOT`
    /// audiences become `team:TEAM_ID`).
    pub slots: BTreeMap<String, Uuid>,
    pub created_by: Option<Uuid>,
}

/// Creates a planned drill with a snapshot of the scenario version's injects, and
/// its first event (`drill_created`), in one transaction.
pub async fn create(
    db: &DatabaseConnection,
    new: NewDrill<'_>,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    let now = event_time(now);
    let id = Uuid::now_v7();
    let (_gate, txn) = begin_write(db).await?;
    drill::ActiveModel {
        id: Set(id),
        org_id: Set(new.org_id),
        scenario_id: Set(new.scenario_id),
        scenario_version: Set(new.scenario_version),
        scenario_slug: Set(new.scenario.id.as_str().to_owned()),
        title: Set(new.title.clone()),
        kind: Set(new.kind.code().to_owned()),
        scale: Set(new.scale.code().to_owned()),
        status: Set(DrillStatus::Planned.code().to_owned()),
        speed: Set(new.speed),
        anchor_at: Set(None),
        anchor_elapsed_ms: Set(0),
        paused_since: Set(None),
        started_at: Set(None),
        ended_at: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(now),
        head_seq: Set(0),
        head_hash: Set(GENESIS_HASH.to_owned()),
    }
    .insert(&txn)
    .await?;
    for system_id in &new.system_ids {
        drill_system::Entity::insert(drill_system::ActiveModel {
            drill_id: Set(id),
            system_id: Set(*system_id),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    for (team_id, side) in &new.teams {
        drill_team::Entity::insert(drill_team::ActiveModel {
            drill_id: Set(id),
            team_id: Set(*team_id),
            side: Set(side.code().to_owned()),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    for inject in &new.scenario.injects {
        drill_inject::ActiveModel {
            id: Set(Uuid::now_v7()),
            drill_id: Set(id),
            key: Set(inject.key.as_str().to_owned()),
            offset_ms: Set(inject.release.offset_secs().map(|s| i64::from(s) * 1000)),
            audience: Set(match &inject.audience {
                Audience::Team(slot) => match new.slots.get(slot.as_str()) {
                    Some(team_id) => format!("team:{team_id}"),
                    // Unbound slots are refused by the API; kept as written otherwise,
                    // which only staff can see.
                    None => inject.audience.to_string(),
                },
                other => other.to_string(),
            }),
            channel: Set(inject.channel.as_str().to_owned()),
            title_vi: Set(inject.title.vi.clone()),
            title_en: Set(inject.title.en.clone()),
            body_vi: Set(inject.body.vi.clone()),
            body_en: Set(inject.body.en.clone()),
            expectations: Set(super::to_json(&inject.expectations)),
            ad_hoc: Set(false),
            state: Set(InjectState::Pending.code().to_owned()),
            due_at: Set(None),
            released_at: Set(None),
            late_by_ms: Set(None),
            released_by: Set(None),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    drill_log::append(
        &txn,
        id,
        NewEvent {
            kind: "drill_created",
            actor_id: new.created_by,
            audience: "controllers".into(),
            data: json!({
                "title": new.title,
                "kind": new.kind.code(),
                "scale": new.scale.code(),
                "scenario_id": new.scenario_id,
                "scenario_version": new.scenario_version,
                "scenario_slug": new.scenario.id.as_str(),
                "speed": new.speed,
                "system_ids": new.system_ids,
                "teams": new.teams.iter().map(|(t, s)| json!({"team_id": t, "side": s.code()})).collect::<Vec<_>>(),
                "injects": new.scenario.injects.len(),
            }),
        },
        now,
    )
    .await?;
    let row = lock_drill(&txn, id).await?;
    let drill = hydrate(&txn, row).await?;
    txn.commit().await?;
    Ok(drill)
}

// ---------------------------------------------------------------- transitions

/// Reads the drill row for update: the lock orders every writer of this drill.
pub(crate) async fn lock_drill(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<drill::Model, StoreError> {
    drill::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn conflict(message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field: "status",
        message: message.into(),
    }
}

/// Starts, pauses, resumes or ends a drill: the status, the clock and the event in
/// one transaction. An illegal transition is a conflict on `status` (409).
pub async fn transition(
    db: &DatabaseConnection,
    drill_id: Uuid,
    transition: Transition,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    retrying(|| transition_once(db, drill_id, transition, actor, now)).await
}

async fn transition_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    transition: Transition,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let from = status_of(&row)?;
    let to = next_status(from, transition).map_err(|e| {
        conflict(format!(
            "cannot {} a drill that is {}",
            transition_verb(e.transition),
            e.from.code()
        ))
    })?;
    let mut clock = clock_of(&row);
    let mut active: drill::ActiveModel = row.clone().into();
    match transition {
        Transition::Start => {
            clock.start(now);
            active.started_at = Set(Some(now));
        }
        Transition::Pause => clock.pause(now),
        Transition::Resume => clock.resume(now),
        Transition::End => {
            // Freeze drill time where it is; pending injects stay pending (the
            // timeline shows them as never released) and nothing is released after.
            clock.pause(now);
            active.ended_at = Set(Some(now));
        }
    }
    active.status = Set(to.code().to_owned());
    active.anchor_at = Set(clock.anchor_at);
    active.anchor_elapsed_ms = Set(clock.anchor_elapsed_ms);
    active.paused_since = Set(clock.paused_since);
    active.update(&txn).await?;
    let link = drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: transition.event_kind(),
            actor_id: actor,
            audience: "all".into(),
            data: json!({
                "status": to.code(),
                "previous": from.code(),
                "at": crate::time::rfc3339_micros(now),
                "elapsed_ms": clock.elapsed_ms(now),
            }),
        },
        now,
    )
    .await?;
    if transition == Transition::End {
        // The final scorecards, frozen with the head of the log that ends the drill.
        super::maturity::freeze_drill(&txn, drill_id, link.content.seq, &link.hash, now).await?;
    }
    let row = lock_drill(&txn, drill_id).await?;
    let drill = hydrate(&txn, row).await?;
    txn.commit().await?;
    Ok(drill)
}

/// Sets the drill's speed from `now` on, re-anchoring its clock so that drill time
/// already elapsed stays, with a `drill_speed_changed` event; one transaction. An
/// ended drill is a conflict on `status`.
pub async fn set_speed(
    db: &DatabaseConnection,
    drill_id: Uuid,
    speed: f64,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    retrying(|| set_speed_once(db, drill_id, speed, actor, now)).await
}

async fn set_speed_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    speed: f64,
    actor: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Drill, StoreError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = status_of(&row)?;
    if status == DrillStatus::Ended {
        return Err(conflict(
            "cannot change the speed of a drill that has ended",
        ));
    }
    let mut clock = clock_of(&row);
    let previous = clock.speed;
    clock.set_speed(speed, now);
    let mut active: drill::ActiveModel = row.clone().into();
    active.speed = Set(clock.speed);
    active.anchor_at = Set(clock.anchor_at);
    active.anchor_elapsed_ms = Set(clock.anchor_elapsed_ms);
    active.paused_since = Set(clock.paused_since);
    active.update(&txn).await?;
    drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: "drill_speed_changed",
            actor_id: actor,
            audience: "all".into(),
            data: json!({
                "status": status.code(),
                "speed": clock.speed,
                "previous_speed": previous,
                "at": crate::time::rfc3339_micros(now),
                "elapsed_ms": clock.elapsed_ms(now),
            }),
        },
        now,
    )
    .await?;
    let row = lock_drill(&txn, drill_id).await?;
    let drill = hydrate(&txn, row).await?;
    txn.commit().await?;
    Ok(drill)
}

/// Locks a drill row for the rest of the transaction (see [`transition`]).
pub async fn lock(txn: &DatabaseTransaction, id: Uuid) -> Result<drill::Model, StoreError> {
    lock_drill(txn, id).await
}

fn transition_verb(t: Transition) -> &'static str {
    match t {
        Transition::Start => "start",
        Transition::Pause => "pause",
        Transition::Resume => "resume",
        Transition::End => "end",
    }
}

// ---------------------------------------------------------------- injects

/// Who releases an inject, which decides what "cannot" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseBy {
    /// A controller's release-now: allowed while running or paused; refused (409)
    /// when planned, ended, or already released or skipped.
    Controller(Uuid),
    /// The scheduler: only a running drill's pending scheduled inject that is due at
    /// `now`; anything else is a quiet no-op (another process got there first, or
    /// the drill was paused in between).
    Scheduler,
}

/// Finds an inject of a drill by id or key (404 when neither matches).
async fn find_inject(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    key_or_id: &str,
) -> Result<drill_inject::Model, StoreError> {
    if let Ok(id) = Uuid::parse_str(key_or_id)
        && let Some(m) = drill_inject::Entity::find_by_id(id)
            .filter(drill_inject::Column::DrillId.eq(drill_id))
            .one(db)
            .await?
    {
        return Ok(m);
    }
    drill_inject::Entity::find()
        .filter(drill_inject::Column::DrillId.eq(drill_id))
        .filter(drill_inject::Column::Key.eq(key_or_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Releases an inject exactly once: marks it released (only if still pending) and
/// appends `inject_released`, in one transaction. `Ok(None)` only for the scheduler
/// when there is nothing to do.
pub async fn release(
    db: &DatabaseConnection,
    drill_id: Uuid,
    key_or_id: &str,
    by: ReleaseBy,
    now: DateTime<Utc>,
) -> Result<Option<Released>, StoreError> {
    retrying(|| release_once(db, drill_id, key_or_id, by, now)).await
}

async fn release_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    key_or_id: &str,
    by: ReleaseBy,
    now: DateTime<Utc>,
) -> Result<Option<Released>, StoreError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = status_of(&row)?;
    let inject = find_inject(&txn, drill_id, key_or_id).await?;
    let clock = clock_of(&row);
    let due = inject.offset_ms.and_then(|o| clock.due_at(o));
    match by {
        ReleaseBy::Scheduler => {
            let is_due = status == DrillStatus::Running && due.is_some_and(|d| d <= now);
            if !is_due || inject.state != InjectState::Pending.code() {
                return Ok(None);
            }
        }
        ReleaseBy::Controller(_) => {
            if !status.is_live() {
                return Err(conflict(format!(
                    "the drill is {}: injects are released only while it is running or paused",
                    status.code()
                )));
            }
        }
    }
    let released = release_row(&txn, &inject, due, by, now).await?;
    txn.commit().await?;
    Ok(Some(released))
}

/// The conditional update and the event; the caller holds the drill lock.
async fn release_row(
    txn: &DatabaseTransaction,
    inject: &drill_inject::Model,
    due: Option<DateTime<Utc>>,
    by: ReleaseBy,
    now: DateTime<Utc>,
) -> Result<Released, StoreError> {
    // Lateness against the due time; a release-now ahead of time is not late.
    let late_by_ms = due.map(|d| (now - d).num_milliseconds().max(0));
    let actor = match by {
        ReleaseBy::Controller(id) => Some(id),
        ReleaseBy::Scheduler => None,
    };
    let updated = drill_inject::Entity::update_many()
        .col_expr(
            drill_inject::Column::State,
            Expr::value(InjectState::Released.code()),
        )
        .col_expr(drill_inject::Column::ReleasedAt, Expr::value(now))
        .col_expr(drill_inject::Column::DueAt, Expr::value(due))
        .col_expr(drill_inject::Column::LateByMs, Expr::value(late_by_ms))
        .col_expr(drill_inject::Column::ReleasedBy, Expr::value(actor))
        .filter(drill_inject::Column::Id.eq(inject.id))
        .filter(drill_inject::Column::State.eq(InjectState::Pending.code()))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StoreError::Conflict {
            field: "state",
            message: format!("inject {} is already {}", inject.key, inject.state),
        });
    }
    let event = drill_log::append(
        txn,
        inject.drill_id,
        NewEvent {
            kind: "inject_released",
            actor_id: actor,
            audience: inject.audience.clone(),
            data: json!({
                "inject_id": inject.id,
                "key": inject.key,
                "title": {"vi": inject.title_vi, "en": inject.title_en},
                "body": {"vi": inject.body_vi, "en": inject.body_en},
                "channel": inject.channel,
                "audience": inject.audience,
                "ad_hoc": inject.ad_hoc,
                "due_at": due.map(crate::time::rfc3339_micros),
                "released_at": crate::time::rfc3339_micros(now),
                "late_by_ms": late_by_ms,
                // What the team is expected to do (the scorecard counts `detect`).
                "expectations": inject.expectations,
            }),
        },
        now,
    )
    .await?;
    Ok(Released {
        drill_id: inject.drill_id,
        inject_id: inject.id,
        key: inject.key.clone(),
        due_at: due,
        released_at: now,
        late_by_ms,
        seq: event.content.seq,
    })
}

/// Marks a pending inject as never to be released (`inject_skipped`). Allowed until
/// the drill ends, including while planned or paused.
pub async fn skip(
    db: &DatabaseConnection,
    drill_id: Uuid,
    key_or_id: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<TimelineEntry, StoreError> {
    retrying(|| skip_once(db, drill_id, key_or_id, actor, now)).await
}

async fn skip_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    key_or_id: &str,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<TimelineEntry, StoreError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = status_of(&row)?;
    let inject = find_inject(&txn, drill_id, key_or_id).await?;
    if status == DrillStatus::Ended {
        return Err(conflict("the drill has ended: its injects cannot change"));
    }
    let updated = drill_inject::Entity::update_many()
        .col_expr(
            drill_inject::Column::State,
            Expr::value(InjectState::Skipped.code()),
        )
        .filter(drill_inject::Column::Id.eq(inject.id))
        .filter(drill_inject::Column::State.eq(InjectState::Pending.code()))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(StoreError::Conflict {
            field: "state",
            message: format!("inject {} is already {}", inject.key, inject.state),
        });
    }
    drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: "inject_skipped",
            actor_id: Some(actor),
            audience: "controllers".into(),
            data: json!({"inject_id": inject.id, "key": inject.key}),
        },
        now,
    )
    .await?;
    let skipped = drill_inject::Entity::find_by_id(inject.id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let entry = timeline_entry(&clock_of(&row), skipped)?;
    txn.commit().await?;
    Ok(entry)
}

/// An inject composed by a controller during the drill.
#[derive(Debug, Clone)]
pub struct AdHocInject {
    /// `None`: `adhoc-N`, the next free number.
    pub key: Option<String>,
    pub audience: String,
    pub channel: String,
    pub title: Text,
    pub body: Text,
}

/// Inserts an ad-hoc inject and releases it at once, in one transaction (while the
/// drill is running or paused).
pub async fn release_ad_hoc(
    db: &DatabaseConnection,
    drill_id: Uuid,
    inject: &AdHocInject,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Released, StoreError> {
    retrying(|| ad_hoc_once(db, drill_id, inject, actor, now)).await
}

const DUPLICATE_KEY: &str = "this drill already has an inject with this key";

async fn ad_hoc_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    inject: &AdHocInject,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Released, StoreError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = status_of(&row)?;
    if !status.is_live() {
        return Err(conflict(format!(
            "the drill is {}: ad-hoc injects are released only while it is running or paused",
            status.code()
        )));
    }
    let existing: Vec<String> = drill_inject::Entity::find()
        .filter(drill_inject::Column::DrillId.eq(drill_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|i| i.key)
        .collect();
    let key = match &inject.key {
        Some(k) => {
            if existing.contains(k) {
                return Err(StoreError::Conflict {
                    field: "key",
                    message: DUPLICATE_KEY.into(),
                });
            }
            k.clone()
        }
        None => (1..)
            .map(|n| format!("adhoc-{n}"))
            .find(|k| !existing.contains(k))
            .unwrap_or_else(|| format!("adhoc-{}", Uuid::now_v7().simple())),
    };
    let model = drill_inject::ActiveModel {
        id: Set(Uuid::now_v7()),
        drill_id: Set(drill_id),
        key: Set(key),
        offset_ms: Set(None),
        audience: Set(inject.audience.clone()),
        channel: Set(inject.channel.clone()),
        title_vi: Set(inject.title.vi.clone()),
        title_en: Set(inject.title.en.clone()),
        body_vi: Set(inject.body.vi.clone()),
        body_en: Set(inject.body.en.clone()),
        expectations: Set(Value::Array(Vec::new())),
        ad_hoc: Set(true),
        state: Set(InjectState::Pending.code().to_owned()),
        due_at: Set(None),
        released_at: Set(None),
        late_by_ms: Set(None),
        released_by: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| StoreError::unique_as(e, "key", DUPLICATE_KEY))?;
    let released = release_row(&txn, &model, None, ReleaseBy::Controller(actor), now).await?;
    txn.commit().await?;
    Ok(released)
}

// ---------------------------------------------------------------- timeline

fn timeline_entry(clock: &DrillClock, m: drill_inject::Model) -> Result<TimelineEntry, StoreError> {
    let state = InjectState::parse(&m.state)?;
    let due_at = match state {
        InjectState::Pending => m.offset_ms.and_then(|o| clock.due_at(o)),
        _ => m.due_at,
    };
    Ok(TimelineEntry {
        inject_id: m.id,
        offset_s: m.offset_ms.map(|o| o as f64 / 1000.0),
        due_at,
        released_at: m.released_at,
        state,
        late_by_ms: m.late_by_ms,
        ad_hoc: m.ad_hoc,
        audience: m.audience,
        channel: m.channel,
        title: Text {
            vi: m.title_vi,
            en: m.title_en,
        },
        key: m.key,
    })
}

/// Every inject of the drill: scheduled ones by offset, then manual and ad-hoc ones
/// in the order they were added.
pub async fn timeline(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Vec<TimelineEntry>, StoreError> {
    let row = drill::Entity::find_by_id(drill_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let clock = clock_of(&row);
    let mut rows = drill_inject::Entity::find()
        .filter(drill_inject::Column::DrillId.eq(drill_id))
        .order_by_asc(drill_inject::Column::Id)
        .all(db)
        .await?;
    rows.sort_by_key(|r| (r.offset_ms.is_none(), r.offset_ms));
    rows.into_iter()
        .map(|m| timeline_entry(&clock, m))
        .collect()
}

// ---------------------------------------------------------------- scheduling

/// A running drill's clock and its pending scheduled injects, for the scheduler.
#[derive(Debug, Clone)]
pub struct RunningDrill {
    pub id: Uuid,
    pub clock: DrillClock,
    /// (inject id, offset in ms), by offset.
    pub pending: Vec<(Uuid, i64)>,
}

pub async fn running(db: &impl ConnectionTrait) -> Result<Vec<RunningDrill>, StoreError> {
    let drills = drill::Entity::find()
        .filter(drill::Column::Status.eq(DrillStatus::Running.code()))
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(drills.len());
    for d in drills {
        let pending = drill_inject::Entity::find()
            .filter(drill_inject::Column::DrillId.eq(d.id))
            .filter(drill_inject::Column::State.eq(InjectState::Pending.code()))
            .filter(drill_inject::Column::OffsetMs.is_not_null())
            .order_by_asc(drill_inject::Column::OffsetMs)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|i| i.offset_ms.map(|o| (i.id, o)))
            .collect();
        out.push(RunningDrill {
            id: d.id,
            clock: clock_of(&d),
            pending,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- acknowledgements

/// An acknowledgement of a released inject, once per (inject, team); staff, who are
/// in no team, acknowledge for themselves.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ack {
    pub drill_id: Uuid,
    pub inject_id: Uuid,
    pub team_id: Option<Uuid>,
    pub user_id: Uuid,
    /// When the server first recorded the acknowledgement.
    pub received_at: DateTime<Utc>,
    /// `seq` of the `ack_recorded` event.
    pub seq: i64,
    /// False when this (inject, team) had already acknowledged: nothing was recorded.
    pub created: bool,
}

/// Why an acknowledgement was refused.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("inject {0} has not been released")]
    NotReleased(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records that `team_id` (or `user_id`, for staff) acknowledged a released inject:
/// appends `ack_recorded` (audience `team:TEAM_ID`, or `controllers` for staff) once;
/// a repeated acknowledgement returns the first one and records nothing. The caller
/// An inject outside `visibility` is not found. The drill must be running or paused.
pub async fn record_ack(
    db: &DatabaseConnection,
    drill_id: Uuid,
    inject_id: Uuid,
    user_id: Uuid,
    team_id: Option<Uuid>,
    visibility: &Visibility,
    now: DateTime<Utc>,
) -> Result<Ack, AckError> {
    // As `retrying`, but keeping the refusals that are not store errors.
    let mut tries = 0;
    loop {
        match record_ack_once(db, drill_id, inject_id, user_id, team_id, visibility, now).await {
            Err(AckError::Store(e)) if drill_log::is_contended(&e) && tries < 4 => tries += 1,
            other => return other,
        }
    }
}

async fn record_ack_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    inject_id: Uuid,
    user_id: Uuid,
    team_id: Option<Uuid>,
    visibility: &Visibility,
    now: DateTime<Utc>,
) -> Result<Ack, AckError> {
    use crate::entities::drill_event;
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = status_of(&row).map_err(StoreError::from)?;
    let inject = drill_inject::Entity::find_by_id(inject_id)
        .filter(drill_inject::Column::DrillId.eq(drill_id))
        .one(&txn)
        .await
        .map_err(StoreError::from)?
        .ok_or(StoreError::NotFound)?;
    // An inject the caller may not see does not exist for them.
    if !visibility.allows(&inject.audience) {
        return Err(StoreError::NotFound.into());
    }
    if inject.state != InjectState::Released.code() {
        return Err(AckError::NotReleased(inject.key));
    }
    if !status.is_live() {
        return Err(conflict(format!(
            "the drill is {}: injects are acknowledged only while it is running or paused",
            status.code()
        ))
        .into());
    }
    // Earlier acknowledgements of this drill; few (injects × teams), and read under
    // the drill lock, so two concurrent acks cannot both be first.
    let earlier = drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Kind.eq("ack_recorded"))
        .order_by_asc(drill_event::Column::Seq)
        .all(&txn)
        .await
        .map_err(StoreError::from)?;
    let inject_s = inject_id.to_string();
    let (team_s, user_s) = (team_id.map(|t| t.to_string()), user_id.to_string());
    for e in earlier {
        let Ok(data) = serde_json::from_str::<Value>(&e.data) else {
            continue;
        };
        let same_acker = match &team_s {
            Some(t) => data["team_id"] == t.as_str(),
            None => data["team_id"].is_null() && data["user_id"] == user_s.as_str(),
        };
        if data["inject_id"] == inject_s.as_str() && same_acker {
            let received_at = data["received_at"]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(e.at, |t| t.with_timezone(&Utc));
            return Ok(Ack {
                drill_id,
                inject_id,
                team_id,
                user_id: data["user_id"]
                    .as_str()
                    .and_then(|u| Uuid::parse_str(u).ok())
                    .unwrap_or(user_id),
                received_at,
                seq: e.seq,
                created: false,
            });
        }
    }
    let audience = match team_id {
        Some(t) => format!("team:{t}"),
        None => "controllers".to_owned(),
    };
    let event = drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: "ack_recorded",
            actor_id: Some(user_id),
            audience,
            data: json!({
                "inject_id": inject_id,
                "key": inject.key,
                "team_id": team_id,
                "user_id": user_id,
                "received_at": crate::time::rfc3339_micros(now),
            }),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(Ack {
        drill_id,
        inject_id,
        team_id,
        user_id,
        received_at: now,
        seq: event.content.seq,
        created: true,
    })
}
