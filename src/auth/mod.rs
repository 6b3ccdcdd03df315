//! Who is calling and what they may see: password hashing, browser sessions, API
//! tokens, login rate limits, and the extractors that turn a request into a
//! [`CurrentUser`] with its organisation [`Scope`].
//!
//! Scoping rule: administrators see everything; everyone else sees their own
//! organisation and its descendants (a ministry sees its units). Records outside the
//! scope answer 404, never 403, so that their existence does not leak.

pub mod password;
pub mod rate_limit;
pub mod secret;
pub mod session;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum_extra::extract::CookieJar;
use chrono::Utc;
use uuid::Uuid;

use crate::domain::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{self, Scope};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Bearer { token_id: Uuid },
    Session { id_hash: String },
}

/// The authenticated caller, with the organisations they may see.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub scope: Scope,
    pub via: Via,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Refuses callers whose role may not change the registry.
    pub fn require_registry_editor(&self) -> Result<(), AppError> {
        if self.user.role.may_edit_registry() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Computes the organisations a user may see.
pub async fn scope_of(state: &AppState, user: &User) -> Result<Scope, AppError> {
    if user.role == Role::Admin {
        return Ok(Scope::All);
    }
    Ok(Scope::Orgs(
        store::orgs::subtree(&state.db, user.org_id).await?,
    ))
}

/// Resolves the caller from a bearer token or the session cookie, if any.
/// `Ok(None)` means anonymous; a bearer token that is wrong is an error, not
/// anonymity, so that a script with a revoked token fails loudly.
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let now = Utc::now();
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthorized)?;
        let (token_id, user) = store::users::token_user(&state.db, &secret::sha256_hex(token), now)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let scope = scope_of(state, &user).await?;
        return Ok(Some(CurrentUser {
            user,
            scope,
            via: Via::Bearer { token_id },
        }));
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(cookie) = jar.get(session::SESSION_COOKIE) else {
        return Ok(None);
    };
    let id_hash = secret::sha256_hex(cookie.value());
    let Some(user) = store::users::session_user(&state.db, &id_hash, now).await? else {
        return Ok(None);
    };
    let scope = scope_of(state, &user).await?;
    Ok(Some(CurrentUser {
        user,
        scope,
        via: Via::Session { id_hash },
    }))
}

/// API extractor: 401 when anonymous. A browser calling the API with its session
/// cookie must echo the CSRF cookie in `X-CSRF-Token` for anything but reads.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = resolve(parts, state).await?.ok_or(AppError::Unauthorized)?;
        if matches!(user.via, Via::Session { .. })
            && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
            && !session::csrf_header_matches(&parts.headers)
        {
            return Err(AppError::Forbidden);
        }
        Ok(user)
    }
}
