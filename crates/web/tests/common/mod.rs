//! The black-box test harness: a fresh database per test, the real router called in process,
//! and a small cookie-aware client that does not follow redirects.

#![allow(dead_code)] // Each test file uses a different part of the harness.

/// Defines a test module `$name` that runs `$body` on a fresh SQLite database and, ignored
/// unless `SAFEGUARD_TEST_POSTGRES_URL` is set and ignored tests are included, on PostgreSQL.
#[allow(unused_macros)] // The browser tests share this module without using the macro.
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                ($body)(&app).await;
                app.finish().await;
            }

            #[tokio::test]
            #[ignore = "needs PostgreSQL: set SAFEGUARD_TEST_POSTGRES_URL"]
            async fn postgres() {
                let app = TestApp::spawn(Backend::Postgres).await;
                ($body)(&app).await;
                app.finish().await;
            }
        }
    };
}

pub mod browser;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use safeguard_domain::accounts::Role;
use safeguard_domain::clock::FixedClock;
use safeguard_domain::ids::ActivityReviewId;
use safeguard_store::activity_reviews::{ActivityReview, ReviewState};
use safeguard_store::evidence::EvidenceFiles;
use safeguard_store::testing::TestDatabase;
use safeguard_store::{Backend, Store};
use safeguard_web::auth::{new_token, token_hash};
use safeguard_web::{AppState, WebConfig};
use tower::ServiceExt;

/// The password of every account the harness creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// The instant every test starts at: a Friday afternoon in the practice's zone.
pub fn start() -> Timestamp {
    "2026-12-04T15:00:00Z".parse().unwrap()
}

/// A running application over a fresh database.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub store: Store,
    pub clock: FixedClock,
    database: Option<TestDatabase>,
}

/// A response read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    /// Returns the `Location` header of a redirect.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// Returns the value of the first `name="csrf_token"` field on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .map(|index| index + marker.len())
            .expect("page has a CSRF field");
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A browser-like client: keeps cookies, never follows redirects.
pub struct Client<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
}

impl TestApp {
    /// Starts the application on a fresh database of `backend`.
    pub async fn spawn(backend: Backend) -> Self {
        let database = TestDatabase::create(backend, start()).await;
        let files = EvidenceFiles::open(&database.folder.path().join("evidence")).unwrap();
        let state = AppState {
            store: database.store.clone(),
            files,
            clock: Arc::new(database.clock.clone()),
            config: Arc::new(WebConfig::default()),
        };

        Self {
            router: safeguard_web::router(state.clone()),
            store: database.store.clone(),
            clock: database.clock.clone(),
            state,
            database: Some(database),
        }
    }

    /// Returns an application over the same database with `config`, such as one that allows
    /// log folders. This application keeps the database and removes it in [`TestApp::finish`].
    pub fn with_config(&self, config: WebConfig) -> TestApp {
        let state = AppState {
            config: Arc::new(config),
            ..self.state.clone()
        };
        TestApp {
            router: safeguard_web::router(state.clone()),
            store: self.store.clone(),
            clock: self.clock.clone(),
            state,
            database: None,
        }
    }

    /// Removes the database.
    pub async fn finish(mut self) {
        if let Some(database) = self.database.take() {
            database.remove().await;
        }
    }

    /// Returns a fresh client with no cookies.
    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: HashMap::new(),
        }
    }

    /// Issues a setup token and returns the setup path.
    pub async fn setup_path(&self) -> String {
        let token = new_token();
        assert!(self.store.issue_setup_token(&token_hash(&token)).await.unwrap());
        format!("/setup/{token}")
    }

    /// Sets the practice up through the setup page and returns the Security Official's client.
    pub async fn set_up(&self) -> Client<'_> {
        let path = self.setup_path().await;
        let mut client = self.client();
        let form = client.get(&path).await;
        let page = client
            .post_form(
                &path,
                &[
                    ("csrf_token", &form.csrf()),
                    ("practice_name", "Maple Grove Family Medicine"),
                    ("address", "12 Elm Street, Springfield, OH 45501"),
                    ("time_zone", "America/New_York"),
                    ("office_hours", "Mon-Fri 08:00-17:30; Sat 08:00-12:00"),
                    ("patient_states", "OH, KY"),
                    ("name", "Dana Reyes"),
                    ("job_title", "Practice manager"),
                    ("email", "dana@example.org"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "setup failed: {}", page.body);
        client
    }

    /// Creates an account of `role` through an invitation and returns its signed-in client.
    pub async fn client_with_role<'a>(&'a self, official: &mut Client<'a>, role: Role) -> Client<'a> {
        if role == Role::SecurityOfficial {
            let mut client = self.client();
            client.sign_in("dana@example.org", PASSWORD).await;
            return client;
        }
        let accounts = official.get("/accounts").await;
        let email = format!("{}@example.org", role.code());
        let page = official
            .post_form(
                "/accounts/invitations",
                &[
                    ("csrf_token", &accounts.csrf()),
                    ("email", &email),
                    ("display_name", role.label()),
                    ("role", role.code()),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let link = page
            .body
            .split("id=\"invitation-link\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned();
        let path = link
            .split_once("://")
            .unwrap()
            .1
            .split_once('/')
            .map(|(_, rest)| format!("/{rest}"))
            .unwrap();

        let mut client = self.client();
        let form = client.get(&path).await;
        let accepted = client
            .post_form(
                &path,
                &[("csrf_token", &form.csrf()), ("password", PASSWORD), ("password_again", PASSWORD)],
            )
            .await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
        client
    }
}

impl Client<'_> {
    /// Sends a request and keeps the cookies it sets.
    pub async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        for value in response.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }

        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let cookie = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let builder = Request::builder().method(method).uri(path).header(header::HOST, "localhost");
        if cookie.is_empty() {
            builder
        } else {
            builder.header(header::COOKIE, cookie)
        }
    }

    /// Sends a GET.
    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// Sends a URL-encoded form.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Sends a multipart form; `files` are (field, file name, content).
    pub async fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Page {
        let boundary = "----safeguard-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (name, file_name, content) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());

        let request = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// Signs in through the form and asserts it worked.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let form = self.get("/login").await;
        let page = self
            .post_form("/login", &[("csrf_token", &form.csrf()), ("email", email), ("password", password)])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "sign-in failed: {}", page.body);
    }

    /// Returns a cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }
}

/// Returns the id at the end of a review page's path.
pub fn review_id(location: &str) -> ActivityReviewId {
    let id = location.rsplit('/').next().unwrap_or_default();
    id.parse().unwrap_or_else(|_| panic!("no review id in {location:?}"))
}

/// Polls the store until the review's job is over, failing after ten seconds.
pub async fn wait_for_job(app: &TestApp, id: ActivityReviewId) -> ActivityReview {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let review = app.store.activity_review(id).await.unwrap();
        if !matches!(review.state, ReviewState::Queued | ReviewState::Running) {
            return review;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the review job did not finish within ten seconds"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
