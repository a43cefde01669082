//! Rendering of Safeguard records to files.
//!
//! CSV for the roster, the inventory and the risk records, and XLSX for the risk register and
//! plan ([`xlsx`]); ICS and PDF output join as the areas that need them arrive. The roster and
//! inventory CSV writers are the exact inverses of the matching readers in the domain crate, and
//! round-trip tests hold them together.
#![deny(missing_docs)]

pub mod xlsx;

pub use xlsx::{XlsxWriteError, risk_plan_xlsx, risk_register_xlsx};

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

    // Cells a spreadsheet would run as formulas get a leading `'`, which the roster reader
    // removes again, so an export opened in a spreadsheet cannot run a name as a formula.
    for row in rows {
        let accounts = format_accounts(row.accounts.iter().copied());
        let cells = [
            row.name,
            row.job_title,
            row.practice_role,
            &row.start_date,
            &row.end_date,
            row.status,
            &accounts,
        ];
        writer.write_record(cells.map(|cell| safeguard_domain::inventory::csv::protect_cell(cell).into_owned()))?;
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

    #[test]
    fn roster_csv_protects_formula_cells() {
        let rows = vec![RosterCsvRow {
            name: "=cmd|calc!A1",
            job_title: "+SUM(1)",
            practice_role: "clinical",
            start_date: "2021-06-14".into(),
            end_date: String::new(),
            status: "active",
            accounts: vec![],
        }];

        let text = roster_csv(rows).unwrap();
        let parsed = parse_roster_csv(text.as_bytes()).unwrap();

        assert!(text.contains("'=cmd|calc!A1"), "{text}");
        assert_eq!(parsed[0].person.name.as_str(), "=cmd|calc!A1");
        assert_eq!(parsed[0].person.job_title.as_str(), "+SUM(1)");
    }
}

/// One asset as the inventory CSV writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetCsvRow<'a> {
    /// The asset's details.
    pub asset: &'a safeguard_domain::inventory::AssetInput,
    /// The day it left service, `YYYY-MM-DD`, or empty while in service.
    pub retired_on: String,
    /// The reason it left service.
    pub retired_reason: Option<&'a str>,
}

/// Writes the inventory CSV that `safeguard_domain::inventory::csv::parse_asset_csv` reads.
///
/// Cells that a spreadsheet would run as formulas are prefixed with `'`, which the reader
/// removes again.
pub fn asset_csv<'a>(rows: impl IntoIterator<Item = AssetCsvRow<'a>>) -> Result<String, CsvWriteError> {
    use safeguard_domain::inventory::csv::{ASSET_CSV_HEADER, protect_cell};

    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(ASSET_CSV_HEADER)?;

    for row in rows {
        let fields = row.asset.to_fields();
        let cells = [
            fields.name.as_str(),
            &fields.kind,
            &fields.owner,
            &fields.location,
            &fields.ephi,
            &fields.ephi_handling,
            &fields.record_count,
            &fields.encryption_at_rest,
            &fields.encryption_in_transit,
            &fields.sign_in,
            &fields.backup,
            &fields.criticality,
            &fields.vendor,
            &row.retired_on,
            row.retired_reason.unwrap_or_default(),
        ];
        writer.write_record(cells.iter().map(|cell| protect_cell(cell).into_owned()))?;
    }

    let bytes = writer
        .into_inner()
        .map_err(|error| CsvWriteError(csv::Error::from(error.into_error())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod inventory_tests {
    use safeguard_domain::inventory::csv::parse_asset_csv;
    use safeguard_domain::inventory::{AssetFields, AssetInput};

    use super::*;

    #[test]
    fn asset_csv_round_trips() {
        let laptop = AssetInput::parse(&AssetFields {
            name: "=cmd|' /C calc'!A0".into(),
            kind: "laptop".into(),
            owner: "Dr. Kim, MD".into(),
            location: "Exam room \"2\"".into(),
            ephi: "Visit notes".into(),
            ephi_handling: "store;process".into(),
            record_count: String::new(),
            encryption_at_rest: "unknown".into(),
            encryption_in_transit: "not_applicable".into(),
            sign_in: "password".into(),
            backup: "no".into(),
            criticality: "medium".into(),
            vendor: "@Vendor".into(),
        })
        .unwrap();
        let fax = AssetInput::parse(&AssetFields {
            name: "Fax".into(),
            kind: "efax".into(),
            vendor: "eFax Corp".into(),
            record_count: "1200".into(),
            ..laptop.to_fields()
        })
        .unwrap();

        let text = asset_csv([
            AssetCsvRow {
                asset: &laptop,
                retired_on: String::new(),
                retired_reason: None,
            },
            AssetCsvRow {
                asset: &fax,
                retired_on: "2026-03-01".into(),
                retired_reason: Some("-replaced by the cloud fax"),
            },
        ])
        .unwrap();
        let today = safeguard_domain::values::parse_date("today", "2026-12-04").unwrap();
        let rows = parse_asset_csv(text.as_bytes(), today).unwrap();

        assert!(text.contains("'=cmd"), "formula cells are protected: {text}");
        assert_eq!(rows[0].asset, laptop);
        assert_eq!(rows[0].retired, None);
        assert_eq!(rows[1].asset, fax);
        let (retired_on, reason) = rows[1].retired.as_ref().unwrap();
        assert_eq!(retired_on.to_string(), "2026-03-01");
        assert_eq!(reason.as_str(), "-replaced by the cloud fax");
    }
}

/// The columns of the risk register export.
pub const RISK_REGISTER_HEADER: [&str; 14] = [
    "analysis_version",
    "asset",
    "threat",
    "vulnerabilities",
    "existing_controls",
    "likelihood",
    "impact",
    "risk_level",
    "decision",
    "decided_on",
    "decided_by",
    "residual_level",
    "rationale",
    "leadership_approval",
];

/// One risk as the register export writes it; levels and decisions are their display names,
/// and undecided risks leave the decision columns empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskRegisterRow<'a> {
    /// The analysis version.
    pub analysis_version: String,
    /// The asset's name.
    pub asset: &'a str,
    /// The threat's name.
    pub threat: &'a str,
    /// The vulnerabilities.
    pub vulnerabilities: &'a str,
    /// The existing controls.
    pub existing_controls: &'a str,
    /// The likelihood.
    pub likelihood: &'a str,
    /// The impact.
    pub impact: &'a str,
    /// The risk level.
    pub risk_level: &'a str,
    /// The decision.
    pub decision: &'a str,
    /// The decision date, `YYYY-MM-DD`.
    pub decided_on: String,
    /// Who recorded the decision.
    pub decided_by: &'a str,
    /// The residual level.
    pub residual_level: &'a str,
    /// The rationale.
    pub rationale: &'a str,
    /// Leadership's name, title and signature, as one sentence.
    pub leadership_approval: String,
}

/// Writes the risk register as CSV, protecting cells that a spreadsheet would run as formulas.
pub fn risk_register_csv<'a>(rows: impl IntoIterator<Item = RiskRegisterRow<'a>>) -> Result<String, CsvWriteError> {
    protected_csv(&RISK_REGISTER_HEADER, rows.into_iter().map(RiskRegisterRow::into_cells))
}

impl RiskRegisterRow<'_> {
    /// Returns the cells in the order of [`RISK_REGISTER_HEADER`], for the CSV and XLSX writers.
    pub(crate) fn into_cells(self) -> [String; 14] {
        let row = self;
        [
            row.analysis_version,
            row.asset.to_owned(),
            row.threat.to_owned(),
            row.vulnerabilities.to_owned(),
            row.existing_controls.to_owned(),
            row.likelihood.to_owned(),
            row.impact.to_owned(),
            row.risk_level.to_owned(),
            row.decision.to_owned(),
            row.decided_on,
            row.decided_by.to_owned(),
            row.residual_level.to_owned(),
            row.rationale.to_owned(),
            row.leadership_approval,
        ]
    }
}

/// The columns of the risk management plan export.
pub const RISK_PLAN_HEADER: [&str; 11] = [
    "safeguard",
    "safeguard_type",
    "asset",
    "threat",
    "analysis_version",
    "owner",
    "deadline",
    "acceptance_criteria",
    "status",
    "completion_evidence",
    "completed_on",
];

/// One plan item as the plan export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskPlanRow<'a> {
    /// The safeguard chosen.
    pub safeguard: &'a str,
    /// Administrative, Physical or Technical.
    pub safeguard_type: &'a str,
    /// The asset of the risk it treats.
    pub asset: &'a str,
    /// The threat of the risk it treats.
    pub threat: &'a str,
    /// The analysis version of that risk.
    pub analysis_version: String,
    /// Who is responsible.
    pub owner: &'a str,
    /// The deadline, `YYYY-MM-DD`.
    pub deadline: String,
    /// How to tell it is in place.
    pub acceptance_criteria: &'a str,
    /// The status.
    pub status: &'a str,
    /// What shows it is in place.
    pub completion_evidence: &'a str,
    /// The completion date, `YYYY-MM-DD`, or empty.
    pub completed_on: String,
}

/// Writes the risk management plan as CSV, protecting cells that a spreadsheet would run as
/// formulas.
pub fn risk_plan_csv<'a>(rows: impl IntoIterator<Item = RiskPlanRow<'a>>) -> Result<String, CsvWriteError> {
    protected_csv(&RISK_PLAN_HEADER, rows.into_iter().map(RiskPlanRow::into_cells))
}

impl RiskPlanRow<'_> {
    /// Returns the cells in the order of [`RISK_PLAN_HEADER`], for the CSV and XLSX writers.
    pub(crate) fn into_cells(self) -> [String; 11] {
        let row = self;
        [
            row.safeguard.to_owned(),
            row.safeguard_type.to_owned(),
            row.asset.to_owned(),
            row.threat.to_owned(),
            row.analysis_version,
            row.owner.to_owned(),
            row.deadline,
            row.acceptance_criteria.to_owned(),
            row.status.to_owned(),
            row.completion_evidence.to_owned(),
            row.completed_on,
        ]
    }
}

fn protected_csv<const N: usize>(header: &[&str; N], rows: impl Iterator<Item = [String; N]>) -> Result<String, CsvWriteError> {
    use safeguard_domain::inventory::csv::protect_cell;

    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| protect_cell(cell).into_owned()))?;
    }

    let bytes = writer
        .into_inner()
        .map_err(|error| CsvWriteError(csv::Error::from(error.into_error())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod risk_tests {
    use super::*;

    #[test]
    fn risk_register_csv_quotes_and_protects_cells() {
        let row = RiskRegisterRow {
            analysis_version: "2".into(),
            asset: "=HYPERLINK(\"http://example.org\")",
            threat: "Ransomware",
            vulnerabilities: "No offline backup, shared login",
            existing_controls: "Antivirus",
            likelihood: "High",
            impact: "Very High",
            risk_level: "Very High",
            decision: "Accept",
            decided_on: "2026-12-04".into(),
            decided_by: "Dana Reyes",
            residual_level: "High",
            rationale: "Line one\nline two",
            leadership_approval: "Dr. Sam Okafor, Owner physician: Dr. Sam Okafor".into(),
        };

        let text = risk_register_csv([row]).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let record = reader.records().next().unwrap().unwrap();

        assert_eq!(header.iter().collect::<Vec<_>>(), RISK_REGISTER_HEADER);
        assert_eq!(&record[1], "'=HYPERLINK(\"http://example.org\")");
        assert_eq!(&record[3], "No offline backup, shared login");
        assert_eq!(&record[12], "Line one\nline two");
    }

    #[test]
    fn risk_plan_csv_writes_every_column() {
        let row = RiskPlanRow {
            safeguard: "Turn on MFA for the EHR",
            safeguard_type: "Technical",
            asset: "EHR",
            threat: "Weak or shared passwords",
            analysis_version: "1".into(),
            owner: "Dana Reyes",
            deadline: "2027-01-31".into(),
            acceptance_criteria: "Every account signs in with a second factor",
            status: "Planned",
            completion_evidence: "",
            completed_on: String::new(),
        };

        let text = risk_plan_csv([row]).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let record = reader.records().next().unwrap().unwrap();

        assert_eq!(record.len(), RISK_PLAN_HEADER.len());
        assert_eq!(&record[0], "Turn on MFA for the EHR");
        assert_eq!(&record[6], "2027-01-31");
    }
}
