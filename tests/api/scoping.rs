//! Integration tests: organisation isolation. Everyone but an administrator sees their
//! own organisation and its units; anything else answers 404 (never 403, so that its
//! existence does not leak), is missing from lists, and cannot be changed.
//!
//! The tree used throughout:
//!
//! ```text
//! root ── bo-a (ministry A) ── don-vi-a (its unit)
//!      └─ bo-b (ministry B)
//! ```

use cyberdrill::domain::Role;
use cyberdrill::entities::{org, playbook_version, system, team, team_member};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, TestUser, assert_error, item_ids, playbook_body, qualified_member};

struct World {
    app: TestApp,
    org_a: Uuid,
    unit_a: Uuid,
    org_b: Uuid,
    admin: TestUser,
    /// Controller of ministry A (the owner of the records below).
    owner: TestUser,
    /// Controller of A's unit.
    unit: TestUser,
    /// Controller and responder of ministry B.
    controller_b: TestUser,
    responder_b: TestUser,
    /// Records of ministry A.
    system: String,
    team: String,
    member: String,
    playbook: String,
    /// A system of A's unit.
    unit_system: String,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let org_a = app.org("bo-a", None).await;
    let unit_a = app.org("don-vi-a", Some(org_a)).await;
    let org_b = app.org("bo-b", None).await;
    let admin = app.user("quan-tri", Role::Admin, app.root_org).await;
    let owner = app.user("dieu-phoi-a", Role::Controller, org_a).await;
    let unit = app.user("dieu-phoi-don-vi", Role::Controller, unit_a).await;
    let controller_b = app.user("dieu-phoi-b", Role::Controller, org_b).await;
    let responder_b = app.user("ung-cuu-b", Role::Responder, org_b).await;
    let system = app.system(&owner, "Cổng dịch vụ công A", 3).await;
    let team = app.team(&owner, "Đội ứng cứu A").await;
    let member = app
        .member(&owner, &team, qualified_member("Nguyễn Văn An"))
        .await;
    let playbook = app
        .playbook(&owner, &system, playbook_body("encryption", "2026-03-01"))
        .await;
    let unit_system = app.system(&unit, "Cổng đơn vị", 3).await;
    World {
        app,
        org_a,
        unit_a,
        org_b,
        admin,
        owner,
        unit,
        controller_b,
        responder_b,
        system,
        team,
        member,
        playbook,
        unit_system,
    }
}

async fn get_ok(app: &TestApp, user: &TestUser, path: &str) -> Value {
    let (status, body) = app.get(user, path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

#[track_caller]
fn assert_404(status: StatusCode, body: &Value) {
    assert_error(status, body, StatusCode::NOT_FOUND, "not_found", None);
}

// ------------------------------------------------------------ systems

#[tokio::test]
async fn a_responder_of_another_organisation_gets_404_for_a_system() {
    let w = world().await;

    let (status, body) = w
        .app
        .get(&w.responder_b, &format!("/api/v1/systems/{}", w.system))
        .await;

    assert_404(status, &body);
    assert!(!body.to_string().contains("Cổng dịch vụ công A"), "{body}");
}

#[tokio::test]
async fn a_responder_of_another_organisation_cannot_list_a_system() {
    let w = world().await;
    let own = w.app.system(&w.controller_b, "Cổng B", 3).await;

    for query in [
        "",
        "?q=C%E1%BB%95ng",
        &format!("?org_id={}", w.org_a),
        "?min_level=1",
        "?lacking_playbook=true",
    ] {
        let list = get_ok(&w.app, &w.responder_b, &format!("/api/v1/systems{query}")).await;
        let ids = item_ids(&list);
        assert!(
            !ids.contains(&w.system) && !ids.contains(&w.unit_system),
            "{query}: {list}"
        );
    }
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.responder_b, "/api/v1/systems").await),
        vec![own]
    );
}

#[tokio::test]
async fn a_controller_of_another_organisation_cannot_change_or_delete_a_system() {
    let w = world().await;
    let path = format!("/api/v1/systems/{}", w.system);
    let before = get_ok(&w.app, &w.owner, &path).await;

    let (status, body) = w
        .app
        .patch(
            &w.controller_b,
            &path,
            json!({"level": 1, "name": "Bị đổi"}),
        )
        .await;
    assert_404(status, &body);
    let (status, body) = w.app.delete(&w.controller_b, &path).await;
    assert_404(status, &body);
    // A malformed patch is refused before any lookup, so the answer is the same as for
    // a system that does not exist: it reveals nothing.
    let bad = json!({"level": 0});
    let for_real = w.app.patch(&w.controller_b, &path, bad.clone()).await;
    let for_nothing = w
        .app
        .patch(
            &w.controller_b,
            &format!("/api/v1/systems/{}", Uuid::now_v7()),
            bad,
        )
        .await;
    assert_eq!(for_real, for_nothing);

    assert_eq!(get_ok(&w.app, &w.owner, &path).await, before);
}

#[tokio::test]
async fn a_responder_of_another_organisation_gets_404_not_403_when_writing() {
    let w = world().await;
    let path = format!("/api/v1/systems/{}", w.system);

    let (status, body) = w
        .app
        .patch(&w.responder_b, &path, json!({"level": 1}))
        .await;
    assert_404(status, &body);
    let (status, body) = w.app.delete(&w.responder_b, &path).await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .patch(
            &w.responder_b,
            &format!("/api/v1/teams/{}", w.team),
            json!({"name": "x"}),
        )
        .await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .put(
            &w.responder_b,
            &format!("/api/v1/playbooks/{}", w.playbook),
            playbook_body("encryption", "2026-04-01"),
        )
        .await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .patch(
            &w.responder_b,
            &format!("/api/v1/orgs/{}", w.org_a),
            json!({"name": "x"}),
        )
        .await;
    assert_404(status, &body);

    assert_eq!(get_ok(&w.app, &w.owner, &path).await["level"], 3);
}

#[tokio::test]
async fn a_system_cannot_be_created_in_another_organisation() {
    let w = world().await;
    let before = w.app.count(system::Entity).await;

    let body = json!({"name": "Cài cắm", "system_type": "internal", "level": 3, "org_id": w.org_a});
    let (status, resp) = w.app.post(&w.controller_b, "/api/v1/systems", body).await;

    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("org_id"),
    );
    assert_eq!(w.app.count(system::Entity).await, before);
}

// ------------------------------------------------------------ teams and members

#[tokio::test]
async fn another_organisations_team_is_invisible_and_unchangeable() {
    let w = world().await;
    let path = format!("/api/v1/teams/{}", w.team);
    let before = get_ok(&w.app, &w.owner, &path).await;

    let (status, body) = w.app.get(&w.controller_b, &path).await;
    assert_404(status, &body);
    let list = get_ok(&w.app, &w.controller_b, "/api/v1/teams").await;
    assert!(!item_ids(&list).contains(&w.team), "{list}");
    let list = get_ok(
        &w.app,
        &w.controller_b,
        &format!("/api/v1/teams?org_id={}", w.org_a),
    )
    .await;
    assert_eq!(item_ids(&list), Vec::<String>::new());
    let (status, body) = w
        .app
        .patch(&w.controller_b, &path, json!({"name": "Bị đổi"}))
        .await;
    assert_404(status, &body);

    assert_eq!(get_ok(&w.app, &w.owner, &path).await, before);
}

#[tokio::test]
async fn another_organisations_members_are_invisible_and_unchangeable() {
    let w = world().await;
    let members = format!("/api/v1/teams/{}/members", w.team);
    let member = format!("{members}/{}", w.member);
    let before = get_ok(&w.app, &w.owner, &member).await;
    let count = w.app.count(team_member::Entity).await;

    let (status, body) = w.app.get(&w.controller_b, &members).await;
    assert_404(status, &body);
    let (status, body) = w.app.get(&w.controller_b, &member).await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .patch(&w.controller_b, &member, json!({"full_name": "Bị đổi"}))
        .await;
    assert_404(status, &body);
    let (status, body) = w.app.delete(&w.controller_b, &member).await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .post(&w.controller_b, &members, qualified_member("Cài cắm"))
        .await;
    assert_404(status, &body);

    assert_eq!(get_ok(&w.app, &w.owner, &member).await, before);
    assert_eq!(w.app.count(team_member::Entity).await, count);
}

#[tokio::test]
async fn a_team_cannot_be_created_in_another_organisation() {
    let w = world().await;
    let before = w.app.count(team::Entity).await;

    let (status, body) = w
        .app
        .post(
            &w.controller_b,
            "/api/v1/teams",
            json!({"name": "Cài cắm", "side": "red", "org_id": w.org_a}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("org_id"),
    );
    assert_eq!(w.app.count(team::Entity).await, before);
}

// ------------------------------------------------------------ playbooks

#[tokio::test]
async fn another_organisations_playbook_is_invisible_and_unchangeable() {
    let w = world().await;
    let path = format!("/api/v1/playbooks/{}", w.playbook);
    let before = get_ok(&w.app, &w.owner, &path).await;
    let versions = w.app.count(playbook_version::Entity).await;

    for read in [
        path.clone(),
        format!("{path}/versions"),
        format!("{path}/versions/1"),
        format!("/api/v1/systems/{}/playbooks", w.system),
    ] {
        let (status, body) = w.app.get(&w.controller_b, &read).await;
        assert_404(status, &body);
    }
    for query in [
        "",
        "?stale=false",
        &format!("?system_id={}", w.system),
        &format!("?org_id={}", w.org_a),
    ] {
        let list = get_ok(
            &w.app,
            &w.controller_b,
            &format!("/api/v1/playbooks{query}"),
        )
        .await;
        assert_eq!(item_ids(&list), Vec::<String>::new(), "{query}");
    }
    let (status, body) = w
        .app
        .put(
            &w.controller_b,
            &path,
            playbook_body("encryption", "2026-04-01"),
        )
        .await;
    assert_404(status, &body);
    let (status, body) = w
        .app
        .post(
            &w.controller_b,
            &format!("/api/v1/systems/{}/playbooks", w.system),
            playbook_body("dos", "2026-04-01"),
        )
        .await;
    assert_404(status, &body);

    assert_eq!(get_ok(&w.app, &w.owner, &path).await, before);
    assert_eq!(w.app.count(playbook_version::Entity).await, versions);
}

// ------------------------------------------------------------ organisations

#[tokio::test]
async fn another_organisation_is_invisible_and_unchangeable() {
    let w = world().await;
    let path = format!("/api/v1/orgs/{}", w.org_a);
    let before = get_ok(&w.app, &w.owner, &path).await;

    let (status, body) = w.app.get(&w.controller_b, &path).await;
    assert_404(status, &body);
    let list = get_ok(&w.app, &w.controller_b, "/api/v1/orgs").await;
    assert_eq!(item_ids(&list), vec![w.org_b.to_string()]);
    let (status, body) = w
        .app
        .patch(&w.controller_b, &path, json!({"name": "Bị đổi"}))
        .await;
    assert_404(status, &body);

    assert_eq!(get_ok(&w.app, &w.owner, &path).await, before);
}

#[tokio::test]
async fn a_unit_cannot_be_created_under_another_organisation() {
    let w = world().await;
    let before = w.app.count(org::Entity).await;

    let body = json!({"slug": "cai-cam", "name": "Cài cắm", "parent_id": w.org_a});
    let (status, resp) = w.app.post(&w.controller_b, "/api/v1/orgs", body).await;

    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parent_id"),
    );
    assert_eq!(w.app.count(org::Entity).await, before);
}

#[tokio::test]
async fn an_organisation_cannot_be_moved_under_another_organisation() {
    let w = world().await;

    let (status, body) = w
        .app
        .patch(
            &w.controller_b,
            &format!("/api/v1/orgs/{}", w.org_b),
            json!({"parent_id": w.org_a}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parent_id"),
    );
    assert_eq!(
        get_ok(&w.app, &w.admin, &format!("/api/v1/orgs/{}", w.org_b)).await["parent_id"],
        w.app.root_org.to_string()
    );
}

#[tokio::test]
async fn a_controller_adds_a_unit_below_their_organisation_and_sees_it() {
    let w = world().await;

    let body =
        json!({"slug": "don-vi-b", "name": "Đơn vị B", "parent_id": w.org_b, "sector": "health"});
    let (status, created) = w.app.post(&w.controller_b, "/api/v1/orgs", body).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        get_ok(&w.app, &w.controller_b, &format!("/api/v1/orgs/{id}")).await["sector"],
        "health"
    );
    let (status, body) = w.app.get(&w.owner, &format!("/api/v1/orgs/{id}")).await;
    assert_404(status, &body);
}

#[tokio::test]
async fn a_controller_cannot_detach_a_unit_from_their_organisation() {
    let w = world().await;
    let path = format!("/api/v1/orgs/{}", w.unit_a);

    // Making the unit top-level would take it out of every non-admin's sight.
    let (status, body) = w
        .app
        .patch(&w.owner, &path, json!({"parent_id": null}))
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parent_id"),
    );
    assert_eq!(
        get_ok(&w.app, &w.owner, &path).await["parent_id"],
        w.org_a.to_string()
    );
}

#[tokio::test]
async fn an_organisation_cannot_become_its_own_ancestor() {
    let w = world().await;

    let (status, body) = w
        .app
        .patch(
            &w.admin,
            &format!("/api/v1/orgs/{}", w.org_a),
            json!({"parent_id": w.unit_a}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parent_id"),
    );
    assert_eq!(
        get_ok(&w.app, &w.admin, &format!("/api/v1/orgs/{}", w.org_a)).await["parent_id"],
        w.app.root_org.to_string()
    );
}

// ------------------------------------------------------------ the hierarchy

#[tokio::test]
async fn a_ministry_sees_and_edits_its_units_records() {
    let w = world().await;
    let unit_team = w.app.team(&w.unit, "Đội đơn vị").await;
    let path = format!("/api/v1/systems/{}", w.unit_system);

    assert_eq!(
        get_ok(&w.app, &w.owner, &path).await["org_id"],
        w.unit_a.to_string()
    );
    let mut systems = item_ids(&get_ok(&w.app, &w.owner, "/api/v1/systems").await);
    systems.sort();
    let mut expected = vec![w.system.clone(), w.unit_system.clone()];
    expected.sort();
    assert_eq!(systems, expected);
    assert!(item_ids(&get_ok(&w.app, &w.owner, "/api/v1/teams").await).contains(&unit_team));
    let orgs = item_ids(&get_ok(&w.app, &w.owner, "/api/v1/orgs").await);
    assert!(
        orgs.contains(&w.unit_a.to_string()) && !orgs.contains(&w.org_b.to_string()),
        "{orgs:?}"
    );

    let (status, body) = w.app.patch(&w.owner, &path, json!({"level": 4})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(get_ok(&w.app, &w.unit, &path).await["level"], 4);
}

#[tokio::test]
async fn a_unit_does_not_see_its_ministrys_records() {
    let w = world().await;

    for path in [
        format!("/api/v1/systems/{}", w.system),
        format!("/api/v1/teams/{}", w.team),
        format!("/api/v1/playbooks/{}", w.playbook),
        format!("/api/v1/orgs/{}", w.org_a),
    ] {
        let (status, body) = w.app.get(&w.unit, &path).await;
        assert_404(status, &body);
    }
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.unit, "/api/v1/systems").await),
        vec![w.unit_system.clone()]
    );
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.unit, "/api/v1/teams").await),
        Vec::<String>::new()
    );
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.unit, "/api/v1/playbooks").await),
        Vec::<String>::new()
    );
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.unit, "/api/v1/orgs").await),
        vec![w.unit_a.to_string()]
    );
}

#[tokio::test]
async fn an_administrator_sees_everything() {
    let w = world().await;
    let b_system = w.app.system(&w.controller_b, "Cổng B", 3).await;

    let systems = item_ids(&get_ok(&w.app, &w.admin, "/api/v1/systems").await);
    for id in [&w.system, &w.unit_system, &b_system] {
        assert!(systems.contains(id), "{id} missing from {systems:?}");
    }
    assert!(item_ids(&get_ok(&w.app, &w.admin, "/api/v1/teams").await).contains(&w.team));
    assert_eq!(
        item_ids(&get_ok(&w.app, &w.admin, "/api/v1/playbooks").await),
        vec![w.playbook.clone()]
    );
    let orgs = item_ids(&get_ok(&w.app, &w.admin, "/api/v1/orgs").await);
    assert_eq!(orgs.len(), 4, "root and three organisations: {orgs:?}");
    get_ok(
        &w.app,
        &w.admin,
        &format!("/api/v1/teams/{}/members/{}", w.team, w.member),
    )
    .await;
    get_ok(
        &w.app,
        &w.admin,
        &format!("/api/v1/playbooks/{}/versions/1", w.playbook),
    )
    .await;
}

// ------------------------------------------------------------ organisation records

#[tokio::test]
async fn an_administrator_creates_a_top_level_organisation_and_changes_it() {
    let w = world().await;

    let body = json!({"slug": "bo-c", "name": " Bộ C ", "sector": "energy"});
    let (status, created) = w.app.post(&w.admin, "/api/v1/orgs", body).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "Bộ C");
    assert_eq!(created["parent_id"], Value::Null);
    let path = format!("/api/v1/orgs/{}", created["id"].as_str().unwrap());
    let (status, patched) = w
        .app
        .patch(
            &w.admin,
            &path,
            json!({"name": "Bộ Công", "sector": null, "parent_id": w.app.root_org}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let read = get_ok(&w.app, &w.admin, &path).await;
    assert_eq!(read["name"], "Bộ Công");
    assert_eq!(read["sector"], Value::Null);
    assert_eq!(read["parent_id"], w.app.root_org.to_string());
    assert_eq!(read["slug"], "bo-c");
}

#[tokio::test]
async fn a_controller_cannot_create_a_top_level_organisation() {
    let w = world().await;
    let before = w.app.count(org::Entity).await;

    let (status, body) = w
        .app
        .post(
            &w.controller_b,
            "/api/v1/orgs",
            json!({"slug": "bo-moi", "name": "Bộ mới"}),
        )
        .await;

    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("parent_id"),
    );
    assert_eq!(w.app.count(org::Entity).await, before);
}

#[tokio::test]
async fn a_responder_cannot_create_or_change_an_organisation() {
    let w = world().await;
    let before = w.app.count(org::Entity).await;

    let (status, body) = w
        .app
        .post(
            &w.responder_b,
            "/api/v1/orgs",
            json!({"slug": "x-y", "name": "X", "parent_id": w.org_b}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = w
        .app
        .patch(
            &w.responder_b,
            &format!("/api/v1/orgs/{}", w.org_b),
            json!({"name": "Bị đổi"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);

    assert_eq!(w.app.count(org::Entity).await, before);
    assert_eq!(
        get_ok(&w.app, &w.responder_b, &format!("/api/v1/orgs/{}", w.org_b)).await["name"],
        "Org bo-b"
    );
}

#[tokio::test]
async fn bad_organisation_input_is_refused_naming_the_field() {
    let w = world().await;
    let before = w.app.count(org::Entity).await;
    let cases = [
        (
            json!({"slug": "Bad Slug", "name": "X", "parent_id": w.org_b}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug",
        ),
        (
            json!({"slug": "-x", "name": "X", "parent_id": w.org_b}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug",
        ),
        (
            json!({"slug": "ok-slug", "name": "", "parent_id": w.org_b}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"slug": "ok-slug", "name": "x".repeat(10_000), "parent_id": w.org_b}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"slug": "ok-slug", "name": "Bộ\u{0}", "parent_id": w.org_b}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"slug": "ok-slug", "name": "X", "parent_id": w.org_b, "sector": "bank"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "sector",
        ),
        (
            json!({"slug": "ok-slug", "name": "X", "parent_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent_id",
        ),
        (
            json!({"slug": "ok-slug", "name": "X", "parent_id": w.org_b, "budget": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "budget",
        ),
        (
            json!({"slug": "bo-a", "name": "X", "parent_id": w.org_b}),
            StatusCode::CONFLICT,
            "slug",
        ),
    ];
    for (body, expected, field) in cases {
        let (status, resp) = w.app.post(&w.controller_b, "/api/v1/orgs", body).await;
        let code = if expected == StatusCode::CONFLICT {
            "conflict"
        } else {
            "validation_failed"
        };
        assert_error(status, &resp, expected, code, Some(field));
    }
    assert_eq!(w.app.count(org::Entity).await, before);

    let path = format!("/api/v1/orgs/{}", w.org_b);
    let (status, resp) = w
        .app
        .patch(&w.controller_b, &path, json!({"name": "Bộ\u{0}B"}))
        .await;
    assert_error(
        status,
        &resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("name"),
    );
    assert_eq!(
        get_ok(&w.app, &w.controller_b, &path).await["name"],
        "Org bo-b"
    );
}
