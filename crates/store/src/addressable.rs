//! Signed decisions on Addressable implementation specifications, kept as versions.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::addressable::{AddressableDecisionInput, AddressableOutcome, OutcomeKind};
use safeguard_domain::ids::{DecisionId, UserId};
use serde_json::json;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A stored decision version.
#[derive(Debug, Clone)]
pub struct AddressableDecision {
    /// Its id.
    pub id: DecisionId,
    /// The specification's citation.
    pub citation: String,
    /// The version, from 1.
    pub version: i64,
    /// The kind of outcome.
    pub outcome: OutcomeKind,
    /// The outcome's text fields by name, such as `how`, or `measure` and `rationale`.
    pub detail: serde_json::Map<String, serde_json::Value>,
    /// The decision date.
    pub decided_on: Date,
    /// The typed signature.
    pub signature: String,
    /// The account that signed.
    pub signed_by: UserId,
    /// When it was signed.
    pub signed_at: Timestamp,
}

impl AddressableDecision {
    /// Returns a detail field's text, or an empty string.
    pub fn detail_text(&self, field: &str) -> &str {
        self.detail.get(field).and_then(serde_json::Value::as_str).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, citation, version, outcome, detail, decided_on, signature, signed_by, signed_at";

fn decision_from_row(row: &sqlx::any::AnyRow) -> Result<AddressableDecision, StoreError> {
    let detail_text = rows::text(row, "detail")?;
    let detail: serde_json::Value = serde_json::from_str(&detail_text).map_err(|error| StoreError::Corrupt {
        what: "decision detail",
        detail: error.to_string(),
    })?;
    Ok(AddressableDecision {
        id: rows::parsed(row, "id")?,
        citation: rows::text(row, "citation")?,
        version: rows::integer(row, "version")?,
        outcome: rows::parsed(row, "outcome")?,
        detail: match detail {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
        decided_on: rows::date(row, "decided_on")?,
        signature: rows::text(row, "signature")?,
        signed_by: rows::parsed(row, "signed_by")?,
        signed_at: rows::instant(row, "signed_at")?,
    })
}

impl Store {
    /// Returns the latest decision for every specification that has one.
    #[instrument(skip_all)]
    pub async fn latest_addressable_decisions(&self) -> Result<Vec<AddressableDecision>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {COLUMNS} FROM addressable_decisions d WHERE version = (SELECT MAX(version) FROM addressable_decisions e WHERE e.citation = d.citation) ORDER BY citation"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision_from_row).collect()
    }

    /// Returns every version for one specification, newest first.
    #[instrument(skip_all)]
    pub async fn addressable_history(&self, citation: &str) -> Result<Vec<AddressableDecision>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {COLUMNS} FROM addressable_decisions WHERE citation = $1 ORDER BY version DESC"
        ))
        .bind(citation)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision_from_row).collect()
    }

    /// Signs a new decision version for `citation`.
    #[instrument(skip_all, fields(user.id = %signer))]
    pub async fn sign_addressable_decision(
        &self,
        signer: UserId,
        citation: &str,
        input: &AddressableDecisionInput,
    ) -> Result<DecisionId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = DecisionId::new();

        let row = sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS latest FROM addressable_decisions WHERE citation = $1")
            .bind(citation)
            .fetch_one(&mut *transaction)
            .await?;
        let version = rows::integer(&row, "latest")? + 1;
        let detail = match &input.outcome {
            AddressableOutcome::Implemented { how } => json!({"how": how.as_str()}),
            AddressableOutcome::Alternative { measure, rationale } => json!({"measure": measure.as_str(), "rationale": rationale.as_str()}),
            AddressableOutcome::NotReasonable { reason } => json!({"reason": reason.as_str()}),
        };

        sqlx::query(composed_sql!(
            "INSERT INTO addressable_decisions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(id.to_string())
        .bind(citation)
        .bind(version)
        .bind(input.outcome.kind().code())
        .bind(detail.to_string())
        .bind(input.decided_on.to_string())
        .bind(input.signature.as_str())
        .bind(signer.to_string())
        .bind(&now)
        .execute(&mut *transaction)
        .await?;
        let payload = json!({"citation": citation, "version": version, "outcome": input.outcome.kind().code(), "detail": detail, "decided_on": input.decided_on.to_string(), "signature": input.signature.as_str()});
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(signer),
            Change {
                action: "addressable_decision.signed",
                record_kind: "addressable_decision",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }
}
