//! The drill event log in the database: append inside a transaction, read back, and
//! verify the hash chain (`crate::drill::chain` holds the pure rule).
//!
//! Append-only: this module inserts events and never updates or deletes them. The
//! drill row carries the head of the chain (`head_seq`, `head_hash`); an append
//! moves it with a conditional update (`WHERE head_seq = old`), so that two writers
//! that somehow read the same head cannot both succeed — one of them fails with
//! [`contended`] and its whole transaction is retried (see [`retrying`]). In practice
//! every writer first locks the drill row (`SELECT … FOR UPDATE` on PostgreSQL, an
//! `IMMEDIATE` transaction on SQLite), so the guard only turns an impossible race into
//! an error instead of a forked chain.

use std::future::Future;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, Statement,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::StoreError;
use crate::drill::chain::{
    ChainedEvent, EventContent, GENESIS_HASH, canonical_json, event_time, next_link, verify,
};
use crate::drill::listener;
use crate::entities::{drill, drill_event};

/// What a caller appends; `seq`, time and hashes are the log's business.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: &'static str,
    pub actor_id: Option<Uuid>,
    /// `all`, `blue`, `red`, `controllers` or `team:…`.
    pub audience: String,
    pub data: Value,
}

const CONTENDED: &str = "drill log head moved during the transaction";

/// The error of an append that lost a race for the head of the log.
fn contended() -> StoreError {
    StoreError::Db(DbErr::Custom(CONTENDED.into()))
}

/// True for errors that mean "another writer appended first; retry".
pub fn is_contended(e: &StoreError) -> bool {
    match e {
        StoreError::Db(DbErr::Custom(m)) => m == CONTENDED,
        StoreError::Db(db) => {
            matches!(db.sql_err(), Some(SqlErr::UniqueConstraintViolation(m)) if m.contains("drill_events"))
        }
        _ => false,
    }
}

/// Runs a whole transaction again (up to 5 times) when it lost a race for the head.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if is_contended(&e) && tries < 4 => {
                tries += 1;
                tracing::debug!(tries, "drill log contended; retrying the transaction");
            }
            other => return other,
        }
    }
}

/// Appends one event to the drill's log inside the caller's transaction.
pub async fn append(
    txn: &impl ConnectionTrait,
    drill_id: Uuid,
    event: NewEvent,
    now: DateTime<Utc>,
) -> Result<ChainedEvent, StoreError> {
    let head = drill::Entity::find_by_id(drill_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let link = next_link(
        &head.head_hash,
        EventContent {
            seq: head.head_seq + 1,
            at: event_time(now),
            kind: event.kind.to_owned(),
            actor_id: event.actor_id,
            audience: event.audience,
            data: event.data,
        },
    );
    drill_event::Entity::insert(drill_event::ActiveModel {
        drill_id: Set(drill_id),
        seq: Set(link.content.seq),
        at: Set(link.content.at),
        kind: Set(link.content.kind.clone()),
        actor_id: Set(link.content.actor_id),
        audience: Set(link.content.audience.clone()),
        data: Set(canonical_json(&link.content.data)),
        prev_hash: Set(link.prev_hash.clone()),
        hash: Set(link.hash.clone()),
    })
    .exec_without_returning(txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => contended(),
        _ => StoreError::Db(e),
    })?;
    let moved = drill::Entity::update_many()
        .col_expr(drill::Column::HeadSeq, Expr::value(link.content.seq))
        .col_expr(drill::Column::HeadHash, Expr::value(link.hash.clone()))
        .filter(drill::Column::Id.eq(drill_id))
        .filter(drill::Column::HeadSeq.eq(head.head_seq))
        .exec(txn)
        .await?;
    if moved.rows_affected != 1 {
        return Err(contended());
    }
    // Other server processes learn of the event when (and only if) it commits.
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [
                listener::CHANNEL.into(),
                listener::payload(drill_id, link.content.seq).into(),
            ],
        ))
        .await?;
    }
    Ok(link)
}

/// A stored event as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub audience: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

impl From<ChainedEvent> for Event {
    fn from(e: ChainedEvent) -> Self {
        Event {
            seq: e.content.seq,
            at: e.content.at,
            kind: e.content.kind,
            actor_id: e.content.actor_id,
            audience: e.content.audience,
            data: e.content.data,
        }
    }
}

fn chained(m: drill_event::Model) -> ChainedEvent {
    // Text that is no longer JSON (edited by hand) is kept as a string, so that the
    // verifier reports the event as altered instead of failing to read it.
    let data = serde_json::from_str(&m.data).unwrap_or(Value::String(m.data));
    ChainedEvent {
        content: EventContent {
            seq: m.seq,
            at: m.at,
            kind: m.kind,
            actor_id: m.actor_id,
            audience: m.audience,
            data,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// Events with `seq > since`, in order, at most `limit`; `audiences` (when given)
/// keeps only events addressed to one of them.
pub async fn events_after(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    since: i64,
    audiences: Option<&[String]>,
    limit: u64,
) -> Result<Vec<Event>, StoreError> {
    let mut q = drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Seq.gt(since));
    if let Some(list) = audiences {
        q = q.filter(drill_event::Column::Audience.is_in(list.iter().cloned()));
    }
    Ok(q.order_by_asc(drill_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| Event::from(chained(m)))
        .collect())
}

/// The result of recomputing a drill's chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Verification {
    pub ok: bool,
    /// Events that verified (all of them when `ok`).
    pub events: i64,
    /// Hash of the last verified event (the head of the log when `ok`).
    pub head: String,
    /// The first event that was altered, removed or reordered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_bad_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Recomputes the chain of a drill and compares its end with the head recorded on
/// the drill row, so that removing the last events is noticed too.
pub async fn verify_drill(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Verification, StoreError> {
    let head = drill::Entity::find_by_id(drill_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let rows = drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .order_by_asc(drill_event::Column::Seq)
        .all(db)
        .await?;
    let events: Vec<ChainedEvent> = rows.into_iter().map(chained).collect();
    Ok(match verify(&events) {
        Ok(v) if v.events == head.head_seq && v.head == head.head_hash => Verification {
            ok: true,
            events: v.events,
            head: v.head,
            first_bad_seq: None,
            problem: None,
        },
        Ok(v) => Verification {
            ok: false,
            first_bad_seq: Some(v.events + 1),
            problem: Some(if v.events < head.head_seq {
                format!(
                    "event {} is missing: the log ends at {} but the drill recorded {} events",
                    v.events + 1,
                    v.events,
                    head.head_seq
                )
            } else {
                format!(
                    "the log does not end at the head the drill recorded (event {}, hash {})",
                    head.head_seq, head.head_hash
                )
            }),
            events: v.events,
            head: v.head,
        },
        Err(fault) => {
            let bad = fault.seq();
            let good = events.iter().take_while(|e| e.content.seq < bad).count() as i64;
            let head_hash = events[..good as usize]
                .last()
                .map_or(GENESIS_HASH.to_owned(), |e| e.hash.clone());
            Verification {
                ok: false,
                events: good,
                head: head_hash,
                first_bad_seq: Some(bad),
                problem: Some(fault.to_string()),
            }
        }
    })
}
