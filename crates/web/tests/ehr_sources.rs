//! HTTP tests of EHR log sources: adding and changing a source through its forms, reviews that
//! read EHR CSV files with a source's mapping, the copy each review keeps, and the header
//! preview.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{Client, TestApp, review_id, wait_for_job};
use safeguard_store::Backend;
use safeguard_store::activity_reviews::ReviewState;

/// An EHR export whose columns have other names than the default ones. Its times have no offset
/// and are Chicago time. It has five denied sign-ins of mlopez within four minutes, a successful
/// one, and a break-glass record access without a post-event review.
const RENAMED_EXPORT: &str = "\
Access Time,User ID,MRN,Event,Terminal,Result,BTG,BTG Reviewed
11/10/2026 10:00:00,mlopez,,login,WS-7,DENIED,,
11/10/2026 10:01:00,mlopez,,login,WS-7,DENIED,,
11/10/2026 10:02:00,mlopez,,login,WS-7,DENIED,,
11/10/2026 10:03:00,mlopez,,login,WS-7,Denied,,
11/10/2026 10:04:00,mlopez,,login,WS-7,LOCKED,,
11/10/2026 10:05:00,mlopez,,login,WS-7,OK,,
11/10/2026 10:30:00,mlopez,MRN-1001,view,WS-7,OK,Y,
";

/// Returns the form fields of a source that reads [`RENAMED_EXPORT`].
fn renamed_fields(name: &str) -> Vec<(&'static str, String)> {
    [
        ("name", name),
        ("time", "Access Time"),
        ("user", "User ID"),
        ("patient", "MRN"),
        ("action", "Event"),
        ("workstation", "Terminal"),
        ("outcome", "Result"),
        ("emergency", "BTG"),
        ("reviewed", "BTG Reviewed"),
        ("time_zone", "America/Chicago"),
        ("failure_values", "DENIED, locked"),
    ]
    .into_iter()
    .map(|(field, value)| (field, value.to_owned()))
    .collect()
}

/// Posts `fields` with a fresh CSRF token to `path`.
async fn post_fields(client: &mut Client<'_>, path: &str, fields: &[(&'static str, String)]) -> common::Page {
    let token = client.get("/activity-review/ehr-sources").await.csrf();
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    form.extend(fields.iter().map(|(field, value)| (*field, value.as_str())));
    client.post_form(path, &form).await
}

/// Adds a source through the form and returns its page's path.
async fn add_source(client: &mut Client<'_>, fields: &[(&'static str, String)]) -> String {
    let created = post_fields(client, "/activity-review/ehr-sources", fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    created.location().split('?').next().unwrap_or_default().to_owned()
}

/// Returns the source id at the end of a source page's path.
fn source_id(path: &str) -> String {
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

/// Starts a review of November 2026 over one uploaded file read with `ehr_source` (empty for
/// the default columns), and returns the response.
async fn start_review(client: &mut Client<'_>, ehr_source: &str, file_name: &str, content: &str) -> common::Page {
    let token = client.get("/activity-review/reviews").await.csrf();
    client
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
                ("ehr_source", ehr_source),
            ],
            &[("logs", file_name, content.as_bytes())],
        )
        .await
}

async fn renamed_columns_give_findings_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = add_source(&mut official, &renamed_fields("Front desk EHR")).await;
    let page = official.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Access Time"));
    assert!(page.body.contains("America/Chicago"));

    let uploaded = start_review(&mut official, &source_id(&path), "access.csv", RENAMED_EXPORT).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let review = wait_for_job(app, review_id(uploaded.location())).await;

    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    assert_eq!(
        review.sources[0].format.as_deref(),
        Some("ehr-csv"),
        "the source's columns are detected"
    );
    assert_eq!(review.sources[0].events, Some(7));
    let findings = app.store.review_findings(review.id).await.unwrap();
    let rule = |name: &str| {
        findings
            .iter()
            .find(|stored| stored.finding.rule == name)
            .unwrap_or_else(|| panic!("no {name} finding"))
    };
    let burst = rule("failed_login_burst_account");
    assert_eq!(burst.finding.count, 5, "DENIED, Denied and LOCKED are failures");
    assert_eq!(burst.finding.account.as_deref(), Some("mlopez"));
    assert_eq!(burst.finding.client.as_deref(), Some("WS-7"));
    assert_eq!(
        burst.finding.first_seen.to_string(),
        "2026-11-10T16:00:00Z",
        "times without an offset are read in America/Chicago"
    );
    assert!(burst.finding.evidence.iter().any(|item| item == "access.csv, line 2"));
    rule("success_after_failures");
    rule("break_glass_without_review");

    let shown = official.get(uploaded.location()).await;
    assert!(shown.body.contains("EHR log source “Front desk EHR”, version 1"), "{}", shown.body);
}
on_both!(renamed_columns_give_findings, renamed_columns_give_findings_body);

async fn default_columns_reject_renamed_export_body(app: &TestApp) {
    let mut official = app.set_up().await;

    let uploaded = start_review(&mut official, "", "access.csv", RENAMED_EXPORT).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let review = wait_for_job(app, review_id(uploaded.location())).await;

    assert_eq!(review.state, ReviewState::Failed);
    let failure = review.failure.unwrap_or_default();
    assert!(failure.contains("access.csv: not a known log format"), "{failure}");
    assert_eq!(review.ehr_source, None);
    assert_eq!(
        review.ehr_mapping.map(|mapping| mapping.time().as_str().to_owned()).as_deref(),
        Some("time"),
        "a review without a source records the default columns"
    );
}
on_both!(default_columns_reject_renamed_export, default_columns_reject_renamed_export_body);

async fn missing_column_fails_naming_source_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = add_source(&mut official, &renamed_fields("Front desk EHR")).await;
    let export = RENAMED_EXPORT.replacen("User ID", "User", 1);

    let uploaded = start_review(&mut official, &source_id(&path), "access.csv", &export).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let review = wait_for_job(app, review_id(uploaded.location())).await;

    assert_eq!(review.state, ReviewState::Failed);
    let failure = review.failure.unwrap_or_default();
    assert!(
        failure.starts_with("access.csv: the header row lacks column \"User ID\", which the EHR column mapping names as its user column."),
        "{failure}"
    );
    assert!(failure.contains("EHR log source \"Front desk EHR\" (version 1)"), "{failure}");
    let page = official.get(uploaded.location()).await;
    assert!(page.body.contains("could not be read"));
    assert!(page.body.contains("Front desk EHR"));
}
on_both!(missing_column_fails_naming_source, missing_column_fails_naming_source_body);

async fn bad_source_input_is_explained_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut fields = renamed_fields("Billing export");
    for (field, value) in &mut fields {
        match *field {
            "time" => value.clear(),
            "workstation" => *value = "mrn".into(),
            "time_zone" => *value = "Mars/Olympus".into(),
            "failure_values" => *value = " , ".into(),
            _ => {}
        }
    }

    let refused = post_fields(&mut official, "/activity-review/ehr-sources", &fields).await;

    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &refused.body;
    assert!(body.contains("<strong>time column</strong>: is missing"), "{body}");
    assert!(body.contains("<strong>time zone</strong>:"), "{body}");
    assert!(
        body.contains("Mars/Olympus") && body.contains("is not a known IANA time zone"),
        "{body}"
    );
    assert!(body.contains("<strong>failure values</strong>: are missing"), "{body}");
    assert!(body.contains("value=\"Billing export\""), "the form keeps the typed name");
    assert!(body.contains("value=\"Mars/Olympus\""), "the form keeps the typed zone");
    assert!(body.contains("value=\"mrn\""), "the form keeps the typed column");
    assert!(
        app.store.ehr_log_sources().await.unwrap().is_empty(),
        "nothing is stored on bad input"
    );

    for (field, value) in &mut fields {
        match *field {
            "time" => *value = "Access Time".into(),
            "time_zone" => *value = "america/chicago".into(),
            "failure_values" => *value = "DENIED".into(),
            _ => {}
        }
    }
    let duplicate_column = post_fields(&mut official, "/activity-review/ehr-sources", &fields).await;
    assert_eq!(duplicate_column.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate_column.body.contains("<strong>workstation column</strong>:")
            && duplicate_column.body.contains("is also the patient column"),
        "{}",
        duplicate_column.body
    );

    add_source(&mut official, &renamed_fields("Billing export")).await;
    let stored = app.store.ehr_log_sources().await.unwrap();
    assert_eq!(stored.len(), 1);
    let duplicate_name = post_fields(&mut official, "/activity-review/ehr-sources", &renamed_fields("BILLING EXPORT")).await;
    assert_eq!(duplicate_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate_name.body.contains("<strong>name</strong>:") && duplicate_name.body.contains("is the name of another EHR log source"),
        "{}",
        duplicate_name.body
    );
    assert_eq!(app.store.ehr_log_sources().await.unwrap().len(), 1);

    let unknown_source = start_review(&mut official, "0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f", "access.csv", RENAMED_EXPORT).await;
    assert_eq!(unknown_source.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown_source.body.contains("<strong>EHR log source</strong>:"),
        "{}",
        unknown_source.body
    );
    assert!(
        unknown_source.body.contains("value=\"2026-11-01\""),
        "the review form keeps the period"
    );
    assert!(app.store.activity_reviews().await.unwrap().is_empty());
}
on_both!(bad_source_input_is_explained, bad_source_input_is_explained_body);

async fn editing_source_keeps_review_mapping_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = add_source(&mut official, &renamed_fields("Front desk EHR")).await;
    let uploaded = start_review(&mut official, &source_id(&path), "access.csv", RENAMED_EXPORT).await;
    let id = review_id(uploaded.location());
    let review = wait_for_job(app, id).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);

    let token = official.get(uploaded.location()).await.csrf();
    for finding in app.store.review_findings(id).await.unwrap() {
        let decided = official
            .post_form(
                &format!("/activity-review/findings/{}", finding.id),
                &[("csrf_token", &token), ("decision", "expected"), ("notes", "")],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    }
    let signed = official
        .post_form(
            &format!("/activity-review/reviews/{id}/sign"),
            &[("csrf_token", &token), ("signature", "Dana Reyes")],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);

    let mut changed = renamed_fields("Front desk EHR (2027 export)");
    changed.push(("version", "1".into()));
    for (field, value) in &mut changed {
        if *field == "time" {
            *value = "Accessed At".into();
        }
    }
    let saved = post_fields(&mut official, &path, &changed).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let source = app.store.ehr_log_sources().await.unwrap().remove(0);
    assert_eq!(source.version, 2);
    assert_eq!(source.mapping.time().as_str(), "Accessed At");

    let review = app.store.activity_review(id).await.unwrap();
    let copied = review.ehr_source.expect("the review names its source");
    assert_eq!((copied.name.as_str(), copied.version), ("Front desk EHR", 1));
    let mapping = review.ehr_mapping.expect("the review keeps its mapping");
    assert_eq!(mapping.time().as_str(), "Access Time");
    let page = official.get(uploaded.location()).await;
    assert!(page.body.contains("EHR log source “Front desk EHR”, version 1"));
    assert!(page.body.contains("<td>Access Time</td>"), "{}", page.body);
    assert!(!page.body.contains("Accessed At"));
    let entries = app.store.ledger_entries().await.unwrap();
    let signature = entries
        .iter()
        .find(|stored| stored.entry.action == "activity_review.signed")
        .expect("a signature entry");
    assert_eq!(signature.entry.payload["ehr_mapping"]["time"], "Access Time");
    assert_eq!(signature.entry.payload["ehr_source"]["version"], 1);
    assert!(
        entries.iter().any(|stored| stored.entry.action == "ehr_log_source.updated"),
        "the change is ledgered"
    );

    let stale = post_fields(&mut official, &path, &changed).await;
    assert_eq!(
        stale.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an edit of version 1 no longer applies"
    );
    assert!(stale.body.contains("<strong>version</strong>:"), "{}", stale.body);
    assert!(stale.body.contains("name=\"version\" value=\"2\""), "saving again is offered");
    assert!(
        stale.body.contains("value=\"Front desk EHR (2027 export)\""),
        "the typed text is kept"
    );
    assert_eq!(app.store.ehr_log_sources().await.unwrap()[0].version, 2);
}
on_both!(editing_source_keeps_review_mapping, editing_source_keeps_review_mapping_body);

async fn preview_shows_header_match_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = add_source(&mut official, &renamed_fields("Front desk EHR")).await;
    let try_path = format!("{path}/try");
    let token = official.get(&path).await.csrf();

    let matching = official
        .post_multipart(
            &try_path,
            &[("csrf_token", &token)],
            &[("sample", "sample.csv", RENAMED_EXPORT.as_bytes())],
        )
        .await;
    assert_eq!(matching.status, StatusCode::OK, "{}", matching.body);
    assert!(matching.body.contains("A review can read sample.csv"), "{}", matching.body);
    assert!(matching.body.contains("<code>BTG Reviewed</code>"));
    assert!(!matching.body.contains("MRN-1001"), "rows below the header are not shown");

    let short = "Access Time,User,MRN\n11/10/2026 10:00:00,mlopez,MRN-1001\n";
    let missing = official
        .post_multipart(&try_path, &[("csrf_token", &token)], &[("sample", "old.csv", short.as_bytes())])
        .await;
    assert_eq!(missing.status, StatusCode::OK);
    assert!(missing.body.contains("A review would reject old.csv"), "{}", missing.body);
    assert!(
        missing
            .body
            .contains("<td>User ID</td><td><span class=\"status overdue\">missing, required</span>")
    );

    let empty = official
        .post_multipart(&try_path, &[("csrf_token", &token)], &[("sample", "empty.csv", b"")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("<strong>sample file</strong>"));

    // The start of a zip archive, as an .xlsx workbook begins.
    let workbook = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U0#\xf4\x00\x00\x00L\x02\x00\x00";
    let binary = official
        .post_multipart(&try_path, &[("csrf_token", &token)], &[("sample", "export.xlsx", workbook)])
        .await;
    assert_eq!(binary.status, StatusCode::OK);
    assert!(binary.body.contains("export.xlsx: is not a CSV text file"), "{}", binary.body);
    assert!(!binary.body.contains("preview-columns"), "no garbage header is shown");
}
on_both!(preview_shows_header_match, preview_shows_header_match_body);

async fn source_form_explains_empty_zone_body(app: &TestApp) {
    let mut official = app.set_up().await;

    let list = official.get("/activity-review/ehr-sources").await;

    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(
            "empty means UTC; enter the practice's zone (e.g. America/New_York) if the export writes local times without an offset"
        ),
        "{}",
        list.body
    );
}
on_both!(source_form_explains_empty_zone, source_form_explains_empty_zone_body);

async fn auditor_reads_sources_without_forms_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = add_source(&mut official, &renamed_fields("Front desk EHR")).await;
    let mut auditor = app.client_with_role(&mut official, safeguard_domain::accounts::Role::Auditor).await;

    let list = auditor.get("/activity-review/ehr-sources").await;
    let page = auditor.get(&path).await;

    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Front desk EHR"));
    assert!(!list.body.contains("action=\"/activity-review/ehr-sources\""));
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<form method=\"post\" action=\"/activity-review/ehr-sources/"));
}
on_both!(auditor_reads_sources_without_forms, auditor_reads_sources_without_forms_body);
