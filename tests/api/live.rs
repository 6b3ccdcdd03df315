//! Integration tests: the live channel (`GET /api/v1/drills/{id}/live`) — hello and
//! replay, live delivery in `seq` order, resume with `since`, visibility, acks by
//! message, refusals before the upgrade, bad input, and shutdown.
//!
//! Every read waits at most [`WAIT`], so a bug fails the test instead of hanging it.

use std::time::Duration;

use cyberdrill::auth::secret;
use cyberdrill::domain::Role;
use cyberdrill::store;
use cyberdrill::store::drill_log::{self, NewEvent};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use sea_orm::TransactionTrait;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::drills::{InjectSpec, store_scenario};
use crate::helpers::{TestApp, TestUser};

const WAIT: Duration = Duration::from_secs(5);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const INJECTS: &[InjectSpec<'static>] = &[
    ("alert-a", None, "blue"),
    ("alert-b", None, "blue"),
    ("red-step", None, "red"),
    ("alert-c", None, "all"),
    ("note", None, "controllers"),
    ("alert-d", None, "blue"),
    ("alert-e", None, "all"),
];

struct Live {
    app: TestApp,
    controller: TestUser,
    responder: TestUser,
    blue: String,
    drill: String,
}

/// A started tabletop drill with a blue and a red team; `responder` is in the blue
/// team. Every inject is manual, released through the API.
async fn setup() -> Live {
    setup_with(TestApp::spawn().await).await
}

async fn setup_with(app: TestApp) -> Live {
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let scenario = store_scenario(&app, org, "live-test", INJECTS).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    let (status, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội tấn công", "side": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{red}");
    let (status, drill) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": "Diễn tập trực tuyến",
                "kind": "tabletop",
                "system_ids": [system],
                "teams": [{"team_id": blue, "side": "blue"}, {"team_id": red["id"], "side": "red"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let responder = app.user("ung-cuu", Role::Responder, org).await;
    app.member(
        &controller,
        &blue,
        json!({"full_name": "Nguyễn Văn A", "employment": "in_house", "user_id": responder.id}),
    )
    .await;
    let drill = drill["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            &controller,
            &format!("/api/v1/drills/{drill}/start"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Live {
        app,
        controller,
        responder,
        blue,
        drill,
    }
}

impl Live {
    fn path(&self, since: Option<&str>) -> String {
        let ws = self.app.base.replacen("http://", "ws://", 1);
        match since {
            Some(s) => format!("{ws}/api/v1/drills/{}/live?since={s}", self.drill),
            None => format!("{ws}/api/v1/drills/{}/live", self.drill),
        }
    }

    /// Opens the socket with `user`'s bearer token.
    async fn connect(&self, user: &TestUser, since: Option<i64>) -> Ws {
        let since = since.map(|s| s.to_string());
        self.try_connect(user, since.as_deref())
            .await
            .unwrap_or_else(|status| panic!("refused with {status}"))
    }

    async fn try_connect(&self, user: &TestUser, since: Option<&str>) -> Result<Ws, StatusCode> {
        let mut req = self.path(since).into_client_request().unwrap();
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", user.token)).unwrap(),
        );
        handshake(req).await
    }

    async fn release(&self, key: &str) -> i64 {
        let (status, body) = self
            .app
            .post(
                &self.controller,
                &format!("/api/v1/drills/{}/injects/{key}/release", self.drill),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["seq"].as_i64().unwrap()
    }

    async fn inject_id(&self, key: &str) -> String {
        let (status, body) = self
            .app
            .get(
                &self.controller,
                &format!("/api/v1/drills/{}/timeline", self.drill),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))["inject_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The event log as `user` may see it, through the REST API.
    async fn events(&self, user: &TestUser, since: i64) -> Vec<Value> {
        let (status, body) = self
            .app
            .get(
                user,
                &format!("/api/v1/drills/{}/events?since={since}", self.drill),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().unwrap().clone()
    }
}

async fn handshake(req: tungstenite::handshake::client::Request) -> Result<Ws, StatusCode> {
    match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) => {
            Err(StatusCode::from_u16(resp.status().as_u16()).unwrap())
        }
        Ok(Err(e)) => panic!("handshake failed: {e}"),
        Err(_) => panic!("handshake timed out"),
    }
}

/// The next message that is not a WebSocket ping or pong.
async fn next_message(ws: &mut Ws) -> Message {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(m))) => return m,
            Ok(Some(Err(e))) => panic!("socket error: {e}"),
            Ok(None) => panic!("socket ended without a close frame"),
            Err(_) => panic!("no frame within {WAIT:?}"),
        }
    }
}

/// The next JSON frame.
async fn next_json(ws: &mut Ws) -> Value {
    match next_message(ws).await {
        Message::Text(t) => {
            let v: Value = serde_json::from_str(t.as_str()).expect("a JSON frame");
            assert_eq!(v["v"], 1, "{v}");
            v
        }
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// The next frame, which must be an `event`.
async fn next_event(ws: &mut Ws) -> Value {
    let v = next_json(ws).await;
    assert_eq!(v["type"], "event", "{v}");
    v
}

/// The close frame that ends the socket.
async fn close_frame(ws: &mut Ws) -> CloseFrame {
    match next_message(ws).await {
        Message::Close(Some(frame)) => frame,
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// Sends a ping and returns every frame up to the pong: proves that nothing else
/// was queued before it.
async fn until_pong(ws: &mut Ws) -> Vec<Value> {
    ws.send(Message::text(r#"{"v":1,"type":"ping"}"#))
        .await
        .unwrap();
    let mut before = Vec::new();
    loop {
        let v = next_json(ws).await;
        if v["type"] == "pong" {
            return before;
        }
        before.push(v);
    }
}

/// Hello, then `n` events.
async fn hello_and(ws: &mut Ws, n: usize) -> (Value, Vec<Value>) {
    let hello = next_json(ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    let mut events = Vec::new();
    for _ in 0..n {
        events.push(next_event(ws).await);
    }
    (hello, events)
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn hello_then_the_replay_then_a_release_arrives_live() {
    let s = setup().await;
    s.release("alert-a").await;
    s.release("note").await;

    let mut ws = s.connect(&s.controller, None).await;
    let (hello, replay) = hello_and(&mut ws, 4).await;
    assert_eq!(hello["head_seq"], 4, "{hello}");
    assert_eq!(hello["drill"]["id"], s.drill.as_str());
    assert_eq!(hello["drill"]["status"], "running");
    assert_eq!(hello["you"]["user_id"], s.controller.id.to_string());
    assert_eq!(hello["you"]["role"], "controller");
    assert!(hello["you"]["team_id"].is_null() && hello["you"]["side"].is_null());
    assert_eq!(seqs(&replay), [1, 2, 3, 4]);
    assert_eq!(replay[0]["kind"], "drill_created");
    assert_eq!(replay[1]["kind"], "drill_started");
    assert_eq!(replay[2]["data"]["key"], "alert-a");
    assert!(replay[2]["at"].is_string());

    let seq = s.release("alert-c").await;
    let live = next_event(&mut ws).await;
    assert_eq!(live["seq"], seq);
    assert_eq!(live["kind"], "inject_released");
    assert_eq!(live["data"]["key"], "alert-c");
    assert_eq!(live["data"]["audience"], "all");
    assert!(until_pong(&mut ws).await.is_empty(), "nothing sent twice");

    let mut mine = s.connect(&s.responder, None).await;
    let (hello, replay) = hello_and(&mut mine, 3).await;
    assert_eq!(hello["you"]["team_id"], s.blue.as_str());
    assert_eq!(hello["you"]["side"], "blue");
    assert_eq!(hello["you"]["role"], "responder");
    assert_eq!(
        seqs(&replay),
        [2, 3, 5],
        "neither drill_created nor the note is replayed to a responder"
    );
}

#[tokio::test]
async fn resume_with_since_after_a_disconnect_has_no_gaps_and_no_duplicates() {
    let s = setup().await;
    s.release("alert-a").await;
    let mut ws = s.connect(&s.responder, None).await;
    let (_, first) = hello_and(&mut ws, 2).await;
    s.release("alert-b").await;
    let live = next_event(&mut ws).await;
    let mut received = first;
    received.push(live);
    let last = received.last().unwrap()["seq"].as_i64().unwrap();
    drop(ws);

    // While disconnected: visible and invisible events.
    for key in ["red-step", "alert-c", "note", "alert-d"] {
        s.release(key).await;
    }
    let mut ws = s.connect(&s.responder, Some(last)).await;
    let missed = s.events(&s.responder, last).await;
    assert_eq!(missed.len(), 2, "alert-c and alert-d");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    for _ in 0..missed.len() {
        received.push(next_event(&mut ws).await);
    }
    // And one more while connected.
    s.release("alert-e").await;
    received.push(next_event(&mut ws).await);
    assert!(until_pong(&mut ws).await.is_empty(), "nothing sent twice");

    let got = seqs(&received);
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing: {got:?}"
    );
    assert_eq!(
        got,
        seqs(&s.events(&s.responder, 0).await),
        "exactly the visible log, no gaps"
    );
}

#[tokio::test]
async fn a_blue_responder_never_receives_a_red_event_while_a_controller_does() {
    let s = setup().await;
    let mut blue = s.connect(&s.responder, None).await;
    let mut ctl = s.connect(&s.controller, None).await;
    hello_and(&mut blue, 1).await;
    hello_and(&mut ctl, 2).await;

    let red_seq = s.release("red-step").await;
    let (status, body) = s
        .app
        .post(
            &s.controller,
            &format!("/api/v1/drills/{}/injects", s.drill),
            json!({"audience": "red", "channel": "news",
                   "title": {"vi": "Tấn công", "en": "Attack"}, "body": {"vi": "x", "en": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let all_seq = s.release("alert-c").await;

    let to_controller = [
        next_event(&mut ctl).await,
        next_event(&mut ctl).await,
        next_event(&mut ctl).await,
    ];
    assert_eq!(seqs(&to_controller), [red_seq, red_seq + 1, all_seq]);
    assert_eq!(to_controller[0]["data"]["audience"], "red");
    assert_eq!(to_controller[1]["data"]["audience"], "red");

    let to_blue = next_event(&mut blue).await;
    assert_eq!(to_blue["seq"], all_seq, "the red events were skipped");
    assert!(until_pong(&mut blue).await.is_empty());
}

#[tokio::test]
async fn since_out_of_range_is_refused_before_the_upgrade() {
    let s = setup().await;
    for since in ["-1", "3", "abc"] {
        assert_eq!(
            s.try_connect(&s.controller, Some(since)).await.err(),
            Some(StatusCode::UNPROCESSABLE_ENTITY),
            "since={since}"
        );
    }
    assert!(s.try_connect(&s.controller, Some("2")).await.is_ok());
    let stranger_org = s.app.org("khac", None).await;
    let stranger = s.app.user("nguoi-la", Role::Controller, stranger_org).await;
    assert_eq!(
        s.try_connect(&stranger, None).await.err(),
        Some(StatusCode::NOT_FOUND)
    );
    assert_eq!(
        s.try_connect(&s.controller.with_token("cd_made_up"), None)
            .await
            .err(),
        Some(StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn a_request_that_is_not_a_websocket_handshake_is_refused_in_the_envelope() {
    let s = setup().await;
    let url = s.app.url(&format!("/api/v1/drills/{}/live", s.drill));
    let client = reqwest::Client::new();
    let get = |version: &'static str, key: &'static str| {
        client
            .get(&url)
            .bearer_auth(&s.controller.token)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", version)
            .header("sec-websocket-key", key)
            .send()
    };
    let good_key = "dGhlIHNhbXBsZSBub25jZQ==";

    // Another protocol version: 426, naming the one this server speaks.
    let resp = get("8", good_key).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(resp.headers()["sec-websocket-version"], "13");
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].is_string(), "{body}");

    // A key that is not 16 bytes in base64.
    let resp = get("13", "c2hvcnQ=").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Sec-WebSocket-Key"),
        "{body}"
    );

    // A plain GET.
    let resp = client
        .get(&url)
        .bearer_auth(&s.controller.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // None of them counted as a socket: the user still has all 20.
    let mut open = Vec::new();
    for _ in 0..20 {
        open.push(s.connect(&s.controller, None).await);
    }
}

#[tokio::test]
async fn a_session_cookie_needs_the_same_origin() {
    let s = setup().await;
    let cookie = secret::new_secret();
    store::users::create_session(
        &s.app.db,
        s.controller.id,
        secret::sha256_hex(&cookie),
        chrono::Utc::now() + chrono::Duration::hours(1),
    )
    .await
    .unwrap();
    let with_origin = |origin: Option<&str>| {
        let mut req = s.path(None).into_client_request().unwrap();
        let h = req.headers_mut();
        h.insert(
            "cookie",
            HeaderValue::from_str(&format!("cyberdrill_session={cookie}")).unwrap(),
        );
        if let Some(o) = origin {
            h.insert("origin", HeaderValue::from_str(o).unwrap());
        }
        req
    };
    for origin in [
        Some("http://evil.example".to_owned()),
        None,
        Some(format!("http://{}.evil.example", s.app.addr)),
    ] {
        assert_eq!(
            handshake(with_origin(origin.as_deref())).await.err(),
            Some(StatusCode::FORBIDDEN),
            "origin {origin:?}"
        );
    }
    let mut ws = handshake(with_origin(Some(&s.app.base))).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "hello");
}

#[tokio::test]
async fn ping_pong_and_garbage_gets_an_error_frame_and_the_socket_stays() {
    let s = setup().await;
    let mut ws = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    assert!(until_pong(&mut ws).await.is_empty());
    for garbage in [
        "not json",
        r#"{"v":1,"type":"dance"}"#,
        r#"{"v":2,"type":"ping"}"#,
        r#"{"v":1,"type":"ack","inject_id":"nope"}"#,
    ] {
        ws.send(Message::text(garbage)).await.unwrap();
        let e = next_json(&mut ws).await;
        assert_eq!(e["type"], "error", "{garbage}: {e}");
        assert_eq!(e["code"], "bad_message", "{garbage}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    ws.send(Message::binary(vec![0u8, 159, 146, 150]))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "bad_message");
    assert!(until_pong(&mut ws).await.is_empty(), "still open");
    // The others are not affected.
    let seq = s.release("alert-a").await;
    assert_eq!(next_event(&mut ws).await["seq"], seq);
}

#[tokio::test]
async fn too_many_bad_messages_close_the_socket_with_1008() {
    let s = setup().await;
    let mut ws = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    for _ in 0..10 {
        ws.send(Message::text("{")).await.unwrap();
    }
    for _ in 0..9 {
        assert_eq!(next_json(&mut ws).await["code"], "bad_message");
    }
    assert_eq!(u16::from(close_frame(&mut ws).await.code), 1008);
}

#[tokio::test]
async fn an_ack_by_message_is_recorded_once_and_an_unreleased_inject_is_refused() {
    let s = setup().await;
    s.release("alert-a").await;
    let alert_a = s.inject_id("alert-a").await;
    let mut ws = s.connect(&s.responder, Some(3)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");

    let ack = json!({"v": 1, "type": "ack", "inject_id": alert_a}).to_string();
    ws.send(Message::text(ack.clone())).await.unwrap();
    let event = next_event(&mut ws).await;
    assert_eq!(event["kind"], "ack_recorded", "{event}");
    assert_eq!(event["data"]["inject_id"], alert_a.as_str());
    assert_eq!(event["data"]["team_id"], s.blue.as_str());
    assert_eq!(event["data"]["user_id"], s.responder.id.to_string());
    ws.send(Message::text(ack)).await.unwrap();
    assert!(
        until_pong(&mut ws).await.is_empty(),
        "the second ack records nothing"
    );

    // Not released yet.
    let alert_b = s.inject_id("alert-b").await;
    ws.send(Message::text(
        json!({"v": 1, "type": "ack", "inject_id": alert_b}).to_string(),
    ))
    .await
    .unwrap();
    let e = next_json(&mut ws).await;
    assert_eq!(
        (e["type"].as_str(), e["code"].as_str()),
        (Some("error"), Some("not_released")),
        "{e}"
    );
    // A red inject does not exist for a blue responder.
    s.release("red-step").await;
    let red = s.inject_id("red-step").await;
    ws.send(Message::text(
        json!({"v": 1, "type": "ack", "inject_id": red}).to_string(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "not_found");

    // The same ack over HTTP: 200 with the first one's time, nothing recorded.
    let (status, body) = s
        .app
        .post(
            &s.responder,
            &format!("/api/v1/drills/{}/acks", s.drill),
            json!({"inject_id": alert_a}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["received_at"], event["data"]["received_at"]);
    let acks: Vec<_> = s
        .events(&s.controller, 0)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "ack_recorded")
        .collect();
    assert_eq!(acks.len(), 1);
    let (status, body) = s
        .app
        .post(
            &s.responder,
            &format!("/api/v1/drills/{}/acks", s.drill),
            json!({"inject_id": alert_b}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["fields"]["inject_id"].as_str().map(|_| ()),
        Some(())
    );
}

#[tokio::test]
async fn an_acknowledgement_over_http_is_201_then_200() {
    let s = setup().await;
    s.release("alert-c").await;
    let id = s.inject_id("alert-c").await;
    let path = format!("/api/v1/drills/{}/acks", s.drill);
    let (status, first) = s
        .app
        .post(&s.responder, &path, json!({"inject_id": id}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(first["received_at"].is_string());
    let (status, again) = s
        .app
        .post(&s.responder, &path, json!({"inject_id": id}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["seq"], first["seq"]);
}

#[tokio::test]
async fn a_10_mb_frame_closes_the_socket_with_1009_and_others_carry_on() {
    let s = setup().await;
    let mut other = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut other).await["type"], "hello");
    let mut ws = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");

    let big = "x".repeat(10 * 1024 * 1024);
    // The server stops reading after the frame's header; the write may never finish.
    let _ = tokio::time::timeout(Duration::from_millis(500), ws.send(Message::text(big))).await;
    let code = loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(f))))) => break Some(u16::from(f.code)),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(_)) | None) => break None,
            Err(_) => panic!("the socket stayed open"),
        }
    };
    assert_eq!(code, Some(1009));

    let seq = s.release("alert-a").await;
    assert_eq!(next_event(&mut other).await["seq"], seq);
}

#[tokio::test]
async fn a_client_that_closes_gets_its_close_answered() {
    let s = setup().await;
    let mut ws = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    ws.send(Message::Close(Some(CloseFrame {
        code: 1000.into(),
        reason: "bye".into(),
    })))
    .await
    .unwrap();
    assert_eq!(u16::from(close_frame(&mut ws).await.code), 1000);
    match tokio::time::timeout(WAIT, ws.next()).await {
        Ok(None | Some(Err(_))) => {}
        other => panic!("expected the end of the socket, got {other:?}"),
    }
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001() {
    let s = setup().await;
    let mut ws = s.connect(&s.controller, None).await;
    hello_and(&mut ws, 2).await;
    let Live { app, .. } = s;
    let stopping = tokio::spawn(app.stop());
    let frame = close_frame(&mut ws).await;
    assert_eq!(u16::from(frame.code), 1001);
    tokio::time::timeout(WAIT, stopping)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_user_may_hold_20_sockets_and_the_21st_is_refused_with_429() {
    let s = setup().await;
    let mut open = Vec::new();
    for _ in 0..20 {
        let mut ws = s.connect(&s.responder, Some(1)).await;
        assert_eq!(next_json(&mut ws).await["type"], "hello");
        open.push(ws);
    }
    assert_eq!(
        s.try_connect(&s.responder, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
    // Another user is not affected.
    let mut ws = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut ws).await["type"], "hello");
}

#[tokio::test]
async fn the_per_user_socket_limit_is_configurable() {
    let s = setup_with(TestApp::spawn_with(|c| c.live_max_sockets_per_user = 2).await).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut ws = s.connect(&s.responder, Some(1)).await;
        assert_eq!(next_json(&mut ws).await["type"], "hello");
        open.push(ws);
    }
    assert_eq!(
        s.try_connect(&s.responder, None).await.err(),
        Some(StatusCode::TOO_MANY_REQUESTS)
    );
}

/// Commits `n` events of `size` bytes of filler each, for `audience`, in one
/// transaction; the publisher finds them by its once-a-second poll, as it would a
/// write by another server, and fans them out a page (500) at a time.
async fn commit_fillers(s: &Live, n: usize, size: usize, audience: &str) {
    let drill: Uuid = s.drill.parse().unwrap();
    let filler = "x".repeat(size);
    let txn = s.app.db.begin().await.unwrap();
    for i in 0..n {
        drill_log::append(
            &txn,
            drill,
            NewEvent {
                kind: "score_updated",
                actor_id: None,
                audience: audience.into(),
                data: json!({"n": i, "filler": filler}),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
}

#[tokio::test]
async fn a_socket_that_falls_behind_is_told_to_resync_and_resumes_without_gaps() {
    let s = setup_with(TestApp::spawn_with(|c| c.live_lag_limit = 4).await).await;
    let mut behind = s.connect(&s.controller, Some(2)).await;
    let mut witness = s.connect(&s.responder, Some(2)).await;
    assert_eq!(next_json(&mut witness).await["type"], "hello");

    // A page of 500 red events of 64 KiB (32 MB), more than the socket buffers hold
    // while `behind` reads nothing, then one event for everyone. The publisher gives a
    // page to every socket before it reads the next, so once the blue `witness` (who
    // never sees red events) has the last event, `behind` has been given the whole
    // page, and more than 4 events wait for it.
    commit_fillers(&s, 500, 64 * 1024, "red").await;
    commit_fillers(&s, 1, 10, "all").await;
    assert_eq!(next_event(&mut witness).await["seq"], 503);

    // `behind` now reads what the socket took before the server gave up, in order,
    // then `resync` naming the last of them, and the close.
    assert_eq!(next_json(&mut behind).await["type"], "hello");
    let mut last = 2;
    let since = loop {
        let frame = next_json(&mut behind).await;
        match frame["type"].as_str() {
            Some("event") => {
                assert_eq!(frame["seq"], last + 1, "in order, no gaps");
                last += 1;
            }
            Some("resync") => break frame["since"].as_i64().unwrap(),
            _ => panic!("unexpected {frame}"),
        }
    };
    assert_eq!(since, last, "resync names the last event received");
    assert!(last < 502, "the socket fell behind");
    assert_eq!(u16::from(close_frame(&mut behind).await.code), 4000);

    // Resuming from there gives the rest, and nothing more.
    let mut ws = s.connect(&s.controller, Some(since)).await;
    let rest = (503 - since) as usize;
    let (_, events) = hello_and(&mut ws, rest).await;
    assert_eq!(seqs(&events), (since + 1..=503).collect::<Vec<_>>());
    assert!(until_pong(&mut ws).await.is_empty());
}

#[tokio::test]
async fn a_client_that_never_reads_does_not_hold_back_the_others() {
    let s = setup().await;
    let mut stuck = s.connect(&s.controller, Some(2)).await;
    let mut reader = s.connect(&s.controller, Some(2)).await;
    assert_eq!(next_json(&mut reader).await["type"], "hello");

    // About 13 MB of events: more than the socket buffers between the server and the
    // client that never reads, so its sends block; the other socket must not notice.
    commit_fillers(&s, 200, 64 * 1024, "all").await;
    s.release("alert-a").await;

    let mut last = 2;
    while last < 202 {
        let e = next_event(&mut reader).await;
        let seq = e["seq"].as_i64().unwrap();
        assert_eq!(seq, last + 1, "in order, no gaps");
        last = seq;
    }
    let released = next_event(&mut reader).await;
    assert_eq!(
        (released["seq"].as_i64(), released["data"]["key"].as_str()),
        (Some(203), Some("alert-a"))
    );
    // The stuck client is still connected and has read nothing yet.
    assert_eq!(next_json(&mut stuck).await["type"], "hello");
}
