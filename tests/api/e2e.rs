//! End to end in a real browser: Debian's headless Chromium driven by `chromedriver`
//! over WebDriver (`fantoccini`), against the real server of [`TestApp`].
//!
//! A controller starts a drill; two responders of two blue teams, each in a browser
//! session of their own, see the inject arrive without reloading; one acknowledges it
//! and reports a detection with a screenshot attached; the controller's console shows
//! the detection live; an evaluator links it to the inject; and the controller's
//! scorecard shows that team's time to detect. Then the red team logs an attack
//! action, which the controller sees and the blue teams never do.
//!
//! Without `chromedriver` the test is skipped with a message, except under CI
//! (`CI` set), where a missing browser is a failure. With `CYBERDRILL_SCREENSHOTS=DIR`
//! it saves a screenshot of each console (Vietnamese, 1366×768, and the responder
//! console at phone width) into `DIR`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cyberdrill::domain::Role;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::drills::store_scenario;
use crate::helpers::{PASSWORD, TestApp, TestUser};

/// How long any one thing may take to appear: generous, the machine is shared.
const WAIT: Duration = Duration::from_secs(60);
const DESKTOP: (u32, u32) = (1366, 768);
const PHONE: (u32, u32) = (390, 844);

/// `chromedriver` on the PATH (or Debian's path), if installed.
fn chromedriver() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("chromedriver"))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| {
        let debian = PathBuf::from("/usr/bin/chromedriver");
        debian.is_file().then_some(debian)
    })
}

/// A running `chromedriver` in a process group of its own, so that dropping it
/// also ends every browser it started, even when the test fails half-way.
struct Driver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
}

impl Driver {
    async fn start(binary: &Path) -> Driver {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: tempfile::tempdir().expect("a directory for browser profiles"),
        };
        // Ready when its status endpoint answers.
        let status = format!("{}/status", driver.url);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(r) = reqwest::get(&status).await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// A new headless browser session with a profile of its own (cookies, storage).
    async fn browser(&self, name: &str) -> Client {
        let profile = self.profiles.path().join(name);
        std::fs::create_dir_all(&profile).unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-extensions",
                    "--disable-crash-reporter",
                    "--disable-breakpad",
                    "--lang=vi-VN",
                    format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session");
        viewport(&client, DESKTOP).await;
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the browsers it started.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--"])
            .arg(format!("-{}", self.child.id()))
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sizes the window so that the page itself (the viewport) is `width`×`height`.
async fn viewport(c: &Client, (width, height): (u32, u32)) {
    c.set_window_size(width, height).await.expect("window size");
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("viewport size");
    let (w, h) = (
        inner[0].as_u64().unwrap_or(width.into()),
        inner[1].as_u64().unwrap_or(height.into()),
    );
    let extra =
        |want: u32, got: u64| u32::try_from(u64::from(want).saturating_sub(got)).unwrap_or(0);
    let (dw, dh) = (extra(width, w), extra(height, h));
    if dw > 0 || dh > 0 {
        c.set_window_size(width + dw, height + dh)
            .await
            .expect("window size");
    }
}

/// Waits for an element to be present and visible.
async fn visible(c: &Client, css: &str) -> Element {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await
            && e.is_displayed().await.unwrap_or(false)
        {
            // In the middle of the viewport, as a person would have it before
            // clicking: WebDriver scrolls a target only to the top edge, under the
            // console's sticky header.
            let arg = serde_json::to_value(&e).expect("an element reference");
            c.execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![arg],
            )
            .await
            .ok();
            return e;
        }
        if tokio::time::Instant::now() > deadline {
            let page = c.source().await.unwrap_or_default();
            panic!("{css} did not appear within {WAIT:?}; page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element found by `css` has a text containing `needle`.
async fn text_appears(c: &Client, css: &str, needle: &str) -> Element {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(all) = c.find_all(Locator::Css(css)).await {
            for e in all {
                if e.text().await.unwrap_or_default().contains(needle) {
                    return e;
                }
            }
        }
        if tokio::time::Instant::now() > deadline {
            let page = c.source().await.unwrap_or_default();
            panic!("no {css} showing {needle:?} within {WAIT:?}; page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until a script returns true in the page.
async fn until(c: &Client, what: &str, script: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if c.execute(script, vec![]).await.ok() == Some(Value::Bool(true)) {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            let page = c.source().await.unwrap_or_default();
            panic!("{what} did not happen within {WAIT:?}; page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs in through the login form and opens `path`.
async fn sign_in(c: &Client, app: &TestApp, user: &TestUser, path: &str) {
    c.goto(&app.url(&format!("/login?next={path}")))
        .await
        .unwrap();
    visible(c, "input[name=username]")
        .await
        .send_keys(&user.username)
        .await
        .unwrap();
    visible(c, "input[name=password]")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    visible(c, "form button[type=submit].primary")
        .await
        .click()
        .await
        .unwrap();
    // The console is connected when its live indicator says so.
    until(
        c,
        &format!("{} reaching {path}", user.username),
        &format!(
            "return location.pathname === {path:?} && document.querySelector('[data-ref=conn]')?.dataset.state === 'online';"
        ),
    )
    .await;
}

/// Saves a screenshot as `DIR/name.png` when `CYBERDRILL_SCREENSHOTS=DIR` is set.
async fn screenshot(c: &Client, name: &str) {
    let Some(dir) = std::env::var_os("CYBERDRILL_SCREENSHOTS") else {
        return;
    };
    let png = c.screenshot().await.expect("a screenshot");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
}

/// A small real PNG (a 2×2 image), as an analyst's screenshot would be.
fn tiny_png() -> Vec<u8> {
    const PNG: &str = "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a730000001049444154789c63f8cfc000440c100a001fee03fd8b5f14d40000000049454e44ae426082";
    hex::decode(PNG).unwrap()
}

struct Setup {
    app: TestApp,
    controller: TestUser,
    evaluator: TestUser,
    responder_a: TestUser,
    responder_b: TestUser,
    red_responder: TestUser,
    team_a: String,
    drill: String,
}

async fn setup() -> Setup {
    // The control console shows the live scoreboard's drill score.
    let app = TestApp::spawn_with(|c| c.live_scoreboard = true).await;
    let org = app.org("bo-e2e", None).await;
    let controller = app.user("btc", Role::Controller, org).await;
    let evaluator = app.user("bgk", Role::Evaluator, org).await;
    // Released at the start, and one for later that keeps the timeline non-trivial.
    let scenario = store_scenario(
        &app,
        org,
        "e2e",
        &[
            ("phishing-alert", Some(0), "blue"),
            ("later", Some(36000), "all"),
        ],
    )
    .await;
    let system = app.system(&controller, "Cổng dịch vụ công", 3).await;
    let team_a = app.team(&controller, "Đội ứng cứu A").await;
    let team_b = app.team(&controller, "Đội ứng cứu B").await;
    let (status, red) = app
        .post(
            &controller,
            "/api/v1/teams",
            json!({"name": "Đội tấn công", "side": "red"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{red}");
    let team_red = red["id"].as_str().unwrap().to_owned();
    let responder_a = app.user("ungcuu-a", Role::Responder, org).await;
    let responder_b = app.user("ungcuu-b", Role::Responder, org).await;
    let red_responder = app.user("doido", Role::Responder, org).await;
    for (team, user) in [
        (&team_a, &responder_a),
        (&team_b, &responder_b),
        (&team_red, &red_responder),
    ] {
        app.member(
            &controller,
            team,
            json!({"full_name": user.username, "employment": "in_house", "user_id": user.id}),
        )
        .await;
    }
    let (status, drill) = app
        .post(
            &controller,
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": "Diễn tập ứng cứu sự cố mã độc tống tiền",
                "kind": "functional",
                "system_ids": [system],
                "teams": [
                    {"team_id": team_a, "side": "blue"},
                    {"team_id": team_b, "side": "blue"},
                    {"team_id": team_red, "side": "red"},
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{drill}");
    Setup {
        drill: drill["id"].as_str().unwrap().to_owned(),
        app,
        controller,
        evaluator,
        responder_a,
        responder_b,
        red_responder,
        team_a,
    }
}

#[tokio::test]
async fn a_drill_runs_end_to_end_in_real_browsers() {
    let Some(binary) = chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver is not installed: .ci/run installs Debian's chromium and chromium-driver"
        );
        eprintln!(
            "skipped: chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let s = setup().await;
    let driver = Driver::start(&binary).await;
    let console = |name: &str| format!("/drills/{}/{name}", s.drill);

    let controller = driver.browser("controller").await;
    let responder_a = driver.browser("responder-a").await;
    let responder_b = driver.browser("responder-b").await;
    sign_in(&controller, &s.app, &s.controller, &console("control")).await;
    sign_in(&responder_a, &s.app, &s.responder_a, &console("respond")).await;
    sign_in(&responder_b, &s.app, &s.responder_b, &console("respond")).await;
    // Both responders are online for the controller.
    until(
        &controller,
        "two teams online",
        "return document.querySelectorAll('.presence-team.on').length >= 2;",
    )
    .await;

    // The controller starts the drill; the inject at T+0 reaches both responders
    // live: the feed was empty and nobody reloads.
    let marker = "return window.__notReloaded = true;";
    for r in [&responder_a, &responder_b] {
        r.execute(marker, vec![]).await.unwrap();
        visible(r, "[data-ref=feed-empty]").await;
    }
    visible(&controller, "button[data-transition=start]")
        .await
        .click()
        .await
        .unwrap();
    for r in [&responder_a, &responder_b] {
        let inject = text_appears(r, ".feed li.inject.unread", "Cảnh báo phishing-alert").await;
        assert!(
            inject
                .text()
                .await
                .unwrap()
                .contains("Nội dung phishing-alert")
        );
        until(
            r,
            "the same page, not reloaded",
            "return window.__notReloaded === true;",
        )
        .await;
    }
    screenshot(&controller, "console-control").await;

    // Responder A acknowledges it; the controller's stream shows the acknowledgement.
    visible(&responder_a, ".feed li.inject button.primary")
        .await
        .click()
        .await
        .unwrap();
    visible(&responder_a, ".feed li.inject .acked").await;
    text_appears(&controller, ".stream-item.ev-ack_recorded", "Đội ứng cứu A").await;

    // …and reports a detection linked to the inject, with a screenshot attached.
    let evidence = tempfile::Builder::new().suffix(".png").tempfile().unwrap();
    std::fs::write(evidence.path(), tiny_png()).unwrap();
    let inject_id: String = responder_a
        .execute(
            "return document.querySelector('.feed li.inject').dataset.injectId;",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let form = "form[data-form=detection]";
    visible(&responder_a, &format!("{form} select[name=inject_id]"))
        .await
        .select_by_value(&inject_id)
        .await
        .unwrap();
    visible(&responder_a, &format!("{form} input[name=title]"))
        .await
        .send_keys("Thư lừa đảo có tệp đính kèm độc hại")
        .await
        .unwrap();
    visible(&responder_a, &format!("{form} textarea[name=description]"))
        .await
        .send_keys("Cổng thư chặn được thư giả mạo gửi tới 12 cán bộ; tệp đính kèm là mã độc.")
        .await
        .unwrap();
    visible(&responder_a, &format!("{form} input[name=technique]"))
        .await
        .send_keys("T1566.001")
        .await
        .unwrap();
    visible(&responder_a, &format!("{form} input[name=evidence]"))
        .await
        .send_keys(&evidence.path().display().to_string())
        .await
        .unwrap();
    screenshot(&responder_a, "console-respond").await;
    visible(&responder_a, &format!("{form} button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    text_appears(&responder_a, &format!("{form} .form-status"), "Đã gửi").await;
    // The team's submissions list it, awaiting the judges.
    visible(&responder_a, "#tab-mine")
        .await
        .click()
        .await
        .unwrap();
    text_appears(&responder_a, "[data-ref=mine] li", "Thư lừa đảo").await;

    // The controller's console shows the detection as it happens.
    text_appears(
        &controller,
        ".stream-item.ev-detection_recorded",
        "Thư lừa đảo có tệp đính kèm độc hại",
    )
    .await;

    // The other team never sees team A's detection.
    let b_sees: Value = responder_b
        .execute(
            "return document.body.innerText.includes('Thư lừa đảo có tệp');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(b_sees, Value::Bool(false));

    // An evaluator links the detection to the inject.
    let evaluator = driver.browser("evaluator").await;
    sign_in(&evaluator, &s.app, &s.evaluator, &console("evaluate")).await;
    text_appears(
        &evaluator,
        ".queue-item",
        "Thư lừa đảo có tệp đính kèm độc hại",
    )
    .await
    .find(Locator::Css("button"))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    visible(&evaluator, ".verdict-form select[name=link]")
        .await
        .select_by_value(&format!("inject:{inject_id}"))
        .await
        .unwrap();
    screenshot(&evaluator, "console-evaluate").await;
    visible(&evaluator, ".verdict-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    text_appears(&evaluator, ".verdict-form .form-status", "Đã lưu").await;

    // The scorecard shows team A's time to detect, live on the controller's console.
    let (status, card) = s
        .app
        .get(
            &s.controller,
            &format!("/api/v1/drills/{}/scorecard", s.drill),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{card}");
    let team_a = card["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team_id"] == s.team_a.as_str())
        .unwrap_or_else(|| panic!("team A is not in {card}"));
    assert!(team_a["mean_time_to_detect_s"].as_f64().is_some(), "{card}");
    until(
        &controller,
        "team A's time to detect on the scorecard",
        &format!(
            "const cell = document.querySelector('[data-ref=scorecard] tr[data-team-id=\"{}\"] td.mttd'); return !!cell && cell.textContent.trim() !== '—';",
            s.team_a
        ),
    )
    .await;
    // …and the live scoreboard's drill score (a `score_updated` event).
    until(
        &controller,
        "team A's drill score on the live scoreboard",
        &format!(
            "const cell = document.querySelector('[data-ref=scorecard] tr[data-team-id=\"{}\"] td.drill-score'); return !!cell && /^[0-9]+\\.[0-9]$/.test(cell.textContent.trim());",
            s.team_a
        ),
    )
    .await;
    screenshot(&controller, "console-control-scorecard").await;

    // The red team logs an attack action; the controller sees it, the blue teams never do.
    let red = driver.browser("red").await;
    sign_in(&red, &s.app, &s.red_responder, &console("red")).await;
    let form = "form[data-form=red_action]";
    visible(&red, &format!("{form} input[name=technique]"))
        .await
        .send_keys("T1190")
        .await
        .unwrap();
    visible(&red, &format!("{form} input[name=title]"))
        .await
        .send_keys("Khai thác lỗi tải tệp của Cổng dịch vụ công")
        .await
        .unwrap();
    visible(&red, &format!("{form} textarea[name=description]"))
        .await
        .send_keys("Tải webshell qua chức năng đính kèm hồ sơ.")
        .await
        .unwrap();
    screenshot(&red, "console-red").await;
    visible(&red, &format!("{form} button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    text_appears(&red, &format!("{form} .form-status"), "Đã gửi").await;
    text_appears(
        &controller,
        ".stream-item.ev-red_action_recorded",
        "Khai thác lỗi tải tệp",
    )
    .await;
    let blue_sees: Value = responder_a
        .execute(
            "return document.body.innerText.includes('Khai thác lỗi tải tệp');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(blue_sees, Value::Bool(false));

    // The phone-width view of the responder console.
    viewport(&responder_a, PHONE).await;
    responder_a.refresh().await.unwrap();
    visible(&responder_a, ".feed li.inject").await;
    screenshot(&responder_a, "console-respond-phone").await;

    for c in [controller, responder_a, responder_b, evaluator, red] {
        c.close().await.unwrap();
    }
    drop(driver);
}
