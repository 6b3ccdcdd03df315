//! Drill records (detections, containments, red actions and findings, reports,
//! verdicts) and evidence files: written once, each with its event in the drill log,
//! in one transaction that holds the drill lock; never updated.
//!
//! The references a record makes (a released inject, a target system, an earlier
//! record, evidence) are checked inside that transaction, so a record can never point
//! at something that is not there. A repeated `submission_id` of the same author
//! returns the first record and writes nothing.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::drill_log::{self, NewEvent};
use super::drills::InjectState;
use super::{Page, StoreError, begin_write, paginate};
use crate::domain::FieldErrors;
use crate::domain::drill::{DrillStatus, Visibility};
use crate::domain::records::RecordKind;
use crate::drill::chain::event_time;
use crate::entities::{drill, drill_evidence, drill_inject, drill_record, drill_system};

/// A reference to check inside the writing transaction. `field` names the input.
#[derive(Debug, Clone)]
pub enum Check {
    /// An inject of this drill that has been released and that `visibility` may see.
    ReleasedInject {
        field: String,
        id: Uuid,
        visibility: Visibility,
    },
    /// A target system of this drill.
    System { field: String, id: Uuid },
    /// A record of this drill of `kind`; of `team_id` when given; with each
    /// `(body field, value)` of `matching`.
    Record {
        field: String,
        id: Uuid,
        kind: RecordKind,
        team_id: Option<Uuid>,
        matching: Vec<(&'static str, Value)>,
    },
    /// An evidence file of this drill that `visibility` may see.
    Evidence {
        field: String,
        id: Uuid,
        visibility: Visibility,
    },
}

/// In which drill states a record is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Running or paused: what the teams submit during the drill.
    Live,
    /// Once started, also after the end: judging continues after the drill.
    Started,
}

/// A record to write.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub kind: RecordKind,
    /// The team the record belongs to (blue or red); `None` for verdicts.
    pub team_id: Option<Uuid>,
    pub author_id: Uuid,
    pub submission_id: Option<Uuid>,
    /// `team:…`, `red` or `controllers`: who sees the event and the record.
    pub audience: String,
    /// The kind's own fields, already validated.
    pub fields: Map<String, Value>,
    /// Times that default to the server's receipt time when the client gave none:
    /// `(field, claimed)`; the claimed time, if any, is also kept as `FIELD_claimed`.
    pub default_to_received: Vec<(&'static str, Option<DateTime<Utc>>)>,
    pub checks: Vec<Check>,
    pub window: Window,
}

/// A written (or earlier) record.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The record as the API returns it, with its `seq`.
    pub body: Value,
    /// False when the submission id had been used: the first record, nothing written.
    pub created: bool,
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("validation failed")]
    Invalid(FieldErrors),
    /// The inject named by `field` has not been released (409).
    #[error("inject {key} has not been released")]
    NotReleased { field: String, key: String },
    /// The drill's state does not accept this record (409).
    #[error("{0}")]
    Closed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for RecordError {
    fn from(e: sea_orm::DbErr) -> Self {
        RecordError::Store(e.into())
    }
}

fn with_seq(m: &drill_record::Model) -> Value {
    let mut body = m.body.clone();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("seq".into(), Value::from(m.seq));
    }
    body
}

/// Writes a record and its event, or returns the first record of a repeated
/// submission. Retried when another writer moved the log's head first.
pub async fn submit(
    db: &DatabaseConnection,
    drill_id: Uuid,
    new: &NewRecord,
    now: DateTime<Utc>,
) -> Result<Stored, RecordError> {
    let mut tries = 0;
    loop {
        match submit_once(db, drill_id, new, now).await {
            Err(RecordError::Store(e)) if drill_log::is_contended(&e) && tries < 4 => tries += 1,
            other => return other,
        }
    }
}

async fn lock_drill(txn: &DatabaseTransaction, id: Uuid) -> Result<drill::Model, StoreError> {
    drill::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound)
}

fn check_window(status: DrillStatus, window: Window) -> Result<(), RecordError> {
    let ok = match window {
        Window::Live => status.is_live(),
        Window::Started => status != DrillStatus::Planned,
    };
    if ok {
        Ok(())
    } else {
        Err(RecordError::Closed(match window {
            Window::Live => format!(
                "the drill is {}: submissions are accepted only while it is running or paused",
                status.code()
            ),
            Window::Started => "the drill has not started: there is nothing to judge yet".into(),
        }))
    }
}

async fn submit_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    new: &NewRecord,
    now: DateTime<Utc>,
) -> Result<Stored, RecordError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    if let Some(sid) = new.submission_id
        && let Some(first) = drill_record::Entity::find()
            .filter(drill_record::Column::DrillId.eq(drill_id))
            .filter(drill_record::Column::AuthorId.eq(new.author_id))
            .filter(drill_record::Column::SubmissionId.eq(sid))
            .one(&txn)
            .await?
    {
        if first.kind != new.kind.code() {
            return Err(RecordError::Invalid(FieldErrors::single(
                "submission_id",
                "duplicate",
                format!("already used for a {}", first.kind.replace('_', " ")),
            )));
        }
        return Ok(Stored {
            body: with_seq(&first),
            created: false,
        });
    }
    let status = DrillStatus::parse(&row.status).ok_or_else(|| {
        StoreError::Db(sea_orm::DbErr::Type(format!("drill status {}", row.status)))
    })?;
    check_window(status, new.window)?;
    run_checks(&txn, drill_id, &new.checks).await?;

    let id = Uuid::now_v7();
    let mut body = Map::new();
    body.insert("id".into(), json!(id));
    body.insert("drill_id".into(), json!(drill_id));
    body.insert("team_id".into(), json!(new.team_id));
    body.insert("author_id".into(), json!(new.author_id));
    body.insert("submission_id".into(), json!(new.submission_id));
    body.insert(
        "received_at".into(),
        json!(crate::time::rfc3339_micros(now)),
    );
    for (k, v) in &new.fields {
        body.insert(k.clone(), v.clone());
    }
    for (field, claimed) in &new.default_to_received {
        body.insert(
            (*field).to_owned(),
            json!(crate::time::rfc3339_micros(claimed.map_or(now, event_time))),
        );
        body.insert(
            format!("{field}_claimed"),
            json!(claimed.map(|t| crate::time::rfc3339_micros(event_time(t)))),
        );
    }
    let body = Value::Object(body);
    let event = drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: new.kind.event_kind(),
            actor_id: Some(new.author_id),
            audience: new.audience.clone(),
            data: body.clone(),
        },
        now,
    )
    .await?;
    let model = drill_record::ActiveModel {
        id: Set(id),
        drill_id: Set(drill_id),
        kind: Set(new.kind.code().to_owned()),
        team_id: Set(new.team_id),
        author_id: Set(Some(new.author_id)),
        submission_id: Set(new.submission_id),
        audience: Set(new.audience.clone()),
        received_at: Set(now),
        seq: Set(event.content.seq),
        body: Set(body),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        StoreError::unique_as(e, "submission_id", "this submission was already recorded")
    })?;
    txn.commit().await?;
    Ok(Stored {
        body: with_seq(&model),
        created: true,
    })
}

async fn run_checks(
    txn: &DatabaseTransaction,
    drill_id: Uuid,
    checks: &[Check],
) -> Result<(), RecordError> {
    let mut errors = FieldErrors::new();
    for check in checks {
        match check {
            Check::ReleasedInject {
                field,
                id,
                visibility,
            } => {
                let inject = drill_inject::Entity::find_by_id(*id)
                    .filter(drill_inject::Column::DrillId.eq(drill_id))
                    .one(txn)
                    .await?
                    .filter(|i| visibility.allows(&i.audience));
                match inject {
                    None => errors.add(field, "invalid_reference", "no such inject in this drill"),
                    Some(i) if i.state != InjectState::Released.code() => {
                        return Err(RecordError::NotReleased {
                            field: field.clone(),
                            key: i.key,
                        });
                    }
                    Some(_) => {}
                }
            }
            Check::System { field, id } => {
                let found = drill_system::Entity::find()
                    .filter(drill_system::Column::DrillId.eq(drill_id))
                    .filter(drill_system::Column::SystemId.eq(*id))
                    .one(txn)
                    .await?;
                if found.is_none() {
                    errors.add(
                        field,
                        "invalid_reference",
                        "not a target system of this drill",
                    );
                }
            }
            Check::Record {
                field,
                id,
                kind,
                team_id,
                matching,
            } => {
                let found = drill_record::Entity::find_by_id(*id)
                    .filter(drill_record::Column::DrillId.eq(drill_id))
                    .filter(drill_record::Column::Kind.eq(kind.code()))
                    .one(txn)
                    .await?
                    .filter(|r| team_id.is_none() || r.team_id == *team_id)
                    .filter(|r| matching.iter().all(|(k, v)| &r.body[*k] == v));
                if found.is_none() {
                    let what = kind.code().replace('_', " ");
                    let mut message = match team_id {
                        Some(_) => format!("no such {what} of this team in this drill"),
                        None => format!("no such {what} in this drill"),
                    };
                    for (k, v) in matching {
                        message.push_str(&format!(" with {k} {v}"));
                    }
                    errors.add(field, "invalid_reference", message);
                }
            }
            Check::Evidence {
                field,
                id,
                visibility,
            } => {
                let found = drill_evidence::Entity::find_by_id(*id)
                    .filter(drill_evidence::Column::DrillId.eq(drill_id))
                    .one(txn)
                    .await?
                    .filter(|e| visibility.allows(&e.audience));
                if found.is_none() {
                    errors.add(
                        field,
                        "invalid_reference",
                        "no such evidence file in this drill",
                    );
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RecordError::Invalid(errors))
    }
}

/// One record of a drill, whoever may see it (the caller checks the audience).
pub async fn get(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    id: Uuid,
) -> Result<Option<drill_record::Model>, StoreError> {
    Ok(drill_record::Entity::find_by_id(id)
        .filter(drill_record::Column::DrillId.eq(drill_id))
        .one(db)
        .await?)
}

/// Records of one kind that `visibility` may see, oldest first, a page at a time.
/// Verdicts carry `current`: false once a later verdict on the same target exists.
pub async fn list(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    kind: RecordKind,
    visibility: &Visibility,
    page: Page,
) -> Result<(Vec<Value>, Option<Uuid>), StoreError> {
    let mut q = drill_record::Entity::find()
        .filter(drill_record::Column::DrillId.eq(drill_id))
        .filter(drill_record::Column::Kind.eq(kind.code()));
    if let Visibility::Audiences(list) = visibility {
        q = q.filter(drill_record::Column::Audience.is_in(list.iter().cloned()));
    }
    let latest = if kind == RecordKind::Evaluation {
        Some(latest_verdicts(db, drill_id).await?)
    } else {
        None
    };
    if let Some(after) = page.after {
        q = q.filter(drill_record::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(drill_record::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let (rows, next) = paginate(rows, page.limit, |r| r.id);
    let items = rows
        .iter()
        .map(|r| {
            let mut body = with_seq(r);
            if let (Some(latest), Some(obj)) = (&latest, body.as_object_mut()) {
                let key = obj.get("target_key").and_then(Value::as_str).unwrap_or("");
                obj.insert(
                    "current".into(),
                    Value::from(latest.get(key) == Some(&r.id)),
                );
            }
            body
        })
        .collect();
    Ok((items, next))
}

/// The latest verdict on each target (`target_key` → record id).
async fn latest_verdicts(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<std::collections::HashMap<String, Uuid>, StoreError> {
    let rows = drill_record::Entity::find()
        .filter(drill_record::Column::DrillId.eq(drill_id))
        .filter(drill_record::Column::Kind.eq(RecordKind::Evaluation.code()))
        .order_by_asc(drill_record::Column::Seq)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let key = r.body["target_key"].as_str()?.to_owned();
            Some((key, r.id))
        })
        .collect())
}

/// Records of a drill, for counting in tests and for the scorecard's readers.
pub async fn count(db: &impl ConnectionTrait, drill_id: Uuid) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(drill_record::Entity::find()
        .filter(drill_record::Column::DrillId.eq(drill_id))
        .count(db)
        .await?)
}

// ---------------------------------------------------------------- evidence

/// An evidence file's metadata, as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Evidence {
    pub id: Uuid,
    pub drill_id: Uuid,
    pub sha256: String,
    pub size: i64,
    /// The type sniffed from the bytes (`application/octet-stream` when unknown).
    pub content_type: String,
    pub filename: String,
    pub team_id: Option<Uuid>,
    pub uploader_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
}

impl From<drill_evidence::Model> for Evidence {
    fn from(m: drill_evidence::Model) -> Self {
        Evidence {
            id: m.id,
            drill_id: m.drill_id,
            sha256: m.sha256,
            size: m.size,
            content_type: m.content_type,
            filename: m.filename,
            team_id: m.team_id,
            uploader_id: m.uploader_id,
            received_at: m.received_at,
        }
    }
}

/// A file already stored under its hash, to record.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub uploader_id: Uuid,
    pub team_id: Option<Uuid>,
    pub audience: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
}

/// Records an evidence file (`evidence_uploaded`, to the uploader's audience) while
/// the drill is running or paused. The file itself is already on disk, synced.
pub async fn add_evidence(
    db: &DatabaseConnection,
    drill_id: Uuid,
    new: &NewEvidence,
    now: DateTime<Utc>,
) -> Result<Evidence, RecordError> {
    let mut tries = 0;
    loop {
        match add_evidence_once(db, drill_id, new, now).await {
            Err(RecordError::Store(e)) if drill_log::is_contended(&e) && tries < 4 => tries += 1,
            other => return other,
        }
    }
}

async fn add_evidence_once(
    db: &DatabaseConnection,
    drill_id: Uuid,
    new: &NewEvidence,
    now: DateTime<Utc>,
) -> Result<Evidence, RecordError> {
    let now = event_time(now);
    let (_gate, txn) = begin_write(db).await?;
    let row = lock_drill(&txn, drill_id).await?;
    let status = DrillStatus::parse(&row.status).ok_or_else(|| {
        StoreError::Db(sea_orm::DbErr::Type(format!("drill status {}", row.status)))
    })?;
    check_window(status, Window::Live)?;
    let id = Uuid::now_v7();
    drill_log::append(
        &txn,
        drill_id,
        NewEvent {
            kind: "evidence_uploaded",
            actor_id: Some(new.uploader_id),
            audience: new.audience.clone(),
            data: json!({
                "id": id,
                "team_id": new.team_id,
                "uploader_id": new.uploader_id,
                "sha256": new.sha256,
                "size": new.size,
                "content_type": new.content_type,
                "filename": new.filename,
                "received_at": crate::time::rfc3339_micros(now),
            }),
        },
        now,
    )
    .await?;
    let model = drill_evidence::ActiveModel {
        id: Set(id),
        drill_id: Set(drill_id),
        uploader_id: Set(Some(new.uploader_id)),
        team_id: Set(new.team_id),
        audience: Set(new.audience.clone()),
        sha256: Set(new.sha256.clone()),
        size: Set(new.size),
        content_type: Set(new.content_type.clone()),
        filename: Set(new.filename.clone()),
        received_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

/// An evidence file of a drill with its audience, for the download check.
pub async fn evidence(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    id: Uuid,
) -> Result<Option<drill_evidence::Model>, StoreError> {
    Ok(drill_evidence::Entity::find_by_id(id)
        .filter(drill_evidence::Column::DrillId.eq(drill_id))
        .one(db)
        .await?)
}

/// The expectations of an inject of this drill (`None`: no such inject).
pub async fn inject_expectations(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    inject_id: Uuid,
) -> Result<Option<Vec<Value>>, StoreError> {
    Ok(drill_inject::Entity::find_by_id(inject_id)
        .filter(drill_inject::Column::DrillId.eq(drill_id))
        .one(db)
        .await?
        .map(|i| i.expectations.as_array().cloned().unwrap_or_default()))
}

/// Every event of a drill in `seq` order (the scorecard's input).
pub async fn all_events(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Vec<drill_log::Event>, StoreError> {
    let mut out = Vec::new();
    let mut since = 0;
    loop {
        let page = drill_log::events_after(db, drill_id, since, None, 1000).await?;
        let n = page.len();
        since = page.last().map_or(since, |e| e.seq);
        out.extend(page);
        if n < 1000 {
            return Ok(out);
        }
    }
}
