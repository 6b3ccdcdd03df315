//! The after-action report's own records (HSEEP AAR/IP): observations (strengths and
//! areas for improvement) and the improvement plan's corrective actions, each with an
//! owner and a due date and optionally the playbook it should change. Completing an
//! action records the playbook version it opened for review.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AarObservations::Table)
                    .col(pk_uuid(AarObservations::Id))
                    .col(uuid(AarObservations::DrillId))
                    .col(string_len(AarObservations::Kind, 20))
                    .col(text(AarObservations::Text))
                    .col(uuid_null(AarObservations::CreatedBy))
                    .col(timestamp_with_time_zone(AarObservations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_aar_observations_drill")
                            .from(AarObservations::Table, AarObservations::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_aar_observations_created_by")
                            .from(AarObservations::Table, AarObservations::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_aar_observations_drill")
                    .table(AarObservations::Table)
                    .col(AarObservations::DrillId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CorrectiveActions::Table)
                    .col(pk_uuid(CorrectiveActions::Id))
                    .col(uuid(CorrectiveActions::DrillId))
                    .col(uuid_null(CorrectiveActions::ObservationId))
                    .col(text(CorrectiveActions::Action))
                    .col(string_len(CorrectiveActions::Owner, 200))
                    .col(date(CorrectiveActions::DueOn))
                    .col(uuid_null(CorrectiveActions::PlaybookId))
                    .col(string_len(CorrectiveActions::Status, 20))
                    .col(timestamp_with_time_zone_null(
                        CorrectiveActions::CompletedAt,
                    ))
                    .col(uuid_null(CorrectiveActions::CompletedBy))
                    .col(integer_null(CorrectiveActions::PlaybookVersion))
                    .col(uuid_null(CorrectiveActions::CreatedBy))
                    .col(timestamp_with_time_zone(CorrectiveActions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_corrective_actions_drill")
                            .from(CorrectiveActions::Table, CorrectiveActions::DrillId)
                            .to(Drills::Table, Drills::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_corrective_actions_observation")
                            .from(CorrectiveActions::Table, CorrectiveActions::ObservationId)
                            .to(AarObservations::Table, AarObservations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_corrective_actions_playbook")
                            .from(CorrectiveActions::Table, CorrectiveActions::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_corrective_actions_created_by")
                            .from(CorrectiveActions::Table, CorrectiveActions::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_corrective_actions_completed_by")
                            .from(CorrectiveActions::Table, CorrectiveActions::CompletedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_corrective_actions_drill")
                    .table(CorrectiveActions::Table)
                    .col(CorrectiveActions::DrillId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CorrectiveActions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AarObservations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AarObservations {
    Table,
    Id,
    DrillId,
    Kind,
    Text,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CorrectiveActions {
    Table,
    Id,
    DrillId,
    ObservationId,
    Action,
    Owner,
    DueOn,
    PlaybookId,
    Status,
    CompletedAt,
    CompletedBy,
    PlaybookVersion,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Drills {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Playbooks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
