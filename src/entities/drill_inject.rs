use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_injects")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub drill_id: Uuid,
    pub key: String,
    /// Drill time of a scheduled inject; `None` for manual and ad-hoc injects.
    pub offset_ms: Option<i64>,
    pub audience: String,
    pub channel: String,
    #[sea_orm(column_type = "Text")]
    pub title_vi: String,
    #[sea_orm(column_type = "Text")]
    pub title_en: String,
    #[sea_orm(column_type = "Text")]
    pub body_vi: String,
    #[sea_orm(column_type = "Text")]
    pub body_en: String,
    pub expectations: Json,
    pub ad_hoc: bool,
    /// `pending`, `released` or `skipped`.
    pub state: String,
    pub due_at: Option<DateTimeUtc>,
    pub released_at: Option<DateTimeUtc>,
    pub late_by_ms: Option<i64>,
    pub released_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
