//! The ePHI inventory: assets, the data flows between them, and the risk-analysis update that
//! adding an asset opens on the calendar.
//!
//! Assets are never deleted: retiring one stores the day and the reason, ends its flows on the
//! same day, and keeps the row for retention. Names are unique among assets in service, which
//! is what a CSV import matches rows by. Adding assets, by form or import, opens an item of the
//! risk-analysis update obligation in the same transaction, unless an open item already covers
//! them.

use jiff::civil::Date;
use safeguard_domain::calendar::local_date;
use safeguard_domain::ids::{AssetId, DataFlowId, InstanceId, ObligationId, UserId};
use safeguard_domain::inventory::csv::AssetCsvRow;
use safeguard_domain::inventory::{
    AssetFields, AssetInput, DataFlowInput, Encryption, FlowEnd, RISK_UPDATE_OBLIGATION, RetirementInput, risk_update_due,
};
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::Row;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Backend, Store, StoreError, rows};

/// An asset of the inventory, in service or retired.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its id.
    pub id: AssetId,
    /// Its details.
    pub details: AssetInput,
    /// The day it was added, in UTC.
    pub added_on: Date,
    /// The day it left service.
    pub retired_on: Option<Date>,
    /// The reason it left service and what happened to its ePHI.
    pub retired_reason: Option<String>,
}

impl Asset {
    /// Whether the asset is still in service.
    pub fn in_service(&self) -> bool {
        self.retired_on.is_none()
    }
}

/// One end of a stored data flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowEndpoint {
    /// The asset, when this end is one.
    pub asset: Option<AssetId>,
    /// The asset's or the outside party's name.
    pub name: String,
}

/// A stored data flow.
#[derive(Debug, Clone)]
pub struct DataFlow {
    /// Its id.
    pub id: DataFlowId,
    /// The source of the ePHI.
    pub from: FlowEndpoint,
    /// The destination of the ePHI.
    pub to: FlowEndpoint,
    /// The ePHI that flows, such as claims or lab orders.
    pub data: String,
    /// The transport, such as SFTP, fax or e-mail.
    pub transport: String,
    /// Whether it is encrypted on the way.
    pub encryption: Encryption,
    /// The day it stopped, if it has.
    pub ended_on: Option<Date>,
}

/// The risk-analysis update item that covers newly added assets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskUpdate {
    /// The calendar item.
    pub instance: InstanceId,
    /// Its due date.
    pub due_on: Date,
    /// Whether this change opened it, as opposed to joining an item already open.
    pub opened: bool,
}

/// What an inventory import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Assets added.
    pub added: usize,
    /// Assets in service whose details changed.
    pub updated: usize,
    /// Assets in service that a row retired.
    pub retired: usize,
    /// Rows that matched an asset exactly.
    pub unchanged: usize,
    /// The risk-analysis update covering the added assets, when any were added.
    pub risk_update: Option<RiskUpdate>,
}

const ASSET_COLUMNS: &str = "id, name, kind, owner, location, ephi, ephi_handling, record_count, encryption_at_rest, encryption_in_transit, sign_in, backup, criticality, vendor, created_at, retired_on, retired_reason";

fn asset_from_row(row: &sqlx::any::AnyRow) -> Result<Asset, StoreError> {
    let record_count: Option<i64> = row.try_get("record_count")?;
    let fields = AssetFields {
        name: rows::text(row, "name")?,
        kind: rows::text(row, "kind")?,
        owner: rows::text(row, "owner")?,
        location: rows::text(row, "location")?,
        ephi: rows::text(row, "ephi")?,
        ephi_handling: rows::text(row, "ephi_handling")?,
        record_count: record_count.map(|count| count.to_string()).unwrap_or_default(),
        encryption_at_rest: rows::text(row, "encryption_at_rest")?,
        encryption_in_transit: rows::text(row, "encryption_in_transit")?,
        sign_in: rows::text(row, "sign_in")?,
        backup: rows::text(row, "backup")?,
        criticality: rows::text(row, "criticality")?,
        vendor: rows::optional_text(row, "vendor")?.unwrap_or_default(),
    };
    let details = AssetInput::parse(&fields).map_err(|errors| StoreError::Corrupt {
        what: "asset",
        detail: errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
    })?;

    Ok(Asset {
        id: rows::parsed(row, "id")?,
        details,
        added_on: local_date(rows::instant(row, "created_at")?, &jiff::tz::TimeZone::UTC),
        retired_on: rows::optional_date(row, "retired_on")?,
        retired_reason: rows::optional_text(row, "retired_reason")?,
    })
}

fn asset_payload(asset: &AssetInput) -> serde_json::Value {
    json!({
        "name": asset.name.as_str(),
        "kind": asset.kind.code(),
        "owner": asset.owner.as_str(),
        "location": asset.location.as_str(),
        "ephi": asset.ephi.as_str(),
        "ephi_handling": asset.ephi_handling.code(),
        "record_count": asset.record_count,
        "encryption_at_rest": asset.encryption_at_rest.code(),
        "encryption_in_transit": asset.encryption_in_transit.code(),
        "sign_in": asset.sign_in.code(),
        "backup": asset.backup.code(),
        "criticality": asset.criticality.code(),
        "vendor": asset.vendor.as_ref().map(|vendor| vendor.as_str()),
    })
}

fn flow_endpoint(row: &sqlx::any::AnyRow, asset_column: &'static str, name_column: &'static str) -> Result<FlowEndpoint, StoreError> {
    Ok(FlowEndpoint {
        asset: rows::optional_parsed(row, asset_column)?,
        name: rows::optional_text(row, name_column)?.unwrap_or_default(),
    })
}

impl Store {
    /// Returns every asset: those in service by name, then retired ones, most recent first.
    #[instrument(skip_all)]
    pub async fn assets(&self) -> Result<Vec<Asset>, StoreError> {
        let rows = sqlx::query(composed_sql!(
            "SELECT {ASSET_COLUMNS} FROM assets ORDER BY CASE WHEN retired_on IS NULL THEN 0 ELSE 1 END, retired_on DESC, lower(name), id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(asset_from_row).collect()
    }

    /// Returns one asset.
    #[instrument(skip_all, fields(asset.id = %id))]
    pub async fn asset(&self, id: AssetId) -> Result<Asset, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        asset_from_row(&row.ok_or(StoreError::NotFound { kind: "asset" })?)
    }

    /// Returns every data flow, current ones first, with the names of their ends.
    #[instrument(skip_all)]
    pub async fn data_flows(&self) -> Result<Vec<DataFlow>, StoreError> {
        let rows = sqlx::query(
            "SELECT f.id, f.from_asset_id, COALESCE(source.name, f.from_party) AS from_name, f.to_asset_id, COALESCE(target.name, f.to_party) AS to_name, \
             f.data, f.transport, f.encryption, f.ended_on \
             FROM data_flows f LEFT JOIN assets source ON source.id = f.from_asset_id LEFT JOIN assets target ON target.id = f.to_asset_id \
             ORDER BY CASE WHEN f.ended_on IS NULL THEN 0 ELSE 1 END, lower(COALESCE(source.name, f.from_party)), lower(COALESCE(target.name, f.to_party)), f.id",
        )
        .fetch_all(&self.pool)
        .await?;

        rows.iter()
            .map(|row| {
                Ok(DataFlow {
                    id: rows::parsed(row, "id")?,
                    from: flow_endpoint(row, "from_asset_id", "from_name")?,
                    to: flow_endpoint(row, "to_asset_id", "to_name")?,
                    data: rows::text(row, "data")?,
                    transport: rows::text(row, "transport")?,
                    encryption: rows::parsed(row, "encryption")?,
                    ended_on: rows::optional_date(row, "ended_on")?,
                })
            })
            .collect()
    }

    /// Adds an asset and opens, or joins, the risk-analysis update that must cover it.
    ///
    /// `today` is the practice's calendar day, from which the update's due date counts.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_asset(&self, actor: UserId, asset: &AssetInput, today: Date) -> Result<(AssetId, RiskUpdate), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let actor = Actor::User(actor);

        let id = insert_asset(&mut transaction, self.backend, &now, &actor, asset, None).await?;
        let update = open_risk_update(&mut transaction, self.backend, &now, &actor, today, &[id]).await?;

        transaction.commit().await?;
        Ok((id, update))
    }

    /// Changes the details of an asset in service. Moving it to another location opens, or
    /// joins, a risk-analysis update, because a relocation changes its physical risks.
    ///
    /// `today` is the practice's calendar day, from which the update's due date counts.
    #[instrument(skip_all, fields(user.id = %actor, asset.id = %id))]
    pub async fn update_asset(
        &self,
        actor: UserId,
        id: AssetId,
        asset: &AssetInput,
        today: Date,
    ) -> Result<Option<RiskUpdate>, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let actor = Actor::User(actor);

        require_in_service(&mut transaction, id).await?;
        require_unique_name(&mut transaction, asset.name.as_str(), Some(id)).await?;
        let row = sqlx::query("SELECT location FROM assets WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *transaction)
            .await?;
        let old_location = rows::text(&row, "location")?;
        write_asset_update(&mut transaction, self.backend, &now, &actor, id, asset).await?;

        let relocated = !old_location.trim().eq_ignore_ascii_case(asset.location.as_str().trim());
        let update = if relocated {
            Some(open_risk_update(&mut transaction, self.backend, &now, &actor, today, &[id]).await?)
        } else {
            None
        };

        transaction.commit().await?;
        Ok(update)
    }

    /// Retires an asset: the row stays with the day and reason, and its current flows end on
    /// the same day.
    #[instrument(skip_all, fields(user.id = %actor, asset.id = %id))]
    pub async fn retire_asset(&self, actor: UserId, id: AssetId, retirement: &RetirementInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        require_in_service(&mut transaction, id).await?;
        write_retirement(&mut transaction, self.backend, &now, &Actor::User(actor), id, retirement).await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Adds a data flow. Every asset end must be in service.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_data_flow(&self, actor: UserId, flow: &DataFlowInput<AssetId>) -> Result<DataFlowId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        for end in [&flow.from, &flow.to] {
            if let FlowEnd::Asset(asset) = end {
                require_in_service(&mut transaction, *asset).await?;
            }
        }

        let id = DataFlowId::new();
        let (from_asset, from_party) = end_columns(&flow.from);
        let (to_asset, to_party) = end_columns(&flow.to);
        sqlx::query("INSERT INTO data_flows (id, from_asset_id, from_party, to_asset_id, to_party, data, transport, encryption, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id.to_string())
            .bind(from_asset.clone())
            .bind(from_party.clone())
            .bind(to_asset.clone())
            .bind(to_party.clone())
            .bind(flow.data.as_str())
            .bind(flow.transport.as_str())
            .bind(flow.encryption.code())
            .bind(&now)
            .execute(&mut *transaction)
            .await?;
        let payload = json!({
            "from_asset": from_asset,
            "from_party": from_party,
            "to_asset": to_asset,
            "to_party": to_party,
            "data": flow.data.as_str(),
            "transport": flow.transport.as_str(),
            "encryption": flow.encryption.code(),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "data_flow.created",
                record_kind: "data_flow",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Ends a current data flow on `ended_on`; the flow stays in the history.
    #[instrument(skip_all, fields(user.id = %actor, data_flow.id = %id))]
    pub async fn end_data_flow(&self, actor: UserId, id: DataFlowId, ended_on: Date) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE data_flows SET ended_on = $1 WHERE id = $2 AND ended_on IS NULL")
            .bind(ended_on.to_string())
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            let exists = sqlx::query("SELECT id FROM data_flows WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *transaction)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict("this data flow has already ended".into())
            } else {
                StoreError::NotFound { kind: "data flow" }
            });
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "data_flow.ended",
                record_kind: "data_flow",
                record_id: id.to_string(),
                payload: json!({"ended_on": ended_on.to_string()}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Imports inventory rows: every row is applied, or none is.
    ///
    /// A row without a retirement matches the asset in service with the same name, ignoring
    /// case, and updates it when its details differ; with no match it adds an asset. A retired
    /// row that matches an asset retired on the same day changes nothing, one that matches an
    /// asset in service retires it, and any other is added as a retired asset, so an older
    /// spreadsheet's history can be brought in. Re-importing an export therefore changes
    /// nothing. Added assets in service open, or join, the risk-analysis update.
    #[instrument(skip_all, fields(user.id = %actor, rows = rows.len()))]
    pub async fn import_assets(&self, actor: UserId, rows: &[AssetCsvRow], today: Date) -> Result<ImportSummary, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let actor = Actor::User(actor);
        let mut summary = ImportSummary::default();
        let mut added_in_service = Vec::new();
        let mut names_in_service = std::collections::HashSet::new();

        for row in rows {
            // The CSV reader already refuses such files; this check keeps the all-or-nothing
            // rule for callers that build rows themselves, because the second row would
            // otherwise silently update the asset the first one added.
            if row.retired.is_none() && !names_in_service.insert(row.asset.name.as_str().to_lowercase()) {
                return Err(StoreError::Conflict(format!(
                    "the import lists the asset {:?} twice; names of assets in service must be unique",
                    row.asset.name.as_str()
                )));
            }
            let current = sqlx::query(composed_sql!(
                "SELECT {ASSET_COLUMNS} FROM assets WHERE lower(name) = lower($1) AND retired_on IS NULL"
            ))
            .bind(row.asset.name.as_str())
            .fetch_optional(&mut *transaction)
            .await?;
            let current = current.as_ref().map(asset_from_row).transpose()?;

            match (&row.retired, current) {
                (None, Some(existing)) if existing.details == row.asset => summary.unchanged += 1,
                (None, Some(existing)) => {
                    write_asset_update(&mut transaction, self.backend, &now, &actor, existing.id, &row.asset).await?;
                    summary.updated += 1;
                }
                (None, None) => {
                    let id = insert_asset(&mut transaction, self.backend, &now, &actor, &row.asset, None).await?;
                    added_in_service.push(id);
                    summary.added += 1;
                }
                (Some((day, reason)), Some(existing)) => {
                    let retirement = RetirementInput {
                        retired_on: *day,
                        reason: reason.clone(),
                    };
                    write_retirement(&mut transaction, self.backend, &now, &actor, existing.id, &retirement).await?;
                    summary.retired += 1;
                }
                (Some((day, reason)), None) => {
                    let already = sqlx::query("SELECT id FROM assets WHERE lower(name) = lower($1) AND retired_on = $2")
                        .bind(row.asset.name.as_str())
                        .bind(day.to_string())
                        .fetch_optional(&mut *transaction)
                        .await?;
                    if already.is_some() {
                        summary.unchanged += 1;
                    } else {
                        let retirement = RetirementInput {
                            retired_on: *day,
                            reason: reason.clone(),
                        };
                        insert_asset(&mut transaction, self.backend, &now, &actor, &row.asset, Some(&retirement)).await?;
                        summary.added += 1;
                    }
                }
            }
        }

        if !added_in_service.is_empty() {
            summary.risk_update = Some(open_risk_update(&mut transaction, self.backend, &now, &actor, today, &added_in_service).await?);
        }

        transaction.commit().await?;
        Ok(summary)
    }
}

fn end_columns(end: &FlowEnd<AssetId>) -> (Option<String>, Option<String>) {
    match end {
        FlowEnd::Asset(id) => (Some(id.to_string()), None),
        FlowEnd::Outside(name) => (None, Some(name.as_str().to_owned())),
    }
}

/// Fails with not found for an unknown asset and a conflict for a retired one.
async fn require_in_service(connection: &mut AnyConnection, id: AssetId) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT retired_on FROM assets WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(StoreError::NotFound { kind: "asset" })?;
    match rows::optional_date(&row, "retired_on")? {
        None => Ok(()),
        Some(day) => Err(StoreError::Conflict(format!(
            "this asset was retired on {day}; a retired asset's record cannot be changed"
        ))),
    }
}

/// Fails with a conflict when another asset in service has the same name, ignoring case.
///
/// NOTE: `lower` folds only ASCII letters on SQLite but all letters on PostgreSQL, so two
/// names that differ only in the case of a non-ASCII letter count as distinct on SQLite.
async fn require_unique_name(connection: &mut AnyConnection, name: &str, except: Option<AssetId>) -> Result<(), StoreError> {
    let holder = sqlx::query("SELECT id FROM assets WHERE lower(name) = lower($1) AND retired_on IS NULL")
        .bind(name)
        .fetch_optional(&mut *connection)
        .await?;
    if let Some(holder) = holder {
        let holder: AssetId = rows::parsed(&holder, "id")?;
        if Some(holder) != except {
            return Err(StoreError::Conflict(format!(
                "an asset in service is already named {name:?}; choose another name or retire that asset first"
            )));
        }
    }
    Ok(())
}

async fn insert_asset(
    connection: &mut AnyConnection,
    backend: Backend,
    now: &str,
    actor: &Actor,
    asset: &AssetInput,
    retirement: Option<&RetirementInput>,
) -> Result<AssetId, StoreError> {
    if retirement.is_none() {
        require_unique_name(connection, asset.name.as_str(), None).await?;
    }
    let id = AssetId::new();

    sqlx::query("INSERT INTO assets (id, name, kind, owner, location, ephi, ephi_handling, record_count, encryption_at_rest, encryption_in_transit, sign_in, backup, criticality, vendor, created_at, updated_at, retired_on, retired_reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17)")
        .bind(id.to_string())
        .bind(asset.name.as_str())
        .bind(asset.kind.code())
        .bind(asset.owner.as_str())
        .bind(asset.location.as_str())
        .bind(asset.ephi.as_str())
        .bind(asset.ephi_handling.code())
        .bind(asset.record_count)
        .bind(asset.encryption_at_rest.code())
        .bind(asset.encryption_in_transit.code())
        .bind(asset.sign_in.code())
        .bind(asset.backup.code())
        .bind(asset.criticality.code())
        .bind(asset.vendor.as_ref().map(|vendor| vendor.as_str().to_owned()))
        .bind(now)
        .bind(retirement.map(|retirement| retirement.retired_on.to_string()))
        .bind(retirement.map(|retirement| retirement.reason.as_str().to_owned()))
        .execute(&mut *connection)
        .await?;

    let mut payload = asset_payload(asset);
    if let Some(retirement) = retirement {
        payload["retired_on"] = json!(retirement.retired_on.to_string());
        payload["retired_reason"] = json!(retirement.reason.as_str());
    }
    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "asset.created",
            record_kind: "asset",
            record_id: id.to_string(),
            payload,
        },
    )
    .await?;
    Ok(id)
}

async fn write_asset_update(
    connection: &mut AnyConnection,
    backend: Backend,
    now: &str,
    actor: &Actor,
    id: AssetId,
    asset: &AssetInput,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE assets SET name = $1, kind = $2, owner = $3, location = $4, ephi = $5, ephi_handling = $6, record_count = $7, encryption_at_rest = $8, encryption_in_transit = $9, sign_in = $10, backup = $11, criticality = $12, vendor = $13, updated_at = $14 WHERE id = $15")
        .bind(asset.name.as_str())
        .bind(asset.kind.code())
        .bind(asset.owner.as_str())
        .bind(asset.location.as_str())
        .bind(asset.ephi.as_str())
        .bind(asset.ephi_handling.code())
        .bind(asset.record_count)
        .bind(asset.encryption_at_rest.code())
        .bind(asset.encryption_in_transit.code())
        .bind(asset.sign_in.code())
        .bind(asset.backup.code())
        .bind(asset.criticality.code())
        .bind(asset.vendor.as_ref().map(|vendor| vendor.as_str().to_owned()))
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *connection)
        .await?;
    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "asset.updated",
            record_kind: "asset",
            record_id: id.to_string(),
            payload: asset_payload(asset),
        },
    )
    .await?;
    Ok(())
}

async fn write_retirement(
    connection: &mut AnyConnection,
    backend: Backend,
    now: &str,
    actor: &Actor,
    id: AssetId,
    retirement: &RetirementInput,
) -> Result<(), StoreError> {
    let day = retirement.retired_on.to_string();

    sqlx::query("UPDATE assets SET retired_on = $1, retired_reason = $2, updated_at = $3 WHERE id = $4")
        .bind(&day)
        .bind(retirement.reason.as_str())
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *connection)
        .await?;
    let ended = sqlx::query("SELECT id FROM data_flows WHERE (from_asset_id = $1 OR to_asset_id = $1) AND ended_on IS NULL ORDER BY id")
        .bind(id.to_string())
        .fetch_all(&mut *connection)
        .await?
        .iter()
        .map(|row| rows::text(row, "id"))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query("UPDATE data_flows SET ended_on = $1 WHERE (from_asset_id = $2 OR to_asset_id = $2) AND ended_on IS NULL")
        .bind(&day)
        .bind(id.to_string())
        .execute(&mut *connection)
        .await?;

    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "asset.retired",
            record_kind: "asset",
            record_id: id.to_string(),
            payload: json!({"retired_on": day, "reason": retirement.reason.as_str(), "ended_flows": ended}),
        },
    )
    .await?;
    Ok(())
}

/// Opens an item of the risk-analysis update obligation for `assets`, or returns the open one,
/// which then covers them too.
///
/// The obligation is created stopped on first use, so the calendar job never adds periodic
/// items to it; each item is inserted here with the next period number, starting `today` and
/// due [`safeguard_domain::inventory::RISK_UPDATE_DAYS`] later.
///
/// Because the obligation is stopped, the compliance status counts only its overdue items: an
/// update left undone past its due date turns 164.308(a)(1)(ii)(A) overdue.
async fn open_risk_update(
    connection: &mut AnyConnection,
    backend: Backend,
    now: &str,
    actor: &Actor,
    today: Date,
    assets: &[AssetId],
) -> Result<RiskUpdate, StoreError> {
    let obligation = RISK_UPDATE_OBLIGATION;
    let owner = match actor {
        Actor::User(user) => Some(user.to_string()),
        Actor::System => None,
    };
    let asset_ids: Vec<String> = assets.iter().map(ToString::to_string).collect();

    let inserted = sqlx::query(
        "INSERT INTO obligations (id, default_key, title, description, citation, cadence, completion_kind, anchor_date, owner_user_id, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) ON CONFLICT (default_key) DO NOTHING",
    )
    .bind(ObligationId::new().to_string())
    .bind(obligation.key)
    .bind(obligation.title)
    .bind(obligation.description)
    .bind(obligation.citation)
    .bind(obligation.cadence.code())
    .bind(obligation.completion.code())
    .bind(today.to_string())
    .bind(owner.clone())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    let obligation_row = sqlx::query("SELECT id FROM obligations WHERE default_key = $1")
        .bind(obligation.key)
        .fetch_one(&mut *connection)
        .await?;
    let obligation_id: ObligationId = rows::parsed(&obligation_row, "id")?;
    if inserted.rows_affected() == 1 {
        let payload = json!({"title": obligation.title, "citation": obligation.citation, "cadence": obligation.cadence.code(), "anchor": today.to_string(), "owner": owner, "active": false});
        append(
            connection,
            backend,
            now,
            actor,
            Change {
                action: "obligation.created",
                record_kind: "obligation",
                record_id: obligation_id.to_string(),
                payload,
            },
        )
        .await?;
    }

    let open = sqlx::query(
        "SELECT id, due_on FROM obligation_instances WHERE obligation_id = $1 AND completed_at IS NULL ORDER BY period_index DESC LIMIT 1",
    )
    .bind(obligation_id.to_string())
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(open) = open {
        return Ok(RiskUpdate {
            instance: rows::parsed(&open, "id")?,
            due_on: rows::date(&open, "due_on")?,
            opened: false,
        });
    }

    let last = sqlx::query("SELECT period_index FROM obligation_instances WHERE obligation_id = $1 ORDER BY period_index DESC LIMIT 1")
        .bind(obligation_id.to_string())
        .fetch_optional(&mut *connection)
        .await?;
    let index = match last {
        Some(row) => rows::integer(&row, "period_index")? + 1,
        None => 0,
    };
    let instance = InstanceId::new();
    let due_on = risk_update_due(today);
    sqlx::query(
        "INSERT INTO obligation_instances (id, obligation_id, period_index, starts_on, due_on, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(instance.to_string())
    .bind(obligation_id.to_string())
    .bind(index)
    .bind(today.to_string())
    .bind(due_on.to_string())
    .bind(now)
    .execute(&mut *connection)
    .await?;
    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "calendar_item.opened",
            record_kind: "obligation_instance",
            record_id: instance.to_string(),
            payload: json!({"obligation": obligation_id.to_string(), "starts_on": today.to_string(), "due_on": due_on.to_string(), "reason": "assets added to the ePHI inventory", "assets": asset_ids}),
        },
    )
    .await?;

    Ok(RiskUpdate {
        instance,
        due_on,
        opened: true,
    })
}
