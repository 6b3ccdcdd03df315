//! The live channel: `GET /api/v1/drills/{id}/live[?since=SEQ]` (`shared/API.md`).
//!
//! Everything that can be refused is refused before the upgrade, in the error
//! envelope: credentials (401), a session cookie from another origin (403), a drill
//! the caller may not see (404), `since` outside `0…head_seq` (422), not a WebSocket
//! handshake (400), too many open sockets of one user (429).
//!
//! A connection joins the drill's fan-out ([`LiveHub`](crate::drill::hub::LiveHub))
//! first, then sends `hello`, replays the visible events after `since` from the
//! database, and then lets the fan-out write live events to its socket directly
//! (`crate::drill::subscriber`), skipping those at or below the last `seq` it sent
//! (replay and live overlap) and those its holder may not see. So events arrive in
//! `seq` order, never twice. The connection's own task only reads the client's
//! messages, answers them, and drains the socket's queue when the socket is full.
//!
//! Memory is bounded per socket: a 1 KiB read buffer, event frames shared by every
//! socket, a queue of at most `Config::live_lag_limit` events (a socket with more
//! waiting, or arriving while it replays, is sent `resync` and closed with 4000), and a
//! timeout on a full socket (a client that takes nothing for [`SEND_TIMEOUT`] is
//! dropped). Close codes: 1000 normal, 1001 server shutting down, 1002 protocol error,
//! 1008 too many bad messages, 1009 message too big, 1011 server error, 4000 resync.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedReadHalf;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{CurrentUser, Via};
use crate::domain::drill::Visibility;
use crate::domain::{Role as UserRole, Side};
use crate::drill::hub::{PAGE, PresenceGuard, SocketGuard, event_frame};
use crate::drill::subscriber::{Broken, Ending, Subscriber, close_frame, text_frame};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::drill_log;
use crate::store::drills::{self, AckError};

/// A socket that takes nothing for this long means the client stopped reading.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Malformed client messages tolerated before the socket is closed with 1008.
pub const MAX_BAD_MESSAGES: u32 = 10;
/// The largest message (and frame) a client may send; larger closes with 1009.
pub const MAX_CLIENT_MESSAGE: usize = 64 * 1024;
/// Allocated for every socket up front and kept: clients send acks and pings of under
/// 200 bytes, and a larger message (up to [`MAX_CLIENT_MESSAGE`]) is simply read in
/// several reads. 1 KiB instead of 4 keeps an idle connection under 20 KB.
const READ_BUFFER: usize = 1024;

pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_PROTOCOL: u16 = 1002;
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

/// A request's WebSocket opening handshake (RFC 6455 section 4.2.1), checked but not
/// yet answered; what is wrong with it, if anything. Checked last, after the caller and
/// the drill, so that those errors come first.
///
/// The live channel answers the handshake itself rather than through axum's
/// `WebSocketUpgrade`, because it needs the TCP socket back after the upgrade: the
/// fan-out writes to it directly (`crate::drill::subscriber`), which axum's `WebSocket`
/// does not allow.
pub struct Handshake(Result<Upgrade, Refused>);

/// Why a request is not a WebSocket handshake this server accepts.
pub enum Refused {
    /// 400 with this message.
    Malformed(&'static str),
    /// A WebSocket version other than 13: 426 naming the version this server speaks
    /// (RFC 6455 section 4.4).
    Version,
}

pub struct Upgrade {
    on_upgrade: OnUpgrade,
    key: HeaderValue,
}

impl<S: Send + Sync> FromRequestParts<S> for Handshake {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Handshake(handshake(parts)))
    }
}

/// True when the comma-separated `name` header lists `token` (case-insensitive).
fn header_lists(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

fn handshake(parts: &mut Parts) -> Result<Upgrade, Refused> {
    use Refused::Malformed;
    use base64::Engine;
    if parts.version != Version::HTTP_11 {
        return Err(Malformed("the live channel is a WebSocket over HTTP/1.1"));
    }
    if parts.method != Method::GET {
        return Err(Malformed("a WebSocket handshake is a GET request"));
    }
    if !parts.headers.contains_key(header::HOST) {
        return Err(Malformed("the Host header is missing"));
    }
    if !header_lists(&parts.headers, header::CONNECTION, "upgrade") {
        return Err(Malformed(
            "the Connection header must include \"upgrade\": open a WebSocket",
        ));
    }
    if !header_lists(&parts.headers, header::UPGRADE, "websocket") {
        return Err(Malformed(
            "the Upgrade header must be \"websocket\": open a WebSocket",
        ));
    }
    if parts
        .headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(Refused::Version);
    }
    // A nonce of 16 bytes, base64-encoded (section 4.1).
    let key = parts
        .headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|key| {
            base64::engine::general_purpose::STANDARD
                .decode(key.as_bytes())
                .is_ok_and(|nonce| nonce.len() == 16)
        })
        .cloned()
        .ok_or(Malformed(
            "the Sec-WebSocket-Key header must be 16 bytes in base64",
        ))?;
    let on_upgrade = parts
        .extensions
        .remove::<OnUpgrade>()
        .ok_or(Malformed("this connection cannot be upgraded"))?;
    Ok(Upgrade { on_upgrade, key })
}

/// Who the socket belongs to, as `hello` shows it.
#[derive(Debug, Clone, Serialize)]
struct You {
    user_id: Uuid,
    team_id: Option<Uuid>,
    side: Option<Side>,
    role: UserRole,
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
        (status = 426, body = ErrorEnvelope, description = "a WebSocket version other than 13 (the answer names 13 in Sec-WebSocket-Version)"),
        (status = 429, body = ErrorEnvelope, description = "too many open sockets for this user")))]
pub async fn live_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<LiveQuery>,
    headers: HeaderMap,
    Handshake(upgrade): Handshake,
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
        UserRole::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let visibility = Visibility::of(me.role(), &teams);
    let you = You {
        user_id: me.user.id,
        team_id: teams.first().map(|t| t.0),
        side: teams.first().map(|t| t.1),
        role: me.role(),
    };
    let Upgrade { on_upgrade, key } = match upgrade {
        Ok(upgrade) => upgrade,
        Err(Refused::Malformed(message)) => return Err(AppError::BadRequest(message.to_owned())),
        Err(Refused::Version) => {
            let mut refusal =
                AppError::BadRequest("this server speaks WebSocket version 13".to_owned())
                    .into_response();
            *refusal.status_mut() = StatusCode::UPGRADE_REQUIRED;
            refusal.headers_mut().insert(
                header::SEC_WEBSOCKET_VERSION,
                HeaderValue::from_static("13"),
            );
            return Ok(refusal);
        }
    };
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
    // hyper hands the socket over once this response is written. The connection runs
    // on the fan-out runtime (`hub::start_fanout_runtime`, and why), tracked so that
    // shutdown waits until every socket has said goodbye.
    let tracker = state.hub.tracker().clone();
    state.hub.fanout().spawn(tracker.track_future(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, "live socket upgrade failed");
                return;
            }
        };
        // `axum::serve` serves plain TCP streams (`startup`).
        let parts =
            match hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<TcpStream>>(upgraded)
            {
                Ok(parts) => parts,
                Err(_) => {
                    tracing::error!("live socket upgrade: the connection is not a TCP stream");
                    return;
                }
            };
        let presence = conn
            .state
            .hub
            .enter(conn.drill_id, conn.you.user_id, conn.you.team_id);
        // Bytes the client sent after its handshake, if any. Copied out: `read_buf`
        // is a view of hyper's 8 KiB read buffer, kept alive by it for as long as it
        // lives.
        let early = parts.read_buf.to_vec();
        drop(parts.read_buf);
        conn.run(parts.io.into_inner(), early, guard, presence)
            .await;
    }));
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, HeaderValue::from_static("upgrade"))
        .header(header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(
            header::SEC_WEBSOCKET_ACCEPT,
            derive_accept_key(key.as_bytes()),
        )
        .body(Body::empty())
        .map_err(|e| AppError::Internal(e.into()))
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

/// How a connection ends, when there is still something to say.
enum End {
    /// Send a close frame with this code and reason.
    Close(u16, &'static str),
    /// Send `resync` with this `since`, then close with 4000.
    Resync(i64),
    /// The client closed; tungstenite has queued the answer to its close frame.
    Answered,
}

fn error_frame(code: &str, message: &str) -> String {
    json!({"v": 1, "type": "error", "code": code, "message": message}).to_string()
}

/// The socket as tungstenite sees it: reads from the TCP socket; writes (pongs, the
/// answer to a close) join the subscriber's queue, whole frames at a time, so they
/// never interleave with the fan-out's.
struct LiveIo {
    read: OwnedReadHalf,
    out: Arc<Subscriber>,
}

impl AsyncRead for LiveIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().read).poll_read(cx, buf)
    }
}

impl AsyncWrite for LiveIo {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // tungstenite writes its buffer of whole frames (`FrameCodec::write_out_buffer`);
        // taking all of it keeps each write a whole number of frames.
        Poll::Ready(match self.out.push(Bytes::copy_from_slice(buf)) {
            Ok(()) => Ok(buf.len()),
            Err(Broken) => Err(io::ErrorKind::BrokenPipe.into()),
        })
    }

    /// The queue writes on its own (or the connection's task drains it).
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Connection {
    async fn run(
        self,
        tcp: TcpStream,
        early: Vec<u8>,
        _guard: SocketGuard,
        _presence: PresenceGuard,
    ) {
        let (read, write) = tcp.into_split();
        let hub = &self.state.hub;
        let out = Arc::new(Subscriber::new(
            self.visibility.clone(),
            write,
            self.since,
            hub.lag_limit(),
        ));
        // Join the fan-out before anything is read, so that nothing committed from now
        // on can fall between the replay and the live stream.
        let membership = hub.subscribe(self.drill_id, self.head_seq, out.clone());
        let io = LiveIo {
            read,
            out: out.clone(),
        };
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            // Frames go to the queue at once.
            .write_buffer_size(0)
            .max_message_size(Some(MAX_CLIENT_MESSAGE))
            .max_frame_size(Some(MAX_CLIENT_MESSAGE));
        let mut ws = if early.is_empty() {
            WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await
        } else {
            // The client's first frame came with its handshake.
            WebSocketStream::from_partially_read(io, early, Role::Server, Some(config)).await
        };
        let end = self.converse(&out, &mut ws).await;
        drop(membership);
        out.stop_events();
        if let Ok(end) = end {
            let last_words = match end {
                End::Close(code, reason) => out.push(close_frame(code, reason)),
                End::Resync(since) => {
                    let resync = json!({"v": 1, "type": "resync", "since": since}).to_string();
                    out.push(text_frame(resync)).and_then(|()| {
                        out.push(close_frame(CLOSE_RESYNC, "resync: reconnect with since"))
                    })
                }
                End::Answered => Ok(()),
            };
            // A client that reads a trickle does not hold the server (or its shutdown)
            // for longer than this.
            if last_words.is_ok() {
                let _ = tokio::time::timeout(SEND_TIMEOUT, out.drain(SEND_TIMEOUT)).await;
            }
        }
        tracing::debug!(drill.id = %self.drill_id, user.id = %self.you.user_id, "live socket closed");
    }

    /// Hello, the replay, then live events and the client's messages until something
    /// ends the connection; `Err` when it broke (nothing more can be said).
    async fn converse(
        &self,
        out: &Subscriber,
        ws: &mut WebSocketStream<LiveIo>,
    ) -> Result<End, Broken> {
        let shutdown = &self.state.shutdown;
        out.push(text_frame(self.hello.clone()))?;
        let audiences = match &self.visibility {
            Visibility::All => None,
            Visibility::Audiences(list) => Some(list.as_slice()),
        };
        let mut last_sent = self.since;
        'replay: loop {
            if shutdown.is_cancelled() {
                return Ok(End::Close(CLOSE_GOING_AWAY, "server shutting down"));
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
                    return Ok(End::Close(
                        CLOSE_ERROR,
                        "server error; reconnect with since",
                    ));
                }
            };
            let n = page.len() as u64;
            for event in page {
                let Ok(frame) = event_frame(&event) else {
                    return Ok(End::Close(
                        CLOSE_ERROR,
                        "server error; reconnect with since",
                    ));
                };
                if !out.push_replayed(event.seq, text_frame(frame))? {
                    // The fan-out gave up on this socket while it replayed.
                    break 'replay;
                }
                last_sent = event.seq;
                // Returns at once unless the client is slower than the replay.
                tokio::select! {
                    drained = out.drain(SEND_TIMEOUT) => drained?,
                    () = shutdown.cancelled() => {
                        return Ok(End::Close(CLOSE_GOING_AWAY, "server shutting down"));
                    }
                }
            }
            if n < PAGE {
                break;
            }
        }
        out.go_live();

        // One registration with the shutdown token for the whole connection.
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let mut bad = 0;
        loop {
            if let Some(Ending::Resync { since }) = out.ending() {
                return Ok(End::Resync(since));
            }
            tokio::select! {
                biased;
                () = &mut cancelled => return Ok(End::Close(CLOSE_GOING_AWAY, "server shutting down")),
                // Frames wait for a full socket, or the fan-out ended it.
                () = out.woken() => tokio::select! {
                    drained = out.drain(SEND_TIMEOUT) => drained?,
                    () = &mut cancelled => return Ok(End::Close(CLOSE_GOING_AWAY, "server shutting down")),
                },
                message = ws.next() => {
                    let reply = match message {
                        Some(Ok(Message::Text(text))) => self.handle(text.as_str()).await,
                        Some(Ok(Message::Binary(_))) => Err("send JSON text messages".to_owned()),
                        // tungstenite answers pings itself, on the next read.
                        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                        Some(Ok(Message::Close(_))) => {
                            // No event may follow the answer, which tungstenite has
                            // queued; the flush writes it.
                            out.stop_events();
                            let _ = ws.flush().await;
                            return Ok(End::Answered);
                        }
                        Some(Err(WsError::Capacity(_))) => {
                            return Ok(End::Close(CLOSE_TOO_BIG, "message too big"));
                        }
                        Some(Err(WsError::Protocol(_) | WsError::Utf8(_))) => {
                            return Ok(End::Close(CLOSE_PROTOCOL, "protocol error"));
                        }
                        // The connection broke or the client left without a close frame.
                        Some(Err(_)) | None => return Err(Broken),
                    };
                    let frame = match reply {
                        Ok(Some(frame)) => frame,
                        Ok(None) => continue,
                        Err(message) => {
                            bad += 1;
                            if bad >= MAX_BAD_MESSAGES {
                                return Ok(End::Close(CLOSE_POLICY, "too many bad messages"));
                            }
                            error_frame("bad_message", &message)
                        }
                    };
                    out.push(text_frame(frame))?;
                }
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
