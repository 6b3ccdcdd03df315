//! Integration tests: tokens, identity, revocation, login rate limits, and the
//! surface every client meets first (health, OpenAPI, 401/404 envelopes).

use cyberdrill::auth::secret;
use cyberdrill::auth::session::{CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};
use cyberdrill::domain::Role;
use cyberdrill::entities::{api_token, system};
use cyberdrill::store;
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_error, playbook_body, qualified_member};

// ------------------------------------------------------------ tokens

#[tokio::test]
async fn a_user_exchanges_username_and_password_for_a_working_token() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;

    let (status, _, body) = app.request_token("an", PASSWORD).await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().expect("token");
    let expires_at = body["expires_at"].as_str().expect("expires_at");
    let expires = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339 expires_at");
    assert!(
        expires > chrono::Utc::now(),
        "{expires_at} is not in the future"
    );
    let (status, me) = app.get(&user.with_token(token), "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "an");
}

#[tokio::test]
async fn a_wrong_password_is_401_in_the_envelope() {
    let app = TestApp::spawn().await;
    app.user("an", Role::Responder, app.root_org).await;

    let (status, _, body) = app.request_token("an", "not the password").await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert!(body.get("token").is_none(), "{body}");
}

#[tokio::test]
async fn an_unknown_user_is_401_like_a_wrong_password() {
    let app = TestApp::spawn().await;

    let (status, _, body) = app.request_token("nobody", PASSWORD).await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

#[tokio::test]
async fn a_username_with_a_nul_byte_is_refused_not_a_server_error() {
    let app = TestApp::spawn().await;

    let (status, _, body) = app.request_token("an\u{0}", PASSWORD).await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

#[tokio::test]
async fn a_bad_token_label_is_refused_naming_label_and_no_token_is_made() {
    let app = TestApp::spawn().await;
    app.user("an", Role::Responder, app.root_org).await;
    let before = app.count(api_token::Entity).await;

    for label in ["nhãn\u{0}", &"x".repeat(101)] {
        let resp = reqwest::Client::new()
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({"username": "an", "password": PASSWORD, "label": label}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.expect("JSON envelope");
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("label"),
        );
    }
    assert_eq!(app.count(api_token::Entity).await, before);
}

#[tokio::test]
async fn a_malformed_token_request_is_400_in_the_envelope() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;

    let (status, body) = app
        .post_raw(
            &user,
            "/api/v1/auth/token",
            "application/json",
            b"{\"username\":".to_vec(),
        )
        .await;

    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request", None);
}

#[tokio::test]
async fn me_describes_the_caller() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-a", None).await;
    let user = app.user("binh", Role::Controller, org).await;

    let (status, me) = app.get(&user, "/api/v1/me").await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user.id.to_string());
    assert_eq!(me["username"], user.username);
    assert_eq!(me["role"], "controller");
    assert_eq!(me["org_id"], org.to_string());
}

// ------------------------------------------------------------ revocation

#[tokio::test]
async fn revoking_the_current_token_makes_the_next_call_401() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;

    let (status, body) = app.delete(&user, "/api/v1/auth/token").await;

    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.get(&user, "/api/v1/me").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

#[tokio::test]
async fn revoking_one_token_leaves_the_others_working() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;
    let (_, _, second) = app.request_token("an", PASSWORD).await;
    let second = user.with_token(second["token"].as_str().unwrap());

    let (status, _) = app.delete(&second, "/api/v1/auth/token").await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&second, "/api/v1/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get(&user, "/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_token_revoked_by_id_no_longer_authenticates() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;
    let (_, _, created) = app.request_token("an", PASSWORD).await;
    let script = user.with_token(created["token"].as_str().unwrap());
    let id = created["id"].as_str().unwrap();

    let (status, revoked) = app
        .delete(&user, &format!("/api/v1/auth/tokens/{id}"))
        .await;

    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["id"], id);
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (status, body) = app.get(&script, "/api/v1/me").await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
    assert_eq!(
        app.get(&user, "/api/v1/me").await.0,
        StatusCode::OK,
        "the caller's own token still works"
    );
}

#[tokio::test]
async fn another_users_token_id_is_404_and_stays_valid() {
    let app = TestApp::spawn().await;
    let owner = app.user("an", Role::Controller, app.root_org).await;
    let other = app.user("binh", Role::Admin, app.root_org).await;
    let (_, _, created) = app.request_token("an", PASSWORD).await;
    let id = created["id"].as_str().unwrap();

    let (status, body) = app
        .delete(&other, &format!("/api/v1/auth/tokens/{id}"))
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    let script = owner.with_token(created["token"].as_str().unwrap());
    assert_eq!(app.get(&script, "/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_token_id_is_404() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;

    let (status, body) = app
        .delete(
            &user,
            &format!("/api/v1/auth/tokens/{}", uuid::Uuid::now_v7()),
        )
        .await;

    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}

#[tokio::test]
async fn the_token_list_shows_the_callers_tokens_without_secrets() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;
    let other = app.user("binh", Role::Responder, app.root_org).await;
    let (_, _, created) = app.request_token("an", PASSWORD).await;
    app.request_token("binh", PASSWORD).await;
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({"username": "an", "password": PASSWORD, "label": "báo cáo tự động"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);

    let (status, list) = app.get(&user, "/api/v1/auth/tokens").await;

    assert_eq!(status, StatusCode::OK, "{list}");
    let tokens = list.as_array().expect("a list of tokens");
    assert_eq!(tokens.len(), 3, "the test token and two new ones: {list}");
    assert!(tokens.iter().any(|t| t["id"] == created["id"]));
    assert!(
        tokens.iter().any(|t| t["label"] == "báo cáo tự động"),
        "{list}"
    );
    let text = list.to_string();
    assert!(
        !text.contains("token_hash") && !text.contains(created["token"].as_str().unwrap()),
        "{text}"
    );
    let (_, others) = app.get(&other, "/api/v1/auth/tokens").await;
    assert_eq!(
        others.as_array().unwrap().len(),
        2,
        "binh sees only binh's tokens: {others}"
    );
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Responder, app.root_org).await;
    let token = "cd_expired-token-for-the-test";
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    store::users::create_token(
        &app.db,
        user.id,
        secret::sha256_hex(token),
        "old",
        yesterday,
    )
    .await
    .unwrap();

    let (status, body) = app.get(&user.with_token(token), "/api/v1/me").await;

    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        None,
    );
}

// ------------------------------------------------------------ browser sessions

/// A logged-in browser: a session cookie for `user` and a CSRF cookie.
async fn browser_session(app: &TestApp, user_id: uuid::Uuid) -> (String, String) {
    let session = secret::new_secret();
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    store::users::create_session(&app.db, user_id, secret::sha256_hex(&session), expires)
        .await
        .unwrap();
    (session, secret::new_secret())
}

#[tokio::test]
async fn a_browser_session_reads_the_api_but_writes_only_with_the_csrf_header() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Controller, app.root_org).await;
    let (session, csrf) = browser_session(&app, user.id).await;
    let cookies = format!("{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf}");
    let client = reqwest::Client::new();
    let body = json!({"name": "Cổng", "system_type": "internal", "level": 3});

    let me = client
        .get(app.url("/api/v1/me"))
        .header("cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let forged = client
        .post(app.url("/api/v1/systems"))
        .header("cookie", &cookies)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let wrong = client
        .post(app.url("/api/v1/systems"))
        .header("cookie", &cookies)
        .header(CSRF_HEADER, secret::new_secret())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count(system::Entity).await, 0);

    let genuine = client
        .post(app.url("/api/v1/systems"))
        .header("cookie", &cookies)
        .header(CSRF_HEADER, &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(genuine.status(), StatusCode::CREATED);
    assert_eq!(app.count(system::Entity).await, 1);
}

#[tokio::test]
async fn an_unknown_session_cookie_is_401_on_the_api() {
    let app = TestApp::spawn().await;

    let resp = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("{SESSION_COOKIE}=made-up"))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.expect("JSON envelope");
    assert_eq!(body["error"]["code"], "unauthorized");
}

// ------------------------------------------------------------ rate limits

#[tokio::test]
async fn the_eleventh_login_attempt_on_one_username_is_429_with_retry_after() {
    let app = TestApp::spawn().await;
    app.user("an", Role::Responder, app.root_org).await;
    for attempt in 1..=10 {
        let (status, _, body) = app.request_token("an", "wrong password").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
    }

    // Even the right password is refused until the wait is over.
    let (status, headers, body) = app.request_token("an", PASSWORD).await;

    assert_error(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        None,
    );
    let retry_after: u64 = headers
        .get(RETRY_AFTER)
        .expect("Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1, "{retry_after}");
    // Another username is not affected.
    app.user("binh", Role::Responder, app.root_org).await;
    assert_eq!(
        app.request_token("binh", PASSWORD).await.0,
        StatusCode::CREATED
    );
}

// ------------------------------------------------------------ anonymous and unknown

#[tokio::test]
async fn no_token_is_401_in_the_envelope() {
    let app = TestApp::spawn().await;

    for path in [
        "/api/v1/me",
        "/api/v1/systems",
        "/api/v1/teams",
        "/api/v1/playbooks",
        "/api/v1/orgs",
    ] {
        let (status, body) = app.call(None, Method::GET, path, None).await;
        assert_error(
            status,
            &body,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
        );
    }
}

#[tokio::test]
async fn a_garbage_bearer_token_is_401() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Admin, app.root_org).await;

    for token in ["garbage", "cd_", "", "cd_ with spaces"] {
        let (status, body) = app.get(&user.with_token(token), "/api/v1/me").await;
        assert_error(
            status,
            &body,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
        );
    }
}

#[tokio::test]
async fn a_non_bearer_authorization_header_is_401() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Admin, app.root_org).await;

    let resp = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .basic_auth("an", Some(PASSWORD))
        .send()
        .await
        .unwrap();

    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = resp.json().await.expect("JSON envelope");
    assert_eq!(body["error"]["code"], "unauthorized");
    // The token itself is fine.
    assert_eq!(app.get(&user, "/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_api_path_is_404_in_the_envelope() {
    let app = TestApp::spawn().await;
    let user = app.user("an", Role::Admin, app.root_org).await;

    for path in [
        "/api/v1/nothing-here",
        "/api/v2/systems",
        "/api",
        "/api/v1/systems/not-a-uuid",
    ] {
        let (status, body) = app.get(&user, path).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
    }
}

#[tokio::test]
async fn a_method_the_path_does_not_serve_is_405_in_the_envelope() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin", Role::Admin, app.root_org).await;
    let team = app.team(&admin, "Đội A").await;

    for (method, path) in [
        (Method::DELETE, format!("/api/v1/teams/{team}")),
        (Method::PUT, "/api/v1/systems".to_owned()),
        (Method::PATCH, "/api/v1/me".to_owned()),
    ] {
        let (status, body) = app.call(Some(&admin), method.clone(), &path, None).await;
        assert_error(
            status,
            &body,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            None,
        );
    }
    assert_eq!(
        app.get(&admin, &format!("/api/v1/teams/{team}")).await.0,
        StatusCode::OK,
        "the team is still there"
    );
}

#[tokio::test]
async fn the_server_stops_cleanly_when_asked() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    assert_eq!(
        app.call(None, Method::GET, "/healthz", None).await.0,
        StatusCode::OK
    );

    app.stop().await.expect("a clean shutdown");

    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening on {addr}"
    );
}

#[tokio::test]
async fn health_reports_ok_without_authentication() {
    let app = TestApp::spawn().await;

    let (status, body) = app.call(None, Method::GET, "/healthz", None).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
}

// ------------------------------------------------------------ OpenAPI

async fn openapi(app: &TestApp) -> Value {
    let (status, doc) = app.call(None, Method::GET, "/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    doc
}

#[tokio::test]
async fn the_openapi_document_is_version_3_1_with_bearer_security() {
    let app = TestApp::spawn().await;

    let doc = openapi(&app).await;

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
}

#[tokio::test]
async fn the_openapi_document_lists_the_paths_of_the_public_contract() {
    let app = TestApp::spawn().await;

    let doc = openapi(&app).await;

    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/auth/token", &["post", "delete"]),
        ("/api/v1/auth/tokens", &["get"]),
        ("/api/v1/auth/tokens/{id}", &["delete"]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/orgs", &["get", "post"]),
        ("/api/v1/orgs/{id}", &["get", "patch"]),
        ("/api/v1/systems", &["get", "post"]),
        ("/api/v1/systems/{id}", &["get", "patch", "delete"]),
        ("/api/v1/teams", &["get", "post"]),
        ("/api/v1/teams/{id}", &["get", "patch"]),
        ("/api/v1/teams/{id}/members", &["get", "post"]),
        (
            "/api/v1/teams/{id}/members/{member_id}",
            &["patch", "delete"],
        ),
        ("/api/v1/systems/{id}/playbooks", &["get", "post"]),
        ("/api/v1/playbooks/{id}", &["get", "put"]),
        ("/api/v1/playbooks/{id}/versions", &["get"]),
    ];
    for (path, methods) in expected {
        let item = &doc["paths"][path];
        assert!(item.is_object(), "{path} missing from the OpenAPI document");
        for method in *methods {
            assert!(
                item[method].is_object(),
                "{method} {path} missing from the OpenAPI document"
            );
        }
    }
}

/// Replaces the parameters of a documented registry path with the ids of real
/// records; `None` for a path of another resource that has parameters.
fn fill(path: &str, ids: &[(&str, &str)]) -> Option<String> {
    let resource = path
        .trim_start_matches("/api/v1/")
        .split('/')
        .next()
        .unwrap_or_default();
    if !path.contains('{') {
        return Some(path.to_owned());
    }
    let id = ids
        .iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, id)| *id)?;
    let member = ids
        .iter()
        .find(|(r, _)| *r == "members")
        .map(|(_, id)| *id)?;
    let evidence = ids
        .iter()
        .find(|(r, _)| *r == "evidence")
        .map_or("", |(_, id)| *id);
    Some(
        path.replace("{id}", id)
            .replace("{member_id}", member)
            .replace("{evidence_id}", evidence)
            .replace("{version}", "1")
            .replace("{year}", "2026"),
    )
}

#[tokio::test]
async fn every_documented_registry_path_is_served() {
    let app = TestApp::spawn().await;
    let admin = app.user("admin", Role::Admin, app.root_org).await;
    let system = app.system(&admin, "Cổng dịch vụ công", 3).await;
    let team = app.team(&admin, "Đội ứng cứu").await;
    let member = app
        .member(&admin, &team, qualified_member("Nguyễn Văn An"))
        .await;
    let playbook = app
        .playbook(&admin, &system, playbook_body("encryption", "2026-03-01"))
        .await;
    // The team's capability assessment (`/teams/{id}/assessments/{year}`).
    let (status, body) = app
        .put(
            &admin,
            &format!("/api/v1/teams/{team}/assessments/2026"),
            serde_json::json!({"method": "self", "assessor": "Trưởng nhóm", "parameters": [{"code": "O-1", "level": 2}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // …and a file attached to it (`…/assessments/{year}/evidence/{evidence_id}`).
    let part = reqwest::multipart::Part::bytes(b"QD 45".to_vec()).file_name("qd.txt");
    let form = reqwest::multipart::Form::new()
        .text("parameter", "O-1")
        .part("file", part);
    let attached: serde_json::Value = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/teams/{team}/assessments/2026/evidence")))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let evidence = attached["id"]
        .as_str()
        .expect("an attached file")
        .to_owned();
    let (_, _, token) = app.request_token("admin", PASSWORD).await;
    let root = app.root_org.to_string();
    let ids = [
        ("systems", system.as_str()),
        ("teams", team.as_str()),
        ("members", member.as_str()),
        ("playbooks", playbook.as_str()),
        ("orgs", root.as_str()),
        ("auth", token["id"].as_str().unwrap()),
        ("evidence", evidence.as_str()),
    ];
    let registry = ["auth", "me", "orgs", "systems", "teams", "playbooks"];
    let doc = openapi(&app).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;

    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/"), "{path} is outside /api/v1");
        let resource = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap_or_default();
        // Other resources (scenarios, drills…) have their own tests and records.
        if !registry.contains(&resource) {
            continue;
        }
        let url = fill(path, &ids).unwrap_or_else(|| panic!("no record to fill {path}"));
        for method in item.as_object().unwrap().keys() {
            let (status, body) = match method.as_str() {
                // Reads of real records must succeed.
                "get" => app.get(&admin, &url).await,
                // A routed write parses its body before doing anything: a broken body
                // is 400, whereas a path the router does not serve would be 404/405.
                "post" | "put" | "patch" => {
                    let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                    app.send_raw(&admin, m, &url, "application/json", b"{".to_vec())
                        .await
                }
                // Deletes change state; the contract test above covers their presence.
                _ => continue,
            };
            let expected = if method == "get" {
                StatusCode::OK
            } else {
                StatusCode::BAD_REQUEST
            };
            assert_eq!(status, expected, "{method} {url}: {body}");
            checked += 1;
        }
    }
    assert!(
        checked >= 18,
        "only {checked} registry operations documented"
    );
}
