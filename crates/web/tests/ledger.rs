//! In-process HTTP tests of the evidence ledger page, each on a fresh SQLite database and, with
//! `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on PostgreSQL.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::TestApp;
use safeguard_domain::accounts::Role;
use safeguard_store::Backend;
use safeguard_store::ledger::{Actor, Change};

/// Appends `count` entries that change no other row, so the ledger spans several pages.
async fn append_events(app: &TestApp, count: usize) {
    for index in 0..count {
        let change = Change {
            action: "calendar.advanced",
            record_kind: "calendar",
            record_id: format!("test-{index}"),
            payload: serde_json::json!({ "index": index }),
        };
        app.store.record_event(&Actor::System, change).await.unwrap();
    }
}

/// Returns the sequence numbers of the rows of a ledger page, in page order.
fn sequences(body: &str) -> Vec<i64> {
    body.split("<tr data-sequence=\"")
        .skip(1)
        .map(|row| row.split('"').next().unwrap().parse().unwrap())
        .collect()
}

/// Returns the target of the link with `label`, if the page has one.
fn link_to(body: &str, label: &str) -> Option<String> {
    let end = body.find(&format!("\">{label}</a>"))?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].to_owned())
}

async fn auditor_walks_to_first_entry_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    append_events(app, 120).await;
    let total = app.store.ledger_entries().await.unwrap().len() as i64;

    let mut seen = Vec::new();
    let mut page = auditor.get("/ledger").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(link_to(&page.body, "Newer entries"), None, "the first page is the newest");
    let mut pages = 1;
    loop {
        let rows = sequences(&page.body);
        assert!(!rows.is_empty(), "every page on the way has entries");
        assert!(rows.len() <= 50, "a page has at most 50 entries, got {}", rows.len());
        seen.extend(rows);
        let Some(older) = link_to(&page.body, "Older entries") else { break };
        assert!(older.starts_with("/ledger?before="), "{older}");
        page = auditor.get(&older).await;
        assert_eq!(page.status, StatusCode::OK);
        pages += 1;
    }

    let expected: Vec<i64> = (1..=total).rev().collect();
    assert_eq!(seen, expected, "walking older pages shows every entry once, newest first");
    assert!(pages >= 3, "{total} entries need several pages");

    // Walking back with the newer links ends on the newest entry.
    while let Some(newer) = link_to(&page.body, "Newer entries") {
        assert!(newer.starts_with("/ledger?after="), "{newer}");
        page = auditor.get(&newer).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    assert_eq!(sequences(&page.body).first(), Some(&total));
}
on_both!(auditor_walks_to_first_entry, auditor_walks_to_first_entry_body);

async fn bad_page_parameter_rejected_body(app: &TestApp) {
    let mut official = app.set_up().await;

    for (path, parameter) in [
        ("/ledger?before=abc", "before"),
        ("/ledger?before=", "before"),
        ("/ledger?after=-3", "after"),
        ("/ledger?after=1.5", "after"),
        ("/ledger?before=5&after=2", "before"),
    ] {
        let page = official.get(path).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            page.body.contains(&format!("{parameter}:")),
            "{path} names {parameter}: {}",
            page.body
        );
    }

    let past_the_start = official.get("/ledger?before=1").await;
    assert_eq!(past_the_start.status, StatusCode::OK);
    assert!(past_the_start.body.contains("No entries on this page."));
    assert_eq!(link_to(&past_the_start.body, "Newer entries").as_deref(), Some("/ledger?after=0"));
}
on_both!(bad_page_parameter_rejected, bad_page_parameter_rejected_body);

async fn entries_read_in_plain_words_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let mut auditor = app.client_with_role(&mut official, Role::Auditor).await;
    let token = official.get("/risk").await.csrf();
    let started = official
        .post_form(
            "/risk/analyses",
            &[
                ("csrf_token", &token),
                ("title", "Risk analysis 2026"),
                ("analysis_date", "2026-12-04"),
                ("scope", "Every system that holds ePHI"),
                ("method", "NIST SP 800-30 Rev. 1"),
                ("participants", "Dana Reyes"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let analysis = started.location().split('?').next().unwrap().to_owned();
    let analysis_id = analysis.rsplit('/').next().unwrap().to_owned();

    let body = auditor.get("/ledger").await.body;
    let stored = app.store.ledger_page(safeguard_store::ledger::PageStart::Newest, 1).await.unwrap();
    let newest = &stored.entries[0];
    let row = body
        .split(&format!("<tr data-sequence=\"{}\">", newest.entry.sequence))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();

    assert!(row.contains("Risk analysis started"), "{row}");
    assert!(row.contains("Dana Reyes"), "the actor's display name: {row}");
    assert!(row.contains(&format!("<a href=\"{analysis}\">risk analysis</a>")), "{row}");
    assert!(row.contains(&format!("<span class=\"mono hint\">{analysis_id}</span>")), "{row}");
    // The test clock starts at 15:00 UTC, which is 10:00 in New York in December.
    assert!(row.contains("2026-12-04 10:00"), "{row}");
    assert!(row.contains(&format!("title=\"{}\"", newest.hash)), "{row}");
    assert!(row.contains(&format!(">{}</abbr>", &newest.hash[..12])), "{row}");
    assert!(body.contains("Recorded (America/New_York)"));
}
on_both!(entries_read_in_plain_words, entries_read_in_plain_words_body);
