//! Form bodies for pages: any urlencoded body parses (a list of pairs), the CSRF
//! token is checked, and handlers read fields by name, collecting problems to show
//! beside the fields.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{PageCtx, render_status};
use crate::auth::session::{CSRF_FIELD, form_token_matches};
use crate::state::AppState;

/// The fields of a submitted form, in order. Repeated names (checkboxes, list rows)
/// keep every value.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

/// Largest form body accepted (a playbook with many steps fits easily).
pub const FORM_LIMIT: usize = 512 * 1024;

/// The page shown when a form's CSRF token does not match (it has no data of its own).
#[derive(Serialize)]
pub struct FormExpiredVm {}

impl FromRequest<AppState> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        let pairs: Vec<(String, String)> = form_urlencoded_pairs(&body);
        let data = FormData(pairs);
        if !form_token_matches(&parts.headers, data.get(CSRF_FIELD)) {
            // A page rather than plain text: the usual cause is innocent (a form left
            // open in a tab whose cookies were cleared), and the person needs to know
            // that nothing was saved.
            let ctx = PageCtx::from_request_parts(&mut parts, state).await?;
            return Err(render_status(
                state,
                &ctx,
                StatusCode::FORBIDDEN,
                "pages/form_expired",
                "form-expired-title",
                "",
                &FormExpiredVm {},
            ));
        }
        Ok(data)
    }
}

fn form_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    // Any urlencoded body decodes to pairs; bytes that are not UTF-8 after decoding
    // make the whole body empty, which then fails the CSRF check like a forged form.
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

impl FormData {
    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value, trimmed, or None when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|s| !s.is_empty())
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "true" | "1" | "yes")
    }
}
