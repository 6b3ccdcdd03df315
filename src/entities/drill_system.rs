use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_systems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub drill_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub system_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
