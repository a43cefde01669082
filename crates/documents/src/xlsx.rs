//! XLSX workbooks of the risk register and the risk management plan.
//!
//! Each workbook has one sheet with the same columns and cells as the matching CSV export. Every
//! cell is written as a string, dates included (`YYYY-MM-DD`), so a spreadsheet shows the text
//! as it is and never runs a cell as a formula. That is why these writers leave out the `'`
//! prefix that the CSV writers add.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use crate::{RISK_PLAN_HEADER, RISK_REGISTER_HEADER, RiskPlanRow, RiskRegisterRow};

/// The error of an XLSX writer.
#[derive(Debug, thiserror::Error)]
#[error("writing XLSX failed")]
pub struct XlsxWriteError(#[from] XlsxError);

/// A column's width in characters of the default font, and whether its cells wrap long text.
struct Column {
    width: f64,
    wraps: bool,
}

const fn short(width: f64) -> Column {
    Column { width, wraps: false }
}

const fn long(width: f64) -> Column {
    Column { width, wraps: true }
}

const REGISTER_COLUMNS: [Column; 14] = [
    short(10.0),
    long(28.0),
    long(30.0),
    long(40.0),
    long(40.0),
    short(11.0),
    short(11.0),
    short(11.0),
    short(10.0),
    short(12.0),
    short(20.0),
    short(14.0),
    long(40.0),
    long(40.0),
];

const PLAN_COLUMNS: [Column; 11] = [
    long(36.0),
    short(15.0),
    long(28.0),
    long(30.0),
    short(10.0),
    short(20.0),
    short(12.0),
    long(40.0),
    short(12.0),
    long(40.0),
    short(13.0),
];

/// Writes the risk register as an XLSX workbook with the columns of [`RISK_REGISTER_HEADER`].
pub fn risk_register_xlsx<'a>(rows: impl IntoIterator<Item = RiskRegisterRow<'a>>) -> Result<Vec<u8>, XlsxWriteError> {
    let rows = rows.into_iter().map(RiskRegisterRow::into_cells);
    table_xlsx("Risk register", &RISK_REGISTER_HEADER, &REGISTER_COLUMNS, rows)
}

/// Writes the risk management plan as an XLSX workbook with the columns of [`RISK_PLAN_HEADER`].
pub fn risk_plan_xlsx<'a>(rows: impl IntoIterator<Item = RiskPlanRow<'a>>) -> Result<Vec<u8>, XlsxWriteError> {
    let rows = rows.into_iter().map(RiskPlanRow::into_cells);
    table_xlsx("Risk management plan", &RISK_PLAN_HEADER, &PLAN_COLUMNS, rows)
}

/// Writes one sheet: a bold, frozen header row with a filter, then one row per record.
fn table_xlsx<const N: usize>(
    sheet_name: &str,
    header: &[&str; N],
    columns: &[Column; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<Vec<u8>, XlsxWriteError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;

    let bold = Format::new().set_bold().set_align(FormatAlign::Top);
    let plain = Format::new().set_align(FormatAlign::Top);
    let wrapped = Format::new().set_align(FormatAlign::Top).set_text_wrap();

    for (column, (title, layout)) in (0u16..).zip(header.iter().zip(columns)) {
        sheet.set_column_width(column, layout.width)?;
        sheet.write_string_with_format(0, column, *title, &bold)?;
    }

    // The domain's validated text values hold at most 20,000 characters, below the 32,767 that
    // an XLSX cell can hold, so stored records do not make a cell write fail.
    let mut last_row = 0u32;
    for (row, cells) in (1u32..).zip(rows) {
        for (column, (cell, layout)) in (0u16..).zip(cells.iter().zip(columns)) {
            let format = if layout.wraps { &wrapped } else { &plain };
            sheet.write_string_with_format(row, column, cell, format)?;
        }
        last_row = row;
    }

    let last_column = u16::try_from(N - 1).unwrap_or(u16::MAX);
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, last_row, last_column)?;

    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;
    use crate::{risk_plan_csv, risk_register_csv};

    /// Returns the text of one part of an XLSX package, with the five XML entities decoded.
    fn part(bytes: &[u8], name: &str) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("the workbook is a ZIP archive");
        let mut text = String::new();
        archive
            .by_name(name)
            .unwrap_or_else(|_| panic!("the workbook has no part {name}"))
            .read_to_string(&mut text)
            .unwrap();
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    }

    /// Reads a CSV export back into its header and rows, removing the formula protection.
    fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
        use safeguard_domain::inventory::csv::unprotect_cell;

        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = reader
            .records()
            .map(|record| record.unwrap().iter().map(|cell| unprotect_cell(cell).into_owned()).collect())
            .collect();
        (header, rows)
    }

    fn register_rows() -> Vec<RiskRegisterRow<'static>> {
        vec![
            RiskRegisterRow {
                analysis_version: "2".into(),
                asset: "=HYPERLINK(\"http://example.org\")",
                threat: "Ransomware",
                vulnerabilities: "No offline backup, shared login <front desk>",
                existing_controls: "Antivirus & nightly backup",
                likelihood: "High",
                impact: "Very High",
                risk_level: "Very High",
                decision: "Accept",
                decided_on: "2026-12-04".into(),
                decided_by: "Dana Reyes",
                residual_level: "High",
                rationale: "Line one\nline two",
                leadership_approval: "Dr. Sam Okafor, Owner physician: Dr. Sam Okafor".into(),
            },
            RiskRegisterRow {
                analysis_version: "2".into(),
                asset: "E-fax",
                threat: "Misdirected fax or e-mail",
                vulnerabilities: "Numbers typed by hand",
                existing_controls: "Cover sheet",
                likelihood: "Moderate",
                impact: "Low",
                risk_level: "Low",
                decision: "",
                decided_on: String::new(),
                decided_by: "",
                residual_level: "",
                rationale: "",
                leadership_approval: String::new(),
            },
        ]
    }

    #[test]
    fn register_xlsx_holds_csv_cells() {
        let bytes = risk_register_xlsx(register_rows()).unwrap();
        let (header, rows) = read_csv(&risk_register_csv(register_rows()).unwrap());

        assert!(bytes.starts_with(b"PK\x03\x04"), "an XLSX file is a ZIP archive");
        let strings = part(&bytes, "xl/sharedStrings.xml");
        for cell in header.iter().chain(rows.iter().flatten()).filter(|cell| !cell.is_empty()) {
            assert!(strings.contains(cell.as_str()), "the workbook lacks the cell {cell:?}");
        }
        assert!(
            !strings.contains("'=HYPERLINK"),
            "string cells need no formula protection: {strings}"
        );
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no cell is a formula: {sheet}");
        assert!(sheet.contains("<pane ySplit=\"1\""), "the header row is frozen: {sheet}");
        assert!(sheet.contains("<autoFilter ref=\"A1:N3\"/>"), "the filter spans the table: {sheet}");
        assert!(part(&bytes, "xl/workbook.xml").contains("name=\"Risk register\""));
        assert!(part(&bytes, "xl/styles.xml").contains("<b/>"), "the header row is bold");
    }

    #[test]
    fn plan_xlsx_holds_csv_cells() {
        let row = || RiskPlanRow {
            safeguard: "Turn on MFA for the EHR",
            safeguard_type: "Technical",
            asset: "EHR",
            threat: "Weak or shared passwords",
            analysis_version: "1".into(),
            owner: "Dana Reyes",
            deadline: "2027-01-31".into(),
            acceptance_criteria: "Every account signs in with a second factor",
            status: "Completed",
            completion_evidence: "+ enrollment report: 14 of 14",
            completed_on: "2027-01-20".into(),
        };

        let bytes = risk_plan_xlsx([row()]).unwrap();
        let (header, rows) = read_csv(&risk_plan_csv([row()]).unwrap());

        assert!(bytes.starts_with(b"PK\x03\x04"));
        assert_eq!(header, RISK_PLAN_HEADER);
        let strings = part(&bytes, "xl/sharedStrings.xml");
        for cell in header.iter().chain(rows.iter().flatten()) {
            assert!(strings.contains(cell.as_str()), "the workbook lacks the cell {cell:?}");
        }
        assert!(strings.contains("<t>2027-01-31</t>"), "dates are text cells: {strings}");
        assert!(part(&bytes, "xl/workbook.xml").contains("name=\"Risk management plan\""));
    }

    #[test]
    fn empty_register_xlsx_has_header_only() {
        let bytes = risk_register_xlsx([]).unwrap();

        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<autoFilter ref=\"A1:N1\"/>"), "{sheet}");
        assert!(!sheet.contains("<row r=\"2\""), "{sheet}");
    }
}
