use sea_orm::entity::prelude::*;

/// A file attached to one parameter of a team's capability assessment for a year.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub team_id: Uuid,
    pub year: i32,
    /// The framework parameter's code (`O-1`, `P-14`…).
    pub parameter: String,
    pub sha256: String,
    pub size: i64,
    /// Sniffed from the bytes, never taken from the client.
    pub content_type: String,
    pub filename: String,
    pub uploaded_by: Uuid,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
