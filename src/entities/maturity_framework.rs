use sea_orm::entity::prelude::*;

/// A framework version loaded into the database, with its file text.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "maturity_frameworks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub framework_id: String,
    pub version: i32,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub name_vi: String,
    #[sea_orm(column_type = "Text")]
    pub name_en: String,
    #[sea_orm(column_type = "Text")]
    pub source: String,
    pub sha256: String,
    /// The framework new years are scored with (exactly one row).
    pub active: bool,
    pub loaded_by: Option<Uuid>,
    pub loaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
