//! The places where SQLite and PostgreSQL need different SQL.
//!
//! Everything else in the store is written once in the subset both read through sqlx's Any
//! driver; the conformance suite runs on both to catch what this module misses.

use sqlx::AnyConnection;

use crate::StoreError;

/// The kind of database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Returns the statement that opens a transaction that will write.
    ///
    /// SQLite's default deferred transaction takes the write lock only at its first write, and
    /// fails at once if another connection wrote in between; `IMMEDIATE` takes the lock at the
    /// start, so concurrent writers wait for the busy timeout instead.
    pub(crate) fn begin_write_statement(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// Serializes ledger appends inside the current transaction.
    ///
    /// On PostgreSQL a transaction-scoped advisory lock keeps two instances from both reading
    /// the same last entry; on SQLite the `IMMEDIATE` transaction already holds the only write
    /// lock.
    pub(crate) async fn lock_ledger(self, connection: &mut AnyConnection) -> Result<(), StoreError> {
        if self == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7317001)").execute(connection).await?;
        }
        Ok(())
    }
}
