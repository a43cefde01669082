//! Sanction levels and the sanctions applied to workforce members.
//!
//! The levels start as the five defaults the migration inserts. The practice renames, reorders,
//! retires and adds levels, and each change is ledgered with its content. A sanction record is
//! written once and never updated or deleted. Its ledger entry carries only the SHA-256 of the
//! record's content, because auditors read the ledger and sanction records are for the Security
//! Official and managers only. The digest still proves that the record is unchanged.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::ids::{PersonId, SanctionId, SanctionLevelId, UserId};
use safeguard_domain::sanctions::{SanctionInput, SanctionLevelInput};
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A level of the practice's progressive-discipline scale.
#[derive(Debug, Clone)]
pub struct SanctionLevel {
    /// Its id.
    pub id: SanctionLevelId,
    /// Its name, such as `Written warning`.
    pub name: String,
    /// When it applies and what it involves.
    pub description: String,
    /// Its place in the scale, 1 for the mildest.
    pub severity: i64,
    /// Whether it can be chosen for a new sanction; retired levels stay for the records that
    /// used them.
    pub active: bool,
}

/// The record of a sanction applied to a workforce member.
#[derive(Debug, Clone)]
pub struct Sanction {
    /// Its id.
    pub id: SanctionId,
    /// The person sanctioned.
    pub person_id: PersonId,
    /// The person's name on the day the record was made.
    pub person_name: String,
    /// The violation: what the person did.
    pub violation: String,
    /// The policy or procedure violated.
    pub policy: String,
    /// The level applied.
    pub level_id: SanctionLevelId,
    /// The level's name on the day the record was made.
    pub level_name: String,
    /// The day the sanction was applied.
    pub applied_on: Date,
    /// The name of the person or people who decided it, as typed.
    pub decided_by: String,
    /// The name of the account that recorded it.
    pub recorded_by_name: String,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

const LEVEL_COLUMNS: &str = "id, name, description, severity, active";

fn level_from_row(row: &sqlx::any::AnyRow) -> Result<SanctionLevel, StoreError> {
    Ok(SanctionLevel {
        id: rows::parsed(row, "id")?,
        name: rows::text(row, "name")?,
        description: rows::text(row, "description")?,
        severity: rows::integer(row, "severity")?,
        active: rows::integer(row, "active")? != 0,
    })
}

fn sanction_from_row(row: &sqlx::any::AnyRow) -> Result<Sanction, StoreError> {
    Ok(Sanction {
        id: rows::parsed(row, "id")?,
        person_id: rows::parsed(row, "person_id")?,
        person_name: rows::text(row, "person_name")?,
        violation: rows::text(row, "violation")?,
        policy: rows::text(row, "policy")?,
        level_id: rows::parsed(row, "level_id")?,
        level_name: rows::text(row, "level_name")?,
        applied_on: rows::date(row, "applied_on")?,
        decided_by: rows::text(row, "decided_by")?,
        recorded_by_name: rows::text(row, "recorded_by_name")?,
        recorded_at: rows::instant(row, "recorded_at")?,
    })
}

fn level_payload(input: &SanctionLevelInput, active: bool) -> serde_json::Value {
    json!({
        "name": input.name.as_str(),
        "description": input.description.as_ref().map(|text| text.as_str()).unwrap_or_default(),
        "severity": input.severity,
        "active": active,
    })
}

/// The fields of a sanction record, in the order its digest covers them.
struct RecordContent<'a> {
    id: SanctionId,
    person_name: &'a str,
    level_name: &'a str,
    recorded_by: UserId,
    recorded_at: &'a str,
}

/// Returns the hex SHA-256 of a sanction record's content.
///
/// The content is a JSON array, so its order does not depend on how a JSON library orders object
/// keys. It lists the id, person id, person name, violation, policy, level id, level name, date
/// applied, decided by, recording account and recording instant.
fn record_digest(input: &SanctionInput, content: &RecordContent<'_>) -> String {
    let fields = json!([
        content.id.to_string(),
        input.person.to_string(),
        content.person_name,
        input.violation.as_str(),
        input.policy.as_str(),
        input.level.to_string(),
        content.level_name,
        input.applied_on.to_string(),
        input.decided_by.as_str(),
        content.recorded_by.to_string(),
        content.recorded_at,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

impl Store {
    /// Returns every sanction level, mildest first; retired levels come after those in use.
    #[instrument(skip_all)]
    pub async fn sanction_levels(&self) -> Result<Vec<SanctionLevel>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {LEVEL_COLUMNS} FROM sanction_levels ORDER BY active DESC, severity, name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(level_from_row).collect()
    }

    /// Adds a sanction level. A name that another level has, ignoring ASCII case, is rejected.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_sanction_level(&self, actor: UserId, input: &SanctionLevelInput) -> Result<SanctionLevelId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = SanctionLevelId::new();

        reject_duplicate_name(&mut transaction, id, input).await?;
        sqlx::query("INSERT INTO sanction_levels (id, name, description, severity, active) VALUES ($1, $2, $3, $4, 1)")
            .bind(id.to_string())
            .bind(input.name.as_str())
            .bind(input.description.as_ref().map(|text| text.as_str()).unwrap_or_default())
            .bind(input.severity)
            .execute(&mut *transaction)
            .await?;
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "sanction_level.created",
                record_kind: "sanction_level",
                record_id: id.to_string(),
                payload: level_payload(input, true),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Changes a sanction level, or retires it (`active` false) so new sanctions cannot use it.
    /// Sanctions already recorded keep the level's name as it was.
    #[instrument(skip_all, fields(user.id = %actor, sanction_level.id = %id))]
    pub async fn update_sanction_level(
        &self,
        actor: UserId,
        id: SanctionLevelId,
        input: &SanctionLevelInput,
        active: bool,
    ) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        reject_duplicate_name(&mut transaction, id, input).await?;
        let updated = sqlx::query("UPDATE sanction_levels SET name = $1, description = $2, severity = $3, active = $4 WHERE id = $5")
            .bind(input.name.as_str())
            .bind(input.description.as_ref().map(|text| text.as_str()).unwrap_or_default())
            .bind(input.severity)
            .bind(i64::from(active))
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "sanction level" });
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "sanction_level.updated",
                record_kind: "sanction_level",
                record_id: id.to_string(),
                payload: level_payload(input, active),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns every sanction record, most recently applied first.
    #[instrument(skip_all)]
    pub async fn sanctions(&self) -> Result<Vec<Sanction>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.person_id, s.person_name, s.violation, s.policy, s.level_id, s.level_name, s.applied_on, s.decided_by, s.recorded_at, u.display_name AS recorded_by_name \
             FROM sanctions s JOIN users u ON u.id = s.recorded_by ORDER BY s.applied_on DESC, s.recorded_at DESC, s.id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sanction_from_row).collect()
    }

    /// Records a sanction applied to a person on the roster, with a ledger entry that carries
    /// the record's digest.
    ///
    /// The person must be on the roster (`NotFound` otherwise) and the level must exist and be
    /// in use. A retired level is rejected as a conflict.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn record_sanction(&self, actor: UserId, input: &SanctionInput) -> Result<SanctionId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = SanctionId::new();

        let person = sqlx::query("SELECT name FROM people WHERE id = $1")
            .bind(input.person.to_string())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound { kind: "person" })?;
        let person_name = rows::text(&person, "name")?;
        let level = sqlx::query("SELECT name, active FROM sanction_levels WHERE id = $1")
            .bind(input.level.to_string())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound { kind: "sanction level" })?;
        let level_name = rows::text(&level, "name")?;
        if rows::integer(&level, "active")? == 0 {
            return Err(StoreError::Conflict(format!(
                "the sanction level {level_name:?} is retired; choose a level in use or put it back in use first"
            )));
        }

        sqlx::query("INSERT INTO sanctions (id, person_id, person_name, violation, policy, level_id, level_name, applied_on, decided_by, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id.to_string())
            .bind(input.person.to_string())
            .bind(&person_name)
            .bind(input.violation.as_str())
            .bind(input.policy.as_str())
            .bind(input.level.to_string())
            .bind(&level_name)
            .bind(input.applied_on.to_string())
            .bind(input.decided_by.as_str())
            .bind(actor.to_string())
            .bind(&now)
            .execute(&mut *transaction)
            .await?;
        let content = RecordContent {
            id,
            person_name: &person_name,
            level_name: &level_name,
            recorded_by: actor,
            recorded_at: &now,
        };
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "sanction.recorded",
                record_kind: "sanction",
                record_id: id.to_string(),
                payload: json!({"content_sha256": record_digest(input, &content)}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }
}

/// Rejects a level name that a level other than `id` already has. The unique index on
/// `lower(name)` enforces the same rule; this check turns it into a message for the form.
///
/// NOTE: `lower` folds only ASCII letters on SQLite but all letters on PostgreSQL, so two names
/// that differ only in the case of a non-ASCII letter are distinct on SQLite alone.
async fn reject_duplicate_name(
    connection: &mut sqlx::AnyConnection,
    id: SanctionLevelId,
    input: &SanctionLevelInput,
) -> Result<(), StoreError> {
    let duplicate = sqlx::query("SELECT id FROM sanction_levels WHERE lower(name) = lower($1) AND id <> $2")
        .bind(input.name.as_str())
        .bind(id.to_string())
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
    if duplicate {
        return Err(StoreError::Conflict(format!(
            "a sanction level named {:?} exists already; choose another name",
            input.name.as_str()
        )));
    }
    Ok(())
}
