//! Activity reviews run from the web application: their logs (uploaded, or read in place from a
//! folder on the server), the background job's state and progress, the findings, the reviewer's
//! decision on each and the signature.
//!
//! A review copies the EHR column mapping it reads EHR CSV files with when it starts: the
//! mapping of the chosen EHR log source, or the default mapping. Later changes to the source do
//! not reach the review, so a signed review keeps saying which columns were read.
//!
//! A review moves from `queued` to `running` when a job claims it, then to `finished` with its
//! findings or to `failed` with the reason. A running job stores a heartbeat when it claims the
//! review and at every progress update. A running review whose heartbeat is too old belonged to
//! a server that stopped, and [`Store::requeue_stalled_activity_reviews`] queues it again. A
//! finished review can be signed once every finding has a decision. Signing completes the open
//! instance of the schedule obligation the review was started for. A signed review is final,
//! and every later write to it is rejected with [`StoreError::Conflict`].
//!
//! This module stores findings as plain values, so the store does not depend on the review
//! engine; the web crate converts the engine's report.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use safeguard_domain::clock::format_instant;
use safeguard_domain::ehr_sources::EhrMapping;
use safeguard_domain::ids::{ActivityReviewId, EhrSourceId, InstanceId, ObligationId, PlanItemId, ReviewFindingId, RiskEntryId, UserId};
use safeguard_domain::review_schedule::covered_item;
use safeguard_domain::risk::{PlanItemInput, PlanStatus};
use serde_json::json;
use sqlx::AnyConnection;
use tracing::instrument;

use crate::calendar::Instance;
use crate::ehr_sources::{mapping_from_json, mapping_to_json};
use crate::evidence::StoredFile;
use crate::ledger::{Actor, Change, append};
use crate::risk::insert_plan_item;
use crate::{Store, StoreError, rows};

/// The state of a review's background job, and whether the review is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    /// Waiting for the job to start.
    Queued,
    /// The job is reading the logs.
    Running,
    /// The job finished and the findings wait for decisions and a signature.
    Finished,
    /// The job could not read the logs, and the review keeps the reason.
    Failed,
    /// The review is signed and final.
    Signed,
}

impl ReviewState {
    /// Returns the code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Finished => "finished",
            Self::Failed => "failed",
            Self::Signed => "signed",
        }
    }

    /// Returns the state for people to read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Queued",
            Self::Running => "Running",
            Self::Finished => "Waiting for decisions",
            Self::Failed => "Failed",
            Self::Signed => "Signed",
        }
    }

    fn parse(code: &str) -> Result<Self, StoreError> {
        match code {
            "queued" => Ok(Self::Queued),
            "running" => Ok(Self::Running),
            "finished" => Ok(Self::Finished),
            "failed" => Ok(Self::Failed),
            "signed" => Ok(Self::Signed),
            other => Err(StoreError::Corrupt {
                what: "activity review state",
                detail: format!("unknown state {other:?}"),
            }),
        }
    }
}

/// The reviewer's decision on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingDecision {
    /// The activity was expected, such as a scheduled job or a known user working late.
    Expected,
    /// The rule matched activity that is not what it reports.
    FalsePositive,
    /// Someone must look into it, and a risk-plan item tracks the work.
    FollowUp,
}

impl FindingDecision {
    /// Returns the code stored in the database and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Self::Expected => "expected",
            Self::FalsePositive => "false_positive",
            Self::FollowUp => "follow_up",
        }
    }

    /// Returns the decision for people to read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Expected => "Expected",
            Self::FalsePositive => "False positive",
            Self::FollowUp => "Needs follow-up",
        }
    }

    /// Parses a code, returning `None` for anything else.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "expected" => Some(Self::Expected),
            "false_positive" => Some(Self::FalsePositive),
            "follow_up" => Some(Self::FollowUp),
            _ => None,
        }
    }
}

/// A new review: its period, its logs and the obligation it completes.
#[derive(Debug, Clone)]
pub struct NewActivityReview {
    /// The first day covered.
    pub period_from: Date,
    /// The last day covered.
    pub period_to: Date,
    /// The format every file is read as, or `None` to detect each file's format.
    pub format_override: Option<String>,
    /// The schedule obligation that signing completes.
    pub obligation: Option<ObligationId>,
    /// The EHR log source whose mapping EHR CSV files are read with, or `None` for the
    /// default mapping.
    pub ehr_source: Option<EhrSourceId>,
    /// The logs to read.
    pub logs: ReviewLogs,
}

/// The EHR log source a review copied its mapping from, as it was at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewEhrSource {
    /// The source's id.
    pub id: EhrSourceId,
    /// The source's name when the review started.
    pub name: String,
    /// The version of the source that was copied.
    pub version: i64,
}

/// The location of a new review's logs.
#[derive(Debug, Clone)]
pub enum ReviewLogs {
    /// Uploaded logs, already written as evidence files, in upload order.
    Uploaded(Vec<StoredFile>),
    /// Logs read in place from a folder on the server, in file name order.
    ServerFolder {
        /// The folder's canonical absolute path.
        folder: String,
        /// The files in it that are read.
        files: Vec<ServerFile>,
    },
}

impl ReviewLogs {
    /// Returns how many files the review reads.
    pub fn len(&self) -> usize {
        match self {
            Self::Uploaded(files) => files.len(),
            Self::ServerFolder { files, .. } => files.len(),
        }
    }

    /// Returns whether there is no file to read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A log file on the server, read in place, as it was when the review was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFile {
    /// The file's canonical absolute path.
    pub path: String,
    /// The file name, without the folder.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// Lowercase hex SHA-256 of its content.
    pub sha256: String,
}

/// One log file of a review.
#[derive(Debug, Clone)]
pub struct ReviewSource {
    /// Its place in upload or file name order, from 0.
    pub position: i64,
    /// The SHA-256 of its content when the review was started. For an upload it also names the
    /// evidence file.
    pub sha256: String,
    /// The uploaded file name, or the name of the file on the server.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// The canonical absolute path of a file read in place on the server; `None` for an upload.
    pub server_path: Option<String>,
    /// The format it was read as, once the job finished.
    pub format: Option<String>,
    /// How many events in the period it held, once the job finished.
    pub events: Option<i64>,
    /// How many lines or records could not be read, once the job finished.
    pub unreadable: Option<i64>,
}

/// What the job learned about one source file.
#[derive(Debug, Clone)]
pub struct SourceResult {
    /// The format it was read as.
    pub format: String,
    /// How many events in the period it held.
    pub events: i64,
    /// How many lines or records could not be read.
    pub unreadable: i64,
}

/// A finding as the engine reported it.
#[derive(Debug, Clone)]
pub struct NewFinding {
    /// The rule identifier, such as `failed_login_burst_account`.
    pub rule: String,
    /// `low`, `medium` or `high`.
    pub severity: String,
    /// The account concerned.
    pub account: Option<String>,
    /// The roster person holding the account.
    pub person: Option<String>,
    /// The client address concerned.
    pub client: Option<String>,
    /// The first event's time.
    pub first_seen: Timestamp,
    /// The last event's time.
    pub last_seen: Timestamp,
    /// How many events the finding covers.
    pub count: i64,
    /// Where the events are, such as `auth.log, line 12`, up to the engine's evidence limit.
    pub evidence: Vec<String>,
    /// One sentence for the practice manager.
    pub explanation: String,
}

/// A stored activity review.
#[derive(Debug, Clone)]
pub struct ActivityReview {
    /// Its id.
    pub id: ActivityReviewId,
    /// The first day covered.
    pub period_from: Date,
    /// The last day covered.
    pub period_to: Date,
    /// The format every file is read as, when the reviewer chose one.
    pub format_override: Option<String>,
    /// The schedule obligation that signing completes.
    pub obligation_id: Option<ObligationId>,
    /// The job state.
    pub state: ReviewState,
    /// Bytes read so far.
    pub progress_done: i64,
    /// Bytes to read in all.
    pub progress_total: i64,
    /// Why the job failed.
    pub failure: Option<String>,
    /// When the job reading the logs last reported, while it runs.
    pub heartbeat_at: Option<Timestamp>,
    /// How often a job claimed the review.
    pub attempts: i64,
    /// The year and zone syslog lines were read in, when syslog files were reviewed.
    pub syslog_time_basis: Option<String>,
    /// When it was started.
    pub created_at: Timestamp,
    /// When the job finished.
    pub finished_at: Option<Timestamp>,
    /// When it was signed.
    pub signed_at: Option<Timestamp>,
    /// The practice's calendar day it was signed on.
    pub signed_on: Option<Date>,
    /// The name of the account that signed it.
    pub signed_by_name: Option<String>,
    /// The typed signature.
    pub signature: Option<String>,
    /// The calendar instance that signing completed.
    pub completed_instance_id: Option<InstanceId>,
    /// The EHR log source the mapping was copied from, or `None` for the default mapping.
    pub ehr_source: Option<ReviewEhrSource>,
    /// The mapping EHR CSV files are read with. `None` only for reviews started before
    /// mappings were recorded, which used the default mapping.
    pub ehr_mapping: Option<EhrMapping>,
    /// The uploaded logs in upload order.
    pub sources: Vec<ReviewSource>,
}

impl ActivityReview {
    /// Returns the progress in whole percent, 100 once the job is over.
    pub fn percent_done(&self) -> i64 {
        match self.state {
            ReviewState::Queued => 0,
            ReviewState::Running if self.progress_total > 0 => (self.progress_done * 100 / self.progress_total).clamp(0, 99),
            ReviewState::Running => 0,
            _ => 100,
        }
    }
}

/// A stored finding with its decision.
#[derive(Debug, Clone)]
pub struct ReviewFinding {
    /// Its id.
    pub id: ReviewFindingId,
    /// The review it belongs to.
    pub review_id: ActivityReviewId,
    /// The finding as the engine reported it.
    pub finding: NewFinding,
    /// The decision, once made.
    pub decision: Option<FindingDecision>,
    /// The reviewer's notes.
    pub notes: Option<String>,
    /// The name of the account that decided.
    pub decided_by_name: Option<String>,
    /// The risk-plan item a follow-up opened.
    pub plan_item_id: Option<PlanItemId>,
}

/// A decision on one finding.
#[derive(Debug, Clone)]
pub struct DecisionInput {
    /// The decision.
    pub decision: FindingDecision,
    /// Why, in the reviewer's words.
    pub notes: String,
    /// For a follow-up: the risk the plan item treats and the item itself.
    pub follow_up: Option<(RiskEntryId, PlanItemInput)>,
}

/// The stalled reviews that [`Store::requeue_stalled_activity_reviews`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StalledReviews {
    /// Reviews queued again, to be read from the start.
    pub requeued: Vec<ActivityReviewId>,
    /// Reviews failed because they were already claimed the maximum number of times.
    pub failed: Vec<ActivityReviewId>,
}

/// The schedule entry a review was started for, and its calendar item that signing completes
/// or completed.
#[derive(Debug, Clone)]
pub struct ReviewScheduleItem {
    /// The title of the entry's calendar obligation.
    pub entry_title: String,
    /// The calendar item, or `None` when no open item's period lies within the review's period
    /// (or, for a signed review, when signing completed none).
    pub item: Option<Instance>,
}

/// Counts of a review's findings by decision, for the list and the sign page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecisionCounts {
    /// Every finding.
    pub findings: i64,
    /// Findings marked expected.
    pub expected: i64,
    /// Findings marked false positive.
    pub false_positive: i64,
    /// Findings that need follow-up.
    pub follow_up: i64,
}

impl DecisionCounts {
    /// Returns how many findings have no decision yet.
    pub fn undecided(&self) -> i64 {
        self.findings - self.expected - self.false_positive - self.follow_up
    }
}

const REVIEW_COLUMNS: &str = "r.id, r.period_from, r.period_to, r.format_override, r.obligation_id, r.state, r.progress_done, r.progress_total, r.failure, r.heartbeat_at, r.attempts, r.syslog_time_basis, r.created_at, r.finished_at, r.signed_at, r.signed_on, r.signature, r.completed_instance_id, r.ehr_source_id, r.ehr_source_name, r.ehr_source_version, r.ehr_mapping, signer.display_name AS signed_by_name";
const SOURCE_COLUMNS: &str = "position, sha256, file_name, size_bytes, server_path, format, events, unreadable";
const REVIEW_FROM: &str = "FROM activity_reviews r LEFT JOIN users signer ON signer.id = r.signed_by";
const FINDING_COLUMNS: &str = "f.id, f.review_id, f.rule, f.severity, f.account, f.person, f.client, f.first_seen, f.last_seen, f.event_count, f.evidence, f.explanation, f.decision, f.notes, f.plan_item_id, decider.display_name AS decided_by_name";
const FINDING_FROM: &str = "FROM activity_review_findings f LEFT JOIN users decider ON decider.id = f.decided_by";

fn review_from_row(row: &sqlx::any::AnyRow) -> Result<ActivityReview, StoreError> {
    let ehr_source = match rows::optional_parsed::<EhrSourceId>(row, "ehr_source_id")? {
        Some(id) => Some(ReviewEhrSource {
            id,
            name: rows::text(row, "ehr_source_name")?,
            version: rows::integer(row, "ehr_source_version")?,
        }),
        None => None,
    };
    let ehr_mapping = match rows::optional_text(row, "ehr_mapping")? {
        Some(json) => Some(mapping_from_json(&json)?),
        None => None,
    };

    Ok(ActivityReview {
        id: rows::parsed(row, "id")?,
        period_from: rows::date(row, "period_from")?,
        period_to: rows::date(row, "period_to")?,
        format_override: rows::optional_text(row, "format_override")?,
        obligation_id: rows::optional_parsed(row, "obligation_id")?,
        state: ReviewState::parse(&rows::text(row, "state")?)?,
        progress_done: rows::integer(row, "progress_done")?,
        progress_total: rows::integer(row, "progress_total")?,
        failure: rows::optional_text(row, "failure")?,
        heartbeat_at: rows::optional_instant(row, "heartbeat_at")?,
        attempts: rows::integer(row, "attempts")?,
        syslog_time_basis: rows::optional_text(row, "syslog_time_basis")?,
        created_at: rows::instant(row, "created_at")?,
        finished_at: rows::optional_instant(row, "finished_at")?,
        signed_at: rows::optional_instant(row, "signed_at")?,
        signed_on: rows::optional_date(row, "signed_on")?,
        signed_by_name: rows::optional_text(row, "signed_by_name")?,
        signature: rows::optional_text(row, "signature")?,
        completed_instance_id: rows::optional_parsed(row, "completed_instance_id")?,
        ehr_source,
        ehr_mapping,
        sources: Vec::new(),
    })
}

fn source_from_row(row: &sqlx::any::AnyRow) -> Result<ReviewSource, StoreError> {
    Ok(ReviewSource {
        position: rows::integer(row, "position")?,
        sha256: rows::text(row, "sha256")?,
        file_name: rows::text(row, "file_name")?,
        size_bytes: rows::integer(row, "size_bytes")?,
        server_path: rows::optional_text(row, "server_path")?,
        format: rows::optional_text(row, "format")?,
        events: row_optional_integer(row, "events")?,
        unreadable: row_optional_integer(row, "unreadable")?,
    })
}

fn row_optional_integer(row: &sqlx::any::AnyRow, column: &str) -> Result<Option<i64>, StoreError> {
    use sqlx::Row;
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

fn finding_from_row(row: &sqlx::any::AnyRow) -> Result<ReviewFinding, StoreError> {
    let evidence_json = rows::text(row, "evidence")?;
    let evidence: Vec<String> = serde_json::from_str(&evidence_json).map_err(|error| StoreError::Corrupt {
        what: "finding evidence",
        detail: error.to_string(),
    })?;
    let decision = match rows::optional_text(row, "decision")? {
        Some(code) => Some(FindingDecision::from_code(&code).ok_or_else(|| StoreError::Corrupt {
            what: "finding decision",
            detail: format!("unknown decision {code:?}"),
        })?),
        None => None,
    };

    Ok(ReviewFinding {
        id: rows::parsed(row, "id")?,
        review_id: rows::parsed(row, "review_id")?,
        finding: NewFinding {
            rule: rows::text(row, "rule")?,
            severity: rows::text(row, "severity")?,
            account: rows::optional_text(row, "account")?,
            person: rows::optional_text(row, "person")?,
            client: rows::optional_text(row, "client")?,
            first_seen: rows::instant(row, "first_seen")?,
            last_seen: rows::instant(row, "last_seen")?,
            count: rows::integer(row, "event_count")?,
            evidence,
            explanation: rows::text(row, "explanation")?,
        },
        decision,
        notes: rows::optional_text(row, "notes")?,
        decided_by_name: rows::optional_text(row, "decided_by_name")?,
        plan_item_id: rows::optional_parsed(row, "plan_item_id")?,
    })
}

impl Store {
    /// Returns every activity review, newest first, without their sources.
    #[instrument(skip_all)]
    pub async fn activity_reviews(&self) -> Result<Vec<ActivityReview>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {REVIEW_COLUMNS} {REVIEW_FROM} ORDER BY r.created_at DESC, r.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut reviews: Vec<ActivityReview> = rows.iter().map(review_from_row).collect::<Result<_, _>>()?;

        // One query for the sources of every review, rather than one per review.
        let sources = sqlx::query(composed_sql!(
            "SELECT review_id, {SOURCE_COLUMNS} FROM activity_review_sources ORDER BY review_id, position"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut by_review: HashMap<String, Vec<ReviewSource>> = HashMap::new();
        for row in &sources {
            by_review
                .entry(rows::text(row, "review_id")?)
                .or_default()
                .push(source_from_row(row)?);
        }
        for review in &mut reviews {
            review.sources = by_review.remove(&review.id.to_string()).unwrap_or_default();
        }
        Ok(reviews)
    }

    /// Returns one activity review with its sources.
    #[instrument(skip_all, fields(activity_review.id = %id))]
    pub async fn activity_review(&self, id: ActivityReviewId) -> Result<ActivityReview, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {REVIEW_COLUMNS} {REVIEW_FROM} WHERE r.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let mut review = review_from_row(&row.ok_or(StoreError::NotFound { kind: "activity review" })?)?;

        let sources = sqlx::query(composed_sql!(
            "SELECT {SOURCE_COLUMNS} FROM activity_review_sources WHERE review_id = $1 ORDER BY position"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        review.sources = sources.iter().map(source_from_row).collect::<Result<_, _>>()?;
        Ok(review)
    }

    /// Records a new review in the `queued` state with its logs. Uploaded logs must already be
    /// written as evidence files. Logs on the server are recorded with the path, size and
    /// SHA-256 they had when the review was started. The period must not end before it starts,
    /// and at least one file is needed. The review stores a copy of the chosen EHR log source's
    /// current mapping, or of the default mapping when none is chosen.
    #[instrument(skip_all, fields(user.id = %actor, sources = input.logs.len()))]
    pub async fn create_activity_review(&self, actor: UserId, input: &NewActivityReview) -> Result<ActivityReviewId, StoreError> {
        if input.logs.is_empty() {
            return Err(StoreError::Conflict(
                "no log file was given; upload at least one file or name a folder that contains log files".into(),
            ));
        }
        if input.period_to < input.period_from {
            return Err(StoreError::Conflict(format!(
                "the period ends on {} before it starts on {}; swap the dates",
                input.period_to, input.period_from
            )));
        }

        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = ActivityReviewId::new();

        if let Some(obligation) = input.obligation {
            let scheduled = sqlx::query("SELECT id FROM obligations WHERE id = $1 AND reviewed_system IS NOT NULL")
                .bind(obligation.to_string())
                .fetch_optional(&mut *transaction)
                .await?;
            if scheduled.is_none() {
                return Err(StoreError::NotFound {
                    kind: "activity-review schedule entry",
                });
            }
        }

        // The copy is read inside the transaction, so it is the version current at the moment
        // the review is recorded.
        let (ehr_source, ehr_mapping) = match input.ehr_source {
            Some(source) => {
                let row = sqlx::query("SELECT name, mapping, version FROM ehr_log_sources WHERE id = $1")
                    .bind(source.to_string())
                    .fetch_optional(&mut *transaction)
                    .await?
                    .ok_or(StoreError::NotFound { kind: "EHR log source" })?;
                let copied = ReviewEhrSource {
                    id: source,
                    name: rows::text(&row, "name")?,
                    version: rows::integer(&row, "version")?,
                };
                (Some(copied), mapping_from_json(&rows::text(&row, "mapping")?)?)
            }
            None => (None, EhrMapping::default()),
        };

        let sources = new_sources(&input.logs);
        let total: i64 = sources.iter().map(|source| source.size_bytes).sum();
        sqlx::query("INSERT INTO activity_reviews (id, period_from, period_to, format_override, obligation_id, state, progress_done, progress_total, created_at, created_by, ehr_source_id, ehr_source_name, ehr_source_version, ehr_mapping) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12, $13)")
            .bind(id.to_string())
            .bind(input.period_from.to_string())
            .bind(input.period_to.to_string())
            .bind(input.format_override.clone())
            .bind(input.obligation.map(|obligation| obligation.to_string()))
            .bind(ReviewState::Queued.code())
            .bind(total)
            .bind(&now)
            .bind(actor.to_string())
            .bind(ehr_source.as_ref().map(|source| source.id.to_string()))
            .bind(ehr_source.as_ref().map(|source| source.name.clone()))
            .bind(ehr_source.as_ref().map(|source| source.version))
            .bind(mapping_to_json(&ehr_mapping)?)
            .execute(&mut *transaction)
            .await?;

        for (position, source) in sources.iter().enumerate() {
            if let Some(media_type) = source.evidence_media_type {
                sqlx::query("INSERT INTO evidence_files (sha256, size_bytes, media_type, stored_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
                    .bind(source.sha256)
                    .bind(source.size_bytes)
                    .bind(media_type)
                    .bind(&now)
                    .execute(&mut *transaction)
                    .await?;
            }
            sqlx::query(
                "INSERT INTO activity_review_sources (review_id, position, sha256, file_name, size_bytes, evidence_file, server_path) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.to_string())
            .bind(position as i64)
            .bind(source.sha256)
            .bind(source.file_name)
            .bind(source.size_bytes)
            .bind(source.evidence_media_type.map(|_| source.sha256.to_owned()))
            .bind(source.server_path.map(str::to_owned))
            .execute(&mut *transaction)
            .await?;
        }

        let source_payload: Vec<_> = sources.iter().map(NewSource::ledger_payload).collect();
        let server_folder = match &input.logs {
            ReviewLogs::Uploaded(_) => None,
            ReviewLogs::ServerFolder { folder, .. } => Some(folder.as_str()),
        };
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "activity_review.started",
                record_kind: "activity_review",
                record_id: id.to_string(),
                payload: json!({
                    "period_from": input.period_from.to_string(),
                    "period_to": input.period_to.to_string(),
                    "format_override": input.format_override,
                    "obligation": input.obligation.map(|obligation| obligation.to_string()),
                    "server_folder": server_folder,
                    "sources": source_payload,
                    "ehr_source": ehr_source_payload(ehr_source.as_ref()),
                    "ehr_mapping": ehr_mapping,
                }),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Moves a queued review to `running`, stores its first heartbeat and counts the attempt.
    /// Returns whether this call did so, so that only one job reads a review's logs even when
    /// two claim it.
    #[instrument(skip_all, fields(activity_review.id = %id))]
    pub async fn claim_activity_review(&self, id: ActivityReviewId) -> Result<bool, StoreError> {
        let claimed =
            sqlx::query("UPDATE activity_reviews SET state = $1, heartbeat_at = $2, attempts = attempts + 1 WHERE id = $3 AND state = $4")
                .bind(ReviewState::Running.code())
                .bind(self.now_text())
                .bind(id.to_string())
                .bind(ReviewState::Queued.code())
                .execute(&self.pool)
                .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Stores how many bytes a running review has read, with the job's heartbeat. Progress is
    /// not ledgered, because it changes no record anyone relies on.
    pub async fn set_activity_review_progress(&self, id: ActivityReviewId, done: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE activity_reviews SET progress_done = $1, heartbeat_at = $2 WHERE id = $3 AND state = $4")
            .bind(done)
            .bind(self.now_text())
            .bind(id.to_string())
            .bind(ReviewState::Running.code())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Finds running reviews whose heartbeat is older than `stale_after`, or missing, because
    /// the server running their job stopped. Each is queued again to be read from the start. A
    /// review already claimed `max_attempts` times fails instead, because its logs may be what
    /// stops the server. Every change gets a ledger entry, and all of them are made in one
    /// transaction.
    ///
    /// The update repeats the conditions, so a review that another instance queued again and
    /// claimed in the meantime, with a fresh heartbeat, is left alone.
    #[instrument(skip_all)]
    pub async fn requeue_stalled_activity_reviews(
        &self,
        stale_after: SignedDuration,
        max_attempts: i64,
    ) -> Result<StalledReviews, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now();
        let now_text = format_instant(now);
        let cutoff = format_instant(now.saturating_sub(stale_after).unwrap_or(now));

        let candidates = sqlx::query(
            "SELECT id, heartbeat_at, attempts FROM activity_reviews WHERE state = $1 AND (heartbeat_at IS NULL OR heartbeat_at < $2) ORDER BY created_at, id",
        )
        .bind(ReviewState::Running.code())
        .bind(&cutoff)
        .fetch_all(&mut *transaction)
        .await?;

        let mut stalled = StalledReviews::default();
        for row in &candidates {
            let id: ActivityReviewId = rows::parsed(row, "id")?;
            let heartbeat = rows::optional_text(row, "heartbeat_at")?;
            let attempts = rows::integer(row, "attempts")?;
            let give_up = attempts >= max_attempts;

            let (update, action, payload) = if give_up {
                let reason = format!(
                    "the server stopped while reading these logs {attempts} times, so the review is not started again; check the server log for a crash or for running out of memory, then start a new review, with fewer or smaller files if the logs are large"
                );
                let update = sqlx::query("UPDATE activity_reviews SET state = $1, failure = $2, finished_at = $3 WHERE id = $4 AND state = $5 AND (heartbeat_at IS NULL OR heartbeat_at < $6)")
                    .bind(ReviewState::Failed.code())
                    .bind(reason.clone())
                    .bind(now_text.clone());
                let payload = json!({"reason": reason, "last_heartbeat": heartbeat, "attempts": attempts});
                (update, "activity_review.failed", payload)
            } else {
                let update = sqlx::query("UPDATE activity_reviews SET state = $1, heartbeat_at = NULL, progress_done = 0 WHERE id = $2 AND state = $3 AND (heartbeat_at IS NULL OR heartbeat_at < $4)")
                    .bind(ReviewState::Queued.code());
                let payload = json!({
                    "last_heartbeat": heartbeat,
                    "attempts": attempts,
                    "stale_after_seconds": stale_after.as_secs(),
                });
                (update, "activity_review.requeued", payload)
            };
            // The identifying and stale conditions bind last, in the same order for both updates.
            let changed = update
                .bind(id.to_string())
                .bind(ReviewState::Running.code())
                .bind(cutoff.clone())
                .execute(&mut *transaction)
                .await?;
            if changed.rows_affected() != 1 {
                continue;
            }
            if give_up {
                stalled.failed.push(id);
            } else {
                stalled.requeued.push(id);
            }

            append(
                &mut transaction,
                self.backend,
                &now_text,
                &Actor::System,
                Change {
                    action,
                    record_kind: "activity_review",
                    record_id: id.to_string(),
                    payload,
                },
            )
            .await?;
        }

        transaction.commit().await?;
        Ok(stalled)
    }

    /// Stores the job's results: one [`SourceResult`] per source in upload order and the
    /// findings, most severe first. The review must be running.
    #[instrument(skip_all, fields(activity_review.id = %id, findings = findings.len()))]
    pub async fn finish_activity_review(
        &self,
        id: ActivityReviewId,
        sources: &[SourceResult],
        findings: &[NewFinding],
        syslog_time_basis: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let finished = sqlx::query("UPDATE activity_reviews SET state = $1, finished_at = $2, progress_done = progress_total, syslog_time_basis = $3 WHERE id = $4 AND state = $5")
            .bind(ReviewState::Finished.code())
            .bind(&now)
            .bind(syslog_time_basis.map(str::to_owned))
            .bind(id.to_string())
            .bind(ReviewState::Running.code())
            .execute(&mut *transaction)
            .await?;
        if finished.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "this activity review is not running; only a running review can finish".into(),
            ));
        }

        for (position, source) in sources.iter().enumerate() {
            sqlx::query(
                "UPDATE activity_review_sources SET format = $1, events = $2, unreadable = $3 WHERE review_id = $4 AND position = $5",
            )
            .bind(&source.format)
            .bind(source.events)
            .bind(source.unreadable)
            .bind(id.to_string())
            .bind(position as i64)
            .execute(&mut *transaction)
            .await?;
        }
        for (position, finding) in findings.iter().enumerate() {
            insert_finding(&mut transaction, id, position as i64, finding).await?;
        }

        let source_payload: Vec<_> = sources
            .iter()
            .map(|source| json!({"format": source.format, "events": source.events, "unreadable": source.unreadable}))
            .collect();
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::System,
            Change {
                action: "activity_review.finished",
                record_kind: "activity_review",
                record_id: id.to_string(),
                payload: json!({"sources": source_payload, "findings": findings.len()}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Marks a queued or running review as failed with a reason for the reviewer.
    #[instrument(skip_all, fields(activity_review.id = %id))]
    pub async fn fail_activity_review(&self, id: ActivityReviewId, reason: &str) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let failed =
            sqlx::query("UPDATE activity_reviews SET state = $1, failure = $2, finished_at = $3 WHERE id = $4 AND state IN ($5, $6)")
                .bind(ReviewState::Failed.code())
                .bind(reason)
                .bind(&now)
                .bind(id.to_string())
                .bind(ReviewState::Queued.code())
                .bind(ReviewState::Running.code())
                .execute(&mut *transaction)
                .await?;
        if failed.rows_affected() != 1 {
            return Err(StoreError::Conflict("this activity review is no longer queued or running".into()));
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::System,
            Change {
                action: "activity_review.failed",
                record_kind: "activity_review",
                record_id: id.to_string(),
                payload: json!({"reason": reason}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns the ids of queued reviews, oldest first: new reviews whose task ended with its
    /// server before it claimed them, and stalled reviews queued again.
    pub async fn queued_activity_reviews(&self) -> Result<Vec<ActivityReviewId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM activity_reviews WHERE state = $1 ORDER BY created_at, id")
            .bind(ReviewState::Queued.code())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| rows::parsed(row, "id")).collect()
    }

    /// Returns a review's findings in the order the engine reported them.
    #[instrument(skip_all, fields(activity_review.id = %id))]
    pub async fn review_findings(&self, id: ActivityReviewId) -> Result<Vec<ReviewFinding>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {FINDING_COLUMNS} {FINDING_FROM} WHERE f.review_id = $1 ORDER BY f.position"
        ))
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(finding_from_row).collect()
    }

    /// Returns one finding.
    #[instrument(skip_all, fields(review_finding.id = %id))]
    pub async fn review_finding(&self, id: ReviewFindingId) -> Result<ReviewFinding, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {FINDING_COLUMNS} {FINDING_FROM} WHERE f.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        finding_from_row(&row.ok_or(StoreError::NotFound { kind: "finding" })?)
    }

    /// Counts a review's findings by decision.
    pub async fn review_decision_counts(&self, id: ActivityReviewId) -> Result<DecisionCounts, StoreError> {
        let mut connection = self.pool.acquire().await?;
        decision_counts(&mut connection, id).await
    }

    /// Records or replaces the decision on a finding of a finished, unsigned review. A
    /// follow-up adds a risk-plan item in the same transaction; a finding that already opened
    /// one keeps it, because plan items are never deleted. Re-deciding a follow-up as expected
    /// or a false positive cancels its plan item, unless the item is completed, in the same
    /// transaction.
    #[instrument(skip_all, fields(user.id = %actor, review_finding.id = %id))]
    pub async fn decide_review_finding(&self, actor: UserId, id: ReviewFindingId, input: &DecisionInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let row = sqlx::query(
            "SELECT f.plan_item_id, f.review_id, p.status AS plan_status, r.state FROM activity_review_findings f JOIN activity_reviews r ON r.id = f.review_id LEFT JOIN risk_plan_items p ON p.id = f.plan_item_id WHERE f.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound { kind: "finding" })?;
        let state = ReviewState::parse(&rows::text(&row, "state")?)?;
        if state != ReviewState::Finished {
            return Err(StoreError::Conflict(format!(
                "this review is {}; decisions are recorded only after the job finished and before signing",
                state.label().to_lowercase()
            )));
        }
        let mut plan_item: Option<PlanItemId> = rows::optional_parsed(&row, "plan_item_id")?;
        let plan_status: Option<PlanStatus> = rows::optional_parsed(&row, "plan_status")?;

        // A finding re-decided as expected or a false positive no longer needs the plan item
        // its follow-up opened. An open item is cancelled, so it does not go overdue, and the
        // finding's link to it is cleared, so that a later follow-up opens a new one. A
        // completed item stays linked as the record of the work done.
        let mut cancelled_plan_item = None;
        if input.decision != FindingDecision::FollowUp
            && let (Some(item), Some(status)) = (plan_item, plan_status)
            && status.is_open()
        {
            let review: ActivityReviewId = rows::parsed(&row, "review_id")?;
            cancel_plan_item(&mut transaction, self.backend, &now, actor, item, (review, id), input.decision).await?;
            cancelled_plan_item = Some(item);
            plan_item = None;
        }

        if input.decision == FindingDecision::FollowUp && plan_item.is_none() {
            let Some((entry, item)) = &input.follow_up else {
                return Err(StoreError::Conflict(
                    "a follow-up needs a risk and a plan item; choose the risk it belongs to".into(),
                ));
            };
            plan_item = Some(insert_plan_item(&mut transaction, self.backend, &now, actor, *entry, item).await?);
        }

        sqlx::query("UPDATE activity_review_findings SET decision = $1, notes = $2, decided_at = $3, decided_by = $4, plan_item_id = $5 WHERE id = $6")
            .bind(input.decision.code())
            .bind(&input.notes)
            .bind(&now)
            .bind(actor.to_string())
            .bind(plan_item.map(|item| item.to_string()))
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "review_finding.decided",
                record_kind: "review_finding",
                record_id: id.to_string(),
                payload: json!({
                    "decision": input.decision.code(),
                    "notes": input.notes,
                    "plan_item": plan_item.map(|item| item.to_string()),
                    "cancelled_plan_item": cancelled_plan_item.map(|item| item.to_string()),
                }),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Signs a finished review on `today`, the practice's calendar day, once every finding has
    /// a decision. The ledger entry records the period, the sources, the counts and every
    /// decision. When the review was started for a schedule obligation, the open instance of
    /// it whose period the review covers is completed in the same transaction. When no open
    /// instance matches, none is completed and the review records no completed instance.
    #[instrument(skip_all, fields(user.id = %actor, activity_review.id = %id))]
    pub async fn sign_activity_review(&self, actor: UserId, id: ActivityReviewId, signature: &str, today: Date) -> Result<(), StoreError> {
        let review = self.activity_review(id).await?;
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let counts = decision_counts(&mut transaction, id).await?;
        if counts.undecided() > 0 {
            return Err(StoreError::Conflict(format!(
                "{} findings have no decision yet; decide every finding before signing",
                counts.undecided()
            )));
        }

        // The update matches only a finished review, so a second signature racing this one, or
        // a review whose job has not finished, changes nothing.
        let signed = sqlx::query("UPDATE activity_reviews SET state = $1, signed_at = $2, signed_on = $3, signed_by = $4, signature = $5 WHERE id = $6 AND state = $7")
            .bind(ReviewState::Signed.code())
            .bind(&now)
            .bind(today.to_string())
            .bind(actor.to_string())
            .bind(signature)
            .bind(id.to_string())
            .bind(ReviewState::Finished.code())
            .execute(&mut *transaction)
            .await?;
        if signed.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "this review is {}; only a review whose job finished can be signed, and only once",
                review.state.label().to_lowercase()
            )));
        }

        let decisions = sqlx::query("SELECT id, rule, event_count, decision, notes, plan_item_id FROM activity_review_findings WHERE review_id = $1 ORDER BY position")
            .bind(id.to_string())
            .fetch_all(&mut *transaction)
            .await?;
        let mut decision_payload = Vec::with_capacity(decisions.len());
        for row in &decisions {
            decision_payload.push(json!({
                "finding": rows::text(row, "id")?,
                "rule": rows::text(row, "rule")?,
                "count": rows::integer(row, "event_count")?,
                "decision": rows::optional_text(row, "decision")?,
                "notes": rows::optional_text(row, "notes")?,
                "plan_item": rows::optional_text(row, "plan_item_id")?,
            }));
        }
        let sources: Vec<_> = review
            .sources
            .iter()
            .map(|source| {
                json!({
                    "sha256": source.sha256,
                    "file_name": source.file_name,
                    "size_bytes": source.size_bytes,
                    "server_path": source.server_path,
                    "format": source.format,
                    "events": source.events,
                    "unreadable": source.unreadable,
                })
            })
            .collect();

        let instance = match review.obligation_id {
            Some(obligation) => complete_schedule_instance(&mut transaction, self.backend, &now, actor, obligation, &review, today).await?,
            None => None,
        };
        if let Some(instance) = &instance {
            sqlx::query("UPDATE activity_reviews SET completed_instance_id = $1 WHERE id = $2")
                .bind(instance)
                .bind(id.to_string())
                .execute(&mut *transaction)
                .await?;
        }

        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "activity_review.signed",
                record_kind: "activity_review",
                record_id: id.to_string(),
                payload: json!({
                    "period_from": review.period_from.to_string(),
                    "period_to": review.period_to.to_string(),
                    "signed_on": today.to_string(),
                    "signature": signature,
                    "sources": sources,
                    "counts": {
                        "findings": counts.findings,
                        "expected": counts.expected,
                        "false_positive": counts.false_positive,
                        "follow_up": counts.follow_up,
                    },
                    "decisions": decision_payload,
                    "ehr_source": ehr_source_payload(review.ehr_source.as_ref()),
                    "ehr_mapping": review.ehr_mapping,
                    "completed_instance": instance,
                }),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns a review's schedule entry with its calendar item: for a signed review the item
    /// signing completed, otherwise the open item whose period the review covers, which
    /// signing would complete. `None` when the review was started for no schedule entry.
    pub async fn review_schedule_item(&self, review: &ActivityReview) -> Result<Option<ReviewScheduleItem>, StoreError> {
        let Some(obligation) = review.obligation_id else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT title FROM obligations WHERE id = $1")
            .bind(obligation.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound { kind: "schedule entry" })?;
        let entry_title = rows::text(&row, "title")?;

        let instance = match review.completed_instance_id {
            Some(instance) => Some(instance),
            None if review.signed_at.is_some() => None,
            None => {
                let mut connection = self.pool.acquire().await?;
                covered_open_instance(&mut connection, obligation, (review.period_from, review.period_to)).await?
            }
        };
        let item = match instance {
            Some(instance) => Some(self.instance(instance).await?),
            None => None,
        };
        Ok(Some(ReviewScheduleItem { entry_title, item }))
    }

    /// Returns the last day covered by the most recently ending signed review, for compliance
    /// status.
    pub async fn latest_signed_review_end(&self) -> Result<Option<Date>, StoreError> {
        let row = sqlx::query("SELECT period_to FROM activity_reviews WHERE state = $1 ORDER BY period_to DESC LIMIT 1")
            .bind(ReviewState::Signed.code())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| rows::date(&row, "period_to")).transpose()
    }
}

/// Returns the ledger form of the source a review copied its mapping from.
fn ehr_source_payload(source: Option<&ReviewEhrSource>) -> serde_json::Value {
    match source {
        Some(source) => json!({"id": source.id.to_string(), "name": source.name, "version": source.version}),
        None => serde_json::Value::Null,
    }
}

/// One source of a new review, in the shape of its database row.
struct NewSource<'a> {
    sha256: &'a str,
    file_name: &'a str,
    size_bytes: i64,
    /// The media type of an upload's evidence file; `None` for a file read in place.
    evidence_media_type: Option<&'a str>,
    server_path: Option<&'a str>,
}

impl NewSource<'_> {
    /// Returns what the ledger records of the source. A file read in place has no stored copy,
    /// so its path, size and hash are the record of what was read.
    fn ledger_payload(&self) -> serde_json::Value {
        match self.server_path {
            Some(path) => json!({"sha256": self.sha256, "file_name": self.file_name, "size_bytes": self.size_bytes, "server_path": path}),
            None => json!({"sha256": self.sha256, "file_name": self.file_name, "size_bytes": self.size_bytes}),
        }
    }
}

fn new_sources(logs: &ReviewLogs) -> Vec<NewSource<'_>> {
    match logs {
        ReviewLogs::Uploaded(files) => files
            .iter()
            .map(|file| NewSource {
                sha256: &file.sha256,
                file_name: &file.file_name,
                size_bytes: file.size_bytes,
                evidence_media_type: Some(&file.media_type),
                server_path: None,
            })
            .collect(),
        ReviewLogs::ServerFolder { files, .. } => files
            .iter()
            .map(|file| NewSource {
                sha256: &file.sha256,
                file_name: &file.file_name,
                size_bytes: file.size_bytes,
                evidence_media_type: None,
                server_path: Some(&file.path),
            })
            .collect(),
    }
}

async fn insert_finding(
    connection: &mut AnyConnection,
    review: ActivityReviewId,
    position: i64,
    finding: &NewFinding,
) -> Result<(), StoreError> {
    let evidence = serde_json::to_string(&finding.evidence).map_err(|error| StoreError::Corrupt {
        what: "finding evidence",
        detail: error.to_string(),
    })?;
    sqlx::query("INSERT INTO activity_review_findings (id, review_id, position, rule, severity, account, person, client, first_seen, last_seen, event_count, evidence, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(ReviewFindingId::new().to_string())
        .bind(review.to_string())
        .bind(position)
        .bind(&finding.rule)
        .bind(&finding.severity)
        .bind(finding.account.clone())
        .bind(finding.person.clone())
        .bind(finding.client.clone())
        .bind(safeguard_domain::clock::format_instant(finding.first_seen))
        .bind(safeguard_domain::clock::format_instant(finding.last_seen))
        .bind(finding.count)
        .bind(evidence)
        .bind(&finding.explanation)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

async fn decision_counts(connection: &mut AnyConnection, id: ActivityReviewId) -> Result<DecisionCounts, StoreError> {
    let rows = sqlx::query("SELECT decision, COUNT(*) AS findings FROM activity_review_findings WHERE review_id = $1 GROUP BY decision")
        .bind(id.to_string())
        .fetch_all(&mut *connection)
        .await?;
    let mut counts = DecisionCounts::default();
    for row in &rows {
        let findings = rows::integer(row, "findings")?;
        counts.findings += findings;
        match rows::optional_text(row, "decision")?
            .as_deref()
            .and_then(FindingDecision::from_code)
        {
            Some(FindingDecision::Expected) => counts.expected += findings,
            Some(FindingDecision::FalsePositive) => counts.false_positive += findings,
            Some(FindingDecision::FollowUp) => counts.follow_up += findings,
            None => {}
        }
    }
    Ok(counts)
}

/// Cancels the open plan item a finding's follow-up opened, because the finding was re-decided
/// as `decision`. The reason takes the place of completion evidence on the plan.
async fn cancel_plan_item(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: UserId,
    item: PlanItemId,
    (review, finding): (ActivityReviewId, ReviewFindingId),
    decision: FindingDecision,
) -> Result<(), StoreError> {
    let reason = format!(
        "Cancelled because finding {finding} of activity review {review} was re-decided as {}.",
        decision.label().to_lowercase()
    );
    sqlx::query("UPDATE risk_plan_items SET status = $1, completion_evidence = $2, updated_at = $3 WHERE id = $4 AND status IN ($5, $6)")
        .bind(PlanStatus::Cancelled.code())
        .bind(&reason)
        .bind(now)
        .bind(item.to_string())
        .bind(PlanStatus::Planned.code())
        .bind(PlanStatus::InProgress.code())
        .execute(&mut *connection)
        .await?;
    append(
        connection,
        backend,
        now,
        &Actor::User(actor),
        Change {
            action: "plan_item.cancelled",
            record_kind: "plan_item",
            record_id: item.to_string(),
            payload: json!({"reason": reason, "finding": finding.to_string(), "decision": decision.code()}),
        },
    )
    .await?;
    Ok(())
}

/// Returns the id of the open instance of `obligation` whose period lies within a review's
/// period `(first day, last day)`, as [`covered_item`] chooses it.
async fn covered_open_instance(
    connection: &mut AnyConnection,
    obligation: ObligationId,
    period: (Date, Date),
) -> Result<Option<InstanceId>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, starts_on, due_on FROM obligation_instances WHERE obligation_id = $1 AND completed_at IS NULL ORDER BY period_index",
    )
    .bind(obligation.to_string())
    .fetch_all(&mut *connection)
    .await?;
    let periods = rows
        .iter()
        .map(|row| Ok((rows::date(row, "starts_on")?, rows::date(row, "due_on")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    match covered_item(period.0, period.1, &periods) {
        Some(index) => Ok(Some(rows::parsed(&rows[index], "id")?)),
        None => Ok(None),
    }
}

/// Completes the open instance of `obligation` whose period `review` covers and returns its
/// id, or `None` when no open instance matches.
async fn complete_schedule_instance(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: UserId,
    obligation: ObligationId,
    review: &ActivityReview,
    today: Date,
) -> Result<Option<String>, StoreError> {
    let period = (review.period_from, review.period_to);
    let Some(instance) = covered_open_instance(connection, obligation, period).await? else {
        return Ok(None);
    };
    let instance_id = instance.to_string();
    let notes = format!(
        "Completed by signing activity review {} of {} to {}.",
        review.id, review.period_from, review.period_to
    );

    sqlx::query("UPDATE obligation_instances SET completed_at = $1, completed_on = $2, completed_by = $3, notes = $4 WHERE id = $5 AND completed_at IS NULL")
        .bind(now)
        .bind(today.to_string())
        .bind(actor.to_string())
        .bind(&notes)
        .bind(&instance_id)
        .execute(&mut *connection)
        .await?;
    append(
        connection,
        backend,
        now,
        &Actor::User(actor),
        Change {
            action: "calendar_item.completed",
            record_kind: "obligation_instance",
            record_id: instance_id.clone(),
            payload: json!({"completed_on": today.to_string(), "notes": notes, "evidence": []}),
        },
    )
    .await?;
    Ok(Some(instance_id))
}
