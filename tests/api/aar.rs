//! Integration tests: the after-action report — observations and corrective actions
//! written by controllers and evaluators, completion opening a playbook version for
//! review, the JSON/HTML/PDF forms and their bad input.

use cyberdrill::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::drills::{InjectSpec, store_scenario};
use crate::helpers::{TestApp, TestUser, assert_error, playbook_body};

const INJECTS: &[InjectSpec<'static>] = &[
    ("alert-a", Some(600), "blue"),
    ("note", None, "controllers"),
];

struct Setup {
    app: TestApp,
    controller: TestUser,
    evaluator: TestUser,
    responder: TestUser,
    drill: String,
    playbook: String,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let org = app.org("bo-tt", None).await;
    let controller = app.user("dieu-phoi", Role::Controller, org).await;
    let evaluator = app.user("giam-khao", Role::Evaluator, org).await;
    let responder = app.user("ung-cuu", Role::Responder, org).await;
    let scenario = store_scenario(&app, org, "aar-test", INJECTS).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    let playbook = app
        .playbook(
            &controller,
            &system,
            playbook_body("encryption", "2026-01-10"),
        )
        .await;
    let (status, body) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": "Diễn tập DDoS Cổng dịch vụ công",
                "kind": "tabletop",
                "system_ids": [system],
                "teams": [{"team_id": blue, "side": "blue"}],
                "speed": 1.0,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let drill = body["id"].as_str().unwrap().to_owned();
    for action in ["start", "end"] {
        let (status, body) = app
            .post(
                &controller,
                &format!("/api/v1/drills/{drill}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    Setup {
        app,
        controller,
        evaluator,
        responder,
        drill,
        playbook,
    }
}

async fn events(s: &Setup) -> Vec<Value> {
    let (status, body) = s
        .app
        .get(&s.controller, &format!("/api/v1/drills/{}/events", s.drill))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn completing_a_corrective_action_opens_a_playbook_version_for_review() {
    let s = setup().await;
    let base = format!("/api/v1/drills/{}/aar", s.drill);
    let (status, obs) = s
        .app
        .post(
            &s.evaluator,
            &format!("{base}/observations"),
            json!({"kind": "improvement", "text": "Chưa chặn được lưu lượng tấn công trong 30 phút đầu"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{obs}");
    let (status, strength) = s
        .app
        .post(
            &s.controller,
            &format!("{base}/observations"),
            json!({"kind": "strength", "text": "Báo cáo ban đầu gửi đúng hạn"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{strength}");
    let (status, action) = s
        .app
        .post(
            &s.controller,
            &format!("{base}/actions"),
            json!({
                "action": "Bổ sung bước kích hoạt chống DDoS của nhà mạng vào phương án",
                "owner": "Trưởng nhóm vận hành",
                "due_on": "2026-12-31",
                "observation_id": obs["id"],
                "playbook_id": s.playbook,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{action}");
    assert_eq!(action["status"], "open");

    let (_, before) = s
        .app
        .get(&s.controller, &format!("/api/v1/playbooks/{}", s.playbook))
        .await;
    assert_eq!(before["version"], 1);

    let complete = format!("{base}/actions/{}/complete", action["id"].as_str().unwrap());
    let (status, done) = s.app.post(&s.evaluator, &complete, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["playbook_version"], 2);

    let (_, after) = s
        .app
        .get(&s.controller, &format!("/api/v1/playbooks/{}", s.playbook))
        .await;
    assert_eq!(after["version"], 2, "{after}");
    assert!(
        after["reviewed_on"].is_null() && after["approved_on"].is_null(),
        "{after}"
    );
    assert!(
        after["change_note"]
            .as_str()
            .unwrap()
            .contains("Bổ sung bước kích hoạt chống DDoS"),
        "{after}"
    );
    assert_eq!(
        after["steps"], before["steps"],
        "the content is carried over for review"
    );

    // Twice is a conflict, and opens nothing more.
    let (status, body) = s.app.post(&s.evaluator, &complete, json!({})).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "conflict",
        Some("status"),
    );
    let (_, again) = s
        .app
        .get(&s.controller, &format!("/api/v1/playbooks/{}", s.playbook))
        .await;
    assert_eq!(again["version"], 2);

    // Every step is in the drill's hash-chained log, and the chain still verifies.
    let kinds: Vec<String> = events(&s)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in [
        "aar_observation_recorded",
        "corrective_action_recorded",
        "corrective_action_completed",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} not in {kinds:?}");
    }
    let (_, verify) = s
        .app
        .get(&s.controller, &format!("/api/v1/drills/{}/verify", s.drill))
        .await;
    assert_eq!(verify["ok"], true, "{verify}");

    // The report shows it all.
    let (status, report) = s.app.get(&s.responder, &base).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["objectives"][0]["vi"], "Mục tiêu");
    assert_eq!(
        report["strengths"][0]["text"],
        "Báo cáo ban đầu gửi đúng hạn"
    );
    assert_eq!(report["improvements"][0]["id"], obs["id"]);
    assert_eq!(report["corrective_actions"][0]["playbook_version"], 2);
    assert_eq!(report["injects"].as_array().unwrap().len(), 2);
    assert_eq!(report["log_head"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn the_report_downloads_as_html_and_pdf_and_bad_input_names_the_field() {
    let s = setup().await;
    let base = format!("/api/v1/drills/{}/aar", s.drill);
    let client = reqwest::Client::new();
    let html = client
        .get(s.app.url(&format!("{base}?format=html")))
        .bearer_auth(&s.controller.token)
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), StatusCode::OK);
    assert!(
        html.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".html")
    );
    let text = html.text().await.unwrap();
    assert!(text.contains("Diễn tập DDoS Cổng dịch vụ công"));
    assert!(text.contains("<svg") && text.contains("<title id=\"aar-timeline-title\">"));
    assert!(!text.contains("<script"));

    let pdf = client
        .get(s.app.url(&format!("{base}?format=pdf")))
        .bearer_auth(&s.controller.token)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    if let Some(text) = crate::exports::pdftotext(&bytes) {
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("Diễn tập DDoS Cổng dịch vụ công"), "{flat}");
        assert!(flat.contains("Kế hoạch cải thiện"), "{flat}");
    }

    let (status, body) = s
        .app
        .get(&s.controller, &format!("{base}?format=docx"))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("format"),
    );

    let (status, body) = s
        .app
        .post(
            &s.controller,
            &format!("{base}/actions"),
            json!({"action": " ", "owner": "A", "due_on": "2026-12-31"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("action"),
    );
    let (status, body) = s
        .app
        .post(
            &s.controller,
            &format!("{base}/actions"),
            json!({"action": "A", "owner": "B", "due_on": "2026-12-31", "playbook_id": "0194f0a0-0000-7000-8000-000000000000"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("playbook_id"),
    );
    let (status, body) = s
        .app
        .post(
            &s.responder,
            &format!("{base}/observations"),
            json!({"kind": "strength", "text": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden", None);
    let (status, body) = s
        .app
        .post(
            &s.controller,
            &format!("{base}/observations"),
            json!({"kind": "praise", "text": "x"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        Some("kind"),
    );

    // Another organisation does not see the report.
    let other = s.app.org("tinh-khac", None).await;
    let outsider = s.app.user("nguoi-ngoai", Role::Controller, other).await;
    let (status, body) = s.app.get(&outsider, &base).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found", None);
}

/// View-models of the report page (editable, with a form error) and of the HTML
/// export, for the test that renders every template.
pub fn page_samples() -> Vec<(&'static str, Value)> {
    use cyberdrill::http::pages::aar::{
        AarVm, ActionFormVm, ActionVm, InjectVm, ObservationVm, OptionVm,
    };
    use cyberdrill::http::pages::{ErrorsVm, FieldErrorVm};
    let mut errors = ErrorsVm::default();
    errors.0.insert(
        "owner".into(),
        FieldErrorVm {
            key: "error-invalid".into(),
            message: "must be 1–200 characters".into(),
        },
    );
    let vm = |may_edit: bool, errors: ErrorsVm| AarVm {
        drill_id: "0194f0a0-0000-7000-8000-000000000001".into(),
        title: "Diễn tập DDoS".into(),
        organisation: "Bộ TT".into(),
        generated: "21/11/2026 15:00".into(),
        generated_by: "btc".into(),
        scenario_vi: "Tấn công từ chối dịch vụ".into(),
        scenario_en: "Denial of service".into(),
        scenario_version: 2,
        summary_vi: "Tóm tắt".into(),
        summary_en: "Summary".into(),
        kind: "tabletop".into(),
        status: "ended".into(),
        started: "21/11/2026 09:00".into(),
        ended: "21/11/2026 11:00".into(),
        systems: "Cổng dịch vụ công".into(),
        teams: "Đội ứng cứu".into(),
        objectives: vec!["Phát hiện / Detect".into()],
        injects: vec![InjectVm {
            key: "alert-a".into(),
            title_vi: "Cảnh báo".into(),
            title_en: "Alert".into(),
            state: "released".into(),
            released: "21/11/2026 09:10".into(),
            ack_after: "2 min".into(),
            expected: "acknowledge ≤ 5 min".into(),
        }],
        chart_svg: "<svg></svg>".into(),
        strengths: vec![ObservationVm {
            id: "s1".into(),
            text: "Báo cáo đúng hạn".into(),
        }],
        improvements: vec![ObservationVm {
            id: "i1".into(),
            text: "Chặn chậm".into(),
        }],
        actions: vec![
            ActionVm {
                id: "a1".into(),
                action: "Sửa phương án".into(),
                owner: "Trưởng nhóm".into(),
                due: "31/12/2026".into(),
                playbook_id: "p1".into(),
                playbook_title: "Cổng — DDoS".into(),
                done: true,
                playbook_version: "3".into(),
                completed: "22/11/2026 10:00".into(),
            },
            ActionVm {
                id: "a2".into(),
                action: "Tập huấn".into(),
                owner: "Phòng ATTT".into(),
                due: "31/01/2027".into(),
                playbook_id: String::new(),
                playbook_title: String::new(),
                done: false,
                playbook_version: String::new(),
                completed: "—".into(),
            },
        ],
        log_events: 12,
        log_head: "ab".repeat(32),
        may_edit,
        playbooks: vec![OptionVm {
            id: "p1".into(),
            label: "Cổng — DDoS (v2)".into(),
        }],
        errors,
        observation_text: String::new(),
        observation_kind: "improvement".into(),
        action_form: ActionFormVm::default(),
    };
    vec![
        ("pages/aar", serde_json::to_value(vm(true, errors)).unwrap()),
        (
            "pages/aar_export",
            serde_json::to_value(vm(false, ErrorsVm::default())).unwrap(),
        ),
    ]
}
