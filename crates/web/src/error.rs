//! The one place where errors become HTTP responses.
//!
//! Refused requests get a page that tells the user what to do; database and file failures get a 500
//! with no detail, while the full cause chain goes to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_domain::values::InvalidValue;
use safeguard_store::StoreError;

/// The failure of a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request needs a signed-in account.
    #[error("sign-in required")]
    SignInRequired,
    /// The signed-in account's role does not allow the route.
    #[error("your role does not allow this page")]
    Forbidden,
    /// The CSRF token or origin did not match.
    #[error("the form expired or came from another site; reload the page and try again")]
    CsrfRejected,
    /// The route exists but not for this method, such as `GET /logout`.
    #[error("this address does not accept that kind of request")]
    MethodNotAllowed,
    /// The request body is larger than the configured limit.
    #[error("the upload is larger than {0} MB; split it or leave out large files")]
    TooLarge(usize),
    /// Too many sign-in attempts.
    #[error("too many sign-in attempts; wait 15 minutes and try again")]
    TooManyAttempts,
    /// The record or page does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that cannot be accepted; each entry names its field.
    #[error("invalid input")]
    Invalid(Vec<InvalidValue>),
    /// A request the store refused, with a message for the user.
    #[error("{0}")]
    Refused(String),
    /// A store failure.
    #[error("store operation failed")]
    Store(#[source] StoreError),
    /// A template failed to render.
    #[error("page rendering failed")]
    Render(#[from] askama::Error),
    /// A failure with no better category, such as a hashing task that panicked.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { kind } => AppError::NotFound(kind),
            StoreError::Conflict(message) => AppError::Refused(message),
            hold @ StoreError::RetentionHold { .. } => AppError::Refused(hold.to_string()),
            other => AppError::Store(other),
        }
    }
}

impl From<InvalidValue> for AppError {
    fn from(error: InvalidValue) -> Self {
        AppError::Invalid(vec![error])
    }
}

impl From<Vec<InvalidValue>> for AppError {
    fn from(errors: Vec<InvalidValue>) -> Self {
        AppError::Invalid(errors)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::SignInRequired => return Redirect::to("/login").into_response(),
            AppError::Forbidden => (StatusCode::FORBIDDEN, self.to_string()),
            AppError::CsrfRejected => (StatusCode::FORBIDDEN, self.to_string()),
            AppError::TooManyAttempts => (StatusCode::TOO_MANY_REQUESTS, self.to_string()),
            AppError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, self.to_string()),
            AppError::TooLarge(_) => {
                tracing::info!("request body over the upload limit refused");
                (StatusCode::PAYLOAD_TOO_LARGE, self.to_string())
            }
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, self.to_string()),
            AppError::Invalid(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            ),
            AppError::Refused(message) => (StatusCode::CONFLICT, message.clone()),
            AppError::Store(_) | AppError::Render(_) | AppError::Internal(_) => {
                tracing::error!(error = %error_chain(&self), "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on the server. The error is in the server log; try again, and tell your administrator if it persists.".to_owned())
            }
        };
        crate::layout::error_page(status, &message)
    }
}

/// Formats an error with every source in its chain, for the log.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
