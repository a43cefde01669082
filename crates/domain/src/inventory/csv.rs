//! The inventory CSV format, read here and written by the documents crate.
//!
//! The header is exactly
//! `name,kind,owner,location,ephi,ephi_handling,record_count,encryption_at_rest,encryption_in_transit,sign_in,backup,criticality,vendor,retired_on,retired_reason`
//! and each row is one asset. Codes are those of [`AssetKind`](super::AssetKind),
//! [`Encryption`](super::Encryption), [`SignIn`](super::SignIn),
//! [`BackupCoverage`](super::BackupCoverage) and [`Criticality`](super::Criticality).
//! `ephi_handling` lists `store`, `process` and `transmit` separated by `;`. `record_count` is a
//! whole number or blank. `retired_on` is `YYYY-MM-DD` or blank, and a retired row needs a
//! `retired_reason`. Names of assets in service must be unique in the file, ignoring case,
//! because an import matches rows to existing assets by name.
//!
//! A cell that a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, tab
//! or carriage return) is written with a leading `'`, as is a cell that starts with `'`
//! itself, and the reader removes exactly that one character, so exports are safe to open and
//! still read back unchanged.

use std::borrow::Cow;
use std::collections::HashSet;

use jiff::civil::Date;

use super::{AssetFields, AssetInput};
use crate::values::{InvalidValue, Line, parse_optional_date};

/// The columns of the inventory CSV, in order.
pub const ASSET_CSV_HEADER: [&str; 15] = [
    "name",
    "kind",
    "owner",
    "location",
    "ephi",
    "ephi_handling",
    "record_count",
    "encryption_at_rest",
    "encryption_in_transit",
    "sign_in",
    "backup",
    "criticality",
    "vendor",
    "retired_on",
    "retired_reason",
];

/// One asset as a row of the inventory CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetCsvRow {
    /// The asset.
    pub asset: AssetInput,
    /// When the asset left service, and why; `None` for an asset in service.
    pub retired: Option<(Date, Line)>,
}

/// The outcome of reading one data row of an inventory CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetCsvLine {
    /// The 1-based line number in the file, counting the header as line 1.
    pub line: u64,
    /// The row, or every problem found on it.
    pub outcome: Result<AssetCsvRow, Vec<InvalidValue>>,
}

/// The reason an inventory CSV cannot be read at all, or the rows it rejected.
#[derive(Debug, thiserror::Error)]
pub enum AssetCsvError {
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

/// Reads every row of an inventory CSV and reports each row's outcome, for a preview.
///
/// Header and encoding problems stop the read; problems in a row, including a name that an
/// earlier row already uses and a retirement after `today`, are collected per row so the
/// preview shows all of them at once.
pub fn preview_asset_csv(reader: impl std::io::Read, today: Date) -> Result<Vec<AssetCsvLine>, AssetCsvError> {
    let mut csv = ::csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
    let headers = csv.headers().map_err(|error| malformed(&error))?.clone();
    let found: Vec<&str> = headers.iter().map(str::trim).collect();

    if !found.iter().map(|name| name.trim_start_matches('\u{feff}')).eq(ASSET_CSV_HEADER) {
        return Err(AssetCsvError::Header {
            expected: ASSET_CSV_HEADER.join(","),
            found: found.join(","),
        });
    }

    let mut lines = Vec::new();
    let mut names_in_service = HashSet::new();
    for record in csv.records() {
        let record = record.map_err(|error| malformed(&error))?;
        let line = record.position().map_or(0, ::csv::Position::line);
        let mut outcome = parse_asset_record(&record, today);

        if let Ok(row) = &outcome
            && row.retired.is_none()
            && !names_in_service.insert(row.asset.name.as_str().to_lowercase())
        {
            outcome = Err(vec![InvalidValue::new(
                "name",
                format!(
                    "{:?} is already used by an earlier row; names of assets in service must be unique",
                    row.asset.name.as_str()
                ),
            )]);
        }
        lines.push(AssetCsvLine { line, outcome });
    }

    if lines.is_empty() {
        return Err(AssetCsvError::Empty);
    }
    Ok(lines)
}

/// Reads an inventory CSV whole: every row, or an error listing every refused row.
pub fn parse_asset_csv(reader: impl std::io::Read, today: Date) -> Result<Vec<AssetCsvRow>, AssetCsvError> {
    let lines = preview_asset_csv(reader, today)?;
    let failures: Vec<(u64, Vec<InvalidValue>)> = lines
        .iter()
        .filter_map(|line| line.outcome.as_ref().err().map(|errors| (line.line, errors.clone())))
        .collect();

    if !failures.is_empty() {
        return Err(AssetCsvError::Rows(failures));
    }
    Ok(lines.into_iter().filter_map(|line| line.outcome.ok()).collect())
}

fn parse_asset_record(record: &::csv::StringRecord, today: Date) -> Result<AssetCsvRow, Vec<InvalidValue>> {
    if record.len() != ASSET_CSV_HEADER.len() {
        return Err(vec![InvalidValue::new(
            "row",
            format!("has {} columns; expected {}", record.len(), ASSET_CSV_HEADER.len()),
        )]);
    }
    let field = |index: usize| unprotect_cell(record.get(index).unwrap_or_default()).into_owned();

    let fields = AssetFields {
        name: field(0),
        kind: field(1),
        owner: field(2),
        location: field(3),
        ephi: field(4),
        ephi_handling: field(5),
        record_count: field(6),
        encryption_at_rest: field(7),
        encryption_in_transit: field(8),
        sign_in: field(9),
        backup: field(10),
        criticality: field(11),
        vendor: field(12),
    };
    let mut errors = Vec::new();
    let asset = AssetInput::parse(&fields).map_err(|found| errors.extend(found)).ok();
    let retired_on = parse_optional_date("retired on", &field(13))
        .map_err(|error| errors.push(error))
        .ok();
    let reason = Line::parse_optional("retired reason", &field(14))
        .map_err(|error| errors.push(error))
        .ok();

    let retired = match (retired_on, reason) {
        (Some(Some(day)), Some(Some(_))) if day > today => {
            errors.push(InvalidValue::new(
                "retired on",
                format!("{day} is in the future; retire an asset on the day it leaves service"),
            ));
            None
        }
        (Some(Some(day)), Some(Some(reason))) => Some((day, reason)),
        (Some(Some(_)), Some(None)) => {
            errors.push(InvalidValue::new(
                "retired reason",
                "is required when retired on is set; say why the asset left service",
            ));
            None
        }
        (Some(None), Some(Some(_))) => {
            errors.push(InvalidValue::new(
                "retired on",
                "is required when a retired reason is given; enter the day the asset left service",
            ));
            None
        }
        _ => None,
    };

    match asset {
        Some(asset) if errors.is_empty() => Ok(AssetCsvRow { asset, retired }),
        _ => Err(errors),
    }
}

fn malformed(error: &::csv::Error) -> AssetCsvError {
    let line = error.position().map_or(0, ::csv::Position::line);
    AssetCsvError::Malformed {
        line,
        message: error.to_string(),
    }
}

fn needs_protection(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r', '\''])
}

/// Prefixes `'` to a cell that a spreadsheet would run as a formula, for CSV writers.
pub fn protect_cell(text: &str) -> Cow<'_, str> {
    if needs_protection(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Removes the `'` that [`protect_cell`] added, leaving other cells as they are.
pub fn unprotect_cell(text: &str) -> Cow<'_, str> {
    match text.strip_prefix('\'') {
        Some(rest) if needs_protection(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        jiff::civil::date(2026, 12, 4)
    }

    fn header() -> String {
        format!("{}\n", ASSET_CSV_HEADER.join(","))
    }

    const LAPTOP: &str = "Dr. Kim's laptop,laptop,Dr. Kim,Exam room 2,Visit notes,store;process,,yes,not_applicable,password,no,medium,,,";

    #[test]
    fn csv_reads_assets() {
        let text = format!(
            "{}{LAPTOP}\nOld PC,workstation,Dana,Front desk,Schedule,store,40,no,no,password,no,low,,2026-03-01,Wiped and recycled\n",
            header()
        );

        let rows = parse_asset_csv(text.as_bytes(), today()).unwrap();

        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].asset.name.as_str(), "Dr. Kim's laptop");
        assert_eq!(rows[0].retired, None);
        assert_eq!(rows[1].retired.as_ref().unwrap().0.to_string(), "2026-03-01");
    }

    #[test]
    fn csv_reports_every_bad_row() {
        let text = format!(
            "{}{LAPTOP}\n,laptop,Dr. Kim,Exam room,Notes,store,,yes,no,password,no,medium,,,\nX,tablet,A,B,C,store,,yes,no,password,no,medium,,2026-01-01,\n",
            header()
        );

        let Err(AssetCsvError::Rows(failures)) = parse_asset_csv(text.as_bytes(), today()) else {
            panic!("expected row errors");
        };

        assert_eq!(failures.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(failures[0].1[0].field, "name");
        let fourth: Vec<_> = failures[1].1.iter().map(|error| error.field).collect();
        assert_eq!(fourth, ["kind", "retired reason"]);
    }

    #[test]
    fn csv_rejects_duplicate_names_in_service() {
        let text = format!("{}{LAPTOP}\n{}\n", header(), LAPTOP.replace("Dr. Kim's laptop", "DR. KIM'S LAPTOP"));

        let lines = preview_asset_csv(text.as_bytes(), today()).unwrap();

        assert!(lines[0].outcome.is_ok());
        assert_eq!(lines[1].outcome.as_ref().unwrap_err()[0].field, "name");
    }

    #[test]
    fn csv_rejects_wrong_header_and_empty_file() {
        assert!(matches!(
            parse_asset_csv("name,kind\nA,ehr\n".as_bytes(), today()),
            Err(AssetCsvError::Header { .. })
        ));
        assert!(matches!(parse_asset_csv(header().as_bytes(), today()), Err(AssetCsvError::Empty)));
    }

    #[test]
    fn csv_rejects_future_retirement() {
        let text = format!("{}{},,2026-12-05,Sold\n", header(), LAPTOP.trim_end_matches(','));

        let lines = preview_asset_csv(text.as_bytes(), today()).unwrap();

        assert_eq!(lines[0].outcome.as_ref().unwrap_err()[0].field, "retired on");
    }

    #[test]
    fn csv_short_row_is_one_error() {
        let text = format!("{}A,ehr\n", header());

        let lines = preview_asset_csv(text.as_bytes(), today()).unwrap();

        assert_eq!(lines[0].outcome.as_ref().unwrap_err()[0].field, "row");
    }

    #[test]
    fn formula_cells_round_trip() {
        for text in ["=HYPERLINK(\"x\")", "+1", "-", "@SUM(A1)", "'quoted", "''=x", "plain", ""] {
            let protected = protect_cell(text);
            assert!(!protected.starts_with(['=', '+', '-', '@']), "{text:?}");
            assert_eq!(unprotect_cell(&protected), text);
        }
    }
}
