//! Several servers, one drill (PostgreSQL only): two real `cyberdrill serve` processes
//! on one database. The process that holds the drill's lease (A) releases the injects;
//! a client on the other (B) receives every one of them, in `seq` order and once,
//! through LISTEN/NOTIFY (the publishers' poll is set to a minute, so nothing else
//! could deliver them in time), also across a reconnection of the listeners. Then A is
//! killed with SIGKILL while injects are pending: B takes the lease over within 10 s
//! and releases the rest exactly once, and its client carries on.
//!
//! The servers are separate processes, so the test polls them with short sleeps and
//! deadlines; every socket read has a timeout.

use std::time::{Duration, Instant};

use cyberdrill::store::leases;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use uuid::Uuid;

use crate::crash::{CrashDb, Server, released, seed_with, timeline};
use crate::helpers::POSTGRES_ENV;

/// 40 injects a drill minute apart; at 200× speed one falls due every 300 ms.
const INJECTS: u32 = 40;
const SPEED: f64 = 200.0;
/// Publishers poll the log once a minute: live events must come through NOTIFY.
const SLOW_POLL: [(&str, &str); 1] = [("CYBERDRILL_LIVE_POLL_MS", "60000")];

/// The pid in a lease holder id (`hostname:pid:uuid`).
fn holder_pid(holder: &str) -> u32 {
    holder
        .rsplit(':')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("not a holder id: {holder}"))
}

async fn lease_pid(db: &sea_orm::DatabaseConnection, drill: Uuid) -> Option<u32> {
    leases::holder(db, drill)
        .await
        .expect("read the lease")
        .map(|(h, _)| holder_pid(&h))
}

/// Backend pids of the servers' listening connections.
async fn listener_pids(db: &sea_orm::DatabaseConnection) -> Vec<i32> {
    db.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        format!(
            "SELECT pid FROM pg_stat_activity WHERE application_name = '{}' AND datname = current_database() ORDER BY pid",
            cyberdrill::drill::listener::APPLICATION_NAME
        ),
    ))
    .await
    .expect("read pg_stat_activity")
    .iter()
    .map(|r| r.try_get::<i32>("", "pid").expect("pid"))
    .collect()
}

/// Opens the live socket on `server` and forwards every JSON frame to a channel.
async fn listen(server: &Server, token: &str, drill: &str) -> mpsc::UnboundedReceiver<Value> {
    let url = format!(
        "{}/api/v1/drills/{drill}/live",
        server.base.replacen("http://", "ws://", 1)
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(req),
    )
    .await
    .expect("handshake in time")
    .expect("handshake");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let (_sink, mut stream) = ws.split();
        while let Some(Ok(msg)) = stream.next().await {
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(t.as_str()).expect("a JSON frame");
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    rx
}

/// Frames until `n` `inject_released` events with `seq > after` have arrived (at most
/// `wait`).
async fn collect_releases(
    rx: &mut mpsc::UnboundedReceiver<Value>,
    frames: &mut Vec<Value>,
    n: usize,
    after: i64,
    wait: Duration,
) {
    let deadline = tokio::time::Instant::now() + wait;
    let count = |f: &[Value]| {
        f.iter()
            .filter(|v| {
                v["type"] == "event"
                    && v["kind"] == "inject_released"
                    && v["seq"].as_i64().is_some_and(|s| s > after)
            })
            .count()
    };
    while count(frames) < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(v)) => frames.push(v),
            Ok(None) => panic!("the socket ended after {} releases", count(frames)),
            Err(_) => panic!(
                "only {} of {n} releases arrived within {wait:?}",
                count(frames)
            ),
        }
    }
}

#[tokio::test]
async fn two_servers_share_a_drill_and_the_survivor_carries_it_on_after_a_kill() {
    if !std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        eprintln!(
            "cluster test skipped: several servers need PostgreSQL; set {POSTGRES_ENV}=postgres://USER@HOST:PORT/DB"
        );
        return;
    }
    let started = Instant::now();
    let db = CrashDb::new().await;
    let (token, scenario) = seed_with(&db, "cluster-drill", INJECTS).await;
    let conn = Database::connect(&db.url).await.expect("connect");
    let a = Server::start_with(&db, &SLOW_POLL).await;
    let system = a
        .post(
            &token,
            "/api/v1/systems",
            json!({"name": "Cổng dịch vụ công", "system_type": "citizen_business", "level": 3}),
        )
        .await["id"]
        .clone();
    let team = a
        .post(
            &token,
            "/api/v1/teams",
            json!({"name": "Đội ứng cứu", "side": "blue"}),
        )
        .await["id"]
        .clone();
    let drill = a
        .post(
            &token,
            "/api/v1/drills",
            json!({"scenario_id": scenario, "title": "Cụm máy chủ", "kind": "functional", "system_ids": [system], "teams": [{"team_id": team, "side": "blue"}], "speed": SPEED}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let drill_id: Uuid = drill.parse().unwrap();

    // A starts the drill and takes its lease; then B joins, with a client on it.
    a.post(&token, &format!("/api/v1/drills/{drill}/start"), json!({}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while lease_pid(&conn, drill_id).await != Some(a.pid()) {
        assert!(Instant::now() < deadline, "A did not take the lease");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let b = Server::start_with(&db, &SLOW_POLL).await;
    let mut rx = listen(&b, &token, &drill).await;
    let mut frames = Vec::new();
    let hello = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("hello in time")
        .expect("hello");
    assert_eq!(hello["type"], "hello", "{hello}");
    let head_at_hello = hello["head_seq"].as_i64().unwrap();

    // The listeners lose their connections mid-drill; they reconnect and catch up.
    // Live releases (after the replay) can only come through NOTIFY: the poll is slow.
    collect_releases(
        &mut rx,
        &mut frames,
        4,
        head_at_hello,
        Duration::from_secs(10),
    )
    .await;
    let before = listener_pids(&conn).await;
    assert_eq!(before.len(), 2, "one listener per process: {before:?}");
    conn.execute_unprepared(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{}' AND datname = current_database()",
        cyberdrill::drill::listener::APPLICATION_NAME
    ))
    .await
    .expect("terminate the listeners");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = listener_pids(&conn).await;
        if now.len() == 2 && now.iter().all(|p| !before.contains(p)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the listeners did not reconnect: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A releases, B only forwards: the lease stays with A while it lives.
    collect_releases(
        &mut rx,
        &mut frames,
        8,
        head_at_hello,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(lease_pid(&conn, drill_id).await, Some(a.pid()));
    let a_pid = a.pid();
    a.kill();
    let killed = Instant::now();
    let at_kill = released(&timeline(&b, &token, &drill).await);
    assert!(
        at_kill < INJECTS as usize,
        "A released everything before it was killed"
    );

    // B takes over within 10 s and releases the rest.
    loop {
        let now = released(&timeline(&b, &token, &drill).await);
        if now > at_kill {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "B did not take over within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took_over = killed.elapsed();
    assert_eq!(lease_pid(&conn, drill_id).await, Some(b.pid()));
    assert_ne!(b.pid(), a_pid);
    collect_releases(
        &mut rx,
        &mut frames,
        INJECTS as usize,
        0,
        Duration::from_secs(15),
    )
    .await;

    // The client on B: every event once, in seq order, each inject once.
    let events: Vec<&Value> = frames.iter().filter(|v| v["type"] == "event").collect();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "in seq order, no gap, no duplicate"
    );
    let mut keys: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "inject_released")
        .map(|e| e["data"]["key"].as_str().unwrap())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), INJECTS as usize, "each inject once");

    // The log: one release per key, contiguous, verified.
    let log = b
        .get(&token, &format!("/api/v1/drills/{drill}/events?since=0"))
        .await;
    let items = log["items"].as_array().unwrap();
    let log_seqs: Vec<i64> = items.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(log_seqs, (1..=items.len() as i64).collect::<Vec<_>>());
    assert_eq!(log_seqs, seqs, "the client saw the whole log");
    let mut log_keys: Vec<&str> = items
        .iter()
        .filter(|e| e["kind"] == "inject_released")
        .map(|e| e["data"]["key"].as_str().unwrap())
        .collect();
    assert_eq!(log_keys.len(), INJECTS as usize);
    log_keys.sort();
    log_keys.dedup();
    assert_eq!(log_keys.len(), INJECTS as usize, "no key released twice");
    let verified = b
        .get(&token, &format!("/api/v1/drills/{drill}/verify"))
        .await;
    assert_eq!(verified["ok"], true, "{verified}");
    eprintln!(
        "cluster: B took over {took_over:?} after the kill; {} events; {:?} in all",
        items.len(),
        started.elapsed()
    );
    b.kill();
    conn.close().await.ok();
    db.drop_database().await;
}
