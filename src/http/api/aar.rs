//! The after-action report (HSEEP AAR/IP) of a drill: read it as JSON, HTML or PDF;
//! controllers and evaluators add strengths, areas for improvement and corrective
//! actions, and complete actions (which opens a new version of the linked playbook
//! for review).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::{FieldErrors, Role};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::store::after_action::{
    self, AfterActionReport, CorrectiveAction, NewAction, Observation, ObservationKind,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_aar))
        .routes(routes!(add_observation))
        .routes(routes!(add_action))
        .routes(routes!(complete_action))
}

/// Controllers (Ban tổ chức) and evaluators (Ban giám khảo) write the report.
pub fn require_aar_editor(me: &CurrentUser) -> AppResult<()> {
    if matches!(me.role(), Role::Admin | Role::Controller | Role::Evaluator) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum AarFormat {
    #[default]
    Json,
    Html,
    Pdf,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AarQuery {
    /// `json` (default), `html` or `pdf`.
    pub format: Option<AarFormat>,
}

/// The organisation's name for the report's header.
pub async fn organisation_name(state: &AppState, org_id: Uuid) -> String {
    crate::store::orgs::get(&state.db, &crate::store::Scope::All, org_id)
        .await
        .map(|o| o.name)
        .unwrap_or_default()
}

fn download(content_type: &'static str, name: String, bytes: Vec<u8>) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// The report. `html` is a standalone document (styles inline, no scripts); `pdf`
/// embeds its font.
#[utoipa::path(get, path = "/api/v1/drills/{id}/aar", tag = "after-action",
    params(("id" = Uuid, Path), AarQuery),
    responses(
        (status = 200, body = AfterActionReport, content((AfterActionReport = "application/json"), (String = "text/html"), (Vec<u8> = "application/pdf"))),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "Unknown format", body = ErrorEnvelope)))]
pub async fn get_aar(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<AarQuery>,
) -> AppResult<Response> {
    let report = after_action::report(&state.db, &me.scope, id).await?;
    let now = Utc::now();
    let name = format!("aar-{id}");
    Ok(match q.format.unwrap_or_default() {
        AarFormat::Json => Json(report).into_response(),
        AarFormat::Html => {
            let org = organisation_name(&state, report.drill.org_id).await;
            let html = crate::http::pages::aar::standalone_html(
                &state,
                &report,
                &org,
                now,
                &me.user.username,
            )?;
            download(
                "text/html; charset=utf-8",
                format!("{name}.html"),
                html.into_bytes(),
            )
        }
        AarFormat::Pdf => {
            let org = organisation_name(&state, report.drill.org_id).await;
            let bytes = crate::export::aar::to_pdf(&report, &org, now, &me.user.username)?;
            download("application/pdf", format!("{name}.pdf"), bytes)
        }
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewObservation {
    pub kind: ObservationKind,
    /// 1–2000 characters.
    pub text: String,
}

pub fn check_text(errors: &mut FieldErrors, field: &str, text: &str, max: usize) -> String {
    let t = text.trim().to_owned();
    if t.is_empty() || t.chars().count() > max {
        errors.add(field, "invalid", format!("must be 1–{max} characters"));
    }
    t
}

#[utoipa::path(post, path = "/api/v1/drills/{id}/aar/observations", tag = "after-action",
    params(("id" = Uuid, Path)), request_body = NewObservation,
    responses((status = 201, body = Observation), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn add_observation(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewObservation>,
) -> AppResult<(StatusCode, Json<Observation>)> {
    require_aar_editor(&me)?;
    let mut errors = FieldErrors::new();
    let text = check_text(&mut errors, "text", &req.text, 2000);
    errors.into_result(())?;
    let saved = after_action::add_observation(
        &state.db,
        &me.scope,
        id,
        req.kind,
        &text,
        me.user.id,
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCorrectiveAction {
    /// What will be done, 1–2000 characters.
    pub action: String,
    /// Who answers for it, 1–200 characters.
    pub owner: String,
    pub due_on: NaiveDate,
    /// The area for improvement it answers.
    pub observation_id: Option<Uuid>,
    /// The playbook it should change.
    pub playbook_id: Option<Uuid>,
}

pub fn validate_action(req: &NewCorrectiveAction) -> Result<NewAction, FieldErrors> {
    let mut errors = FieldErrors::new();
    let action = check_text(&mut errors, "action", &req.action, 2000);
    let owner = check_text(&mut errors, "owner", &req.owner, 200);
    errors.into_result(())?;
    Ok(NewAction {
        observation_id: req.observation_id,
        action,
        owner,
        due_on: req.due_on,
        playbook_id: req.playbook_id,
    })
}

#[utoipa::path(post, path = "/api/v1/drills/{id}/aar/actions", tag = "after-action",
    params(("id" = Uuid, Path)), request_body = NewCorrectiveAction,
    responses((status = 201, body = CorrectiveAction), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn add_action(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<NewCorrectiveAction>,
) -> AppResult<(StatusCode, Json<CorrectiveAction>)> {
    require_aar_editor(&me)?;
    let new = validate_action(&req)?;
    let saved =
        after_action::add_action(&state.db, &me.scope, id, &new, me.user.id, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Marks the action done; when it names a playbook, a new version of that playbook is
/// opened for review (approval and review dates cleared) in the same transaction, and
/// its number is returned in `playbook_version`. 409 when already done.
#[utoipa::path(post, path = "/api/v1/drills/{id}/aar/actions/{action_id}/complete", tag = "after-action",
    params(("id" = Uuid, Path), ("action_id" = Uuid, Path)),
    responses((status = 200, body = CorrectiveAction), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn complete_action(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, action_id)): ApiPath<(Uuid, Uuid)>,
) -> AppResult<Json<CorrectiveAction>> {
    require_aar_editor(&me)?;
    let done =
        after_action::complete_action(&state.db, &me.scope, id, action_id, me.user.id, Utc::now())
            .await?;
    Ok(Json(done))
}
