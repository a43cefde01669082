//! The compliance calendar: obligations, their instances, completion with evidence files,
//! evidence downloads, and the open items of the risk management plan with their deadlines.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_domain::accounts::Permission;
use safeguard_domain::calendar::{Cadence, CompletionForm, CompletionInput, InstanceState, ObligationInput, instance_state};
use safeguard_domain::catalog;
use safeguard_domain::compliance::PLAN_ITEM_NOTICE_DAYS;
use safeguard_domain::ids::{InstanceId, ObligationId, UserId};
use safeguard_domain::risk::plan_item_state;
use safeguard_domain::values::InvalidValue;
use safeguard_store::accounts::User;
use safeguard_store::calendar::{Instance, Obligation};
use safeguard_store::evidence::StoredFile;
use safeguard_store::risk::PlanItem;
use serde::Deserialize;

use super::{citation_slug, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// An instance with its state on the practice's current day.
struct Row {
    instance: Instance,
    state: InstanceState,
}

/// An open item of the risk management plan with its state on the practice's current day.
struct PlanRow {
    item: PlanItem,
    state: InstanceState,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    layout: Layout,
    today: Date,
    rows: Vec<Row>,
    plan_rows: Vec<PlanRow>,
    plan_notice_days: i64,
    obligations: Vec<Obligation>,
    users: Vec<User>,
    citations: Vec<(&'static str, &'static str, String)>,
    chosen_citation: String,
    cadences: [Cadence; 4],
    errors: Vec<InvalidValue>,
}

async fn calendar_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    chosen: &str,
    errors: Vec<InvalidValue>,
) -> Result<CalendarPage, AppError> {
    let (today, _) = practice_today(state).await?;
    let rows = state
        .store
        .instances(true)
        .await?
        .into_iter()
        .map(|instance| {
            let state = instance_state(instance.obligation.cadence, instance.due_on, instance.completed_on, today);
            Row { instance, state }
        })
        .collect();

    // Plan items have deadlines but no obligation, so they are listed beside the instances
    // rather than among them. Completed items drop off, as the plan page keeps their record.
    let plan_rows = state
        .store
        .plan_items(None)
        .await?
        .into_iter()
        .filter(|item| item.status.is_open())
        .map(|item| PlanRow {
            state: plan_item_state(item.status, item.deadline, item.completed_on, today),
            item,
        })
        .collect();

    let citations = catalog::STANDARDS
        .iter()
        .flat_map(|standard| {
            std::iter::once((standard.citation, standard.title))
                .chain(catalog::specifications_of(standard.citation).map(|spec| (spec.citation, spec.title)))
        })
        .chain(catalog::DOCUMENTATION.iter().map(|item| (item.citation, item.title)))
        .map(|(citation, title)| (citation, title, citation_slug(citation)))
        .collect();

    Ok(CalendarPage {
        layout: Layout::signed_in("Calendar", user, csrf),
        today,
        rows,
        plan_rows,
        plan_notice_days: PLAN_ITEM_NOTICE_DAYS,
        obligations: state.store.obligations().await?,
        users: obligation_owners(state).await?,
        citations,
        chosen_citation: chosen.to_owned(),
        cadences: Cadence::ALL,
        errors,
    })
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let chosen = query.get("citation").map(String::as_str).unwrap_or_default();
    let mut page = calendar_page(&state, &user, &csrf, chosen, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

#[derive(Deserialize)]
pub(crate) struct ObligationForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    citation: String,
    #[serde(default)]
    cadence: String,
    #[serde(default)]
    completion: String,
    #[serde(default)]
    anchor: String,
    #[serde(default)]
    owner: String,
}

pub(crate) async fn create_obligation(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<ObligationForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let citation = catalog::STANDARDS
        .iter()
        .map(|standard| standard.citation)
        .chain(catalog::SPECIFICATIONS.iter().map(|spec| spec.citation))
        .chain(catalog::DOCUMENTATION.iter().map(|item| item.citation))
        .find(|citation| citation_slug(citation) == form.citation)
        .unwrap_or_default();
    let mut errors = Vec::new();
    let input = ObligationInput::parse(
        &form.title,
        &form.description,
        citation,
        &form.cadence,
        &form.completion,
        &form.anchor,
    )
    .map_err(|mut found| errors.append(&mut found))
    .ok();
    let owner: Option<UserId> = form
        .owner
        .parse()
        .map_err(|_| errors.push(InvalidValue::new("owner", "choose who owns the obligation")))
        .ok();

    let owners = obligation_owners(&state).await?;
    if owner.is_some_and(|owner| !owners.iter().any(|account| account.id == owner)) {
        errors.push(InvalidValue::new(
            "owner",
            "must be an enabled Security Official or manager account, who can complete calendar items",
        ));
    }

    let (Some(input), Some(owner)) = (input, owner.filter(|_| errors.is_empty())) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &calendar_page(&state, &user, &csrf, &form.citation, errors).await?,
        );
    };
    state.store.create_obligation(user.id(), &input, owner).await?;
    crate::jobs::advance_calendar(&state).await?;
    Ok(Redirect::to("/calendar?notice=saved").into_response())
}

#[derive(Deserialize)]
pub(crate) struct ObligationUpdateForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    active: String,
}

pub(crate) async fn update_obligation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<ObligationUpdateForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id: ObligationId = id.parse().map_err(|_| AppError::NotFound("obligation"))?;
    let owner: UserId = form
        .owner
        .parse()
        .map_err(|_| InvalidValue::new("owner", "choose who owns the obligation"))?;

    if !obligation_owners(&state).await?.iter().any(|account| account.id == owner) {
        return Err(InvalidValue::new(
            "owner",
            "must be an enabled Security Official or manager account, who can complete calendar items",
        )
        .into());
    }

    state.store.update_obligation(user.id(), id, owner, form.active == "1").await?;
    Ok(Redirect::to("/calendar?notice=saved").into_response())
}

#[derive(Template)]
#[template(path = "calendar_item.html")]
struct ItemPage {
    layout: Layout,
    instance: Instance,
    state: InstanceState,
    is_meeting: bool,
    completed_at: String,
    specification_title: &'static str,
    /// The last day a meeting for this item may be dated: today, because a meeting held after
    /// the due date completes the item late.
    latest_meeting_date: Date,
    /// The completion form's values, as typed when the form was rejected and otherwise the defaults.
    form: CompletionForm,
    /// The number of evidence files sent with a rejected form, which the person must choose again.
    files_not_kept: usize,
    errors: Vec<InvalidValue>,
}

/// A rejected completion form with its typed values, its errors and the number of files it carried.
struct RejectedCompletion {
    form: CompletionForm,
    files_not_kept: usize,
    errors: Vec<InvalidValue>,
}

async fn item_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    id: InstanceId,
    rejected: Option<RejectedCompletion>,
) -> Result<ItemPage, AppError> {
    let (today, zone) = practice_today(state).await?;
    let instance = state.store.instance(id).await?;
    let item_state = instance_state(instance.obligation.cadence, instance.due_on, instance.completed_on, today);
    let completed_at = instance.completed_at.map(|at| super::local_time(at, &zone)).unwrap_or_default();
    let specification_title = catalog::known_title(&instance.obligation.citation).map_or("", |(_, title)| title);
    let is_meeting = instance.obligation.completion == safeguard_domain::calendar::CompletionKind::Meeting;
    let latest_meeting_date = today;
    let rejected = rejected.unwrap_or_else(|| RejectedCompletion {
        form: CompletionForm {
            held_on: latest_meeting_date.to_string(),
            ..CompletionForm::default()
        },
        files_not_kept: 0,
        errors: Vec::new(),
    });

    Ok(ItemPage {
        layout: Layout::signed_in(instance.obligation.title.clone(), user, csrf),
        instance,
        state: item_state,
        is_meeting,
        completed_at,
        specification_title,
        latest_meeting_date,
        form: rejected.form,
        files_not_kept: rejected.files_not_kept,
        errors: rejected.errors,
    })
}

fn parse_instance_id(text: &str) -> Result<InstanceId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("calendar item"))
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let mut page = item_page(&state, &user, &csrf, parse_instance_id(&id)?, None).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

/// Completes an instance from a multipart form with notes, meeting fields and evidence files.
pub(crate) async fn complete(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(Permission::CompleteObligations)?;
    let id = parse_instance_id(&id)?;
    let (today, _) = practice_today(&state).await?;
    let instance = state.store.instance(id).await?;

    let mut fields: HashMap<String, String> = HashMap::new();
    let mut uploads: Vec<(String, String, Vec<u8>)> = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "evidence" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let media_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?;
            if !bytes.is_empty() {
                uploads.push((file_name, media_type, bytes.to_vec()));
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|error| AppError::Refused(format!("the form could not be read: {error}")))?;
            fields.insert(name, text);
        }
    }
    let mut value = |name: &str| fields.remove(name).unwrap_or_default();
    let form = CompletionForm {
        notes: value("notes"),
        held_on: value("meeting_date"),
        attendees: value("attendees"),
        decisions: value("decisions"),
    };

    let input = match CompletionInput::parse(
        instance.obligation.completion,
        &form,
        !uploads.is_empty(),
        instance.starts_on,
        instance.due_on,
        today,
    ) {
        Ok(input) => input,
        Err(errors) => {
            let rejected = RejectedCompletion {
                form,
                files_not_kept: uploads.len(),
                errors,
            };
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &item_page(&state, &user, &csrf, id, Some(rejected)).await?,
            );
        }
    };

    let files = state.files.clone();
    let stored: Vec<StoredFile> = tokio::task::spawn_blocking(move || {
        uploads
            .iter()
            .map(|(name, media_type, bytes)| files.write(bytes, name, media_type))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|error| AppError::Internal(format!("evidence write task failed: {error}")))??;
    state.store.complete_instance(user.id(), id, today, &input, &stored).await?;
    tracing::info!(user.id = %user.id(), instance.id = %id, files = stored.len(), "calendar item completed");

    Ok(Redirect::to(&format!("/calendar/items/{id}?notice=completed")).into_response())
}

/// Sends an evidence file after checking that its content still matches its hash.
pub(crate) async fn download(State(state): State<AppState>, user: CurrentUser, Path(sha256): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ViewEvidence)?;
    let (file_name, media_type) = state
        .store
        .evidence_attachment(&sha256)
        .await?
        .ok_or(AppError::NotFound("evidence file"))?;

    let files = state.files.clone();
    let bytes = tokio::task::spawn_blocking(move || files.read(&sha256))
        .await
        .map_err(|error| AppError::Internal(format!("evidence read task failed: {error}")))??;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name.replace(|character: char| !character.is_ascii_graphic() && character != ' ', "_")
    );

    Ok((
        [(header::CONTENT_TYPE, media_type), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

pub(crate) async fn delete_evidence(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    state.store.delete_evidence(user.id(), &sha256).await?;
    Ok(Redirect::to("/calendar").into_response())
}

/// Returns the accounts that may own an obligation: enabled accounts whose role can complete
/// calendar items, so no item is assigned to someone who cannot open it.
async fn obligation_owners(state: &AppState) -> Result<Vec<User>, AppError> {
    let users = state.store.users().await?;
    Ok(users
        .into_iter()
        .filter(|account| account.disabled_at.is_none() && account.role.allows(Permission::CompleteObligations))
        .collect())
}
