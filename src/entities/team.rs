use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub side: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub contact_primary: Option<Json>,
    pub contact_backup: Option<Json>,
    #[sea_orm(column_name = "is_24x7")]
    pub is_24x7: bool,
    pub established_decision_no: Option<String>,
    pub established_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
