use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organising organisation (the creator's).
    pub org_id: Uuid,
    pub scenario_id: Uuid,
    pub scenario_version: i32,
    pub scenario_slug: String,
    pub title: String,
    pub kind: String,
    /// `internal`, `sector`, `national` or `international` (`domain::DrillScale`).
    pub scale: String,
    pub status: String,
    pub speed: f64,
    pub anchor_at: Option<DateTimeUtc>,
    pub anchor_elapsed_ms: i64,
    pub paused_since: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub head_seq: i64,
    pub head_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
