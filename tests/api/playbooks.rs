//! Integration tests: per-system playbooks, their version history, and staleness
//! (the system changed after the playbook was last reviewed).

use cyberdrill::domain::Role;
use cyberdrill::entities::{playbook, playbook_version};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, item_ids, playbook_body};

/// An application with a controller and one level-3 system.
async fn with_system() -> (TestApp, TestUser, String) {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    (app, controller, system)
}

async fn read(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let (status, body) = app.get(user, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Posts a bad playbook and asserts a 422 naming `field`, with nothing written.
async fn assert_create_refused(
    app: &TestApp,
    user: &TestUser,
    system: &str,
    body: Value,
    field: &str,
) {
    let (books, versions) = (
        app.count(playbook::Entity).await,
        app.count(playbook_version::Entity).await,
    );
    let (status, resp) = app
        .post(user, &format!("/api/v1/systems/{system}/playbooks"), body)
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some(field),
    );
    assert_eq!(
        app.count(playbook::Entity).await,
        books,
        "a refused playbook was written"
    );
    assert_eq!(
        app.count(playbook_version::Entity).await,
        versions,
        "a refused version was written"
    );
}

// ------------------------------------------------------------ create and versions

#[tokio::test]
async fn a_new_playbook_is_version_1_with_numbered_steps() {
    let (app, controller, system) = with_system().await;
    let mut body = playbook_body("encryption", "2026-03-01");
    body["steps"] = json!([
        {"order": 7, "action": "Khôi phục từ bản sao lưu", "role": "Quản trị hệ thống"},
        {"order": 2, "action": " Cô lập máy bị mã hoá ", "role": "Trưởng nhóm ứng cứu"},
    ]);

    let (status, created) = app
        .post(
            &controller,
            &format!("/api/v1/systems/{system}/playbooks"),
            body,
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["system_id"], system);
    assert_eq!(created["category"], "encryption");
    assert_eq!(created["stale"], false);
    assert_eq!(created["reviewed_on"], "2026-03-01");
    assert_eq!(
        created["steps"],
        json!([
            {"order": 1, "action": "Cô lập máy bị mã hoá", "role": "Trưởng nhóm ứng cứu"},
            {"order": 2, "action": "Khôi phục từ bản sao lưu", "role": "Quản trị hệ thống"},
        ])
    );
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await,
        created
    );
    let listed = read(
        &app,
        &controller,
        &format!("/api/v1/systems/{system}/playbooks"),
    )
    .await;
    assert_eq!(item_ids(&listed), vec![id.to_owned()]);
}

#[tokio::test]
async fn put_stores_new_versions_and_old_ones_stay_readable() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;
    let path = format!("/api/v1/playbooks/{id}");
    let mut second = playbook_body("dos", "2026-04-01");
    second["title"] = json!("Chống từ chối dịch vụ, bản 2");
    second["change_note"] = json!("Thêm bước liên hệ nhà mạng");
    let mut third = playbook_body("dos", "2026-05-01");
    third["title"] = json!("Chống từ chối dịch vụ, bản 3");

    let (status, v2) = app.put(&controller, &path, second).await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    let (status, v3) = app.put(&controller, &path, third).await;
    assert_eq!(status, StatusCode::OK, "{v3}");

    assert_eq!(v2["version"], 2);
    assert_eq!(v3["version"], 3);
    let current = read(&app, &controller, &path).await;
    assert_eq!(current["version"], 3);
    assert_eq!(current["title"], "Chống từ chối dịch vụ, bản 3");
    let history = read(&app, &controller, &format!("{path}/versions")).await;
    let numbers: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![3, 2, 1], "newest first");
    assert_eq!(
        history["items"][1]["change_note"],
        "Thêm bước liên hệ nhà mạng"
    );
    let first = read(&app, &controller, &format!("{path}/versions/1")).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["title"], "Ứng cứu sự cố dos");
    assert_eq!(first["reviewed_on"], "2026-03-01");
    assert_eq!(first["created_by"], controller.id.to_string());
    assert_eq!(app.count(playbook::Entity).await, 1);
    assert_eq!(app.count(playbook_version::Entity).await, 3);
}

#[tokio::test]
async fn a_version_that_does_not_exist_is_404() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;

    for version in ["2", "0", "-1", "abc", "99999999999"] {
        let (status, body) = app
            .get(
                &controller,
                &format!("/api/v1/playbooks/{id}/versions/{version}"),
            )
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    }
}

#[tokio::test]
async fn a_second_playbook_of_the_same_category_is_409_naming_category() {
    let (app, controller, system) = with_system().await;
    app.playbook(
        &controller,
        &system,
        playbook_body("encryption", "2026-03-01"),
    )
    .await;

    let (status, body) = app
        .post(
            &controller,
            &format!("/api/v1/systems/{system}/playbooks"),
            playbook_body("encryption", "2026-04-01"),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("category"),
    );
    assert_eq!(app.count(playbook::Entity).await, 1);
    assert_eq!(app.count(playbook_version::Entity).await, 1);
}

#[tokio::test]
async fn another_category_or_another_system_is_fine() {
    let (app, controller, system) = with_system().await;
    let other_system = app.system(&controller, "Thư điện tử", 2).await;
    app.playbook(
        &controller,
        &system,
        playbook_body("encryption", "2026-03-01"),
    )
    .await;

    app.playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;
    app.playbook(
        &controller,
        &other_system,
        playbook_body("encryption", "2026-03-01"),
    )
    .await;

    let listed = read(
        &app,
        &controller,
        &format!("/api/v1/systems/{system}/playbooks"),
    )
    .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(app.count(playbook::Entity).await, 3);
}

#[tokio::test]
async fn moving_a_playbook_onto_a_taken_category_is_409_and_stores_no_version() {
    let (app, controller, system) = with_system().await;
    app.playbook(
        &controller,
        &system,
        playbook_body("encryption", "2026-03-01"),
    )
    .await;
    let dos = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;

    let (status, body) = app
        .put(
            &controller,
            &format!("/api/v1/playbooks/{dos}"),
            playbook_body("encryption", "2026-04-01"),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("category"),
    );
    let current = read(&app, &controller, &format!("/api/v1/playbooks/{dos}")).await;
    assert_eq!(current["version"], 1);
    assert_eq!(current["category"], "dos");
    assert_eq!(app.count(playbook_version::Entity).await, 2);
}

#[tokio::test]
async fn a_playbook_for_an_unknown_system_is_404() {
    let (app, controller, _) = with_system().await;

    let path = format!("/api/v1/systems/{}/playbooks", uuid::Uuid::now_v7());
    let (status, body) = app
        .post(&controller, &path, playbook_body("dos", "2026-03-01"))
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(app.count(playbook::Entity).await, 0);
}

// ------------------------------------------------------------ staleness

#[tokio::test]
async fn a_system_changed_after_the_review_makes_its_playbook_stale_everywhere() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-03-01"),
        )
        .await;
    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await["stale"],
        false
    );

    let (status, body) = app
        .patch(
            &controller,
            &format!("/api/v1/systems/{system}"),
            json!({"last_changed_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let book = read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await;
    assert_eq!(book["stale"], true);
    let stale_list = read(&app, &controller, "/api/v1/playbooks?stale=true").await;
    assert_eq!(item_ids(&stale_list), vec![id.clone()]);
    let current_list = read(&app, &controller, "/api/v1/playbooks?stale=false").await;
    assert_eq!(item_ids(&current_list), Vec::<String>::new());
    let sys = read(&app, &controller, &format!("/api/v1/systems/{system}")).await;
    assert_eq!(sys["playbooks"][0]["id"], id);
    assert_eq!(sys["playbooks"][0]["stale"], true);
    assert_eq!(sys["has_current_playbook"], false);
}

#[tokio::test]
async fn a_change_on_the_review_day_does_not_make_it_stale() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-03-01"),
        )
        .await;

    app.patch(
        &controller,
        &format!("/api/v1/systems/{system}"),
        json!({"last_changed_on": "2026-03-01"}),
    )
    .await;

    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await["stale"],
        false
    );
}

#[tokio::test]
async fn a_new_version_reviewed_after_the_change_makes_it_current_again() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-03-01"),
        )
        .await;
    app.patch(
        &controller,
        &format!("/api/v1/systems/{system}"),
        json!({"last_changed_on": "2026-04-01"}),
    )
    .await;
    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await["stale"],
        true
    );

    let (status, v2) = app
        .put(
            &controller,
            &format!("/api/v1/playbooks/{id}"),
            playbook_body("encryption", "2026-04-15"),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["stale"], false);
    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await["stale"],
        false
    );
    assert_eq!(
        item_ids(&read(&app, &controller, "/api/v1/playbooks?stale=true").await),
        Vec::<String>::new()
    );
    let sys = read(&app, &controller, &format!("/api/v1/systems/{system}")).await;
    assert_eq!(sys["playbooks"][0]["stale"], false);
    assert_eq!(sys["playbooks"][0]["version"], 2);
    assert_eq!(sys["has_current_playbook"], true);
}

#[tokio::test]
async fn clearing_the_change_date_makes_the_playbook_current() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-03-01"),
        )
        .await;
    app.patch(
        &controller,
        &format!("/api/v1/systems/{system}"),
        json!({"last_changed_on": "2026-04-01"}),
    )
    .await;

    app.patch(
        &controller,
        &format!("/api/v1/systems/{system}"),
        json!({"last_changed_on": null}),
    )
    .await;

    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{id}")).await["stale"],
        false
    );
}

#[tokio::test]
async fn a_playbook_never_reviewed_counts_from_its_approval() {
    let (app, controller, system) = with_system().await;
    app.patch(
        &controller,
        &format!("/api/v1/systems/{system}"),
        json!({"last_changed_on": "2026-04-01"}),
    )
    .await;
    let mut never_reviewed = playbook_body("dos", "2026-03-01");
    never_reviewed["reviewed_on"] = Value::Null;
    let mut approved_after = playbook_body("malware", "2026-03-01");
    approved_after["reviewed_on"] = Value::Null;
    approved_after["approved_on"] = json!("2026-05-01");
    approved_after["approved_by"] = json!("Thứ trưởng");

    let unreviewed = app.playbook(&controller, &system, never_reviewed).await;
    let approved = app.playbook(&controller, &system, approved_after).await;

    assert_eq!(
        read(
            &app,
            &controller,
            &format!("/api/v1/playbooks/{unreviewed}")
        )
        .await["stale"],
        true
    );
    assert_eq!(
        read(&app, &controller, &format!("/api/v1/playbooks/{approved}")).await["stale"],
        false
    );
}

#[tokio::test]
async fn the_playbook_list_filters_by_system_and_category() {
    let (app, controller, system) = with_system().await;
    let other = app.system(&controller, "Thư điện tử", 2).await;
    let a = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-03-01"),
        )
        .await;
    let b = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;
    let c = app
        .playbook(&controller, &other, playbook_body("dos", "2026-03-01"))
        .await;

    let mut all = item_ids(&read(&app, &controller, "/api/v1/playbooks").await);
    all.sort();
    let mut expected = vec![a.clone(), b.clone(), c.clone()];
    expected.sort();
    assert_eq!(all, expected);
    let mut of_system = item_ids(
        &read(
            &app,
            &controller,
            &format!("/api/v1/playbooks?system_id={system}"),
        )
        .await,
    );
    of_system.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(of_system, expected);
    let mut dos = item_ids(&read(&app, &controller, "/api/v1/playbooks?category=dos").await);
    dos.sort();
    let mut expected = vec![b, c];
    expected.sort();
    assert_eq!(dos, expected);
    let (status, body) = app
        .get(&controller, "/api/v1/playbooks?category=alien")
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("category"),
    );
}

// ------------------------------------------------------------ bad input

#[tokio::test]
async fn empty_steps_are_refused() {
    let (app, controller, system) = with_system().await;
    let mut body = playbook_body("dos", "2026-03-01");
    body["steps"] = json!([]);
    assert_create_refused(&app, &controller, &system, body, "steps").await;
}

#[tokio::test]
async fn blank_priority_conditions_are_refused() {
    let (app, controller, system) = with_system().await;
    let mut body = playbook_body("dos", "2026-03-01");
    body["priority_conditions"] = json!("   ");
    assert_create_refused(&app, &controller, &system, body, "priority_conditions").await;
}

#[tokio::test]
async fn an_unknown_category_is_refused_naming_category() {
    let (app, controller, system) = with_system().await;
    assert_create_refused(
        &app,
        &controller,
        &system,
        playbook_body("alien_invasion", "2026-03-01"),
        "category",
    )
    .await;
}

#[tokio::test]
async fn other_bad_playbook_input_is_refused_naming_the_field() {
    let (app, controller, system) = with_system().await;
    let with = |key: &str, value: Value| {
        let mut body = playbook_body("dos", "2026-03-01");
        body[key] = value;
        body
    };
    let cases = [
        (with("title", json!("")), "title"),
        (with("title", json!("x".repeat(10_000))), "title"),
        (
            with("steps", json!([{"action": "Cô lập", "role": ""}])),
            "steps.0.role",
        ),
        (
            with(
                "steps",
                json!([{"action": "Cô lập", "role": "Quản trị"}, {"action": " ", "role": "Quản trị"}]),
            ),
            "steps.1.action",
        ),
        (with("steps", json!([{"action": "Cô lập"}])), "steps.0.role"),
        (
            with(
                "steps",
                json!([{"action": "Cô lập", "role": "Quản trị", "order": -1}]),
            ),
            "steps.0.order",
        ),
        (with("reviewed_on", json!("2026-02-30")), "reviewed_on"),
        (with("reviewed_on", json!("2099-01-01")), "reviewed_on"),
        (with("approved_on", json!("2026-03-01")), "approved_by"),
        (
            with("priority_conditions", json!("x".repeat(10_001))),
            "priority_conditions",
        ),
        (with("owner", json!("x")), "owner"),
    ];
    for (body, field) in cases {
        assert_create_refused(&app, &controller, &system, body, field).await;
    }
    let steps: Vec<Value> = (0..101)
        .map(|i| json!({"action": format!("Bước {i}"), "role": "Quản trị"}))
        .collect();
    assert_create_refused(
        &app,
        &controller,
        &system,
        with("steps", json!(steps)),
        "steps",
    )
    .await;
}

#[tokio::test]
async fn a_refused_new_version_stores_nothing() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;
    let path = format!("/api/v1/playbooks/{id}");
    let before = read(&app, &controller, &path).await;
    let mut bad = playbook_body("dos", "2026-04-01");
    bad["steps"] = json!([]);

    let (status, body) = app.put(&controller, &path, bad).await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("steps"),
    );
    assert_eq!(read(&app, &controller, &path).await, before);
    assert_eq!(app.count(playbook_version::Entity).await, 1);
}

#[tokio::test]
async fn a_responder_reads_playbooks_but_cannot_write_them() {
    let (app, controller, system) = with_system().await;
    let responder = app
        .user("ung-cuu", Role::Responder, controller.org_id)
        .await;
    let id = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;

    let (status, body) = app
        .post(
            &responder,
            &format!("/api/v1/systems/{system}/playbooks"),
            playbook_body("malware", "2026-03-01"),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = app
        .put(
            &responder,
            &format!("/api/v1/playbooks/{id}"),
            playbook_body("dos", "2026-04-01"),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);

    assert_eq!(
        read(&app, &responder, &format!("/api/v1/playbooks/{id}")).await["version"],
        1
    );
    assert_eq!(
        read(
            &app,
            &responder,
            &format!("/api/v1/playbooks/{id}/versions")
        )
        .await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.count(playbook::Entity).await, 1);
}

// ------------------------------------------------------------ concurrent writers

#[tokio::test]
async fn concurrent_new_versions_never_fail_with_a_server_error() {
    let (app, controller, system) = with_system().await;
    let id = app
        .playbook(&controller, &system, playbook_body("dos", "2026-03-01"))
        .await;
    let path = format!("/api/v1/playbooks/{id}");
    let put = || app.put(&controller, &path, playbook_body("dos", "2026-04-01"));

    let results = tokio::join!(put(), put(), put(), put(), put(), put());

    let results = [
        results.0, results.1, results.2, results.3, results.4, results.5,
    ];
    for (status, body) in &results {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
    let saved = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert!(saved >= 1, "at least one save wins");
    let history = read(&app, &controller, &format!("{path}/versions")).await;
    let numbers: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = (1..=saved as i64 + 1).rev().collect();
    assert_eq!(
        numbers, expected,
        "one version per successful save, without gaps"
    );
    assert_eq!(
        read(&app, &controller, &path).await["version"],
        saved as i64 + 1
    );
}

#[tokio::test]
async fn concurrent_creations_of_one_category_make_one_playbook() {
    let (app, controller, system) = with_system().await;
    let path = format!("/api/v1/systems/{system}/playbooks");
    let post = || app.post(&controller, &path, playbook_body("malware", "2026-03-01"));

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
    assert_eq!(app.count(playbook::Entity).await, 1);
    assert_eq!(app.count(playbook_version::Entity).await, 1);
}
