//! PostgreSQL LISTEN/NOTIFY: events committed by any server process reach the live
//! sockets of every process.
//!
//! `drill_log::append` runs `pg_notify('cyberdrill_events', '<drill_id>:<seq>')` inside
//! the writer's transaction, so the notification is delivered when (and only if) the
//! event commits. Each process runs one [`run`] task that listens on that channel and
//! calls [`LiveHub::notify`] for the drill; the drill's publisher then reads the rows
//! after the last `seq` it published, so order and exactly-once delivery are the
//! log's, not the notification's. Notifications sent while the listener was
//! disconnected are lost, so after every (re)connection every drill with sockets
//! catches up from the log ([`LiveHub::notify_all`]). The publishers' one-second poll
//! stays as a safety net. SQLite runs in one process and needs none of this.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::drill::hub::LiveHub;

/// The notification channel.
pub const CHANNEL: &str = "cyberdrill_events";
/// `application_name` of the listening connection (visible in `pg_stat_activity`).
pub const APPLICATION_NAME: &str = "cyberdrill-listener";
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The payload of one notification: `<drill_id>:<seq>`.
pub fn payload(drill_id: Uuid, seq: i64) -> String {
    format!("{drill_id}:{seq}")
}

/// The drill and `seq` of a payload, or `None` for anything else.
pub fn parse(payload: &str) -> Option<(Uuid, i64)> {
    let (drill, seq) = payload.split_once(':')?;
    Some((drill.parse().ok()?, seq.parse().ok()?))
}

async fn connect(url: &str) -> Result<PgListener, sea_orm::sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.application_name(APPLICATION_NAME))
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Listens until `shutdown`, reconnecting with a growing delay after errors.
pub async fn run(url: String, hub: Arc<LiveHub>, shutdown: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    'connect: loop {
        let mut listener = tokio::select! {
            r = connect(&url) => match r {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for drill events; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.cancelled() => break 'connect,
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue 'connect;
                }
            },
            _ = shutdown.cancelled() => break 'connect,
        };
        backoff = Duration::from_millis(100);
        tracing::debug!(channel = CHANNEL, "listening for drill events");
        // Whatever was notified before this connection existed: read it from the log.
        hub.notify_all();
        loop {
            tokio::select! {
                r = listener.try_recv() => match r {
                    Ok(Some(n)) => match parse(n.payload()) {
                        Some((drill, _seq)) => hub.notify(drill),
                        None => tracing::debug!(payload = n.payload(), "ignoring a notification"),
                    },
                    // The connection was lost and is back (PgListener reconnects and
                    // listens again before returning): catch up from the log.
                    Ok(None) => {
                        tracing::warn!("drill event listener reconnected; catching up from the log");
                        hub.notify_all();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "drill event listener failed; reconnecting");
                        tokio::select! {
                            _ = tokio::time::sleep(MAX_BACKOFF / 5) => {}
                            _ = shutdown.cancelled() => break 'connect,
                        }
                        continue 'connect;
                    }
                },
                _ = shutdown.cancelled() => break 'connect,
            }
        }
    }
    tracing::debug!("drill event listener stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_junk_is_ignored() {
        let id = Uuid::now_v7();
        assert_eq!(parse(&payload(id, 42)), Some((id, 42)));
        assert_eq!(parse("nonsense"), None);
        assert_eq!(parse(&format!("{id}:x")), None);
    }
}
