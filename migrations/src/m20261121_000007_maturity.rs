//! Maturity scoring: the framework versions loaded (the file text itself, so that an
//! old year can be recomputed with exactly the framework it was scored with), the
//! yearly capability assessments of each team, the frozen scorecard of each blue team
//! in each ended drill, and the recorded annual results (which framework a team-year
//! was scored with, and the numbers).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MaturityFrameworks::Table)
                    .col(pk_uuid(MaturityFrameworks::Id))
                    .col(string_len(MaturityFrameworks::FrameworkId, 64))
                    .col(integer(MaturityFrameworks::Version))
                    .col(string_len(MaturityFrameworks::Status, 16))
                    .col(text(MaturityFrameworks::NameVi))
                    .col(text(MaturityFrameworks::NameEn))
                    .col(text(MaturityFrameworks::Source))
                    .col(string_len(MaturityFrameworks::Sha256, 64))
                    .col(boolean(MaturityFrameworks::Active).default(false))
                    .col(uuid_null(MaturityFrameworks::LoadedBy))
                    .col(timestamp_with_time_zone(MaturityFrameworks::LoadedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_maturity_frameworks_id_version")
                    .table(MaturityFrameworks::Table)
                    .col(MaturityFrameworks::FrameworkId)
                    .col(MaturityFrameworks::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CapabilityAssessments::Table)
                    .col(pk_uuid(CapabilityAssessments::Id))
                    .col(uuid(CapabilityAssessments::TeamId))
                    .col(integer(CapabilityAssessments::Year))
                    .col(string_len(CapabilityAssessments::Method, 16))
                    .col(string_len(CapabilityAssessments::Assessor, 200))
                    .col(date_null(CapabilityAssessments::AssessedOn))
                    .col(string_len(CapabilityAssessments::FrameworkId, 64))
                    .col(integer(CapabilityAssessments::FrameworkVersion))
                    .col(json(CapabilityAssessments::Parameters))
                    .col(text(CapabilityAssessments::Notes))
                    .col(uuid_null(CapabilityAssessments::UpdatedBy))
                    .col(timestamp_with_time_zone(CapabilityAssessments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_capability_assessments_team")
                            .from(CapabilityAssessments::Table, CapabilityAssessments::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_capability_assessments_team_year")
                    .table(CapabilityAssessments::Table)
                    .col(CapabilityAssessments::TeamId)
                    .col(CapabilityAssessments::Year)
                    .unique()
                    .to_owned(),
            )
            .await?;

        // Written once, when the drill ends; never updated.
        manager
            .create_table(
                Table::create()
                    .table(DrillScorecards::Table)
                    .col(uuid(DrillScorecards::DrillId))
                    .col(uuid(DrillScorecards::TeamId))
                    .col(big_integer(DrillScorecards::HeadSeq))
                    .col(string_len(DrillScorecards::HeadHash, 64))
                    .col(string_len(DrillScorecards::FrameworkId, 64))
                    .col(integer(DrillScorecards::FrameworkVersion))
                    .col(json(DrillScorecards::Measures))
                    .col(json(DrillScorecards::Kpis))
                    .col(double(DrillScorecards::Score))
                    .col(timestamp_with_time_zone(DrillScorecards::FrozenAt))
                    .primary_key(
                        Index::create()
                            .col(DrillScorecards::DrillId)
                            .col(DrillScorecards::TeamId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_scorecards_drill")
                            .from(DrillScorecards::Table, DrillScorecards::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_scorecards_team")
                            .from(DrillScorecards::Table, DrillScorecards::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MaturityResults::Table)
                    .col(uuid(MaturityResults::TeamId))
                    .col(integer(MaturityResults::Year))
                    .col(string_len(MaturityResults::FrameworkId, 64))
                    .col(integer(MaturityResults::FrameworkVersion))
                    .col(small_integer(MaturityResults::Level))
                    .col(double(MaturityResults::Score))
                    .col(json(MaturityResults::Result))
                    .col(timestamp_with_time_zone(MaturityResults::ComputedAt))
                    .primary_key(
                        Index::create()
                            .col(MaturityResults::TeamId)
                            .col(MaturityResults::Year),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_maturity_results_team")
                            .from(MaturityResults::Table, MaturityResults::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MaturityResults::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DrillScorecards::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CapabilityAssessments::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MaturityFrameworks::Table).to_owned())
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MaturityFrameworks {
    Table,
    Id,
    FrameworkId,
    Version,
    Status,
    NameVi,
    NameEn,
    Source,
    Sha256,
    Active,
    LoadedBy,
    LoadedAt,
}

#[derive(DeriveIden)]
enum CapabilityAssessments {
    Table,
    Id,
    TeamId,
    Year,
    Method,
    Assessor,
    AssessedOn,
    FrameworkId,
    FrameworkVersion,
    Parameters,
    Notes,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DrillScorecards {
    Table,
    DrillId,
    TeamId,
    HeadSeq,
    HeadHash,
    FrameworkId,
    FrameworkVersion,
    Measures,
    Kpis,
    Score,
    FrozenAt,
}

#[derive(DeriveIden)]
enum MaturityResults {
    Table,
    TeamId,
    Year,
    FrameworkId,
    FrameworkVersion,
    Level,
    Score,
    Result,
    ComputedAt,
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
}
