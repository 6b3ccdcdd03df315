//! The JSON API under `/api/v1`, one file per resource. Routes are declared with
//! `utoipa-axum`, so the OpenAPI document at `/api/openapi.json` is generated from the
//! same declarations that route requests and cannot drift from them.

pub mod aar;
pub mod assessment_evidence;
pub mod auth;
pub mod drills;
pub mod evidence;
pub mod maturity;
pub mod maturity_export;
pub mod orgs;
pub mod playbooks;
pub mod records;
pub mod scenarios;
pub mod systems;
pub mod teams;

use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::state::AppState;
use crate::store::Page;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cyberdrill",
        description = "Registry, drills and maturity scoring for Vietnamese cyber-security drills. Errors use the envelope {\"error\": {\"code\", \"message\", \"fields\"}}.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ErrorEnvelope)),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every API route, with its OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(orgs::router())
        .merge(systems::router())
        .merge(teams::router())
        .merge(playbooks::router())
        .merge(drills::router())
        .merge(aar::router())
        .merge(records::router())
        .merge(evidence::router())
        .merge(crate::http::ws::router())
        .merge(scenarios::router())
        .merge(maturity::router())
        .merge(maturity_export::router())
        .merge(assessment_evidence::router())
}

/// A page of a list: `next_cursor` is passed back as `cursor` to get the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<Uuid>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
    /// Items per page, 1–500 (default 100).
    pub limit: Option<u64>,
}

impl PageParams {
    pub fn page(&self) -> Page {
        Page {
            after: self.cursor,
            limit: self.limit.unwrap_or(100).clamp(1, Page::MAX_LIMIT),
        }
    }
}
