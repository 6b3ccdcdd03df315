//! The crash test: the real `cyberdrill` binary runs a fast drill, is killed with
//! SIGKILL while it releases injects, and is started again on the same database.
//! Nothing may be lost or repeated: every inject is released exactly once, those that
//! fell due while the server was down are released at once on restart with their
//! lateness recorded, and the hash chain verifies (over HTTP and with
//! `cyberdrill drill verify`).
//!
//! This test talks to a separate process, so it polls the API with a short sleep and
//! a deadline instead of driving time through `tick(now)`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use cyberdrill::auth::{password, secret};
use cyberdrill::domain::Role;
use cyberdrill::entities::drill_event;
use cyberdrill::scenario::parse_scenario;
use cyberdrill::store::{self, scenarios::Owner, users::NewUser};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, Database, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::drills::scenario_toml;
use crate::helpers::POSTGRES_ENV;

const BIN: &str = env!("CARGO_BIN_EXE_cyberdrill");
/// 60 injects a drill minute apart; at 600× speed one falls due every 100 ms.
const INJECTS: u32 = 60;
const SPEED: f64 = 600.0;

/// A database for the two server runs, dropped at the end (PostgreSQL).
pub(crate) struct CrashDb {
    pub(crate) url: String,
    admin: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl CrashDb {
    pub(crate) async fn new() -> CrashDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        match std::env::var(POSTGRES_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("cdcrash_{}", Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("admin connection");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                CrashDb {
                    url: format!("{base}/{name}"),
                    admin: Some((admin_url.clone(), name)),
                    _dir: dir,
                }
            }
            _ => CrashDb {
                url: format!("sqlite://{}/crash.db", dir.path().display()),
                admin: None,
                _dir: dir,
            },
        }
    }

    pub(crate) async fn drop_database(&self) {
        if let Some((admin_url, name)) = &self.admin
            && let Ok(admin) = Database::connect(admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            admin.close().await.ok();
        }
    }
}

/// A running `cyberdrill serve`, killed with SIGKILL when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
}

impl Server {
    pub(crate) async fn start(db: &CrashDb) -> Server {
        Server::start_with(db, &[]).await
    }

    /// Starts the binary with extra environment variables.
    pub(crate) async fn start_with(db: &CrashDb, env: &[(&str, &str)]) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(BIN)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &db.url,
            ])
            .current_dir(db._dir.path())
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cyberdrill");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if reqwest::get(format!("{}/api/openapi.json", server.base))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return server;
            }
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reap the killed server");
    }

    async fn call(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn get(&self, token: &str, path: &str) -> Value {
        let (status, body) = self.call(token, reqwest::Method::GET, path, None).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    pub(crate) async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, body) = self
            .call(token, reqwest::Method::POST, path, Some(body))
            .await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Seeds a controller with a bearer token and the scenario, before any server runs.
async fn seed(db: &CrashDb) -> (String, Uuid) {
    seed_with(db, "crash-drill", INJECTS).await
}

/// Seeds a controller with a bearer token and a scenario of `injects` scheduled
/// injects one drill minute apart (`inject-01`, …).
pub(crate) async fn seed_with(db: &CrashDb, slug: &str, injects: u32) -> (String, Uuid) {
    let conn = cyberdrill::db::connect_and_migrate(&db.url)
        .await
        .expect("migrate");
    let root = store::orgs::ensure_root(&conn).await.unwrap();
    let hash = password::hash_blocking("correct horse battery staple").unwrap();
    let user = store::users::create(
        &conn,
        NewUser {
            username: "dieu-phoi",
            full_name: "Điều phối",
            password_hash: &hash,
            role: Role::Controller,
            org_id: root.id,
        },
    )
    .await
    .unwrap();
    let token = format!("cd_{}", secret::new_secret());
    store::users::create_token(
        &conn,
        user.id,
        secret::sha256_hex(&token),
        "crash",
        Utc::now() + chrono::Duration::days(1),
    )
    .await
    .unwrap();
    let keys: Vec<String> = (1..=injects).map(|k| format!("inject-{k:02}")).collect();
    let specs: Vec<(&str, Option<u32>, &str)> = keys
        .iter()
        .zip(1..=injects)
        .map(|(k, n)| (k.as_str(), Some(n * 60), "blue"))
        .collect();
    let scenario = parse_scenario(&scenario_toml(slug, &specs)).expect("valid scenario");
    let saved = store::scenarios::save(&conn, Owner::Org(root.id), &scenario, None)
        .await
        .unwrap();
    conn.close().await.ok();
    (token, saved.loaded.summary.id)
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

pub(crate) async fn timeline(server: &Server, token: &str, drill: &str) -> Vec<Value> {
    server
        .get(token, &format!("/api/v1/drills/{drill}/timeline"))
        .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

pub(crate) fn released(timeline: &[Value]) -> usize {
    timeline.iter().filter(|e| e["state"] == "released").count()
}

#[tokio::test]
async fn a_server_killed_mid_drill_loses_no_release_and_repeats_none() {
    let db = CrashDb::new().await;
    let (token, scenario) = seed(&db).await;
    let server = Server::start(&db).await;
    let system = server
        .post(
            &token,
            "/api/v1/systems",
            json!({"name": "Cổng dịch vụ công", "system_type": "citizen_business", "level": 3}),
        )
        .await["id"]
        .clone();
    let team = server
        .post(
            &token,
            "/api/v1/teams",
            json!({"name": "Đội ứng cứu", "side": "blue"}),
        )
        .await["id"]
        .clone();
    let drill = server
        .post(
            &token,
            "/api/v1/drills",
            json!({"scenario_id": scenario, "title": "Crash", "kind": "functional", "system_ids": [system], "teams": [{"team_id": team, "side": "blue"}], "speed": SPEED}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Start, let a good part of the injects go out, and kill the server in the middle.
    server
        .post(&token, &format!("/api/v1/drills/{drill}/start"), json!({}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while released(&timeline(&server, &token, &drill).await) < 15 {
        assert!(Instant::now() < deadline, "the scheduler released nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let killed_at = Utc::now();

    // Down for a while: injects keep falling due.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let restarted_at = Utc::now();
    let server = Server::start(&db).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let tl = loop {
        let tl = timeline(&server, &token, &drill).await;
        if released(&tl) == INJECTS as usize {
            break tl;
        }
        assert!(
            Instant::now() < deadline,
            "not every inject was released: {}",
            released(&tl)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Exactly once: one event per key, seq contiguous, nothing else appended.
    let events = server
        .get(&token, &format!("/api/v1/drills/{drill}/events?since=0"))
        .await;
    let items = events["items"].as_array().unwrap();
    let seqs: Vec<i64> = items.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=items.len() as i64).collect::<Vec<_>>(),
        "seq is contiguous"
    );
    assert_eq!(events["head_seq"], items.len() as i64);
    let mut keys: Vec<&str> = items
        .iter()
        .filter(|e| e["kind"] == "inject_released")
        .map(|e| e["data"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), INJECTS as usize, "one release event per inject");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), INJECTS as usize, "no key released twice");

    // What fell due during the downtime was released after the restart, late.
    let mut caught_up = 0;
    for e in &tl {
        let due = time(&e["due_at"]);
        let released_at = time(&e["released_at"]);
        assert!(released_at >= due, "{e}");
        assert_eq!(
            e["late_by_ms"].as_i64().unwrap(),
            (released_at - due).num_milliseconds(),
            "{e}"
        );
        if due > killed_at && due < restarted_at {
            caught_up += 1;
            assert!(
                released_at >= restarted_at,
                "released while the server was down? {e}"
            );
            assert!(e["late_by_ms"].as_i64().unwrap() > 0, "{e}");
        }
    }
    assert!(
        caught_up >= 5,
        "only {caught_up} injects fell due during the downtime"
    );

    let verified = server
        .get(&token, &format!("/api/v1/drills/{drill}/verify"))
        .await;
    assert_eq!(verified["ok"], true, "{verified}");
    // The drill still runs, so the live scoreboard may have appended a
    // `score_updated` since the log was read above.
    let verified_events = verified["events"].as_i64().unwrap();
    assert!(verified_events >= items.len() as i64, "{verified}");
    server.kill();

    let out = Command::new(BIN)
        .args(["drill", "verify", &drill, "--database-url", &db.url])
        .current_dir(db._dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cyberdrill drill verify");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        verified["head"].as_str().unwrap()
    );

    // Forge one release in the database: the command names it and exits 1.
    let conn = Database::connect(&db.url).await.expect("connect");
    let drill_id: Uuid = drill.parse().unwrap();
    drill_event::Entity::update_many()
        .col_expr(
            drill_event::Column::Data,
            Expr::value(r#"{"key":"forged"}"#),
        )
        .filter(drill_event::Column::DrillId.eq(drill_id))
        .filter(drill_event::Column::Seq.eq(7))
        .exec(&conn)
        .await
        .unwrap();
    conn.close().await.ok();
    let out = Command::new(BIN)
        .args(["drill", "verify", &drill, "--database-url", &db.url])
        .current_dir(db._dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run cyberdrill drill verify");
    assert_eq!(out.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("event 7"), "{printed}");
    db.drop_database().await;
}
