//! EHR log sources: the named column mappings that activity reviews read EHR access-log CSV
//! files with.
//!
//! The list page shows every source and offers the form that adds one. A source's page shows
//! its mapping, the form that changes it, and a preview that reads the header row of a sample
//! export and shows which mapped columns it has. The preview stores nothing and shows only the
//! header row, because the rows below it hold patient data.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use safeguard_domain::accounts::Permission;
use safeguard_domain::ehr_sources::{EhrSourceInput, MappingText};
use safeguard_domain::ids::EhrSourceId;
use safeguard_domain::values::InvalidValue;
use safeguard_review::readers::ColumnMatch;
use safeguard_store::ehr_sources::EhrLogSource;
use serde::Deserialize;

use super::{local_time, notice, practice_today};
use crate::AppState;
use crate::error::AppError;
use crate::layout::{Layout, render, render_with_status};
use crate::session::{CsrfToken, CurrentUser};

/// How many bytes of a sample file the preview reads. A header row longer than this is cut.
const SAMPLE_HEAD_BYTES: usize = 64 * 1024;

/// The fields of a source form, kept to refill the form after an error.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SourceForm {
    #[serde(default)]
    name: String,
    /// The version the form was filled from, so a change made meanwhile is not overwritten.
    #[serde(default)]
    version: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    patient: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    workstation: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    emergency: String,
    #[serde(default)]
    reviewed: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    failure_values: String,
}

impl SourceForm {
    /// Returns a form with the given name and version and the mapping's text.
    fn filled(name: &str, version: &str, mapping: MappingText) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            time: mapping.time,
            user: mapping.user,
            patient: mapping.patient,
            action: mapping.action,
            workstation: mapping.workstation,
            outcome: mapping.outcome,
            emergency: mapping.emergency,
            reviewed: mapping.reviewed,
            time_zone: mapping.time_zone,
            failure_values: mapping.failure_values,
        }
    }

    /// Returns the form of a stored source.
    fn of_source(source: &EhrLogSource) -> Self {
        Self::filled(&source.name, &source.version.to_string(), source.mapping.to_text())
    }

    fn mapping_text(&self) -> MappingText {
        MappingText {
            time: self.time.clone(),
            user: self.user.clone(),
            patient: self.patient.clone(),
            action: self.action.clone(),
            workstation: self.workstation.clone(),
            outcome: self.outcome.clone(),
            emergency: self.emergency.clone(),
            reviewed: self.reviewed.clone(),
            time_zone: self.time_zone.clone(),
            failure_values: self.failure_values.clone(),
        }
    }

    /// Parses the form, adding an error when another source than `id` has the name already.
    fn parse(&self, sources: &[EhrLogSource], id: Option<EhrSourceId>) -> Result<EhrSourceInput, Vec<InvalidValue>> {
        let input = EhrSourceInput::parse(&self.name, &self.mapping_text())?;
        let name_taken = sources
            .iter()
            .any(|source| Some(source.id) != id && source.name.eq_ignore_ascii_case(input.name.as_str()));
        if name_taken {
            return Err(vec![InvalidValue::new(
                "name",
                format!(
                    "{:?} is the name of another EHR log source; choose another name",
                    input.name.as_str()
                ),
            )]);
        }
        Ok(input)
    }
}

/// A source in the list, with its last change in the practice's zone.
struct ListRow {
    source: EhrLogSource,
    updated_at: String,
}

#[derive(Template)]
#[template(path = "ehr_sources.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ListRow>,
    form: SourceForm,
    errors: Vec<InvalidValue>,
}

async fn list_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    form: SourceForm,
    errors: Vec<InvalidValue>,
) -> Result<ListPage, AppError> {
    let (_, zone) = practice_today(state).await?;
    let rows = state
        .store
        .ehr_log_sources()
        .await?
        .into_iter()
        .map(|source| ListRow {
            updated_at: local_time(source.updated_at, &zone),
            source,
        })
        .collect();

    Ok(ListPage {
        layout: Layout::signed_in("EHR log sources", user, csrf),
        rows,
        form,
        errors,
    })
}

/// Lists the sources and offers the form that adds one, filled with the default mapping.
pub(crate) async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;

    let form = SourceForm::filled("", "", safeguard_domain::ehr_sources::EhrMapping::default().to_text());
    let mut page = list_page(&state, &user, &csrf, form, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

/// Adds a source.
pub(crate) async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Form(form): Form<SourceForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;

    let sources = state.store.ehr_log_sources().await?;
    let input = match form.parse(&sources, None) {
        Ok(input) => input,
        Err(errors) => {
            let page = list_page(&state, &user, &csrf, form, errors).await?;
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let id = state.store.create_ehr_log_source(user.id(), &input).await?;
    tracing::info!(user.id = %user.id(), ehr_source.id = %id, "EHR log source created");
    Ok(Redirect::to(&format!("/activity-review/ehr-sources/{id}?notice=saved")).into_response())
}

/// The result of reading a sample file's header row.
struct Preview {
    /// The uploaded file's name.
    file_name: String,
    /// The header row's columns, or why the row could not be read.
    outcome: Result<PreviewMatch, String>,
}

/// The header row of a sample and how the source's mapping matches it.
struct PreviewMatch {
    header: Vec<String>,
    fields: Vec<ColumnMatch>,
    readable: bool,
}

#[derive(Template)]
#[template(path = "ehr_source.html")]
struct SourcePage {
    layout: Layout,
    source: EhrLogSource,
    updated_at: String,
    form: SourceForm,
    errors: Vec<InvalidValue>,
    preview: Option<Preview>,
}

async fn source_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    source: EhrLogSource,
    form: SourceForm,
    errors: Vec<InvalidValue>,
) -> Result<SourcePage, AppError> {
    let (_, zone) = practice_today(state).await?;
    Ok(SourcePage {
        layout: Layout::signed_in("EHR log source", user, csrf),
        updated_at: local_time(source.updated_at, &zone),
        source,
        form,
        errors,
        preview: None,
    })
}

fn parse_source_id(text: &str) -> Result<EhrSourceId, AppError> {
    text.parse().map_err(|_| AppError::NotFound("EHR log source"))
}

/// Shows a source with its mapping and the forms that change and try it.
pub(crate) async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewProgram)?;
    let source = state.store.ehr_log_source(parse_source_id(&id)?).await?;

    let form = SourceForm::of_source(&source);
    let mut page = source_page(&state, &user, &csrf, source, form, Vec::new()).await?;
    page.layout = page.layout.with_notice(notice(&query));
    render(&page)
}

/// Changes a source's name and mapping. Reviews already started keep the mapping they copied.
pub(crate) async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<SourceForm>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let id = parse_source_id(&id)?;
    let source = state.store.ehr_log_source(id).await?;

    // A change saved since the form was filled would be lost without a word, so the form comes
    // back with the typed text and the current version, and saving again is a deliberate choice.
    if form.version.trim() != source.version.to_string() {
        let errors = vec![InvalidValue::new(
            "version",
            format!(
                "{:?} is not the current version: {} changed this source to version {} at {} since you opened the form; compare your text below with the mapping above and save again",
                form.version.trim(),
                source.updated_by_name,
                source.version,
                local_time(source.updated_at, &practice_today(&state).await?.1),
            ),
        )];
        let form = SourceForm {
            version: source.version.to_string(),
            ..form
        };
        let page = source_page(&state, &user, &csrf, source, form, errors).await?;
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let sources = state.store.ehr_log_sources().await?;
    let input = match form.parse(&sources, Some(id)) {
        Ok(input) => input,
        Err(errors) => {
            let page = source_page(&state, &user, &csrf, source, form, errors).await?;
            return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };

    let version = state.store.update_ehr_log_source(user.id(), id, source.version, &input).await?;
    tracing::info!(user.id = %user.id(), ehr_source.id = %id, version, "EHR log source changed");
    Ok(Redirect::to(&format!("/activity-review/ehr-sources/{id}?notice=saved")).into_response())
}

/// Reads the header row of an uploaded sample export and shows which of the source's columns
/// it has. The file is neither stored nor read past its first 64 KiB.
pub(crate) async fn preview(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(Permission::ManageProgram)?;
    let source = state.store.ehr_log_source(parse_source_id(&id)?).await?;

    let mut sample: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
    {
        if field.name() != Some("sample") {
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let mut head = Vec::new();
        while head.len() < SAMPLE_HEAD_BYTES {
            match field
                .chunk()
                .await
                .map_err(|error| AppError::Refused(format!("the upload could not be read: {error}")))?
            {
                Some(chunk) => head.extend_from_slice(&chunk),
                None => break,
            }
        }
        head.truncate(SAMPLE_HEAD_BYTES);
        sample = Some((file_name, head));
    }

    let form = SourceForm::of_source(&source);
    let Some((file_name, head)) = sample.filter(|(_, head)| !head.is_empty()) else {
        let errors = vec![InvalidValue::new(
            "sample file",
            "is missing or empty; choose an access-log export of this EHR",
        )];
        let page = source_page(&state, &user, &csrf, source, form, errors).await?;
        return render_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };

    let mapping = crate::ehr_mapping::column_mapping(&source.mapping);
    let outcome = if is_text(&head) {
        mapping
            .match_header(head.as_slice())
            .map(|matched| PreviewMatch {
                readable: matched.readable(),
                header: matched.header,
                fields: matched.fields,
            })
            .map_err(|error| format!("the header row could not be read as CSV: {error}"))
    } else {
        Err("is not a CSV text file: it contains binary data, as a spreadsheet, archive or PDF does; export the access log as CSV and try again".to_owned())
    };
    let mut page = source_page(&state, &user, &csrf, source, form, Vec::new()).await?;
    page.preview = Some(Preview { file_name, outcome });
    render(&page)
}

/// Returns whether the start of a sample file is UTF-8 text without NUL bytes, as the review's
/// CSV reader expects. A character cut off at the end of `head` still counts as text.
fn is_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_text;

    #[test]
    fn is_text_accepts_utf8_csv() {
        assert!(is_text(b"Access Time,User,MRN\n"));
        assert!(is_text("Zeit,Benutzer,Prüfung\n".as_bytes()));
    }

    #[test]
    fn is_text_accepts_character_cut_at_end() {
        // The cut keeps the first of the two bytes of "ü".
        let cut = "User,Pr".len() + 1;
        assert!(is_text(&"User,Prüfung".as_bytes()[..cut]), "the sample may end inside a character");
    }

    #[test]
    fn is_text_rejects_binary() {
        assert!(!is_text(b"PK\x03\x04\x14\x00"), "a NUL byte is binary");
        assert!(!is_text(b"User,\xff\xfeMRN\n"), "invalid UTF-8 is binary");
    }
}
