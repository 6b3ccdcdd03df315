//! The only code that talks to the database: small functions over
//! `&impl ConnectionTrait`, returning entity models or read models. Organisation
//! scoping is applied here, in the query, so that a handler cannot forget it.

pub mod after_action;
pub mod drill_log;
pub mod drills;
pub mod leases;
pub mod maturity;
pub mod orgs;
pub mod playbooks;
pub mod records;
pub mod scenarios;
pub mod systems;
pub mod teams;
pub mod users;

use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, SqlErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};
use uuid::Uuid;

/// Which organisations a caller may see: all (administrators) or a set (their own
/// organisation and its descendants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Orgs(Vec<Uuid>),
}

impl Scope {
    pub fn allows(&self, org_id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Orgs(ids) => ids.contains(&org_id),
        }
    }
}

/// What can go wrong in the store besides the database itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `field` names the input field at fault.
    #[error("{field}: {message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// A reference in the input (another organisation, user…) is not acceptable.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The database stayed busy (writers queued) for too long; the caller may retry.
    #[error("the database is busy; retry shortly")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl StoreError {
    /// Turns a unique-constraint violation into a conflict on `field`; other errors pass.
    pub fn unique_as(err: DbErr, field: &'static str, message: &str) -> StoreError {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Conflict {
                field,
                message: message.to_owned(),
            },
            _ => StoreError::Db(err),
        }
    }
}

/// Begins a transaction that will write after reading. On SQLite it takes the write
/// lock at `BEGIN` (`IMMEDIATE`): a deferred transaction that reads and then writes
/// fails at once with "database is locked" when another writer got there first,
/// instead of waiting for it. PostgreSQL ignores the mode.
///
/// On SQLite the caller first queues at an in-process gate ([`WriteGate`]); keep the
/// returned gate alive until the transaction has committed or rolled back:
/// `let (_gate, txn) = begin_write(db).await?;` (the transaction, declared last, is
/// dropped first).
pub(crate) async fn begin_write<C>(db: &C) -> Result<(WriteGate, C::Transaction), StoreError>
where
    C: TransactionTrait + ConnectionTrait,
{
    let gate = WriteGate::enter(db.get_database_backend(), WRITE_QUEUE_TIMEOUT).await?;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok((gate, txn))
}

/// SQLite admits one writer at a time. Writers that find the lock taken wait in
/// SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and serves
/// nobody in order: under load (10 000 live sockets on two cores, releases every
/// 100 ms) a writer could starve until the busy timeout and fail with "database is
/// locked". Queueing writers in the process at a fair (first come, first served)
/// async mutex before `BEGIN IMMEDIATE` wakes the next writer the moment the previous
/// one has finished, and a writer that still waits too long gets [`StoreError::Busy`]
/// (503, retry) instead of an error. SQLite is single-process (README), so one gate
/// per process covers every writer; PostgreSQL needs none and passes straight through.
pub(crate) struct WriteGate {
    _guard: Option<tokio::sync::MutexGuard<'static, ()>>,
}

static SQLITE_WRITERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a writer queues at the gate before the request is answered 503. Shorter
/// than SQLite's busy timeout, so that queueing here, not there, is what gives up.
pub const WRITE_QUEUE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl WriteGate {
    async fn enter(
        backend: DbBackend,
        patience: std::time::Duration,
    ) -> Result<WriteGate, StoreError> {
        if backend != DbBackend::Sqlite {
            return Ok(WriteGate { _guard: None });
        }
        match tokio::time::timeout(patience, SQLITE_WRITERS.lock()).await {
            Ok(guard) => Ok(WriteGate {
                _guard: Some(guard),
            }),
            Err(_) => Err(StoreError::Busy),
        }
    }
}

/// True for errors that mean "the database is momentarily too busy; retry": SQLite's
/// `SQLITE_BUSY`/`SQLITE_LOCKED`, PostgreSQL's lock timeouts, serialization failures
/// and deadlocks, and a connection pool with nothing free in time.
pub fn is_busy(err: &DbErr) -> bool {
    if matches!(err, DbErr::ConnectionAcquire(_)) {
        return true;
    }
    let text = err.to_string();
    [
        "database is locked",
        "database table is locked",
        "55P03", // lock_not_available
        "40001", // serialization_failure
        "40P01", // deadlock_detected
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// A page of a list: items after `after` (by id, which is a time-ordered UUIDv7).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub after: Option<Uuid>,
    pub limit: u64,
}

impl Page {
    pub const MAX_LIMIT: u64 = 500;

    pub fn first(limit: u64) -> Self {
        Page {
            after: None,
            limit: limit.clamp(1, Self::MAX_LIMIT),
        }
    }
}

/// Returns the page's items and the cursor of the next page, if there is one.
/// The query must have fetched `limit + 1` rows.
pub fn paginate<T>(
    mut rows: Vec<T>,
    limit: u64,
    id: impl Fn(&T) -> Uuid,
) -> (Vec<T>, Option<Uuid>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(id);
        (rows, next)
    } else {
        (rows, None)
    }
}

/// JSON helpers for the JSON columns that hold lists of codes or small structs.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Serialising our own plain data types cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Reads a JSON column back; a value the application did not write (hand-edited
/// database) is reported as a database error rather than a panic.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> Result<T, DbErr> {
    serde_json::from_value(value.clone()).map_err(|e| DbErr::Json(e.to_string()))
}

/// Parses a code column back into its enum.
pub(crate) fn from_code<T: std::str::FromStr<Err = String>>(code: &str) -> Result<T, DbErr> {
    code.parse()
        .map_err(|e: String| DbErr::Type(format!("{code}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectOptions, Database};

    /// Two connections to one SQLite file, the second without a busy timeout: its
    /// write while the first holds the write lock fails with SQLITE_BUSY.
    #[tokio::test]
    async fn a_locked_sqlite_database_is_recognised_as_busy() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/busy.db?mode=rwc", dir.path().display());
        let first = Database::connect(ConnectOptions::new(url.clone()))
            .await
            .unwrap();
        first
            .execute_unprepared("CREATE TABLE t (x INTEGER)")
            .await
            .unwrap();
        let mut second = ConnectOptions::new(url);
        second.map_sqlx_sqlite_opts(|o| o.busy_timeout(std::time::Duration::ZERO));
        let second = Database::connect(second).await.unwrap();
        let holding = first
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .unwrap();
        let err = second
            .execute_unprepared("INSERT INTO t VALUES (1)")
            .await
            .unwrap_err();
        assert!(is_busy(&err), "{err}");
        holding.rollback().await.unwrap();
        assert!(!is_busy(&DbErr::Custom("no such table: t".into())));
    }

    /// A writer that cannot get through the gate in time gets `Busy` (a 503), not a
    /// database error (a 500); PostgreSQL writers pass straight through.
    #[tokio::test]
    async fn a_writer_queued_too_long_at_the_gate_is_told_busy() {
        let patience = std::time::Duration::from_millis(50);
        let held = SQLITE_WRITERS.lock().await;
        let waited = WriteGate::enter(DbBackend::Sqlite, patience).await;
        assert!(matches!(waited, Err(StoreError::Busy)));
        assert!(
            WriteGate::enter(DbBackend::Postgres, patience)
                .await
                .is_ok()
        );
        drop(held);
        assert!(WriteGate::enter(DbBackend::Sqlite, patience).await.is_ok());
    }
}
