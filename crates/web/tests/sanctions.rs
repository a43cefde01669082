//! In-process HTTP tests of the sanctions pages, the sanction levels and the activity-review
//! schedule, each on a fresh SQLite database and, with `SAFEGUARD_TEST_POSTGRES_URL` set and
//! ignored tests included, on PostgreSQL.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{PASSWORD, TestApp};
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;

/// Returns the `<option>` value whose label contains `label`, from the first select named
/// `name` on the page.
fn option_value(body: &str, name: &str, label: &str) -> String {
    let select = body
        .split(&format!("<select name=\"{name}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no select named {name}"))
        .split("</select>")
        .next()
        .unwrap();
    select
        .split("<option value=\"")
        .skip(1)
        .find(|option| option.contains(label))
        .unwrap_or_else(|| panic!("no option {label:?} in {name}"))
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

/// Returns the dashboard row of `citation`, from its opening tag to its closing one.
fn dashboard_row(body: &str, citation: &str) -> String {
    body.split(&format!("data-citation=\"{citation}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no dashboard row for {citation}"))
        .split("</tr>")
        .next()
        .unwrap()
        .to_owned()
}

fn row_status(row: &str) -> &str {
    row.split("data-status=\"").nth(1).unwrap().split('"').next().unwrap()
}

/// Returns the fields of a sanction form with a fixed violation, policy and decision.
fn sanction_fields(token: &str, person: &str, level: &str, day: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", token.to_owned()),
        ("person", person.to_owned()),
        (
            "violation",
            "Copied patient records to a personal USB drive on 2026-11-28".to_owned(),
        ),
        ("policy", "Device and media controls policy".to_owned()),
        ("level", level.to_owned()),
        ("applied_on", day.to_owned()),
        ("decided_by", "Dana Reyes and Dr. Eleanor Ashgrove".to_owned()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

fn assert_fields(body: &str, fields: &[&str]) {
    for field in fields {
        assert!(body.contains(&format!("<strong>{field}</strong>")), "error for {field} missing");
    }
}

async fn sanction_records_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut manager = app.client_with_role(&mut official, Role::Manager).await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    let mut staff = app.client_with_role(&mut official, Role::Staff).await;

    let new_person = official.get("/workforce/new").await;
    official
        .post_form(
            "/workforce",
            &[
                ("csrf_token", &new_person.csrf()),
                ("name", "Ana Lopez"),
                ("job_title", "Medical assistant"),
                ("practice_role", "clinical"),
                ("start_date", "2024-02-01"),
                ("end_date", "2026-11-30"),
                ("status", "terminated"),
            ],
        )
        .await;

    let page = official.get("/sanctions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No sanction has been recorded."));
    assert!(page.body.contains("Ana Lopez (terminated)"), "people who left can be sanctioned");
    assert!(page.body.contains("value=\"2026-12-04\""), "the date defaults to today");
    assert!(page.body.contains("name=\"decided_by\" value=\"Dana Reyes\""));
    let token = page.csrf();
    let person = option_value(&page.body, "person", "Ana Lopez");
    let termination = option_value(&page.body, "level", "Termination");

    let empty = official.post_form("/sanctions", &[("csrf_token", &token)]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(
        &empty.body,
        &[
            "person",
            "violation",
            "policy violated",
            "sanction level",
            "date applied",
            "decided by",
        ],
    );

    let future = sanction_fields(&token, &person, &termination, "2026-12-05");
    let refused = official.post_form("/sanctions", &borrowed(&future)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(&refused.body, &["date applied"]);
    assert!(
        refused.body.contains("Device and media controls policy"),
        "the form keeps what was typed"
    );

    let stranger = sanction_fields(&token, "0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f", &termination, "2026-12-01");
    let unknown = official.post_form("/sanctions", &borrowed(&stranger)).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(&unknown.body, &["person"]);
    assert!(app.store.sanctions().await.unwrap().is_empty(), "nothing is written on bad input");

    let manager_token = manager.get("/sanctions").await.csrf();
    let good = sanction_fields(&manager_token, &person, &termination, "2026-12-01");
    let saved = manager.post_form("/sanctions", &borrowed(&good)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), "/sanctions?notice=saved");

    let list = manager.get("/sanctions?notice=saved").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Saved and recorded in the evidence ledger."));
    let table = list
        .body
        .split("id=\"sanctions\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    for text in [
        "2026-12-01",
        "Ana Lopez",
        "Termination",
        "Copied patient records to a personal USB drive",
        "Device and media controls policy",
        "Dana Reyes and Dr. Eleanor Ashgrove",
        "Manager",
    ] {
        assert!(table.contains(text), "the record shows {text:?}");
    }
    assert!(list.body.contains("href=\"/sanctions\""), "managers see the navigation link");

    // Auditors and staff never see sanctions, not even a link to them.
    for client in [&mut auditor, &mut staff] {
        assert_eq!(client.get("/sanctions").await.status, StatusCode::FORBIDDEN);
        assert_eq!(client.get("/sanctions/levels").await.status, StatusCode::FORBIDDEN);
        let catalog = client.get("/catalog").await;
        assert!(!catalog.body.contains("href=\"/sanctions\""));
        let posted = client.post_form("/sanctions", &[("csrf_token", &catalog.csrf())]).await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.store.sanctions().await.unwrap().len(), 1);

    // The ledger page, which auditors read, shows that a sanction was recorded but not whom it concerns.
    let ledger = official.get("/ledger").await;
    assert!(ledger.body.contains("Sanction recorded"));
    assert!(!ledger.body.contains("Ana Lopez"));
}
on_both!(sanction_records, sanction_records_body);

async fn sanction_levels_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut manager = app.client_with_role(&mut official, Role::Manager).await;

    let page = official.get("/sanctions/levels").await;
    assert_eq!(page.status, StatusCode::OK);
    for level in [
        "Verbal warning",
        "Written warning",
        "Retraining",
        "Suspension of access",
        "Termination",
    ] {
        assert!(page.body.contains(level), "default level {level}");
    }
    let token = page.csrf();

    let invalid = official
        .post_form("/sanctions/levels", &[("csrf_token", &token), ("name", " "), ("severity", "high")])
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(&invalid.body, &["name", "severity"]);

    let added = official
        .post_form(
            "/sanctions/levels",
            &[
                ("csrf_token", &token),
                ("name", "Final written warning"),
                ("description", "The last warning before access is suspended."),
                ("severity", "3"),
            ],
        )
        .await;
    assert_eq!(added.location(), "/sanctions/levels?notice=saved");
    let duplicate = official
        .post_form(
            "/sanctions/levels",
            &[("csrf_token", &token), ("name", "retraining"), ("severity", "3")],
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert!(duplicate.body.contains("exists already"));

    // Retiring a level keeps it listed but takes it out of the sanction form.
    let verbal = app
        .store
        .sanction_levels()
        .await
        .unwrap()
        .into_iter()
        .find(|level| level.name == "Verbal warning")
        .unwrap();
    let retired = official
        .post_form(
            &format!("/sanctions/levels/{}", verbal.id),
            &[
                ("csrf_token", &token),
                ("name", "Verbal warning"),
                ("description", &verbal.description),
                ("severity", "1"),
                ("active", "0"),
            ],
        )
        .await;
    assert_eq!(retired.location(), "/sanctions/levels?notice=saved");
    let bad_update = official
        .post_form(
            &format!("/sanctions/levels/{}", verbal.id),
            &[("csrf_token", &token), ("name", "Verbal warning"), ("severity", "0")],
        )
        .await;
    assert_eq!(bad_update.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(&bad_update.body, &["severity"]);
    let missing = official
        .post_form(
            "/sanctions/levels/not-an-id",
            &[("csrf_token", &token), ("name", "x"), ("severity", "1")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let levels = official.get("/sanctions/levels").await.body;
    assert!(levels.contains("Final written warning"));
    assert!(levels.contains("data-active=\"false\""), "the retired level stays listed");
    let form = official.get("/sanctions").await.body;
    let level_select = form
        .split("<select name=\"level\"")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    assert!(!level_select.contains("Verbal warning"));
    assert!(level_select.contains("3. Final written warning"));

    // Managers read the scale but only the Security Official changes it.
    let manager_page = manager.get("/sanctions/levels").await;
    assert_eq!(manager_page.status, StatusCode::OK);
    assert!(manager_page.body.contains("Final written warning"));
    assert!(!manager_page.body.contains("action=\"/sanctions/levels"));
    let refused = manager
        .post_form(
            "/sanctions/levels",
            &[("csrf_token", &manager_page.csrf()), ("name", "Demotion"), ("severity", "4")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
on_both!(sanction_levels, sanction_levels_body);

async fn activity_review_schedule_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut manager = app.client_with_role(&mut official, Role::Manager).await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    let citation = "164.308(a)(1)(ii)(D)";

    let before = official.get("/dashboard").await.body;
    assert!(dashboard_row(&before, citation).contains("href=\"/activity-review/schedule#new\""));

    let page = official.get("/activity-review/schedule").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No system is on the schedule yet."));
    assert!(
        page.body.contains("href=\"/activity-review/schedule\""),
        "the navigation links the schedule"
    );
    let token = page.csrf();
    let manager_id = option_value(&page.body, "owner", "(Manager)");
    assert!(!page.body.contains("(Auditor (read-only))"), "auditors cannot be reviewers");
    let auditor_id = app
        .store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|account| account.role == Role::Auditor)
        .unwrap()
        .id
        .to_string();

    let invalid = official
        .post_form(
            "/activity-review/schedule",
            &[
                ("csrf_token", &token),
                ("system", ""),
                ("cadence", "weekly"),
                ("anchor", "soon"),
                ("owner", &auditor_id),
            ],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_fields(&invalid.body, &["system", "cadence", "first period starts", "reviewer"]);

    let created = official
        .post_form(
            "/activity-review/schedule",
            &[
                ("csrf_token", &token),
                ("system", "EHR access log"),
                ("description", ""),
                ("cadence", "monthly"),
                ("anchor", "2026-12-01"),
                ("owner", &manager_id),
            ],
        )
        .await;
    assert_eq!(created.location(), "/activity-review/schedule?notice=saved");
    official
        .post_form(
            "/activity-review/schedule",
            &[
                ("csrf_token", &token),
                ("system", "Windows sign-ins"),
                ("description", "Security event log of the front-desk server"),
                ("cadence", "quarterly"),
                ("anchor", "2026-10-01"),
                ("owner", &manager_id),
            ],
        )
        .await;

    let schedule = manager.get("/activity-review/schedule").await;
    assert_eq!(schedule.status, StatusCode::OK);
    let table = schedule
        .body
        .split("id=\"schedule\"")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    for text in [
        "EHR access log",
        "Monthly from 2026-12-01",
        "Windows sign-ins",
        "Quarterly from 2026-10-01",
        "due 2026-12-31",
        "Manager",
    ] {
        assert!(table.contains(text), "the schedule shows {text:?}");
    }
    assert!(
        !schedule.body.contains("Add a system to the schedule"),
        "only the Security Official adds entries"
    );

    // Each entry is a calendar obligation under information system activity review.
    let calendar = official.get("/calendar").await.body;
    assert!(calendar.contains("Activity review: EHR access log"));
    assert!(calendar.contains("Activity review: Windows sign-ins"));
    let dashboard = official.get("/dashboard").await.body;
    let row = dashboard_row(&dashboard, citation);
    assert!(row.contains("Activity review: EHR access log"), "{row}");
    assert!(!row.contains("Add a system to the review schedule"));

    // Near the end of the month and the quarter both reviews are due soon. Moving the clock
    // outlives the session, so the Security Official signs in again.
    app.clock.set("2026-12-26T15:00:00Z".parse().unwrap());
    official.sign_in("dana@example.org", PASSWORD).await;
    let due = official.get("/dashboard").await.body;
    assert_eq!(row_status(&dashboard_row(&due, citation)), "due-soon");
    let this_week = due.split("<h2>This week</h2>").nth(1).unwrap().split("<h2>").next().unwrap();
    assert!(this_week.contains("Activity review: EHR access log"));

    let instances = app.store.instances(false).await.unwrap();
    for instance in instances.iter().filter(|instance| instance.obligation.citation == citation) {
        let token = official.get("/catalog").await.csrf();
        let completed = official
            .post_multipart(
                &format!("/calendar/items/{}/complete", instance.id),
                &[("csrf_token", &token), ("notes", "Reviewed; nothing unusual")],
                &[],
            )
            .await;
        assert_eq!(completed.status, StatusCode::SEE_OTHER, "{}", completed.body);
    }
    assert_eq!(row_status(&dashboard_row(&official.get("/dashboard").await.body, citation)), "met");

    // Auditors read the schedule but cannot add to it.
    auditor.sign_in("auditor@example.org", PASSWORD).await;
    let read_only = auditor.get("/activity-review/schedule").await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert!(!read_only.body.contains("action=\"/activity-review/schedule\""));
    let refused = auditor
        .post_form(
            "/activity-review/schedule",
            &[("csrf_token", &read_only.csrf()), ("system", "VPN"), ("cadence", "monthly")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.store.review_schedule().await.unwrap().len(), 2);
}
on_both!(activity_review_schedule, activity_review_schedule_body);
