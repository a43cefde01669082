//! The Security Official designation and its printable memo.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_domain::accounts::Permission;
use safeguard_domain::designation::{DesignationInput, STANDARD_DUTIES, signature_matches};
use safeguard_domain::ids::{DesignationId, PersonId};
use safeguard_domain::values::InvalidValue;
use safeguard_domain::workforce::PersonStatus;
use safeguard_store::program::Designation;
use safeguard_store::workforce::Person;

use super::{field, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

#[derive(Template)]
#[template(path = "designation.html")]
struct DesignationPage {
    layout: Layout,
    current: Option<Designation>,
    history: Vec<Designation>,
    people: Vec<Person>,
    duties: [&'static str; 6],
    today: String,
    errors: Vec<InvalidValue>,
}

async fn designation_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    errors: Vec<InvalidValue>,
    notice_code: Option<&str>,
) -> Result<DesignationPage, AppError> {
    let history = state.store.designations().await?;
    let current = history.iter().find(|designation| designation.superseded_on.is_none()).cloned();
    let people = state
        .store
        .people()
        .await?
        .into_iter()
        .filter(|person| person.status != PersonStatus::Terminated)
        .collect();
    let (today, _) = practice_today(state).await?;
    Ok(DesignationPage {
        layout: Layout::signed_in("Security Official", user, csrf).with_notice(notice_code),
        current,
        history,
        people,
        duties: STANDARD_DUTIES,
        today: today.to_string(),
        errors,
    })
}

pub(crate) async fn designations(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    render(&designation_page(&state, &user, &csrf, Vec::new(), notice(&query)).await?)
}

/// Signs a new designation. The typed signature must match the signer's own name.
pub(crate) async fn sign(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let kept: Vec<usize> = form
        .iter()
        .filter(|(name, _)| name == "duty")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let mut errors = Vec::new();
    let person: Option<PersonId> = field(&form, "person_id")
        .parse()
        .map_err(|_| errors.push(InvalidValue::new("person", "choose the person to designate")))
        .ok();
    let input = DesignationInput::parse(
        &kept,
        field(&form, "extra_duties"),
        field(&form, "emergency_decision_rights"),
        field(&form, "routine_decision_rights"),
        field(&form, "effective_date"),
        field(&form, "signature"),
    )
    .map_err(|mut found| errors.append(&mut found))
    .ok();
    if input.is_some() && !signature_matches(field(&form, "signature"), &user.user.display_name) {
        errors.push(InvalidValue::new(
            "signature",
            format!("type your full name, {}, to sign", user.user.display_name),
        ));
    }

    let (Some(person), Some(input)) = (person, input.filter(|_| errors.is_empty())) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &designation_page(&state, &user, &csrf, errors, None).await?,
        );
    };
    let id = state.store.sign_designation(user.id(), person, &input).await?;
    tracing::info!(user.id = %user.id(), designation.id = %id, "designation signed");
    Ok(Redirect::to("/program/designation?notice=signed").into_response())
}

#[derive(Template)]
#[template(path = "memo.html")]
struct MemoPage {
    layout: Layout,
    practice_name: String,
    designation: Designation,
    signed_on: String,
}

pub(crate) async fn memo(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id: DesignationId = id.parse().map_err(|_| AppError::NotFound("designation"))?;
    let designation = state.store.designation(id).await?;
    memo_page(&state, &user, &csrf, designation).await
}

/// Shows the memo in effect to every signed-in account, so the whole workforce can see who the
/// Security Official is.
pub(crate) async fn current_memo(State(state): State<AppState>, user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::SignedIn)?;
    let designation = state
        .store
        .current_designation()
        .await?
        .ok_or(AppError::NotFound("designation in effect"))?;
    memo_page(&state, &user, &csrf, designation).await
}

async fn memo_page(state: &AppState, user: &CurrentUser, csrf: &CsrfToken, designation: Designation) -> Result<Response, AppError> {
    let practice = state.store.practice().await?.ok_or(AppError::NotFound("practice"))?;
    let signed_on = super::local_time(designation.signed_at, practice.profile.time_zone.zone());
    render(&MemoPage {
        layout: Layout::signed_in("Designation memo", user, csrf),
        practice_name: practice.profile.name.to_string(),
        designation,
        signed_on,
    })
}
