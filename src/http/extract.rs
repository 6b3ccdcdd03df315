//! Our own extractors, so that malformed input gets the error envelope of
//! `shared/API.md` (with the offending field named) instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::domain::FieldErrors;
use crate::error::AppError;

/// A JSON body. Syntax errors are 400; a well-formed body with a wrong field is 422
/// naming the field (`level`, `dossier.status`, `steps.2.role`…).
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                let mime = ct.split(';').next().unwrap_or_default().trim();
                mime.eq_ignore_ascii_case("application/json") || mime.ends_with("+json")
            });
        if !is_json {
            return Err(AppError::BadRequest(
                "expected Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the path of the first bad field.
///
/// Syntax is checked on its own first, so that a broken body (trailing garbage, cut
/// off) is always 400 even when its beginning already misses a required field.
/// Fields are named as the validators name them: dotted paths (`steps.0.role`), and a
/// missing field names itself rather than its parent.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let mut segments: Vec<String> = e
            .path()
            .iter()
            .filter_map(|s| match s {
                Segment::Seq { index } => Some(index.to_string()),
                Segment::Map { key } => Some(key.clone()),
                Segment::Enum { variant } => Some(variant.clone()),
                Segment::Unknown => None,
            })
            .collect();
        let inner = e.into_inner();
        if inner.classify() != serde_json::error::Category::Data {
            return AppError::BadRequest(format!("malformed JSON: {inner}"));
        }
        let message = clean_serde_message(&inner);
        if let Some(missing) = missing_field(&message) {
            segments.push(missing.to_owned());
        }
        let field = if segments.is_empty() {
            "body".to_owned()
        } else {
            segments.join(".")
        };
        AppError::Validation(FieldErrors::single(field, "invalid", message))
    })
}

/// The name in serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.strip_suffix('`')
}

/// serde's messages end with " at line 1 column 42", which means nothing to a form user.
fn clean_serde_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

pub fn body_rejection(r: BytesRejection) -> AppError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(r.body_text())
    }
}

/// A path parameter. An id that does not parse cannot name anything: 404.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| ApiPath(v))
            .map_err(|_: PathRejection| AppError::NotFound)
    }
}

/// Query parameters; a bad value is 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|r: QueryRejection| {
                let text = r.body_text();
                let text = text
                    .strip_prefix("Failed to deserialize query string: ")
                    .unwrap_or(&text)
                    .to_owned();
                let field = text
                    .split(':')
                    .next()
                    .filter(|f| !f.contains(' '))
                    .unwrap_or("query")
                    .to_owned();
                AppError::Validation(FieldErrors::single(field, "invalid", text))
            })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only the parse errors matter here")]
    struct Step {
        action: String,
        role: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only the parse errors matter here")]
    struct Book {
        steps: Vec<Step>,
    }

    fn field_of(json: &str) -> String {
        match parse_json::<Book>(json.as_bytes()) {
            Err(AppError::Validation(f)) => f.0.keys().next().cloned().unwrap_or_default(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn nested_fields_are_named_with_dotted_paths() {
        assert_eq!(
            field_of(r#"{"steps": [{"action": "a", "role": 1}]}"#),
            "steps.0.role"
        );
        assert_eq!(
            field_of(r#"{"steps": [{"action": "a", "role": "r"}, {"action": "b"}]}"#),
            "steps.1.role"
        );
        assert_eq!(field_of(r#"{"steps": [], "extra": 1}"#), "extra");
        assert_eq!(field_of(r#"{}"#), "steps");
        assert_eq!(field_of(r#"[]"#), "body");
    }

    #[test]
    fn broken_syntax_is_a_bad_request_even_when_fields_are_missing() {
        for json in [r#"{"steps": [] "#, r#"{} trailing"#, ""] {
            assert!(
                matches!(
                    parse_json::<Book>(json.as_bytes()),
                    Err(AppError::BadRequest(_))
                ),
                "{json}"
            );
        }
    }
}
