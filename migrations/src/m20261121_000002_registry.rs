//! The registry: information systems, response teams and their members, and
//! per-system playbooks with their full version history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Systems::Table)
                    .col(pk_uuid(Systems::Id))
                    .col(uuid(Systems::OrgId))
                    .col(uuid_null(Systems::OperatorOrgId))
                    .col(string_len(Systems::Name, 200))
                    .col(text(Systems::Description))
                    .col(string_len(Systems::SystemType, 32))
                    .col(string_len_null(Systems::Sector, 32))
                    .col(small_integer(Systems::Level))
                    .col(string_len(Systems::DossierStatus, 16))
                    .col(date_null(Systems::DossierSubmittedOn))
                    .col(date_null(Systems::DossierAppraisedOn))
                    .col(date_null(Systems::DossierApprovedOn))
                    .col(string_len_null(Systems::DossierDecisionNo, 100))
                    .col(json(Systems::Domains))
                    .col(json(Systems::PublicIps))
                    .col(date_null(Systems::LastChangedOn))
                    .col(timestamp_with_time_zone(Systems::CreatedAt))
                    .col(timestamp_with_time_zone(Systems::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_systems_org")
                            .from(Systems::Table, Systems::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_systems_operator_org")
                            .from(Systems::Table, Systems::OperatorOrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_systems_org_name")
                    .table(Systems::Table)
                    .col(Systems::OrgId)
                    .col(Systems::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(pk_uuid(Teams::Id))
                    .col(uuid(Teams::OrgId))
                    .col(string_len(Teams::Name, 200))
                    .col(string_len(Teams::Side, 8))
                    .col(text(Teams::Description))
                    .col(json_null(Teams::ContactPrimary))
                    .col(json_null(Teams::ContactBackup))
                    .col(boolean(Teams::Is24x7).default(false))
                    .col(string_len_null(Teams::EstablishedDecisionNo, 100))
                    .col(date_null(Teams::EstablishedOn))
                    .col(timestamp_with_time_zone(Teams::CreatedAt))
                    .col(timestamp_with_time_zone(Teams::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_teams_org")
                            .from(Teams::Table, Teams::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_teams_org_name")
                    .table(Teams::Table)
                    .col(Teams::OrgId)
                    .col(Teams::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(pk_uuid(TeamMembers::Id))
                    .col(uuid(TeamMembers::TeamId))
                    .col(uuid_null(TeamMembers::UserId))
                    .col(string_len(TeamMembers::FullName, 200))
                    .col(string_len(TeamMembers::Title, 200))
                    .col(string_len(TeamMembers::Employment, 16))
                    .col(string_len_null(TeamMembers::FieldOfStudy, 16))
                    .col(string_len_null(TeamMembers::DegreeLevel, 16))
                    .col(json(TeamMembers::ExpertGroups))
                    .col(json(TeamMembers::Skills))
                    .col(json(TeamMembers::Certificates))
                    .col(timestamp_with_time_zone(TeamMembers::CreatedAt))
                    .col(timestamp_with_time_zone(TeamMembers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_members_team")
                            .from(TeamMembers::Table, TeamMembers::TeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_members_user")
                            .from(TeamMembers::Table, TeamMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_team_members_team")
                    .table(TeamMembers::Table)
                    .col(TeamMembers::TeamId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Playbooks::Table)
                    .col(pk_uuid(Playbooks::Id))
                    .col(uuid(Playbooks::SystemId))
                    .col(string_len(Playbooks::Category, 32))
                    .col(integer(Playbooks::CurrentVersion))
                    .col(timestamp_with_time_zone(Playbooks::CreatedAt))
                    .col(timestamp_with_time_zone(Playbooks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playbooks_system")
                            .from(Playbooks::Table, Playbooks::SystemId)
                            .to(Systems::Table, Systems::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One playbook per incident category per system: a second one would leave
        // responders unsure which is in force.
        manager
            .create_index(
                Index::create()
                    .name("uq_playbooks_system_category")
                    .table(Playbooks::Table)
                    .col(Playbooks::SystemId)
                    .col(Playbooks::Category)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlaybookVersions::Table)
                    .col(pk_uuid(PlaybookVersions::Id))
                    .col(uuid(PlaybookVersions::PlaybookId))
                    .col(integer(PlaybookVersions::Version))
                    .col(string_len(PlaybookVersions::Category, 32))
                    .col(string_len(PlaybookVersions::Title, 200))
                    .col(json(PlaybookVersions::Steps))
                    .col(text(PlaybookVersions::PriorityConditions))
                    .col(string_len_null(PlaybookVersions::ApprovedBy, 200))
                    .col(date_null(PlaybookVersions::ApprovedOn))
                    .col(date_null(PlaybookVersions::ReviewedOn))
                    .col(text(PlaybookVersions::ChangeNote))
                    .col(uuid_null(PlaybookVersions::CreatedBy))
                    .col(timestamp_with_time_zone(PlaybookVersions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playbook_versions_playbook")
                            .from(PlaybookVersions::Table, PlaybookVersions::PlaybookId)
                            .to(Playbooks::Table, Playbooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_playbook_versions_playbook_version")
                    .table(PlaybookVersions::Table)
                    .col(PlaybookVersions::PlaybookId)
                    .col(PlaybookVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlaybookVersions::Table.into_iden(),
            Playbooks::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Teams::Table.into_iden(),
            Systems::Table.into_iden(),
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
    OrgId,
    OperatorOrgId,
    Name,
    Description,
    SystemType,
    Sector,
    Level,
    DossierStatus,
    DossierSubmittedOn,
    DossierAppraisedOn,
    DossierApprovedOn,
    DossierDecisionNo,
    Domains,
    PublicIps,
    LastChangedOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrgId,
    Name,
    Side,
    Description,
    ContactPrimary,
    ContactBackup,
    #[sea_orm(iden = "is_24x7")]
    Is24x7,
    EstablishedDecisionNo,
    EstablishedOn,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Id,
    TeamId,
    UserId,
    FullName,
    Title,
    Employment,
    FieldOfStudy,
    DegreeLevel,
    ExpertGroups,
    Skills,
    Certificates,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Playbooks {
    Table,
    Id,
    SystemId,
    Category,
    CurrentVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlaybookVersions {
    Table,
    Id,
    PlaybookId,
    Version,
    Category,
    Title,
    Steps,
    PriorityConditions,
    ApprovedBy,
    ApprovedOn,
    ReviewedOn,
    ChangeNote,
    CreatedBy,
    CreatedAt,
}
