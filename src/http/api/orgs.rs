//! Organisations. Administrators create them anywhere; controllers may add units
//! below their own organisation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::registry::{NAME_MAX, double_option};
use crate::domain::{FieldErrors, Role, Sector};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::api::Paged;
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::store;
use crate::store::orgs::{NewOrg, Org, OrgChanges};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orgs, create_org))
        .routes(routes!(get_org, update_org))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgDraft {
    /// Short identifier: lower-case letters, digits and hyphens, 2–64 characters.
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    #[serde(default)]
    pub sector: Option<Sector>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Sector>)]
    pub sector: Option<Option<Sector>>,
}

pub fn check_slug(errors: &mut FieldErrors, slug: &str) {
    let ok = (2..=64).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if !ok {
        errors.add(
            "slug",
            "invalid",
            "use 2–64 lower-case letters, digits and hyphens",
        );
    }
}

pub fn check_org_name(errors: &mut FieldErrors, name: &str) {
    let n = name.trim().chars().count();
    if n == 0 {
        errors.add("name", "required", "must not be empty");
    } else if n > NAME_MAX {
        errors.add(
            "name",
            "too_long",
            format!("must be at most {NAME_MAX} characters"),
        );
    } else if name.contains(char::is_control) {
        errors.add("name", "invalid", "must not contain control characters");
    }
}

/// Organisations the caller may see.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "registry", responses((status = 200, body = Paged<Org>)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AppResult<Json<Paged<Org>>> {
    let items = store::orgs::list(&state.db, &me.scope).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// Creates an organisation (administrators anywhere; controllers below their own).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "registry", request_body = OrgDraft,
    responses((status = 201, body = Org), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_org(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(draft): ApiJson<OrgDraft>,
) -> AppResult<(StatusCode, Json<Org>)> {
    me.require_registry_editor()?;
    let mut errors = FieldErrors::new();
    check_slug(&mut errors, &draft.slug);
    check_org_name(&mut errors, &draft.name);
    match draft.parent_id {
        Some(p) if !me.scope.allows(p) => {
            errors.add("parent_id", "invalid_reference", "no such organisation")
        }
        None if me.role() != Role::Admin => errors.add(
            "parent_id",
            "required",
            "controllers add units below their organisation",
        ),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    if let Some(p) = draft.parent_id {
        store::orgs::get(&state.db, &me.scope, p)
            .await
            .map_err(|_| {
                AppError::field("parent_id", "invalid_reference", "no such organisation")
            })?;
    }
    let org = store::orgs::create(
        &state.db,
        NewOrg {
            slug: &draft.slug,
            name: draft.name.trim(),
            parent_id: draft.parent_id,
            sector: draft.sector,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(org)))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Org), (status = 404, body = ErrorEnvelope)))]
pub async fn get_org(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Org>> {
    Ok(Json(store::orgs::get(&state.db, &me.scope, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/orgs/{id}", tag = "registry", params(("id" = Uuid, Path)), request_body = OrgPatch,
    responses((status = 200, body = Org), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn update_org(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<OrgPatch>,
) -> AppResult<Json<Org>> {
    // Hide organisations outside the scope before judging the role or the input, as
    // the other registry handlers do: an outsider gets 404 whatever their role.
    store::orgs::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    let mut errors = FieldErrors::new();
    if let Some(name) = &patch.name {
        check_org_name(&mut errors, name);
    }
    if me.role() != Role::Admin {
        if patch.parent_id.is_some() && id == me.user.org_id {
            errors.add(
                "parent_id",
                "forbidden",
                "only an administrator can move your own organisation",
            );
        } else if matches!(patch.parent_id, Some(None)) {
            // A top-level organisation is outside every non-administrator's scope, so a
            // controller detaching a unit would lose it; only administrators may.
            errors.add(
                "parent_id",
                "required",
                "controllers keep units below their organisation",
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let changes = OrgChanges {
        name: patch.name.map(|n| n.trim().to_owned()),
        parent_id: patch.parent_id,
        sector: patch.sector,
    };
    Ok(Json(
        store::orgs::update(&state.db, &me.scope, id, changes).await?,
    ))
}
