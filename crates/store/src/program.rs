//! Security Official designations.
//!
//! Signing a designation supersedes the one in effect: the old row gets the day before the new
//! one's effective date as its end and a link to its successor, in the same transaction, so
//! exactly one designation is in effect at a time.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::designation::DesignationInput;
use safeguard_domain::ids::{DesignationId, PersonId, UserId};
use serde_json::json;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A stored designation.
#[derive(Debug, Clone)]
pub struct Designation {
    /// Its id.
    pub id: DesignationId,
    /// The person designated.
    pub person_id: PersonId,
    /// Their name when designated.
    pub person_name: String,
    /// Their job title when designated.
    pub person_job_title: String,
    /// The duties.
    pub duties: Vec<String>,
    /// Decision rights for emergency changes.
    pub emergency_decision_rights: String,
    /// Decision rights for routine approvals.
    pub routine_decision_rights: String,
    /// The day it took effect.
    pub effective_date: Date,
    /// The typed signature.
    pub signature: String,
    /// The account that signed.
    pub signed_by: UserId,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// The last day it was in effect, once superseded.
    pub superseded_on: Option<Date>,
}

const COLUMNS: &str = "id, person_id, person_name, person_job_title, duties, emergency_decision_rights, routine_decision_rights, effective_date, signature, signed_by, signed_at, superseded_on";

fn designation_from_row(row: &sqlx::any::AnyRow) -> Result<Designation, StoreError> {
    let duties_text = rows::text(row, "duties")?;
    Ok(Designation {
        id: rows::parsed(row, "id")?,
        person_id: rows::parsed(row, "person_id")?,
        person_name: rows::text(row, "person_name")?,
        person_job_title: rows::text(row, "person_job_title")?,
        duties: serde_json::from_str(&duties_text).map_err(|error| StoreError::Corrupt {
            what: "designation duties",
            detail: error.to_string(),
        })?,
        emergency_decision_rights: rows::text(row, "emergency_decision_rights")?,
        routine_decision_rights: rows::text(row, "routine_decision_rights")?,
        effective_date: rows::date(row, "effective_date")?,
        signature: rows::text(row, "signature")?,
        signed_by: rows::parsed(row, "signed_by")?,
        signed_at: rows::instant(row, "signed_at")?,
        superseded_on: rows::optional_date(row, "superseded_on")?,
    })
}

impl Store {
    /// Returns the designation in effect, if any.
    #[instrument(skip_all)]
    pub async fn current_designation(&self) -> Result<Option<Designation>, StoreError> {
        let row = sqlx::query(composed_sql!(
            "SELECT {COLUMNS} FROM designations WHERE superseded_on IS NULL ORDER BY signed_at DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(designation_from_row).transpose()
    }

    /// Returns every designation, newest first.
    #[instrument(skip_all)]
    pub async fn designations(&self) -> Result<Vec<Designation>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {COLUMNS} FROM designations ORDER BY signed_at DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(designation_from_row).collect()
    }

    /// Returns one designation.
    #[instrument(skip_all, fields(designation.id = %id))]
    pub async fn designation(&self, id: DesignationId) -> Result<Designation, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {COLUMNS} FROM designations WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        designation_from_row(&row.ok_or(StoreError::NotFound { kind: "designation" })?)
    }

    /// Signs a designation of `person_id`, superseding the one in effect.
    #[instrument(skip_all, fields(user.id = %signer, person.id = %person_id))]
    pub async fn sign_designation(
        &self,
        signer: UserId,
        person_id: PersonId,
        input: &DesignationInput,
    ) -> Result<DesignationId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = DesignationId::new();

        let person = sqlx::query("SELECT name, job_title, status FROM people WHERE id = $1")
            .bind(person_id.to_string())
            .fetch_optional(&mut *transaction)
            .await?;
        let person = person.ok_or(StoreError::NotFound { kind: "person" })?;
        if rows::text(&person, "status")? == "terminated" {
            return Err(StoreError::Conflict(
                "a person who has left the practice cannot be designated Security Official".into(),
            ));
        }

        let current = sqlx::query("SELECT id, effective_date FROM designations WHERE superseded_on IS NULL")
            .fetch_all(&mut *transaction)
            .await?;
        for row in &current {
            let effective: Date = rows::date(row, "effective_date")?;
            if input.effective_date <= effective {
                return Err(StoreError::Conflict(format!(
                    "the effective date must be after {effective}, when the designation in effect started"
                )));
            }
            let ended = input.effective_date.yesterday().unwrap_or(input.effective_date);
            sqlx::query("UPDATE designations SET superseded_on = $1, superseded_by = $2 WHERE id = $3")
                .bind(ended.to_string())
                .bind(id.to_string())
                .bind(rows::text(row, "id")?)
                .execute(&mut *transaction)
                .await?;
        }

        let duties = serde_json::to_string(&input.duties).map_err(|error| StoreError::Corrupt {
            what: "designation duties",
            detail: error.to_string(),
        })?;
        sqlx::query(composed_sql!(
            "INSERT INTO designations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)"
        ))
        .bind(id.to_string())
        .bind(person_id.to_string())
        .bind(rows::text(&person, "name")?)
        .bind(rows::text(&person, "job_title")?)
        .bind(&duties)
        .bind(input.emergency_decision_rights.as_str())
        .bind(input.routine_decision_rights.as_str())
        .bind(input.effective_date.to_string())
        .bind(input.signature.as_str())
        .bind(signer.to_string())
        .bind(&now)
        .execute(&mut *transaction)
        .await?;

        let payload = json!({
            "person_id": person_id.to_string(),
            "duties": input.duties,
            "emergency_decision_rights": input.emergency_decision_rights.as_str(),
            "routine_decision_rights": input.routine_decision_rights.as_str(),
            "effective_date": input.effective_date.to_string(),
            "signature": input.signature.as_str(),
            "superseded": current.iter().map(|row| rows::text(row, "id")).collect::<Result<Vec<_>, _>>()?,
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(signer),
            Change {
                action: "designation.signed",
                record_kind: "designation",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }
}
