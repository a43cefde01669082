//! Sessions: the cookie, loading the signed-in account for each request, and the extractor
//! handlers use to require one.
//!
//! The session cookie carries a random token; the database stores its hash, the CSRF token,
//! and the idle and absolute expiry. A browser without a session gets a separate anonymous
//! CSRF cookie so the sign-in, setup and invitation forms are protected too.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use jiff::SignedDuration;
use safeguard_domain::accounts::{Permission, Role};
use safeguard_domain::ids::UserId;
use safeguard_store::accounts::User;

use crate::AppState;
use crate::auth::{new_token, token_hash};
use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sg_session";
/// The anonymous CSRF cookie's name.
pub const CSRF_COOKIE: &str = "sg_csrf";
/// How long a session lasts at most.
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_hours(12);
/// How long a session lasts without use.
pub const IDLE_TIMEOUT: SignedDuration = SignedDuration::from_mins(60);

/// The signed-in account of a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: User,
    /// The hash of the session token, to end or keep this session.
    pub session_hash: String,
}

impl CurrentUser {
    /// Returns the account id.
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// Returns the account's role.
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Fails with `Forbidden` unless the role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.user.role.allows(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The CSRF token that this request's forms must carry.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Loads the session named by the cookie, if it is live, and the CSRF token for the request.
pub async fn load(State(state): State<AppState>, mut request: Request, next: Next) -> Result<Response, AppError> {
    let session_token = cookie(request.headers(), SESSION_COOKIE);
    let mut new_anonymous_token = None;

    let current = match session_token {
        Some(token) => {
            let hash = token_hash(&token);
            state.store.session(&hash, IDLE_TIMEOUT).await?.map(|record| {
                (
                    CurrentUser {
                        user: record.user,
                        session_hash: hash,
                    },
                    record.csrf_token,
                )
            })
        }
        None => None,
    };

    let csrf = match &current {
        Some((_, csrf)) => csrf.clone(),
        None => cookie(request.headers(), CSRF_COOKIE)
            .filter(|value| value.len() == 43)
            .unwrap_or_else(|| {
                let token = new_token();
                new_anonymous_token = Some(token.clone());
                token
            }),
    };
    request.extensions_mut().insert(CsrfToken(csrf));
    if let Some((user, _)) = current {
        request.extensions_mut().insert(user);
    }

    let mut response = next.run(request).await;
    if let Some(token) = new_anonymous_token {
        append_cookie(
            &mut response,
            &cookie_header(CSRF_COOKIE, &token, None, state.config.secure_cookies),
        );
    }
    Ok(response)
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<CurrentUser>().cloned().ok_or(AppError::SignInRequired)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentUser>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| AppError::Internal("the session layer did not run".into()))
    }
}

/// Returns a cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Builds a `Set-Cookie` value: HttpOnly, SameSite=Strict, path `/`, `Secure` when asked.
/// `max_age` of `Some(0)` deletes the cookie; `None` makes a browser-session cookie.
pub fn cookie_header(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> String {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    text
}

/// Adds a `Set-Cookie` header to a response.
pub fn append_cookie(response: &mut Response, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
