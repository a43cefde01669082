//! One review run: detect each file's format, stream it through its reader and the rules, and
//! build the report.
//!
//! Formats are detected for every file before any is read, so a file of unknown format stops
//! the run at once instead of after an hour of reading the others. A large EHR access log is
//! read on several threads ([`parallel`]); every other file is read in one pass.

mod parallel;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::readers::{Format, ReadError, ReadItem, ReaderOptions, detect_format_with, open_reader};
use crate::report::{Report, SourceSummary};
use crate::roster::Roster;
use crate::rules::{Reviewer, RuleConfig};
use parallel::Parallelism;

/// How many items pass between two progress updates.
const PROGRESS_EVERY: u64 = 8192;

/// One file to review.
#[derive(Clone, Debug)]
pub struct ReviewInput {
    /// The file.
    pub path: PathBuf,
    /// Its format, or `None` to detect it from the content.
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
    run_review_with(inputs, options, progress, Parallelism::for_this_machine())
}

fn run_review_with(
    inputs: &[ReviewInput],
    options: ReviewOptions,
    progress: &dyn Progress,
    parallelism: Parallelism,
) -> Result<Report, ReadError> {
    let mut formats = Vec::with_capacity(inputs.len());
    for input in inputs {
        let format = match input.format {
            Some(format) => format,
            None => detect_format_with(&input.path, &options.readers.ehr_mapping)?,
        };
        formats.push(format);
    }

    let mut reviewer = Reviewer::new(options.rules.clone(), options.practice_time_zone.clone(), options.roster.clone());
    let mut sources = Vec::with_capacity(inputs.len());
    for (index, (input, format)) in inputs.iter().zip(&formats).enumerate() {
        let summary = review_file(index, input, *format, &options, parallelism, &mut reviewer, progress)?;
        sources.push(summary);
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
        time_zone_name(&options.practice_time_zone),
        syslog_time_basis,
        options.from,
        options.to,
    ))
}

fn review_file(
    index: usize,
    input: &ReviewInput,
    format: Format,
    options: &ReviewOptions,
    parallelism: Parallelism,
    reviewer: &mut Reviewer,
    progress: &dyn Progress,
) -> Result<SourceSummary, ReadError> {
    let size = std::fs::metadata(&input.path).map_or(0, |m| m.len());
    progress.start_file(&input.path, size);
    if format == Format::EhrCsv && parallelism.splits(size) {
        let mut summary = SourceSummary::new(input.path.display().to_string(), format);
        parallel::review_ehr_file(index, &input.path, options, parallelism, reviewer, &mut summary, progress)?;
        progress.finish_file();
        return Ok(summary);
    }

    let counter = Arc::new(AtomicU64::new(0));
    let reader = open_reader(&input.path, format, &options.readers, counter.clone())?;
    let mut summary = SourceSummary::new(input.path.display().to_string(), format);

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
                reviewer.observe(index, &event);
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

            let expected = run_review_with(&inputs, options.clone(), &NoProgress, one_pass)?;

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
                let report = run_review_with(&inputs, options.clone(), &NoProgress, split)?;
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
            let report = run_review_with(&inputs, options(), &NoProgress, parallelism)?;

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
