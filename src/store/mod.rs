//! The only code that talks to the database: small functions over
//! `&impl ConnectionTrait`, returning entity models or read models. Organisation
//! scoping is applied here, in the query, so that a handler cannot forget it.

pub mod after_action;
pub mod drill_log;
pub mod drills;
pub mod leases;
pub mod orgs;
pub mod playbooks;
pub mod records;
pub mod scenarios;
pub mod systems;
pub mod teams;
pub mod users;

use sea_orm::{DbErr, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};
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
pub(crate) async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
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
