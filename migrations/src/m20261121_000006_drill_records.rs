//! What the people in a drill submit: detections, containments, red-team actions and
//! findings, incident reports and evaluators' verdicts (`drill_records`), and the
//! evidence files attached to them (`drill_evidence`).
//!
//! Each record is also an event in the drill's hash-chained log, written in the same
//! transaction; the row is the queryable copy (`body` is the record exactly as the
//! API returns it and as the event's `data` holds it). `submission_id` is the
//! client's idempotency key: unique per drill and author, so a double-submitted
//! form is stored once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DrillRecords::Table)
                    .col(pk_uuid(DrillRecords::Id))
                    .col(uuid(DrillRecords::DrillId))
                    .col(string_len(DrillRecords::Kind, 24))
                    .col(uuid_null(DrillRecords::TeamId))
                    .col(uuid_null(DrillRecords::AuthorId))
                    .col(uuid_null(DrillRecords::SubmissionId))
                    .col(string_len(DrillRecords::Audience, 80))
                    .col(timestamp_with_time_zone(DrillRecords::ReceivedAt))
                    .col(big_integer(DrillRecords::Seq))
                    .col(json(DrillRecords::Body))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_records_drill")
                            .from(DrillRecords::Table, DrillRecords::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_records_author")
                            .from(DrillRecords::Table, DrillRecords::AuthorId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drill_records_drill_kind")
                    .table(DrillRecords::Table)
                    .col(DrillRecords::DrillId)
                    .col(DrillRecords::Kind)
                    .to_owned(),
            )
            .await?;
        // NULL submission ids are distinct in both databases: only keyed submissions
        // are deduplicated.
        manager
            .create_index(
                Index::create()
                    .name("uq_drill_records_submission")
                    .table(DrillRecords::Table)
                    .col(DrillRecords::DrillId)
                    .col(DrillRecords::AuthorId)
                    .col(DrillRecords::SubmissionId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DrillEvidence::Table)
                    .col(pk_uuid(DrillEvidence::Id))
                    .col(uuid(DrillEvidence::DrillId))
                    .col(uuid_null(DrillEvidence::UploaderId))
                    .col(uuid_null(DrillEvidence::TeamId))
                    .col(string_len(DrillEvidence::Audience, 80))
                    .col(string_len(DrillEvidence::Sha256, 64))
                    .col(big_integer(DrillEvidence::Size))
                    .col(string_len(DrillEvidence::ContentType, 100))
                    .col(string_len(DrillEvidence::Filename, 255))
                    .col(timestamp_with_time_zone(DrillEvidence::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_evidence_drill")
                            .from(DrillEvidence::Table, DrillEvidence::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_drill_evidence_uploader")
                            .from(DrillEvidence::Table, DrillEvidence::UploaderId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_drill_evidence_drill")
                    .table(DrillEvidence::Table)
                    .col(DrillEvidence::DrillId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DrillEvidence::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DrillRecords::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DrillRecords {
    Table,
    Id,
    DrillId,
    Kind,
    TeamId,
    AuthorId,
    SubmissionId,
    Audience,
    ReceivedAt,
    Seq,
    Body,
}

#[derive(DeriveIden)]
enum DrillEvidence {
    Table,
    Id,
    DrillId,
    UploaderId,
    TeamId,
    Audience,
    Sha256,
    Size,
    ContentType,
    Filename,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum Drills {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
