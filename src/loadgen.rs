//! The load generator behind `cyberdrill-loadgen` (and the short load test).
//!
//! Through the public API it creates a system, a scenario, a blue team and a tabletop
//! drill, and starts it; then it opens `connections` live WebSockets (bearer token,
//! `?since=` the drill's head, client sockets bound round-robin to the `sources`
//! addresses so the ephemeral ports of one address do not run out), releases
//! `injects` ad-hoc injects of about `body_bytes` each at `rate` per second, and
//! measures every delivery: latency from the event's `released_at` (server clock) to
//! receipt (client clock, the same machine), fan-out completion per inject (its last
//! recipient), and per socket lost, duplicated and out-of-order events and `resync`
//! frames. With a server PID it reads the server's resident memory before connecting
//! and once every socket is connected and idle.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpSocket;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

/// Read buffer of each client socket.
const LOADGEN_READ_BUFFER: usize = 8 * 1024;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// A bearer token of a controller, or `None` to get one with username/password.
    pub token: Option<String>,
    pub username: String,
    pub password: String,
    pub connections: usize,
    pub injects: usize,
    /// Injects released per second.
    pub rate: f64,
    /// Approximate size of each inject's body (split between `vi` and `en`).
    pub body_bytes: usize,
    /// Local addresses the client sockets bind to, round-robin.
    pub sources: Vec<IpAddr>,
    /// Handshakes in flight at once.
    pub connect_concurrency: usize,
    /// The server's process, to read its resident memory from `/proc/PID/status`.
    pub server_pid: Option<u32>,
    /// How long to wait for the last deliveries after the last release.
    pub drain: Duration,
    /// Release requests in flight at once.
    pub release_concurrency: usize,
}

impl Options {
    pub fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            token: None,
            username: String::new(),
            password: String::new(),
            connections: 100,
            injects: 10,
            rate: 1.0,
            body_bytes: 1024,
            sources: vec![IpAddr::from([127, 0, 0, 1])],
            connect_concurrency: 200,
            server_pid: None,
            drain: Duration::from_secs(10),
            release_concurrency: 8,
        }
    }
}

/// Milliseconds at some percentiles.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    fn of(mut micros: Vec<i64>) -> Summary {
        if micros.is_empty() {
            return Summary::default();
        }
        micros.sort_unstable();
        let at = |q: f64| {
            let i = ((micros.len() as f64 * q).ceil() as usize).clamp(1, micros.len()) - 1;
            micros[i] as f64 / 1000.0
        };
        Summary {
            count: micros.len(),
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: micros[micros.len() - 1] as f64 / 1000.0,
        }
    }
}

/// The measurements of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub drill_id: String,
    pub connections: usize,
    pub connected: usize,
    pub connect_failures: usize,
    /// From the first handshake to the last `hello`.
    pub connect_total_ms: f64,
    /// Per connection: handshake start to `hello`.
    pub connect: Summary,
    pub injects: usize,
    /// From the first release request to the last one's response.
    pub release_seconds: f64,
    /// Injects released per second over `release_seconds`.
    pub release_rate_achieved: f64,
    /// Release requests answered 503 (database busy, nothing saved) and sent again.
    pub release_busy_retries: usize,
    /// Per release request: sent to answered (including 503 retries).
    pub release: Summary,
    /// CPU time (user + system) the server used from the first release until every
    /// delivery arrived (or the drain ended), per inject.
    pub server_cpu_ms_per_inject: Option<f64>,
    /// The same for the load generator itself (receiving, parsing, bookkeeping).
    pub loadgen_cpu_ms_per_inject: Option<f64>,
    /// Share of the machine's CPU time taken by the hypervisor (`steal` in
    /// `/proc/stat`) over the same span. On a shared virtual machine this is CPU the
    /// server and the loadgen wanted and did not get; the figures of a run with much
    /// of it are not comparable with those of a quiet machine.
    pub machine_steal_percent: Option<f64>,
    pub expected_deliveries: usize,
    pub deliveries: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub reordered: usize,
    pub resyncs: usize,
    /// Sockets that ended (closed or broke) before the run was over.
    pub closed_early: usize,
    /// `released_at` to receipt, every delivery.
    pub latency: Summary,
    /// `released_at` to the last recipient, per inject.
    pub fanout: Summary,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_connected_kib: Option<u64>,
    /// (connected − before) / connected.
    pub server_rss_per_connection_bytes: Option<u64>,
}

impl Report {
    /// True when nothing was lost, duplicated, reordered or resynced.
    pub fn is_clean(&self) -> bool {
        self.connect_failures == 0
            && self.lost == 0
            && self.duplicated == 0
            && self.reordered == 0
            && self.resyncs == 0
            && self.closed_early == 0
    }
}

/// What one socket saw.
#[derive(Default)]
struct SocketLog {
    connect_micros: i64,
    /// (seq, released_at → receipt in µs) of each `inject_released`.
    injects: Vec<(i64, i64)>,
    duplicated: usize,
    reordered: usize,
    resync: bool,
    closed_early: bool,
}

/// What the loadgen needs of one server frame.
#[derive(Debug, PartialEq, Eq)]
enum Received {
    Resync,
    /// An event: its `seq`, and for `inject_released` the server's `released_at`.
    Event {
        seq: i64,
        released_at: Option<DateTime<Utc>>,
    },
    Other,
}

/// Reads the few fields the loadgen measures from a frame without parsing the
/// whole JSON document. Parsing every ~1.3 KB frame with serde_json was the
/// loadgen's largest cost, and the loadgen shares the server's cores, so its own
/// cost shows up in the latencies it measures. The scan relies on what JSON
/// guarantees: a `"` inside a string is escaped, so `"seq":` can only be a key; and
/// on the frame's layout (`crate::drill::hub::event_frame`): the event's own `seq`
/// and `kind` come before its `data`, and `released_at` appears only in the data of
/// `inject_released`.
fn scan_frame(text: &str) -> Received {
    fn string_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
        let start = text.find(key)? + key.len();
        let rest = &text[start..];
        Some(&rest[..rest.find('"')?])
    }
    match string_after(text, "\"type\":\"") {
        Some("resync") => Received::Resync,
        Some("event") => {
            let Some(seq) = text.find("\"seq\":").and_then(|i| {
                let digits = &text[i + 6..];
                let end = digits
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(digits.len());
                digits[..end].parse().ok()
            }) else {
                return Received::Other;
            };
            let released_at = (string_after(text, "\"kind\":\"") == Some("inject_released"))
                .then(|| {
                    // `released_at` sits near the end of the data (keys are sorted), so
                    // search backwards instead of through the body.
                    let key = "\"released_at\":\"";
                    let start = text.rfind(key)? + key.len();
                    let rest = &text[start..];
                    rest[..rest.find('"')?].parse().ok()
                })
                .flatten();
            Received::Event { seq, released_at }
        }
        _ => Received::Other,
    }
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// CPU time (user + system) a process has used so far, in milliseconds, from
/// `/proc/PID/stat` (`self` for this process). Linux only; `None` elsewhere.
pub fn cpu_ms(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields 14 and 15 count from
    // after its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux configuration this runs on.
    Some(ticks * 10.0)
}

/// The machine's (steal, total) CPU time in ticks, from the `cpu` line of `/proc/stat`.
pub fn machine_steal_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    // already counted in user and nice.
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    Some((*ticks.get(7)?, ticks.iter().sum()))
}

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path}: {status} {value}");
        }
        Ok(value)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// A POST whose non-2xx answers are returned, not turned into errors.
    async fn post_status(
        &self,
        path: &str,
        body: Value,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = resp.status();
        Ok((status, resp.json().await.unwrap_or(Value::Null)))
    }

    /// The same server and token with a client of its own: a client's connections
    /// belong to the runtime that opened them.
    fn fresh_client(&self) -> Api {
        Api {
            http: reqwest::Client::new(),
            ..self.clone()
        }
    }
}

/// What the control room did.
struct Released {
    /// Per request, sent to answered.
    micros: Vec<i64>,
    busy_retries: usize,
}

/// Releases `opts.injects` ad-hoc injects at `opts.rate`: one request per tick, each
/// on its own task, at most `release_concurrency` in flight, so a slow commit does
/// not hold back the rate (the requests of a real control room do not wait for each
/// other either). A 503 (the database was busy; nothing was saved) is sent again
/// after 200 ms; every other failure ends the run.
///
/// This runs on a thread and runtime of its own. In the runtime of the 10 000 socket
/// tasks, each answer would wait in the run queue behind the sockets woken by the
/// previous inject, and the loadgen, not the server, would set the release rate; a
/// real control room is not in the participants' process either.
async fn release_all(api: Api, path: String, opts: Options) -> anyhow::Result<Released> {
    let half = Arc::new("x".repeat(opts.body_bytes / 2));
    let period = Duration::from_secs_f64(1.0 / opts.rate);
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let in_flight = Arc::new(Semaphore::new(opts.release_concurrency.max(1)));
    let api = Arc::new(api);
    let busy_answers = Arc::new(AtomicUsize::new(0));
    let mut releases = tokio::task::JoinSet::new();
    for k in 0..opts.injects {
        tick.tick().await;
        let permit = in_flight.clone().acquire_owned().await?;
        let (api, half, busy_answers, path) = (
            api.clone(),
            half.clone(),
            busy_answers.clone(),
            path.clone(),
        );
        releases.spawn(async move {
            let _permit = permit;
            let body = json!({
                "key": format!("load-{k}"),
                "audience": "all",
                "channel": "soc_alert",
                "title": {"vi": format!("Cảnh báo tải {k}"), "en": format!("Load alert {k}")},
                "body": {"vi": *half, "en": *half},
            });
            let sent = Instant::now();
            loop {
                match api.post_status(&path, body.clone()).await? {
                    (status, _) if status.is_success() => {
                        return anyhow::Ok(sent.elapsed().as_micros() as i64);
                    }
                    (reqwest::StatusCode::SERVICE_UNAVAILABLE, _) => {
                        busy_answers.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    (status, value) => bail!("POST {path}: {status} {value}"),
                }
            }
        });
    }
    let mut micros = Vec::with_capacity(opts.injects);
    while let Some(done) = releases.join_next().await {
        micros.push(done??);
    }
    Ok(Released {
        micros,
        busy_retries: busy_answers.load(Ordering::Relaxed),
    })
}

fn id_of(v: &Value) -> anyhow::Result<String> {
    v["id"]
        .as_str()
        .or_else(|| v["summary"]["id"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no id in {v}"))
}

fn scenario_toml(slug: &str) -> String {
    format!(
        r#"id = "{slug}"
version = 1
title = {{ vi = "Kịch bản tải", en = "Load scenario" }}
summary = {{ vi = "Đo tải kênh trực tiếp", en = "Live channel load" }}
category = "encryption"
techniques = ["T1486"]
min_level = 1
drill_kinds = ["tabletop"]
duration = "99:00:00"
objectives = [{{ vi = "Đo tải", en = "Measure" }}]

[[injects]]
key = "placeholder"
manual = true
audience = "controllers"
channel = "soc_alert"
title = {{ vi = "Chờ", en = "Placeholder" }}
body = {{ vi = "Chờ", en = "Placeholder" }}
"#
    )
}

/// Creates the drill and runs the load; see the module documentation.
pub async fn run(opts: Options) -> anyhow::Result<Report> {
    if opts.sources.is_empty() || opts.connections == 0 || opts.rate <= 0.0 {
        bail!("need at least one source address, one connection and a positive rate");
    }
    let base = opts.url.trim_end_matches('/').to_owned();
    let http = reqwest::Client::new();
    let token = match &opts.token {
        Some(t) => t.clone(),
        None => {
            let resp = http
                .post(format!("{base}/api/v1/auth/token"))
                .json(&json!({"username": opts.username, "password": opts.password}))
                .send()
                .await
                .context("POST /api/v1/auth/token")?;
            let status = resp.status();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                bail!("could not log in: {status} {body}");
            }
            body["token"]
                .as_str()
                .ok_or_else(|| anyhow!("no token in {body}"))?
                .to_owned()
        }
    };
    let api = Api {
        http,
        base: base.clone(),
        token,
    };
    let me = api.call(reqwest::Method::GET, "/api/v1/me", None).await?;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let system = id_of(
        &api.post(
            "/api/v1/systems",
            json!({"name": format!("Hệ thống tải {tag}"), "system_type": "citizen_business", "level": 1, "org_id": me["org_id"]}),
        )
        .await?,
    )?;
    let scenario = {
        let resp = api
            .http
            .post(format!("{base}/api/v1/scenarios"))
            .bearer_auth(&api.token)
            .header("content-type", "application/toml")
            .body(scenario_toml(&format!("loadgen-{tag}")))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("POST /api/v1/scenarios: {status} {body}");
        }
        id_of(&body)?
    };
    let team = id_of(
        &api.post(
            "/api/v1/teams",
            json!({"name": format!("Đội tải {tag}"), "side": "blue"}),
        )
        .await?,
    )?;
    let drill = api
        .post(
            "/api/v1/drills",
            json!({
                "scenario_id": scenario,
                "title": format!("Đo tải {tag}"),
                "kind": "tabletop",
                "system_ids": [system],
                "teams": [{"team_id": team, "side": "blue"}],
            }),
        )
        .await?;
    let drill_id = id_of(&drill)?;
    let started = api
        .post(&format!("/api/v1/drills/{drill_id}/start"), json!({}))
        .await?;
    let head = started["head_seq"].as_i64().unwrap_or(0);

    let server: SocketAddr = {
        let url = reqwest::Url::parse(&base)?;
        let host = url.host_str().ok_or_else(|| anyhow!("no host in {base}"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        tokio::net::lookup_host((host, port))
            .await?
            .find(SocketAddr::is_ipv4)
            .ok_or_else(|| anyhow!("cannot resolve {host}"))?
    };
    let ws_url = format!(
        "{}/api/v1/drills/{drill_id}/live?since={head}",
        base.replacen("http", "ws", 1)
    );

    let rss_before = opts.server_pid.and_then(rss_kib);

    // Connect.
    let stop = CancellationToken::new();
    let received = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(opts.connect_concurrency.max(1)));
    let connect_start = Instant::now();
    let mut tasks = Vec::with_capacity(opts.connections);
    let (hello_tx, mut hello_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    for i in 0..opts.connections {
        let source = opts.sources[i % opts.sources.len()];
        let mut req = ws_url.as_str().into_client_request()?;
        req.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {}", api.token))?,
        );
        let gate = gate.clone();
        let stop = stop.clone();
        let received = received.clone();
        let hello_tx = hello_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut log = SocketLog::default();
            let permit = gate.acquire_owned().await;
            let began = Instant::now();
            let ws = async {
                let socket = TcpSocket::new_v4()?;
                socket.bind(SocketAddr::new(source, 0))?;
                let stream = socket.connect(server).await?;
                stream.set_nodelay(true)?;
                // tungstenite's default 128 KiB read buffer is zeroed on every read:
                // with 10 000 sockets that memset alone took half of the loadgen's CPU
                // (perf), delaying the very deliveries it measures. Frames here are
                // ~1.3 KB.
                let config = WebSocketConfig::default().read_buffer_size(LOADGEN_READ_BUFFER);
                let (mut ws, _) =
                    tokio_tungstenite::client_async_with_config(req, stream, Some(config)).await?;
                // hello
                match ws.next().await {
                    Some(Ok(Message::Text(_))) => {}
                    other => bail!("no hello: {other:?}"),
                }
                anyhow::Ok(ws)
            };
            let ws = tokio::time::timeout(Duration::from_secs(30), ws).await;
            drop(permit);
            let mut ws = match ws {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "connect failed");
                    let _ = hello_tx.send(false);
                    return None;
                }
                Err(_) => {
                    tracing::warn!("connect timed out");
                    let _ = hello_tx.send(false);
                    return None;
                }
            };
            log.connect_micros = began.elapsed().as_micros() as i64;
            let _ = hello_tx.send(true);
            let mut last = head;
            // One registration with the stop token per socket, not one per frame (a
            // waiter added and removed under the token's lock, 10 000 times per inject,
            // on the cores the server is measured on).
            let stopped = stop.cancelled();
            tokio::pin!(stopped);
            loop {
                let msg = tokio::select! {
                    () = &mut stopped => break,
                    m = ws.next() => m,
                };
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        log.closed_early = true;
                        break;
                    }
                    Some(Ok(_)) => continue,
                };
                let now = Utc::now();
                match scan_frame(text.as_str()) {
                    Received::Resync => log.resync = true,
                    Received::Event { seq, released_at } => {
                        if seq == last {
                            log.duplicated += 1;
                            continue;
                        }
                        if seq < last {
                            log.reordered += 1;
                            continue;
                        }
                        last = seq;
                        if let Some(at) = released_at {
                            let micros = (now - at).num_microseconds().unwrap_or(i64::MAX);
                            log.injects.push((seq, micros));
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Received::Other => {}
                }
            }
            let _ = ws.close(None).await;
            Some(log)
        }));
    }
    drop(hello_tx);
    let mut connected = 0;
    let mut connect_failures = 0;
    while let Some(ok) = hello_rx.recv().await {
        if ok {
            connected += 1;
        } else {
            connect_failures += 1;
        }
        if connected + connect_failures == opts.connections {
            break;
        }
    }
    let connect_total = connect_start.elapsed();
    tracing::info!(connected, connect_failures, ?connect_total, "connected");

    // Idle memory.
    let rss_connected = if let Some(pid) = opts.server_pid {
        tokio::time::sleep(Duration::from_secs(3)).await;
        rss_kib(pid)
    } else {
        None
    };

    // Release from a control room of its own: a thread with its own runtime and
    // HTTP client (see `release_all`).
    let server_cpu_start = opts.server_pid.and_then(|p| cpu_ms(&p.to_string()));
    let own_cpu_start = cpu_ms("self");
    let steal_start = machine_steal_ticks();
    let release_start = Instant::now();
    let control_room = {
        let (api, opts) = (api.clone(), opts.clone());
        let path = format!("/api/v1/drills/{drill_id}/injects");
        std::thread::Builder::new()
            .name("loadgen-control-room".into())
            .spawn(move || -> anyhow::Result<Released> {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?
                    .block_on(release_all(api.fresh_client(), path, opts))
            })?
    };
    let released = tokio::task::spawn_blocking(move || control_room.join())
        .await?
        .map_err(|_| anyhow!("the release thread panicked"))??;
    let release_seconds = release_start.elapsed().as_secs_f64();
    let expected = connected * opts.injects;
    let deadline = Instant::now() + opts.drain;
    while received.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let server_cpu_ms = opts
        .server_pid
        .and_then(|p| cpu_ms(&p.to_string()))
        .zip(server_cpu_start)
        .map(|(end, start)| end - start);
    let own_cpu_ms = cpu_ms("self")
        .zip(own_cpu_start)
        .map(|(end, start)| end - start);
    let machine_steal_percent =
        machine_steal_ticks()
            .zip(steal_start)
            .and_then(|((steal, total), (steal0, total0))| {
                let total = total.checked_sub(total0).filter(|t| *t > 0)?;
                Some(steal.saturating_sub(steal0) as f64 * 100.0 / total as f64)
            });
    stop.cancel();

    let mut report = Report {
        drill_id,
        connections: opts.connections,
        connected,
        connect_failures,
        connect_total_ms: connect_total.as_secs_f64() * 1000.0,
        injects: opts.injects,
        release_seconds,
        release_rate_achieved: opts.injects as f64 / release_seconds.max(f64::EPSILON),
        release_busy_retries: released.busy_retries,
        release: Summary::of(released.micros),
        server_cpu_ms_per_inject: server_cpu_ms.map(|ms| ms / opts.injects.max(1) as f64),
        loadgen_cpu_ms_per_inject: own_cpu_ms.map(|ms| ms / opts.injects.max(1) as f64),
        machine_steal_percent,
        expected_deliveries: expected,
        server_rss_before_kib: rss_before,
        server_rss_connected_kib: rss_connected,
        server_rss_per_connection_bytes: match (rss_before, rss_connected) {
            (Some(b), Some(a)) if connected > 0 => {
                Some(a.saturating_sub(b) * 1024 / connected as u64)
            }
            _ => None,
        },
        ..Report::default()
    };
    let mut latencies = Vec::with_capacity(expected);
    let mut connects = Vec::with_capacity(connected);
    // Keyed by the release event's `seq`: one per inject.
    let mut last_per_inject: HashMap<i64, i64> = HashMap::new();
    for task in tasks {
        let Some(log) = task.await.context("a socket task panicked")? else {
            continue;
        };
        connects.push(log.connect_micros);
        report.duplicated += log.duplicated;
        report.reordered += log.reordered;
        report.resyncs += usize::from(log.resync);
        report.closed_early += usize::from(log.closed_early);
        report.lost += opts.injects.saturating_sub(log.injects.len());
        report.deliveries += log.injects.len();
        for (seq, micros) in log.injects {
            latencies.push(micros);
            let e = last_per_inject.entry(seq).or_insert(micros);
            *e = (*e).max(micros);
        }
    }
    report.latency = Summary::of(latencies);
    report.connect = Summary::of(connects);
    report.fanout = Summary::of(last_per_inject.into_values().collect());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::hub::event_frame;
    use crate::store::drill_log::Event;

    fn frame(kind: &str, data: Value) -> String {
        event_frame(&Event {
            seq: 4217,
            at: "2026-11-21T08:00:00Z".parse().unwrap(),
            kind: kind.to_owned(),
            actor_id: None,
            audience: "all".to_owned(),
            data,
        })
        .unwrap()
    }

    #[test]
    fn scan_reads_the_release_time_of_an_inject_released_event() {
        let text = frame(
            "inject_released",
            json!({
                "inject_id": "0193a1c2-0000-7000-8000-000000000001",
                "title": {"vi": "\"seq\":1 \"released_at\":\"1999-01-01T00:00:00Z\"", "en": "x"},
                "body": {"vi": "x".repeat(512), "en": "y".repeat(512)},
                "released_at": "2026-11-21T08:00:01.250Z",
            }),
        );
        assert_eq!(
            scan_frame(&text),
            Received::Event {
                seq: 4217,
                released_at: Some("2026-11-21T08:00:01.250Z".parse().unwrap()),
            }
        );
    }

    #[test]
    fn scan_tells_other_events_resync_and_other_frames_apart() {
        assert_eq!(
            scan_frame(&frame(
                "ack_recorded",
                json!({"released_at": "2026-11-21T08:00:00Z"})
            )),
            Received::Event {
                seq: 4217,
                released_at: None
            }
        );
        assert_eq!(
            scan_frame(r#"{"v":1,"type":"resync","since":12}"#),
            Received::Resync
        );
        assert_eq!(scan_frame(r#"{"v":1,"type":"pong"}"#), Received::Other);
        assert_eq!(scan_frame("not json"), Received::Other);
    }
}
