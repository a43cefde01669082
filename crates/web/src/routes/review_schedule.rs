//! The activity-review schedule: which systems' logs are reviewed, how often, and which
//! account reviews them.
//!
//! Each entry is a calendar obligation, so this page lists the entries with their current
//! calendar item and adds new ones; completing a review happens on the calendar item.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_domain::accounts::Permission;
use safeguard_domain::calendar::{Cadence, InstanceState, instance_state};
use safeguard_domain::ids::UserId;
use safeguard_domain::review_schedule::{ACTIVITY_REVIEW_CITATION, ReviewScheduleInput};
use safeguard_domain::values::InvalidValue;
use safeguard_store::accounts::User;
use safeguard_store::calendar::{Instance, Obligation};
use serde::Deserialize;

use super::{notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// A schedule entry with its earliest open calendar item and that item's state today.
struct Entry {
    obligation: Obligation,
    open: Option<(Instance, InstanceState)>,
}

/// The fields of the schedule form, kept to refill the form after an error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ScheduleForm {
    #[serde(default)]
    system: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    anchor: String,
    #[serde(default)]
    owner: String,
}

#[derive(Template)]
#[template(path = "review_schedule.html")]
struct SchedulePage {
    layout: Layout,
    citation: &'static str,
    entries: Vec<Entry>,
    reviewers: Vec<User>,
    cadences: [Cadence; 4],
    form: ScheduleForm,
    errors: Vec<InvalidValue>,
}

async fn schedule_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    today: Date,
    form: ScheduleForm,
    errors: Vec<InvalidValue>,
) -> Result<SchedulePage, AppError> {
    let open_instances = state.store.instances(false).await?;
    let entries = state
        .store
        .review_schedule()
        .await?
        .into_iter()
        .map(|obligation| {
            // Instances come soonest due first, so the first match is the one to do next.
            let open = open_instances
                .iter()
                .find(|instance| instance.obligation.id == obligation.id)
                .map(|instance| {
                    let state = instance_state(obligation.cadence, instance.due_on, None, today);
                    (instance.clone(), state)
                });
            Entry { obligation, open }
        })
        .collect();

    Ok(SchedulePage {
        layout: Layout::signed_in("Activity-review schedule", user, csrf),
        citation: ACTIVITY_REVIEW_CITATION,
        entries,
        reviewers: reviewers(state).await?,
        cadences: Cadence::ALL,
        form,
        errors,
    })
}

/// Returns the accounts that may own a review: enabled accounts whose role can complete
/// calendar items, since the owner completes each period's review.
async fn reviewers(state: &AppState) -> Result<Vec<User>, AppError> {
    Ok(state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|account| account.disabled_at.is_none() && account.role.allows(Permission::CompleteObligations))
        .collect())
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let (today, _) = practice_today(&state).await?;

    let form = ScheduleForm {
        cadence: Cadence::Monthly.code().to_owned(),
        anchor: today.to_string(),
        owner: user.id().to_string(),
        ..ScheduleForm::default()
    };
    let mut page = schedule_page(&state, &user, &csrf, today, form, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let (today, _) = practice_today(&state).await?;

    let mut errors = Vec::new();
    let input = ReviewScheduleInput::parse(&form.system, &form.description, &form.cadence, &form.anchor)
        .map_err(|mut found| errors.append(&mut found))
        .ok();
    let reviewers = reviewers(&state).await?;
    let owner: Option<UserId> = form
        .owner
        .parse()
        .ok()
        .filter(|id| reviewers.iter().any(|account| account.id == *id))
        .or_else(|| {
            errors.push(InvalidValue::new(
                "reviewer",
                "choose the Security Official or a manager; staff and auditors cannot complete calendar items",
            ));
            None
        });

    let (Some(input), Some(owner)) = (input, owner) else {
        let page = schedule_page(&state, &user, &csrf, today, form, errors).await?;
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let id = state.store.schedule_activity_review(user.id(), &input, owner).await?;
    crate::jobs::advance_calendar(&state).await?;
    tracing::info!(user.id = %user.id(), obligation.id = %id, "activity review scheduled");

    Ok(Redirect::to("/activity-review/schedule?notice=saved").into_response())
}
