//! Files attached to a team's capability self-assessment: the decision that founded
//! the team, certificates, procedures… one parameter per file.
//!
//! `POST /api/v1/teams/{id}/assessments/{year}/evidence` (multipart: `parameter`, the
//! framework parameter's code, and `file`, at most 20 MB) stores the file exactly as
//! drill evidence is stored (streamed, SHA-256, type sniffed, synced before the row);
//! `GET …/evidence` lists the year's files and `GET …/evidence/{evidence_id}` downloads
//! one, always as an attachment. Who may attach is who may assess
//! (`maturity::may_assess`); anyone who sees the team may read.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::evidence::{
    EvidenceUpload, MAX_EVIDENCE_BYTES, StagedFile, check_declared_length, file_response,
    multipart_of, receive,
};
use super::maturity::{may_assess, validate_year};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::ApiPath;
use crate::state::AppState;
use crate::store;
use crate::store::maturity::{AssessmentEvidence, NewAssessmentEvidence};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_assessment_evidence))
        .layer(DefaultBodyLimit::max(MAX_EVIDENCE_BYTES + 64 * 1024))
        .routes(routes!(list_assessment_evidence))
        .routes(routes!(download_assessment_evidence))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentEvidenceList {
    pub items: Vec<AssessmentEvidence>,
}

/// Attaches a file to one parameter of the team's assessment for the year (multipart
/// parts `parameter` and `file`). 201 with the file's metadata. 422 naming `parameter`
/// when it is not a parameter of the framework the assessment is checked against, and
/// on `file` when an image name or type hides something else; 413 over 20 MB; 403 for
/// who may not assess the team.
#[utoipa::path(post, path = "/api/v1/teams/{id}/assessments/{year}/evidence", tag = "maturity",
    params(("id" = Uuid, Path), ("year" = i64, Path)),
    request_body(content = EvidenceUpload, content_type = "multipart/form-data",
        description = "`parameter` (the parameter's code, e.g. O-1) and `file`"),
    responses((status = 201, body = AssessmentEvidence), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn upload_assessment_evidence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, year)): ApiPath<(Uuid, i64)>,
    req: Request,
) -> AppResult<(StatusCode, Json<AssessmentEvidence>)> {
    let received = receive_upload(&state, &me, id, year, req).await?;
    let saved = record(&state, &me, id, received).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// An upload received (the file staged, not yet stored under its hash), not yet
/// recorded.
pub struct Received {
    year: i32,
    file: StagedFile,
    /// The other parts of the form (`parameter`, a page's `_csrf`).
    pub texts: BTreeMap<String, String>,
}

/// Checks who may attach, then receives the file; [`record`] checks the parameter and
/// writes the row. Split so that the assessment page checks its CSRF token in between.
pub async fn receive_upload(
    state: &AppState,
    me: &CurrentUser,
    team_id: Uuid,
    year: i64,
    req: Request,
) -> Result<Received, AppError> {
    let year = validate_year(year, vietnam_date(Utc::now()), "year")?;
    // 404 before 403: a team out of scope is not revealed.
    store::maturity::get_assessment(&state.db, &me.scope, team_id, year).await?;
    if !may_assess(state, me, team_id).await? {
        return Err(AppError::Forbidden);
    }
    check_declared_length(req.headers())?;
    let multipart = multipart_of(req, state).await?;
    let (file, texts) = receive(&state.config.evidence_dir, multipart).await?;
    Ok(Received { year, file, texts })
}

/// Records a received file against its `parameter`, which must be a parameter of the
/// framework the team's assessment of that year is checked against.
pub async fn record(
    state: &AppState,
    me: &CurrentUser,
    team_id: Uuid,
    received: Received,
) -> Result<AssessmentEvidence, AppError> {
    let Received { year, file, texts } = received;
    // `file` waits in the temporary directory; it is stored only once the request is
    // found valid, so a refusal leaves nothing behind.
    let existing = store::maturity::get_assessment(&state.db, &me.scope, team_id, year).await?;
    let framework = match &existing {
        Some(a) => {
            store::maturity::framework(&state.db, &a.framework.id, a.framework.version).await?
        }
        None => store::maturity::active_framework(&state.db).await?,
    };
    let parameter = texts
        .get("parameter")
        .map(|p| p.trim().to_owned())
        .unwrap_or_default();
    if parameter.is_empty() {
        return Err(AppError::field(
            "parameter",
            "required",
            "name the parameter the file supports (e.g. O-1)",
        ));
    }
    if !framework.parameters.iter().any(|p| p.code == parameter) {
        return Err(AppError::field(
            "parameter",
            "unknown",
            format!(
                "{parameter} is not a parameter of {} v{}",
                framework.id, framework.version
            ),
        ));
    }
    let file = file.store().await?;
    Ok(store::maturity::add_assessment_evidence(
        &state.db,
        &me.scope,
        team_id,
        year,
        &NewAssessmentEvidence {
            parameter,
            sha256: file.sha256,
            size: file.size,
            content_type: file.content_type,
            filename: file.filename,
            uploaded_by: me.user.id,
        },
        Utc::now(),
    )
    .await?)
}

/// The files attached to the team's assessment for the year, oldest first.
#[utoipa::path(get, path = "/api/v1/teams/{id}/assessments/{year}/evidence", tag = "maturity",
    params(("id" = Uuid, Path), ("year" = i64, Path)),
    responses((status = 200, body = AssessmentEvidenceList), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn list_assessment_evidence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, year)): ApiPath<(Uuid, i64)>,
) -> AppResult<Json<AssessmentEvidenceList>> {
    let year = validate_year(year, vietnam_date(Utc::now()), "year")?;
    let items = store::maturity::list_assessment_evidence(&state.db, &me.scope, id, year).await?;
    Ok(Json(AssessmentEvidenceList { items }))
}

/// Downloads an attached file, as an attachment (never rendered as a page).
#[utoipa::path(get, path = "/api/v1/teams/{id}/assessments/{year}/evidence/{evidence_id}", tag = "maturity",
    params(("id" = Uuid, Path), ("year" = i64, Path), ("evidence_id" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 404, body = ErrorEnvelope)))]
pub async fn download_assessment_evidence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, year, evidence_id)): ApiPath<(Uuid, i64, Uuid)>,
) -> AppResult<Response> {
    let year = validate_year(year, vietnam_date(Utc::now()), "year")?;
    let row =
        store::maturity::assessment_evidence(&state.db, &me.scope, id, year, evidence_id).await?;
    file_response(
        &state.config.evidence_dir,
        &row.sha256,
        &row.content_type,
        row.size,
        &row.filename,
    )
    .await
}
