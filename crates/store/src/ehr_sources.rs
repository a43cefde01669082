//! EHR log sources: named column mappings of EHR access-log exports, which activity reviews
//! read EHR CSV files with.
//!
//! A source keeps its mapping as the JSON of [`EhrMapping`] and a version that grows by one with
//! each change, and every change is ledgered with the full content. Sources are never deleted,
//! because reviews name them. A review copies the mapping when it starts (see
//! [`crate::activity_reviews`]), so changing a source never changes a review.

use jiff::Timestamp;
use safeguard_domain::ehr_sources::{EhrMapping, EhrSourceInput};
use safeguard_domain::ids::{EhrSourceId, UserId};
use serde_json::json;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A stored EHR log source.
#[derive(Debug, Clone)]
pub struct EhrLogSource {
    /// Its id.
    pub id: EhrSourceId,
    /// The name of the export as the practice calls it.
    pub name: String,
    /// The column mapping.
    pub mapping: EhrMapping,
    /// The version: 1 when created, one more with each change.
    pub version: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// The name of the account that last changed it.
    pub updated_by_name: String,
}

const SOURCE_COLUMNS: &str = "s.id, s.name, s.mapping, s.version, s.created_at, s.updated_at, u.display_name AS updated_by_name";
const SOURCE_FROM: &str = "FROM ehr_log_sources s JOIN users u ON u.id = s.updated_by";

/// Reads a mapping stored as JSON.
pub(crate) fn mapping_from_json(text: &str) -> Result<EhrMapping, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt {
        what: "EHR column mapping",
        detail: error.to_string(),
    })
}

/// Writes a mapping as JSON.
pub(crate) fn mapping_to_json(mapping: &EhrMapping) -> Result<String, StoreError> {
    serde_json::to_string(mapping).map_err(|error| StoreError::Corrupt {
        what: "EHR column mapping",
        detail: error.to_string(),
    })
}

fn source_from_row(row: &sqlx::any::AnyRow) -> Result<EhrLogSource, StoreError> {
    Ok(EhrLogSource {
        id: rows::parsed(row, "id")?,
        name: rows::text(row, "name")?,
        mapping: mapping_from_json(&rows::text(row, "mapping")?)?,
        version: rows::integer(row, "version")?,
        created_at: rows::instant(row, "created_at")?,
        updated_at: rows::instant(row, "updated_at")?,
        updated_by_name: rows::text(row, "updated_by_name")?,
    })
}

fn source_payload(input: &EhrSourceInput, version: i64) -> serde_json::Value {
    json!({
        "name": input.name.as_str(),
        "mapping": input.mapping,
        "version": version,
    })
}

impl Store {
    /// Returns every EHR log source, by name.
    #[instrument(skip_all)]
    pub async fn ehr_log_sources(&self) -> Result<Vec<EhrLogSource>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {SOURCE_COLUMNS} {SOURCE_FROM} ORDER BY lower(s.name), s.id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(source_from_row).collect()
    }

    /// Returns one EHR log source.
    #[instrument(skip_all, fields(ehr_source.id = %id))]
    pub async fn ehr_log_source(&self, id: EhrSourceId) -> Result<EhrLogSource, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {SOURCE_COLUMNS} {SOURCE_FROM} WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        source_from_row(&row.ok_or(StoreError::NotFound { kind: "EHR log source" })?)
    }

    /// Adds an EHR log source at version 1. A name that another source has, ignoring ASCII
    /// case, is rejected as a conflict.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_ehr_log_source(&self, actor: UserId, input: &EhrSourceInput) -> Result<EhrSourceId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = EhrSourceId::new();

        reject_duplicate_name(&mut transaction, id, input).await?;
        sqlx::query("INSERT INTO ehr_log_sources (id, name, mapping, version, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, 1, $4, $5, $6, $7)")
            .bind(id.to_string())
            .bind(input.name.as_str())
            .bind(mapping_to_json(&input.mapping)?)
            .bind(&now)
            .bind(actor.to_string())
            .bind(&now)
            .bind(actor.to_string())
            .execute(&mut *transaction)
            .await?;
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "ehr_log_source.created",
                record_kind: "ehr_log_source",
                record_id: id.to_string(),
                payload: source_payload(input, 1),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Replaces the name and mapping of a source whose version is still `expected_version`,
    /// and returns the new version. A source changed since the form was read is rejected as a
    /// conflict, so one person's change never silently overwrites another's. Reviews already
    /// started keep the mapping they copied.
    #[instrument(skip_all, fields(user.id = %actor, ehr_source.id = %id))]
    pub async fn update_ehr_log_source(
        &self,
        actor: UserId,
        id: EhrSourceId,
        expected_version: i64,
        input: &EhrSourceInput,
    ) -> Result<i64, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let current = sqlx::query("SELECT version FROM ehr_log_sources WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound { kind: "EHR log source" })?;
        let current = rows::integer(&current, "version")?;
        if current != expected_version {
            return Err(StoreError::Conflict(format!(
                "this EHR log source was changed by someone else since you opened it (now version {current}, you edited version {expected_version}); reload the page and make your change again"
            )));
        }
        reject_duplicate_name(&mut transaction, id, input).await?;

        let version = current + 1;
        let updated = sqlx::query(
            "UPDATE ehr_log_sources SET name = $1, mapping = $2, version = $3, updated_at = $4, updated_by = $5 WHERE id = $6 AND version = $7",
        )
        .bind(input.name.as_str())
        .bind(mapping_to_json(&input.mapping)?)
        .bind(version)
        .bind(&now)
        .bind(actor.to_string())
        .bind(id.to_string())
        .bind(current)
        .execute(&mut *transaction)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict(
                "this EHR log source was changed by someone else at the same time; reload the page and make your change again".into(),
            ));
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "ehr_log_source.updated",
                record_kind: "ehr_log_source",
                record_id: id.to_string(),
                payload: source_payload(input, version),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(version)
    }
}

/// Rejects a name that a source other than `id` already has. The unique index on `lower(name)`
/// enforces the same rule; this check turns it into a message.
///
/// NOTE: `lower` folds only ASCII letters on SQLite but all letters on PostgreSQL, so two names
/// that differ only in the case of a non-ASCII letter are distinct on SQLite alone.
async fn reject_duplicate_name(connection: &mut sqlx::AnyConnection, id: EhrSourceId, input: &EhrSourceInput) -> Result<(), StoreError> {
    let duplicate = sqlx::query("SELECT id FROM ehr_log_sources WHERE lower(name) = lower($1) AND id <> $2")
        .bind(input.name.as_str())
        .bind(id.to_string())
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
    if duplicate {
        return Err(StoreError::Conflict(format!(
            "an EHR log source named {:?} exists already; choose another name",
            input.name.as_str()
        )));
    }
    Ok(())
}
