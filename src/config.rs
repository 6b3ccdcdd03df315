//! Typed settings: defaults in code, overridden by the command line and environment.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Settings of a running server.
#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Mark cookies `Secure` (set when served over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    pub token_ttl: Duration,
    /// Largest JSON body accepted by the API.
    pub api_body_limit: usize,
    /// The shipped scenario library, synced at boot (relative to the working directory).
    pub scenario_dir: PathBuf,
    /// How often the library is synced again while running; development builds only
    /// by default, so an author sees an edit without a restart.
    pub scenario_resync: Option<Duration>,
    /// Events that may wait for one live socket (its client reads too slowly, or it is
    /// still replaying the log) before it is told to resync.
    pub live_lag_limit: usize,
    /// How often a live publisher reads the log for events written by other
    /// processes, besides being woken (by this process or LISTEN/NOTIFY).
    pub live_poll: Duration,
    /// Concurrent live sockets of one user (default 20; raised for load tests).
    pub live_max_sockets_per_user: usize,
    /// Run the live scoreboard (a `score_updated` event for controllers, at most every
    /// `drill::scores::DEBOUNCE`, while a drill's scorecard changes). Always on in the
    /// server; tests that count events exactly turn it off, those of the scoreboard
    /// keep it.
    pub live_scoreboard: bool,
    /// Evidence files, stored by their SHA-256 (`--evidence-dir`,
    /// `CYBERDRILL_EVIDENCE_DIR`).
    pub evidence_dir: PathBuf,
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/cyberdrill.db";
pub const DEFAULT_SCENARIO_DIR: &str = "scenarios";

impl Config {
    pub fn new(addr: SocketAddr, database_url: String) -> Self {
        Config {
            addr,
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            api_body_limit: 1024 * 1024,
            scenario_dir: PathBuf::from(DEFAULT_SCENARIO_DIR),
            scenario_resync: cfg!(debug_assertions).then_some(Duration::from_secs(2)),
            live_lag_limit: crate::drill::hub::DEFAULT_LAG_LIMIT,
            live_poll: crate::drill::hub::DEFAULT_POLL,
            live_max_sockets_per_user: crate::drill::hub::MAX_SOCKETS_PER_USER,
            live_scoreboard: true,
            evidence_dir: default_evidence_dir(&database_url),
            database_url,
        }
    }
}

/// `evidence` next to an SQLite database file; `./data/evidence` otherwise.
pub fn default_evidence_dir(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match file.map(std::path::Path::new).and_then(|p| p.parent()) {
        Some(parent) if !parent.as_os_str().is_empty() => parent.join("evidence"),
        _ => PathBuf::from("./data/evidence"),
    }
}

/// Hides the password of a database URL (`postgres://user:secret@host/db`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("secure_cookies", &self.secure_cookies)
            .field("session_ttl", &self.session_ttl)
            .field("token_ttl", &self.token_ttl)
            .field("scenario_dir", &self.scenario_dir)
            .field("scenario_resync", &self.scenario_resync)
            .field("live_lag_limit", &self.live_lag_limit)
            .field("live_poll", &self.live_poll)
            .field("live_max_sockets_per_user", &self.live_max_sockets_per_user)
            .field("live_scoreboard", &self.live_scoreboard)
            .field("evidence_dir", &self.evidence_dir)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/cd"),
            "postgres://app:***@db:5432/cd"
        );
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[test]
    fn evidence_is_kept_next_to_the_sqlite_database_by_default() {
        assert_eq!(
            default_evidence_dir("sqlite://./data/cyberdrill.db?mode=rwc"),
            PathBuf::from("./data/evidence")
        );
        assert_eq!(
            default_evidence_dir("sqlite:///srv/cd/db.sqlite"),
            PathBuf::from("/srv/cd/evidence")
        );
        assert_eq!(
            default_evidence_dir("postgres://db/cd"),
            PathBuf::from("./data/evidence")
        );
    }
}
