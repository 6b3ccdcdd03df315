//! The shipped scenario library (`scenarios/*.toml`) synced into the database:
//! a new file becomes version 1, a changed file a new version, an unchanged file
//! nothing. A file with problems is logged (`FILE:LINE:COL: message`) and skipped,
//! so one bad edit never keeps the server from starting or hides the other files.
//!
//! In development builds the folder is synced again every few seconds, so an
//! author sees an edit in the browser without restarting the server.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::scenario::{LibraryError, load_each};
use crate::store::StoreError;
use crate::store::scenarios::{self, Owner};

/// What one sync did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Files skipped for problems.
    pub skipped: usize,
}

/// Loads the folder and stores what changed. A missing folder is a warning (a
/// server may run without the shipped library); a database failure is an error.
pub async fn sync(db: &DatabaseConnection, dir: &Path) -> Result<SyncReport, StoreError> {
    let load = match load_each(dir) {
        Ok(load) => load,
        Err(LibraryError::Io { path, source }) => {
            tracing::warn!(dir = %path.display(), error = %source, "scenario library not readable; no shipped scenarios synced");
            return Ok(SyncReport::default());
        }
        Err(e @ LibraryError::Invalid { .. }) => {
            // load_each reports problems in its result, never as this error.
            tracing::warn!(error = %e, "scenario library not loaded");
            return Ok(SyncReport::default());
        }
    };
    let mut report = SyncReport::default();
    let mut bad_files = std::collections::BTreeSet::new();
    for problem in &load.problems {
        tracing::warn!(problem = %problem, "scenario file skipped");
        bad_files.insert(problem.split(':').next().unwrap_or_default().to_owned());
    }
    report.skipped = bad_files.len();
    for scenario in &load.scenarios {
        // Several servers on one PostgreSQL database sync the same folder at start-up;
        // the one that loses a race on a slug or version number sees a conflict, and
        // a second try finds what the winner stored.
        let saved = match scenarios::save(db, Owner::Shipped, scenario, None).await {
            Err(StoreError::Conflict { .. }) => {
                scenarios::save(db, Owner::Shipped, scenario, None).await?
            }
            other => other?,
        };
        match (saved.new_scenario, saved.new_version) {
            (true, _) => report.added += 1,
            (false, true) => {
                tracing::info!(scenario = %scenario.id, version = saved.loaded.version.version, "shipped scenario changed");
                report.updated += 1;
            }
            (false, false) => report.unchanged += 1,
        }
    }
    Ok(report)
}

/// A fingerprint of the folder's `*.toml` files (names and contents), so the
/// periodic sync touches the database only after an edit.
fn fingerprint(dir: &Path) -> Option<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut hash = Sha256::new();
    for path in paths {
        hash.update(path.to_string_lossy().as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(&path).unwrap_or_default());
        hash.update([0]);
    }
    Some(hash.finalize().to_vec())
}

/// Reading files is blocking I/O; keep it off the async workers.
async fn fingerprint_off_thread(dir: &Path) -> Option<Vec<u8>> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || fingerprint(&dir))
        .await
        .ok()
        .flatten()
}

/// Syncs again whenever the folder changes, checking every `every`, until
/// `shutdown` is cancelled. Failures are logged and retried at the next check.
pub async fn watch(
    db: DatabaseConnection,
    dir: PathBuf,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut last = fingerprint_off_thread(&dir).await;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // the first tick is immediate; boot already synced
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = fingerprint_off_thread(&dir).await;
        if now.is_none() || now == last {
            continue;
        }
        match sync(&db, &dir).await {
            Ok(report) => {
                tracing::info!(?report, "scenario library re-synced");
                last = now;
            }
            Err(e) => tracing::warn!(error = %e, "scenario library re-sync failed"),
        }
    }
}
