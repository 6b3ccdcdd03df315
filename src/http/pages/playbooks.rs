//! Playbook pages (phương án ứng cứu sự cố): the list with stale badges, the version
//! in force, the form (every save stores a new version), and the history.
//! Validation is the API's (`validate_playbook`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::common::{
    EXTRA_ROWS, FormReader, OrgOption, codes, form_date, merge, org_tree, parse_id, require_editor,
    row_errors, store_field_errors,
};
use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::domain::registry::{PlaybookDraft, PlaybookStep, validate_playbook};
use crate::domain::{FieldErrors, IncidentCategory};
use crate::state::AppState;
use crate::store;
use crate::store::playbooks::{Playbook, PlaybookFilter, PlaybookVersion};
use crate::store::systems::System;
use crate::time::vietnam_date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/playbooks", get(list_playbooks))
        .route("/systems/{id}/playbooks/new", get(new_playbook))
        .route(
            "/systems/{id}/playbooks",
            axum::routing::post(create_playbook),
        )
        .route("/playbooks/{id}", get(show_playbook))
        .route(
            "/playbooks/{id}/edit",
            get(edit_playbook).post(save_playbook),
        )
        .route("/playbooks/{id}/versions", get(list_versions))
        .route("/playbooks/{id}/versions/{n}", get(show_version))
}

fn today() -> NaiveDate {
    vietnam_date(Utc::now())
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct PlaybookListQuery {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub category: String,
    /// "yes", "no" or "".
    #[serde(default)]
    pub stale: String,
}

#[derive(Serialize)]
pub struct PlaybookRowVm {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub org_name: String,
    pub category: &'static str,
    pub title: String,
    pub version: i32,
    pub approved_on: Option<String>,
    pub reviewed_on: Option<String>,
    pub stale: bool,
}

#[derive(Serialize)]
pub struct PlaybooksVm {
    pub filters: PlaybookListQuery,
    pub rows: Vec<PlaybookRowVm>,
    pub stale_count: usize,
    pub orgs: Vec<OrgOption>,
    pub categories: Vec<&'static str>,
}

fn playbook_row(p: &Playbook, names: &HashMap<Uuid, String>) -> PlaybookRowVm {
    PlaybookRowVm {
        id: p.id.to_string(),
        system_id: p.system_id.to_string(),
        system_name: p.system_name.clone(),
        org_name: names.get(&p.org_id).cloned().unwrap_or_default(),
        category: p.category.code(),
        title: p.title.clone(),
        version: p.version,
        approved_on: p.approved_on.map(|d| d.to_string()),
        reviewed_on: p.reviewed_on.map(|d| d.to_string()),
        stale: p.stale,
    }
}

async fn list_playbooks(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(query): Query<PlaybookListQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let filter = PlaybookFilter {
        system_id: None,
        org_id: query.org_id.parse().ok(),
        category: query.category.parse().ok(),
        stale: match query.stale.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
    };
    let books = store::playbooks::list(&state.db, &me.scope, &filter)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = PlaybooksVm {
        stale_count: books.iter().filter(|p| p.stale).count(),
        rows: books.iter().map(|p| playbook_row(p, &names)).collect(),
        filters: query,
        orgs: org_tree(&orgs),
        categories: codes(IncidentCategory::ALL, IncidentCategory::code),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/playbooks",
        "playbooks-title",
        "playbooks",
        &vm,
    ))
}

// ---------------------------------------------------------------- detail

#[derive(Serialize)]
pub struct StepVm {
    pub order: u32,
    pub action: String,
    pub role: String,
}

/// The content of one version, shared by the detail and the old-version pages.
#[derive(Serialize)]
pub struct PlaybookVm {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub category: &'static str,
    pub title: String,
    pub version: i32,
    /// The version in force (for links from an old version).
    pub current_version: i32,
    pub is_current: bool,
    pub steps: Vec<StepVm>,
    pub priority_conditions: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<String>,
    pub reviewed_on: Option<String>,
    pub change_note: String,
    pub saved_at: String,
    pub stale: bool,
    /// When the system last changed (explains the stale badge).
    pub system_changed_on: Option<String>,
    /// The date the staleness rule compares with: reviewed, else approved.
    pub last_review: Option<String>,
    pub may_edit: bool,
}

fn steps_vm(steps: &[PlaybookStep]) -> Vec<StepVm> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| StepVm {
            order: s.order.unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)),
            action: s.action.clone(),
            role: s.role.clone(),
        })
        .collect()
}

async fn show_playbook(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let p = store::playbooks::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let system = store::systems::get(&state.db, &me.scope, p.system_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = PlaybookVm {
        id: p.id.to_string(),
        system_id: p.system_id.to_string(),
        system_name: p.system_name.clone(),
        category: p.category.code(),
        title: p.title.clone(),
        version: p.version,
        current_version: p.version,
        is_current: true,
        steps: steps_vm(&p.steps),
        priority_conditions: p.priority_conditions.clone(),
        approved_by: p.approved_by.clone(),
        approved_on: p.approved_on.map(|d| d.to_string()),
        reviewed_on: p.reviewed_on.map(|d| d.to_string()),
        change_note: p.change_note.clone(),
        saved_at: p.updated_at.to_rfc3339(),
        stale: p.stale,
        system_changed_on: system.last_changed_on.map(|d| d.to_string()),
        last_review: p.reviewed_on.or(p.approved_on).map(|d| d.to_string()),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/playbook",
        "playbook-title",
        "playbooks",
        &vm,
    ))
}

// ---------------------------------------------------------------- history

#[derive(Serialize)]
pub struct VersionRowVm {
    pub version: i32,
    pub title: String,
    pub change_note: String,
    pub approved_on: Option<String>,
    pub reviewed_on: Option<String>,
    pub steps: usize,
    pub saved_at: String,
    pub is_current: bool,
}

#[derive(Serialize)]
pub struct VersionsVm {
    pub id: String,
    pub title: String,
    pub system_id: String,
    pub system_name: String,
    pub rows: Vec<VersionRowVm>,
}

async fn list_versions(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let p = store::playbooks::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let versions = store::playbooks::versions(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = VersionsVm {
        id: p.id.to_string(),
        title: p.title.clone(),
        system_id: p.system_id.to_string(),
        system_name: p.system_name.clone(),
        rows: versions
            .iter()
            .map(|v| VersionRowVm {
                version: v.version,
                title: v.title.clone(),
                change_note: v.change_note.clone(),
                approved_on: v.approved_on.map(|d| d.to_string()),
                reviewed_on: v.reviewed_on.map(|d| d.to_string()),
                steps: v.steps.len(),
                saved_at: v.created_at.to_rfc3339(),
                is_current: v.version == p.version,
            })
            .collect(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/playbook_versions",
        "playbook-versions-title",
        "playbooks",
        &vm,
    ))
}

async fn show_version(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let n: i32 = n
        .parse()
        .map_err(|_| ctx.fail(crate::error::AppError::NotFound))?;
    let p = store::playbooks::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let v: PlaybookVersion = store::playbooks::version(&state.db, &me.scope, id, n)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = PlaybookVm {
        id: p.id.to_string(),
        system_id: p.system_id.to_string(),
        system_name: p.system_name.clone(),
        category: v.category.code(),
        title: v.title.clone(),
        version: v.version,
        current_version: p.version,
        is_current: v.version == p.version,
        steps: steps_vm(&v.steps),
        priority_conditions: v.priority_conditions.clone(),
        approved_by: v.approved_by.clone(),
        approved_on: v.approved_on.map(|d| d.to_string()),
        reviewed_on: v.reviewed_on.map(|d| d.to_string()),
        change_note: v.change_note.clone(),
        saved_at: v.created_at.to_rfc3339(),
        // Staleness is a property of the version in force, not of history.
        stale: false,
        system_changed_on: None,
        last_review: v.reviewed_on.or(v.approved_on).map(|d| d.to_string()),
        may_edit: false,
    };
    Ok(render(
        &state,
        &ctx,
        "pages/playbook_version",
        "playbook-version-title",
        "playbooks",
        &vm,
    ))
}

// ---------------------------------------------------------------- form

#[derive(Serialize, Default)]
pub struct StepRow {
    /// 1-based row number, shown and used in the inputs' accessible names.
    pub row: usize,
    pub action: String,
    pub role: String,
    pub errors: ErrorsVm,
}

#[derive(Serialize, Default)]
pub struct PlaybookFields {
    pub category: String,
    pub title: String,
    pub priority_conditions: String,
    pub approved_by: String,
    pub approved_on: String,
    pub reviewed_on: String,
    pub change_note: String,
    pub steps: Vec<StepRow>,
}

impl PlaybookFields {
    fn of(p: &Playbook) -> Self {
        PlaybookFields {
            category: p.category.code().to_owned(),
            title: p.title.clone(),
            priority_conditions: p.priority_conditions.clone(),
            approved_by: p.approved_by.clone().unwrap_or_default(),
            approved_on: form_date(p.approved_on),
            reviewed_on: form_date(p.reviewed_on),
            // A new version says what changed in it.
            change_note: String::new(),
            steps: p
                .steps
                .iter()
                .map(|s| StepRow {
                    row: 0,
                    action: s.action.clone(),
                    role: s.role.clone(),
                    errors: ErrorsVm::default(),
                })
                .collect(),
        }
    }

    fn from_form(form: &FormData) -> Self {
        PlaybookFields {
            category: form.get("category").to_owned(),
            title: form.get("title").to_owned(),
            priority_conditions: form.get("priority_conditions").to_owned(),
            approved_by: form.get("approved_by").to_owned(),
            approved_on: form.get("approved_on").to_owned(),
            reviewed_on: form.get("reviewed_on").to_owned(),
            change_note: form.get("change_note").to_owned(),
            steps: step_rows(form)
                .into_iter()
                .map(|(action, role)| StepRow {
                    row: 0,
                    action,
                    role,
                    errors: ErrorsVm::default(),
                })
                .collect(),
        }
    }

    /// Errors beside each filled row (row `i` is `steps.i`), then the empty rows.
    fn finish(mut self, errors: &FieldErrors) -> Self {
        for (i, row) in self.steps.iter_mut().enumerate() {
            row.errors = row_errors(errors, "steps", i);
        }
        self.steps
            .extend((0..EXTRA_ROWS).map(|_| StepRow::default()));
        for (i, row) in self.steps.iter_mut().enumerate() {
            row.row = i + 1;
        }
        self
    }
}

/// The step rows with an action or a role, in form order.
fn step_rows(form: &FormData) -> Vec<(String, String)> {
    let actions = form.all("step.action");
    let roles = form.all("step.role");
    (0..actions.len().max(roles.len()))
        .map(|i| {
            let get = |col: &Vec<&str>| col.get(i).map(|v| (*v).to_owned()).unwrap_or_default();
            (get(&actions), get(&roles))
        })
        .filter(|(a, r)| !a.trim().is_empty() || !r.trim().is_empty())
        .collect()
}

pub fn playbook_draft(form: &FormData) -> (PlaybookDraft, FieldErrors) {
    let mut r = FormReader::new(form);
    let draft = PlaybookDraft {
        category: r
            .choice::<IncidentCategory>("category")
            .unwrap_or(IncidentCategory::Other),
        title: r.text("title"),
        steps: step_rows(form)
            .into_iter()
            .enumerate()
            .map(|(i, (action, role))| PlaybookStep {
                order: Some(u32::try_from(i + 1).unwrap_or(u32::MAX)),
                action,
                role,
            })
            .collect(),
        priority_conditions: r.text("priority_conditions"),
        approved_by: r.opt("approved_by"),
        approved_on: r.date("approved_on"),
        reviewed_on: r.date("reviewed_on"),
        change_note: r.text("change_note").trim().to_owned(),
    };
    (draft, r.errors)
}

fn checked_playbook(form: &FormData) -> Result<PlaybookDraft, FieldErrors> {
    let (draft, mut errors) = playbook_draft(form);
    match validate_playbook(draft, today()) {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(domain) => {
            merge(&mut errors, domain);
            Err(errors)
        }
    }
}

#[derive(Serialize)]
pub struct PlaybookFormVm {
    pub is_new: bool,
    pub action: String,
    pub cancel: String,
    pub system_id: String,
    pub system_name: String,
    /// The version this edit replaces (0 for a new playbook).
    pub version: i32,
    pub form: PlaybookFields,
    pub errors: ErrorsVm,
    pub categories: Vec<&'static str>,
}

fn playbook_form_vm(
    system: &System,
    existing: Option<&Playbook>,
    form: PlaybookFields,
    errors: &FieldErrors,
) -> PlaybookFormVm {
    PlaybookFormVm {
        is_new: existing.is_none(),
        action: existing.map_or_else(
            || format!("/systems/{}/playbooks", system.id),
            |p| format!("/playbooks/{}/edit", p.id),
        ),
        cancel: existing.map_or_else(
            || format!("/systems/{}", system.id),
            |p| format!("/playbooks/{}", p.id),
        ),
        system_id: system.id.to_string(),
        system_name: system.name.clone(),
        version: existing.map_or(0, |p| p.version),
        form: form.finish(errors),
        errors: ErrorsVm::from(errors),
        categories: codes(IncidentCategory::ALL, IncidentCategory::code),
    }
}

fn form_title(existing: Option<&Playbook>) -> &'static str {
    if existing.is_some() {
        "playbook-edit-title"
    } else {
        "playbook-new-title"
    }
}

fn refused(
    state: &AppState,
    ctx: &PageCtx,
    system: &System,
    existing: Option<&Playbook>,
    form: &FormData,
    errors: &FieldErrors,
) -> Response {
    let vm = playbook_form_vm(system, existing, PlaybookFields::from_form(form), errors);
    render_status(
        state,
        ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/playbook_form",
        form_title(existing),
        "playbooks",
        &vm,
    )
}

async fn new_playbook(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let system = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    // Offer the first category the system has no playbook for yet.
    let taken: Vec<IncidentCategory> = system.playbooks.iter().map(|p| p.category).collect();
    let category = IncidentCategory::ALL
        .iter()
        .find(|c| !taken.contains(c))
        .copied()
        .unwrap_or(IncidentCategory::Other);
    let fields = PlaybookFields {
        category: category.code().to_owned(),
        ..Default::default()
    };
    let vm = playbook_form_vm(&system, None, fields, &FieldErrors::new());
    Ok(render(
        &state,
        &ctx,
        "pages/playbook_form",
        form_title(None),
        "playbooks",
        &vm,
    ))
}

async fn create_playbook(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let system = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let draft = match checked_playbook(&form) {
        Ok(d) => d,
        Err(errors) => return Ok(refused(&state, &ctx, &system, None, &form, &errors)),
    };
    match store::playbooks::create(&state.db, &me.scope, id, &draft, Some(me.user.id)).await {
        Ok(p) => Ok(Redirect::to(&format!("/playbooks/{}", p.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            Ok(refused(&state, &ctx, &system, None, &form, &errors))
        }
    }
}

async fn load(state: &AppState, ctx: &PageCtx, id: &str) -> Result<(Playbook, System), PageError> {
    let me = require_editor(ctx)?;
    let id = parse_id(ctx, id)?;
    let p = store::playbooks::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let system = store::systems::get(&state.db, &me.scope, p.system_id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok((p, system))
}

async fn edit_playbook(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (p, system) = load(&state, &ctx, &id).await?;
    let vm = playbook_form_vm(
        &system,
        Some(&p),
        PlaybookFields::of(&p),
        &FieldErrors::new(),
    );
    Ok(render(
        &state,
        &ctx,
        "pages/playbook_form",
        form_title(Some(&p)),
        "playbooks",
        &vm,
    ))
}

async fn save_playbook(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (p, system) = load(&state, &ctx, &id).await?;
    let me = require_editor(&ctx)?;
    let draft = match checked_playbook(&form) {
        Ok(d) => d,
        Err(errors) => return Ok(refused(&state, &ctx, &system, Some(&p), &form, &errors)),
    };
    match store::playbooks::save_version(&state.db, &me.scope, p.id, &draft, Some(me.user.id)).await
    {
        Ok(saved) => Ok(Redirect::to(&format!("/playbooks/{}", saved.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            Ok(refused(&state, &ctx, &system, Some(&p), &form, &errors))
        }
    }
}
