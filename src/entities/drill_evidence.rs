use sea_orm::entity::prelude::*;

/// An evidence file's metadata; the bytes live under the evidence directory, named by
/// their SHA-256.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub drill_id: Uuid,
    pub uploader_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub audience: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub filename: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
