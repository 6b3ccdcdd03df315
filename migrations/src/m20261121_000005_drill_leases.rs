//! Drill leases: which server process runs a drill's scheduler. With several
//! `cyberdrill serve` processes on one PostgreSQL database, one process at a time holds
//! a drill's lease (`holder`) until `expires_at`; it renews the lease on every tick and
//! another process takes over once it has expired. On SQLite the single process
//! always holds it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DrillLeases::Table)
                    .col(pk_uuid(DrillLeases::DrillId))
                    .col(string_len(DrillLeases::Holder, 200))
                    .col(timestamp_with_time_zone(DrillLeases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DrillLeases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DrillLeases {
    Table,
    DrillId,
    Holder,
    ExpiresAt,
}
