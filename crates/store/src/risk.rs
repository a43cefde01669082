//! Risk analyses, the risk register and the risk management plan.
//!
//! An analysis is a dated version. Its entries rate one threat against one asset and carry the
//! register decision for that risk. Finalizing an analysis makes it immutable: every later write
//! to it or its entries is refused with [`StoreError::Conflict`], and the finalization ledger
//! entry contains a snapshot of every entry. The next analysis starts as a copy of the latest
//! finalized one (ratings, vulnerabilities and controls, not decisions, because the new version
//! must be decided and signed anew), and copied entries keep the `risk_key` of their source so
//! versions can be compared.
//!
//! An entry may name an asset of the ePHI inventory by id, with the name kept as it was when
//! rated; an analysis must cover every asset in service before it can be finalized.
//!
//! Plan items stay writable after their analysis is finalized, because the risk management plan
//! is carried out over the following months; a completed item is final.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::compliance::PlanItemFacts;
use safeguard_domain::ids::{PlanItemId, RiskAnalysisId, RiskEntryId, UserId};
use safeguard_domain::inventory::RISK_UPDATE_OBLIGATION;
use safeguard_domain::risk::{
    AnalysisInput, DecisionInput, EntryInput, Level, PlanItemInput, PlanProgressInput, PlanStatus, SafeguardType, Treatment,
};
use serde_json::json;
use sqlx::AnyConnection;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// The default key of the calendar obligation that a finalized analysis completes.
pub const REVIEW_OBLIGATION_KEY: &str = "risk-analysis-review";

/// A stored risk analysis version.
#[derive(Debug, Clone)]
pub struct RiskAnalysis {
    /// Its id.
    pub id: RiskAnalysisId,
    /// The version number, from 1.
    pub version: i64,
    /// The title.
    pub title: String,
    /// The day the analysis is dated.
    pub analysis_date: Date,
    /// The systems, devices, vendors and locations it covers.
    pub scope: String,
    /// The method.
    pub method: String,
    /// The participants and their roles.
    pub participants: String,
    /// The version it was copied from.
    pub copied_from: Option<RiskAnalysisId>,
    /// When it was started.
    pub created_at: Timestamp,
    /// When it was finalized; `None` while it is a draft.
    pub finalized_at: Option<Timestamp>,
    /// The name of the account that finalized it.
    pub finalized_by_name: Option<String>,
}

impl RiskAnalysis {
    /// Returns whether it is finalized and so can no longer change.
    pub fn is_final(&self) -> bool {
        self.finalized_at.is_some()
    }
}

/// The register decision of a risk.
#[derive(Debug, Clone)]
pub struct RiskDecision {
    /// The treatment.
    pub treatment: Treatment,
    /// The decision date.
    pub decided_on: Date,
    /// The level expected after the planned safeguards.
    pub residual_level: Level,
    /// The rationale, when given.
    pub rationale: Option<String>,
    /// The Security Official's typed signature.
    pub official_signature: String,
    /// The name of the account that recorded the decision.
    pub decided_by_name: String,
    /// Leadership's name, title and signature, when given.
    pub leadership: Option<(String, String, String)>,
}

/// A stored entry: one threat rated against one asset, with its decision.
#[derive(Debug, Clone)]
pub struct RiskEntry {
    /// Its id.
    pub id: RiskEntryId,
    /// The analysis it belongs to.
    pub analysis_id: RiskAnalysisId,
    /// The key shared with the same risk in other versions.
    pub risk_key: String,
    /// The inventory asset, when the entry is linked to one.
    pub asset_id: Option<String>,
    /// The asset's name when rated.
    pub asset_name: String,
    /// The catalog key of the threat.
    pub threat_key: String,
    /// The threat's name when rated.
    pub threat_name: String,
    /// The weaknesses the threat could exploit.
    pub vulnerabilities: String,
    /// The safeguards already in place.
    pub existing_controls: String,
    /// The likelihood.
    pub likelihood: Level,
    /// The impact.
    pub impact: Level,
    /// The level from the likelihood-impact table.
    pub level: Level,
    /// The register decision, once recorded.
    pub decision: Option<RiskDecision>,
}

/// A stored plan item with the risk it treats.
#[derive(Debug, Clone)]
pub struct PlanItem {
    /// Its id.
    pub id: PlanItemId,
    /// The risk it treats.
    pub entry_id: RiskEntryId,
    /// The risk's asset name.
    pub asset_name: String,
    /// The risk's threat name.
    pub threat_name: String,
    /// The version of the analysis the risk belongs to.
    pub analysis_version: i64,
    /// The kind of safeguard.
    pub safeguard_type: SafeguardType,
    /// The safeguard chosen.
    pub safeguard: String,
    /// The person responsible.
    pub owner: String,
    /// The day it must be in place.
    pub deadline: Date,
    /// How to tell it is in place.
    pub acceptance_criteria: String,
    /// Its status.
    pub status: PlanStatus,
    /// The evidence that it is in place, or for a cancelled item the reason it was cancelled.
    pub completion_evidence: Option<String>,
    /// The day it was completed.
    pub completed_on: Option<Date>,
}

const ANALYSIS_COLUMNS: &str = "a.id, a.version, a.title, a.analysis_date, a.scope, a.method, a.participants, a.copied_from, a.created_at, a.finalized_at, finalizer.display_name AS finalized_by_name";
const ANALYSIS_FROM: &str = "FROM risk_analyses a LEFT JOIN users finalizer ON finalizer.id = a.finalized_by";
const ENTRY_COLUMNS: &str = "e.id, e.analysis_id, e.risk_key, e.asset_id, e.asset_name, e.threat_key, e.threat_name, e.vulnerabilities, e.existing_controls, e.likelihood, e.impact, e.risk_level, e.treatment, e.decided_on, e.residual_level, e.rationale, e.official_signature, e.leadership_name, e.leadership_title, e.leadership_signature, decider.display_name AS decided_by_name";
const ENTRY_FROM: &str = "FROM risk_entries e LEFT JOIN users decider ON decider.id = e.decided_by";
const PLAN_COLUMNS: &str = "p.id, p.entry_id, e.asset_name, e.threat_name, a.version, p.safeguard_type, p.safeguard, p.owner, p.deadline, p.acceptance_criteria, p.status, p.completion_evidence, p.completed_on";
const PLAN_FROM: &str = "FROM risk_plan_items p JOIN risk_entries e ON e.id = p.entry_id JOIN risk_analyses a ON a.id = e.analysis_id";

fn analysis_from_row(row: &sqlx::any::AnyRow) -> Result<RiskAnalysis, StoreError> {
    Ok(RiskAnalysis {
        id: rows::parsed(row, "id")?,
        version: rows::integer(row, "version")?,
        title: rows::text(row, "title")?,
        analysis_date: rows::date(row, "analysis_date")?,
        scope: rows::text(row, "scope")?,
        method: rows::text(row, "method")?,
        participants: rows::text(row, "participants")?,
        copied_from: rows::optional_parsed(row, "copied_from")?,
        created_at: rows::instant(row, "created_at")?,
        finalized_at: rows::optional_instant(row, "finalized_at")?,
        finalized_by_name: rows::optional_text(row, "finalized_by_name")?,
    })
}

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<RiskEntry, StoreError> {
    let treatment: Option<Treatment> = rows::optional_parsed(row, "treatment")?;
    let decision = match treatment {
        None => None,
        Some(treatment) => {
            let leadership = match rows::optional_text(row, "leadership_name")? {
                Some(name) => Some((
                    name,
                    rows::optional_text(row, "leadership_title")?.unwrap_or_default(),
                    rows::optional_text(row, "leadership_signature")?.unwrap_or_default(),
                )),
                None => None,
            };
            Some(RiskDecision {
                treatment,
                decided_on: rows::optional_date(row, "decided_on")?.ok_or(StoreError::Corrupt {
                    what: "decided_on",
                    detail: "a decided risk has no decision date".into(),
                })?,
                residual_level: rows::optional_parsed(row, "residual_level")?.ok_or(StoreError::Corrupt {
                    what: "residual_level",
                    detail: "a decided risk has no residual level".into(),
                })?,
                rationale: rows::optional_text(row, "rationale")?,
                official_signature: rows::optional_text(row, "official_signature")?.unwrap_or_default(),
                decided_by_name: rows::optional_text(row, "decided_by_name")?.unwrap_or_default(),
                leadership,
            })
        }
    };

    Ok(RiskEntry {
        id: rows::parsed(row, "id")?,
        analysis_id: rows::parsed(row, "analysis_id")?,
        risk_key: rows::text(row, "risk_key")?,
        asset_id: rows::optional_text(row, "asset_id")?,
        asset_name: rows::text(row, "asset_name")?,
        threat_key: rows::text(row, "threat_key")?,
        threat_name: rows::text(row, "threat_name")?,
        vulnerabilities: rows::text(row, "vulnerabilities")?,
        existing_controls: rows::text(row, "existing_controls")?,
        likelihood: rows::parsed(row, "likelihood")?,
        impact: rows::parsed(row, "impact")?,
        level: rows::parsed(row, "risk_level")?,
        decision,
    })
}

fn plan_item_from_row(row: &sqlx::any::AnyRow) -> Result<PlanItem, StoreError> {
    Ok(PlanItem {
        id: rows::parsed(row, "id")?,
        entry_id: rows::parsed(row, "entry_id")?,
        asset_name: rows::text(row, "asset_name")?,
        threat_name: rows::text(row, "threat_name")?,
        analysis_version: rows::integer(row, "version")?,
        safeguard_type: rows::parsed(row, "safeguard_type")?,
        safeguard: rows::text(row, "safeguard")?,
        owner: rows::text(row, "owner")?,
        deadline: rows::date(row, "deadline")?,
        acceptance_criteria: rows::text(row, "acceptance_criteria")?,
        status: rows::parsed(row, "status")?,
        completion_evidence: rows::optional_text(row, "completion_evidence")?,
        completed_on: rows::optional_date(row, "completed_on")?,
    })
}

/// Returns the key that identifies the same risk across versions: the asset (its inventory id
/// when linked, its name otherwise) and the threat.
fn risk_key(asset_id: Option<&str>, asset_name: &str, threat_key: &str) -> String {
    let asset = match asset_id {
        Some(id) => format!("asset:{id}"),
        None => format!("name:{}", asset_name.to_lowercase()),
    };
    format!("{asset}|{threat_key}")
}

/// Reads an analysis inside a transaction and rejects the write when it is finalized.
async fn draft_analysis(connection: &mut AnyConnection, id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT version, finalized_at FROM risk_analyses WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(StoreError::NotFound { kind: "risk analysis" })?;
    let version = rows::integer(&row, "version")?;
    if rows::optional_text(&row, "finalized_at")?.is_some() {
        return Err(StoreError::Conflict(format!(
            "risk analysis version {version} is finalized and cannot be changed; start a new version instead"
        )));
    }
    Ok(version)
}

/// Reads an entry's analysis inside a transaction and rejects the write when it is finalized.
async fn draft_entry(connection: &mut AnyConnection, id: RiskEntryId) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT analysis_id FROM risk_entries WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(StoreError::NotFound { kind: "risk" })?;
    let analysis_id = rows::text(&row, "analysis_id")?;
    draft_analysis(connection, &analysis_id).await?;
    Ok(analysis_id)
}

/// Reads the names of the assets in service that no entry of the analysis links to.
async fn unassessed_assets(connection: &mut AnyConnection, analysis: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT name FROM assets WHERE retired_on IS NULL AND id NOT IN (SELECT asset_id FROM risk_entries WHERE analysis_id = $1 AND asset_id IS NOT NULL) ORDER BY lower(name), id")
        .bind(analysis)
        .fetch_all(&mut *connection)
        .await?;
    rows.iter().map(|row| rows::text(row, "name")).collect()
}

/// Reads the entries of an analysis, highest level first.
async fn fetch_entries(connection: &mut AnyConnection, analysis: &str) -> Result<Vec<RiskEntry>, StoreError> {
    let rows = sqlx::query(composed_sql!(
        "SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.analysis_id = $1 ORDER BY e.asset_name, e.threat_name"
    ))
    .bind(analysis)
    .fetch_all(&mut *connection)
    .await?;
    let mut entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>, _>>()?;

    // Sorting here rather than in SQL because the level is stored as a code whose text order
    // is not the scale's order. The sort is stable, so each level stays in name order.
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.level));
    Ok(entries)
}

impl Store {
    /// Returns every analysis version, newest first.
    #[instrument(skip_all)]
    pub async fn risk_analyses(&self) -> Result<Vec<RiskAnalysis>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {ANALYSIS_COLUMNS} {ANALYSIS_FROM} ORDER BY a.version DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(analysis_from_row).collect()
    }

    /// Returns one analysis.
    #[instrument(skip_all, fields(risk_analysis.id = %id))]
    pub async fn risk_analysis(&self, id: RiskAnalysisId) -> Result<RiskAnalysis, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {ANALYSIS_COLUMNS} {ANALYSIS_FROM} WHERE a.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        analysis_from_row(&row.ok_or(StoreError::NotFound { kind: "risk analysis" })?)
    }

    /// Starts a new analysis version. When a finalized version exists, the new one starts as a
    /// copy of the latest one's entries without their decisions. Only one draft may exist.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn start_risk_analysis(&self, actor: UserId, input: &AnalysisInput) -> Result<RiskAnalysisId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = RiskAnalysisId::new();

        let draft = sqlx::query("SELECT version FROM risk_analyses WHERE finalized_at IS NULL")
            .fetch_optional(&mut *transaction)
            .await?;
        if let Some(draft) = draft {
            return Err(StoreError::Conflict(format!(
                "risk analysis version {} is still a draft; finalize it before starting another",
                rows::integer(&draft, "version")?
            )));
        }
        let latest = sqlx::query("SELECT id, version FROM risk_analyses ORDER BY version DESC LIMIT 1")
            .fetch_optional(&mut *transaction)
            .await?;
        let (copied_from, version) = match &latest {
            Some(row) => (Some(rows::text(row, "id")?), rows::integer(row, "version")? + 1),
            None => (None, 1),
        };

        sqlx::query("INSERT INTO risk_analyses (id, version, title, analysis_date, scope, method, participants, copied_from, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9)")
            .bind(id.to_string())
            .bind(version)
            .bind(input.title.as_str())
            .bind(input.analysis_date.to_string())
            .bind(input.scope.as_str())
            .bind(input.method.as_str())
            .bind(input.participants.as_str())
            .bind(copied_from.clone())
            .bind(&now)
            .bind(actor.to_string())
            .execute(&mut *transaction)
            .await?;

        let mut copied = 0;
        if let Some(source) = &copied_from {
            let source_entries = sqlx::query("SELECT risk_key, asset_id, asset_name, threat_key, threat_name, vulnerabilities, existing_controls, likelihood, impact, risk_level FROM risk_entries WHERE analysis_id = $1 ORDER BY id")
                .bind(source)
                .fetch_all(&mut *transaction)
                .await?;
            for row in &source_entries {
                sqlx::query("INSERT INTO risk_entries (id, analysis_id, risk_key, asset_id, asset_name, threat_key, threat_name, vulnerabilities, existing_controls, likelihood, impact, risk_level, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)")
                    .bind(RiskEntryId::new().to_string())
                    .bind(id.to_string())
                    .bind(rows::text(row, "risk_key")?)
                    .bind(rows::optional_text(row, "asset_id")?)
                    .bind(rows::text(row, "asset_name")?)
                    .bind(rows::text(row, "threat_key")?)
                    .bind(rows::text(row, "threat_name")?)
                    .bind(rows::text(row, "vulnerabilities")?)
                    .bind(rows::text(row, "existing_controls")?)
                    .bind(rows::text(row, "likelihood")?)
                    .bind(rows::text(row, "impact")?)
                    .bind(rows::text(row, "risk_level")?)
                    .bind(&now)
                    .execute(&mut *transaction)
                    .await?;
            }
            copied = source_entries.len();
        }

        let payload = json!({
            "version": version,
            "title": input.title.as_str(),
            "analysis_date": input.analysis_date.to_string(),
            "scope": input.scope.as_str(),
            "method": input.method.as_str(),
            "participants": input.participants.as_str(),
            "copied_from": copied_from,
            "copied_entries": copied,
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_analysis.started",
                record_kind: "risk_analysis",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Changes a draft analysis's title, date, scope, method and participants.
    #[instrument(skip_all, fields(user.id = %actor, risk_analysis.id = %id))]
    pub async fn update_risk_analysis(&self, actor: UserId, id: RiskAnalysisId, input: &AnalysisInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        draft_analysis(&mut transaction, &id.to_string()).await?;

        sqlx::query("UPDATE risk_analyses SET title = $1, analysis_date = $2, scope = $3, method = $4, participants = $5, updated_at = $6 WHERE id = $7")
            .bind(input.title.as_str())
            .bind(input.analysis_date.to_string())
            .bind(input.scope.as_str())
            .bind(input.method.as_str())
            .bind(input.participants.as_str())
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        let payload = json!({
            "title": input.title.as_str(),
            "analysis_date": input.analysis_date.to_string(),
            "scope": input.scope.as_str(),
            "method": input.method.as_str(),
            "participants": input.participants.as_str(),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_analysis.updated",
                record_kind: "risk_analysis",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns the entries of an analysis, highest level first.
    #[instrument(skip_all, fields(risk_analysis.id = %analysis))]
    pub async fn risk_entries(&self, analysis: RiskAnalysisId) -> Result<Vec<RiskEntry>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        fetch_entries(&mut connection, &analysis.to_string()).await
    }

    /// Returns one entry.
    #[instrument(skip_all, fields(risk_entry.id = %id))]
    pub async fn risk_entry(&self, id: RiskEntryId) -> Result<RiskEntry, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {ENTRY_COLUMNS} {ENTRY_FROM} WHERE e.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        entry_from_row(&row.ok_or(StoreError::NotFound { kind: "risk" })?)
    }

    /// Adds a rated entry to a draft analysis. `asset_id` links the entry to an inventory asset;
    /// the name is kept as it was when rated. One entry per asset and threat.
    #[instrument(skip_all, fields(user.id = %actor, risk_analysis.id = %analysis))]
    pub async fn add_risk_entry(
        &self,
        actor: UserId,
        analysis: RiskAnalysisId,
        asset_id: Option<&str>,
        input: &EntryInput,
    ) -> Result<RiskEntryId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let id = RiskEntryId::new();
        draft_analysis(&mut transaction, &analysis.to_string()).await?;

        let key = risk_key(asset_id, input.asset_name.as_str(), input.threat.key);
        let duplicate = sqlx::query("SELECT id FROM risk_entries WHERE analysis_id = $1 AND risk_key = $2")
            .bind(analysis.to_string())
            .bind(&key)
            .fetch_optional(&mut *transaction)
            .await?;
        if duplicate.is_some() {
            return Err(StoreError::Conflict(format!(
                "{} is already rated against {} in this analysis; change that entry instead",
                input.asset_name, input.threat.name
            )));
        }
        sqlx::query("INSERT INTO risk_entries (id, analysis_id, risk_key, asset_id, asset_name, threat_key, threat_name, vulnerabilities, existing_controls, likelihood, impact, risk_level, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)")
            .bind(id.to_string())
            .bind(analysis.to_string())
            .bind(&key)
            .bind(asset_id)
            .bind(input.asset_name.as_str())
            .bind(input.threat.key)
            .bind(input.threat.name)
            .bind(input.vulnerabilities.as_str())
            .bind(input.existing_controls.as_str())
            .bind(input.likelihood.code())
            .bind(input.impact.code())
            .bind(input.level().code())
            .bind(&now)
            .execute(&mut *transaction)
            .await?;

        let payload = entry_payload(asset_id, input);
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_entry.added",
                record_kind: "risk_entry",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Changes the vulnerabilities, controls and ratings of an entry of a draft analysis. The
    /// asset and threat stay as added. A decision already recorded is cleared when the level
    /// changes, because it was signed for the old level.
    #[instrument(skip_all, fields(user.id = %actor, risk_entry.id = %id))]
    pub async fn rate_risk_entry(&self, actor: UserId, id: RiskEntryId, input: &EntryInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        draft_entry(&mut transaction, id).await?;

        let before = sqlx::query("SELECT risk_level FROM risk_entries WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *transaction)
            .await?;
        let level_changed = rows::text(&before, "risk_level")? != input.level().code();

        sqlx::query("UPDATE risk_entries SET vulnerabilities = $1, existing_controls = $2, likelihood = $3, impact = $4, risk_level = $5, updated_at = $6 WHERE id = $7")
            .bind(input.vulnerabilities.as_str())
            .bind(input.existing_controls.as_str())
            .bind(input.likelihood.code())
            .bind(input.impact.code())
            .bind(input.level().code())
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if level_changed {
            sqlx::query("UPDATE risk_entries SET treatment = NULL, decided_on = NULL, residual_level = NULL, rationale = NULL, official_signature = NULL, leadership_name = NULL, leadership_title = NULL, leadership_signature = NULL, decided_by = NULL, decided_at = NULL WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *transaction)
                .await?;
        }

        let payload = json!({
            "vulnerabilities": input.vulnerabilities.as_str(),
            "existing_controls": input.existing_controls.as_str(),
            "likelihood": input.likelihood.code(),
            "impact": input.impact.code(),
            "risk_level": input.level().code(),
            "decision_cleared": level_changed,
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_entry.rated",
                record_kind: "risk_entry",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Records the register decision for a risk of a draft analysis, replacing an earlier one;
    /// the ledger keeps every version.
    #[instrument(skip_all, fields(user.id = %actor, risk_entry.id = %id))]
    pub async fn decide_risk(&self, actor: UserId, id: RiskEntryId, input: &DecisionInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        draft_entry(&mut transaction, id).await?;

        let leadership = input.leadership.as_ref();
        sqlx::query("UPDATE risk_entries SET treatment = $1, decided_on = $2, residual_level = $3, rationale = $4, official_signature = $5, leadership_name = $6, leadership_title = $7, leadership_signature = $8, decided_by = $9, decided_at = $10, updated_at = $10 WHERE id = $11")
            .bind(input.treatment.code())
            .bind(input.decided_on.to_string())
            .bind(input.residual_level.code())
            .bind(input.rationale.as_ref().map(|text| text.as_str().to_owned()))
            .bind(input.official_signature.as_str())
            .bind(leadership.map(|signature| signature.name.as_str().to_owned()))
            .bind(leadership.map(|signature| signature.title.as_str().to_owned()))
            .bind(leadership.map(|signature| signature.signature.as_str().to_owned()))
            .bind(actor.to_string())
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;

        let payload = json!({
            "treatment": input.treatment.code(),
            "decided_on": input.decided_on.to_string(),
            "residual_level": input.residual_level.code(),
            "rationale": input.rationale.as_ref().map(|text| text.as_str()),
            "official_signature": input.official_signature.as_str(),
            "leadership": leadership.map(|signature| json!({
                "name": signature.name.as_str(),
                "title": signature.title.as_str(),
                "signature": signature.signature.as_str(),
            })),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_entry.decided",
                record_kind: "risk_entry",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Finalizes a draft analysis on `today`, the practice's calendar day. Every risk must have
    /// a decision. The ledger entry contains a snapshot of every entry, and the open instance of
    /// the annual risk-analysis review for the current period is completed in the same
    /// transaction.
    #[instrument(skip_all, fields(user.id = %actor, risk_analysis.id = %id))]
    pub async fn finalize_risk_analysis(&self, actor: UserId, id: RiskAnalysisId, today: Date) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let version = draft_analysis(&mut transaction, &id.to_string()).await?;
        let entries = fetch_entries(&mut transaction, &id.to_string()).await?;

        if entries.is_empty() {
            return Err(StoreError::Conflict(
                "the analysis has no risks yet; rate every asset holding ePHI against the threats before finalizing".into(),
            ));
        }
        let unassessed = unassessed_assets(&mut transaction, &id.to_string()).await?;
        if !unassessed.is_empty() {
            return Err(StoreError::Conflict(format!(
                "these assets in service are not assessed yet: {}; rate each against the threats that apply before finalizing",
                unassessed.join(", ")
            )));
        }
        let undecided = entries.iter().filter(|entry| entry.decision.is_none()).count();
        if undecided > 0 {
            return Err(StoreError::Conflict(format!(
                "{undecided} risks have no decision yet; decide every risk before finalizing"
            )));
        }

        // The update only matches a draft, so a finalization racing another one cannot change
        // a version that was finalized after the check above.
        let finalized = sqlx::query(
            "UPDATE risk_analyses SET finalized_at = $1, finalized_by = $2, updated_at = $1 WHERE id = $3 AND finalized_at IS NULL",
        )
        .bind(&now)
        .bind(actor.to_string())
        .bind(id.to_string())
        .execute(&mut *transaction)
        .await?;
        if finalized.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "risk analysis version {version} is already finalized"
            )));
        }

        let snapshot: Vec<_> = entries
            .iter()
            .map(|entry| {
                let decision = entry.decision.as_ref();
                json!({
                    "id": entry.id.to_string(),
                    "risk_key": entry.risk_key,
                    "asset_id": entry.asset_id,
                    "asset_name": entry.asset_name,
                    "threat_key": entry.threat_key,
                    "likelihood": entry.likelihood.code(),
                    "impact": entry.impact.code(),
                    "risk_level": entry.level.code(),
                    "treatment": decision.map(|decision| decision.treatment.code()),
                    "residual_level": decision.map(|decision| decision.residual_level.code()),
                })
            })
            .collect();
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "risk_analysis.finalized",
                record_kind: "risk_analysis",
                record_id: id.to_string(),
                payload: json!({"version": version, "entries": snapshot}),
            },
        )
        .await?;

        // An analysis that covers every asset in service also covers the assets whose addition
        // opened an update of the risk analysis, so it completes that item as well.
        for key in [REVIEW_OBLIGATION_KEY, RISK_UPDATE_OBLIGATION.key] {
            self.complete_open_instance(&mut transaction, key, &now, actor, version, today)
                .await?;
        }

        transaction.commit().await?;
        Ok(())
    }

    /// Completes the latest open instance, started on or before `today`, of the obligation with
    /// default key `key`, if the calendar has one, and records it in the ledger.
    async fn complete_open_instance(
        &self,
        connection: &mut AnyConnection,
        key: &str,
        now: &str,
        actor: UserId,
        version: i64,
        today: Date,
    ) -> Result<(), StoreError> {
        let instance = sqlx::query("SELECT i.id FROM obligation_instances i JOIN obligations o ON o.id = i.obligation_id WHERE o.default_key = $1 AND i.completed_at IS NULL AND i.starts_on <= $2 ORDER BY i.period_index DESC LIMIT 1")
            .bind(key)
            .bind(today.to_string())
            .fetch_optional(&mut *connection)
            .await?;
        let Some(instance) = instance else {
            return Ok(());
        };
        let instance_id = rows::text(&instance, "id")?;
        let notes = format!("Completed by finalizing risk analysis version {version}.");

        sqlx::query("UPDATE obligation_instances SET completed_at = $1, completed_on = $2, completed_by = $3, notes = $4 WHERE id = $5 AND completed_at IS NULL")
            .bind(now)
            .bind(today.to_string())
            .bind(actor.to_string())
            .bind(&notes)
            .bind(&instance_id)
            .execute(&mut *connection)
            .await?;
        append(
            connection,
            self.backend,
            now,
            &Actor::User(actor),
            Change {
                action: "calendar_item.completed",
                record_kind: "obligation_instance",
                record_id: instance_id,
                payload: json!({"completed_on": today.to_string(), "notes": notes, "evidence": []}),
            },
        )
        .await?;
        Ok(())
    }

    /// Returns the names of the inventory assets in service that no entry of the analysis
    /// covers, in name order.
    #[instrument(skip_all, fields(risk_analysis.id = %analysis))]
    pub async fn unassessed_assets(&self, analysis: RiskAnalysisId) -> Result<Vec<String>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        unassessed_assets(&mut connection, &analysis.to_string()).await
    }

    /// Returns plan items, open ones first by deadline: every item, or those of one risk.
    #[instrument(skip_all)]
    pub async fn plan_items(&self, entry: Option<RiskEntryId>) -> Result<Vec<PlanItem>, StoreError> {
        let rows = match entry {
            Some(entry) => {
                sqlx::query(composed_sql!(
                    "SELECT {PLAN_COLUMNS} {PLAN_FROM} WHERE p.entry_id = $1 ORDER BY p.deadline, p.id"
                ))
                .bind(entry.to_string())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(composed_sql!("SELECT {PLAN_COLUMNS} {PLAN_FROM} ORDER BY p.deadline, p.id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        let mut items = rows.iter().map(plan_item_from_row).collect::<Result<Vec<_>, _>>()?;
        items.sort_by_key(|item| !item.status.is_open());
        Ok(items)
    }

    /// Returns one plan item.
    #[instrument(skip_all, fields(plan_item.id = %id))]
    pub async fn plan_item(&self, id: PlanItemId) -> Result<PlanItem, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {PLAN_COLUMNS} {PLAN_FROM} WHERE p.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        plan_item_from_row(&row.ok_or(StoreError::NotFound { kind: "plan item" })?)
    }

    /// Adds an item to the risk management plan for a risk.
    #[instrument(skip_all, fields(user.id = %actor, risk_entry.id = %entry))]
    pub async fn add_plan_item(&self, actor: UserId, entry: RiskEntryId, input: &PlanItemInput) -> Result<PlanItemId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let id = insert_plan_item(&mut transaction, self.backend, &now, actor, entry, input).await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Records a plan item's progress. A completed or cancelled item cannot change again.
    #[instrument(skip_all, fields(user.id = %actor, plan_item.id = %id))]
    pub async fn update_plan_item(&self, actor: UserId, id: PlanItemId, input: &PlanProgressInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE risk_plan_items SET status = $1, completion_evidence = $2, completed_on = $3, updated_at = $4 WHERE id = $5 AND status IN ($6, $7)")
            .bind(input.status.code())
            .bind(input.completion_evidence.as_ref().map(|text| text.as_str().to_owned()))
            .bind(input.completed_on.map(|day| day.to_string()))
            .bind(&now)
            .bind(id.to_string())
            .bind(PlanStatus::Planned.code())
            .bind(PlanStatus::InProgress.code())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            let row = sqlx::query("SELECT status FROM risk_plan_items WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *transaction)
                .await?;
            return Err(match row {
                Some(row) => {
                    let status: PlanStatus = rows::parsed(&row, "status")?;
                    StoreError::Conflict(format!(
                        "this plan item is {}; its record cannot be changed",
                        status.label().to_lowercase()
                    ))
                }
                None => StoreError::NotFound { kind: "plan item" },
            });
        }

        let payload = json!({
            "status": input.status.code(),
            "completion_evidence": input.completion_evidence.as_ref().map(|text| text.as_str()),
            "completed_on": input.completed_on.map(|day| day.to_string()),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "plan_item.updated",
                record_kind: "plan_item",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Gathers what the compliance status of risk analysis and risk management is computed
    /// from: the date of the latest finalized analysis, the undecided risks of the newest
    /// version and the open plan items.
    #[instrument(skip_all)]
    pub async fn risk_facts(&self) -> Result<(Option<Date>, usize, Vec<PlanItemFacts>), StoreError> {
        let analyses = self.risk_analyses().await?;
        let latest_finalized = analyses
            .iter()
            .filter(|analysis| analysis.is_final())
            .map(|analysis| analysis.analysis_date)
            .max();
        let undecided = match analyses.first() {
            Some(newest) => self
                .risk_entries(newest.id)
                .await?
                .iter()
                .filter(|entry| entry.decision.is_none())
                .count(),
            None => 0,
        };
        let open = self
            .plan_items(None)
            .await?
            .into_iter()
            .filter(|item| item.status.is_open())
            .map(|item| PlanItemFacts {
                id: item.id,
                safeguard: item.safeguard,
                deadline: item.deadline,
            })
            .collect();
        Ok((latest_finalized, undecided, open))
    }
}

fn entry_payload(asset_id: Option<&str>, input: &EntryInput) -> serde_json::Value {
    json!({
        "asset_id": asset_id,
        "asset_name": input.asset_name.as_str(),
        "threat_key": input.threat.key,
        "vulnerabilities": input.vulnerabilities.as_str(),
        "existing_controls": input.existing_controls.as_str(),
        "likelihood": input.likelihood.code(),
        "impact": input.impact.code(),
        "risk_level": input.level().code(),
    })
}

/// Inserts a plan item for the risk `entry` and its ledger entry inside the caller's
/// transaction. Other areas that open follow-up work, such as activity-review findings, call it
/// so that their record and the plan item commit together.
pub(crate) async fn insert_plan_item(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: UserId,
    entry: RiskEntryId,
    input: &PlanItemInput,
) -> Result<PlanItemId, StoreError> {
    let id = PlanItemId::new();

    let exists = sqlx::query("SELECT id FROM risk_entries WHERE id = $1")
        .bind(entry.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound { kind: "risk" });
    }
    sqlx::query("INSERT INTO risk_plan_items (id, entry_id, safeguard_type, safeguard, owner, deadline, acceptance_criteria, status, created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9)")
        .bind(id.to_string())
        .bind(entry.to_string())
        .bind(input.safeguard_type.code())
        .bind(input.safeguard.as_str())
        .bind(input.owner.as_str())
        .bind(input.deadline.to_string())
        .bind(input.acceptance_criteria.as_str())
        .bind(PlanStatus::Planned.code())
        .bind(now)
        .bind(actor.to_string())
        .execute(&mut *connection)
        .await?;

    let payload = json!({
        "risk_entry": entry.to_string(),
        "safeguard_type": input.safeguard_type.code(),
        "safeguard": input.safeguard.as_str(),
        "owner": input.owner.as_str(),
        "deadline": input.deadline.to_string(),
        "acceptance_criteria": input.acceptance_criteria.as_str(),
    });
    append(
        connection,
        backend,
        now,
        &Actor::User(actor),
        Change {
            action: "plan_item.added",
            record_kind: "plan_item",
            record_id: id.to_string(),
            payload,
        },
    )
    .await?;

    Ok(id)
}
