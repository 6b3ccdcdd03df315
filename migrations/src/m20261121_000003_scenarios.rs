//! The scenario library in the database: one `scenarios` row per scenario (the
//! shipped files of `scenarios/` and those users create), every saved version's
//! canonical file in `scenario_versions`, and `scenario_uploads`, where a
//! spreadsheet waits between the column-mapping step and the import.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Scenarios::Table)
                    .col(pk_uuid(Scenarios::Id))
                    .col(string_len(Scenarios::Slug, 64))
                    // NULL for the shipped library, which every organisation sees.
                    .col(uuid_null(Scenarios::OrgId))
                    .col(string_len(Scenarios::Origin, 16))
                    .col(integer(Scenarios::CurrentVersion))
                    .col(timestamp_with_time_zone(Scenarios::CreatedAt))
                    .col(timestamp_with_time_zone(Scenarios::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scenarios_org")
                            .from(Scenarios::Table, Scenarios::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_scenarios_org_slug")
                    .table(Scenarios::Table)
                    .col(Scenarios::OrgId)
                    .col(Scenarios::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // NULLs are distinct in a unique index, so the index above does not cover the
        // shipped library (org NULL). The store checks shipped slugs itself; this
        // partial index (SQLite and PostgreSQL both have them) is the backstop when
        // two servers sync the same folder at the same moment.
        manager
            .create_index(
                Index::create()
                    .name("uq_scenarios_shipped_slug")
                    .table(Scenarios::Table)
                    .col(Scenarios::Slug)
                    .unique()
                    .and_where(Expr::col(Scenarios::OrgId).is_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ScenarioVersions::Table)
                    .col(pk_uuid(ScenarioVersions::Id))
                    .col(uuid(ScenarioVersions::ScenarioId))
                    .col(integer(ScenarioVersions::Version))
                    // The canonical file (`to_toml`): what a drill of this version runs.
                    .col(text(ScenarioVersions::SourceToml))
                    .col(string_len(ScenarioVersions::ContentSha256, 64))
                    .col(text(ScenarioVersions::TitleVi))
                    .col(text(ScenarioVersions::TitleEn))
                    .col(string_len(ScenarioVersions::Category, 32))
                    .col(small_integer(ScenarioVersions::MinLevel))
                    .col(integer(ScenarioVersions::DurationS))
                    .col(integer(ScenarioVersions::InjectCount))
                    .col(uuid_null(ScenarioVersions::CreatedBy))
                    .col(timestamp_with_time_zone(ScenarioVersions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scenario_versions_scenario")
                            .from(ScenarioVersions::Table, ScenarioVersions::ScenarioId)
                            .to(Scenarios::Table, Scenarios::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scenario_versions_user")
                            .from(ScenarioVersions::Table, ScenarioVersions::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_scenario_versions_scenario_version")
                    .table(ScenarioVersions::Table)
                    .col(ScenarioVersions::ScenarioId)
                    .col(ScenarioVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ScenarioUploads::Table)
                    .col(pk_uuid(ScenarioUploads::Id))
                    .col(uuid(ScenarioUploads::UserId))
                    .col(string_len(ScenarioUploads::FileName, 255))
                    .col(blob(ScenarioUploads::Content))
                    .col(timestamp_with_time_zone(ScenarioUploads::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_scenario_uploads_user")
                            .from(ScenarioUploads::Table, ScenarioUploads::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ScenarioUploads::Table.into_iden(),
            ScenarioVersions::Table.into_iden(),
            Scenarios::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Scenarios {
    Table,
    Id,
    Slug,
    OrgId,
    Origin,
    CurrentVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScenarioVersions {
    Table,
    Id,
    ScenarioId,
    Version,
    SourceToml,
    ContentSha256,
    TitleVi,
    TitleEn,
    Category,
    MinLevel,
    DurationS,
    InjectCount,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScenarioUploads {
    Table,
    Id,
    UserId,
    FileName,
    Content,
    CreatedAt,
}
