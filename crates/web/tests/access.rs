//! Every route for every role: the allowed set of each route is written out here, independent
//! of the application's own table, and the test asserts that each role gets exactly that.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;
use safeguard_web::access::ROUTES;

const SO: Role = Role::SecurityOfficial;
const MANAGER: Role = Role::Manager;
const STAFF: Role = Role::Staff;
const AUDITOR: Role = Role::Auditor;

/// (method, route template, roles allowed). `None` marks a public route.
const EXPECTED: &[(&str, &str, Option<&[Role]>)] = &[
    ("GET", "/healthz", None),
    ("GET", "/static/{file}", None),
    ("GET", "/setup/{token}", None),
    ("POST", "/setup/{token}", None),
    ("GET", "/login", None),
    ("POST", "/login", None),
    ("POST", "/logout", None),
    ("GET", "/invitations/{token}", None),
    ("POST", "/invitations/{token}", None),
    ("GET", "/", Some(&[SO, MANAGER, STAFF, AUDITOR])),
    ("GET", "/catalog", Some(&[SO, MANAGER, STAFF, AUDITOR])),
    ("GET", "/account/password", Some(&[SO, MANAGER, STAFF, AUDITOR])),
    ("POST", "/account/password", Some(&[SO, MANAGER, STAFF, AUDITOR])),
    ("GET", "/program/designation/current", Some(&[SO, MANAGER, STAFF, AUDITOR])),
    ("GET", "/dashboard", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/accounts", Some(&[SO])),
    ("POST", "/accounts/invitations", Some(&[SO])),
    ("POST", "/accounts/invitations/{id}/cancel", Some(&[SO])),
    ("POST", "/accounts/{id}/disable", Some(&[SO])),
    ("POST", "/accounts/{id}/enable", Some(&[SO])),
    ("POST", "/accounts/{id}/role", Some(&[SO])),
    ("GET", "/workforce", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/workforce/export.csv", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/workforce/new", Some(&[SO, MANAGER])),
    ("POST", "/workforce", Some(&[SO, MANAGER])),
    ("GET", "/workforce/import", Some(&[SO, MANAGER])),
    ("POST", "/workforce/import", Some(&[SO, MANAGER])),
    ("POST", "/workforce/import/commit", Some(&[SO, MANAGER])),
    ("GET", "/workforce/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/workforce/{id}", Some(&[SO, MANAGER])),
    ("POST", "/workforce/{id}/accounts", Some(&[SO, MANAGER])),
    ("POST", "/workforce/{id}/accounts/{account_id}/remove", Some(&[SO, MANAGER])),
    ("POST", "/workforce/{id}/delete", Some(&[SO, MANAGER])),
    ("GET", "/program/designation", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/program/designation", Some(&[SO])),
    ("GET", "/program/designation/{id}/memo", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/addressable", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/addressable/{slug}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/addressable/{slug}", Some(&[SO])),
    ("GET", "/calendar", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/calendar/obligations", Some(&[SO])),
    ("POST", "/calendar/obligations/{id}", Some(&[SO])),
    ("GET", "/calendar/items/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/calendar/items/{id}/complete", Some(&[SO, MANAGER])),
    ("GET", "/evidence/{sha256}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/evidence/{sha256}/delete", Some(&[SO])),
    ("GET", "/ledger", Some(&[SO, AUDITOR])),
    ("GET", "/inventory", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/inventory", Some(&[SO])),
    ("GET", "/inventory/new", Some(&[SO])),
    ("GET", "/inventory/export.csv", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/inventory/import", Some(&[SO])),
    ("POST", "/inventory/import", Some(&[SO])),
    ("POST", "/inventory/import/commit", Some(&[SO])),
    ("POST", "/inventory/flows", Some(&[SO])),
    ("POST", "/inventory/flows/{id}/end", Some(&[SO])),
    ("GET", "/inventory/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/inventory/{id}", Some(&[SO])),
    ("POST", "/inventory/{id}/retire", Some(&[SO])),
    ("GET", "/sanctions", Some(&[SO, MANAGER])),
    ("POST", "/sanctions", Some(&[SO, MANAGER])),
    ("GET", "/sanctions/levels", Some(&[SO, MANAGER])),
    ("POST", "/sanctions/levels", Some(&[SO])),
    ("POST", "/sanctions/levels/{id}", Some(&[SO])),
    ("GET", "/activity-review/schedule", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/activity-review/schedule", Some(&[SO])),
    ("GET", "/activity-review/reviews", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/activity-review/reviews", Some(&[SO, MANAGER])),
    ("GET", "/activity-review/reviews/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/activity-review/reviews/{id}/sign", Some(&[SO, MANAGER])),
    ("POST", "/activity-review/findings/{id}", Some(&[SO, MANAGER])),
    ("GET", "/activity-review/ehr-sources", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/activity-review/ehr-sources", Some(&[SO])),
    ("GET", "/activity-review/ehr-sources/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/activity-review/ehr-sources/{id}", Some(&[SO])),
    ("POST", "/activity-review/ehr-sources/{id}/try", Some(&[SO])),
    ("GET", "/risk", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/risk/analyses", Some(&[SO])),
    ("GET", "/risk/analyses/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/risk/analyses/{id}", Some(&[SO])),
    ("POST", "/risk/analyses/{id}/entries", Some(&[SO])),
    ("POST", "/risk/analyses/{id}/finalize", Some(&[SO])),
    ("GET", "/risk/analyses/{id}/compare", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/analyses/{id}/register.csv", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/analyses/{id}/register.xlsx", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/analyses/{id}/print", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/entries/{id}", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/risk/entries/{id}", Some(&[SO])),
    ("POST", "/risk/entries/{id}/decision", Some(&[SO])),
    ("POST", "/risk/entries/{id}/plan", Some(&[SO])),
    ("GET", "/risk/plan", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/plan.csv", Some(&[SO, MANAGER, AUDITOR])),
    ("GET", "/risk/plan.xlsx", Some(&[SO, MANAGER, AUDITOR])),
    ("POST", "/risk/plan/{id}", Some(&[SO, MANAGER])),
];

#[test]
fn expected_table_covers_every_route() {
    for route in ROUTES {
        assert!(
            EXPECTED
                .iter()
                .any(|(method, path, _)| *method == route.method && *path == route.path),
            "{} {} has no expected roles here",
            route.method,
            route.path
        );
    }
    assert_eq!(EXPECTED.len(), ROUTES.len());
}

#[tokio::test]
async fn every_route_allows_exactly_its_roles() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let mut official = app.set_up().await;
    let mut clients = vec![(SO, app.client_with_role(&mut official, SO).await)];
    for role in [MANAGER, STAFF, AUDITOR] {
        clients.push((role, app.client_with_role(&mut official, role).await));
    }

    // Real ids make the allowed requests reach their handlers.
    let person = app.store.people().await.unwrap()[0].id.to_string();
    let designation_form = official.get("/program/designation").await;
    let person_option = person.clone();
    official
        .post_form(
            "/program/designation",
            &[
                ("csrf_token", &designation_form.csrf()),
                ("person_id", &person_option),
                ("duty", "0"),
                ("emergency_decision_rights", "x"),
                ("routine_decision_rights", "y"),
                ("effective_date", "2026-12-01"),
                ("signature", "Dana Reyes"),
            ],
        )
        .await;
    let designation = app.store.current_designation().await.unwrap().unwrap().id.to_string();
    let instance = app.store.instances(false).await.unwrap()[0].id.to_string();
    let obligation = app.store.obligations().await.unwrap()[0].id.to_string();
    let (asset, data_flow) = inventory_ids(&app, &mut official).await;
    let sanction_level = app.store.sanction_levels().await.unwrap()[0].id.to_string();
    let (analysis, risk_entry, plan_item) = risk_records(&app).await;
    let (activity_review, review_finding) = activity_review_records(&app).await;
    let ehr_source = ehr_source_id(&app).await;

    for (method, template, allowed) in EXPECTED {
        let Some(allowed) = allowed else { continue };
        let path = template
            .replace("{id}/memo", &format!("{designation}/memo"))
            .replace("/workforce/{id}", &format!("/workforce/{person}"))
            .replace("/calendar/items/{id}", &format!("/calendar/items/{instance}"))
            .replace("/calendar/obligations/{id}", &format!("/calendar/obligations/{obligation}"))
            .replace("/inventory/flows/{id}", &format!("/inventory/flows/{data_flow}"))
            .replace("/inventory/{id}", &format!("/inventory/{asset}"))
            .replace("/sanctions/levels/{id}", &format!("/sanctions/levels/{sanction_level}"))
            .replace("/risk/analyses/{id}", &format!("/risk/analyses/{analysis}"))
            .replace("/risk/entries/{id}", &format!("/risk/entries/{risk_entry}"))
            .replace("/risk/plan/{id}", &format!("/risk/plan/{plan_item}"))
            .replace(
                "/activity-review/reviews/{id}",
                &format!("/activity-review/reviews/{activity_review}"),
            )
            .replace(
                "/activity-review/findings/{id}",
                &format!("/activity-review/findings/{review_finding}"),
            )
            .replace(
                "/activity-review/ehr-sources/{id}",
                &format!("/activity-review/ehr-sources/{ehr_source}"),
            )
            .replace("/accounts/invitations/{id}", &format!("/accounts/invitations/{}", uuid_text()))
            .replace("/accounts/{id}", &format!("/accounts/{}", uuid_text()))
            .replace("{account_id}", &uuid_text())
            .replace("{slug}", "164.308-a-5-ii-A")
            .replace("{sha256}", &"0".repeat(64));

        for (role, client) in clients.iter_mut() {
            let page = if *method == "GET" {
                client.get(&path).await
            } else {
                let token = client.get("/catalog").await.csrf();
                client.post_form(&path, &[("csrf_token", &token)]).await
            };
            let refused = page.status == StatusCode::FORBIDDEN;
            assert_eq!(
                !refused,
                allowed.contains(role),
                "{method} {path} as {role:?}: status {}",
                page.status
            );
        }

        let anonymous = app.client().get(&path).await;
        if *method == "GET" {
            assert_eq!(
                anonymous.location(),
                "/login",
                "GET {path} without sign-in must redirect to sign-in"
            );
        }
    }

    app.finish().await;
}

fn uuid_text() -> String {
    "0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f".to_owned()
}

/// Adds an asset and a data flow through the forms and returns their ids.
async fn inventory_ids(app: &TestApp, official: &mut common::Client<'_>) -> (String, String) {
    let form = official.get("/inventory/new").await;
    let created = official
        .post_form(
            "/inventory",
            &[
                ("csrf_token", &form.csrf()),
                ("name", "EHR"),
                ("kind", "ehr"),
                ("owner", "Dana Reyes"),
                ("location", "Server closet"),
                ("ephi", "Charts"),
                ("stores", "1"),
                ("encryption_at_rest", "yes"),
                ("encryption_in_transit", "yes"),
                ("sign_in", "mfa"),
                ("backup", "yes"),
                ("criticality", "high"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let asset = app.store.assets().await.unwrap()[0].id.to_string();
    let flow = official
        .post_form(
            "/inventory/flows",
            &[
                ("csrf_token", &form.csrf()),
                ("from_asset", &asset),
                ("to_party", "Clearinghouse"),
                ("data", "Claims"),
                ("transport", "SFTP"),
                ("encryption", "yes"),
            ],
        )
        .await;
    assert_eq!(flow.status, StatusCode::SEE_OTHER, "{}", flow.body);
    let data_flow = app.store.data_flows().await.unwrap()[0].id.to_string();
    (asset, data_flow)
}

/// Creates a draft risk analysis with one risk and one plan item, and returns their ids.
async fn risk_records(app: &TestApp) -> (String, String, String) {
    use safeguard_domain::risk::{AnalysisInput, EntryInput, PlanItemInput};

    let official = app.store.users().await.unwrap()[0].id;
    let analysis = AnalysisInput::parse("Risk analysis 2026", "2026-12-04", "All ePHI", "NIST SP 800-30", "Dana Reyes").unwrap();
    let analysis = app.store.start_risk_analysis(official, &analysis).await.unwrap();
    let entry = EntryInput::parse("EHR", "ransomware", "No offline backup", "Antivirus", "high", "high").unwrap();
    let entry = app.store.add_risk_entry(official, analysis, None, &entry).await.unwrap();
    let item = PlanItemInput::parse("technical", "Offline backup", "Dana Reyes", "2027-01-31", "Weekly offline copy").unwrap();
    let item = app.store.add_plan_item(official, entry, &item).await.unwrap();
    (analysis.to_string(), entry.to_string(), item.to_string())
}

/// Creates an EHR log source with the default mapping and returns its id.
async fn ehr_source_id(app: &TestApp) -> String {
    use safeguard_domain::ehr_sources::{EhrMapping, EhrSourceInput};

    let official = app.store.users().await.unwrap()[0].id;
    let input = EhrSourceInput::parse("Front desk EHR", &EhrMapping::default().to_text()).unwrap();
    app.store.create_ehr_log_source(official, &input).await.unwrap().to_string()
}

/// Creates a finished activity review with one undecided finding, and returns their ids.
async fn activity_review_records(app: &TestApp) -> (String, String) {
    use safeguard_store::activity_reviews::{NewActivityReview, NewFinding, ReviewLogs, SourceResult};

    let official = app.store.users().await.unwrap()[0].id;
    let stored = app
        .state
        .files
        .write(b"Dec  1 10:00:00 host sshd[1]: noise", "auth.log", "text/plain")
        .unwrap();
    let input = NewActivityReview {
        period_from: jiff::civil::date(2026, 11, 1),
        period_to: jiff::civil::date(2026, 11, 30),
        format_override: None,
        obligation: None,
        ehr_source: None,
        logs: ReviewLogs::Uploaded(vec![stored]),
    };
    let review = app.store.create_activity_review(official, &input).await.unwrap();
    assert!(app.store.claim_activity_review(review).await.unwrap());
    let finding = NewFinding {
        rule: "account_created".into(),
        severity: "low".into(),
        account: Some("temp".into()),
        person: None,
        client: None,
        first_seen: "2026-11-02T10:00:00Z".parse().unwrap(),
        last_seen: "2026-11-02T10:00:00Z".parse().unwrap(),
        count: 1,
        evidence: vec!["auth.log, line 1".into()],
        explanation: "An account was created.".into(),
    };
    let source = SourceResult {
        format: "syslog".into(),
        events: 1,
        unreadable: 0,
    };
    app.store.finish_activity_review(review, &[source], &[finding], None).await.unwrap();
    let finding = app.store.review_findings(review).await.unwrap()[0].id;
    (review.to_string(), finding.to_string())
}
