//! Integration tests: what drill participants submit — detections, containments,
//! red actions and findings, incident reports, verdicts, evidence files — who sees
//! them (REST and the live socket), the refusals of issue #5 (nothing stored on any of
//! them), double submissions, and the scorecard's times against hand-computed values.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cyberdrill::domain::Role;
use cyberdrill::entities::{drill_event, drill_evidence, drill_record};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use uuid::Uuid;

use crate::drills::{InjectSpec, store_scenario};
use crate::helpers::{TestApp, TestUser, assert_error};

const INJECTS: &[InjectSpec<'static>] = &[
    ("alert-a", None, "blue"),
    ("alert-b", None, "blue"),
    ("red-brief", None, "red"),
    ("held", None, "blue"),
];

struct Drill {
    app: TestApp,
    controller: TestUser,
    evaluator: TestUser,
    observer: TestUser,
    /// Responders of blue team A, blue team B and the red team.
    a: TestUser,
    b: TestUser,
    red: TestUser,
    team_a: String,
    team_b: String,
    red_team: String,
    system: String,
    id: String,
}

/// A started tabletop drill with blue teams A and B and a red team, one responder in
/// each, a controller, an evaluator and an observer of the organising organisation.
async fn setup() -> Drill {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let evaluator = app.user("giam-khao", Role::Evaluator, org).await;
    let observer = app.user("quan-sat", Role::Observer, org).await;
    let scenario = store_scenario(&app, org, "records-test", INJECTS).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let team_a = app.team(&controller, "Đội A").await;
    let team_b = app.team(&controller, "Đội B").await;
    let (status, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội tấn công", "side": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{red}");
    let red_team = red["id"].as_str().unwrap().to_owned();
    let mut members = Vec::new();
    for (name, team) in [
        ("ung-cuu-a", &team_a),
        ("ung-cuu-b", &team_b),
        ("tan-cong", &red_team),
    ] {
        let user = app.user(name, Role::Responder, org).await;
        app.member(
            &controller,
            team,
            json!({"full_name": name, "employment": "in_house", "user_id": user.id}),
        )
        .await;
        members.push(user);
    }
    let (status, drill) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": "Diễn tập ghi nhận",
                "kind": "tabletop",
                "system_ids": [system],
                "teams": [
                    {"team_id": team_a, "side": "blue"},
                    {"team_id": team_b, "side": "blue"},
                    {"team_id": red_team, "side": "red"},
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let id = drill["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            &controller,
            &format!("/api/v1/drills/{id}/start"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let red = members.pop().unwrap();
    let b = members.pop().unwrap();
    let a = members.pop().unwrap();
    Drill {
        app,
        controller,
        evaluator,
        observer,
        a,
        b,
        red,
        team_a,
        team_b,
        red_team,
        system,
        id,
    }
}

impl Drill {
    fn path(&self, rest: &str) -> String {
        format!("/api/v1/drills/{}/{rest}", self.id)
    }

    async fn post(&self, user: &TestUser, rest: &str, body: Value) -> (StatusCode, Value) {
        self.app.post(user, &self.path(rest), body).await
    }

    async fn created(&self, user: &TestUser, rest: &str, body: Value) -> Value {
        let (status, created) = self.post(user, rest, body).await;
        assert_eq!(status, StatusCode::CREATED, "{rest}: {created}");
        created
    }

    /// Releases an inject; returns its id and the server's `released_at`.
    async fn release(&self, key: &str) -> (String, DateTime<Utc>) {
        let (status, body) = self
            .post(
                &self.controller,
                &format!("injects/{key}/release"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["inject_id"].as_str().unwrap().to_owned(),
            time(&body["released_at"]),
        )
    }

    async fn inject_id(&self, key: &str) -> String {
        let (_, body) = self.app.get(&self.controller, &self.path("timeline")).await;
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .unwrap()["inject_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn list(&self, user: &TestUser, rest: &str) -> Vec<Value> {
        let (status, body) = self.app.get(user, &self.path(rest)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    async fn event_kinds(&self, user: &TestUser) -> Vec<String> {
        let (status, body) = self.app.get(user, &self.path("events")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Rows of records, evidence and events: a refusal must change none of them.
    async fn written(&self) -> (u64, u64, u64) {
        (
            self.app.count(drill_record::Entity).await,
            self.app.count(drill_evidence::Entity).await,
            self.app.count(drill_event::Entity).await,
        )
    }

    async fn upload(
        &self,
        user: &TestUser,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .unwrap();
        let form = reqwest::multipart::Form::new().part("file", part);
        let resp = reqwest::Client::new()
            .post(self.app.url(&self.path("evidence")))
            .bearer_auth(&user.token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// Whole milliseconds between two server stamps, in seconds: the scorecard's unit.
fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 1000.0
}

fn detection(title: &str) -> Value {
    json!({"title": title, "description": "Cảnh báo WAF: truy cập /upload.php bất thường"})
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

fn initial_form() -> Value {
    json!({
        "reporter_org": "Sở TT&TT", "reporter_address": "1 Lê Lợi, Hải Phòng",
        "reporter_phone": "0225 3822 000", "reporter_email": "attt@haiphong.gov.vn",
        "contact_name": "Nguyễn Văn An", "contact_phone": "0912 000 000", "contact_email": "an@haiphong.gov.vn",
        "operator": "Trung tâm CNTT", "description": "Webshell trên cổng dịch vụ công",
        "detected_at": "2026-11-21T15:04:00+07:00", "status": "not_handled",
        "detection_methods": ["ids"], "notified": ["coordinator"], "reported_at": "2026-11-21T15:30:00+07:00",
    })
}

#[tokio::test]
async fn a_blue_responder_records_a_detection_stamped_by_the_server_and_only_their_team_sees_it() {
    let d = setup().await;
    let (inject, _) = d.release("alert-a").await;
    let script = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let created = d
        .created(
            &d.a,
            "detections",
            json!({
                "inject_id": inject, "title": script, "description": "Thấy tệp lạ",
                "technique": "T1505.003", "system_id": d.system,
                "observed_at": "2026-11-21T15:04:05.123+07:00",
            }),
        )
        .await;
    // Server time with microseconds; the client's claim kept beside it, in UTC.
    let received = created["received_at"].as_str().unwrap();
    assert_eq!(
        received.len(),
        "2026-11-21T08:00:00.123456Z".len(),
        "{received}"
    );
    assert!(received.ends_with('Z'));
    assert_eq!(created["observed_at"], "2026-11-21T08:04:05.123000Z");
    assert_eq!(created["team_id"], d.team_a.as_str());
    assert_eq!(
        created["technique_name"],
        "Server Software Component: Web Shell"
    );
    // Script is stored and returned as the text it was: a JSON string, never markup.
    assert_eq!(created["title"], script);

    let mine = d.list(&d.a, "detections").await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["title"], script);
    assert!(
        d.list(&d.b, "detections").await.is_empty(),
        "team B never sees team A's detection"
    );
    assert!(d.list(&d.red, "detections").await.is_empty());
    for staff in [&d.controller, &d.evaluator, &d.observer] {
        assert_eq!(d.list(staff, "detections").await.len(), 1);
    }
    assert!(
        d.event_kinds(&d.a)
            .await
            .contains(&"detection_recorded".to_owned())
    );
    assert!(
        !d.event_kinds(&d.b)
            .await
            .contains(&"detection_recorded".to_owned())
    );
}

#[tokio::test]
async fn a_red_action_is_never_seen_by_blue_on_rest_or_on_the_socket() {
    let d = setup().await;
    let action = d
        .created(
            &d.red,
            "red-actions",
            json!({"technique": "T1190", "system_id": d.system, "title": "Khai thác upload",
                   "description": "Tải webshell qua form upload"}),
        )
        .await;
    // No claimed time: executed_at is the receipt time, and the claim is empty.
    assert_eq!(action["executed_at"], action["received_at"]);
    assert!(action["executed_at_claimed"].is_null());
    assert_eq!(action["team_id"], d.red_team.as_str());
    // Then a detection of team A, so its socket has something after the red action.
    d.created(&d.a, "detections", detection("Phát hiện webshell"))
        .await;

    assert!(d.list(&d.a, "red-actions").await.is_empty());
    assert_eq!(d.list(&d.red, "red-actions").await.len(), 1);
    assert_eq!(d.list(&d.controller, "red-actions").await.len(), 1);
    assert!(
        !d.event_kinds(&d.a)
            .await
            .contains(&"red_action_recorded".to_owned())
    );

    // The socket replays in seq order: the red action (earlier) would come before
    // the team's own detection if blue could see it.
    let url = format!(
        "{}/api/v1/drills/{}/live",
        d.app.base.replacen("http://", "ws://", 1),
        d.id
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", d.a.token)).unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let mut kinds = Vec::new();
    while !kinds.contains(&"detection_recorded".to_owned()) {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(text) = msg {
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["type"] == "event" {
                kinds.push(v["kind"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(
        !kinds.contains(&"red_action_recorded".to_owned()),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn refusals_of_issue_5_store_nothing() {
    let d = setup().await;
    // Another organisation's controller: the drill does not exist for them.
    let other_org = d.app.org("tinh-khac", None).await;
    let outsider = d.app.user("nguoi-ngoai", Role::Controller, other_org).await;
    let before = d.written().await;

    let mut body = detection("x");
    body["team_id"] = json!(d.team_a);
    let (status, err) = d.post(&outsider, "detections", body).await;
    assert_error(status, &err, StatusCode::NOT_FOUND, "not_found", None);

    // An inject not released yet: 409 naming inject_id, for a detection and an ack.
    let held = d.inject_id("held").await;
    let mut body = detection("x");
    body["inject_id"] = json!(held);
    let (status, err) = d.post(&d.a, "detections", body).await;
    assert_error(
        status,
        &err,
        StatusCode::CONFLICT,
        "conflict",
        Some("inject_id"),
    );
    let (status, err) = d.post(&d.a, "acks", json!({"inject_id": held})).await;
    assert_error(
        status,
        &err,
        StatusCode::CONFLICT,
        "conflict",
        Some("inject_id"),
    );

    // A report of an unknown kind, and one with a mandatory field missing.
    let (status, err) = d
        .post(
            &d.a,
            "reports",
            json!({"kind": "gossip", "recipients": ["owner"], "form": {}}),
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("kind"),
    );
    let mut form = initial_form();
    form.as_object_mut().unwrap().remove("description");
    let (status, err) = d
        .post(
            &d.a,
            "reports",
            json!({"kind": "initial", "recipients": ["coordinator"], "form": form}),
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("form.description"),
    );

    // Unknown technique, a system that is no target, a blue responder as red, an
    // evaluator submitting a detection, a responder judging.
    let mut body = detection("x");
    body["technique"] = json!("T9999");
    let (status, err) = d.post(&d.a, "detections", body).await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("technique"),
    );
    let mut body = detection("x");
    body["system_id"] = json!(Uuid::now_v7());
    let (status, err) = d.post(&d.a, "detections", body).await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("system_id"),
    );
    let (status, _) = d
        .post(
            &d.a,
            "red-actions",
            json!({"technique": "T1190", "system_id": d.system, "title": "x", "description": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = d.post(&d.evaluator, "detections", detection("x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = d
        .post(
            &d.a,
            "evaluations",
            json!({"target": "report", "report_id": Uuid::now_v7(), "quality": 4}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Files: over 20 MB (413), and an HTML page that claims to be a PNG (422).
    let (status, err) = d
        .upload(
            &d.a,
            "big.png",
            "image/png",
            vec![0u8; 20 * 1024 * 1024 + 1],
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    let html = b"<!doctype html><html><script>fetch('/api/v1/me')</script></html>".to_vec();
    let (status, err) = d.upload(&d.a, "screenshot.png", "image/png", html).await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("file"),
    );

    assert_eq!(d.written().await, before, "nothing stored on any refusal");
    let leftovers: Vec<_> = std::fs::read_dir(d.app.evidence_dir.path().join("tmp"))
        .map(|dir| dir.flatten().collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "no partial files left: {leftovers:?}");
}

#[tokio::test]
async fn a_200_mb_upload_is_refused_without_being_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let d = setup().await;
    let before = d.written().await;
    // Announce 200 MB and send only the first 4 KiB: the answer must come without
    // the server waiting for (or buffering) the rest.
    let mut socket = tokio::net::TcpStream::connect(d.app.addr).await.unwrap();
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n",
        d.path("evidence"),
        d.app.addr,
        d.a.token,
        200u64 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&[b'x'; 4096]).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .expect("an answer before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(d.written().await, before);
}

#[tokio::test]
async fn a_double_submitted_form_is_stored_once() {
    let d = setup().await;
    let sid = Uuid::new_v4();
    let mut body = detection("Phát hiện quét cổng");
    body["submission_id"] = json!(sid);
    let first = d.created(&d.a, "detections", body.clone()).await;
    let events = d.written().await;
    let (status, again) = d.post(&d.a, "detections", body).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["received_at"], first["received_at"]);
    assert_eq!(d.written().await, events, "nothing appended");
    assert_eq!(d.list(&d.a, "detections").await.len(), 1);
    // Another author may use the same key: it is theirs, per drill and author.
    let mut body = detection("Đội B");
    body["submission_id"] = json!(sid);
    d.created(&d.b, "detections", body).await;
}

#[tokio::test]
async fn containments_findings_reports_and_verdicts_round_trip_with_their_audiences() {
    let d = setup().await;
    let det = d.created(&d.a, "detections", detection("Webshell")).await;
    let det_id = det["id"].as_str().unwrap();
    let png = d
        .upload(&d.a, "ảnh chụp.png", "image/png", PNG.to_vec())
        .await;
    assert_eq!(png.0, StatusCode::CREATED, "{}", png.1);
    let evidence_id = png.1["id"].as_str().unwrap();
    assert_eq!(png.1["content_type"], "image/png");
    assert_eq!(png.1["size"], PNG.len());
    assert_eq!(png.1["sha256"].as_str().unwrap().len(), 64);

    let contain = d
        .created(
            &d.a,
            "containments",
            json!({"detection_id": det_id, "action": "block_ip", "description": "Chặn 203.0.113.7",
                   "evidence_ids": [evidence_id]}),
        )
        .await;
    // Team B cannot contain team A's detection, nor attach team A's evidence.
    let (status, err) = d
        .post(
            &d.b,
            "containments",
            json!({"detection_id": det_id, "action": "isolate", "description": "x",
                                           "evidence_ids": [evidence_id]}),
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("detection_id"),
    );
    assert!(
        err["error"]["fields"]["evidence_ids.0"].is_string(),
        "{err}"
    );

    let initial = d
        .created(
            &d.a,
            "reports",
            json!({"kind": "initial", "detection_id": det_id, "recipients": ["owner", "coordinator"], "form": initial_form()}),
        )
        .await;
    assert_eq!(
        initial["form"]["detected_at"],
        "2026-11-21T08:04:00.000000Z"
    );
    let closure_form = json!({"reporter_name": "Sở TT&TT", "reporter_address": "1 Lê Lợi", "reporter_phone": "0225",
        "reporter_email": "a@b.vn", "operator": "Trung tâm CNTT", "detected_at": "2026-11-21T08:04:00Z",
        "handling_result": "Đã gỡ webshell, vá lỗ hổng upload", "damage_downtime_minutes": 45});
    // A closure must close an initial report of the same team.
    let (status, err) = d
        .post(&d.b, "reports", json!({"kind": "closure", "initial_report_id": initial["id"], "recipients": ["owner"], "form": closure_form}))
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("initial_report_id"),
    );
    let closure = d
        .created(&d.a, "reports", json!({"kind": "closure", "initial_report_id": initial["id"], "recipients": ["owner"], "form": closure_form}))
        .await;
    assert_eq!(closure["form"]["damage_downtime_minutes"], 45);

    let finding = d
        .created(
            &d.red,
            "red-findings",
            json!({"system_id": d.system, "vuln_name": "Upload không kiểm tra", "vuln_class": "unrestricted_upload",
                   "severity": "high", "impact": {"resources": "Chiếm máy chủ web", "data": "Đọc CSDL hồ sơ", "users": "Lộ dữ liệu công dân"},
                   "endpoint": "https://dvc.example.vn/upload.php", "steps": "1. Tải shell.php", "remediation": "Kiểm tra loại tệp"}),
        )
        .await;
    assert!(d.list(&d.a, "red-findings").await.is_empty());

    // Verdicts, by the evaluator; a later one supersedes the earlier.
    let first = d
        .created(
            &d.evaluator,
            "evaluations",
            json!({"target": "containment", "containment_id": contain["id"], "effective": false}),
        )
        .await;
    let second = d
        .created(&d.evaluator, "evaluations", json!({"target": "containment", "containment_id": contain["id"], "effective": true, "note": "Đã xác minh"}))
        .await;
    d.created(
        &d.evaluator,
        "evaluations",
        json!({"target": "report", "report_id": initial["id"], "quality": 3}),
    )
    .await;
    d.created(&d.evaluator, "evaluations", json!({"target": "red_finding", "finding_id": finding["id"], "accepted": true, "severity": "critical"}))
        .await;
    let (status, err) = d
        .post(
            &d.evaluator,
            "evaluations",
            json!({"target": "report", "report_id": initial["id"], "quality": 5}),
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("quality"),
    );
    let (status, err) = d
        .post(&d.evaluator, "evaluations", json!({"target": "mood"}))
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("target"),
    );
    let (status, err) = d
        .post(
            &d.evaluator,
            "evaluations",
            json!({"target": "detection", "detection_id": det_id}),
        )
        .await;
    assert_error(
        status,
        &err,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("links"),
    );

    // Team A sees the verdicts on its own submissions, which one is current; team B
    // none; the red side the one on its finding.
    let verdicts = d.list(&d.a, "evaluations").await;
    assert_eq!(verdicts.len(), 3, "{verdicts:?}");
    let current = |id: &Value| verdicts.iter().find(|v| v["id"] == *id).unwrap()["current"].clone();
    assert_eq!(current(&first["id"]), false);
    assert_eq!(current(&second["id"]), true);
    assert!(d.list(&d.b, "evaluations").await.is_empty());
    assert_eq!(d.list(&d.red, "evaluations").await.len(), 1);

    let (status, card) = d.app.get(&d.controller, &d.path("scorecard")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["red_findings"]["accepted"]["critical"], 1);
    let team_a = card["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == d.team_a.as_str())
        .unwrap();
    assert_eq!(team_a["containments_effective"], 1);
    assert_eq!(team_a["mean_report_quality"], 3.0);

    // Evidence: the uploader's team may download it, as an attachment that cannot
    // run; team B may not know it exists.
    let resp = reqwest::Client::new()
        .get(d.app.url(&d.path(&format!("evidence/{evidence_id}"))))
        .bearer_auth(&d.a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), PNG);
    let (status, _) = d
        .app
        .get(&d.b, &d.path(&format!("evidence/{evidence_id}")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = d
        .app
        .get(&d.observer, &d.path(&format!("evidence/{evidence_id}")))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_text_file_is_served_as_an_opaque_download() {
    let d = setup().await;
    let (status, up) = d
        .upload(
            &d.a,
            "log.html",
            "text/html",
            b"<html><script>alert(1)</script></html>".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let resp = reqwest::Client::new()
        .get(
            d.app
                .url(&d.path(&format!("evidence/{}", up["id"].as_str().unwrap()))),
        )
        .bearer_auth(&d.controller.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/octet-stream");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
}

#[tokio::test]
async fn the_scorecard_matches_hand_computed_times_to_the_millisecond() {
    let d = setup().await;
    // Inject alert-a: released, acknowledged, detected (linked by the team), reported.
    let (inject, released_at) = d.release("alert-a").await;
    let (status, ack) = d.post(&d.a, "acks", json!({"inject_id": inject})).await;
    assert_eq!(status, StatusCode::CREATED, "{ack}");
    let acked_at = time(&ack["received_at"]);
    let mut body = detection("Cảnh báo WAF");
    body["inject_id"] = json!(inject);
    let det1 = d.created(&d.a, "detections", body).await;
    let det1_at = time(&det1["received_at"]);
    let report = d
        .created(
            &d.a,
            "reports",
            json!({"kind": "initial", "detection_id": det1["id"], "recipients": ["owner"], "form": initial_form()}),
        )
        .await;
    let reported_at = time(&report["received_at"]);

    // A red action claimed at a time; the evaluator verifies another; team A's second
    // detection is linked to it by the evaluator.
    let red = d
        .created(
            &d.red,
            "red-actions",
            json!({"technique": "T1190", "system_id": d.system, "title": "Khai thác", "description": "x",
                   "executed_at": "2026-11-21T08:00:00+00:00"}),
        )
        .await;
    assert_eq!(red["executed_at_claimed"], "2026-11-21T08:00:00.000000Z");
    let det2 = d
        .created(&d.a, "detections", detection("Máy chủ gọi ra ngoài"))
        .await;
    let det2_at = time(&det2["received_at"]);
    let verified = released_at - chrono::Duration::milliseconds(61_234);
    d.created(
        &d.evaluator,
        "evaluations",
        json!({"target": "red_action", "red_action_id": red["id"], "verified_executed_at": cyberdrill::time::rfc3339_micros(verified)}),
    )
    .await;
    d.created(
        &d.evaluator,
        "evaluations",
        json!({"target": "detection", "detection_id": det2["id"], "links": {"red_action_id": red["id"]}}),
    )
    .await;

    let (status, card) = d.app.get(&d.controller, &d.path("scorecard")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["drill_id"], d.id.as_str());
    let teams = card["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 2, "both blue teams, not the red one");
    let a = teams
        .iter()
        .find(|t| t["team_id"] == d.team_a.as_str())
        .unwrap();
    let b = teams
        .iter()
        .find(|t| t["team_id"] == d.team_b.as_str())
        .unwrap();

    let ms_inject = (det1_at - released_at).num_milliseconds();
    let ms_red = (det2_at - verified).num_milliseconds();
    let mut sorted = [secs(released_at, det1_at), secs(verified, det2_at)];
    sorted.sort_by(f64::total_cmp);
    let mean = ((ms_inject + ms_red) as f64 / 2.0).round() / 1000.0;
    assert_eq!(a["mean_time_to_detect_s"].as_f64(), Some(mean), "{a}");
    assert_eq!(
        a["median_time_to_detect_s"].as_f64(),
        Some(mean),
        "even set: mean of the middle two"
    );
    assert_eq!(a["p90_time_to_detect_s"].as_f64(), Some(sorted[1]));
    assert_eq!(
        (a["detected"].as_u64(), a["undetected"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(
        a["mean_time_to_acknowledge_s"].as_f64(),
        Some(secs(released_at, acked_at))
    );
    assert_eq!(
        a["mean_time_to_report_s"].as_f64(),
        Some(secs(det1_at, reported_at))
    );
    assert_eq!(a["reported"], 1);
    assert_eq!(
        a["unreported"], 1,
        "the second detection has no initial report"
    );

    // Team B did nothing: its items are counted as undetected, not dropped.
    assert_eq!(b["detected"], 0);
    assert_eq!(b["undetected"], 1, "the red action");
    assert!(b["mean_time_to_detect_s"].is_null());
    assert_eq!(b["unacknowledged"], 1);

    // A blue responder sees their own team only; the red side has no scorecard.
    let (status, own) = d.app.get(&d.b, &d.path("scorecard")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(own["teams"].as_array().unwrap().len(), 1);
    assert_eq!(own["teams"][0]["team_id"], d.team_b.as_str());
    let (status, _) = d.app.get(&d.red, &d.path("scorecard")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn service_checks_give_each_blue_team_its_availability_and_refuse_bad_input() {
    let d = setup().await;
    let check = |team: &str, up: bool| json!({"team_id": team, "system_id": d.system, "up": up});

    // Team A: three checks, one found the service down; team B: none.
    for (user, up) in [
        (&d.controller, true),
        (&d.evaluator, false),
        (&d.evaluator, true),
    ] {
        let saved = d
            .created(user, "service-checks", check(&d.team_a, up))
            .await;
        assert_eq!(saved["up"], up);
        assert!(saved["checked_at"].is_string(), "{saved}");
    }
    let claimed = d
        .created(
            &d.controller,
            "service-checks",
            json!({"team_id": d.team_a, "system_id": d.system, "up": true,
                   "checked_at": "2026-11-22T01:02:03Z", "note": "HTTP 200 trong 120 ms"}),
        )
        .await;
    assert_eq!(claimed["checked_at_claimed"], "2026-11-22T01:02:03.000000Z");
    assert_eq!(claimed["note"], "HTTP 200 trong 120 ms");

    // Refused, and nothing written: a responder may not record them; the red team
    // and another organisation's system are not targets; unknown fields are named.
    let before = d.written().await;
    let (status, _) = d.post(&d.a, "service-checks", check(&d.team_a, true)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = d
        .post(&d.controller, "service-checks", check(&d.red_team, true))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["team_id"].is_string(), "{body}");
    let (status, body) = d
        .post(
            &d.controller,
            "service-checks",
            json!({"team_id": d.team_a, "system_id": Uuid::now_v7(), "up": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["system_id"].is_string(), "{body}");
    let (status, body) = d
        .post(
            &d.controller,
            "service-checks",
            json!({"team_id": d.team_a, "system_id": d.system, "up": "yes"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(d.written().await, before);

    // Team A sees its own checks; team B sees none of them.
    assert_eq!(d.list(&d.a, "service-checks").await.len(), 4);
    assert!(d.list(&d.b, "service-checks").await.is_empty());

    let (status, card) = d.app.get(&d.controller, &d.path("scorecard")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    let team = |id: &str| {
        card["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team_id"] == id)
            .unwrap()
            .clone()
    };
    let a = team(&d.team_a);
    assert_eq!(
        (
            a["service_checks"].as_u64(),
            a["service_checks_up"].as_u64()
        ),
        (Some(4), Some(3))
    );
    assert_eq!(a["availability_pct"], 75.0);
    let b = team(&d.team_b);
    assert_eq!(b["service_checks"], 0);
    assert!(
        b["availability_pct"].is_null(),
        "not recorded, not 100: {b}"
    );
}
