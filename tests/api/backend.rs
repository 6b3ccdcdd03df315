//! Which database the suite runs on. `.ci/run` runs the whole suite twice: on SQLite,
//! and on PostgreSQL with `CYBERDRILL_TEST_POSTGRES` set.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::{POSTGRES_ENV, TestApp};

#[tokio::test]
async fn the_suite_runs_on_postgresql_when_asked_and_says_so_when_skipped() {
    let app = TestApp::spawn().await;
    let asked = std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty());
    if !asked {
        eprintln!(
            "PostgreSQL tests skipped: set {POSTGRES_ENV}=postgres://USER@HOST:PORT/DB to run the suite on PostgreSQL"
        );
        assert_eq!(app.backend, "sqlite");
        return;
    }
    assert_eq!(app.backend, "postgres");
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT version() AS v",
        ))
        .await
        .unwrap()
        .unwrap();
    let version: String = row.try_get("", "v").unwrap();
    assert!(version.starts_with("PostgreSQL"), "{version}");
}

#[tokio::test]
async fn migrations_leave_the_schema_usable_and_are_idempotent() {
    let app = TestApp::spawn().await;
    // Applying the migrations again (as `cyberdrill migrate` on a current database) is a no-op.
    use migrations::MigratorTrait;
    migrations::Migrator::up(&app.db, None).await.unwrap();
    let pending = migrations::Migrator::get_pending_migrations(&app.db)
        .await
        .unwrap();
    assert!(pending.is_empty());
}
