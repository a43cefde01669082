//! The workforce roster: people, their status and the accounts each has in the practice's
//! systems, plus the roster CSV format.
//!
//! The roster CSV has the header `name,job_title,practice_role,start_date,end_date,status,accounts`
//! and one row per person. `accounts` lists `system=identifier` pairs separated by `;`, so an
//! identifier cannot itself contain `;`. The activity-review engine reads the same file to map
//! log accounts to people, which is why the format lives here and not in the web crate.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

use crate::values::{InvalidValue, Line, parse_date, parse_optional_date};

/// The columns of the roster CSV, in order.
pub const ROSTER_CSV_HEADER: [&str; 7] = ["name", "job_title", "practice_role", "start_date", "end_date", "status", "accounts"];

/// Whether a person currently works for the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PersonStatus {
    /// Works at the practice now.
    Active,
    /// Still employed but away; accounts should be suspended.
    OnLeave,
    /// Has left; accounts must be disabled.
    Terminated,
}

impl PersonStatus {
    /// Every status, in the order forms list them.
    pub const ALL: [PersonStatus; 3] = [PersonStatus::Active, PersonStatus::OnLeave, PersonStatus::Terminated];

    /// Returns the stored and CSV code.
    pub fn code(self) -> &'static str {
        match self {
            PersonStatus::Active => "active",
            PersonStatus::OnLeave => "on_leave",
            PersonStatus::Terminated => "terminated",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            PersonStatus::Active => "Active",
            PersonStatus::OnLeave => "On leave",
            PersonStatus::Terminated => "Terminated",
        }
    }
}

impl fmt::Display for PersonStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for PersonStatus {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        let code = code.trim();
        PersonStatus::ALL
            .into_iter()
            .find(|status| status.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| InvalidValue::new("status", format!("{code:?} is not a status; use active, on_leave or terminated")))
    }
}

/// A validated workforce member, as entered in a form or read from a roster row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonInput {
    /// Full name.
    pub name: Line,
    /// Job title as the practice uses it, such as `Medical assistant`.
    pub job_title: Line,
    /// The practice role that groups peers, such as `clinical` or `front desk`.
    pub practice_role: Line,
    /// First day of work.
    pub start_date: Date,
    /// Last day of work, once known.
    pub end_date: Option<Date>,
    /// Current status.
    pub status: PersonStatus,
}

impl PersonInput {
    /// Parses the fields of a person; every error names its field.
    ///
    /// A terminated person must have an end date, because termination checks compare account
    /// activity against it; an end date before the start date is refused.
    pub fn parse(
        name: &str,
        job_title: &str,
        practice_role: &str,
        start_date: &str,
        end_date: &str,
        status: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let name = Line::parse("name", name).map_err(|error| errors.push(error)).ok();
        let job_title = Line::parse("job title", job_title).map_err(|error| errors.push(error)).ok();
        let practice_role = Line::parse("practice role", practice_role).map_err(|error| errors.push(error)).ok();
        let start_date = parse_date("start date", start_date).map_err(|error| errors.push(error)).ok();
        let end_date = parse_optional_date("end date", end_date).map_err(|error| errors.push(error)).ok();
        let status = status.parse::<PersonStatus>().map_err(|error| errors.push(error)).ok();

        if let (Some(start), Some(Some(end))) = (start_date, end_date)
            && end < start
        {
            errors.push(InvalidValue::new("end date", "is before the start date"));
        }
        if status == Some(PersonStatus::Terminated) && end_date == Some(None) {
            errors.push(InvalidValue::new("end date", "is required when the status is terminated"));
        }

        match (name, job_title, practice_role, start_date, end_date, status) {
            (Some(name), Some(job_title), Some(practice_role), Some(start_date), Some(end_date), Some(status)) if errors.is_empty() => {
                Ok(Self {
                    name,
                    job_title,
                    practice_role,
                    start_date,
                    end_date,
                    status,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An account a person has in one of the practice's systems.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SystemAccountInput {
    /// The system, such as `EHR` or `Microsoft 365`.
    pub system: Line,
    /// The account name in that system, as its logs show it.
    pub identifier: Line,
}

impl SystemAccountInput {
    /// Parses a system name and an account identifier.
    pub fn parse(system: &str, identifier: &str) -> Result<Self, InvalidValue> {
        let system = Line::parse("system", system)?;
        let identifier = Line::parse("account identifier", identifier)?;

        if system.as_str().contains(['=', ';']) || identifier.as_str().contains(';') {
            return Err(InvalidValue::new(
                "account identifier",
                "cannot contain ';', and a system name cannot contain '='",
            ));
        }

        Ok(Self { system, identifier })
    }
}

/// One person with their accounts, as one roster CSV row contains them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterRow {
    /// The person.
    pub person: PersonInput,
    /// The person's accounts in the practice's systems.
    pub accounts: Vec<SystemAccountInput>,
}

/// The outcome of reading one data row of a roster CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterLine {
    /// The 1-based line number in the file, counting the header as line 1.
    pub line: u64,
    /// The row, or every problem found on it.
    pub outcome: Result<RosterRow, Vec<InvalidValue>>,
}

/// Why a roster CSV cannot be read at all, or why some of its rows were refused.
#[derive(Debug, thiserror::Error)]
pub enum RosterCsvError {
    /// The first line is not the expected header.
    #[error("the first line must be the header {expected}; found {found:?}")]
    Header {
        /// The expected header.
        expected: String,
        /// The header found.
        found: String,
    },
    /// The file is not valid CSV or not UTF-8.
    #[error("line {line}: the file is not valid UTF-8 CSV ({message})")]
    Malformed {
        /// The line where reading stopped.
        line: u64,
        /// The CSV reader's description.
        message: String,
    },
    /// The file has a header but no rows.
    #[error("the file has a header but no rows")]
    Empty,
    /// Some rows have errors; none of the file was accepted.
    #[error("{} of the rows have errors, so none were accepted", .0.len())]
    Rows(Vec<(u64, Vec<InvalidValue>)>),
}

/// Reads every row of a roster CSV and reports each row's outcome, for a preview.
///
/// Header and encoding problems stop the read; problems in a row are collected per row so the
/// preview can show all of them at once.
pub fn preview_roster_csv(mut reader: impl std::io::Read) -> Result<Vec<RosterLine>, RosterCsvError> {
    // The whole file is read first because the csv crate (1.3) miscounts lines in files with
    // CRLF endings, as spreadsheets on Windows save them: a record's position then points at
    // the `\n` that ends the line before it. Counting newlines up to and including the
    // record's first byte gives the right line for both endings. A roster is a few kilobytes.
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|error| RosterCsvError::Malformed {
        line: 0,
        message: error.to_string(),
    })?;
    let line_at = |offset: u64| {
        1 + bytes[..(offset as usize + 1).min(bytes.len())]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count() as u64
    };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let headers = csv.headers().map_err(|error| malformed(&error))?.clone();
    let found: Vec<&str> = headers.iter().map(str::trim).collect();

    if !found.iter().map(|name| name.trim_start_matches('\u{feff}')).eq(ROSTER_CSV_HEADER) {
        return Err(RosterCsvError::Header {
            expected: ROSTER_CSV_HEADER.join(","),
            found: found.join(","),
        });
    }

    let mut lines = Vec::new();
    for record in csv.records() {
        let record = record.map_err(|error| malformed(&error))?;
        let line = record.position().map_or(0, |position| line_at(position.byte()));
        lines.push(RosterLine {
            line,
            outcome: parse_roster_record(&record),
        });
    }

    if lines.is_empty() {
        return Err(RosterCsvError::Empty);
    }
    Ok(lines)
}

/// Reads a roster CSV whole: every row, or an error listing every refused row.
pub fn parse_roster_csv(reader: impl std::io::Read) -> Result<Vec<RosterRow>, RosterCsvError> {
    let lines = preview_roster_csv(reader)?;
    let failures: Vec<(u64, Vec<InvalidValue>)> = lines
        .iter()
        .filter_map(|line| line.outcome.as_ref().err().map(|errors| (line.line, errors.clone())))
        .collect();

    if !failures.is_empty() {
        return Err(RosterCsvError::Rows(failures));
    }
    Ok(lines.into_iter().filter_map(|line| line.outcome.ok()).collect())
}

fn parse_roster_record(record: &csv::StringRecord) -> Result<RosterRow, Vec<InvalidValue>> {
    if record.len() != ROSTER_CSV_HEADER.len() {
        return Err(vec![InvalidValue::new(
            "row",
            format!("has {} columns; expected {}", record.len(), ROSTER_CSV_HEADER.len()),
        )]);
    }
    let field = |index: usize| crate::inventory::csv::unprotect_cell(record.get(index).unwrap_or_default());

    let person = PersonInput::parse(&field(0), &field(1), &field(2), &field(3), &field(4), &field(5));
    let accounts = parse_accounts(&field(6));

    match (person, accounts) {
        (Ok(person), Ok(accounts)) => Ok(RosterRow { person, accounts }),
        (person, accounts) => {
            let mut errors = person.err().unwrap_or_default();
            errors.extend(accounts.err());
            Err(errors)
        }
    }
}

/// Parses the `accounts` column: `system=identifier` pairs separated by `;`.
pub fn parse_accounts(text: &str) -> Result<Vec<SystemAccountInput>, InvalidValue> {
    let mut accounts: Vec<SystemAccountInput> = Vec::new();

    for pair in text.split(';').map(str::trim).filter(|pair| !pair.is_empty()) {
        let (system, identifier) = pair.split_once('=').ok_or_else(|| {
            InvalidValue::new(
                "accounts",
                format!("{pair:?} is not system=identifier; write pairs like EHR=jdoe;Windows=CLINIC\\jdoe"),
            )
        })?;
        let account = SystemAccountInput::parse(system, identifier).map_err(|error| InvalidValue::new("accounts", error.message))?;
        if accounts.contains(&account) {
            return Err(InvalidValue::new("accounts", format!("{pair:?} is listed twice")));
        }
        accounts.push(account);
    }

    Ok(accounts)
}

/// Formats accounts for the `accounts` column, the inverse of [`parse_accounts`].
pub fn format_accounts<'a>(accounts: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    accounts
        .into_iter()
        .map(|(system, identifier)| format!("{system}={identifier}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn malformed(error: &csv::Error) -> RosterCsvError {
    let line = error.position().map_or(0, csv::Position::line);
    RosterCsvError::Malformed {
        line,
        message: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "name,job_title,practice_role,start_date,end_date,status,accounts\n";

    #[test]
    fn roster_reads_people_and_accounts() {
        let text = format!("{HEADER}Dana Reyes,Practice manager,administration,2019-03-01,,active,EHR=dreyes;Windows=CLINIC\\dreyes\n");

        let rows = parse_roster_csv(text.as_bytes()).unwrap();

        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].person.name.as_str(), "Dana Reyes");
        assert_eq!(rows[0].accounts.len(), 2);
        assert_eq!(rows[0].accounts[1].identifier.as_str(), "CLINIC\\dreyes");
    }

    #[test]
    fn roster_reports_every_bad_row() {
        let text = format!(
            "{HEADER}Ok Person,Biller,billing,2020-01-01,,active,\n,Biller,billing,2020-13-01,,active,\nLeft Person,MA,clinical,2020-01-01,,terminated,EHR\n"
        );

        let Err(RosterCsvError::Rows(failures)) = parse_roster_csv(text.as_bytes()) else {
            panic!("expected row errors");
        };

        assert_eq!(failures.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [3, 4]);
        let second_fields: Vec<_> = failures[0].1.iter().map(|error| error.field).collect();
        assert_eq!(second_fields, ["name", "start date"]);
        let third_fields: Vec<_> = failures[1].1.iter().map(|error| error.field).collect();
        assert_eq!(third_fields, ["end date", "accounts"]);
    }

    #[test]
    fn roster_line_numbers_with_crlf() {
        let text = format!(
            "{}\r\nA B,MA,clinical,2024-01-01,,active,\r\nC D,MA,clinical,2024-13-01,,active,\r\n",
            ROSTER_CSV_HEADER.join(",")
        );

        let lines = preview_roster_csv(text.as_bytes()).unwrap();

        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[1].line, 3);
    }

    #[test]
    fn roster_rejects_wrong_header() {
        let error = parse_roster_csv("name,role\nA,B\n".as_bytes()).unwrap_err();

        assert!(matches!(error, RosterCsvError::Header { .. }));
    }

    #[test]
    fn roster_rejects_header_only_file() {
        assert!(matches!(parse_roster_csv(HEADER.as_bytes()), Err(RosterCsvError::Empty)));
    }

    #[test]
    fn person_end_date_before_start_is_refused() {
        let errors = PersonInput::parse("A B", "MA", "clinical", "2024-05-01", "2024-04-01", "terminated").unwrap_err();

        assert_eq!(errors[0].field, "end date");
    }

    #[test]
    fn accounts_format_round_trips() {
        let accounts = parse_accounts("EHR=a;Microsoft 365=a@example.org").unwrap();
        let text = format_accounts(
            accounts
                .iter()
                .map(|account| (account.system.as_str(), account.identifier.as_str())),
        );

        assert_eq!(text, "EHR=a;Microsoft 365=a@example.org");
    }
}
