//! Planning a drill from the web: the controller picks a scenario, the kind and scale
//! of the drill, its target systems and the teams on each side, and the drill is
//! stored as planned, exactly as `POST /api/v1/drills` would store it (the same
//! checks, [`plan_drill`]). The controller console then starts it.
//!
//! No JavaScript: one form, every choice visible at once. Problems come back beside
//! the field they are about, the live-fire rule naming the system and its level.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;
use uuid::Uuid;

use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::auth::CurrentUser;
use crate::domain::drill::{DrillKind, DrillScale};
use crate::domain::{FieldErrors, Role, Side};
use crate::error::AppError;
use crate::http::api::drills::{CreateDrill, DrillTeamRequest, plan_drill};
use crate::state::AppState;
use crate::store::scenarios::ScenarioFilter;
use crate::store::systems::SystemFilter;
use crate::store::teams::TeamFilter;
use crate::store::{self, Page, StoreError};
use crate::time::vietnam_date;
use crate::views::Lang;

pub fn router() -> Router<AppState> {
    Router::new().route("/drills/new", get(new_drill).post(create_drill))
}

/// Only administrators and controllers plan drills (as in the API).
fn require_planner(ctx: &PageCtx) -> Result<CurrentUser, PageError> {
    let me = ctx.require_user()?.clone();
    if matches!(me.role(), Role::Admin | Role::Controller) {
        Ok(me)
    } else {
        Err(ctx.fail(AppError::Forbidden))
    }
}

#[derive(Serialize, Debug, Clone, Default)]
pub struct DrillPlanFields {
    pub title: String,
    pub scenario_id: String,
    pub kind: String,
    pub scale: String,
    pub speed: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct ScenarioChoiceVm {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Serialize, Debug, Clone)]
pub struct SystemChoiceVm {
    pub id: String,
    pub name: String,
    pub level: u8,
    pub checked: bool,
    /// Fluent key and arguments of the problem with this system, if any.
    pub error: Option<RowErrorVm>,
}

#[derive(Serialize, Debug, Clone)]
pub struct TeamChoiceVm {
    pub id: String,
    pub name: String,
    /// The team's side in the registry, the default when it is chosen.
    pub registry_side: String,
    /// `blue`, `red`, or empty when the team is not in the drill.
    pub side: String,
    /// The scenario's team slot this team fills (only for scenarios that address
    /// `team:SLOT`).
    pub slot: String,
    pub error: Option<RowErrorVm>,
}

/// A problem of one row: the message key, its arguments, and the English text shown
/// in brackets on English pages.
#[derive(Serialize, Debug, Clone)]
pub struct RowErrorVm {
    pub key: String,
    pub name: String,
    pub level: u8,
    pub message: String,
}

#[derive(Serialize)]
pub struct DrillPlanVm {
    pub form: DrillPlanFields,
    pub errors: ErrorsVm,
    pub scenarios: Vec<ScenarioChoiceVm>,
    pub systems: Vec<SystemChoiceVm>,
    pub teams: Vec<TeamChoiceVm>,
    pub kinds: Vec<&'static str>,
    pub scales: Vec<&'static str>,
}

/// What the registry offers the planner: scenarios, systems and teams in scope.
struct Offer {
    scenarios: Vec<(Uuid, String)>,
    systems: Vec<(Uuid, String, u8)>,
    teams: Vec<(Uuid, String, Side)>,
}

async fn offer(state: &AppState, me: &CurrentUser, lang: Lang) -> Result<Offer, StoreError> {
    let scenarios = store::scenarios::list(&state.db, &me.scope, &ScenarioFilter::default())
        .await?
        .into_iter()
        .map(|s| {
            let title = match lang {
                Lang::Vi => &s.title.vi,
                Lang::En => &s.title.en,
            };
            (s.id, format!("{title} ({}, v{})", s.slug, s.version))
        })
        .collect();
    let mut systems = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = store::systems::list(
            &state.db,
            &me.scope,
            &SystemFilter::default(),
            Page {
                after,
                limit: Page::MAX_LIMIT,
            },
        )
        .await?;
        systems.extend(page.into_iter().map(|s| (s.id, s.name, s.level.get())));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    // The systems a live-fire drill may target first, then by name.
    systems.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    let today = vietnam_date(chrono::Utc::now());
    let mut teams = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = store::teams::list(
            &state.db,
            &me.scope,
            &TeamFilter::default(),
            Page {
                after,
                limit: Page::MAX_LIMIT,
            },
            today,
        )
        .await?;
        teams.extend(page.into_iter().map(|t| (t.id, t.name, t.side)));
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(Offer {
        scenarios,
        systems,
        teams,
    })
}

fn plan_vm(offer: &Offer, form: &FormData, submitted: bool, errors: &FieldErrors) -> DrillPlanVm {
    let chosen_systems = form.all("system_ids");
    let chosen_teams = chosen_teams(offer, form);
    let fields = if submitted {
        DrillPlanFields {
            title: form.get("title").to_owned(),
            scenario_id: form.get("scenario_id").to_owned(),
            kind: form.get("kind").to_owned(),
            scale: form.get("scale").to_owned(),
            speed: form.get("speed").to_owned(),
        }
    } else {
        DrillPlanFields {
            kind: DrillKind::LiveFire.code().to_owned(),
            scale: DrillScale::Internal.code().to_owned(),
            speed: "1".into(),
            ..Default::default()
        }
    };
    // Problems of list entries come back by their position in the request.
    let row_error = |prefix: &str, index: Option<usize>, name: &str, level: u8| {
        let index = index?;
        let head = format!("{prefix}.{index}");
        errors
            .0
            .iter()
            .find(|(field, _)| **field == head || field.starts_with(&format!("{head}.")))
            .map(|(_, e)| RowErrorVm {
                key: format!("error-{}", e.code.replace('_', "-")),
                name: name.to_owned(),
                level,
                message: e.message.clone(),
            })
    };
    let systems = offer
        .systems
        .iter()
        .map(|(id, name, level)| {
            let id = id.to_string();
            let index = chosen_systems.iter().position(|c| *c == id);
            SystemChoiceVm {
                error: row_error("system_ids", index, name, *level),
                checked: index.is_some(),
                id,
                name: name.clone(),
                level: *level,
            }
        })
        .collect();
    let teams = offer
        .teams
        .iter()
        .map(|(id, name, side)| {
            let index = chosen_teams.iter().position(|t| t.team_id == *id);
            let key = id.to_string();
            TeamChoiceVm {
                error: row_error("teams", index, name, 0),
                side: form.get(&format!("side.{key}")).to_owned(),
                slot: form.get(&format!("slot.{key}")).to_owned(),
                registry_side: side.code().to_owned(),
                id: key,
                name: name.clone(),
            }
        })
        .collect();
    let scenarios = offer
        .scenarios
        .iter()
        .map(|(id, name)| ScenarioChoiceVm {
            selected: id.to_string() == fields.scenario_id,
            id: id.to_string(),
            name: name.clone(),
        })
        .collect();
    DrillPlanVm {
        form: fields,
        errors: ErrorsVm::from(errors),
        scenarios,
        systems,
        teams,
        kinds: vec![
            DrillKind::LiveFire.code(),
            DrillKind::Functional.code(),
            DrillKind::Tabletop.code(),
        ],
        scales: DrillScale::ALL.iter().map(|s| s.code()).collect(),
    }
}

/// The teams the form puts in the drill, in the order of the registry list.
fn chosen_teams(offer: &Offer, form: &FormData) -> Vec<DrillTeamRequest> {
    offer
        .teams
        .iter()
        .filter_map(|(id, _, _)| {
            let side = match form.get(&format!("side.{id}")) {
                "blue" => Side::Blue,
                "red" => Side::Red,
                _ => return None,
            };
            let slot = form.get(&format!("slot.{id}")).trim();
            Some(DrillTeamRequest {
                team_id: *id,
                side,
                slot: (!slot.is_empty()).then(|| slot.to_owned()),
            })
        })
        .collect()
}

/// The form as the API's request, or the problems of the fields that could not be
/// read at all.
fn request(offer: &Offer, form: &FormData) -> Result<CreateDrill, FieldErrors> {
    let mut errors = FieldErrors::new();
    let scenario_id = match form.get("scenario_id").parse::<Uuid>() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add("scenario_id", "required", "choose a scenario");
            None
        }
    };
    let kind = DrillKind::parse(form.get("kind"));
    if kind.is_none() {
        errors.add("kind", "required", "choose the kind of drill");
    }
    let scale = DrillScale::parse(form.get("scale"));
    if scale.is_none() {
        errors.add("scale", "required", "choose the scale of the drill");
    }
    // People write 0,5 as well as 0.5.
    let speed = form
        .get("speed")
        .trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok();
    if speed.is_none() {
        errors.add("speed", "invalid", "a number, e.g. 1 or 0.5");
    }
    // The checks of the API that need nothing from the database, here too, so that an
    // empty form is told everything it lacks at once.
    let title = form.get("title").trim();
    if title.is_empty() {
        errors.add("title", "required", "must be 1–200 characters");
    } else if title.chars().count() > 200 {
        errors.add("title", "too_long", "must be 1–200 characters");
    }
    let system_ids: Vec<Uuid> = form
        .all("system_ids")
        .iter()
        .filter_map(|raw| raw.parse().ok())
        .collect();
    if system_ids.is_empty() {
        errors.add("system_ids", "required", "name at least one target system");
    }
    let teams = chosen_teams(offer, form);
    if teams.is_empty() {
        errors.add("teams", "required", "name at least one team");
    }
    match (scenario_id, kind, scale, speed) {
        (Some(scenario_id), Some(kind), Some(scale), Some(speed)) if errors.is_empty() => {
            Ok(CreateDrill {
                scenario_id,
                scenario_version: None,
                title: title.to_owned(),
                kind,
                scale,
                system_ids,
                teams,
                speed,
            })
        }
        _ => Err(errors),
    }
}

async fn new_drill(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = require_planner(&ctx)?;
    let offer = offer(&state, &me, ctx.lang)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = plan_vm(&offer, &FormData(Vec::new()), false, &FieldErrors::new());
    Ok(render(
        &state,
        &ctx,
        "pages/drill_plan",
        "drill-plan-title",
        "drills",
        &vm,
    ))
}

async fn create_drill(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_planner(&ctx)?;
    let offer = offer(&state, &me, ctx.lang)
        .await
        .map_err(|e| ctx.fail(e))?;
    let errors = match request(&offer, &form) {
        Ok(req) => match plan_drill(&state, &me, req).await {
            Ok(drill) => {
                return Ok(Redirect::to(&format!("/drills/{}/control", drill.id)).into_response());
            }
            Err(AppError::Validation(errors)) => errors,
            Err(e) => return Err(ctx.fail(e)),
        },
        Err(errors) => errors,
    };
    let vm = plan_vm(&offer, &form, true, &errors);
    Ok(render_status(
        &state,
        &ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/drill_plan",
        "drill-plan-title",
        "drills",
        &vm,
    ))
}
