//! Reading typed values back from rows.
//!
//! Stored text is parsed into domain types here; a value that does not parse means the
//! database was edited outside Safeguard and becomes [`StoreError::Corrupt`], never a panic.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::StoreError;

pub(crate) fn text(row: &AnyRow, column: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(column)?)
}

pub(crate) fn optional_text(row: &AnyRow, column: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

pub(crate) fn integer(row: &AnyRow, column: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(column)?)
}

pub(crate) fn parsed<T: FromStr>(row: &AnyRow, column: &'static str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let value = text(row, column)?;
    value.parse::<T>().map_err(|error| StoreError::Corrupt {
        what: column,
        detail: error.to_string(),
    })
}

pub(crate) fn optional_parsed<T: FromStr>(row: &AnyRow, column: &'static str) -> Result<Option<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    optional_text(row, column)?
        .map(|value| {
            value.parse::<T>().map_err(|error| StoreError::Corrupt {
                what: column,
                detail: error.to_string(),
            })
        })
        .transpose()
}

pub(crate) fn date(row: &AnyRow, column: &'static str) -> Result<Date, StoreError> {
    parsed(row, column)
}

pub(crate) fn optional_date(row: &AnyRow, column: &'static str) -> Result<Option<Date>, StoreError> {
    optional_parsed(row, column)
}

pub(crate) fn instant(row: &AnyRow, column: &'static str) -> Result<Timestamp, StoreError> {
    parsed(row, column)
}

pub(crate) fn optional_instant(row: &AnyRow, column: &'static str) -> Result<Option<Timestamp>, StoreError> {
    optional_parsed(row, column)
}
