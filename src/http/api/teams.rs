//! Response teams and their members.

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
use crate::domain::Side;
use crate::domain::registry::{
    MemberDraft, MemberPatch, TeamDraft, TeamPatch, validate_member, validate_team,
};
use crate::error::{AppResult, ErrorEnvelope};
use crate::http::api::{PageParams, Paged};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store;
use crate::store::teams::{Member, Team, TeamFilter};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(get_team, update_team))
        .routes(routes!(list_members, add_member))
        .routes(routes!(get_member, update_member, delete_member))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    pub org_id: Option<Uuid>,
    pub side: Option<Side>,
    /// Only teams below the minimum of five qualified experts.
    #[serde(default)]
    pub below_minimum: bool,
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "registry", params(TeamQuery, PageParams),
    responses((status = 200, body = Paged<Team>), (status = 422, body = ErrorEnvelope)))]
pub async fn list_teams(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<TeamQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Team>>> {
    let filter = TeamFilter {
        org_id: query.org_id,
        side: query.side,
        below_minimum: query.below_minimum,
        q: query.q.filter(|q| !q.trim().is_empty()),
    };
    let today = vietnam_date(Utc::now());
    let (items, next_cursor) =
        store::teams::list(&state.db, &me.scope, &filter, page.page(), today).await?;
    Ok(Json(Paged { items, next_cursor }))
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "registry", request_body = TeamDraft,
    responses((status = 201, body = Team), (status = 403, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_team(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(draft): ApiJson<TeamDraft>,
) -> AppResult<(StatusCode, Json<Team>)> {
    me.require_registry_editor()?;
    let draft = validate_team(draft, vietnam_date(Utc::now()))?;
    let org_id = draft.org_id.unwrap_or(me.user.org_id);
    let team = store::teams::create(&state.db, &me.scope, org_id, &draft).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorEnvelope)))]
pub async fn get_team(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Team>> {
    Ok(Json(
        store::teams::get(&state.db, &me.scope, id, vietnam_date(Utc::now())).await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "registry", params(("id" = Uuid, Path)), request_body = TeamPatch,
    responses((status = 200, body = Team), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn update_team(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<TeamPatch>,
) -> AppResult<Json<Team>> {
    let today = vietnam_date(Utc::now());
    let current = store::teams::get(&state.db, &me.scope, id, today).await?;
    me.require_registry_editor()?;
    let draft = validate_team(patch.apply(current.to_draft()), today)?;
    Ok(Json(
        store::teams::update(&state.db, &me.scope, id, &draft, today).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}/members", tag = "registry", params(("id" = Uuid, Path)),
    responses((status = 200, body = Paged<Member>), (status = 404, body = ErrorEnvelope)))]
pub async fn list_members(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Paged<Member>>> {
    let items = store::teams::members(&state.db, &me.scope, id, vietnam_date(Utc::now())).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// Adds a member. A linked user account must belong to the team's organisation.
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "registry", params(("id" = Uuid, Path)), request_body = MemberDraft,
    responses((status = 201, body = Member), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn add_member(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(draft): ApiJson<MemberDraft>,
) -> AppResult<(StatusCode, Json<Member>)> {
    let today = vietnam_date(Utc::now());
    store::teams::get(&state.db, &me.scope, id, today).await?;
    me.require_registry_editor()?;
    let draft = validate_member(draft)?;
    let member = store::teams::add_member(&state.db, &me.scope, id, &draft, today).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

#[utoipa::path(get, path = "/api/v1/teams/{id}/members/{member_id}", tag = "registry",
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)),
    responses((status = 200, body = Member), (status = 404, body = ErrorEnvelope)))]
pub async fn get_member(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, member_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<Member>> {
    Ok(Json(
        store::teams::get_member(
            &state.db,
            &me.scope,
            id,
            member_id,
            vietnam_date(Utc::now()),
        )
        .await?,
    ))
}

#[utoipa::path(patch, path = "/api/v1/teams/{id}/members/{member_id}", tag = "registry",
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)), request_body = MemberPatch,
    responses((status = 200, body = Member), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn update_member(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, member_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(patch): ApiJson<MemberPatch>,
) -> AppResult<Json<Member>> {
    let today = vietnam_date(Utc::now());
    let current = store::teams::get_member(&state.db, &me.scope, id, member_id, today).await?;
    me.require_registry_editor()?;
    let draft = validate_member(patch.apply(current.to_draft()))?;
    Ok(Json(
        store::teams::update_member(&state.db, &me.scope, id, member_id, &draft, today).await?,
    ))
}

#[utoipa::path(delete, path = "/api/v1/teams/{id}/members/{member_id}", tag = "registry",
    params(("id" = Uuid, Path), ("member_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = ErrorEnvelope)))]
pub async fn delete_member(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, member_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<StatusCode> {
    store::teams::get_member(
        &state.db,
        &me.scope,
        id,
        member_id,
        vietnam_date(Utc::now()),
    )
    .await?;
    me.require_registry_editor()?;
    store::teams::delete_member(&state.db, &me.scope, id, member_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
