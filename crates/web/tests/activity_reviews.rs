//! HTTP tests of activity reviews: upload, the background job, the findings queue, signing,
//! the calendar item it completes and the dashboard rows it feeds.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{TestApp, review_id, wait_for_job};
use jiff::civil::date;
use safeguard_store::Backend;
use safeguard_store::activity_reviews::{FindingDecision, ReviewState};

/// Six failed sshd logons to root within two minutes, then a successful one from the same
/// address: a failed-login burst and a success after failures.
const AUTH_LOG: &str = "\
Nov 10 14:00:01 web1 sshd[2001]: Failed password for root from 203.0.113.9 port 50000 ssh2
Nov 10 14:00:21 web1 sshd[2002]: Failed password for root from 203.0.113.9 port 50001 ssh2
Nov 10 14:00:41 web1 sshd[2003]: Failed password for root from 203.0.113.9 port 50002 ssh2
Nov 10 14:01:01 web1 sshd[2004]: Failed password for root from 203.0.113.9 port 50003 ssh2
Nov 10 14:01:21 web1 sshd[2005]: Failed password for root from 203.0.113.9 port 50004 ssh2
Nov 10 14:01:41 web1 sshd[2006]: Failed password for root from 203.0.113.9 port 50005 ssh2
Nov 10 14:02:01 web1 sshd[2007]: Accepted password for root from 203.0.113.9 port 50006 ssh2
";

/// Returns the dashboard row of `citation`.
fn dashboard_row(body: &str, citation: &str) -> String {
    let marker = format!("data-citation=\"{citation}\"");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no dashboard row for {citation}"));
    let end = body[start..].find("</tr>").map_or(body.len(), |offset| start + offset);
    body[start..end].to_owned()
}

/// Creates a draft risk analysis with one risk, for follow-up plan items, and returns the
/// risk's id.
async fn add_risk(app: &TestApp) -> String {
    use safeguard_domain::risk::{AnalysisInput, EntryInput};

    let official = app.store.users().await.unwrap()[0].id;
    let analysis = AnalysisInput::parse("Risk analysis 2026", "2026-12-04", "All ePHI", "NIST SP 800-30", "Dana Reyes").unwrap();
    let analysis = app.store.start_risk_analysis(official, &analysis).await.unwrap();
    let entry = EntryInput::parse("Linux server", "ransomware", "Password sign-in", "Firewall", "high", "high").unwrap();
    app.store
        .add_risk_entry(official, analysis, None, &entry)
        .await
        .unwrap()
        .to_string()
}

async fn review_is_decided_and_signed_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let owner = app.store.users().await.unwrap()[0].id.to_string();
    let schedule = official.get("/activity-review/schedule").await;
    let scheduled = official
        .post_form(
            "/activity-review/schedule",
            &[
                ("csrf_token", &schedule.csrf()),
                ("system", "Linux server"),
                ("description", ""),
                ("cadence", "monthly"),
                ("anchor", "2026-11-01"),
                ("owner", &owner),
            ],
        )
        .await;
    assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.body);
    let obligation = app.store.review_schedule().await.unwrap()[0].id.to_string();
    let risk = add_risk(app).await;
    let before = official.get("/dashboard").await;
    assert!(!dashboard_row(&before.body, "164.308(a)(1)(ii)(D)").contains("signed activity review"));

    let list = official.get("/activity-review/reviews").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Linux server"), "the schedule entry is offered");
    let token = list.csrf();
    let fields = [
        ("csrf_token", token.as_str()),
        ("period_from", "2026-11-01"),
        ("period_to", "2026-11-30"),
        ("obligation", obligation.as_str()),
        ("format", ""),
    ];

    let missing_files = official.post_multipart("/activity-review/reviews", &fields, &[]).await;
    assert_eq!(missing_files.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing_files.body.contains("<strong>log files</strong>"));
    assert!(
        app.store.activity_reviews().await.unwrap().is_empty(),
        "nothing is stored on bad input"
    );

    let uploaded = official
        .post_multipart("/activity-review/reviews", &fields, &[("logs", "auth.log", AUTH_LOG.as_bytes())])
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let id = review_id(uploaded.location());
    let review = wait_for_job(app, id).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    assert_eq!(review.sources[0].format.as_deref(), Some("syslog"));
    assert_eq!(review.sources[0].events, Some(7));

    let page = official.get(uploaded.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("http-equiv=\"refresh\""), "a finished review stops reloading");
    assert!(
        page.body
            .contains(">Burst of failed sign-ins to one account <span class=\"status medium\">Medium</span>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Success after failed sign-ins <span"));
    assert!(
        page.body.contains("6 events from 2026-11-10 14:00 to 2026-11-10 14:01."),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 event at 2026-11-10 14:02."), "one event is singular");
    assert!(page.body.contains("Account root was used once at"), "one use is said as once");
    assert!(page.body.contains("3 findings: 0 expected"), "{}", page.body);
    assert!(page.body.contains("auth.log, line 1"), "evidence names the uploaded file");
    assert!(!page.body.contains("had no events"), "a file with events gets no warning");

    let findings = app.store.review_findings(id).await.unwrap();
    let burst = findings
        .iter()
        .find(|stored| stored.finding.rule == "failed_login_burst_account")
        .expect("a burst finding");
    assert_eq!(burst.finding.count, 6);
    assert_eq!(burst.finding.account.as_deref(), Some("root"));

    let sign_path = format!("/activity-review/reviews/{id}/sign");
    let early = official
        .post_form(&sign_path, &[("csrf_token", &token), ("signature", "Dana Reyes")])
        .await;
    assert_ne!(early.status, StatusCode::SEE_OTHER, "undecided findings block signing");

    let burst_path = format!("/activity-review/findings/{}", burst.id);
    let no_notes = official
        .post_form(
            &burst_path,
            &[
                ("csrf_token", &token),
                ("decision", "follow_up"),
                ("risk", &risk),
                ("owner", "Dana Reyes"),
                ("deadline", "2027-01-15"),
            ],
        )
        .await;
    assert_eq!(no_notes.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_notes.body.contains("<strong>notes</strong>"));
    let follow_up = official
        .post_form(
            &burst_path,
            &[
                ("csrf_token", &token),
                ("decision", "follow_up"),
                ("notes", "Root sign-in over SSH must be turned off."),
                ("risk", &risk),
                ("owner", "Dana Reyes"),
                ("deadline", "2027-01-15"),
            ],
        )
        .await;
    assert_eq!(follow_up.status, StatusCode::SEE_OTHER, "{}", follow_up.body);
    let decided = app.store.review_finding(burst.id).await.unwrap();
    assert_eq!(decided.decision, Some(FindingDecision::FollowUp));
    let plan_item = app.store.plan_item(decided.plan_item_id.expect("a plan item")).await.unwrap();
    assert_eq!(
        plan_item.safeguard,
        "Follow up activity-review finding: Burst of failed sign-ins to one account (root)"
    );

    for other in findings.iter().filter(|stored| stored.id != burst.id) {
        let decided = official
            .post_form(
                &format!("/activity-review/findings/{}", other.id),
                &[("csrf_token", &token), ("decision", "expected"), ("notes", "")],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    }

    let unsigned = official.get(&format!("/activity-review/reviews/{id}")).await;
    assert!(
        unsigned
            .body
            .contains("Signing completes the calendar item <a href=\"/calendar/items/"),
        "the sign form names the item it completes"
    );
    assert!(unsigned.body.contains("Activity review: Linux server 2026-11-01 to 2026-11-30</a>"));

    let wrong = official.post_form(&sign_path, &[("csrf_token", &token), ("signature", "ok")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("<strong>signature</strong>"));
    let signed = official
        .post_form(&sign_path, &[("csrf_token", &token), ("signature", "dana reyes")])
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);

    let review = app.store.activity_review(id).await.unwrap();
    assert_eq!(review.state, ReviewState::Signed);
    let instance = review.completed_instance_id.expect("signing completes the calendar item");
    let instance = app.store.instance(instance).await.unwrap();
    assert_eq!(instance.completed_on, Some(date(2026, 12, 4)));
    assert_eq!(instance.due_on, date(2026, 11, 30));
    assert_eq!(instance.obligation.reviewed_system.as_deref(), Some("Linux server"));

    let page = official.get(&format!("/activity-review/reviews/{id}")).await;
    assert!(page.body.contains("Signed by Dana Reyes"));
    assert!(page.body.contains("Signing completed the calendar item"));
    assert!(page.body.contains("Activity review: Linux server 2026-11-01 to 2026-11-30</a>"));
    assert!(
        !page.body.contains("action=\"/activity-review/findings/"),
        "a signed review offers no decision forms"
    );

    let after = official.get("/dashboard").await;
    let row = dashboard_row(&after.body, "164.308(a)(1)(ii)(D)");
    assert!(
        row.contains("A signed activity review covers system logs up to 2026-11-30."),
        "{row}"
    );
}
on_both!(review_is_decided_and_signed, review_is_decided_and_signed_body);

async fn unreadable_log_fails_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let list = official.get("/activity-review/reviews").await;
    let token = list.csrf();

    let uploaded = official
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
            ],
            &[("logs", "notes.txt", b"nothing a reader knows\n")],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let id = review_id(uploaded.location());
    let review = wait_for_job(app, id).await;

    assert_eq!(review.state, ReviewState::Failed);
    let page = official.get(uploaded.location()).await;
    assert!(page.body.contains("could not be read"));
    assert!(page.body.contains("notes.txt"));
}
on_both!(unreadable_log_fails, unreadable_log_fails_body);

async fn auditor_sees_no_forms_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut auditor = app.client_with_role(&mut official, safeguard_domain::accounts::Role::Auditor).await;

    let list = auditor.get("/activity-review/reviews").await;

    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("action=\"/activity-review/reviews\""));
}
on_both!(auditor_sees_no_forms, auditor_sees_no_forms_body);

async fn job_runs_review_once_body(app: &TestApp) {
    use safeguard_store::activity_reviews::{NewActivityReview, ReviewLogs};
    use safeguard_web::jobs::{Outcome, run_activity_review};

    app.set_up().await;
    let official = app.store.users().await.unwrap()[0].id;
    let stored = app.state.files.write(AUTH_LOG.as_bytes(), "auth.log", "text/plain").unwrap();
    let input = NewActivityReview {
        period_from: date(2026, 11, 1),
        period_to: date(2026, 11, 30),
        format_override: Some("syslog".into()),
        obligation: None,
        ehr_source: None,
        logs: ReviewLogs::Uploaded(vec![stored]),
    };
    let id = app.store.create_activity_review(official, &input).await.unwrap();

    let first = run_activity_review(&app.state, id).await.unwrap();
    let second = run_activity_review(&app.state, id).await.unwrap();

    assert!(matches!(first, Outcome::Completed(found) if found > 0), "{first:?}");
    assert_eq!(second, Outcome::Idle, "a finished review is not read again");
    let review = app.store.activity_review(id).await.unwrap();
    assert_eq!(review.state, ReviewState::Finished);
    assert_eq!(review.progress_done, review.progress_total);
}
on_both!(job_runs_review_once, job_runs_review_once_body);

async fn stalled_review_runs_again_body(app: &TestApp) {
    use safeguard_store::activity_reviews::{NewActivityReview, ReviewLogs};
    use safeguard_web::jobs::{Outcome, STALE_HEARTBEAT, requeue_stalled_activity_reviews, run_activity_review};

    app.set_up().await;
    let official = app.store.users().await.unwrap()[0].id;
    let stored = app.state.files.write(AUTH_LOG.as_bytes(), "auth.log", "text/plain").unwrap();
    let input = NewActivityReview {
        period_from: date(2026, 11, 1),
        period_to: date(2026, 11, 30),
        format_override: None,
        obligation: None,
        ehr_source: None,
        logs: ReviewLogs::Uploaded(vec![stored]),
    };
    let id = app.store.create_activity_review(official, &input).await.unwrap();
    // A job claims the review and its server stops before it stores anything else.
    assert!(app.store.claim_activity_review(id).await.unwrap());

    let early = requeue_stalled_activity_reviews(&app.state).await.unwrap();
    assert_eq!(early, Outcome::Idle, "a fresh heartbeat is left alone");
    app.clock.advance(STALE_HEARTBEAT + jiff::SignedDuration::from_secs(1));
    let requeued = requeue_stalled_activity_reviews(&app.state).await.unwrap();
    let rerun = run_activity_review(&app.state, id).await.unwrap();

    assert_eq!(requeued, Outcome::Completed(1));
    assert!(matches!(rerun, Outcome::Completed(found) if found > 0), "{rerun:?}");
    let review = app.store.activity_review(id).await.unwrap();
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    assert_eq!(review.attempts, 2);
    assert_eq!(review.sources[0].events, Some(7));
    let actions: Vec<String> = app
        .store
        .ledger_entries()
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.entry.action)
        .filter(|action| action.starts_with("activity_review."))
        .collect();
    assert_eq!(
        actions,
        ["activity_review.started", "activity_review.requeued", "activity_review.finished"]
    );
}
on_both!(stalled_review_runs_again, stalled_review_runs_again_body);

/// A folder of allowed logs and a folder outside it, for reviews of logs on the server.
struct LogFolders {
    _base: tempfile::TempDir,
    /// The folder the operator allows.
    root: std::path::PathBuf,
    /// A folder of November logs inside the root.
    november: std::path::PathBuf,
    /// A folder outside the root.
    outside: std::path::PathBuf,
}

/// Creates the root with a November folder holding `auth.log`, a hidden file and a subfolder,
/// and a folder outside the root. The hidden file and the subfolder's file match no format, so
/// the review fails if either is read.
fn log_folders() -> LogFolders {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("logs");
    let november = root.join("2026-11");
    let outside = base.path().join("private");
    std::fs::create_dir_all(november.join("archive")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(november.join("auth.log"), AUTH_LOG).unwrap();
    std::fs::write(november.join(".notes"), "nothing a reader knows\n").unwrap();
    std::fs::write(november.join("archive/old.txt"), "nothing a reader knows\n").unwrap();
    std::fs::write(outside.join("secret.log"), AUTH_LOG).unwrap();
    LogFolders {
        _base: base,
        root,
        november,
        outside,
    }
}

/// Returns an application over `app`'s database that allows `root` for logs read in place.
fn allowing(app: &TestApp, root: &std::path::Path) -> TestApp {
    app.with_config(safeguard_web::WebConfig {
        review_log_folders: vec![root.to_owned()],
        ..safeguard_web::WebConfig::default()
    })
}

/// Posts the new-review form with `server_folder` and no uploads.
async fn post_folder(client: &mut common::Client<'_>, token: &str, server_folder: &str) -> common::Page {
    client
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
                ("server_folder", server_folder),
            ],
            &[],
        )
        .await
}

async fn server_folder_is_reviewed_body(app: &TestApp) {
    use sha2::{Digest, Sha256};

    let folders = log_folders();
    let app = allowing(app, &folders.root);
    let mut official = app.set_up().await;
    let list = official.get("/activity-review/reviews").await;
    assert!(
        list.body.contains("name=\"server_folder\" value=\"\">"),
        "the folder field is enabled"
    );
    assert!(
        list.body.contains(&folders.root.display().to_string()),
        "the form names the allowed folder"
    );

    let started = post_folder(&mut official, &list.csrf(), folders.november.to_str().unwrap()).await;

    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let id = review_id(started.location());
    let review = wait_for_job(&app, id).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    assert_eq!(review.sources.len(), 1, "hidden files and subfolders are skipped");
    let auth = std::fs::canonicalize(folders.november.join("auth.log")).unwrap();
    let source = &review.sources[0];
    assert_eq!(source.server_path.as_deref(), auth.to_str());
    assert_eq!(source.file_name, "auth.log");
    assert_eq!(source.size_bytes, AUTH_LOG.len() as i64);
    assert_eq!(source.sha256, hex::encode(Sha256::digest(AUTH_LOG.as_bytes())));
    assert_eq!(source.events, Some(7));

    let rules: Vec<String> = app
        .store
        .review_findings(id)
        .await
        .unwrap()
        .into_iter()
        .map(|stored| stored.finding.rule)
        .collect();
    assert!(rules.contains(&"failed_login_burst_account".to_owned()), "{rules:?}");
    assert!(rules.contains(&"success_after_failures".to_owned()), "{rules:?}");

    let page = official.get(started.location()).await;
    assert!(page.body.contains(auth.to_str().unwrap()), "the page shows the path read");
    assert!(page.body.contains("auth.log, line 1"), "evidence names the file");

    let entries = app.store.ledger_entries().await.unwrap();
    let record = &entries
        .iter()
        .find(|stored| stored.entry.action == "activity_review.started")
        .unwrap()
        .entry;
    let folder = std::fs::canonicalize(&folders.november).unwrap();
    assert_eq!(record.payload["server_folder"], folder.to_str().unwrap());
    assert_eq!(record.payload["sources"][0]["server_path"], auth.to_str().unwrap());
    assert_eq!(record.payload["sources"][0]["sha256"], source.sha256.as_str());
    assert!(app.state.files.read(&source.sha256).is_err(), "a file read in place is not copied");
}
on_both!(server_folder_is_reviewed, server_folder_is_reviewed_body);

async fn server_folder_escapes_are_rejected_body(app: &TestApp) {
    let folders = log_folders();
    std::os::unix::fs::symlink(&folders.outside, folders.root.join("linked")).unwrap();
    let mixed = folders.root.join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::write(mixed.join("auth.log"), AUTH_LOG).unwrap();
    std::os::unix::fs::symlink(folders.outside.join("secret.log"), mixed.join("secret.log")).unwrap();
    let app = allowing(app, &folders.root);
    let mut official = app.set_up().await;
    let token = official.get("/activity-review/reviews").await.csrf();

    let cases = [
        (folders.outside.display().to_string(), "is outside the folders the operator allowed"),
        (format!("{}/../private", folders.root.display()), "which is not allowed"),
        (
            folders.root.join("linked").display().to_string(),
            "leads through a symbolic link to a folder outside",
        ),
        (
            mixed.display().to_string(),
            "a symbolic link to a file outside the folders the operator allowed",
        ),
        ("logs/2026-11".to_owned(), "is not an absolute path"),
        (folders.root.join("missing").display().to_string(), "was not found; check the path"),
    ];
    for (folder, message) in cases {
        let page = post_folder(&mut official, &token, &folder).await;

        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{folder}: {}", page.body);
        assert!(page.body.contains("<strong>server folder</strong>"), "{folder}: {}", page.body);
        assert!(page.body.contains(&folder), "the message names {folder}");
        assert!(page.body.contains(message), "{folder}: expected {message:?} in {}", page.body);
    }
    assert!(
        app.store.activity_reviews().await.unwrap().is_empty(),
        "nothing is stored for a rejected folder"
    );
    let started = app
        .store
        .ledger_entries()
        .await
        .unwrap()
        .into_iter()
        .filter(|stored| stored.entry.action == "activity_review.started")
        .count();
    assert_eq!(started, 0, "nothing is ledgered for a rejected folder");
}
on_both!(server_folder_escapes_are_rejected, server_folder_escapes_are_rejected_body);

async fn server_folder_needs_setting_body(app: &TestApp) {
    let folders = log_folders();
    let mut official = app.set_up().await;
    let list = official.get("/activity-review/reviews").await;
    assert!(
        list.body.contains("name=\"server_folder\" value=\"\" disabled>"),
        "the folder field is disabled"
    );
    assert!(list.body.contains("review.log_folders"), "the form names the setting");
    assert!(list.body.contains("SAFEGUARD_REVIEW_LOG_FOLDERS"), "the form names the variable");

    let page = post_folder(&mut official, &list.csrf(), folders.november.to_str().unwrap()).await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("has not allowed any folder on the server"), "{}", page.body);
    assert!(page.body.contains("review.log_folders"), "{}", page.body);
    assert!(app.store.activity_reviews().await.unwrap().is_empty());
}
on_both!(server_folder_needs_setting, server_folder_needs_setting_body);

async fn folder_and_uploads_are_rejected_body(app: &TestApp) {
    let folders = log_folders();
    let app = allowing(app, &folders.root);
    let mut official = app.set_up().await;
    let token = official.get("/activity-review/reviews").await.csrf();
    let november = folders.november.display().to_string();

    let page = official
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
                ("server_folder", &november),
            ],
            &[("logs", "auth.log", AUTH_LOG.as_bytes())],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(page.body.contains("upload files or enter a folder, not both"), "{}", page.body);
    assert!(app.store.activity_reviews().await.unwrap().is_empty());
}
on_both!(folder_and_uploads_are_rejected, folder_and_uploads_are_rejected_body);

async fn changed_server_file_fails_review_body(app: &TestApp) {
    use safeguard_store::activity_reviews::{NewActivityReview, ReviewLogs, ServerFile};
    use safeguard_web::jobs::run_activity_review;
    use sha2::{Digest, Sha256};

    let folders = log_folders();
    let app = allowing(app, &folders.root);
    app.set_up().await;
    let official = app.store.users().await.unwrap()[0].id;
    let folder = std::fs::canonicalize(&folders.november).unwrap();
    let auth = folder.join("auth.log");
    let input = NewActivityReview {
        period_from: date(2026, 11, 1),
        period_to: date(2026, 11, 30),
        format_override: None,
        obligation: None,
        ehr_source: None,
        logs: ReviewLogs::ServerFolder {
            folder: folder.display().to_string(),
            files: vec![ServerFile {
                path: auth.display().to_string(),
                file_name: "auth.log".into(),
                size_bytes: AUTH_LOG.len() as i64,
                sha256: hex::encode(Sha256::digest(AUTH_LOG.as_bytes())),
            }],
        },
    };
    let id = app.store.create_activity_review(official, &input).await.unwrap();
    std::fs::write(&auth, format!("{AUTH_LOG}{AUTH_LOG}")).unwrap();

    run_activity_review(&app.state, id).await.unwrap();

    let review = app.store.activity_review(id).await.unwrap();
    assert_eq!(review.state, ReviewState::Failed);
    let failure = review.failure.unwrap_or_default();
    assert!(failure.contains("changed after the review was started"), "{failure}");
    assert!(failure.contains(&auth.display().to_string()), "{failure}");
    assert!(app.store.review_findings(id).await.unwrap().is_empty());
}
on_both!(changed_server_file_fails_review, changed_server_file_fails_review_body);

async fn period_outside_bounds_is_rejected_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let token = official.get("/activity-review/reviews").await.csrf();

    // The test clock's day is 2026-12-04.
    let cases = [
        ("2027-01-01", "2027-01-31", "period to", "2027-01-31 is after today (2026-12-04)"),
        ("2026-11-01", "2026-12-05", "period to", "2026-12-05 is after today (2026-12-04)"),
        ("0001-01-01", "9999-12-31", "period from", "0001-01-01 is before 1990-01-01"),
        ("0001-01-01", "9999-12-31", "period to", "9999-12-31 is after today (2026-12-04)"),
        ("1989-12-31", "2026-11-30", "period from", "1989-12-31 is before 1990-01-01"),
    ];
    for (from, to, field, message) in cases {
        let page = official
            .post_multipart(
                "/activity-review/reviews",
                &[
                    ("csrf_token", &token),
                    ("period_from", from),
                    ("period_to", to),
                    ("obligation", ""),
                    ("format", ""),
                ],
                &[("logs", "auth.log", AUTH_LOG.as_bytes())],
            )
            .await;

        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{from}..{to}: {}", page.body);
        assert!(
            page.body.contains(&format!("<strong>{field}</strong>: {message}")),
            "{from}..{to}: expected {message:?} in {}",
            page.body
        );
        assert!(
            page.body.contains(&format!("name=\"period_from\" value=\"{from}\"")),
            "the typed start {from} is kept"
        );
        assert!(
            page.body.contains(&format!("name=\"period_to\" value=\"{to}\"")),
            "the typed end {to} is kept"
        );
    }
    assert!(
        app.store.activity_reviews().await.unwrap().is_empty(),
        "nothing is stored for a rejected period"
    );

    let today = official
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "1990-01-01"),
                ("period_to", "2026-12-04"),
                ("obligation", ""),
                ("format", ""),
            ],
            &[("logs", "auth.log", AUTH_LOG.as_bytes())],
        )
        .await;
    assert_eq!(today.status, StatusCode::SEE_OTHER, "a period may end today: {}", today.body);
}
on_both!(period_outside_bounds_is_rejected, period_outside_bounds_is_rejected_body);

async fn files_without_events_are_flagged_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let token = official.get("/activity-review/reviews").await.csrf();
    let october = AUTH_LOG.replace("Nov 10", "Oct 10");

    let both = official
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
            ],
            &[
                ("logs", "auth.log", AUTH_LOG.as_bytes()),
                ("logs", "october.log", october.as_bytes()),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::SEE_OTHER, "{}", both.body);
    let review = wait_for_job(app, review_id(both.location())).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    assert_eq!(review.sources[1].events, Some(0));

    let page = official.get(both.location()).await;
    assert!(
        page.body
            .contains("1 of 2 files had no events in the period (october.log); check the period and the files before signing."),
        "{}",
        page.body
    );

    let december = official
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-12-01"),
                ("period_to", "2026-12-04"),
                ("obligation", ""),
                ("format", ""),
            ],
            &[("logs", "auth.log", AUTH_LOG.as_bytes())],
        )
        .await;
    assert_eq!(december.status, StatusCode::SEE_OTHER, "{}", december.body);
    let review = wait_for_job(app, review_id(december.location())).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);

    let page = official.get(december.location()).await;
    assert!(
        page.body
            .contains("The file auth.log had no events in the period; check the period and the file before signing."),
        "{}",
        page.body
    );
}
on_both!(files_without_events_are_flagged, files_without_events_are_flagged_body);

/// Uploads `AUTH_LOG` for November 2026 as `client` and returns the finished review's path.
async fn finished_review(app: &TestApp, client: &mut common::Client<'_>) -> String {
    let token = client.get("/activity-review/reviews").await.csrf();
    let uploaded = client
        .post_multipart(
            "/activity-review/reviews",
            &[
                ("csrf_token", &token),
                ("period_from", "2026-11-01"),
                ("period_to", "2026-11-30"),
                ("obligation", ""),
                ("format", ""),
            ],
            &[("logs", "auth.log", AUTH_LOG.as_bytes())],
        )
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let review = wait_for_job(app, review_id(uploaded.location())).await;
    assert_eq!(review.state, ReviewState::Finished, "{:?}", review.failure);
    uploaded.location().to_owned()
}

/// Returns the section of the review page for finding `id`.
fn finding_section(body: &str, id: &str) -> String {
    let marker = format!("id=\"finding-{id}\"");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no section for finding {id}"));
    let end = body[start..].find("</section>").map_or(body.len(), |offset| start + offset);
    body[start..end].to_owned()
}

async fn decision_form_keeps_choice_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let path = finished_review(app, &mut official).await;
    let token = official.get(&path).await.csrf();
    let review = review_id(&path);
    let findings = app.store.review_findings(review).await.unwrap();
    let first = findings[0].id.to_string();
    let second = findings[1].id.to_string();

    let rejected = official
        .post_form(
            &format!("/activity-review/findings/{first}"),
            &[("csrf_token", &token), ("decision", "false_positive"), ("notes", "  ")],
        )
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    let section = finding_section(&rejected.body, &first);
    assert!(
        section.contains("value=\"false_positive\" checked>"),
        "the chosen decision is kept: {section}"
    );
    assert!(!section.contains("value=\"expected\" required checked>"));
    let other = finding_section(&rejected.body, &second);
    assert!(!other.contains(" checked>"), "other findings keep no choice: {other}");

    let saved = official
        .post_form(
            &format!("/activity-review/findings/{second}"),
            &[("csrf_token", &token), ("decision", "false_positive"), ("notes", "A test account.")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = official.get(&path).await;
    let section = finding_section(&page.body, &second);
    assert!(
        section.contains("value=\"false_positive\" checked>"),
        "the stored decision is pre-selected: {section}"
    );
    assert!(section.contains(">A test account.</textarea>"), "{section}");
}
on_both!(decision_form_keeps_choice, decision_form_keeps_choice_body);

async fn manager_is_not_offered_follow_up_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut manager = app.client_with_role(&mut official, safeguard_domain::accounts::Role::Manager).await;
    let path = finished_review(app, &mut manager).await;

    let page = manager.get(&path).await;

    assert!(page.body.contains("value=\"expected\""), "the manager may decide findings");
    assert!(!page.body.contains("value=\"follow_up\""), "{}", page.body);
    assert!(page.body.contains("The Security Official opens follow-ups"));
    assert!(!page.body.contains("name=\"risk\""), "no plan-item fields for the manager");
    let official_page = official.get(&path).await;
    assert!(
        official_page.body.contains("value=\"follow_up\""),
        "the official is offered follow-ups"
    );
    assert!(!official_page.body.contains("The Security Official opens follow-ups"));
}
on_both!(manager_is_not_offered_follow_up, manager_is_not_offered_follow_up_body);

async fn empty_upload_is_named_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let token = official.get("/activity-review/reviews").await.csrf();
    let fields = [
        ("csrf_token", token.as_str()),
        ("period_from", "2026-11-01"),
        ("period_to", "2026-11-30"),
        ("obligation", ""),
        ("format", ""),
    ];

    let alone = official
        .post_multipart("/activity-review/reviews", &fields, &[("logs", "empty.log", b"")])
        .await;
    let mixed = official
        .post_multipart(
            "/activity-review/reviews",
            &fields,
            &[("logs", "auth.log", AUTH_LOG.as_bytes()), ("logs", "empty.log", b"")],
        )
        .await;

    for page in [&alone, &mixed] {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
        assert!(
            page.body.contains("<strong>log files</strong>: the file empty.log is empty;"),
            "{}",
            page.body
        );
        assert!(!page.body.contains("are missing"), "an empty file is not a missing one");
    }
    assert!(app.store.activity_reviews().await.unwrap().is_empty());
}
on_both!(empty_upload_is_named, empty_upload_is_named_body);
