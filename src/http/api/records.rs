//! What drill participants submit, and the scorecard: detections, containments and
//! incident reports (blue teams), attack actions and vulnerability findings (red
//! teams), verdicts (evaluators and controllers), their lists as each caller may see
//! them, and `GET …/scorecard`.
//!
//! Who submits: a responder for their own drill team of the right side (a responder
//! in several such teams names one with `team_id`); administrators and controllers on
//! behalf of a team (`team_id` required). Evaluators and observers submit nothing but
//! verdicts (evaluators). Every record is stamped `received_at` by the server; a time
//! the client claims is kept beside it (`observed_at`, `executed_at_claimed`,
//! `effective_at`), never instead of it.
//!
//! Who sees what: a record has the audience of its event — `team:ID` for a blue
//! team's records and the verdicts on them, `red` for the red side's, so a blue team
//! never sees a red action or another team's detection, on REST or on the socket.
//! Administrators, controllers, evaluators and observers see everything.
//!
//! Text fields are stored verbatim (trimmed) and returned as JSON strings. They are
//! never HTML: consoles must render them as text.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::drill::Visibility;
use crate::domain::records::{
    self as rules, ContainmentAction, MAX_TEXT, MAX_TITLE, Recipient, RecordKind, ReportKind,
    Severity,
};
use crate::domain::{FieldErrors, Role, Side};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::api::PageParams;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, parse_json};
use crate::scoring::scorecard::{self, Scorecard};
use crate::state::AppState;
use crate::store::drills::{self, Drill};
use crate::store::records::{self, Check, NewRecord, RecordError, Window};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_detections, create_detection))
        .routes(routes!(list_containments, create_containment))
        .routes(routes!(list_red_actions, create_red_action))
        .routes(routes!(list_red_findings, create_red_finding))
        .routes(routes!(list_reports, create_report))
        .routes(routes!(list_evaluations, create_evaluation))
        .routes(routes!(list_service_checks, create_service_check))
        .routes(routes!(get_scorecard))
}

/// A record as stored: the fields of its request, normalised, plus `id`, `drill_id`,
/// `team_id`, `author_id`, `submission_id`, `received_at` (server time, RFC 3339 with
/// microseconds) and `seq` (its event in the drill log). Verdicts in lists also carry
/// `current` (false once a later verdict on the same target exists).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordBody {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub record: Value,
}

/// A list of records, oldest first; pass `next_cursor` back as `cursor`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordPage {
    pub items: Vec<RecordBody>,
    pub next_cursor: Option<Uuid>,
}

// ---------------------------------------------------------------- the caller

/// The drill in the caller's scope, the caller's teams in it and what they may see.
struct Caller {
    drill: Drill,
    teams: Vec<(Uuid, Side)>,
    visibility: Visibility,
}

async fn caller(state: &AppState, me: &CurrentUser, id: Uuid) -> AppResult<Caller> {
    let drill = drills::get(&state.db, &me.scope, id).await?;
    let teams = match me.role() {
        Role::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let visibility = Visibility::of(me.role(), &teams);
    Ok(Caller {
        drill,
        teams,
        visibility,
    })
}

/// The drill team a submission of `side` belongs to.
fn acting_team(
    me: &CurrentUser,
    caller: &Caller,
    side: Side,
    requested: Option<Uuid>,
) -> AppResult<Uuid> {
    match me.role() {
        Role::Responder => {
            let mine: Vec<Uuid> = caller
                .teams
                .iter()
                .filter(|t| t.1 == side)
                .map(|t| t.0)
                .collect();
            match requested {
                Some(t) if mine.contains(&t) => Ok(t),
                Some(_) => Err(AppError::field(
                    "team_id",
                    "invalid_reference",
                    format!(
                        "you are not a member of this {} team of the drill",
                        side.code()
                    ),
                )),
                None => mine.first().copied().ok_or(AppError::Forbidden),
            }
        }
        Role::Admin | Role::Controller => {
            let t = requested.ok_or_else(|| {
                AppError::field("team_id", "required", "name the team you record this for")
            })?;
            if caller
                .drill
                .teams
                .iter()
                .any(|d| d.team_id == t && d.side == side)
            {
                Ok(t)
            } else {
                Err(AppError::field(
                    "team_id",
                    "invalid_reference",
                    format!("not a {} team of this drill", side.code()),
                ))
            }
        }
        Role::Evaluator | Role::Observer => Err(AppError::Forbidden),
    }
}

/// What a team may see, for checking the injects and evidence it references.
fn team_visibility(team: Uuid, side: Side) -> Visibility {
    Visibility::of(Role::Responder, &[(team, side)])
}

fn team_audience(team: Uuid, side: Side) -> String {
    match side {
        Side::Blue => format!("team:{team}"),
        // The red side works as one: every red team sees the red log.
        Side::Red => "red".to_owned(),
    }
}

fn evidence_checks(ids: &[Uuid], visibility: &Visibility) -> Vec<Check> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Check::Evidence {
            field: format!("evidence_ids.{i}"),
            id: *id,
            visibility: visibility.clone(),
        })
        .collect()
}

fn record_error(e: RecordError) -> AppError {
    match e {
        RecordError::Invalid(f) => AppError::Validation(f),
        RecordError::NotReleased { field, key } => AppError::Conflict {
            message: format!("inject {key} has not been released"),
            fields: FieldErrors::single(field, "not_released", "not released yet"),
        },
        RecordError::Closed(message) => AppError::Conflict {
            message,
            fields: FieldErrors::single("status", "conflict", "not accepted in this drill state"),
        },
        RecordError::Store(e) => e.into(),
    }
}

async fn submit(
    state: &AppState,
    drill_id: Uuid,
    new: NewRecord,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let stored = records::submit(&state.db, drill_id, &new, Utc::now())
        .await
        .map_err(record_error)?;
    if stored.created {
        state.hub.notify(drill_id);
        Ok((
            StatusCode::CREATED,
            Json(RecordBody {
                record: stored.body,
            }),
        ))
    } else {
        Ok((
            StatusCode::OK,
            Json(RecordBody {
                record: stored.body,
            }),
        ))
    }
}

fn time_json(t: Option<DateTime<Utc>>) -> Value {
    json!(t.map(|t| crate::time::rfc3339_micros(crate::drill::chain::event_time(t))))
}

// ---------------------------------------------------------------- detections

/// A blue team's detection. `inject_id` (a released inject the team received) and
/// `red_action_id` say what it detects, if the team knows; an evaluator may link it
/// later. `observed_at` is when the team says it saw it (kept beside `received_at`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectionRequest {
    /// Controllers: the blue team recorded for. Responders: optional, their own team.
    pub team_id: Option<Uuid>,
    /// The client's idempotency key: a repeat returns the first record.
    pub submission_id: Option<Uuid>,
    pub inject_id: Option<Uuid>,
    pub red_action_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    /// ATT&CK technique id, e.g. `T1505.003`.
    pub technique: Option<String>,
    /// A target system of the drill.
    pub system_id: Option<Uuid>,
    pub observed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// Records a detection (`detection_recorded`, audience `team:ID`). 201 with
/// `received_at`; 200 with the first record for a repeated `submission_id`. 409
/// `not_released` for an inject not released yet; 409 when the drill is not running
/// or paused.
#[utoipa::path(post, path = "/api/v1/drills/{id}/detections", tag = "records", params(("id" = Uuid, Path)),
    request_body = DetectionRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_detection(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<DetectionRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    let team = acting_team(&me, &c, Side::Blue, req.team_id)?;
    let mut errors = FieldErrors::new();
    let title = rules::required_text(&mut errors, "title", &req.title, MAX_TITLE);
    let description = rules::required_text(&mut errors, "description", &req.description, MAX_TEXT);
    let technique = req
        .technique
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .and_then(|t| rules::technique(&mut errors, "technique", t));
    rules::evidence_ids(&mut errors, &req.evidence_ids);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let seen = team_visibility(team, Side::Blue);
    let mut checks = evidence_checks(&req.evidence_ids, &seen);
    if let Some(inject) = req.inject_id {
        checks.push(Check::ReleasedInject {
            field: "inject_id".into(),
            id: inject,
            visibility: seen.clone(),
        });
    }
    if let Some(ra) = req.red_action_id {
        checks.push(Check::Record {
            field: "red_action_id".into(),
            id: ra,
            kind: RecordKind::RedAction,
            team_id: None,
            matching: Vec::new(),
        });
    }
    if let Some(system) = req.system_id {
        checks.push(Check::System {
            field: "system_id".into(),
            id: system,
        });
    }
    let mut fields = Map::new();
    fields.insert("inject_id".into(), json!(req.inject_id));
    fields.insert("red_action_id".into(), json!(req.red_action_id));
    fields.insert("title".into(), json!(title));
    fields.insert("description".into(), json!(description));
    fields.insert(
        "technique".into(),
        json!(technique.as_ref().map(|t| t.as_str())),
    );
    fields.insert(
        "technique_name".into(),
        json!(technique.as_ref().and_then(|t| t.name())),
    );
    fields.insert("system_id".into(), json!(req.system_id));
    fields.insert("observed_at".into(), time_json(req.observed_at));
    fields.insert("evidence_ids".into(), json!(req.evidence_ids));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::Detection,
            team_id: Some(team),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(team, Side::Blue),
            fields,
            default_to_received: Vec::new(),
            checks,
            window: Window::Live,
        },
    )
    .await
}

// ---------------------------------------------------------------- containments

/// A containment action a blue team took on one of its detections.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainmentRequest {
    pub team_id: Option<Uuid>,
    pub submission_id: Option<Uuid>,
    /// A detection of the same team.
    pub detection_id: Uuid,
    pub action: ContainmentAction,
    pub description: String,
    /// When the team says the action took effect (kept beside `received_at`).
    pub effective_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// Records a containment (`containment_recorded`, audience `team:ID`).
#[utoipa::path(post, path = "/api/v1/drills/{id}/containments", tag = "records", params(("id" = Uuid, Path)),
    request_body = ContainmentRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_containment(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ContainmentRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    let team = acting_team(&me, &c, Side::Blue, req.team_id)?;
    let mut errors = FieldErrors::new();
    let description = rules::required_text(&mut errors, "description", &req.description, MAX_TEXT);
    rules::evidence_ids(&mut errors, &req.evidence_ids);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut checks = evidence_checks(&req.evidence_ids, &team_visibility(team, Side::Blue));
    checks.push(Check::Record {
        field: "detection_id".into(),
        id: req.detection_id,
        kind: RecordKind::Detection,
        team_id: Some(team),
        matching: Vec::new(),
    });
    let mut fields = Map::new();
    fields.insert("detection_id".into(), json!(req.detection_id));
    fields.insert("action".into(), json!(req.action));
    fields.insert("description".into(), json!(description));
    fields.insert("effective_at".into(), time_json(req.effective_at));
    fields.insert("evidence_ids".into(), json!(req.evidence_ids));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::Containment,
            team_id: Some(team),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(team, Side::Blue),
            fields,
            default_to_received: Vec::new(),
            checks,
            window: Window::Live,
        },
    )
    .await
}

// ---------------------------------------------------------------- red side

/// An attack action of the red side. `executed_at` defaults to the time the server
/// received it; a claimed time is kept as `executed_at_claimed` too.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedActionRequest {
    pub team_id: Option<Uuid>,
    pub submission_id: Option<Uuid>,
    /// ATT&CK technique id.
    pub technique: String,
    /// A target system of the drill.
    pub system_id: Uuid,
    pub title: String,
    pub description: String,
    pub executed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// Records a red action (`red_action_recorded`, audience `red`: blue teams never see
/// it).
#[utoipa::path(post, path = "/api/v1/drills/{id}/red-actions", tag = "records", params(("id" = Uuid, Path)),
    request_body = RedActionRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_red_action(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RedActionRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    let team = acting_team(&me, &c, Side::Red, req.team_id)?;
    let mut errors = FieldErrors::new();
    let technique = rules::technique(&mut errors, "technique", &req.technique);
    let title = rules::required_text(&mut errors, "title", &req.title, MAX_TITLE);
    let description = rules::required_text(&mut errors, "description", &req.description, MAX_TEXT);
    rules::evidence_ids(&mut errors, &req.evidence_ids);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut checks = evidence_checks(&req.evidence_ids, &team_visibility(team, Side::Red));
    checks.push(Check::System {
        field: "system_id".into(),
        id: req.system_id,
    });
    let mut fields = Map::new();
    fields.insert(
        "technique".into(),
        json!(technique.as_ref().map(|t| t.as_str())),
    );
    fields.insert(
        "technique_name".into(),
        json!(technique.as_ref().and_then(|t| t.name())),
    );
    fields.insert("system_id".into(), json!(req.system_id));
    fields.insert("title".into(), json!(title));
    fields.insert("description".into(), json!(description));
    fields.insert("evidence_ids".into(), json!(req.evidence_ids));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::RedAction,
            team_id: Some(team),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(team, Side::Red),
            fields,
            default_to_received: vec![("executed_at", req.executed_at)],
            checks,
            window: Window::Live,
        },
    )
    .await
}

/// Impact on the three criteria of the VNCERT guide, plus the owner's reputation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactRequest {
    /// Impact on system resources.
    pub resources: String,
    /// Impact on data.
    pub data: String,
    /// Impact on users and citizens.
    pub users: String,
    pub owner_reputation: Option<String>,
}

/// A vulnerability the red side found and exploited (domain.md §1.5 RedTeamFinding).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedFindingRequest {
    pub team_id: Option<Uuid>,
    pub submission_id: Option<Uuid>,
    /// A target system of the drill.
    pub system_id: Uuid,
    pub vuln_name: String,
    /// E.g. `sql_injection`, `rce`, `idor` (free text, up to 200 characters).
    pub vuln_class: String,
    pub severity: Severity,
    pub impact: ImpactRequest,
    /// URL, host:port or component where it was found.
    pub endpoint: String,
    pub payload: Option<String>,
    /// Steps to reproduce.
    pub steps: String,
    /// Advice to fix it.
    pub remediation: String,
    pub technique: Option<String>,
    /// The red action that exploited it, if recorded.
    pub red_action_id: Option<Uuid>,
    /// When it was found (claimed; kept beside `received_at`).
    pub discovered_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// Records a vulnerability finding (`red_finding_recorded`, audience `red`).
#[utoipa::path(post, path = "/api/v1/drills/{id}/red-findings", tag = "records", params(("id" = Uuid, Path)),
    request_body = RedFindingRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_red_finding(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<RedFindingRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    let team = acting_team(&me, &c, Side::Red, req.team_id)?;
    let mut e = FieldErrors::new();
    let vuln_name = rules::required_text(&mut e, "vuln_name", &req.vuln_name, MAX_TITLE);
    let vuln_class = rules::required_text(&mut e, "vuln_class", &req.vuln_class, MAX_TITLE);
    let resources =
        rules::required_text(&mut e, "impact.resources", &req.impact.resources, MAX_TEXT);
    let data = rules::required_text(&mut e, "impact.data", &req.impact.data, MAX_TEXT);
    let users = rules::required_text(&mut e, "impact.users", &req.impact.users, MAX_TEXT);
    let reputation = rules::optional_text(
        &mut e,
        "impact.owner_reputation",
        req.impact.owner_reputation.as_deref(),
        MAX_TEXT,
    );
    let endpoint = rules::required_text(&mut e, "endpoint", &req.endpoint, MAX_TEXT);
    let payload = rules::optional_text(&mut e, "payload", req.payload.as_deref(), MAX_TEXT);
    let steps = rules::required_text(&mut e, "steps", &req.steps, MAX_TEXT);
    let remediation = rules::required_text(&mut e, "remediation", &req.remediation, MAX_TEXT);
    let technique = req
        .technique
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .and_then(|t| rules::technique(&mut e, "technique", t));
    rules::evidence_ids(&mut e, &req.evidence_ids);
    if !e.is_empty() {
        return Err(AppError::Validation(e));
    }
    let mut checks = evidence_checks(&req.evidence_ids, &team_visibility(team, Side::Red));
    checks.push(Check::System {
        field: "system_id".into(),
        id: req.system_id,
    });
    if let Some(ra) = req.red_action_id {
        checks.push(Check::Record {
            field: "red_action_id".into(),
            id: ra,
            kind: RecordKind::RedAction,
            team_id: None,
            matching: Vec::new(),
        });
    }
    let mut fields = Map::new();
    fields.insert("system_id".into(), json!(req.system_id));
    fields.insert("vuln_name".into(), json!(vuln_name));
    fields.insert("vuln_class".into(), json!(vuln_class));
    fields.insert("severity".into(), json!(req.severity));
    fields.insert(
        "impact".into(),
        json!({"resources": resources, "data": data, "users": users, "owner_reputation": reputation}),
    );
    fields.insert("endpoint".into(), json!(endpoint));
    fields.insert("payload".into(), json!(payload));
    fields.insert("steps".into(), json!(steps));
    fields.insert("remediation".into(), json!(remediation));
    fields.insert(
        "technique".into(),
        json!(technique.as_ref().map(|t| t.as_str())),
    );
    fields.insert("red_action_id".into(), json!(req.red_action_id));
    fields.insert("discovered_at".into(), time_json(req.discovered_at));
    fields.insert("evidence_ids".into(), json!(req.evidence_ids));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::RedFinding,
            team_id: Some(team),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(team, Side::Red),
            fields,
            default_to_received: Vec::new(),
            checks,
            window: Window::Live,
        },
    )
    .await
}

// ---------------------------------------------------------------- reports

/// An incident report on the Circular 20/2017 forms. `form` holds the fields of the
/// kind (domain.md §4.1 notice, §4.2 Form 03, §4.3 Form 04); a missing mandatory field
/// is named `form.FIELD`. A closure names the team's initial report it closes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub team_id: Option<Uuid>,
    pub submission_id: Option<Uuid>,
    pub kind: ReportKind,
    /// The detection the report is about (the team's own); time to report is measured
    /// from it to the first initial report naming it.
    pub detection_id: Option<Uuid>,
    /// Closure only: the team's initial report it closes.
    pub initial_report_id: Option<Uuid>,
    /// To whom the report was sent (at least one).
    pub recipients: Vec<Recipient>,
    #[schema(value_type = Object)]
    pub form: Map<String, Value>,
    #[serde(default)]
    pub evidence_ids: Vec<Uuid>,
}

/// Submits an incident report (`report_submitted`, audience `team:ID`).
#[utoipa::path(post, path = "/api/v1/drills/{id}/reports", tag = "records", params(("id" = Uuid, Path)),
    request_body = ReportRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_report(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ReportRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    let team = acting_team(&me, &c, Side::Blue, req.team_id)?;
    let (form, mut errors) = match rules::check_form(req.kind, &req.form) {
        Ok(form) => (form, FieldErrors::new()),
        Err(e) => (Map::new(), e),
    };
    if req.recipients.is_empty() {
        errors.add("recipients", "required", "name at least one recipient");
    }
    match (req.kind, req.initial_report_id) {
        (ReportKind::Closure, None) => errors.add(
            "initial_report_id",
            "required",
            "a closure report names the initial report it closes",
        ),
        (ReportKind::Notice | ReportKind::Initial, Some(_)) => errors.add(
            "initial_report_id",
            "not_allowed",
            "only a closure report names an initial report",
        ),
        _ => {}
    }
    rules::evidence_ids(&mut errors, &req.evidence_ids);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut checks = evidence_checks(&req.evidence_ids, &team_visibility(team, Side::Blue));
    if let Some(d) = req.detection_id {
        checks.push(Check::Record {
            field: "detection_id".into(),
            id: d,
            kind: RecordKind::Detection,
            team_id: Some(team),
            matching: Vec::new(),
        });
    }
    if let Some(r) = req.initial_report_id {
        checks.push(Check::Record {
            field: "initial_report_id".into(),
            id: r,
            kind: RecordKind::Report,
            team_id: Some(team),
            matching: vec![("kind", json!("initial"))],
        });
    }
    let mut recipients = req.recipients.clone();
    recipients.dedup();
    let mut fields = Map::new();
    fields.insert("kind".into(), json!(req.kind));
    fields.insert("detection_id".into(), json!(req.detection_id));
    fields.insert("initial_report_id".into(), json!(req.initial_report_id));
    fields.insert("recipients".into(), json!(recipients));
    fields.insert("form".into(), Value::Object(form));
    fields.insert("evidence_ids".into(), json!(req.evidence_ids));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::Report,
            team_id: Some(team),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(team, Side::Blue),
            fields,
            default_to_received: Vec::new(),
            checks,
            window: Window::Live,
        },
    )
    .await
}

// ---------------------------------------------------------------- verdicts

/// What a detection detects, by an evaluator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub red_action_id: Option<Uuid>,
    pub inject_id: Option<Uuid>,
}

/// `met`, `partial` or `not_met`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Met,
    Partial,
    NotMet,
}

/// One verdict. `target` selects the shape:
/// - `detection`: `detection_id` and `links` (`red_action_id` and/or `inject_id`),
///   or `false_positive: true`;
/// - `expectation`: `inject_id`, `team_id`, `expectation` (index, optional),
///   `verdict`, `points`, `note`;
/// - `red_finding`: `finding_id`, `accepted`, `severity` (optional: keep the red
///   team's);
/// - `red_action`: `red_action_id`, `verified_executed_at` (the start of time to
///   detect);
/// - `report`: `report_id`, `quality` (0–4), `note`;
/// - `containment`: `containment_id`, `effective`.
///
/// Every verdict takes an optional `note` and `submission_id`. A later verdict on the
/// same target supersedes the earlier one; both stay in the log.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EvaluationRequest {
    /// `detection`, `expectation`, `red_finding`, `red_action`, `report` or `containment`.
    pub target: String,
    pub submission_id: Option<Uuid>,
    pub note: Option<String>,
    pub detection_id: Option<Uuid>,
    pub links: Option<Links>,
    pub false_positive: Option<bool>,
    pub inject_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
    pub expectation: Option<u32>,
    pub verdict: Option<Verdict>,
    pub points: Option<f64>,
    pub finding_id: Option<Uuid>,
    pub accepted: Option<bool>,
    pub severity: Option<Severity>,
    pub red_action_id: Option<Uuid>,
    pub verified_executed_at: Option<DateTime<Utc>>,
    pub report_id: Option<Uuid>,
    pub quality: Option<u8>,
    pub containment_id: Option<Uuid>,
    pub effective: Option<bool>,
}

const TARGETS: &[&str] = &[
    "detection",
    "expectation",
    "red_finding",
    "red_action",
    "report",
    "containment",
];

/// The fields each target takes besides `target`, `submission_id` and `note`.
fn target_fields(target: &str) -> &'static [&'static str] {
    match target {
        "detection" => &["detection_id", "links", "false_positive"],
        "expectation" => &["inject_id", "team_id", "expectation", "verdict", "points"],
        "red_finding" => &["finding_id", "accepted", "severity"],
        "red_action" => &["red_action_id", "verified_executed_at"],
        "report" => &["report_id", "quality"],
        "containment" => &["containment_id", "effective"],
        _ => &[],
    }
}

fn required<T: Copy>(errors: &mut FieldErrors, field: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        errors.add(field, "required", "required for this target");
    }
    v
}

/// The record a verdict is about: its team and audience.
async fn target_record(
    state: &AppState,
    drill_id: Uuid,
    field: &str,
    id: Uuid,
    kind: RecordKind,
) -> AppResult<crate::entities::drill_record::Model> {
    records::get(&state.db, drill_id, id)
        .await?
        .filter(|r| r.kind == kind.code())
        .ok_or_else(|| {
            AppError::field(
                field,
                "invalid_reference",
                format!("no such {} in this drill", kind.code().replace('_', " ")),
            )
        })
}

/// Records a verdict (`evaluation_recorded`). Its audience is the judged record's
/// (`team:ID` for a blue team's detection, containment, report or expectation; `red`
/// for red actions and findings), so a team sees the verdicts on its own
/// submissions. Evaluators, controllers and administrators only; accepted from the
/// start of the drill, also after its end.
#[utoipa::path(post, path = "/api/v1/drills/{id}/evaluations", tag = "records", params(("id" = Uuid, Path)),
    request_body = EvaluationRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_evaluation(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(raw): ApiJson<Value>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    if !matches!(me.role(), Role::Admin | Role::Controller | Role::Evaluator) {
        return Err(AppError::Forbidden);
    }
    // The target decides which fields belong: anything else is named, not ignored.
    let Some(obj) = raw.as_object() else {
        return Err(AppError::field("body", "invalid", "expected a JSON object"));
    };
    let target = match obj.get("target").and_then(Value::as_str) {
        Some(t) if TARGETS.contains(&t) => t.to_owned(),
        Some(_) => {
            return Err(AppError::field(
                "target",
                "invalid",
                format!("one of {}", TARGETS.join(", ")),
            ));
        }
        None => return Err(AppError::field("target", "required", "name what is judged")),
    };
    let mut errors = FieldErrors::new();
    for key in obj.keys() {
        let common = matches!(key.as_str(), "target" | "submission_id" | "note");
        if !common && !target_fields(&target).contains(&key.as_str()) {
            errors.add(
                key.clone(),
                "unknown_field",
                format!("not a field of a {target} verdict"),
            );
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let bytes = serde_json::to_vec(&raw).map_err(|e| AppError::Internal(e.into()))?;
    let req: EvaluationRequest = parse_json(&bytes)?;
    let note = rules::optional_text(&mut errors, "note", req.note.as_deref(), MAX_TEXT);

    let mut fields = Map::new();
    fields.insert("target".into(), json!(target));
    fields.insert("note".into(), json!(note));
    let mut checks = Vec::new();
    let (target_key, team_id, audience) = match target.as_str() {
        "detection" => {
            let Some(d) = required(&mut errors, "detection_id", req.detection_id) else {
                return Err(AppError::Validation(errors));
            };
            let rec = target_record(&state, id, "detection_id", d, RecordKind::Detection).await?;
            let fp = req.false_positive == Some(true);
            let links = req
                .links
                .as_ref()
                .filter(|l| l.red_action_id.is_some() || l.inject_id.is_some());
            match (fp, links) {
                (true, Some(_)) => {
                    errors.add("links", "not_allowed", "a false positive detects nothing")
                }
                (false, None) => errors.add(
                    "links",
                    "required",
                    "link a red_action_id or an inject_id, or set false_positive: true",
                ),
                _ => {}
            }
            if let Some(l) = links {
                if let Some(ra) = l.red_action_id {
                    checks.push(Check::Record {
                        field: "links.red_action_id".into(),
                        id: ra,
                        kind: RecordKind::RedAction,
                        team_id: None,
                        matching: Vec::new(),
                    });
                }
                if let Some(inject) = l.inject_id {
                    checks.push(Check::ReleasedInject {
                        field: "links.inject_id".into(),
                        id: inject,
                        visibility: Visibility::All,
                    });
                }
            }
            fields.insert("detection_id".into(), json!(d));
            fields.insert("false_positive".into(), json!(fp));
            fields.insert(
                "links".into(),
                json!(
                    links.map(
                        |l| json!({"red_action_id": l.red_action_id, "inject_id": l.inject_id})
                    )
                ),
            );
            (format!("detection:{d}"), rec.team_id, rec.audience)
        }
        "expectation" => {
            let inject = required(&mut errors, "inject_id", req.inject_id);
            let team = required(&mut errors, "team_id", req.team_id);
            let verdict = required(&mut errors, "verdict", req.verdict);
            let points = required(&mut errors, "points", req.points);
            if let Some(t) = team
                && !c
                    .drill
                    .teams
                    .iter()
                    .any(|d| d.team_id == t && d.side == Side::Blue)
            {
                errors.add(
                    "team_id",
                    "invalid_reference",
                    "not a blue team of this drill",
                );
            }
            let expectations = match inject {
                Some(i) => records::inject_expectations(&state.db, id, i).await?,
                None => None,
            };
            if inject.is_some() && expectations.is_none() {
                errors.add(
                    "inject_id",
                    "invalid_reference",
                    "no such inject in this drill",
                );
            }
            let mut max_points = 1000.0;
            if let (Some(list), Some(n)) = (&expectations, req.expectation) {
                match list.get(n as usize) {
                    Some(x) => max_points = x["points"].as_f64().unwrap_or(max_points),
                    None => errors.add(
                        "expectation",
                        "out_of_range",
                        format!(
                            "this inject has {} expectations (0-based index)",
                            list.len()
                        ),
                    ),
                }
            }
            if let Some(p) = points
                && !(p.is_finite() && (0.0..=max_points).contains(&p))
            {
                errors.add(
                    "points",
                    "out_of_range",
                    format!("between 0 and {max_points}"),
                );
            }
            let (Some(inject), Some(team)) = (inject, team) else {
                return Err(AppError::Validation(errors));
            };
            checks.push(Check::ReleasedInject {
                field: "inject_id".into(),
                id: inject,
                visibility: Visibility::All,
            });
            fields.insert("inject_id".into(), json!(inject));
            fields.insert("expectation".into(), json!(req.expectation));
            fields.insert("verdict".into(), json!(verdict));
            fields.insert("points".into(), json!(points));
            let index = req.expectation.map_or("all".to_owned(), |n| n.to_string());
            (
                format!("expectation:{inject}:{team}:{index}"),
                Some(team),
                format!("team:{team}"),
            )
        }
        "red_finding" => {
            let Some(f) = required(&mut errors, "finding_id", req.finding_id) else {
                return Err(AppError::Validation(errors));
            };
            let accepted = required(&mut errors, "accepted", req.accepted);
            let rec = target_record(&state, id, "finding_id", f, RecordKind::RedFinding).await?;
            let severity = req
                .severity
                .map(|s| json!(s))
                .unwrap_or_else(|| rec.body["severity"].clone());
            fields.insert("finding_id".into(), json!(f));
            fields.insert("accepted".into(), json!(accepted));
            fields.insert("severity".into(), severity);
            (format!("red_finding:{f}"), rec.team_id, rec.audience)
        }
        "red_action" => {
            let Some(ra) = required(&mut errors, "red_action_id", req.red_action_id) else {
                return Err(AppError::Validation(errors));
            };
            let at = required(
                &mut errors,
                "verified_executed_at",
                req.verified_executed_at,
            );
            let rec = target_record(&state, id, "red_action_id", ra, RecordKind::RedAction).await?;
            fields.insert("red_action_id".into(), json!(ra));
            fields.insert("verified_executed_at".into(), time_json(at));
            (format!("red_action:{ra}"), rec.team_id, rec.audience)
        }
        "report" => {
            let Some(r) = required(&mut errors, "report_id", req.report_id) else {
                return Err(AppError::Validation(errors));
            };
            let quality = required(&mut errors, "quality", req.quality);
            if quality.is_some_and(|q| q > 4) {
                errors.add("quality", "out_of_range", "between 0 and 4");
            }
            let rec = target_record(&state, id, "report_id", r, RecordKind::Report).await?;
            fields.insert("report_id".into(), json!(r));
            fields.insert("report_kind".into(), rec.body["kind"].clone());
            fields.insert("quality".into(), json!(quality));
            (format!("report:{r}"), rec.team_id, rec.audience)
        }
        _ => {
            let Some(k) = required(&mut errors, "containment_id", req.containment_id) else {
                return Err(AppError::Validation(errors));
            };
            let effective = required(&mut errors, "effective", req.effective);
            let rec =
                target_record(&state, id, "containment_id", k, RecordKind::Containment).await?;
            fields.insert("containment_id".into(), json!(k));
            fields.insert("detection_id".into(), rec.body["detection_id"].clone());
            fields.insert("effective".into(), json!(effective));
            (format!("containment:{k}"), rec.team_id, rec.audience)
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    fields.insert("target_key".into(), json!(target_key));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::Evaluation,
            // The judged team: its verdicts are listed and scored with it.
            team_id,
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience,
            fields,
            default_to_received: Vec::new(),
            checks,
            window: Window::Started,
        },
    )
    .await
}

// ---------------------------------------------------------------- service checks

/// Whether a blue team's target service was up when checked: one round of the
/// availability checks a drill keeps (K6, availability: the share of checks that
/// found the service up). Recorded by the staff, by hand or by a checker script with
/// an API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCheckRequest {
    /// The blue team that defends the service.
    pub team_id: Uuid,
    pub submission_id: Option<Uuid>,
    /// A target system of the drill.
    pub system_id: Uuid,
    /// True when the service answered as it should.
    pub up: bool,
    /// When it was checked; the server's receipt time if absent (a claimed time is
    /// kept as `checked_at_claimed` too).
    pub checked_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// Records a service check (`service_check_recorded`, audience `team:ID`: the team
/// sees its own availability). Controllers, evaluators and administrators; while the
/// drill is running or paused.
#[utoipa::path(post, path = "/api/v1/drills/{id}/service-checks", tag = "records", params(("id" = Uuid, Path)),
    request_body = ServiceCheckRequest,
    responses((status = 201, body = RecordBody), (status = 200, body = RecordBody, description = "a repeated submission_id"),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_service_check(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ServiceCheckRequest>,
) -> AppResult<(StatusCode, Json<RecordBody>)> {
    let c = caller(&state, &me, id).await?;
    if !matches!(me.role(), Role::Admin | Role::Controller | Role::Evaluator) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    if !c
        .drill
        .teams
        .iter()
        .any(|t| t.team_id == req.team_id && t.side == Side::Blue)
    {
        errors.add(
            "team_id",
            "invalid_reference",
            "not a blue team of this drill",
        );
    }
    let note = rules::optional_text(&mut errors, "note", req.note.as_deref(), MAX_TEXT);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut fields = Map::new();
    fields.insert("system_id".into(), json!(req.system_id));
    fields.insert("up".into(), json!(req.up));
    fields.insert("note".into(), json!(note));
    submit(
        &state,
        id,
        NewRecord {
            kind: RecordKind::ServiceCheck,
            team_id: Some(req.team_id),
            author_id: me.user.id,
            submission_id: req.submission_id,
            audience: team_audience(req.team_id, Side::Blue),
            fields,
            default_to_received: vec![("checked_at", req.checked_at)],
            checks: vec![Check::System {
                field: "system_id".into(),
                id: req.system_id,
            }],
            window: Window::Live,
        },
    )
    .await
}

// ---------------------------------------------------------------- lists

async fn list(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
    kind: RecordKind,
    page: &PageParams,
) -> AppResult<Json<RecordPage>> {
    let c = caller(state, me, id).await?;
    let (items, next_cursor) =
        records::list(&state.db, id, kind, &c.visibility, page.page()).await?;
    Ok(Json(RecordPage {
        items: items
            .into_iter()
            .map(|record| RecordBody { record })
            .collect(),
        next_cursor,
    }))
}

/// Detections the caller may see: a blue responder their own team's; staff all.
#[utoipa::path(get, path = "/api/v1/drills/{id}/detections", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_detections(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::Detection, &page).await
}

/// Containments the caller may see.
#[utoipa::path(get, path = "/api/v1/drills/{id}/containments", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_containments(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::Containment, &page).await
}

/// Red actions: the red side and staff; a blue responder gets an empty list.
#[utoipa::path(get, path = "/api/v1/drills/{id}/red-actions", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_red_actions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::RedAction, &page).await
}

/// Red findings: the red side and staff.
#[utoipa::path(get, path = "/api/v1/drills/{id}/red-findings", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_red_findings(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::RedFinding, &page).await
}

/// Incident reports the caller may see.
#[utoipa::path(get, path = "/api/v1/drills/{id}/reports", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_reports(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::Report, &page).await
}

/// Verdicts the caller may see (a team: those on its own submissions), each with
/// `current`.
#[utoipa::path(get, path = "/api/v1/drills/{id}/evaluations", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_evaluations(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::Evaluation, &page).await
}

/// Service checks the caller may see: a blue responder their own team's; staff all.
#[utoipa::path(get, path = "/api/v1/drills/{id}/service-checks", tag = "records", params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = RecordPage), (status = 404, body = ErrorEnvelope)))]
pub async fn list_service_checks(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<RecordPage>> {
    list(&state, &me, id, RecordKind::ServiceCheck, &page).await
}

// ---------------------------------------------------------------- scorecard

/// The scorecard with the drill it belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrillScorecard {
    pub drill_id: Uuid,
    #[serde(flatten)]
    pub scorecard: Scorecard,
}

/// Per blue team: times to acknowledge, detect, report and contain (mean, median,
/// 90th percentile, per item), detected and undetected items, false positives,
/// expectation verdicts and report quality; and the red findings by verdict. Computed
/// from the event log alone (see `docs/records.md` for the definitions). Staff see
/// every team; a blue responder their own; anyone else 403.
#[utoipa::path(get, path = "/api/v1/drills/{id}/scorecard", tag = "records", params(("id" = Uuid, Path)),
    responses((status = 200, body = DrillScorecard), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn get_scorecard(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DrillScorecard>> {
    let c = caller(&state, &me, id).await?;
    let events = records::all_events(&state.db, id).await?;
    let card = scorecard::compute(&events);
    let card = match me.role() {
        Role::Responder => {
            let blue: Vec<Uuid> = c
                .teams
                .iter()
                .filter(|t| t.1 == Side::Blue)
                .map(|t| t.0)
                .collect();
            if blue.is_empty() {
                return Err(AppError::Forbidden);
            }
            let mut card = scorecard::only_teams(card, &blue);
            // Red findings are the red side's; a blue team sees its own times only.
            card.red_findings = Default::default();
            card
        }
        _ => card,
    };
    Ok(Json(DrillScorecard {
        drill_id: id,
        scorecard: card,
    }))
}
