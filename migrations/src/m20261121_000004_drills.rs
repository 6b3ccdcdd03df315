//! Drills: the drill itself (status, the anchored clock, the head of its event log),
//! its target systems and teams, the injects snapshotted from the scenario version it
//! runs, and the append-only, hash-chained event log.
//!
//! A drill does not reference the scenario tables by foreign key: it copies what it
//! runs (scenario id, version, slug and every inject), so that later edits of the
//! scenario never change a drill that was planned or played.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The "previous hash" of a drill's first event (64 zeros).
const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Drills::Table)
                    .col(pk_uuid(Drills::Id))
                    .col(uuid(Drills::OrgId))
                    .col(uuid(Drills::ScenarioId))
                    .col(integer(Drills::ScenarioVersion))
                    .col(string_len(Drills::ScenarioSlug, 64))
                    .col(string_len(Drills::Title, 200))
                    .col(string_len(Drills::Kind, 16))
                    .col(string_len(Drills::Status, 16))
                    .col(double(Drills::Speed))
                    .col(timestamp_with_time_zone_null(Drills::AnchorAt))
                    .col(big_integer(Drills::AnchorElapsedMs).default(0))
                    .col(timestamp_with_time_zone_null(Drills::PausedSince))
                    .col(timestamp_with_time_zone_null(Drills::StartedAt))
                    .col(timestamp_with_time_zone_null(Drills::EndedAt))
                    .col(uuid_null(Drills::CreatedBy))
                    .col(timestamp_with_time_zone(Drills::CreatedAt))
                    .col(big_integer(Drills::HeadSeq).default(0))
                    .col(string_len(Drills::HeadHash, 64).default(GENESIS_HASH))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drills_org")
                            .from(Drills::Table, Drills::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drills_created_by")
                            .from(Drills::Table, Drills::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The scheduler looks for running drills on every tick.
        manager
            .create_index(
                Index::create()
                    .name("idx_drills_status")
                    .table(Drills::Table)
                    .col(Drills::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DrillSystems::Table)
                    .col(uuid(DrillSystems::DrillId))
                    .col(uuid(DrillSystems::SystemId))
                    .primary_key(
                        Index::create()
                            .col(DrillSystems::DrillId)
                            .col(DrillSystems::SystemId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_systems_drill")
                            .from(DrillSystems::Table, DrillSystems::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_systems_system")
                            .from(DrillSystems::Table, DrillSystems::SystemId)
                            .to(Systems::Table, Systems::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DrillTeams::Table)
                    .col(uuid(DrillTeams::DrillId))
                    .col(uuid(DrillTeams::TeamId))
                    .col(string_len(DrillTeams::Side, 8))
                    .primary_key(
                        Index::create()
                            .col(DrillTeams::DrillId)
                            .col(DrillTeams::TeamId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_teams_drill")
                            .from(DrillTeams::Table, DrillTeams::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_teams_team")
                            .from(DrillTeams::Table, DrillTeams::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DrillInjects::Table)
                    .col(pk_uuid(DrillInjects::Id))
                    .col(uuid(DrillInjects::DrillId))
                    .col(string_len(DrillInjects::Key, 64))
                    .col(big_integer_null(DrillInjects::OffsetMs))
                    .col(string_len(DrillInjects::Audience, 80))
                    .col(string_len(DrillInjects::Channel, 32))
                    .col(text(DrillInjects::TitleVi))
                    .col(text(DrillInjects::TitleEn))
                    .col(text(DrillInjects::BodyVi))
                    .col(text(DrillInjects::BodyEn))
                    .col(json(DrillInjects::Expectations))
                    .col(boolean(DrillInjects::AdHoc).default(false))
                    .col(string_len(DrillInjects::State, 16))
                    .col(timestamp_with_time_zone_null(DrillInjects::DueAt))
                    .col(timestamp_with_time_zone_null(DrillInjects::ReleasedAt))
                    .col(big_integer_null(DrillInjects::LateByMs))
                    .col(uuid_null(DrillInjects::ReleasedBy))
                    .col(timestamp_with_time_zone(DrillInjects::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_injects_drill")
                            .from(DrillInjects::Table, DrillInjects::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_drill_injects_drill_key")
                    .table(DrillInjects::Table)
                    .col(DrillInjects::DrillId)
                    .col(DrillInjects::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Append-only: (drill_id, seq) is the key, so two writers can never both
        // append the same seq, and the application never updates or deletes rows.
        manager
            .create_table(
                Table::create()
                    .table(DrillEvents::Table)
                    .col(uuid(DrillEvents::DrillId))
                    .col(big_integer(DrillEvents::Seq))
                    .col(timestamp_with_time_zone(DrillEvents::At))
                    .col(string_len(DrillEvents::Kind, 64))
                    .col(uuid_null(DrillEvents::ActorId))
                    .col(string_len(DrillEvents::Audience, 80))
                    .col(text(DrillEvents::Data))
                    .col(string_len(DrillEvents::PrevHash, 64))
                    .col(string_len(DrillEvents::Hash, 64))
                    .primary_key(
                        Index::create()
                            .col(DrillEvents::DrillId)
                            .col(DrillEvents::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_events_drill")
                            .from(DrillEvents::Table, DrillEvents::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DrillEvents::Table.into_iden(),
            DrillInjects::Table.into_iden(),
            DrillTeams::Table.into_iden(),
            DrillSystems::Table.into_iden(),
            Drills::Table.into_iden(),
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
enum Systems {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Drills {
    Table,
    Id,
    OrgId,
    ScenarioId,
    ScenarioVersion,
    ScenarioSlug,
    Title,
    Kind,
    Status,
    Speed,
    AnchorAt,
    AnchorElapsedMs,
    PausedSince,
    StartedAt,
    EndedAt,
    CreatedBy,
    CreatedAt,
    HeadSeq,
    HeadHash,
}

#[derive(DeriveIden)]
enum DrillSystems {
    Table,
    DrillId,
    SystemId,
}

#[derive(DeriveIden)]
enum DrillTeams {
    Table,
    DrillId,
    TeamId,
    Side,
}

#[derive(DeriveIden)]
enum DrillInjects {
    Table,
    Id,
    DrillId,
    Key,
    OffsetMs,
    Audience,
    Channel,
    TitleVi,
    TitleEn,
    BodyVi,
    BodyEn,
    Expectations,
    AdHoc,
    State,
    DueAt,
    ReleasedAt,
    LateByMs,
    ReleasedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DrillEvents {
    Table,
    DrillId,
    Seq,
    At,
    Kind,
    ActorId,
    Audience,
    Data,
    PrevHash,
    Hash,
}
