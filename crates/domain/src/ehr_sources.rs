//! EHR log sources: a named column mapping for each EHR access-log export the practice reviews.
//!
//! EHR vendors name the columns of their access-log CSV differently, so the practice saves one
//! mapping per export. [`EhrMapping`] can only hold a mapping that the review engine can use: the
//! time, user and patient columns are named, no column serves two fields, the time zone is an
//! IANA name that jiff finds in its time zone database, and a named outcome column comes with at
//! least one value that means failure. Column names compare without regard to ASCII case, as the engine's reader
//! matches them.
//!
//! The JSON form of a mapping has the fields of the `--ehr-mapping` file that `safeguard review`
//! reads, with every field written out, so a mapping recorded with a review can be given to the
//! command line as it is.

use std::fmt;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::values::{InvalidValue, Line};

/// The maximum length of a column name or a failure value, in characters.
pub const MAX_COLUMN_CHARS: usize = 100;

/// The maximum number of failure values.
pub const MAX_FAILURE_VALUES: usize = 20;

/// The maximum length of a source's name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Returns at most 40 characters of `text`, for quoting a long value in a message.
fn quoted_start(text: &str) -> String {
    let start: String = text.chars().take(40).collect();
    if start.len() < text.len() {
        format!("{start:?}…")
    } else {
        format!("{start:?}")
    }
}

/// Checks one header name or value typed in `field`: trimmed, not empty, on one line, at most
/// [`MAX_COLUMN_CHARS`] characters. `missing` is the message for empty input.
fn parse_cell(field: &'static str, text: &str, missing: &str) -> Result<String, InvalidValue> {
    let trimmed = text.trim();

    if trimmed.is_empty() {
        return Err(InvalidValue::new(field, missing));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidValue::new(
            field,
            format!(
                "{} contains a line break or control character; a header name or value is on one line",
                quoted_start(trimmed)
            ),
        ));
    }
    if trimmed.chars().count() > MAX_COLUMN_CHARS {
        return Err(InvalidValue::new(
            field,
            format!(
                "{} is longer than {MAX_COLUMN_CHARS} characters; enter it as the export writes it",
                quoted_start(trimmed)
            ),
        ));
    }

    Ok(trimmed.to_owned())
}

/// Returns the value of `result`, or records its error in `errors` and returns `None`.
fn keep<T>(errors: &mut Vec<InvalidValue>, result: Result<T, InvalidValue>) -> Option<T> {
    result.map_err(|error| errors.push(error)).ok()
}

/// The name of a CSV column as the header row writes it: trimmed, not empty, one line, at most
/// [`MAX_COLUMN_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ColumnName(String);

impl ColumnName {
    /// Parses a required column name typed in `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        parse_cell(
            field,
            text,
            "is missing; enter the name of the column as the header row of the export writes it",
        )
        .map(Self)
    }

    /// Parses an optional column name: empty input means the export has no such column.
    pub fn parse_optional(field: &'static str, text: &str) -> Result<Option<Self>, InvalidValue> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(field, text).map(Some)
        }
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Decides whether two names denote the same column, ignoring ASCII case as the reader does.
    pub fn same_column(&self, other: &ColumnName) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for ColumnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone name that jiff finds in its time zone database, such as `America/Chicago`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    /// Parses an optional zone typed in `field`. The name is kept as the database spells it, so
    /// `america/chicago` becomes `America/Chicago`.
    pub fn parse_optional(field: &'static str, text: &str) -> Result<Option<Self>, InvalidValue> {
        let name = text.trim();
        if name.is_empty() {
            return Ok(None);
        }

        let zone = TimeZone::get(name).map_err(|_| {
            InvalidValue::new(
                field,
                format!(
                    "{} is not a known IANA time zone; enter one like America/Chicago, or leave it empty to read times without an offset as UTC",
                    quoted_start(name)
                ),
            )
        })?;
        let canonical = zone.iana_name().unwrap_or(name);
        Ok(Some(Self(canonical.to_owned())))
    }

    /// Returns the IANA name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The outcome values that mean a failed attempt, compared without regard to ASCII case: each
/// one trimmed, not empty and on one line, with no repeats, at most [`MAX_FAILURE_VALUES`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct FailureValues(Vec<String>);

impl FailureValues {
    /// Parses values typed in `field` and separated by commas. Empty entries are skipped.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, InvalidValue> {
        Self::from_values(field, text.split(',').filter(|value| !value.trim().is_empty()))
    }

    /// Checks a list of values, such as the array of a JSON mapping. A value repeated in
    /// another case is kept once, as first written.
    pub fn from_values<'a>(field: &'static str, values: impl IntoIterator<Item = &'a str>) -> Result<Self, InvalidValue> {
        let mut kept: Vec<String> = Vec::new();
        for value in values {
            let value = parse_cell(field, value, "contain an empty value; remove it")?;
            if !kept.iter().any(|seen| seen.eq_ignore_ascii_case(&value)) {
                kept.push(value);
            }
        }
        if kept.len() > MAX_FAILURE_VALUES {
            return Err(InvalidValue::new(
                field,
                format!(
                    "are {} values, more than {MAX_FAILURE_VALUES}; keep the values the export writes for a failed attempt",
                    kept.len()
                ),
            ));
        }
        Ok(Self(kept))
    }

    /// Returns the values.
    pub fn values(&self) -> &[String] {
        &self.0
    }

    /// Returns whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FailureValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// A mapping as typed in a form: one text per field, empty for an optional column the export
/// lacks, and the failure values separated by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingText {
    /// The column with the access time.
    pub time: String,
    /// The column with the EHR user name.
    pub user: String,
    /// The column with the patient identifier.
    pub patient: String,
    /// The column with the action, such as view, print or login.
    pub action: String,
    /// The column with the workstation or client address.
    pub workstation: String,
    /// The column with the outcome.
    pub outcome: String,
    /// The column with the emergency (break-glass) flag.
    pub emergency: String,
    /// The column that marks a break-glass access as reviewed after the event.
    pub reviewed: String,
    /// The IANA zone of times written without an offset, or empty for UTC.
    pub time_zone: String,
    /// The outcome values that mean failure, separated by commas.
    pub failure_values: String,
}

/// One field of a mapping and the column it reads, for listing a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedColumn<'a> {
    /// The field as forms and messages name it, such as `time column`.
    pub field: &'static str,
    /// The column's name, or `None` when the export has no such column.
    pub column: Option<&'a ColumnName>,
    /// Whether a file must have the column for the review to read it.
    pub required: bool,
}

/// A column mapping of an EHR access-log CSV that the review engine can use.
///
/// Construction goes through [`EhrMapping::parse`], deserialization or [`Default`], which all
/// check the rules of the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MappingJson", into = "MappingJson")]
pub struct EhrMapping {
    time: ColumnName,
    user: ColumnName,
    patient: ColumnName,
    action: Option<ColumnName>,
    workstation: Option<ColumnName>,
    outcome: Option<ColumnName>,
    emergency: Option<ColumnName>,
    reviewed: Option<ColumnName>,
    time_zone: Option<TimeZoneName>,
    failure_values: FailureValues,
}

impl Default for EhrMapping {
    /// Returns the mapping the review engine uses when none is given: columns named `time`,
    /// `user`, `patient`, `action`, `workstation`, `outcome`, `emergency` and `reviewed`, UTC,
    /// and the failure values `failure`, `failed`, `denied` and `error`.
    fn default() -> Self {
        let column = |name: &str| ColumnName(name.to_owned());
        Self {
            time: column("time"),
            user: column("user"),
            patient: column("patient"),
            action: Some(column("action")),
            workstation: Some(column("workstation")),
            outcome: Some(column("outcome")),
            emergency: Some(column("emergency")),
            reviewed: Some(column("reviewed")),
            time_zone: None,
            failure_values: FailureValues(["failure", "failed", "denied", "error"].map(String::from).to_vec()),
        }
    }
}

impl EhrMapping {
    /// Parses a mapping form; every error names its field and the value typed.
    pub fn parse(text: &MappingText) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let time = keep(&mut errors, ColumnName::parse("time column", &text.time));
        let user = keep(&mut errors, ColumnName::parse("user column", &text.user));
        let patient = keep(&mut errors, ColumnName::parse("patient column", &text.patient));
        let action = keep(&mut errors, ColumnName::parse_optional("action column", &text.action));
        let workstation = keep(&mut errors, ColumnName::parse_optional("workstation column", &text.workstation));
        let outcome = keep(&mut errors, ColumnName::parse_optional("outcome column", &text.outcome));
        let emergency = keep(&mut errors, ColumnName::parse_optional("emergency column", &text.emergency));
        let reviewed = keep(&mut errors, ColumnName::parse_optional("reviewed column", &text.reviewed));
        let time_zone = keep(&mut errors, TimeZoneName::parse_optional("time zone", &text.time_zone));
        let failure_values = keep(&mut errors, FailureValues::parse("failure values", &text.failure_values));

        // The rules that span fields run on every field that parsed, so one submission lists
        // every problem.
        let named = [
            ("time column", time.as_ref()),
            ("user column", user.as_ref()),
            ("patient column", patient.as_ref()),
            ("action column", action.as_ref().and_then(Option::as_ref)),
            ("workstation column", workstation.as_ref().and_then(Option::as_ref)),
            ("outcome column", outcome.as_ref().and_then(Option::as_ref)),
            ("emergency column", emergency.as_ref().and_then(Option::as_ref)),
            ("reviewed column", reviewed.as_ref().and_then(Option::as_ref)),
        ];
        errors.extend(combination_errors(&named, !text.outcome.trim().is_empty(), failure_values.as_ref()));

        let (
            Some(time),
            Some(user),
            Some(patient),
            Some(action),
            Some(workstation),
            Some(outcome),
            Some(emergency),
            Some(reviewed),
            Some(time_zone),
            Some(failure_values),
        ) = (
            time,
            user,
            patient,
            action,
            workstation,
            outcome,
            emergency,
            reviewed,
            time_zone,
            failure_values,
        )
        else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            time,
            user,
            patient,
            action,
            workstation,
            outcome,
            emergency,
            reviewed,
            time_zone,
            failure_values,
        })
    }

    /// Checks the rules that span fields on a mapping built from parts.
    fn check_combination(&self) -> Result<(), Vec<InvalidValue>> {
        let named = self.columns().map(|mapped| (mapped.field, mapped.column));
        let errors = combination_errors(&named, self.outcome.is_some(), Some(&self.failure_values));
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Returns every field with the column it reads, required fields first.
    pub fn columns(&self) -> [MappedColumn<'_>; 8] {
        fn required<'a>(field: &'static str, column: &'a ColumnName) -> MappedColumn<'a> {
            MappedColumn {
                field,
                column: Some(column),
                required: true,
            }
        }
        fn optional<'a>(field: &'static str, column: &'a Option<ColumnName>) -> MappedColumn<'a> {
            MappedColumn {
                field,
                column: column.as_ref(),
                required: false,
            }
        }
        [
            required("time column", &self.time),
            required("user column", &self.user),
            required("patient column", &self.patient),
            optional("action column", &self.action),
            optional("workstation column", &self.workstation),
            optional("outcome column", &self.outcome),
            optional("emergency column", &self.emergency),
            optional("reviewed column", &self.reviewed),
        ]
    }

    /// Returns the column with the access time.
    pub fn time(&self) -> &ColumnName {
        &self.time
    }

    /// Returns the column with the EHR user name.
    pub fn user(&self) -> &ColumnName {
        &self.user
    }

    /// Returns the column with the patient identifier.
    pub fn patient(&self) -> &ColumnName {
        &self.patient
    }

    /// Returns the column with the action, if the export has one.
    pub fn action(&self) -> Option<&ColumnName> {
        self.action.as_ref()
    }

    /// Returns the column with the workstation or client address, if the export has one.
    pub fn workstation(&self) -> Option<&ColumnName> {
        self.workstation.as_ref()
    }

    /// Returns the column with the outcome, if the export has one.
    pub fn outcome(&self) -> Option<&ColumnName> {
        self.outcome.as_ref()
    }

    /// Returns the column with the emergency flag, if the export has one.
    pub fn emergency(&self) -> Option<&ColumnName> {
        self.emergency.as_ref()
    }

    /// Returns the column with the post-event review flag, if the export has one.
    pub fn reviewed(&self) -> Option<&ColumnName> {
        self.reviewed.as_ref()
    }

    /// Returns the zone of times written without an offset. `None` means UTC.
    pub fn time_zone(&self) -> Option<&TimeZoneName> {
        self.time_zone.as_ref()
    }

    /// Returns the outcome values that mean failure.
    pub fn failure_values(&self) -> &FailureValues {
        &self.failure_values
    }

    /// Returns the mapping as form text, to fill in a form.
    pub fn to_text(&self) -> MappingText {
        let optional = |column: &Option<ColumnName>| column.as_ref().map(|name| name.0.clone()).unwrap_or_default();
        MappingText {
            time: self.time.0.clone(),
            user: self.user.0.clone(),
            patient: self.patient.0.clone(),
            action: optional(&self.action),
            workstation: optional(&self.workstation),
            outcome: optional(&self.outcome),
            emergency: optional(&self.emergency),
            reviewed: optional(&self.reviewed),
            time_zone: self.time_zone.as_ref().map(|zone| zone.0.clone()).unwrap_or_default(),
            failure_values: self.failure_values.to_string(),
        }
    }
}

/// Returns the errors of the rules that span fields: no column serves two fields, and a named
/// outcome column comes with failure values. `columns` lists each field with its column, `None`
/// for a field left empty or not valid, and `failure_values` is `None` when they are not valid.
fn combination_errors(
    columns: &[(&'static str, Option<&ColumnName>)],
    outcome_named: bool,
    failure_values: Option<&FailureValues>,
) -> Vec<InvalidValue> {
    let mut errors = Vec::new();
    for (index, (field, column)) in columns.iter().enumerate() {
        let Some(column) = column else { continue };
        let earlier = columns[..index]
            .iter()
            .find(|(_, earlier)| earlier.is_some_and(|name| name.same_column(column)));
        if let Some((earlier_field, _)) = earlier {
            errors.push(InvalidValue::new(
                field,
                format!(
                    "{} is also the {earlier_field}; each column can serve one field, so name another column or leave this one empty",
                    quoted_start(column.as_str()),
                ),
            ));
        }
    }
    if outcome_named && failure_values.is_some_and(FailureValues::is_empty) {
        errors.push(InvalidValue::new(
            "failure values",
            "are missing while an outcome column is named; enter the outcome values that mean a failed attempt, separated by commas, such as failure, denied",
        ));
    }
    errors
}

/// The JSON form of a mapping, the shape of the `--ehr-mapping` file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingJson {
    time: String,
    user: String,
    patient: String,
    action: Option<String>,
    workstation: Option<String>,
    outcome: Option<String>,
    emergency: Option<String>,
    reviewed: Option<String>,
    time_zone: Option<String>,
    failure_values: Vec<String>,
}

impl From<EhrMapping> for MappingJson {
    fn from(mapping: EhrMapping) -> Self {
        let optional = |column: Option<ColumnName>| column.map(|name| name.0);
        Self {
            time: mapping.time.0,
            user: mapping.user.0,
            patient: mapping.patient.0,
            action: optional(mapping.action),
            workstation: optional(mapping.workstation),
            outcome: optional(mapping.outcome),
            emergency: optional(mapping.emergency),
            reviewed: optional(mapping.reviewed),
            time_zone: mapping.time_zone.map(|zone| zone.0),
            failure_values: mapping.failure_values.0,
        }
    }
}

impl TryFrom<MappingJson> for EhrMapping {
    type Error = String;

    fn try_from(json: MappingJson) -> Result<Self, Self::Error> {
        let failure_values = FailureValues::from_values("failure values", json.failure_values.iter().map(String::as_str))
            .map_err(|error| error.to_string())?;
        // An optional column stored as an empty string names no column, so it is rejected like an
        // empty required column rather than read as absent.
        let optional = |field, column: Option<String>| column.map(|name| ColumnName::parse(field, &name)).transpose();
        let text_error = |error: InvalidValue| error.to_string();
        let mapping = Self {
            time: ColumnName::parse("time column", &json.time).map_err(text_error)?,
            user: ColumnName::parse("user column", &json.user).map_err(text_error)?,
            patient: ColumnName::parse("patient column", &json.patient).map_err(text_error)?,
            action: optional("action column", json.action).map_err(text_error)?,
            workstation: optional("workstation column", json.workstation).map_err(text_error)?,
            outcome: optional("outcome column", json.outcome).map_err(text_error)?,
            emergency: optional("emergency column", json.emergency).map_err(text_error)?,
            reviewed: optional("reviewed column", json.reviewed).map_err(text_error)?,
            time_zone: match json.time_zone {
                Some(name) if name.trim().is_empty() => return Err("time zone: is empty; write null for UTC".to_owned()),
                Some(name) => TimeZoneName::parse_optional("time zone", &name).map_err(text_error)?,
                None => None,
            },
            failure_values,
        };
        mapping
            .check_combination()
            .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
        Ok(mapping)
    }
}

/// A validated EHR log source: its name and its mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EhrSourceInput {
    /// The name of the export as the practice calls it, such as `Front desk EHR audit export`, at
    /// most [`MAX_NAME_CHARS`] characters.
    pub name: Line,
    /// The column mapping.
    pub mapping: EhrMapping,
}

impl EhrSourceInput {
    /// Parses a source form; every error names its field.
    pub fn parse(name: &str, mapping: &MappingText) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let name = Line::parse("name", name).map_err(|error| errors.push(error)).ok();
        if let Some(name) = &name
            && name.as_str().chars().count() > MAX_NAME_CHARS
        {
            errors.push(InvalidValue::new(
                "name",
                format!(
                    "{} is longer than {MAX_NAME_CHARS} characters; shorten it",
                    quoted_start(name.as_str())
                ),
            ));
        }
        let mapping = EhrMapping::parse(mapping).map_err(|mut found| errors.append(&mut found)).ok();

        match (name, mapping) {
            (Some(name), Some(mapping)) if errors.is_empty() => Ok(Self { name, mapping }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renamed() -> MappingText {
        MappingText {
            time: " Access Time ".into(),
            user: "User ID".into(),
            patient: "MRN".into(),
            action: "Event".into(),
            workstation: "".into(),
            outcome: "Result".into(),
            emergency: "".into(),
            reviewed: "".into(),
            time_zone: "america/chicago".into(),
            failure_values: "DENIED, , failed ,denied".into(),
        }
    }

    fn fields(errors: &[InvalidValue]) -> Vec<&'static str> {
        errors.iter().map(|error| error.field).collect()
    }

    #[test]
    fn mapping_parses_renamed_columns() {
        let mapping = EhrMapping::parse(&renamed()).unwrap();

        assert_eq!(mapping.time().as_str(), "Access Time");
        assert_eq!(mapping.action().map(ColumnName::as_str), Some("Event"));
        assert_eq!(mapping.workstation(), None);
        assert_eq!(mapping.time_zone().map(TimeZoneName::as_str), Some("America/Chicago"));
        assert_eq!(mapping.failure_values().values(), ["DENIED", "failed"]);
    }

    #[test]
    fn mapping_lists_every_missing_required_column() {
        let text = MappingText {
            outcome: String::new(),
            ..MappingText::default()
        };

        let errors = EhrMapping::parse(&text).unwrap_err();

        assert_eq!(fields(&errors), ["time column", "user column", "patient column"]);
    }

    #[test]
    fn mapping_rejects_unknown_zone_naming_it() {
        let text = MappingText {
            time_zone: "Mars/Olympus".into(),
            ..renamed()
        };

        let errors = EhrMapping::parse(&text).unwrap_err();

        assert_eq!(fields(&errors), ["time zone"]);
        assert!(errors[0].message.contains("\"Mars/Olympus\""), "{}", errors[0].message);
    }

    #[test]
    fn zone_abbreviations_follow_time_zone_database() {
        // "EST" is a tz database entry, which jiff 1.0.3 loads as a named zone whose
        // `to_fixed_offset` fails, so it is accepted. "PST" is in no tz database and is rejected.
        let accepted = TimeZoneName::parse_optional("time zone", "EST").unwrap();
        let rejected = TimeZoneName::parse_optional("time zone", "PST").unwrap_err();

        assert_eq!(accepted.as_ref().map(TimeZoneName::as_str), Some("EST"));
        assert!(
            rejected.message.contains("\"PST\" is not a known IANA time zone"),
            "{}",
            rejected.message
        );
    }

    #[test]
    fn mapping_rejects_column_used_twice() {
        let text = MappingText {
            workstation: "mrn".into(),
            ..renamed()
        };

        let errors = EhrMapping::parse(&text).unwrap_err();

        assert_eq!(fields(&errors), ["workstation column"]);
        assert!(errors[0].message.contains("is also the patient column"), "{}", errors[0].message);
    }

    #[test]
    fn mapping_lists_field_and_combination_errors_together() {
        let text = MappingText {
            time: String::new(),
            workstation: "MRN".into(),
            time_zone: "Mars/Olympus".into(),
            failure_values: String::new(),
            ..renamed()
        };

        let errors = EhrMapping::parse(&text).unwrap_err();

        assert_eq!(
            fields(&errors),
            ["time column", "time zone", "workstation column", "failure values"]
        );
    }

    #[test]
    fn outcome_column_needs_failure_values() {
        let text = MappingText {
            failure_values: " , ".into(),
            ..renamed()
        };

        let errors = EhrMapping::parse(&text).unwrap_err();
        assert_eq!(fields(&errors), ["failure values"]);

        let without_outcome = MappingText {
            outcome: String::new(),
            failure_values: String::new(),
            ..renamed()
        };
        assert!(EhrMapping::parse(&without_outcome).is_ok());
    }

    #[test]
    fn column_rejects_long_and_multiline_names() {
        assert!(ColumnName::parse("time column", &"c".repeat(MAX_COLUMN_CHARS)).is_ok());
        let long = ColumnName::parse("time column", &"c".repeat(MAX_COLUMN_CHARS + 1)).unwrap_err();
        assert!(long.message.contains("longer than 100"), "{}", long.message);
        assert!(ColumnName::parse("time column", "Access\nTime").is_err());
    }

    #[test]
    fn failure_values_have_a_maximum_count() {
        let many: Vec<String> = (0..=MAX_FAILURE_VALUES).map(|index| format!("code{index}")).collect();

        assert!(FailureValues::parse("failure values", &many.join(",")).is_err());
        assert!(FailureValues::parse("failure values", &many[1..].join(",")).is_ok());
    }

    #[test]
    fn json_has_the_command_line_shape() {
        let mapping = EhrMapping::parse(&renamed()).unwrap();

        let json = serde_json::to_value(&mapping).unwrap();

        assert_eq!(
            json,
            serde_json::json!({
                "time": "Access Time", "user": "User ID", "patient": "MRN",
                "action": "Event", "workstation": null, "outcome": "Result",
                "emergency": null, "reviewed": null,
                "time_zone": "America/Chicago",
                "failure_values": ["DENIED", "failed"],
            })
        );
        assert_eq!(serde_json::from_value::<EhrMapping>(json).unwrap(), mapping);
    }

    #[test]
    fn json_is_checked_when_read() {
        let mut json = serde_json::to_value(EhrMapping::default()).unwrap();
        json["workstation"] = serde_json::json!("TIME");

        let error = serde_json::from_value::<EhrMapping>(json).unwrap_err();

        assert!(error.to_string().contains("workstation column"), "{error}");
    }

    #[test]
    fn form_text_round_trips() {
        let mapping = EhrMapping::parse(&renamed()).unwrap();

        assert_eq!(EhrMapping::parse(&mapping.to_text()).unwrap(), mapping);
        assert_eq!(EhrMapping::parse(&EhrMapping::default().to_text()).unwrap(), EhrMapping::default());
    }

    #[test]
    fn source_needs_a_name() {
        let errors = EhrSourceInput::parse("  ", &renamed()).unwrap_err();
        assert_eq!(fields(&errors), ["name"]);

        let long = EhrSourceInput::parse(&"n".repeat(MAX_NAME_CHARS + 1), &renamed()).unwrap_err();
        assert_eq!(fields(&long), ["name"]);

        let source = EhrSourceInput::parse(" Front desk EHR ", &renamed()).unwrap();
        assert_eq!(source.name.as_str(), "Front desk EHR");
    }
}
