//! The live channel: `GET /api/v1/drills/{id}/live[?since=SEQ]` (`shared/API.md`).
//!
//! Everything that can be refused is refused before the upgrade, in the error
//! envelope: credentials (401), a session cookie from another origin (403), a drill
//! the caller may not see (404), `since` outside `0…head_seq` (422), too many open
//! sockets of one user (429).
//!
//! A connection subscribes to the drill's [`LiveHub`] first, then sends `hello`,
//! replays the visible events after `since` from the database, and then forwards live
//! events, skipping those at or below the last `seq` it sent (replay and live overlap)
//! and those its holder may not see. So events arrive in `seq` order, never twice.
//!
//! Memory is bounded per socket: small tungstenite buffers, a bounded broadcast
//! receiver (a socket that falls `Config::live_lag_limit` events behind is sent `resync`
//! and closed with 4000), a bounded reply queue, and a timeout on every send (a client
//! that stops reading is dropped after [`SEND_TIMEOUT`]). Close codes: 1000 normal,
//! 1001 server shutting down, 1008 too many bad messages, 1009 message too big, 1011
//! server error, 4000 resync.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{CurrentUser, Via};
use crate::domain::drill::Visibility;
use crate::domain::{Role, Side};
use crate::drill::hub::{LiveEvent, PAGE, PresenceGuard, SocketGuard, event_frame};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::drill_log;
use crate::store::drills::{self, AckError};

/// A send that takes longer than this means the client stopped reading.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Malformed client messages tolerated before the socket is closed with 1008.
pub const MAX_BAD_MESSAGES: u32 = 10;
/// The largest message (and frame) a client may send; larger closes with 1009.
pub const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Room for one large event (two 64 KiB inject bodies) in the write buffer; the
/// buffer only grows while a write is pending.
const MAX_WRITE_BUFFER: usize = 512 * 1024;
/// Allocated for every socket up front and kept: clients send acks and pings of under
/// 200 bytes, and a larger message (up to [`MAX_CLIENT_MESSAGE`]) is simply read in
/// several reads. 1 KiB instead of 4 keeps an idle connection under 20 KB.
const READ_BUFFER: usize = 1024;
/// Frames queued in the write buffer are written out once they pass this size, or
/// when the writer flushes (after every batch; see [`MAX_BATCH`]).
const WRITE_BUFFER: usize = 8 * 1024;
/// Live events a socket that has fallen behind sends in one write. Under load the
/// fan-out of one event is not finished before the next is committed; sending what is
/// waiting in one write (one system call, one TCP segment, one wake-up of the client)
/// instead of one each is what lets the server catch up instead of falling further
/// behind. Small, so that the write buffer each socket keeps stays small.
const MAX_BATCH: usize = 8;
/// Replies (pong, errors) waiting for the writer.
const REPLY_QUEUE: usize = 16;

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_POLICY: u16 = 1008;
pub const CLOSE_TOO_BIG: u16 = 1009;
pub const CLOSE_ERROR: u16 = 1011;
pub const CLOSE_RESYNC: u16 = 4000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live_drill))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LiveQuery {
    /// Replay the visible events with a greater `seq` (default 0: all of them).
    pub since: Option<i64>,
}

/// Who the socket belongs to, as `hello` shows it.
#[derive(Debug, Clone, Serialize)]
struct You {
    user_id: Uuid,
    team_id: Option<Uuid>,
    side: Option<Side>,
    role: Role,
}

/// True when the browser's `Origin` is this server (`http(s)://` + `Host`).
fn same_origin(headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .is_some_and(|rest| rest.eq_ignore_ascii_case(host)),
        _ => false,
    }
}

/// The drill's live events as a WebSocket. See the module documentation for the
/// protocol, the limits and the close codes.
#[utoipa::path(get, path = "/api/v1/drills/{id}/live", tag = "drills", params(("id" = Uuid, Path), LiveQuery),
    responses(
        (status = 101, description = "switching to the WebSocket protocol"),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope, description = "a session cookie from another origin"),
        (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope),
        (status = 429, body = ErrorEnvelope, description = "too many open sockets for this user")))]
pub async fn live_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<LiveQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    // Browsers send cookies with cross-site WebSocket handshakes; only the origin
    // tells a page of ours from someone else's.
    if matches!(me.via, Via::Session { .. }) && !same_origin(&headers) {
        return Err(AppError::Forbidden);
    }
    let drill = drills::get(&state.db, &me.scope, id).await?;
    let since = query.since.unwrap_or(0);
    if since < 0 || since > drill.head_seq {
        return Err(AppError::field(
            "since",
            "out_of_range",
            format!("must be between 0 and {}", drill.head_seq),
        ));
    }
    let teams = match me.role() {
        Role::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let visibility = Visibility::of(me.role(), &teams);
    let you = You {
        user_id: me.user.id,
        team_id: teams.first().map(|t| t.0),
        side: teams.first().map(|t| t.1),
        role: me.role(),
    };
    let ws = ws.map_err(|r| AppError::BadRequest(r.body_text()))?;
    let guard = state
        .hub
        .acquire_socket(me.user.id)
        .ok_or(AppError::RateLimited { retry_after_s: 5 })?;
    let hello = serde_json::to_string(&json!({
        "v": 1,
        "type": "hello",
        "drill": drill,
        "you": you,
        "head_seq": drill.head_seq,
    }))
    .map_err(|e| AppError::Internal(e.into()))?;
    let conn = Connection {
        state: state.clone(),
        drill_id: id,
        head_seq: drill.head_seq,
        since,
        visibility,
        you,
        hello,
    };
    // axum runs the upgraded connection in a task of its own that `serve` does not
    // wait for; tracking it lets shutdown wait until every socket has said goodbye.
    // The connection moves to the fan-out runtime (`hub::start_fanout_runtime`, and
    // why).
    let tracker = state.hub.tracker().clone();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE)
        .on_upgrade(move |socket| async move {
            let presence = conn
                .state
                .hub
                .enter(conn.drill_id, conn.you.user_id, conn.you.team_id);
            let fanout = conn.state.hub.fanout().clone();
            fanout.spawn(tracker.track_future(conn.run(socket, guard, presence)));
        })
        .into_response())
}

struct Connection {
    state: AppState,
    drill_id: Uuid,
    head_seq: i64,
    since: i64,
    visibility: Visibility,
    you: You,
    hello: String,
}

/// What the reader asks the writer to send.
enum Reply {
    Frame(String),
    Close(u16, &'static str),
}

/// Why the writer stopped.
struct Close(u16, &'static str);

fn error_frame(code: &str, message: &str) -> String {
    json!({"v": 1, "type": "error", "code": code, "message": message}).to_string()
}

impl Connection {
    async fn run(self, socket: WebSocket, _guard: SocketGuard, _presence: PresenceGuard) {
        // Subscribe before anything is read, so that nothing committed from now on
        // can fall between the replay and the live stream.
        let live = self.state.hub.subscribe(self.drill_id, self.head_seq);
        let shutdown = self.state.shutdown.clone();
        let (sink, stream) = socket.split();
        let (reply_tx, reply_rx) = mpsc::channel(REPLY_QUEUE);
        let this = Arc::new(self);
        // The reader runs in a task of its own: in one task with the writer, every
        // event broadcast to the drill would also poll the idle read half (lock,
        // buffer, readiness), for nothing, on every socket.
        let reader = this
            .state
            .hub
            .tracker()
            .spawn(this.clone().read(stream, reply_tx));
        // The writer ends the connection: on lag, a stuck client or shutdown, or
        // when the reader has gone (the client left or misbehaved), which closes the
        // reply queue or leaves a close request in it.
        this.write(sink, live, reply_rx, shutdown).await;
        reader.abort();
        tracing::debug!(drill.id = %this.drill_id, user.id = %this.you.user_id, "live socket closed");
    }

    async fn write(
        &self,
        mut sink: SplitSink<WebSocket, Message>,
        mut live: broadcast::Receiver<Arc<LiveEvent>>,
        mut replies: mpsc::Receiver<Reply>,
        shutdown: CancellationToken,
    ) {
        let close = match self
            .stream_events(&mut sink, &mut live, &mut replies, &shutdown)
            .await
        {
            Ok(close) => close,
            // The client stopped reading or the connection broke: nothing more can
            // be said to it.
            Err(Stuck) => return,
        };
        let frame = Message::Close(Some(CloseFrame {
            code: close.0,
            reason: Utf8Bytes::from_static(close.1),
        }));
        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(frame)).await;
    }

    /// Hello, the replay, then live events until something ends the connection.
    async fn stream_events(
        &self,
        sink: &mut SplitSink<WebSocket, Message>,
        live: &mut broadcast::Receiver<Arc<LiveEvent>>,
        replies: &mut mpsc::Receiver<Reply>,
        shutdown: &CancellationToken,
    ) -> Result<Close, Stuck> {
        send(sink, Message::Text(self.hello.clone().into())).await?;
        let mut last_sent = self.since;
        let audiences = match &self.visibility {
            Visibility::All => None,
            Visibility::Audiences(list) => Some(list.as_slice()),
        };
        loop {
            if shutdown.is_cancelled() {
                return Ok(Close(CLOSE_GOING_AWAY, "server shutting down"));
            }
            let page = match drill_log::events_after(
                &self.state.db,
                self.drill_id,
                last_sent,
                audiences,
                PAGE,
            )
            .await
            {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(drill.id = %self.drill_id, error = %e, "live replay failed");
                    return Ok(Close(CLOSE_ERROR, "server error; reconnect with since"));
                }
            };
            let n = page.len() as u64;
            for event in page {
                let Ok(frame) = event_frame(&event) else {
                    return Ok(Close(CLOSE_ERROR, "server error; reconnect with since"));
                };
                send(sink, Message::Text(frame.into())).await?;
                last_sent = event.seq;
            }
            if n < PAGE {
                break;
            }
        }
        // One registration with the shutdown token for the whole connection: creating
        // `cancelled()` afresh in every turn of the loop registers and unregisters a
        // waiter under the token's lock for every event sent, 10 000 times per inject.
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                biased;
                () = &mut cancelled => return Ok(Close(CLOSE_GOING_AWAY, "server shutting down")),
                received = live.recv() => {
                    let mut next = received;
                    let mut queued = 0;
                    loop {
                        match next {
                            Ok(event) => {
                                if event.seq > last_sent && self.visibility.allows(&event.audience) {
                                    feed(sink, Message::Text(event.frame.clone())).await?;
                                    last_sent = event.seq;
                                    queued += 1;
                                }
                            }
                            Err(broadcast::error::RecvError::Lagged(_)) => {
                                let resync = json!({"v": 1, "type": "resync", "since": last_sent}).to_string();
                                send(sink, Message::Text(resync.into())).await?;
                                return Ok(Close(CLOSE_RESYNC, "resync: reconnect with since"));
                            }
                            // The publisher stopped: the server is shutting down.
                            Err(broadcast::error::RecvError::Closed) => {
                                flush(sink).await?;
                                return Ok(Close(CLOSE_GOING_AWAY, "server shutting down"));
                            }
                        }
                        if queued == MAX_BATCH {
                            break;
                        }
                        next = match live.try_recv() {
                            Ok(event) => Ok(event),
                            Err(broadcast::error::TryRecvError::Empty) => break,
                            Err(broadcast::error::TryRecvError::Lagged(n)) => Err(broadcast::error::RecvError::Lagged(n)),
                            Err(broadcast::error::TryRecvError::Closed) => Err(broadcast::error::RecvError::Closed),
                        };
                    }
                    if queued > 0 {
                        flush(sink).await?;
                    }
                }
                reply = replies.recv() => match reply {
                    Some(Reply::Frame(text)) => send(sink, Message::Text(text.into())).await?,
                    Some(Reply::Close(code, reason)) => return Ok(Close(code, reason)),
                    None => return Ok(Close(CLOSE_NORMAL, "")),
                },
            }
        }
    }

    /// Reads client messages until the client closes, the connection breaks, or the
    /// client sends too many bad messages.
    async fn read(
        self: Arc<Self>,
        mut stream: SplitStream<WebSocket>,
        replies: mpsc::Sender<Reply>,
    ) {
        let mut bad = 0;
        while let Some(message) = stream.next().await {
            let reply = match message {
                Ok(Message::Text(text)) => self.handle(text.as_str()).await,
                Ok(Message::Binary(_)) => Err("send JSON text messages".to_owned()),
                // tungstenite answers pings itself.
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Close(_)) => return,
                Err(e) => {
                    let too_big = matches!(
                        std::error::Error::source(&e).and_then(|s| {
                            s.downcast_ref::<tokio_tungstenite::tungstenite::Error>()
                        }),
                        Some(tokio_tungstenite::tungstenite::Error::Capacity(_))
                    );
                    if too_big {
                        let _ = replies
                            .send(Reply::Close(CLOSE_TOO_BIG, "message too big"))
                            .await;
                    }
                    return;
                }
            };
            let frame = match reply {
                Ok(Some(frame)) => frame,
                Ok(None) => continue,
                Err(message) => {
                    bad += 1;
                    if bad >= MAX_BAD_MESSAGES {
                        let _ = replies
                            .send(Reply::Close(CLOSE_POLICY, "too many bad messages"))
                            .await;
                        return;
                    }
                    error_frame("bad_message", &message)
                }
            };
            if replies.send(Reply::Frame(frame)).await.is_err() {
                return;
            }
        }
    }

    /// One client message: `Ok(Some(frame))` to answer, `Ok(None)` for nothing,
    /// `Err(message)` for a malformed message.
    async fn handle(&self, text: &str) -> Result<Option<String>, String> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| "not JSON: send {\"v\":1,\"type\":…}".to_owned())?;
        if value["v"] != 1 {
            return Err("\"v\" must be 1".to_owned());
        }
        match value["type"].as_str() {
            Some("ping") => Ok(Some(json!({"v": 1, "type": "pong"}).to_string())),
            Some("ack") => {
                let inject_id = value["inject_id"]
                    .as_str()
                    .and_then(|s| Uuid::parse_str(s).ok())
                    .ok_or_else(|| "ack needs \"inject_id\": the inject's id".to_owned())?;
                Ok(self.ack(inject_id).await)
            }
            Some(other) => Err(format!("unknown message type {other:?}; use ack or ping")),
            None => Err("\"type\" is missing".to_owned()),
        }
    }

    /// Records an acknowledgement; the `ack_recorded` event comes back as a live
    /// event, so success needs no reply.
    async fn ack(&self, inject_id: Uuid) -> Option<String> {
        let result = drills::record_ack(
            &self.state.db,
            self.drill_id,
            inject_id,
            self.you.user_id,
            self.you.team_id,
            &self.visibility,
            Utc::now(),
        )
        .await;
        match result {
            Ok(ack) => {
                if ack.created {
                    self.state.hub.notify(self.drill_id);
                }
                None
            }
            Err(AckError::NotReleased(key)) => Some(error_frame(
                "not_released",
                &format!("inject {key} has not been released"),
            )),
            Err(AckError::Store(StoreError::NotFound)) => {
                Some(error_frame("not_found", "no such inject in this drill"))
            }
            Err(AckError::Store(StoreError::Conflict { message, .. })) => {
                Some(error_frame("conflict", &message))
            }
            Err(AckError::Store(e))
                if matches!(&e, StoreError::Busy)
                    || matches!(&e, StoreError::Db(db) if crate::store::is_busy(db)) =>
            {
                Some(error_frame(
                    "busy",
                    "the server is busy; the acknowledgement was not recorded, send it again",
                ))
            }
            Err(AckError::Store(e)) => {
                tracing::warn!(drill.id = %self.drill_id, error = %e, "recording an ack failed");
                Some(error_frame(
                    "internal",
                    "the acknowledgement could not be recorded; retry",
                ))
            }
        }
    }
}

/// The client stopped reading (a send timed out) or the connection broke.
struct Stuck;

/// Sends `message` and flushes it.
async fn send(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> Result<(), Stuck> {
    feed(sink, message).await?;
    flush(sink).await
}

/// Queues `message` in the write buffer (written out once the buffer passes
/// [`WRITE_BUFFER`]); [`flush`] sends the rest.
async fn feed(sink: &mut SplitSink<WebSocket, Message>, message: Message) -> Result<(), Stuck> {
    timely(sink.feed(message)).await
}

async fn flush(sink: &mut SplitSink<WebSocket, Message>) -> Result<(), Stuck> {
    timely(sink.flush()).await
}

/// Runs a write to the socket, giving up after [`SEND_TIMEOUT`].
async fn timely<E>(write: impl Future<Output = Result<(), E>>) -> Result<(), Stuck> {
    // Almost every write completes at once (the socket buffer has room). Arm the
    // timeout only when it does not: a timer per write is measurable when one event
    // goes out to 10 000 sockets.
    let mut sending = std::pin::pin!(write);
    let first = std::future::poll_fn(|cx| Poll::Ready(sending.as_mut().poll(cx))).await;
    let result = match first {
        Poll::Ready(result) => result,
        Poll::Pending => match tokio::time::timeout(SEND_TIMEOUT, sending).await {
            Ok(result) => result,
            Err(_) => return Err(Stuck),
        },
    };
    result.map_err(|_| Stuck)
}
