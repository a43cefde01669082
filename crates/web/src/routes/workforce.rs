//! The workforce roster: people, their system accounts, CSV import with preview, and export.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_documents::{RosterCsvRow, roster_csv};
use safeguard_domain::accounts::Permission;
use safeguard_domain::ids::{PersonId, SystemAccountId};
use safeguard_domain::values::InvalidValue;
use safeguard_domain::workforce::{
    PersonInput, PersonStatus, RosterCsvError, RosterLine, RosterRow, SystemAccountInput, parse_accounts, parse_roster_csv,
    preview_roster_csv,
};
use safeguard_store::workforce::Person;
use serde::Deserialize;

use super::notice;
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// The largest roster file accepted; a practice roster is a few kilobytes.
const MAX_ROSTER_BYTES: usize = 2 * 1024 * 1024;

#[derive(Template)]
#[template(path = "workforce_list.html")]
struct ListPage {
    layout: Layout,
    people: Vec<Person>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let people = state.store.people().await?;
    render(&ListPage {
        layout: Layout::signed_in("Workforce", &user, &csrf).with_notice(notice(&query)),
        people,
    })
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PersonForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    practice_role: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    accounts: String,
}

impl PersonForm {
    fn parse_person(&self) -> Result<PersonInput, Vec<InvalidValue>> {
        PersonInput::parse(
            &self.name,
            &self.job_title,
            &self.practice_role,
            &self.start_date,
            &self.end_date,
            &self.status,
        )
    }
}

#[derive(Template)]
#[template(path = "workforce_new.html")]
struct NewPage {
    layout: Layout,
    form: PersonForm,
    statuses: [PersonStatus; 3],
    errors: Vec<InvalidValue>,
}

pub(crate) async fn new_form(user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    let form = PersonForm {
        status: "active".into(),
        ..PersonForm::default()
    };
    render(&NewPage {
        layout: Layout::signed_in("Add a person", &user, &csrf),
        form,
        statuses: PersonStatus::ALL,
        errors: Vec::new(),
    })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;

    let person = form.parse_person();
    let accounts = parse_accounts(&form.accounts);
    let row = match (person, accounts) {
        (Ok(person), Ok(accounts)) => RosterRow { person, accounts },
        (person, accounts) => {
            let mut errors = person.err().unwrap_or_default();
            errors.extend(accounts.err());
            let page = NewPage {
                layout: Layout::signed_in("Add a person", &user, &csrf),
                form,
                statuses: PersonStatus::ALL,
                errors,
            };
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let id = state.store.create_person(user.id(), &row).await?;
    Ok(Redirect::to(&format!("/workforce/{id}?notice=saved")).into_response())
}

#[derive(Template)]
#[template(path = "workforce_show.html")]
struct ShowPage {
    layout: Layout,
    person: Person,
    form: PersonForm,
    statuses: [PersonStatus; 3],
    errors: Vec<InvalidValue>,
}

fn person_form(person: &Person) -> PersonForm {
    PersonForm {
        name: person.name.clone(),
        job_title: person.job_title.clone(),
        practice_role: person.practice_role.clone(),
        start_date: person.start_date.to_string(),
        end_date: person.end_date.map(|date| date.to_string()).unwrap_or_default(),
        status: person.status.code().to_owned(),
        accounts: String::new(),
    }
}

fn parse_person_id(text: &str) -> Result<PersonId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("person"))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let person = state.store.person(parse_person_id(&id)?).await?;
    let form = person_form(&person);
    render(&ShowPage {
        layout: Layout::signed_in(person.name.clone(), &user, &csrf).with_notice(notice(&query)),
        person,
        form,
        statuses: PersonStatus::ALL,
        errors: Vec::new(),
    })
}

pub(crate) async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    let id = parse_person_id(&id)?;

    match form.parse_person() {
        Ok(input) => {
            state.store.update_person(user.id(), id, &input).await?;
            Ok(Redirect::to(&format!("/workforce/{id}?notice=saved")).into_response())
        }
        Err(errors) => {
            let person = state.store.person(id).await?;
            let page = ShowPage {
                layout: Layout::signed_in(person.name.clone(), &user, &csrf),
                person,
                form,
                statuses: PersonStatus::ALL,
                errors,
            };
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct AccountForm {
    #[serde(default)]
    system: String,
    #[serde(default)]
    identifier: String,
}

pub(crate) async fn add_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<AccountForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    let id = parse_person_id(&id)?;

    let account = SystemAccountInput::parse(&form.system, &form.identifier)?;
    state.store.add_system_account(user.id(), id, &account).await?;
    Ok(Redirect::to(&format!("/workforce/{id}?notice=saved")).into_response())
}

pub(crate) async fn remove_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, account_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    let id = parse_person_id(&id)?;
    let account_id: SystemAccountId = account_id.parse().map_err(|_| AppError::NotFound("system account"))?;

    state.store.remove_system_account(user.id(), id, account_id).await?;
    Ok(Redirect::to(&format!("/workforce/{id}?notice=saved")).into_response())
}

pub(crate) async fn delete(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    state.store.delete_person(user.id(), parse_person_id(&id)?).await?;
    Ok(Redirect::to("/workforce").into_response())
}

pub(crate) async fn export(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewWorkforce)?;
    let people = state.store.people().await?;

    let rows = people.iter().map(|person| RosterCsvRow {
        name: &person.name,
        job_title: &person.job_title,
        practice_role: &person.practice_role,
        start_date: person.start_date.to_string(),
        end_date: person.end_date.map(|date| date.to_string()).unwrap_or_default(),
        status: person.status.code(),
        accounts: person
            .accounts
            .iter()
            .map(|account| (account.system.as_str(), account.identifier.as_str()))
            .collect(),
    });
    let text = roster_csv(rows).map_err(|error| AppError::Internal(error.to_string()))?;

    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"roster.csv\""),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "workforce_import.html")]
struct ImportPage {
    layout: Layout,
    problem: Option<String>,
    lines: Vec<RosterLine>,
    csv_text: String,
    valid: usize,
}

pub(crate) async fn import_form(user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;
    render(&ImportPage {
        layout: Layout::signed_in("Import roster", &user, &csrf),
        problem: None,
        lines: Vec::new(),
        csv_text: String::new(),
        valid: 0,
    })
}

/// Reads an uploaded roster and shows every row with its errors; nothing is stored yet.
pub(crate) async fn import_preview(user: CurrentUser, csrf: CsrfToken, mut multipart: Multipart) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;

    let mut bytes = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
    {
        if field.name() == Some("file") {
            bytes = field
                .bytes()
                .await
                .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
                .to_vec();
        }
    }

    let mut page = ImportPage {
        layout: Layout::signed_in("Import roster", &user, &csrf),
        problem: None,
        lines: Vec::new(),
        csv_text: String::new(),
        valid: 0,
    };
    if bytes.is_empty() {
        page.problem = Some("file: choose a roster CSV file to upload".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if bytes.len() > MAX_ROSTER_BYTES {
        page.problem = Some("file: the roster is larger than 2 MB; split it or remove unused columns".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        page.problem = Some("file: the file is not UTF-8 text; save it as CSV UTF-8 and upload it again".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    match preview_roster_csv(text.as_bytes()) {
        Ok(lines) => {
            page.valid = lines.iter().filter(|line| line.outcome.is_ok()).count();
            page.lines = lines;
            page.csv_text = text;
            render(&page)
        }
        Err(error) => {
            page.problem = Some(error.to_string());
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct CommitForm {
    #[serde(default)]
    csv_text: String,
}

/// Imports the previewed roster: every row, or none when any row has an error.
pub(crate) async fn import_commit(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<CommitForm>,
) -> Result<Response, AppError> {
    user.require(Permission::EditWorkforce)?;

    let rows = parse_roster_csv(form.csv_text.as_bytes()).map_err(|error| match error {
        RosterCsvError::Rows(failures) => AppError::Invalid(
            failures
                .into_iter()
                .flat_map(|(line, errors)| {
                    errors
                        .into_iter()
                        .map(move |error| InvalidValue::new(error.field, format!("line {line}: {}", error.message)))
                })
                .collect(),
        ),
        other => AppError::Refused(other.to_string()),
    })?;
    let (added, updated) = state.store.import_roster(user.id(), &rows).await?;
    tracing::info!(user.id = %user.id(), added, updated, "roster imported");

    Ok(Redirect::to("/workforce?notice=imported").into_response())
}
