//! Form bodies for pages: any urlencoded body parses (a list of pairs), the CSRF
//! token is checked, and handlers read fields by name, collecting problems to show
//! beside the fields.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::session::{CSRF_FIELD, form_token_matches};

/// The fields of a submitted form, in order. Repeated names (checkboxes, list rows)
/// keep every value.
#[derive(Debug, Default, Clone)]
pub struct FormData(pub Vec<(String, String)>);

/// Largest form body accepted (a playbook with many steps fits easily).
pub const FORM_LIMIT: usize = 512 * 1024;

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = axum::body::to_bytes(req.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        let pairs: Vec<(String, String)> = form_urlencoded_pairs(&body);
        let data = FormData(pairs);
        if !form_token_matches(&headers, data.get(CSRF_FIELD)) {
            return Err((
                StatusCode::FORBIDDEN,
                "the form has expired; reload the page and try again",
            )
                .into_response());
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
