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
use safeguard_review::finding::Rule;
use safeguard_review::readers::Format;
use safeguard_store::activity_reviews::{
    ActivityReview, DecisionCounts, DecisionInput, FindingDecision, NewActivityReview, ReviewFinding, ReviewLogs, ReviewScheduleItem,
    ReviewSource, ReviewState,
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
    /// The names of chosen log files that had no content.
    empty_files: Vec<String>,
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
    let (today, _) = practice_today(&state).await?;
    check_period(period_from, period_to, today, &mut errors);
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
    for name in &form.empty_files {
        errors.push(InvalidValue::new(
            "log files",
            format!("the file {name} is empty; choose the log file with the events of the period"),
        ));
    }
    let folder = form.server_folder.trim().to_owned();
    let listing = if folder.is_empty() {
        if uploads.is_empty() && form.empty_files.is_empty() {
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

/// Reads the new-review form's fields and its uploaded files. A file field with no file chosen
/// is left out, and a chosen file with no content is recorded by name for an error.
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
            } else if !file_name.is_empty() {
                form.empty_files.push(file_name);
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

/// The earliest first day a review period may have. Earlier days are typing mistakes, and
/// extreme periods such as 0001-01-01 to 9999-12-31 overflowed the job's date arithmetic.
const EARLIEST_PERIOD_DAY: Date = jiff::civil::date(1990, 1, 1);

/// Checks that the period runs forwards, starts no earlier than [`EARLIEST_PERIOD_DAY`] and
/// ends no later than `today` in the practice's zone. A period that reaches into the future
/// would count as current evidence on the dashboard before its days have been logged.
fn check_period(from: Option<Date>, to: Option<Date>, today: Date, errors: &mut Vec<InvalidValue>) {
    if let Some(from) = from
        && from < EARLIEST_PERIOD_DAY
    {
        errors.push(InvalidValue::new(
            "period from",
            format!("{from} is before {EARLIEST_PERIOD_DAY}; enter the first day the logs cover"),
        ));
    }
    if let Some(to) = to
        && to > today
    {
        errors.push(InvalidValue::new(
            "period to",
            format!("{to} is after today ({today}); enter today or an earlier day, because a review covers only days that have passed"),
        ));
    }
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        errors.push(InvalidValue::new(
            "period to",
            format!("{to} is before the start of the period ({from}); swap the dates"),
        ));
    }
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

/// A finding with its rule name for people and its times in the practice's zone.
struct FindingRow {
    stored: ReviewFinding,
    rule_label: String,
    /// How many events and when, such as `1 event at 2026-11-10 14:00`.
    events: String,
}

impl FindingRow {
    fn new(stored: ReviewFinding, zone: &jiff::tz::TimeZone) -> Self {
        let first_seen = local_time(stored.finding.first_seen, zone);
        let last_seen = local_time(stored.finding.last_seen, zone);
        let events = match stored.finding.count {
            1 => format!("1 event at {first_seen}"),
            count if first_seen == last_seen => format!("{count} events at {first_seen}"),
            count => format!("{count} events from {first_seen} to {last_seen}"),
        };
        Self {
            rule_label: rule_label(&stored.finding.rule).to_owned(),
            events,
            stored,
        }
    }

    /// Returns the severity for people to read, such as `High`.
    fn severity_label(&self) -> &'static str {
        match self.stored.finding.severity.as_str() {
            "high" => "High",
            "medium" => "Medium",
            "low" => "Low",
            _ => "Unknown severity",
        }
    }
}

/// Returns the name for people of the stored rule identifier `id`. Findings store the
/// identifier, so an identifier no rule has any more shows as itself.
fn rule_label(id: &str) -> &str {
    Rule::from_id(id).map_or(id, |rule| rule.label())
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
    /// A warning naming the files that held no events in the period, once the job has read
    /// them; empty when every file held some.
    empty_files_warning: String,
    /// Whether the user may open follow-ups, which add an item to the risk management plan.
    can_open_follow_ups: bool,
    /// The decision form that failed validation and the finding it was for, to refill it.
    submitted: Option<(ReviewFindingId, DecisionForm)>,
    /// The review's schedule entry and the calendar item signing completes or completed.
    schedule: Option<ReviewScheduleItem>,
    errors: Vec<InvalidValue>,
}

impl ReviewPage {
    /// Returns the decision form that was submitted for `row`, if it failed validation.
    fn submitted_for(&self, row: &FindingRow) -> Option<&DecisionForm> {
        self.submitted.as_ref().filter(|(id, _)| *id == row.stored.id).map(|(_, form)| form)
    }

    /// Returns the decision code to pre-select for `row`: the one just submitted, else the
    /// stored decision, else none.
    fn decision_shown(&self, row: &FindingRow) -> &str {
        match self.submitted_for(row) {
            Some(form) => form.decision.as_str(),
            None => row.stored.decision.map_or("", FindingDecision::code),
        }
    }

    /// Returns the notes to fill in for `row`: the ones just submitted, else the stored ones.
    fn notes_shown<'a>(&'a self, row: &'a FindingRow) -> &'a str {
        match self.submitted_for(row) {
            Some(form) => form.notes.as_str(),
            None => row.stored.notes.as_deref().unwrap_or(""),
        }
    }

    /// Returns the risk id to pre-select for `row`'s follow-up, or an empty string.
    fn risk_shown(&self, row: &FindingRow) -> &str {
        self.submitted_for(row).map_or("", |form| form.risk.as_str())
    }

    /// Returns the owner to fill in for `row`'s follow-up: the one just submitted, else the
    /// signed-in user's name.
    fn owner_shown(&self, row: &FindingRow) -> &str {
        match self.submitted_for(row) {
            Some(form) => form.owner.as_str(),
            None => self.layout.user_name.as_deref().unwrap_or(""),
        }
    }

    /// Returns the deadline to fill in for `row`'s follow-up: the one just submitted, else 30
    /// days from today.
    fn deadline_shown(&self, row: &FindingRow) -> String {
        match self.submitted_for(row) {
            Some(form) => form.deadline.clone(),
            None => self.default_deadline.to_string(),
        }
    }

    /// Returns whether the decision form of `row` offers "Needs follow-up". A follow-up on a
    /// finding without a plan item opens one, which needs the permission to change the program.
    fn offers_follow_up(&self, row: &FindingRow) -> bool {
        self.can_open_follow_ups || row.stored.plan_item_id.is_some()
    }

    /// Returns the findings line, such as `3 findings: 1 expected, 0 false positive, 1 needs
    /// follow-up, 1 undecided.`
    fn counts_summary(&self) -> String {
        let counts = &self.counts;
        let findings = plural(counts.findings, "finding", "findings");
        let follow_up = if counts.follow_up == 1 { "needs" } else { "need" };
        format!(
            "{findings}: {} expected, {} false positive, {} {follow_up} follow-up, {} undecided.",
            counts.expected,
            counts.false_positive,
            counts.follow_up,
            counts.undecided()
        )
    }

    /// Returns the hint that findings still need a decision before the review can be signed.
    fn undecided_summary(&self) -> String {
        match self.counts.undecided() {
            1 => "1 finding still needs a decision before the review can be signed.".to_owned(),
            count => format!("{count} findings still need a decision before the review can be signed."),
        }
    }
}

/// Formats `count` with the singular or plural noun, such as `1 finding` or `2 findings`.
fn plural(count: i64, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("{count} {singular}")
    } else {
        format!("{count} {plural}")
    }
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
        .map(|stored| FindingRow::new(stored, &zone))
        .collect();

    // A follow-up is tracked as an item of the risk management plan, which belongs to a risk
    // of the newest analysis; the decision form offers those risks.
    let risks = match state.store.risk_analyses().await?.first() {
        Some(newest) => state.store.risk_entries(newest.id).await?,
        None => Vec::new(),
    };

    let empty_files_warning = empty_files_warning(&review.sources);
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
        empty_files_warning,
        can_open_follow_ups: user.role().allows(Permission::ManageProgram),
        submitted: None,
        schedule,
        errors,
    })
}

/// Builds the warning about files that held no events in the period, which usually means a
/// wrong period or the wrong files. Returns an empty string when every read file held events.
fn empty_files_warning(sources: &[ReviewSource]) -> String {
    let empty: Vec<&str> = sources
        .iter()
        .filter(|source| source.events == Some(0))
        .map(|source| source.file_name.as_str())
        .collect();
    match (empty.len(), sources.len()) {
        (0, _) => String::new(),
        (1, 1) => format!(
            "The file {} had no events in the period; check the period and the file before signing.",
            empty[0]
        ),
        (count, total) => format!(
            "{count} of {total} files had no events in the period ({}); check the period and the files before signing.",
            empty.join(", ")
        ),
    }
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
        let mut page = review_page(&state, &user, &csrf, finding.review_id, errors).await?;
        page.submitted = Some((id, form));
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
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
    let safeguard: String = format!(
        "Follow up activity-review finding: {} ({subject})",
        rule_label(&finding.finding.rule)
    )
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
