//! Information-system pages: the filtered list, the detail with its playbooks, the
//! create/edit form and the delete confirmation. Validation is the API's
//! (`validate_system`); the form only converts text into a `SystemDraft`.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::common::{
    FormReader, LEVELS, OrgOption, codes, form_date, merge, org_tree, parse_id, require_editor,
    roll_up, store_field_errors,
};
use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::domain::registry::{Dossier, SystemDraft, validate_system};
use crate::domain::{DossierStatus, FieldErrors, Sector, SecurityLevel, SystemType};
use crate::state::AppState;
use crate::store::systems::{System, SystemFilter};
use crate::store::{self, Page};
use crate::time::vietnam_date;

/// Rows per list page.
const PAGE_SIZE: u64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/systems", get(list_systems).post(create_system))
        .route("/systems/new", get(new_system))
        .route("/systems/{id}", get(show_system))
        .route("/systems/{id}/edit", get(edit_system).post(update_system))
        .route(
            "/systems/{id}/delete",
            get(confirm_delete_system).post(delete_system),
        )
}

// ---------------------------------------------------------------- list

/// The list's filters as typed in the filter form; values that do not parse are
/// ignored rather than refused, so an old bookmark still opens.
#[derive(Deserialize, Serialize, Default, Clone)]
pub struct SystemListQuery {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub sector: String,
    /// "yes", "no" or "".
    #[serde(default)]
    pub stale: String,
    /// "1" when only level-3+ systems without a current playbook are wanted.
    #[serde(default)]
    pub lacking: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub after: String,
}

impl SystemListQuery {
    fn filter(&self) -> SystemFilter {
        SystemFilter {
            org_id: self.org_id.parse().ok(),
            level: self
                .level
                .parse::<i64>()
                .ok()
                .and_then(|l| SecurityLevel::new(l).ok()),
            min_level: None,
            sector: self.sector.parse().ok(),
            stale: match self.stale.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            lacking_playbook: !self.lacking.is_empty(),
            q: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
        }
    }

    /// The link to the next page: the same filters, after the last row shown.
    fn next_link(&self, cursor: Uuid) -> String {
        let pairs = [
            ("org_id", self.org_id.as_str()),
            ("level", self.level.as_str()),
            ("sector", self.sector.as_str()),
            ("stale", self.stale.as_str()),
            ("lacking", self.lacking.as_str()),
            ("q", self.q.as_str()),
        ];
        let mut kept: Vec<(&str, String)> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        kept.push(("after", cursor.to_string()));
        let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
        format!("/systems?{query}")
    }

    fn is_filtered(&self) -> bool {
        [
            &self.org_id,
            &self.level,
            &self.sector,
            &self.stale,
            &self.lacking,
            &self.q,
            &self.after,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }
}

#[derive(Serialize)]
pub struct SystemRowVm {
    pub id: String,
    pub name: String,
    pub org_name: String,
    pub level: u8,
    pub system_type: &'static str,
    pub sector: Option<&'static str>,
    pub dossier_status: &'static str,
    /// "current", "stale" or "none".
    pub playbooks: &'static str,
    /// Level 3+ without a current playbook.
    pub lacking: bool,
    pub last_changed_on: Option<String>,
    pub updated_at: String,
}

#[derive(Serialize)]
pub struct SystemsVm {
    pub filters: SystemListQuery,
    pub filtered: bool,
    pub rows: Vec<SystemRowVm>,
    pub next: Option<String>,
    pub orgs: Vec<OrgOption>,
    pub levels: Vec<&'static str>,
    pub sectors: Vec<&'static str>,
    pub may_edit: bool,
}

/// Which playbook badge a system gets in the list.
pub fn playbook_state(s: &System) -> &'static str {
    if s.playbooks.is_empty() {
        "none"
    } else if s.has_stale_playbook() {
        "stale"
    } else {
        "current"
    }
}

pub fn row(s: &System, org_names: &HashMap<Uuid, String>) -> SystemRowVm {
    SystemRowVm {
        id: s.id.to_string(),
        name: s.name.clone(),
        org_name: org_names.get(&s.org_id).cloned().unwrap_or_default(),
        level: s.level.get(),
        system_type: s.system_type.code(),
        sector: s.sector.map(Sector::code),
        dossier_status: s.dossier.status.code(),
        playbooks: playbook_state(s),
        lacking: s.lacks_current_playbook(),
        last_changed_on: s.last_changed_on.map(|d| d.to_string()),
        updated_at: s.updated_at.to_rfc3339(),
    }
}

async fn list_systems(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(query): Query<SystemListQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let page = Page {
        after: query.after.parse().ok(),
        limit: PAGE_SIZE,
    };
    let (systems, next) = store::systems::list(&state.db, &me.scope, &query.filter(), page)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = SystemsVm {
        filtered: query.is_filtered(),
        rows: systems.iter().map(|s| row(s, &names)).collect(),
        next: next.map(|c| query.next_link(c)),
        filters: query,
        orgs: org_tree(&orgs),
        levels: LEVELS.to_vec(),
        sectors: codes(Sector::ALL, Sector::code),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/systems",
        "systems-title",
        "systems",
        &vm,
    ))
}

// ---------------------------------------------------------------- detail

#[derive(Serialize)]
pub struct PlaybookLinkVm {
    pub id: String,
    pub category: &'static str,
    pub title: String,
    pub version: i32,
    pub reviewed_on: Option<String>,
    pub stale: bool,
}

#[derive(Serialize)]
pub struct SystemVm {
    pub id: String,
    pub name: String,
    pub description: String,
    pub org_name: String,
    pub operator_name: Option<String>,
    pub level: u8,
    pub needs_live_fire: bool,
    pub system_type: &'static str,
    pub sector: Option<&'static str>,
    pub dossier_status: &'static str,
    pub submitted_on: Option<String>,
    pub appraised_on: Option<String>,
    pub approved_on: Option<String>,
    pub decision_no: Option<String>,
    pub domains: Vec<String>,
    pub public_ips: Vec<String>,
    pub last_changed_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub playbooks: Vec<PlaybookLinkVm>,
    pub lacking: bool,
    pub may_edit: bool,
}

async fn show_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let s = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = SystemVm {
        id: s.id.to_string(),
        name: s.name.clone(),
        description: s.description.clone(),
        org_name: names.get(&s.org_id).cloned().unwrap_or_default(),
        operator_name: s.operator_org_id.and_then(|o| names.get(&o).cloned()),
        level: s.level.get(),
        needs_live_fire: s.level.needs_live_fire_drill(),
        system_type: s.system_type.code(),
        sector: s.sector.map(Sector::code),
        dossier_status: s.dossier.status.code(),
        submitted_on: s.dossier.submitted_on.map(|d| d.to_string()),
        appraised_on: s.dossier.appraised_on.map(|d| d.to_string()),
        approved_on: s.dossier.approved_on.map(|d| d.to_string()),
        decision_no: s.dossier.decision_no.clone(),
        domains: s.domains.clone(),
        public_ips: s.public_ips.clone(),
        last_changed_on: s.last_changed_on.map(|d| d.to_string()),
        created_at: s.created_at.to_rfc3339(),
        updated_at: s.updated_at.to_rfc3339(),
        playbooks: s
            .playbooks
            .iter()
            .map(|p| PlaybookLinkVm {
                id: p.id.to_string(),
                category: p.category.code(),
                title: p.title.clone(),
                version: p.version,
                reviewed_on: p.reviewed_on.map(|d| d.to_string()),
                stale: p.stale,
            })
            .collect(),
        lacking: s.lacks_current_playbook(),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/system",
        "system-title",
        "systems",
        &vm,
    ))
}

// ---------------------------------------------------------------- form

/// The form's fields as text, so that a refused input comes back exactly as typed.
#[derive(Serialize, Default, Clone)]
pub struct SystemFields {
    pub org_id: String,
    pub operator_org_id: String,
    pub name: String,
    pub description: String,
    pub system_type: String,
    pub sector: String,
    pub level: String,
    pub dossier_status: String,
    pub submitted_on: String,
    pub appraised_on: String,
    pub approved_on: String,
    pub decision_no: String,
    pub domains: String,
    pub public_ips: String,
    pub last_changed_on: String,
}

impl SystemFields {
    fn of(s: &System) -> Self {
        SystemFields {
            org_id: s.org_id.to_string(),
            operator_org_id: s.operator_org_id.map(|o| o.to_string()).unwrap_or_default(),
            name: s.name.clone(),
            description: s.description.clone(),
            system_type: s.system_type.code().to_owned(),
            sector: s.sector.map(|x| x.code().to_owned()).unwrap_or_default(),
            level: s.level.to_string(),
            dossier_status: s.dossier.status.code().to_owned(),
            submitted_on: form_date(s.dossier.submitted_on),
            appraised_on: form_date(s.dossier.appraised_on),
            approved_on: form_date(s.dossier.approved_on),
            decision_no: s.dossier.decision_no.clone().unwrap_or_default(),
            domains: s.domains.join("\n"),
            public_ips: s.public_ips.join("\n"),
            last_changed_on: form_date(s.last_changed_on),
        }
    }

    fn from_form(form: &FormData) -> Self {
        let g = |n: &str| form.get(n).to_owned();
        SystemFields {
            org_id: g("org_id"),
            operator_org_id: g("operator_org_id"),
            name: g("name"),
            description: g("description"),
            system_type: g("system_type"),
            sector: g("sector"),
            level: g("level"),
            dossier_status: g("dossier.status"),
            submitted_on: g("dossier.submitted_on"),
            appraised_on: g("dossier.appraised_on"),
            approved_on: g("dossier.approved_on"),
            decision_no: g("dossier.decision_no"),
            domains: g("domains"),
            public_ips: g("public_ips"),
            last_changed_on: g("last_changed_on"),
        }
    }
}

#[derive(Serialize)]
pub struct SystemFormVm {
    pub is_new: bool,
    pub action: String,
    pub cancel: String,
    /// Owner's name when editing (the owner does not change).
    pub org_name: String,
    pub form: SystemFields,
    pub errors: ErrorsVm,
    pub orgs: Vec<OrgOption>,
    /// Every organisation, for the operator (it may be outside the caller's scope).
    pub operators: Vec<OrgOption>,
    pub levels: Vec<&'static str>,
    pub system_types: Vec<&'static str>,
    pub sectors: Vec<&'static str>,
    pub dossier_statuses: Vec<&'static str>,
}

/// Converts the form into a draft. Fields that do not parse get a placeholder so the
/// domain rules can still check everything else; their parse error wins.
pub fn system_draft(form: &FormData) -> (SystemDraft, FieldErrors) {
    let mut r = FormReader::new(form);
    let level = match r.text("level").trim().parse::<i64>() {
        Ok(n) => match SecurityLevel::new(n) {
            Ok(l) => Some(l),
            Err(message) => {
                r.errors.add("level", "level_range", message);
                None
            }
        },
        Err(_) if r.text("level").trim().is_empty() => {
            r.errors.add("level", "required", "must be chosen");
            None
        }
        Err(_) => {
            r.errors
                .add("level", "level_range", "must be between 1 and 5");
            None
        }
    };
    let system_type = r.choice::<SystemType>("system_type");
    let dossier = Dossier {
        status: r
            .opt_choice::<DossierStatus>("dossier.status")
            .unwrap_or(DossierStatus::Drafting),
        submitted_on: r.date("dossier.submitted_on"),
        appraised_on: r.date("dossier.appraised_on"),
        approved_on: r.date("dossier.approved_on"),
        decision_no: r.opt("dossier.decision_no"),
    };
    let draft = SystemDraft {
        org_id: r.opt_uuid("org_id"),
        operator_org_id: r.opt_uuid("operator_org_id"),
        name: r.text("name"),
        description: r.text("description").trim().to_owned(),
        system_type: system_type.unwrap_or(SystemType::Other),
        sector: r.opt_choice::<Sector>("sector"),
        level: level.unwrap_or(SecurityLevel::LIVE_FIRE_MINIMUM),
        dossier,
        domains: r.lines("domains"),
        public_ips: r.lines("public_ips"),
        last_changed_on: r.date("last_changed_on"),
    };
    (draft, r.errors)
}

/// Parses and validates: the checked draft, or every problem at once.
fn checked_draft(form: &FormData) -> Result<SystemDraft, FieldErrors> {
    let (draft, mut errors) = system_draft(form);
    match validate_system(draft, vietnam_date(Utc::now())) {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(domain) => {
            merge(&mut errors, domain);
            Err(errors)
        }
    }
}

async fn form_vm(
    state: &AppState,
    ctx: &PageCtx,
    existing: Option<&System>,
    form: SystemFields,
    mut errors: FieldErrors,
) -> Result<SystemFormVm, PageError> {
    let me = ctx.require_user()?;
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let all = store::orgs::list(&state.db, &store::Scope::All)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    roll_up(&mut errors, "domains");
    roll_up(&mut errors, "public_ips");
    Ok(SystemFormVm {
        is_new: existing.is_none(),
        action: existing.map_or_else(
            || "/systems".to_owned(),
            |s| format!("/systems/{}/edit", s.id),
        ),
        cancel: existing.map_or_else(|| "/systems".to_owned(), |s| format!("/systems/{}", s.id)),
        org_name: existing
            .and_then(|s| names.get(&s.org_id).cloned())
            .unwrap_or_default(),
        form,
        errors: ErrorsVm::from(&errors),
        orgs: org_tree(&orgs),
        operators: org_tree(&all),
        levels: LEVELS.to_vec(),
        system_types: codes(SystemType::ALL, SystemType::code),
        sectors: codes(Sector::ALL, Sector::code),
        dossier_statuses: codes(DossierStatus::ALL, DossierStatus::code),
    })
}

fn form_title(existing: Option<&System>) -> &'static str {
    if existing.is_some() {
        "system-edit-title"
    } else {
        "system-new-title"
    }
}

async fn new_system(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let fields = SystemFields {
        org_id: me.user.org_id.to_string(),
        dossier_status: DossierStatus::Drafting.code().to_owned(),
        ..Default::default()
    };
    let vm = form_vm(&state, &ctx, None, fields, FieldErrors::new()).await?;
    Ok(render(
        &state,
        &ctx,
        "pages/system_form",
        form_title(None),
        "systems",
        &vm,
    ))
}

async fn refused(
    state: &AppState,
    ctx: &PageCtx,
    existing: Option<&System>,
    form: &FormData,
    errors: FieldErrors,
) -> Result<Response, PageError> {
    let vm = form_vm(state, ctx, existing, SystemFields::from_form(form), errors).await?;
    Ok(render_status(
        state,
        ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/system_form",
        form_title(existing),
        "systems",
        &vm,
    ))
}

async fn create_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let draft = match checked_draft(&form) {
        Ok(d) => d,
        Err(errors) => return refused(&state, &ctx, None, &form, errors).await,
    };
    let org_id = draft.org_id.unwrap_or(me.user.org_id);
    match store::systems::create(&state.db, &me.scope, org_id, &draft).await {
        Ok(s) => Ok(Redirect::to(&format!("/systems/{}", s.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            refused(&state, &ctx, None, &form, errors).await
        }
    }
}

async fn edit_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let s = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = form_vm(
        &state,
        &ctx,
        Some(&s),
        SystemFields::of(&s),
        FieldErrors::new(),
    )
    .await?;
    Ok(render(
        &state,
        &ctx,
        "pages/system_form",
        form_title(Some(&s)),
        "systems",
        &vm,
    ))
}

async fn update_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let current = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut draft = match checked_draft(&form) {
        Ok(d) => d,
        Err(errors) => return refused(&state, &ctx, Some(&current), &form, errors).await,
    };
    // The owner is not part of the edit form: it stays as it is.
    draft.org_id = Some(current.org_id);
    match store::systems::update(&state.db, &me.scope, id, &draft).await {
        Ok(s) => Ok(Redirect::to(&format!("/systems/{}", s.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            refused(&state, &ctx, Some(&current), &form, errors).await
        }
    }
}

// ---------------------------------------------------------------- delete

/// The confirmation step before something is deleted (no script needed).
#[derive(Serialize)]
pub struct ConfirmDeleteVm {
    /// Fluent key of the question.
    pub question: &'static str,
    pub name: String,
    /// Fluent key of the consequence explained under the question.
    pub consequence: &'static str,
    pub action: String,
    pub cancel: String,
}

async fn confirm_delete_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let s = store::systems::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = ConfirmDeleteVm {
        question: "system-delete-question",
        name: s.name.clone(),
        consequence: "system-delete-consequence",
        action: format!("/systems/{}/delete", s.id),
        cancel: format!("/systems/{}", s.id),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/confirm_delete",
        "system-delete-title",
        "systems",
        &vm,
    ))
}

async fn delete_system(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    _form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    store::systems::delete(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to("/systems").into_response())
}
