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
//!
//! Several processes on one PostgreSQL database: each tick takes or renews the
//! drill's lease (`crate::store::leases`, [`LEASE_TTL`]) before releasing anything, so
//! one process at a time runs a drill. The holder renews it on every tick (at most a
//! second apart); when it dies, another process takes over once the lease has expired,
//! within `LEASE_TTL` + one tick. On shutdown the loop gives its leases up at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::drill::hub::LiveHub;
use crate::store::drills::{self, ReleaseBy, Released};
use crate::store::{StoreError, leases};

/// The longest the loop sleeps between ticks.
const MAX_SLEEP: Duration = Duration::from_secs(1);
/// How long a drill's lease lasts without renewal: a dead holder is replaced after
/// this plus one tick (< 10 s).
pub const LEASE_TTL: chrono::Duration = chrono::Duration::seconds(6);

/// What one tick did.
#[derive(Debug, Clone, Default)]
pub struct TickReport {
    pub released: Vec<Released>,
    /// The earliest due time still ahead among running drills, if any.
    pub next_due: Option<DateTime<Utc>>,
    /// Releases that failed and are retried on the next tick.
    pub failed: usize,
    /// Running drills whose lease another process holds: left to it.
    pub not_held: Vec<uuid::Uuid>,
}

#[derive(Clone)]
pub struct Scheduler {
    db: DatabaseConnection,
    wake: Arc<Notify>,
    hub: Option<Arc<LiveHub>>,
    /// Who this scheduler is in the lease table: `hostname:pid:uuid`.
    holder: Arc<str>,
}

/// A holder id for this process: `hostname:pid:uuid`, unique per scheduler.
pub fn new_holder_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}

impl Scheduler {
    pub fn new(db: DatabaseConnection, wake: Arc<Notify>) -> Self {
        Scheduler {
            db,
            wake,
            hub: None,
            holder: new_holder_id().into(),
        }
    }

    /// Uses `holder` as this scheduler's id in the lease table.
    pub fn with_holder(mut self, holder: &str) -> Self {
        self.holder = holder.into();
        self
    }

    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Tells the live hub about each release, so sockets get it at once.
    pub fn with_hub(mut self, hub: Arc<LiveHub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// Releases every inject due at `now` in every running drill whose lease this
    /// scheduler holds (taking or renewing it at `now`). Fails only when the running
    /// drills cannot be read; a failed release is counted and retried later.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        for drill in drills::running(&self.db).await? {
            // Nothing scheduled is left: no need to hold the drill.
            if drill.pending.is_empty() {
                continue;
            }
            match leases::acquire(&self.db, drill.id, &self.holder, now, LEASE_TTL).await {
                Ok(true) => {}
                Ok(false) => {
                    report.not_held.push(drill.id);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(drill.id = %drill.id, error = %e, "cannot take the drill lease; will retry");
                    report.failed += 1;
                    continue;
                }
            }
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
        // Hand the drills over at once instead of after the leases expire.
        if let Err(e) = leases::release_all(&self.db, &self.holder).await {
            tracing::debug!(error = %e, "cannot give up the drill leases");
        }
        tracing::debug!("scheduler stopped");
    }
}
