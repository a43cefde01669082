//! Fresh databases for tests, on SQLite and on PostgreSQL.
//!
//! Each test gets its own database: a SQLite file in a temporary folder, or a PostgreSQL
//! database with a unique name created on the server named by `SAFEGUARD_TEST_POSTGRES_URL`
//! and dropped afterwards. Set `SAFEGUARD_TEST_KEEP_DATABASE=1` to keep PostgreSQL test
//! databases for inspection. Only compiled with the `test-support` feature.

use std::sync::Arc;

use jiff::Timestamp;
use safeguard_domain::clock::FixedClock;
use sqlx::Connection;

use crate::{Backend, DatabaseUrl, Store};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VARIABLE: &str = "SAFEGUARD_TEST_POSTGRES_URL";

/// A database made for one test.
pub struct TestDatabase {
    /// The store over the fresh database.
    pub store: Store,
    /// The clock the store reads, set by the test.
    pub clock: FixedClock,
    /// The database URL, for code under test that opens its own store.
    pub url: DatabaseUrl,
    /// A folder that lives as long as the database, for evidence files and SQLite.
    pub folder: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// Creates a fresh database of `backend` with the clock at `now`.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is asked for and `SAFEGUARD_TEST_POSTGRES_URL` is unset or the server
    /// cannot be reached: a test that needs PostgreSQL must fail loudly, not pass silently.
    pub async fn create(backend: Backend, now: Timestamp) -> Self {
        let folder = tempfile::tempdir().expect("create a temporary folder for the test database");
        let clock = FixedClock::new(now);

        let (url, postgres) = match backend {
            Backend::Sqlite => (DatabaseUrl::sqlite_file(&folder.path().join("safeguard.db")), None),
            Backend::Postgres => {
                let server = std::env::var(POSTGRES_URL_VARIABLE)
                    .unwrap_or_else(|_| panic!("{POSTGRES_URL_VARIABLE} must name a PostgreSQL server for this test"));
                let name = format!("safeguard_test_{}", uuid::Uuid::now_v7().simple());
                execute_on_server(&server, &format!("CREATE DATABASE {name}")).await;
                let url = DatabaseUrl::parse(&with_database(&server, &name)).expect("valid PostgreSQL URL");
                (url, Some((server, name)))
            }
        };

        let store = Store::open(&url, Arc::new(clock.clone())).await.expect("open the test database");
        Self {
            store,
            clock,
            url,
            folder,
            postgres,
        }
    }

    /// Closes the store and drops a PostgreSQL test database.
    pub async fn remove(self) {
        self.store.close().await;
        if let Some((server, name)) = self.postgres
            && std::env::var("SAFEGUARD_TEST_KEEP_DATABASE").as_deref() != Ok("1")
        {
            execute_on_server(&server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

/// Runs `test` on a fresh database of `backend` and removes the database afterwards, also
/// when the test panics; the panic is then passed on.
pub async fn run_on<F, Fut>(backend: Backend, now: Timestamp, test: F)
where
    F: FnOnce(Store, FixedClock, std::path::PathBuf) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = TestDatabase::create(backend, now).await;
    let outcome = tokio::spawn(test(
        database.store.clone(),
        database.clock.clone(),
        database.folder.path().to_owned(),
    ))
    .await;
    database.remove().await;

    if let Err(error) = outcome
        && error.is_panic()
    {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn execute_on_server(server: &str, statement: &str) {
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(server)
        .await
        .unwrap_or_else(|error| panic!("connect to the PostgreSQL test server: {error}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    let _ = connection.close().await;
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let authority_end = base.find("://").map_or(0, |index| index + 3);
    let host_part = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{name}?{query}"),
        None => format!("{host_part}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://127.0.0.1", "t1"), "postgres://127.0.0.1/t1");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
