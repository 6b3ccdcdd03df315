//! Files attached to a team's capability self-assessment (decisions, certificates,
//! procedures): one row per file and parameter, the bytes stored by SHA-256 beside the
//! drill evidence. Keyed by team, year and parameter rather than by the assessment row,
//! so that a file may be attached before the levels are first saved.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AssessmentEvidence::Table)
                    .col(pk_uuid(AssessmentEvidence::Id))
                    .col(uuid(AssessmentEvidence::TeamId))
                    .col(integer(AssessmentEvidence::Year))
                    .col(string_len(AssessmentEvidence::Parameter, 32))
                    .col(string_len(AssessmentEvidence::Sha256, 64))
                    .col(big_integer(AssessmentEvidence::Size))
                    .col(string_len(AssessmentEvidence::ContentType, 100))
                    .col(string_len(AssessmentEvidence::Filename, 255))
                    .col(uuid(AssessmentEvidence::UploadedBy))
                    .col(timestamp_with_time_zone(AssessmentEvidence::UploadedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assessment_evidence_team")
                            .from(AssessmentEvidence::Table, AssessmentEvidence::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_assessment_evidence_team_year")
                    .table(AssessmentEvidence::Table)
                    .col(AssessmentEvidence::TeamId)
                    .col(AssessmentEvidence::Year)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AssessmentEvidence::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AssessmentEvidence {
    Table,
    Id,
    TeamId,
    Year,
    Parameter,
    Sha256,
    Size,
    ContentType,
    Filename,
    UploadedBy,
    UploadedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}
