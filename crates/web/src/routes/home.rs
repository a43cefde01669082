//! The home page, the compliance dashboard and the regulation catalog.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_domain::accounts::Permission;
use safeguard_domain::calendar::{InstanceState, instance_state};
use safeguard_domain::catalog;
use safeguard_domain::compliance::{Fix, ItemStatus, StandardStatus, Status, assess};
use safeguard_domain::review_schedule::ACTIVITY_REVIEW_CITATION;
use safeguard_store::calendar::Instance;
use safeguard_store::program::Designation;

use super::{citation_slug, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render};
use crate::session::{CsrfToken, CurrentUser};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    designation: Option<Designation>,
}

/// Sends program roles to the dashboard and shows everyone else who the Security Official is.
pub(crate) async fn home(State(state): State<AppState>, user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    if user.role().allows(Permission::ViewProgram) {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    let designation = state.store.current_designation().await?;
    render(&HomePage {
        layout: Layout::signed_in("Home", &user, &csrf),
        designation,
    })
}

/// A dated task on the dashboard's "this week" list.
struct Task {
    instance: Instance,
    state: InstanceState,
}

/// A row of the status table: a standard or a specification with its gaps as links.
struct StatusRow {
    item: ItemStatus,
    is_standard: bool,
    links: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    today: Date,
    counts: Vec<(&'static str, &'static str, usize)>,
    rows: Vec<StatusRow>,
    tasks: Vec<Task>,
    recent: Vec<Instance>,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let (today, _) = practice_today(&state).await?;

    let can_manage = user.role().allows(Permission::ManageProgram);
    let facts = state.store.program_facts().await?;
    let statuses: Vec<StandardStatus> = assess(&facts, today);
    let rows: Vec<StatusRow> = statuses
        .into_iter()
        .flat_map(|standard| {
            let mut rows = vec![status_row(standard.standard, true, can_manage)];
            rows.extend(standard.specifications.into_iter().map(|item| status_row(item, false, can_manage)));
            rows
        })
        .collect();
    let counts = [
        Status::Met,
        Status::DueSoon,
        Status::Overdue,
        Status::Missing,
        Status::DecisionNeeded,
    ]
    .into_iter()
    .map(|status| {
        (
            status.code(),
            status.label(),
            rows.iter().filter(|row| !row.is_standard && row.item.status == status).count(),
        )
    })
    .collect();

    let tasks = state
        .store
        .instances(false)
        .await?
        .into_iter()
        .map(|instance| {
            let state = instance_state(instance.obligation.cadence, instance.due_on, None, today);
            Task { instance, state }
        })
        .filter(|task| matches!(task.state, InstanceState::Overdue | InstanceState::DueSoon))
        .collect();
    let recent = state.store.recent_completions(8).await?;

    let layout = Layout::signed_in("Dashboard", &user, &csrf).with_notice(notice(&query));
    render(&DashboardPage {
        layout,
        today,
        counts,
        rows,
        tasks,
        recent,
    })
}

/// Builds a row of the status table. Roles that cannot make the missing record still get the
/// link, to read what is there, but with a label that does not promise a form.
fn status_row(item: ItemStatus, is_standard: bool, can_manage: bool) -> StatusRow {
    let links = item
        .gaps
        .iter()
        .map(|gap| {
            let (href, label) = match &gap.fix {
                Fix::CompleteInstance(id) => (format!("/calendar/items/{id}"), "Complete it"),
                Fix::DecideAddressable(citation) if can_manage => {
                    (format!("/addressable/{}", citation_slug(citation)), "Record a decision")
                }
                Fix::DecideAddressable(citation) => (format!("/addressable/{}", citation_slug(citation)), "See the decisions"),
                Fix::Designate if can_manage => ("/program/designation".to_owned(), "Designate"),
                Fix::Designate => ("/program/designation".to_owned(), "See the designations"),
                Fix::AddObligation(_) if !can_manage => ("/calendar".to_owned(), "See the calendar"),
                Fix::AddObligation(citation) if *citation == ACTIVITY_REVIEW_CITATION => {
                    ("/activity-review/schedule#new".to_owned(), "Add a system to the review schedule")
                }
                Fix::AddObligation(citation) => (format!("/calendar?citation={}#new", citation_slug(citation)), "Add an obligation"),
                Fix::FinalizeRiskAnalysis => ("/risk".to_owned(), "Open the risk analysis"),
                Fix::DecideRisks => ("/risk".to_owned(), "Decide the risks"),
                Fix::CompletePlanItem(id) => (format!("/risk/plan#item-{id}"), "Update the plan item"),
                Fix::ReviewObligation(_) => ("/calendar".to_owned(), "Open the calendar"),
            };
            (href, format!("{} {label}", gap.message))
        })
        .collect();
    StatusRow { item, is_standard, links }
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    layout: Layout,
    standards: Vec<(&'static catalog::Standard, Vec<&'static catalog::Specification>)>,
    documentation: &'static [catalog::DocumentationItem],
    breach: &'static [catalog::BreachSection],
}

pub(crate) async fn catalog(user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::SignedIn)?;
    let standards = catalog::STANDARDS
        .iter()
        .map(|standard| (standard, catalog::specifications_of(standard.citation).collect()))
        .collect();
    render(&CatalogPage {
        layout: Layout::signed_in("Regulation", &user, &csrf),
        standards,
        documentation: catalog::DOCUMENTATION,
        breach: catalog::BREACH_SECTIONS,
    })
}
