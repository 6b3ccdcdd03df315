//! Organisations, users, browser sessions and API tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orgs::Table)
                    .col(pk_uuid(Orgs::Id))
                    .col(string_len_uniq(Orgs::Slug, 64))
                    .col(string_len(Orgs::Name, 200))
                    .col(uuid_null(Orgs::ParentId))
                    .col(string_len_null(Orgs::Sector, 32))
                    .col(timestamp_with_time_zone(Orgs::CreatedAt))
                    .col(timestamp_with_time_zone(Orgs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orgs_parent")
                            .from(Orgs::Table, Orgs::ParentId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_len_uniq(Users::Username, 64))
                    .col(string_len(Users::FullName, 200))
                    .col(string_len(Users::PasswordHash, 200))
                    .col(string_len(Users::Role, 16))
                    .col(uuid(Users::OrgId))
                    .col(boolean(Users::Disabled).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_org")
                            .from(Users::Table, Users::OrgId)
                            .to(Orgs::Table, Orgs::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        // Browser sessions and API tokens keep only the SHA-256 of the secret, so a
        // copy of the database does not hand out live credentials.
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::IdHash, 64).primary_key())
                    .col(uuid(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_uuid(ApiTokens::Id))
                    .col(uuid(ApiTokens::UserId))
                    .col(string_len_uniq(ApiTokens::TokenHash, 64))
                    .col(string_len(ApiTokens::Label, 100))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone(ApiTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_api_tokens_user")
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_index(
                Index::create()
                    .name("idx_users_org")
                    .table(Users::Table)
                    .col(Users::OrgId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            Orgs::Table.into_iden(),
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
    Slug,
    Name,
    ParentId,
    Sector,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    FullName,
    PasswordHash,
    Role,
    OrgId,
    Disabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}
