//! The effective configuration: defaults, then an optional TOML file, then `SAFEGUARD_*`
//! environment variables, then flags.
//!
//! Flags and environment variables are read by clap (a flag wins over its variable); the TOML
//! file fills what neither gave. Unknown keys in the file are refused so a typo is not silently
//! ignored, and unknown `SAFEGUARD_*` variables get a warning.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use safeguard_store::DatabaseUrl;
use serde::Deserialize;

/// The default data folder, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "safeguard-data";
/// The default listen address: loopback only, so nothing is exposed until the operator chooses.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Flags shared by `serve` and `config`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// Folder for the SQLite database and evidence files [default: ./safeguard-data]
    #[arg(long, env = "SAFEGUARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Address and port to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "SAFEGUARD_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Database URL: sqlite://PATH or postgres://USER@HOST/DATABASE [default: SQLite in the data folder]
    #[arg(long, env = "SAFEGUARD_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Mark cookies Secure; set this when users reach Safeguard over HTTPS through a proxy
    #[arg(long, env = "SAFEGUARD_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,

    /// TOML file with any of: data_dir, listen, database_url, secure_cookies
    #[arg(long, env = "SAFEGUARD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    secure_cookies: Option<bool>,
}

/// The validated configuration of a server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data folder.
    pub data_dir: PathBuf,
    /// The listen address.
    pub listen: SocketAddr,
    /// The database.
    pub database_url: DatabaseUrl,
    /// Whether cookies are marked Secure.
    pub secure_cookies: bool,
    /// The TOML file read, if any.
    pub config_file: Option<PathBuf>,
}

const KNOWN_VARIABLES: [&str; 10] = [
    "SAFEGUARD_DATA_DIR",
    "SAFEGUARD_LISTEN",
    "SAFEGUARD_DATABASE_URL",
    "SAFEGUARD_SECURE_COOKIES",
    "SAFEGUARD_CONFIG",
    "SAFEGUARD_LOG",
    "SAFEGUARD_LOG_FORMAT",
    "SAFEGUARD_TEST_POSTGRES_URL",
    "SAFEGUARD_CORPUS_DIR",
    "SAFEGUARD_TEST_KEEP_DATABASE",
];

impl Settings {
    /// Resolves the layers into one validated configuration.
    pub fn resolve(args: &ServerArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };

        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let listen_text = args.listen.clone().or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("invalid listen address {listen_text:?}: use ADDR:PORT such as 127.0.0.1:8080"))?;
        let database_url = match args.database_url.clone().or(file.database_url) {
            Some(url) => DatabaseUrl::parse(&url)?,
            None => DatabaseUrl::sqlite_file(&data_dir.join("safeguard.db")),
        };

        Ok(Self {
            data_dir,
            listen,
            database_url,
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            config_file: args.config.clone(),
        })
    }

    /// Describes the settings as TOML-like lines, with the database password hidden.
    pub fn describe(&self) -> String {
        format!(
            "config_file = {}\ndata_dir = {:?}\nlisten = \"{}\"\ndatabase_url = \"{}\"\nsecure_cookies = {}\n",
            self.config_file
                .as_ref()
                .map_or_else(|| "none".to_owned(), |path| format!("{:?}", path.display().to_string())),
            self.data_dir.display().to_string(),
            self.listen,
            self.database_url.redacted(),
            self.secure_cookies
        )
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    match toml::from_str(&text) {
        Ok(settings) => Ok(settings),
        Err(error) => bail!(
            "invalid configuration file {}: {error}known keys are data_dir, listen, database_url and secure_cookies",
            path.display()
        ),
    }
}

/// Warns about `SAFEGUARD_*` environment variables that nothing reads, which are usually typos.
pub fn warn_unknown_variables() {
    for (name, _) in std::env::vars_os().filter_map(|(name, value)| name.into_string().ok().map(|name| (name, value))) {
        if name.starts_with("SAFEGUARD_") && !KNOWN_VARIABLES.contains(&name.as_str()) {
            eprintln!(
                "safeguard: warning: unknown environment variable {name} is ignored; known ones are {}",
                KNOWN_VARIABLES[..5].join(", ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServerArgs {
        ServerArgs {
            data_dir: None,
            listen: None,
            database_url: None,
            secure_cookies: None,
            config: None,
        }
    }

    #[test]
    fn defaults_bind_loopback_with_sqlite() {
        let settings = Settings::resolve(&args()).unwrap();

        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.data_dir, PathBuf::from("safeguard-data"));
        assert!(settings.database_url.redacted().starts_with("sqlite://safeguard-data/safeguard.db"));
    }

    #[test]
    fn flags_win_over_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("safeguard.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/sg\"\n").unwrap();
        let given = ServerArgs {
            listen: Some("127.0.0.1:7000".into()),
            config: Some(path),
            ..args()
        };

        let settings = Settings::resolve(&given).unwrap();

        assert_eq!(settings.listen.port(), 7000);
        assert_eq!(settings.data_dir, PathBuf::from("/srv/sg"));
    }

    #[test]
    fn unknown_file_key_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("safeguard.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();

        let error = Settings::resolve(&ServerArgs {
            config: Some(path),
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("lisen"), "{error:#}");
    }

    #[test]
    fn postgres_password_is_redacted() {
        let settings = Settings::resolve(&ServerArgs {
            database_url: Some("postgres://sg:hunter2@db.internal/sg".into()),
            ..args()
        })
        .unwrap();

        assert!(!settings.describe().contains("hunter2"));
        assert!(settings.describe().contains("postgres://sg:***@db.internal/sg"));
    }

    #[test]
    fn password_query_parameter_is_redacted() {
        let settings = Settings::resolve(&ServerArgs {
            database_url: Some("postgres://sg:s3cr3t@h/db?sslmode=disable&password=other".into()),
            ..args()
        })
        .unwrap();

        assert!(!settings.describe().contains("s3cr3t"));
        assert!(!settings.describe().contains("other"));
        assert!(settings.describe().contains("sslmode=disable&password=***"));
    }

    #[test]
    fn unknown_database_scheme_names_the_fix() {
        let error = Settings::resolve(&ServerArgs {
            database_url: Some("mysql://localhost/sg".into()),
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("sqlite://"));
    }
}
