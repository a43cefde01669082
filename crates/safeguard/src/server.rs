//! Starting the server, the demo and the ledger check, with startup errors that name the fix.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use safeguard_domain::accounts::Role;
use safeguard_domain::clock::{Clock, SystemClock};
use safeguard_domain::ledger::verify_chain;
use safeguard_review::roster::Roster;
use safeguard_store::evidence::EvidenceFiles;
use safeguard_store::{Backend, DatabaseUrl, Store, StoreError};
use safeguard_web::auth::{hash_password, new_token, token_hash};
use safeguard_web::{AppState, WebConfig};
use secrecy::SecretString;

use crate::demo::{DemoAccount, seed};
use crate::settings::Settings;

/// How often the background jobs run.
const JOB_INTERVAL: Duration = Duration::from_secs(15 * 60);

/// Runs the server until Ctrl-C.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    prepare_data_dir(&settings.data_dir)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(&settings.database_url, clock.clone()).await?;
    let files = EvidenceFiles::open(&settings.data_dir.join("evidence"))
        .with_context(|| format!("cannot create the evidence folder in {}", settings.data_dir.display()))?;
    let listener = bind(settings.listen).await?;

    if store.practice().await?.is_none() {
        let token = new_token();
        store.issue_setup_token(&token_hash(&token)).await?;
        println!(
            "No practice is set up yet. Open this link once to set it up:\n  http://{}/setup/{token}",
            settings.listen
        );
    }
    println!("Safeguard is listening on http://{}", settings.listen);

    let state = AppState {
        store,
        files,
        clock,
        config: Arc::new(WebConfig {
            secure_cookies: settings.secure_cookies,
            review_log_folders: settings.review_log_folders,
            ..WebConfig::default()
        }),
    };
    run(state, listener).await
}

/// Serves a fresh temporary database seeded with the demo practice, letting activity reviews
/// read the log files of `review_log_folders`.
pub async fn demo(listen: &str, review_log_folders: Vec<PathBuf>) -> anyhow::Result<()> {
    let address: SocketAddr = listen
        .parse()
        .with_context(|| format!("invalid listen address {listen:?}: use ADDR:PORT such as 127.0.0.1:8080"))?;
    let listener = bind(address).await?;
    // With port 0 the system picks a free port, and the sign-in link must show that one.
    let address = listener.local_addr().unwrap_or(address);
    let folder = tempfile::Builder::new()
        .prefix("safeguard-demo-")
        .tempdir()
        .context("cannot create a temporary folder for the demo")?;
    let url = DatabaseUrl::sqlite_file(&folder.path().join("safeguard.db"));
    let evidence = folder.path().join("evidence");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let people = [
        (Role::SecurityOfficial, "dana.reyes@maplegrove-fm.example", "Dana Reyes"),
        (Role::Manager, "marcus.bell@maplegrove-fm.example", "Marcus Bell"),
        (Role::Staff, "priya.shah@maplegrove-fm.example", "Priya Shah"),
        (Role::Auditor, "auditor@compliance-review.example", "Olivia Grant"),
    ];
    let mut accounts = Vec::new();
    let mut sign_ins = Vec::new();
    for (role, email, name) in people {
        let password = readable_password();
        let password_hash = hash_password(SecretString::from(password.clone()))
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        accounts.push(DemoAccount {
            role,
            email: email.to_owned(),
            name: name.to_owned(),
            password_hash,
        });
        sign_ins.push(format!("{}: {email} / {password}", role.label()));
    }
    seed(&url, &evidence, &accounts, clock.now())
        .await
        .context("cannot seed the demo practice")?;

    let store = open_store(&url, clock.clone()).await?;
    let files = EvidenceFiles::open(&evidence)?;
    println!("Safeguard demo: Maple Grove Family Medicine, a fictional 12-person practice with a year of history.");
    println!("Sign in at http://{address}/login as one of:");
    for line in &sign_ins {
        println!("  {line}");
    }
    if !review_log_folders.is_empty() {
        let names: Vec<String> = review_log_folders.iter().map(|folder| folder.display().to_string()).collect();
        println!("Activity reviews may read the log files in: {}", names.join(", "));
    }
    println!("The demo database is temporary and is deleted when you stop the server (Ctrl-C).");

    let state = AppState {
        store,
        files,
        clock,
        config: Arc::new(WebConfig {
            review_log_folders,
            ..WebConfig::default()
        }),
    };
    let outcome = run(state, listener).await;
    drop(folder);
    outcome
}

async fn run(state: AppState, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    if let Err(error) = safeguard_web::jobs::advance_calendar(&state).await {
        tracing::error!(error = %safeguard_web::error::error_chain(&error), "first calendar run failed; retrying on schedule");
    }
    tokio::spawn(safeguard_web::jobs::run_forever(state.clone(), JOB_INTERVAL));

    let app = safeguard_web::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await
        .context("the server stopped with an error")
}

/// Checks the ledger of a data folder's SQLite database or of a database URL.
pub async fn verify(data_dir: Option<PathBuf>, database_url: Option<String>) -> anyhow::Result<ExitCode> {
    let url = match database_url {
        Some(url) => DatabaseUrl::parse(&url)?,
        None => {
            let folder = data_dir.unwrap_or_else(|| PathBuf::from(crate::settings::DEFAULT_DATA_DIR));
            let file = folder.join("safeguard.db");
            if !file.exists() {
                bail!(
                    "no Safeguard database at {}; pass --data-dir with the folder that `safeguard serve` uses",
                    file.display()
                );
            }
            DatabaseUrl::sqlite_file(&file)
        }
    };
    let store = open_store(&url, Arc::new(SystemClock)).await?;

    let entries = store.ledger_entries().await?;
    match verify_chain(entries) {
        Ok(count) => {
            println!("ledger verified: {count} entries, every hash matches");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("ledger does not verify: {error}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Loads the workforce roster of a Safeguard database for `safeguard review --database-url`.
pub fn load_database_roster(url: &str) -> anyhow::Result<Roster> {
    let url = DatabaseUrl::parse(url)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    let people = runtime.block_on(async {
        let store = open_store(&url, Arc::new(SystemClock)).await?;
        let people = store.people().await?;
        store.close().await;
        anyhow::Ok(people)
    })?;

    Ok(safeguard_web::review_roster::from_people(people))
}

fn prepare_data_dir(folder: &std::path::Path) -> anyhow::Result<()> {
    let fix = || format!("choose another with --data-dir or fix its permissions: {}", folder.display());
    std::fs::create_dir_all(folder).with_context(|| format!("cannot create the data folder; {}", fix()))?;

    // The folder holds the database and evidence files, so only the account running Safeguard
    // may read it, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict access to the data folder; {}", fix()))?;
    }

    let probe = folder.join(".write-check");
    std::fs::write(&probe, b"ok").with_context(|| format!("cannot write to the data folder; {}", fix()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

async fn open_store(url: &DatabaseUrl, clock: Arc<dyn Clock>) -> anyhow::Result<Store> {
    match Store::open(url, clock).await {
        Ok(store) => Ok(store),
        Err(error @ StoreError::Connect(_)) => {
            let hint = match url.backend() {
                Backend::Sqlite => "check that the folder exists and is writable",
                Backend::Postgres => {
                    "check that PostgreSQL is running, the database exists, and the user and password in the URL are right"
                }
            };
            Err(anyhow::Error::new(error).context(format!("cannot open the database {}; {hint}", url.redacted())))
        }
        Err(error) => Err(anyhow::Error::new(error).context(format!("cannot prepare the database {}", url.redacted()))),
    }
}

async fn bind(address: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => Ok(listener),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            bail!(
                "port {} on {} is already in use; stop the other program or choose another port, for example --listen {}:{}",
                address.port(),
                address.ip(),
                address.ip(),
                address.port().wrapping_add(1)
            )
        }
        Err(error) => Err(error).with_context(|| format!("cannot listen on {address}")),
    }
}

/// Creates a random demo password: four groups of five lowercase letters and digits without
/// look-alikes, easy to type from the terminal, about 98 bits of entropy.
fn readable_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..4)
        .map(|_| {
            (0..5)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}
