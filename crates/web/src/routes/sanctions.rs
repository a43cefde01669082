//! Sanctions: the record of sanctions applied to workforce members and the practice's scale of
//! sanction levels.
//!
//! Every page here names people and their violations, so every route needs
//! [`Permission::ViewSanctions`] at least, which only the Security Official and managers hold.
//! Handlers log ids only, never the content of a record.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_domain::accounts::Permission;
use safeguard_domain::ids::{PersonId, SanctionLevelId};
use safeguard_domain::sanctions::{MAX_SEVERITY, SanctionInput, SanctionLevelInput};
use safeguard_domain::values::InvalidValue;
use safeguard_domain::workforce::PersonStatus;
use safeguard_store::sanctions::{Sanction, SanctionLevel};
use safeguard_store::workforce::Person;
use serde::Deserialize;

use super::{notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// The fields of the form that records a sanction, kept to refill the form after an error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SanctionForm {
    #[serde(default)]
    person: String,
    #[serde(default)]
    violation: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    applied_on: String,
    #[serde(default)]
    decided_by: String,
}

#[derive(Template)]
#[template(path = "sanctions_list.html")]
struct ListPage {
    layout: Layout,
    sanctions: Vec<Sanction>,
    /// The roster as form options: id and label.
    people: Vec<(PersonId, String)>,
    levels: Vec<SanctionLevel>,
    form: SanctionForm,
    errors: Vec<InvalidValue>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    form: SanctionForm,
    errors: Vec<InvalidValue>,
) -> Result<ListPage, AppError> {
    let levels = state
        .store
        .sanction_levels()
        .await?
        .into_iter()
        .filter(|level| level.active)
        .collect();

    Ok(ListPage {
        layout: Layout::signed_in("Sanctions", user, csrf),
        sanctions: state.store.sanctions().await?,
        people: state
            .store
            .people()
            .await?
            .iter()
            .map(|person| (person.id, person_label(person)))
            .collect(),
        levels,
        form,
        errors,
    })
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewSanctions)?;
    let (today, _) = practice_today(&state).await?;

    let form = SanctionForm {
        applied_on: today.to_string(),
        decided_by: user.user.display_name.clone(),
        ..SanctionForm::default()
    };
    let mut page = list_page(&state, &user, &csrf, form, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

pub(crate) async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<SanctionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::RecordSanctions)?;
    let (today, _) = practice_today(&state).await?;

    let parsed = SanctionInput::parse(
        &form.person,
        &form.violation,
        &form.policy,
        &form.level,
        &form.applied_on,
        &form.decided_by,
        today,
    );
    let input = match parsed {
        Ok(input) => input,
        Err(errors) => {
            let page = list_page(&state, &user, &csrf, form, errors).await?;
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    // A well-formed id that names no person or no level in use comes from a stale or altered
    // form. The store checks the same inside its transaction, but this check names the field.
    let page = list_page(&state, &user, &csrf, form, Vec::new()).await?;
    let mut errors = Vec::new();
    if !page.people.iter().any(|(id, _)| *id == input.person) {
        errors.push(InvalidValue::new("person", "is not on the roster; choose the person from the list"));
    }
    if !page.levels.iter().any(|level| level.id == input.level) {
        errors.push(InvalidValue::new(
            "sanction level",
            "is not a level in use; choose a sanction level from the list",
        ));
    }
    if !errors.is_empty() {
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &ListPage { errors, ..page });
    }

    let id = state.store.record_sanction(user.id(), &input).await?;
    tracing::info!(user.id = %user.id(), sanction.id = %id, "sanction recorded");
    Ok(Redirect::to("/sanctions?notice=saved").into_response())
}

/// The fields of a sanction level form, kept to refill the form after an error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LevelForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    active: String,
}

impl LevelForm {
    fn parse(&self) -> Result<SanctionLevelInput, Vec<InvalidValue>> {
        SanctionLevelInput::parse(&self.name, &self.description, &self.severity)
    }
}

#[derive(Template)]
#[template(path = "sanctions_levels.html")]
struct LevelsPage {
    layout: Layout,
    levels: Vec<SanctionLevel>,
    new_level: LevelForm,
    max_severity: i64,
    errors: Vec<InvalidValue>,
}

async fn levels_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    new_level: LevelForm,
    errors: Vec<InvalidValue>,
) -> Result<LevelsPage, AppError> {
    Ok(LevelsPage {
        layout: Layout::signed_in("Sanction levels", user, csrf),
        levels: state.store.sanction_levels().await?,
        new_level,
        max_severity: MAX_SEVERITY,
        errors,
    })
}

pub(crate) async fn levels(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewSanctions)?;
    let mut page = levels_page(&state, &user, &csrf, LevelForm::default(), Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

pub(crate) async fn create_level(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    match form.parse() {
        Ok(input) => {
            state.store.create_sanction_level(user.id(), &input).await?;
            Ok(Redirect::to("/sanctions/levels?notice=saved").into_response())
        }
        Err(errors) => render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &levels_page(&state, &user, &csrf, form, errors).await?,
        ),
    }
}

pub(crate) async fn update_level(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<LevelForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id: SanctionLevelId = id.parse().map_err(|_| AppError::NotFound("sanction level"))?;

    match form.parse() {
        Ok(input) => {
            state.store.update_sanction_level(user.id(), id, &input, form.active != "0").await?;
            Ok(Redirect::to("/sanctions/levels?notice=saved").into_response())
        }
        Err(errors) => render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &levels_page(&state, &user, &csrf, LevelForm::default(), errors).await?,
        ),
    }
}

/// Returns the label of a person in the sanction form: the name, and the status when the
/// person no longer works at the practice, since sanctions are often applied on leaving.
fn person_label(person: &Person) -> String {
    match person.status {
        PersonStatus::Active => person.name.clone(),
        status => format!("{} ({})", person.name, status.label().to_lowercase()),
    }
}
