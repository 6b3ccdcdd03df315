//! Integration tests: the server-rendered pages, driven like a browser (cookie jar,
//! the real login form, the `_csrf` hidden field), and a render of every page
//! template with a representative view-model.

use std::collections::BTreeMap;

use cyberdrill::domain::registry::Contact;
use cyberdrill::domain::{FieldErrors, Role};
use cyberdrill::http::pages::common::OrgOption;
use cyberdrill::http::pages::form::FormExpiredVm;
use cyberdrill::http::pages::{
    ErrorVm, ErrorsVm, auth::LoginVm, home, orgs, playbooks, systems, teams,
};
use cyberdrill::views::Views;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, TestUser};

#[track_caller]
fn assert_page(status: StatusCode, page: &str, path: &str, expected: &[&str]) {
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    for text in expected {
        assert!(page.contains(text), "{path} should show {text:?}: {page}");
    }
}

/// A registry with one of everything, created through the JSON API.
struct Registry {
    system: String,
    team: String,
    member: String,
    playbook: String,
}

async fn registry(app: &TestApp, editor: &TestUser) -> Registry {
    let (status, body) = app
        .post(
            editor,
            "/api/v1/systems",
            json!({
                "name": "Cổng dịch vụ công", "system_type": "citizen_business", "level": 3, "sector": "gov_direction",
                "domains": ["dichvucong.example.vn"], "public_ips": ["203.0.113.10"], "last_changed_on": "2026-05-20",
                "dossier": {"status": "approved", "submitted_on": "2026-03-01", "approved_on": "2026-04-15", "decision_no": "123/QĐ-BDEMO"}
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let system = body["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            editor,
            &format!("/api/v1/systems/{system}/playbooks"),
            json!({
                "category": "encryption", "title": "Ứng cứu mã độc mã hóa dữ liệu",
                "steps": [{"action": "Cô lập máy chủ bị nhiễm", "role": "Quản trị hệ thống"}, {"action": "Khôi phục từ bản sao lưu", "role": "Trưởng nhóm"}],
                "priority_conditions": "Duy trì cổng dịch vụ công trực tuyến",
                "approved_by": "Nguyễn Văn A", "approved_on": "2026-05-01", "reviewed_on": "2026-06-01"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let playbook = body["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            editor,
            "/api/v1/teams",
            json!({"name": "Đội ứng cứu Trung tâm", "side": "blue", "is_24x7": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let team = body["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(
            editor,
            &format!("/api/v1/teams/{team}/members"),
            json!({
                "full_name": "Trần Thị B", "employment": "outsourced", "expert_groups": ["ktpt"],
                "certificates": [{"name": "GCIH", "issuer": "GIAC", "scope": "international", "expires_on": "2030-01-01"}]
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let member = body["id"].as_str().unwrap().to_owned();
    Registry {
        system,
        team,
        member,
        playbook,
    }
}

async fn system_count(app: &TestApp, user: &TestUser) -> usize {
    let (_, body) = app.get(user, "/api/v1/systems").await;
    body["items"].as_array().map_or(0, Vec::len)
}

// ---------------------------------------------------------------- pages over HTTP

#[tokio::test]
async fn a_controller_opens_every_registry_page_in_vietnamese_and_in_english() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.org("bo-a", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let r = registry(&app, &btc).await;
    let browser = Browser::signed_in(&app, &btc).await;
    let own_org_selected = format!(r#"<option value="{org}" selected>"#);
    let pages: Vec<(String, Vec<&str>)> = vec![
        ("/".into(), vec!["Tổng quan"]),
        (
            "/systems".into(),
            vec![
                "Cổng dịch vụ công",
                "Cấp độ 3",
                "Đã được phê duyệt",
                "Còn hiệu lực",
            ],
        ),
        (
            "/systems?level=3&sector=gov_direction&stale=no&q=c%E1%BB%95ng".into(),
            vec!["Cổng dịch vụ công"],
        ),
        (
            "/systems?lacking=1".into(),
            vec!["Không có hệ thống nào phù hợp."],
        ),
        (
            format!("/systems?org_id={org}&stale=yes"),
            vec!["Không có hệ thống nào phù hợp."],
        ),
        (
            "/systems/new".into(),
            vec![
                "Thêm hệ thống thông tin",
                "Hồ sơ đề xuất cấp độ",
                "Chỉ đạo, điều hành của Chính phủ",
                &own_org_selected,
            ],
        ),
        (
            format!("/systems/{}", r.system),
            vec![
                "dichvucong.example.vn",
                "203.0.113.10",
                "123/QĐ-BDEMO",
                "15/04/2026",
                "Ứng cứu mã độc mã hóa dữ liệu",
            ],
        ),
        (
            format!("/systems/{}/edit", r.system),
            vec!["Sửa hệ thống thông tin", "20/05/2026"],
        ),
        (
            format!("/systems/{}/delete", r.system),
            vec!["Xóa hệ thống thông tin này?"],
        ),
        (
            format!("/systems/{}/playbooks/new", r.system),
            vec!["Điều kiện ưu tiên duy trì hoạt động"],
        ),
        ("/teams".into(), vec!["Đội ứng cứu Trung tâm", "1 / 5"]),
        (
            "/teams?side=blue&below=1&q=trung".into(),
            vec!["Đội ứng cứu Trung tâm"],
        ),
        ("/teams?side=red".into(), vec!["Không có đội nào phù hợp."]),
        ("/teams/new".into(), vec!["Thêm đội ứng cứu sự cố"]),
        (
            format!("/teams/{}", r.team),
            vec![
                "Chuyên gia đạt chuẩn",
                "Trần Thị B",
                "GCIH",
                "01/01/2030",
                "Thuê ngoài",
                "Đạt chuẩn",
            ],
        ),
        (
            format!("/teams/{}/edit", r.team),
            vec!["Đầu mối liên hệ chính"],
        ),
        (
            format!("/teams/{}/members/new", r.team),
            vec!["Kỹ thuật phòng thủ, chống tấn công", "Chứng chỉ quốc tế"],
        ),
        (
            format!("/teams/{}/members/{}/edit", r.team, r.member),
            vec!["Trần Thị B", "GCIH"],
        ),
        (
            format!("/teams/{}/members/{}/delete", r.team, r.member),
            vec!["Xóa thành viên này khỏi đội?"],
        ),
        (
            "/playbooks".into(),
            vec![
                "Ứng cứu mã độc mã hóa dữ liệu",
                "Mã hóa phần mềm, dữ liệu, thiết bị",
            ],
        ),
        (
            "/playbooks?category=encryption&stale=no".into(),
            vec!["Ứng cứu mã độc mã hóa dữ liệu"],
        ),
        (
            "/playbooks?stale=yes".into(),
            vec!["Không có phương án nào phù hợp."],
        ),
        (
            format!("/playbooks/{}", r.playbook),
            vec![
                "Cô lập máy chủ bị nhiễm",
                "Quản trị hệ thống",
                "Nguyễn Văn A",
                "01/05/2026",
                "01/06/2026",
            ],
        ),
        (
            format!("/playbooks/{}/edit", r.playbook),
            vec!["Lưu phiên bản mới", "Cô lập máy chủ bị nhiễm"],
        ),
        (
            format!("/playbooks/{}/versions", r.playbook),
            vec!["Lịch sử phiên bản phương án", "Đang áp dụng"],
        ),
        (
            format!("/playbooks/{}/versions/1", r.playbook),
            vec!["Phiên bản 1", "Đây là phiên bản đang áp dụng."],
        ),
        ("/orgs".into(), vec!["Org bo-a"]),
        (
            "/orgs/new".into(),
            vec!["Thêm cơ quan, đơn vị", "Mã định danh"],
        ),
    ];

    // Act & Assert: Vietnamese first (the default)
    for (path, expected) in &pages {
        let (status, page) = browser.get(path).await;
        assert_page(status, &page, path, expected);
        assert!(
            page.contains(r#"<html lang="vi">"#),
            "{path} is not in Vietnamese"
        );
    }
    let (status, page) = browser
        .get("/systems/0198a1b2-0000-7000-8000-000000000000")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Không tìm thấy trang"), "{page}");

    // … then in English, through the language switch.
    let (status, _) = browser.get("/lang/en?next=/systems").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let english: Vec<(String, &str)> = vec![
        ("/systems".into(), "Information systems"),
        (format!("/systems/{}", r.system), "Level dossier"),
        (format!("/teams/{}", r.team), "Qualified experts"),
        (
            format!("/playbooks/{}", r.playbook),
            "Priority conditions for keeping the system running",
        ),
        (
            format!("/playbooks/{}/versions", r.playbook),
            "Playbook version history",
        ),
        ("/orgs".into(), "Organisations"),
    ];
    for (path, text) in &english {
        let (status, page) = browser.get(path).await;
        assert_page(status, &page, path, &[text]);
        assert!(
            page.contains(r#"<html lang="en">"#),
            "{path} is not in English"
        );
    }
    for (path, _) in &pages {
        let (status, page) = browser.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path} in English: {page}");
    }
    let (status, page) = browser.get("/teams/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Page not found"));
}

#[tokio::test]
async fn an_invalid_system_form_comes_back_with_vietnamese_messages_beside_the_fields_and_stores_nothing()
 {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.org("bo-b", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let browser = Browser::signed_in(&app, &btc).await;

    // Act
    let (status, _, page) = browser
        .post(
            "/systems",
            &[
                ("name", ""),
                ("level", "6"),
                ("system_type", "internal"),
                ("description", "giữ nguyên\ndòng hai"),
                ("last_changed_on", "2026-02-30"),
            ],
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(r#"<p class="field-error" id="name-error">Bắt buộc nhập."#),
        "{page}"
    );
    assert!(
        page.contains(r#"<p class="field-error" id="level-error">Cấp độ phải từ 1 đến 5."#),
        "{page}"
    );
    assert!(
        page.contains(r#"id="last_changed_on-error">Ngày không hợp lệ"#),
        "{page}"
    );
    assert!(
        page.contains(r#"aria-invalid="true" aria-describedby="name-error""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="6" selected>6</option>"#),
        "the typed level is kept: {page}"
    );
    assert!(
        page.contains(">giữ nguyên\ndòng hai</textarea>"),
        "the typed description is kept as typed: {page}"
    );
    assert_eq!(system_count(&app, &btc).await, 0);
}

#[tokio::test]
async fn a_valid_system_form_stores_the_system_and_redirects_to_its_page() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-c", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let browser = Browser::signed_in(&app, &btc).await;

    let (status, location, _) = browser
        .post(
            "/systems",
            &[
                ("name", "Hệ thống thư điện tử"),
                ("level", "2"),
                ("system_type", "internal"),
                ("org_id", &org.to_string()),
                ("dossier.status", "drafting"),
                ("domains", "mail.example.vn\n\nMAIL2.example.vn"),
                ("last_changed_on", "21/10/2026"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/systems/"), "{location}");
    let (status, page) = browser.get(&location).await;
    assert_page(
        status,
        &page,
        &location,
        &["Hệ thống thư điện tử", "mail2.example.vn", "21/10/2026"],
    );
}

#[tokio::test]
async fn a_duplicate_system_name_is_shown_beside_the_name_field() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-d", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    app.system(&btc, "Cổng thông tin", 2).await;
    let browser = Browser::signed_in(&app, &btc).await;

    let (status, _, page) = browser
        .post(
            "/systems",
            &[
                ("name", "Cổng thông tin"),
                ("level", "2"),
                ("system_type", "internal"),
                ("org_id", &org.to_string()),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(r#"id="name-error">Đã tồn tại."#), "{page}");
    assert_eq!(system_count(&app, &btc).await, 1);
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-e", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let browser = Browser::signed_in(&app, &btc).await;
    let valid = [
        ("name", "Hệ thống A"),
        ("level", "2"),
        ("system_type", "internal"),
    ];

    let (forged, _, page) = browser
        .post_raw(
            "/systems",
            &[
                &[("_csrf", "forged-token-forged-token-forged-token")][..],
                &valid[..],
            ]
            .concat(),
        )
        .await;
    let (absent, _, _) = browser.post_raw("/systems", &valid).await;

    assert_eq!(forged, StatusCode::FORBIDDEN);
    assert!(page.contains("Biểu mẫu đã hết hạn"), "{page}");
    assert_eq!(absent, StatusCode::FORBIDDEN);
    assert_eq!(system_count(&app, &btc).await, 0);
}

#[tokio::test]
async fn a_responder_sees_no_edit_buttons_and_is_refused_when_posting() {
    // Arrange
    let app = TestApp::spawn().await;
    let org = app.org("bo-f", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let responder = app.user("ungcuu", Role::Responder, org).await;
    let r = registry(&app, &btc).await;
    let browser = Browser::signed_in(&app, &responder).await;

    // Act & Assert: read-only pages without edit links
    for path in [
        "/systems".to_owned(),
        format!("/systems/{}", r.system),
        "/teams".to_owned(),
        format!("/teams/{}", r.team),
        format!("/playbooks/{}", r.playbook),
        "/orgs".to_owned(),
    ] {
        let (status, page) = browser.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for link in ["/edit\"", "/new\"", "/delete\""] {
            assert!(!page.contains(link), "{path} offers {link} to a responder");
        }
    }
    // … forms and posts are refused
    for path in [
        "/systems/new".to_owned(),
        format!("/systems/{}/edit", r.system),
        format!("/playbooks/{}/edit", r.playbook),
    ] {
        assert_eq!(browser.get(&path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let edit = format!("/systems/{}/edit", r.system);
    let (status, _, page) = browser
        .post(
            &edit,
            &[
                ("name", "Đổi tên"),
                ("level", "1"),
                ("system_type", "internal"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Vai trò của bạn không được phép"), "{page}");
    let (status, _, _) = browser
        .post(
            &format!("/systems/{}/delete", r.system),
            &[] as &[(&str, &str)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = browser
        .post(
            "/systems",
            &[("name", "Mới"), ("level", "1"), ("system_type", "internal")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, body) = app
        .get(&btc, &format!("/api/v1/systems/{}", r.system))
        .await;
    assert_eq!(body["name"], "Cổng dịch vụ công");
    assert_eq!(system_count(&app, &btc).await, 1);
}

#[tokio::test]
async fn saving_the_playbook_form_stores_a_new_version_and_keeps_the_old_one() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-g", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let r = registry(&app, &btc).await;
    let browser = Browser::signed_in(&app, &btc).await;

    let (status, location, _) = browser
        .post(
            &format!("/playbooks/{}/edit", r.playbook),
            &[
                ("title", "Ứng cứu mã độc mã hóa dữ liệu"),
                ("category", "encryption"),
                ("priority_conditions", "Ưu tiên cổng dịch vụ công"),
                ("step.action", "Cô lập"),
                ("step.role", "Quản trị"),
                ("step.action", ""),
                ("step.role", ""),
                ("step.action", "Báo cáo"),
                ("step.role", "Lãnh đạo"),
                ("reviewed_on", "2026-10-02"),
                ("change_note", "Rà soát sau khi hệ thống thay đổi"),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("/playbooks/{}", r.playbook));
    let (_, body) = app
        .get(&btc, &format!("/api/v1/playbooks/{}", r.playbook))
        .await;
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["steps"].as_array().unwrap().len(),
        2,
        "the empty row is skipped"
    );
    let (status, page) = browser
        .get(&format!("/playbooks/{}/versions", r.playbook))
        .await;
    assert_page(
        status,
        &page,
        "versions",
        &["Rà soát sau khi hệ thống thay đổi", "/versions/1\""],
    );
    let (status, page) = browser
        .get(&format!("/playbooks/{}/versions/1", r.playbook))
        .await;
    assert_page(
        status,
        &page,
        "version 1",
        &["Đây là phiên bản cũ", "Cô lập máy chủ bị nhiễm"],
    );
}

#[tokio::test]
async fn a_playbook_with_a_bad_step_shows_the_message_in_that_row() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-h", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let r = registry(&app, &btc).await;
    let browser = Browser::signed_in(&app, &btc).await;

    let (status, _, page) = browser
        .post(
            &format!("/systems/{}/playbooks", r.system),
            &[
                ("title", "DDoS"),
                ("category", "dos"),
                ("priority_conditions", ""),
                ("step.action", "Chặn lưu lượng"),
                ("step.role", ""),
            ],
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(r#"id="step-0-role-error">Bắt buộc nhập."#),
        "{page}"
    );
    assert!(
        page.contains(r#"id="priority_conditions-error">Bắt buộc nhập."#),
        "{page}"
    );
    assert!(page.contains("Chặn lưu lượng"), "the typed step is kept");
}

#[tokio::test]
async fn the_member_form_skips_empty_certificate_rows_and_counts_the_expert() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-i", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let r = registry(&app, &btc).await;
    let browser = Browser::signed_in(&app, &btc).await;
    let empty_row = [
        ("cert.name", ""),
        ("cert.issuer", ""),
        ("cert.scope", ""),
        ("cert.issued_on", ""),
        ("cert.expires_on", ""),
    ];
    let filled = [
        ("cert.name", "CEH"),
        ("cert.issuer", "EC-Council"),
        ("cert.scope", "international"),
        ("cert.issued_on", "2025-01-01"),
        ("cert.expires_on", "2028-01-01"),
    ];
    let person = [
        ("full_name", "Lê Văn C"),
        ("employment", "in_house"),
        ("expert_groups", "ktpt"),
        ("expert_groups", "ktkt"),
        ("skills", "Phân tích mã độc\n\nĐiều tra số"),
    ];

    let fields: Vec<(&str, &str)> =
        [&person[..], &empty_row[..], &filled[..], &empty_row[..]].concat();
    let (status, location, _) = browser
        .post(&format!("/teams/{}/members", r.team), &fields)
        .await;

    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    let (_, body) = app.get(&btc, &format!("/api/v1/teams/{}", r.team)).await;
    assert_eq!(body["qualified_experts"], 2);
    let (_, members) = app
        .get(&btc, &format!("/api/v1/teams/{}/members", r.team))
        .await;
    let added = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["full_name"] == "Lê Văn C")
        .unwrap();
    assert_eq!(added["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(added["skills"], json!(["Phân tích mã độc", "Điều tra số"]));
}

#[tokio::test]
async fn a_controller_adds_a_unit_below_their_organisation_but_not_at_the_top() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-j", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let browser = Browser::signed_in(&app, &btc).await;

    let (top, _, page) = browser
        .post(
            "/orgs",
            &[
                ("slug", "don-vi-moi"),
                ("name", "Đơn vị mới"),
                ("parent_id", ""),
            ],
        )
        .await;
    let (below, location, _) = browser
        .post(
            "/orgs",
            &[
                ("slug", "don-vi-moi"),
                ("name", "Đơn vị mới"),
                ("parent_id", &org.to_string()),
            ],
        )
        .await;

    assert_eq!(top, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(r#"id="parent_id-error">Bắt buộc nhập."#),
        "{page}"
    );
    assert_eq!(below, StatusCode::SEE_OTHER);
    assert_eq!(location, "/orgs");
    let (_, page) = browser.get("/orgs").await;
    assert!(
        page.contains("Đơn vị mới") && page.contains("depth-1"),
        "{page}"
    );
}

// ---------------------------------------------------------------- every template

/// The data every page gets from the layout, around a page's own view-model.
fn layout(lang: &str, data: impl Serialize) -> Value {
    json!({
        "lang": lang,
        "other_lang": if lang == "vi" { "en" } else { "vi" },
        "user": {"username": "btc", "full_name": "Nguyễn Văn A", "role": "controller", "may_edit": true, "is_admin": false},
        "csrf": "token",
        "path": "/x",
        "title": "home-title",
        "nav": "systems",
        "data": serde_json::to_value(data).unwrap(),
    })
}

fn errors(fields: &[&str]) -> ErrorsVm {
    let mut e = FieldErrors::new();
    for f in fields {
        e.add(*f, "required", "must not be empty");
    }
    ErrorsVm::from(&e)
}

fn org_option() -> OrgOption {
    OrgOption {
        id: "0198a1b2-0000-7000-8000-000000000001".into(),
        name: "Trung tâm CNTT".into(),
        slug: "ttcntt".into(),
        sector: Some("health"),
        parent_name: Some("Bộ Demo".into()),
        depth: 1,
        indent: 1,
        tree_prefix: "\u{2003}".into(),
    }
}

fn playbook_vm(is_current: bool) -> playbooks::PlaybookVm {
    playbooks::PlaybookVm {
        id: "p1".into(),
        system_id: "s1".into(),
        system_name: "Cổng dịch vụ công".into(),
        category: "encryption",
        title: "Ứng cứu mã độc".into(),
        version: 1,
        current_version: 2,
        is_current,
        steps: vec![playbooks::StepVm {
            order: 1,
            action: "Cô lập".into(),
            role: "Quản trị".into(),
        }],
        priority_conditions: "Duy trì dịch vụ".into(),
        approved_by: Some("Nguyễn Văn A".into()),
        approved_on: Some("2026-05-01".into()),
        reviewed_on: None,
        change_note: "Bản đầu".into(),
        saved_at: "2026-05-01T02:00:00Z".into(),
        stale: true,
        system_changed_on: Some("2026-10-01".into()),
        last_review: Some("2026-05-01".into()),
        may_edit: true,
    }
}

/// A representative view-model for every page template, with the optional parts
/// filled (errors, badges, rows) so that every branch that reads data renders.
fn samples() -> BTreeMap<&'static str, Value> {
    let contact = Contact {
        name: "Phạm D".into(),
        title: "Trưởng nhóm".into(),
        phone: "0243 000 000".into(),
        email: "d@example.vn".into(),
    };
    let mut s: BTreeMap<&'static str, Value> = BTreeMap::new();
    s.insert(
        "pages/login",
        serde_json::to_value(LoginVm {
            username: "btc".into(),
            next: "/".into(),
            error: "login-failed",
        })
        .unwrap(),
    );
    s.insert(
        "pages/error",
        serde_json::to_value(ErrorVm {
            status: 404,
            code: "not_found",
        })
        .unwrap(),
    );
    s.insert(
        "pages/form_expired",
        serde_json::to_value(FormExpiredVm {}).unwrap(),
    );
    s.insert(
        "pages/home",
        serde_json::to_value(home::summarise(&BTreeMap::new(), &[], &[])).unwrap(),
    );
    s.insert(
        "pages/confirm_delete",
        serde_json::to_value(systems::ConfirmDeleteVm {
            question: "system-delete-question",
            name: "Cổng".into(),
            consequence: "system-delete-consequence",
            action: "/systems/1/delete".into(),
            cancel: "/systems/1".into(),
        })
        .unwrap(),
    );
    s.insert(
        "pages/systems",
        serde_json::to_value(systems::SystemsVm {
            filters: systems::SystemListQuery {
                level: "3".into(),
                stale: "yes".into(),
                lacking: "1".into(),
                ..Default::default()
            },
            filtered: true,
            rows: vec![systems::SystemRowVm {
                id: "s1".into(),
                name: "Cổng dịch vụ công".into(),
                org_name: "Bộ Demo".into(),
                level: 3,
                system_type: "citizen_business",
                sector: Some("finance"),
                dossier_status: "approved",
                playbooks: "stale",
                lacking: true,
                last_changed_on: Some("2026-10-01".into()),
                updated_at: "2026-10-01T01:00:00Z".into(),
            }],
            next: Some("/systems?after=x".into()),
            orgs: vec![org_option()],
            levels: vec!["1", "2", "3", "4", "5"],
            sectors: vec!["finance", "health"],
            may_edit: true,
        })
        .unwrap(),
    );
    s.insert(
        "pages/system",
        serde_json::to_value(systems::SystemVm {
            id: "s1".into(),
            name: "Cổng".into(),
            description: "Mô tả".into(),
            org_name: "Bộ Demo".into(),
            operator_name: Some("Trung tâm".into()),
            level: 4,
            needs_live_fire: true,
            system_type: "info_infra",
            sector: None,
            dossier_status: "submitted",
            submitted_on: Some("2026-03-01".into()),
            appraised_on: None,
            approved_on: None,
            decision_no: None,
            domains: vec!["a.example.vn".into()],
            public_ips: vec![],
            last_changed_on: Some("2026-10-01".into()),
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-10-01T00:00:00Z".into(),
            playbooks: vec![systems::PlaybookLinkVm {
                id: "p1".into(),
                category: "dos",
                title: "DDoS".into(),
                version: 2,
                reviewed_on: Some("2026-06-01".into()),
                stale: true,
            }],
            lacking: true,
            may_edit: true,
        })
        .unwrap(),
    );
    s.insert(
        "pages/system_form",
        serde_json::to_value(systems::SystemFormVm {
            is_new: true,
            action: "/systems".into(),
            cancel: "/systems".into(),
            org_name: String::new(),
            form: systems::SystemFields {
                level: "6".into(),
                name: "x".into(),
                ..Default::default()
            },
            errors: errors(&["name", "level", "dossier.approved_on", "domains", "org_id"]),
            orgs: vec![org_option()],
            operators: vec![org_option()],
            levels: vec!["1", "2", "3", "4", "5"],
            system_types: vec!["internal", "ics"],
            sectors: vec!["energy"],
            dossier_statuses: vec!["drafting", "approved"],
        })
        .unwrap(),
    );
    s.insert(
        "pages/teams",
        serde_json::to_value(teams::TeamsVm {
            filters: teams::TeamListQuery {
                side: "blue".into(),
                below: "1".into(),
                ..Default::default()
            },
            rows: vec![teams::TeamRowVm {
                id: "t1".into(),
                name: "Đội".into(),
                org_name: "Bộ".into(),
                side: "blue",
                member_count: 6,
                outsourced_members: 2,
                qualified_experts: 4,
                meets_minimum: false,
                minimum_applies: true,
                is_24x7: true,
            }],
            next: None,
            orgs: vec![org_option()],
            sides: vec!["blue", "red"],
            minimum: 5,
            may_edit: true,
        })
        .unwrap(),
    );
    s.insert(
        "pages/team",
        serde_json::to_value(teams::TeamVm {
            id: "t1".into(),
            name: "Đội".into(),
            org_name: "Bộ".into(),
            side: "blue",
            description: String::new(),
            contact_primary: Some(contact.clone()),
            contact_backup: None,
            is_24x7: false,
            established_decision_no: Some("12/QĐ".into()),
            established_on: Some("2025-01-02".into()),
            member_count: 1,
            outsourced_members: 1,
            qualified_experts: 1,
            minimum: 5,
            meets_minimum: false,
            minimum_applies: true,
            members: vec![teams::MemberRowVm {
                id: "m1".into(),
                full_name: "Trần B".into(),
                title: "Kỹ sư".into(),
                employment: "outsourced",
                outsourced: true,
                field_of_study: Some("infosec"),
                degree_level: Some("bachelor"),
                expert_groups: vec!["ktpt"],
                skills: vec!["Forensics".into()],
                certificates: vec![
                    teams::CertificateVm {
                        name: "GCIH".into(),
                        issuer: "GIAC".into(),
                        scope: "international",
                        issued_on: None,
                        expires_on: Some("2025-01-01".into()),
                        expired: true,
                    },
                    teams::CertificateVm {
                        name: "ATTT".into(),
                        issuer: String::new(),
                        scope: "domestic",
                        issued_on: None,
                        expires_on: None,
                        expired: false,
                    },
                ],
                qualified: true,
            }],
            updated_at: "2026-10-01T00:00:00Z".into(),
            may_edit: true,
        })
        .unwrap(),
    );
    s.insert(
        "pages/team_form",
        serde_json::to_value(teams::TeamFormVm {
            is_new: false,
            action: "/teams/t1/edit".into(),
            cancel: "/teams/t1".into(),
            org_name: "Bộ".into(),
            form: teams::TeamFields {
                is_24x7: true,
                ..Default::default()
            },
            errors: errors(&["name", "contact_primary.phone", "contact_backup.email"]),
            orgs: vec![org_option()],
            sides: vec!["blue", "red"],
        })
        .unwrap(),
    );
    let mut member_form = teams::MemberFields {
        expert_groups: vec!["ktpt".into()],
        ..Default::default()
    };
    member_form.certificates.push(teams::CertificateRow {
        row: 1,
        name: String::new(),
        issuer: "GIAC".into(),
        scope: "international".into(),
        issued_on: String::new(),
        expires_on: String::new(),
        errors: errors(&["name"]),
    });
    s.insert(
        "pages/member_form",
        serde_json::to_value(teams::MemberFormVm {
            is_new: true,
            action: "/teams/t1/members".into(),
            cancel: "/teams/t1".into(),
            team_id: "t1".into(),
            team_name: "Đội".into(),
            form: member_form,
            errors: errors(&["full_name", "skills", "certificates"]),
            employments: vec!["in_house", "outsourced"],
            fields_of_study: vec!["it"],
            degree_levels: vec!["bachelor"],
            expert_groups: vec!["ktpt", "ktkt"],
            certificate_scopes: vec!["international", "domestic"],
        })
        .unwrap(),
    );
    s.insert(
        "pages/playbooks",
        serde_json::to_value(playbooks::PlaybooksVm {
            filters: playbooks::PlaybookListQuery {
                stale: "yes".into(),
                ..Default::default()
            },
            rows: vec![playbooks::PlaybookRowVm {
                id: "p1".into(),
                system_id: "s1".into(),
                system_name: "Cổng".into(),
                org_name: "Bộ".into(),
                category: "malware",
                title: "Mã độc".into(),
                version: 3,
                approved_on: Some("2026-01-01".into()),
                reviewed_on: None,
                stale: true,
            }],
            stale_count: 1,
            orgs: vec![org_option()],
            categories: vec!["malware", "dos"],
        })
        .unwrap(),
    );
    s.insert(
        "pages/playbook",
        serde_json::to_value(playbook_vm(true)).unwrap(),
    );
    s.insert(
        "pages/playbook_version",
        serde_json::to_value(playbook_vm(false)).unwrap(),
    );
    s.insert(
        "pages/playbook_versions",
        serde_json::to_value(playbooks::VersionsVm {
            id: "p1".into(),
            title: "Mã độc".into(),
            system_id: "s1".into(),
            system_name: "Cổng".into(),
            rows: vec![playbooks::VersionRowVm {
                version: 2,
                title: "Mã độc".into(),
                change_note: "Rà soát".into(),
                approved_on: None,
                reviewed_on: Some("2026-10-02".into()),
                steps: 4,
                saved_at: "2026-10-02T03:00:00Z".into(),
                is_current: true,
            }],
        })
        .unwrap(),
    );
    let mut playbook_form = playbooks::PlaybookFields {
        category: "dos".into(),
        ..Default::default()
    };
    playbook_form.steps.push(playbooks::StepRow {
        row: 1,
        action: "Chặn".into(),
        role: String::new(),
        errors: errors(&["role"]),
    });
    s.insert(
        "pages/playbook_form",
        serde_json::to_value(playbooks::PlaybookFormVm {
            is_new: false,
            action: "/playbooks/p1/edit".into(),
            cancel: "/playbooks/p1".into(),
            system_id: "s1".into(),
            system_name: "Cổng".into(),
            version: 1,
            form: playbook_form,
            errors: errors(&["title", "steps", "approved_by"]),
            categories: vec!["dos", "other"],
        })
        .unwrap(),
    );
    s.insert(
        "pages/orgs",
        serde_json::to_value(orgs::OrgsVm {
            rows: vec![org_option()],
            may_edit: true,
        })
        .unwrap(),
    );
    s.insert(
        "pages/org_form",
        serde_json::to_value(orgs::OrgFormVm {
            form: orgs::OrgFields::default(),
            errors: errors(&["slug", "parent_id"]),
            parents: vec![org_option()],
            may_be_top_level: true,
            sectors: vec!["urban"],
        })
        .unwrap(),
    );
    s.extend(crate::scenarios::page_samples());
    s.extend(crate::consoles::page_samples());
    s.extend(crate::aar::page_samples());
    s.extend(maturity_samples());
    s
}

fn maturity_samples() -> Vec<(&'static str, Value)> {
    use cyberdrill::http::pages::maturity::*;
    let row = MaturityRowVm {
        team_id: "0198a1b2-0000-7000-8000-000000000002".into(),
        team_name: "Đội ứng cứu".into(),
        level: 2,
        level_name: "Cơ bản".into(),
        score: "70.62".into(),
        band_level: 4,
        dimensions: vec![DimensionVm {
            id: "D1".into(),
            name: "Tổ chức và quản trị".into(),
            score: "61.25".into(),
        }],
        gates_failed: vec!["Cấp độ 3 cần: … — còn thiếu cho Cổng dịch vụ công".into()],
        notes: vec!["Không có dữ liệu.".into()],
        drills: vec![DrillVm {
            title: "Diễn tập".into(),
            score: "78.54".into(),
            head_hash: "abcdef0123456789".into(),
        }],
        trend: vec![TrendVm {
            year: 2025,
            level: 1,
            score: "35.00".into(),
        }],
        framework: "vn-irt v1".into(),
        assessment_url: "/teams/x/assessments/2026".into(),
    };
    let form = AssessmentFormVm {
        team_name: "Đội ứng cứu".into(),
        team_url: "/teams/x".into(),
        year: 2026,
        action: "/teams/x/assessments/2026".into(),
        framework: "vn-irt v1".into(),
        method: "self".into(),
        methods: vec!["self", "peer", "external_audit"],
        assessor: "Nguyễn Thị Bình".into(),
        assessed_on: "20/11/2026".into(),
        notes: "Ghi chú".into(),
        categories: vec![CategoryVm {
            code: "O".into(),
            name: "Tổ chức".into(),
            parameters: vec![ParameterVm {
                code: "O-1".into(),
                name: "Nhiệm vụ".into(),
                level: "3".into(),
                evidence: "QĐ 1".into(),
                error: Some("O-1: level 5 is outside the scale 0–4".into()),
                attachments: vec![AttachmentVm {
                    filename: "QĐ 123.pdf".into(),
                    url: "/api/v1/teams/x/assessments/2026/evidence/y".into(),
                    size: "12 KB".into(),
                }],
            }],
        }],
        levels: (0..=4).map(|l| l.to_string()).collect(),
        saved: true,
        may_edit: true,
        errors: errors(&["method", "assessor", "assessed_on", "notes"]),
        upload_action: "/teams/x/assessments/2026/evidence".into(),
        upload_error: Some("file: the file is empty".into()),
        uploaded: true,
    };
    vec![
        (
            "pages/maturity",
            serde_json::to_value(MaturityPageVm {
                year: "2026".into(),
                org_id: String::new(),
                orgs: vec![org_option()],
                errors: errors(&["year"]),
                rows: vec![row],
                without: vec![TeamLinkVm {
                    name: "Đội B".into(),
                    assessment_url: "/teams/y/assessments/2026".into(),
                }],
                framework: "Khung năng lực".into(),
                framework_is_proposal: true,
                charts: vec![ChartVm {
                    title: "Điểm theo lĩnh vực".into(),
                    svg: "<svg></svg>".into(),
                }],
                exports: vec![ExportLinkVm {
                    format_name: "PDF",
                    url: "/api/v1/maturity/export?year=2026&format=pdf".into(),
                }],
            })
            .unwrap(),
        ),
        ("pages/assessment_form", serde_json::to_value(form).unwrap()),
    ]
}

#[test]
fn every_page_template_renders_with_a_representative_view_model_in_both_languages() {
    let views = Views::new().unwrap();
    let samples = samples();
    let mut names = Views::page_names();
    names.sort();

    let without_sample: Vec<&String> = names
        .iter()
        .filter(|n| !samples.contains_key(n.as_str()))
        .collect();
    assert!(
        without_sample.is_empty(),
        "page templates without a view-model in this test: {without_sample:?}"
    );
    let stale_samples: Vec<&&str> = samples
        .keys()
        .filter(|k| !names.iter().any(|n| n == *k))
        .collect();
    assert!(
        stale_samples.is_empty(),
        "view-models for templates that no longer exist: {stale_samples:?}"
    );

    for (name, data) in &samples {
        for lang in ["vi", "en"] {
            let html = views
                .render(name, &layout(lang, data))
                .unwrap_or_else(|e| panic!("{name} ({lang}): {e}"));
            assert!(html.contains("</html>"), "{name} ({lang}) is incomplete");
            // A key that has no translation is rendered as itself: none may leak.
            for leaked in [
                "field-",
                "error-required",
                "-title</",
                "playbook-",
                "system-",
                "team-",
            ] {
                assert!(
                    !html.contains(&format!(">{leaked}")),
                    "{name} ({lang}) shows an untranslated key {leaked}"
                );
            }
        }
    }
}

// ------------------------------------------------------------ maturity pages

#[tokio::test]
async fn the_assessment_form_saves_every_level_and_refuses_a_level_5_naming_the_parameter() {
    let app = TestApp::spawn().await;
    let org = app.org("so-m", None).await;
    let btc = app.user("btc", Role::Controller, org).await;
    let team = app.team(&btc, "Đội ứng cứu sự cố Sở").await;
    let browser = Browser::signed_in(&app, &btc).await;
    let path = format!("/teams/{team}/assessments/2026");
    let (status, page) = browser.get(&path).await;
    assert_page(status, &page, &path, &["O-1", "P-17", "Tự đánh giá"]);

    let names: Vec<(String, &str)> = cyberdrill::maturity::Framework::builtin()
        .parameters
        .iter()
        .map(|p| {
            (
                format!("level.{}", p.code),
                if p.code == "P-6" { "5" } else { "2" },
            )
        })
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![
        ("method", "peer"),
        ("assessor", "Cục An toàn thông tin"),
        ("assessed_on", "20/11/2026"),
        ("notes", "Đánh giá chéo"),
        ("evidence.O-1", "Quyết định 123/QĐ-STTTT"),
    ];
    fields.extend(names.iter().map(|(n, v)| (n.as_str(), *v)));
    let (status, _, page) = browser.post(&path, &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("P-6: level 5 is outside the scale 0–4"),
        "{page}"
    );
    assert!(
        page.contains("Quyết định 123/QĐ-STTTT"),
        "what was typed is kept"
    );
    let (status, _) = app
        .get(&btc, &format!("/api/v1/teams/{team}/assessments/2026"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored");

    let fixed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| {
            if *n == "level.P-6" {
                (*n, "3")
            } else {
                (*n, *v)
            }
        })
        .collect();
    let (status, location, _) = browser.post(&path, &fixed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{path}?saved=1"));
    let (_, stored) = app
        .get(&btc, &format!("/api/v1/teams/{team}/assessments/2026"))
        .await;
    assert_eq!(stored["method"], "peer");
    assert_eq!(stored["assessed_on"], "2026-11-20");
    let p6 = stored["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "P-6")
        .unwrap();
    assert_eq!(p6["level"], 3);
    assert_eq!(
        stored["parameters"][0]["evidence"],
        "Quyết định 123/QĐ-STTTT"
    );

    let (status, page) = browser.get("/maturity?year=2026").await;
    assert_page(
        status,
        &page,
        "/maturity",
        &[
            "Đội ứng cứu sự cố Sở",
            "1 — Khởi đầu",
            "id=\"chart-dimensions-title\"",
            // Handlebars escapes `=` and `&` in attributes; the browser reads them back.
            "/api/v1/maturity/export?year&#x3D;2026&amp;format&#x3D;pdf",
        ],
    );
    let (status, page) = browser.get("/maturity?year=3000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");

    // A file attached to a parameter from the page is listed under it; one without
    // the form's token, or an HTML page named .png, is refused and not listed.
    let upload = |csrf: String, name: &'static str, bytes: &'static [u8]| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name)
            .mime_str("application/octet-stream")
            .unwrap();
        reqwest::multipart::Form::new()
            .text("_csrf", csrf)
            .text("parameter", "O-1")
            .part("file", part)
    };
    let attach = format!("{path}/evidence");
    let resp = browser
        .client
        .post(format!("{}{attach}", browser.base))
        .multipart(upload(
            browser.csrf().await,
            "QĐ thành lập đội.pdf",
            b"%PDF-1.4 decision",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get(&format!("{path}?uploaded=1")).await;
    assert!(page.contains("QĐ thành lập đội.pdf"), "{page}");
    assert!(page.contains("Đã đính kèm tệp."));
    let resp = browser
        .client
        .post(format!("{}{attach}", browser.base))
        .multipart(upload("forged".into(), "khác.pdf", b"%PDF-1.4 other"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = browser
        .client
        .post(format!("{}{attach}", browser.base))
        .multipart(upload(
            browser.csrf().await,
            "ảnh.png",
            b"<!doctype html><script>alert(1)</script>",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("role=\"alert\" id=\"attach-error\">file:"),
        "{page}"
    );
    let (_, stored) = app
        .get(
            &btc,
            &format!("/api/v1/teams/{team}/assessments/2026/evidence"),
        )
        .await;
    assert_eq!(stored["items"].as_array().unwrap().len(), 1, "{stored}");
}
