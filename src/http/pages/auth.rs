//! Login, logout and the language switch.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::form::FormData;
use super::{PageCtx, render, render_status, safe_next};
use crate::auth::session::{SESSION_COOKIE, removal, session_cookie, time_delta};
use crate::auth::{Via, secret};
use crate::error::AppError;
use crate::http::api::auth::login;
use crate::state::AppState;
use crate::store;
use crate::views::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(switch_language))
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Serialize)]
pub struct LoginVm {
    pub username: String,
    pub next: String,
    /// Fluent key of the error shown above the form, or "".
    pub error: &'static str,
}

async fn login_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if ctx.user.is_some() {
        return Redirect::to(&next).into_response();
    }
    render(
        &state,
        &ctx,
        "pages/login",
        "login-title",
        "",
        &LoginVm {
            username: String::new(),
            next,
            error: "",
        },
    )
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    form: FormData,
) -> Response {
    let username = form.get("username").trim().to_owned();
    let next = safe_next(Some(form.get("next")));
    let failed = |status: StatusCode, error: &'static str| {
        let vm = LoginVm {
            username: username.clone(),
            next: next.clone(),
            error,
        };
        render_status(&state, &ctx, status, "pages/login", "login-title", "", &vm)
    };
    let user = match login(&state, &username, form.get("password"), addr).await {
        Ok(u) => u,
        Err(AppError::RateLimited { .. }) => {
            return failed(StatusCode::TOO_MANY_REQUESTS, "login-rate-limited");
        }
        Err(AppError::Unauthorized) => return failed(StatusCode::UNAUTHORIZED, "login-failed"),
        Err(e) => return ctx.fail(e).into_response(),
    };
    let secret = secret::new_secret();
    let ttl = state.config.session_ttl;
    let expires = Utc::now() + ttl;
    if let Err(e) =
        store::users::create_session(&state.db, user.id, secret::sha256_hex(&secret), expires).await
    {
        return ctx.fail(e).into_response();
    }
    let max_age = time_delta::Duration::seconds(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
    let jar = jar.add(session_cookie(secret, state.config.secure_cookies, max_age));
    (jar, Redirect::to(&next)).into_response()
}

async fn logout(
    State(state): State<AppState>,
    ctx: PageCtx,
    jar: CookieJar,
    _form: FormData,
) -> Response {
    if let Some(user) = &ctx.user
        && let Via::Session { id_hash } = &user.via
        && let Err(e) = store::users::delete_session(&state.db, id_hash).await
    {
        return ctx.fail(e).into_response();
    }
    (jar.remove(removal(SESSION_COOKIE)), Redirect::to("/login")).into_response()
}

async fn switch_language(
    jar: CookieJar,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or_default();
    let cookie = Cookie::build((Lang::COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time_delta::Duration::days(365))
        .build();
    (jar.add(cookie), Redirect::to(&safe_next(q.next.as_deref()))).into_response()
}
