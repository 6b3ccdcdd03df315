use sea_orm::entity::prelude::*;

/// Append-only: the application inserts rows and never updates or deletes them.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub drill_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: DateTimeUtc,
    pub kind: String,
    pub actor_id: Option<Uuid>,
    pub audience: String,
    /// The event's data as canonical JSON text (exactly what was hashed).
    #[sea_orm(column_type = "Text")]
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
