//! Background jobs.
//!
//! Each job is a plain async function that does one unit of work and returns what it did, so
//! tests call it directly; [`run_forever`] schedules them. The calendar job is idempotent
//! (see the store's calendar module), so several server instances may run it at once. An
//! activity review runs in a task started when its logs are uploaded. While it runs, its
//! job stores a heartbeat. When the heartbeat stops because the server stopped,
//! [`requeue_stalled_activity_reviews`] queues the review to be read again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::SignedDuration;
use safeguard_domain::calendar::local_date;
use safeguard_domain::ids::ActivityReviewId;
use safeguard_review::finding::Severity;
use safeguard_review::readers::{Format, ReadError, ReaderOptions};
use safeguard_review::report::Report;
use safeguard_review::review::{Progress, ReviewInput, ReviewOptions, run_review};
use safeguard_review::rules::RuleConfig;
use safeguard_store::activity_reviews::{NewFinding, SourceResult};

use crate::AppState;
use crate::error::error_chain;

/// The interval at which a running review's job stores its heartbeat when reading reports no
/// progress, such as while a large file is hashed or the rules build the findings.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);

/// The age at which a running review's heartbeat counts as stalled. It is ten times [`HEARTBEAT_INTERVAL`], so a live job is not taken for a stopped one when a busy
/// database delays its writes (SQLite waits up to 10 seconds for its write lock). The margin
/// also covers instances whose clocks differ by a few seconds.
pub const STALE_HEARTBEAT: SignedDuration = SignedDuration::from_mins(5);

/// The maximum number of times one review is claimed. A review that stalls after its last attempt fails
/// instead of being queued again, because logs that stop the server every time (for example by
/// exhausting its memory) would otherwise restart that failure forever.
pub const MAX_REVIEW_ATTEMPTS: i64 = 3;

/// The result of one run of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The job did its work; the number is how many records it created.
    Completed(usize),
    /// There was nothing to do, for example before setup.
    Idle,
}

/// Creates the calendar instances of every period up to today in the practice's time zone.
pub async fn advance_calendar(state: &AppState) -> Result<Outcome, safeguard_store::StoreError> {
    let Some(practice) = state.store.practice().await? else {
        return Ok(Outcome::Idle);
    };
    let today = local_date(state.clock.now(), practice.profile.time_zone.zone());

    let created = state.store.advance_calendar(today).await?;
    Ok(Outcome::Completed(created))
}

/// Runs the jobs every `interval` until the process ends, logging failures and carrying on.
pub async fn run_forever(state: AppState, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        resume_activity_reviews(&state).await;
        match advance_calendar(&state).await {
            Ok(Outcome::Completed(created)) if created > 0 => tracing::info!(job = "advance_calendar", created, "calendar advanced"),
            Ok(_) => tracing::debug!(job = "advance_calendar", "nothing to advance"),
            Err(error) => {
                tracing::error!(job = "advance_calendar", error = %error_chain(&error), "job failed; retrying at the next interval")
            }
        }
    }
}

/// Queues stalled activity reviews again, then starts every queued review, such as one whose
/// upload task ended with the server before it started. Only queued reviews can be claimed, so
/// a review another task or server instance is running is left alone.
async fn resume_activity_reviews(state: &AppState) {
    if let Err(error) = requeue_stalled_activity_reviews(state).await {
        tracing::error!(job = "activity_review", error = %error_chain(&error), "queuing stalled activity reviews failed; retrying at the next interval");
    }
    let queued = match state.store.queued_activity_reviews().await {
        Ok(queued) => queued,
        Err(error) => {
            tracing::error!(job = "activity_review", error = %error_chain(&error), "listing queued activity reviews failed; retrying at the next interval");
            return;
        }
    };
    // Each review runs on its own task so that a long review does not delay the calendar job.
    for id in queued {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = run_activity_review(&state, id).await {
                tracing::error!(job = "activity_review", activity_review.id = %id, error = %error_chain(&error), "activity review job failed");
            }
        });
    }
}

/// Queues again every running review whose heartbeat is older than [`STALE_HEARTBEAT`], or
/// fails it after [`MAX_REVIEW_ATTEMPTS`] claims. The logs it read are still stored, so the
/// next job reads them from the start. Returns how many reviews changed.
pub async fn requeue_stalled_activity_reviews(state: &AppState) -> Result<Outcome, safeguard_store::StoreError> {
    let stalled = state
        .store
        .requeue_stalled_activity_reviews(STALE_HEARTBEAT, MAX_REVIEW_ATTEMPTS)
        .await?;
    for id in &stalled.requeued {
        tracing::warn!(job = "activity_review", activity_review.id = %id, "activity review stalled and was queued again");
    }
    for id in &stalled.failed {
        tracing::warn!(job = "activity_review", activity_review.id = %id, max_attempts = MAX_REVIEW_ATTEMPTS, "activity review stalled on its last attempt and failed");
    }

    let changed = stalled.requeued.len() + stalled.failed.len();
    Ok(if changed == 0 { Outcome::Idle } else { Outcome::Completed(changed) })
}

/// Runs the activity review `id`: claims it, reads its logs with the review engine on the
/// blocking pool, stores progress while reading, and stores the findings or the reason it
/// failed. Uploaded logs are read from the evidence files. Logs on the server are read in place
/// after checking them against the path and SHA-256 recorded when the review started. Returns
/// [`Outcome::Idle`] when another job claimed the review first.
pub async fn run_activity_review(state: &AppState, id: ActivityReviewId) -> Result<Outcome, safeguard_store::StoreError> {
    if !state.store.claim_activity_review(id).await? {
        return Ok(Outcome::Idle);
    }

    match review_logs(state, id).await {
        Ok((sources, findings, syslog_time_basis)) => {
            let count = findings.len();
            state
                .store
                .finish_activity_review(id, &sources, &findings, syslog_time_basis.as_deref())
                .await?;
            tracing::info!(job = "activity_review", activity_review.id = %id, findings = count, "activity review finished");
            Ok(Outcome::Completed(count))
        }
        Err(reason) => {
            // The reason names a format or a line number, never log content, but it stays out
            // of the log anyway because the review page shows it to the reviewer.
            tracing::warn!(job = "activity_review", activity_review.id = %id, "activity review failed");
            state.store.fail_activity_review(id, &reason).await?;
            Ok(Outcome::Completed(0))
        }
    }
}

/// What a finished review stores: one result per source, the findings and the syslog basis.
type ReviewResults = (Vec<SourceResult>, Vec<NewFinding>, Option<String>);

/// Reads a review's logs and converts the engine's report, or returns a message for the
/// reviewer saying why the logs could not be read.
async fn review_logs(state: &AppState, id: ActivityReviewId) -> Result<ReviewResults, String> {
    let review = state.store.activity_review(id).await.map_err(|error| error_chain(&error))?;
    let roster = crate::review_roster::load(&state.store)
        .await
        .map_err(|error| error_chain(&error))?;
    let zone = match state.store.practice().await.map_err(|error| error_chain(&error))? {
        Some(practice) => practice.profile.time_zone.zone().clone(),
        None => jiff::tz::TimeZone::UTC,
    };

    let format = match &review.format_override {
        Some(name) => Some(name.parse::<Format>().map_err(|error| error.to_string())?),
        None => None,
    };
    let files = state.files.clone();
    let roots = state.config.review_log_folders.clone();
    let sources = review.sources.clone();

    // The period runs from midnight of its first day to midnight after its last day, in the
    // practice's zone.
    let from = zone
        .to_timestamp(review.period_from.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|error| error.to_string())?;
    let to = zone
        .to_timestamp(
            review
                .period_to
                .saturating_add(jiff::Span::new().days(1))
                .to_datetime(jiff::civil::Time::midnight()),
        )
        .map_err(|error| error.to_string())?;
    // A review started before mappings were recorded has none and used the default mapping.
    let mut readers = ReaderOptions::new(review.period_from.year(), zone.clone());
    if let Some(mapping) = &review.ehr_mapping {
        readers.ehr_mapping = crate::ehr_mapping::column_mapping(mapping);
    }
    let mapping_advice = match &review.ehr_source {
        Some(source) => format!(
            "The mapping is that of EHR log source {:?} (version {}); correct its column names on the EHR log sources page, or start a new review with the source that fits this export.",
            source.name, source.version
        ),
        None => "The review used the default column mapping; start a new review and choose the EHR log source of this export.".to_owned(),
    };
    let options = ReviewOptions {
        readers,
        rules: RuleConfig::default(),
        practice_time_zone: zone,
        roster: (!roster.is_empty()).then_some(roster),
        from: Some(from),
        to: Some(to),
    };

    // The blocking reader reports bytes read through a watch channel, and this task writes the
    // latest value to the database, so a slow database never slows the reading down. Each write
    // also stores the heartbeat, and the timer writes it when reading reports no progress for a
    // while, so another instance never takes this live job for a stalled one.
    let (sender, mut receiver) = tokio::sync::watch::channel(0i64);
    let store = state.store.clone();
    let updater = tokio::spawn(async move {
        let mut heartbeat = tokio::time::interval(HEARTBEAT_INTERVAL);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick completes at once; claiming the review has just stored a heartbeat.
        heartbeat.tick().await;
        loop {
            tokio::select! {
                changed = receiver.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = heartbeat.tick() => {}
            }
            let done = *receiver.borrow_and_update();
            if let Err(error) = store.set_activity_review_progress(id, done).await {
                tracing::warn!(job = "activity_review", activity_review.id = %id, error = %error_chain(&error), "progress not stored");
            }
        }
    });

    let reading = tokio::task::spawn_blocking(move || -> Result<ReviewResults, String> {
        let mut inputs = Vec::with_capacity(sources.len());
        let mut names = std::collections::HashMap::new();
        for source in &sources {
            let path = match &source.server_path {
                Some(server_path) => crate::log_folders::verified_server_file(&roots, server_path, &source.sha256)?,
                None => files.verified_path(&source.sha256).map_err(|error| error_chain(&error))?,
            };
            names.insert(path.display().to_string(), source.file_name.clone());
            inputs.push(ReviewInput { path, format });
        }
        let progress = ChannelProgress {
            sender,
            finished_bytes: AtomicU64::new(0),
            current_size: AtomicU64::new(0),
        };
        let report = run_review(&inputs, options, &progress).map_err(|error| {
            // The engine names each file by the path it read, which the message replaces with the file name.
            let mut message = error.to_string();
            for (path, name) in &names {
                message = message.replace(path, name);
            }
            if matches!(error, ReadError::MissingEhrColumn { .. }) {
                message = format!("{message}. {mapping_advice}");
            }
            message
        })?;

        // A file read in place may have changed while the engine read it, and then the record
        // would not say what was read. Uploads are evidence files that nothing rewrites.
        for source in &sources {
            if let Some(server_path) = &source.server_path {
                crate::log_folders::verified_server_file(&roots, server_path, &source.sha256)?;
            }
        }
        Ok(convert_report(report, &names, sources.len()))
    });
    let result = reading.await.map_err(|error| format!("the review task failed: {error}"))?;
    let _ = updater.await;
    result
}

/// Passes the engine's progress to the database updater as bytes read over all files.
struct ChannelProgress {
    sender: tokio::sync::watch::Sender<i64>,
    finished_bytes: AtomicU64,
    current_size: AtomicU64,
}

impl Progress for ChannelProgress {
    fn start_file(&self, _path: &std::path::Path, bytes: u64) {
        self.current_size.store(bytes, Ordering::Relaxed);
    }

    fn advance(&self, bytes: u64) {
        let total = self.finished_bytes.load(Ordering::Relaxed).saturating_add(bytes);
        self.sender.send_replace(i64::try_from(total).unwrap_or(i64::MAX));
    }

    fn finish_file(&self) {
        let size = self.current_size.swap(0, Ordering::Relaxed);
        let total = self.finished_bytes.fetch_add(size, Ordering::Relaxed).saturating_add(size);
        self.sender.send_replace(i64::try_from(total).unwrap_or(i64::MAX));
    }
}

/// Converts the engine's report into what the store keeps, naming files by their file name.
/// `inputs` is the number of stored files. An uploaded archive is one stored file but one
/// engine source per file inside it, so the counts are added up per stored file.
fn convert_report(report: Report, names: &std::collections::HashMap<String, String>, inputs: usize) -> ReviewResults {
    let file_name = |path: &str| {
        if let Some(name) = names.get(path) {
            return name.clone();
        }
        // A file inside an archive is named `ARCHIVE!ENTRY` after the stored archive's path.
        match path.split_once('!') {
            Some((archive, entry)) if names.contains_key(archive) => format!("{}!{entry}", names[archive]),
            _ => path.to_owned(),
        }
    };

    let mut sources: Vec<SourceResult> = (0..inputs)
        .map(|_| SourceResult {
            format: String::new(),
            events: 0,
            unreadable: 0,
        })
        .collect();
    for source in &report.sources {
        let Some(result) = sources.get_mut(source.input) else {
            continue;
        };
        let name = source.format.name();
        if !result.format.split(", ").any(|known| known == name) {
            if !result.format.is_empty() {
                result.format.push_str(", ");
            }
            result.format.push_str(name);
        }
        result.events = result.events.saturating_add(i64::try_from(source.events).unwrap_or(i64::MAX));
        result.unreadable = result
            .unreadable
            .saturating_add(i64::try_from(source.unreadable).unwrap_or(i64::MAX));
    }

    let findings = report
        .findings
        .into_iter()
        .map(|finding| {
            let mut evidence: Vec<String> = finding
                .evidence
                .iter()
                .map(|item| format!("{}, {}", file_name(&item.file), item.at))
                .collect();
            let listed = evidence.len() as u64;
            if finding.evidence_total > listed {
                evidence.push(format!("and {} more", finding.evidence_total - listed));
            }
            NewFinding {
                rule: finding.rule.id().to_owned(),
                severity: severity_code(finding.severity).to_owned(),
                account: finding.account,
                person: finding.person,
                client: finding.client,
                first_seen: finding.first_seen,
                last_seen: finding.last_seen,
                count: i64::try_from(finding.count).unwrap_or(i64::MAX),
                evidence,
                explanation: finding.explanation,
            }
        })
        .collect();
    (sources, findings, report.syslog_time_basis)
}

fn severity_code(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

#[cfg(test)]
mod tests {
    use safeguard_review::readers::Format;
    use safeguard_review::report::SourceSummary;

    use super::*;

    fn summary(path: &str, input: usize, format: Format, events: u64) -> SourceSummary {
        let mut source = SourceSummary::new(path.to_owned(), format);
        source.input = input;
        source.events = events;
        source
    }

    #[test]
    fn archive_counts_add_up_per_upload() {
        let sources = vec![
            summary("/evidence/aa!auth.log", 0, Format::Syslog, 3),
            summary("/evidence/aa!security.json", 0, Format::WindowsJson, 4),
            summary("/evidence/aa!more.log", 0, Format::Syslog, 5),
            summary("/evidence/bb", 1, Format::EhrCsv, 7),
        ];
        let report = Report::new(sources, Vec::new(), jiff::tz::TimeZone::UTC, None, None, None);
        let names = std::collections::HashMap::from([
            ("/evidence/aa".to_owned(), "logs.zip".to_owned()),
            ("/evidence/bb".to_owned(), "ehr.csv".to_owned()),
        ]);

        let (results, _, _) = convert_report(report, &names, 2);

        assert_eq!(results.len(), 2);
        assert_eq!(results[0].events, 12);
        assert_eq!(results[0].format, "syslog, windows-json");
        assert_eq!(results[1].events, 7);
        assert_eq!(results[1].format, "ehr-csv");
    }
}
