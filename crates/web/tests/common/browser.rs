//! Helpers shared by the browser tests: finding Chromium and chromedriver, starting the
//! driver, opening a headless session, and waiting for and filling in page elements.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The maximum time to wait for chromedriver to listen or for a page to show an element.
pub const WAIT: Duration = Duration::from_secs(30);
const INSTALL_HINT: &str = "install the Debian packages chromium and chromium-driver, or set SAFEGUARD_CHROMIUM and \
                            SAFEGUARD_CHROMEDRIVER to the paths of the browser and the driver";

/// Returns the path of a required program from `variable`, or `default`, and fails with the
/// install instructions when it does not exist.
pub fn tool_path(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} does not exist (read from {variable} or its default); {INSTALL_HINT}",
        path.display()
    );
    path
}

/// A running chromedriver, killed when dropped so that a failing test leaves no process behind.
pub struct Chromedriver {
    child: Child,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver on a free local port and waits until the port accepts connections.
pub async fn start_chromedriver(path: &Path) -> (Chromedriver, u16) {
    // The operating system picks a free port, which is released for chromedriver right away.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|error| panic!("failed to start {}: {error}; {INSTALL_HINT}", path.display()));
    let mut driver = Chromedriver { child };

    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if let Some(status) = driver.child.try_wait().unwrap() {
            panic!("chromedriver exited with {status} before listening on port {port}");
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (driver, port)
}

/// Opens a headless Chromium session with a fresh profile in `profile`.
pub async fn connect_browser(driver_port: u16, chromium: &Path, profile: &Path) -> Client {
    // The switches turn off Chromium's background traffic (component updates, sync, QUIC) and
    // let it run as root in a container with a small /dev/shm.
    let arguments = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": chromium.display().to_string(), "args": arguments }),
    );

    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await
        .unwrap_or_else(|error| panic!("failed to open a Chromium session through chromedriver: {error}; {INSTALL_HINT}"))
}

/// Waits for an element matching `selector`, failing with the page's URL and text when it
/// does not appear.
pub async fn wait_for(browser: &Client, selector: &str) -> Element {
    match browser.wait().at_most(WAIT).for_element(Locator::Css(selector)).await {
        Ok(element) => element,
        Err(error) => {
            let url = browser.current_url().await.map(|url| url.to_string()).unwrap_or_default();
            let text = match browser.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("{selector} did not appear within {WAIT:?} ({error}) on {url}, which reads:\n{text}");
        }
    }
}

/// Finds an element on the current page, failing with the selector when it is missing.
pub async fn find(browser: &Client, selector: &str) -> Element {
    browser
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|error| panic!("{selector} is not on the page: {error}"))
}

/// Replaces the value of the form field `name` by typing `value`, as a user would.
pub async fn fill(browser: &Client, name: &str, value: &str) {
    let field = find(browser, &format!("[name='{name}']")).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub async fn click(browser: &Client, selector: &str) {
    find(browser, selector).await.click().await.unwrap();
}

/// Clicks a submit button and waits until the browser has left the page, so that later waits
/// cannot match elements of the page the form was on.
pub async fn submit(browser: &Client, selector: &str) {
    let old_page = find(browser, "html").await;
    click(browser, selector).await;

    let deadline = std::time::Instant::now() + WAIT;
    while old_page.tag_name().await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the page did not change within {WAIT:?} after clicking {selector}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub async fn current_path(browser: &Client) -> String {
    browser.current_url().await.unwrap().path().to_owned()
}
