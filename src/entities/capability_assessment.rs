use sea_orm::entity::prelude::*;

/// A team's capability assessment for one year.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "capability_assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub team_id: Uuid,
    pub year: i32,
    pub method: String,
    pub assessor: String,
    pub assessed_on: Option<Date>,
    pub framework_id: String,
    pub framework_version: i32,
    /// `[{"code", "level", "evidence"}]`.
    pub parameters: Json,
    #[sea_orm(column_type = "Text")]
    pub notes: String,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
