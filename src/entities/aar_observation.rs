use sea_orm::entity::prelude::*;

/// A strength or an area for improvement noted in a drill's after-action report.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "aar_observations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub drill_id: Uuid,
    /// `strength` or `improvement`.
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
