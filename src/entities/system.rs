use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "systems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub operator_org_id: Option<Uuid>,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub system_type: String,
    pub sector: Option<String>,
    pub level: i16,
    pub dossier_status: String,
    pub dossier_submitted_on: Option<Date>,
    pub dossier_appraised_on: Option<Date>,
    pub dossier_approved_on: Option<Date>,
    pub dossier_decision_no: Option<String>,
    pub domains: Json,
    pub public_ips: Json,
    pub last_changed_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
