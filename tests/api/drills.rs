//! Integration tests: drills — planning from a scenario version, the live-fire level
//! rule, the state machine over HTTP, the clock driven through `Scheduler::tick(now)`,
//! release-now, skip, ad-hoc injects, exactly-once releases, the event log with its
//! visibility, and the tamper-evident hash chain.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use cyberdrill::domain::Role;
use cyberdrill::domain::drill::Transition;
use cyberdrill::drill::scheduler::{LEASE_TTL, Scheduler};
use cyberdrill::entities::{drill, drill_event};
use cyberdrill::scenario::parse_scenario;
use cyberdrill::store::{self, scenarios::Owner};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, assert_error, field_error};

/// One inject of a test scenario: key, offset in seconds (`None` = manual), audience.
pub type InjectSpec<'a> = (&'a str, Option<u32>, &'a str);

/// A valid scenario file with the given injects and a long planned duration.
pub fn scenario_toml(slug: &str, injects: &[InjectSpec<'_>]) -> String {
    let mut s = format!(
        r#"id = "{slug}"
version = 1
title = {{ vi = "Kịch bản thử", en = "Test scenario" }}
summary = {{ vi = "Tóm tắt", en = "Summary" }}
category = "encryption"
techniques = ["T1486"]
min_level = 1
drill_kinds = ["tabletop", "functional", "live_fire"]
duration = "99:00:00"
objectives = [{{ vi = "Mục tiêu", en = "Objective" }}]
"#
    );
    for (key, offset, audience) in injects {
        let release = match offset {
            Some(secs) => format!(
                "offset = \"+{:02}:{:02}:{:02}\"",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            ),
            None => "manual = true".to_owned(),
        };
        s.push_str(&format!(
            r#"
[[injects]]
key = "{key}"
{release}
audience = "{audience}"
channel = "soc_alert"
title = {{ vi = "Cảnh báo {key}", en = "Alert {key}" }}
body = {{ vi = "Nội dung {key}", en = "Body {key}" }}
"#
        ));
    }
    s
}

/// Stores a scenario for `org` and returns its id.
pub async fn store_scenario(
    app: &TestApp,
    org: Uuid,
    slug: &str,
    injects: &[InjectSpec<'_>],
) -> Uuid {
    let scenario = parse_scenario(&scenario_toml(slug, injects)).expect("a valid test scenario");
    store::scenarios::save(&app.db, Owner::Org(org), &scenario, None)
        .await
        .expect("save the scenario")
        .loaded
        .summary
        .id
}

struct Setup {
    app: TestApp,
    controller: TestUser,
    scenario: Uuid,
    system: String,
    blue: String,
}

const INJECTS: &[InjectSpec<'static>] = &[
    ("alert-a", Some(600), "blue"),
    ("alert-b", Some(1800), "blue"),
    ("red-step", Some(2400), "red"),
    ("alert-c", Some(3600), "all"),
    ("note", None, "controllers"),
];

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let scenario = store_scenario(&app, org, "ransomware-test", INJECTS).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    Setup {
        app,
        controller,
        scenario,
        system,
        blue,
    }
}

fn drill_body(s: &Setup, kind: &str, speed: f64) -> Value {
    json!({
        "scenario_id": s.scenario,
        "title": "Diễn tập mã độc tống tiền 2026",
        "kind": kind,
        "system_ids": [s.system],
        "teams": [{"team_id": s.blue, "side": "blue"}],
        "speed": speed,
    })
}

async fn create_drill(s: &Setup, speed: f64) -> String {
    let (status, body) = s
        .app
        .post(
            &s.controller,
            "/api/v1/drills",
            drill_body(s, "tabletop", speed),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn act(s: &Setup, drill: &str, action: &str) -> (StatusCode, Value) {
    s.app
        .post(
            &s.controller,
            &format!("/api/v1/drills/{drill}/{action}"),
            json!({}),
        )
        .await
}

async fn events(s: &Setup, user: &TestUser, drill: &str, since: i64) -> Vec<Value> {
    let (status, body) = s
        .app
        .get(
            user,
            &format!("/api/v1/drills/{drill}/events?since={since}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

fn released_keys(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["kind"] == "inject_released")
        .map(|e| e["data"]["key"].as_str().unwrap().to_owned())
        .collect()
}

async fn timeline(s: &Setup, drill: &str) -> Vec<Value> {
    let (status, body) = s
        .app
        .get(&s.controller, &format!("/api/v1/drills/{drill}/timeline"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn entry<'a>(timeline: &'a [Value], key: &str) -> &'a Value {
    timeline
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in the timeline"))
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

async fn verify(s: &Setup, drill: &str) -> Value {
    let (status, body) = s
        .app
        .get(&s.controller, &format!("/api/v1/drills/{drill}/verify"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

// ---------------------------------------------------------------- planning

#[tokio::test]
async fn a_controller_plans_a_drill_with_a_snapshot_of_the_scenario_version() {
    let s = setup().await;

    let (status, created) = s
        .app
        .post(
            &s.controller,
            "/api/v1/drills",
            drill_body(&s, "tabletop", 2.0),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "planned");
    assert_eq!(created["kind"], "tabletop");
    assert_eq!(created["scenario_version"], 1);
    assert_eq!(created["scenario_slug"], "ransomware-test");
    assert_eq!(created["speed"], 2.0);
    assert_eq!(created["system_ids"], json!([s.system]));
    assert_eq!(
        created["teams"],
        json!([{"team_id": s.blue, "side": "blue"}])
    );
    assert_eq!(created["org_id"], s.controller.org_id.to_string());
    assert!(created["started_at"].is_null() && created["ended_at"].is_null());
    let id = created["id"].as_str().unwrap();
    let (status, read) = s
        .app
        .get(&s.controller, &format!("/api/v1/drills/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["head_seq"], 1, "drill_created is the first event");

    // A later version of the scenario does not change the planned drill.
    let changed = parse_scenario(&scenario_toml(
        "ransomware-test",
        &[("only-one", Some(60), "all")],
    ))
    .unwrap();
    store::scenarios::save(&s.app.db, Owner::Org(s.controller.org_id), &changed, None)
        .await
        .unwrap();
    let tl = timeline(&s, id).await;
    let keys: Vec<&str> = tl.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["alert-a", "alert-b", "red-step", "alert-c", "note"]);
    let a = entry(&tl, "alert-a");
    assert_eq!(a["offset_s"], 600.0);
    assert_eq!(a["state"], "pending");
    assert!(a["due_at"].is_null(), "no due time before the start: {a}");
    assert!(entry(&tl, "note")["offset_s"].is_null());

    let (status, list) = s.app.get(&s.controller, "/api/v1/drills").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn live_fire_drill_is_refused_for_a_level_2_system_and_a_tabletop_is_allowed() {
    let s = setup().await;
    let low = s.app.system(&s.controller, "Hệ thống thư điện tử", 2).await;
    let mut body = drill_body(&s, "live_fire", 1.0);
    body["system_ids"] = json!([s.system, low]);

    let (status, refused) = s
        .app
        .post(&s.controller, "/api/v1/drills", body.clone())
        .await;

    assert_error(
        status,
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("system_ids.1"),
    );
    let message = field_error(&refused, "system_ids.1").unwrap();
    assert!(
        message.contains("Hệ thống thư điện tử") && message.contains("level 2"),
        "{message}"
    );
    assert!(field_error(&refused, "system_ids.0").is_none());
    assert_eq!(s.app.count(drill::Entity).await, 0, "nothing written");

    body["kind"] = json!("tabletop");
    let (status, created) = s.app.post(&s.controller, "/api/v1/drills", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

#[tokio::test]
async fn bad_references_and_roles_are_refused_with_the_field_named() {
    let s = setup().await;
    let cases = [
        ("system_ids", json!([Uuid::new_v4()]), "system_ids.0"),
        (
            "teams",
            json!([{"team_id": Uuid::new_v4(), "side": "blue"}]),
            "teams.0.team_id",
        ),
        ("scenario_id", json!(Uuid::new_v4()), "scenario_id"),
        ("speed", json!(0.0), "speed"),
        ("title", json!("   "), "title"),
        ("system_ids", json!([]), "system_ids"),
        ("kind", json!("ctf"), "kind"),
    ];
    for (field, value, named) in cases {
        let mut body = drill_body(&s, "tabletop", 1.0);
        body[field] = value;
        let (status, resp) = s.app.post(&s.controller, "/api/v1/drills", body).await;
        assert_error(
            status,
            &resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(named),
        );
    }
    // A system of another organisation is not visible: named as unknown.
    let other_org = s.app.org("bo-khac", None).await;
    let other = s.app.user("khac", Role::Controller, other_org).await;
    let foreign = s.app.system(&other, "Hệ thống khác", 3).await;
    let mut body = drill_body(&s, "tabletop", 1.0);
    body["system_ids"] = json!([foreign]);
    let (status, resp) = s.app.post(&s.controller, "/api/v1/drills", body).await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("system_ids.0"),
    );

    let responder = s
        .app
        .user("ung-cuu", Role::Responder, s.controller.org_id)
        .await;
    let (status, resp) = s
        .app
        .post(
            &responder,
            "/api/v1/drills",
            drill_body(&s, "tabletop", 1.0),
        )
        .await;
    assert_error(status, &resp, StatusCode::FORBIDDEN, "forbidden", None);
    assert_eq!(s.app.count(drill::Entity).await, 0);

    // Drills of another organisation answer 404; unknown ids too.
    let id = create_drill(&s, 1.0).await;
    for path in [
        format!("/api/v1/drills/{id}"),
        format!("/api/v1/drills/{id}/timeline"),
        format!("/api/v1/drills/{id}/verify"),
    ] {
        let (status, resp) = s.app.get(&other, &path).await;
        assert_error(status, &resp, StatusCode::NOT_FOUND, "not_found", None);
    }
    let (status, resp) = s
        .app
        .post(&other, &format!("/api/v1/drills/{id}/start"), json!({}))
        .await;
    assert_error(status, &resp, StatusCode::NOT_FOUND, "not_found", None);
    for path in [
        format!("/api/v1/drills/{}/start", Uuid::new_v4()),
        "/api/v1/drills/not-a-uuid/start".to_owned(),
        format!("/api/v1/drills/{id}/injects/no-such-inject/release"),
        format!("/api/v1/drills/{id}/injects/{}/skip", Uuid::new_v4()),
    ] {
        let (status, resp) = s.app.post(&s.controller, &path, json!({})).await;
        assert_error(status, &resp, StatusCode::NOT_FOUND, "not_found", None);
    }
}

// ---------------------------------------------------------------- the state machine

#[tokio::test]
async fn the_state_machine_refuses_illegal_transitions_and_records_each_legal_one() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;

    let (status, resp) = act(&s, &id, "pause").await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    let (status, started) = act(&s, &id, "start").await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["status"], "running");
    assert!(started["started_at"].is_string());
    let (status, resp) = act(&s, &id, "start").await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    let (status, resp) = act(&s, &id, "resume").await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    assert_eq!(act(&s, &id, "pause").await.0, StatusCode::OK);
    assert_eq!(act(&s, &id, "pause").await.0, StatusCode::CONFLICT);
    assert_eq!(act(&s, &id, "resume").await.0, StatusCode::OK);
    let (status, ended) = act(&s, &id, "end").await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["status"], "ended");
    assert!(ended["ended_at"].is_string());
    for action in [
        "start",
        "pause",
        "resume",
        "end",
        "injects/alert-a/release",
        "injects/alert-a/skip",
    ] {
        let (status, resp) = act(&s, &id, action).await;
        assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    }
    let (status, resp) = s
        .app
        .post(&s.controller, &format!("/api/v1/drills/{id}/injects"), json!({"audience": "all", "channel": "email", "title": {"vi": "a", "en": "a"}, "body": {"vi": "", "en": ""}}))
        .await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);

    let log = events(&s, &s.controller, &id, 0).await;
    assert_eq!(
        kinds(&log),
        [
            "drill_created",
            "drill_started",
            "drill_paused",
            "drill_resumed",
            "drill_ended"
        ],
        "refused requests recorded nothing"
    );
    for e in &log[1..] {
        assert_eq!(e["actor_id"], s.controller.id.to_string(), "who: {e}");
        assert!(e["at"].is_string(), "when: {e}");
        assert_eq!(
            e["data"]["status"],
            e["kind"]
                .as_str()
                .unwrap()
                .replace("drill_", "")
                .replace("started", "running")
                .replace("resumed", "running")
        );
    }
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    let tl = timeline(&s, &id).await;
    assert!(
        tl.iter().all(|e| e["state"] == "pending"),
        "ending leaves injects pending"
    );
    assert_eq!(verify(&s, &id).await["ok"], true);
}

// ---------------------------------------------------------------- the clock

#[tokio::test]
async fn injects_fall_due_by_the_clock_through_a_pause_at_double_speed() {
    let s = setup().await;
    let id = create_drill(&s, 2.0).await;
    let drill_id: Uuid = id.parse().unwrap();
    let scheduler = Scheduler::new(s.app.db.clone(), Arc::new(Notify::new()));
    let actor = Some(s.controller.id);
    let t0 = Utc::now().trunc_subsecs(6);
    let at = |secs: i64| t0 + Duration::seconds(secs);
    let db = &s.app.db;

    store::drills::transition(db, drill_id, Transition::Start, actor, t0)
        .await
        .unwrap();
    // alert-a: 10 drill minutes at 2x = 5 wall minutes.
    assert!(scheduler.tick(at(299)).await.unwrap().released.is_empty());
    let report = scheduler.tick(at(300)).await.unwrap();
    assert_eq!(report.released.len(), 1);
    assert_eq!(report.released[0].key, "alert-a");
    assert_eq!(report.released[0].late_by_ms, Some(0));
    assert_eq!(
        report.next_due,
        Some(at(900)),
        "alert-b: 30 drill minutes = 15 wall minutes"
    );

    // Paused at 10 wall minutes (20 drill minutes): everything pending is held.
    store::drills::transition(db, drill_id, Transition::Pause, actor, at(600))
        .await
        .unwrap();
    assert!(scheduler.tick(at(7200)).await.unwrap().released.is_empty());
    let tl = timeline(&s, &id).await;
    assert!(
        entry(&tl, "alert-b")["due_at"].is_null(),
        "no due time while paused"
    );
    assert_eq!(time(&entry(&tl, "alert-a")["due_at"]), at(300));

    // Resumed at 40 wall minutes: alert-b (10 drill minutes left) is due 5 minutes on.
    store::drills::transition(db, drill_id, Transition::Resume, actor, at(2400))
        .await
        .unwrap();
    let tl = timeline(&s, &id).await;
    assert_eq!(time(&entry(&tl, "alert-b")["due_at"]), at(2700));
    assert_eq!(time(&entry(&tl, "alert-c")["due_at"]), at(3600));
    assert!(scheduler.tick(at(2699)).await.unwrap().released.is_empty());
    let late = at(2700) + Duration::milliseconds(250);
    let report = scheduler.tick(late).await.unwrap();
    assert_eq!(report.released.len(), 1);
    assert_eq!(report.released[0].late_by_ms, Some(250));
    assert!(
        scheduler.tick(late).await.unwrap().released.is_empty(),
        "a tick is idempotent"
    );

    // A tick long after releases everything overdue at once, each with its lateness.
    let report = scheduler.tick(at(4000)).await.unwrap();
    let got: Vec<(String, Option<i64>)> = report
        .released
        .iter()
        .map(|r| (r.key.clone(), r.late_by_ms))
        .collect();
    assert_eq!(
        got,
        [
            ("red-step".to_owned(), Some(1_000_000)),
            ("alert-c".to_owned(), Some(400_000))
        ],
        "red-step due at 2700 + 5 min, alert-c at 3600"
    );
    let tl = timeline(&s, &id).await;
    let c = entry(&tl, "alert-c");
    assert_eq!(c["state"], "released");
    assert_eq!(c["late_by_ms"], 400_000);
    assert_eq!(time(&c["due_at"]), at(3600));
    assert_eq!(time(&c["released_at"]), at(4000));
    assert_eq!(
        entry(&tl, "note")["state"],
        "pending",
        "manual injects wait for a controller"
    );
    assert!(entry(&tl, "note")["due_at"].is_null());

    let log = events(&s, &s.controller, &id, 0).await;
    assert_eq!(
        released_keys(&log),
        ["alert-a", "alert-b", "red-step", "alert-c"]
    );
    let c_event = log.iter().find(|e| e["data"]["key"] == "alert-c").unwrap();
    for field in [
        "inject_id",
        "title",
        "body",
        "channel",
        "audience",
        "due_at",
        "released_at",
        "late_by_ms",
    ] {
        assert!(!c_event["data"][field].is_null(), "{field} in {c_event}");
    }
    assert_eq!(c_event["data"]["title"]["en"], "Alert alert-c");
    assert!(c_event["actor_id"].is_null(), "released by the scheduler");
    assert_eq!(verify(&s, &id).await["ok"], true);
}

#[tokio::test]
async fn two_schedulers_ticking_at_once_release_each_inject_once() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;
    act(&s, &id, "start").await;
    let one = Scheduler::new(s.app.db.clone(), Arc::new(Notify::new()));
    let two = Scheduler::new(s.app.db.clone(), Arc::new(Notify::new()));
    let later = Utc::now() + Duration::days(1);

    let (a, b) = tokio::join!(one.tick(later), two.tick(later));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut total = a.released.len() + b.released.len();
    // A release that failed (a busy database: the server runs its own scheduler on the
    // same drill) is retried on the next tick, as in the server; a retry must neither
    // lose nor repeat anything.
    let first_round = format!(
        "first round: one released {}, failed {}, not held {:?}; two released {}, failed {}, not held {:?}",
        a.released.len(),
        a.failed,
        a.not_held,
        b.released.len(),
        b.failed,
        b.not_held
    );
    if a.failed + b.failed > 0 {
        let (a, b) = tokio::join!(one.tick(later), two.tick(later));
        total += a.unwrap().released.len() + b.unwrap().released.len();
    }
    assert_eq!(
        total, 4,
        "every scheduled inject once, by one scheduler or the other ({first_round})"
    );
    let log = events(&s, &s.controller, &id, 0).await;
    let mut keys = released_keys(&log);
    keys.sort();
    assert_eq!(keys, ["alert-a", "alert-b", "alert-c", "red-step"]);
    assert_eq!(verify(&s, &id).await["ok"], true);
}

#[tokio::test]
async fn one_scheduler_holds_a_drill_until_its_lease_expires_then_another_takes_over() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;
    let drill_id: Uuid = id.parse().unwrap();
    let db = &s.app.db;
    let t0 = Utc::now().trunc_subsecs(6);
    let at = |secs: i64| t0 + Duration::seconds(secs);
    store::drills::transition(db, drill_id, Transition::Start, Some(s.controller.id), t0)
        .await
        .unwrap();
    let a = Scheduler::new(db.clone(), Arc::new(Notify::new())).with_holder("host-a:1:a");
    let b = Scheduler::new(db.clone(), Arc::new(Notify::new())).with_holder("host-b:2:b");
    assert_eq!(LEASE_TTL, Duration::seconds(6));

    // A takes the lease and releases alert-a (due at 600 s); B leaves the drill to A.
    let report = a.tick(at(600)).await.unwrap();
    assert_eq!(report.released.len(), 1);
    assert_eq!(report.released[0].key, "alert-a");
    let (holder, until) = store::leases::holder(db, drill_id).await.unwrap().unwrap();
    assert_eq!((holder.as_str(), until), ("host-a:1:a", at(606)));
    let report = b.tick(at(603)).await.unwrap();
    assert!(report.released.is_empty(), "A's lease is valid until 606 s");
    assert_eq!(report.not_held, [drill_id]);

    // A renews on every tick, so the lease outlives its first expiry.
    a.tick(at(604)).await.unwrap();
    assert!(b.tick(at(608)).await.unwrap().released.is_empty());

    // A stops ticking (it died): once the lease has expired, B takes over.
    let report = b.tick(at(1800)).await.unwrap();
    assert_eq!(
        report.released.len(),
        1,
        "A's renewed lease expired at 610 s"
    );
    assert_eq!(report.released[0].key, "alert-b");
    let (holder, _) = store::leases::holder(db, drill_id).await.unwrap().unwrap();
    assert_eq!(holder, "host-b:2:b");
    // A comes back within B's lease: it releases nothing.
    let report = a.tick(at(1802)).await.unwrap();
    assert!(report.released.is_empty());
    assert_eq!(report.not_held, [drill_id]);
    let report = b.tick(at(4000)).await.unwrap();
    let keys: Vec<&str> = report.released.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["red-step", "alert-c"]);

    // Exactly once overall, and a holder that stops gives its leases up.
    assert_eq!(
        released_keys(&events(&s, &s.controller, &id, 0).await),
        ["alert-a", "alert-b", "red-step", "alert-c"]
    );
    assert_eq!(verify(&s, &id).await["ok"], true);
    assert_eq!(
        store::leases::release_all(db, "host-b:2:b").await.unwrap(),
        1
    );
    assert!(store::leases::holder(db, drill_id).await.unwrap().is_none());
}

// ---------------------------------------------------------------- release-now, skip, ad-hoc

#[tokio::test]
async fn release_now_works_while_paused_and_a_second_release_is_refused_and_recorded_once() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;
    let (status, resp) = act(&s, &id, "injects/alert-b/release").await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    act(&s, &id, "start").await;
    act(&s, &id, "pause").await;

    let (status, released) = act(&s, &id, "injects/alert-b/release").await;

    assert_eq!(status, StatusCode::OK, "{released}");
    assert_eq!(released["key"], "alert-b");
    let (status, resp) = act(&s, &id, "injects/alert-b/release").await;
    assert_error(status, &resp, StatusCode::CONFLICT, "conflict", None);
    // By id as well as by key.
    let inject_id = released["inject_id"].as_str().unwrap();
    let (status, _) = act(&s, &id, &format!("injects/{inject_id}/release")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, manual) = act(&s, &id, "injects/note/release").await;
    assert_eq!(status, StatusCode::OK, "{manual}");
    assert!(
        manual["late_by_ms"].is_null(),
        "a manual inject has no due time"
    );

    let log = events(&s, &s.controller, &id, 0).await;
    assert_eq!(
        released_keys(&log),
        ["alert-b", "note"],
        "one event per release"
    );
    let b = log.iter().find(|e| e["data"]["key"] == "alert-b").unwrap();
    assert_eq!(b["actor_id"], s.controller.id.to_string());
    assert_eq!(
        entry(&timeline(&s, &id).await, "alert-b")["state"],
        "released"
    );

    // The scheduler never releases it again, however late the tick.
    let scheduler = Scheduler::new(s.app.db.clone(), Arc::new(Notify::new()));
    act(&s, &id, "resume").await;
    let report = scheduler
        .tick(Utc::now() + Duration::days(1))
        .await
        .unwrap();
    let keys: Vec<&str> = report.released.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["alert-a", "red-step", "alert-c"]);
    assert_eq!(
        released_keys(&events(&s, &s.controller, &id, 0).await),
        ["alert-b", "note", "alert-a", "red-step", "alert-c"]
    );
}

#[tokio::test]
async fn a_skipped_inject_is_never_released() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;

    let (status, skipped) = act(&s, &id, "injects/alert-a/skip").await;

    assert_eq!(status, StatusCode::OK, "{skipped}");
    assert_eq!(skipped["state"], "skipped");
    assert_eq!(
        act(&s, &id, "injects/alert-a/skip").await.0,
        StatusCode::CONFLICT
    );
    act(&s, &id, "start").await;
    assert_eq!(
        act(&s, &id, "injects/alert-a/release").await.0,
        StatusCode::CONFLICT
    );
    act(&s, &id, "pause").await;
    assert_eq!(
        act(&s, &id, "injects/alert-b/skip").await.0,
        StatusCode::OK,
        "skip works while paused"
    );
    act(&s, &id, "resume").await;
    let scheduler = Scheduler::new(s.app.db.clone(), Arc::new(Notify::new()));
    let report = scheduler
        .tick(Utc::now() + Duration::days(1))
        .await
        .unwrap();
    let keys: Vec<&str> = report.released.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["red-step", "alert-c"]);
    let log = events(&s, &s.controller, &id, 0).await;
    assert_eq!(
        kinds(&log)
            .iter()
            .filter(|k| **k == "inject_skipped")
            .count(),
        2
    );
    assert_eq!(
        entry(&timeline(&s, &id).await, "alert-a")["state"],
        "skipped"
    );
}

#[tokio::test]
async fn ad_hoc_injects_are_released_at_once_with_their_own_keys() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;
    let path = format!("/api/v1/drills/{id}/injects");
    let body = json!({
        "audience": "blue",
        "channel": "phone_call",
        "title": {"vi": "Báo chí gọi điện", "en": "A journalist calls"},
        "body": {"vi": "Phóng viên hỏi về sự cố", "en": "A reporter asks about the incident"},
    });
    act(&s, &id, "start").await;

    let (status, first) = s.app.post(&s.controller, &path, body.clone()).await;
    let (status2, second) = s.app.post(&s.controller, &path, body.clone()).await;

    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(status2, StatusCode::CREATED, "{second}");
    assert_eq!(first["key"], "adhoc-1");
    assert_eq!(second["key"], "adhoc-2");
    let mut named = body.clone();
    named["key"] = json!("journalist");
    assert_eq!(
        s.app.post(&s.controller, &path, named.clone()).await.0,
        StatusCode::CREATED
    );
    let (status, dup) = s.app.post(&s.controller, &path, named).await;
    assert_error(status, &dup, StatusCode::CONFLICT, "conflict", Some("key"));
    let mut bad = body.clone();
    bad["channel"] = json!("carrier_pigeon");
    bad["audience"] = json!("everyone");
    let (status, resp) = s.app.post(&s.controller, &path, bad).await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("channel"),
    );
    assert!(field_error(&resp, "audience").is_some());

    let tl = timeline(&s, &id).await;
    let e = entry(&tl, "adhoc-1");
    assert_eq!(e["ad_hoc"], true);
    assert_eq!(e["state"], "released");
    assert!(e["released_at"].is_string());
    let log = events(&s, &s.controller, &id, 0).await;
    assert_eq!(released_keys(&log), ["adhoc-1", "adhoc-2", "journalist"]);
}

// ---------------------------------------------------------------- the event log

#[tokio::test]
async fn events_since_a_seq_and_as_a_responder_may_see_them() {
    let s = setup().await;
    let red = {
        let (status, body) = s
            .app
            .post(
                &s.controller,
                "/api/v1/teams",
                json!({"name": "Đội tấn công", "side": "red"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    };
    let mut body = drill_body(&s, "tabletop", 1.0);
    body["teams"] = json!([{"team_id": s.blue, "side": "blue"}, {"team_id": red, "side": "red"}]);
    let (_, created) = s.app.post(&s.controller, "/api/v1/drills", body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let responder = s
        .app
        .user("ung-cuu", Role::Responder, s.controller.org_id)
        .await;
    s.app
        .member(
            &s.controller,
            &s.blue,
            json!({"full_name": "Nguyễn Văn A", "employment": "in_house", "user_id": responder.id}),
        )
        .await;
    act(&s, &id, "start").await;
    for key in ["alert-a", "red-step", "alert-c", "note"] {
        assert_eq!(
            act(&s, &id, &format!("injects/{key}/release")).await.0,
            StatusCode::OK
        );
    }

    let all = events(&s, &s.controller, &id, 0).await;
    assert_eq!(all.len(), 6);
    let later = events(&s, &s.controller, &id, 2).await;
    assert_eq!(later.first().unwrap()["seq"], 3);
    assert_eq!(later.len(), 4);
    assert!(events(&s, &s.controller, &id, 6).await.is_empty());
    for since in ["-1", "7", "abc"] {
        let (status, resp) = s
            .app
            .get(
                &s.controller,
                &format!("/api/v1/drills/{id}/events?since={since}"),
            )
            .await;
        assert_error(
            status,
            &resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("since"),
        );
    }

    let seen = events(&s, &responder, &id, 0).await;
    assert_eq!(
        kinds(&seen),
        ["drill_started", "inject_released", "inject_released"]
    );
    assert_eq!(
        released_keys(&seen),
        ["alert-a", "alert-c"],
        "no red or controller events for blue"
    );
    let observer = s
        .app
        .user("quan-sat", Role::Observer, s.controller.org_id)
        .await;
    assert_eq!(events(&s, &observer, &id, 0).await.len(), 6);
}

#[tokio::test]
async fn verify_names_the_first_altered_removed_or_reordered_event() {
    let s = setup().await;
    let mut drills = Vec::new();
    for _ in 0..4 {
        let id = create_drill(&s, 1.0).await;
        act(&s, &id, "start").await;
        for key in ["alert-a", "alert-b", "alert-c"] {
            act(&s, &id, &format!("injects/{key}/release")).await;
        }
        act(&s, &id, "end").await;
        let v = verify(&s, &id).await;
        assert_eq!(v["ok"], true, "{v}");
        let (_, read) = s
            .app
            .get(&s.controller, &format!("/api/v1/drills/{id}"))
            .await;
        // Created, started, three releases, ended (the live scoreboard is off in
        // these tests); the log is closed once the drill has ended.
        let head = read["head_seq"].as_i64().unwrap();
        assert_eq!(head, 6, "{read}");
        assert_eq!(v["events"], head, "{v}");
        drills.push((id, head));
    }
    let ids: Vec<Uuid> = drills.iter().map(|(d, _)| d.parse().unwrap()).collect();

    // Altered: event 3's data rewritten in place.
    {
        let (app, d) = (&s.app, ids[0]);
        drill_event::Entity::update_many()
            .col_expr(
                drill_event::Column::Data,
                Expr::value(r#"{"key":"forged"}"#),
            )
            .filter(drill_event::Column::DrillId.eq(d))
            .filter(drill_event::Column::Seq.eq(3_i64))
            .exec(&app.db)
            .await
            .unwrap();
    }
    // Removed: event 4 deleted.
    {
        let (app, d) = (&s.app, ids[1]);
        drill_event::Entity::delete_many()
            .filter(drill_event::Column::DrillId.eq(d))
            .filter(drill_event::Column::Seq.eq(4_i64))
            .exec(&app.db)
            .await
            .unwrap();
    }
    // Reordered: events 2 and 3 swap their seqs.
    {
        let (app, d) = (&s.app, ids[2]);
        // `seq` is a BIGINT: binding an i32 here would prepare the statement with an
        // int4 parameter, and PostgreSQL refuses the i64 of a later query of the same text
        // on the same pooled connection (22P03).
        for (from, to) in [(2_i64, -2_i64), (3, 2), (-2, 3)] {
            drill_event::Entity::update_many()
                .col_expr(drill_event::Column::Seq, Expr::value(to))
                .filter(drill_event::Column::DrillId.eq(d))
                .filter(drill_event::Column::Seq.eq(from))
                .exec(&app.db)
                .await
                .unwrap();
        }
    }
    // Truncated: the last event deleted.
    let last = drills[3].1;
    {
        let (app, d) = (&s.app, ids[3]);
        drill_event::Entity::delete_many()
            .filter(drill_event::Column::DrillId.eq(d))
            .filter(drill_event::Column::Seq.eq(last))
            .exec(&app.db)
            .await
            .unwrap();
    }

    for ((drill, _), bad) in drills.iter().zip([3, 4, 2, last]) {
        let v = verify(&s, drill).await;
        assert_eq!(v["ok"], false, "{v}");
        assert_eq!(v["first_bad_seq"], bad, "{v}");
        assert!(v["problem"].is_string(), "{v}");
    }
}

/// Forty ad-hoc injects released at the same moment (a control room in a hurry): on
/// SQLite the writers queue instead of failing with "database is locked"; every
/// release is answered 201, logged exactly once with its own `seq`, and the chain
/// still verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_releases_all_succeed_once_each() {
    let s = setup().await;
    let drill = create_drill(&s, 1.0).await;
    assert_eq!(act(&s, &drill, "start").await.0, StatusCode::OK);
    let mut requests = tokio::task::JoinSet::new();
    for k in 0..40 {
        let (app_base, token, drill) = (
            s.app.base.clone(),
            s.controller.token.clone(),
            drill.clone(),
        );
        requests.spawn(async move {
            reqwest::Client::new()
                .post(format!("{app_base}/api/v1/drills/{drill}/injects"))
                .bearer_auth(token)
                .json(&json!({
                    "key": format!("gap-{k}"),
                    "audience": "all",
                    "channel": "soc_alert",
                    "title": {"vi": format!("Cảnh báo {k}"), "en": format!("Alert {k}")},
                    "body": {"vi": "Nội dung", "en": "Body"},
                }))
                .send()
                .await
                .expect("the request is answered")
                .status()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), StatusCode::CREATED);
    }
    let log = events(&s, &s.controller, &drill, 0).await;
    let mut keys: Vec<String> = released_keys(&log)
        .into_iter()
        .filter(|k| k.starts_with("gap-"))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 40);
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    assert_eq!(verify(&s, &drill).await["ok"], true);
}

#[tokio::test]
async fn a_team_slot_of_the_scenario_reaches_only_the_team_bound_to_it() {
    let s = setup().await;
    let org = s.controller.org_id;
    let scenario = store_scenario(
        &s.app,
        org,
        "slot-test",
        &[("for-alpha", None, "team:alpha"), ("for-all", None, "blue")],
    )
    .await;
    let other = s.app.team(&s.controller, "Đội ứng cứu B").await;
    let body = |teams: Value| {
        json!({"scenario_id": scenario, "title": "Diễn tập hai đội", "kind": "tabletop",
            "system_ids": [s.system], "teams": teams})
    };
    // The slot must be filled, by a slot the scenario has, once.
    let (status, resp) = s
        .app
        .post(
            &s.controller,
            "/api/v1/drills",
            body(json!([{"team_id": s.blue, "side": "blue"}, {"team_id": other, "side": "blue"}])),
        )
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("teams"),
    );
    let (status, resp) = s
        .app
        .post(
            &s.controller,
            "/api/v1/drills",
            body(json!([{"team_id": s.blue, "side": "blue", "slot": "beta"}])),
        )
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("teams.0.slot"),
    );
    let (status, resp) = s
        .app
        .post(&s.controller, "/api/v1/drills", body(json!([{"team_id": s.blue, "side": "blue", "slot": "alpha"}, {"team_id": other, "side": "blue", "slot": "alpha"}])))
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("teams.1.slot"),
    );

    let (status, created) = s
        .app
        .post(&s.controller, "/api/v1/drills", body(json!([{"team_id": s.blue, "side": "blue", "slot": "alpha"}, {"team_id": other, "side": "blue"}])))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let mut responders = Vec::new();
    for (team, name) in [(&s.blue, "ung-cuu-a"), (&other, "ung-cuu-b")] {
        let user = s.app.user(name, Role::Responder, org).await;
        s.app
            .member(
                &s.controller,
                team,
                json!({"full_name": name, "employment": "in_house", "user_id": user.id}),
            )
            .await;
        responders.push(user);
    }
    act(&s, &id, "start").await;
    for key in ["for-alpha", "for-all"] {
        assert_eq!(
            act(&s, &id, &format!("injects/{key}/release")).await.0,
            StatusCode::OK
        );
    }
    let released = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["kind"] == "inject_released")
            .map(|e| e["data"]["key"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(
        released(events(&s, &responders[0], &id, 0).await),
        ["for-alpha", "for-all"]
    );
    assert_eq!(
        released(events(&s, &responders[1], &id, 0).await),
        ["for-all"]
    );
}

#[tokio::test]
async fn a_speed_change_mid_drill_brings_the_pending_injects_forward_and_is_recorded() {
    let s = setup().await;
    let id = create_drill(&s, 1.0).await;
    act(&s, &id, "start").await;
    let speed = |v: Value| {
        let (s, id) = (&s, &id);
        async move {
            s.app
                .post(&s.controller, &format!("/api/v1/drills/{id}/speed"), v)
                .await
        }
    };
    for bad in [
        json!({"speed": 0}),
        json!({"speed": 5000}),
        json!({"speed": "fast"}),
    ] {
        let (status, body) = speed(bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    // alert-a is due at T+10 min: at 1 000× it falls due within a second.
    let (status, drill) = speed(json!({"speed": 1000})).await;
    assert_eq!(status, StatusCode::OK, "{drill}");
    assert_eq!(drill["speed"], 1000.0);
    let mut released = false;
    for _ in 0..150 {
        let (_, timeline) = s
            .app
            .get(&s.controller, &format!("/api/v1/drills/{id}/timeline"))
            .await;
        released = timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["key"] == "alert-a" && i["state"] == "released");
        if released {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(released, "alert-a released after the speed-up");
    let changed: Vec<Value> = events(&s, &s.controller, &id, 0)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "drill_speed_changed")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["data"]["previous_speed"], 1.0);
    assert_eq!(changed[0]["data"]["speed"], 1000.0);

    act(&s, &id, "end").await;
    let (status, body) = speed(json!({"speed": 2})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn a_drill_keeps_its_scale_and_an_unknown_scale_is_refused_naming_it() {
    let s = setup().await;
    let (status, drill) = s
        .app
        .post(
            &s.controller,
            "/api/v1/drills",
            drill_body(&s, "tabletop", 1.0),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    assert_eq!(drill["scale"], "internal", "the default");

    let mut body = drill_body(&s, "tabletop", 1.0);
    body["scale"] = json!("national");
    let (status, drill) = s.app.post(&s.controller, "/api/v1/drills", body).await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    assert_eq!(drill["scale"], "national");

    let mut body = drill_body(&s, "tabletop", 1.0);
    body["scale"] = json!("galactic");
    let (status, refused) = s.app.post(&s.controller, "/api/v1/drills", body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"]["fields"]["scale"].is_string(), "{refused}");
    let (_, list) = s.app.get(&s.controller, "/api/v1/drills").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        2,
        "nothing more stored"
    );
}
