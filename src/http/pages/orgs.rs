//! Organisation pages: the tree the caller may see, and the form to add one
//! (administrators anywhere, controllers below an organisation in their scope).
//! The checks are the API's (`check_slug`, `check_org_name`).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use super::common::{FormReader, OrgOption, codes, org_tree, require_editor, store_field_errors};
use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::auth::CurrentUser;
use crate::domain::{FieldErrors, Role, Sector};
use crate::http::api::orgs::{check_org_name, check_slug};
use crate::state::AppState;
use crate::store;
use crate::store::orgs::NewOrg;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(list_orgs).post(create_org))
        .route("/orgs/new", get(new_org))
}

#[derive(Serialize)]
pub struct OrgsVm {
    pub rows: Vec<OrgOption>,
    pub may_edit: bool,
}

async fn list_orgs(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = OrgsVm {
        rows: org_tree(&orgs),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/orgs",
        "orgs-title",
        "orgs",
        &vm,
    ))
}

#[derive(Serialize, Default)]
pub struct OrgFields {
    pub slug: String,
    pub name: String,
    pub parent_id: String,
    pub sector: String,
}

#[derive(Serialize)]
pub struct OrgFormVm {
    pub form: OrgFields,
    pub errors: ErrorsVm,
    /// Possible parents: the caller's scope.
    pub parents: Vec<OrgOption>,
    /// Administrators may create a top-level organisation.
    pub may_be_top_level: bool,
    pub sectors: Vec<&'static str>,
}

async fn org_form_vm(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    form: OrgFields,
    errors: &FieldErrors,
) -> Result<OrgFormVm, PageError> {
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(OrgFormVm {
        form,
        errors: ErrorsVm::from(errors),
        parents: org_tree(&orgs),
        may_be_top_level: me.role() == Role::Admin,
        sectors: codes(Sector::ALL, Sector::code),
    })
}

async fn new_org(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let fields = OrgFields {
        parent_id: me.user.org_id.to_string(),
        ..Default::default()
    };
    let vm = org_form_vm(&state, &ctx, &me, fields, &FieldErrors::new()).await?;
    Ok(render(
        &state,
        &ctx,
        "pages/org_form",
        "org-new-title",
        "orgs",
        &vm,
    ))
}

async fn create_org(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let mut r = FormReader::new(&form);
    let slug = r.text("slug").trim().to_owned();
    let name = r.text("name");
    let parent_id = r.opt_uuid("parent_id");
    let sector = r.opt_choice::<Sector>("sector");
    let mut errors = r.errors;
    check_slug(&mut errors, &slug);
    check_org_name(&mut errors, &name);
    // The same rule as the API: a parent in scope; none only for administrators.
    match parent_id {
        Some(p) if !me.scope.allows(p) => {
            errors.add("parent_id", "invalid_reference", "no such organisation")
        }
        None if me.role() != Role::Admin && !errors.0.contains_key("parent_id") => errors.add(
            "parent_id",
            "required",
            "controllers add units below their organisation",
        ),
        _ => {}
    }
    if errors.is_empty()
        && let Some(p) = parent_id
        && store::orgs::get(&state.db, &me.scope, p).await.is_err()
    {
        errors.add("parent_id", "invalid_reference", "no such organisation");
    }
    if errors.is_empty() {
        match store::orgs::create(
            &state.db,
            NewOrg {
                slug: &slug,
                name: name.trim(),
                parent_id,
                sector,
            },
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to("/orgs").into_response()),
            Err(e) => errors = store_field_errors(&ctx, e)?,
        }
    }
    let fields = OrgFields {
        slug: form.get("slug").to_owned(),
        name: form.get("name").to_owned(),
        parent_id: form.get("parent_id").to_owned(),
        sector: form.get("sector").to_owned(),
    };
    let vm = org_form_vm(&state, &ctx, &me, fields, &errors).await?;
    Ok(render_status(
        &state,
        &ctx,
        StatusCode::UNPROCESSABLE_ENTITY,
        "pages/org_form",
        "org-new-title",
        "orgs",
        &vm,
    ))
}
