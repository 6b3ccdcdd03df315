//! Annual maturity, the competency frameworks and the capability assessments.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::{FieldErrors, Role};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::maturity::{AssessmentMethod, Framework, FrameworkErrors, TeamMaturity};
use crate::state::AppState;
use crate::store;
use crate::store::maturity::{
    Assessment, AssessmentWrite, FrameworkKey, FrameworkVersion, FrozenScorecard, ParameterLevel,
    TeamName,
};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_maturity))
        .routes(routes!(list_frameworks, load_framework))
        .routes(routes!(get_assessment, put_assessment))
        .routes(routes!(get_final_scorecards))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FinalScorecards {
    pub drill_id: Uuid,
    /// One per blue team; empty until the drill ends.
    pub items: Vec<FrozenScorecard>,
    pub next_cursor: Option<Uuid>,
}

/// The final scorecards of an ended drill: each blue team's KPI measurements, their
/// normalised values and the drill score, frozen with the head of the event log (and
/// frozen again at the new head when the judges rule after the end), with the
/// framework they were computed with. Staff only: blue teams read their own times on
/// `GET …/scorecard`.
#[utoipa::path(get, path = "/api/v1/drills/{id}/scorecard/final", tag = "maturity", params(("id" = Uuid, Path)),
    responses((status = 200, body = FinalScorecards), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn get_final_scorecards(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<FinalScorecards>> {
    let items = store::maturity::final_scorecards(&state.db, &me.scope, id).await?;
    if !matches!(
        me.role(),
        Role::Admin | Role::Controller | Role::Evaluator | Role::Observer
    ) {
        return Err(AppError::Forbidden);
    }
    Ok(Json(FinalScorecards {
        drill_id: id,
        items,
        next_cursor: None,
    }))
}

/// The first year the product scores (drills and assessments before it are not kept).
pub const FIRST_YEAR: i32 = 2000;

/// A year to score: from 2000 to next year (in Vietnam time); else 422 naming `field`.
pub fn validate_year(year: i64, today: NaiveDate, field: &str) -> Result<i32, AppError> {
    let last = today.year() + 1;
    if year < FIRST_YEAR as i64 || year > last as i64 {
        return Err(AppError::field(
            field,
            "out_of_range",
            format!("must be a year from {FIRST_YEAR} to {last}"),
        ));
    }
    Ok(year as i32)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MaturityQuery {
    /// The year (Vietnam calendar), 2000 to next year.
    pub year: i64,
    /// Only the teams of this organisation and its units (it must be in the caller's
    /// scope).
    pub org_id: Option<Uuid>,
}

/// A year's maturity of the blue teams in scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaturityList {
    pub year: i32,
    /// One item per team with records that year (an assessment or an ended drill).
    pub items: Vec<TeamMaturity>,
    /// Blue teams with no record that year: listed, not scored.
    pub teams_without_records: Vec<TeamName>,
    pub next_cursor: Option<Uuid>,
}

/// The annual maturity of every blue team in scope: level (1–5), score (0–100),
/// dimensions, KPIs, the drills drawn on (with their log head hashes), the gates that
/// held the level back, the framework it was computed with and the trend. A year keeps
/// the framework it was first scored with; new years use the active framework.
#[utoipa::path(get, path = "/api/v1/maturity", tag = "maturity", params(MaturityQuery),
    responses((status = 200, body = MaturityList), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn get_maturity(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<MaturityQuery>,
) -> AppResult<Json<MaturityList>> {
    let now = Utc::now();
    let today = vietnam_date(now);
    let year = validate_year(query.year, today, "year")?;
    if let Some(org) = query.org_id {
        store::orgs::get(&state.db, &me.scope, org).await?;
    }
    let annual =
        store::maturity::annual(&state.db, &me.scope, query.org_id, year, today, now).await?;
    Ok(Json(MaturityList {
        year,
        items: annual.teams,
        teams_without_records: annual.teams_without_records,
        next_cursor: None,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkList {
    pub items: Vec<FrameworkVersion>,
    pub next_cursor: Option<Uuid>,
}

/// The framework versions loaded; `active` marks the one new years are scored with.
#[utoipa::path(get, path = "/api/v1/maturity/frameworks", tag = "maturity",
    responses((status = 200, body = FrameworkList)))]
pub async fn list_frameworks(
    State(state): State<AppState>,
    _me: CurrentUser,
) -> AppResult<Json<FrameworkList>> {
    Ok(Json(FrameworkList {
        items: store::maturity::list_frameworks(&state.db).await?,
        next_cursor: None,
    }))
}

/// Upper bound of a framework file.
const MAX_FRAMEWORK_BYTES: usize = 1024 * 1024;

/// Turns a framework's problems into the error envelope, one field per place.
pub fn framework_errors(e: FrameworkErrors) -> AppError {
    let mut fields = FieldErrors::new();
    for p in e.0 {
        fields.add(p.place, "invalid_framework", p.message);
    }
    AppError::Validation(fields)
}

/// Loads a framework file (TOML, the format of `src/maturity/frameworks/vn-irt-v1.toml`)
/// and makes it the active framework. Administrators only. An invalid file → 422 with
/// every problem named by its place; nothing is stored. The same id and version with a
/// different text → 409.
#[utoipa::path(post, path = "/api/v1/maturity/frameworks", tag = "maturity",
    request_body(description = "A framework file", content((String = "application/toml"))),
    responses((status = 201, body = FrameworkVersion), (status = 403, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn load_framework(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> AppResult<(StatusCode, Json<FrameworkVersion>)> {
    me.require_admin()?;
    let bytes = axum::body::to_bytes(req.into_body(), MAX_FRAMEWORK_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| AppError::BadRequest("the framework file must be UTF-8".into()))?;
    let framework = Framework::parse(text).map_err(framework_errors)?;
    let stored =
        store::maturity::load_framework(&state.db, &framework, text, Some(me.user.id), Utc::now())
            .await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// An assessment as sent by a client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessmentDraft {
    /// `self`, `peer` or `external_audit`.
    pub method: String,
    /// Who assessed (person, or organisation for a peer review or an audit).
    pub assessor: String,
    #[serde(default)]
    pub assessed_on: Option<NaiveDate>,
    /// Each parameter's level on the framework's scale (SIM3: 0–4) with evidence
    /// notes. Parameters left out count as 0.
    pub parameters: Vec<ParameterDraft>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParameterDraft {
    pub code: String,
    pub level: i64,
    #[serde(default)]
    pub evidence: String,
}

/// Checks an assessment against a framework. Problems are keyed by the parameter's
/// code (`parameters.O-1.level`) so that the message names it.
pub fn validate_assessment(
    draft: AssessmentDraft,
    framework: &Framework,
) -> Result<AssessmentWrite, FieldErrors> {
    let mut errors = FieldErrors::new();
    let method = AssessmentMethod::parse(draft.method.trim());
    if method.is_none() {
        errors.add(
            "method",
            "invalid",
            "must be one of self, peer, external_audit",
        );
    }
    let assessor = draft.assessor.trim().to_owned();
    if assessor.is_empty() {
        errors.add("assessor", "required", "name who assessed");
    } else if assessor.chars().count() > 200 {
        errors.add("assessor", "too_long", "at most 200 characters");
    }
    let max = framework.scale.max as i64;
    let mut seen = std::collections::BTreeSet::new();
    let mut parameters = Vec::new();
    for (i, p) in draft.parameters.into_iter().enumerate() {
        let code = p.code.trim().to_owned();
        if framework.parameter(&code).is_none() {
            errors.add(
                format!("parameters.{i}.code"),
                "unknown_parameter",
                format!(
                    "{code:?} is not a parameter of {} v{}",
                    framework.id, framework.version
                ),
            );
            continue;
        }
        if !seen.insert(code.clone()) {
            errors.add(
                format!("parameters.{code}"),
                "duplicate",
                format!("{code} appears twice"),
            );
            continue;
        }
        if !(0..=max).contains(&p.level) {
            errors.add(
                format!("parameters.{code}.level"),
                "out_of_range",
                format!("{code}: level {} is outside the scale 0–{max}", p.level),
            );
            continue;
        }
        if p.evidence.chars().count() > 4000 {
            errors.add(
                format!("parameters.{code}.evidence"),
                "too_long",
                "at most 4000 characters",
            );
            continue;
        }
        parameters.push(ParameterLevel {
            code,
            level: p.level as u8,
            evidence: p.evidence.trim().to_owned(),
        });
    }
    if draft.notes.chars().count() > 20_000 {
        errors.add("notes", "too_long", "at most 20 000 characters");
    }
    // Keep the framework's order so that the record reads like the checklist.
    parameters.sort_by_key(|p| {
        framework
            .parameters
            .iter()
            .position(|f| f.code == p.code)
            .unwrap_or(usize::MAX)
    });
    match method {
        Some(method) if errors.is_empty() => Ok(AssessmentWrite {
            method,
            assessor,
            assessed_on: draft.assessed_on,
            framework: FrameworkKey {
                id: framework.id.clone(),
                version: framework.version,
            },
            parameters,
            notes: draft.notes.trim().to_owned(),
        }),
        _ => Err(errors),
    }
}

/// Who may record a team's assessment: administrators, controllers and evaluators
/// (peer reviews and audits), and responders who are members of the team.
pub async fn may_assess(
    state: &AppState,
    me: &CurrentUser,
    team_id: Uuid,
) -> Result<bool, AppError> {
    Ok(match me.role() {
        Role::Admin | Role::Controller | Role::Evaluator => true,
        Role::Responder => store::teams::is_member(&state.db, team_id, me.user.id).await?,
        Role::Observer => false,
    })
}

/// The framework an assessment is checked against: the one it was first recorded
/// with, else the active one.
async fn assessment_framework(
    state: &AppState,
    existing: Option<&Assessment>,
) -> Result<Framework, AppError> {
    Ok(match existing {
        Some(a) => {
            store::maturity::framework(&state.db, &a.framework.id, a.framework.version).await?
        }
        None => store::maturity::active_framework(&state.db).await?,
    })
}

#[utoipa::path(get, path = "/api/v1/teams/{id}/assessments/{year}", tag = "maturity",
    params(("id" = Uuid, Path), ("year" = i64, Path)),
    responses((status = 200, body = Assessment), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn get_assessment(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, year)): ApiPath<(Uuid, i64)>,
) -> AppResult<Json<Assessment>> {
    let year = validate_year(year, vietnam_date(Utc::now()), "year")?;
    store::maturity::get_assessment(&state.db, &me.scope, id, year)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

/// Records (or replaces) a team's capability assessment for a year. A level outside
/// the framework's scale → 422 naming the parameter (`parameters.O-1.level`).
/// Evidence is kept as notes per parameter; files are attached to a parameter with
/// `POST …/assessments/{year}/evidence`.
#[utoipa::path(put, path = "/api/v1/teams/{id}/assessments/{year}", tag = "maturity",
    params(("id" = Uuid, Path), ("year" = i64, Path)), request_body = AssessmentDraft,
    responses((status = 201, body = Assessment), (status = 200, body = Assessment), (status = 403, body = ErrorEnvelope),
        (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn put_assessment(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, year)): ApiPath<(Uuid, i64)>,
    ApiJson(draft): ApiJson<AssessmentDraft>,
) -> AppResult<(StatusCode, Json<Assessment>)> {
    let now = Utc::now();
    let year = validate_year(year, vietnam_date(now), "year")?;
    let existing = store::maturity::get_assessment(&state.db, &me.scope, id, year).await?;
    if !may_assess(&state, &me, id).await? {
        return Err(AppError::Forbidden);
    }
    let framework = assessment_framework(&state, existing.as_ref()).await?;
    let write = validate_assessment(draft, &framework)?;
    let (saved, created) =
        store::maturity::put_assessment(&state.db, &me.scope, id, year, &write, me.user.id, now)
            .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)))
}
