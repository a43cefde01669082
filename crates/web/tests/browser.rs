//! End-to-end test in headless Chromium driven through chromedriver. It proves that a real
//! browser can set a practice up from the setup link, sign out and back in, sign an Addressable
//! decision, and complete a calendar item with an uploaded evidence file. Along the way the
//! compliance dashboard row of the restore-test specification must change from
//! "decision-needed" to "missing" to "met". The browser handles the cookies, CSRF tokens,
//! security headers and multipart uploads itself, which the in-process tests cannot show.
//!
//! The test is ignored by default because it needs the Debian packages `chromium` and
//! `chromium-driver`. `SAFEGUARD_CHROMIUM` and `SAFEGUARD_CHROMEDRIVER` override the paths of
//! the two programs.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;

use common::browser::{click, connect_browser, current_path, fill, find, start_chromedriver, submit, tool_path, wait_for};
use common::{PASSWORD, TestApp};
use fantoccini::{Client, Locator};
use safeguard_store::Backend;

/// The Security Official's full name, which an Addressable decision must be signed with.
const OFFICIAL_NAME: &str = "Dana Reyes";
const OFFICIAL_EMAIL: &str = "dana@example.org";
/// The Addressable specification that the default "Quarterly backup restore test" serves.
const RESTORE_CITATION: &str = "164.308(a)(7)(ii)(D)";
const RESTORE_SLUG: &str = "164.308-a-7-ii-D";
const RESTORE_TITLE: &str = "Quarterly backup restore test";
const EVIDENCE_FILE_NAME: &str = "restore-log.txt";

#[tokio::test]
#[ignore = "needs Chromium and chromedriver (apt packages chromium, chromium-driver)"]
async fn browser_completes_restore_test() {
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

    let evidence_folder = tempfile::tempdir().unwrap();
    let evidence_path = evidence_folder.path().join(EVIDENCE_FILE_NAME);
    std::fs::write(
        &evidence_path,
        "Restored 20 patient charts from last night's backup in 14 minutes; all opened.\n",
    )
    .unwrap();

    // The steps run in their own task so that the browser session is closed even when one of
    // them panics. The panic is raised again afterwards, so the test still fails with it.
    let setup_path = app.setup_path().await;
    let flow = tokio::spawn(complete_restore_test(browser.clone(), base_url, setup_path, evidence_path));
    let outcome = flow.await;
    browser.close().await.expect("closing the browser session failed");
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }

    server.abort();
    drop(driver);
    app.finish().await;
}

/// Walks through setup, sign-out, sign-in, an Addressable decision and a calendar completion,
/// checking the dashboard row of the restore-test specification along the way.
async fn complete_restore_test(browser: Client, base_url: String, setup_path: String, evidence_path: PathBuf) {
    browser.goto(&format!("{base_url}{setup_path}")).await.unwrap();
    wait_for(&browser, "input[name='practice_name']").await;
    fill(&browser, "practice_name", "Maple Grove Family Medicine").await;
    fill(&browser, "address", "12 Elm Street, Springfield, OH 45501").await;
    fill(&browser, "time_zone", "America/New_York").await;
    fill(&browser, "office_hours", "Mon-Fri 08:00-17:30; Sat 08:00-12:00").await;
    fill(&browser, "patient_states", "OH, KY").await;
    fill(&browser, "name", OFFICIAL_NAME).await;
    fill(&browser, "job_title", "Practice manager").await;
    fill(&browser, "email", OFFICIAL_EMAIL).await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "main form button[type='submit']").await;
    wait_for(&browser, "#status-table").await;
    assert_eq!(current_path(&browser).await, "/dashboard", "setup did not end on the dashboard");

    click(&browser, "form[action='/logout'] button[type='submit']").await;
    wait_for(&browser, "form[action='/login']").await;
    assert_eq!(current_path(&browser).await, "/login", "sign-out did not end on the sign-in page");

    fill(&browser, "email", OFFICIAL_EMAIL).await;
    fill(&browser, "password", PASSWORD).await;
    click(&browser, "main form button[type='submit']").await;
    wait_for(&browser, "#status-table").await;
    assert_eq!(current_path(&browser).await, "/dashboard", "sign-in did not end on the dashboard");

    // An Addressable specification without a signed decision reads "decision-needed" whatever
    // its records, so the decision comes first.
    assert_eq!(row_status(&browser).await, "decision-needed");

    browser.goto(&format!("{base_url}/addressable/{RESTORE_SLUG}")).await.unwrap();
    find(&browser, "select[name='outcome']")
        .await
        .select_by_value("implemented")
        .await
        .unwrap();
    fill(
        &browser,
        "how",
        "Nightly encrypted backups; a sample is restored and checked every quarter.",
    )
    .await;
    fill(&browser, "signature", OFFICIAL_NAME).await;
    submit(&browser, "main form button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    assert_eq!(
        current_path(&browser).await,
        "/addressable",
        "signing the decision did not return to the list"
    );

    // With the decision signed, the only record the specification lacks is the first restore
    // test of the current quarter.
    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser).await, "missing");

    browser.goto(&format!("{base_url}/calendar")).await.unwrap();
    let item_link = browser
        .find(Locator::LinkText(RESTORE_TITLE))
        .await
        .unwrap_or_else(|error| panic!("the calendar has no link named {RESTORE_TITLE:?}: {error}"));
    item_link.click().await.unwrap();
    wait_for(&browser, "#complete-form").await;
    fill(&browser, "notes", "Restored a sample of 20 charts; all complete and readable.").await;
    // Chromedriver sets a file input from a local path sent as keys, and the browser then
    // uploads the file in the multipart body as it would for a user.
    find(&browser, "input[type='file'][name='evidence']")
        .await
        .send_keys(evidence_path.to_str().expect("the temporary path is UTF-8"))
        .await
        .unwrap();
    submit(&browser, "#complete-form button[type='submit']").await;
    wait_for(&browser, "p.notice").await;
    assert_eq!(find(&browser, "#item-state").await.text().await.unwrap(), "Completed");
    browser
        .find(Locator::LinkText(EVIDENCE_FILE_NAME))
        .await
        .unwrap_or_else(|error| panic!("the completed item does not list the evidence file {EVIDENCE_FILE_NAME}: {error}"));

    browser.goto(&format!("{base_url}/dashboard")).await.unwrap();
    assert_eq!(row_status(&browser).await, "met");
}

/// Returns the `data-status` of the restore-test specification's row on the dashboard.
async fn row_status(browser: &Client) -> String {
    let row = wait_for(browser, &format!("#status-table tr[data-citation='{RESTORE_CITATION}']")).await;
    row.attr("data-status")
        .await
        .unwrap()
        .expect("the status row has a data-status attribute")
}
