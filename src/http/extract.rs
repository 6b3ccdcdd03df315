//! Our own extractors, so that malformed input gets the error envelope of
//! `shared/API.md` (with the offending field named) instead of axum's plain text.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

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
            return Err(AppError::BadRequest("expected Content-Type: application/json".into()));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON with the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                AppError::Validation(FieldErrors::single(field, "invalid", clean_serde_message(&inner)))
            }
            _ => AppError::BadRequest(format!("malformed JSON: {inner}")),
        }
    })?;
    de.end().map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
    Ok(value)
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
                let text = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(&text).to_owned();
                let field = text.split(':').next().filter(|f| !f.contains(' ')).unwrap_or("query").to_owned();
                AppError::Validation(FieldErrors::single(field, "invalid", text))
            })
    }
}
