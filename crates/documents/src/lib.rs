//! Rendering of Safeguard records to files.
//!
//! Today this is the roster CSV; XLSX, ICS and PDF output join as the areas that need them
//! arrive. Every writer here is the exact inverse of the matching reader in the domain crate,
//! and a round-trip test holds them together.
#![deny(missing_docs)]

use safeguard_domain::workforce::{ROSTER_CSV_HEADER, format_accounts};

/// One person as the roster CSV writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterCsvRow<'a> {
    /// Full name.
    pub name: &'a str,
    /// Job title.
    pub job_title: &'a str,
    /// Practice role.
    pub practice_role: &'a str,
    /// First day, `YYYY-MM-DD`.
    pub start_date: String,
    /// Last day, `YYYY-MM-DD` or empty.
    pub end_date: String,
    /// Status code.
    pub status: &'a str,
    /// Current accounts as (system, identifier).
    pub accounts: Vec<(&'a str, &'a str)>,
}

/// The error of a CSV writer.
#[derive(Debug, thiserror::Error)]
#[error("writing CSV failed")]
pub struct CsvWriteError(#[from] csv::Error);

/// Writes the roster CSV that `safeguard_domain::workforce::parse_roster_csv` reads.
pub fn roster_csv<'a>(rows: impl IntoIterator<Item = RosterCsvRow<'a>>) -> Result<String, CsvWriteError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(ROSTER_CSV_HEADER)?;

    for row in rows {
        let accounts = format_accounts(row.accounts.iter().copied());
        writer.write_record([
            row.name,
            row.job_title,
            row.practice_role,
            &row.start_date,
            &row.end_date,
            row.status,
            &accounts,
        ])?;
    }

    let bytes = writer
        .into_inner()
        .map_err(|error| CsvWriteError(csv::Error::from(error.into_error())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use safeguard_domain::workforce::parse_roster_csv;

    use super::*;

    #[test]
    fn roster_csv_round_trips() {
        let rows = vec![
            RosterCsvRow {
                name: "Reyes, Dana",
                job_title: "Practice manager",
                practice_role: "administration",
                start_date: "2019-03-01".into(),
                end_date: String::new(),
                status: "active",
                accounts: vec![("EHR", "dreyes"), ("Windows", "CLINIC\\dreyes")],
            },
            RosterCsvRow {
                name: "Ana \"Annie\" Lopez",
                job_title: "Medical assistant",
                practice_role: "clinical",
                start_date: "2021-06-14".into(),
                end_date: "2026-09-01".into(),
                status: "terminated",
                accounts: vec![],
            },
        ];

        let text = roster_csv(rows).unwrap();
        let parsed = parse_roster_csv(text.as_bytes()).unwrap();

        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].person.name.as_str(), "Reyes, Dana");
        assert_eq!(parsed[0].accounts[1].identifier.as_str(), "CLINIC\\dreyes");
        assert_eq!(parsed[1].person.name.as_str(), "Ana \"Annie\" Lopez");
        assert_eq!(parsed[1].person.end_date.unwrap().to_string(), "2026-09-01");
    }
}
