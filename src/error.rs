//! One error type for every handler. Each variant maps to a status and a stable
//! snake_case code; internal details go to the log once, here at the boundary, and
//! never into the response body.

use std::collections::BTreeMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldErrors;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body is not well-formed (bad JSON, wrong content type).
    #[error("{0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("your role does not allow this")]
    Forbidden,
    /// Not found, or belongs to an organisation the caller may not see.
    #[error("not found")]
    NotFound,
    /// The path exists but not with this method.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict {
        message: String,
        fields: FieldErrors,
    },
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("too many attempts; retry in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// The database stayed busy too long (writers queued under load); nothing was
    /// written and the same request may be sent again.
    #[error("the server is busy; nothing was saved, retry in {retry_after_s} s")]
    Unavailable { retry_after_s: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The error envelope of `shared/API.md`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `validation_failed`, `not_found`.
    pub code: &'static str,
    pub message: String,
    /// Problems by input field (dotted paths for nested fields).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict { .. } => "conflict",
            AppError::Validation(_) => "validation_failed",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable { .. } => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation(FieldErrors::single(field, code, message))
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Validation(f) | AppError::Conflict { fields: f, .. } => Some(f),
            _ => None,
        }
    }

    /// Logs server-side failures once; client errors are not worth an `error!`.
    pub fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        let message = match self {
            AppError::Internal(_) => "internal error".to_owned(),
            AppError::Validation(f) if !f.is_empty() => {
                let names: Vec<&str> = f.0.keys().map(String::as_str).collect();
                format!("validation failed: {}", names.join(", "))
            }
            other => other.to_string(),
        };
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code(),
                message,
                fields: self
                    .fields()
                    .map(|f| {
                        f.0.iter()
                            .map(|(k, v)| (k.clone(), v.message.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), axum::Json(self.envelope())).into_response();
        if let AppError::RateLimited { retry_after_s } | AppError::Unavailable { retry_after_s } =
            self
            && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { field, message } => AppError::Conflict {
                message: format!("{field}: {message}"),
                fields: FieldErrors::single(field, "duplicate", message),
            },
            StoreError::Invalid { field, message } => {
                AppError::field(field, "invalid_reference", message)
            }
            StoreError::Busy => AppError::Unavailable { retry_after_s: 1 },
            StoreError::Db(e) => AppError::from(e),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(f: FieldErrors) -> Self {
        AppError::Validation(f)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if crate::store::is_busy(&e) {
            tracing::warn!(error = %e, "database busy; answering 503");
            AppError::Unavailable { retry_after_s: 1 }
        } else {
            AppError::Internal(e.into())
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
