//! Information systems and what the registry knows about their playbooks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Page, Scope, StoreError, from_code, from_json, paginate, to_json};
use crate::domain::registry::{Dossier, SystemDraft, playbook_is_stale};
use crate::domain::{IncidentCategory, Sector, SecurityLevel, SystemType};
use crate::entities::{org, playbook, playbook_version, system};

/// An information system as the API and pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct System {
    pub id: Uuid,
    pub org_id: Uuid,
    pub operator_org_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub system_type: SystemType,
    pub sector: Option<Sector>,
    #[schema(value_type = u8)]
    pub level: SecurityLevel,
    pub dossier: Dossier,
    pub domains: Vec<String>,
    pub public_ips: Vec<String>,
    pub last_changed_on: Option<NaiveDate>,
    /// Playbooks of this system, one per incident category.
    pub playbooks: Vec<PlaybookSummary>,
    /// True when at least one playbook is current (not stale).
    pub has_current_playbook: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaybookSummary {
    pub id: Uuid,
    pub category: IncidentCategory,
    pub title: String,
    pub version: i32,
    pub reviewed_on: Option<NaiveDate>,
    pub stale: bool,
}

impl System {
    /// Level 3+ and no current playbook: the first thing an inspector asks about.
    pub fn lacks_current_playbook(&self) -> bool {
        self.level.needs_live_fire_drill() && !self.has_current_playbook
    }

    pub fn has_stale_playbook(&self) -> bool {
        self.playbooks.iter().any(|p| p.stale)
    }

    /// The system as a draft, for PATCH (merge, then validate the whole).
    pub fn to_draft(&self) -> SystemDraft {
        SystemDraft {
            org_id: Some(self.org_id),
            operator_org_id: self.operator_org_id,
            name: self.name.clone(),
            description: self.description.clone(),
            system_type: self.system_type,
            sector: self.sector,
            level: self.level,
            dossier: self.dossier.clone(),
            domains: self.domains.clone(),
            public_ips: self.public_ips.clone(),
            last_changed_on: self.last_changed_on,
        }
    }
}

fn from_model(m: system::Model, playbooks: Vec<PlaybookSummary>) -> Result<System, sea_orm::DbErr> {
    let level = SecurityLevel::new(i64::from(m.level)).map_err(sea_orm::DbErr::Type)?;
    Ok(System {
        id: m.id,
        org_id: m.org_id,
        operator_org_id: m.operator_org_id,
        has_current_playbook: playbooks.iter().any(|p| !p.stale),
        playbooks,
        name: m.name,
        description: m.description,
        system_type: from_code(&m.system_type)?,
        sector: m.sector.as_deref().map(from_code).transpose()?,
        level,
        dossier: Dossier {
            status: from_code(&m.dossier_status)?,
            submitted_on: m.dossier_submitted_on,
            appraised_on: m.dossier_appraised_on,
            approved_on: m.dossier_approved_on,
            decision_no: m.dossier_decision_no,
        },
        domains: from_json(&m.domains)?,
        public_ips: from_json(&m.public_ips)?,
        last_changed_on: m.last_changed_on,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// The current version of every playbook of the given systems, with staleness.
async fn playbook_summaries(
    db: &impl ConnectionTrait,
    systems: &[(Uuid, Option<NaiveDate>)],
) -> Result<HashMap<Uuid, Vec<PlaybookSummary>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<PlaybookSummary>> = HashMap::new();
    if systems.is_empty() {
        return Ok(out);
    }
    let changed: HashMap<Uuid, Option<NaiveDate>> = systems.iter().copied().collect();
    let books = playbook::Entity::find()
        .filter(playbook::Column::SystemId.is_in(changed.keys().copied().collect::<Vec<_>>()))
        .all(db)
        .await?;
    if books.is_empty() {
        return Ok(out);
    }
    let mut cond = Condition::any();
    for b in &books {
        cond = cond.add(
            Condition::all()
                .add(playbook_version::Column::PlaybookId.eq(b.id))
                .add(playbook_version::Column::Version.eq(b.current_version)),
        );
    }
    let versions: HashMap<Uuid, playbook_version::Model> = playbook_version::Entity::find()
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.playbook_id, v))
        .collect();
    for b in books {
        let Some(v) = versions.get(&b.id) else {
            continue;
        };
        let last_changed = changed.get(&b.system_id).copied().flatten();
        out.entry(b.system_id).or_default().push(PlaybookSummary {
            id: b.id,
            category: from_code(&b.category)?,
            title: v.title.clone(),
            version: b.current_version,
            reviewed_on: v.reviewed_on,
            stale: playbook_is_stale(last_changed, v.reviewed_on, v.approved_on),
        });
    }
    for list in out.values_mut() {
        list.sort_by_key(|p| p.category);
    }
    Ok(out)
}

async fn hydrate(
    db: &impl ConnectionTrait,
    rows: Vec<system::Model>,
) -> Result<Vec<System>, StoreError> {
    let keys: Vec<_> = rows.iter().map(|r| (r.id, r.last_changed_on)).collect();
    let mut books = playbook_summaries(db, &keys).await?;
    rows.into_iter()
        .map(|r| {
            let pb = books.remove(&r.id).unwrap_or_default();
            from_model(r, pb).map_err(StoreError::from)
        })
        .collect()
}

#[derive(Debug, Clone, Default)]
pub struct SystemFilter {
    pub org_id: Option<Uuid>,
    pub level: Option<SecurityLevel>,
    pub min_level: Option<SecurityLevel>,
    pub sector: Option<Sector>,
    /// Only systems with at least one stale playbook (true) or with none (false).
    pub stale: Option<bool>,
    /// Only level-3+ systems without a current playbook.
    pub lacking_playbook: bool,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

fn scoped(scope: &Scope) -> sea_orm::Select<system::Entity> {
    let q = system::Entity::find();
    match scope {
        Scope::All => q,
        Scope::Orgs(ids) => q.filter(system::Column::OrgId.is_in(ids.clone())),
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &SystemFilter,
    page: Page,
) -> Result<(Vec<System>, Option<Uuid>), StoreError> {
    let mut q = scoped(scope);
    if let Some(org) = filter.org_id {
        q = q.filter(system::Column::OrgId.eq(org));
    }
    if let Some(level) = filter.level {
        q = q.filter(system::Column::Level.eq(i16::from(level.get())));
    }
    if let Some(level) = filter.min_level {
        q = q.filter(system::Column::Level.gte(i16::from(level.get())));
    }
    if let Some(sector) = filter.sector {
        q = q.filter(system::Column::Sector.eq(sector.code()));
    }
    if filter.stale.is_some() || filter.lacking_playbook || filter.q.is_some() {
        // These depend on computed values: find the matching ids over the whole scope,
        // then page through them in the database like any other filter.
        let all = hydrate(db, q.clone().all(db).await?).await?;
        let needle = filter.q.as_ref().map(|s| s.to_lowercase());
        let ids: Vec<Uuid> = all
            .iter()
            .filter(|s| {
                filter
                    .stale
                    .is_none_or(|want| s.has_stale_playbook() == want)
            })
            .filter(|s| !filter.lacking_playbook || s.lacks_current_playbook())
            .filter(|s| {
                needle
                    .as_ref()
                    .is_none_or(|n| s.name.to_lowercase().contains(n))
            })
            .map(|s| s.id)
            .collect();
        q = q.filter(system::Column::Id.is_in(ids));
    }
    if let Some(after) = page.after {
        q = q.filter(system::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(system::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let (rows, next) = paginate(rows, page.limit, |r| r.id);
    Ok((hydrate(db, rows).await?, next))
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<System, StoreError> {
    let row = scoped(scope)
        .filter(system::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    hydrate(db, vec![row])
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// Checks the references of a validated draft: the owner must be visible to the
/// caller, the operator must exist, and the name must be free in the owner.
async fn check_refs(
    db: &impl ConnectionTrait,
    scope: &Scope,
    draft: &SystemDraft,
    org_id: Uuid,
    exclude: Option<Uuid>,
) -> Result<(), StoreError> {
    if !scope.allows(org_id) || org::Entity::find_by_id(org_id).one(db).await?.is_none() {
        return Err(StoreError::Invalid {
            field: "org_id",
            message: "no such organisation".into(),
        });
    }
    if let Some(op) = draft.operator_org_id
        && org::Entity::find_by_id(op).one(db).await?.is_none()
    {
        return Err(StoreError::Invalid {
            field: "operator_org_id",
            message: "no such organisation".into(),
        });
    }
    let mut dup = system::Entity::find()
        .filter(system::Column::OrgId.eq(org_id))
        .filter(system::Column::Name.eq(draft.name.as_str()));
    if let Some(id) = exclude {
        dup = dup.filter(system::Column::Id.ne(id));
    }
    if dup.one(db).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "name",
            message: DUPLICATE_NAME.into(),
        });
    }
    Ok(())
}

const DUPLICATE_NAME: &str = "a system with this name already exists in this organisation";

fn write_fields(active: &mut system::ActiveModel, d: &SystemDraft) {
    active.operator_org_id = Set(d.operator_org_id);
    active.name = Set(d.name.clone());
    active.description = Set(d.description.clone());
    active.system_type = Set(d.system_type.code().to_owned());
    active.sector = Set(d.sector.map(|s| s.code().to_owned()));
    active.level = Set(i16::from(d.level.get()));
    active.dossier_status = Set(d.dossier.status.code().to_owned());
    active.dossier_submitted_on = Set(d.dossier.submitted_on);
    active.dossier_appraised_on = Set(d.dossier.appraised_on);
    active.dossier_approved_on = Set(d.dossier.approved_on);
    active.dossier_decision_no = Set(d.dossier.decision_no.clone());
    active.domains = Set(to_json(&d.domains));
    active.public_ips = Set(to_json(&d.public_ips));
    active.last_changed_on = Set(d.last_changed_on);
}

/// Creates a system from a validated draft. `org_id` is the owner (already defaulted).
pub async fn create(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_id: Uuid,
    draft: &SystemDraft,
) -> Result<System, StoreError> {
    check_refs(db, scope, draft, org_id, None).await?;
    let now = Utc::now();
    let mut active = system::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    write_fields(&mut active, draft);
    let m = active
        .insert(db)
        .await
        .map_err(|e| StoreError::unique_as(e, "name", DUPLICATE_NAME))?;
    Ok(from_model(m, Vec::new())?)
}

/// Replaces a system's fields with a validated draft (the owner does not change).
pub async fn update(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    draft: &SystemDraft,
) -> Result<System, StoreError> {
    let current = scoped(scope)
        .filter(system::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_refs(db, scope, draft, current.org_id, Some(id)).await?;
    let mut active: system::ActiveModel = current.into();
    write_fields(&mut active, draft);
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(|e| StoreError::unique_as(e, "name", DUPLICATE_NAME))?;
    get(db, scope, id).await
}

/// Deletes a system and, through the foreign keys, its playbooks and their versions.
pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<(), StoreError> {
    let current = scoped(scope)
        .filter(system::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    system::Entity::delete_by_id(current.id).exec(db).await?;
    Ok(())
}

/// Every system in scope, for dashboards (no paging: the registry of one ministry is
/// hundreds of systems, not millions).
pub async fn all_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<Vec<System>, StoreError> {
    let rows = scoped(scope)
        .order_by_asc(system::Column::Name)
        .all(db)
        .await?;
    hydrate(db, rows).await
}

/// Ids of systems in scope, for pickers.
pub async fn ids_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
) -> Result<HashSet<Uuid>, StoreError> {
    Ok(scoped(scope)
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}
