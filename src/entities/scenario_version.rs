use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scenario_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub scenario_id: Uuid,
    pub version: i32,
    #[sea_orm(column_type = "Text")]
    pub source_toml: String,
    pub content_sha256: String,
    #[sea_orm(column_type = "Text")]
    pub title_vi: String,
    #[sea_orm(column_type = "Text")]
    pub title_en: String,
    pub category: String,
    pub min_level: i16,
    pub duration_s: i32,
    pub inject_count: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
