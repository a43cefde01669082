//! EHR access-log CSV reader, driven by a column mapping saved per source.
//!
//! EHR vendors name their audit columns differently, so the [`EhrColumnMapping`] names the
//! columns of the time, the user, the patient and the optional fields. Each row is one access
//! to a patient record, or a sign-in or sign-out when the action column names one. The patient
//! identifier is hashed as it is read. Rows are read as byte records, one at a time.

use std::io::Read;
use std::path::{Path, PathBuf};

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::csv_lines::LineBreaks;
use super::{ReadError, ReadItem, Unreadable};
use crate::event::{Action, Event, Locator, Outcome, PatientRef, SourceSystem, assign_non_empty};

/// The CSV column of each field of an EHR access log.
///
/// Column names are matched without regard to case. Optional columns may be absent from the
/// mapping or from the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EhrColumnMapping {
    /// Column with the access time. Default `time`.
    pub time: String,
    /// Column with the EHR user name. Default `user`.
    pub user: String,
    /// Column with the patient identifier (medical record number). Default `patient`.
    pub patient: String,
    /// Column with the action (view, edit, print, login...). Default `action`.
    pub action: Option<String>,
    /// Column with the workstation or client address. Default `workstation`.
    pub workstation: Option<String>,
    /// Column with the outcome. Default `outcome`.
    pub outcome: Option<String>,
    /// Column with the emergency (break-glass) flag. Default `emergency`.
    pub emergency: Option<String>,
    /// Column marking that the break-glass access had its post-event review. Default `reviewed`.
    pub reviewed: Option<String>,
    /// The time zone of times written without an offset, as an IANA name. Default UTC.
    pub time_zone: Option<String>,
    /// Outcome values (case-insensitive) that mean failure. Default `failure`, `failed`,
    /// `denied`, `error`.
    pub failure_values: Vec<String>,
}

impl Default for EhrColumnMapping {
    fn default() -> Self {
        Self {
            time: "time".into(),
            user: "user".into(),
            patient: "patient".into(),
            action: Some("action".into()),
            workstation: Some("workstation".into()),
            outcome: Some("outcome".into()),
            emergency: Some("emergency".into()),
            reviewed: Some("reviewed".into()),
            time_zone: None,
            failure_values: ["failure", "failed", "denied", "error"].map(String::from).to_vec(),
        }
    }
}

impl EhrColumnMapping {
    /// Returns each field's name (as the JSON form spells it), the column the mapping gives for
    /// it, and whether a file must have that column. Required fields come first.
    pub fn fields(&self) -> [(&'static str, Option<&str>, bool); 8] {
        [
            ("time", Some(self.time.as_str()), true),
            ("user", Some(self.user.as_str()), true),
            ("patient", Some(self.patient.as_str()), true),
            ("action", self.action.as_deref(), false),
            ("workstation", self.workstation.as_deref(), false),
            ("outcome", self.outcome.as_deref(), false),
            ("emergency", self.emergency.as_deref(), false),
            ("reviewed", self.reviewed.as_deref(), false),
        ]
    }

    /// Reads the header row at the start of `input` and reports which of the mapping's columns
    /// it has, matching names as the reader does. Only the first record of `input` is read.
    pub fn match_header<R: Read>(&self, input: R) -> Result<HeaderMatch, csv::Error> {
        let mut records = csv::ReaderBuilder::new().flexible(true).from_reader(input);
        let header: Vec<String> = records.byte_headers()?.iter().map(|name| header_name(name).into_owned()).collect();
        let fields = self
            .fields()
            .into_iter()
            .filter_map(|(field, column, required)| {
                let column = column?;
                Some(ColumnMatch {
                    field,
                    column: column.to_owned(),
                    required,
                    found: header.iter().any(|name| name.eq_ignore_ascii_case(column)),
                })
            })
            .collect();
        Ok(HeaderMatch { header, fields })
    }
}

/// The columns of a sample file's header row and how a mapping matches them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderMatch {
    /// The column names of the header row, in file order.
    pub header: Vec<String>,
    /// Each column the mapping names, in the order of [`EhrColumnMapping::fields`].
    pub fields: Vec<ColumnMatch>,
}

impl HeaderMatch {
    /// Returns whether the header row has every required column, so the reader accepts the file.
    pub fn readable(&self) -> bool {
        self.fields.iter().all(|field| field.found || !field.required)
    }
}

/// One column a mapping names and whether a header row has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnMatch {
    /// The mapping's field, such as `time` or `outcome`.
    pub field: &'static str,
    /// The column name the mapping gives.
    pub column: String,
    /// Whether the reader needs the column.
    pub required: bool,
    /// Whether the header row has it.
    pub found: bool,
}

/// Returns a header cell as the reader compares it: trimmed, without a byte-order mark.
fn header_name(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    match String::from_utf8_lossy(cell) {
        std::borrow::Cow::Borrowed(text) => std::borrow::Cow::Borrowed(text.trim().trim_start_matches('\u{feff}')),
        std::borrow::Cow::Owned(text) => std::borrow::Cow::Owned(text.trim().trim_start_matches('\u{feff}').to_owned()),
    }
}

/// Returns the column names of a header line, or an empty list when it is not CSV.
fn header_names(line: &str) -> Vec<String> {
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::ByteRecord::new();
    match records.read_byte_record(&mut record) {
        Ok(true) => record.iter().map(|cell| header_name(cell).into_owned()).collect(),
        Ok(false) | Err(_) => Vec::new(),
    }
}

/// Returns the time, user and patient columns of `mapping`.
fn required_columns(mapping: &EhrColumnMapping) -> [&str; 3] {
    [&mapping.time, &mapping.user, &mapping.patient].map(String::as_str)
}

/// Returns whether a header row has the time, user and patient columns of `mapping` or of the
/// default mapping.
pub(crate) fn looks_like(header: &str, mapping: &EhrColumnMapping) -> bool {
    let columns = header_names(header);
    let has = |name: &str| columns.iter().any(|column| column.eq_ignore_ascii_case(name));
    let default = EhrColumnMapping::default();
    required_columns(mapping).into_iter().all(has) || required_columns(&default).into_iter().all(has)
}

/// Returns whether a header row has two of the time, user and patient columns of `mapping`.
/// One is not enough: other CSV logs have a `Time` column too.
pub(crate) fn partly_matches(header: &str, mapping: &EhrColumnMapping) -> bool {
    let columns = header_names(header);
    let found = required_columns(mapping)
        .into_iter()
        .filter(|name| columns.iter().any(|column| column.eq_ignore_ascii_case(name)))
        .count();
    found >= 2
}

#[derive(Clone)]
struct Columns {
    time: usize,
    user: usize,
    patient: usize,
    action: Option<usize>,
    workstation: Option<usize>,
    outcome: Option<usize>,
    emergency: Option<usize>,
    reviewed: Option<usize>,
}

/// Turns rows of one EHR access log into events. Built from the header row; one parser per
/// thread, because it remembers the last day it parsed.
#[derive(Clone)]
pub(crate) struct EhrRowParser {
    columns: Columns,
    failure_values: Vec<String>,
    time_zone: TimeZone,
    day_cache: std::cell::Cell<Option<([u8; 10], i64)>>,
}

impl EhrRowParser {
    /// Finds the mapping's columns in the header row.
    pub(crate) fn new(headers: &csv::ByteRecord, mapping: &EhrColumnMapping, path: &Path) -> Result<Self, ReadError> {
        let find = |name: &str| headers.iter().position(|h| header_name(h).eq_ignore_ascii_case(name));
        let required = |field: &'static str, name: &str| {
            find(name).ok_or_else(|| ReadError::MissingEhrColumn {
                path: path.to_owned(),
                field,
                column: name.to_owned(),
            })
        };
        let columns = Columns {
            time: required("time", &mapping.time)?,
            user: required("user", &mapping.user)?,
            patient: required("patient", &mapping.patient)?,
            action: mapping.action.as_deref().and_then(find),
            workstation: mapping.workstation.as_deref().and_then(find),
            outcome: mapping.outcome.as_deref().and_then(find),
            emergency: mapping.emergency.as_deref().and_then(find),
            reviewed: mapping.reviewed.as_deref().and_then(find),
        };
        let time_zone = match mapping.time_zone.as_deref() {
            Some(name) => TimeZone::get(name).map_err(|_| ReadError::InvalidCsvHeader {
                path: path.to_owned(),
                reason: format!("the EHR column mapping names an unknown time zone {name:?}"),
            })?,
            None => TimeZone::UTC,
        };
        Ok(Self {
            columns,
            failure_values: mapping.failure_values.iter().map(|v| v.to_ascii_lowercase()).collect(),
            time_zone,
            day_cache: std::cell::Cell::new(None),
        })
    }

    fn parse_time(&self, bytes: &[u8]) -> Option<jiff::Timestamp> {
        if let Some(ts) = self.parse_utc_fast(bytes) {
            return Some(ts);
        }
        let text = std::str::from_utf8(bytes).ok()?;
        if let Ok(ts) = text.parse::<jiff::Timestamp>() {
            return Some(ts);
        }
        let civil = text
            .parse::<jiff::civil::DateTime>()
            .ok()
            .or_else(|| jiff::civil::DateTime::strptime("%m/%d/%Y %H:%M:%S", text).ok())
            .or_else(|| jiff::civil::DateTime::strptime("%m/%d/%Y %H:%M", text).ok())?;
        self.time_zone.to_timestamp(civil).ok()
    }

    /// Parses the common `YYYY-MM-DDTHH:MM:SSZ` form, reusing the start of the day from the
    /// previous row, because access logs hold millions of rows per day in time order.
    fn parse_utc_fast(&self, bytes: &[u8]) -> Option<jiff::Timestamp> {
        if bytes.len() != 20 || bytes[10] != b'T' || bytes[19] != b'Z' || bytes[13] != b':' || bytes[16] != b':' {
            return None;
        }
        let mut day = [0u8; 10];
        day.copy_from_slice(&bytes[..10]);
        let day_start = match self.day_cache.get() {
            Some((cached, seconds)) if cached == day => seconds,
            _ => {
                let date: jiff::civil::Date = std::str::from_utf8(&day).ok()?.parse().ok()?;
                let seconds = TimeZone::UTC
                    .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                    .ok()?
                    .as_second();
                self.day_cache.set(Some((day, seconds)));
                seconds
            }
        };
        let two_digits = |at: usize| -> Option<i64> {
            let (high, low) = (bytes[at], bytes[at + 1]);
            (high.is_ascii_digit() && low.is_ascii_digit()).then(|| i64::from(high - b'0') * 10 + i64::from(low - b'0'))
        };
        let (hour, minute, second) = (two_digits(11)?, two_digits(14)?, two_digits(17)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        jiff::Timestamp::from_second(day_start + hour * 3600 + minute * 60 + second).ok()
    }

    /// Turns one row into an event, or explains why it cannot.
    pub(crate) fn parse(&self, record: &csv::ByteRecord, locator: Locator) -> Result<Event, Unreadable> {
        let mut event = Event::new(
            jiff::Timestamp::UNIX_EPOCH,
            SourceSystem::Ehr,
            Action::Other,
            Outcome::Unknown,
            locator,
        );
        self.parse_into(record, locator, &mut event)?;
        Ok(event)
    }

    /// Like [`EhrRowParser::parse`], but overwrites every field of `event`, reusing the memory
    /// of its account and client names. A thread reading millions of rows saves two
    /// allocations per row this way. On error `event` is left partly overwritten.
    pub(crate) fn parse_into(&self, record: &csv::ByteRecord, locator: Locator, event: &mut Event) -> Result<(), Unreadable> {
        let unreadable = |reason: &str| Unreadable {
            locator,
            reason: reason.to_owned(),
        };
        let Some(time) = field_bytes(record, Some(self.columns.time)).and_then(|t| self.parse_time(t)) else {
            return Err(unreadable("invalid or missing time"));
        };
        let patient = field_bytes(record, Some(self.columns.patient)).map(PatientRef::hash_bytes);
        let Some(user) = field_of(record, Some(self.columns.user)) else {
            return Err(unreadable("missing user"));
        };

        // The remaining columns are compared as bytes, because checking that they are UTF-8
        // first costs time on every row.
        let action_text = field_bytes(record, self.columns.action).unwrap_or(b"");
        let is = |text: &[u8], word: &str| text.eq_ignore_ascii_case(word.as_bytes());
        let action = if is(action_text, "login") || is(action_text, "logon") {
            Action::Logon
        } else if is(action_text, "logout") || is(action_text, "logoff") {
            Action::Logoff
        } else {
            Action::RecordAccess
        };
        let outcome = match field_bytes(record, self.columns.outcome) {
            Some(value) if self.failure_values.iter().any(|f| is(value, f)) => Outcome::Failure,
            Some(_) | None => Outcome::Success,
        };

        event.time = time;
        event.source = SourceSystem::Ehr;
        event.action = action;
        event.outcome = outcome;
        event.locator = locator;
        assign_non_empty(&mut event.account, Some(user));
        assign_non_empty(&mut event.client, field_of(record, self.columns.workstation));
        event.target = None;
        event.group = None;
        event.patient = patient;
        event.break_glass = field_bytes(record, self.columns.emergency).is_some_and(is_yes);
        event.reviewed = field_bytes(record, self.columns.reviewed).is_some_and(is_yes);
        Ok(())
    }
}

/// Reads the header row of an EHR access log and builds the row parser for it. Returns the
/// reader positioned at the first data row.
pub(crate) fn read_header<R: Read>(input: R, mapping: &EhrColumnMapping, path: &Path) -> Result<(csv::Reader<R>, EhrRowParser), ReadError> {
    let mut records = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = records
        .byte_headers()
        .map_err(|error| ReadError::InvalidCsvHeader {
            path: path.to_owned(),
            reason: format!("cannot read the header row: {error}"),
        })?
        .clone();
    let parser = EhrRowParser::new(&headers, mapping, path)?;
    Ok((records, parser))
}

/// Streaming EHR access-log reader.
pub struct EhrCsvReader<R> {
    records: csv::Reader<LineBreaks<R>>,
    parser: EhrRowParser,
    record: csv::ByteRecord,
}

impl<R: Read> EhrCsvReader<R> {
    /// Reads the header row and checks that the mapping's required columns exist.
    pub fn new(input: R, mapping: EhrColumnMapping, path: PathBuf) -> Result<Self, ReadError> {
        let (records, parser) = read_header(LineBreaks::new(input), &mapping, &path)?;
        Ok(Self {
            records,
            parser,
            record: csv::ByteRecord::new(),
        })
    }
}

/// Returns a field trimmed of ASCII spaces, or `None` when it is missing or empty.
fn field_bytes(record: &csv::ByteRecord, index: Option<usize>) -> Option<&[u8]> {
    index
        .and_then(|i| record.get(i))
        .map(<[u8]>::trim_ascii)
        .filter(|bytes| !bytes.is_empty())
}

/// Returns a field trimmed of ASCII spaces, or `None` when it is missing, empty or not UTF-8.
fn field_of(record: &csv::ByteRecord, index: Option<usize>) -> Option<&str> {
    field_bytes(record, index).and_then(|bytes| std::str::from_utf8(bytes).ok())
}

fn is_yes(value: &[u8]) -> bool {
    ["1", "true", "yes", "y", "x"]
        .iter()
        .any(|yes| value.eq_ignore_ascii_case(yes.as_bytes()))
}

impl<R: Read> Iterator for EhrCsvReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.records.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = match self.record.position() {
                    Some(position) => self.records.get_mut().line_at(position.byte()),
                    None => 0,
                };
                let item = match self.parser.parse(&self.record, Locator::Line(line)) {
                    Ok(event) => event.into(),
                    Err(unreadable) => ReadItem::Unreadable(unreadable),
                };
                Some(Ok(item))
            }
            Err(error) => {
                let line = match error.position() {
                    Some(position) => self.records.get_mut().line_at(position.byte()),
                    None => 0,
                };
                Some(Ok(ReadItem::unreadable(Locator::Line(line), "malformed CSV row")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, mapping: EhrColumnMapping) -> Result<Vec<ReadItem>, ReadError> {
        Ok(EhrCsvReader::new(text.as_bytes(), mapping, PathBuf::new())?
            .filter_map(Result::ok)
            .collect())
    }

    #[test]
    fn default_mapping_rows() {
        let text = "time,user,patient,action,workstation,outcome,emergency,reviewed\n\
                    2024-03-04T10:00:00Z,mlopez,MRN1,view,WS1,success,0,\n\
                    2024-03-04T23:00:00Z,mlopez,MRN2,view,WS1,success,1,yes\n\
                    bad,mlopez,MRN2,view,WS1,success,,\n";
        let items = read(text, EhrColumnMapping::default()).unwrap_or_default();
        assert_eq!(items.len(), 3);
        let ReadItem::Event(second) = &items[1] else {
            panic!("expected an event, got {:?}", items[1]);
        };
        assert!(second.break_glass);
        assert!(second.reviewed);
        assert_eq!(second.patient, Some(PatientRef::hash("MRN2")));
        assert!(matches!(&items[2], ReadItem::Unreadable(u) if u.locator == Locator::Line(4)));
    }

    #[test]
    fn custom_mapping_and_zone() {
        let mapping: EhrColumnMapping =
            serde_json::from_str(r#"{"time": "Access Time", "user": "User ID", "patient": "MRN", "time_zone": "America/Chicago"}"#)
                .unwrap_or_default();
        let text = "Access Time,User ID,MRN\n03/04/2024 09:00:00,jdoe,77\n";
        let items = read(text, mapping).unwrap_or_default();
        let ReadItem::Event(event) = &items[0] else {
            panic!("expected an event, got {:?}", items[0]);
        };
        assert_eq!(event.time.to_string(), "2024-03-04T15:00:00Z");
    }

    #[test]
    fn fast_time_path_matches_general_parser() {
        let reader = EhrCsvReader::new("time,user,patient\n".as_bytes(), EhrColumnMapping::default(), PathBuf::new());
        let Ok(EhrCsvReader { parser: reader, .. }) = reader else {
            panic!("header should be accepted");
        };
        for text in ["2024-02-29T23:59:59Z", "2024-03-01T00:00:00Z", "2024-03-01T12:34:56Z"] {
            assert_eq!(reader.parse_utc_fast(text.as_bytes()), text.parse().ok(), "{text}");
        }
        assert_eq!(reader.parse_utc_fast(b"2024-03-01T24:00:00Z"), None);
        assert_eq!(reader.parse_utc_fast(b"2024-02-30T10:00:00Z"), None);
        assert_eq!(reader.parse_utc_fast(b"2024-03-01T10:00:00+01:00"), None);
    }

    #[test]
    fn missing_column_is_an_error() {
        let result = read("time,who\n", EhrColumnMapping::default());
        let Err(error) = result else {
            panic!("a header without the user column should be rejected");
        };
        assert!(
            matches!(&error, ReadError::MissingEhrColumn { field: "user", column, .. } if column == "user"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            ": the header row lacks column \"user\", which the EHR column mapping names as its user column"
        );
    }

    #[test]
    fn header_match_reports_each_column() {
        let mapping: EhrColumnMapping =
            serde_json::from_str(r#"{"time": "Access Time", "user": "User ID", "patient": "MRN", "workstation": null}"#)
                .unwrap_or_default();

        let Ok(matched) = mapping.match_header("\u{feff}access time, User,MRN,action\n1,2,3,4\n".as_bytes()) else {
            panic!("the header row should be read");
        };

        assert_eq!(matched.header, ["access time", "User", "MRN", "action"]);
        let found: Vec<(&str, bool)> = matched.fields.iter().map(|field| (field.field, field.found)).collect();
        assert_eq!(
            found,
            [
                ("time", true),
                ("user", false),
                ("patient", true),
                ("action", true),
                ("outcome", false),
                ("emergency", false),
                ("reviewed", false)
            ]
        );
        assert!(!matched.readable());
    }

    #[test]
    fn quoted_header_names_are_detected() {
        assert!(looks_like("\"time\",\"user\",\"patient\"", &EhrColumnMapping::default()));
        assert!(!looks_like("time,user", &EhrColumnMapping::default()));
        assert!(partly_matches("time,user", &EhrColumnMapping::default()));
        assert!(!partly_matches("LineId,Date,Time,Content", &EhrColumnMapping::default()));
    }
}
