//! Signed decisions on the eleven Addressable implementation specifications.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_domain::accounts::Permission;
use safeguard_domain::addressable::AddressableDecisionInput;
use safeguard_domain::catalog::{self, Specification};
use safeguard_domain::designation::signature_matches;
use safeguard_domain::values::InvalidValue;
use safeguard_store::addressable::AddressableDecision;
use serde::Deserialize;

use super::{citation_slug, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

#[derive(Template)]
#[template(path = "addressable_list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<(&'static Specification, String, Option<AddressableDecision>)>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let latest = state.store.latest_addressable_decisions().await?;

    let rows = catalog::addressable()
        .map(|specification| {
            let decision = latest.iter().find(|decision| decision.citation == specification.citation).cloned();
            (specification, citation_slug(specification.citation), decision)
        })
        .collect();
    render(&ListPage {
        layout: Layout::signed_in("Addressable decisions", &user, &csrf).with_notice(notice(&query)),
        rows,
    })
}

#[derive(Template)]
#[template(path = "addressable_show.html")]
struct ShowPage {
    layout: Layout,
    specification: &'static Specification,
    slug: String,
    history: Vec<AddressableDecision>,
    today: String,
    errors: Vec<InvalidValue>,
}

fn specification_for(slug: &str) -> Result<&'static Specification, AppError> {
    catalog::addressable()
        .find(|specification| citation_slug(specification.citation) == slug)
        .ok_or(AppError::NotFound("Addressable implementation specification"))
}

async fn show_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    slug: &str,
    errors: Vec<InvalidValue>,
) -> Result<ShowPage, AppError> {
    let specification = specification_for(slug)?;
    let history = state.store.addressable_history(specification.citation).await?;
    let (today, _) = practice_today(state).await?;
    Ok(ShowPage {
        layout: Layout::signed_in(specification.title, user, csrf),
        specification,
        slug: slug.to_owned(),
        history,
        today: today.to_string(),
        errors,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    render(&show_page(&state, &user, &csrf, &slug, Vec::new()).await?)
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    how: String,
    #[serde(default)]
    measure: String,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    decided_on: String,
    #[serde(default)]
    signature: String,
}

/// Signs a new decision version. The typed signature must match the signer's own name.
pub(crate) async fn sign(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(slug): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let specification = specification_for(&slug)?;

    let mut errors = Vec::new();
    let input = AddressableDecisionInput::parse(
        &form.outcome,
        &form.how,
        &form.measure,
        &form.rationale,
        &form.reason,
        &form.decided_on,
        &form.signature,
    )
    .map_err(|mut found| errors.append(&mut found))
    .ok();
    let (today, _) = practice_today(&state).await?;
    if input.as_ref().is_some_and(|input| input.decided_on > today) {
        errors.push(InvalidValue::new(
            "decision date",
            "is in the future; date a decision on or before the day it is signed",
        ));
    }
    if input.is_some() && !signature_matches(&form.signature, &user.user.display_name) {
        errors.push(InvalidValue::new(
            "signature",
            format!("type your full name, {}, to sign", user.user.display_name),
        ));
    }
    let Some(input) = input.filter(|_| errors.is_empty()) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &show_page(&state, &user, &csrf, &slug, errors).await?,
        );
    };

    state
        .store
        .sign_addressable_decision(user.id(), specification.citation, &input)
        .await?;
    tracing::info!(user.id = %user.id(), "addressable decision signed");
    Ok(Redirect::to("/addressable?notice=signed").into_response())
}
