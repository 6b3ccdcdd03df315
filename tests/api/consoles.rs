//! The drill pages: the list, the console each role lands on, who may open which
//! console, what the console page hands its script, and the controllers' presence
//! read. (The consoles' behaviour in a real browser is tested in `e2e.rs`.)

use std::time::Duration;

use cyberdrill::domain::{FieldErrors, Role};
use cyberdrill::http::pages::ErrorsVm;
use cyberdrill::http::pages::drill_plan::{
    DrillPlanFields, DrillPlanVm, RowErrorVm, ScenarioChoiceVm, SystemChoiceVm, TeamChoiceVm,
};
use cyberdrill::http::pages::drills::{Console, ConsoleVm, DrillRowVm, DrillsVm, NamedVm, TeamVm};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use crate::drills::{InjectSpec, store_scenario};
use crate::helpers::Browser;
use crate::helpers::{TestApp, TestUser};

const INJECTS: &[InjectSpec<'static>] = &[("alert-a", None, "blue"), ("red-step", None, "red")];

/// A planned drill with a blue and a red team, a responder in each, an evaluator,
/// an observer and a responder in neither team.
pub struct ConsoleDrill {
    pub app: TestApp,
    pub controller: TestUser,
    pub blue_responder: TestUser,
    pub red_responder: TestUser,
    pub evaluator: TestUser,
    pub observer: TestUser,
    pub outsider: TestUser,
    pub blue: String,
    pub drill: String,
}

pub async fn console_drill(title: &str, injects: &[InjectSpec<'_>]) -> ConsoleDrill {
    let app = TestApp::spawn().await;
    let org = app.org("bo-console", None).await;
    let controller = app.user("btc", Role::Controller, org).await;
    let scenario = store_scenario(&app, org, "console-test", injects).await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    let (status, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội tấn công", "side": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{red}");
    let red = red["id"].as_str().unwrap().to_owned();
    let (status, drill) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": title,
                "kind": "tabletop",
                "system_ids": [system],
                "teams": [{"team_id": blue, "side": "blue"}, {"team_id": red, "side": "red"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    let blue_responder = app.user("ungcuu", Role::Responder, org).await;
    let red_responder = app.user("doando", Role::Responder, org).await;
    for (team, user, name) in [
        (&blue, &blue_responder, "Nguyễn Văn A"),
        (&red, &red_responder, "Trần Văn B"),
    ] {
        app.member(
            &controller,
            team,
            json!({"full_name": name, "employment": "in_house", "user_id": user.id}),
        )
        .await;
    }
    ConsoleDrill {
        evaluator: app.user("bgk", Role::Evaluator, org).await,
        observer: app.user("quansat", Role::Observer, org).await,
        outsider: app.user("khach", Role::Responder, org).await,
        drill: drill["id"].as_str().unwrap().to_owned(),
        app,
        controller,
        blue_responder,
        red_responder,
        blue,
    }
}

/// Where `/drills/{id}` sends the user (status and `Location`).
async fn landing(d: &ConsoleDrill, user: &TestUser) -> (StatusCode, String) {
    let browser = Browser::signed_in(&d.app, user).await;
    let response = browser
        .client
        .get(format!("{}/drills/{}", browser.base, d.drill))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), location)
}

/// The `data-boot` JSON of a console page, unescaped as a browser would.
fn boot_of(page: &str) -> Value {
    let marker = r#"data-boot=""#;
    let start = page.find(marker).expect("a data-boot attribute") + marker.len();
    let end = page[start..].find('"').unwrap();
    let raw = &page[start..start + end];
    let text = raw
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x60;", "`")
        .replace("&#x3D;", "=")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("boot is not JSON ({e}): {text}"))
}

#[tokio::test]
async fn each_role_lands_on_its_own_console_from_the_drill_list() {
    let d = console_drill("Diễn tập tháng 11", INJECTS).await;
    let browser = Browser::signed_in(&d.app, &d.controller).await;
    let (status, list) = browser.get("/drills").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Diễn tập tháng 11"), "{list}");
    assert!(list.contains(&format!("/drills/{}", d.drill)));

    let path = |c: &str| format!("/drills/{}/{c}", d.drill);
    for (user, expected) in [
        (&d.controller, path("control")),
        (&d.blue_responder, path("respond")),
        (&d.red_responder, path("red")),
        (&d.evaluator, path("evaluate")),
        (&d.observer, path("control")),
    ] {
        let (status, location) = landing(&d, user).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", user.username);
        assert_eq!(location, expected, "{}", user.username);
    }
    // A responder who is in none of the drill's teams has no console.
    let (status, _) = landing(&d, &d.outsider).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_console_of_another_role_is_refused() {
    let d = console_drill("Diễn tập", INJECTS).await;
    for (user, console, expected) in [
        (&d.blue_responder, "red", StatusCode::FORBIDDEN),
        (&d.blue_responder, "control", StatusCode::FORBIDDEN),
        (&d.blue_responder, "evaluate", StatusCode::FORBIDDEN),
        (&d.red_responder, "respond", StatusCode::FORBIDDEN),
        (&d.observer, "evaluate", StatusCode::FORBIDDEN),
        (&d.evaluator, "control", StatusCode::FORBIDDEN),
        (&d.controller, "respond", StatusCode::FORBIDDEN),
        (&d.controller, "nonsense", StatusCode::NOT_FOUND),
        (&d.blue_responder, "respond", StatusCode::OK),
        (&d.red_responder, "red", StatusCode::OK),
        (&d.evaluator, "evaluate", StatusCode::OK),
        (&d.controller, "evaluate", StatusCode::OK),
    ] {
        let browser = Browser::signed_in(&d.app, user).await;
        let (status, _) = browser.get(&format!("/drills/{}/{console}", d.drill)).await;
        assert_eq!(status, expected, "{} → {console}", user.username);
    }
    // A drill of another organisation does not exist for this user.
    let other = d.app.org("bo-khac", None).await;
    let stranger = d.app.user("nguoi-la", Role::Controller, other).await;
    let browser = Browser::signed_in(&d.app, &stranger).await;
    let (status, _) = browser.get(&format!("/drills/{}/control", d.drill)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_console_page_hands_its_script_the_drill_the_user_and_translated_strings_and_never_raw_markup()
 {
    let d = console_drill("<script>alert('x')</script> Diễn tập", INJECTS).await;
    let browser = Browser::signed_in(&d.app, &d.blue_responder).await;
    let (status, page) = browser.get(&format!("/drills/{}/respond", d.drill)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("<script>alert"),
        "the title must be escaped: {page}"
    );
    assert!(page.contains(r#"<script type="module" src="/static/js/respond.js">"#));
    let boot = boot_of(&page);
    assert_eq!(boot["drill"]["id"], d.drill.as_str());
    assert_eq!(
        boot["drill"]["title"],
        "<script>alert('x')</script> Diễn tập"
    );
    assert_eq!(boot["me"]["team_id"], d.blue.as_str());
    assert_eq!(boot["me"]["side"], "blue");
    assert_eq!(boot["lang"], "vi");
    assert_eq!(boot["t"]["ack"], "Xác nhận đã nhận");
    assert_eq!(boot["elapsed_ms"], 0);
    assert_eq!(boot["teams"][&d.blue]["name"], "Đội ứng cứu");
    // The affected-system choice offers the drill's systems by id and name.
    let systems = boot["systems"].as_object().unwrap();
    assert_eq!(systems.len(), 1);
    for (id, name) in systems {
        let option = format!(
            r#"<option value="{id}">{}</option>"#,
            name.as_str().unwrap()
        );
        assert!(page.contains(&option), "{option} in {page}");
    }

    // The scripts and the stylesheet are served from here, as JavaScript and CSS.
    for (path, kind) in [
        ("/static/js/console.js", "javascript"),
        ("/static/js/respond.js", "javascript"),
        ("/static/js/red.js", "javascript"),
        ("/static/js/control.js", "javascript"),
        ("/static/js/evaluate.js", "javascript"),
        ("/static/app.css", "css"),
    ] {
        let response = browser
            .client
            .get(format!("{}{path}", browser.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.contains(kind), "{path}: {content_type}");
    }
}

#[tokio::test]
async fn the_controllers_see_who_is_online_per_team_and_responders_may_not_ask() {
    let d = console_drill("Diễn tập", INJECTS).await;
    let presence = format!("/api/v1/drills/{}/presence", d.drill);
    let (status, body) = d.app.get(&d.controller, &presence).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["users"], json!([]));
    let blue_online = |body: &Value| {
        body["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team_id"] == d.blue.as_str())
            .map(|t| t["online"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(blue_online(&body), 0);

    // The blue responder opens the live channel twice (two tabs): one user online.
    let url = d
        .app
        .url(&format!("/api/v1/drills/{}/live", d.drill))
        .replace("http://", "ws://");
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", d.blue_responder.token)
                .parse()
                .unwrap(),
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        // The hello proves the socket is registered.
        let hello = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap();
        assert!(hello.is_some());
        sockets.push(ws);
    }
    let (_, body) = d.app.get(&d.controller, &presence).await;
    assert_eq!(blue_online(&body), 1, "{body}");
    assert_eq!(body["users"][0]["username"], "ungcuu");
    assert_eq!(body["users"][0]["sockets"], 2);

    let (status, _) = d.app.get(&d.blue_responder, &presence).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Closing both sockets takes the user offline (the server notices the close
    // asynchronously, so wait for it rather than for a fixed time).
    for mut ws in sockets {
        ws.close(None).await.unwrap();
        while ws.next().await.is_some() {}
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, body) = d.app.get(&d.controller, &presence).await;
        if blue_online(&body) == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still online: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// View-models for the template test of `pages.rs`.
pub fn page_samples() -> Vec<(&'static str, Value)> {
    let id = Uuid::nil();
    let list = DrillsVm {
        rows: vec![DrillRowVm {
            id,
            title: "Diễn tập".into(),
            status: "running".into(),
            kind: "live_fire".into(),
            scale: "national".into(),
            scenario_slug: "ransomware".into(),
            started_at: Some("2026-11-21T08:00:00.000000Z".into()),
            ended_at: None,
            teams: 2,
        }],
        can_plan: true,
    };
    let mut out = vec![("pages/drills", serde_json::to_value(list).unwrap())];
    for console in Console::ALL {
        let vm = ConsoleVm {
            console,
            drill_id: id,
            title: "Diễn tập".into(),
            status: "running".into(),
            kind: "live_fire".into(),
            scenario_slug: "ransomware".into(),
            team_name: Some("Đội ứng cứu".into()),
            systems: vec![NamedVm {
                id,
                name: "Cổng dịch vụ công".into(),
            }],
            teams: vec![TeamVm {
                id,
                name: "Đội ứng cứu".into(),
                side: "blue".into(),
            }],
            others: vec![Console::Evaluate],
            may_control: true,
            speeds: vec!["1".into(), "2".into()],
            boot: "{}".into(),
        };
        let name = match console {
            Console::Respond => "pages/console_respond",
            Console::Red => "pages/console_red",
            Console::Control => "pages/console_control",
            Console::Evaluate => "pages/console_evaluate",
        };
        out.push((name, serde_json::to_value(vm).unwrap()));
    }
    let mut errors = FieldErrors::new();
    errors.add("title", "required", "must be 1–200 characters");
    errors.add(
        "teams",
        "unbound_slot",
        "the scenario addresses team slot \"soc\"",
    );
    let plan = DrillPlanVm {
        form: DrillPlanFields {
            title: "Diễn tập".into(),
            scenario_id: id.to_string(),
            kind: "live_fire".into(),
            scale: "national".into(),
            speed: "1".into(),
        },
        errors: ErrorsVm::from(&errors),
        scenarios: vec![ScenarioChoiceVm {
            id: id.to_string(),
            name: "Mã độc tống tiền (ransomware, v1)".into(),
            selected: true,
        }],
        systems: vec![SystemChoiceVm {
            id: id.to_string(),
            name: "Trang tin nội bộ".into(),
            level: 2,
            checked: true,
            error: Some(RowErrorVm {
                key: "error-level-too-low-for-live-fire".into(),
                name: "Trang tin nội bộ".into(),
                level: 2,
                message: "a level 2 system".into(),
            }),
        }],
        teams: vec![TeamChoiceVm {
            id: id.to_string(),
            name: "Đội ứng cứu".into(),
            registry_side: "blue".into(),
            side: "blue".into(),
            slot: "soc".into(),
            error: None,
        }],
        kinds: vec!["live_fire", "functional", "tabletop"],
        scales: vec!["internal", "sector", "national", "international"],
    };
    out.push(("pages/drill_plan", serde_json::to_value(plan).unwrap()));
    out
}

#[tokio::test]
async fn a_controller_plans_a_drill_on_the_page_and_a_level_2_target_is_named() {
    let app = TestApp::spawn().await;
    let org = app.org("bo-plan", None).await;
    let controller = app.user("btc", Role::Controller, org).await;
    let scenario = store_scenario(&app, org, "plan-test", INJECTS).await;
    let portal = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let news = app.system(&controller, "Trang tin nội bộ", 2).await;
    let blue = app.team(&controller, "Đội ứng cứu").await;
    let browser = Browser::signed_in(&app, &controller).await;

    let (status, list) = browser.get("/drills").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(r#"href="/drills/new""#), "{list}");
    let (status, form) = browser.get("/drills/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("Cổng dịch vụ công") && form.contains("Trang tin nội bộ"));

    // An empty form is told everything it lacks at once.
    let (status, _, page) = browser.post("/drills/new", &[("title", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "scenario_id", "system_ids", "teams"] {
        assert!(
            page.contains(&format!(r#"id="{field}-error""#)),
            "{field}: {page}"
        );
    }

    let side = format!("side.{blue}");
    let plan = |kind: &'static str| {
        vec![
            ("title", "Diễn tập quốc gia 2026".to_owned()),
            ("scenario_id", scenario.to_string()),
            ("kind", kind.to_owned()),
            ("scale", "national".to_owned()),
            ("speed", "1".to_owned()),
            ("system_ids", portal.clone()),
            ("system_ids", news.clone()),
            (side.as_str(), "blue".to_owned()),
        ]
    };

    // Live-fire against a level-2 system: refused, the system named beside its box,
    // in Vietnamese, and nothing stored.
    let (status, _, page) = browser.post("/drills/new", &plan("live_fire")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("“Trang tin nội bộ” là hệ thống cấp độ 2"),
        "{page}"
    );
    assert!(
        page.contains("Diễn tập quốc gia 2026"),
        "the form keeps what was typed"
    );
    let (_, drills) = app.get(&controller, "/api/v1/drills").await;
    assert_eq!(drills["items"].as_array().unwrap().len(), 0, "{drills}");

    // A tabletop drill may target any level: planned, and the controller lands on
    // the console that starts it.
    let (status, location, page) = browser.post("/drills/new", &plan("tabletop")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let id = location
        .strip_prefix("/drills/")
        .and_then(|rest| rest.strip_suffix("/control"))
        .unwrap_or_else(|| panic!("{location}"));
    let (_, drill) = app.get(&controller, &format!("/api/v1/drills/{id}")).await;
    assert_eq!(drill["status"], "planned");
    assert_eq!(drill["kind"], "tabletop");
    assert_eq!(drill["scale"], "national");
    assert_eq!(drill["system_ids"].as_array().unwrap().len(), 2);
    assert_eq!(drill["teams"][0]["team_id"], blue.as_str());
    assert_eq!(drill["teams"][0]["side"], "blue");

    // Only controllers and administrators plan.
    let responder = app.user("ungcuu", Role::Responder, org).await;
    let other = Browser::signed_in(&app, &responder).await;
    assert_eq!(other.get("/drills/new").await.0, StatusCode::FORBIDDEN);
    let (_, list) = other.get("/drills").await;
    assert!(!list.contains(r#"href="/drills/new""#));
}
