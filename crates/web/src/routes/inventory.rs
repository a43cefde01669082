//! The ePHI inventory: assets, data flows, the data-flow map, CSV import with preview, export
//! and retirement.
//!
//! Everyone who reads the program reads the inventory; only the Security Official changes it,
//! because the inventory sets the scope of the risk analysis. Adding an asset opens, or joins,
//! the calendar item to update the risk analysis, and the pages link to it.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_documents::{AssetCsvRow, asset_csv};
use safeguard_domain::accounts::Permission;
use safeguard_domain::ids::{AssetId, DataFlowId, InstanceId};
use safeguard_domain::inventory::csv::{AssetCsvError, AssetCsvLine, parse_asset_csv, preview_asset_csv};
use safeguard_domain::inventory::map::{MapAsset, MapEnd, MapFlow, render_flow_map};
use safeguard_domain::inventory::{
    AssetCategory, AssetFields, AssetInput, AssetKind, BackupCoverage, Criticality, DataFlowInput, Encryption, EphiHandling,
    RetirementInput, SignIn,
};
use safeguard_domain::values::InvalidValue;
use safeguard_store::inventory::{Asset, DataFlow, FlowEndpoint};

use super::{field, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// The largest inventory file accepted; a practice's inventory is a few kilobytes.
const MAX_INVENTORY_BYTES: usize = 2 * 1024 * 1024;

/// The choices of every select on the asset form.
struct Choices {
    kind_groups: Vec<(&'static str, Vec<AssetKind>)>,
    encryption: &'static [Encryption],
    sign_in: &'static [SignIn],
    backup: &'static [BackupCoverage],
    criticality: &'static [Criticality],
}

impl Choices {
    fn new() -> Self {
        let kind_groups = AssetCategory::ALL
            .into_iter()
            .map(|category| {
                let kinds = AssetKind::ALL.iter().copied().filter(|kind| kind.category() == category).collect();
                (category.label(), kinds)
            })
            .collect();
        Self {
            kind_groups,
            encryption: Encryption::ALL,
            sign_in: SignIn::ALL,
            backup: BackupCoverage::ALL,
            criticality: Criticality::ALL,
        }
    }
}

/// Returns the confirmation for a `notice` query code of this area.
fn notice_text(query: &HashMap<String, String>) -> Option<String> {
    let text = match query.get("notice").map(String::as_str)? {
        "added" => "Asset added and recorded in the evidence ledger. The risk analysis must now cover it.",
        "saved" => "Saved and recorded in the evidence ledger.",
        "retired" => "Asset retired. Its record is kept, and its data flows ended on the same day.",
        "flow-added" => "Data flow added and recorded in the evidence ledger.",
        "flow-ended" => "Data flow ended; it stays in the history.",
        "imported" => "The inventory was imported and recorded in the evidence ledger.",
        _ => return None,
    };
    Some(text.to_owned())
}

fn layout(title: impl Into<String>, user: &CurrentUser, csrf: &CsrfToken, query: &HashMap<String, String>) -> Layout {
    let mut layout = Layout::signed_in(title, user, csrf);
    layout.notice = notice_text(query);
    layout
}

/// Returns the calendar item named by the `update` query parameter of a redirect, if valid.
fn risk_update_link(query: &HashMap<String, String>) -> Option<InstanceId> {
    query.get("update").and_then(|id| id.parse().ok())
}

fn parse_asset_id(text: &str) -> Result<AssetId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("asset"))
}

/// A category heading with the assets in service of that category.
struct AssetGroup {
    label: &'static str,
    assets: Vec<Asset>,
}

/// The fields of the data-flow form, kept to show them again after an error.
#[derive(Debug, Default)]
struct FlowForm {
    from_asset: String,
    from_party: String,
    to_asset: String,
    to_party: String,
    data: String,
    transport: String,
    encryption: String,
}

impl FlowForm {
    fn read(form: &[(String, String)]) -> Self {
        Self {
            from_asset: field(form, "from_asset").to_owned(),
            from_party: field(form, "from_party").to_owned(),
            to_asset: field(form, "to_asset").to_owned(),
            to_party: field(form, "to_party").to_owned(),
            data: field(form, "data").to_owned(),
            transport: field(form, "transport").to_owned(),
            encryption: field(form, "encryption").to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "inventory_list.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<AssetGroup>,
    retired: Vec<Asset>,
    current_flows: Vec<DataFlow>,
    ended_flows: Vec<DataFlow>,
    map_svg: String,
    asset_options: Vec<(AssetId, String)>,
    flow_form: FlowForm,
    encryption: &'static [Encryption],
    risk_update: Option<InstanceId>,
    errors: Vec<InvalidValue>,
}

async fn list_page(
    state: &AppState,
    layout: Layout,
    flow_form: FlowForm,
    errors: Vec<InvalidValue>,
    risk_update: Option<InstanceId>,
) -> Result<ListPage, AppError> {
    let assets = state.store.assets().await?;
    let flows = state.store.data_flows().await?;
    let (in_service, retired): (Vec<Asset>, Vec<Asset>) = assets.into_iter().partition(Asset::in_service);
    let (current_flows, ended_flows): (Vec<DataFlow>, Vec<DataFlow>) = flows.into_iter().partition(|flow| flow.ended_on.is_none());

    let map_assets: Vec<MapAsset<'_>> = in_service
        .iter()
        .map(|asset| MapAsset {
            id: asset.id,
            name: asset.details.name.as_str(),
            kind: asset.details.kind,
        })
        .collect();
    let map_flows: Vec<MapFlow<'_>> = current_flows
        .iter()
        .map(|flow| MapFlow {
            from: map_end(&flow.from),
            to: map_end(&flow.to),
            data: &flow.data,
            transport: &flow.transport,
            encryption: flow.encryption,
        })
        .collect();
    let map_svg = render_flow_map(&map_assets, &map_flows);
    let asset_options = in_service.iter().map(|asset| (asset.id, asset.details.name.to_string())).collect();

    let mut groups: Vec<AssetGroup> = AssetCategory::ALL
        .into_iter()
        .map(|category| AssetGroup {
            label: category.label(),
            assets: Vec::new(),
        })
        .collect();
    for asset in in_service {
        let index = AssetCategory::ALL
            .iter()
            .position(|category| *category == asset.details.kind.category())
            .unwrap_or(0);
        groups[index].assets.push(asset);
    }

    Ok(ListPage {
        layout,
        groups,
        retired,
        current_flows,
        ended_flows,
        map_svg,
        asset_options,
        flow_form,
        encryption: Encryption::ALL,
        risk_update,
        errors,
    })
}

fn map_end(end: &FlowEndpoint) -> MapEnd<'_> {
    match end.asset {
        Some(id) => MapEnd::Asset(id),
        None => MapEnd::Outside(&end.name),
    }
}

pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let layout = layout("ePHI inventory", &user, &csrf, &query);
    let page = list_page(&state, layout, FlowForm::default(), Vec::new(), risk_update_link(&query)).await?;
    render(&page)
}

#[derive(Template)]
#[template(path = "inventory_new.html")]
struct NewPage {
    layout: Layout,
    form: AssetFields,
    choices: Choices,
    errors: Vec<InvalidValue>,
}

/// Reads the asset form: text fields by name, and ePHI handling from three checkboxes.
fn read_asset_form(form: &[(String, String)]) -> (AssetFields, Result<AssetInput, Vec<InvalidValue>>) {
    let checked = |name: &str| !field(form, name).is_empty();
    let handling = EphiHandling::from_flags(checked("stores"), checked("processes"), checked("transmits"));
    let fields = AssetFields {
        name: field(form, "name").to_owned(),
        kind: field(form, "kind").to_owned(),
        owner: field(form, "owner").to_owned(),
        location: field(form, "location").to_owned(),
        ephi: field(form, "ephi").to_owned(),
        ephi_handling: handling.as_ref().map(|handling| handling.code()).unwrap_or_default(),
        record_count: field(form, "record_count").to_owned(),
        encryption_at_rest: field(form, "encryption_at_rest").to_owned(),
        encryption_in_transit: field(form, "encryption_in_transit").to_owned(),
        sign_in: field(form, "sign_in").to_owned(),
        backup: field(form, "backup").to_owned(),
        criticality: field(form, "criticality").to_owned(),
        vendor: field(form, "vendor").to_owned(),
    };
    let parsed = AssetInput::parse_with_handling(&fields, handling);
    (fields, parsed)
}

pub(crate) async fn new_form(user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    render(&NewPage {
        layout: Layout::signed_in("Add an asset", &user, &csrf),
        form: AssetFields::default(),
        choices: Choices::new(),
        errors: Vec::new(),
    })
}

pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let (fields, parsed) = read_asset_form(&form);
    let asset = match parsed {
        Ok(asset) => asset,
        Err(errors) => {
            let page = NewPage {
                layout: Layout::signed_in("Add an asset", &user, &csrf),
                form: fields,
                choices: Choices::new(),
                errors,
            };
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let (today, _) = practice_today(&state).await?;
    let (id, update) = state.store.create_asset(user.id(), &asset, today).await?;
    Ok(Redirect::to(&format!("/inventory/{id}?notice=added&update={}", update.instance)).into_response())
}

#[derive(Template)]
#[template(path = "inventory_show.html")]
struct ShowPage {
    layout: Layout,
    asset: Asset,
    flows: Vec<DataFlow>,
    risk_update: Option<InstanceId>,
    form: AssetFields,
    choices: Choices,
    today: String,
    errors: Vec<InvalidValue>,
}

async fn show_page(
    state: &AppState,
    layout: Layout,
    id: AssetId,
    form: Option<AssetFields>,
    errors: Vec<InvalidValue>,
    risk_update: Option<InstanceId>,
) -> Result<ShowPage, AppError> {
    let asset = state.store.asset(id).await?;
    let flows = state
        .store
        .data_flows()
        .await?
        .into_iter()
        .filter(|flow| flow.from.asset == Some(id) || flow.to.asset == Some(id))
        .collect();
    let (today, _) = practice_today(state).await?;
    let mut layout = layout;
    layout.title = asset.details.name.to_string();

    Ok(ShowPage {
        layout,
        form: form.unwrap_or_else(|| asset.details.to_fields()),
        asset,
        flows,
        risk_update,
        choices: Choices::new(),
        today: today.to_string(),
        errors,
    })
}

pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let id = parse_asset_id(&id)?;

    let page = show_page(
        &state,
        layout("Asset", &user, &csrf, &query),
        id,
        None,
        Vec::new(),
        risk_update_link(&query),
    )
    .await?;
    render(&page)
}

pub(crate) async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_asset_id(&id)?;

    let (fields, parsed) = read_asset_form(&form);
    match parsed {
        Ok(asset) => {
            let (today, _) = practice_today(&state).await?;
            state.store.update_asset(user.id(), id, &asset, today).await?;
            Ok(Redirect::to(&format!("/inventory/{id}?notice=saved")).into_response())
        }
        Err(errors) => {
            let page = show_page(&state, Layout::signed_in("Asset", &user, &csrf), id, Some(fields), errors, None).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub(crate) async fn retire(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_asset_id(&id)?;
    let (today, _) = practice_today(&state).await?;

    match RetirementInput::parse(field(&form, "retired_on"), field(&form, "reason"), today) {
        Ok(retirement) => {
            state.store.retire_asset(user.id(), id, &retirement).await?;
            Ok(Redirect::to(&format!("/inventory/{id}?notice=retired")).into_response())
        }
        Err(errors) => {
            let page = show_page(&state, Layout::signed_in("Asset", &user, &csrf), id, None, errors, None).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub(crate) async fn create_flow(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let flow_form = FlowForm::read(&form);
    let parsed = DataFlowInput::<AssetId>::parse(
        &flow_form.from_asset,
        &flow_form.from_party,
        &flow_form.to_asset,
        &flow_form.to_party,
        &flow_form.data,
        &flow_form.transport,
        &flow_form.encryption,
    );
    match parsed {
        Ok(flow) => {
            state.store.create_data_flow(user.id(), &flow).await?;
            Ok(Redirect::to("/inventory?notice=flow-added#flows").into_response())
        }
        Err(errors) => {
            let page = list_page(&state, Layout::signed_in("ePHI inventory", &user, &csrf), flow_form, errors, None).await?;
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub(crate) async fn end_flow(State(state): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id: DataFlowId = id.parse().map_err(|_| AppError::NotFound("data flow"))?;
    let (today, _) = practice_today(&state).await?;

    state.store.end_data_flow(user.id(), id, today).await?;
    Ok(Redirect::to("/inventory?notice=flow-ended#flows").into_response())
}

pub(crate) async fn export(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let assets = state.store.assets().await?;

    let rows = assets.iter().map(|asset| AssetCsvRow {
        asset: &asset.details,
        retired_on: asset.retired_on.map(|day| day.to_string()).unwrap_or_default(),
        retired_reason: asset.retired_reason.as_deref(),
    });
    let text = asset_csv(rows).map_err(|error| AppError::Internal(error.to_string()))?;

    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"ephi-inventory.csv\""),
        ],
        text,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "inventory_import.html")]
struct ImportPage {
    layout: Layout,
    problem: Option<String>,
    lines: Vec<AssetCsvLine>,
    csv_text: String,
    valid: usize,
    kinds: &'static [AssetKind],
}

impl ImportPage {
    fn empty(user: &CurrentUser, csrf: &CsrfToken) -> Self {
        Self {
            layout: Layout::signed_in("Import the inventory", user, csrf),
            problem: None,
            lines: Vec::new(),
            csv_text: String::new(),
            valid: 0,
            kinds: AssetKind::ALL,
        }
    }
}

pub(crate) async fn import_form(user: CurrentUser, csrf: CsrfToken) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    render(&ImportPage::empty(&user, &csrf))
}

/// Reads an uploaded inventory and shows every row with its errors; nothing is stored yet.
pub(crate) async fn import_preview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let mut bytes = Vec::new();
    while let Some(part) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::Refused(format!("reading the upload failed: {error}")))?
    {
        if part.name() == Some("file") {
            bytes = part
                .bytes()
                .await
                .map_err(|error| AppError::Refused(format!("reading the upload failed: {error}")))?
                .to_vec();
        }
    }

    let mut page = ImportPage::empty(&user, &csrf);
    if bytes.is_empty() {
        page.problem = Some("file: choose an inventory CSV file to upload".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if bytes.len() > MAX_INVENTORY_BYTES {
        page.problem = Some("file: the inventory is larger than 2 MB; split it into several files".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let Ok(text) = String::from_utf8(bytes) else {
        page.problem = Some("file: the file is not UTF-8 text; save it as CSV UTF-8 and upload it again".into());
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let (today, _) = practice_today(&state).await?;
    match preview_asset_csv(text.as_bytes(), today) {
        Ok(lines) => {
            page.valid = lines.iter().filter(|line| line.outcome.is_ok()).count();
            let status = if page.valid == lines.len() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            page.lines = lines;
            page.csv_text = text;
            render_with_status(status, &page)
        }
        Err(error) => {
            page.problem = Some(error.to_string());
            render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Imports the previewed inventory: every row, or none when any row has an error.
pub(crate) async fn import_commit(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let (today, _) = practice_today(&state).await?;
    let rows = parse_asset_csv(field(&form, "csv_text").as_bytes(), today).map_err(|error| match error {
        AssetCsvError::Rows(failures) => AppError::Invalid(
            failures
                .into_iter()
                .flat_map(|(line, errors)| {
                    errors
                        .into_iter()
                        .map(move |error| InvalidValue::new(error.field, format!("line {line}: {}", error.message)))
                })
                .collect(),
        ),
        other => AppError::Refused(other.to_string()),
    })?;
    let summary = state.store.import_assets(user.id(), &rows, today).await?;
    tracing::info!(
        user.id = %user.id(),
        added = summary.added,
        updated = summary.updated,
        retired = summary.retired,
        unchanged = summary.unchanged,
        "inventory imported"
    );

    let location = match summary.risk_update {
        Some(update) => format!("/inventory?notice=imported&update={}", update.instance),
        None => "/inventory?notice=imported".to_owned(),
    };
    Ok(Redirect::to(&location).into_response())
}
