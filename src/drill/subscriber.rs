//! One live socket's side of the fan-out: its outgoing byte queue, written to the TCP
//! socket without waking the socket's task.
//!
//! An event goes out to every socket of its drill. Waking a task per socket to send it
//! (a broadcast receiver, the WebSocket sink's lock and framing, a flush) cost more CPU
//! than the `send()` itself, 10 000 times per event. Instead the hub's fan-out shards
//! call [`Subscriber::deliver`] for each socket in turn, with frames serialised and
//! framed once per event ([`LiveEvent::frame`]): when nothing is waiting for the socket
//! this is one non-blocking write of the shared bytes, and the socket's task never
//! wakes. Only when the socket's buffer is full do the frames wait in the queue, and the
//! socket's task is woken to drain it ([`Subscriber::drain`]), within
//! `SEND_TIMEOUT` per write.
//!
//! Everything the server writes to the socket goes through the queue, whole frames at a
//! time and under its lock: events, `hello`, the replay, replies, and the control frames
//! tungstenite writes itself (pong, the answer to a close; `crate::http::ws` hands it a
//! stream whose writes land here). So frames never interleave, and events go out in
//! `seq` order.
//!
//! A socket is bounded: when more than `lag_limit` events wait for it (its client is not
//! reading), or arrive while it is still replaying the log, the events not yet started
//! are dropped and it is told to resync from the last event it was given.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::domain::drill::Visibility;
use crate::drill::hub::LiveEvent;

/// Frames handed to one vectored write.
const MAX_IOVECS: usize = 16;
/// An emptied queue that grew past this many frames (a burst, a page of up to 500
/// events at once) gives its memory back: it is kept for every socket.
const SHRINK_ABOVE: usize = 32;

/// A server-to-client text frame (unmasked, so the same bytes serve every socket).
pub fn text_frame(text: impl Into<Bytes>) -> Bytes {
    let frame = Frame::message(text.into(), OpCode::Data(Data::Text), true);
    let mut out = Vec::with_capacity(frame.len());
    frame
        .format(&mut out)
        .expect("formatting into a Vec cannot fail");
    out.into()
}

/// A close frame with `code` and `reason`.
pub fn close_frame(code: u16, reason: &str) -> Bytes {
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    let frame = Frame::close(Some(CloseFrame {
        code: code.into(),
        reason: reason.to_owned().into(),
    }));
    let mut out = Vec::with_capacity(frame.len());
    frame
        .format(&mut out)
        .expect("formatting into a Vec cannot fail");
    out.into()
}

/// Why the socket's task must end the connection, as the fan-out found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Too many events were waiting: send `resync` with this `since`, close with 4000.
    Resync { since: i64 },
}

/// The socket's write side was lost: the connection broke.
#[derive(Debug)]
pub struct Broken;

pub struct Subscriber {
    visibility: Visibility,
    socket: OwnedWriteHalf,
    lag_limit: usize,
    outbox: Mutex<Outbox>,
    /// Wakes the socket's task: frames wait in the queue, or the fan-out ended the socket.
    wake: Notify,
}

enum Phase {
    /// The socket's task is replaying the log; live events wait here until it is done.
    Replaying(Vec<Arc<LiveEvent>>),
    Live,
    /// The socket is closing: nothing more is accepted from the fan-out.
    Ending,
}

struct Chunk {
    bytes: Bytes,
    /// The event's `seq`, for event frames.
    seq: Option<i64>,
}

struct Outbox {
    phase: Phase,
    /// The `seq` of the last event queued or written.
    queued_seq: i64,
    /// The `seq` of the last event written whole.
    written_seq: i64,
    /// Frames not yet written; the first may be written in part.
    pending: VecDeque<Chunk>,
    /// Bytes of the first pending frame already written.
    front_written: usize,
    /// Bytes written since the socket opened: progress, whoever wrote them.
    written_total: u64,
    /// Event frames in `pending`.
    pending_events: usize,
    ending: Option<Ending>,
    broken: bool,
}

fn lock(m: &Mutex<Outbox>) -> MutexGuard<'_, Outbox> {
    // A panic while holding the lock leaves at worst a frame half-accounted; the
    // socket then ends by its timeout or its client's resync.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Subscriber {
    /// A subscriber in the replaying phase, having sent nothing after `since`.
    pub fn new(
        visibility: Visibility,
        socket: OwnedWriteHalf,
        since: i64,
        lag_limit: usize,
    ) -> Self {
        Subscriber {
            visibility,
            socket,
            lag_limit: lag_limit.max(1),
            outbox: Mutex::new(Outbox {
                phase: Phase::Replaying(Vec::new()),
                queued_seq: since,
                written_seq: since,
                pending: VecDeque::new(),
                front_written: 0,
                written_total: 0,
                pending_events: 0,
                ending: None,
                broken: false,
            }),
            wake: Notify::new(),
        }
    }

    /// Live events from the fan-out, in `seq` order. Never blocks: what the socket does
    /// not take at once waits in the queue for the socket's task.
    pub fn deliver(&self, events: &[Arc<LiveEvent>]) {
        let mut out = lock(&self.outbox);
        let since = out.queued_seq;
        match &mut out.phase {
            Phase::Ending => {}
            Phase::Replaying(held) => {
                // Only what the socket will send counts towards its limit.
                held.extend(
                    events
                        .iter()
                        .filter(|e| e.seq > since && self.visibility.allows(&e.audience))
                        .cloned(),
                );
                if held.len() > self.lag_limit {
                    self.end(&mut out);
                }
            }
            Phase::Live => {
                if self.queue_live(&mut out, events) {
                    self.write_or_wake(&mut out);
                }
            }
        }
    }

    /// Queues the events this socket may see and has not been given; true if any.
    fn queue_live(&self, out: &mut Outbox, events: &[Arc<LiveEvent>]) -> bool {
        let mut added = false;
        for event in events {
            if event.seq > out.queued_seq && self.visibility.allows(&event.audience) {
                out.queued_seq = event.seq;
                out.pending.push_back(Chunk {
                    bytes: event.frame.clone(),
                    seq: Some(event.seq),
                });
                out.pending_events += 1;
                added = true;
            }
        }
        added
    }

    /// Queues a frame of the socket's own (hello, a reply, a control frame).
    pub fn push(&self, frame: Bytes) -> Result<(), Broken> {
        let mut out = lock(&self.outbox);
        if out.broken {
            return Err(Broken);
        }
        out.pending.push_back(Chunk {
            bytes: frame,
            seq: None,
        });
        self.write_or_wake(&mut out);
        Ok(())
    }

    /// Queues a replayed event; `Ok(false)` when the socket is ending (stop replaying).
    pub fn push_replayed(&self, seq: i64, frame: Bytes) -> Result<bool, Broken> {
        let mut out = lock(&self.outbox);
        if out.broken {
            return Err(Broken);
        }
        if matches!(out.phase, Phase::Ending) {
            return Ok(false);
        }
        out.queued_seq = seq;
        out.pending.push_back(Chunk {
            bytes: frame,
            seq: Some(seq),
        });
        out.pending_events += 1;
        self.write_or_wake(&mut out);
        Ok(true)
    }

    /// Ends the replay: queues the live events that arrived meanwhile (those the replay
    /// did not already send) and lets the fan-out write directly from now on. Under
    /// one lock, so that no later event can overtake them.
    pub fn go_live(&self) {
        let mut out = lock(&self.outbox);
        let held = match std::mem::replace(&mut out.phase, Phase::Live) {
            Phase::Replaying(held) => held,
            ending => {
                out.phase = ending;
                return;
            }
        };
        if self.queue_live(&mut out, &held) {
            self.write_or_wake(&mut out);
        }
    }

    /// The fan-out's reason to end the socket, if it found one.
    pub fn ending(&self) -> Option<Ending> {
        lock(&self.outbox).ending
    }

    /// Stops taking events: the socket is closing.
    pub fn stop_events(&self) {
        lock(&self.outbox).phase = Phase::Ending;
    }

    /// Waits until the queue needs the socket's task: frames wait for a full socket,
    /// the connection broke, or the fan-out ended the socket.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Writes out everything queued, waiting for the socket to take it; `Err` when the
    /// connection broke or took nothing for `timeout` (its client stopped reading).
    pub async fn drain(&self, timeout: std::time::Duration) -> Result<(), Broken> {
        loop {
            let written_before = {
                let mut out = lock(&self.outbox);
                if !out.broken {
                    self.write_pending(&mut out);
                }
                if out.broken {
                    return Err(Broken);
                }
                if out.pending.is_empty() {
                    return Ok(());
                }
                out.written_total
            };
            match tokio::time::timeout(timeout, self.socket.writable()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => {
                    lock(&self.outbox).broken = true;
                    return Err(Broken);
                }
                Err(_) => {
                    // A fan-out shard may have taken the socket's readiness and written
                    // meanwhile: only a socket that took nothing is given up.
                    let mut out = lock(&self.outbox);
                    if out.written_total == written_before {
                        out.broken = true;
                        return Err(Broken);
                    }
                }
            }
        }
    }

    /// After frames were queued: write what the socket takes now (usually all of it, in
    /// one system call); wake the socket's task for the rest, or end the socket when
    /// too many events wait.
    fn write_or_wake(&self, out: &mut Outbox) {
        if !out.broken {
            // After a write that would block, tokio knows the socket is not writable
            // and this returns at once, without a system call, until it is again.
            self.write_pending(out);
        }
        if out.broken {
            self.wake.notify_one();
        } else if out.pending_events > self.lag_limit {
            self.end(out);
        } else if !out.pending.is_empty() {
            self.wake.notify_one();
        }
    }

    /// Gives up on the socket: drops the events not yet started, keeps the frame being
    /// written (half a frame would corrupt the stream) and the socket's own frames, and
    /// wakes the socket's task to tell the client to resync from the last event it was
    /// given, or is being given, and close.
    fn end(&self, out: &mut Outbox) {
        let since = match out.pending.front() {
            Some(Chunk { seq: Some(seq), .. }) if out.front_written > 0 => *seq,
            _ => out.written_seq,
        };
        let started = usize::from(out.front_written > 0);
        let mut index = 0;
        out.pending.retain(|chunk| {
            let keep = index < started || chunk.seq.is_none();
            index += 1;
            keep
        });
        out.pending_events = out.pending.iter().filter(|c| c.seq.is_some()).count();
        out.queued_seq = since;
        out.phase = Phase::Ending;
        out.ending.get_or_insert(Ending::Resync { since });
        self.wake.notify_one();
    }

    /// Vectored writes of the pending frames, as much as the socket takes now.
    fn write_pending(&self, out: &mut Outbox) {
        self.write_some(out);
        if out.pending.is_empty() && out.pending.capacity() > SHRINK_ABOVE {
            out.pending = VecDeque::new();
        }
    }

    fn write_some(&self, out: &mut Outbox) {
        while !out.pending.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut n = 0;
            for (i, chunk) in out.pending.iter().take(MAX_IOVECS).enumerate() {
                let skip = if i == 0 { out.front_written } else { 0 };
                slices[i] = IoSlice::new(&chunk.bytes[skip..]);
                n += 1;
            }
            match self.socket.try_write_vectored(&slices[..n]) {
                Ok(0) => {
                    out.broken = true;
                    return;
                }
                Ok(written) => {
                    out.written_total += written as u64;
                    if !out.advance(written) {
                        // The socket took part: it is full for now.
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    out.broken = true;
                    return;
                }
            }
        }
    }
}

impl Outbox {
    /// Accounts for `written` bytes taken by the socket; false if it took a frame in
    /// part.
    fn advance(&mut self, mut written: usize) -> bool {
        while written > 0 {
            let Some(front) = self.pending.front() else {
                return true;
            };
            let left = front.bytes.len() - self.front_written;
            if written < left {
                self.front_written += written;
                return false;
            }
            written -= left;
            self.front_written = 0;
            if let Some(Chunk { seq: Some(seq), .. }) = self.pending.pop_front() {
                self.written_seq = seq;
                self.pending_events -= 1;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::StreamExt;
    use tokio::net::{TcpListener, TcpStream};
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::*;

    type Client = WebSocketStream<TcpStream>;

    /// A subscriber on the server end of a loopback connection, and its client.
    async fn pair(
        visibility: Visibility,
        since: i64,
        lag_limit: usize,
    ) -> (Arc<Subscriber>, Client) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let (_read, write) = server.into_split();
        // The read half may go: the subscriber only writes.
        let subscriber = Arc::new(Subscriber::new(visibility, write, since, lag_limit));
        let client = WebSocketStream::from_raw_socket(client, Role::Client, None).await;
        (subscriber, client)
    }

    fn event(seq: i64, audience: &str, filler: usize) -> Arc<LiveEvent> {
        let text = serde_json::json!({"seq": seq, "filler": "x".repeat(filler)}).to_string();
        Arc::new(LiveEvent {
            seq,
            audience: audience.to_owned(),
            frame: text_frame(text),
        })
    }

    /// The next text frame's `seq` (or its `type` for other frames).
    async fn next(client: &mut Client) -> serde_json::Value {
        match tokio::time::timeout(Duration::from_secs(10), client.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str(text.as_str()).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn live_events_go_out_in_order_once_and_only_to_their_audience() {
        let blue = Visibility::Audiences(vec!["all".into(), "blue".into()]);
        let (sub, mut client) = pair(blue, 0, 16).await;
        sub.go_live();
        sub.deliver(&[
            event(1, "all", 10),
            event(2, "red", 10),
            event(3, "blue", 10),
        ]);
        // Replayed or delivered twice: skipped.
        sub.deliver(&[event(3, "blue", 10), event(4, "all", 10)]);
        for seq in [1, 3, 4] {
            assert_eq!(next(&mut client).await["seq"], seq);
        }
        sub.push(text_frame(r#"{"seq":"marker"}"#)).unwrap();
        assert_eq!(
            next(&mut client).await["seq"],
            "marker",
            "nothing else was sent"
        );
    }

    #[tokio::test]
    async fn events_that_arrive_during_the_replay_follow_it_without_overlap() {
        let (sub, mut client) = pair(Visibility::All, 0, 16).await;
        // The fan-out delivers 2 and 3 while the replay (from the log) sends 1 and 2.
        sub.deliver(&[event(2, "all", 10), event(3, "all", 10)]);
        assert!(
            sub.push_replayed(1, event(1, "all", 10).frame.clone())
                .unwrap()
        );
        assert!(
            sub.push_replayed(2, event(2, "all", 10).frame.clone())
                .unwrap()
        );
        sub.go_live();
        sub.deliver(&[event(4, "all", 10)]);
        for seq in 1..=4 {
            assert_eq!(next(&mut client).await["seq"], seq);
        }
    }

    #[tokio::test]
    async fn a_socket_whose_client_does_not_read_is_ended_with_the_last_event_it_was_given() {
        let (sub, mut client) = pair(Visibility::All, 0, 4).await;
        sub.go_live();
        // 64 KiB events, more than the socket buffers take while the client reads nothing.
        let mut seq = 0;
        while sub.ending().is_none() {
            seq += 1;
            assert!(seq < 1000, "the socket never filled");
            sub.deliver(&[event(seq, "all", 64 * 1024)]);
        }
        let Some(Ending::Resync { since }) = sub.ending() else {
            unreachable!()
        };
        // At most the one being written is kept of the five waiting.
        assert!(
            since <= seq - 4,
            "events waiting were dropped: since {since}, last {seq}"
        );
        // Later events are not taken.
        sub.deliver(&[event(seq + 1, "all", 10)]);
        sub.push(text_frame(r#"{"seq":"end"}"#)).unwrap();
        let drained = tokio::spawn({
            let sub = sub.clone();
            async move { sub.drain(Duration::from_secs(10)).await.is_ok() }
        });
        for expected in 1..=since {
            assert_eq!(next(&mut client).await["seq"], expected);
        }
        assert_eq!(next(&mut client).await["seq"], "end");
        assert!(drained.await.unwrap());
    }

    #[tokio::test]
    async fn too_many_events_during_the_replay_end_the_socket() {
        let (sub, _client) = pair(Visibility::All, 0, 2).await;
        sub.deliver(&[
            event(1, "all", 10),
            event(2, "all", 10),
            event(3, "all", 10),
        ]);
        assert_eq!(sub.ending(), Some(Ending::Resync { since: 0 }));
        assert!(
            !sub.push_replayed(1, event(1, "all", 10).frame.clone())
                .unwrap()
        );
    }

    #[tokio::test]
    async fn events_the_socket_will_not_send_do_not_count_against_it_during_the_replay() {
        let blue = Visibility::Audiences(vec!["all".into(), "blue".into()]);
        let (sub, mut client) = pair(blue, 0, 2).await;
        assert!(
            sub.push_replayed(1, event(1, "all", 10).frame.clone())
                .unwrap()
        );
        // Red events, and one the replay already sent.
        sub.deliver(&[
            event(1, "all", 10),
            event(2, "red", 10),
            event(3, "red", 10),
        ]);
        sub.deliver(&[event(4, "red", 10), event(5, "all", 10)]);
        assert_eq!(sub.ending(), None);
        sub.go_live();
        for seq in [1, 5] {
            assert_eq!(next(&mut client).await["seq"], seq);
        }
    }

    #[tokio::test]
    async fn a_queue_that_grew_in_a_burst_gives_its_memory_back() {
        let (sub, mut client) = pair(Visibility::All, 0, 1000).await;
        sub.go_live();
        let page: Vec<_> = (1..=500).map(|seq| event(seq, "all", 10)).collect();
        sub.deliver(&page);
        assert!(
            lock(&sub.outbox).pending.is_empty(),
            "the socket took the page"
        );
        assert!(lock(&sub.outbox).pending.capacity() <= SHRINK_ABOVE);
        for seq in 1..=500 {
            assert_eq!(next(&mut client).await["seq"], seq);
        }
    }

    #[tokio::test]
    async fn a_drain_gives_up_on_a_client_that_takes_nothing() {
        let (sub, _client) = pair(Visibility::All, 0, 100_000).await;
        sub.go_live();
        let mut seq = 0;
        loop {
            seq += 1;
            sub.deliver(&[event(seq, "all", 64 * 1024)]);
            if lock(&sub.outbox).pending_events > 0 {
                break;
            }
        }
        assert!(sub.drain(Duration::from_millis(200)).await.is_err());
        assert!(
            sub.push(text_frame("{}")).is_err(),
            "the socket is given up"
        );
    }
}
