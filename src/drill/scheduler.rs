//! The scheduler: releases every scheduled inject when its due time comes, exactly
//! once, and catches up after downtime.
//!
//! [`Scheduler::tick`] is one idempotent step that tests call with the `now` they
//! choose: it releases what is due at `now` in every running drill and records how
//! late each release is (`late_by_ms`). Exactly-once comes from the store: a release
//! is one transaction that locks the drill, re-checks that the inject is still
//! pending and due, marks it released and appends the event — so two ticks, two
//! processes or a crash halfway can neither lose nor repeat a release.
//!
//! [`Scheduler::run`] is the loop around it: tick, then sleep until the next due time
//! (at most a second, so that changes made by another process are noticed), a poke
//! on the [`Notify`] (start, resume, edits), or shutdown. On boot it ticks at once, so
//! what became due while the server was down is released immediately, late.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::drill::hub::LiveHub;
use crate::store::StoreError;
use crate::store::drills::{self, ReleaseBy, Released};

/// The longest the loop sleeps between ticks.
const MAX_SLEEP: Duration = Duration::from_secs(1);

/// What one tick did.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    pub released: Vec<Released>,
    /// The earliest due time still ahead among running drills, if any.
    pub next_due: Option<DateTime<Utc>>,
    /// Releases that failed and are retried on the next tick.
    pub failed: usize,
}

#[derive(Clone)]
pub struct Scheduler {
    db: DatabaseConnection,
    wake: Arc<Notify>,
    hub: Option<Arc<LiveHub>>,
}

impl Scheduler {
    pub fn new(db: DatabaseConnection, wake: Arc<Notify>) -> Self {
        Scheduler {
            db,
            wake,
            hub: None,
        }
    }

    /// Tells the live hub about each release, so sockets get it at once.
    pub fn with_hub(mut self, hub: Arc<LiveHub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Releases every inject due at `now` in every running drill. Fails only when the
    /// running drills cannot be read; a failed release is counted and retried later.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        for drill in drills::running(&self.db).await? {
            for (inject_id, offset_ms) in &drill.pending {
                match drill.clock.due_at(*offset_ms) {
                    Some(due) if due <= now => {
                        let released = drills::release(
                            &self.db,
                            drill.id,
                            &inject_id.to_string(),
                            ReleaseBy::Scheduler,
                            now,
                        )
                        .await;
                        match released {
                            Ok(Some(r)) => {
                                tracing::info!(
                                    drill.id = %drill.id,
                                    inject = %r.key,
                                    late_by_ms = r.late_by_ms,
                                    "inject released"
                                );
                                if let Some(hub) = &self.hub {
                                    hub.notify(drill.id);
                                }
                                report.released.push(r);
                            }
                            Ok(None) => {}
                            // One inject that cannot be released (a database hiccup)
                            // must not hold back the others; the next tick retries it.
                            Err(e) => {
                                tracing::warn!(drill.id = %drill.id, inject.id = %inject_id, error = %e, "release failed; will retry");
                                report.failed += 1;
                            }
                        }
                    }
                    Some(due) => {
                        report.next_due = Some(report.next_due.map_or(due, |n| n.min(due)));
                    }
                    None => {}
                }
            }
        }
        Ok(report)
    }

    /// Ticks until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            let now = Utc::now();
            let next_due = match self.tick(now).await {
                Ok(report) => report.next_due,
                Err(e) => {
                    tracing::warn!(error = %e, "scheduler tick failed; retrying");
                    None
                }
            };
            let sleep = next_due
                .and_then(|due| (due - Utc::now()).to_std().ok())
                .map_or(MAX_SLEEP, |d| d.min(MAX_SLEEP));
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.cancelled() => break,
            }
        }
        tracing::debug!("scheduler stopped");
    }
}
