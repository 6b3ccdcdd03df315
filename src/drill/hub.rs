//! The live hub: fans a drill's committed events out to its open WebSockets.
//!
//! Events are durable before they are sent. Writers never hand events to the hub:
//! after a commit they call [`LiveHub::notify`], and a per-drill publisher reads the
//! events with `seq > last_published` back from the database, in `seq` order, and
//! fans them out. So live order is `seq` order, nothing unsaved is ever sent, and
//! another process can wake the same publisher (PostgreSQL LISTEN/NOTIFY,
//! `crate::drill::listener`). The publisher also polls once a second, a safety net for
//! writes made by other processes.
//!
//! Each event is serialised and framed once, into reference-counted bytes shared by
//! every socket. The publisher hands a page of events to fan-out shards, each of which
//! walks its part of the drill's sockets and gives them the events
//! ([`Subscriber::deliver`]: the socket's audience filter, then one non-blocking write;
//! `crate::drill::subscriber` says why no socket task is woken). A socket whose client
//! does not keep up keeps at most [`DEFAULT_LAG_LIMIT`] events waiting and is then told
//! to resync, so a slow reader can neither grow memory nor slow the others.
//!
//! A publisher runs while its drill has subscribers, tracked by the application's
//! `TaskTracker` and stopped by the shutdown token. The hub also counts open sockets
//! per user to enforce [`MAX_SOCKETS_PER_USER`].
//!
//! Live sockets, their publishers and the fan-out shards run on a runtime of their own
//! ([`start_fanout_runtime`]), not on the one that serves HTTP. A fan-out to 10 000
//! sockets is 10 000 writes, some 100 ms of CPU; on a shared runtime it ran ahead of
//! whatever an HTTP request was waiting for (a database answer, its body), so under
//! load every request waited through whole fan-outs at each of its awaits, and a
//! release took longer than the next was due (measured: 1.3 s per release at 6/s to
//! 10 000 sockets). On two runtimes the operating system shares the cores between the
//! two sets of threads, and a controller's request is answered while a fan-out runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::drill::subscriber::{Subscriber, text_frame};
use crate::store::drill_log::{self, Event};

/// Events that may wait for one socket (its client is not reading fast enough, or it
/// is still replaying the log) before it is told to resync (`Config::live_lag_limit`).
pub const DEFAULT_LAG_LIMIT: usize = 1024;
/// Concurrent live sockets of one user, by default (`Config::live_max_sockets_per_user`).
pub const MAX_SOCKETS_PER_USER: usize = 20;
/// Events read from the database per query.
pub const PAGE: u64 = 500;
/// Sockets one fan-out shard task gives an event to; fewer are served by the publisher
/// itself. A drill of 10 000 sockets is spread over several tasks so that every core
/// of the fan-out runtime writes.
const SHARD_SIZE: usize = 1024;
/// Sockets a shard serves before it yields to the runtime's other tasks (a socket's
/// reads, a new connection's replay).
const YIELD_EVERY: usize = 128;
/// How often a publisher looks for events written by another process
/// (`Config::live_poll`).
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// Starts (once per process) the runtime the live sockets run on (see the module
/// documentation) and returns its handle: one worker thread per core, shared by every
/// application in the process (tests build many), alive until the process ends.
/// Sockets accepted by the HTTP runtime move here after the upgrade; their I/O stays
/// registered with the HTTP runtime's driver, which wakes them here.
pub fn start_fanout_runtime() -> std::io::Result<tokio::runtime::Handle> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    // Built under a lock rather than raced: a runtime that lost a race would be
    // dropped here, and dropping a runtime inside an async context panics.
    static STARTING: Mutex<()> = Mutex::new(());
    let _starting = lock(&STARTING);
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime.handle().clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(2, usize::from))
        .thread_name("live-fanout")
        .enable_all()
        .build()?;
    Ok(RUNTIME.get_or_init(|| runtime).handle().clone())
}

/// One committed event, ready to send.
#[derive(Debug)]
pub struct LiveEvent {
    pub seq: i64,
    pub audience: String,
    /// The whole `{"v":1,"type":"event",…}` WebSocket text frame, header included,
    /// serialised and framed once; every socket writes these same bytes.
    pub frame: Bytes,
}

#[derive(Serialize)]
struct EventFrame<'a> {
    v: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    event: &'a Event,
}

/// The `event` frame of one stored event.
pub fn event_frame(event: &Event) -> Result<String, serde_json::Error> {
    serde_json::to_string(&EventFrame {
        v: 1,
        kind: "event",
        event,
    })
}

type Channels = Arc<Mutex<HashMap<Uuid, Channel>>>;

struct Channel {
    members: Arc<Members>,
    wake: Arc<Notify>,
}

/// The sockets of one drill on this process.
#[derive(Default)]
struct Members {
    sockets: Mutex<HashMap<u64, Arc<Subscriber>>>,
    next_id: std::sync::atomic::AtomicU64,
}

impl Members {
    fn is_empty(&self) -> bool {
        lock(&self.sockets).is_empty()
    }

    /// The sockets now, for one fan-out. Taken afresh each time: a socket that has
    /// ended must not be kept open by a list held between events.
    fn snapshot(&self) -> Arc<[Arc<Subscriber>]> {
        lock(&self.sockets).values().cloned().collect()
    }
}

/// A socket's place in its drill's fan-out; leaving it when dropped.
pub struct Membership {
    id: u64,
    members: Arc<Members>,
}

impl Drop for Membership {
    fn drop(&mut self) {
        lock(&self.members.sockets).remove(&self.id);
    }
}

pub struct LiveHub {
    db: DatabaseConnection,
    fanout: tokio::runtime::Handle,
    tracker: TaskTracker,
    shutdown: CancellationToken,
    lag_limit: usize,
    poll: Duration,
    max_sockets_per_user: usize,
    channels: Channels,
    sockets: Arc<Mutex<HashMap<Uuid, usize>>>,
    presence: Presence,
}

/// Open sockets per drill and user, with the team the user joined as (`None` for
/// staff and for responders outside the drill's teams).
type Presence = Arc<Mutex<HashMap<Uuid, HashMap<Uuid, Online>>>>;

/// One user's open sockets to one drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Online {
    pub user_id: Uuid,
    pub team_id: Option<Uuid>,
    pub sockets: usize,
}

/// Poisoning only means another thread panicked while holding the lock; the maps
/// stay consistent (every update is a single insert or remove), so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LiveHub {
    /// `fanout` runs the live sockets and their publishers ([`start_fanout_runtime`]).
    pub fn new(
        db: DatabaseConnection,
        fanout: tokio::runtime::Handle,
        tracker: TaskTracker,
        shutdown: CancellationToken,
        lag_limit: usize,
    ) -> Self {
        LiveHub {
            db,
            fanout,
            tracker,
            shutdown,
            lag_limit: lag_limit.max(1),
            poll: DEFAULT_POLL,
            max_sockets_per_user: MAX_SOCKETS_PER_USER,
            channels: Arc::new(Mutex::new(HashMap::new())),
            sockets: Arc::new(Mutex::new(HashMap::new())),
            presence: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Polls the log every `poll` instead of [`DEFAULT_POLL`].
    pub fn with_poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Allows `max` concurrent sockets per user instead of [`MAX_SOCKETS_PER_USER`]
    /// (`Config::live_max_sockets_per_user`; raised for load tests).
    pub fn with_max_sockets_per_user(mut self, max: usize) -> Self {
        self.max_sockets_per_user = max.max(1);
        self
    }

    /// The runtime live sockets run on.
    pub fn fanout(&self) -> &tokio::runtime::Handle {
        &self.fanout
    }

    /// The tracker that shutdown waits for; live sockets run under it.
    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Events of `drill_id` were committed: wake its publisher, if any. Cheap and
    /// non-blocking; several notifications before the publisher runs coalesce.
    pub fn notify(&self, drill_id: Uuid) {
        if let Some(c) = lock(&self.channels).get(&drill_id) {
            c.wake.notify_one();
        }
    }

    /// Wakes every publisher: each reads its drill's log after the last event it
    /// published (after the cluster listener reconnected and may have missed some).
    pub fn notify_all(&self) {
        for c in lock(&self.channels).values() {
            c.wake.notify_one();
        }
    }

    /// Adds a socket to a drill's fan-out. `head_seq` is a head the caller read
    /// before subscribing: a new publisher publishes every event after it, so an event
    /// committed between that read and the subscription is not missed (the subscriber
    /// skips what its replay already sent).
    pub fn subscribe(&self, drill_id: Uuid, head_seq: i64, socket: Arc<Subscriber>) -> Membership {
        let mut channels = lock(&self.channels);
        let members = match channels.get(&drill_id) {
            Some(c) => c.members.clone(),
            None => {
                let members = Arc::new(Members::default());
                let wake = Arc::new(Notify::new());
                channels.insert(
                    drill_id,
                    Channel {
                        members: members.clone(),
                        wake: wake.clone(),
                    },
                );
                let publisher = Publisher {
                    drill_id,
                    last: head_seq,
                    members: members.clone(),
                    wake,
                    poll: self.poll,
                    fanout: self.fanout.clone(),
                };
                self.fanout.spawn(self.tracker.track_future(publisher.run(
                    self.db.clone(),
                    self.shutdown.clone(),
                    self.channels.clone(),
                )));
                members
            }
        };
        let id = members
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&members.sockets).insert(id, socket);
        Membership { id, members }
    }

    /// Events that may wait for one socket before it is told to resync.
    pub fn lag_limit(&self) -> usize {
        self.lag_limit
    }

    /// Counts one more socket for `user_id`, or `None` when they have the maximum
    /// ([`MAX_SOCKETS_PER_USER`] by default) open already. The count drops with the guard.
    pub fn acquire_socket(&self, user_id: Uuid) -> Option<SocketGuard> {
        let mut sockets = lock(&self.sockets);
        let n = sockets.entry(user_id).or_insert(0);
        if *n >= self.max_sockets_per_user {
            return None;
        }
        *n += 1;
        Some(SocketGuard {
            user_id,
            sockets: self.sockets.clone(),
        })
    }

    /// Counts an open socket of `user_id` (of `team_id`, if any) to `drill_id` until the
    /// guard drops: the controllers' "who is online". Only this process's sockets
    /// are counted; with several servers each answers for its own.
    pub fn enter(&self, drill_id: Uuid, user_id: Uuid, team_id: Option<Uuid>) -> PresenceGuard {
        let mut presence = lock(&self.presence);
        presence
            .entry(drill_id)
            .or_default()
            .entry(user_id)
            .or_insert(Online {
                user_id,
                team_id,
                sockets: 0,
            })
            .sockets += 1;
        PresenceGuard {
            drill_id,
            user_id,
            presence: self.presence.clone(),
        }
    }

    /// Who has a live socket open to `drill_id` now, by user.
    pub fn online(&self, drill_id: Uuid) -> Vec<Online> {
        let mut online: Vec<Online> = lock(&self.presence)
            .get(&drill_id)
            .map(|users| users.values().copied().collect())
            .unwrap_or_default();
        online.sort_by_key(|o| (o.team_id, o.user_id));
        online
    }

    /// Drills with a running publisher (for tests and diagnostics).
    pub fn active_drills(&self) -> usize {
        lock(&self.channels).len()
    }
}

/// Decrements the user's socket count when the socket ends.
pub struct SocketGuard {
    user_id: Uuid,
    sockets: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl Drop for SocketGuard {
    fn drop(&mut self) {
        let mut sockets = lock(&self.sockets);
        if let Some(n) = sockets.get_mut(&self.user_id) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                sockets.remove(&self.user_id);
            }
        }
    }
}

/// Removes one socket from the drill's presence when the socket ends.
pub struct PresenceGuard {
    drill_id: Uuid,
    user_id: Uuid,
    presence: Presence,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let mut presence = lock(&self.presence);
        let Some(users) = presence.get_mut(&self.drill_id) else {
            return;
        };
        if let Some(online) = users.get_mut(&self.user_id) {
            online.sockets = online.sockets.saturating_sub(1);
            if online.sockets == 0 {
                users.remove(&self.user_id);
            }
        }
        if users.is_empty() {
            presence.remove(&self.drill_id);
        }
    }
}

struct Publisher {
    drill_id: Uuid,
    last: i64,
    members: Arc<Members>,
    wake: Arc<Notify>,
    poll: Duration,
    fanout: tokio::runtime::Handle,
}

impl Publisher {
    async fn run(
        mut self,
        db: DatabaseConnection,
        shutdown: CancellationToken,
        channels: Channels,
    ) {
        loop {
            if let Err(e) = self.publish(&db).await {
                // The next wake-up or poll retries from the same `last`.
                tracing::warn!(drill.id = %self.drill_id, error = %e, "live publisher could not read the log");
            }
            // Stop when the last socket has gone. Subscribing happens under the same
            // lock, so no subscriber can slip in between the check and the removal.
            {
                let mut map = lock(&channels);
                if self.members.is_empty() {
                    map.remove(&self.drill_id);
                    break;
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.poll) => {}
                _ = shutdown.cancelled() => {
                    lock(&channels).remove(&self.drill_id);
                    break;
                }
            }
        }
        tracing::debug!(drill.id = %self.drill_id, "live publisher stopped");
    }

    /// Publishes every committed event after `last`, in order, a page at a time.
    async fn publish(&mut self, db: &DatabaseConnection) -> Result<(), crate::store::StoreError> {
        loop {
            let page = drill_log::events_after(db, self.drill_id, self.last, None, PAGE).await?;
            let n = page.len() as u64;
            let mut events = Vec::with_capacity(page.len());
            for event in page {
                let frame = event_frame(&event).map_err(|e| {
                    crate::store::StoreError::Db(sea_orm::DbErr::Custom(e.to_string()))
                })?;
                events.push(Arc::new(LiveEvent {
                    seq: event.seq,
                    audience: event.audience,
                    frame: text_frame(frame),
                }));
            }
            if let Some(last) = events.last() {
                self.last = last.seq;
                self.fan_out(events.into()).await;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// Gives `events` to every socket of the drill, and returns when all have them (or
    /// have them queued): the next page goes out only after this one, so each socket
    /// gets events in `seq` order.
    async fn fan_out(&self, events: Arc<[Arc<LiveEvent>]>) {
        let sockets = self.members.snapshot();
        if sockets.len() <= SHARD_SIZE {
            deliver(&sockets, &events).await;
            return;
        }
        let mut shards = JoinSet::new();
        for start in (0..sockets.len()).step_by(SHARD_SIZE) {
            let (sockets, events) = (sockets.clone(), events.clone());
            shards.spawn_on(
                async move {
                    let end = (start + SHARD_SIZE).min(sockets.len());
                    deliver(&sockets[start..end], &events).await;
                },
                &self.fanout,
            );
        }
        while let Some(done) = shards.join_next().await {
            if let Err(e) = done {
                tracing::error!(drill.id = %self.drill_id, error = %e, "a fan-out shard failed");
            }
        }
    }
}

/// One shard's part of a fan-out.
async fn deliver(sockets: &[Arc<Subscriber>], events: &[Arc<LiveEvent>]) {
    for (i, socket) in sockets.iter().enumerate() {
        socket.deliver(events);
        if (i + 1) % YIELD_EVERY == 0 {
            tokio::task::yield_now().await;
        }
    }
}
