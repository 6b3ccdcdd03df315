use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "playbook_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub playbook_id: Uuid,
    pub version: i32,
    pub category: String,
    pub title: String,
    pub steps: Json,
    #[sea_orm(column_type = "Text")]
    pub priority_conditions: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<Date>,
    pub reviewed_on: Option<Date>,
    #[sea_orm(column_type = "Text")]
    pub change_note: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
