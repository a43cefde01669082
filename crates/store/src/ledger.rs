//! The evidence ledger: an append-only, hash-chained record of every signed record and state
//! change.
//!
//! Entries are appended only through [`append`], inside the transaction that makes the change,
//! so a change and its entry commit together. Nothing updates or deletes ledger rows.

use safeguard_domain::ledger::{GENESIS_HASH, LedgerEntry, StoredEntry};
use sqlx::{AnyConnection, Row};
use tracing::instrument;

use crate::{Backend, Store, StoreError, rows};

/// Who caused a ledger entry.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A signed-in user, by id.
    User(safeguard_domain::ids::UserId),
    /// Setup, demo seeding or a background job.
    System,
}

impl Actor {
    fn text(&self) -> String {
        match self {
            Actor::User(id) => id.to_string(),
            Actor::System => "system".to_owned(),
        }
    }
}

/// What a ledger entry records.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// What happened, such as `designation.signed`.
    pub action: &'a str,
    /// The kind of record.
    pub record_kind: &'a str,
    /// The record's id.
    pub record_id: String,
    /// The record's content or the change.
    pub payload: serde_json::Value,
}

/// Appends an entry inside the caller's transaction and returns its sequence number.
pub(crate) async fn append(
    connection: &mut AnyConnection,
    backend: Backend,
    recorded_at: &str,
    actor: &Actor,
    change: Change<'_>,
) -> Result<i64, StoreError> {
    backend.lock_ledger(connection).await?;

    let last = sqlx::query("SELECT sequence, hash FROM ledger ORDER BY sequence DESC LIMIT 1")
        .fetch_optional(&mut *connection)
        .await?;
    let (sequence, previous_hash) = match last {
        Some(row) => (rows::integer(&row, "sequence")? + 1, rows::text(&row, "hash")?),
        None => (1, GENESIS_HASH.to_owned()),
    };

    let entry = LedgerEntry {
        sequence,
        recorded_at: recorded_at.to_owned(),
        actor: actor.text(),
        action: change.action.to_owned(),
        record_kind: change.record_kind.to_owned(),
        record_id: change.record_id,
        payload: change.payload,
    };
    let hash = entry.hash(&previous_hash);

    sqlx::query("INSERT INTO ledger (sequence, recorded_at, actor, action, record_kind, record_id, payload, previous_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(entry.sequence)
        .bind(entry.recorded_at)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.record_kind)
        .bind(entry.record_id)
        .bind(entry.payload.to_string())
        .bind(previous_hash)
        .bind(hash)
        .execute(&mut *connection)
        .await?;

    Ok(sequence)
}

const ENTRY_COLUMNS: &str = "sequence, recorded_at, actor, action, record_kind, record_id, payload, previous_hash, hash";

/// The starting point of a ledger page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStart {
    /// The newest entries.
    Newest,
    /// The entries just older than this sequence number.
    Before(i64),
    /// The entries just newer than this sequence number.
    After(i64),
}

/// One page of ledger entries, newest first, with the keys of the pages beside it.
#[derive(Debug, Clone)]
pub struct LedgerPage {
    /// The entries, newest first.
    pub entries: Vec<StoredEntry>,
    /// The key for [`PageStart::After`] that reads the newer page, if newer entries exist.
    pub newer_after: Option<i64>,
    /// The key for [`PageStart::Before`] that reads the older page, if older entries exist.
    pub older_before: Option<i64>,
}

/// A ledger entry as pages show it.
#[derive(Debug, Clone)]
pub struct LedgerRow {
    /// The stored entry and hashes.
    pub stored: StoredEntry,
}

impl Store {
    /// Appends one entry in its own transaction, for changes that write no other row, such as
    /// a refused deletion.
    #[instrument(skip_all, fields(ledger.action = change.action))]
    pub async fn record_event(&self, actor: &Actor, change: Change<'_>) -> Result<i64, StoreError> {
        let mut transaction = self.begin_write().await?;
        let sequence = append(&mut transaction, self.backend, &self.now_text(), actor, change).await?;
        transaction.commit().await?;
        Ok(sequence)
    }

    /// Returns every entry in sequence order, for verification.
    ///
    /// NOTE: this reads the whole ledger into memory; a practice appends a few thousand
    /// entries a year, so even decades fit comfortably.
    #[instrument(skip_all)]
    pub async fn ledger_entries(&self) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query("SELECT sequence, recorded_at, actor, action, record_kind, record_id, payload, previous_hash, hash FROM ledger ORDER BY sequence")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored_entry).collect()
    }

    /// Returns one page of at most `size` entries, newest first, found by keyset paging on the
    /// sequence number so that entries appended meanwhile do not shift older pages.
    #[instrument(skip_all, fields(?start, size))]
    pub async fn ledger_page(&self, start: PageStart, size: i64) -> Result<LedgerPage, StoreError> {
        let size = size.max(1);
        let (sql, bound) = match start {
            PageStart::Newest => (
                composed_sql!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE sequence <= $1 ORDER BY sequence DESC LIMIT $2"),
                i64::MAX,
            ),
            PageStart::Before(sequence) => (
                composed_sql!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE sequence < $1 ORDER BY sequence DESC LIMIT $2"),
                sequence,
            ),
            PageStart::After(sequence) => (
                composed_sql!("SELECT {ENTRY_COLUMNS} FROM ledger WHERE sequence > $1 ORDER BY sequence ASC LIMIT $2"),
                sequence,
            ),
        };
        let rows = sqlx::query(sql).bind(bound).bind(size + 1).fetch_all(&self.pool).await?;
        let mut entries = rows.iter().map(stored_entry).collect::<Result<Vec<_>, _>>()?;

        // The query reads one entry past the page, so a full extra row proves that the page in
        // the reading direction exists without a second query.
        let more_in_reading_direction = entries.len() as i64 > size;
        entries.truncate(size as usize);
        if matches!(start, PageStart::After(_)) {
            entries.reverse();
        }

        // An empty page, reached by a stale or hand-made link, still links back to the entries
        // beside its key.
        let newest = entries.first().map(|stored| stored.entry.sequence);
        let oldest = entries.last().map(|stored| stored.entry.sequence);
        let (newer_after, older_before) = match start {
            PageStart::Newest => (None, more_in_reading_direction.then_some(oldest).flatten()),
            PageStart::Before(sequence) => {
                let newer_key = newest.unwrap_or(sequence - 1);
                let has_newer = self.ledger_has_entry_after(newer_key).await?;
                (
                    has_newer.then_some(newer_key),
                    more_in_reading_direction.then_some(oldest).flatten(),
                )
            }
            PageStart::After(sequence) => {
                let older_key = oldest.unwrap_or(sequence + 1);
                let has_older = self.ledger_has_entry_before(older_key).await?;
                (
                    more_in_reading_direction.then_some(newest).flatten(),
                    has_older.then_some(older_key),
                )
            }
        };

        Ok(LedgerPage {
            entries,
            newer_after,
            older_before,
        })
    }

    async fn ledger_has_entry_after(&self, sequence: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT sequence FROM ledger WHERE sequence > $1 LIMIT 1")
            .bind(sequence)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn ledger_has_entry_before(&self, sequence: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT sequence FROM ledger WHERE sequence < $1 LIMIT 1")
            .bind(sequence)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Returns the newest `limit` entries, newest first.
    #[instrument(skip_all, fields(limit))]
    pub async fn recent_ledger_entries(&self, limit: i64) -> Result<Vec<StoredEntry>, StoreError> {
        let rows = sqlx::query("SELECT sequence, recorded_at, actor, action, record_kind, record_id, payload, previous_hash, hash FROM ledger ORDER BY sequence DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(stored_entry).collect()
    }
}

fn stored_entry(row: &sqlx::any::AnyRow) -> Result<StoredEntry, StoreError> {
    let payload_text = rows::text(row, "payload")?;
    let payload = serde_json::from_str(&payload_text).map_err(|error| StoreError::Corrupt {
        what: "ledger payload",
        detail: error.to_string(),
    })?;

    Ok(StoredEntry {
        entry: LedgerEntry {
            sequence: row.try_get::<i64, _>("sequence")?,
            recorded_at: rows::text(row, "recorded_at")?,
            actor: rows::text(row, "actor")?,
            action: rows::text(row, "action")?,
            record_kind: rows::text(row, "record_kind")?,
            record_id: rows::text(row, "record_id")?,
            payload,
        },
        previous_hash: rows::text(row, "previous_hash")?,
        hash: rows::text(row, "hash")?,
    })
}
