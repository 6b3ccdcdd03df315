//! The live scoreboard: while a drill runs, a `score_updated` event (audience
//! `controllers`) carries each blue team's KPIs and drill score after the records that
//! change them. Cheap by design: one pass every couple of seconds over the live drills
//! (a debounce: many records in a burst make one update), and a drill is recomputed only
//! when a scoring event was appended after its last `score_updated`. The check runs in
//! the append's transaction with the drill row locked, so several server processes
//! never write the same update twice.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::entities::{drill, drill_event};
use crate::store::drill_log::{self, NewEvent};
use crate::store::{StoreError, begin_write};

/// Event kinds that change a scorecard.
pub const SCORING_KINDS: [&str; 8] = [
    "detection_recorded",
    "containment_recorded",
    "red_action_recorded",
    "red_finding_recorded",
    "report_submitted",
    "evaluation_recorded",
    "service_check_recorded",
    "inject_released",
];

/// How often the live drills are looked at (and so the longest a burst is merged).
pub const DEBOUNCE: Duration = Duration::from_secs(2);

/// Appends a `score_updated` to every live drill whose scorecard changed since its last
/// one. Returns how many were appended. Idempotent.
pub async fn tick(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let live = drill::Entity::find()
        .filter(drill::Column::Status.is_in(["running", "paused"]))
        .all(db)
        .await?;
    let mut appended = 0;
    for d in live {
        if update_drill(db, d.id, now).await? {
            appended += 1;
        }
    }
    Ok(appended)
}

async fn update_drill(
    db: &DatabaseConnection,
    drill_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // Two small reads first: most ticks find nothing to do.
    if !changed_since_last_update(db, drill_id).await? {
        return Ok(false);
    }
    drill_log::retrying(|| async {
        let (_gate, txn) = begin_write(db).await?;
        crate::store::drills::lock(&txn, drill_id).await?;
        // Again under the lock: another process may have written the update.
        if !changed_since_last_update(&txn, drill_id).await? {
            txn.rollback().await?;
            return Ok(false);
        }
        let events = crate::store::records::all_events(&txn, drill_id).await?;
        let card = crate::scoring::scorecard::compute(&events);
        let end = events.last().map_or(now, |e| e.at);
        let measures = crate::maturity::measure::measures(&card, end);
        let framework = crate::store::maturity::active_framework(&txn).await?;
        let teams: Vec<_> = measures
            .iter()
            .map(|(team_id, m)| {
                let kpis = crate::maturity::score_drill(&framework, m);
                // Null until something scorable has happened: not a score of 0.
                let recorded = kpis.kpis.iter().any(|k| k.value.is_some());
                json!({"team_id": team_id, "score": recorded.then_some(kpis.score), "kpis": kpis.kpis, "not_recorded": kpis.not_recorded})
            })
            .collect();
        drill_log::append(
            &txn,
            drill_id,
            NewEvent {
                kind: "score_updated",
                actor_id: None,
                audience: "controllers".into(),
                data: json!({
                    "computed_at_seq": card.head_seq,
                    "framework": {"id": framework.id, "version": framework.version},
                    "teams": teams,
                }),
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    })
    .await
}

async fn changed_since_last_update(
    db: &impl ConnectionTrait,
    drill_id: Uuid,
) -> Result<bool, StoreError> {
    let last = drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Kind.eq("score_updated"))
        .order_by_desc(drill_event::Column::Seq)
        .one(db)
        .await?
        .map_or(0, |e| e.seq);
    Ok(drill_event::Entity::find()
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Seq.gt(last))
        .filter(drill_event::Column::Kind.is_in(SCORING_KINDS))
        .one(db)
        .await?
        .is_some())
}

/// Runs [`tick`] every [`DEBOUNCE`] until shutdown; wakes the live hub after appends.
pub async fn run(
    db: DatabaseConnection,
    hub: std::sync::Arc<crate::drill::hub::LiveHub>,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(DEBOUNCE) => {}
        }
        match tick(&db, Utc::now()).await {
            Ok(0) => {}
            Ok(_) => hub.notify_all(),
            Err(e) => tracing::warn!(error = %e, "live scoreboard update failed"),
        }
    }
}
