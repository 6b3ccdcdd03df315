use sea_orm::entity::prelude::*;

/// A submission in a drill (detection, containment, red action, red finding, report,
/// evaluation). Written once, with its event, and never updated.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub drill_id: Uuid,
    pub kind: String,
    pub team_id: Option<Uuid>,
    pub author_id: Option<Uuid>,
    pub submission_id: Option<Uuid>,
    pub audience: String,
    pub received_at: DateTimeUtc,
    pub seq: i64,
    /// The record as the API returns it (also the event's `data`).
    pub body: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
