//! The routes of every area, assembled into one router.
//!
//! Each area module owns its handlers and templates. Every route added here must also be
//! listed in [`crate::access::ROUTES`].

mod accounts;
mod activity_reviews;
mod addressable;
mod calendar;
mod ehr_sources;
mod home;
mod inventory;
mod ledger;
mod program;
mod review_schedule;
mod risk;
mod sanctions;
mod sign_in;
mod workforce;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/{file}", get(static_file))
        .route("/setup/{token}", get(sign_in::setup_form).post(sign_in::setup))
        .route("/login", get(sign_in::login_form).post(sign_in::login))
        .route("/logout", post(sign_in::logout))
        .route(
            "/invitations/{token}",
            get(sign_in::invitation_form).post(sign_in::accept_invitation),
        )
        .route("/account/password", get(sign_in::password_form).post(sign_in::change_password))
        .route("/", get(home::home))
        .route("/dashboard", get(home::dashboard))
        .route("/catalog", get(home::catalog))
        .route("/ledger", get(ledger::ledger))
        .route("/inventory", get(inventory::list).post(inventory::create))
        .route("/inventory/new", get(inventory::new_form))
        .route("/inventory/export.csv", get(inventory::export))
        .route("/inventory/import", get(inventory::import_form).post(inventory::import_preview))
        .route("/inventory/import/commit", post(inventory::import_commit))
        .route("/inventory/flows", post(inventory::create_flow))
        .route("/inventory/flows/{id}/end", post(inventory::end_flow))
        .route("/inventory/{id}", get(inventory::show).post(inventory::update))
        .route("/inventory/{id}/retire", post(inventory::retire))
        .route("/accounts", get(accounts::list))
        .route("/accounts/invitations", post(accounts::invite))
        .route("/accounts/invitations/{id}/cancel", post(accounts::cancel_invitation))
        .route("/accounts/{id}/disable", post(accounts::disable))
        .route("/accounts/{id}/enable", post(accounts::enable))
        .route("/accounts/{id}/role", post(accounts::change_role))
        .route("/workforce", get(workforce::list).post(workforce::create))
        .route("/workforce/export.csv", get(workforce::export))
        .route("/workforce/new", get(workforce::new_form))
        .route("/workforce/import", get(workforce::import_form).post(workforce::import_preview))
        .route("/workforce/import/commit", post(workforce::import_commit))
        .route("/workforce/{id}", get(workforce::show).post(workforce::update))
        .route("/workforce/{id}/accounts", post(workforce::add_account))
        .route("/workforce/{id}/accounts/{account_id}/remove", post(workforce::remove_account))
        .route("/workforce/{id}/delete", post(workforce::delete))
        .route("/program/designation", get(program::designations).post(program::sign))
        .route("/program/designation/current", get(program::current_memo))
        .route("/program/designation/{id}/memo", get(program::memo))
        .route("/addressable", get(addressable::list))
        .route("/addressable/{slug}", get(addressable::show).post(addressable::sign))
        .route("/calendar", get(calendar::overview))
        .route("/calendar/obligations", post(calendar::create_obligation))
        .route("/calendar/obligations/{id}", post(calendar::update_obligation))
        .route("/calendar/items/{id}", get(calendar::show))
        .route("/calendar/items/{id}/complete", post(calendar::complete))
        .route("/evidence/{sha256}", get(calendar::download))
        .route("/evidence/{sha256}/delete", post(calendar::delete_evidence))
        .route("/risk", get(risk::overview))
        .route("/risk/analyses", post(risk::start))
        .route("/risk/analyses/{id}", get(risk::show_analysis).post(risk::update_analysis))
        .route("/risk/analyses/{id}/entries", post(risk::add_entry))
        .route("/risk/analyses/{id}/finalize", post(risk::finalize))
        .route("/risk/analyses/{id}/compare", get(risk::compare))
        .route("/risk/analyses/{id}/register.csv", get(risk::export_register))
        .route("/risk/analyses/{id}/register.xlsx", get(risk::export_register_xlsx))
        .route("/risk/analyses/{id}/print", get(risk::print_analysis))
        .route("/risk/entries/{id}", get(risk::show_entry).post(risk::rate_entry))
        .route("/risk/entries/{id}/decision", post(risk::decide))
        .route("/risk/entries/{id}/plan", post(risk::add_plan_item))
        .route("/risk/plan", get(risk::plan))
        .route("/risk/plan.csv", get(risk::export_plan))
        .route("/risk/plan.xlsx", get(risk::export_plan_xlsx))
        .route("/risk/plan/{id}", post(risk::update_plan_item))
        .route("/sanctions", get(sanctions::list).post(sanctions::record))
        .route("/sanctions/levels", get(sanctions::levels).post(sanctions::create_level))
        .route("/sanctions/levels/{id}", post(sanctions::update_level))
        .route(
            "/activity-review/schedule",
            get(review_schedule::overview).post(review_schedule::create),
        )
        .route(
            "/activity-review/reviews",
            get(activity_reviews::list).post(activity_reviews::create),
        )
        .route("/activity-review/reviews/{id}", get(activity_reviews::show))
        .route("/activity-review/reviews/{id}/sign", post(activity_reviews::sign))
        .route("/activity-review/findings/{id}", post(activity_reviews::decide))
        .route("/activity-review/ehr-sources", get(ehr_sources::list).post(ehr_sources::create))
        .route(
            "/activity-review/ehr-sources/{id}",
            get(ehr_sources::show).post(ehr_sources::update),
        )
        .route("/activity-review/ehr-sources/{id}/try", post(ehr_sources::preview))
}

/// Answers 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(error) => {
            tracing::warn!(error = %crate::error::error_chain(&error), "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn static_file(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.css" => (
            [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
            include_str!("../../static/app.css"),
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Reads the `notice` query parameter that a redirect after an action carries.
pub(crate) fn notice(query: &HashMap<String, String>) -> Option<&str> {
    query.get("notice").map(String::as_str)
}

/// Returns the value of `name` in a form read as pairs, or an empty string.
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
}

/// Turns a citation such as `164.308(a)(5)(ii)(A)` into a path segment, `164.308-a-5-ii-A`.
pub(crate) fn citation_slug(citation: &str) -> String {
    citation
        .replace(")(", "-")
        .replace(['(', ')'], "-")
        .trim_end_matches('-')
        .to_owned()
}

/// Returns the practice's current calendar day, the day every due date is compared with.
pub(crate) async fn practice_today(state: &AppState) -> Result<(jiff::civil::Date, jiff::tz::TimeZone), crate::error::AppError> {
    let practice = state
        .store
        .practice()
        .await?
        .ok_or(crate::error::AppError::NotFound("practice (finish setup first)"))?;
    let zone = practice.profile.time_zone.zone().clone();
    Ok((safeguard_domain::calendar::local_date(state.clock.now(), &zone), zone))
}

/// Formats an instant as a local date and time in the practice's zone, for pages.
pub(crate) fn local_time(at: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    zone.to_datetime(at).strftime("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn citation_slug_is_path_safe() {
        assert_eq!(super::citation_slug("164.308(a)(5)(ii)(A)"), "164.308-a-5-ii-A");
        assert_eq!(super::citation_slug("164.308(a)(2)"), "164.308-a-2");
    }
}
