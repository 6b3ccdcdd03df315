//! Per-system playbooks (phương án, kịch bản ứng cứu sự cố). Every edit stores a new
//! version; old versions stay readable. The `playbooks` row holds the identity and the
//! number of the version in force; `playbook_versions` holds every version's content.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Scope, StoreError, begin_write, from_code, from_json, to_json};
use crate::domain::IncidentCategory;
use crate::domain::registry::{PlaybookDraft, PlaybookStep, playbook_is_stale};
use crate::entities::{playbook, playbook_version, system};

/// The version of a playbook in force, with its staleness.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Playbook {
    pub id: Uuid,
    pub system_id: Uuid,
    pub system_name: String,
    pub org_id: Uuid,
    pub category: IncidentCategory,
    pub title: String,
    pub steps: Vec<PlaybookStep>,
    pub priority_conditions: String,
    pub version: i32,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub change_note: String,
    /// The system changed after this playbook was last reviewed.
    pub stale: bool,
    /// When this version was saved.
    pub updated_at: DateTime<Utc>,
}

/// One stored version, as the history shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaybookVersion {
    pub playbook_id: Uuid,
    pub version: i32,
    pub category: IncidentCategory,
    pub title: String,
    pub steps: Vec<PlaybookStep>,
    pub priority_conditions: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub change_note: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl Playbook {
    pub fn to_draft(&self) -> PlaybookDraft {
        PlaybookDraft {
            category: self.category,
            title: self.title.clone(),
            steps: self.steps.clone(),
            priority_conditions: self.priority_conditions.clone(),
            approved_by: self.approved_by.clone(),
            approved_on: self.approved_on,
            reviewed_on: self.reviewed_on,
            change_note: String::new(),
        }
    }
}

fn version_from_model(v: playbook_version::Model) -> Result<PlaybookVersion, sea_orm::DbErr> {
    Ok(PlaybookVersion {
        playbook_id: v.playbook_id,
        version: v.version,
        category: from_code(&v.category)?,
        title: v.title,
        steps: from_json(&v.steps)?,
        priority_conditions: v.priority_conditions,
        approved_by: v.approved_by,
        approved_on: v.approved_on,
        reviewed_on: v.reviewed_on,
        change_note: v.change_note,
        created_by: v.created_by,
        created_at: v.created_at,
    })
}

fn assemble(sys: &system::Model, v: playbook_version::Model) -> Result<Playbook, sea_orm::DbErr> {
    let v = version_from_model(v)?;
    Ok(Playbook {
        id: v.playbook_id,
        system_id: sys.id,
        system_name: sys.name.clone(),
        org_id: sys.org_id,
        stale: playbook_is_stale(sys.last_changed_on, v.reviewed_on, v.approved_on),
        category: v.category,
        title: v.title,
        steps: v.steps,
        priority_conditions: v.priority_conditions,
        version: v.version,
        approved_by: v.approved_by,
        approved_on: v.approved_on,
        reviewed_on: v.reviewed_on,
        change_note: v.change_note,
        updated_at: v.created_at,
    })
}

async fn visible_system(
    db: &impl ConnectionTrait,
    scope: &Scope,
    system_id: Uuid,
) -> Result<system::Model, StoreError> {
    system::Entity::find_by_id(system_id)
        .one(db)
        .await?
        .filter(|s| scope.allows(s.org_id))
        .ok_or(StoreError::NotFound)
}

async fn visible_playbook(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<(playbook::Model, system::Model), StoreError> {
    let book = playbook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let sys = visible_system(db, scope, book.system_id).await?;
    Ok((book, sys))
}

async fn current_version(
    db: &impl ConnectionTrait,
    book: &playbook::Model,
) -> Result<playbook_version::Model, StoreError> {
    playbook_version::Entity::find()
        .filter(playbook_version::Column::PlaybookId.eq(book.id))
        .filter(playbook_version::Column::Version.eq(book.current_version))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Playbook, StoreError> {
    let (book, sys) = visible_playbook(db, scope, id).await?;
    let v = current_version(db, &book).await?;
    Ok(assemble(&sys, v)?)
}

#[derive(Debug, Clone, Default)]
pub struct PlaybookFilter {
    pub system_id: Option<Uuid>,
    pub org_id: Option<Uuid>,
    pub category: Option<IncidentCategory>,
    pub stale: Option<bool>,
}

/// Playbooks in scope, current versions only, ordered by system name then category.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &PlaybookFilter,
) -> Result<Vec<Playbook>, StoreError> {
    let mut sq = system::Entity::find();
    if let Scope::Orgs(ids) = scope {
        sq = sq.filter(system::Column::OrgId.is_in(ids.clone()));
    }
    if let Some(id) = filter.system_id {
        sq = sq.filter(system::Column::Id.eq(id));
    }
    if let Some(org) = filter.org_id {
        sq = sq.filter(system::Column::OrgId.eq(org));
    }
    let systems = sq.order_by_asc(system::Column::Name).all(db).await?;
    if systems.is_empty() {
        return Ok(Vec::new());
    }
    let mut bq = playbook::Entity::find()
        .filter(playbook::Column::SystemId.is_in(systems.iter().map(|s| s.id).collect::<Vec<_>>()));
    if let Some(cat) = filter.category {
        bq = bq.filter(playbook::Column::Category.eq(cat.code()));
    }
    let books = bq.all(db).await?;
    let mut out = Vec::with_capacity(books.len());
    for sys in &systems {
        for book in books.iter().filter(|b| b.system_id == sys.id) {
            let p = assemble(sys, current_version(db, book).await?)?;
            if filter.stale.is_none_or(|want| p.stale == want) {
                out.push(p);
            }
        }
    }
    out.sort_by(|a, b| {
        a.system_name
            .cmp(&b.system_name)
            .then(a.category.cmp(&b.category))
    });
    Ok(out)
}

async fn check_category_free(
    db: &impl ConnectionTrait,
    system_id: Uuid,
    category: IncidentCategory,
    exclude: Option<Uuid>,
) -> Result<(), StoreError> {
    let mut q = playbook::Entity::find()
        .filter(playbook::Column::SystemId.eq(system_id))
        .filter(playbook::Column::Category.eq(category.code()));
    if let Some(id) = exclude {
        q = q.filter(playbook::Column::Id.ne(id));
    }
    if q.one(db).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "category",
            message: "this system already has a playbook for this incident category".into(),
        });
    }
    Ok(())
}

fn version_row(
    playbook_id: Uuid,
    version: i32,
    d: &PlaybookDraft,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> playbook_version::ActiveModel {
    playbook_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        playbook_id: Set(playbook_id),
        version: Set(version),
        category: Set(d.category.code().to_owned()),
        title: Set(d.title.clone()),
        steps: Set(to_json(&d.steps)),
        priority_conditions: Set(d.priority_conditions.clone()),
        approved_by: Set(d.approved_by.clone()),
        approved_on: Set(d.approved_on),
        reviewed_on: Set(d.reviewed_on),
        change_note: Set(d.change_note.clone()),
        created_by: Set(by),
        created_at: Set(now),
    }
}

const CATEGORY_TAKEN: &str = "this system already has a playbook for this incident category";

/// Creates a playbook and its version 1 in one transaction.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    system_id: Uuid,
    draft: &PlaybookDraft,
    by: Option<Uuid>,
) -> Result<Playbook, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    let sys = visible_system(&txn, scope, system_id).await?;
    check_category_free(&txn, system_id, draft.category, None).await?;
    let now = Utc::now();
    let id = Uuid::now_v7();
    playbook::ActiveModel {
        id: Set(id),
        system_id: Set(system_id),
        category: Set(draft.category.code().to_owned()),
        current_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| StoreError::unique_as(e, "category", CATEGORY_TAKEN))?;
    let v = version_row(id, 1, draft, by, now).insert(&txn).await?;
    txn.commit().await?;
    Ok(assemble(&sys, v)?)
}

/// Stores a new version and makes it current, in one transaction. Two concurrent
/// saves of the same playbook cannot both win: the second breaks the unique
/// (playbook, version) index and is reported as a conflict.
pub async fn save_version<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    draft: &PlaybookDraft,
    by: Option<Uuid>,
) -> Result<Playbook, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    let saved = save_version_in(&txn, scope, id, draft, by, Utc::now()).await?;
    txn.commit().await?;
    Ok(saved)
}

/// As [`save_version`], inside the caller's transaction: a corrective action's
/// completion and the playbook version it opens commit together or not at all.
pub async fn save_version_in(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    draft: &PlaybookDraft,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Playbook, StoreError> {
    let (book, sys) = visible_playbook(txn, scope, id).await?;
    check_category_free(txn, book.system_id, draft.category, Some(id)).await?;
    let next = book.current_version + 1;
    let v = version_row(id, next, draft, by, now)
        .insert(txn)
        .await
        .map_err(|e| {
            StoreError::unique_as(
                e,
                "version",
                "the playbook was changed at the same time; reload and retry",
            )
        })?;
    let mut active: playbook::ActiveModel = book.into();
    active.current_version = Set(next);
    active.category = Set(draft.category.code().to_owned());
    active.updated_at = Set(now);
    active
        .update(txn)
        .await
        .map_err(|e| StoreError::unique_as(e, "category", CATEGORY_TAKEN))?;
    Ok(assemble(&sys, v)?)
}

/// Every version, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Vec<PlaybookVersion>, StoreError> {
    let (book, _) = visible_playbook(db, scope, id).await?;
    let rows = playbook_version::Entity::find()
        .filter(playbook_version::Column::PlaybookId.eq(book.id))
        .order_by_desc(playbook_version::Column::Version)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(version_from_model)
        .collect::<Result<_, _>>()?)
}

pub async fn version(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    number: i32,
) -> Result<PlaybookVersion, StoreError> {
    let (book, _) = visible_playbook(db, scope, id).await?;
    let row = playbook_version::Entity::find()
        .filter(playbook_version::Column::PlaybookId.eq(book.id))
        .filter(playbook_version::Column::Version.eq(number))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(version_from_model(row)?)
}
