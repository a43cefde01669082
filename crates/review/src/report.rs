//! The review report and its renderings: JSON, CSV, HTML and a plain-text summary.
//!
//! Every value in the HTML rendering is escaped, because account names, addresses and file
//! names come from the logs and an attacker can choose them. For the same reason the CSV
//! rendering prefixes cells that a spreadsheet would run as a formula.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::finding::{Evidence, Finding, Rule, Severity};
use crate::readers::{Format, Unreadable};

/// Maximum number of unreadable entries listed per source. The count covers all of them.
const MAX_UNREADABLE_LISTED: usize = 1000;

/// The style sheet of the HTML report. Evidence and file paths have no spaces to break at, so
/// `.wrap` cells break them anywhere rather than widen the table past the page.
const HTML_STYLE: &str = "body{font-family:sans-serif;margin:2em}\
table{border-collapse:collapse;max-width:100%}\
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}\
.wrap{overflow-wrap:anywhere}\
.high{color:#a00}.medium{color:#a60}";

/// Summary of one reviewed file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceSummary {
    /// The file as given on the command line.
    pub path: String,
    /// The position of the file among the review's inputs. Files inside an archive share the
    /// archive's position.
    #[serde(skip)]
    pub input: usize,
    /// Its format.
    pub format: Format,
    /// Events read within the review period.
    pub events: u64,
    /// Events read but outside the review period.
    pub outside_period: u64,
    /// Lines or records that could not be read.
    pub unreadable: u64,
    /// The first unreadable lines or records, with the reason.
    pub unreadable_entries: Vec<Unreadable>,
}

impl SourceSummary {
    /// Creates an empty summary.
    pub fn new(path: String, format: Format) -> Self {
        Self {
            path,
            input: 0,
            format,
            events: 0,
            outside_period: 0,
            unreadable: 0,
            unreadable_entries: Vec::new(),
        }
    }

    /// Counts an unreadable entry and lists it while under the limit.
    pub fn add_unreadable(&mut self, unreadable: Unreadable) {
        self.unreadable += 1;
        if self.unreadable_entries.len() < MAX_UNREADABLE_LISTED {
            self.unreadable_entries.push(unreadable);
        }
    }
}

/// One finding with file paths resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportFinding {
    /// The rule.
    pub rule: Rule,
    /// How urgent.
    pub severity: Severity,
    /// The account concerned.
    pub account: Option<String>,
    /// The roster person holding the account.
    pub person: Option<String>,
    /// The client address concerned.
    pub client: Option<String>,
    /// First event time (UTC).
    pub first_seen: Timestamp,
    /// Last event time (UTC).
    pub last_seen: Timestamp,
    /// Number of events.
    pub count: u64,
    /// Locations of the events, up to the evidence limit.
    pub evidence: Vec<Evidence>,
    /// How many evidence references there were in all.
    pub evidence_total: u64,
    /// One sentence for the practice manager.
    pub explanation: String,
}

/// The review period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Period {
    /// Start (inclusive), if limited.
    pub from: Option<Timestamp>,
    /// End (exclusive), if limited.
    pub to: Option<Timestamp>,
}

/// The result of one review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The name of the practice time zone used for office hours and dates.
    pub practice_time_zone: String,
    /// The practice time zone, in which the HTML report shows times.
    #[serde(skip)]
    pub time_zone: TimeZone,
    /// Statement of the year and zone used for syslog times, when syslog files were reviewed.
    pub syslog_time_basis: Option<String>,
    /// The period reviewed.
    pub period: Period,
    /// One entry per file.
    pub sources: Vec<SourceSummary>,
    /// The findings, most severe first.
    pub findings: Vec<ReportFinding>,
}

impl Report {
    /// Builds a report, resolving evidence to file paths.
    pub fn new(
        sources: Vec<SourceSummary>,
        findings: Vec<Finding>,
        practice_time_zone: TimeZone,
        syslog_time_basis: Option<String>,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Self {
        let findings = findings
            .into_iter()
            .map(|finding| ReportFinding {
                evidence: finding
                    .evidence
                    .items()
                    .iter()
                    .map(|e| Evidence {
                        file: sources.get(e.source).map(|s| s.path.clone()).unwrap_or_default(),
                        at: e.locator,
                    })
                    .collect(),
                evidence_total: finding.evidence.total(),
                rule: finding.rule,
                severity: finding.severity,
                account: finding.account,
                person: finding.person,
                client: finding.client,
                first_seen: finding.first_seen,
                last_seen: finding.last_seen,
                count: finding.count,
                explanation: finding.explanation,
            })
            .collect();
        Self {
            practice_time_zone: crate::review::time_zone_name(&practice_time_zone),
            time_zone: practice_time_zone,
            syslog_time_basis,
            period: Period { from, to },
            sources,
            findings,
        }
    }

    /// Renders the report as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// Renders the findings as CSV, one row per finding.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record([
            "rule",
            "severity",
            "account",
            "person",
            "client",
            "first_seen",
            "last_seen",
            "count",
            "evidence",
            "explanation",
        ])?;
        for finding in &self.findings {
            let severity = severity_name(finding.severity);
            let first = finding.first_seen.to_string();
            let last = finding.last_seen.to_string();
            let count = finding.count.to_string();
            let evidence = evidence_text(finding);
            let row = [
                finding.rule.id(),
                severity,
                finding.account.as_deref().unwrap_or(""),
                finding.person.as_deref().unwrap_or(""),
                finding.client.as_deref().unwrap_or(""),
                &first,
                &last,
                &count,
                &evidence,
                &finding.explanation,
            ];
            writer.write_record(row.map(spreadsheet_safe))?;
        }
        writer.into_inner().map_err(|error| csv::Error::from(error.into_error()))
    }

    /// Renders the report as a standalone HTML page with every value escaped. Times are shown
    /// in the practice time zone, to the second and labelled with the zone's abbreviation.
    pub fn to_html(&self) -> String {
        let mut html = String::new();
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">\n<title>Activity review</title>\n");
        let _ = writeln!(html, "<style>{HTML_STYLE}</style>\n</head>\n<body>");
        html.push_str("<h1>Activity review</h1>\n");
        let _ = writeln!(
            html,
            "<p>Practice time zone: {}. Times below are shown in it.</p>",
            escape(&self.practice_time_zone)
        );
        let _ = writeln!(html, "<p>{}</p>", escape(&self.period_text()));
        if let Some(basis) = &self.syslog_time_basis {
            let _ = writeln!(html, "<p>{}</p>", escape(basis));
        }

        html.push_str("<h2>Sources</h2>\n<table>\n<tr><th>File</th><th>Format</th><th>Events</th><th>Outside the period</th><th>Unreadable</th></tr>\n");
        for source in &self.sources {
            let _ = writeln!(
                html,
                "<tr><td class=\"wrap\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&source.path),
                escape(source.format.name()),
                source.events,
                source.outside_period,
                source.unreadable
            );
        }
        html.push_str("</table>\n");

        let _ = writeln!(html, "<h2>Findings ({})</h2>", self.findings.len());
        html.push_str("<table>\n<tr><th>Severity</th><th>Rule</th><th>Account</th><th>First seen</th><th>Last seen</th><th>Count</th><th>Explanation</th><th>Evidence</th></tr>\n");
        for finding in &self.findings {
            let severity = severity_name(finding.severity);
            let account = match (&finding.account, &finding.person) {
                (Some(account), Some(person)) => format!("{account} ({person})"),
                (Some(account), None) => account.clone(),
                (None, _) => finding.client.clone().unwrap_or_default(),
            };
            let _ = writeln!(
                html,
                "<tr><td class=\"{severity}\">{severity}</td><td>{}</td><td class=\"wrap\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"wrap\">{}</td></tr>",
                escape(finding.rule.id()),
                escape(&account),
                escape(&self.local_time(finding.first_seen)),
                escape(&self.local_time(finding.last_seen)),
                finding.count,
                escape(&finding.explanation),
                escape(&evidence_text(finding)),
            );
        }
        html.push_str("</table>\n</body>\n</html>\n");
        html
    }

    /// Formats `time` in the practice time zone to the second, such as `2024-03-02 18:00:01 EST`.
    fn local_time(&self, time: Timestamp) -> String {
        time.to_zoned_datetime(self.time_zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    /// Describes the review period in the practice time zone. The end is not included.
    fn period_text(&self) -> String {
        match (self.period.from, self.period.to) {
            (Some(from), Some(to)) => format!(
                "Period: from {} until {}, not included.",
                self.local_time(from),
                self.local_time(to)
            ),
            (Some(from), None) => format!("Period: from {}, with no end.", self.local_time(from)),
            (None, Some(to)) => format!("Period: every event before {}.", self.local_time(to)),
            (None, None) => "Period: every event in the files, because no period was given.".to_owned(),
        }
    }

    /// Renders a plain-text summary for a terminal.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for source in &self.sources {
            let _ = writeln!(
                text,
                "{} ({}): {} events, {} unreadable{}",
                source.path,
                source.format,
                source.events,
                source.unreadable,
                if source.outside_period > 0 {
                    format!(", {} outside the period", source.outside_period)
                } else {
                    String::new()
                }
            );
            for entry in source.unreadable_entries.iter().take(5) {
                let _ = writeln!(text, "  {}: {}", entry.locator, entry.reason);
            }
            if source.unreadable > 5 {
                let _ = writeln!(text, "  ... and {} more", source.unreadable - 5);
            }
        }
        if let Some(basis) = &self.syslog_time_basis {
            let _ = writeln!(text, "{basis}");
        }
        let _ = writeln!(text, "Office hours are read in {}.\n", self.practice_time_zone);

        if self.findings.is_empty() {
            text.push_str("No findings.\n");
            return text;
        }
        let _ = writeln!(text, "{} finding(s):", self.findings.len());
        for finding in &self.findings {
            let _ = writeln!(
                text,
                "\n[{}] {}: {}",
                severity_name(finding.severity),
                finding.rule.id(),
                finding.explanation
            );
            let _ = writeln!(text, "  evidence: {}", evidence_text(finding));
        }
        text
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
    }
}

/// Lists evidence as `file: line 3, line 4; other: record 9`, with the total when capped.
fn evidence_text(finding: &ReportFinding) -> String {
    let mut text = String::new();
    let mut current_file: Option<&str> = None;
    for evidence in &finding.evidence {
        if current_file != Some(evidence.file.as_str()) {
            if current_file.is_some() {
                text.push_str("; ");
            }
            let _ = write!(text, "{}: ", evidence.file);
            current_file = Some(&evidence.file);
        } else {
            text.push_str(", ");
        }
        let _ = write!(text, "{}", evidence.at);
    }
    let listed = finding.evidence.len() as u64;
    if finding.evidence_total > listed {
        let _ = write!(text, " (and {} more)", finding.evidence_total - listed);
    }
    text
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// Prefixes a cell a spreadsheet would evaluate as a formula with an apostrophe.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Locator;
    use crate::finding::{EvidenceList, EvidenceRef};

    fn report_with_account(account: &str) -> Report {
        report_in_zone(account, TimeZone::UTC, Timestamp::UNIX_EPOCH, None, None)
    }

    /// Builds a report of one finding at `seen` on account `account`, in `zone`, for the period
    /// from `from` to `to`.
    fn report_in_zone(account: &str, zone: TimeZone, seen: Timestamp, from: Option<Timestamp>, to: Option<Timestamp>) -> Report {
        let mut evidence = EvidenceList::new(1);
        evidence.push(EvidenceRef {
            source: 0,
            locator: Locator::Line(3),
        });
        evidence.push(EvidenceRef {
            source: 0,
            locator: Locator::Line(4),
        });
        let finding = Finding {
            rule: Rule::UnknownAccountActivity,
            severity: Severity::Medium,
            account: Some(account.to_owned()),
            person: None,
            client: None,
            first_seen: seen,
            last_seen: seen,
            count: 2,
            evidence,
            explanation: format!("Account {account} was used."),
        };
        Report::new(
            vec![SourceSummary::new("<auth>.log".into(), Format::Syslog)],
            vec![finding],
            zone,
            Some("Syslog lines carry no year or time zone; they were read as starting in 2024 & <UTC>.".into()),
            from,
            to,
        )
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().expect("a valid RFC 3339 instant")
    }

    #[test]
    fn html_shows_times_in_practice_zone() {
        let zone = TimeZone::get("America/New_York").expect("the time zone database has America/New_York");
        let report = report_in_zone("bob", zone, instant("2024-03-02T23:00:01.1234567Z"), None, None);

        let html = report.to_html();

        assert!(html.contains("<td>2024-03-02 18:00:01 EST</td>"), "{html}");
        assert!(!html.contains("23:00:01"), "{html}");
        assert!(!html.contains(".1234567"), "{html}");
        assert!(html.contains("Practice time zone: America/New_York."), "{html}");
    }

    #[test]
    fn html_shows_period_in_practice_zone() {
        let zone = TimeZone::get("America/New_York").expect("the time zone database has America/New_York");
        let from = Some(instant("2024-11-01T04:00:00Z"));
        let to = Some(instant("2024-12-01T05:00:00Z"));
        let report = report_in_zone("bob", zone, instant("2024-11-02T12:00:00Z"), from, to);

        let html = report.to_html();

        assert!(
            html.contains("Period: from 2024-11-01 00:00:00 EDT until 2024-12-01 00:00:00 EST, not included."),
            "{html}"
        );
    }

    #[test]
    fn html_without_period_says_so() {
        let html = report_with_account("bob").to_html();

        assert!(html.contains("Period: every event in the files"), "{html}");
    }

    #[test]
    fn html_shows_escaped_syslog_basis() {
        let html = report_with_account("bob").to_html();

        assert!(html.contains("read as starting in 2024 &amp; &lt;UTC&gt;."), "{html}");
    }

    #[test]
    fn html_wraps_evidence_and_paths() {
        let html = report_with_account("bob").to_html();

        assert!(html.contains(".wrap{overflow-wrap:anywhere}"), "{html}");
        assert!(
            html.contains("<td class=\"wrap\">&lt;auth&gt;.log: line 3 (and 1 more)</td>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"wrap\">&lt;auth&gt;.log</td>"), "{html}");
    }

    #[test]
    fn json_leaves_out_time_zone_value() {
        let json = report_with_account("bob").to_json().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();

        assert_eq!(value["practice_time_zone"], "UTC");
        assert!(value.get("time_zone").is_none(), "{json}");
    }

    #[test]
    fn html_escapes_log_values() {
        let html = report_with_account("<script>alert(1)</script>").to_html();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;auth&gt;.log"));
    }

    #[test]
    fn csv_neutralizes_formulas() {
        let csv = report_with_account("=HYPERLINK(\"x\")").to_csv().unwrap_or_default();
        let text = String::from_utf8_lossy(&csv);
        assert!(text.contains("'=HYPERLINK"));
        assert!(text.contains("line 3 (and 1 more)"));
    }

    #[test]
    fn json_has_required_fields() {
        let json = report_with_account("bob").to_json().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let finding = &value["findings"][0];
        for key in ["rule", "severity", "account", "first_seen", "last_seen", "count", "evidence"] {
            assert!(finding.get(key).is_some(), "missing {key}");
        }
        let source = &value["sources"][0];
        for key in ["path", "format", "events", "unreadable"] {
            assert!(source.get(key).is_some(), "missing {key}");
        }
        assert_eq!(finding["evidence"][0]["at"], "line 3");
    }
}
