//! Browser sessions and CSRF protection.
//!
//! The session cookie is HttpOnly and SameSite=Lax; it holds a random secret whose
//! hash is the session row's key. CSRF uses a double-submit token: a random
//! `cyberdrill_csrf` cookie (SameSite=Strict) that every form repeats in a hidden
//! `_csrf` field and every script repeats in the `X-CSRF-Token` header. A page on
//! another site can neither read the cookie nor make the browser send it.

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::secret::{constant_time_eq, new_secret};

pub const SESSION_COOKIE: &str = "cyberdrill_session";
pub const CSRF_COOKIE: &str = "cyberdrill_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "_csrf";

pub fn session_cookie(
    value: String,
    secure: bool,
    max_age: time_delta::Duration,
) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .max_age(max_age)
        .build()
}

pub fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build((name, "")).path("/").build()
}

/// The CSRF token of this browser, as the request carried it or as the middleware
/// issued it for this response.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Issues a CSRF cookie to browsers that have none, and makes the token available to
/// handlers (to put in forms) as a request extension.
pub async fn ensure_csrf_cookie(
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> (CookieJar, Response) {
    let existing = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32);
    let (token, jar) = match existing {
        Some(t) => (t, jar),
        None => {
            let t = new_secret();
            let cookie = Cookie::build((CSRF_COOKIE, t.clone()))
                .same_site(SameSite::Strict)
                .path("/")
                .build();
            (t, jar.add(cookie))
        }
    };
    request.extensions_mut().insert(CsrfToken(token));
    (jar, next.run(request).await)
}

/// True when the form's `_csrf` value equals the CSRF cookie.
pub fn form_token_matches(headers: &HeaderMap, submitted: &str) -> bool {
    CookieJar::from_headers(headers)
        .get(CSRF_COOKIE)
        .is_some_and(|c| !submitted.is_empty() && constant_time_eq(c.value(), submitted))
}

/// True when the `X-CSRF-Token` header equals the CSRF cookie.
pub fn csrf_header_matches(headers: &HeaderMap) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| form_token_matches(headers, v))
}

/// Cookie lifetimes use the `time` crate that the cookie crate re-exports.
pub mod time_delta {
    pub use cookie::time::Duration;
}
