//! The Safeguard web application.
//!
//! Server-rendered pages per product area over the store. This crate owns authentication,
//! sessions, CSRF protection, security headers, the per-route role table and the background
//! jobs; handlers call store methods and never write SQL. Errors from every layer become HTTP
//! responses in exactly one place, [`error::AppError`].
#![deny(missing_docs)]

pub mod access;
pub mod auth;
mod csrf;
mod ehr_mapping;
pub mod error;
mod headers;
pub mod jobs;
mod layout;
pub mod log_folders;
pub mod review_roster;
mod routes;
mod session;

use std::sync::Arc;

use axum::Router;
use safeguard_domain::clock::Clock;
use safeguard_store::Store;
use safeguard_store::evidence::EvidenceFiles;

/// Settings of the web application that come from the operator's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Marks cookies `Secure`; set when the application is reached over TLS, for example
    /// through a reverse proxy.
    pub secure_cookies: bool,
    /// The largest upload accepted, in bytes.
    pub max_upload_bytes: usize,
    /// The folders on the server whose log files an activity review may read in place, as
    /// absolute paths; empty when reviews read uploaded files only.
    pub review_log_folders: Vec<std::path::PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            max_upload_bytes: 25 * 1024 * 1024,
            review_log_folders: Vec::new(),
        }
    }
}

/// The shared state every handler receives.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// The evidence file folder.
    pub files: EvidenceFiles,
    /// The clock, shared with the store.
    pub clock: Arc<dyn Clock>,
    /// Operator settings.
    pub config: Arc<WebConfig>,
}

/// Builds the application's router with every layer applied.
pub fn router(state: AppState) -> Router {
    // Route layers run after routing, so the access check and the request span see the
    // matched route template.
    let routes = routes::routes()
        .route_layer(axum::middleware::from_fn(access::enforce))
        .route_layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(headers::request_span));

    routes
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::verify))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::load))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_upload_bytes))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .with_state(state)
}

/// Returns the not-found error page for every unknown address, instead of an empty body.
async fn not_found() -> error::AppError {
    error::AppError::NotFound("page")
}
