//! CSRF protection for every state-changing request.
//!
//! A POST must carry the request's CSRF token in the form field `csrf_token` (URL-encoded or
//! multipart; in multipart forms it must be the first field) and, when the browser sends an
//! `Origin` header, come from this site. The body is read here and handed on unchanged, so
//! handlers see the whole form.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;
use crate::auth::constant_time_eq;
use crate::error::AppError;
use crate::session::CsrfToken;

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";

/// Refuses unsafe requests without the right token or from another origin.
pub async fn verify(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, AppError> {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(request).await);
    }

    check_origin(&request)?;
    let expected = request
        .extensions()
        .get::<CsrfToken>()
        .map(|token| token.0.clone())
        .ok_or(AppError::CsrfRejected)?;

    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, state.config.max_upload_bytes)
        .await
        .map_err(|_| AppError::TooLarge(state.config.max_upload_bytes / (1024 * 1024)))?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();

    let supplied = if content_type.starts_with("multipart/form-data") {
        first_multipart_field(&content_type, bytes.clone()).await
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(name, _)| name == FIELD).map(|(_, value)| value))
    };
    match supplied {
        Some(token) if constant_time_eq(&token, &expected) => Ok(next.run(Request::from_parts(parts, Body::from(bytes))).await),
        _ => Err(AppError::CsrfRejected),
    }
}

fn check_origin(request: &Request) -> Result<(), AppError> {
    let Some(origin) = request.headers().get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return Ok(());
    };
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);

    if origin_host == host { Ok(()) } else { Err(AppError::CsrfRejected) }
}

/// Returns the value of the first field of a multipart body when that field is the token.
///
/// The body is parsed with multer directly rather than axum's `Multipart` extractor, because
/// the extractor on a rebuilt request applies axum's default 2 MB body limit instead of the
/// configured upload limit. The body was already read within that limit.
async fn first_multipart_field(content_type: &str, bytes: axum::body::Bytes) -> Option<String> {
    let boundary = multer::parse_boundary(content_type).ok()?;
    let body = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut multipart = multer::Multipart::new(body, boundary);
    let field = multipart.next_field().await.ok()??;
    if field.name() != Some(FIELD) {
        return None;
    }
    field.text().await.ok()
}
