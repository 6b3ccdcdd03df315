//! Organisations and their hierarchy (a ministry sees its units).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Scope, StoreError};
use crate::domain::Sector;
use crate::entities::org;

pub const ROOT_SLUG: &str = "root";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Org {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub sector: Option<Sector>,
}

impl TryFrom<org::Model> for Org {
    type Error = sea_orm::DbErr;
    fn try_from(m: org::Model) -> Result<Self, Self::Error> {
        Ok(Org {
            id: m.id,
            slug: m.slug,
            name: m.name,
            parent_id: m.parent_id,
            sector: m.sector.as_deref().map(super::from_code).transpose()?,
        })
    }
}

/// The organisation and all its descendants.
pub async fn subtree(db: &impl ConnectionTrait, org_id: Uuid) -> Result<Vec<Uuid>, StoreError> {
    let all = org::Entity::find().all(db).await?;
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for o in &all {
        if let Some(p) = o.parent_id {
            children.entry(p).or_default().push(o.id);
        }
    }
    let mut out = vec![org_id];
    let mut i = 0;
    // Breadth-first; the hierarchy is acyclic because a parent must exist first and
    // cannot be changed to a descendant (see `update_org`).
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            out.extend(kids.iter().copied());
        }
        i += 1;
    }
    Ok(out)
}

pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Org>, StoreError> {
    let mut q = org::Entity::find().order_by_asc(org::Column::Name);
    if let Scope::Orgs(ids) = scope {
        q = q.filter(org::Column::Id.is_in(ids.clone()));
    }
    let rows = q.all(db).await?;
    Ok(rows
        .into_iter()
        .map(Org::try_from)
        .collect::<Result<_, _>>()?)
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: Uuid) -> Result<Org, StoreError> {
    match org::Entity::find_by_id(id).one(db).await? {
        Some(m) if scope.allows(m.id) => Ok(Org::try_from(m)?),
        _ => Err(StoreError::NotFound),
    }
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<Org>, StoreError> {
    let m = org::Entity::find()
        .filter(org::Column::Slug.eq(slug))
        .one(db)
        .await?;
    Ok(m.map(Org::try_from).transpose()?)
}

pub struct NewOrg<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub parent_id: Option<Uuid>,
    pub sector: Option<Sector>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewOrg<'_>) -> Result<Org, StoreError> {
    if find_by_slug(db, new.slug).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "slug",
            message: "is already used".into(),
        });
    }
    let now = Utc::now();
    let model = org::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(new.slug.to_owned()),
        name: Set(new.name.to_owned()),
        parent_id: Set(new.parent_id),
        sector: Set(new.sector.map(|s| s.code().to_owned())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::unique_as(e, "slug", "is already used"))?;
    Ok(Org::try_from(model)?)
}

pub struct OrgChanges {
    pub name: Option<String>,
    pub parent_id: Option<Option<Uuid>>,
    pub sector: Option<Option<Sector>>,
}

pub async fn update(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    changes: OrgChanges,
) -> Result<Org, StoreError> {
    let current = org::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| scope.allows(m.id))
        .ok_or(StoreError::NotFound)?;
    if let Some(Some(parent)) = changes.parent_id {
        if !scope.allows(parent) || org::Entity::find_by_id(parent).one(db).await?.is_none() {
            return Err(StoreError::Invalid {
                field: "parent_id",
                message: "no such organisation".into(),
            });
        }
        if subtree(db, id).await?.contains(&parent) {
            return Err(StoreError::Invalid {
                field: "parent_id",
                message: "would make the organisation its own ancestor".into(),
            });
        }
    }
    let mut active: org::ActiveModel = current.into();
    if let Some(name) = changes.name {
        active.name = Set(name);
    }
    if let Some(parent) = changes.parent_id {
        active.parent_id = Set(parent);
    }
    if let Some(sector) = changes.sector {
        active.sector = Set(sector.map(|s| s.code().to_owned()));
    }
    active.updated_at = Set(Utc::now());
    Ok(Org::try_from(active.update(db).await?)?)
}

/// The root organisation that users created without `--org` belong to.
pub async fn ensure_root(db: &impl ConnectionTrait) -> Result<Org, StoreError> {
    if let Some(root) = find_by_slug(db, ROOT_SLUG).await? {
        return Ok(root);
    }
    create(
        db,
        NewOrg {
            slug: ROOT_SLUG,
            name: "Root",
            parent_id: None,
            sector: None,
        },
    )
    .await
}

/// Names of organisations by id, for lists that show the owner's name.
pub async fn names(db: &impl ConnectionTrait) -> Result<HashMap<Uuid, String>, StoreError> {
    Ok(org::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}
