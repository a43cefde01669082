//! End-to-end test of the security management process in headless Chromium driven through
//! chromedriver. A Security Official sets the practice up, adds two assets through the
//! inventory pages, starts a risk analysis and rates one risk for each asset. One risk is
//! accepted with the signatures of the Security Official and of the owner physician, the other
//! is mitigated, and the analysis is finalized. The 5×5 heat map must count the two rated
//! cells, and the dashboard rows of risk management, 164.308(a)(1)(ii)(B), and risk analysis,
//! 164.308(a)(1)(ii)(A), must follow each step.
//!
//! The test is ignored by default because it needs the Debian packages `chromium` and
//! `chromium-driver`. `SAFEGUARD_CHROMIUM` and `SAFEGUARD_CHROMEDRIVER` override the paths of
//! the two programs.

mod common;

use std::net::SocketAddr;

use common::browser::{click, connect_browser, current_path, fill, find, start_chromedriver, submit, tool_path, wait_for};
use common::{PASSWORD, TestApp};
use fantoccini::{Client, Locator};
use safeguard_store::Backend;

/// The Security Official's full name, which every risk decision must be signed with.
const OFFICIAL_NAME: &str = "Dana Reyes";
const OFFICIAL_EMAIL: &str = "dana@example.org";
/// The member of leadership who approves the accepted risk.
const OWNER_NAME: &str = "Dr. Eleanor Ashgrove";
const RISK_ANALYSIS: &str = "164.308(a)(1)(ii)(A)";
const RISK_MANAGEMENT: &str = "164.308(a)(1)(ii)(B)";
const EHR: &str = "Cloud EHR";
const LAPTOP: &str = "Exam room laptop";

/// One asset as the inventory form takes it.
struct AssetForm {
    name: &'static str,
    kind: &'static str,
    location: &'static str,
    ephi: &'static str,
    at_rest: &'static str,
    sign_in: &'static str,
    backup: &'static str,
    vendor: &'static str,
}

/// One rating as the analysis form takes it.
struct Rating {
    asset: &'static str,
    threat: &'static str,
    likelihood: &'static str,
    impact: &'static str,
}

const ASSETS: [AssetForm; 2] = [
    AssetForm {
        name: EHR,
        kind: "vendor_hosted_service",
        location: "Vendor data center",
        ephi: "Charts, schedules, insurance",
        at_rest: "yes",
        sign_in: "mfa",
        backup: "not_applicable",
        vendor: "Quillberry Health Cloud",
    },
    AssetForm {
        name: LAPTOP,
        kind: "laptop",
        location: "Exam room 2",
        ephi: "EHR sessions, downloaded reports",
        at_rest: "yes",
        sign_in: "password",
        backup: "no",
        vendor: "",
    },
];

/// Phishing against the EHR is Moderate likelihood and Very High impact, so High. Losing the
/// encrypted laptop is Low likelihood and High impact, so Low.
const RATINGS: [Rating; 2] = [
    Rating {
        asset: EHR,
        threat: "phishing",
        likelihood: "moderate",
        impact: "very_high",
    },
    Rating {
        asset: LAPTOP,
        threat: "equipment-loss-theft",
        likelihood: "low",
        impact: "high",
    },
];

#[tokio::test]
#[ignore = "needs Chromium and chromedriver (apt packages chromium, chromium-driver)"]
async fn browser_decides_risks() {
    let chromium = tool_path("SAFEGUARD_CHROMIUM", "/usr/bin/chromium");
    let chromedriver_path = tool_path("SAFEGUARD_CHROMEDRIVER", "/usr/bin/chromedriver");

    let app = TestApp::spawn(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    // The sign-in throttle counts attempts per peer address, which comes from the connect info.
    let service = app.router.clone().into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await });

    let (driver, driver_port) = start_chromedriver(&chromedriver_path).await;
    let profile = tempfile::tempdir().unwrap();
    let browser = connect_browser(driver_port, &chromium, profile.path()).await;

    // The steps run in their own task so that the browser session is closed even when one of
    // them panics. The panic is raised again afterwards, so the test still fails with it.
    let setup_path = app.setup_path().await;
    let flow = tokio::spawn(decide_risks(browser.clone(), base_url, setup_path));
    let outcome = flow.await;
    browser.close().await.expect("closing the browser session failed");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }

    server.abort();
    drop(driver);
    app.finish().await;
}

/// Walks through setup, the inventory, a risk analysis, two decisions and the finalization,
/// checking the heat map and the dashboard rows along the way.
async fn decide_risks(browser: Client, base_url: String, setup_path: String) {
    set_up_practice(&browser, &base_url, &setup_path).await;

    // Without an analysis, both rows lack records: no finalized analysis, and no report to
    // leadership yet in the first quarter.
    assert_eq!(row_status(&browser, RISK_ANALYSIS).await, "missing");
    assert_eq!(row_status(&browser, RISK_MANAGEMENT).await, "missing");

    for asset in &ASSETS {
        add_asset(&browser, &base_url, asset).await;
    }

    browser.goto(&format!("{base_url}/risk")).await.unwrap();
    wait_for(&browser, "form[action='/risk/analyses']").await;
    fill(
        &browser,
        "participants",
        &format!("{OFFICIAL_NAME}, Security Official\n{OWNER_NAME}, owner physician"),
    )
    .await;
    submit(&browser, "form[action='/risk/analyses'] button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    let analysis_path = current_path(&browser).await;
    assert!(
        analysis_path.starts_with("/risk/analyses/"),
        "starting the analysis ended on {analysis_path}"
    );
    let unassessed = wait_for(&browser, "#unassessed").await.text().await.unwrap();
    assert!(
        unassessed.contains(EHR) && unassessed.contains(LAPTOP),
        "the new analysis does not list both assets as unassessed: {unassessed}"
    );

    for rating in &RATINGS {
        rate(&browser, rating).await;
    }
    assert!(
        browser.find(Locator::Css("#unassessed")).await.is_err(),
        "the analysis still lists unassessed assets after both were rated"
    );
    assert_eq!(heat_count(&browser, "moderate", "very_high").await, 1);
    assert_eq!(heat_count(&browser, "low", "high").await, 1);
    assert_eq!(
        heat_total(&browser).await,
        2,
        "the heat map counts risks outside the two rated cells"
    );

    // Rated but undecided risks need a decision before risk management can be met.
    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser, RISK_MANAGEMENT).await, "decision-needed");

    // The laptop risk is accepted, which needs a rationale and both signatures.
    open_entry(&browser, &base_url, &analysis_path, LAPTOP).await;
    find(&browser, "select[name='treatment']")
        .await
        .select_by_value("accept")
        .await
        .unwrap();
    fill(
        &browser,
        "rationale",
        "The laptop is encrypted and stays in the exam room; a cable lock costs more than the remaining risk.",
    )
    .await;
    fill(&browser, "signature", OFFICIAL_NAME).await;
    fill(&browser, "leadership_name", OWNER_NAME).await;
    fill(&browser, "leadership_title", "Owner physician").await;
    fill(&browser, "leadership_signature", OWNER_NAME).await;
    submit(&browser, "form[action$='/decision'] button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    let decision = wait_for(&browser, "#decision").await.text().await.unwrap();
    assert!(decision.contains("Accept"), "the decision does not read Accept: {decision}");
    assert!(
        decision.contains(&format!("Signed by the Security Official: {OFFICIAL_NAME}")),
        "the decision lacks the Security Official's signature: {decision}"
    );
    assert!(
        decision.contains(&format!("Approved by {OWNER_NAME}, Owner physician")),
        "the decision lacks leadership's approval: {decision}"
    );

    // One risk is still undecided, so the row stays at "decision-needed".
    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser, RISK_MANAGEMENT).await, "decision-needed");

    open_entry(&browser, &base_url, &analysis_path, EHR).await;
    find(&browser, "select[name='treatment']")
        .await
        .select_by_value("mitigate")
        .await
        .unwrap();
    find(&browser, "select[name='residual_level']")
        .await
        .select_by_value("moderate")
        .await
        .unwrap();
    fill(&browser, "signature", OFFICIAL_NAME).await;
    submit(&browser, "form[action$='/decision'] button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    let decision = wait_for(&browser, "#decision").await.text().await.unwrap();
    assert!(decision.contains("Mitigate"), "the decision does not read Mitigate: {decision}");

    // With every risk decided, the only gap of risk management is the first quarterly report
    // to leadership, which is not due yet.
    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser, RISK_MANAGEMENT).await, "missing");
    let gaps = row_text(&browser, RISK_MANAGEMENT).await;
    assert!(
        !gaps.contains("have no decision"),
        "the dashboard still reports undecided risks: {gaps}"
    );
    assert_eq!(row_status(&browser, RISK_ANALYSIS).await, "missing");

    // Finalizing the analysis records it and completes the annual review, which meets the
    // risk analysis specification.
    browser.goto(&format!("{base_url}{analysis_path}")).await.unwrap();
    submit(&browser, "form[action$='/finalize'] button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    let state = find(&browser, "#analysis-state").await.text().await.unwrap();
    assert!(state.contains("Finalized"), "the analysis is not finalized: {state}");

    browser.goto(&format!("{base_url}/risk")).await.unwrap();
    wait_for(&browser, "#analyses").await;
    assert_eq!(
        heat_total(&browser).await,
        2,
        "the overview heat map does not show the finalized risks"
    );

    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser, RISK_ANALYSIS).await, "met");
}

/// Completes setup from the setup link, which signs the Security Official in.
async fn set_up_practice(browser: &Client, base_url: &str, setup_path: &str) {
    browser.goto(&format!("{base_url}{setup_path}")).await.unwrap();
    wait_for(browser, "input[name='practice_name']").await;
    fill(browser, "practice_name", "Maple Grove Family Medicine").await;
    fill(browser, "address", "12 Elm Street, Springfield, OH 45501").await;
    fill(browser, "time_zone", "America/New_York").await;
    fill(browser, "office_hours", "Mon-Fri 08:00-17:30; Sat 08:00-12:00").await;
    fill(browser, "patient_states", "OH, KY").await;
    fill(browser, "name", OFFICIAL_NAME).await;
    fill(browser, "job_title", "Practice manager").await;
    fill(browser, "email", OFFICIAL_EMAIL).await;
    fill(browser, "password", PASSWORD).await;
    click(browser, "main form button[type='submit']").await;
    wait_for(browser, "#status-table").await;
    assert_eq!(current_path(browser).await, "/dashboard", "setup did not end on the dashboard");
}

/// Adds an asset through the inventory form and waits for its page.
async fn add_asset(browser: &Client, base_url: &str, asset: &AssetForm) {
    browser.goto(&format!("{base_url}/inventory/new")).await.unwrap();
    wait_for(browser, "form[action='/inventory']").await;
    fill(browser, "name", asset.name).await;
    select(browser, "kind", asset.kind).await;
    fill(browser, "owner", OFFICIAL_NAME).await;
    fill(browser, "location", asset.location).await;
    fill(browser, "ephi", asset.ephi).await;
    click(browser, "input[name='stores']").await;
    click(browser, "input[name='processes']").await;
    fill(browser, "record_count", "9000").await;
    select(browser, "encryption_at_rest", asset.at_rest).await;
    select(browser, "encryption_in_transit", "yes").await;
    select(browser, "sign_in", asset.sign_in).await;
    select(browser, "backup", asset.backup).await;
    select(browser, "criticality", "high").await;
    fill(browser, "vendor", asset.vendor).await;
    submit(browser, "form[action='/inventory'] button[type='submit']").await;

    wait_for(browser, "p.notice").await;
    let path = current_path(browser).await;
    assert!(path.starts_with("/inventory/"), "adding {} ended on {path}", asset.name);
    let heading = find(browser, "h1").await.text().await.unwrap();
    assert!(
        heading.contains(asset.name),
        "the asset page is headed {heading:?}, not {}",
        asset.name
    );
}

/// Rates one risk on the open analysis page and waits for the page to reload with it.
async fn rate(browser: &Client, rating: &Rating) {
    let form = "form[action$='/entries']";
    wait_for(browser, form).await;
    find(browser, &format!("{form} select[name='asset_id']"))
        .await
        .select_by_label(rating.asset)
        .await
        .unwrap_or_else(|error| panic!("the asset list has no {}: {error}", rating.asset));
    select(browser, "threat", rating.threat).await;
    fill(browser, "vulnerabilities", "Found during the walk-through.").await;
    fill(browser, "existing_controls", "Listed in the inventory.").await;
    select(browser, "likelihood", rating.likelihood).await;
    select(browser, "impact", rating.impact).await;
    click(browser, &format!("{form} button[type='submit']")).await;

    // The previous page may still show a notice and a register, so the test polls until the
    // reloaded register lists the asset; a stale element means the page is still changing.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let register = match browser.find(fantoccini::Locator::Css("#register")).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if register.contains(rating.asset) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the register does not list {} after rating it: {register}",
            rating.asset
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Opens the register entry of `asset` from the analysis page.
async fn open_entry(browser: &Client, base_url: &str, analysis_path: &str, asset: &str) {
    browser.goto(&format!("{base_url}{analysis_path}")).await.unwrap();
    wait_for(browser, "#register").await;
    browser
        .find(Locator::LinkText(asset))
        .await
        .unwrap_or_else(|error| panic!("the register has no link named {asset:?}: {error}"))
        .click()
        .await
        .unwrap();
    wait_for(browser, "form[action$='/decision']").await;
}

/// Chooses the option with `value` in the select named `name`.
async fn select(browser: &Client, name: &str, value: &str) {
    find(browser, &format!("select[name='{name}']"))
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|error| panic!("the select {name} has no option {value:?}: {error}"));
}

/// Returns the count of the heat-map cell at `likelihood` and `impact`.
async fn heat_count(browser: &Client, likelihood: &str, impact: &str) -> usize {
    let cell = wait_for(
        browser,
        &format!("figure.heat-map g[data-likelihood='{likelihood}'][data-impact='{impact}']"),
    )
    .await;
    let count = cell
        .attr("data-count")
        .await
        .unwrap()
        .expect("a heat-map cell has a data-count attribute");
    count
        .parse()
        .unwrap_or_else(|error| panic!("data-count {count:?} is not a number: {error}"))
}

/// Returns the sum of the counts of all 25 heat-map cells.
async fn heat_total(browser: &Client) -> usize {
    wait_for(browser, "figure.heat-map").await;
    let cells = browser.find_all(Locator::Css("figure.heat-map g[data-count]")).await.unwrap();
    assert_eq!(cells.len(), 25, "the heat map does not have 5×5 cells");
    let mut total = 0;
    for cell in cells {
        let count = cell.attr("data-count").await.unwrap().unwrap_or_default();
        total += count
            .parse::<usize>()
            .unwrap_or_else(|error| panic!("data-count {count:?} is not a number: {error}"));
    }
    total
}

/// Returns the `data-status` of the dashboard row of `citation`.
async fn row_status(browser: &Client, citation: &str) -> String {
    let row = wait_for(browser, &format!("#status-table tr[data-citation='{citation}']")).await;
    row.attr("data-status")
        .await
        .unwrap()
        .expect("the status row has a data-status attribute")
}

/// Returns the text of the dashboard row of `citation`, with its gaps.
async fn row_text(browser: &Client, citation: &str) -> String {
    let row = wait_for(browser, &format!("#status-table tr[data-citation='{citation}']")).await;
    row.text().await.unwrap()
}
