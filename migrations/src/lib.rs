//! Database migrations for cyberdrill.
//!
//! One migration per file, append-only. Migrations never import the application's
//! entities and never seed data: they describe the schema as it was on the day they
//! were written, so that an old database can always be brought forward. The same set
//! serves SQLite and PostgreSQL; only portable column types are used (UUIDs, text,
//! integers, booleans, JSON, dates and UTC timestamps).

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_orgs_and_users;
mod m20261121_000002_registry;
mod m20261121_000003_scenarios;
mod m20261121_000004_drills;
mod m20261121_000005_drill_leases;
mod m20261121_000006_drill_records;
mod m20261121_000007_maturity;
mod m20261121_000008_after_action;
mod m20261121_000009_assessment_evidence;
mod m20261205_000010_drill_scale;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_orgs_and_users::Migration),
            Box::new(m20261121_000002_registry::Migration),
            Box::new(m20261121_000003_scenarios::Migration),
            Box::new(m20261121_000004_drills::Migration),
            Box::new(m20261121_000005_drill_leases::Migration),
            Box::new(m20261121_000006_drill_records::Migration),
            Box::new(m20261121_000007_maturity::Migration),
            Box::new(m20261121_000008_after_action::Migration),
            Box::new(m20261121_000009_assessment_evidence::Migration),
            Box::new(m20261205_000010_drill_scale::Migration),
        ]
    }
}
