use sea_orm::entity::prelude::*;

/// A blue team's final scorecard in an ended drill, frozen with the log's head.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_scorecards")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub drill_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: Uuid,
    pub head_seq: i64,
    pub head_hash: String,
    pub framework_id: String,
    pub framework_version: i32,
    pub measures: Json,
    pub kpis: Json,
    pub score: f64,
    pub frozen_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
