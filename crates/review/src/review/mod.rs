//! One review run: detect each file's format, stream it through its reader and the rules, and
//! build the report.
//!
//! Formats are detected for every file before any is read, so a file of unknown format stops
//! the run at once instead of after an hour of reading the others. A zip archive is opened and
//! each file inside becomes its own source ([`archive`]). A large EHR access log is read on
//! several threads ([`parallel`]); every other file is read in one pass.

mod archive;
mod parallel;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::readers::{Format, ReadError, ReadItem, ReaderOptions, detect_format_with, open_reader};
use crate::report::{Report, SourceSummary};
use crate::roster::Roster;
use crate::rules::{Reviewer, RuleConfig};
use archive::{ArchiveBudget, ArchiveEntry, ArchiveLimits};
pub use archive::{MAX_ARCHIVE_BYTES, MAX_ARCHIVE_ENTRIES};
use parallel::Parallelism;

/// How many items pass between two progress updates.
const PROGRESS_EVERY: u64 = 8192;

/// One file to review. A zip archive is recognized by its content, and each file inside it is
/// reviewed as its own source.
#[derive(Clone, Debug)]
pub struct ReviewInput {
    /// The file.
    pub path: PathBuf,
    /// Its format, or the format of every file inside a zip archive, or `None` to detect it
    /// from the content.
    pub format: Option<Format>,
}

/// Everything a review needs besides the files.
#[derive(Clone, Debug)]
pub struct ReviewOptions {
    /// Reader settings (syslog year and zone, EHR column mapping).
    pub readers: ReaderOptions,
    /// Rule thresholds.
    pub rules: RuleConfig,
    /// The practice's time zone, for office hours and dates in explanations.
    pub practice_time_zone: TimeZone,
    /// The workforce roster, when one is available.
    pub roster: Option<Roster>,
    /// Events before this instant are left out.
    pub from: Option<Timestamp>,
    /// Events at or after this instant are left out.
    pub to: Option<Timestamp>,
}

impl ReviewOptions {
    /// Returns whether an event at `time` falls within the period under review.
    fn includes(&self, time: Timestamp) -> bool {
        let before = self.from.is_some_and(|from| time < from);
        let after = self.to.is_some_and(|to| time >= to);
        !before && !after
    }
}

/// Receives progress while files are read. Every method has an empty default.
///
/// A file inside a zip archive is started under its source name, `ARCHIVE!ENTRY`, with its
/// compressed size, and advances in proportion to the uncompressed bytes read. The sizes of
/// the files of one archive then add up to about the archive's size on disk.
pub trait Progress {
    /// Starts a file of `bytes` bytes.
    fn start_file(&self, _path: &std::path::Path, _bytes: u64) {}
    /// `bytes` of the current file have been read so far.
    fn advance(&self, _bytes: u64) {}
    /// Ends the current file.
    fn finish_file(&self) {}
}

/// A progress receiver that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {}

/// Returns the name of a time zone for people to read.
pub fn time_zone_name(time_zone: &TimeZone) -> String {
    time_zone.iana_name().unwrap_or("the system time zone").to_owned()
}

/// Reviews the files and returns the report. Fails on the first file that cannot be opened,
/// detected or read; unreadable lines inside a file are listed in the report instead.
pub fn run_review(inputs: &[ReviewInput], options: ReviewOptions, progress: &dyn Progress) -> Result<Report, ReadError> {
    run_review_with(inputs, options, progress, Parallelism::for_this_machine(), ArchiveLimits::default())
}

/// The kind of one input: a log file of one format, or a zip archive of entries.
enum InputPlan {
    File(Format),
    Archive(Vec<ArchiveEntry>),
}

fn run_review_with(
    inputs: &[ReviewInput],
    options: ReviewOptions,
    progress: &dyn Progress,
    parallelism: Parallelism,
    limits: ArchiveLimits,
) -> Result<Report, ReadError> {
    let mut plans = Vec::with_capacity(inputs.len());
    let mut formats = Vec::new();
    for input in inputs {
        let plan = if archive::is_zip(&input.path)? {
            let entries = archive::list_entries(&input.path, input.format, &options.readers.ehr_mapping, limits)?;
            formats.extend(entries.iter().map(|entry| entry.format));
            InputPlan::Archive(entries)
        } else {
            let format = match input.format {
                Some(format) => format,
                None => detect_format_with(&input.path, &options.readers.ehr_mapping)?,
            };
            formats.push(format);
            InputPlan::File(format)
        };
        plans.push(plan);
    }

    let mut reviewer = Reviewer::new(options.rules.clone(), options.practice_time_zone.clone(), options.roster.clone());
    let mut sources = Vec::with_capacity(formats.len());
    for (input_index, (input, plan)) in inputs.iter().zip(&plans).enumerate() {
        let first_source = sources.len();
        match plan {
            InputPlan::File(format) => {
                let file = FileToRead {
                    path: &input.path,
                    name: &input.path,
                    format: *format,
                };
                let summary = review_file(sources.len(), &file, &options, parallelism, &mut reviewer, progress)?;
                sources.push(summary);
            }
            InputPlan::Archive(entries) => {
                let mut budget = ArchiveBudget::new(limits);
                for entry in entries {
                    let summary = review_entry(
                        sources.len(),
                        &input.path,
                        entry,
                        &mut budget,
                        &options,
                        parallelism,
                        &mut reviewer,
                        progress,
                    )?;
                    sources.push(summary);
                }
            }
        }
        for summary in &mut sources[first_source..] {
            summary.input = input_index;
        }
    }

    let syslog_time_basis = formats.iter().any(|format| format.uses_syslog_time()).then(|| {
        format!(
            "Syslog lines carry no year or time zone; they were read as starting in {} and as local time in {}.",
            options.readers.syslog_time.year,
            time_zone_name(&options.readers.syslog_time.time_zone)
        )
    });
    let findings = reviewer.finish();
    Ok(Report::new(
        sources,
        findings,
        options.practice_time_zone.clone(),
        syslog_time_basis,
        options.from,
        options.to,
    ))
}

/// A file on disk to read, and the name its source has in the report.
struct FileToRead<'a> {
    path: &'a Path,
    name: &'a Path,
    format: Format,
}

/// Extracts one archive entry to a temporary file and reviews it as source number `source`.
#[allow(clippy::too_many_arguments)]
fn review_entry(
    source: usize,
    archive_path: &Path,
    entry: &ArchiveEntry,
    budget: &mut ArchiveBudget,
    options: &ReviewOptions,
    parallelism: Parallelism,
    reviewer: &mut Reviewer,
    progress: &dyn Progress,
) -> Result<SourceSummary, ReadError> {
    let (temporary, size) = archive::extract(archive_path, entry, budget)?;
    let file = FileToRead {
        path: temporary.path(),
        name: &entry.source_name,
        format: entry.format,
    };
    let scaled = ScaledProgress {
        inner: progress,
        numerator: entry.compressed_size,
        denominator: size,
    };
    review_file(source, &file, options, parallelism, reviewer, &scaled).map_err(|error| error.with_path(&entry.source_name))
}

/// Passes progress on with byte counts scaled by `numerator / denominator`.
struct ScaledProgress<'a> {
    inner: &'a dyn Progress,
    numerator: u64,
    denominator: u64,
}

impl ScaledProgress<'_> {
    fn scale(&self, bytes: u64) -> u64 {
        if self.denominator == 0 {
            return 0;
        }
        let scaled = u128::from(bytes) * u128::from(self.numerator) / u128::from(self.denominator);
        u64::try_from(scaled).unwrap_or(u64::MAX)
    }
}

impl Progress for ScaledProgress<'_> {
    fn start_file(&self, path: &Path, bytes: u64) {
        self.inner.start_file(path, self.scale(bytes));
    }

    fn advance(&self, bytes: u64) {
        self.inner.advance(self.scale(bytes));
    }

    fn finish_file(&self) {
        self.inner.finish_file();
    }
}

fn review_file(
    source: usize,
    file: &FileToRead<'_>,
    options: &ReviewOptions,
    parallelism: Parallelism,
    reviewer: &mut Reviewer,
    progress: &dyn Progress,
) -> Result<SourceSummary, ReadError> {
    let format = file.format;
    let size = std::fs::metadata(file.path).map_or(0, |m| m.len());
    progress.start_file(file.name, size);
    let mut summary = SourceSummary::new(file.name.display().to_string(), format);
    if format == Format::EhrCsv && parallelism.splits(size) {
        parallel::review_ehr_file(source, file.path, options, parallelism, reviewer, &mut summary, progress)?;
        progress.finish_file();
        return Ok(summary);
    }

    let counter = Arc::new(AtomicU64::new(0));
    let reader = open_reader(file.path, format, &options.readers, counter.clone())?;

    // NOTE: reading on a second thread was tried and measured slower here: events allocated on
    // one thread and freed on another cost more CPU than the overlap saved on two cores.
    let mut items = 0u64;
    for item in reader {
        items += 1;
        if items.is_multiple_of(PROGRESS_EVERY) {
            progress.advance(counter.load(Ordering::Relaxed));
        }
        match item? {
            ReadItem::Event(event) => {
                if !options.includes(event.time) {
                    summary.outside_period += 1;
                    continue;
                }
                summary.events += 1;
                reviewer.observe(source, &event);
            }
            ReadItem::Unreadable(unreadable) => summary.add_unreadable(unreadable),
        }
    }

    progress.advance(counter.load(Ordering::Relaxed));
    progress.finish_file();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ReviewOptions {
        ReviewOptions {
            readers: ReaderOptions::new(2024, TimeZone::UTC),
            rules: RuleConfig::default(),
            practice_time_zone: TimeZone::UTC,
            roster: None,
            from: "2024-03-02T00:00:00Z".parse().ok(),
            to: "2024-03-03T00:00:00Z".parse().ok(),
        }
    }

    #[test]
    fn period_filter_and_sources() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let syslog = dir.path().join("auth.log");
        std::fs::write(
            &syslog,
            "Mar  1 23:00:00 h sshd[1]: Accepted password for a from 1.1.1.1 port 1 ssh2\n\
             Mar  2 23:00:00 h sshd[1]: Accepted password for a from 1.1.1.1 port 1 ssh2\n\
             not syslog\n",
        )?;
        let ehr = dir.path().join("ehr.csv");
        std::fs::write(&ehr, "time,user,patient\n2024-03-02T10:00:00Z,b,MRN1\n")?;
        let inputs = [
            ReviewInput {
                path: syslog,
                format: None,
            },
            ReviewInput { path: ehr, format: None },
        ];

        let report = run_review(&inputs, options(), &NoProgress)?;

        assert_eq!(report.sources[0].format, Format::Syslog);
        assert_eq!(report.sources[0].events, 1);
        assert_eq!(report.sources[0].outside_period, 1);
        assert_eq!(report.sources[0].unreadable, 1);
        assert_eq!(report.sources[1].format, Format::EhrCsv);
        assert_eq!(report.sources[1].events, 1);
        // 2024-03-02 is a Saturday, so both accounts were active outside office hours.
        assert_eq!(report.findings.len(), 2);
        assert!(report.findings.iter().all(|f| f.rule.id() == "off_hours_activity"));
        assert!(report.syslog_time_basis.is_some());
        Ok(())
    }

    /// Writes an EHR access log with everything the parallel path must get right: office-hours
    /// and late rows, failed sign-in bursts, break-glass rows, quoted fields with line feeds
    /// and commas, unreadable rows and rows outside the period.
    fn write_mixed_ehr_log(path: &std::path::Path, line_end: &str) -> std::io::Result<()> {
        let mut text = String::from("time,user,patient,action,workstation,outcome,emergency,reviewed,note\n");
        let mut state = 12345u64;
        let mut next = |bound: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % bound
        };
        for row in 0..6000u64 {
            let day = 1 + row / 1000;
            let hour = 6 + (row % 1000) * 14 / 1000;
            let time = format!("2024-03-{day:02}T{hour:02}:{:02}:{:02}Z", next(60), next(60));
            let user = format!("{}user{}", if next(7) == 0 { "U" } else { "u" }, next(12));
            let note = match next(10) {
                0 => "\"line one\nline two\"",
                1 => "\"a, b and \"\"c\"\"\"",
                _ => "",
            };
            match next(50) {
                0 => text.push_str(&format!("not a time,{user},MRN1,view,WS1,success,0,0,\n")),
                1..=3 => text.push_str(&format!("{time},{user},,login,WS{},failure,0,0,{note}\n", next(3))),
                4 => text.push_str(&format!("{time},{user},MRN{},view,WS1,success,1,{},\n", next(900), next(2))),
                _ => {
                    // user11 opens records across the whole practice; the others keep to a panel.
                    let patients = if user.ends_with("user11") { 5000 } else { 60 };
                    let patient = next(patients);
                    text.push_str(&format!("{time},{user},MRN{patient},view,WS{},success,0,0,{note}\n", next(9)));
                }
            }
            if next(200) == 0 {
                text.push('\n');
            }
            if row == 4321 {
                for k in 0..8 {
                    text.push_str(&format!("2024-03-05T03:00:{k:02}Z,user3,,login,WS7,failure,0,0,\n"));
                }
            }
        }
        std::fs::write(path, text.replace('\n', line_end))
    }

    #[test]
    fn parallel_ehr_review_equals_one_pass() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut options = options();
        options.from = "2024-03-02T00:00:00Z".parse().ok();
        options.to = "2024-03-06T00:00:00Z".parse().ok();
        let one_pass = Parallelism {
            workers: 1,
            min_file_bytes: 0,
            block_bytes: 1 << 20,
        };

        for (name, line_end) in [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")] {
            let path = dir.path().join(format!("ehr-{name}.csv"));
            write_mixed_ehr_log(&path, line_end)?;
            let inputs = [ReviewInput { path, format: None }];

            let expected = run_review_with(&inputs, options.clone(), &NoProgress, one_pass, ArchiveLimits::default())?;

            assert!(
                expected.sources[0].unreadable > 0,
                "{name}: the fixture should have unreadable rows"
            );
            assert!(
                expected.sources[0].outside_period > 0,
                "{name}: the fixture should have rows outside the period"
            );
            let rules: std::collections::BTreeSet<&str> = expected.findings.iter().map(|f| f.rule.id()).collect();
            for rule in [
                "off_hours_activity",
                "failed_login_burst_account",
                "break_glass_without_review",
                "patient_volume_outlier",
            ] {
                assert!(rules.contains(rule), "{name}: the fixture should trigger {rule}");
            }
            for (workers, block_bytes) in [(2, 4096), (3, 1000), (4, 64 << 10)] {
                let split = Parallelism {
                    workers,
                    min_file_bytes: 0,
                    block_bytes,
                };
                let report = run_review_with(&inputs, options.clone(), &NoProgress, split, ArchiveLimits::default())?;
                assert_eq!(report, expected, "{name}: {workers} workers, blocks of {block_bytes} bytes");
            }
        }
        Ok(())
    }

    /// Line numbers count `\r\n`, `\n` and a lone `\r` as one line break each, and count
    /// blank lines, as a text editor shows them.
    #[test]
    fn ehr_line_numbers_match_an_editor() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ehr.csv");
        std::fs::write(
            &path,
            "time,user,patient\r\n\r\nbad,a,1\r\n2024-03-02T10:00:00Z,b,2\n\nbad,c,3\rbad,d,4\n",
        )?;
        let inputs = [ReviewInput { path, format: None }];
        let split = Parallelism {
            workers: 2,
            min_file_bytes: 0,
            block_bytes: 8,
        };

        for parallelism in [Parallelism::for_this_machine(), split] {
            let report = run_review_with(&inputs, options(), &NoProgress, parallelism, ArchiveLimits::default())?;

            let lines: Vec<String> = report.sources[0].unreadable_entries.iter().map(|u| u.locator.to_string()).collect();
            assert_eq!(lines, ["line 3", "line 6", "line 7"]);
        }
        Ok(())
    }

    #[test]
    fn unknown_format_stops_before_reading() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let notes = dir.path().join("notes.txt");
        std::fs::write(&notes, "hello\n")?;

        let result = run_review(&[ReviewInput { path: notes, format: None }], options(), &NoProgress);

        assert!(matches!(result, Err(ReadError::UnknownFormat { .. })));
        Ok(())
    }
}
