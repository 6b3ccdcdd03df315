//! `GET /api/v1/maturity/export`: the annual maturity of `GET /api/v1/maturity` as a
//! file (CSV, XLSX, JSON or PDF), with its content SHA-256 in `X-Content-SHA256`.
//! What each format holds and what the hash covers: `docs/exports.md`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::export::from_maturity;
use crate::export::maturity::{self, Format, MaturityExport, OrgRef};
use crate::http::api::maturity::validate_year;
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::store::{self, Scope};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_maturity))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The year (Vietnam calendar), 2000 to next year.
    pub year: i64,
    pub format: Format,
    /// One organisation (and its units); the caller's own organisation when absent.
    pub org_id: Option<Uuid>,
}

/// Builds the export of `year` for the teams in `scope` (of `org`, when given).
/// `organisation` is what the header names.
pub async fn build<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    org_filter: Option<Uuid>,
    organisation: OrgRef,
    year: i32,
    generated_by: String,
    now: DateTime<Utc>,
) -> Result<MaturityExport, AppError> {
    let annual =
        store::maturity::annual(db, scope, org_filter, year, vietnam_date(now), now).await?;
    // The framework the results were computed with (the newest when teams differ, the
    // active one for a year without results); each team's trend names its own.
    let framework = match annual
        .teams
        .iter()
        .map(|t| (&t.framework.id, t.framework.version))
        .max_by_key(|(_, v)| *v)
    {
        Some((id, version)) => store::maturity::framework(db, id, version).await?,
        None => store::maturity::active_framework(db).await?,
    };
    let content = from_maturity::content(year, organisation, &framework, &annual.teams);
    Ok(MaturityExport::new(content, now, generated_by))
}

/// The annual maturity export. A year without records gives an empty but valid file;
/// a year outside 2000 to next year is 422 naming `year`, an unknown format 422 naming
/// `format`.
#[utoipa::path(get, path = "/api/v1/maturity/export", tag = "maturity", params(ExportQuery),
    responses(
        (status = 200, description = "The file, with Content-Disposition: attachment and X-Content-SHA256",
            content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (MaturityExport = "application/json"), (Vec<u8> = "application/pdf"))),
        (status = 404, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope)))]
pub async fn export_maturity(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let now = Utc::now();
    let year = validate_year(q.year, vietnam_date(now), "year")?;
    let org_id = q.org_id.unwrap_or(me.user.org_id);
    let org = store::orgs::get(&state.db, &me.scope, org_id).await?;
    let organisation = OrgRef {
        id: org.id,
        slug: org.slug.clone(),
        name: org.name.clone(),
    };
    let export = build(
        &state.db,
        &me.scope,
        Some(org_id),
        organisation,
        year,
        me.user.username.clone(),
        now,
    )
    .await?;
    let bytes = maturity::write(&export, q.format)?;
    let name = format!("maturity-{}-{year}.{}", org.slug, q.format.extension());
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(q.format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&export.content_sha256) {
        headers.insert("x-content-sha256", v);
    }
    Ok(response)
}
