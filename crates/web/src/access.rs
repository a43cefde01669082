//! The role table: which permission each route needs, enforced by one middleware.
//!
//! Every route of the router must be listed in [`ROUTES`]; a route that is missing is refused
//! for everyone, so forgetting an entry fails closed. Handlers that act on a record check the
//! same permission again through [`crate::session::CurrentUser::require`] where the record
//! decides more than the route does.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use safeguard_domain::accounts::Permission;

use crate::error::AppError;
use crate::session::CurrentUser;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in account whose role has the permission.
    Requires(Permission),
}

/// One route and who may use it.
#[derive(Debug, Clone, Copy)]
pub struct RouteAccess {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The route template as the router declares it.
    pub path: &'static str,
    /// Who may use it.
    pub access: Access,
}

const fn route(method: &'static str, path: &'static str, access: Access) -> RouteAccess {
    RouteAccess { method, path, access }
}

use Access::{Public, Requires};
use Permission::*;

/// Every route of the application.
pub const ROUTES: &[RouteAccess] = &[
    route("GET", "/healthz", Public),
    route("GET", "/static/{file}", Public),
    route("GET", "/setup/{token}", Public),
    route("POST", "/setup/{token}", Public),
    route("GET", "/login", Public),
    route("POST", "/login", Public),
    route("POST", "/logout", Public),
    route("GET", "/invitations/{token}", Public),
    route("POST", "/invitations/{token}", Public),
    route("GET", "/", Requires(SignedIn)),
    route("GET", "/catalog", Requires(SignedIn)),
    route("GET", "/account/password", Requires(SignedIn)),
    route("POST", "/account/password", Requires(SignedIn)),
    route("GET", "/program/designation/current", Requires(SignedIn)),
    route("GET", "/dashboard", Requires(ViewProgram)),
    route("GET", "/accounts", Requires(ManageAccounts)),
    route("POST", "/accounts/invitations", Requires(ManageAccounts)),
    route("POST", "/accounts/invitations/{id}/cancel", Requires(ManageAccounts)),
    route("POST", "/accounts/{id}/disable", Requires(ManageAccounts)),
    route("POST", "/accounts/{id}/enable", Requires(ManageAccounts)),
    route("POST", "/accounts/{id}/role", Requires(ManageAccounts)),
    route("GET", "/workforce", Requires(ViewWorkforce)),
    route("GET", "/workforce/export.csv", Requires(ViewWorkforce)),
    route("GET", "/workforce/new", Requires(EditWorkforce)),
    route("POST", "/workforce", Requires(EditWorkforce)),
    route("GET", "/workforce/import", Requires(EditWorkforce)),
    route("POST", "/workforce/import", Requires(EditWorkforce)),
    route("POST", "/workforce/import/commit", Requires(EditWorkforce)),
    route("GET", "/workforce/{id}", Requires(ViewWorkforce)),
    route("POST", "/workforce/{id}", Requires(EditWorkforce)),
    route("POST", "/workforce/{id}/accounts", Requires(EditWorkforce)),
    route("POST", "/workforce/{id}/accounts/{account_id}/remove", Requires(EditWorkforce)),
    route("POST", "/workforce/{id}/delete", Requires(EditWorkforce)),
    route("GET", "/program/designation", Requires(ViewProgram)),
    route("POST", "/program/designation", Requires(ManageProgram)),
    route("GET", "/program/designation/{id}/memo", Requires(ViewProgram)),
    route("GET", "/addressable", Requires(ViewProgram)),
    route("GET", "/addressable/{slug}", Requires(ViewProgram)),
    route("POST", "/addressable/{slug}", Requires(ManageProgram)),
    route("GET", "/calendar", Requires(ViewProgram)),
    route("POST", "/calendar/obligations", Requires(ManageProgram)),
    route("POST", "/calendar/obligations/{id}", Requires(ManageProgram)),
    route("GET", "/calendar/items/{id}", Requires(ViewProgram)),
    route("POST", "/calendar/items/{id}/complete", Requires(CompleteObligations)),
    route("GET", "/evidence/{sha256}", Requires(ViewEvidence)),
    route("POST", "/evidence/{sha256}/delete", Requires(ManageProgram)),
    route("GET", "/ledger", Requires(ViewLedger)),
    route("GET", "/inventory", Requires(ViewProgram)),
    route("POST", "/inventory", Requires(ManageProgram)),
    route("GET", "/inventory/new", Requires(ManageProgram)),
    route("GET", "/inventory/export.csv", Requires(ViewProgram)),
    route("GET", "/inventory/import", Requires(ManageProgram)),
    route("POST", "/inventory/import", Requires(ManageProgram)),
    route("POST", "/inventory/import/commit", Requires(ManageProgram)),
    route("POST", "/inventory/flows", Requires(ManageProgram)),
    route("POST", "/inventory/flows/{id}/end", Requires(ManageProgram)),
    route("GET", "/inventory/{id}", Requires(ViewProgram)),
    route("POST", "/inventory/{id}", Requires(ManageProgram)),
    route("POST", "/inventory/{id}/retire", Requires(ManageProgram)),
    route("GET", "/risk", Requires(ViewProgram)),
    route("POST", "/risk/analyses", Requires(ManageProgram)),
    route("GET", "/risk/analyses/{id}", Requires(ViewProgram)),
    route("POST", "/risk/analyses/{id}", Requires(ManageProgram)),
    route("POST", "/risk/analyses/{id}/entries", Requires(ManageProgram)),
    route("POST", "/risk/analyses/{id}/finalize", Requires(ManageProgram)),
    route("GET", "/risk/analyses/{id}/compare", Requires(ViewProgram)),
    route("GET", "/risk/analyses/{id}/register.csv", Requires(ViewProgram)),
    route("GET", "/risk/analyses/{id}/register.xlsx", Requires(ViewProgram)),
    route("GET", "/risk/analyses/{id}/print", Requires(ViewProgram)),
    route("GET", "/risk/entries/{id}", Requires(ViewProgram)),
    route("POST", "/risk/entries/{id}", Requires(ManageProgram)),
    route("POST", "/risk/entries/{id}/decision", Requires(ManageProgram)),
    route("POST", "/risk/entries/{id}/plan", Requires(ManageProgram)),
    route("GET", "/risk/plan", Requires(ViewProgram)),
    route("GET", "/risk/plan.csv", Requires(ViewProgram)),
    route("GET", "/risk/plan.xlsx", Requires(ViewProgram)),
    route("POST", "/risk/plan/{id}", Requires(CompleteObligations)),
    route("GET", "/sanctions", Requires(ViewSanctions)),
    route("POST", "/sanctions", Requires(RecordSanctions)),
    route("GET", "/sanctions/levels", Requires(ViewSanctions)),
    route("POST", "/sanctions/levels", Requires(ManageProgram)),
    route("POST", "/sanctions/levels/{id}", Requires(ManageProgram)),
    route("GET", "/activity-review/schedule", Requires(ViewProgram)),
    route("POST", "/activity-review/schedule", Requires(ManageProgram)),
    // Running, deciding and signing a review completes a calendar item, so it needs the
    // permission that completing calendar items needs. A follow-up decision also opens a
    // risk-plan item, and the handler checks ManageProgram for that part.
    route("GET", "/activity-review/reviews", Requires(ViewProgram)),
    route("POST", "/activity-review/reviews", Requires(CompleteObligations)),
    route("GET", "/activity-review/reviews/{id}", Requires(ViewProgram)),
    route("POST", "/activity-review/reviews/{id}/sign", Requires(CompleteObligations)),
    route("POST", "/activity-review/findings/{id}", Requires(CompleteObligations)),
    // EHR log sources are configuration, like the schedule: everyone who reads the program
    // reads them, and only the Security Official changes or tries them.
    route("GET", "/activity-review/ehr-sources", Requires(ViewProgram)),
    route("POST", "/activity-review/ehr-sources", Requires(ManageProgram)),
    route("GET", "/activity-review/ehr-sources/{id}", Requires(ViewProgram)),
    route("POST", "/activity-review/ehr-sources/{id}", Requires(ManageProgram)),
    route("POST", "/activity-review/ehr-sources/{id}/try", Requires(ManageProgram)),
];

/// Returns the access rule of a route, if it is listed.
pub fn rule(method: &str, path: &str) -> Option<Access> {
    ROUTES
        .iter()
        .find(|entry| entry.method == method && entry.path == path)
        .map(|entry| entry.access)
}

/// Enforces [`ROUTES`] on every matched request.
pub async fn enforce(request: Request, next: Next) -> Result<Response, AppError> {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
        .unwrap_or_default();
    let method = if request.method() == axum::http::Method::HEAD {
        "GET"
    } else {
        request.method().as_str()
    };

    match rule(method, &path) {
        Some(Access::Public) => {}
        Some(Access::Requires(permission)) => {
            let user = request.extensions().get::<CurrentUser>().ok_or(AppError::SignInRequired)?;
            user.require(permission)?;
        }
        None if ROUTES.iter().any(|entry| entry.path == path) => return Err(AppError::MethodNotAllowed),
        None => {
            tracing::error!(http.route = %path, "route missing from the access table; request rejected");
            return Err(AppError::Forbidden);
        }
    }
    Ok(next.run(request).await)
}
