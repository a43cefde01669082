//! Persistence for Safeguard over SQLite and PostgreSQL.
//!
//! [`Store`] is the only way the rest of the workspace reaches the database. Its methods are
//! grouped by product area, one module each, and every method returns a `Result`: a database
//! failure is never reported as "no records". Every write of more than one row runs in one
//! transaction, and every state change appends to the evidence ledger inside the same
//! transaction, so a record and its ledger entry are stored together or not at all.
//!
//! One set of SQL serves both databases through sqlx's Any driver; the few places where the
//! dialects differ are in [`dialect`]. Migrations are embedded, one directory per database with
//! matching names.
#![deny(missing_docs)]

/// Builds SQL text from constant fragments of this crate, such as column lists and a fixed
/// filter chosen by a flag. Input is never formatted into SQL; values are always bound.
macro_rules! composed_sql {
    ($($argument:tt)*) => {
        sqlx::AssertSqlSafe(format!($($argument)*))
    };
}

pub mod accounts;
pub mod activity_reviews;
pub mod addressable;
pub mod calendar;
mod dialect;
pub mod ehr_sources;
pub mod error;
pub mod evidence;
pub mod inventory;
pub mod ledger;
pub mod practice;
pub mod program;
pub mod review_schedule;
pub mod risk;
mod rows;
pub mod sanctions;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod workforce;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use safeguard_domain::clock::{Clock, format_instant};
use secrecy::{ExposeSecret, SecretString};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

pub use dialect::Backend;
pub use error::StoreError;

/// A database URL, kept secret because a PostgreSQL URL may carry a password.
#[derive(Clone)]
pub struct DatabaseUrl {
    url: SecretString,
    backend: Backend,
}

impl DatabaseUrl {
    /// Parses a `sqlite:` or `postgres://` URL.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::UnsupportedUrl {
                scheme: scheme.chars().take(20).collect(),
            });
        };

        Ok(Self {
            url: SecretString::from(url.to_owned()),
            backend,
        })
    }

    /// Returns the URL of the SQLite database file at `path`, created if missing.
    pub fn sqlite_file(path: &std::path::Path) -> Self {
        Self {
            url: SecretString::from(format!("sqlite://{}?mode=rwc", path.display())),
            backend: Backend::Sqlite,
        }
    }

    /// Returns the database kind.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Returns the URL with any password replaced by `***`, for printing.
    pub fn redacted(&self) -> String {
        let url = self.url.expose_secret();
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (url, None),
        };

        let base = match base.split_once("://") {
            Some((scheme, rest)) => match rest.split_once('@') {
                Some((credentials, host)) if credentials.contains(':') => {
                    let user = credentials.split(':').next().unwrap_or_default();
                    format!("{scheme}://{user}:***@{host}")
                }
                _ => base.to_owned(),
            },
            None => base.to_owned(),
        };
        let Some(query) = query else {
            return base;
        };

        // libpq also accepts the password as a query parameter.
        let parameters: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        format!("{base}?{}", parameters.join("&"))
    }

    fn expose(&self) -> &str {
        self.url.expose_secret()
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// The database of one Safeguard installation.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
}

impl Store {
    /// Connects to the database at `url` and applies pending migrations.
    ///
    /// SQLite connections get WAL, foreign keys and a busy timeout. A SQLite pool keeps few
    /// connections because SQLite allows one writer at a time; write transactions begin with
    /// `BEGIN IMMEDIATE` so they queue instead of failing when they upgrade from read to write.
    pub async fn open(url: &DatabaseUrl, clock: Arc<dyn Clock>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url.expose()).map_err(StoreError::Connect)?;
        let backend = url.backend();

        // One direct connection first: when the server is down or the database is missing, the
        // pool would only report a timeout, while this reports the driver's own reason.
        let probe = sqlx::AnyConnection::connect_with(&options).await.map_err(StoreError::Connect)?;
        probe.close().await.map_err(StoreError::Connect)?;

        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new().max_connections(4).after_connect(|connection, _| {
                Box::pin(async move {
                    connection
                        .execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                        .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(10),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(15))
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;

        let store = Self { pool, backend, clock };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// Returns the database kind.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Returns the clock every timestamp of this store comes from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Checks that the database answers, for the health endpoint.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection; used before a temporary database is removed.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn now_text(&self) -> String {
        format_instant(self.now())
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(self.pool.begin_with(self.backend.begin_write_statement()).await?)
    }
}
