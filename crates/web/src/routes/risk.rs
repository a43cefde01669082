//! Risk analysis, risk register and risk management plan pages.
//!
//! Every page reads through the store and every form posts to a handler that validates with the
//! domain's `parse` functions, re-rendering the page with a 422 and the named fields when input
//! is invalid. The store rejects writes to a finalized analysis, and the user sees that as a 409
//! with the store's message. The pages also hide the forms of a finalized analysis.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use safeguard_documents::{RiskPlanRow, RiskRegisterRow, risk_plan_csv, risk_plan_xlsx, risk_register_csv, risk_register_xlsx};
use safeguard_domain::accounts::Permission;
use safeguard_domain::ids::{AssetId, PlanItemId, RiskAnalysisId, RiskEntryId};
use safeguard_domain::risk::{
    AnalysisInput, DEFAULT_METHOD, DecisionForm, DecisionInput, EntryInput, Level, LevelChange, PlanItemInput, PlanProgressInput,
    PlanStatus, SafeguardType, THREATS, Threat, Treatment, heat_map, plan_item_overdue, risk_level,
};
use safeguard_domain::values::InvalidValue;
use safeguard_store::StoreError;
use safeguard_store::inventory::Asset;
use safeguard_store::risk::{PlanItem, RiskAnalysis, RiskEntry};

use super::{field, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// One cell of the 5×5 heat map, placed in SVG user units.
pub(crate) struct HeatCell {
    x: usize,
    y: usize,
    count: usize,
    level: Level,
    likelihood: Level,
    impact: Level,
}

impl HeatCell {
    /// Returns the cell's fill colour, from green for Very Low to red for Very High.
    fn fill(&self) -> &'static str {
        match self.level {
            Level::VeryLow => "#cfe8d5",
            Level::Low => "#e3efb8",
            Level::Moderate => "#fbe3a0",
            Level::High => "#f6b98a",
            Level::VeryHigh => "#ee8a80",
        }
    }
}

/// The heat map of a set of entries: likelihood rises upwards, impact to the right.
pub(crate) struct HeatMap {
    cells: Vec<HeatCell>,
    levels: [Level; 5],
    total: usize,
}

const CELL: usize = 90;
const LEFT: usize = 110;

fn build_heat_map(entries: &[RiskEntry]) -> HeatMap {
    let counts = heat_map(entries.iter().map(|entry| (entry.likelihood, entry.impact)));
    let mut cells = Vec::new();
    for likelihood in Level::ALL {
        for impact in Level::ALL {
            cells.push(HeatCell {
                x: LEFT + impact.index() * CELL,
                y: (4 - likelihood.index()) * CELL,
                count: counts[likelihood.index()][impact.index()],
                level: risk_level(likelihood, impact),
                likelihood,
                impact,
            });
        }
    }
    HeatMap {
        cells,
        levels: Level::ALL,
        total: entries.len(),
    }
}

#[derive(Template)]
#[template(path = "risk_overview.html")]
struct OverviewPage {
    layout: Layout,
    analyses: Vec<RiskAnalysis>,
    newest: Option<RiskAnalysis>,
    heat: HeatMap,
    open_items: usize,
    overdue_items: usize,
    can_start: bool,
    today: String,
    default_title: String,
    default_method: &'static str,
    errors: Vec<InvalidValue>,
}

async fn overview_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    errors: Vec<InvalidValue>,
    notice_code: Option<&str>,
) -> Result<OverviewPage, AppError> {
    let analyses = state.store.risk_analyses().await?;
    let newest = analyses.first().cloned();
    let entries = match &newest {
        Some(analysis) => state.store.risk_entries(analysis.id).await?,
        None => Vec::new(),
    };
    let (today, _) = practice_today(state).await?;
    let items = state.store.plan_items(None).await?;
    let open_items = items.iter().filter(|item| item.status.is_open()).count();
    let overdue_items = items
        .iter()
        .filter(|item| plan_item_overdue(item.status, item.deadline, today))
        .count();

    Ok(OverviewPage {
        layout: Layout::signed_in("Risk analysis", user, csrf).with_notice(notice_code),
        can_start: newest.as_ref().is_none_or(RiskAnalysis::is_final),
        analyses,
        newest,
        heat: build_heat_map(&entries),
        open_items,
        overdue_items,
        today: today.to_string(),
        default_title: format!("Risk analysis {}", today.year()),
        default_method: DEFAULT_METHOD,
        errors,
    })
}

pub(crate) async fn overview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    render(&overview_page(&state, &user, &csrf, Vec::new(), notice(&query)).await?)
}

fn analysis_input(form: &[(String, String)]) -> Result<AnalysisInput, Vec<InvalidValue>> {
    AnalysisInput::parse(
        field(form, "title"),
        field(form, "analysis_date"),
        field(form, "scope"),
        field(form, "method"),
        field(form, "participants"),
    )
}

/// Starts a new analysis version, copied from the latest finalized one when there is one.
pub(crate) async fn start(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let input = match analysis_input(&form) {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &overview_page(&state, &user, &csrf, errors, None).await?,
            );
        }
    };
    let id = state.store.start_risk_analysis(user.id(), &input).await?;
    tracing::info!(user.id = %user.id(), risk_analysis.id = %id, "risk analysis started");
    Ok(Redirect::to(&format!("/risk/analyses/{id}?notice=saved")).into_response())
}

#[derive(Template)]
#[template(path = "risk_analysis.html")]
struct AnalysisPage {
    layout: Layout,
    analysis: RiskAnalysis,
    entries: Vec<RiskEntry>,
    heat: HeatMap,
    threats: &'static [Threat],
    levels: [Level; 5],
    undecided: usize,
    assets: Vec<(AssetId, String)>,
    unassessed: Vec<String>,
    errors: Vec<InvalidValue>,
}

fn parse_analysis_id(id: &str) -> Result<RiskAnalysisId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("risk analysis"))
}

fn parse_entry_id(id: &str) -> Result<RiskEntryId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("risk"))
}

async fn analysis_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    id: RiskAnalysisId,
    errors: Vec<InvalidValue>,
    notice_code: Option<&str>,
) -> Result<AnalysisPage, AppError> {
    let analysis = state.store.risk_analysis(id).await?;
    let entries = state.store.risk_entries(id).await?;
    let assets = state
        .store
        .assets()
        .await?
        .into_iter()
        .filter(|asset| asset.in_service())
        .map(|asset| (asset.id, asset.details.name.into_string()))
        .collect();
    let unassessed = state.store.unassessed_assets(id).await?;
    let title = format!("Risk analysis version {}", analysis.version);
    Ok(AnalysisPage {
        layout: Layout::signed_in(title, user, csrf).with_notice(notice_code),
        heat: build_heat_map(&entries),
        undecided: entries.iter().filter(|entry| entry.decision.is_none()).count(),
        analysis,
        entries,
        threats: &THREATS,
        levels: Level::ALL,
        assets,
        unassessed,
        errors,
    })
}

pub(crate) async fn show_analysis(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_analysis_id(&id)?;
    render(&analysis_page(&state, &user, &csrf, id, Vec::new(), notice(&query)).await?)
}

/// Changes the title, date, scope, method and participants of a draft analysis.
pub(crate) async fn update_analysis(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_analysis_id(&id)?;
    let input = match analysis_input(&form) {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &analysis_page(&state, &user, &csrf, id, errors, None).await?,
            );
        }
    };
    state.store.update_risk_analysis(user.id(), id, &input).await?;
    Ok(Redirect::to(&format!("/risk/analyses/{id}?notice=saved")).into_response())
}

fn entry_input(form: &[(String, String)], asset_name: &str, threat_key: &str) -> Result<EntryInput, Vec<InvalidValue>> {
    EntryInput::parse(
        asset_name,
        threat_key,
        field(form, "vulnerabilities"),
        field(form, "existing_controls"),
        field(form, "likelihood"),
        field(form, "impact"),
    )
}

/// Adds a rated asset-and-threat entry to a draft analysis.
pub(crate) async fn add_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_analysis_id(&id)?;

    // An asset chosen from the inventory links the entry to it under its inventory name. The
    // free-text name covers assets that the inventory does not list yet.
    let asset = match chosen_asset(&state, field(&form, "asset_id")).await? {
        Ok(asset) => asset,
        Err(error) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &analysis_page(&state, &user, &csrf, id, vec![error], None).await?,
            );
        }
    };
    let asset_name = asset
        .as_ref()
        .map_or(field(&form, "asset_name"), |asset| asset.details.name.as_str());
    let input = match entry_input(&form, asset_name, field(&form, "threat")) {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &analysis_page(&state, &user, &csrf, id, errors, None).await?,
            );
        }
    };
    let asset_id = asset.map(|asset| asset.id.to_string());
    let entry = state.store.add_risk_entry(user.id(), id, asset_id.as_deref(), &input).await?;
    tracing::info!(user.id = %user.id(), risk_entry.id = %entry, "risk entry added");
    Ok(Redirect::to(&format!("/risk/analyses/{id}?notice=saved")).into_response())
}

/// Reads the inventory asset chosen in a form: `Ok(None)` when none was chosen, and an invalid
/// value when the choice is not an asset in service.
async fn chosen_asset(state: &AppState, text: &str) -> Result<Result<Option<Asset>, InvalidValue>, AppError> {
    if text.is_empty() {
        return Ok(Ok(None));
    }
    let invalid = || InvalidValue::new("asset", "choose an asset in service from the inventory");
    let Ok(id) = text.parse::<AssetId>() else {
        return Ok(Err(invalid()));
    };
    match state.store.asset(id).await {
        Ok(asset) if asset.in_service() => Ok(Ok(Some(asset))),
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(Err(invalid())),
        Err(error) => Err(error.into()),
    }
}

/// Finalizes a draft analysis, which completes the annual risk-analysis review.
pub(crate) async fn finalize(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_analysis_id(&id)?;
    let (today, _) = practice_today(&state).await?;
    state.store.finalize_risk_analysis(user.id(), id, today).await?;
    tracing::info!(user.id = %user.id(), risk_analysis.id = %id, "risk analysis finalized");
    Ok(Redirect::to(&format!("/risk/analyses/{id}?notice=signed")).into_response())
}

/// One row of a version comparison.
pub(crate) struct ComparisonRow {
    asset_name: String,
    threat_name: String,
    previous: Option<Level>,
    current: Option<Level>,
    change: LevelChange,
}

#[derive(Template)]
#[template(path = "risk_compare.html")]
struct ComparePage {
    layout: Layout,
    analysis: RiskAnalysis,
    previous: Option<RiskAnalysis>,
    rows: Vec<ComparisonRow>,
}

/// Compares an analysis's risk levels with the version it was copied from.
pub(crate) async fn compare(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_analysis_id(&id)?;
    let analysis = state.store.risk_analysis(id).await?;
    let current = state.store.risk_entries(id).await?;
    let (previous, earlier) = match analysis.copied_from {
        Some(previous_id) => (
            Some(state.store.risk_analysis(previous_id).await?),
            state.store.risk_entries(previous_id).await?,
        ),
        None => (None, Vec::new()),
    };

    let mut rows: Vec<ComparisonRow> = Vec::new();
    for entry in &current {
        let before = earlier.iter().find(|old| old.risk_key == entry.risk_key).map(|old| old.level);
        rows.push(comparison_row(entry, before, Some(entry.level)));
    }
    for old in earlier
        .iter()
        .filter(|old| !current.iter().any(|entry| entry.risk_key == old.risk_key))
    {
        rows.push(comparison_row(old, Some(old.level), None));
    }

    render(&ComparePage {
        layout: Layout::signed_in(format!("Risk analysis version {} compared", analysis.version), &user, &csrf),
        analysis,
        previous,
        rows,
    })
}

fn comparison_row(entry: &RiskEntry, previous: Option<Level>, current: Option<Level>) -> ComparisonRow {
    ComparisonRow {
        asset_name: entry.asset_name.clone(),
        threat_name: entry.threat_name.clone(),
        previous,
        current,
        // A row always has at least one level, so `between` returns a change.
        change: LevelChange::between(previous, current).unwrap_or(LevelChange::Unchanged),
    }
}

#[derive(Template)]
#[template(path = "risk_entry.html")]
struct EntryPage {
    layout: Layout,
    analysis: RiskAnalysis,
    entry: RiskEntry,
    items: Vec<PlanItem>,
    levels: [Level; 5],
    treatments: [Treatment; 4],
    safeguard_types: [SafeguardType; 3],
    today: Date,
    errors: Vec<InvalidValue>,
}

async fn entry_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    id: RiskEntryId,
    errors: Vec<InvalidValue>,
    notice_code: Option<&str>,
) -> Result<EntryPage, AppError> {
    let entry = state.store.risk_entry(id).await?;
    let analysis = state.store.risk_analysis(entry.analysis_id).await?;
    let items = state.store.plan_items(Some(id)).await?;
    let (today, _) = practice_today(state).await?;
    Ok(EntryPage {
        layout: Layout::signed_in(format!("{}: {}", entry.asset_name, entry.threat_name), user, csrf).with_notice(notice_code),
        analysis,
        entry,
        items,
        levels: Level::ALL,
        treatments: Treatment::ALL,
        safeguard_types: SafeguardType::ALL,
        today,
        errors,
    })
}

pub(crate) async fn show_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_entry_id(&id)?;
    render(&entry_page(&state, &user, &csrf, id, Vec::new(), notice(&query)).await?)
}

/// Changes the vulnerabilities, controls and ratings of a risk in a draft analysis.
pub(crate) async fn rate_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_entry_id(&id)?;
    let entry = state.store.risk_entry(id).await?;
    let input = match entry_input(&form, &entry.asset_name, &entry.threat_key) {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &entry_page(&state, &user, &csrf, id, errors, None).await?,
            );
        }
    };
    state.store.rate_risk_entry(user.id(), id, &input).await?;
    Ok(Redirect::to(&format!("/risk/entries/{id}?notice=saved")).into_response())
}

/// Records the register decision of a risk, signed by the Security Official and, to accept a
/// risk, by leadership.
pub(crate) async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_entry_id(&id)?;
    let submitted = DecisionForm {
        treatment: field(&form, "treatment"),
        decided_on: field(&form, "decided_on"),
        residual_level: field(&form, "residual_level"),
        rationale: field(&form, "rationale"),
        official_signature: field(&form, "signature"),
        leadership_name: field(&form, "leadership_name"),
        leadership_title: field(&form, "leadership_title"),
        leadership_signature: field(&form, "leadership_signature"),
    };
    let input = match DecisionInput::parse(submitted, &user.user.display_name) {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &entry_page(&state, &user, &csrf, id, errors, None).await?,
            );
        }
    };
    state.store.decide_risk(user.id(), id, &input).await?;
    tracing::info!(user.id = %user.id(), risk_entry.id = %id, treatment = input.treatment.code(), "risk decided");
    Ok(Redirect::to(&format!("/risk/entries/{id}?notice=signed")).into_response())
}

/// Adds an item to the risk management plan for a risk.
pub(crate) async fn add_plan_item(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_entry_id(&id)?;
    let input = PlanItemInput::parse(
        field(&form, "safeguard_type"),
        field(&form, "safeguard"),
        field(&form, "owner"),
        field(&form, "deadline"),
        field(&form, "acceptance_criteria"),
    );
    let input = match input {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &entry_page(&state, &user, &csrf, id, errors, None).await?,
            );
        }
    };
    let item = state.store.add_plan_item(user.id(), id, &input).await?;
    tracing::info!(user.id = %user.id(), plan_item.id = %item, "plan item added");
    Ok(Redirect::to(&format!("/risk/entries/{id}?notice=saved")).into_response())
}

/// A plan item with whether it is overdue today.
pub(crate) struct PlanRow {
    item: PlanItem,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "risk_plan.html")]
struct PlanPage {
    layout: Layout,
    rows: Vec<PlanRow>,
    statuses: [PlanStatus; 3],
    today: Date,
    errors: Vec<InvalidValue>,
}

async fn plan_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    errors: Vec<InvalidValue>,
    notice_code: Option<&str>,
) -> Result<PlanPage, AppError> {
    let (today, _) = practice_today(state).await?;
    let rows = state
        .store
        .plan_items(None)
        .await?
        .into_iter()
        .map(|item| PlanRow {
            overdue: plan_item_overdue(item.status, item.deadline, today),
            item,
        })
        .collect();
    Ok(PlanPage {
        layout: Layout::signed_in("Risk management plan", user, csrf).with_notice(notice_code),
        rows,
        statuses: PlanStatus::SETTABLE,
        today,
        errors,
    })
}

pub(crate) async fn plan(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    render(&plan_page(&state, &user, &csrf, Vec::new(), notice(&query)).await?)
}

/// Records a plan item's progress; completing it needs the evidence and the date.
pub(crate) async fn update_plan_item(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::CompleteObligations)?;
    let id: PlanItemId = id.parse().map_err(|_| AppError::NotFound("plan item"))?;
    let input = PlanProgressInput::parse(
        field(&form, "status"),
        field(&form, "completion_evidence"),
        field(&form, "completed_on"),
    );
    let input = match input {
        Ok(input) => input,
        Err(errors) => {
            return render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &plan_page(&state, &user, &csrf, errors, None).await?,
            );
        }
    };
    state.store.update_plan_item(user.id(), id, &input).await?;
    Ok(Redirect::to(&format!("/risk/plan?notice=saved#item-{id}")).into_response())
}

/// The media type of an XLSX workbook.
const XLSX_MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn attachment(media_type: &str, file_name: String, body: impl IntoResponse) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// Returns the register rows of an analysis's entries, as both register exports write them.
fn register_rows<'a>(analysis: &RiskAnalysis, entries: &'a [RiskEntry]) -> Vec<RiskRegisterRow<'a>> {
    entries
        .iter()
        .map(|entry| {
            let decision = entry.decision.as_ref();
            RiskRegisterRow {
                analysis_version: analysis.version.to_string(),
                asset: &entry.asset_name,
                threat: &entry.threat_name,
                vulnerabilities: &entry.vulnerabilities,
                existing_controls: &entry.existing_controls,
                likelihood: entry.likelihood.label(),
                impact: entry.impact.label(),
                risk_level: entry.level.label(),
                decision: decision.map_or("", |decision| decision.treatment.label()),
                decided_on: decision.map(|decision| decision.decided_on.to_string()).unwrap_or_default(),
                decided_by: decision.map_or("", |decision| decision.decided_by_name.as_str()),
                residual_level: decision.map_or("", |decision| decision.residual_level.label()),
                rationale: decision.and_then(|decision| decision.rationale.as_deref()).unwrap_or_default(),
                leadership_approval: decision
                    .and_then(|decision| decision.leadership.as_ref())
                    .map(|(name, title, signature)| format!("{name}, {title}: {signature}"))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Exports the risk register of one analysis version as CSV.
pub(crate) async fn export_register(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_analysis_id(&id)?;
    let analysis = state.store.risk_analysis(id).await?;
    let entries = state.store.risk_entries(id).await?;

    let text = risk_register_csv(register_rows(&analysis, &entries)).map_err(|error| AppError::Internal(error.to_string()))?;
    let file_name = format!("risk-register-v{}.csv", analysis.version);
    Ok(attachment("text/csv; charset=utf-8", file_name, text))
}

/// Exports the risk register of one analysis version as an XLSX workbook.
pub(crate) async fn export_register_xlsx(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_analysis_id(&id)?;
    let analysis = state.store.risk_analysis(id).await?;
    let entries = state.store.risk_entries(id).await?;

    let bytes =
        risk_register_xlsx(register_rows(&analysis, &entries)).map_err(|error| AppError::Internal(crate::error::error_chain(&error)))?;
    let file_name = format!("risk-register-v{}.xlsx", analysis.version);
    Ok(attachment(XLSX_MEDIA_TYPE, file_name, bytes))
}

/// Returns the plan rows of plan items, as both plan exports write them.
fn plan_rows(items: &[PlanItem]) -> Vec<RiskPlanRow<'_>> {
    items
        .iter()
        .map(|item| RiskPlanRow {
            safeguard: &item.safeguard,
            safeguard_type: item.safeguard_type.label(),
            asset: &item.asset_name,
            threat: &item.threat_name,
            analysis_version: item.analysis_version.to_string(),
            owner: &item.owner,
            deadline: item.deadline.to_string(),
            acceptance_criteria: &item.acceptance_criteria,
            status: item.status.label(),
            completion_evidence: item.completion_evidence.as_deref().unwrap_or_default(),
            completed_on: item.completed_on.map(|day| day.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// Exports every item of the risk management plan as CSV.
pub(crate) async fn export_plan(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let items = state.store.plan_items(None).await?;

    let text = risk_plan_csv(plan_rows(&items)).map_err(|error| AppError::Internal(error.to_string()))?;
    Ok(attachment("text/csv; charset=utf-8", "risk-management-plan.csv".to_owned(), text))
}

/// Exports every item of the risk management plan as an XLSX workbook.
pub(crate) async fn export_plan_xlsx(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let items = state.store.plan_items(None).await?;

    let bytes = risk_plan_xlsx(plan_rows(&items)).map_err(|error| AppError::Internal(crate::error::error_chain(&error)))?;
    Ok(attachment(XLSX_MEDIA_TYPE, "risk-management-plan.xlsx".to_owned(), bytes))
}

#[derive(Template)]
#[template(path = "risk_print.html")]
struct PrintPage {
    layout: Layout,
    practice_name: String,
    analysis: RiskAnalysis,
    finalized_at: Option<String>,
    entries: Vec<RiskEntry>,
    heat: HeatMap,
    items: Vec<PlanItem>,
    printed_on: Date,
}

/// Shows a whole analysis on one page for printing: its details and state, every risk with its
/// rating, decision and signatures, the heat map and the plan items of its risks.
pub(crate) async fn print_analysis(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_analysis_id(&id)?;
    let analysis = state.store.risk_analysis(id).await?;
    let entries = state.store.risk_entries(id).await?;
    let practice = state
        .store
        .practice()
        .await?
        .ok_or(AppError::NotFound("practice (finish setup first)"))?;
    let zone = practice.profile.time_zone.zone().clone();
    let (today, _) = practice_today(&state).await?;

    let items = state
        .store
        .plan_items(None)
        .await?
        .into_iter()
        .filter(|item| entries.iter().any(|entry| entry.id == item.entry_id))
        .collect();

    render(&PrintPage {
        layout: Layout::signed_in(format!("{} (version {})", analysis.title, analysis.version), &user, &csrf),
        practice_name: practice.profile.name.to_string(),
        finalized_at: analysis.finalized_at.map(|at| super::local_time(at, &zone)),
        heat: build_heat_map(&entries),
        analysis,
        entries,
        items,
        printed_on: today,
    })
}
