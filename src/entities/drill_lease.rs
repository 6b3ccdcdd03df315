use sea_orm::entity::prelude::*;

/// Which server process runs a drill's scheduler, until when.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "drill_leases")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub drill_id: Uuid,
    /// `hostname:pid:uuid` of the process.
    pub holder: String,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
