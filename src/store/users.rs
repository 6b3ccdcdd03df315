//! Users, browser sessions and API tokens. Secrets are stored only as SHA-256 hashes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::StoreError;
use crate::domain::Role;
use crate::entities::{api_token, session, user};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub org_id: Uuid,
    #[serde(skip)]
    pub disabled: bool,
    #[serde(skip)]
    pub password_hash: String,
}

impl TryFrom<user::Model> for User {
    type Error = sea_orm::DbErr;
    fn try_from(m: user::Model) -> Result<Self, Self::Error> {
        Ok(User {
            id: m.id,
            username: m.username,
            full_name: m.full_name,
            role: super::from_code(&m.role)?,
            org_id: m.org_id,
            disabled: m.disabled,
            password_hash: m.password_hash,
        })
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub org_id: Uuid,
}

pub async fn create(db: &impl ConnectionTrait, new: NewUser<'_>) -> Result<User, StoreError> {
    if find_by_username(db, new.username).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "username",
            message: "is already taken".into(),
        });
    }
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username.to_owned()),
        full_name: Set(new.full_name.to_owned()),
        password_hash: Set(new.password_hash.to_owned()),
        role: Set(new.role.code().to_owned()),
        org_id: Set(new.org_id),
        disabled: Set(false),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::unique_as(e, "username", "is already taken"))?;
    Ok(User::try_from(model)?)
}

pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<User>, StoreError> {
    let m = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await?;
    Ok(m.map(User::try_from).transpose()?)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>, StoreError> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(User::try_from)
        .transpose()?)
}

/// Users of the given organisations, for pickers (e.g. linking a team member).
pub async fn list_in_orgs(
    db: &impl ConnectionTrait,
    org_ids: &[Uuid],
) -> Result<Vec<User>, StoreError> {
    let rows = user::Entity::find()
        .filter(user::Column::OrgId.is_in(org_ids.to_vec()))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<_, _>>()?)
}

// ------------------------------------------------------------ sessions

pub async fn create_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id_hash: String,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    session::ActiveModel {
        id_hash: Set(id_hash),
        user_id: Set(user_id),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The user of a live session, if the session exists, has not expired and the user
/// is not disabled.
pub async fn session_user(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    let Some(s) = session::Entity::find_by_id(id_hash.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= now {
        session::Entity::delete_by_id(s.id_hash).exec(db).await?;
        return Ok(None);
    }
    Ok(get(db, s.user_id).await?.filter(|u| !u.disabled))
}

pub async fn delete_session(db: &impl ConnectionTrait, id_hash: &str) -> Result<(), StoreError> {
    session::Entity::delete_by_id(id_hash.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

// ------------------------------------------------------------ API tokens

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        ApiToken {
            id: m.id,
            label: m.label,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
        }
    }
}

pub async fn create_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    token_hash: String,
    label: &str,
    expires_at: DateTime<Utc>,
) -> Result<ApiToken, StoreError> {
    let m = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        label: Set(label.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(m.into())
}

/// The token's id and user, if the token is live.
pub async fn token_user(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, User)>, StoreError> {
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if t.revoked_at.is_some() || t.expires_at <= now {
        return Ok(None);
    }
    Ok(get(db, t.user_id)
        .await?
        .filter(|u| !u.disabled)
        .map(|u| (t.id, u)))
}

pub async fn list_tokens(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<ApiToken>, StoreError> {
    let rows = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ApiToken::from).collect())
}

/// Revokes one of the user's tokens. Revoking twice is harmless; another user's
/// token is "not found".
pub async fn revoke_token(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    token_id: Uuid,
) -> Result<ApiToken, StoreError> {
    let t = api_token::Entity::find_by_id(token_id)
        .one(db)
        .await?
        .filter(|t| t.user_id == user_id)
        .ok_or(StoreError::NotFound)?;
    if t.revoked_at.is_some() {
        return Ok(t.into());
    }
    let mut active: api_token::ActiveModel = t.into();
    active.revoked_at = Set(Some(Utc::now()));
    Ok(active.update(db).await?.into())
}
