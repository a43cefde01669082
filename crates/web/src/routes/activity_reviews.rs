//! Activity reviews: upload logs or name a folder on the server, follow the background job,
//! decide each finding and sign.
//!
//! Uploading stores each log as an evidence file. Naming a folder records the path, size and
//! SHA-256 of each file in it, which the job reads in place; [`crate::log_folders`] keeps the
//! folder inside the ones the operator allowed. Either way a task then runs the review engine
//! (see [`crate::jobs::run_activity_review`]). EHR CSV files are read with the column mapping of
//! the EHR log source the reviewer chooses, or the default mapping, and the review keeps a copy.
//! While the job runs, the review page reloads
//! itself every two seconds through a `refresh` meta element, because the content security
//! policy forbids inline scripts. A follow-up decision opens an item of the risk management
//! plan, and signing completes the calendar item of the schedule entry the review was
//! started for.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_domain::accounts::Permission;
use safeguard_domain::designation::signature_matches;
use safeguard_domain::ids::{ActivityReviewId, EhrSourceId, ObligationId, ReviewFindingId, RiskEntryId};
use safeguard_domain::risk::PlanItemInput;
use safeguard_domain::values::InvalidValue;
use safeguard_review::readers::Format;
use safeguard_store::activity_reviews::{
    ActivityReview, DecisionCounts, DecisionInput, FindingDecision, NewActivityReview, ReviewFinding, ReviewLogs, ReviewScheduleItem,
    ReviewState,
};
use safeguard_store::calendar::Obligation;
use safeguard_store::ehr_sources::EhrLogSource;
use safeguard_store::risk::RiskEntry;
use serde::Deserialize;

use super::{local_time, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// The maximum length of a finding's notes, in characters.
const MAX_NOTES_CHARS: usize = 4000;

/// A review in the list, with its decision counts.
struct ListRow {
    review: ActivityReview,
    counts: DecisionCounts,
}

/// The fields of the new-review form, kept to refill it after an error.
#[derive(Debug, Default)]
struct NewReviewForm {
    period_from: String,
    period_to: String,
    format: String,
    obligation: String,
    ehr_source: String,
    server_folder: String,
}

#[derive(Template)]
#[template(path = "activity_reviews.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    schedule: Vec<Obligation>,
    ehr_sources: Vec<EhrLogSource>,
    formats: Vec<&'static str>,
    /// The folders the operator allowed for logs read in place, as one line; empty when none.
    log_folders: String,
    form: NewReviewForm,
    errors: Vec<InvalidValue>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    form: NewReviewForm,
    errors: Vec<InvalidValue>,
) -> Result<ListPage, AppError> {
    let mut rows = Vec::new();
    for review in state.store.activity_reviews().await? {
        let counts = state.store.review_decision_counts(review.id).await?;
        rows.push(ListRow { review, counts });
    }
    let schedule = state
        .store
        .review_schedule()
        .await?
        .into_iter()
        .filter(|obligation| obligation.active)
        .collect();

    Ok(ListPage {
        layout: Layout::signed_in("Activity reviews", user, csrf),
        rows,
        schedule,
        ehr_sources: state.store.ehr_log_sources().await?,
        formats: Format::ALL.iter().map(|format| format.name()).collect(),
        log_folders: crate::log_folders::describe_roots(&state.config.review_log_folders),
        form,
        errors,
    })
}

/// Lists the reviews and offers the form that starts one.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;

    let mut page = list_page(&state, &user, &csrf, NewReviewForm::default(), Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

/// A log file uploaded with the form: its name, media type and content.
type Upload = (String, String, Vec<u8>);

/// Starts a review from a multipart form with the period, the optional format and schedule
/// entry, and either uploaded log files or a folder on the server, then starts the job that
/// reads them. Every input is checked, and every file in a folder hashed, before anything is
/// stored.
pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(Permission::CompleteObligations)?;

    let (form, uploads) = read_new_review_form(multipart).await?;
    let mut errors = Vec::new();
    let period_from = parse_day("period from", &form.period_from, &mut errors);
    let period_to = parse_day("period to", &form.period_to, &mut errors);
    if let (Some(from), Some(to)) = (period_from, period_to)
        && to < from
    {
        errors.push(InvalidValue::new("period to", "is before the start of the period; swap the dates"));
    }
    let format_override = match form.format.trim() {
        "" => None,
        name => match name.parse::<Format>() {
            Ok(format) => Some(format.name().to_owned()),
            Err(_) => {
                errors.push(InvalidValue::new(
                    "format",
                    "is not a known format; choose one from the list or leave it to detection",
                ));
                None
            }
        },
    };
    let obligation: Option<ObligationId> = match form.obligation.trim() {
        "" => None,
        text => text
            .parse()
            .map_err(|_| errors.push(InvalidValue::new("schedule entry", "choose an entry from the list")))
            .ok(),
    };
    let ehr_source = parse_ehr_source(&state, &form.ehr_source, &mut errors).await?;

    // Listing the folder is cheap, so its errors are reported with the others. Hashing its files
    // reads them whole, so it waits until the rest of the form is valid.
    let folder = form.server_folder.trim().to_owned();
    let listing = if folder.is_empty() {
        if uploads.is_empty() {
            errors.push(InvalidValue::new(
                "log files",
                "are missing; choose at least one log file, or enter a folder on the server",
            ));
        }
        None
    } else if !uploads.is_empty() {
        errors.push(InvalidValue::new(
            "log files",
            format!("were chosen together with the server folder {folder:?}; upload files or enter a folder, not both"),
        ));
        None
    } else {
        let roots = state.config.review_log_folders.clone();
        let requested = folder.clone();
        blocking(move || crate::log_folders::list_folder(&roots, &requested))
            .await?
            .map_err(|invalid| errors.push(invalid))
            .ok()
    };

    let (Some(period_from), Some(period_to)) = (period_from, period_to) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &list_page(&state, &user, &csrf, form, errors).await?,
        );
    };
    if !errors.is_empty() {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &list_page(&state, &user, &csrf, form, errors).await?,
        );
    }

    let logs = match listing {
        Some(listing) => match blocking(move || crate::log_folders::hash_files(listing)).await? {
            Ok((folder, files)) => ReviewLogs::ServerFolder { folder, files },
            Err(invalid) => {
                return render_with_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &list_page(&state, &user, &csrf, form, vec![invalid]).await?,
                );
            }
        },
        None => {
            let files = state.files.clone();
            let stored = blocking(move || {
                uploads
                    .iter()
                    .map(|(name, media_type, bytes)| files.write(bytes, name, media_type))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await??;
            ReviewLogs::Uploaded(stored)
        }
    };
    let input = NewActivityReview {
        period_from,
        period_to,
        format_override,
        obligation,
        ehr_source,
        logs,
    };
    let id = state.store.create_activity_review(user.id(), &input).await?;
    tracing::info!(user.id = %user.id(), activity_review.id = %id, files = input.logs.len(), server_folder = matches!(input.logs, ReviewLogs::ServerFolder { .. }), "activity review started");

    spawn_review_job(state.clone(), id);
    Ok(Redirect::to(&format!("/activity-review/reviews/{id}")).into_response())
}

/// Reads the new-review form's fields and its uploaded files, leaving out empty file fields.
async fn read_new_review_form(mut multipart: Multipart) -> Result<(NewReviewForm, Vec<Upload>), AppError> {
    let mut form = NewReviewForm::default();
    let mut uploads = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "logs" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let media_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = field
                .bytes()
                .await
                .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?;
            if !bytes.is_empty() {
                uploads.push((file_name, media_type, bytes.to_vec()));
            }
            continue;
        }

        let text = field
            .text()
            .await
            .map_err(|error| AppError::Refused(format!("the form could not be read: {error}")))?;
        match name.as_str() {
            "period_from" => form.period_from = text,
            "period_to" => form.period_to = text,
            "format" => form.format = text,
            "obligation" => form.obligation = text,
            "ehr_source" => form.ehr_source = text,
            "server_folder" => form.server_folder = text,
            _ => {}
        }
    }
    Ok((form, uploads))
}

/// Runs file work on the blocking pool, so a large folder or upload does not stall other
/// requests.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| AppError::Internal(format!("file task failed: {error}")))
}

/// Starts the job of review `id` on its own task, logging a failure to store its outcome.
fn spawn_review_job(state: AppState, id: ActivityReviewId) {
    tokio::spawn(async move {
        if let Err(error) = crate::jobs::run_activity_review(&state, id).await {
            tracing::error!(job = "activity_review", activity_review.id = %id, error = %crate::error::error_chain(&error), "activity review job failed");
        }
    });
}

/// Parses the chosen EHR log source: empty means the default mapping, and anything else must be
/// a stored source.
async fn parse_ehr_source(state: &AppState, text: &str, errors: &mut Vec<InvalidValue>) -> Result<Option<EhrSourceId>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let sources = state.store.ehr_log_sources().await?;
    let chosen = text
        .parse::<EhrSourceId>()
        .ok()
        .filter(|id| sources.iter().any(|source| source.id == *id));
    if chosen.is_none() {
        errors.push(InvalidValue::new(
            "EHR log source",
            format!(
                "{:?} is not an EHR log source; choose one from the list, or the default columns",
                text.chars().take(64).collect::<String>()
            ),
        ));
    }
    Ok(chosen)
}

fn parse_day(field: &'static str, text: &str, errors: &mut Vec<InvalidValue>) -> Option<Date> {
    match text.trim() {
        "" => {
            errors.push(InvalidValue::new(field, "is missing; enter a date"));
            None
        }
        day => day
            .parse::<Date>()
            .map_err(|_| errors.push(InvalidValue::new(field, "is not a date; use YYYY-MM-DD")))
            .ok(),
    }
}

/// A finding with its times in the practice's zone.
struct FindingRow {
    stored: ReviewFinding,
    first_seen: String,
    last_seen: String,
}

#[derive(Template)]
#[template(path = "activity_review.html")]
struct ReviewPage {
    layout: Layout,
    review: ActivityReview,
    created_at: String,
    signed_at: String,
    running: bool,
    findings: Vec<FindingRow>,
    counts: DecisionCounts,
    risks: Vec<RiskEntry>,
    default_deadline: Date,
    /// The review's schedule entry and the calendar item signing completes or completed.
    schedule: Option<ReviewScheduleItem>,
    errors: Vec<InvalidValue>,
}

async fn review_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    id: ActivityReviewId,
    errors: Vec<InvalidValue>,
) -> Result<ReviewPage, AppError> {
    let (today, zone) = practice_today(state).await?;
    let review = state.store.activity_review(id).await?;
    let findings = state
        .store
        .review_findings(id)
        .await?
        .into_iter()
        .map(|stored| FindingRow {
            first_seen: local_time(stored.finding.first_seen, &zone),
            last_seen: local_time(stored.finding.last_seen, &zone),
            stored,
        })
        .collect();

    // A follow-up is tracked as an item of the risk management plan, which belongs to a risk
    // of the newest analysis; the decision form offers those risks.
    let risks = match state.store.risk_analyses().await?.first() {
        Some(newest) => state.store.risk_entries(newest.id).await?,
        None => Vec::new(),
    };

    let schedule = state.store.review_schedule_item(&review).await?;

    Ok(ReviewPage {
        layout: Layout::signed_in("Activity review", user, csrf),
        created_at: local_time(review.created_at, &zone),
        signed_at: review.signed_at.map(|at| local_time(at, &zone)).unwrap_or_default(),
        running: matches!(review.state, ReviewState::Queued | ReviewState::Running),
        counts: state.store.review_decision_counts(id).await?,
        review,
        findings,
        risks,
        default_deadline: today.saturating_add(jiff::Span::new().days(30)),
        schedule,
        errors,
    })
}

fn parse_review_id(text: &str) -> Result<ActivityReviewId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("activity review"))
}

/// Shows a review: its progress while the job runs, then the findings queue and the sign form.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;

    let mut page = review_page(&state, &user, &csrf, parse_review_id(&id)?, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

/// The fields of a finding's decision form.
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    risk: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    deadline: String,
}

/// Records the decision on one finding. A follow-up also opens a risk-plan item, which needs
/// the permission to change the risk management plan.
pub(crate) async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Permission::CompleteObligations)?;
    let id: ReviewFindingId = id.parse().map_err(|_| AppError::NotFound("finding"))?;
    let finding = state.store.review_finding(id).await?;

    let mut errors = Vec::new();
    let decision = FindingDecision::from_code(&form.decision);
    if decision.is_none() {
        errors.push(InvalidValue::new("decision", "choose expected, false positive or needs follow-up"));
    }
    let notes = form.notes.trim().to_owned();
    if notes.chars().count() > MAX_NOTES_CHARS {
        errors.push(InvalidValue::new(
            "notes",
            format!("are longer than {MAX_NOTES_CHARS} characters; shorten them"),
        ));
    }
    if decision != Some(FindingDecision::Expected) && notes.is_empty() {
        errors.push(InvalidValue::new(
            "notes",
            "are missing; say why the finding is a false positive or what to follow up",
        ));
    }

    // Re-deciding a follow-up cancels the plan item it opened, which only the roles that
    // open plan items may do.
    if decision != Some(FindingDecision::FollowUp) && finding.plan_item_id.is_some() {
        user.require(Permission::ManageProgram)?;
    }
    let follow_up = if decision == Some(FindingDecision::FollowUp) && finding.plan_item_id.is_none() {
        user.require(Permission::ManageProgram)?;
        follow_up_item(&finding, &form, &notes, &mut errors)
    } else {
        None
    };
    let Some(decision) = decision.filter(|_| errors.is_empty()) else {
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &review_page(&state, &user, &csrf, finding.review_id, errors).await?,
        );
    };

    let input = DecisionInput {
        decision,
        notes,
        follow_up,
    };
    state.store.decide_review_finding(user.id(), id, &input).await?;
    tracing::info!(user.id = %user.id(), review_finding.id = %id, decision = decision.code(), "finding decided");
    Ok(Redirect::to(&format!("/activity-review/reviews/{}?notice=saved#finding-{id}", finding.review_id)).into_response())
}

/// Builds the plan item a follow-up opens from the chosen risk, owner and deadline; the
/// safeguard names the finding and the acceptance criteria carry the reviewer's notes.
fn follow_up_item(
    finding: &ReviewFinding,
    form: &DecisionForm,
    notes: &str,
    errors: &mut Vec<InvalidValue>,
) -> Option<(RiskEntryId, PlanItemInput)> {
    let risk: Option<RiskEntryId> = form
        .risk
        .parse()
        .map_err(|_| {
            errors.push(InvalidValue::new(
                "risk",
                "choose the risk this follow-up belongs to; add risks on the risk analysis page",
            ))
        })
        .ok();
    let subject = finding.finding.account.as_deref().unwrap_or("no account");
    let safeguard: String = format!("Follow up activity-review finding {} ({subject})", finding.finding.rule)
        .chars()
        .take(200)
        .collect();
    let criteria = format!("The finding is explained and any needed change is made. Reviewer's notes: {notes}");
    let item = PlanItemInput::parse("administrative", &safeguard, &form.owner, &form.deadline, &criteria)
        .map_err(|mut found| errors.append(&mut found))
        .ok();
    risk.zip(item)
}

/// The fields of the sign form.
#[derive(Debug, Deserialize)]
pub(crate) struct SignForm {
    #[serde(default)]
    signature: String,
}

/// Signs a review whose findings all have a decision; the signature must be the signer's name.
pub(crate) async fn sign(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<SignForm>,
) -> Result<Response, AppError> {
    user.require(Permission::CompleteObligations)?;
    let id = parse_review_id(&id)?;

    if !signature_matches(&form.signature, &user.user.display_name) {
        let errors = vec![InvalidValue::new("signature", "must be your name as your account shows it")];
        return render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &review_page(&state, &user, &csrf, id, errors).await?,
        );
    }

    let (today, _) = practice_today(&state).await?;
    state
        .store
        .sign_activity_review(user.id(), id, form.signature.trim(), today)
        .await?;
    tracing::info!(user.id = %user.id(), activity_review.id = %id, "activity review signed");
    Ok(Redirect::to(&format!("/activity-review/reviews/{id}?notice=signed")).into_response())
}
