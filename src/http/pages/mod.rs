//! Server-rendered pages (handlebars). Every page gets a [`PageCtx`] (language,
//! user, CSRF token) and a page-specific view-model; templates never see entities.

pub mod aar;
pub mod auth;
pub mod common;
pub mod drill_plan;
pub mod drills;
pub mod form;
pub mod home;
pub mod maturity;
pub mod orgs;
pub mod playbooks;
pub mod scenario_form;
pub mod scenarios;
pub mod systems;
pub mod teams;

use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Serialize;

use crate::auth::session::CsrfToken;
use crate::auth::{self as authn, CurrentUser};
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(aar::router())
        .merge(home::router())
        .merge(systems::router())
        .merge(teams::router())
        .merge(playbooks::router())
        .merge(scenarios::router())
        .merge(drills::router())
        .merge(drill_plan::router())
        .merge(orgs::router())
        .merge(maturity::router())
}

/// What every page needs besides its own data.
#[derive(Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub user: Option<CurrentUser>,
    pub csrf: String,
    /// Path and query of this request, for "back here after login".
    pub path: String,
}

impl PageCtx {
    /// The signed-in user, or a redirect to the login page.
    pub fn require_user(&self) -> Result<&CurrentUser, PageError> {
        self.user
            .as_ref()
            .ok_or_else(|| self.fail(AppError::Unauthorized))
    }

    pub fn fail(&self, e: impl Into<AppError>) -> PageError {
        PageError(Box::new((e.into(), self.clone())))
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let lang = jar
            .get(Lang::COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
            .unwrap_or_default();
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| {
                u.0.path_and_query()
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            })
            .unwrap_or_else(|| parts.uri.to_string());
        let mut ctx = PageCtx {
            lang,
            user: None,
            csrf,
            path,
        };
        // A bad or expired session is simply "not signed in" for pages.
        ctx.user = match authn::resolve(parts, state).await {
            Ok(user) => user,
            Err(AppError::Unauthorized) => None,
            Err(e) => return Err(render_error(state, &ctx, &e)),
        };
        Ok(ctx)
    }
}

/// The layout's view of the signed-in user.
#[derive(Serialize)]
struct UserVm {
    username: String,
    full_name: String,
    role: String,
    may_edit: bool,
    is_admin: bool,
}

/// The root of every template's data.
#[derive(Serialize)]
struct PageVm<'a, T: Serialize> {
    lang: Lang,
    other_lang: Lang,
    user: Option<UserVm>,
    csrf: &'a str,
    path: &'a str,
    /// Fluent key of the page title.
    title: &'a str,
    /// Which navigation entry is active.
    nav: &'a str,
    data: &'a T,
}

/// Renders a page with the layout data around `data`.
pub fn render<T: Serialize>(
    state: &AppState,
    ctx: &PageCtx,
    template: &str,
    title: &str,
    nav: &str,
    data: &T,
) -> Response {
    render_status(state, ctx, StatusCode::OK, template, title, nav, data)
}

pub fn render_status<T: Serialize>(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    template: &str,
    title: &str,
    nav: &str,
    data: &T,
) -> Response {
    let vm = page_vm(ctx, title, nav, data);
    match state.views.render(template, &vm) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

fn page_vm<'a, T: Serialize>(
    ctx: &'a PageCtx,
    title: &'a str,
    nav: &'a str,
    data: &'a T,
) -> PageVm<'a, T> {
    PageVm {
        lang: ctx.lang,
        other_lang: if ctx.lang == Lang::Vi {
            Lang::En
        } else {
            Lang::Vi
        },
        user: ctx.user.as_ref().map(|u| UserVm {
            username: u.user.username.clone(),
            full_name: u.user.full_name.clone(),
            role: u.user.role.code().to_owned(),
            may_edit: u.user.role.may_edit_registry(),
            is_admin: u.user.role == crate::domain::Role::Admin,
        }),
        csrf: &ctx.csrf,
        path: &ctx.path,
        title,
        nav,
        data,
    }
}

#[derive(Serialize)]
pub struct ErrorVm {
    pub status: u16,
    pub code: &'static str,
}

fn render_error(state: &AppState, ctx: &PageCtx, e: &AppError) -> Response {
    e.log();
    let vm = ErrorVm {
        status: e.status().as_u16(),
        code: e.code(),
    };
    render_status(
        state,
        ctx,
        e.status(),
        "pages/error",
        "error-title",
        "",
        &vm,
    )
}

/// A failed page request: HTML error page, or the login page when not signed in.
/// Boxed: the context carries the user and scope, and handlers return this in `Err`.
pub struct PageError(Box<(AppError, PageCtx)>);

/// Carried in the response extensions so the error page can be rendered with state.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (err, ctx) = *self.0;
        if matches!(err, AppError::Unauthorized) {
            let next = urlencode(&ctx.path);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
        let mut response = err.status().into_response();
        response.extensions_mut().insert(PendingErrorPage {
            err: std::sync::Arc::new(err),
            ctx,
        });
        response
    }
}

/// An error page waiting for the middleware that has the state to render it.
#[derive(Clone)]
pub struct PendingErrorPage {
    err: std::sync::Arc<AppError>,
    ctx: PageCtx,
}

/// Middleware: turns a [`PendingErrorPage`] into the rendered HTML error page.
pub async fn render_error_pages(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    render_pending(&state, next.run(request).await)
}

/// Renders the error page a [`PageError`] left in the response, if any.
pub fn render_pending(state: &AppState, response: Response) -> Response {
    match response.extensions().get::<PendingErrorPage>().cloned() {
        Some(p) => render_error(state, &p.ctx, &p.err),
        None => response,
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Only local paths are accepted as "next", so the login form cannot send a user
/// to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// Field errors as the templates show them: field → translated message key and text.
/// Dots in field names (`dossier.approved_on`) become underscores, because a dot in a
/// handlebars path means "go into".
#[derive(Serialize, Default)]
pub struct ErrorsVm(pub std::collections::BTreeMap<String, FieldErrorVm>);

#[derive(Serialize)]
pub struct FieldErrorVm {
    /// Fluent key of the message (`error-CODE`).
    pub key: String,
    /// The English text, shown when no translation exists.
    pub message: String,
}

impl From<&FieldErrors> for ErrorsVm {
    fn from(f: &FieldErrors) -> Self {
        ErrorsVm(
            f.0.iter()
                .map(|(k, v)| {
                    (
                        k.replace('.', "_"),
                        FieldErrorVm {
                            key: format!("error-{}", v.code.replace('_', "-")),
                            message: v.message.clone(),
                        },
                    )
                })
                .collect(),
        )
    }
}
