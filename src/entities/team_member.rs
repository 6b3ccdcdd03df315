use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "team_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub team_id: Uuid,
    pub user_id: Option<Uuid>,
    pub full_name: String,
    pub title: String,
    pub employment: String,
    pub field_of_study: Option<String>,
    pub degree_level: Option<String>,
    pub expert_groups: Json,
    pub skills: Json,
    pub certificates: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
