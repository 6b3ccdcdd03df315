//! Per-system playbooks and their version history.

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
use crate::domain::IncidentCategory;
use crate::domain::registry::{PlaybookDraft, validate_playbook};
use crate::error::{AppResult, ErrorEnvelope};
use crate::http::api::Paged;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store;
use crate::store::playbooks::{Playbook, PlaybookFilter, PlaybookVersion};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_playbooks))
        .routes(routes!(list_system_playbooks, create_playbook))
        .routes(routes!(get_playbook, put_playbook))
        .routes(routes!(list_playbook_versions))
        .routes(routes!(get_playbook_version))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaybookQuery {
    pub org_id: Option<Uuid>,
    pub system_id: Option<Uuid>,
    pub category: Option<IncidentCategory>,
    /// true: only stale playbooks; false: only current ones.
    pub stale: Option<bool>,
}

/// Every playbook in scope (current versions), with filters.
#[utoipa::path(get, path = "/api/v1/playbooks", tag = "registry", params(PlaybookQuery),
    responses((status = 200, body = Paged<Playbook>), (status = 422, body = ErrorEnvelope)))]
pub async fn list_playbooks(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<PlaybookQuery>,
) -> AppResult<Json<Paged<Playbook>>> {
    let filter = PlaybookFilter {
        system_id: q.system_id,
        org_id: q.org_id,
        category: q.category,
        stale: q.stale,
    };
    let items = store::playbooks::list(&state.db, &me.scope, &filter).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/v1/systems/{id}/playbooks", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Paged<Playbook>), (status = 404, body = ErrorEnvelope)))]
pub async fn list_system_playbooks(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Paged<Playbook>>> {
    store::systems::get(&state.db, &me.scope, id).await?;
    let filter = PlaybookFilter {
        system_id: Some(id),
        ..Default::default()
    };
    let items = store::playbooks::list(&state.db, &me.scope, &filter).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// Creates a system's playbook for one incident category (version 1).
#[utoipa::path(post, path = "/api/v1/systems/{id}/playbooks", tag = "registry", params(("id" = Uuid, Path)), request_body = PlaybookDraft,
    responses((status = 201, body = Playbook), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_playbook(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(draft): ApiJson<PlaybookDraft>,
) -> AppResult<(StatusCode, Json<Playbook>)> {
    store::systems::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    let draft = validate_playbook(draft, vietnam_date(Utc::now()))?;
    let book = store::playbooks::create(&state.db, &me.scope, id, &draft, Some(me.user.id)).await?;
    Ok((StatusCode::CREATED, Json(book)))
}

/// The version in force.
#[utoipa::path(get, path = "/api/v1/playbooks/{id}", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Playbook), (status = 404, body = ErrorEnvelope)))]
pub async fn get_playbook(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Playbook>> {
    Ok(Json(store::playbooks::get(&state.db, &me.scope, id).await?))
}

/// Stores a new version (the whole playbook); earlier versions stay readable.
#[utoipa::path(put, path = "/api/v1/playbooks/{id}", tag = "registry", params(("id" = Uuid, Path)), request_body = PlaybookDraft,
    responses((status = 200, body = Playbook), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn put_playbook(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(draft): ApiJson<PlaybookDraft>,
) -> AppResult<Json<Playbook>> {
    store::playbooks::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    let draft = validate_playbook(draft, vietnam_date(Utc::now()))?;
    Ok(Json(
        store::playbooks::save_version(&state.db, &me.scope, id, &draft, Some(me.user.id)).await?,
    ))
}

/// Every version, newest first.
#[utoipa::path(get, path = "/api/v1/playbooks/{id}/versions", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Paged<PlaybookVersion>), (status = 404, body = ErrorEnvelope)))]
pub async fn list_playbook_versions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Paged<PlaybookVersion>>> {
    let items = store::playbooks::versions(&state.db, &me.scope, id).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(get, path = "/api/v1/playbooks/{id}/versions/{version}", tag = "registry",
    params(("id" = Uuid, Path), ("version" = i32, Path)),
    responses((status = 200, body = PlaybookVersion), (status = 404, body = ErrorEnvelope)))]
pub async fn get_playbook_version(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, version)): ApiPath<(Uuid, i32)>,
) -> AppResult<Json<PlaybookVersion>> {
    Ok(Json(
        store::playbooks::version(&state.db, &me.scope, id, version).await?,
    ))
}
