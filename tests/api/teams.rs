//! Integration tests: response teams, their members, and the count of qualified
//! experts (Directive 18/CT-TTg: at least five).

use cyberdrill::domain::Role;
use cyberdrill::entities::{team, team_member};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, item_ids, qualified_member};

async fn with_controller() -> (TestApp, TestUser) {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    (app, controller)
}

async fn read_team(app: &TestApp, user: &TestUser, id: &str) -> Value {
    let (status, body) = app.get(user, &format!("/api/v1/teams/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Adds a member and asserts a 422 naming `field`, with no member written.
async fn assert_member_refused(
    app: &TestApp,
    user: &TestUser,
    team_id: &str,
    body: Value,
    field: &str,
) {
    let before = app.count(team_member::Entity).await;
    let (status, resp) = app
        .post(user, &format!("/api/v1/teams/{team_id}/members"), body)
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some(field),
    );
    assert_eq!(
        app.count(team_member::Entity).await,
        before,
        "a refused member was written"
    );
}

// ------------------------------------------------------------ teams

#[tokio::test]
async fn a_controller_creates_a_team_and_reads_it_back() {
    let (app, controller) = with_controller().await;
    let body = json!({
        "name": " Đội ứng cứu sự cố ",
        "side": "blue",
        "description": "Đội thường trực",
        "contact_primary": {"name": "Nguyễn Văn An", "title": "Trưởng nhóm", "phone": "+84 24 1234 5678", "email": "an@example.gov.vn"},
        "is_24x7": true,
        "established_decision_no": "45/QĐ-BTT",
        "established_on": "2025-06-01",
    });

    let (status, created) = app.post(&controller, "/api/v1/teams", body).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let read = read_team(&app, &controller, created["id"].as_str().unwrap()).await;
    assert_eq!(read["org_id"], controller.org_id.to_string());
    assert_eq!(read["name"], "Đội ứng cứu sự cố");
    assert_eq!(read["side"], "blue");
    assert_eq!(read["contact_primary"]["email"], "an@example.gov.vn");
    assert_eq!(read["is_24x7"], true);
    assert_eq!(read["established_on"], "2025-06-01");
    assert_eq!(read["qualified_experts"], 0);
    assert_eq!(read["meets_minimum_experts"], false);
    assert_eq!(read, created);
}

#[tokio::test]
async fn patch_changes_a_team_and_null_clears_a_contact() {
    let (app, controller) = with_controller().await;
    let body = json!({"name": "Đội A", "side": "blue", "contact_primary": {"name": "An", "phone": "0901234567"}});
    let (_, created) = app.post(&controller, "/api/v1/teams", body).await;
    let path = format!("/api/v1/teams/{}", created["id"].as_str().unwrap());

    let (status, patched) = app
        .patch(
            &controller,
            &path,
            json!({"side": "red", "contact_primary": null}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{patched}");
    let read = app.get(&controller, &path).await.1;
    assert_eq!(read["side"], "red");
    assert_eq!(read["contact_primary"], Value::Null);
    assert_eq!(read["name"], "Đội A");
}

#[tokio::test]
async fn a_team_lists_with_its_filters() {
    let (app, controller) = with_controller().await;
    let blue = app.team(&controller, "Đội xanh").await;
    let (_, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội đỏ", "side": "red"}),
        )
        .await;
    let red = red["id"].as_str().unwrap().to_owned();
    let full = app.team(&controller, "Đội đủ người").await;
    for i in 0..5 {
        app.member(
            &controller,
            &full,
            qualified_member(&format!("Chuyên gia {i}")),
        )
        .await;
    }

    let ids = |body: Value| item_ids(&body);
    assert_eq!(
        ids(app.get(&controller, "/api/v1/teams").await.1),
        vec![blue.clone(), red.clone(), full.clone()]
    );
    assert_eq!(
        ids(app.get(&controller, "/api/v1/teams?side=red").await.1),
        vec![red.clone()]
    );
    assert_eq!(
        ids(app
            .get(&controller, "/api/v1/teams?below_minimum=true")
            .await
            .1),
        vec![blue.clone(), red.clone()]
    );
    assert_eq!(
        ids(app
            .get(&controller, "/api/v1/teams?q=%C4%91%E1%BB%A7")
            .await
            .1),
        vec![full.clone()]
    );
    let (status, body) = app.get(&controller, "/api/v1/teams?side=purple").await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("side"),
    );
}

#[tokio::test]
async fn a_duplicate_team_name_in_one_organisation_is_409() {
    let (app, controller) = with_controller().await;
    app.team(&controller, "Đội A").await;

    let (status, body) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội A", "side": "red"}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("name"),
    );
    assert_eq!(app.count(team::Entity).await, 1);
}

#[tokio::test]
async fn bad_team_input_is_refused_naming_the_field() {
    let (app, controller) = with_controller().await;
    let cases = [
        (json!({"name": "", "side": "blue"}), "name"),
        (json!({"name": "x".repeat(10_000), "side": "blue"}), "name"),
        (json!({"name": "Đội", "side": "green"}), "side"),
        (
            json!({"name": "Đội", "side": "blue", "established_on": "2026-02-30"}),
            "established_on",
        ),
        (
            json!({"name": "Đội", "side": "blue", "established_on": "2099-01-01"}),
            "established_on",
        ),
        (
            json!({"name": "Đội", "side": "blue", "contact_primary": {"name": "An", "email": "not-an-email"}}),
            "contact_primary.email",
        ),
        (
            json!({"name": "Đội", "side": "blue", "contact_primary": {"name": "An"}}),
            "contact_primary.phone",
        ),
        (
            json!({"name": "Đội", "side": "blue", "contact_backup": {"name": "An", "phone": "call me"}}),
            "contact_backup.phone",
        ),
        (
            json!({"name": "Đội", "side": "blue", "motto": "x"}),
            "motto",
        ),
    ];
    for (body, field) in cases {
        let (status, resp) = app.post(&controller, "/api/v1/teams", body).await;
        assert_error(
            status,
            &resp,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        );
    }
    assert_eq!(app.count(team::Entity).await, 0);
}

#[tokio::test]
async fn a_responder_cannot_create_or_change_a_team_but_can_read_it() {
    let (app, controller) = with_controller().await;
    let responder = app
        .user("ung-cuu", Role::Responder, controller.org_id)
        .await;
    let id = app.team(&controller, "Đội A").await;

    let (status, body) = app
        .post(
            &responder,
            "/api/v1/teams",
            json!({"name": "Đội B", "side": "blue"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = app
        .patch(
            &responder,
            &format!("/api/v1/teams/{id}"),
            json!({"name": "Đội C"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = app
        .post(
            &responder,
            &format!("/api/v1/teams/{id}/members"),
            qualified_member("An"),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);

    assert_eq!(read_team(&app, &responder, &id).await["name"], "Đội A");
    assert_eq!(app.count(team::Entity).await, 1);
    assert_eq!(app.count(team_member::Entity).await, 0);
}

// ------------------------------------------------------------ members

#[tokio::test]
async fn members_are_added_read_changed_and_removed() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let members = format!("/api/v1/teams/{team}/members");
    let mut body = qualified_member(" Trần Thị Bình ");
    body["title"] = json!("Kỹ sư");
    body["field_of_study"] = json!("infosec");
    body["degree_level"] = json!("bachelor");
    body["skills"] = json!(["Phân tích mã độc"]);
    body["expert_groups"] = json!(["ktpt", "qlattt", "ktpt"]);

    let (status, created) = app.post(&controller, &members, body).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["full_name"], "Trần Thị Bình");
    assert_eq!(
        created["expert_groups"],
        json!(["qlattt", "ktpt"]),
        "sorted in form order, without repeats"
    );
    assert_eq!(created["qualified"], true);
    let member = format!("{members}/{id}");
    let (status, read) = app.get(&controller, &member).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read, created);
    assert_eq!(
        item_ids(&app.get(&controller, &members).await.1),
        vec![id.to_owned()]
    );

    let (status, patched) = app
        .patch(
            &controller,
            &member,
            json!({"employment": "outsourced", "field_of_study": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["employment"], "outsourced");
    assert_eq!(patched["field_of_study"], Value::Null);
    assert_eq!(patched["full_name"], "Trần Thị Bình");
    assert_eq!(
        read_team(&app, &controller, &team).await["outsourced_members"],
        1
    );

    let (status, _) = app.delete(&controller, &member).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get(&controller, &member).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(
        item_ids(&app.get(&controller, &members).await.1),
        Vec::<String>::new()
    );
    assert_eq!(read_team(&app, &controller, &team).await["member_count"], 0);
}

#[tokio::test]
async fn a_member_of_one_team_is_not_found_through_another() {
    let (app, controller) = with_controller().await;
    let team_a = app.team(&controller, "Đội A").await;
    let team_b = app.team(&controller, "Đội B").await;
    let member = app
        .member(&controller, &team_a, qualified_member("An"))
        .await;
    let wrong = format!("/api/v1/teams/{team_b}/members/{member}");

    assert_eq!(app.get(&controller, &wrong).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&controller, &wrong, json!({"full_name": "Bình"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&controller, &wrong).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, read) = app
        .get(
            &controller,
            &format!("/api/v1/teams/{team_a}/members/{member}"),
        )
        .await;
    assert_eq!(read["full_name"], "An");
}

#[tokio::test]
async fn five_qualified_members_meet_the_minimum() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    for i in 0..4 {
        app.member(
            &controller,
            &team,
            qualified_member(&format!("Chuyên gia {i}")),
        )
        .await;
    }
    let four = read_team(&app, &controller, &team).await;
    assert_eq!(four["qualified_experts"], 4);
    assert_eq!(four["meets_minimum_experts"], false);

    app.member(&controller, &team, qualified_member("Chuyên gia 4"))
        .await;

    let five = read_team(&app, &controller, &team).await;
    assert_eq!(five["qualified_experts"], 5);
    assert_eq!(five["meets_minimum_experts"], true);
}

#[tokio::test]
async fn an_expired_certificate_does_not_count() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    for i in 0..4 {
        app.member(
            &controller,
            &team,
            qualified_member(&format!("Chuyên gia {i}")),
        )
        .await;
    }
    let mut expired = qualified_member("Hết hạn");
    expired["certificates"][0]["expires_on"] = json!("2025-01-01");

    let (status, member) = app
        .post(
            &controller,
            &format!("/api/v1/teams/{team}/members"),
            expired,
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{member}");
    assert_eq!(member["qualified"], false);
    let read = read_team(&app, &controller, &team).await;
    assert_eq!(read["member_count"], 5);
    assert_eq!(read["qualified_experts"], 4);
    assert_eq!(read["meets_minimum_experts"], false);
}

#[tokio::test]
async fn renewing_an_expired_certificate_makes_the_member_count() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let mut expired = qualified_member("Hết hạn");
    expired["certificates"][0]["expires_on"] = json!("2025-01-01");
    let member = app.member(&controller, &team, expired).await;
    let renewed = json!([
        {"name": "GCIH", "scope": "international", "issued_on": "2020-01-01", "expires_on": "2025-01-01"},
        {"name": "CEH", "scope": "international", "issued_on": "2025-01-02"},
    ]);

    let (status, body) = app
        .patch(
            &controller,
            &format!("/api/v1/teams/{team}/members/{member}"),
            json!({"certificates": renewed}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["qualified"], true,
        "a certificate without an expiry date does not expire"
    );
    assert_eq!(
        read_team(&app, &controller, &team).await["qualified_experts"],
        1
    );
}

#[tokio::test]
async fn a_member_without_an_expert_group_or_certificate_does_not_count() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let mut no_group = qualified_member("Không nhóm");
    no_group["expert_groups"] = json!([]);
    let mut no_cert = qualified_member("Không chứng chỉ");
    no_cert["certificates"] = json!([]);

    app.member(&controller, &team, no_group).await;
    app.member(&controller, &team, no_cert).await;

    let read = read_team(&app, &controller, &team).await;
    assert_eq!(read["member_count"], 2);
    assert_eq!(read["qualified_experts"], 0);
}

#[tokio::test]
async fn outsourced_members_count_towards_the_minimum() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    for i in 0..3 {
        app.member(&controller, &team, qualified_member(&format!("Nội bộ {i}")))
            .await;
    }
    for i in 0..2 {
        let mut outsourced = qualified_member(&format!("Thuê ngoài {i}"));
        outsourced["employment"] = json!("outsourced");
        app.member(&controller, &team, outsourced).await;
    }

    let read = read_team(&app, &controller, &team).await;

    assert_eq!(read["outsourced_members"], 2);
    assert_eq!(read["qualified_experts"], 5);
    assert_eq!(read["meets_minimum_experts"], true);
}

#[tokio::test]
async fn a_member_linked_to_a_user_of_another_organisation_is_refused_naming_user_id() {
    let (app, controller) = with_controller().await;
    let other_org = app.org("bo-khac", None).await;
    let stranger = app.user("nguoi-ngoai", Role::Responder, other_org).await;
    let team = app.team(&controller, "Đội A").await;
    let mut body = qualified_member("Người ngoài");
    body["user_id"] = json!(stranger.id);

    assert_member_refused(&app, &controller, &team, body, "user_id").await;
}

#[tokio::test]
async fn a_member_linked_to_an_unknown_user_is_refused_naming_user_id() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let mut body = qualified_member("Không tồn tại");
    body["user_id"] = json!(uuid::Uuid::now_v7());

    assert_member_refused(&app, &controller, &team, body, "user_id").await;
}

#[tokio::test]
async fn a_member_linked_to_a_colleague_is_accepted_and_cannot_be_relinked_to_a_stranger() {
    let (app, controller) = with_controller().await;
    let colleague = app
        .user("dong-nghiep", Role::Responder, controller.org_id)
        .await;
    let stranger = app
        .user(
            "nguoi-ngoai",
            Role::Responder,
            app.org("bo-khac", None).await,
        )
        .await;
    let team = app.team(&controller, "Đội A").await;
    let mut body = qualified_member("Đồng nghiệp");
    body["user_id"] = json!(colleague.id);
    let member = app.member(&controller, &team, body).await;
    let path = format!("/api/v1/teams/{team}/members/{member}");

    let (status, resp) = app
        .patch(&controller, &path, json!({"user_id": stranger.id}))
        .await;

    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("user_id"),
    );
    assert_eq!(
        app.get(&controller, &path).await.1["user_id"],
        colleague.id.to_string()
    );
}

#[tokio::test]
async fn adding_a_member_to_another_organisations_team_is_404() {
    let (app, controller) = with_controller().await;
    let other_org = app.org("bo-khac", None).await;
    let other = app.user("khac", Role::Controller, other_org).await;
    let theirs = app.team(&other, "Đội của họ").await;

    let (status, body) = app
        .post(
            &controller,
            &format!("/api/v1/teams/{theirs}/members"),
            qualified_member("Xâm nhập"),
        )
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    assert_eq!(app.count(team_member::Entity).await, 0);
    assert_eq!(read_team(&app, &other, &theirs).await["member_count"], 0);
}

#[tokio::test]
async fn a_certificate_expiring_before_it_was_issued_is_refused() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let mut body = qualified_member("An");
    body["certificates"][0]["issued_on"] = json!("2025-06-01");
    body["certificates"][0]["expires_on"] = json!("2025-05-31");

    assert_member_refused(&app, &controller, &team, body, "certificates.0.expires_on").await;
}

#[tokio::test]
async fn bad_member_input_is_refused_naming_the_field() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let with = |key: &str, value: Value| {
        let mut body = qualified_member("An");
        body[key] = value;
        body
    };
    let cases = [
        (with("full_name", json!("  ")), "full_name"),
        (with("full_name", json!("x".repeat(10_000))), "full_name"),
        (with("employment", json!("volunteer")), "employment"),
        (
            with("expert_groups", json!(["ktpt", "hacker"])),
            "expert_groups.1",
        ),
        (with("field_of_study", json!("art")), "field_of_study"),
        (with("skills", json!(["ok", ""])), "skills.1"),
        (
            with(
                "certificates",
                json!([{"name": "GCIH", "scope": "galactic"}]),
            ),
            "certificates.0.scope",
        ),
        (
            with("certificates", json!([{"name": "", "scope": "domestic"}])),
            "certificates.0.name",
        ),
        (
            with(
                "certificates",
                json!([{"name": "GCIH", "scope": "domestic", "expires_on": "2026-02-30"}]),
            ),
            "certificates.0.expires_on",
        ),
        (with("user_id", json!("not-a-uuid")), "user_id"),
        (with("nickname", json!("An")), "nickname"),
    ];
    for (body, field) in cases {
        assert_member_refused(&app, &controller, &team, body, field).await;
    }
}

#[tokio::test]
async fn a_refused_member_patch_changes_nothing() {
    let (app, controller) = with_controller().await;
    let team = app.team(&controller, "Đội A").await;
    let member = app.member(&controller, &team, qualified_member("An")).await;
    let path = format!("/api/v1/teams/{team}/members/{member}");
    let before = app.get(&controller, &path).await.1;
    let bad = json!({"full_name": "Bình", "certificates": [{"name": "X", "scope": "domestic", "issued_on": "2025-02-01", "expires_on": "2025-01-01"}]});

    let (status, body) = app.patch(&controller, &path, bad).await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("certificates.0.expires_on"),
    );
    assert_eq!(app.get(&controller, &path).await.1, before);
}
