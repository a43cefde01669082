//! `safeguard review`: the activity review from the command line, without a server.
//!
//! The command reads log files, optionally maps accounts to people through the workforce
//! roster, and prints a summary or writes a JSON, CSV or HTML report. It exits non-zero only
//! when it cannot do its work (a missing file, an unknown format, a bad option). Findings are
//! the normal result of a review and do not change the exit code.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use safeguard_domain::clock::{Clock, SystemClock};
use safeguard_review::readers::{EhrColumnMapping, Format, ReaderOptions};
use safeguard_review::review::{Progress, ReviewInput, ReviewOptions, run_review};
use safeguard_review::roster::{Person, Roster, RosterAccount};
use safeguard_review::rules::RuleConfig;

/// Files below this size are read without a progress bar.
const PROGRESS_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// Arguments of `safeguard review`.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// Log files to review (syslog, loghub structured CSV of syslog, EVTX, Windows JSON, FHIR
    /// AuditEvent, EHR CSV, Entra ID, Google Workspace), or zip archives of them. Each file in
    /// an archive is reviewed as its own source.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Format of every file, and of every file in a zip archive, instead of detecting it from
    /// the content. One of: syslog,
    /// loghub-csv, evtx, windows-json, fhir-json, fhir-ndjson, fhir-xml, ehr-csv, entra-csv,
    /// entra-json, google-login.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Workforce roster CSV (name,job_title,practice_role,start_date,end_date,status,accounts),
    /// to map accounts to people and find departed or unknown accounts.
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    pub roster: Option<PathBuf>,

    /// Read the workforce roster from this Safeguard database instead of a CSV file.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,

    /// Start of the review period, included: a date such as 2024-03-01 (from midnight at its
    /// start in --time-zone) or an RFC 3339 instant such as 2024-03-01T08:00:00Z.
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,

    /// End of the review period: a date such as 2024-03-31 is the last day reviewed, up to
    /// midnight at its end in --time-zone, as in the web form. An RFC 3339 instant such as
    /// 2024-04-01T00:00:00Z is the first moment not reviewed.
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,

    /// Year of the first line of syslog files, which carry no year. Default: the current year.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i16>,

    /// IANA time zone of the practice, used for office hours and for syslog times without a
    /// zone. Default: the system time zone.
    #[arg(long, value_name = "TZ")]
    pub time_zone: Option<String>,

    /// Rule thresholds as a JSON file; fields left out keep their defaults.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// EHR access-log column mapping as a JSON file. Format detection also recognizes EHR
    /// access logs by the columns it names.
    #[arg(long, value_name = "FILE")]
    pub ehr_mapping: Option<PathBuf>,

    /// Write the report here; the extension (.json, .csv or .html) picks the format. Without
    /// it, a summary is printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Source of the workforce roster.
enum RosterSource {
    None,
    Csv(PathBuf),
    Database(String),
}

/// Runs `safeguard review`, loading a `--database-url` roster with `load_database_roster`.
pub fn run_with_database_roster(
    args: ReviewArgs,
    load_database_roster: impl FnOnce(&str) -> anyhow::Result<Roster>,
) -> anyhow::Result<ExitCode> {
    let time_zone = match &args.time_zone {
        Some(name) => {
            TimeZone::get(name).with_context(|| format!("unknown time zone {name:?}; use an IANA name such as America/Chicago"))?
        }
        None => TimeZone::system(),
    };
    let year = match args.year {
        Some(year) => year,
        None => SystemClock.now().to_zoned_datetime(time_zone.clone()).year(),
    };

    let source = match (&args.roster, &args.database_url) {
        (Some(path), _) => RosterSource::Csv(path.clone()),
        (None, Some(url)) => RosterSource::Database(url.clone()),
        (None, None) => RosterSource::None,
    };
    let roster = match source {
        RosterSource::None => None,
        RosterSource::Csv(path) => Some(load_roster_csv(&path)?),
        RosterSource::Database(url) => Some(load_database_roster(&url)?),
    };

    let mut readers = ReaderOptions::new(year, time_zone.clone());
    if let Some(path) = &args.ehr_mapping {
        readers.ehr_mapping = read_json::<EhrColumnMapping>(path, "EHR column mapping")?;
    }
    let rules = match &args.rules {
        Some(path) => read_json::<RuleConfig>(path, "rule configuration")?,
        None => RuleConfig::default(),
    };
    let from = args.from.as_deref().map(|text| parse_from(text, &time_zone)).transpose()?;
    let to = args.to.as_deref().map(|text| parse_to(text, &time_zone)).transpose()?;
    if let (Some(from_text), Some(to_text), Some(from), Some(to)) = (&args.from, &args.to, from, to) {
        check_period(from_text, to_text, from, to)?;
    }
    let options = ReviewOptions {
        readers,
        rules,
        practice_time_zone: time_zone.clone(),
        roster,
        from,
        to,
    };

    let inputs: Vec<ReviewInput> = args
        .files
        .iter()
        .map(|path| ReviewInput {
            path: path.clone(),
            format: args.format,
        })
        .collect();
    let progress = BarProgress::default();
    let report = run_review(&inputs, options, &progress).context("review failed")?;

    match &args.out {
        None => print!("{}", report.to_text()),
        Some(path) => {
            let bytes = match extension(path).as_deref() {
                Some("json") => report.to_json().context("failed to render the JSON report")?.into_bytes(),
                Some("csv") => report.to_csv().context("failed to render the CSV report")?,
                Some("html" | "htm") => report.to_html().into_bytes(),
                _ => bail!("--out {}: use a .json, .csv or .html file name", path.display()),
            };
            let mut file = File::create(path).with_context(|| format!("failed to create {}", path.display()))?;
            file.write_all(&bytes)
                .with_context(|| format!("failed to write {}", path.display()))?;
            eprintln!("{} finding(s); report written to {}", report.findings.len(), path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let file = File::open(path).with_context(|| format!("failed to open the {what} {}", path.display()))?;
    serde_json::from_reader(BufReader::new(file)).with_context(|| format!("invalid {what} in {}", path.display()))
}

/// A `--from` or `--to` value: an exact instant, or a date read in the practice zone.
enum Bound {
    Instant(Timestamp),
    Date(jiff::civil::Date),
}

fn parse_bound(text: &str, flag: &str) -> anyhow::Result<Bound> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(Bound::Instant(instant));
    }
    let date = text
        .parse()
        .with_context(|| format!("invalid {flag} {text:?}: use an RFC 3339 instant (2024-03-01T08:00:00Z) or a date (2024-03-01)"))?;
    Ok(Bound::Date(date))
}

/// Returns the first instant of `date` in `time_zone`.
fn start_of_day(date: jiff::civil::Date, time_zone: &TimeZone, flag: &str, text: &str) -> anyhow::Result<Timestamp> {
    time_zone
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .with_context(|| format!("invalid {flag} {text:?}: the date is outside the supported range"))
}

/// Parses `--from`, the first instant reviewed: an RFC 3339 instant, or midnight at the start of
/// a date in the practice zone.
fn parse_from(text: &str, time_zone: &TimeZone) -> anyhow::Result<Timestamp> {
    match parse_bound(text, "--from")? {
        Bound::Instant(instant) => Ok(instant),
        Bound::Date(date) => start_of_day(date, time_zone, "--from", text),
    }
}

/// Parses `--to` into the first instant not reviewed: an RFC 3339 instant as given, or for a
/// date, midnight at the end of that day in the practice zone, so that the day is reviewed.
fn parse_to(text: &str, time_zone: &TimeZone) -> anyhow::Result<Timestamp> {
    match parse_bound(text, "--to")? {
        Bound::Instant(instant) => Ok(instant),
        Bound::Date(date) => {
            let next_day = date
                .tomorrow()
                .with_context(|| format!("invalid --to {text:?}: the date is outside the supported range"))?;
            start_of_day(next_day, time_zone, "--to", text)
        }
    }
}

/// Rejects a period that ends before it starts or that contains no instant, because every event
/// would then be counted as outside it.
fn check_period(from_text: &str, to_text: &str, from: Timestamp, to: Timestamp) -> anyhow::Result<()> {
    if to < from {
        bail!("invalid period: --to {to_text:?} is before --from {from_text:?}; swap the two values");
    }
    if to == from {
        bail!("invalid period: --from {from_text:?} and --to {to_text:?} leave no time to review; set --to later than --from");
    }
    Ok(())
}

/// Reads the roster CSV through the workforce parser and converts it to the engine's roster.
fn load_roster_csv(path: &Path) -> anyhow::Result<Roster> {
    let file = File::open(path).with_context(|| format!("failed to open the roster {}", path.display()))?;
    let rows = safeguard_domain::workforce::parse_roster_csv(BufReader::new(file))
        .with_context(|| format!("invalid roster {}", path.display()))?;
    let people = rows
        .into_iter()
        .map(|row| Person {
            name: row.person.name.as_str().to_owned(),
            practice_role: row.person.practice_role.as_str().to_owned(),
            start_date: row.person.start_date,
            end_date: row.person.end_date,
            status: row.person.status,
            accounts: row
                .accounts
                .into_iter()
                .map(|account| RosterAccount {
                    system: account.system.as_str().to_owned(),
                    identifier: account.identifier.as_str().to_owned(),
                })
                .collect(),
        })
        .collect();
    Ok(Roster::new(people))
}

/// A progress bar on standard error for files large enough to need one.
#[derive(Default)]
struct BarProgress {
    bar: std::cell::RefCell<Option<ProgressBar>>,
}

impl Progress for BarProgress {
    fn start_file(&self, path: &Path, bytes: u64) {
        if bytes < PROGRESS_MIN_BYTES {
            return;
        }
        let bar = ProgressBar::new(bytes);
        let style =
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})").unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        *self.bar.borrow_mut() = Some(bar);
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.set_position(bytes);
        }
    }

    fn finish_file(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(files: Vec<PathBuf>) -> ReviewArgs {
        ReviewArgs {
            files,
            format: None,
            roster: None,
            database_url: None,
            from: None,
            to: None,
            year: Some(2024),
            time_zone: Some("UTC".into()),
            rules: None,
            ehr_mapping: None,
            out: None,
        }
    }

    fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
        run_with_database_roster(args, |_| bail!("no database in these tests"))
    }

    #[test]
    fn review_writes_json_report_with_roster() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("auth.log");
        std::fs::write(
            &log,
            "Mar  2 23:00:01 ws sshd[1]: Accepted password for mlopez from 10.0.0.7 port 22 ssh2\n\
             Mar  2 23:00:02 ws sshd[2]: Accepted password for ghost from 10.0.0.8 port 22 ssh2\n",
        )?;
        let roster = dir.path().join("roster.csv");
        std::fs::write(
            &roster,
            "name,job_title,practice_role,start_date,end_date,status,accounts\n\
             Maria Lopez,Biller,biller,2020-01-01,2024-02-01,terminated,Linux=mlopez\n",
        )?;
        let out = dir.path().join("report.json");
        let mut review = args(vec![log]);
        review.roster = Some(roster);
        review.out = Some(out.clone());

        let code = run(review)?;

        assert_eq!(code, ExitCode::SUCCESS);
        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out)?)?;
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .map(|f| f.iter().filter_map(|f| f["rule"].as_str()).collect())
            .unwrap_or_default();
        assert!(rules.contains(&"departed_account_activity"), "{rules:?}");
        assert!(rules.contains(&"unknown_account_activity"), "{rules:?}");
        assert_eq!(report["sources"][0]["events"], 2);
        Ok(())
    }

    #[test]
    fn database_roster_loader_gets_url() {
        let dir = tempfile::tempdir().ok();
        let log = dir.as_ref().map(|d| d.path().join("auth.log")).unwrap_or_default();
        let _ = std::fs::write(
            &log,
            "Mar  2 23:00:01 ws sshd[1]: Accepted password for a from 1.1.1.1 port 22 ssh2\n",
        );
        let mut review = args(vec![log]);
        review.database_url = Some("sqlite://x.db".into());

        let error = run_with_database_roster(review, |url| bail!("loader called with {url}"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();

        assert_eq!(error, "loader called with sqlite://x.db");
    }

    #[test]
    fn to_date_includes_that_day() -> anyhow::Result<()> {
        let zone = TimeZone::get("America/New_York")?;

        let to = parse_to("2026-11-30", &zone)?;

        assert_eq!(to, "2026-12-01T05:00:00Z".parse::<Timestamp>()?);
        Ok(())
    }

    #[test]
    fn to_instant_is_first_moment_left_out() -> anyhow::Result<()> {
        let to = parse_to("2026-11-30T12:00:00Z", &TimeZone::UTC)?;

        assert_eq!(to, "2026-11-30T12:00:00Z".parse::<Timestamp>()?);
        Ok(())
    }

    #[test]
    fn from_date_starts_at_midnight() -> anyhow::Result<()> {
        let zone = TimeZone::get("America/New_York")?;

        let from = parse_from("2026-11-01", &zone)?;

        assert_eq!(from, "2026-11-01T04:00:00Z".parse::<Timestamp>()?);
        Ok(())
    }

    #[test]
    fn same_from_and_to_date_is_one_day() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("auth.log");
        std::fs::write(
            &log,
            "Nov 29 23:59:59 ws sshd[1]: Accepted password for a from 10.0.0.7 port 22 ssh2\n\
             Nov 30 12:00:00 ws sshd[2]: Accepted password for a from 10.0.0.7 port 22 ssh2\n\
             Nov 30 23:59:59 ws sshd[3]: Accepted password for a from 10.0.0.7 port 22 ssh2\n\
             Dec  1 00:00:00 ws sshd[4]: Accepted password for a from 10.0.0.7 port 22 ssh2\n",
        )?;
        let out = dir.path().join("report.json");
        let mut review = args(vec![log]);
        review.year = Some(2026);
        review.from = Some("2026-11-30".into());
        review.to = Some("2026-11-30".into());
        review.out = Some(out.clone());

        run(review)?;

        let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out)?)?;
        assert_eq!(report["sources"][0]["events"], 2);
        assert_eq!(report["sources"][0]["outside_period"], 2);
        Ok(())
    }

    #[test]
    fn reversed_period_is_rejected() {
        let mut review = args(vec![PathBuf::from("auth.log")]);
        review.from = Some("2026-11-30".into());
        review.to = Some("2026-11-01".into());

        let error = run(review).err().map(|e| format!("{e:#}")).unwrap_or_default();

        assert!(error.contains("--to \"2026-11-01\" is before --from \"2026-11-30\""), "{error}");
        assert!(error.contains("swap the two values"), "{error}");
    }

    #[test]
    fn empty_period_is_rejected() {
        let mut review = args(vec![PathBuf::from("auth.log")]);
        review.from = Some("2026-11-30T08:00:00Z".into());
        review.to = Some("2026-11-30T08:00:00Z".into());

        let error = run(review).err().map(|e| format!("{e:#}")).unwrap_or_default();

        assert!(error.contains("leave no time to review"), "{error}");
    }

    #[test]
    fn invalid_to_names_flag_and_formats() {
        let mut review = args(vec![PathBuf::from("auth.log")]);
        review.to = Some("30/11/2026".into());

        let error = run(review).err().map(|e| format!("{e:#}")).unwrap_or_default();

        assert!(error.contains("invalid --to \"30/11/2026\""), "{error}");
        assert!(error.contains("2024-03-01"), "{error}");
    }

    #[test]
    fn unknown_format_names_formats_tried() {
        let dir = tempfile::tempdir().ok();
        let log = dir.as_ref().map(|d| d.path().join("notes.txt")).unwrap_or_default();
        let _ = std::fs::write(&log, "shopping list\n");

        let error = run(args(vec![log])).err().map(|e| format!("{e:#}")).unwrap_or_default();

        assert!(error.contains("tried: evtx"), "{error}");
    }
}
