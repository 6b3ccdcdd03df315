//! Tokens for scripts and the caller's identity.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{CurrentUser, Via, password, secret};
use crate::domain::Role;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store;
use crate::store::users::ApiToken;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_token, revoke_current_token))
        .routes(routes!(list_tokens))
        .routes(routes!(revoke_token))
        .routes(routes!(get_me))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// A name to recognise the token by in the list (e.g. "báo cáo tự động").
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// Shown once: only its hash is stored.
    pub token: String,
    pub id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// Exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth", security(()),
    request_body = TokenRequest,
    responses(
        (status = 201, body = TokenResponse),
        (status = 401, body = ErrorEnvelope, description = "wrong username or password"),
        (status = 429, body = ErrorEnvelope, description = "too many attempts"),
    ))]
pub async fn create_token(
    state: axum::extract::State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<TokenRequest>,
) -> AppResult<(StatusCode, Json<TokenResponse>)> {
    let user = login(&state, &req.username, &req.password, addr).await?;
    let label = req
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("api");
    if label.chars().count() > 100 {
        return Err(AppError::field(
            "label",
            "too_long",
            "must be at most 100 characters",
        ));
    }
    if label.contains(char::is_control) {
        return Err(AppError::field(
            "label",
            "invalid",
            "must not contain control characters",
        ));
    }
    let token = format!("cd_{}", secret::new_secret());
    let expires_at = Utc::now() + state.config.token_ttl;
    let stored = store::users::create_token(
        &state.db,
        user.id,
        secret::sha256_hex(&token),
        label,
        expires_at,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenResponse {
            token,
            id: stored.id,
            expires_at,
        }),
    ))
}

/// Checks a login attempt against the rate limits and the stored hash.
pub async fn login(
    state: &AppState,
    username: &str,
    password_text: &str,
    addr: SocketAddr,
) -> AppResult<store::users::User> {
    state
        .login_limiter
        .check(username, addr.ip())
        .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
    // No username holds control characters, and PostgreSQL refuses NUL in text: such
    // a name is a failed login, not a database error.
    if username.len() > 64
        || username.contains(char::is_control)
        || password_text.len() > password::MAX_LENGTH
    {
        return Err(AppError::Unauthorized);
    }
    let user = store::users::find_by_username(&state.db, username.trim())
        .await?
        .filter(|u| !u.disabled);
    let ok = password::verify(
        password_text.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match user {
        Some(u) if ok => Ok(u),
        _ => {
            tracing::info!(username = %username.trim(), addr = %addr.ip(), "failed login");
            Err(AppError::Unauthorized)
        }
    }
}

/// Revokes the token that authenticates this request.
#[utoipa::path(delete, path = "/api/v1/auth/token", tag = "auth",
    responses((status = 204), (status = 400, body = ErrorEnvelope, description = "not called with a bearer token")))]
pub async fn revoke_current_token(
    state: axum::extract::State<AppState>,
    me: CurrentUser,
) -> AppResult<StatusCode> {
    let Via::Bearer { token_id } = me.via else {
        return Err(AppError::BadRequest(
            "this request was not made with a bearer token".into(),
        ));
    };
    store::users::revoke_token(&state.db, me.user.id, token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's own tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(
    state: axum::extract::State<AppState>,
    me: CurrentUser,
) -> AppResult<Json<Vec<ApiToken>>> {
    Ok(Json(
        store::users::list_tokens(&state.db, me.user.id).await?,
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorEnvelope)))]
pub async fn revoke_token(
    state: axum::extract::State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ApiToken>> {
    Ok(Json(
        store::users::revoke_token(&state.db, me.user.id, id).await?,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub org_id: Uuid,
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorEnvelope)))]
pub async fn get_me(me: CurrentUser) -> Json<Me> {
    let u = me.user;
    Json(Me {
        id: u.id,
        username: u.username,
        full_name: u.full_name,
        role: u.role,
        org_id: u.org_id,
    })
}
