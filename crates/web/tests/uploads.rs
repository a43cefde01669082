//! In-process HTTP tests of multipart uploads: size limits through the CSRF check, and the
//! download of an uploaded activity-review log as evidence. Each runs on a fresh SQLite database
//! and, with `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on PostgreSQL.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::{TestApp, review_id};
use safeguard_store::Backend;

/// One syslog line; repeated, it makes a log of any size.
const LINE: &str = "Nov 10 14:00:01 web1 sshd[2001]: Accepted password for root from 203.0.113.9 port 50000 ssh2\n";

/// An upload larger than axum's default 2 MB body limit, but within the configured upload
/// limit, passes the CSRF check and starts a review. Its log then downloads as evidence.
async fn large_upload_is_accepted_body(app: &TestApp) {
    let mut official = app.set_up().await;
    let list = official.get("/activity-review/reviews").await;
    let token = list.csrf();
    let log = LINE.repeat(3 * 1024 * 1024 / LINE.len() + 1);
    assert!(log.len() > 3 * 1024 * 1024);
    let fields = [
        ("csrf_token", token.as_str()),
        ("period_from", "2026-11-01"),
        ("period_to", "2026-11-30"),
        ("format", ""),
    ];

    let uploaded = official
        .post_multipart("/activity-review/reviews", &fields, &[("logs", "auth.log", log.as_bytes())])
        .await;

    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let id = review_id(uploaded.location());
    let review = app.store.activity_review(id).await.unwrap();
    let link = format!("/evidence/{}", review.sources[0].sha256);
    let page = official.get(uploaded.location()).await;
    assert!(page.body.contains(&link), "the review page links its log");

    let download = official.get(&link).await;

    assert_eq!(download.status, StatusCode::OK, "{}", download.body);
    assert_eq!(download.body.len(), log.len());
    let disposition = download.headers.get("content-disposition").and_then(|value| value.to_str().ok());
    assert_eq!(disposition, Some("attachment; filename=\"auth.log\""));
}

on_both!(large_upload_is_accepted, large_upload_is_accepted_body);
