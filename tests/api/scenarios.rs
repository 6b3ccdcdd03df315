//! Integration tests: the scenario library — the shipped files synced at boot, user
//! scenarios created from files, JSON, the web form and spreadsheets, every save a
//! version, and the MSEL interchange (TOML, CSV, XLSX) with its column mapping.

use cyberdrill::domain::Role;
use cyberdrill::entities::{scenario, scenario_version};
use cyberdrill::http::pages::scenario_form::{ProblemVm, ScenarioFields};
use cyberdrill::http::pages::scenarios::{
    AudienceOption, ColumnVm, FieldOptionVm, FileProblemVm, InjectVm, ScenarioFormVm,
    ScenarioImportVm, ScenarioMappingVm, ScenarioOptionVm, ScenarioRowVm, ScenarioUploadVm,
    ScenarioVm, ScenariosVm, SheetProblemVm, TimelineItem, VersionRowVm, timeline,
};
use cyberdrill::scenario::{Scenario, parse_scenario};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, TestUser, assert_error};

/// A small valid scenario file with the given id and title.
fn scenario_file(id: &str, title_en: &str) -> String {
    format!(
        r#"id = "{id}"
version = 1
title = {{ vi = "Mã độc tống tiền cổng dịch vụ công", en = "{title_en}" }}
summary = {{ vi = "Kẻ tấn công mã hóa máy chủ cổng dịch vụ công.", en = "An attacker encrypts the portal's servers." }}
category = "encryption"
techniques = ["T1190", "T1486"]
min_level = 2
drill_kinds = ["tabletop"]
duration = "48:00:00"
objectives = [{{ vi = "Phát hiện trong 30 phút", en = "Detect within 30 minutes" }}]

[[injects]]
key = "soc-alert"
offset = "+00:10:00"
audience = "blue"
channel = "soc_alert"
title = {{ vi = "Cảnh báo WAF", en = "WAF alert" }}
body = {{ vi = "WAF ghi nhận yêu cầu bất thường.", en = "The WAF logs unusual requests." }}

  [[injects.expectations]]
  kind = "detect"
  target = "00:30:00"
  points = 10
  technique = "T1190"

[[injects]]
key = "organisers-note"
manual = true
audience = "controllers"
channel = "situation_update"
title = {{ vi = "Ghi chú", en = "Note" }}
body = {{ vi = "Chỉ dùng khi cần.", en = "Only when needed." }}
"#
    )
}

async fn editor(app: &TestApp, org: &str) -> TestUser {
    let org = app.org(org, None).await;
    app.user(&format!("btc-{}", org.simple()), Role::Controller, org)
        .await
}

async fn post_toml(app: &TestApp, user: &TestUser, body: &str) -> (StatusCode, Value) {
    app.post_raw(
        user,
        "/api/v1/scenarios",
        "application/toml",
        body.as_bytes().to_vec(),
    )
    .await
}

/// `GET` returning the raw response (exports).
async fn download(app: &TestApp, user: &TestUser, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("request")
}

async fn import(app: &TestApp, user: &TestUser, form: Form) -> (StatusCode, Value) {
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/scenarios/import"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn file_part(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

async fn counts(app: &TestApp) -> (u64, u64) {
    (
        app.count(scenario::Entity).await,
        app.count(scenario_version::Entity).await,
    )
}

// ------------------------------------------------------------ the shipped library

#[tokio::test]
async fn the_shipped_scenarios_are_listed_after_boot() {
    let app = TestApp::spawn().await;
    let user = app.user("quan-sat", Role::Observer, app.root_org).await;

    let (status, body) = app.get(&user, "/api/v1/scenarios").await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "{body}");
    for item in items {
        assert_eq!(item["origin"], "shipped");
        assert_eq!(item["version"], 1);
        assert!(item["org_id"].is_null());
        assert!(item["inject_count"].as_u64().unwrap() >= 8);
        assert!(!item["title"]["vi"].as_str().unwrap().is_empty());
    }
    let (_, filtered) = app
        .get(&user, "/api/v1/scenarios?category=encryption")
        .await;
    assert!(
        filtered["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["category"] == "encryption")
    );
}

#[tokio::test]
async fn a_second_boot_of_an_unchanged_library_stores_no_new_version() {
    let app = TestApp::spawn().await;
    let before = counts(&app).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");

    let report = cyberdrill::boot::scenarios::sync(&app.db, &dir)
        .await
        .unwrap();

    assert_eq!(report.unchanged, 8, "{report:?}");
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn a_changed_shipped_file_becomes_a_new_version_and_a_broken_one_is_skipped() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab-drill.toml"),
        scenario_file("lab-drill", "First"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = \n").unwrap();
    let first = cyberdrill::boot::scenarios::sync(&app.db, dir.path())
        .await
        .unwrap();
    assert_eq!((first.added, first.skipped), (1, 1), "{first:?}");

    std::fs::write(
        dir.path().join("lab-drill.toml"),
        scenario_file("lab-drill", "Second"),
    )
    .unwrap();
    let second = cyberdrill::boot::scenarios::sync(&app.db, dir.path())
        .await
        .unwrap();

    assert_eq!(second.updated, 1, "{second:?}");
    let user = app.user("quan-sat", Role::Observer, app.root_org).await;
    let (_, list) = app.get(&user, "/api/v1/scenarios?q=lab-drill").await;
    assert_eq!(list["items"][0]["version"], 2, "{list}");
    assert_eq!(list["items"][0]["title"]["en"], "Second");
}

// ------------------------------------------------------------ create and versions

#[tokio::test]
async fn a_valid_file_is_version_1_the_same_file_again_changes_nothing_and_a_change_is_version_2() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;

    let (status, created) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["origin"], "user");
    assert_eq!(created["org_id"], json!(user.org_id));
    assert_eq!(created["new_scenario"], true);
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, again) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (again["id"].as_str(), again["version"].as_i64()),
        (Some(id.as_str()), Some(1))
    );
    assert_eq!(again["new_version"], false);

    let (status, changed) = post_toml(&app, &user, &scenario_file("lab-drill", "Second")).await;
    assert_eq!(status, StatusCode::CREATED, "{changed}");
    assert_eq!(changed["id"], id.as_str());
    assert_eq!(changed["version"], 2);

    let (_, versions) = app
        .get(&user, &format!("/api/v1/scenarios/{id}/versions"))
        .await;
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let (status, old) = app
        .get(&user, &format!("/api/v1/scenarios/{id}/versions/1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(old["scenario"]["title"]["en"], "First");
    assert_eq!(old["current_version"], 2);
}

#[tokio::test]
async fn an_invalid_file_is_refused_with_every_problem_by_line_and_column_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let before = counts(&app).await;
    let bad = scenario_file("lab-drill", "First")
        .replace("offset = \"+00:10:00\"", "offset = \"+99:99\"")
        .replace("min_level = 2", "min_level = 9");

    let (status, body) = post_toml(&app, &user, &bad).await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    let problems = body["error"]["problems"].as_array().unwrap();
    assert!(problems.len() >= 2, "{body}");
    let offset_line = bad.lines().position(|l| l.contains("+99:99")).unwrap() + 1;
    assert!(
        problems
            .iter()
            .any(|p| p["line"] == offset_line && p["col"].as_u64().unwrap() >= 1),
        "{body}"
    );
    let fields = body["error"]["fields"].as_object().unwrap();
    assert!(
        fields
            .keys()
            .any(|k| k.starts_with(&format!("{offset_line}:"))),
        "{body}"
    );
    assert_eq!(counts(&app).await, before, "a refused scenario was written");

    let (status, body) = app
        .post_raw(
            &user,
            "/api/v1/scenarios",
            "application/toml",
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("1:1"),
    );
}

#[tokio::test]
async fn a_file_of_10_000_injects_is_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let mut file = scenario_file("lab-drill", "First");
    for i in 0..10_000 {
        file.push_str(&format!(
            "\n[[injects]]\nkey = \"extra-{i}\"\nmanual = true\naudience = \"blue\"\nchannel = \"email\"\ntitle = {{ vi = \"T\", en = \"T\" }}\nbody = {{ vi = \"B\", en = \"B\" }}\n"
        ));
    }
    let before = counts(&app).await;

    let (status, body) = post_toml(&app, &user, &file).await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 5000"),
        "{body}"
    );
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn the_openapi_document_describes_the_scenario_routes() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (status, doc) = app.get(&user, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/scenarios",
        "/api/v1/scenarios/{id}",
        "/api/v1/scenarios/{id}/versions",
        "/api/v1/scenarios/{id}/versions/{version}",
        "/api/v1/scenarios/{id}/export",
        "/api/v1/scenarios/import",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ProblemsEnvelope"].is_object());
    assert!(doc["paths"]["/api/v1/scenarios/import"]["post"]["requestBody"]["content"]["multipart/form-data"].is_object());
}

#[tokio::test]
async fn the_json_form_is_accepted_and_checked_by_the_file_validator() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, list) = app.get(&user, "/api/v1/scenarios").await;
    let shipped_id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, shipped) = app
        .get(&user, &format!("/api/v1/scenarios/{shipped_id}"))
        .await;
    let mut copy = shipped["scenario"].clone();
    copy["id"] = json!("our-own-copy");

    let (status, created) = app.post(&user, "/api/v1/scenarios", copy.clone()).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["slug"], "our-own-copy");
    assert_eq!(
        created["scenario"]["injects"],
        shipped["scenario"]["injects"]
    );

    // Well-typed JSON that breaks a rule of the file format: the file's problems.
    let mut late = copy.clone();
    late["injects"][0]["release"] = json!({"mode": "scheduled", "offset_secs": 9_999_999});
    let (status, body) = app.post(&user, "/api/v1/scenarios", late).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    assert!(
        !body["error"]["problems"].as_array().unwrap().is_empty(),
        "{body}"
    );

    // A shipped id is not available to an organisation.
    let mut taken = copy;
    taken["id"] = shipped["slug"].clone();
    let (status, body) = app.post(&user, "/api/v1/scenarios", taken).await;
    assert_error(status, &body, StatusCode::CONFLICT, "conflict", Some("id"));
}

#[tokio::test]
async fn shipped_scenarios_cannot_be_replaced_through_the_api() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, list) = app.get(&user, "/api/v1/scenarios").await;
    let item = &list["items"][0];
    let id = item["id"].as_str().unwrap();
    let file = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=toml"),
    )
    .await
    .text()
    .await
    .unwrap();

    let (status, body) = app
        .send_raw(
            &user,
            reqwest::Method::PUT,
            &format!("/api/v1/scenarios/{id}"),
            "application/toml",
            file.into_bytes(),
        )
        .await;

    assert_error(status, &body, StatusCode::CONFLICT, "conflict", Some("id"));
}

// ------------------------------------------------------------ roles and scoping

#[tokio::test]
async fn a_responder_may_read_but_not_create_or_import() {
    let app = TestApp::spawn().await;
    let org = app.org("so-x", None).await;
    let responder = app.user("ung-cuu", Role::Responder, org).await;

    let (status, _) = app.get(&responder, "/api/v1/scenarios").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post_toml(&app, &responder, &scenario_file("lab-drill", "First")).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let form = Form::new().part("file", file_part(b"key,offset\n".to_vec(), "x.csv"));
    let (status, body) = import(&app, &responder, form).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
}

#[tokio::test]
async fn another_organisations_scenario_is_not_found() {
    let app = TestApp::spawn().await;
    let ours = editor(&app, "so-x").await;
    let theirs = editor(&app, "so-z").await;
    let (_, created) = post_toml(&app, &theirs, &scenario_file("their-drill", "Theirs")).await;
    let id = created["id"].as_str().unwrap();

    for path in [
        format!("/api/v1/scenarios/{id}"),
        format!("/api/v1/scenarios/{id}/versions"),
        format!("/api/v1/scenarios/{id}/export?format=csv"),
    ] {
        let (status, body) = app.get(&ours, &path).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    }
    let (_, list) = app.get(&ours, "/api/v1/scenarios?origin=user").await;
    assert_eq!(list["items"], json!([]), "{list}");
    // The same id in another organisation is that organisation's own scenario.
    let (status, mine) = post_toml(&app, &ours, &scenario_file("their-drill", "Ours")).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_ne!(mine["id"].as_str(), Some(id));
}

// ------------------------------------------------------------ export and import

#[tokio::test]
async fn the_toml_export_is_the_scenario_with_its_version_and_a_file_name() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let (_, created) = post_toml(&app, &user, &scenario_file("lab-drill", "Second")).await;
    let id = created["id"].as_str().unwrap();

    let resp = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=toml"),
    )
    .await;

    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/toml")
    );
    assert_eq!(
        resp.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"lab-drill-v2.toml\""
    );
    let text = resp.text().await.unwrap();
    let parsed = parse_scenario(&text).unwrap_or_else(|p| panic!("{p:?}"));
    let served: Scenario = serde_json::from_value(created["scenario"].clone()).unwrap();
    assert_eq!(parsed, served);
    assert_eq!(parsed.version.get(), 2);

    let old = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=toml&version=1"),
    )
    .await;
    assert_eq!(
        old.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"lab-drill-v1.toml\""
    );
    let bad = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=pdf"),
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_csv_and_xlsx_exports_import_back_to_the_same_scenario() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, created) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let id = created["id"].as_str().unwrap().to_owned();

    let csv = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=csv"),
    )
    .await;
    assert_eq!(csv.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        csv.headers()[CONTENT_DISPOSITION],
        "attachment; filename=\"lab-drill-v1.csv\""
    );
    let csv = csv.bytes().await.unwrap().to_vec();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark");
    let xlsx = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=xlsx"),
    )
    .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let xlsx = xlsx.bytes().await.unwrap().to_vec();

    for (bytes, name) in [(csv, "lab-drill.csv"), (xlsx, "lab-drill.xlsx")] {
        let form = Form::new().part("file", file_part(bytes, name));
        let (status, imported) = import(&app, &user, form).await;
        // Same organisation, same id, same content: the same scenario, no new version.
        assert_eq!(status, StatusCode::OK, "{name}: {imported}");
        assert_eq!(imported["id"], id.as_str());
        assert_eq!(imported["new_version"], false);
        assert_eq!(imported["scenario"], created["scenario"], "{name}");
    }
}

/// A planner's sheet: Vietnamese headers, no metadata block, a note column.
fn planner_csv(offset_of_second: &str) -> Vec<u8> {
    format!(
        "Thời điểm,Mã tình huống,Đối tượng nhận,Kênh,Tiêu đề,Tiêu đề (EN),Nội dung,Nội dung (EN),Kỳ vọng 1 - Loại,Kỳ vọng 1 - Thời hạn,Kỳ vọng 1 - Điểm,Kỳ vọng 1 - Kỹ thuật,Ghi chú\n\
         H+0,khai-mac,Ban tổ chức,Cập nhật tình hình,Khai mạc,Opening,Khai mạc diễn tập,The drill opens,,,,,Phòng họp A\n\
         {offset_of_second},canh-bao-waf,Đội phòng thủ,Cảnh báo SOC,WAF chặn,WAF blocks,WAF ghi nhận yêu cầu lạ,The WAF logs odd requests,Phát hiện,00:30:00,10,T1190,\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_vietnamese_sheet_is_previewed_then_imported_with_the_suggested_mapping() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, base) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let base_id = base["id"].as_str().unwrap().to_owned();
    let before = counts(&app).await;

    let form = Form::new()
        .part("file", file_part(planner_csv("H+2"), "ke-hoach.csv"))
        .text("preview", "true");
    let (status, preview) = import(&app, &user, form).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["headers"][0], "Thời điểm");
    assert_eq!(preview["fields"][0], "offset");
    assert_eq!(
        preview["fields"][12],
        Value::Null,
        "the note column is not a field"
    );
    assert_eq!(preview["has_metadata"], false);
    assert_eq!(counts(&app).await, before, "a preview stored something");

    let form = Form::new()
        .part("file", file_part(planner_csv("H+2"), "ke-hoach.csv"))
        .text("mapping", preview["suggested"].to_string())
        .text("scenario_id", base_id.clone());
    let (status, imported) = import(&app, &user, form).await;

    assert_eq!(status, StatusCode::CREATED, "{imported}");
    assert_eq!(
        imported["id"],
        base_id.as_str(),
        "metadata came from the base scenario"
    );
    assert_eq!(imported["version"], 2);
    let keys: Vec<&str> = imported["scenario"]["injects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["khai-mac", "canh-bao-waf"]);
    assert_eq!(
        imported["scenario"]["injects"][1]["release"]["offset_secs"],
        7200
    );
}

#[tokio::test]
async fn an_impossible_offset_names_its_row_and_column_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, base) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let before = counts(&app).await;

    let form = Form::new()
        .part("file", file_part(planner_csv("+99:99"), "ke-hoach.csv"))
        .text("scenario_id", base["id"].as_str().unwrap().to_owned());
    let (status, body) = import(&app, &user, form).await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
    let problems = body["error"]["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["row"] == 3 && p["column"] == "Thời điểm"),
        "{body}"
    );
    assert!(
        body["error"]["fields"]
            .as_object()
            .unwrap()
            .contains_key("row 3, column \"Thời điểm\""),
        "{body}"
    );
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn an_upload_over_20_mib_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let huge = vec![b'a'; 21 * 1024 * 1024];

    let form = Form::new().part("file", file_part(huge.clone(), "huge.csv"));
    let (status, body) = import(&app, &user, form).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );

    let (status, body) = app
        .post_raw(&user, "/api/v1/scenarios", "application/toml", huge)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
}

#[tokio::test]
async fn malformed_imports_are_explained_not_failed() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;

    let (status, body) = app
        .post_raw(
            &user,
            "/api/v1/scenarios/import",
            "text/csv",
            b"a,b".to_vec(),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request", None);

    let form = Form::new().text("preview", "true");
    let (status, body) = import(&app, &user, form).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("file"),
    );

    let form = Form::new()
        .part("file", file_part(planner_csv("H+2"), "x.csv"))
        .text("mapping", "{not json");
    let (status, body) = import(&app, &user, form).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("mapping"),
    );

    // A "workbook" that is not one.
    let form = Form::new().part("file", file_part(b"PK\x03\x04garbage".to_vec(), "x.xlsx"));
    let (status, body) = import(&app, &user, form).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        None,
    );
}

// ------------------------------------------------------------ the web form

/// The editor form of a scenario built from nothing, with `injects` injects.
fn editor_form(injects: usize) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("id", "built-in-the-browser"),
        ("title_vi", "Tấn công giả mạo thư điện tử"),
        ("title_en", "Phishing against the mail system"),
        ("summary_vi", "Kẻ tấn công gửi thư giả mạo."),
        ("summary_en", "An attacker sends phishing email."),
        ("category", "spoofing"),
        ("min_level", "2"),
        ("drill_kinds", "tabletop"),
        ("drill_kinds", "functional"),
        ("duration", "04:00:00"),
        ("techniques", "T1566.001, T1204.002"),
        ("obj.0.vi", "Phát hiện thư giả mạo"),
        ("obj.0.en", "Detect the phishing email"),
        ("obj.1.vi", ""),
        ("obj.1.en", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let audiences = ["blue", "red", "controllers", "all"];
    for i in 0..injects {
        let mut put = |name: &str, value: String| f.push((format!("inj.{i}.{name}"), value));
        put("key", format!("inject-{}", i + 1));
        put("offset", format!("+00:{:02}:00", 10 + i * 5));
        put("audience", audiences[i % 4].to_owned());
        put("channel", "email".to_owned());
        put("title_vi", format!("Tình huống {}", i + 1));
        put("title_en", format!("Inject {}", i + 1));
        put("body_vi", "Nội dung\r\nhai dòng".to_owned());
        put("body_en", "Text\r\non two lines".to_owned());
        put(
            "pb_category",
            if i == 0 { "spoofing" } else { "" }.to_owned(),
        );
        put("pb_step", if i == 0 { "1" } else { "" }.to_owned());
        put("exp.0.kind", if i == 0 { "detect" } else { "" }.to_owned());
        put(
            "exp.0.target",
            if i == 0 { "00:20:00" } else { "" }.to_owned(),
        );
        put("exp.0.points", if i == 0 { "10" } else { "" }.to_owned());
        put(
            "exp.0.technique",
            if i == 0 { "T1566.001" } else { "" }.to_owned(),
        );
        put("exp.1.kind", String::new());
    }
    f
}

fn with_action(mut fields: Vec<(String, String)>, action: &str) -> Vec<(String, String)> {
    fields.push(("action".into(), action.into()));
    fields
}

#[tokio::test]
async fn the_web_form_builds_a_scenario_from_nothing_that_passes_the_file_check() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let browser = Browser::signed_in(&app, &user).await;
    let (status, page) = browser.get("/scenarios/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("name=\"inj.0.key\""),
        "the empty form offers an inject row"
    );

    let (status, location, page) = browser
        .post("/scenarios/new", &with_action(editor_form(8), "save"))
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let id = location.strip_prefix("/scenarios/").unwrap().to_owned();
    let (status, detail) = browser.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail.contains("Tình huống 8") && detail.contains("<svg"),
        "{detail}"
    );
    let file = download(
        &app,
        &user,
        &format!("/api/v1/scenarios/{id}/export?format=toml"),
    )
    .await
    .text()
    .await
    .unwrap();
    let scenario =
        cyberdrill::scenario::parse_scenario(&file).unwrap_or_else(|p| panic!("{p:?}\n{file}"));
    assert_eq!(scenario.injects.len(), 8);
    assert_eq!(scenario.injects[0].body.vi, "Nội dung\nhai dòng");
}

#[tokio::test]
async fn row_buttons_change_the_form_without_saving_and_problems_show_beside_fields() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let browser = Browser::signed_in(&app, &user).await;
    let before = counts(&app).await;

    let (status, _, page) = browser
        .post("/scenarios/new", &with_action(editor_form(3), "move-up:2"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let second = page.find("value=\"inject-3\"").unwrap();
    let third = page.find("value=\"inject-2\"").unwrap();
    assert!(second < third, "inject 3 moved above inject 2");
    let (status, _, page) = browser
        .post("/scenarios/new", &with_action(editor_form(3), "remove:0"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("value=\"inject-1\""));
    let (_, _, page) = browser
        .post("/scenarios/new", &with_action(editor_form(3), "add"))
        .await;
    assert!(page.contains("name=\"inj.3.key\""));
    assert_eq!(counts(&app).await, before, "a row button saved something");

    let mut bad = editor_form(2);
    for (k, v) in bad.iter_mut() {
        if k == "inj.1.offset" {
            *v = "+99:99".into();
        }
    }
    let (status, _, page) = browser
        .post("/scenarios/new", &with_action(bad, "save"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"inj-1-offset-error\""), "{page}");
    assert_eq!(
        counts(&app).await,
        before,
        "an invalid form saved something"
    );
}

#[tokio::test]
async fn the_scenario_pages_render_for_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let browser = Browser::signed_in(&app, &user).await;
    let (_, list) = browser.get("/scenarios").await;
    let (_, api) = app.get(&user, "/api/v1/scenarios").await;
    let id = api["items"][0]["id"].as_str().unwrap();

    for path in [
        "/scenarios".to_owned(),
        "/scenarios?category=encryption&level=3".to_owned(),
        format!("/scenarios/{id}"),
        "/scenarios/upload".to_owned(),
        "/scenarios/import".to_owned(),
    ] {
        let (status, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
    assert!(
        list.contains("Kịch bản"),
        "the navigation names the library"
    );
}

// ------------------------------------------------------------ every template

/// View-models for the scenario page templates, for the test in `pages.rs` that
/// renders every page template.
pub fn page_samples() -> Vec<(&'static str, Value)> {
    let tl = timeline(
        7200,
        &[
            TimelineItem {
                key: "a".into(),
                title: "Cảnh báo".into(),
                audience: "blue".into(),
                offset: Some(600),
            },
            TimelineItem {
                key: "b".into(),
                title: "Ghi chú".into(),
                audience: "controllers".into(),
                offset: None,
            },
            TimelineItem {
                key: "c".into(),
                title: "Đội".into(),
                audience: "team:soc".into(),
                offset: Some(3600),
            },
        ],
    );
    let scenarios = ScenariosVm {
        filters: Default::default(),
        rows: vec![ScenarioRowVm {
            id: "s1".into(),
            slug: "lab-drill".into(),
            title: "Diễn tập".into(),
            title_other: "Drill".into(),
            category: "encryption",
            min_level: 2,
            origin: "shipped",
            version: 1,
            inject_count: 8,
            duration: "02:00:00".into(),
        }],
        categories: vec!["encryption"],
        levels: vec!["1", "2"],
        may_edit: true,
    };
    let detail = ScenarioVm {
        id: "s1".into(),
        slug: "lab-drill".into(),
        origin: "user",
        version: 1,
        current_version: 2,
        is_current: false,
        sha: "ab".repeat(32),
        title: "Diễn tập".into(),
        title_other: "Drill".into(),
        summary: "Tóm tắt".into(),
        summary_other: "Summary".into(),
        category: "encryption",
        min_level: 2,
        drill_kinds: vec!["tabletop"],
        duration: "02:00:00".into(),
        techniques: vec![cyberdrill::http::pages::scenarios::TechniqueVm {
            id: "T1486".into(),
            name: "Data Encrypted for Impact".into(),
        }],
        objectives: vec![cyberdrill::http::pages::scenarios::TextPairVm {
            text: "Phát hiện".into(),
            other: "Detect".into(),
        }],
        injects: vec![InjectVm {
            n: 1,
            key: "a".into(),
            offset: Some("+00:10:00".into()),
            audience_key: "audience-team",
            team_slot: "soc".into(),
            audience_class: "tl-team",
            channel: "soc_alert",
            title: "Cảnh báo".into(),
            title_other: "Alert".into(),
            body: "Nội dung".into(),
            body_other: "Body".into(),
            playbook_category: Some("encryption"),
            playbook_step: Some(1),
            expectations: vec![cyberdrill::http::pages::scenarios::ExpectationVm {
                kind: "detect",
                target: "00:30:00".into(),
                points: 10,
                technique: Some("T1486".into()),
                technique_name: Some("Data Encrypted for Impact".into()),
                description: Some("Mô tả".into()),
            }],
        }],
        timeline: tl.clone(),
        versions: vec![VersionRowVm {
            version: 1,
            saved_at: "2026-11-21T08:00:00Z".into(),
            inject_count: 8,
            sha_short: "abababababab".into(),
            is_shown: true,
            is_current: false,
        }],
        may_edit: true,
    };
    let mut fields = ScenarioFields::blank();
    fields.errors.id = Some("bad id".into());
    fields.injects[0].errors.offset = Some("bad offset".into());
    fields.injects[0].audience = "team:soc".into();
    let form = ScenarioFormVm {
        is_new: false,
        action: "/scenarios/s1/edit".into(),
        cancel: "/scenarios/s1".into(),
        version: 2,
        form: {
            let mut f = fields.finish();
            f.injects[0].expectations[0].errors.kind = Some("bad kind".into());
            f.objectives[0].error = Some("empty".into());
            f
        },
        problems: vec![ProblemVm {
            place: "scenario-place-inject",
            n: 1,
            field: Some("inject-field-offset"),
            at: "12:10".into(),
            message: "bad offset".into(),
        }],
        checked_ok: true,
        categories: vec!["encryption"],
        levels: vec!["1", "2"],
        drill_kinds: vec!["tabletop", "live_fire"],
        audiences: vec![
            AudienceOption {
                value: "blue".into(),
                key: "audience-blue",
                slot: String::new(),
            },
            AudienceOption {
                value: "team:soc".into(),
                key: "audience-team",
                slot: "soc".into(),
            },
        ],
        channels: vec!["soc_alert"],
        expectation_kinds: vec!["detect"],
        timeline: tl,
    };
    let upload = ScenarioUploadVm {
        file_name: "x.toml".into(),
        problems: vec![FileProblemVm {
            at: "3:5".into(),
            message: "bad".into(),
        }],
    };
    let option = ScenarioOptionVm {
        id: "s1".into(),
        name: "lab-drill — Diễn tập".into(),
    };
    let problem = SheetProblemVm {
        place: "row 3, column \"Thời điểm\"".into(),
        message: "bad".into(),
    };
    let import = ScenarioImportVm {
        scenarios: vec![option.clone()],
        problems: vec![problem.clone()],
    };
    let mapping = ScenarioMappingVm {
        upload_id: "u1".into(),
        file_name: "ke-hoach.csv".into(),
        sheet: Some("MSEL".into()),
        header_row: 1,
        columns: vec![ColumnVm {
            i: 0,
            header: "Thời điểm".into(),
            selected: "offset".into(),
        }],
        fields: vec![
            FieldOptionVm {
                value: "offset".into(),
                key: "msel-field-offset",
                n: 0,
            },
            FieldOptionVm {
                value: "exp1_kind".into(),
                key: "msel-field-exp-kind",
                n: 1,
            },
        ],
        rows: vec![cyberdrill::http::pages::scenarios::SampleRowVm {
            number: 2,
            cells: vec!["H+2".into()],
        }],
        inject_rows: 1,
        has_metadata: false,
        scenario_id: "s1".into(),
        scenarios: vec![option],
        problems: vec![problem],
    };
    let value = |v: serde_json::Result<Value>| v.expect("a view-model serialises");
    vec![
        ("pages/scenarios", value(serde_json::to_value(&scenarios))),
        ("pages/scenario", value(serde_json::to_value(&detail))),
        ("pages/scenario_form", value(serde_json::to_value(&form))),
        (
            "pages/scenario_upload",
            value(serde_json::to_value(&upload)),
        ),
        (
            "pages/scenario_import",
            value(serde_json::to_value(&import)),
        ),
        (
            "pages/scenario_mapping",
            value(serde_json::to_value(&mapping)),
        ),
    ]
}

// ------------------------------------------------------------ upload and import pages

#[tokio::test]
async fn the_upload_page_saves_a_valid_file_and_lists_the_problems_of_an_invalid_one() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let browser = Browser::signed_in(&app, &user).await;
    let before = counts(&app).await;

    let bad = scenario_file("lab-drill", "First").replace("min_level = 2", "min_level = 9");
    let form = Form::new().part("file", file_part(bad.into_bytes(), "lab-drill.toml"));
    let (status, _, page) = browser.post_multipart("/scenarios/upload", form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("<code>7:"),
        "the problem names its line: {page}"
    );
    assert!(
        page.contains("phải là cấp độ an toàn từ 1 đến 5, nhưng đây là 9"),
        "and says what is wrong in the page's language: {page}"
    );
    assert_eq!(counts(&app).await, before);

    // Without the CSRF token: refused, nothing read.
    let forged = Form::new().part(
        "file",
        file_part(scenario_file("lab-drill", "First").into_bytes(), "x.toml"),
    );
    let resp = browser
        .client
        .post(format!("{}/scenarios/upload", browser.base))
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let form = Form::new().part(
        "file",
        file_part(
            scenario_file("lab-drill", "First").into_bytes(),
            "lab-drill.toml",
        ),
    );
    let (status, location, _) = browser.post_multipart("/scenarios/upload", form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/scenarios/"));
}

#[tokio::test]
async fn the_import_page_maps_columns_then_imports() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, base) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let base_id = base["id"].as_str().unwrap().to_owned();
    let browser = Browser::signed_in(&app, &user).await;

    let form = Form::new()
        .part("file", file_part(planner_csv("H+2"), "ke-hoach.csv"))
        .text("scenario_id", base_id.clone());
    let (status, _, page) = browser.post_multipart("/scenarios/import", form).await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Thời điểm"), "the headers are shown");
    assert!(
        page.contains(r#"<option value="offset" selected>"#),
        "the suggested field is preselected"
    );
    let marker = r#"action="/scenarios/import/"#;
    let start = page.find(marker).unwrap() + marker.len();
    let upload = &page[start..start + page[start..].find('"').unwrap()];

    // Every column as the planner confirmed it; the note column ignored.
    let fields = planner_mapping(&base_id);
    let (status, location, page) = browser
        .post(&format!("/scenarios/import/{upload}"), &fields)
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location, format!("/scenarios/{base_id}"));
    let (_, now) = app
        .get(&user, &format!("/api/v1/scenarios/{base_id}"))
        .await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["inject_count"], 2);
}

/// Step 1 of the import page, then step 2 with every column mapped as the planner's
/// sheet suggests, and the import button.
async fn import_through_the_pages(
    browser: &Browser,
    csv: &[u8],
    base_id: &str,
) -> (StatusCode, String, String) {
    let form = Form::new()
        .part("file", file_part(csv.to_vec(), "ke-hoach.csv"))
        .text("scenario_id", base_id.to_owned());
    let (status, _, page) = browser.post_multipart("/scenarios/import", form).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let marker = r#"action="/scenarios/import/"#;
    let start = page.find(marker).unwrap() + marker.len();
    let upload = page[start..start + page[start..].find('"').unwrap()].to_owned();
    browser
        .post(
            &format!("/scenarios/import/{upload}"),
            &planner_mapping(base_id),
        )
        .await
}

/// Step 2 of the import page for [`planner_csv`]: every column as the planner
/// confirmed it (the note column ignored), metadata from `base_id`, and "import".
fn planner_mapping(base_id: &str) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        "offset",
        "key",
        "audience",
        "channel",
        "title_vi",
        "title_en",
        "body_vi",
        "body_en",
        "exp1_kind",
        "exp1_target",
        "exp1_points",
        "exp1_technique",
        "",
    ]
    .iter()
    .enumerate()
    .map(|(i, f)| (format!("col.{i}"), (*f).to_owned()))
    .collect();
    fields.push(("header_row".into(), "1".into()));
    fields.push(("shown_header_row".into(), "1".into()));
    fields.push(("scenario_id".into(), base_id.to_owned()));
    fields.push(("action".into(), "import".into()));
    fields
}

#[tokio::test]
async fn the_import_page_explains_a_bad_cell_in_the_planners_language() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let (_, base) = post_toml(&app, &user, &scenario_file("lab-drill", "First")).await;
    let base_id = base["id"].as_str().unwrap().to_owned();
    let browser = Browser::signed_in(&app, &user).await;
    let before = counts(&app).await;

    // Vietnamese, the default: the place as the spreadsheet names it and the reason.
    let (status, _, page) =
        import_through_the_pages(&browser, &planner_csv("+99:99"), &base_id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("dòng 3, cột &quot;Thời điểm&quot;"),
        "the place in Vietnamese: {page}"
    );
    assert!(
        page.contains("chỉ có hai phần nên không rõ nghĩa (giờ:phút hay phút:giây?)"),
        "the reason in Vietnamese: {page}"
    );
    assert!(!page.contains("two-part time"), "no English left: {page}");

    // English, after the language switch.
    browser.get("/lang/en?next=/scenarios").await;
    let (status, _, page) =
        import_through_the_pages(&browser, &planner_csv("+99:99"), &base_id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("row 3, column &quot;Thời điểm&quot;"),
        "{page}"
    );
    assert!(
        page.contains("is a two-part time, which is ambiguous"),
        "{page}"
    );
    assert_eq!(counts(&app).await, before, "nothing was stored");
}

#[tokio::test]
async fn the_import_page_takes_files_larger_than_a_form_but_not_over_20_mib() {
    let app = TestApp::spawn().await;
    let user = editor(&app, "so-x").await;
    let browser = Browser::signed_in(&app, &user).await;

    // 2 MB: far over the 512 KiB of a form, well under the 20 MiB of an upload.
    let mut big = planner_csv("H+2");
    big.extend(std::iter::repeat_n(b'\n', 2 * 1024 * 1024));
    let form = Form::new().part("file", file_part(big, "big.csv"));
    let (status, _, page) = browser.post_multipart("/scenarios/import", form).await;
    assert_eq!(status, StatusCode::OK, "{page}");

    let huge = vec![b'a'; 21 * 1024 * 1024];
    let form = Form::new().part("file", file_part(huge, "huge.csv"));
    let (status, _, _) = browser.post_multipart("/scenarios/import", form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}
