//! Integration tests: capability assessments, framework loading and the annual
//! maturity endpoint.

use cyberdrill::domain::Role;
use cyberdrill::entities::{capability_assessment, maturity_framework};
use cyberdrill::maturity::framework::BUILTIN_TOML;
use reqwest::StatusCode;
use serde_json::{Value, json};

use chrono::{DateTime, Datelike, Utc};

use crate::helpers::{TestApp, TestUser, assert_error, field_error, qualified_member};

async fn with_controller() -> (TestApp, TestUser) {
    let app = TestApp::spawn().await;
    let org = app.org("so-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    (app, controller)
}

/// Every parameter of the built-in framework at `level`, with `overrides`.
fn all_parameters(level: u8, overrides: &[(&str, u8)]) -> Vec<Value> {
    let f = cyberdrill::maturity::Framework::builtin();
    f.parameters
        .iter()
        .map(|p| {
            let level = overrides
                .iter()
                .find(|(c, _)| *c == p.code)
                .map_or(level, |(_, l)| *l);
            json!({"code": p.code, "level": level, "evidence": format!("Bằng chứng cho {}", p.code)})
        })
        .collect()
}

fn assessment(method: &str, parameters: Vec<Value>) -> Value {
    json!({"method": method, "assessor": "Nguyễn Thị Bình (trưởng nhóm)", "assessed_on": "2026-11-20", "parameters": parameters, "notes": "Tự đánh giá năm 2026"})
}

#[tokio::test]
async fn an_assessment_is_stored_and_read_back_with_who_assessed() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu sự cố Sở").await;
    let path = format!("/api/v1/teams/{team}/assessments/2026");

    let (status, body) = app.get(&controller, &path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);

    let (status, body) = app
        .put(
            &controller,
            &path,
            assessment("self", all_parameters(2, &[("O-1", 3)])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["method"], "self");
    assert_eq!(body["framework"], json!({"id": "vn-irt", "version": 1}));
    assert_eq!(
        body["parameters"][0],
        json!({"code": "O-1", "level": 3, "evidence": "Bằng chứng cho O-1"})
    );
    assert_eq!(body["updated_by"], controller.id.to_string());

    let (status, body) = app
        .put(
            &controller,
            &path,
            assessment("peer", all_parameters(3, &[])),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, read) = app.get(&controller, &path).await;
    assert_eq!(read["method"], "peer");
    assert_eq!(read["assessor"], "Nguyễn Thị Bình (trưởng nhóm)");
    assert_eq!(read["parameters"][0]["level"], 3);
    assert_eq!(app.count(capability_assessment::Entity).await, 1);
}

#[tokio::test]
async fn a_level_of_5_is_refused_naming_the_parameter_and_nothing_is_written() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    let path = format!("/api/v1/teams/{team}/assessments/2026");
    let (status, body) = app
        .put(
            &controller,
            &path,
            assessment("self", all_parameters(2, &[("P-6", 5)])),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parameters.P-6.level"),
    );
    assert!(
        field_error(&body, "parameters.P-6.level")
            .unwrap()
            .contains("P-6"),
        "{body}"
    );

    let (status, body) = app
        .put(
            &controller,
            &path,
            assessment("self_assessment", vec![json!({"code": "X-1", "level": 1})]),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("method"),
    );
    assert!(field_error(&body, "parameters.0.code").is_some(), "{body}");
    assert_eq!(app.count(capability_assessment::Entity).await, 0);
}

#[tokio::test]
async fn years_out_of_range_are_refused_naming_year() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    for year in ["3000", "1999"] {
        let (status, body) = app
            .get(&controller, &format!("/api/v1/maturity?year={year}"))
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("year"),
        );
        let (status, body) = app
            .put(
                &controller,
                &format!("/api/v1/teams/{team}/assessments/{year}"),
                assessment("self", vec![]),
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("year"),
        );
    }
}

#[tokio::test]
async fn a_year_with_no_data_is_an_empty_but_valid_result() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    let (status, body) = app.get(&controller, "/api/v1/maturity?year=2024").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["year"], 2024);
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["teams_without_records"][0]["team_id"], team);
}

#[tokio::test]
async fn other_organisations_teams_are_not_found() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    let other_org = app.org("so-khac", None).await;
    let outsider = app.user("nguoi-ngoai", Role::Controller, other_org).await;
    let path = format!("/api/v1/teams/{team}/assessments/2026");
    let (status, body) = app.put(&outsider, &path, assessment("self", vec![])).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    let (status, body) = app.get(&outsider, "/api/v1/maturity?year=2026").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]));
    assert_eq!(body["teams_without_records"], json!([]));
    let org = controller.org_id;
    let (status, body) = app
        .get(
            &outsider,
            &format!("/api/v1/maturity?year=2026&org_id={org}"),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test]
async fn an_observer_may_not_assess() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    let observer = app
        .user("quan-sat", Role::Observer, controller.org_id)
        .await;
    let (status, body) = app
        .put(
            &observer,
            &format!("/api/v1/teams/{team}/assessments/2026"),
            assessment("self", vec![]),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
}

#[tokio::test]
async fn only_an_administrator_loads_a_framework_and_a_broken_one_is_refused_whole() {
    let (app, controller) = with_controller().await;
    let admin = app.user("quan-tri", Role::Admin, controller.org_id).await;
    let path = "/api/v1/maturity/frameworks";
    let v2 = BUILTIN_TOML.replace("version = 1", "version = 2");
    let (status, body) = app
        .post_raw(
            &controller,
            path,
            "application/toml",
            v2.clone().into_bytes(),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);

    let broken = v2
        .replace("weight = 0.45", "weight = 0.5")
        .replace(r#"kpi = "K1", min = 50"#, r#"kpi = "K8", min = 50"#);
    let (status, body) = app
        .post_raw(&admin, path, "application/toml", broken.into_bytes())
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("dimensions.weight"),
    );
    assert!(
        field_error(&body, "levels[3].gates[5].check.kpi")
            .unwrap()
            .contains("K8"),
        "{body}"
    );
    assert_eq!(
        app.count(maturity_framework::Entity).await,
        1,
        "only the built-in one"
    );

    let (status, body) = app
        .post_raw(&admin, path, "application/toml", v2.clone().into_bytes())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            body["id"].as_str(),
            body["version"].as_u64(),
            body["active"].as_bool()
        ),
        (Some("vn-irt"), Some(2), Some(true))
    );

    let changed = v2
        .replace("weight = 0.45", "weight = 0.40")
        .replace("weight = 0.20\nmetrics", "weight = 0.25\nmetrics");
    let (status, body) = app
        .post_raw(&admin, path, "application/toml", changed.into_bytes())
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("version"),
    );

    let (_, list) = app.get(&controller, path).await;
    let active: Vec<(u64, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["version"].as_u64().unwrap(),
                f["active"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(active, [(1, false), (2, true)]);
}

// ------------------------------------------------------------ drills to maturity

fn at(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn micros(t: DateTime<Utc>) -> String {
    cyberdrill::time::rfc3339_micros(t)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

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

fn kpi<'a>(kpis: &'a Value, id: &str) -> &'a Value {
    kpis.as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {kpis}"))
}

fn dimension(item: &Value, id: &str) -> f64 {
    item["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap()["score"]
        .as_f64()
        .unwrap()
}

/// A live-fire drill with known timings and verdicts, through the API: three red
/// actions (two detected 10 and 30 minutes after their verified execution, one never,
/// verified 2 hours before the end), two containments (one judged effective, one
/// ineffective), a report graded 3, a high finding accepted. Every KPI, the dimension
/// scores and the level are checked against values computed by hand below; then a new
/// framework version changes new years only.
#[tokio::test]
async fn a_drill_with_known_timings_gives_the_hand_computed_kpis_dimensions_and_level() {
    // With the live scoreboard, whose update is checked on the way.
    let app = TestApp::spawn_with(|c| c.live_scoreboard = true).await;
    let org = app.org("so-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let evaluator = app.user("giam-khao", Role::Evaluator, org).await;
    let admin = app.user("quan-tri", Role::Admin, org).await;

    let portal = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let one_stop = app.system(&controller, "Hệ thống một cửa", 3).await;
    let mut approved = crate::helpers::playbook_body("unauth_access", "2026-01-10");
    approved["approved_on"] = json!("2026-01-05");
    approved["approved_by"] = json!("Giám đốc Sở");
    app.playbook(&controller, &portal, approved).await;
    // An unapproved playbook does not count as a current plan.
    app.playbook(
        &controller,
        &one_stop,
        crate::helpers::playbook_body("dos", "2026-01-10"),
    )
    .await;
    let blue = app.team(&controller, "Đội ứng cứu sự cố Sở").await;
    for i in 0..5 {
        app.member(
            &controller,
            &blue,
            qualified_member(&format!("Chuyên gia {i}")),
        )
        .await;
    }
    let (_, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội tấn công", "side": "red"}),
        )
        .await;
    let red = red["id"].as_str().unwrap().to_owned();

    // The assessment of the current year: every parameter at 3.
    let year = chrono::Utc::now()
        .with_timezone(&cyberdrill::time::vietnam())
        .year();
    let (status, body) = app
        .put(
            &controller,
            &format!("/api/v1/teams/{blue}/assessments/{year}"),
            assessment("self", all_parameters(3, &[])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let scenario =
        crate::drills::store_scenario(&app, org, "maturity-test", &[("note", None, "blue")]).await;
    let (status, drill) = app
        .post(&controller, "/api/v1/drills", json!({
            "scenario_id": scenario, "title": "Diễn tập thực chiến", "kind": "live_fire",
            "system_ids": [portal], "teams": [{"team_id": blue, "side": "blue"}, {"team_id": red, "side": "red"}],
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let id = drill["id"].as_str().unwrap().to_owned();
    let path = |rest: &str| format!("/api/v1/drills/{id}/{rest}");
    let created =
        |status: StatusCode, body: &Value| assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.post(&controller, &path("start"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut actions = Vec::new();
    for title in ["Khai thác upload", "Webshell", "Leo thang đặc quyền"] {
        let (s, a) = app
            .post(&controller, &path("red-actions"), json!({"team_id": red, "technique": "T1190", "system_id": portal, "title": title, "description": "x"}))
            .await;
        created(s, &a);
        actions.push(a["id"].as_str().unwrap().to_owned());
    }
    let mut detections = Vec::new();
    for (i, minutes) in [(0, 10), (1, 30)] {
        let (s, det) = app
            .post(&controller, &path("detections"), json!({"team_id": blue, "title": "Cảnh báo", "description": "WAF", "red_action_id": actions[i]}))
            .await;
        created(s, &det);
        let verified = at(&det["received_at"]) - chrono::Duration::minutes(minutes);
        let (s, v) = app
            .post(&evaluator, &path("evaluations"), json!({"target": "red_action", "red_action_id": actions[i], "verified_executed_at": micros(verified)}))
            .await;
        created(s, &v);
        detections.push(det["id"].as_str().unwrap().to_owned());
    }
    for (det, effective) in [(&detections[0], true), (&detections[1], false)] {
        let (s, c) = app
            .post(&controller, &path("containments"), json!({"team_id": blue, "detection_id": det, "action": "block_ip", "description": "Chặn IP"}))
            .await;
        created(s, &c);
        let (s, v) = app
            .post(
                &evaluator,
                &path("evaluations"),
                json!({"target": "containment", "containment_id": c["id"], "effective": effective}),
            )
            .await;
        created(s, &v);
    }
    let (s, report) = app
        .post(&controller, &path("reports"), json!({"team_id": blue, "kind": "initial", "detection_id": detections[0], "recipients": ["owner"], "form": initial_form()}))
        .await;
    created(s, &report);
    let (s, v) = app
        .post(
            &evaluator,
            &path("evaluations"),
            json!({"target": "report", "report_id": report["id"], "quality": 3}),
        )
        .await;
    created(s, &v);
    let (s, finding) = app
        .post(&controller, &path("red-findings"), json!({"team_id": red, "system_id": portal, "vuln_name": "Upload không kiểm tra", "vuln_class": "file_upload",
            "severity": "high", "impact": {"resources": "x", "data": "y", "users": "z"}, "endpoint": "/upload.php", "payload": "shell.php", "steps": "1. tải lên", "remediation": "Kiểm tra phần mở rộng"}))
        .await;
    created(s, &finding);
    let (s, v) = app
        .post(&evaluator, &path("evaluations"), json!({"target": "red_finding", "finding_id": finding["id"], "accepted": true, "severity": "high"}))
        .await;
    created(s, &v);

    // The live scoreboard: a `score_updated` for controllers follows the records.
    let mut update = None;
    for _ in 0..150 {
        let (_, events) = app.get(&controller, &path("events")).await;
        update = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e["kind"] == "score_updated")
            .cloned();
        if update.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let update = update.expect("a score_updated event within 30 s");
    assert_eq!(update["audience"], "controllers");
    assert_eq!(update["data"]["teams"][0]["team_id"], blue);
    let (status, ended) = app.post(&controller, &path("end"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    let ended_at = at(&ended["ended_at"]);
    // The judges verify the undetected action after the end: 2 h before the end.
    let (s, v) = app
        .post(&evaluator, &path("evaluations"), json!({"target": "red_action", "red_action_id": actions[2], "verified_executed_at": micros(ended_at - chrono::Duration::hours(2))}))
        .await;
    created(s, &v);

    // By hand. K1 = 2 of 3 detected. K2 = mean(600, 1800, 7200) = 3200 s, log-linear
    // between 15 min and 24 h. K3: reported within seconds → 100. K4: one of two
    // detections contained effectively, within seconds → 0.7·50 + 0.3·100. K5: a high
    // finding → 100 − 20. K6 not recorded. K7: quality 3 → 75.
    let k1 = 200.0 / 3.0;
    let k2 = 100.0 * (86400f64.ln() - 3200f64.ln()) / (86400f64.ln() - 900f64.ln());
    let (k3, k4, k5, k7) = (100.0, 65.0, 80.0, 75.0);
    let drill_score =
        (0.25 * k1 + 0.20 * k2 + 0.10 * k3 + 0.15 * k4 + 0.15 * k5 + 0.10 * k7) / 0.95;

    let (status, finals) = app.get(&controller, &path("scorecard/final")).await;
    assert_eq!(status, StatusCode::OK, "{finals}");
    let card = &finals["items"][0];
    assert_eq!(card["team_id"], blue);
    assert_eq!(card["framework"], json!({"id": "vn-irt", "version": 1}));
    let (_, verify) = app.get(&controller, &path("verify")).await;
    assert_eq!(verify["ok"], true, "the log verifies: {verify}");
    assert_eq!(
        card["head_hash"], verify["head"],
        "frozen again at the head after the late verdict"
    );
    let kpis = &card["kpis"]["kpis"];
    assert_eq!(kpi(kpis, "K1")["value"].as_f64(), Some(round2(k1)));
    assert_eq!(kpi(kpis, "K2")["raw"].as_f64(), Some(3200.0));
    assert_eq!(kpi(kpis, "K2")["value"].as_f64(), Some(round2(k2)));
    assert_eq!(kpi(kpis, "K3")["value"].as_f64(), Some(k3));
    assert_eq!(kpi(kpis, "K4")["value"].as_f64(), Some(k4));
    assert_eq!(kpi(kpis, "K5")["value"].as_f64(), Some(k5));
    assert!(
        kpi(kpis, "K6")["value"].is_null(),
        "availability is not recorded"
    );
    assert_eq!(kpi(kpis, "K7")["value"].as_f64(), Some(k7));
    assert_eq!(card["kpis"]["not_recorded"], json!(["K6"]));
    assert_eq!(card["kpis"]["score"].as_f64(), Some(round2(drill_score)));

    // The year. D1: O at 3 → 75, one of two level-3 systems with a current playbook →
    // 50. D2: H 75, staffing 5/5, expert groups KTPT only 2/5, all certified. D3, D4:
    // parameters at 3 → 75. D5: the one drill.
    let (status, body) = app
        .get(&controller, &format!("/api/v1/maturity?year={year}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let item = &body["items"][0];
    let d = [
        62.5,
        (75.0 + 100.0 + 40.0 + 100.0) / 4.0,
        75.0,
        75.0,
        round2(drill_score),
    ];
    for (i, expected) in d.iter().enumerate() {
        assert_eq!(
            dimension(item, &format!("D{}", i + 1)),
            round2(*expected),
            "D{}",
            i + 1
        );
    }
    let score = 0.10 * d[0] + 0.15 * d[1] + 0.10 * d[2] + 0.20 * d[3] + 0.45 * d[4];
    assert_eq!(item["score"].as_f64(), Some(round2(score)));
    assert_eq!(item["band_level"], 4);
    assert_eq!(item["level"], 2, "level 3's gates hold it back");
    assert_eq!(item["level_name"], json!({"vi": "Cơ bản", "en": "Basic"}));
    let failed: Vec<&str> = item["gates_failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["L3.ir_plans", "L3.live_fire", "L4.coverage"]);
    assert_eq!(
        item["gates_failed"][1]["detail"]["vi"],
        "còn thiếu cho Hệ thống một cửa"
    );
    assert_eq!(item["drills"][0]["drill_id"], id.as_str());
    assert_eq!(item["drills"][0]["head_hash"], verify["head"]);
    assert_eq!(item["framework"]["version"], 1);

    // The export of the year carries the same numbers, the drill's head hash and a
    // content hash the command line reproduces.
    let exported = export(&app, &controller, year, "json").await;
    let content_sha256 = exported.headers["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let file: Value = serde_json::from_slice(&exported.bytes).unwrap();
    assert_eq!(file["content_sha256"], content_sha256.as_str());
    assert_eq!(file["generated_by"], "dieu-phoi");
    assert_eq!(file["content"]["framework"]["version"], "1");
    let team = &file["content"]["teams"][0];
    assert_eq!(team["team_id"], blue);
    assert_eq!(team["score"], item["score"]);
    assert_eq!(team["level"], 2);
    assert_eq!(
        team["dimensions"][4]["score"],
        item["dimensions"][4]["score"]
    );
    assert_eq!(
        team["drills"][0]["mean_time_to_detect_s"].as_f64(),
        Some(3200.0)
    );
    assert_eq!(
        file["content"]["drill_logs"][0]["head_hash"],
        verify["head"]
    );
    assert!(
        exported.disposition.contains("maturity-so-tt-"),
        "{}",
        exported.disposition
    );

    let xlsx = export(&app, &controller, year, "xlsx").await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.bytes)).unwrap();
    use calamine::Reader;
    let names = book.sheet_names();
    assert!(
        names.len() >= 3,
        "summary, one sheet per team, framework: {names:?}"
    );
    let summary = book.worksheet_range(&names[0]).unwrap();
    let cells: Vec<String> = summary.cells().map(|(_, _, c)| c.to_string()).collect();
    assert!(
        cells.iter().any(|c| c == "Đội ứng cứu sự cố Sở"),
        "{cells:?}"
    );
    assert!(
        cells.iter().any(|c| c == &content_sha256),
        "the hash is in the file"
    );
    let csv = export(&app, &controller, year, "csv").await;
    assert!(csv.bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let pdf = export(&app, &controller, year, "pdf").await;
    assert!(pdf.bytes.starts_with(b"%PDF"));

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("maturity.json");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_cyberdrill"))
        .args([
            "export",
            "maturity",
            "--year",
            &year.to_string(),
            "--format",
            "json",
        ])
        .args(["--org", "so-tt", "--database-url", &app.database_url, "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&cli.stdout).trim(), content_sha256);
    let from_cli: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        from_cli["content"], file["content"],
        "the same file as the API's"
    );

    // A new framework version: the recorded year keeps version 1 and its numbers; a
    // year scored for the first time uses version 2.
    let v2 = BUILTIN_TOML
        .replace("version = 1", "version = 2")
        .replace("weight = 0.45", "weight = 0.35")
        .replace("weight = 0.20\nmetrics", "weight = 0.30\nmetrics");
    let (status, loaded) = app
        .post_raw(
            &admin,
            "/api/v1/maturity/frameworks",
            "application/toml",
            v2.into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{loaded}");
    let (_, again) = app
        .get(&controller, &format!("/api/v1/maturity?year={year}"))
        .await;
    assert_eq!(
        again["items"][0], *item,
        "an old year is recomputed with its recorded framework"
    );
    let last_year = year - 1;
    let (status, body) = app
        .put(
            &controller,
            &format!("/api/v1/teams/{blue}/assessments/{last_year}"),
            assessment("self", all_parameters(3, &[])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, before) = app
        .get(&controller, &format!("/api/v1/maturity?year={last_year}"))
        .await;
    let old = &before["items"][0];
    assert_eq!(old["framework"]["version"], 2);
    // No drill that year: D5 = 0, weighted 0.35 under version 2.
    let expected = 0.10 * 62.5 + 0.15 * d[1] + 0.10 * 75.0 + 0.30 * 75.0 + 0.35 * 0.0;
    assert_eq!(old["score"].as_f64(), Some(round2(expected)));
    let (_, this_year) = app
        .get(&controller, &format!("/api/v1/maturity?year={year}"))
        .await;
    let trend = this_year["items"][0]["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0]["year"], last_year);
}

struct Exported {
    headers: reqwest::header::HeaderMap,
    disposition: String,
    bytes: Vec<u8>,
}

async fn export(app: &TestApp, user: &TestUser, year: i32, format: &str) -> Exported {
    let resp = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/maturity/export?year={year}&format={format}"
        )))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap().to_vec();
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let disposition = headers[reqwest::header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    Exported {
        headers,
        disposition,
        bytes,
    }
}

#[tokio::test]
async fn an_export_refuses_a_bad_year_or_format_and_an_empty_year_is_a_valid_file() {
    let (app, controller) = with_controller().await;
    app.team(&controller, "Đội ứng cứu").await;
    let (status, body) = app
        .get(&controller, "/api/v1/maturity/export?year=3000&format=csv")
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("year"),
    );
    let (status, body) = app
        .get(&controller, "/api/v1/maturity/export?year=2025&format=docx")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(field_error(&body, "format").is_some(), "{body}");

    // No drill and no assessment in 2024: a file with the headers and no team.
    let empty = export(&app, &controller, 2024, "json").await;
    let file: Value = serde_json::from_slice(&empty.bytes).unwrap();
    assert_eq!(file["content"]["year"], 2024);
    assert_eq!(file["content"]["teams"], json!([]));
    let pdf = export(&app, &controller, 2024, "pdf").await;
    assert!(pdf.bytes.starts_with(b"%PDF"));

    // An organisation's export includes the teams of its units.
    let unit = app.org("trung-tam-cntt", Some(controller.org_id)).await;
    let unit_controller = app.user("dieu-phoi-tt", Role::Controller, unit).await;
    let unit_team = app
        .team(&unit_controller, "Đội ứng cứu Trung tâm CNTT")
        .await;
    let (status, body) = app
        .put(
            &unit_controller,
            &format!("/api/v1/teams/{unit_team}/assessments/2025"),
            assessment("self", all_parameters(2, &[])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let parent = export(&app, &controller, 2025, "json").await;
    let file: Value = serde_json::from_slice(&parent.bytes).unwrap();
    assert_eq!(file["content"]["organisation"]["slug"], "so-tt");
    assert_eq!(
        file["content"]["teams"][0]["team_id"],
        unit_team.as_str(),
        "{file}"
    );

    // Another organisation's export is not reachable.
    let other = app.org("so-khac", None).await;
    let (status, body) = app
        .get(
            &controller,
            &format!("/api/v1/maturity/export?year=2024&format=json&org_id={other}"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn attach(
    app: &TestApp,
    user: &TestUser,
    team: &str,
    year: i32,
    parameter: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    // No declared type: the server goes by the bytes and the name.
    let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
    let mut form = reqwest::multipart::Form::new();
    if let Some(p) = parameter {
        form = form.text("parameter", p.to_owned());
    }
    let resp = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/teams/{team}/assessments/{year}/evidence")))
        .bearer_auth(&user.token)
        .multipart(form.part("file", part))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn a_file_attached_to_a_parameter_is_listed_downloaded_as_an_attachment_and_checked() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội ứng cứu").await;
    let decision = "Quyết định 123/QĐ-STTTT thành lập đội ứng cứu sự cố".as_bytes();

    let (status, saved) = attach(
        &app,
        &controller,
        &team,
        2026,
        Some("O-1"),
        "QĐ 123.txt",
        decision,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["parameter"], "O-1");
    assert_eq!(saved["size"], decision.len());
    assert_eq!(saved["filename"], "QĐ 123.txt");
    let expected_sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(decision))
    };
    assert_eq!(saved["sha256"], expected_sha.as_str());

    let (status, list) = app
        .get(
            &controller,
            &format!("/api/v1/teams/{team}/assessments/2026/evidence"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let resp = reqwest::Client::new()
        .get(app.url(&format!(
            "/api/v1/teams/{team}/assessments/2026/evidence/{}",
            saved["id"].as_str().unwrap()
        )))
        .bearer_auth(&controller.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), decision);

    // Refused, and nothing recorded: an unknown parameter, none at all, an HTML page
    // named .png, a year out of range; an observer may not attach; another
    // organisation's team is not found.
    let (status, body) = attach(&app, &controller, &team, 2026, Some("Z-99"), "a.txt", b"x").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parameter"),
    );
    let (status, body) = attach(&app, &controller, &team, 2026, None, "a.txt", b"x").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parameter"),
    );
    let (status, body) = attach(
        &app,
        &controller,
        &team,
        2026,
        Some("O-1"),
        "scan.png",
        b"<!doctype html><script>alert(1)</script>",
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("file"),
    );
    let (status, body) = attach(&app, &controller, &team, 3000, Some("O-1"), "a.txt", b"x").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("year"),
    );
    // The refused files were not kept: neither under their hash nor half-written.
    let x = cyberdrill::auth::secret::sha256_hex("x");
    assert!(!app.evidence_dir.path().join(&x[..2]).join(&x).exists());
    let tmp = app.evidence_dir.path().join("tmp");
    assert_eq!(std::fs::read_dir(&tmp).map_or(0, |d| d.count()), 0);
    let org = controller.org_id;
    let observer = app.user("quan-sat", Role::Observer, org).await;
    let (status, body) = attach(&app, &observer, &team, 2026, Some("O-1"), "a.txt", b"x").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let other_org = app.org("so-khac", None).await;
    let stranger = app.user("nguoi-ngoai", Role::Controller, other_org).await;
    let (status, body) = attach(&app, &stranger, &team, 2026, Some("O-1"), "a.txt", b"x").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app
        .get(
            &stranger,
            &format!(
                "/api/v1/teams/{team}/assessments/2026/evidence/{}",
                saved["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count(cyberdrill::entities::assessment_evidence::Entity)
            .await,
        1,
        "only the first file was recorded"
    );
}

#[tokio::test]
async fn corrective_actions_due_in_the_year_count_towards_processes() {
    let (app, controller) = with_controller().await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    let system = app.system(&controller, "Cổng thông tin", 2).await;
    let org = controller.org_id;
    let scenario =
        crate::drills::store_scenario(&app, org, "plan-test", &[("note", None, "blue")]).await;
    let (status, drill) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario, "title": "Diễn tập chức năng", "kind": "functional",
                "system_ids": [system], "teams": [{"team_id": blue, "side": "blue"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let id = drill["id"].as_str().unwrap().to_owned();
    for step in ["start", "end"] {
        let (status, body) = app
            .post(
                &controller,
                &format!("/api/v1/drills/{id}/{step}"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let today = chrono::Utc::now()
        .with_timezone(&cyberdrill::time::vietnam())
        .date_naive();
    let year = today.year();
    let mut actions = Vec::new();
    for what in [
        "Cập nhật quy trình cô lập máy chủ",
        "Bổ sung luật SIEM phát hiện webshell",
    ] {
        let (status, action) = app
            .post(
                &controller,
                &format!("/api/v1/drills/{id}/aar/actions"),
                json!({"action": what, "owner": "Trưởng nhóm", "due_on": today}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{action}");
        actions.push(action["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = app
        .post(
            &controller,
            &format!("/api/v1/drills/{id}/aar/actions/{}/complete", actions[0]),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let (status, body) = app
        .get(&controller, &format!("/api/v1/maturity?year={year}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let item = &body["items"][0];
    // No assessment: P-parameters 0 (weight 0.4); one of two actions done, 50 %
    // (0.3); real-incident reporting not recorded.
    assert_eq!(
        dimension(item, "D4"),
        round2((0.4 * 0.0 + 0.3 * 50.0) / 0.7)
    );
    let notes = item["notes"].to_string();
    assert!(!notes.contains("corrective action"), "{notes}");
}
