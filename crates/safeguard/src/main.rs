//! The `safeguard` binary: serve the application, run the demo, print the configuration,
//! verify the evidence ledger, and review activity logs.
//!
//! Exit codes: 0 on success, 1 when `verify` finds a ledger entry that does not match, 2 on
//! any error (bad configuration, unreachable database, unreadable input). Findings of a log
//! review are not errors.

mod demo;
mod review_cmd;
mod server;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::{LogFolderArgs, ServerArgs, Settings};

/// Safeguard: a self-hosted HIPAA security program manager for small medical practices.
#[derive(Debug, Parser)]
#[command(name = "safeguard", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the application; with an empty database, print a one-time setup link.
    Serve(ServerArgs),
    /// Serve a fresh temporary database holding a realistic demo practice, and print one
    /// sign-in per role.
    Demo {
        /// Address and port to listen on
        #[arg(long, value_name = "ADDR:PORT", default_value = settings::DEFAULT_LISTEN)]
        listen: String,
        #[command(flatten)]
        log_folders: LogFolderArgs,
    },
    /// Print the effective configuration, with secrets hidden.
    Config(ServerArgs),
    /// Check the evidence ledger's hash chain; exits 1 naming the first entry that does not match.
    Verify {
        /// Data folder whose SQLite database to check [default: ./safeguard-data]
        #[arg(long, value_name = "DIR", conflicts_with = "database_url")]
        data_dir: Option<std::path::PathBuf>,
        /// Database URL to check instead of a data folder
        #[arg(long, value_name = "URL", env = "SAFEGUARD_DATABASE_URL", hide_env_values = true)]
        database_url: Option<String>,
    },
    /// Review activity logs against the rules and the workforce roster, without a server.
    Review(review_cmd::ReviewArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    settings::warn_unknown_variables();
    let default_filter = match cli.command {
        Command::Review(_) => REVIEW_LOG_FILTER,
        _ => SERVER_LOG_FILTER,
    };
    init_logging(default_filter);

    let outcome = match cli.command {
        Command::Review(args) => review_cmd::run_with_database_roster(args, server::load_database_roster),
        Command::Config(args) => Settings::resolve(&args).map(|settings| {
            print!("{}", settings.describe());
            ExitCode::SUCCESS
        }),
        command => tokio_main(command),
    };

    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("safeguard: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn tokio_main(command: Command) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match command {
            Command::Serve(args) => server::serve(Settings::resolve(&args)?).await.map(|()| ExitCode::SUCCESS),
            Command::Demo { listen, log_folders } => {
                // The demo has no configuration file, so only the flag or variable names folders.
                let review_log_folders = log_folders.resolve(None)?;
                server::demo(&listen, review_log_folders).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Verify { data_dir, database_url } => server::verify(data_dir, database_url).await,
            Command::Review(_) | Command::Config(_) => unreachable!("handled without a runtime"),
        }
    })
}

/// The log filter of the server commands without `SAFEGUARD_LOG`: `info`, with sqlx's per-query
/// logs off.
const SERVER_LOG_FILTER: &str = "info,sqlx=warn";

/// The log filter of `review` without `SAFEGUARD_LOG`: warnings only from other crates, because
/// the evtx crate logs every chunk it reads at INFO. A directive's target matches as a prefix,
/// so `safeguard` covers every `safeguard_*` crate.
const REVIEW_LOG_FILTER: &str = "warn,safeguard=info";

/// Logs to standard error: readable text by default, JSON with `SAFEGUARD_LOG_FORMAT=json`;
/// `SAFEGUARD_LOG` sets the filter, and `default_filter` applies without it.
fn init_logging(default_filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("SAFEGUARD_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);

    if std::env::var("SAFEGUARD_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
