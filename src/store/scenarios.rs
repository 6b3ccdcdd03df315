//! The scenario library: the shipped files of `scenarios/` (no organisation, seen
//! by everyone) and the scenarios users create (owned by the creator's
//! organisation, scoped like systems). Every change is a new version holding the
//! canonical file (`scenario::to_toml`); a drill refers to the version it ran, so
//! old versions are never changed or deleted.
//!
//! A save whose canonical file equals the current version's is not a new version:
//! re-uploading a file, or the boot sync of an unchanged library, writes nothing.
//! The version number inside the stored file is the database's, so an export of
//! version 3 says `version = 3`.
//!
//! Also here: `scenario_uploads`, where a spreadsheet waits between the
//! column-mapping step of the import page and the import itself.

use std::num::NonZeroU32;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Scope, StoreError, begin_write, from_code};
use crate::domain::IncidentCategory;
use crate::entities::{scenario, scenario_upload, scenario_version};
use crate::scenario::{Scenario, parse_scenario, to_toml};

/// Where a scenario comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A file of the repository's `scenarios/` folder, synced at boot.
    Shipped,
    /// Created by a user (upload, API, web form or spreadsheet import).
    User,
}

impl Origin {
    pub fn code(self) -> &'static str {
        match self {
            Origin::Shipped => "shipped",
            Origin::User => "user",
        }
    }

    fn parse(code: &str) -> Result<Origin, DbErr> {
        match code {
            "shipped" => Ok(Origin::Shipped),
            "user" => Ok(Origin::User),
            other => Err(DbErr::Type(format!("unknown scenario origin `{other}`"))),
        }
    }
}

/// Who a saved scenario belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The shipped library (no organisation).
    Shipped,
    /// A user scenario of this organisation.
    Org(Uuid),
}

/// A title in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TitleText {
    pub vi: String,
    pub en: String,
}

/// One stored version, without its content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionInfo {
    /// The id a drill records to name exactly what it ran.
    pub version_id: Uuid,
    pub version: i32,
    /// SHA-256 (hex) of the canonical file.
    pub content_sha256: String,
    pub title: TitleText,
    pub category: IncidentCategory,
    pub min_level: u8,
    pub duration_s: u32,
    pub inject_count: u32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// A scenario of the library with its current version, as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScenarioSummary {
    pub id: Uuid,
    pub slug: String,
    /// `null` for the shipped library.
    pub org_id: Option<Uuid>,
    pub origin: Origin,
    /// The current version number.
    pub version: i32,
    pub title: TitleText,
    pub category: IncidentCategory,
    pub min_level: u8,
    pub duration_s: u32,
    pub inject_count: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One version of a scenario with its content.
#[derive(Debug, Clone)]
pub struct LoadedVersion {
    pub summary: ScenarioSummary,
    pub version: VersionInfo,
    /// The canonical file of this version.
    pub source_toml: String,
    pub scenario: Scenario,
}

/// What a save did.
#[derive(Debug, Clone)]
pub struct Saved {
    pub loaded: LoadedVersion,
    /// The scenario did not exist before.
    pub new_scenario: bool,
    /// A version was stored (false: the content equals the current version).
    pub new_version: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ScenarioFilter {
    pub category: Option<IncidentCategory>,
    /// Exactly this minimum level.
    pub min_level: Option<u8>,
    /// Suits a system of this level (minimum level at or below it).
    pub for_level: Option<u8>,
    pub origin: Option<Origin>,
    /// Case-insensitive part of the slug or of either title.
    pub q: Option<String>,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn version_info(v: &scenario_version::Model) -> Result<VersionInfo, DbErr> {
    let number = |value: i32, what: &str| {
        u32::try_from(value).map_err(|_| DbErr::Type(format!("negative {what} {value}")))
    };
    Ok(VersionInfo {
        version_id: v.id,
        version: v.version,
        content_sha256: v.content_sha256.clone(),
        title: TitleText {
            vi: v.title_vi.clone(),
            en: v.title_en.clone(),
        },
        category: from_code(&v.category)?,
        min_level: u8::try_from(v.min_level)
            .map_err(|_| DbErr::Type(format!("bad min_level {}", v.min_level)))?,
        duration_s: number(v.duration_s, "duration")?,
        inject_count: number(v.inject_count, "inject count")?,
        created_by: v.created_by,
        created_at: v.created_at,
    })
}

fn summary(s: &scenario::Model, current: &VersionInfo) -> Result<ScenarioSummary, DbErr> {
    Ok(ScenarioSummary {
        id: s.id,
        slug: s.slug.clone(),
        org_id: s.org_id,
        origin: Origin::parse(&s.origin)?,
        version: s.current_version,
        title: current.title.clone(),
        category: current.category,
        min_level: current.min_level,
        duration_s: current.duration_s,
        inject_count: current.inject_count,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

fn loaded(s: &scenario::Model, v: scenario_version::Model) -> Result<LoadedVersion, DbErr> {
    let info = version_info(&v)?;
    // The stored file was valid when it was written; if a later, stricter validator
    // refuses it, that is a server-side inconsistency, not the caller's input.
    let parsed = parse_scenario(&v.source_toml).map_err(|problems| {
        DbErr::Custom(format!(
            "stored scenario {} v{} no longer parses: {problems:?}",
            s.slug, v.version
        ))
    })?;
    Ok(LoadedVersion {
        summary: summary(s, &info)?,
        version: info,
        source_toml: v.source_toml,
        scenario: parsed,
    })
}

/// Scenarios the scope may see: the shipped library plus its organisations' own.
fn visible(scope: &Scope) -> sea_orm::Select<scenario::Entity> {
    let q = scenario::Entity::find();
    match scope {
        Scope::All => q,
        Scope::Orgs(ids) => q.filter(
            Condition::any()
                .add(scenario::Column::OrgId.is_null())
                .add(scenario::Column::OrgId.is_in(ids.clone())),
        ),
    }
}

async fn visible_scenario(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<scenario::Model, StoreError> {
    visible(scope)
        .filter(scenario::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

async fn version_row(
    db: &impl ConnectionTrait,
    scenario_id: Uuid,
    number: i32,
) -> Result<Option<scenario_version::Model>, DbErr> {
    scenario_version::Entity::find()
        .filter(scenario_version::Column::ScenarioId.eq(scenario_id))
        .filter(scenario_version::Column::Version.eq(number))
        .one(db)
        .await
}

/// The library the scope sees, current versions, ordered by slug.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &ScenarioFilter,
) -> Result<Vec<ScenarioSummary>, StoreError> {
    let mut q = visible(scope);
    if let Some(origin) = filter.origin {
        q = q.filter(scenario::Column::Origin.eq(origin.code()));
    }
    let rows = q.order_by_asc(scenario::Column::Slug).all(db).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut current = Condition::any();
    for s in &rows {
        current = current.add(
            Condition::all()
                .add(scenario_version::Column::ScenarioId.eq(s.id))
                .add(scenario_version::Column::Version.eq(s.current_version)),
        );
    }
    let versions = scenario_version::Entity::find()
        .filter(current)
        .all(db)
        .await?;
    let needle = filter.q.as_ref().map(|q| q.trim().to_lowercase());
    let mut out = Vec::with_capacity(rows.len());
    for s in &rows {
        let Some(v) = versions.iter().find(|v| v.scenario_id == s.id) else {
            continue;
        };
        let item = summary(s, &version_info(v)?)?;
        let keep = filter.category.is_none_or(|c| item.category == c)
            && filter.min_level.is_none_or(|l| item.min_level == l)
            && filter.for_level.is_none_or(|l| item.min_level <= l)
            && needle.as_ref().is_none_or(|n| {
                item.slug.contains(n.as_str())
                    || item.title.vi.to_lowercase().contains(n.as_str())
                    || item.title.en.to_lowercase().contains(n.as_str())
            });
        if keep {
            out.push(item);
        }
    }
    // Same slug in the shipped library and in an organisation: shipped first.
    out.sort_by(|a, b| {
        a.slug
            .cmp(&b.slug)
            .then((a.origin == Origin::User).cmp(&(b.origin == Origin::User)))
    });
    Ok(out)
}

/// The current version of a scenario.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<LoadedVersion, StoreError> {
    let s = visible_scenario(db, scope, id).await?;
    let v = version_row(db, s.id, s.current_version)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(loaded(&s, v)?)
}

/// One version of a scenario.
pub async fn version(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    number: i32,
) -> Result<LoadedVersion, StoreError> {
    let s = visible_scenario(db, scope, id).await?;
    let v = version_row(db, s.id, number)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(loaded(&s, v)?)
}

/// Every version, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Vec<VersionInfo>, StoreError> {
    let s = visible_scenario(db, scope, id).await?;
    let rows = scenario_version::Entity::find()
        .filter(scenario_version::Column::ScenarioId.eq(s.id))
        .order_by_desc(scenario_version::Column::Version)
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .map(version_info)
        .collect::<Result<_, DbErr>>()?)
}

/// The canonical file of `scenario` numbered `number`, and its hash.
fn canonical(scenario: &Scenario, number: i32) -> Result<(Scenario, String, String), StoreError> {
    let version = u32::try_from(number)
        .ok()
        .and_then(NonZeroU32::new)
        .ok_or_else(|| DbErr::Custom(format!("version number {number} out of range")))?;
    let mut numbered = scenario.clone();
    numbered.version = version;
    let file = to_toml(&numbered);
    let sha = sha256_hex(&file);
    Ok((numbered, file, sha))
}

fn new_version_row(
    scenario_id: Uuid,
    number: i32,
    s: &Scenario,
    file: String,
    sha: String,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> scenario_version::ActiveModel {
    let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    scenario_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        scenario_id: Set(scenario_id),
        version: Set(number),
        source_toml: Set(file),
        content_sha256: Set(sha),
        title_vi: Set(s.title.vi.clone()),
        title_en: Set(s.title.en.clone()),
        category: Set(s.category.code().to_owned()),
        min_level: Set(i16::from(s.min_level.get())),
        duration_s: Set(i32::try_from(s.duration_secs).unwrap_or(i32::MAX)),
        inject_count: Set(clamp(s.injects.len())),
        created_by: Set(by),
        created_at: Set(now),
    }
}

const CHANGED_CONCURRENTLY: &str = "the scenario was changed at the same time; reload and retry";

/// Stores `scenario` as the next version of `existing`, unless its canonical file
/// equals the current version's.
async fn add_version(
    txn: &impl ConnectionTrait,
    existing: scenario::Model,
    scenario: &Scenario,
    by: Option<Uuid>,
) -> Result<Saved, StoreError> {
    let current = version_row(txn, existing.id, existing.current_version)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (_, same_file, same_sha) = canonical(scenario, existing.current_version)?;
    if same_sha == current.content_sha256 && same_file == current.source_toml {
        return Ok(Saved {
            loaded: loaded(&existing, current)?,
            new_scenario: false,
            new_version: false,
        });
    }
    let next = existing.current_version + 1;
    let (numbered, file, sha) = canonical(scenario, next)?;
    let now = Utc::now();
    let row = new_version_row(existing.id, next, &numbered, file, sha, by, now)
        .insert(txn)
        .await
        .map_err(|e| StoreError::unique_as(e, "version", CHANGED_CONCURRENTLY))?;
    let mut active: scenario::ActiveModel = existing.into();
    active.current_version = Set(next);
    active.updated_at = Set(now);
    let updated = active.update(txn).await?;
    Ok(Saved {
        loaded: loaded(&updated, row)?,
        new_scenario: false,
        new_version: true,
    })
}

const SHIPPED_SLUG: &str =
    "a scenario of the shipped library already has this id; choose another id";

/// Saves a scenario by its slug: a new scenario (version 1) when the owner has no
/// scenario with this slug, else a new version of it (or nothing, when unchanged).
/// A user scenario may not take the slug of a shipped one (409), so that a slug
/// names one scenario for every organisation.
pub async fn save<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    owner: Owner,
    scenario: &Scenario,
    by: Option<Uuid>,
) -> Result<Saved, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    let slug = scenario.id.as_str();
    let shipped = scenario::Entity::find()
        .filter(scenario::Column::Slug.eq(slug))
        .filter(scenario::Column::OrgId.is_null())
        .one(&txn)
        .await?;
    let existing = match owner {
        Owner::Shipped => shipped,
        Owner::Org(org) => {
            if shipped.is_some() {
                return Err(StoreError::Conflict {
                    field: "id",
                    message: SHIPPED_SLUG.into(),
                });
            }
            scenario::Entity::find()
                .filter(scenario::Column::Slug.eq(slug))
                .filter(scenario::Column::OrgId.eq(org))
                .one(&txn)
                .await?
        }
    };
    let saved = match existing {
        Some(existing) => add_version(&txn, existing, scenario, by).await?,
        None => {
            let now = Utc::now();
            let (numbered, file, sha) = canonical(scenario, 1)?;
            let (org_id, origin) = match owner {
                Owner::Shipped => (None, Origin::Shipped),
                Owner::Org(org) => (Some(org), Origin::User),
            };
            let created = scenario::ActiveModel {
                id: Set(Uuid::now_v7()),
                slug: Set(slug.to_owned()),
                org_id: Set(org_id),
                origin: Set(origin.code().to_owned()),
                current_version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await
            .map_err(|e| StoreError::unique_as(e, "id", CHANGED_CONCURRENTLY))?;
            let row = new_version_row(created.id, 1, &numbered, file, sha, by, now)
                .insert(&txn)
                .await?;
            Saved {
                loaded: loaded(&created, row)?,
                new_scenario: true,
                new_version: true,
            }
        }
    };
    txn.commit().await?;
    Ok(saved)
}

/// Saves a new version of the scenario `id` (PUT, the edit form). Shipped scenarios
/// change through their files (409); the slug cannot change (422 on `id`: a
/// different slug is a different scenario).
pub async fn save_version<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    scenario: &Scenario,
    by: Option<Uuid>,
) -> Result<Saved, StoreError> {
    let (_gate, txn) = begin_write(db).await?;
    let existing = visible_scenario(&txn, scope, id).await?;
    if existing.org_id.is_none() {
        return Err(StoreError::Conflict {
            field: "id",
            message: "shipped scenarios change through their files in scenarios/; save a copy under another id".into(),
        });
    }
    if existing.slug != scenario.id.as_str() {
        return Err(StoreError::Invalid {
            field: "id",
            message: format!(
                "the id of this scenario is `{}`; a different id is a different scenario",
                existing.slug
            ),
        });
    }
    let saved = add_version(&txn, existing, scenario, by).await?;
    txn.commit().await?;
    Ok(saved)
}

// ---------------------------------------------------------------- uploads

/// How long an upload waits for its import before it is purged.
const UPLOAD_TTL_HOURS: i64 = 24;

/// Keeps an uploaded spreadsheet for the mapping step; purges forgotten ones.
pub async fn stage_upload(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    file_name: &str,
    content: Vec<u8>,
) -> Result<Uuid, StoreError> {
    let now = Utc::now();
    scenario_upload::Entity::delete_many()
        .filter(scenario_upload::Column::CreatedAt.lt(now - Duration::hours(UPLOAD_TTL_HOURS)))
        .exec(db)
        .await?;
    let name: String = file_name.chars().take(255).collect();
    let id = Uuid::now_v7();
    scenario_upload::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        file_name: Set(name),
        content: Set(content),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// A staged upload of this user (another user's upload is not found).
pub async fn upload(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
) -> Result<scenario_upload::Model, StoreError> {
    scenario_upload::Entity::find_by_id(id)
        .filter(scenario_upload::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

pub async fn delete_upload(db: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    scenario_upload::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}
