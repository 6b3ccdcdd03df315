//! The scale of a drill (internal, sector or province, national, international):
//! the maturity model asks for a national or international drill at level 5. Drills
//! planned before this migration were the organisers' own: `internal`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Drills::Table)
                    .add_column(string_len(Drills::Scale, 16).default("internal"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Drills::Table)
                    .drop_column(Drills::Scale)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Drills {
    Table,
    Scale,
}
