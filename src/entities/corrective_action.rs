use sea_orm::entity::prelude::*;

/// A corrective action of a drill's improvement plan.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "corrective_actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub drill_id: Uuid,
    /// The area for improvement it answers, if any.
    pub observation_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    pub owner: String,
    pub due_on: Date,
    /// The playbook it should change.
    pub playbook_id: Option<Uuid>,
    /// `open` or `done`.
    pub status: String,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_by: Option<Uuid>,
    /// The playbook version its completion opened for review.
    pub playbook_version: Option<i32>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
