//! Integration tests: information systems — create, read, update, delete, lists with
//! filters and cursors, and every kind of bad input (refused in the envelope, with
//! the field named and nothing written).

use cyberdrill::domain::Role;
use cyberdrill::entities::{playbook, playbook_version, system};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, field_error, item_ids, playbook_body};

/// An application with a controller (may edit the registry) in its own organisation.
async fn with_controller() -> (TestApp, TestUser) {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    (app, controller)
}

fn minimal(name: &str) -> Value {
    json!({"name": name, "system_type": "citizen_business", "level": 3})
}

fn full() -> Value {
    json!({
        "name": "  Cổng dịch vụ công  ",
        "description": "Cổng một cửa của bộ",
        "system_type": "citizen_business",
        "sector": "banking",
        "level": 4,
        "dossier": {
            "status": "approved",
            "submitted_on": "2026-01-05",
            "appraised_on": "2026-02-10",
            "approved_on": "2026-03-01",
            "decision_no": "123/QĐ-BTT",
        },
        "domains": ["DichVuCong.Example.gov.vn", "dichvucong.example.gov.vn"],
        "public_ips": ["203.0.113.10", "2001:DB8::1"],
        "last_changed_on": "2026-04-01",
    })
}

/// Posts a bad system body and asserts a 422 naming `field`, with no system written.
async fn assert_refused(app: &TestApp, user: &TestUser, body: Value, field: &str) {
    let before = app.count(system::Entity).await;
    let (status, resp) = app.post(user, "/api/v1/systems", body).await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some(field),
    );
    assert_eq!(
        app.count(system::Entity).await,
        before,
        "a refused system was written"
    );
}

// ------------------------------------------------------------ create and read

#[tokio::test]
async fn a_controller_registers_a_system_and_reads_it_back_normalised() {
    let (app, controller) = with_controller().await;

    let (status, created) = app.post(&controller, "/api/v1/systems", full()).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, read) = app.get(&controller, &format!("/api/v1/systems/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        read["org_id"],
        controller.org_id.to_string(),
        "the owner defaults to the caller's organisation"
    );
    assert_eq!(read["name"], "Cổng dịch vụ công");
    assert_eq!(read["system_type"], "citizen_business");
    assert_eq!(read["sector"], "banking");
    assert_eq!(read["level"], 4);
    assert_eq!(read["dossier"]["status"], "approved");
    assert_eq!(read["dossier"]["approved_on"], "2026-03-01");
    assert_eq!(read["dossier"]["decision_no"], "123/QĐ-BTT");
    assert_eq!(read["domains"], json!(["dichvucong.example.gov.vn"]));
    assert_eq!(read["public_ips"], json!(["203.0.113.10", "2001:db8::1"]));
    assert_eq!(read["last_changed_on"], "2026-04-01");
    assert_eq!(read["playbooks"], json!([]));
    assert_eq!(read, created);
}

#[tokio::test]
async fn a_minimal_system_gets_defaults() {
    let (app, controller) = with_controller().await;

    let (status, created) = app
        .post(&controller, "/api/v1/systems", minimal("Thư điện tử"))
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["dossier"]["status"], "drafting");
    assert_eq!(created["sector"], Value::Null);
    assert_eq!(created["domains"], json!([]));
    assert_eq!(created["last_changed_on"], Value::Null);
    assert_eq!(created["has_current_playbook"], false);
}

#[tokio::test]
async fn an_unknown_system_is_404() {
    let (app, controller) = with_controller().await;

    let (status, body) = app
        .get(
            &controller,
            &format!("/api/v1/systems/{}", uuid::Uuid::now_v7()),
        )
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}

// ------------------------------------------------------------ update and delete

#[tokio::test]
async fn patch_changes_only_the_fields_given() {
    let (app, controller) = with_controller().await;
    let (_, created) = app.post(&controller, "/api/v1/systems", full()).await;
    let path = format!("/api/v1/systems/{}", created["id"].as_str().unwrap());

    let (status, patched) = app
        .patch(
            &controller,
            &path,
            json!({"level": 5, "description": "Đã nâng cấp"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{patched}");
    let (_, read) = app.get(&controller, &path).await;
    assert_eq!(read["level"], 5);
    assert_eq!(read["description"], "Đã nâng cấp");
    for unchanged in [
        "name",
        "sector",
        "dossier",
        "domains",
        "public_ips",
        "last_changed_on",
        "created_at",
    ] {
        assert_eq!(read[unchanged], created[unchanged], "{unchanged} changed");
    }
}

#[tokio::test]
async fn patch_with_null_clears_a_nullable_field() {
    let (app, controller) = with_controller().await;
    let (_, created) = app.post(&controller, "/api/v1/systems", full()).await;
    let path = format!("/api/v1/systems/{}", created["id"].as_str().unwrap());

    let (status, patched) = app
        .patch(
            &controller,
            &path,
            json!({"sector": null, "last_changed_on": null}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{patched}");
    let (_, read) = app.get(&controller, &path).await;
    assert_eq!(read["sector"], Value::Null);
    assert_eq!(read["last_changed_on"], Value::Null);
    assert_eq!(read["level"], 4, "absent fields keep their value");
}

#[tokio::test]
async fn a_refused_patch_changes_nothing() {
    let (app, controller) = with_controller().await;
    let (_, created) = app.post(&controller, "/api/v1/systems", full()).await;
    let path = format!("/api/v1/systems/{}", created["id"].as_str().unwrap());

    // A valid level next to an invalid name: the whole patch is refused.
    let (status, body) = app
        .patch(&controller, &path, json!({"level": 1, "name": "   "}))
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("name"),
    );
    let (_, read) = app.get(&controller, &path).await;
    assert_eq!(read, created);
}

#[tokio::test]
async fn patch_cannot_move_a_system_to_another_organisation() {
    let (app, controller) = with_controller().await;
    let id = app.system(&controller, "Cổng", 3).await;
    let other = app.org("bo-khac", None).await;

    let (status, body) = app
        .patch(
            &controller,
            &format!("/api/v1/systems/{id}"),
            json!({"org_id": other}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("org_id"),
    );
    let (_, read) = app.get(&controller, &format!("/api/v1/systems/{id}")).await;
    assert_eq!(read["org_id"], controller.org_id.to_string());
}

#[tokio::test]
async fn renaming_a_system_to_a_taken_name_is_409_naming_name() {
    let (app, controller) = with_controller().await;
    app.system(&controller, "Cổng A", 3).await;
    let id = app.system(&controller, "Cổng B", 3).await;

    let (status, body) = app
        .patch(
            &controller,
            &format!("/api/v1/systems/{id}"),
            json!({"name": "Cổng A"}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("name"),
    );
    let (_, read) = app.get(&controller, &format!("/api/v1/systems/{id}")).await;
    assert_eq!(read["name"], "Cổng B");
}

#[tokio::test]
async fn deleting_a_system_removes_it_with_its_playbooks() {
    let (app, controller) = with_controller().await;
    let id = app.system(&controller, "Cổng", 3).await;
    let book = app
        .playbook(&controller, &id, playbook_body("dos", "2026-03-01"))
        .await;
    app.put(
        &controller,
        &format!("/api/v1/playbooks/{book}"),
        playbook_body("dos", "2026-04-01"),
    )
    .await;

    let (status, _) = app
        .delete(&controller, &format!("/api/v1/systems/{id}"))
        .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&controller, &format!("/api/v1/systems/{id}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&controller, &format!("/api/v1/playbooks/{book}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count(system::Entity).await, 0);
    assert_eq!(app.count(playbook::Entity).await, 0);
    assert_eq!(app.count(playbook_version::Entity).await, 0);
    let (status, body) = app
        .delete(&controller, &format!("/api/v1/systems/{id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}

// ------------------------------------------------------------ roles

#[tokio::test]
async fn a_responder_can_read_systems_but_not_create_change_or_delete_them() {
    let (app, controller) = with_controller().await;
    let responder = app
        .user("ung-cuu", Role::Responder, controller.org_id)
        .await;
    let id = app.system(&controller, "Cổng", 3).await;
    let path = format!("/api/v1/systems/{id}");

    let (status, body) = app
        .post(&responder, "/api/v1/systems", minimal("Khác"))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = app.patch(&responder, &path, json!({"level": 1})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = app.delete(&responder, &path).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);

    let (status, read) = app.get(&responder, &path).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["level"], 3, "the refused patch changed nothing");
    let (status, list) = app.get(&responder, "/api/v1/systems").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(item_ids(&list), vec![id]);
    assert_eq!(app.count(system::Entity).await, 1);
}

#[tokio::test]
async fn observers_and_evaluators_cannot_create_systems() {
    let (app, controller) = with_controller().await;
    for (name, role) in [("quan-sat", Role::Observer), ("giam-khao", Role::Evaluator)] {
        let user = app.user(name, role, controller.org_id).await;
        let (status, body) = app.post(&user, "/api/v1/systems", minimal("Cổng")).await;
        assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    }
    assert_eq!(app.count(system::Entity).await, 0);
}

// ------------------------------------------------------------ bad input

#[tokio::test]
async fn level_0_and_level_6_are_refused_naming_level() {
    let (app, controller) = with_controller().await;
    for level in [
        json!(0),
        json!(6),
        json!(-1),
        json!(3.5),
        json!("3"),
        json!(1e40),
    ] {
        let mut body = minimal("Cổng");
        body["level"] = level;
        assert_refused(&app, &controller, body, "level").await;
    }
}

#[tokio::test]
async fn a_missing_level_is_refused_naming_level() {
    let (app, controller) = with_controller().await;

    assert_refused(
        &app,
        &controller,
        json!({"name": "Cổng", "system_type": "internal"}),
        "level",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_sector_or_system_type_is_refused_naming_it() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["sector"] = json!("bank");
    assert_refused(&app, &controller, body, "sector").await;
    let mut body = minimal("Cổng");
    body["system_type"] = json!("mainframe");
    assert_refused(&app, &controller, body, "system_type").await;
}

#[tokio::test]
async fn an_impossible_date_is_refused_naming_the_field() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["last_changed_on"] = json!("2026-02-30");
    assert_refused(&app, &controller, body, "last_changed_on").await;

    let mut body = minimal("Cổng");
    body["dossier"] = json!({"status": "submitted", "submitted_on": "2026-02-30"});
    assert_refused(&app, &controller, body, "dossier.submitted_on").await;
}

#[tokio::test]
async fn a_change_date_in_the_future_is_refused() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["last_changed_on"] = json!("2099-01-01");
    assert_refused(&app, &controller, body, "last_changed_on").await;
}

#[tokio::test]
async fn an_empty_or_blank_name_is_refused() {
    let (app, controller) = with_controller().await;
    assert_refused(&app, &controller, minimal(""), "name").await;
    assert_refused(&app, &controller, minimal("   \t "), "name").await;
}

#[tokio::test]
async fn a_10_000_character_name_is_refused() {
    let (app, controller) = with_controller().await;

    assert_refused(&app, &controller, minimal(&"x".repeat(10_000)), "name").await;
}

#[tokio::test]
async fn a_name_with_control_characters_is_refused() {
    let (app, controller) = with_controller().await;
    assert_refused(&app, &controller, minimal("Cổng\u{0}dịch vụ"), "name").await;
    assert_refused(&app, &controller, minimal("Cổng\u{7}"), "name").await;
}

#[tokio::test]
async fn an_over_long_description_is_refused() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["description"] = json!("x".repeat(10_001));
    assert_refused(&app, &controller, body, "description").await;
}

#[tokio::test]
async fn an_unknown_field_is_refused_naming_it() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["colour"] = json!("red");
    assert_refused(&app, &controller, body, "colour").await;

    let mut body = minimal("Cổng");
    body["dossier"] = json!({"status": "drafting", "stamp": "x"});
    assert_refused(&app, &controller, body, "dossier.stamp").await;
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_422() {
    let (app, controller) = with_controller().await;
    for body in [json!([]), json!("Cổng"), json!(null), json!(3)] {
        let (status, resp) = app.post(&controller, "/api/v1/systems", body).await;
        assert_error(
            status,
            &resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            None,
        );
    }
    assert_eq!(app.count(system::Entity).await, 0);
}

#[tokio::test]
async fn malformed_json_is_400_in_the_envelope() {
    let (app, controller) = with_controller().await;
    for raw in [
        &b"{\"name\": "[..],
        b"",
        b"{\"name\": \"a\"} trailing",
        b"\xff\xfe",
    ] {
        let (status, body) = app
            .post_raw(
                &controller,
                "/api/v1/systems",
                "application/json",
                raw.to_vec(),
            )
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request", None);
    }
    assert_eq!(app.count(system::Entity).await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let (app, controller) = with_controller().await;
    let raw = serde_json::to_vec(&minimal("Cổng")).unwrap();

    let (status, body) = app
        .post_raw(&controller, "/api/v1/systems", "text/plain", raw)
        .await;

    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request", None);
    assert_eq!(app.count(system::Entity).await, 0);
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["description"] = json!("x".repeat(1024 * 1024 + 1));
    let raw = serde_json::to_vec(&body).unwrap();

    let (status, resp) = app
        .post_raw(&controller, "/api/v1/systems", "application/json", raw)
        .await;

    assert_error(
        status,
        &resp,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    );
    assert_eq!(app.count(system::Entity).await, 0);
}

#[tokio::test]
async fn a_duplicate_name_in_one_organisation_is_409_naming_name() {
    let (app, controller) = with_controller().await;
    app.system(&controller, "Cổng dịch vụ công", 3).await;

    // Surrounding spaces are trimmed, so this is the same name.
    let (status, body) = app
        .post(
            &controller,
            "/api/v1/systems",
            minimal(" Cổng dịch vụ công "),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("name"),
    );
    assert_eq!(app.count(system::Entity).await, 1);
}

#[tokio::test]
async fn the_same_name_is_allowed_in_another_organisation() {
    let (app, controller) = with_controller().await;
    let other_org = app.org("bo-khac", None).await;
    let other = app.user("khac", Role::Controller, other_org).await;
    app.system(&controller, "Cổng dịch vụ công", 3).await;

    let (status, body) = app
        .post(&other, "/api/v1/systems", minimal("Cổng dịch vụ công"))
        .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_unknown_owner_organisation_is_refused_naming_org_id() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["org_id"] = json!(uuid::Uuid::now_v7());
    assert_refused(&app, &controller, body, "org_id").await;

    let mut body = minimal("Cổng");
    body["org_id"] = json!("not-a-uuid");
    assert_refused(&app, &controller, body, "org_id").await;
}

// ------------------------------------------------------------ dossier rules

#[tokio::test]
async fn an_approved_dossier_needs_an_approval_date_and_a_decision_number() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["dossier"] = json!({"status": "approved"});

    let (status, resp) = app.post(&controller, "/api/v1/systems", body).await;

    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("dossier.approved_on"),
    );
    assert!(
        field_error(&resp, "dossier.decision_no").is_some(),
        "{resp}"
    );
    assert_eq!(app.count(system::Entity).await, 0);
}

#[tokio::test]
async fn a_blank_decision_number_does_not_count() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["dossier"] =
        json!({"status": "approved", "approved_on": "2026-03-01", "decision_no": "   "});
    assert_refused(&app, &controller, body, "dossier.decision_no").await;
}

#[tokio::test]
async fn dossier_dates_must_follow_the_procedure() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["dossier"] = json!({
        "status": "approved",
        "submitted_on": "2026-05-10",
        "appraised_on": "2026-05-01",
        "approved_on": "2026-06-01",
        "decision_no": "1/QĐ",
    });
    assert_refused(&app, &controller, body, "dossier.appraised_on").await;
}

#[tokio::test]
async fn a_date_for_a_stage_not_reached_is_refused() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["dossier"] =
        json!({"status": "submitted", "submitted_on": "2026-05-10", "approved_on": "2026-06-01"});
    assert_refused(&app, &controller, body, "dossier.approved_on").await;
}

#[tokio::test]
async fn an_unknown_dossier_status_is_refused() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["dossier"] = json!({"status": "signed"});
    assert_refused(&app, &controller, body, "dossier.status").await;
}

#[tokio::test]
async fn approving_through_patch_checks_the_dossier_as_a_whole() {
    let (app, controller) = with_controller().await;
    let id = app.system(&controller, "Cổng", 3).await;
    let path = format!("/api/v1/systems/{id}");

    let (status, body) = app
        .patch(
            &controller,
            &path,
            json!({"dossier": {"status": "approved", "approved_on": "2026-03-01"}}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("dossier.decision_no"),
    );
    assert_eq!(
        app.get(&controller, &path).await.1["dossier"]["status"],
        "drafting"
    );

    let approved = json!({"dossier": {"status": "approved", "approved_on": "2026-03-01", "decision_no": "9/QĐ"}});
    let (status, body) = app.patch(&controller, &path, approved).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dossier"]["status"], "approved");
}

// ------------------------------------------------------------ domains and addresses

#[tokio::test]
async fn an_invalid_domain_is_refused_naming_its_position() {
    let (app, controller) = with_controller().await;
    for bad in [
        "not a domain",
        "localhost",
        "-bad.example.vn",
        "a..vn",
        "xn--\u{1f600}.vn",
    ] {
        let mut body = minimal("Cổng");
        body["domains"] = json!(["ok.example.vn", bad]);
        assert_refused(&app, &controller, body, "domains.1").await;
    }
}

#[tokio::test]
async fn an_invalid_ip_address_is_refused_naming_its_position() {
    let (app, controller) = with_controller().await;
    for bad in ["300.1.1.1", "203.0.113", "example.vn", "2001:db8::zz"] {
        let mut body = minimal("Cổng");
        body["public_ips"] = json!([bad]);
        assert_refused(&app, &controller, body, "public_ips.0").await;
    }
}

#[tokio::test]
async fn more_than_a_hundred_domains_are_refused() {
    let (app, controller) = with_controller().await;
    let domains: Vec<String> = (0..101).map(|i| format!("host{i}.example.vn")).collect();
    let mut body = minimal("Cổng");
    body["domains"] = json!(domains);
    assert_refused(&app, &controller, body, "domains").await;
}

#[tokio::test]
async fn patching_an_invalid_address_leaves_the_old_ones() {
    let (app, controller) = with_controller().await;
    let (_, created) = app.post(&controller, "/api/v1/systems", full()).await;
    let path = format!("/api/v1/systems/{}", created["id"].as_str().unwrap());

    let (status, body) = app
        .patch(
            &controller,
            &path,
            json!({"public_ips": ["198.51.100.1", "nope"]}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("public_ips.1"),
    );
    assert_eq!(
        app.get(&controller, &path).await.1["public_ips"],
        created["public_ips"]
    );
}

// ------------------------------------------------------------ lists

/// Creates systems through the API; returns their ids in creation order.
async fn systems(
    app: &TestApp,
    user: &TestUser,
    specs: &[(&str, u8, Option<&str>)],
) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, level, sector) in specs {
        let mut body = json!({"name": name, "system_type": "internal", "level": level});
        if let Some(s) = sector {
            body["sector"] = json!(s);
        }
        let (status, created) = app.post(user, "/api/v1/systems", body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn list(app: &TestApp, user: &TestUser, query: &str) -> Vec<String> {
    let (status, body) = app.get(user, &format!("/api/v1/systems?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let mut ids = item_ids(&body);
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_list_filters_by_level_sector_and_name() {
    let (app, controller) = with_controller().await;
    let ids = systems(
        &app,
        &controller,
        &[
            ("Cổng dịch vụ công", 3, Some("banking")),
            ("Thư điện tử", 2, None),
            ("Ngân hàng lõi", 5, Some("banking")),
            ("Quản lý văn bản", 1, Some("health")),
        ],
    )
    .await;
    let [portal, mail, core, docs] = [&ids[0], &ids[1], &ids[2], &ids[3]];

    assert_eq!(
        list(&app, &controller, "").await,
        sorted(&[portal, mail, core, docs])
    );
    assert_eq!(list(&app, &controller, "level=3").await, sorted(&[portal]));
    assert_eq!(
        list(&app, &controller, "min_level=3").await,
        sorted(&[portal, core])
    );
    assert_eq!(
        list(&app, &controller, "sector=banking").await,
        sorted(&[portal, core])
    );
    assert_eq!(
        list(&app, &controller, "sector=banking&min_level=4").await,
        sorted(&[core])
    );
    assert_eq!(
        list(&app, &controller, "q=C%E1%BB%94NG").await,
        sorted(&[portal]),
        "q ignores case"
    );
    assert_eq!(
        list(&app, &controller, "q=%C4%91i%E1%BB%87n").await,
        sorted(&[mail])
    );
    assert_eq!(
        list(&app, &controller, "q=nothing").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_list_filters_by_owner_organisation() {
    let (app, controller) = with_controller().await;
    let unit = app.org("don-vi", Some(controller.org_id)).await;
    let unit_controller = app.user("don-vi", Role::Controller, unit).await;
    let mine = app.system(&controller, "Cổng bộ", 3).await;
    let theirs = app.system(&unit_controller, "Cổng đơn vị", 3).await;

    assert_eq!(
        list(&app, &controller, &format!("org_id={}", controller.org_id)).await,
        vec![mine.clone()]
    );
    assert_eq!(
        list(&app, &controller, &format!("org_id={unit}")).await,
        vec![theirs.clone()]
    );
    assert_eq!(list(&app, &controller, "").await, sorted(&[&mine, &theirs]));
}

#[tokio::test]
async fn the_list_filters_by_playbook_state() {
    let (app, controller) = with_controller().await;
    let ids = systems(
        &app,
        &controller,
        &[
            ("Có phương án", 3, None),
            ("Phương án cũ", 4, None),
            ("Không có", 3, None),
            ("Cấp thấp", 2, None),
        ],
    )
    .await;
    let [current, stale, none, low] = [&ids[0], &ids[1], &ids[2], &ids[3]];
    app.playbook(&controller, current, playbook_body("dos", "2026-03-01"))
        .await;
    app.playbook(&controller, stale, playbook_body("dos", "2026-03-01"))
        .await;
    let (status, body) = app
        .patch(
            &controller,
            &format!("/api/v1/systems/{stale}"),
            json!({"last_changed_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    assert_eq!(
        list(&app, &controller, "stale=true").await,
        sorted(&[stale])
    );
    assert_eq!(
        list(&app, &controller, "stale=false").await,
        sorted(&[current, none, low])
    );
    assert_eq!(
        list(&app, &controller, "lacking_playbook=true").await,
        sorted(&[stale, none]),
        "level 3+ without a current playbook"
    );
    assert_eq!(
        list(&app, &controller, "lacking_playbook=true&min_level=4").await,
        sorted(&[stale])
    );
}

#[tokio::test]
async fn pages_of_two_chain_through_five_systems_without_duplicates() {
    let (app, controller) = with_controller().await;
    let names = ["A", "B", "C", "D", "E"];
    let mut created = Vec::new();
    for name in names {
        created.push(app.system(&controller, name, 3).await);
    }

    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("/api/v1/systems?limit=2&cursor={c}"),
            None => "/api/v1/systems?limit=2".to_owned(),
        };
        let (status, page) = app.get(&controller, &query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let ids = item_ids(&page);
        pages.push(ids.len());
        seen.extend(ids);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() <= 5, "the cursors do not end");
    }

    assert_eq!(pages, vec![2, 2, 1]);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        seen.len(),
        "duplicates across pages: {seen:?}"
    );
    let mut expected = created.clone();
    expected.sort();
    assert_eq!(unique, expected);
}

#[tokio::test]
async fn pages_chain_with_a_filter_too() {
    let (app, controller) = with_controller().await;
    let ids = systems(
        &app,
        &controller,
        &[
            ("Cổng 1", 3, None),
            ("Khác", 1, None),
            ("Cổng 2", 3, None),
            ("Cổng 3", 3, None),
        ],
    )
    .await;

    let (_, first) = app
        .get(&controller, "/api/v1/systems?q=c%E1%BB%95ng&limit=2")
        .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = app
        .get(
            &controller,
            &format!("/api/v1/systems?q=c%E1%BB%95ng&limit=2&cursor={cursor}"),
        )
        .await;

    assert_eq!(item_ids(&first), vec![ids[0].clone(), ids[2].clone()]);
    assert_eq!(item_ids(&second), vec![ids[3].clone()]);
    assert_eq!(second["next_cursor"], Value::Null);
}

#[tokio::test]
async fn bad_list_parameters_are_422_naming_the_parameter() {
    let (app, controller) = with_controller().await;
    for (query, field) in [
        ("level=0", "level"),
        ("level=6", "level"),
        ("min_level=9", "min_level"),
        ("sector=bank", "sector"),
        ("org_id=nope", "org_id"),
        ("stale=maybe", "stale"),
        ("limit=-1", "limit"),
        ("limit=many", "limit"),
        ("cursor=xyz", "cursor"),
    ] {
        let (status, body) = app
            .call(
                Some(&controller),
                Method::GET,
                &format!("/api/v1/systems?{query}"),
                None,
            )
            .await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
}

#[tokio::test]
async fn an_unknown_operator_organisation_is_refused_naming_operator_org_id() {
    let (app, controller) = with_controller().await;
    let mut body = minimal("Cổng");
    body["operator_org_id"] = json!(uuid::Uuid::now_v7());
    assert_refused(&app, &controller, body, "operator_org_id").await;
}

#[tokio::test]
async fn concurrent_creations_with_one_name_make_one_system() {
    let (app, controller) = with_controller().await;
    let post = || app.post(&controller, "/api/v1/systems", minimal("Cổng dịch vụ công"));

    let results = tokio::join!(post(), post(), post(), post(), post());

    let results = [results.0, results.1, results.2, results.3, results.4];
    for (status, body) in &results {
        assert!(
            *status == StatusCode::CREATED || *status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
    assert_eq!(
        results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(app.count(system::Entity).await, 1);
}
