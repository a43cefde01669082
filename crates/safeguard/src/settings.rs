//! The effective configuration: defaults, then an optional TOML file, then `SAFEGUARD_*`
//! environment variables, then flags.
//!
//! Flags and environment variables are read by clap (a flag wins over its variable); the TOML
//! file fills what neither gave. Unknown keys in the file are refused so a typo is not silently
//! ignored, and unknown `SAFEGUARD_*` variables get a warning.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

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

    #[command(flatten)]
    pub log_folders: LogFolderArgs,

    /// TOML file with any of: data_dir, listen, database_url, secure_cookies, and log_folders in a [review] table
    #[arg(long, env = "SAFEGUARD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The `--review-log-folders` flag and its variable, shared by `serve`, `config` and `demo`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LogFolderArgs {
    /// Folders on the server whose log files an activity review may read in place, as absolute
    /// paths. Repeat the flag or separate the paths with ':' [default: none]
    #[arg(long, env = "SAFEGUARD_REVIEW_LOG_FOLDERS", value_name = "DIR", value_delimiter = ':', value_parser = parse_folder)]
    pub review_log_folders: Option<Vec<PathBuf>>,
}

impl LogFolderArgs {
    /// Resolves the folders of the flag or variable, or else `from_file`, dropping empty entries,
    /// and checks each with [`validate_log_folders`].
    pub fn resolve(&self, from_file: Option<Vec<PathBuf>>) -> anyhow::Result<Vec<PathBuf>> {
        let folders: Vec<PathBuf> = self
            .review_log_folders
            .clone()
            .or(from_file)
            .unwrap_or_default()
            .into_iter()
            .filter(|folder| !folder.as_os_str().is_empty())
            .collect();
        validate_log_folders(&folders)?;
        Ok(folders)
    }
}

/// Reads one log folder of the flag or variable. Clap's own path parser rejects an empty value,
/// but this one keeps it as an empty path that [`LogFolderArgs::resolve`] drops. So an empty
/// `SAFEGUARD_REVIEW_LOG_FOLDERS` means no folder, and a doubled `:` is harmless.
fn parse_folder(text: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(text))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    database_url: Option<String>,
    secure_cookies: Option<bool>,
    review: Option<ReviewFileSettings>,
}

/// The `[review]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewFileSettings {
    log_folders: Option<Vec<PathBuf>>,
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
    /// The folders whose log files an activity review may read in place: absolute paths of
    /// existing folders, none of them the file system root.
    pub review_log_folders: Vec<PathBuf>,
    /// The TOML file read, if any.
    pub config_file: Option<PathBuf>,
}

/// The variables `safeguard` reads; the first [`SETTING_VARIABLES`] are the server settings.
const KNOWN_VARIABLES: [&str; 11] = [
    "SAFEGUARD_DATA_DIR",
    "SAFEGUARD_LISTEN",
    "SAFEGUARD_DATABASE_URL",
    "SAFEGUARD_SECURE_COOKIES",
    "SAFEGUARD_REVIEW_LOG_FOLDERS",
    "SAFEGUARD_CONFIG",
    "SAFEGUARD_LOG",
    "SAFEGUARD_LOG_FORMAT",
    "SAFEGUARD_TEST_POSTGRES_URL",
    "SAFEGUARD_CORPUS_DIR",
    "SAFEGUARD_TEST_KEEP_DATABASE",
];
const SETTING_VARIABLES: usize = 6;

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

        let review_log_folders = args.log_folders.resolve(file.review.and_then(|review| review.log_folders))?;

        Ok(Self {
            data_dir,
            listen,
            database_url,
            secure_cookies: args.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            review_log_folders,
            config_file: args.config.clone(),
        })
    }

    /// Describes the settings as TOML-like lines, with the database password hidden.
    pub fn describe(&self) -> String {
        let log_folders: Vec<String> = self
            .review_log_folders
            .iter()
            .map(|folder| format!("{:?}", folder.display().to_string()))
            .collect();
        format!(
            "config_file = {}\ndata_dir = {:?}\nlisten = \"{}\"\ndatabase_url = \"{}\"\nsecure_cookies = {}\n\n[review]\nlog_folders = [{}]\n",
            self.config_file
                .as_ref()
                .map_or_else(|| "none".to_owned(), |path| format!("{:?}", path.display().to_string())),
            self.data_dir.display().to_string(),
            self.listen,
            self.database_url.redacted(),
            self.secure_cookies,
            log_folders.join(", ")
        )
    }
}

/// Checks that every log folder is an absolute path of an existing folder other than the file
/// system root, because the roots decide which server files reviewers can have read.
fn validate_log_folders(folders: &[PathBuf]) -> anyhow::Result<()> {
    for folder in folders {
        let entry = folder.display();
        if !folder.is_absolute() {
            bail!("invalid review.log_folders entry {entry:?}: not an absolute path; use a full path such as /var/log/exports");
        }
        if folder.components().any(|component| component == Component::ParentDir) {
            bail!("invalid review.log_folders entry {entry:?}: contains \"..\"; write the folder's full path without it");
        }
        let metadata = std::fs::metadata(folder)
            .with_context(|| format!("invalid review.log_folders entry {entry:?}: create the folder or remove it from the setting"))?;
        if !metadata.is_dir() {
            bail!("invalid review.log_folders entry {entry:?}: not a folder; name the folder that contains the logs");
        }
        let canonical = std::fs::canonicalize(folder)
            .with_context(|| format!("invalid review.log_folders entry {entry:?}: its path cannot be resolved"))?;
        if canonical.parent().is_none() {
            bail!(
                "invalid review.log_folders entry {entry:?}: the file system root would let reviewers have any file of the server read; name the folders that contain logs"
            );
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    match toml::from_str(&text) {
        Ok(settings) => Ok(settings),
        Err(error) => bail!(
            "invalid configuration file {}: {error}known keys are data_dir, listen, database_url, secure_cookies, and log_folders in a [review] table",
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
                KNOWN_VARIABLES[..SETTING_VARIABLES].join(", ")
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
            log_folders: LogFolderArgs::default(),
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

    #[test]
    fn log_folders_default_to_none() {
        let settings = Settings::resolve(&args()).unwrap();

        assert!(settings.review_log_folders.is_empty());
        assert!(
            settings.describe().contains("[review]\nlog_folders = []\n"),
            "{}",
            settings.describe()
        );
    }

    #[test]
    fn log_folders_come_from_review_table() {
        let folder = tempfile::tempdir().unwrap();
        let logs = folder.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        let path = folder.path().join("safeguard.toml");
        std::fs::write(&path, format!("[review]\nlog_folders = [{:?}]\n", logs.display().to_string())).unwrap();

        let settings = Settings::resolve(&ServerArgs {
            config: Some(path),
            ..args()
        })
        .unwrap();

        assert_eq!(settings.review_log_folders, vec![logs.clone()]);
        assert!(
            settings
                .describe()
                .contains(&format!("log_folders = [{:?}]", logs.display().to_string())),
            "{}",
            settings.describe()
        );
    }

    #[test]
    fn log_folders_flag_wins_over_file() {
        let folder = tempfile::tempdir().unwrap();
        let from_file = folder.path().join("file");
        let from_flag = folder.path().join("flag");
        std::fs::create_dir(&from_file).unwrap();
        std::fs::create_dir(&from_flag).unwrap();
        let path = folder.path().join("safeguard.toml");
        std::fs::write(&path, format!("[review]\nlog_folders = [{:?}]\n", from_file.display().to_string())).unwrap();

        let settings = Settings::resolve(&ServerArgs {
            log_folders: LogFolderArgs {
                review_log_folders: Some(vec![from_flag.clone()]),
            },
            config: Some(path),
            ..args()
        })
        .unwrap();

        assert_eq!(settings.review_log_folders, vec![from_flag]);
    }

    #[test]
    fn unknown_review_key_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("safeguard.toml");
        std::fs::write(&path, "[review]\nlog_folder = [\"/var/log\"]\n").unwrap();

        let error = Settings::resolve(&ServerArgs {
            config: Some(path),
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("log_folder"), "{error:#}");
        assert!(format!("{error:#}").contains("[review] table"), "{error:#}");
    }

    #[test]
    fn relative_log_folder_is_refused() {
        let error = Settings::resolve(&ServerArgs {
            log_folders: LogFolderArgs {
                review_log_folders: Some(vec![PathBuf::from("logs")]),
            },
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("not an absolute path"), "{error:#}");
    }

    #[test]
    fn missing_log_folder_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("missing");

        let error = Settings::resolve(&ServerArgs {
            log_folders: LogFolderArgs {
                review_log_folders: Some(vec![missing]),
            },
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("create the folder or remove it"), "{error:#}");
    }

    #[test]
    fn log_folder_with_parent_component_is_refused() {
        let folder = tempfile::tempdir().unwrap();
        let dotted = folder.path().join("..").join(folder.path().file_name().unwrap());

        let error = Settings::resolve(&ServerArgs {
            log_folders: LogFolderArgs {
                review_log_folders: Some(vec![dotted]),
            },
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("contains \"..\""), "{error:#}");
    }

    #[cfg(unix)]
    #[test]
    fn file_system_root_is_refused_as_log_folder() {
        let error = Settings::resolve(&ServerArgs {
            log_folders: LogFolderArgs {
                review_log_folders: Some(vec![PathBuf::from("/")]),
            },
            ..args()
        })
        .unwrap_err();

        assert!(format!("{error:#}").contains("file system root"), "{error:#}");
    }
}
