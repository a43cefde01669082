//! In-process HTTP tests of the risk analysis, risk register and risk management plan pages,
//! each on a fresh SQLite database and, with `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests
//! included, on PostgreSQL.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{Client, TestApp};
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;

/// Returns the status code of a citation's row on the dashboard.
fn dashboard_row(body: &str, citation: &str) -> String {
    body.split(&format!("data-citation=\"{citation}\" data-status=\""))
        .nth(1)
        .expect("the dashboard lists the citation")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

async fn post(client: &mut Client<'_>, form_page: &str, path: &str, fields: &[(&str, &str)]) -> common::Page {
    let token = client.get(form_page).await.csrf();
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    client.post_form(path, &all).await
}

const ANALYSIS_FIELDS: [(&str, &str); 5] = [
    ("title", "Risk analysis 2026"),
    ("analysis_date", "2026-12-04"),
    ("scope", "Every system, device and vendor that holds or moves ePHI"),
    ("method", "NIST SP 800-30 Rev. 1"),
    ("participants", "Dana Reyes (Security Official); Dr. Sam Okafor (owner physician)"),
];

/// Starts an analysis through the form and returns its path.
async fn start_analysis(official: &mut Client<'_>) -> String {
    let started = post(official, "/risk", "/risk/analyses", &ANALYSIS_FIELDS).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    started.location().split('?').next().unwrap().to_owned()
}

async fn add_risk(official: &mut Client<'_>, analysis: &str, asset: &str, threat: &str, likelihood: &str, impact: &str) -> common::Page {
    post(
        official,
        analysis,
        &format!("{analysis}/entries"),
        &[
            ("asset_name", asset),
            ("threat", threat),
            ("vulnerabilities", "No offline backup; shared front-desk login"),
            ("existing_controls", "Antivirus on every workstation"),
            ("likelihood", likelihood),
            ("impact", impact),
        ],
    )
    .await
}

/// Returns the path of the entry page of the risk whose register row names `asset`.
async fn entry_path(official: &mut Client<'_>, analysis: &str, asset: &str) -> String {
    let body = official.get(analysis).await.body;
    let row = body
        .split("<tr data-level=")
        .find(|row| row.contains(&format!(">{asset}</a>")))
        .unwrap();
    let start = row.find("href=\"").unwrap() + "href=\"".len();
    row[start..].split('"').next().unwrap().to_owned()
}

async fn decide(official: &mut Client<'_>, entry: &str, fields: &[(&str, &str)]) -> common::Page {
    post(official, entry, &format!("{entry}/decision"), fields).await
}

const ACCEPT_FIELDS: [(&str, &str); 8] = [
    ("treatment", "accept"),
    ("decided_on", "2026-12-04"),
    ("residual_level", "moderate"),
    (
        "rationale",
        "Full-disk encryption is already on; replacing the laptop costs more than the risk",
    ),
    ("signature", "Dana Reyes"),
    ("leadership_name", "Dr. Sam Okafor"),
    ("leadership_title", "Owner physician"),
    ("leadership_signature", "Dr. Sam Okafor"),
];

async fn risk_analysis_pages_and_forms_body(app: &TestApp) {
    let mut official = app.set_up().await;

    let empty = official.get("/risk").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No risk analysis has been started yet."));
    assert!(official.get("/dashboard").await.body.contains("href=\"/risk\""));

    let bad = post(&mut official, "/risk", "/risk/analyses", &[("analysis_date", "soon")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "analysis date", "scope", "method", "participants"] {
        assert!(bad.body.contains(&format!("<strong>{field}</strong>")), "error for {field} missing");
    }
    assert!(
        app.store.risk_analyses().await.unwrap().is_empty(),
        "nothing is written on bad input"
    );

    let analysis = start_analysis(&mut official).await;
    let page = official.get(&analysis).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Every system, device and vendor that holds or moves ePHI"));

    let bad_entry = add_risk(&mut official, &analysis, "", "meteor", "often", "").await;
    assert_eq!(bad_entry.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["asset", "threat", "likelihood", "impact"] {
        assert!(
            bad_entry.body.contains(&format!("<strong>{field}</strong>")),
            "error for {field} missing"
        );
    }

    let added = add_risk(
        &mut official,
        &analysis,
        "EHR <script>alert(1)</script>",
        "ransomware",
        "high",
        "very_high",
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let duplicate = add_risk(
        &mut official,
        &analysis,
        "ehr <script>alert(1)</script>",
        "ransomware",
        "low",
        "low",
    )
    .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);

    let page = official.get(&analysis).await;
    assert!(page.body.contains("EHR &#60;script&#62;alert(1)&#60;/script&#62;") || page.body.contains("EHR &lt;script&gt;"));
    assert!(!page.body.contains("<script>alert(1)"), "asset names are escaped");
    assert!(page.body.contains("<strong>Very High</strong>"), "the level is computed");
    assert!(
        page.body
            .contains("data-likelihood=\"high\" data-impact=\"very_high\" data-count=\"1\"")
    );
    assert!(page.body.contains("data-likelihood=\"low\" data-impact=\"low\" data-count=\"0\""));

    let overview = official.get("/risk").await;
    assert!(
        overview
            .body
            .contains("data-likelihood=\"high\" data-impact=\"very_high\" data-count=\"1\"")
    );

    let details = post(
        &mut official,
        &analysis,
        &analysis,
        &[
            ("title", "Risk analysis 2026, revised"),
            ("analysis_date", "2026-12-04"),
            ("scope", "All ePHI"),
            ("method", "NIST SP 800-30 Rev. 1"),
            ("participants", "Dana Reyes"),
        ],
    )
    .await;
    assert_eq!(details.status, StatusCode::SEE_OTHER);
    assert!(official.get(&analysis).await.body.contains("Risk analysis 2026, revised"));
    let bad_details = post(&mut official, &analysis, &analysis, &[("title", "")]).await;
    assert_eq!(bad_details.status, StatusCode::UNPROCESSABLE_ENTITY);

    let entry = entry_path(&mut official, &analysis, "EHR &#60;script&#62;alert(1)&#60;/script&#62;").await;
    let entry_page = official.get(&entry).await;
    assert_eq!(entry_page.status, StatusCode::OK);
    assert!(entry_page.body.contains("No decision has been recorded."));

    let rated = post(
        &mut official,
        &entry,
        &entry,
        &[
            ("vulnerabilities", "No offline backup"),
            ("existing_controls", "Antivirus; nightly cloud backup"),
            ("likelihood", "moderate"),
            ("impact", "very_high"),
        ],
    )
    .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER);
    assert!(
        official
            .get(&entry)
            .await
            .body
            .contains("<dd id=\"risk-level\"><strong>High</strong></dd>")
    );
    let bad_rating = post(&mut official, &entry, &entry, &[("likelihood", "often")]).await;
    assert_eq!(bad_rating.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_rating.body.contains("<strong>likelihood</strong>"));
}
on_both!(risk_analysis_pages_and_forms, risk_analysis_pages_and_forms_body);

async fn acceptance_needs_both_signatures_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let analysis = start_analysis(&mut official).await;
    add_risk(
        &mut official,
        &analysis,
        "Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    let entry = entry_path(&mut official, &analysis, "Front-desk laptop").await;

    let without_leadership = decide(
        &mut official,
        &entry,
        &[
            ("treatment", "accept"),
            ("decided_on", "2026-12-04"),
            ("residual_level", "moderate"),
            ("signature", "Dana Reyes"),
        ],
    )
    .await;
    assert_eq!(without_leadership.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["rationale", "leadership name", "leadership title", "leadership signature"] {
        assert!(
            without_leadership.body.contains(&format!("<strong>{field}</strong>")),
            "error for {field} missing"
        );
    }

    let mut wrong_signatures = ACCEPT_FIELDS;
    wrong_signatures[4] = ("signature", "ok");
    wrong_signatures[7] = ("leadership_signature", "approved");
    let refused = decide(&mut official, &entry, &wrong_signatures).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("<strong>signature</strong>"));
    assert!(refused.body.contains("<strong>leadership signature</strong>"));
    assert!(
        app.store
            .risk_entries(app.store.risk_analyses().await.unwrap()[0].id)
            .await
            .unwrap()[0]
            .decision
            .is_none()
    );

    let accepted = decide(&mut official, &entry, &ACCEPT_FIELDS).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let page = official.get(&entry).await.body;
    assert!(page.contains("<strong>Accept</strong>"));
    assert!(page.contains("Approved by Dr. Sam Okafor, Owner physician: Dr. Sam Okafor."));
    assert!(page.contains("Signed by the Security Official: Dana Reyes."));

    let ledger = app.store.ledger_entries().await.unwrap();
    let decided = ledger.iter().find(|stored| stored.entry.action == "risk_entry.decided").unwrap();
    assert_eq!(decided.entry.payload["leadership"]["name"], "Dr. Sam Okafor");
}
on_both!(acceptance_needs_both_signatures, acceptance_needs_both_signatures_body);

async fn plan_finalize_and_dashboard_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let before = official.get("/dashboard").await.body;
    assert_eq!(dashboard_row(&before, "164.308(a)(1)(ii)(A)"), "missing");

    let analysis = start_analysis(&mut official).await;
    add_risk(&mut official, &analysis, "EHR", "weak-passwords", "high", "high").await;
    add_risk(
        &mut official,
        &analysis,
        "Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    assert_eq!(
        dashboard_row(&official.get("/dashboard").await.body, "164.308(a)(1)(ii)(B)"),
        "decision-needed"
    );

    let early = post(&mut official, &analysis, &format!("{analysis}/finalize"), &[]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "undecided risks block finalizing");

    let ehr = entry_path(&mut official, &analysis, "EHR").await;
    let mitigated = decide(
        &mut official,
        &ehr,
        &[
            ("treatment", "mitigate"),
            ("decided_on", "2026-12-04"),
            ("residual_level", "low"),
            ("signature", "Dana Reyes"),
        ],
    )
    .await;
    assert_eq!(mitigated.status, StatusCode::SEE_OTHER, "{}", mitigated.body);
    let laptop = entry_path(&mut official, &analysis, "Front-desk laptop").await;
    decide(&mut official, &laptop, &ACCEPT_FIELDS).await;

    let bad_item = post(
        &mut official,
        &ehr,
        &format!("{ehr}/plan"),
        &[("safeguard_type", "magic"), ("deadline", "soon")],
    )
    .await;
    assert_eq!(bad_item.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["safeguard type", "safeguard", "owner", "deadline", "acceptance criteria"] {
        assert!(
            bad_item.body.contains(&format!("<strong>{field}</strong>")),
            "error for {field} missing"
        );
    }
    let item = post(
        &mut official,
        &ehr,
        &format!("{ehr}/plan"),
        &[
            ("safeguard_type", "technical"),
            ("safeguard", "Turn on MFA for the EHR"),
            ("owner", "Dana Reyes"),
            ("deadline", "2026-12-01"),
            ("acceptance_criteria", "Every EHR account signs in with a second factor"),
        ],
    )
    .await;
    assert_eq!(item.status, StatusCode::SEE_OTHER, "{}", item.body);

    let dashboard = official.get("/dashboard").await.body;
    assert_eq!(dashboard_row(&dashboard, "164.308(a)(1)(ii)(B)"), "overdue");
    assert!(
        dashboard.contains("Risk plan item &#34;Turn on MFA for the EHR&#34; was due on 2026-12-01")
            || dashboard.contains("Turn on MFA for the EHR")
    );
    assert!(dashboard.contains("/risk/plan#item-"));
    let plan = official.get("/risk/plan").await;
    assert_eq!(plan.status, StatusCode::OK);
    assert!(plan.body.contains("data-overdue=\"true\""));

    let finalized = post(&mut official, &analysis, &format!("{analysis}/finalize"), &[]).await;
    assert_eq!(finalized.status, StatusCode::SEE_OTHER, "{}", finalized.body);
    let dashboard = official.get("/dashboard").await.body;
    assert_eq!(dashboard_row(&dashboard, "164.308(a)(1)(ii)(A)"), "met");

    let page = official.get(&analysis).await.body;
    assert!(page.contains("<span class=\"status met\">Finalized</span>"));
    assert!(!page.contains("Add risk"), "a finalized analysis shows no forms");
    let after = add_risk(&mut official, &analysis, "Fax", "misdirected-communication", "low", "low").await;
    assert_eq!(after.status, StatusCode::CONFLICT);
    assert!(after.body.contains("finalized and cannot be changed"));
    let redecided = decide(
        &mut official,
        &ehr,
        &[
            ("treatment", "avoid"),
            ("decided_on", "2026-12-04"),
            ("residual_level", "low"),
            ("signature", "Dana Reyes"),
        ],
    )
    .await;
    assert_eq!(redecided.status, StatusCode::CONFLICT);

    let plan_path = {
        let body = official.get("/risk/plan").await.body;
        let start = body.find("action=\"/risk/plan/").unwrap() + "action=\"".len();
        body[start..].split('"').next().unwrap().to_owned()
    };
    let incomplete = post(
        &mut official,
        "/risk/plan",
        &plan_path,
        &[("status", "completed"), ("completed_on", "")],
    )
    .await;
    assert_eq!(incomplete.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.body.contains("<strong>completion evidence</strong>"));
    let completed = post(
        &mut official,
        "/risk/plan",
        &plan_path,
        &[
            ("status", "completed"),
            ("completion_evidence", "MFA enrollment report: 14 of 14 accounts"),
            ("completed_on", "2026-12-04"),
        ],
    )
    .await;
    assert_eq!(completed.status, StatusCode::SEE_OTHER, "{}", completed.body);
    let dashboard = official.get("/dashboard").await.body;
    assert_ne!(dashboard_row(&dashboard, "164.308(a)(1)(ii)(B)"), "overdue");
    assert!(
        official
            .get("/risk/plan")
            .await
            .body
            .contains("MFA enrollment report: 14 of 14 accounts")
    );
}
on_both!(plan_finalize_and_dashboard, plan_finalize_and_dashboard_body);

async fn next_version_compares_levels_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let first = start_analysis(&mut official).await;
    add_risk(&mut official, &first, "EHR", "ransomware", "high", "very_high").await;
    let entry = entry_path(&mut official, &first, "EHR").await;
    decide(
        &mut official,
        &entry,
        &[
            ("treatment", "mitigate"),
            ("decided_on", "2026-12-04"),
            ("residual_level", "low"),
            ("signature", "Dana Reyes"),
        ],
    )
    .await;
    post(&mut official, &first, &format!("{first}/finalize"), &[]).await;

    let first_compare = official.get(&format!("{first}/compare")).await;
    assert_eq!(first_compare.status, StatusCode::OK);
    assert!(first_compare.body.contains("there is no earlier version"));

    let second = start_analysis(&mut official).await;
    assert_ne!(second, first);
    let copied = entry_path(&mut official, &second, "EHR").await;
    let lowered = post(
        &mut official,
        &copied,
        &copied,
        &[
            ("vulnerabilities", "Offline backup in place"),
            ("existing_controls", "Weekly offline backup, tested restore"),
            ("likelihood", "low"),
            ("impact", "very_high"),
        ],
    )
    .await;
    assert_eq!(lowered.status, StatusCode::SEE_OTHER);
    add_risk(&mut official, &second, "E-fax", "misdirected-communication", "moderate", "moderate").await;

    let compare = official.get(&format!("{second}/compare")).await;
    assert_eq!(compare.status, StatusCode::OK);
    assert!(
        compare
            .body
            .contains("<tr data-change=\"lowered\"><td>EHR</td><td>Ransomware</td><td>Very High</td><td>Moderate</td>")
    );
    assert!(compare.body.contains("<tr data-change=\"new\"><td>E-fax</td>"));
    let overview = official.get("/risk").await.body;
    assert!(overview.contains(&format!("{second}/compare")));
}
on_both!(next_version_compares_levels, next_version_compares_levels_body);

async fn read_only_roles_see_no_forms_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let analysis = start_analysis(&mut official).await;
    add_risk(&mut official, &analysis, "EHR", "phishing", "high", "high").await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;

    let page = auditor.get(&analysis).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">EHR</a>"));
    assert!(!page.body.contains("Add risk"));
    assert!(!page.body.contains("Finalize version"));
    let refused = post(&mut auditor, &analysis, &format!("{analysis}/finalize"), &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
on_both!(read_only_roles_see_no_forms, read_only_roles_see_no_forms_body);

async fn inventory_assets_are_linked_body(app: &TestApp) {
    use safeguard_domain::inventory::{AssetFields, AssetInput};

    let mut official = app.set_up().await;
    let user = app.store.users().await.unwrap()[0].id;
    let fields = AssetFields {
        name: "Practice server".into(),
        kind: "server".into(),
        owner: "Dana Reyes".into(),
        location: "Back office".into(),
        ephi: "Charts and billing".into(),
        ephi_handling: "store;process".into(),
        record_count: "4000".into(),
        encryption_at_rest: "yes".into(),
        encryption_in_transit: "yes".into(),
        sign_in: "password".into(),
        backup: "yes".into(),
        criticality: "high".into(),
        vendor: String::new(),
    };
    let (server, _) = app
        .store
        .create_asset(user, &AssetInput::parse(&fields).unwrap(), jiff::civil::date(2026, 12, 4))
        .await
        .unwrap();
    let analysis = start_analysis(&mut official).await;

    let page = official.get(&analysis).await.body;
    assert!(page.contains("<div class=\"errors\" id=\"unassessed\">"));
    assert!(page.contains("<li>Practice server</li>"));
    assert!(page.contains(&format!("<option value=\"{server}\">Practice server</option>")));

    let bad = post(
        &mut official,
        &analysis,
        &format!("{analysis}/entries"),
        &[("asset_id", "not-an-asset"), ("threat", "ransomware")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("<strong>asset</strong>"));

    let server_id = server.to_string();
    let linked = post(
        &mut official,
        &analysis,
        &format!("{analysis}/entries"),
        &[
            ("asset_id", &server_id),
            ("asset_name", ""),
            ("threat", "ransomware"),
            ("vulnerabilities", "Unpatched operating system"),
            ("existing_controls", "Nightly backup"),
            ("likelihood", "high"),
            ("impact", "high"),
        ],
    )
    .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER, "{}", linked.body);
    let page = official.get(&analysis).await.body;
    assert!(!page.contains("id=\"unassessed\""), "the server is assessed now");
    let analysis_id = app.store.risk_analyses().await.unwrap()[0].id;
    let entries = app.store.risk_entries(analysis_id).await.unwrap();
    assert_eq!(entries[0].asset_id.as_deref(), Some(server_id.as_str()));
    assert_eq!(entries[0].asset_name, "Practice server");
}
on_both!(inventory_assets_are_linked, inventory_assets_are_linked_body);

async fn register_and_plan_export_csv_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let analysis = start_analysis(&mut official).await;
    add_risk(
        &mut official,
        &analysis,
        "=Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    let entry = entry_path(&mut official, &analysis, "=Front-desk laptop").await;
    decide(&mut official, &entry, &ACCEPT_FIELDS).await;
    post(
        &mut official,
        &entry,
        &format!("{entry}/plan"),
        &[
            ("safeguard_type", "physical"),
            ("safeguard", "Cable lock at the front desk"),
            ("owner", "Dana Reyes"),
            ("deadline", "2027-01-31"),
            ("acceptance_criteria", "The laptop is locked to the desk"),
        ],
    )
    .await;

    let register = official.get(&format!("{analysis}/register.csv")).await;
    assert_eq!(register.status, StatusCode::OK);
    assert_eq!(register.headers[axum::http::header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(register.body.starts_with("analysis_version,asset,threat,"));
    assert!(register.body.contains("1,'=Front-desk laptop,Loss or theft of equipment or data,"));
    assert!(register.body.contains(",Accept,2026-12-04,Dana Reyes,Moderate,"));
    assert!(register.body.contains("\"Dr. Sam Okafor, Owner physician: Dr. Sam Okafor\""));

    let plan = official.get("/risk/plan.csv").await;
    assert_eq!(plan.status, StatusCode::OK);
    assert!(plan.body.contains("Cable lock at the front desk,Physical,'=Front-desk laptop,"));
    assert!(
        plan.body
            .contains(",Dana Reyes,2027-01-31,The laptop is locked to the desk,Planned,,")
    );
}
on_both!(register_and_plan_export_csv, register_and_plan_export_csv_body);

/// Adds a plan item to the risk at `entry` through the form.
async fn plan_safeguard(official: &mut Client<'_>, entry: &str, safeguard: &str, deadline: &str) {
    let added = post(
        official,
        entry,
        &format!("{entry}/plan"),
        &[
            ("safeguard_type", "physical"),
            ("safeguard", safeguard),
            ("owner", "Dana Reyes"),
            ("deadline", deadline),
            ("acceptance_criteria", "The laptop is locked to the desk"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
}

async fn register_and_plan_export_xlsx_body(app: &TestApp) {
    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    let mut official = app.set_up().await;
    let analysis = start_analysis(&mut official).await;
    add_risk(
        &mut official,
        &analysis,
        "Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    let entry = entry_path(&mut official, &analysis, "Front-desk laptop").await;
    decide(&mut official, &entry, &ACCEPT_FIELDS).await;
    plan_safeguard(&mut official, &entry, "Cable lock at the front desk", "2027-01-31").await;

    let page = official.get(&analysis).await.body;
    assert!(page.contains(&format!("href=\"{analysis}/register.xlsx\"")));
    assert!(official.get("/risk/plan").await.body.contains("href=\"/risk/plan.xlsx\""));

    let register = official.get(&format!("{analysis}/register.xlsx")).await;
    assert_eq!(register.status, StatusCode::OK);
    assert_eq!(register.headers[axum::http::header::CONTENT_TYPE], XLSX);
    assert_eq!(
        register.headers[axum::http::header::CONTENT_DISPOSITION],
        "attachment; filename=\"risk-register-v1.xlsx\""
    );
    assert!(register.body.as_bytes().starts_with(b"PK\x03\x04"), "an XLSX file is a ZIP archive");

    let plan = official.get("/risk/plan.xlsx").await;
    assert_eq!(plan.status, StatusCode::OK);
    assert_eq!(plan.headers[axum::http::header::CONTENT_TYPE], XLSX);
    assert_eq!(
        plan.headers[axum::http::header::CONTENT_DISPOSITION],
        "attachment; filename=\"risk-management-plan.xlsx\""
    );
    assert!(plan.body.as_bytes().starts_with(b"PK\x03\x04"));

    let unknown = official.get("/risk/analyses/not-an-id/register.xlsx").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let missing = official
        .get("/risk/analyses/0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f/register.xlsx")
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
on_both!(register_and_plan_export_xlsx, register_and_plan_export_xlsx_body);

async fn printable_analysis_shows_everything_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let analysis = start_analysis(&mut official).await;
    add_risk(
        &mut official,
        &analysis,
        "Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    let unsafe_text = post(
        &mut official,
        &analysis,
        &format!("{analysis}/entries"),
        &[
            ("asset_name", "E-fax"),
            ("threat", "misdirected-communication"),
            ("vulnerabilities", "<script>alert(1)</script>"),
            ("existing_controls", "Cover sheet"),
            ("likelihood", "low"),
            ("impact", "low"),
        ],
    )
    .await;
    assert_eq!(unsafe_text.status, StatusCode::SEE_OTHER, "{}", unsafe_text.body);
    let laptop = entry_path(&mut official, &analysis, "Front-desk laptop").await;
    decide(&mut official, &laptop, &ACCEPT_FIELDS).await;
    plan_safeguard(&mut official, &laptop, "Cable lock at the front desk", "2027-01-31").await;

    let print_path = format!("{analysis}/print");
    assert!(official.get(&analysis).await.body.contains(&format!("href=\"{print_path}\"")));

    let draft = official.get(&print_path).await;
    assert_eq!(draft.status, StatusCode::OK);
    let body = &draft.body;
    for (_, value) in ANALYSIS_FIELDS {
        assert!(body.contains(value), "the print lacks {value:?}");
    }
    assert!(body.contains("<strong>Maple Grove Family Medicine</strong>"));
    assert!(body.contains("<span class=\"status due-soon\">Draft</span>"));
    assert!(body.contains("<figure class=\"heat-map\">"));
    assert!(body.contains("data-likelihood=\"moderate\" data-impact=\"high\" data-count=\"1\""));
    assert!(body.contains("No offline backup; shared front-desk login"));
    assert!(body.contains("Antivirus on every workstation"));
    assert!(body.contains("Likelihood Moderate, impact High: level <strong>Moderate</strong>"));
    assert!(body.contains("<strong>Accept</strong>, decided 2026-12-04 by Dana Reyes; residual level Moderate"));
    assert!(body.contains("Full-disk encryption is already on"));
    assert!(body.contains("Security Official: Dana Reyes<br>Leadership: Dr. Sam Okafor, Owner physician: Dr. Sam Okafor"));
    assert!(
        body.contains("<dt>Decision</dt><dd>None recorded yet</dd>"),
        "the fax risk is undecided"
    );
    assert!(body.contains("Cable lock at the front desk"));
    assert!(body.contains("<td>2027-01-31</td>"));
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "user text is escaped: {body}"
    );
    assert!(!body.contains("<script>alert(1)"));
    assert!(body.contains("<p class=\"no-print\">"));
    assert!(!body.contains("action=\"/risk"), "the print has no forms");

    let fax = entry_path(&mut official, &analysis, "E-fax").await;
    decide(
        &mut official,
        &fax,
        &[
            ("treatment", "mitigate"),
            ("decided_on", "2026-12-04"),
            ("residual_level", "very_low"),
            ("signature", "Dana Reyes"),
        ],
    )
    .await;
    let finalized = post(&mut official, &analysis, &format!("{analysis}/finalize"), &[]).await;
    assert_eq!(finalized.status, StatusCode::SEE_OTHER, "{}", finalized.body);

    let final_print = official.get(&print_path).await.body;
    assert!(
        final_print.contains("<span class=\"status met\">Finalized</span> on 2026-12-04 10:00 by Dana Reyes."),
        "the finalized state shows the local date and time"
    );
    assert!(!final_print.contains("None recorded yet"));

    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    assert_eq!(auditor.get(&print_path).await.status, StatusCode::OK);
    let unknown = official.get("/risk/analyses/0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f/print").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
on_both!(printable_analysis_shows_everything, printable_analysis_shows_everything_body);

/// Returns the `data-state` of the calendar's plan-item row that links `safeguard`, if listed.
fn calendar_plan_state(body: &str, safeguard: &str) -> Option<String> {
    let table = body.split("<table id=\"plan-items\">").nth(1)?.split("</table>").next()?;
    let row = table
        .split("<tr data-state=\"")
        .find(|row| row.contains(&format!(">{safeguard}</a>")))?;
    row.split('"').next().map(str::to_owned)
}

async fn calendar_lists_open_plan_items_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let empty = official.get("/calendar").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(
        empty
            .body
            .contains("No safeguard of the <a href=\"/risk/plan\">risk management plan</a> is open.")
    );

    let analysis = start_analysis(&mut official).await;
    add_risk(
        &mut official,
        &analysis,
        "Front-desk laptop",
        "equipment-loss-theft",
        "moderate",
        "high",
    )
    .await;
    let entry = entry_path(&mut official, &analysis, "Front-desk laptop").await;

    // The test clock's practice day is 2026-12-04, so a deadline up to 2026-12-18 is due soon.
    plan_safeguard(&mut official, &entry, "Overdue lock", "2026-12-01").await;
    plan_safeguard(&mut official, &entry, "Due today", "2026-12-04").await;
    plan_safeguard(&mut official, &entry, "Last due-soon day", "2026-12-18").await;
    plan_safeguard(&mut official, &entry, "First upcoming day", "2026-12-19").await;
    plan_safeguard(&mut official, &entry, "Finished lock", "2026-12-10").await;

    let plan = official.get("/risk/plan").await.body;
    let finished = plan
        .split("<tr id=\"item-")
        .find(|row| row.contains("Finished lock"))
        .and_then(|row| row.split('"').next())
        .unwrap()
        .to_owned();
    let completed = post(
        &mut official,
        "/risk/plan",
        &format!("/risk/plan/{finished}"),
        &[
            ("status", "completed"),
            ("completion_evidence", "Photo of the cable lock"),
            ("completed_on", "2026-12-04"),
        ],
    )
    .await;
    assert_eq!(completed.status, StatusCode::SEE_OTHER, "{}", completed.body);

    let calendar = official.get("/calendar").await;
    assert_eq!(calendar.status, StatusCode::OK);
    let body = &calendar.body;
    assert_eq!(calendar_plan_state(body, "Overdue lock").as_deref(), Some("overdue"));
    assert_eq!(calendar_plan_state(body, "Due today").as_deref(), Some("due-soon"));
    assert_eq!(calendar_plan_state(body, "Last due-soon day").as_deref(), Some("due-soon"));
    assert_eq!(calendar_plan_state(body, "First upcoming day").as_deref(), Some("upcoming"));
    assert_eq!(calendar_plan_state(body, "Finished lock"), None, "completed items are not listed");
    assert!(body.contains("<td>2026-12-01</td><td>Dana Reyes</td><td><span class=\"status overdue\">Overdue</span></td>"));
    assert!(body.contains("<td>Front-desk laptop: Loss or theft of equipment or data</td>"));
    assert!(body.contains("href=\"/risk/plan#item-"));

    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    let read_only = auditor.get("/calendar").await;
    assert_eq!(read_only.status, StatusCode::OK);
    assert_eq!(calendar_plan_state(&read_only.body, "Overdue lock").as_deref(), Some("overdue"));
}
on_both!(calendar_lists_open_plan_items, calendar_lists_open_plan_items_body);
