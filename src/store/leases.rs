//! Drill leases: one server process at a time runs a drill's scheduler.
//!
//! A lease is a row (`drill_id`, `holder`, `expires_at`). [`acquire`] takes or renews
//! it in one statement: it succeeds when the row is absent, already ours, or expired;
//! otherwise another process holds it. Two processes racing for an expired lease
//! cannot both win: PostgreSQL re-checks the `WHERE` of the second `UPDATE` after the
//! first commits, SQLite runs writers one after the other, and the insert of an absent
//! row is `ON CONFLICT DO NOTHING` (the loser of that insert looks at the row once
//! more: the winner's lease may already be expired at the loser's `now`). Times are
//! the caller's `now`, so tests drive them.
//!
//! The lease only decides who *tries*: exactly-once still comes from the release
//! transaction (`drills::release`), so a process that wrongly believes it holds a lease
//! (a long pause, clock skew) can at worst release an inject at the same moment as
//! the new holder, and one of the two finds it no longer pending.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::StoreError;
use crate::drill::chain::event_time;
use crate::entities::drill_lease;

/// Takes or renews the lease of `drill_id` for `holder` until `now + ttl`. `true`
/// when `holder` holds it now.
pub async fn acquire(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool, StoreError> {
    let now = event_time(now);
    let until = now + ttl;
    if take_over(db, drill_id, holder, now, until).await? {
        return Ok(true);
    }
    let inserted = drill_lease::Entity::insert(drill_lease::ActiveModel {
        drill_id: Set(drill_id),
        holder: Set(holder.to_owned()),
        expires_at: Set(until),
    })
    .on_conflict(
        OnConflict::column(drill_lease::Column::DrillId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(1) => Ok(true),
        // Another process inserted the row between our update and our insert. Its
        // lease may already be expired at our `now` (a holder that ticked late, or a
        // caller ahead of it, as in tests), so look at it once more rather than give
        // up on a lease nobody holds.
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {
            take_over(db, drill_id, holder, now, until).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Renews the lease if `holder` has it, or takes it if it has expired at `now`.
async fn take_over(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let updated = drill_lease::Entity::update_many()
        .col_expr(drill_lease::Column::Holder, Expr::value(holder))
        .col_expr(drill_lease::Column::ExpiresAt, Expr::value(until))
        .filter(drill_lease::Column::DrillId.eq(drill_id))
        .filter(
            Condition::any()
                .add(drill_lease::Column::Holder.eq(holder))
                .add(drill_lease::Column::ExpiresAt.lt(now)),
        )
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Gives up every lease of `holder` (on shutdown), so that another process takes the
/// drills over at once instead of after the lease expires.
pub async fn release_all(db: &impl ConnectionTrait, holder: &str) -> Result<u64, StoreError> {
    Ok(drill_lease::Entity::delete_many()
        .filter(drill_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?
        .rows_affected)
}

/// Drops every lease. For a single-process database (SQLite) at boot: any lease
/// there belongs to a previous run of this server, which must not make the new one
/// wait for it to expire.
pub async fn clear(db: &impl ConnectionTrait) -> Result<u64, StoreError> {
    Ok(drill_lease::Entity::delete_many()
        .exec(db)
        .await?
        .rows_affected)
}

/// The current holder of a drill's lease and its expiry (for tests and diagnostics).
pub async fn holder(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    Ok(drill_lease::Entity::find_by_id(drill_id)
        .one(db)
        .await?
        .map(|l| (l.holder, l.expires_at)))
}
