//! The after-action report page (`/drills/{id}/aar`): the report with its timeline
//! chart, and for controllers and evaluators the forms (no JavaScript) that add
//! strengths, areas for improvement and corrective actions and complete actions. The
//! same body, standalone with inline styles, is the HTML export of the API.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::common::{parse_id, store_field_errors};
use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render_status};
use crate::auth::CurrentUser;
use crate::domain::{FieldErrors, Role};
use crate::error::AppError;
use crate::export::chart::fmt_duration;
use crate::export::{aar as aar_export, svg};
use crate::http::api::aar::{NewCorrectiveAction, check_text, validate_action};
use crate::state::AppState;
use crate::store::after_action::{self, ActionStatus, AfterActionReport, ObservationKind};
use crate::store::playbooks::PlaybookFilter;
use crate::time::display_vn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/drills/{id}/aar", get(show_aar))
        .route("/drills/{id}/aar/observations", post(add_observation))
        .route("/drills/{id}/aar/actions", post(add_action))
        .route(
            "/drills/{id}/aar/actions/{action_id}/complete",
            post(complete_action),
        )
}

#[derive(Serialize)]
pub struct InjectVm {
    pub key: String,
    pub title_vi: String,
    pub title_en: String,
    pub state: String,
    pub released: String,
    pub ack_after: String,
    pub expected: String,
}

#[derive(Serialize)]
pub struct ObservationVm {
    pub id: String,
    pub text: String,
}

#[derive(Serialize)]
pub struct ActionVm {
    pub id: String,
    pub action: String,
    pub owner: String,
    pub due: String,
    pub playbook_id: String,
    pub playbook_title: String,
    pub done: bool,
    pub playbook_version: String,
    pub completed: String,
}

#[derive(Serialize)]
pub struct OptionVm {
    pub id: String,
    pub label: String,
}

#[derive(Serialize, Default)]
pub struct ActionFormVm {
    pub action: String,
    pub owner: String,
    pub due_on: String,
    pub observation_id: String,
    pub playbook_id: String,
}

#[derive(Serialize)]
pub struct AarVm {
    pub drill_id: String,
    pub title: String,
    pub organisation: String,
    pub generated: String,
    pub generated_by: String,
    pub scenario_vi: String,
    pub scenario_en: String,
    pub scenario_version: i32,
    pub summary_vi: String,
    pub summary_en: String,
    pub kind: String,
    pub status: String,
    pub started: String,
    pub ended: String,
    pub systems: String,
    pub teams: String,
    pub objectives: Vec<String>,
    pub injects: Vec<InjectVm>,
    /// Rendered by `export::svg`, which escapes every text it draws.
    pub chart_svg: String,
    pub strengths: Vec<ObservationVm>,
    pub improvements: Vec<ObservationVm>,
    pub actions: Vec<ActionVm>,
    pub log_events: i64,
    pub log_head: String,
    pub may_edit: bool,
    pub playbooks: Vec<OptionVm>,
    pub errors: ErrorsVm,
    pub observation_text: String,
    pub observation_kind: String,
    pub action_form: ActionFormVm,
}

fn vn(t: Option<DateTime<Utc>>) -> String {
    t.map(display_vn).unwrap_or_else(|| "—".into())
}

pub fn view_model(
    report: &AfterActionReport,
    organisation: &str,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> AarVm {
    let d = &report.drill;
    let figure = aar_export::timeline_chart(report).layout();
    AarVm {
        drill_id: d.id.to_string(),
        title: d.title.clone(),
        organisation: organisation.to_owned(),
        generated: display_vn(generated_at),
        generated_by: generated_by.to_owned(),
        scenario_vi: report.scenario_title.vi.clone(),
        scenario_en: report.scenario_title.en.clone(),
        scenario_version: d.scenario_version,
        summary_vi: report.scenario_summary.vi.clone(),
        summary_en: report.scenario_summary.en.clone(),
        kind: d.kind.code().to_owned(),
        status: d.status.code().to_owned(),
        started: vn(d.started_at),
        ended: vn(d.ended_at),
        systems: report.systems.join(", "),
        teams: report.teams.join(", "),
        objectives: report
            .objectives
            .iter()
            .map(|o| format!("{} / {}", o.vi, o.en))
            .collect(),
        injects: report
            .injects
            .iter()
            .map(|i| InjectVm {
                key: i.entry.key.clone(),
                title_vi: i.entry.title.vi.clone(),
                title_en: i.entry.title.en.clone(),
                state: i.entry.state.code().to_owned(),
                released: vn(i.entry.released_at),
                ack_after: i
                    .time_to_ack_s
                    .map(fmt_duration)
                    .unwrap_or_else(|| "—".into()),
                expected: i
                    .expectations
                    .iter()
                    .map(|x| format!("{} ≤ {}", x.kind, fmt_duration(f64::from(x.target_s))))
                    .collect::<Vec<_>>()
                    .join("; "),
            })
            .collect(),
        chart_svg: svg::render(&figure, "aar-timeline"),
        strengths: report
            .strengths
            .iter()
            .map(|o| ObservationVm {
                id: o.id.to_string(),
                text: o.text.clone(),
            })
            .collect(),
        improvements: report
            .improvements
            .iter()
            .map(|o| ObservationVm {
                id: o.id.to_string(),
                text: o.text.clone(),
            })
            .collect(),
        actions: report
            .corrective_actions
            .iter()
            .map(|a| ActionVm {
                id: a.id.to_string(),
                action: a.action.clone(),
                owner: a.owner.clone(),
                due: a.due_on.format("%d/%m/%Y").to_string(),
                playbook_id: a.playbook_id.map(|p| p.to_string()).unwrap_or_default(),
                playbook_title: a.playbook_title.clone().unwrap_or_default(),
                done: a.status == ActionStatus::Done,
                playbook_version: a
                    .playbook_version
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                completed: vn(a.completed_at),
            })
            .collect(),
        log_events: report.log_events,
        log_head: report.log_head.clone(),
        may_edit: false,
        playbooks: Vec::new(),
        errors: ErrorsVm::default(),
        observation_text: String::new(),
        observation_kind: "improvement".into(),
        action_form: ActionFormVm::default(),
    }
}

/// The HTML export: the report body in a standalone document with inline styles.
pub fn standalone_html(
    state: &AppState,
    report: &AfterActionReport,
    organisation: &str,
    generated_at: DateTime<Utc>,
    generated_by: &str,
) -> Result<String, AppError> {
    #[derive(Serialize)]
    struct Standalone<'a> {
        lang: &'static str,
        data: &'a AarVm,
    }
    let vm = view_model(report, organisation, generated_at, generated_by);
    state
        .views
        .render(
            "pages/aar_export",
            &Standalone {
                lang: "vi",
                data: &vm,
            },
        )
        .map_err(|e| AppError::Internal(anyhow::anyhow!("aar export template: {e}")))
}

fn may_edit(me: &CurrentUser) -> bool {
    matches!(me.role(), Role::Admin | Role::Controller | Role::Evaluator)
}

fn require_aar_editor(ctx: &PageCtx) -> Result<CurrentUser, PageError> {
    let me = ctx.require_user()?.clone();
    if may_edit(&me) {
        Ok(me)
    } else {
        Err(ctx.fail(AppError::Forbidden))
    }
}

async fn page_vm(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    id: Uuid,
) -> Result<AarVm, PageError> {
    let report = after_action::report(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let org = crate::http::api::aar::organisation_name(state, report.drill.org_id).await;
    let mut vm = view_model(&report, &org, Utc::now(), &me.user.username);
    vm.may_edit = may_edit(me);
    if vm.may_edit {
        let books = crate::store::playbooks::list(&state.db, &me.scope, &PlaybookFilter::default())
            .await
            .map_err(|e| ctx.fail(e))?;
        // Playbooks of the drill's own systems first: they are the usual targets.
        let mut options: Vec<(bool, OptionVm)> = books
            .into_iter()
            .map(|p| {
                (
                    !report.drill.system_ids.contains(&p.system_id),
                    OptionVm {
                        id: p.id.to_string(),
                        label: format!("{} — {} (v{})", p.system_name, p.title, p.version),
                    },
                )
            })
            .collect();
        options.sort_by_key(|(other, _)| *other);
        vm.playbooks = options.into_iter().map(|(_, o)| o).collect();
    }
    Ok(vm)
}

fn show(state: &AppState, ctx: &PageCtx, status: StatusCode, vm: &AarVm) -> Response {
    render_status(state, ctx, status, "pages/aar", "aar-title", "", vm)
}

pub async fn show_aar(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let vm = page_vm(&state, &ctx, &me, id).await?;
    Ok(show(&state, &ctx, StatusCode::OK, &vm))
}

fn back(id: Uuid) -> Response {
    Redirect::to(&format!("/drills/{id}/aar")).into_response()
}

pub async fn add_observation(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_aar_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let mut errors = FieldErrors::new();
    let kind = match form.get("kind") {
        "strength" => ObservationKind::Strength,
        "improvement" => ObservationKind::Improvement,
        _ => {
            errors.add("kind", "invalid", "choose strength or improvement");
            ObservationKind::Improvement
        }
    };
    let text = check_text(&mut errors, "text", form.get("text"), 2000);
    if errors.is_empty() {
        match after_action::add_observation(
            &state.db,
            &me.scope,
            id,
            kind,
            &text,
            me.user.id,
            Utc::now(),
        )
        .await
        {
            Ok(_) => return Ok(back(id)),
            Err(e) => errors = store_field_errors(&ctx, e)?,
        }
    }
    let mut vm = page_vm(&state, &ctx, &me, id).await?;
    vm.errors = ErrorsVm::from(&errors);
    vm.observation_text = form.get("text").to_owned();
    vm.observation_kind = form.get("kind").to_owned();
    Ok(show(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &vm))
}

pub async fn add_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_aar_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let mut errors = FieldErrors::new();
    let due_on = match NaiveDate::parse_from_str(form.get("due_on"), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add("due_on", "invalid", "a date is required");
            None
        }
    };
    let optional_id = |name: &str, errors: &mut FieldErrors| match form.get(name) {
        "" => None,
        raw => match raw.parse::<Uuid>() {
            Ok(u) => Some(u),
            Err(_) => {
                errors.add(name, "invalid", "unknown choice");
                None
            }
        },
    };
    let observation_id = optional_id("observation_id", &mut errors);
    let playbook_id = optional_id("playbook_id", &mut errors);
    let req = NewCorrectiveAction {
        action: form.get("action").to_owned(),
        owner: form.get("owner").to_owned(),
        due_on: due_on.unwrap_or_default(),
        observation_id,
        playbook_id,
    };
    match validate_action(&req) {
        Ok(new) if errors.is_empty() => {
            match after_action::add_action(&state.db, &me.scope, id, &new, me.user.id, Utc::now())
                .await
            {
                Ok(_) => return Ok(back(id)),
                Err(e) => errors = store_field_errors(&ctx, e)?,
            }
        }
        Ok(_) => {}
        Err(more) => errors.0.extend(more.0),
    }
    let mut vm = page_vm(&state, &ctx, &me, id).await?;
    vm.errors = ErrorsVm::from(&errors);
    vm.action_form = ActionFormVm {
        action: form.get("action").to_owned(),
        owner: form.get("owner").to_owned(),
        due_on: form.get("due_on").to_owned(),
        observation_id: form.get("observation_id").to_owned(),
        playbook_id: form.get("playbook_id").to_owned(),
    };
    Ok(show(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &vm))
}

pub async fn complete_action(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, action_id)): Path<(String, String)>,
    _form: FormData,
) -> Result<Response, PageError> {
    let me = require_aar_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let action_id = parse_id(&ctx, &action_id)?;
    match after_action::complete_action(&state.db, &me.scope, id, action_id, me.user.id, Utc::now())
        .await
    {
        // Completing twice (a double submit) leaves the action done: show the report.
        Ok(_) | Err(crate::store::StoreError::Conflict { .. }) => Ok(back(id)),
        Err(e) => Err(ctx.fail(e)),
    }
}
