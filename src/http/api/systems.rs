//! Information systems.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::registry::{SystemDraft, SystemPatch, validate_system};
use crate::domain::{Sector, SecurityLevel};
use crate::error::{AppResult, ErrorEnvelope};
use crate::http::api::{PageParams, Paged};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store;
use crate::store::systems::{System, SystemFilter};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_systems, create_system))
        .routes(routes!(get_system, update_system, delete_system))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SystemQuery {
    pub org_id: Option<Uuid>,
    #[param(value_type = Option<u8>, minimum = 1, maximum = 5)]
    pub level: Option<SecurityLevel>,
    /// Only systems of at least this level.
    #[param(value_type = Option<u8>, minimum = 1, maximum = 5)]
    pub min_level: Option<SecurityLevel>,
    pub sector: Option<Sector>,
    /// true: only systems with a stale playbook; false: only systems without one.
    pub stale: Option<bool>,
    /// Only level-3+ systems without a current playbook.
    #[serde(default)]
    pub lacking_playbook: bool,
    /// Part of the name.
    pub q: Option<String>,
}

/// Systems the caller may see, with filters.
#[utoipa::path(get, path = "/api/v1/systems", tag = "registry", params(SystemQuery, PageParams),
    responses((status = 200, body = Paged<System>), (status = 422, body = ErrorEnvelope)))]
pub async fn list_systems(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<SystemQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<System>>> {
    let filter = SystemFilter {
        org_id: query.org_id,
        level: query.level,
        min_level: query.min_level,
        sector: query.sector,
        stale: query.stale,
        lacking_playbook: query.lacking_playbook,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let (items, next_cursor) =
        store::systems::list(&state.db, &me.scope, &filter, page.page()).await?;
    Ok(Json(Paged { items, next_cursor }))
}

/// Registers a system. The owner defaults to the caller's organisation.
#[utoipa::path(post, path = "/api/v1/systems", tag = "registry", request_body = SystemDraft,
    responses((status = 201, body = System), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_system(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(draft): ApiJson<SystemDraft>,
) -> AppResult<(StatusCode, Json<System>)> {
    me.require_registry_editor()?;
    let draft = validate_system(draft, vietnam_date(Utc::now()))?;
    let org_id = draft.org_id.unwrap_or(me.user.org_id);
    let system = store::systems::create(&state.db, &me.scope, org_id, &draft).await?;
    Ok((StatusCode::CREATED, Json(system)))
}

#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = System), (status = 404, body = ErrorEnvelope)))]
pub async fn get_system(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<System>> {
    Ok(Json(store::systems::get(&state.db, &me.scope, id).await?))
}

/// Changes some fields; the result is validated as a whole before anything is written.
#[utoipa::path(patch, path = "/api/v1/systems/{id}", tag = "registry", params(("id" = Uuid, Path)), request_body = SystemPatch,
    responses((status = 200, body = System), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn update_system(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<SystemPatch>,
) -> AppResult<Json<System>> {
    let current = store::systems::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    let draft = validate_system(patch.apply(current.to_draft()), vietnam_date(Utc::now()))?;
    Ok(Json(
        store::systems::update(&state.db, &me.scope, id, &draft).await?,
    ))
}

/// Removes a system with its playbooks.
#[utoipa::path(delete, path = "/api/v1/systems/{id}", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete_system(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    store::systems::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    store::systems::delete(&state.db, &me.scope, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
