//! Response-team pages: the list, the detail (qualified experts against the minimum of
//! five, members with their expert groups and certificates), the team form, and the
//! member form with repeated certificate rows. Validation is the API's
//! (`validate_team`, `validate_member`).

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
    roll_up, row_errors, store_field_errors,
};
use super::form::FormData;
use super::systems::ConfirmDeleteVm;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::domain::registry::{
    Certificate, Contact, MINIMUM_QUALIFIED_EXPERTS, MemberDraft, TeamDraft, validate_member,
    validate_team,
};
use crate::domain::{
    CertificateScope, DegreeLevel, Employment, ExpertGroup, FieldErrors, FieldOfStudy, Side,
};
use crate::state::AppState;
use crate::store::teams::{Member, Team, TeamFilter};
use crate::store::{self, Page};
use crate::time::vietnam_date;

const PAGE_SIZE: u64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/teams/new", get(new_team))
        .route("/teams/{id}", get(show_team))
        .route("/teams/{id}/edit", get(edit_team).post(update_team))
        .route("/teams/{id}/members", axum::routing::post(add_member))
        .route("/teams/{id}/members/new", get(new_member))
        .route(
            "/teams/{id}/members/{mid}/edit",
            get(edit_member).post(update_member),
        )
        .route(
            "/teams/{id}/members/{mid}/delete",
            get(confirm_delete_member).post(delete_member),
        )
}

fn today() -> NaiveDate {
    vietnam_date(Utc::now())
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct TeamListQuery {
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
    pub side: String,
    /// "1": only teams below the minimum of five qualified experts.
    #[serde(default)]
    pub below: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub after: String,
}

impl TeamListQuery {
    fn filter(&self) -> TeamFilter {
        TeamFilter {
            org_id: self.org_id.parse().ok(),
            side: self.side.parse().ok(),
            below_minimum: !self.below.is_empty(),
            q: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
        }
    }

    fn next_link(&self, cursor: Uuid) -> String {
        let mut kept: Vec<(&str, String)> = [
            ("org_id", &self.org_id),
            ("side", &self.side),
            ("below", &self.below),
            ("q", &self.q),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, (*v).clone()))
        .collect();
        kept.push(("after", cursor.to_string()));
        format!(
            "/teams?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    }
}

#[derive(Serialize)]
pub struct TeamRowVm {
    pub id: String,
    pub name: String,
    pub org_name: String,
    pub side: &'static str,
    pub member_count: usize,
    pub outsourced_members: usize,
    pub qualified_experts: usize,
    pub meets_minimum: bool,
    /// The minimum applies to response (blue) teams.
    pub minimum_applies: bool,
    pub is_24x7: bool,
}

#[derive(Serialize)]
pub struct TeamsVm {
    pub filters: TeamListQuery,
    pub rows: Vec<TeamRowVm>,
    pub next: Option<String>,
    pub orgs: Vec<OrgOption>,
    pub sides: Vec<&'static str>,
    pub minimum: usize,
    pub may_edit: bool,
}

fn team_row(t: &Team, names: &HashMap<Uuid, String>) -> TeamRowVm {
    TeamRowVm {
        id: t.id.to_string(),
        name: t.name.clone(),
        org_name: names.get(&t.org_id).cloned().unwrap_or_default(),
        side: t.side.code(),
        member_count: t.member_count,
        outsourced_members: t.outsourced_members,
        qualified_experts: t.qualified_experts,
        meets_minimum: t.meets_minimum_experts,
        minimum_applies: t.side == Side::Blue,
        is_24x7: t.is_24x7,
    }
}

async fn list_teams(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(query): Query<TeamListQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let page = Page {
        after: query.after.parse().ok(),
        limit: PAGE_SIZE,
    };
    let (teams, next) = store::teams::list(&state.db, &me.scope, &query.filter(), page, today())
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = TeamsVm {
        rows: teams.iter().map(|t| team_row(t, &names)).collect(),
        next: next.map(|c| query.next_link(c)),
        filters: query,
        orgs: org_tree(&orgs),
        sides: codes(Side::ALL, Side::code),
        minimum: MINIMUM_QUALIFIED_EXPERTS,
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/teams",
        "teams-title",
        "teams",
        &vm,
    ))
}

// ---------------------------------------------------------------- detail

#[derive(Serialize)]
pub struct CertificateVm {
    pub name: String,
    pub issuer: String,
    pub scope: &'static str,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub expired: bool,
}

#[derive(Serialize)]
pub struct MemberRowVm {
    pub id: String,
    pub full_name: String,
    pub title: String,
    pub employment: &'static str,
    pub outsourced: bool,
    pub field_of_study: Option<&'static str>,
    pub degree_level: Option<&'static str>,
    pub expert_groups: Vec<&'static str>,
    pub skills: Vec<String>,
    pub certificates: Vec<CertificateVm>,
    pub qualified: bool,
}

#[derive(Serialize)]
pub struct TeamVm {
    pub id: String,
    pub name: String,
    pub org_name: String,
    pub side: &'static str,
    pub description: String,
    pub contact_primary: Option<Contact>,
    pub contact_backup: Option<Contact>,
    pub is_24x7: bool,
    pub established_decision_no: Option<String>,
    pub established_on: Option<String>,
    pub member_count: usize,
    pub outsourced_members: usize,
    pub qualified_experts: usize,
    pub minimum: usize,
    pub meets_minimum: bool,
    pub minimum_applies: bool,
    pub members: Vec<MemberRowVm>,
    pub updated_at: String,
    pub may_edit: bool,
}

fn member_row(m: &Member, today: NaiveDate) -> MemberRowVm {
    MemberRowVm {
        id: m.id.to_string(),
        full_name: m.full_name.clone(),
        title: m.title.clone(),
        employment: m.employment.code(),
        outsourced: m.employment == Employment::Outsourced,
        field_of_study: m.field_of_study.map(FieldOfStudy::code),
        degree_level: m.degree_level.map(DegreeLevel::code),
        expert_groups: m.expert_groups.iter().map(|g| g.code()).collect(),
        skills: m.skills.clone(),
        certificates: m
            .certificates
            .iter()
            .map(|c| CertificateVm {
                name: c.name.clone(),
                issuer: c.issuer.clone(),
                scope: c.scope.code(),
                issued_on: c.issued_on.map(|d| d.to_string()),
                expires_on: c.expires_on.map(|d| d.to_string()),
                expired: !c.is_valid_on(today),
            })
            .collect(),
        qualified: m.qualified,
    }
}

async fn show_team(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let today = today();
    let t = store::teams::get(&state.db, &me.scope, id, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    let members = store::teams::members(&state.db, &me.scope, id, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = TeamVm {
        id: t.id.to_string(),
        name: t.name.clone(),
        org_name: names.get(&t.org_id).cloned().unwrap_or_default(),
        side: t.side.code(),
        description: t.description.clone(),
        contact_primary: t.contact_primary.clone(),
        contact_backup: t.contact_backup.clone(),
        is_24x7: t.is_24x7,
        established_decision_no: t.established_decision_no.clone(),
        established_on: t.established_on.map(|d| d.to_string()),
        member_count: t.member_count,
        outsourced_members: t.outsourced_members,
        qualified_experts: t.qualified_experts,
        minimum: MINIMUM_QUALIFIED_EXPERTS,
        meets_minimum: t.meets_minimum_experts,
        minimum_applies: t.side == Side::Blue,
        members: members.iter().map(|m| member_row(m, today)).collect(),
        updated_at: t.updated_at.to_rfc3339(),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/team",
        "team-title",
        "teams",
        &vm,
    ))
}

// ---------------------------------------------------------------- team form

#[derive(Serialize, Default, Clone)]
pub struct ContactFields {
    pub name: String,
    pub title: String,
    pub phone: String,
    pub email: String,
}

impl ContactFields {
    fn of(c: Option<&Contact>) -> Self {
        c.map(|c| ContactFields {
            name: c.name.clone(),
            title: c.title.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
        })
        .unwrap_or_default()
    }

    fn from_form(form: &FormData, prefix: &str) -> Self {
        let g = |n: &str| form.get(&format!("{prefix}.{n}")).to_owned();
        ContactFields {
            name: g("name"),
            title: g("title"),
            phone: g("phone"),
            email: g("email"),
        }
    }

    /// A contact with every field empty is no contact.
    fn to_contact(&self) -> Option<Contact> {
        let all_empty = [&self.name, &self.title, &self.phone, &self.email]
            .iter()
            .all(|v| v.trim().is_empty());
        (!all_empty).then(|| Contact {
            name: self.name.clone(),
            title: self.title.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
        })
    }
}

#[derive(Serialize, Default, Clone)]
pub struct TeamFields {
    pub org_id: String,
    pub name: String,
    pub side: String,
    pub description: String,
    pub contact_primary: ContactFields,
    pub contact_backup: ContactFields,
    pub is_24x7: bool,
    pub established_decision_no: String,
    pub established_on: String,
}

impl TeamFields {
    fn of(t: &Team) -> Self {
        TeamFields {
            org_id: t.org_id.to_string(),
            name: t.name.clone(),
            side: t.side.code().to_owned(),
            description: t.description.clone(),
            contact_primary: ContactFields::of(t.contact_primary.as_ref()),
            contact_backup: ContactFields::of(t.contact_backup.as_ref()),
            is_24x7: t.is_24x7,
            established_decision_no: t.established_decision_no.clone().unwrap_or_default(),
            established_on: form_date(t.established_on),
        }
    }

    fn from_form(form: &FormData) -> Self {
        TeamFields {
            org_id: form.get("org_id").to_owned(),
            name: form.get("name").to_owned(),
            side: form.get("side").to_owned(),
            description: form.get("description").to_owned(),
            contact_primary: ContactFields::from_form(form, "contact_primary"),
            contact_backup: ContactFields::from_form(form, "contact_backup"),
            is_24x7: form.checked("is_24x7"),
            established_decision_no: form.get("established_decision_no").to_owned(),
            established_on: form.get("established_on").to_owned(),
        }
    }
}

#[derive(Serialize)]
pub struct TeamFormVm {
    pub is_new: bool,
    pub action: String,
    pub cancel: String,
    pub org_name: String,
    pub form: TeamFields,
    pub errors: ErrorsVm,
    pub orgs: Vec<OrgOption>,
    pub sides: Vec<&'static str>,
}

pub fn team_draft(form: &FormData) -> (TeamDraft, FieldErrors) {
    let mut r = FormReader::new(form);
    let fields = TeamFields::from_form(form);
    let draft = TeamDraft {
        org_id: r.opt_uuid("org_id"),
        name: r.text("name"),
        side: r.choice::<Side>("side").unwrap_or(Side::Blue),
        description: r.text("description").trim().to_owned(),
        contact_primary: fields.contact_primary.to_contact(),
        contact_backup: fields.contact_backup.to_contact(),
        is_24x7: r.checked("is_24x7"),
        established_decision_no: r.opt("established_decision_no"),
        established_on: r.date("established_on"),
    };
    (draft, r.errors)
}

fn checked_team(form: &FormData) -> Result<TeamDraft, FieldErrors> {
    let (draft, mut errors) = team_draft(form);
    match validate_team(draft, today()) {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(domain) => {
            merge(&mut errors, domain);
            Err(errors)
        }
    }
}

async fn team_form_vm(
    state: &AppState,
    ctx: &PageCtx,
    existing: Option<&Team>,
    form: TeamFields,
    errors: &FieldErrors,
) -> Result<TeamFormVm, PageError> {
    let me = ctx.require_user()?;
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = store::orgs::names(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(TeamFormVm {
        is_new: existing.is_none(),
        action: existing.map_or_else(|| "/teams".to_owned(), |t| format!("/teams/{}/edit", t.id)),
        cancel: existing.map_or_else(|| "/teams".to_owned(), |t| format!("/teams/{}", t.id)),
        org_name: existing
            .and_then(|t| names.get(&t.org_id).cloned())
            .unwrap_or_default(),
        form,
        errors: ErrorsVm::from(errors),
        orgs: org_tree(&orgs),
        sides: codes(Side::ALL, Side::code),
    })
}

fn team_title(existing: Option<&Team>) -> &'static str {
    if existing.is_some() {
        "team-edit-title"
    } else {
        "team-new-title"
    }
}

async fn team_refused(
    state: &AppState,
    ctx: &PageCtx,
    existing: Option<&Team>,
    form: &FormData,
    errors: &FieldErrors,
) -> Result<Response, PageError> {
    let vm = team_form_vm(state, ctx, existing, TeamFields::from_form(form), errors).await?;
    Ok(render_status(
        state,
        ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/team_form",
        team_title(existing),
        "teams",
        &vm,
    ))
}

async fn new_team(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let fields = TeamFields {
        org_id: me.user.org_id.to_string(),
        side: Side::Blue.code().to_owned(),
        ..Default::default()
    };
    let vm = team_form_vm(&state, &ctx, None, fields, &FieldErrors::new()).await?;
    Ok(render(
        &state,
        &ctx,
        "pages/team_form",
        team_title(None),
        "teams",
        &vm,
    ))
}

async fn create_team(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let draft = match checked_team(&form) {
        Ok(d) => d,
        Err(errors) => return team_refused(&state, &ctx, None, &form, &errors).await,
    };
    let org_id = draft.org_id.unwrap_or(me.user.org_id);
    match store::teams::create(&state.db, &me.scope, org_id, &draft).await {
        Ok(t) => Ok(Redirect::to(&format!("/teams/{}", t.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            team_refused(&state, &ctx, None, &form, &errors).await
        }
    }
}

async fn edit_team(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let t = store::teams::get(&state.db, &me.scope, id, today())
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = team_form_vm(
        &state,
        &ctx,
        Some(&t),
        TeamFields::of(&t),
        &FieldErrors::new(),
    )
    .await?;
    Ok(render(
        &state,
        &ctx,
        "pages/team_form",
        team_title(Some(&t)),
        "teams",
        &vm,
    ))
}

async fn update_team(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let current = store::teams::get(&state.db, &me.scope, id, today())
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut draft = match checked_team(&form) {
        Ok(d) => d,
        Err(errors) => return team_refused(&state, &ctx, Some(&current), &form, &errors).await,
    };
    draft.org_id = Some(current.org_id);
    match store::teams::update(&state.db, &me.scope, id, &draft, today()).await {
        Ok(t) => Ok(Redirect::to(&format!("/teams/{}", t.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            team_refused(&state, &ctx, Some(&current), &form, &errors).await
        }
    }
}

// ---------------------------------------------------------------- member form

/// One certificate row of the member form, as typed.
#[derive(Serialize, Default)]
pub struct CertificateRow {
    /// 1-based row number, for the inputs' accessible names.
    pub row: usize,
    pub name: String,
    pub issuer: String,
    pub scope: String,
    pub issued_on: String,
    pub expires_on: String,
    pub errors: ErrorsVm,
}

impl CertificateRow {
    fn is_empty(&self) -> bool {
        [
            &self.name,
            &self.issuer,
            &self.scope,
            &self.issued_on,
            &self.expires_on,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }
}

#[derive(Serialize, Default)]
pub struct MemberFields {
    pub full_name: String,
    pub title: String,
    pub employment: String,
    pub field_of_study: String,
    pub degree_level: String,
    pub expert_groups: Vec<String>,
    pub skills: String,
    pub certificates: Vec<CertificateRow>,
}

impl MemberFields {
    fn of(m: &Member) -> Self {
        MemberFields {
            full_name: m.full_name.clone(),
            title: m.title.clone(),
            employment: m.employment.code().to_owned(),
            field_of_study: m
                .field_of_study
                .map(|f| f.code().to_owned())
                .unwrap_or_default(),
            degree_level: m
                .degree_level
                .map(|f| f.code().to_owned())
                .unwrap_or_default(),
            expert_groups: m
                .expert_groups
                .iter()
                .map(|g| g.code().to_owned())
                .collect(),
            skills: m.skills.join("\n"),
            certificates: m
                .certificates
                .iter()
                .map(|c| CertificateRow {
                    row: 0,
                    name: c.name.clone(),
                    issuer: c.issuer.clone(),
                    scope: c.scope.code().to_owned(),
                    issued_on: form_date(c.issued_on),
                    expires_on: form_date(c.expires_on),
                    errors: ErrorsVm::default(),
                })
                .collect(),
        }
    }

    fn from_form(form: &FormData) -> Self {
        MemberFields {
            full_name: form.get("full_name").to_owned(),
            title: form.get("title").to_owned(),
            employment: form.get("employment").to_owned(),
            field_of_study: form.get("field_of_study").to_owned(),
            degree_level: form.get("degree_level").to_owned(),
            expert_groups: form
                .all("expert_groups")
                .into_iter()
                .map(str::to_owned)
                .collect(),
            skills: form.get("skills").to_owned(),
            certificates: certificate_rows(form),
        }
    }

    /// Adds the empty rows and puts each row's errors beside it. Filled rows come
    /// first, so row `i` here is `certificates.i` in the draft and its errors.
    fn finish(mut self, errors: &FieldErrors) -> Self {
        for (i, row) in self.certificates.iter_mut().enumerate() {
            row.errors = row_errors(errors, "certificates", i);
        }
        self.certificates
            .extend((0..EXTRA_ROWS).map(|_| CertificateRow::default()));
        for (i, row) in self.certificates.iter_mut().enumerate() {
            row.row = i + 1;
        }
        self
    }
}

/// The certificate rows that have anything in them, in form order.
fn certificate_rows(form: &FormData) -> Vec<CertificateRow> {
    let cols = [
        "cert.name",
        "cert.issuer",
        "cert.scope",
        "cert.issued_on",
        "cert.expires_on",
    ]
    .map(|c| form.all(c));
    let rows = cols.iter().map(Vec::len).max().unwrap_or(0);
    let at = |col: usize, i: usize| {
        cols[col]
            .get(i)
            .map(|v| (*v).to_owned())
            .unwrap_or_default()
    };
    (0..rows)
        .map(|i| CertificateRow {
            row: 0,
            name: at(0, i),
            issuer: at(1, i),
            scope: at(2, i),
            issued_on: at(3, i),
            expires_on: at(4, i),
            errors: ErrorsVm::default(),
        })
        .filter(|r| !r.is_empty())
        .collect()
}

#[derive(Serialize)]
pub struct MemberFormVm {
    pub is_new: bool,
    pub action: String,
    pub cancel: String,
    pub team_id: String,
    pub team_name: String,
    pub form: MemberFields,
    pub errors: ErrorsVm,
    pub employments: Vec<&'static str>,
    pub fields_of_study: Vec<&'static str>,
    pub degree_levels: Vec<&'static str>,
    pub expert_groups: Vec<&'static str>,
    pub certificate_scopes: Vec<&'static str>,
}

/// Converts the member form into a draft; `user_id` is kept from the stored member
/// (linking accounts is done through the API).
pub fn member_draft(form: &FormData, user_id: Option<Uuid>) -> (MemberDraft, FieldErrors) {
    let mut r = FormReader::new(form);
    let mut certificates = Vec::new();
    for (i, row) in certificate_rows(form).iter().enumerate() {
        let scope = if row.scope.trim().is_empty() {
            r.errors.add(
                format!("certificates.{i}.scope"),
                "required",
                "must be chosen",
            );
            None
        } else {
            r.code::<CertificateScope>(&format!("certificates.{i}.scope"), row.scope.trim())
        };
        let issued_on = r.date_value(&format!("certificates.{i}.issued_on"), &row.issued_on);
        let expires_on = r.date_value(&format!("certificates.{i}.expires_on"), &row.expires_on);
        certificates.push(Certificate {
            name: row.name.clone(),
            issuer: row.issuer.clone(),
            scope: scope.unwrap_or(CertificateScope::Domestic),
            issued_on,
            expires_on,
        });
    }
    let draft = MemberDraft {
        full_name: r.text("full_name"),
        title: r.text("title"),
        user_id,
        employment: r
            .choice::<Employment>("employment")
            .unwrap_or(Employment::InHouse),
        field_of_study: r.opt_choice::<FieldOfStudy>("field_of_study"),
        degree_level: r.opt_choice::<DegreeLevel>("degree_level"),
        expert_groups: r.choices::<ExpertGroup>("expert_groups"),
        skills: r.lines("skills"),
        certificates,
    };
    (draft, r.errors)
}

fn checked_member(form: &FormData, user_id: Option<Uuid>) -> Result<MemberDraft, FieldErrors> {
    let (draft, mut errors) = member_draft(form, user_id);
    match validate_member(draft) {
        Ok(d) if errors.is_empty() => Ok(d),
        Ok(_) => Err(errors),
        Err(domain) => {
            merge(&mut errors, domain);
            Err(errors)
        }
    }
}

fn member_form_vm(
    team: &Team,
    existing: Option<&Member>,
    form: MemberFields,
    errors: &FieldErrors,
) -> MemberFormVm {
    let mut shown = errors.clone();
    roll_up(&mut shown, "skills");
    MemberFormVm {
        is_new: existing.is_none(),
        action: existing.map_or_else(
            || format!("/teams/{}/members", team.id),
            |m| format!("/teams/{}/members/{}/edit", team.id, m.id),
        ),
        cancel: format!("/teams/{}", team.id),
        team_id: team.id.to_string(),
        team_name: team.name.clone(),
        form: form.finish(errors),
        errors: ErrorsVm::from(&shown),
        employments: codes(Employment::ALL, Employment::code),
        fields_of_study: codes(FieldOfStudy::ALL, FieldOfStudy::code),
        degree_levels: codes(DegreeLevel::ALL, DegreeLevel::code),
        expert_groups: codes(ExpertGroup::ALL, ExpertGroup::code),
        certificate_scopes: codes(CertificateScope::ALL, CertificateScope::code),
    }
}

fn member_title(existing: Option<&Member>) -> &'static str {
    if existing.is_some() {
        "member-edit-title"
    } else {
        "member-new-title"
    }
}

fn member_refused(
    state: &AppState,
    ctx: &PageCtx,
    team: &Team,
    existing: Option<&Member>,
    form: &FormData,
    errors: &FieldErrors,
) -> Response {
    let vm = member_form_vm(team, existing, MemberFields::from_form(form), errors);
    render_status(
        state,
        ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/member_form",
        member_title(existing),
        "teams",
        &vm,
    )
}

async fn new_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let team = store::teams::get(&state.db, &me.scope, id, today())
        .await
        .map_err(|e| ctx.fail(e))?;
    let fields = MemberFields {
        employment: Employment::InHouse.code().to_owned(),
        ..Default::default()
    };
    let vm = member_form_vm(&team, None, fields, &FieldErrors::new());
    Ok(render(
        &state,
        &ctx,
        "pages/member_form",
        member_title(None),
        "teams",
        &vm,
    ))
}

async fn add_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let id = parse_id(&ctx, &id)?;
    let today = today();
    let team = store::teams::get(&state.db, &me.scope, id, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    let draft = match checked_member(&form, None) {
        Ok(d) => d,
        Err(errors) => return Ok(member_refused(&state, &ctx, &team, None, &form, &errors)),
    };
    match store::teams::add_member(&state.db, &me.scope, id, &draft, today).await {
        Ok(_) => Ok(Redirect::to(&format!("/teams/{id}#members")).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            Ok(member_refused(&state, &ctx, &team, None, &form, &errors))
        }
    }
}

async fn load_member(
    state: &AppState,
    ctx: &PageCtx,
    id: &str,
    mid: &str,
) -> Result<(Team, Member), PageError> {
    let me = require_editor(ctx)?;
    let id = parse_id(ctx, id)?;
    let mid = parse_id(ctx, mid)?;
    let today = today();
    let team = store::teams::get(&state.db, &me.scope, id, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    let member = store::teams::get_member(&state.db, &me.scope, id, mid, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok((team, member))
}

async fn edit_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, mid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (team, member) = load_member(&state, &ctx, &id, &mid).await?;
    let vm = member_form_vm(
        &team,
        Some(&member),
        MemberFields::of(&member),
        &FieldErrors::new(),
    );
    Ok(render(
        &state,
        &ctx,
        "pages/member_form",
        member_title(Some(&member)),
        "teams",
        &vm,
    ))
}

async fn update_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, mid)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let (team, member) = load_member(&state, &ctx, &id, &mid).await?;
    let me = require_editor(&ctx)?;
    let draft = match checked_member(&form, member.user_id) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(member_refused(
                &state,
                &ctx,
                &team,
                Some(&member),
                &form,
                &errors,
            ));
        }
    };
    match store::teams::update_member(&state.db, &me.scope, team.id, member.id, &draft, today())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/teams/{}#members", team.id)).into_response()),
        Err(e) => {
            let errors = store_field_errors(&ctx, e)?;
            Ok(member_refused(
                &state,
                &ctx,
                &team,
                Some(&member),
                &form,
                &errors,
            ))
        }
    }
}

async fn confirm_delete_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, mid)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (team, member) = load_member(&state, &ctx, &id, &mid).await?;
    let vm = ConfirmDeleteVm {
        question: "member-delete-question",
        name: member.full_name.clone(),
        consequence: "member-delete-consequence",
        action: format!("/teams/{}/members/{}/delete", team.id, member.id),
        cancel: format!("/teams/{}", team.id),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/confirm_delete",
        "member-delete-title",
        "teams",
        &vm,
    ))
}

async fn delete_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, mid)): Path<(String, String)>,
    _form: FormData,
) -> Result<Response, PageError> {
    let (team, member) = load_member(&state, &ctx, &id, &mid).await?;
    let me = require_editor(&ctx)?;
    store::teams::delete_member(&state.db, &me.scope, team.id, member.id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to(&format!("/teams/{}#members", team.id)).into_response())
}
