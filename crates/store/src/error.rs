//! The errors of the store.

use jiff::civil::Date;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names a kind of database Safeguard does not support.
    #[error("unsupported database URL scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl {
        /// The scheme found.
        scheme: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("cannot apply the database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database query failed")]
    Database(#[from] sqlx::Error),
    /// The requested record does not exist.
    #[error("{kind} not found")]
    NotFound {
        /// The kind of record.
        kind: &'static str,
    },
    /// The write conflicts with a record that exists, such as a second account with the same
    /// e-mail address.
    #[error("{0}")]
    Conflict(String),
    /// The record is inside its six-year retention period; the attempt was recorded.
    #[error("this {kind} cannot be deleted: records are kept for six years from the later of creation and the end of their effect{}", deletable_text(*.deletable_from))]
    RetentionHold {
        /// The kind of record.
        kind: &'static str,
        /// The first day it may be deleted, if its effect has ended.
        deletable_from: Option<Date>,
    },
    /// A stored value could not be read back, which means the database was changed outside
    /// Safeguard.
    #[error("stored {what} is not valid: {detail}")]
    Corrupt {
        /// Which value.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// An evidence file could not be written or read.
    #[error("evidence file storage failed")]
    Files(#[from] std::io::Error),
}

fn deletable_text(from: Option<Date>) -> String {
    match from {
        Some(day) => format!(" (this one from {day})"),
        None => " (this one is still in effect)".to_owned(),
    }
}

impl StoreError {
    /// Whether the error means the database itself failed, as opposed to a refused request.
    pub fn is_internal(&self) -> bool {
        !matches!(
            self,
            StoreError::NotFound { .. } | StoreError::Conflict(_) | StoreError::RetentionHold { .. }
        )
    }
}
