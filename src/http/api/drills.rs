//! Drills: planning a drill from a scenario version, its lifecycle, releasing and
//! skipping injects, ad-hoc injects, the timeline, the event log and its proof.
//!
//! Who may do what: administrators and controllers (Ban tổ chức) create and control
//! drills; everyone whose scope includes the organising organisation may read them;
//! responders read only the events addressed to them (see
//! [`crate::domain::drill::Visibility`]).
//!
//! Releasing: `…/injects/{key}/release` is a controller's release-now. It works while
//! the drill is running or paused (pausing stops the clock, not the controllers) and
//! is refused (409) while planned — start the drill first — and after the end.
//! `…/skip` works until the drill ends. `{key}` is the inject's key or its id.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::clock::{DrillClock, MAX_SPEED, MIN_SPEED};
use crate::domain::drill::{
    DrillKind, DrillScale, DrillStatus, TargetSystem, Transition, Visibility, check_targets,
};
use crate::domain::{FieldErrors, Role, Side};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::http::api::{PageParams, Paged};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::scenario::{Audience, Channel, MAX_BODY_BYTES, Scenario, Slug};
use crate::state::AppState;
use crate::store::drill_log::{self, Event, Verification};
use crate::store::drills::{
    self, Ack, AckError, AdHocInject, Drill, NewDrill, ReleaseBy, Released, Text, TimelineEntry,
};
use crate::store::{self, StoreError};
use crate::time::vietnam_date;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_drills, create_drill))
        .routes(routes!(get_drill))
        .routes(routes!(start_drill))
        .routes(routes!(pause_drill))
        .routes(routes!(resume_drill))
        .routes(routes!(end_drill))
        .routes(routes!(set_speed))
        .routes(routes!(get_timeline))
        .routes(routes!(create_ad_hoc_inject))
        .routes(routes!(release_inject))
        .routes(routes!(skip_inject))
        .routes(routes!(record_ack))
        .routes(routes!(list_events))
        .routes(routes!(verify_drill))
        .routes(routes!(get_presence))
}

fn require_controller(me: &CurrentUser) -> AppResult<()> {
    if matches!(me.role(), Role::Admin | Role::Controller) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

// ---------------------------------------------------------------- list, create, read

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DrillQuery {
    pub status: Option<DrillStatus>,
}

#[utoipa::path(get, path = "/api/v1/drills", tag = "drills", params(DrillQuery, PageParams),
    responses((status = 200, body = Paged<Drill>), (status = 422, body = ErrorEnvelope)))]
pub async fn list_drills(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(query): ApiQuery<DrillQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Paged<Drill>>> {
    let (items, next_cursor) =
        drills::list(&state.db, &me.scope, query.status, page.page()).await?;
    Ok(Json(Paged { items, next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrillTeamRequest {
    pub team_id: Uuid,
    pub side: Side,
    /// The scenario's team slot this team fills: injects addressed to `team:SLOT`
    /// reach this team only. Every slot the scenario uses must be filled.
    #[serde(default)]
    pub slot: Option<String>,
}

fn default_speed() -> f64 {
    1.0
}

/// A drill to plan. `scenario_version` defaults to the scenario's current version;
/// the drill keeps a copy of that version's injects.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDrill {
    pub scenario_id: Uuid,
    pub scenario_version: Option<i32>,
    pub title: String,
    pub kind: DrillKind,
    /// Who organises it: `internal` (the default), `sector` (a ministry, sector or
    /// province), `national` or `international`. National and international drills
    /// count towards maturity level 5.
    #[serde(default)]
    pub scale: DrillScale,
    pub system_ids: Vec<Uuid>,
    pub teams: Vec<DrillTeamRequest>,
    /// Drill seconds per wall-clock second, 0.01–1000 (default 1).
    #[serde(default = "default_speed")]
    pub speed: f64,
}

#[utoipa::path(post, path = "/api/v1/drills", tag = "drills", request_body = CreateDrill,
    responses((status = 201, body = Drill), (status = 403, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(req): ApiJson<CreateDrill>,
) -> AppResult<(StatusCode, Json<Drill>)> {
    let drill = plan_drill(&state, &me, req).await?;
    Ok((StatusCode::CREATED, Json(drill)))
}

/// Checks a drill plan and stores it; every problem of the request at once (422 with
/// the fields), nothing stored unless all is well. The API and the planning page
/// share it.
pub async fn plan_drill(state: &AppState, me: &CurrentUser, req: CreateDrill) -> AppResult<Drill> {
    require_controller(me)?;
    let mut errors = FieldErrors::new();
    let title = req.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        errors.add("title", "invalid", "must be 1–200 characters");
    }
    if !DrillClock::is_valid_speed(req.speed) {
        errors.add(
            "speed",
            "out_of_range",
            format!("must be between {MIN_SPEED} and {MAX_SPEED}"),
        );
    }
    if req.system_ids.is_empty() {
        errors.add("system_ids", "required", "name at least one target system");
    }
    if req.teams.is_empty() {
        errors.add("teams", "required", "name at least one team");
    }

    let loaded = match req.scenario_version {
        Some(v) => store::scenarios::version(&state.db, &me.scope, req.scenario_id, v).await,
        None => store::scenarios::get(&state.db, &me.scope, req.scenario_id).await,
    };
    let loaded = match loaded {
        Ok(l) => Some(l),
        Err(StoreError::NotFound) => {
            match req.scenario_version {
                Some(_) => errors.add(
                    "scenario_version",
                    "invalid_reference",
                    "no such version of this scenario",
                ),
                None => errors.add("scenario_id", "invalid_reference", "no such scenario"),
            }
            None
        }
        Err(e) => return Err(e.into()),
    };

    // (position in the request, system) for the systems found in scope.
    let mut targets = Vec::with_capacity(req.system_ids.len());
    for (i, id) in req.system_ids.iter().enumerate() {
        if req.system_ids[..i].contains(id) {
            errors.add(format!("system_ids.{i}"), "duplicate", "listed twice");
            continue;
        }
        match store::systems::get(&state.db, &me.scope, *id).await {
            Ok(s) => targets.push((i, s)),
            Err(StoreError::NotFound) => errors.add(
                format!("system_ids.{i}"),
                "invalid_reference",
                "no such system",
            ),
            Err(e) => return Err(e.into()),
        }
    }
    let target_view: Vec<TargetSystem<'_>> = targets
        .iter()
        .map(|(index, s)| TargetSystem {
            index: *index,
            name: &s.name,
            level: s.level,
        })
        .collect();
    for (field, problem) in check_targets(req.kind, &target_view).0 {
        errors.add(field, problem.code, problem.message);
    }

    let today = vietnam_date(Utc::now());
    let mut teams = Vec::with_capacity(req.teams.len());
    for (i, t) in req.teams.iter().enumerate() {
        if req.teams[..i].iter().any(|o| o.team_id == t.team_id) {
            errors.add(format!("teams.{i}.team_id"), "duplicate", "listed twice");
            continue;
        }
        match store::teams::get(&state.db, &me.scope, t.team_id, today).await {
            Ok(_) => teams.push((t.team_id, t.side)),
            Err(StoreError::NotFound) => errors.add(
                format!("teams.{i}.team_id"),
                "invalid_reference",
                "no such team",
            ),
            Err(e) => return Err(e.into()),
        }
    }

    let slots = match &loaded {
        Some(l) => bind_slots(&l.scenario, &req.teams, &mut errors),
        None => BTreeMap::new(),
    };
    let loaded = match (errors.is_empty(), loaded) {
        (true, Some(l)) => l,
        _ => return Err(AppError::Validation(errors)),
    };
    let drill = drills::create(
        &state.db,
        NewDrill {
            org_id: me.user.org_id,
            scenario_id: loaded.summary.id,
            scenario_version: loaded.version.version,
            scenario: &loaded.scenario,
            title,
            kind: req.kind,
            scale: req.scale,
            speed: req.speed,
            system_ids: req.system_ids,
            teams,
            slots,
            created_by: Some(me.user.id),
        },
        Utc::now(),
    )
    .await?;
    Ok(drill)
}

/// The scenario's team slots (`team:SLOT` audiences) bound to the drill's teams:
/// each slot the scenario uses filled by exactly one team, no slot it does not use.
fn bind_slots(
    scenario: &Scenario,
    teams: &[DrillTeamRequest],
    errors: &mut FieldErrors,
) -> BTreeMap<String, Uuid> {
    let used: std::collections::BTreeSet<String> = scenario
        .injects
        .iter()
        .filter_map(|i| match &i.audience {
            Audience::Team(slot) => Some(slot.as_str().to_owned()),
            _ => None,
        })
        .collect();
    let known = || {
        if used.is_empty() {
            "the scenario addresses no team slot".to_owned()
        } else {
            format!(
                "the scenario's slots: {}",
                used.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    let mut bound = BTreeMap::new();
    for (i, t) in teams.iter().enumerate() {
        let Some(slot) = t.slot.as_deref().map(str::trim) else {
            continue;
        };
        let field = format!("teams.{i}.slot");
        if !used.contains(slot) {
            errors.add(
                field,
                "invalid_reference",
                format!("no slot {slot:?} ({})", known()),
            );
        } else if bound.insert(slot.to_owned(), t.team_id).is_some() {
            errors.add(field, "duplicate", format!("slot {slot:?} is filled twice"));
        }
    }
    for slot in &used {
        if !bound.contains_key(slot) {
            errors.add(
                "teams",
                "unbound_slot",
                format!("the scenario addresses team slot {slot:?}: name the team that fills it (`slot`)"),
            );
        }
    }
    bound
}

#[utoipa::path(get, path = "/api/v1/drills/{id}", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Drill), (status = 404, body = ErrorEnvelope)))]
pub async fn get_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Drill>> {
    Ok(Json(drills::get(&state.db, &me.scope, id).await?))
}

// ---------------------------------------------------------------- lifecycle

async fn transition(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
    t: Transition,
) -> AppResult<Json<Drill>> {
    drills::get(&state.db, &me.scope, id).await?;
    require_controller(me)?;
    let drill = drills::transition(&state.db, id, t, Some(me.user.id), Utc::now()).await?;
    state.hub.notify(id);
    if matches!(t, Transition::Start | Transition::Resume) {
        state.drill_wake.notify_one();
    }
    Ok(Json(drill))
}

/// `planned → running`: the drill clock starts; injects at offset 0 are released
/// at once. 409 when the drill is not planned.
#[utoipa::path(post, path = "/api/v1/drills/{id}/start", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Drill), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn start_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Drill>> {
    transition(&state, &me, id, Transition::Start).await
}

/// `running → paused`: holds every pending inject. 409 unless running.
#[utoipa::path(post, path = "/api/v1/drills/{id}/pause", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Drill), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn pause_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Drill>> {
    transition(&state, &me, id, Transition::Pause).await
}

/// `paused → running`: pending injects shift by the length of the pause. 409 unless
/// paused.
#[utoipa::path(post, path = "/api/v1/drills/{id}/resume", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Drill), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn resume_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Drill>> {
    transition(&state, &me, id, Transition::Resume).await
}

/// `running | paused → ended`. Pending injects stay pending (never released).
#[utoipa::path(post, path = "/api/v1/drills/{id}/end", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Drill), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn end_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Drill>> {
    transition(&state, &me, id, Transition::End).await
}

/// A new drill speed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpeedChange {
    /// Drill seconds per wall-clock second, 0.01–1000.
    pub speed: f64,
}

/// Changes the drill's speed from now on (planned, running or paused): drill time
/// already elapsed stays, pending injects fall due at the new pace. A
/// `drill_speed_changed` event records it. 422 naming `speed` outside 0.01–1000; 409
/// once the drill has ended.
#[utoipa::path(post, path = "/api/v1/drills/{id}/speed", tag = "drills", params(("id" = Uuid, Path)),
    request_body = SpeedChange,
    responses((status = 200, body = Drill), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn set_speed(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<SpeedChange>,
) -> AppResult<Json<Drill>> {
    drills::get(&state.db, &me.scope, id).await?;
    require_controller(&me)?;
    if !DrillClock::is_valid_speed(req.speed) {
        return Err(AppError::field(
            "speed",
            "out_of_range",
            format!("must be between {MIN_SPEED} and {MAX_SPEED}"),
        ));
    }
    let drill = drills::set_speed(&state.db, id, req.speed, Some(me.user.id), Utc::now()).await?;
    state.hub.notify(id);
    // The scheduler sleeps until the next due time at the old pace: wake it.
    state.drill_wake.notify_one();
    Ok(Json(drill))
}

// ---------------------------------------------------------------- injects

#[utoipa::path(get, path = "/api/v1/drills/{id}/timeline", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Paged<TimelineEntry>), (status = 404, body = ErrorEnvelope)))]
pub async fn get_timeline(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Paged<TimelineEntry>>> {
    drills::get(&state.db, &me.scope, id).await?;
    let items = drills::timeline(&state.db, id).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// Releases an inject now (by key or id). 409 when it was already released or
/// skipped, or when the drill is planned or ended.
#[utoipa::path(post, path = "/api/v1/drills/{id}/injects/{key}/release", tag = "drills",
    params(("id" = Uuid, Path), ("key" = String, Path, description = "the inject's key or id")),
    responses((status = 200, body = Released), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn release_inject(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, key)): ApiPath<(Uuid, String)>,
) -> AppResult<Json<Released>> {
    drills::get(&state.db, &me.scope, id).await?;
    require_controller(&me)?;
    let released = drills::release(
        &state.db,
        id,
        &key,
        ReleaseBy::Controller(me.user.id),
        Utc::now(),
    )
    .await?;
    state.hub.notify(id);
    released
        .map(Json)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a controller release returned nothing")))
}

/// Marks a pending inject as never to be released. 409 when it is no longer pending
/// or the drill has ended.
#[utoipa::path(post, path = "/api/v1/drills/{id}/injects/{key}/skip", tag = "drills",
    params(("id" = Uuid, Path), ("key" = String, Path, description = "the inject's key or id")),
    responses((status = 200, body = TimelineEntry), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)))]
pub async fn skip_inject(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, key)): ApiPath<(Uuid, String)>,
) -> AppResult<Json<TimelineEntry>> {
    drills::get(&state.db, &me.scope, id).await?;
    require_controller(&me)?;
    let skipped = drills::skip(&state.db, id, &key, me.user.id, Utc::now()).await?;
    state.hub.notify(id);
    Ok(Json(skipped))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BilingualText {
    pub vi: String,
    pub en: String,
}

/// An inject composed during the drill; released at once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAdHocInject {
    /// Default `adhoc-N`. Lowercase letters, digits and single hyphens.
    pub key: Option<String>,
    /// `all`, `blue`, `red`, `controllers` or `team:TEAM_ID`.
    pub audience: String,
    /// `soc_alert`, `email`, `phone_call`, `news`, `ticket`, `situation_update`.
    pub channel: String,
    pub title: BilingualText,
    pub body: BilingualText,
}

fn validate_ad_hoc(req: CreateAdHocInject) -> Result<AdHocInject, FieldErrors> {
    let mut errors = FieldErrors::new();
    if let Some(k) = &req.key
        && Slug::parse(k).is_none()
    {
        errors.add(
            "key",
            "invalid",
            "use lowercase letters, digits and single hyphens, starting with a letter",
        );
    }
    let audience_ok = matches!(
        req.audience.as_str(),
        "all" | "blue" | "red" | "controllers"
    ) || req
        .audience
        .strip_prefix("team:")
        .is_some_and(|t| Uuid::parse_str(t).is_ok() || Slug::parse(t).is_some());
    if !audience_ok {
        errors.add(
            "audience",
            "invalid",
            "one of all, blue, red, controllers, team:TEAM_ID",
        );
    }
    if Channel::from_keyword(&req.channel).is_none() {
        errors.add(
            "channel",
            "invalid",
            format!(
                "one of {}",
                Channel::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    for (field, text) in [("title.vi", &req.title.vi), ("title.en", &req.title.en)] {
        let n = text.trim().chars().count();
        if n == 0 || n > 200 {
            errors.add(field, "invalid", "must be 1–200 characters");
        }
    }
    for (field, text) in [("body.vi", &req.body.vi), ("body.en", &req.body.en)] {
        if text.len() > MAX_BODY_BYTES {
            errors.add(field, "too_long", format!("at most {MAX_BODY_BYTES} bytes"));
        }
    }
    errors.into_result(AdHocInject {
        key: req.key,
        audience: req.audience,
        channel: req.channel,
        title: Text {
            vi: req.title.vi.trim().to_owned(),
            en: req.title.en.trim().to_owned(),
        },
        body: Text {
            vi: req.body.vi,
            en: req.body.en,
        },
    })
}

#[utoipa::path(post, path = "/api/v1/drills/{id}/injects", tag = "drills", params(("id" = Uuid, Path)),
    request_body = CreateAdHocInject,
    responses((status = 201, body = Released), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn create_ad_hoc_inject(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<CreateAdHocInject>,
) -> AppResult<(StatusCode, Json<Released>)> {
    drills::get(&state.db, &me.scope, id).await?;
    require_controller(&me)?;
    let inject = validate_ad_hoc(req)?;
    let released = drills::release_ad_hoc(&state.db, id, &inject, me.user.id, Utc::now()).await?;
    state.hub.notify(id);
    Ok((StatusCode::CREATED, Json(released)))
}

// ---------------------------------------------------------------- acknowledgements

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    pub inject_id: Uuid,
}

/// Acknowledges a released inject for the caller's team (staff: for themselves).
/// 201 with `received_at` the first time; 200 with the first acknowledgement when the
/// team had already acknowledged (nothing is recorded twice). 409 `not_released`
/// when the inject has not been released, 404 for an inject the caller may not see.
#[utoipa::path(post, path = "/api/v1/drills/{id}/acks", tag = "drills", params(("id" = Uuid, Path)),
    request_body = AckRequest,
    responses((status = 201, body = Ack), (status = 200, body = Ack), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn record_ack(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<AckRequest>,
) -> AppResult<(StatusCode, Json<Ack>)> {
    drills::get(&state.db, &me.scope, id).await?;
    let teams = match me.role() {
        Role::Responder => drills::teams_of_user(&state.db, id, me.user.id).await?,
        _ => Vec::new(),
    };
    let visibility = Visibility::of(me.role(), &teams);
    let ack = drills::record_ack(
        &state.db,
        id,
        req.inject_id,
        me.user.id,
        teams.first().map(|t| t.0),
        &visibility,
        Utc::now(),
    )
    .await
    .map_err(|e| match e {
        AckError::NotReleased(key) => AppError::Conflict {
            message: format!("inject {key} has not been released"),
            fields: FieldErrors::single("inject_id", "not_released", "not released yet"),
        },
        AckError::Store(StoreError::NotFound) => AppError::field(
            "inject_id",
            "invalid_reference",
            "no such inject in this drill",
        ),
        AckError::Store(e) => e.into(),
    })?;
    if ack.created {
        state.hub.notify(id);
        Ok((StatusCode::CREATED, Json(ack)))
    } else {
        Ok((StatusCode::OK, Json(ack)))
    }
}

// ---------------------------------------------------------------- the log

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events with a greater `seq` (0 = from the start).
    pub since: Option<i64>,
    /// At most this many events, 1–1000 (default 1000).
    pub limit: Option<u64>,
}

/// A page of the event log; pass `next_cursor` back as `since` for more.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<Event>,
    pub next_cursor: Option<i64>,
    /// `seq` of the last event of the whole log.
    pub head_seq: i64,
}

const MAX_EVENTS: u64 = 1000;

#[utoipa::path(get, path = "/api/v1/drills/{id}/events", tag = "drills", params(("id" = Uuid, Path), EventQuery),
    responses((status = 200, body = EventPage), (status = 404, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub async fn list_events(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> AppResult<Json<EventPage>> {
    let drill = drills::get(&state.db, &me.scope, id).await?;
    let since = query.since.unwrap_or(0);
    if since < 0 || since > drill.head_seq {
        return Err(AppError::field(
            "since",
            "out_of_range",
            format!("must be between 0 and {}", drill.head_seq),
        ));
    }
    let limit = query.limit.unwrap_or(MAX_EVENTS).clamp(1, MAX_EVENTS);
    let visibility = match me.role() {
        Role::Responder => {
            let teams = drills::teams_of_user(&state.db, id, me.user.id).await?;
            Visibility::of(Role::Responder, &teams)
        }
        role => Visibility::of(role, &[]),
    };
    let audiences = match &visibility {
        Visibility::All => None,
        Visibility::Audiences(list) => Some(list.as_slice()),
    };
    // Fetch one more than asked to know whether there is a next page.
    let mut items = drill_log::events_after(&state.db, id, since, audiences, limit + 1).await?;
    let next_cursor = if items.len() as u64 > limit {
        items.truncate(limit as usize);
        items.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(EventPage {
        items,
        next_cursor,
        head_seq: drill.head_seq,
    }))
}

/// Recomputes the hash chain of the drill's log. `ok: false` names the first event
/// that was altered, removed or reordered (`first_bad_seq`, `problem`).
#[utoipa::path(get, path = "/api/v1/drills/{id}/verify", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Verification), (status = 404, body = ErrorEnvelope)))]
pub async fn verify_drill(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Verification>> {
    drills::get(&state.db, &me.scope, id).await?;
    Ok(Json(drill_log::verify_drill(&state.db, id).await?))
}

// ---------------------------------------------------------------- presence

/// One user with a live socket open to the drill.
#[derive(Debug, Serialize, ToSchema)]
pub struct OnlineUser {
    pub user_id: Uuid,
    pub username: String,
    pub full_name: String,
    /// The drill team they joined as; `null` for staff.
    pub team_id: Option<Uuid>,
    pub sockets: usize,
}

/// Who is online now, per drill team.
#[derive(Debug, Serialize, ToSchema)]
pub struct Presence {
    pub users: Vec<OnlineUser>,
    /// Per drill team (every team of the drill, zero when nobody is online).
    pub teams: Vec<TeamPresence>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamPresence {
    pub team_id: Uuid,
    pub side: Side,
    pub online: usize,
}

/// Who has the drill's live channel open now (controllers, evaluators, observers).
/// Counted by the server that answers: with several servers behind a load balancer,
/// each knows only its own sockets.
#[utoipa::path(get, path = "/api/v1/drills/{id}/presence", tag = "drills", params(("id" = Uuid, Path)),
    responses((status = 200, body = Presence), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub async fn get_presence(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Presence>> {
    let drill = drills::get(&state.db, &me.scope, id).await?;
    if me.role() == Role::Responder {
        return Err(AppError::Forbidden);
    }
    let mut users = Vec::new();
    for online in state.hub.online(id) {
        // A user deleted while connected simply drops out of the list.
        if let Some(user) = store::users::get(&state.db, online.user_id).await? {
            users.push(OnlineUser {
                user_id: user.id,
                username: user.username,
                full_name: user.full_name,
                team_id: online.team_id,
                sockets: online.sockets,
            });
        }
    }
    let teams = drill
        .teams
        .iter()
        .map(|t| TeamPresence {
            team_id: t.team_id,
            side: t.side,
            online: users
                .iter()
                .filter(|u| u.team_id == Some(t.team_id))
                .count(),
        })
        .collect();
    Ok(Json(Presence { users, teams }))
}
