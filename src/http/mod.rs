//! HTTP: the JSON API (`api/`), the pages (`pages/`), static assets, health, and the
//! layers around them. All routes are wired here, in one place.

pub mod api;
pub mod extract;
pub mod pages;
pub mod ws;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, middleware};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::session::ensure_csrf_cookie;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::StaticAssets;

/// Content-Security-Policy: everything from this server, nothing inline that could
/// run injected script, nothing from any other site (these networks are often
/// air-gapped anyway).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api::router().split_for_parts();
    let openapi_json = openapi.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());

    let api = api
        .route(
            "/api/openapi.json",
            get(
                move || async move { ([(header::CONTENT_TYPE, "application/json")], openapi_json) },
            ),
        )
        // After every API route is added: axum applies this to the routes present now.
        // Scripts get the error envelope for a wrong method too, not an empty 405.
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.config.api_body_limit));

    let pages = pages::router()
        .layer(middleware::from_fn_with_state(
            state.clone(),
            pages::render_error_pages,
        ))
        .layer(middleware::from_fn(ensure_csrf_cookie))
        .layer(DefaultBodyLimit::max(pages::form::FORM_LIMIT));

    Router::new()
        .merge(api)
        .merge(pages)
        .route("/healthz", get(healthz))
        .route("/static/{*path}", get(static_asset))
        .fallback(not_found)
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), route, path = %req.uri().path())
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// Unknown paths: the JSON envelope under `/api`, the HTML error page elsewhere.
async fn not_found(
    State(state): State<AppState>,
    uri: axum::http::Uri,
    ctx: pages::PageCtx,
) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        return AppError::NotFound.into_response();
    }
    // The fallback is outside the pages router's middleware, so it renders here.
    pages::render_pending(&state, ctx.fail(AppError::NotFound).into_response())
}

/// Liveness and database reachability.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => Json(json!({"status": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "database_unavailable"})),
            )
                .into_response()
        }
    }
}

async fn static_asset(Path(path): Path<String>) -> Response {
    match StaticAssets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_owned();
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
                ],
                file.data,
            )
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
