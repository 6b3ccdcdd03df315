//! `TestApp`: spawns the real server on 127.0.0.1:0 with its own database, and offers
//! a small HTTP client with the caller's bearer token.
//!
//! Backend: SQLite in a temporary directory, or — when the environment variable
//! `CYBERDRILL_TEST_POSTGRES` holds an administrative URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres` — a new PostgreSQL database per test.

use std::net::SocketAddr;

use cyberdrill::auth::{password, secret};
use cyberdrill::config::Config;
use cyberdrill::domain::Role;
use cyberdrill::startup::Application;
use cyberdrill::store::{self, orgs::NewOrg, users::NewUser};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const POSTGRES_ENV: &str = "CYBERDRILL_TEST_POSTGRES";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub db: DatabaseConnection,
    pub root_org: Uuid,
    pub backend: &'static str,
    /// The database the server runs on, for the command line (`cyberdrill … --database-url`).
    pub database_url: String,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    /// Evidence files of this test (`Config::evidence_dir`).
    pub evidence_dir: tempfile::TempDir,
    /// Dropped after the server was told to stop (fields drop after `Drop::drop`).
    _pg_database: Option<PgDatabase>,
}

/// A user with a bearer token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: Uuid,
    pub username: String,
    pub org_id: Uuid,
    pub token: String,
}

impl TestUser {
    /// The same user presenting another bearer token (a new, revoked or made-up one).
    pub fn with_token(&self, token: &str) -> TestUser {
        TestUser {
            token: token.to_owned(),
            ..self.clone()
        }
    }
}

/// A fresh test database: its URL, the temporary directory of an SQLite file, the
/// backend's name, and (PostgreSQL) the database to drop at the end.
struct FreshDatabase {
    url: String,
    dir: Option<tempfile::TempDir>,
    backend: &'static str,
    pg_database: Option<PgDatabase>,
}

/// A PostgreSQL test database, dropped when this guard is, so that runs do not pile up
/// databases, even when a test panics while the application is being built.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // `Drop` cannot await, so a short-lived thread with its own runtime does it;
        // `FORCE` closes the connections the stopped server may still hold.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = admin.execute_unprepared(&sql).await;
                    admin.close().await.ok();
                }
            });
        });
        let _ = dropper.join();
    }
}

async fn fresh_database() -> FreshDatabase {
    match std::env::var(POSTGRES_ENV) {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("cdtest_{}", Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to the PostgreSQL admin database");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create the test database");
            admin.close().await.ok();
            let guard = PgDatabase {
                admin_url: admin_url.clone(),
                name: name.clone(),
            };
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            FreshDatabase {
                url: format!("{base}/{name}"),
                dir: None,
                backend: "postgres",
                pg_database: Some(guard),
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}/test.db", dir.path().display());
            FreshDatabase {
                url,
                dir: Some(dir),
                backend: "sqlite",
                pg_database: None,
            }
        }
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    /// As [`TestApp::spawn`], with settings changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let FreshDatabase {
            url,
            dir,
            backend,
            pg_database,
        } = fresh_database().await;
        let mut config = Config::new("127.0.0.1:0".parse().unwrap(), url.clone());
        // The repository's shipped library, whatever directory the tests run from.
        config.scenario_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let evidence_dir = tempfile::tempdir().expect("temporary evidence directory");
        config.evidence_dir = evidence_dir.path().to_owned();
        // Its `score_updated` events arrive on a timer of their own and would make
        // every exact count of events a race; the tests of the scoreboard turn it on.
        config.live_scoreboard = false;
        configure(&mut config);
        let app = Application::build(config)
            .await
            .expect("build the application");
        let addr = app.local_addr().unwrap();
        let db = app.state().db.clone();
        let root = store::orgs::ensure_root(&db).await.unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(app.run_until(shutdown.clone()));
        TestApp {
            addr,
            base: format!("http://{addr}"),
            db,
            root_org: root.id,
            backend,
            database_url: url,
            shutdown,
            server: Some(server),
            _dir: dir,
            evidence_dir,
            _pg_database: pg_database,
        }
    }

    /// Stops the server and waits for it, as SIGTERM would.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.server.take() {
            Some(handle) => handle.await?,
            None => Ok(()),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates an organisation directly in the store.
    pub async fn org(&self, slug: &str, parent: Option<Uuid>) -> Uuid {
        store::orgs::create(
            &self.db,
            NewOrg {
                slug,
                name: &format!("Org {slug}"),
                parent_id: parent.or(Some(self.root_org)),
                sector: None,
            },
        )
        .await
        .unwrap()
        .id
    }

    /// Creates a user (password [`PASSWORD`]) and a bearer token for them.
    pub async fn user(&self, username: &str, role: Role, org_id: Uuid) -> TestUser {
        // Hashing once per process keeps the suite fast; the hash is valid for PASSWORD.
        static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let hash = HASH
            .get_or_init(|| async { password::hash_blocking(PASSWORD).unwrap() })
            .await;
        let user = store::users::create(
            &self.db,
            NewUser {
                username,
                full_name: username,
                password_hash: hash,
                role,
                org_id,
            },
        )
        .await
        .unwrap();
        let token = format!("cd_{}", secret::new_secret());
        let expires = chrono::Utc::now() + chrono::Duration::days(1);
        store::users::create_token(
            &self.db,
            user.id,
            secret::sha256_hex(&token),
            "test",
            expires,
        )
        .await
        .unwrap();
        TestUser {
            id: user.id,
            username: username.to_owned(),
            org_id,
            token,
        }
    }

    /// Sends a JSON request as `user` (or anonymously) and returns status and body.
    pub async fn call(
        &self,
        user: Option<&TestUser>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let client = reqwest::Client::new();
        let mut req = client.request(method, self.url(path));
        if let Some(u) = user {
            req = req.bearer_auth(&u.token);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        self.call(Some(user), Method::GET, path, None).await
    }

    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(user), Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(user), Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(user), Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, user: &TestUser, path: &str) -> (StatusCode, Value) {
        self.call(Some(user), Method::DELETE, path, None).await
    }

    /// `POST /api/v1/auth/token` without a bearer token; the headers are returned too
    /// (for `Retry-After`).
    pub async fn request_token(
        &self,
        username: &str,
        password: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let resp = reqwest::Client::new()
            .post(self.url("/api/v1/auth/token"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request");
        let (status, headers) = (resp.status(), resp.headers().clone());
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Sends raw bytes with a content type, for malformed-body tests.
    pub async fn post_raw(
        &self,
        user: &TestUser,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        self.send_raw(user, Method::POST, path, content_type, body)
            .await
    }

    /// Sends raw bytes with any method and content type.
    pub async fn send_raw(
        &self,
        user: &TestUser,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let resp = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(&user.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a level-`level` system in `org` through the API and returns its id.
    pub async fn system(&self, user: &TestUser, name: &str, level: u8) -> String {
        let (status, body) = self
            .post(user, "/api/v1/systems", json!({"name": name, "system_type": "citizen_business", "level": level, "org_id": user.org_id}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a blue team in `user`'s organisation through the API and returns its id.
    pub async fn team(&self, user: &TestUser, name: &str) -> String {
        let (status, body) = self
            .post(user, "/api/v1/teams", json!({"name": name, "side": "blue"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Adds a member to a team through the API and returns the member's id.
    pub async fn member(&self, user: &TestUser, team_id: &str, member: Value) -> String {
        let (status, body) = self
            .post(user, &format!("/api/v1/teams/{team_id}/members"), member)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a playbook for a system through the API and returns its id.
    pub async fn playbook(&self, user: &TestUser, system_id: &str, body: Value) -> String {
        let (status, created) = self
            .post(
                user,
                &format!("/api/v1/systems/{system_id}/playbooks"),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        created["id"].as_str().unwrap().to_owned()
    }

    /// Rows in a table, read directly from the database, to prove that a refused
    /// request wrote nothing.
    pub async fn count<E>(&self, _table: E) -> u64
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        E::find().count(&self.db).await.expect("count rows")
    }
}

/// A valid playbook body for `category`, reviewed on `reviewed_on` (`YYYY-MM-DD`).
pub fn playbook_body(category: &str, reviewed_on: &str) -> Value {
    json!({
        "category": category,
        "title": format!("Ứng cứu sự cố {category}"),
        "steps": [
            {"action": "Cô lập máy chủ bị ảnh hưởng", "role": "Quản trị hệ thống"},
            {"action": "Báo cáo cơ quan chủ quản", "role": "Trưởng nhóm ứng cứu"},
        ],
        "priority_conditions": "Giữ cổng dịch vụ công hoạt động",
        "reviewed_on": reviewed_on,
    })
}

/// A member who counts as a qualified expert: an expert group and a certificate that
/// does not expire before 2099.
pub fn qualified_member(full_name: &str) -> Value {
    json!({
        "full_name": full_name,
        "employment": "in_house",
        "expert_groups": ["ktpt"],
        "certificates": [{"name": "GCIH", "issuer": "GIAC", "scope": "international", "issued_on": "2024-01-10", "expires_on": "2099-01-10"}],
    })
}

/// The `id`s of a list response's `items`, in order.
pub fn item_ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {body}"))
        .iter()
        .map(|item| item["id"].as_str().expect("item id").to_owned())
        .collect()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The error envelope's field message for `field`, if any.
pub fn field_error<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body["error"]["fields"][field].as_str()
}

/// Asserts the error envelope: status, code, and (optionally) the field named.
#[track_caller]
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    expected: StatusCode,
    code: &str,
    field: Option<&str>,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(f) = field {
        assert!(
            field_error(body, f).is_some(),
            "field {f} not named in {body}"
        );
    }
}

// ---------------------------------------------------------------- a small browser

/// A browser: keeps cookies, does not follow redirects (so tests see the 303s).
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            base: app.base.clone(),
        }
    }

    /// Signs in through the login form, as a person would.
    pub async fn signed_in(app: &TestApp, user: &TestUser) -> Browser {
        let browser = Browser::new(app);
        let (status, page) = browser.get("/login").await;
        assert_eq!(status, StatusCode::OK);
        let csrf = hidden_csrf(&page);
        let response = browser
            .client
            .post(format!("{}/login", browser.base))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", &user.username),
                ("password", PASSWORD),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login failed");
        browser
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// The CSRF token the pages put in their forms (the sign-out form of any page).
    pub async fn csrf(&self) -> String {
        hidden_csrf(&self.get("/").await.1)
    }

    /// Posts a form with a valid `_csrf`; returns status, `Location` and body.
    pub async fn post<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
    ) -> (StatusCode, String, String) {
        let csrf = self.csrf().await;
        let mut body: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
        body.extend(fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        self.post_raw(path, &body).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// Posts a multipart form (file uploads) with a valid `_csrf`.
    pub async fn post_multipart(
        &self,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> (StatusCode, String, String) {
        let csrf = self.csrf().await;
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .multipart(form.text("_csrf", csrf))
            .send()
            .await
            .unwrap();
        answer(response).await
    }
}

/// Status, `Location` (empty when none) and body of a form's answer.
async fn answer(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, location, response.text().await.unwrap())
}

/// The value of the `_csrf` hidden input of a page.
pub fn hidden_csrf(page: &str) -> String {
    let marker = r#"name="_csrf" value=""#;
    let start = page
        .find(marker)
        .map(|i| i + marker.len())
        .expect("a _csrf hidden input");
    let end = page[start..].find('"').unwrap();
    page[start..start + end].to_owned()
}
