//! In-process HTTP tests of every page and form, each on a fresh SQLite database and, with
//! `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::{PASSWORD, TestApp};
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;

async fn setup_link_works_once_body(app: &TestApp) {
    let path = app.setup_path().await;
    let mut official = app.client();
    let form = official.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);

    let bad = official
        .post_form(
            &path,
            &[
                ("csrf_token", &form.csrf()),
                ("practice_name", "Maple Grove"),
                ("time_zone", "Mars/Olympus"),
                ("office_hours", "8 to 5"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "address",
        "time zone",
        "office hours",
        "patient states",
        "your name",
        "email",
        "password",
    ] {
        assert!(bad.body.contains(&format!("<strong>{field}</strong>")), "error for {field} missing");
    }
    assert!(app.store.practice().await.unwrap().is_none(), "nothing is written on bad input");

    let fields = [
        ("csrf_token", form.csrf()),
        ("practice_name", "Maple Grove Family Medicine".into()),
        ("address", "12 Elm Street".into()),
        ("time_zone", "America/New_York".into()),
        ("office_hours", "Mon-Fri 08:00-17:30".into()),
        ("patient_states", "OH".into()),
        ("name", "Dana Reyes".into()),
        ("job_title", "Practice manager".into()),
        ("email", "dana@example.org".into()),
        ("password", PASSWORD.into()),
    ];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let created = official.post_form(&path, &borrowed).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert!(official.cookie("sg_session").is_some());
    assert_eq!(official.get("/").await.location(), "/dashboard");

    let again = app.client().get(&path).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.store.instances(false).await.unwrap().len(),
        9,
        "setup creates the first calendar instances"
    );
}
on_both!(setup_link_works_once, setup_link_works_once_body);

async fn sign_in_flow_body(app: &TestApp) {
    app.set_up().await;
    let mut client = app.client();
    let form = client.get("/login").await;

    let wrong_password = client
        .post_form(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "dana@example.org"),
                ("password", "not the password"),
            ],
        )
        .await;
    let unknown_account = client
        .post_form(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "nobody@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_account.status, StatusCode::UNAUTHORIZED);
    let message = "Sign-in failed. Check the e-mail address and password and try again.";
    assert!(wrong_password.body.contains(message));
    assert!(unknown_account.body.contains(message));

    client.sign_in("dana@example.org", PASSWORD).await;
    let first_session = client.cookie("sg_session").unwrap().to_owned();
    let token = client.get("/catalog").await.csrf();
    let again = client
        .post_form(
            "/login",
            &[("csrf_token", &token), ("email", "DANA@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second_session = client.cookie("sg_session").unwrap().to_owned();
    assert_ne!(first_session, second_session, "sign-in issues a new session");

    let dashboard = client.get("/dashboard").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    let token = dashboard.csrf();
    let out = client.post_form("/logout", &[("csrf_token", &token)]).await;
    assert_eq!(out.location(), "/login");
    assert_eq!(client.get("/dashboard").await.location(), "/login");
}
on_both!(sign_in_flow, sign_in_flow_body);

#[tokio::test]
async fn session_cookie_flags() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let path = app.setup_path().await;
    let mut client = app.client();
    let form = client.get(&path).await;

    let set_cookie = form.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();

    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    app.finish().await;
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.set_up().await;
    let mut client = app.client();
    let token = client.get("/login").await.csrf();

    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(
            client
                .post_form(
                    "/login",
                    &[
                        ("csrf_token", &token),
                        ("email", "dana@example.org"),
                        ("password", "guess guess guess"),
                    ],
                )
                .await
                .status,
        );
    }

    assert!(statuses[..10].iter().all(|status| *status == StatusCode::UNAUTHORIZED));
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
    let mut other = app.client();
    let other_token = other.get("/login").await.csrf();
    let correct = other
        .post_form(
            "/login",
            &[("csrf_token", &other_token), ("email", "dana@example.org"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        correct.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account stays throttled for the window"
    );
    app.finish().await;
}

#[tokio::test]
async fn successful_sign_ins_are_not_throttled() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.set_up().await;

    for _ in 0..15 {
        let mut client = app.client();
        client.sign_in("dana@example.org", PASSWORD).await;
    }

    app.finish().await;
}

#[tokio::test]
async fn forms_require_csrf_and_same_origin() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;

    let missing = official.post_form("/workforce", &[("name", "Ana Lopez")]).await;
    let opaque_origin = axum::http::Request::builder()
        .method("POST")
        .uri("/workforce")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "null")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("sg_session={}", official.cookie("sg_session").unwrap()))
        .body(axum::body::Body::from("name=Ana"))
        .unwrap();
    assert_eq!(official.send(opaque_origin).await.status, StatusCode::FORBIDDEN);
    let wrong = official
        .post_form("/workforce", &[("csrf_token", "forged"), ("name", "Ana Lopez")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let token = official.get("/workforce/new").await.csrf();
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/workforce")
        .header(header::HOST, "localhost")
        .header(header::ORIGIN, "https://attacker.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("sg_session={}", official.cookie("sg_session").unwrap()))
        .body(axum::body::Body::from(format!("csrf_token={token}&name=Ana")))
        .unwrap();
    assert_eq!(official.send(request).await.status, StatusCode::FORBIDDEN);
    app.finish().await;
}

#[tokio::test]
async fn security_headers_on_every_page() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    for path in ["/login", "/healthz", "/nonexistent"] {
        let page = app.client().get(path).await;
        let header_value = |name: &str| {
            page.headers
                .get(name)
                .map(|value| value.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        assert!(header_value("content-security-policy").contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header_value("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header_value("referrer-policy"), "same-origin", "{path}");
        assert_eq!(header_value("cache-control"), "no-store", "{path}");
    }
    app.finish().await;
}

#[tokio::test]
async fn health_check_answers() {
    let app = TestApp::spawn(Backend::Sqlite).await;

    let page = app.client().get("/healthz").await;

    assert_eq!(page.status, StatusCode::OK);
    app.finish().await;
}

async fn workforce_pages_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let token = official.get("/workforce/new").await.csrf();

    let invalid = official
        .post_form(
            "/workforce",
            &[
                ("csrf_token", &token),
                ("name", ""),
                ("job_title", "MA"),
                ("practice_role", "clinical"),
                ("start_date", "03/01/2024"),
                ("status", "active"),
                ("accounts", "EHR"),
            ],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["name", "start date", "accounts"] {
        assert!(invalid.body.contains(&format!("<strong>{field}</strong>")), "{field}");
    }

    let created = official
        .post_form(
            "/workforce",
            &[
                ("csrf_token", &token),
                ("name", "Ana Lopez"),
                ("job_title", "Medical assistant"),
                ("practice_role", "clinical"),
                ("start_date", "2024-03-01"),
                ("status", "active"),
                ("accounts", "EHR=alopez;Windows=CLINIC\\alopez"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let person_path = created.location().split('?').next().unwrap().to_owned();
    let person_page = official.get(&person_path).await;
    assert!(person_page.body.contains("CLINIC\\alopez"));

    let left = official
        .post_form(
            &person_path,
            &[
                ("csrf_token", &token),
                ("name", "Ana Lopez"),
                ("job_title", "Medical assistant"),
                ("practice_role", "clinical"),
                ("start_date", "2024-03-01"),
                ("end_date", "2026-11-30"),
                ("status", "terminated"),
            ],
        )
        .await;
    assert_eq!(left.status, StatusCode::SEE_OTHER);

    let person_id: safeguard_domain::ids::PersonId = person_path.trim_start_matches("/workforce/").parse().unwrap();
    let ehr_account = app
        .store
        .person(person_id)
        .await
        .unwrap()
        .accounts
        .into_iter()
        .find(|account| account.system == "EHR")
        .unwrap();
    let removed = official
        .post_form(
            &format!("{person_path}/accounts/{}/remove", ehr_account.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let after_removal = official.get(&person_path).await.body;
    assert!(
        after_removal.contains("id=\"removed-accounts\""),
        "removed accounts stay visible with their date"
    );

    let refused = official
        .post_form(&format!("{person_path}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("six years"));
    assert_eq!(
        app.store.recent_ledger_entries(1).await.unwrap()[0].entry.action,
        "deletion.refused"
    );
    assert!(official.get(&person_path).await.body.contains("Terminated"));

    let export = official.get("/workforce/export.csv").await;
    assert_eq!(export.headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    assert!(
        export
            .body
            .contains("Ana Lopez,Medical assistant,clinical,2024-03-01,2026-11-30,terminated,Windows=CLINIC\\alopez"),
        "{}",
        export.body
    );
}
on_both!(workforce_pages, workforce_pages_body);

async fn roster_import_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let token = official.get("/workforce/import").await.csrf();
    let header = "name,job_title,practice_role,start_date,end_date,status,accounts\n";

    let bad =
        format!("{header}Ben Ortiz,Biller,billing,2023-01-09,,active,Clearinghouse=bortiz\nCara Diaz,Nurse,clinical,2023-13-01,,active,\n");
    let preview = official
        .post_multipart(
            "/workforce/import",
            &[("csrf_token", &token)],
            &[("file", "roster.csv", bad.as_bytes())],
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("1 of 2 rows are valid"));
    assert!(preview.body.contains("<strong>start date</strong>"));
    assert!(
        !preview.body.contains("/workforce/import/commit"),
        "no import button while rows have errors"
    );

    let refused = official
        .post_form("/workforce/import/commit", &[("csrf_token", &token), ("csv_text", &bad)])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("line 3"));
    assert_eq!(
        app.store.people().await.unwrap().len(),
        1,
        "nothing is imported while a row has an error"
    );

    let good = format!(
        "{header}Ben Ortiz,Biller,billing,2023-01-09,,active,Clearinghouse=bortiz\nCara Diaz,Nurse,clinical,2023-02-01,,active,EHR=cdiaz\n"
    );
    let preview = official
        .post_multipart(
            "/workforce/import",
            &[("csrf_token", &token)],
            &[("file", "roster.csv", good.as_bytes())],
        )
        .await;
    assert!(preview.body.contains("Import 2 rows"));
    let imported = official
        .post_form("/workforce/import/commit", &[("csrf_token", &token), ("csv_text", &good)])
        .await;
    assert_eq!(imported.location(), "/workforce?notice=imported");
    assert_eq!(app.store.people().await.unwrap().len(), 3);

    let export = official.get("/workforce/export.csv").await.body;
    let reimport = official
        .post_form("/workforce/import/commit", &[("csrf_token", &token), ("csv_text", &export)])
        .await;
    assert_eq!(reimport.status, StatusCode::SEE_OTHER);
    assert_eq!(
        official.get("/workforce/export.csv").await.body,
        export,
        "export, import, export is stable"
    );
}
on_both!(roster_import, roster_import_body);

async fn designation_and_memo_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let page = official.get("/program/designation").await;
    assert!(page.body.contains("No Security Official is designated"));
    let person = app.store.people().await.unwrap()[0].id.to_string();
    let token = page.csrf();
    let form = |signature: &'static str| {
        vec![
            ("csrf_token", token.clone()),
            ("person_id", person.clone()),
            ("duty", "0".into()),
            ("duty", "2".into()),
            ("extra_duties", "Chair the monthly security meeting".into()),
            ("emergency_decision_rights", "May isolate any device at once".into()),
            ("routine_decision_rights", "Approves access requests".into()),
            ("effective_date", "2026-12-01".into()),
            ("signature", signature.into()),
        ]
    };

    let mismatched = form("Someone Else");
    let borrowed: Vec<(&str, &str)> = mismatched.iter().map(|(name, value)| (*name, value.as_str())).collect();
    let refused = official.post_form("/program/designation", &borrowed).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("type your full name, Dana Reyes"));

    let signed = form("dana reyes");
    let borrowed: Vec<(&str, &str)> = signed.iter().map(|(name, value)| (*name, value.as_str())).collect();
    assert_eq!(
        official.post_form("/program/designation", &borrowed).await.location(),
        "/program/designation?notice=signed"
    );

    let memo = official.get("/program/designation/current").await;
    assert!(memo.body.contains("designates <strong>Dana Reyes</strong>"));
    assert!(memo.body.contains("Chair the monthly security meeting"));
    assert!(memo.body.contains("@media print") || memo.body.contains("/static/app.css"));
    let dashboard = official.get("/dashboard").await;
    assert!(
        dashboard.body.contains("data-citation=\"164.308(a)(2)\" data-status=\"missing\""),
        "the monthly meeting has no record yet"
    );
}
on_both!(designation_and_memo, designation_and_memo_body);

async fn addressable_decisions_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let list = official.get("/addressable").await;
    assert_eq!(list.body.matches("Decision needed").count(), 11);
    let token = list.csrf();

    let incomplete = official
        .post_form(
            "/addressable/164.308-a-5-ii-C",
            &[
                ("csrf_token", &token),
                ("outcome", "alternative"),
                ("measure", "Weekly review of the EHR sign-in report"),
                ("decided_on", "2026-12-01"),
                ("signature", "Dana Reyes"),
            ],
        )
        .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.body.contains("<strong>rationale</strong>"));

    for how in ["EHR alerts on failed sign-ins", "Weekly review of the sign-in report"] {
        let signed = official
            .post_form(
                "/addressable/164.308-a-5-ii-C",
                &[
                    ("csrf_token", &token),
                    ("outcome", "implemented"),
                    ("how", how),
                    ("decided_on", "2026-12-01"),
                    ("signature", "Dana Reyes"),
                ],
            )
            .await;
        assert_eq!(signed.location(), "/addressable?notice=signed");
    }

    let page = official.get("/addressable/164.308-a-5-ii-C").await;
    assert!(page.body.contains("Version 2: Implemented as specified"));
    assert!(page.body.contains("Version 1: Implemented as specified"));
    assert_eq!(official.get("/addressable").await.body.matches("Decision needed").count(), 10);
    assert_eq!(official.get("/addressable/164.308-a-9").await.status, StatusCode::NOT_FOUND);
}
on_both!(addressable_decisions, addressable_decisions_body);

async fn calendar_completion_with_evidence_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let instance = app
        .store
        .instances(false)
        .await
        .unwrap()
        .into_iter()
        .find(|instance| instance.obligation.title.contains("restore"))
        .unwrap();
    let path = format!("/calendar/items/{}", instance.id);
    let page = official.get(&path).await;
    assert!(page.body.contains("Due soon") || page.body.contains("Upcoming"));
    let token = page.csrf();

    let empty = official
        .post_multipart(&format!("{path}/complete"), &[("csrf_token", &token), ("notes", "")], &[])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("<strong>notes</strong>"));

    let content = b"Restored 3 folders from the weekly cloud copy in 41 minutes.";
    let done = official
        .post_multipart(
            &format!("{path}/complete"),
            &[("csrf_token", &token), ("notes", "Restore test of the file server")],
            &[("evidence", "restore-log.txt", content)],
        )
        .await;
    assert_eq!(done.location(), format!("{path}?notice=completed"));

    let record = official.get(&path).await;
    assert!(record.body.contains("id=\"item-state\">Completed"));
    let sha = record
        .body
        .split("href=\"/evidence/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let download = official.get(&format!("/evidence/{sha}")).await;
    assert_eq!(download.body.as_bytes(), content);
    assert!(
        download
            .headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("restore-log.txt")
    );

    let twice = official
        .post_multipart(&format!("{path}/complete"), &[("csrf_token", &token), ("notes", "again")], &[])
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let deleted = official
        .post_form(&format!("/evidence/{sha}/delete"), &[("csrf_token", &token)])
        .await;
    assert_eq!(deleted.status, StatusCode::CONFLICT);
    assert_eq!(official.get(&format!("/evidence/{sha}")).await.status, StatusCode::OK);
}
on_both!(calendar_completion_with_evidence, calendar_completion_with_evidence_body);

async fn meeting_completion_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let instance = app
        .store
        .instances(false)
        .await
        .unwrap()
        .into_iter()
        .find(|instance| instance.obligation.title == "Monthly security meeting")
        .unwrap();
    let path = format!("/calendar/items/{}", instance.id);
    let token = official.get(&path).await.csrf();

    let missing = official
        .post_multipart(
            &format!("{path}/complete"),
            &[
                ("csrf_token", &token),
                ("meeting_date", "2026-12-09"),
                ("attendees", ""),
                ("decisions", ""),
            ],
            &[],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["held on", "attendees", "decisions"] {
        assert!(missing.body.contains(&format!("<strong>{field}</strong>")), "{field}");
    }

    let done = official
        .post_multipart(
            &format!("{path}/complete"),
            &[
                ("csrf_token", &token),
                ("meeting_date", "2026-12-03"),
                ("attendees", "Dana Reyes\nDr. Ash"),
                ("decisions", "Enable MFA for all mailboxes by January"),
            ],
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);

    let dashboard = official.get("/dashboard").await;
    assert!(dashboard.body.contains("Enable MFA") || official.get(&path).await.body.contains("Enable MFA for all mailboxes by January"));
}
on_both!(meeting_completion, meeting_completion_body);

async fn rejected_completion_keeps_values_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let instance = app
        .store
        .instances(false)
        .await
        .unwrap()
        .into_iter()
        .find(|instance| instance.obligation.title == "Monthly security meeting")
        .unwrap();
    let path = format!("/calendar/items/{}", instance.id);
    let token = official.get(&path).await.csrf();

    let rejected = official
        .post_multipart(
            &format!("{path}/complete"),
            &[
                ("csrf_token", &token),
                ("meeting_date", "2026-12-09"),
                ("attendees", "Dana Reyes\nDr. Ash & <team>"),
                ("decisions", ""),
                ("notes", "Reviewed the phishing report"),
            ],
            &[("evidence", "minutes.txt", b"Minutes of the December meeting")],
        )
        .await;

    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rejected.body.contains("<strong>held on</strong>"));
    assert!(rejected.body.contains("<strong>decisions</strong>"));
    assert!(rejected.body.contains("name=\"meeting_date\" value=\"2026-12-09\""));
    assert!(
        rejected
            .body
            .contains("<textarea name=\"attendees\" required>Dana Reyes\nDr. Ash &#38; &#60;team&#62;</textarea>")
    );
    assert!(rejected.body.contains("<textarea name=\"decisions\" required></textarea>"));
    assert!(
        rejected
            .body
            .contains("<textarea name=\"notes\">Reviewed the phishing report</textarea>")
    );
    assert!(rejected.body.contains("The evidence file you chose was not kept"));
    assert!(rejected.body.contains(&format!("name=\"csrf_token\" value=\"{token}\"")));
}
on_both!(rejected_completion_keeps_values, rejected_completion_keeps_values_body);

async fn meeting_outside_period_is_rejected_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let instance = app
        .store
        .instances(false)
        .await
        .unwrap()
        .into_iter()
        .find(|instance| instance.obligation.title == "Monthly security meeting")
        .unwrap();
    let path = format!("/calendar/items/{}", instance.id);
    let token = official.get(&path).await.csrf();

    let rejected = official
        .post_multipart(
            &format!("{path}/complete"),
            &[
                ("csrf_token", &token),
                ("meeting_date", "2026-11-20"),
                ("attendees", "Dana Reyes"),
                ("decisions", "None"),
            ],
            &[],
        )
        .await;

    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(rejected.body.contains("<strong>held on</strong>"));
    assert!(rejected.body.contains("2026-11-20 is before this item"), "{}", rejected.body);
    assert!(rejected.body.contains("enter a date from 2026-12-01 to 2026-12-04"));
    assert_eq!(app.store.instance(instance.id).await.unwrap().completed_on, None);
}
on_both!(meeting_outside_period_is_rejected, meeting_outside_period_is_rejected_body);

async fn dashboard_status_follows_records_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let row = |body: &str, citation: &str| {
        body.split(&format!("data-citation=\"{citation}\" data-status=\""))
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };

    let before = official.get("/dashboard").await.body;
    assert_eq!(row(&before, "164.308(a)(7)(ii)(A)"), "missing");
    assert_eq!(row(&before, "164.308(a)(5)(ii)(B)"), "decision-needed");
    assert_eq!(row(&before, "164.308(a)(6)(ii)"), "missing");
    assert!(before.contains("Add an obligation"));

    // The quarter ends 31 December; two weeks before it the restore test is due soon.
    // Moving the clock by days outlives the session's idle timeout, so the test signs in again.
    app.clock.set("2026-12-20T15:00:00Z".parse().unwrap());
    official.sign_in("dana@example.org", PASSWORD).await;
    let restore = app
        .store
        .instances(false)
        .await
        .unwrap()
        .into_iter()
        .find(|instance| instance.obligation.title.contains("restore"))
        .unwrap();
    assert_eq!(
        row(&official.get("/dashboard").await.body, "164.308(a)(7)(ii)(D)"),
        "decision-needed"
    );
    let token = official.get("/dashboard").await.csrf();
    official
        .post_form(
            "/addressable/164.308-a-7-ii-D",
            &[
                ("csrf_token", &token),
                ("outcome", "implemented"),
                ("how", "Quarterly restore tests"),
                ("decided_on", "2026-12-20"),
                ("signature", "Dana Reyes"),
            ],
        )
        .await;
    assert_eq!(row(&official.get("/dashboard").await.body, "164.308(a)(7)(ii)(D)"), "due-soon");

    official
        .post_multipart(
            &format!("/calendar/items/{}/complete", restore.id),
            &[("csrf_token", &token), ("notes", "Restored")],
            &[],
        )
        .await;
    assert_eq!(row(&official.get("/dashboard").await.body, "164.308(a)(7)(ii)(D)"), "met");

    // In January the next quarter's instance exists and last quarter's completion keeps it met.
    app.clock.set("2027-01-05T15:00:00Z".parse().unwrap());
    official.sign_in("dana@example.org", PASSWORD).await;
    safeguard_web::jobs::advance_calendar(&app.state).await.unwrap();
    let january = official.get("/dashboard").await.body;
    assert_eq!(row(&january, "164.308(a)(7)(ii)(D)"), "met");
    assert_eq!(
        row(&january, "164.308(a)(4)(ii)(C)"),
        "overdue",
        "the December access review was missed"
    );
}
on_both!(dashboard_status_follows_records, dashboard_status_follows_records_body);

async fn custom_obligation_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let page = official.get("/calendar?citation=164.308-a-6-ii").await;
    assert!(page.body.contains("value=\"164.308-a-6-ii\" selected"));
    let owner = app.store.users().await.unwrap()[0].id.to_string();
    let token = page.csrf();

    let invalid = official
        .post_form(
            "/calendar/obligations",
            &[
                ("csrf_token", &token),
                ("title", ""),
                ("citation", "nope"),
                ("cadence", "weekly"),
                ("completion", "standard"),
                ("anchor", "2026-12-01"),
                ("owner", &owner),
            ],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "requirement it serves", "cadence"] {
        assert!(invalid.body.contains(&format!("<strong>{field}</strong>")), "{field}");
    }

    let created = official
        .post_form(
            "/calendar/obligations",
            &[
                ("csrf_token", &token),
                ("title", "Review the incident log"),
                ("citation", "164.308-a-6-ii"),
                ("cadence", "monthly"),
                ("completion", "standard"),
                ("anchor", "2026-12-01"),
                ("owner", &owner),
            ],
        )
        .await;
    assert_eq!(created.location(), "/calendar?notice=saved");
    let dashboard = official.get("/dashboard").await.body;
    assert!(
        dashboard.contains("data-citation=\"164.308(a)(6)(ii)\" data-status=\"due-soon\"")
            || dashboard.contains("data-citation=\"164.308(a)(6)(ii)\" data-status=\"missing\"")
    );
    assert!(official.get("/calendar").await.body.contains("Review the incident log"));
}
on_both!(custom_obligation, custom_obligation_body);

async fn accounts_and_password_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;

    assert_eq!(auditor.get("/ledger").await.status, StatusCode::OK);
    assert!(auditor.get("/ledger").await.body.contains("entries verify"));
    let token = auditor.get("/account/password").await.csrf();
    let wrong = auditor
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", "nope"),
                ("password", "a new long passphrase"),
                ("password_again", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("<strong>current password</strong>"));

    let changed = auditor
        .post_form(
            "/account/password",
            &[
                ("csrf_token", &token),
                ("current_password", PASSWORD),
                ("password", "a new long passphrase"),
                ("password_again", "a new long passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.location(), "/account/password?notice=password");
    let mut fresh = app.client();
    fresh.sign_in("auditor@example.org", "a new long passphrase").await;

    let accounts_token = official.get("/accounts").await.csrf();
    let duplicate = official
        .post_form(
            "/accounts/invitations",
            &[
                ("csrf_token", &accounts_token),
                ("email", "auditor@example.org"),
                ("display_name", "Again"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
}
on_both!(accounts_and_password, accounts_and_password_body);

async fn accounts_can_be_disabled_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut manager = app.client_with_role(&mut official, Role::Manager).await;
    let manager_id = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.role == Role::Manager)
        .unwrap()
        .id;
    let token = official.get("/accounts").await.csrf();

    let demoted = official
        .post_form(
            &format!("/accounts/{manager_id}/role"),
            &[("csrf_token", &token), ("role", "staff")],
        )
        .await;
    assert_eq!(demoted.location(), "/accounts?notice=saved");
    assert_eq!(
        manager.get("/workforce").await.location(),
        "/login",
        "a role change ends the account's sessions"
    );

    let disabled = official
        .post_form(&format!("/accounts/{manager_id}/disable"), &[("csrf_token", &token)])
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let form = manager.get("/login").await;
    let refused = manager
        .post_form(
            "/login",
            &[
                ("csrf_token", &form.csrf()),
                ("email", "manager@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let official_id = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.role == Role::SecurityOfficial)
        .unwrap()
        .id;
    let last = official
        .post_form(&format!("/accounts/{official_id}/disable"), &[("csrf_token", &token)])
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(last.body.contains("only enabled Security Official"));
}
on_both!(accounts_can_be_disabled, accounts_can_be_disabled_body);

async fn staff_sees_security_official_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let person = app.store.people().await.unwrap()[0].id.to_string();
    let token = official.get("/program/designation").await.csrf();
    official
        .post_form(
            "/program/designation",
            &[
                ("csrf_token", &token),
                ("person_id", &person),
                ("duty", "0"),
                ("emergency_decision_rights", "x"),
                ("routine_decision_rights", "y"),
                ("effective_date", "2026-12-01"),
                ("signature", "Dana Reyes"),
            ],
        )
        .await;
    let mut staff = app.client_with_role(&mut official, Role::Staff).await;

    let home = staff.get("/").await;

    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Security Official is <strong>Dana Reyes</strong>"));
    assert!(!home.body.contains("href=\"/dashboard\""), "staff navigation hides program pages");
    assert_eq!(staff.get("/program/designation/current").await.status, StatusCode::OK);
}
on_both!(staff_sees_security_official, staff_sees_security_official_body);

#[tokio::test]
async fn catalog_lists_every_specification() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;

    let page = official.get("/catalog").await;

    assert_eq!(page.body.matches("<td>Required</td>").count(), 10);
    assert_eq!(page.body.matches("<td>Addressable</td>").count(), 11);
    assert!(page.body.contains("164.316(b)(2)(i)"));
    assert!(page.body.contains("164.404"));
    app.finish().await;
}

#[tokio::test]
async fn html_is_escaped() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;
    let token = official.get("/workforce/new").await.csrf();

    official
        .post_form(
            "/workforce",
            &[
                ("csrf_token", &token),
                ("name", "<script>alert(1)</script>"),
                ("job_title", "MA"),
                ("practice_role", "clinical"),
                ("start_date", "2024-03-01"),
                ("status", "active"),
            ],
        )
        .await;
    let list = official.get("/workforce").await;

    assert!(!list.body.contains("<script>alert(1)</script>"));
    assert!(list.body.contains("&#60;script&#62;") || list.body.contains("&lt;script&gt;"));
    app.finish().await;
}

#[test]
fn templates_use_no_inline_styles() {
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains(" style=\""),
            "{} has an inline style, which the Content-Security-Policy blocks",
            path.display()
        );
        assert!(
            !text.contains("<script"),
            "{} has a script, which the Content-Security-Policy blocks",
            path.display()
        );
    }
}

#[tokio::test]
async fn unknown_pages_and_methods_get_error_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;

    let missing = official.get("/no-such-page").await;
    let wrong_method = official.get("/logout").await;

    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("page not found"));
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    app.finish().await;
}

#[tokio::test]
async fn oversized_upload_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;
    let instance = app.store.instances(false).await.unwrap()[0].id;
    let token = official.get("/dashboard").await.csrf();
    let huge = vec![b'x'; 26 * 1024 * 1024];

    let page = official
        .post_multipart(
            &format!("/calendar/items/{instance}/complete"),
            &[("csrf_token", &token)],
            &[("evidence", "big.bin", &huge)],
        )
        .await;

    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.body.contains("larger than 25 MB"));
    app.finish().await;
}

#[tokio::test]
async fn future_decision_date_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;
    let token = official.get("/addressable").await.csrf();

    let page = official
        .post_form(
            "/addressable/164.308-a-5-ii-C",
            &[
                ("csrf_token", &token),
                ("outcome", "implemented"),
                ("how", "Alerts"),
                ("decided_on", "2031-06-01"),
                ("signature", "Dana Reyes"),
            ],
        )
        .await;

    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("<strong>decision date</strong>"));
    app.finish().await;
}

#[tokio::test]
async fn obligation_owner_must_complete_items() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;
    app.client_with_role(&mut official, Role::Auditor).await;
    let auditor = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.role == Role::Auditor)
        .unwrap()
        .id
        .to_string();
    let page = official.get("/calendar").await;
    assert!(
        !page.body.contains(&format!("value=\"{auditor}\"")),
        "auditors are not offered as owners"
    );

    let refused = official
        .post_form(
            "/calendar/obligations",
            &[
                ("csrf_token", &page.csrf()),
                ("title", "Review"),
                ("citation", "164.308-a-6-ii"),
                ("cadence", "monthly"),
                ("completion", "standard"),
                ("anchor", "2026-12-01"),
                ("owner", &auditor),
            ],
        )
        .await;

    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("<strong>owner</strong>"));
    app.finish().await;
}
