//! Log readers: format detection and one streaming reader per format.
//!
//! Every reader is an iterator over [`ReadItem`]s. It reads its input incrementally, so memory
//! stays bounded by the longest line or record (and, for a single FHIR JSON or XML document, by
//! that document). A line or record it cannot read becomes a [`ReadItem::Unreadable`] with its
//! locator, and reading goes on. Only an I/O failure ends a reader early, as a [`ReadError`].
//! Lines that are readable but carry nothing the rules use (a kernel message in
//! `/var/log/messages`) produce no item.

mod csv_lines;
mod ehr_csv;
mod entra;
mod evtx_file;
mod fhir;
mod google;
mod json_stream;
mod loghub_csv;
mod syslog;
mod windows;
mod windows_json;

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::event::{Event, Locator};

pub use ehr_csv::{ColumnMatch, EhrColumnMapping, EhrCsvReader, HeaderMatch};
pub(crate) use ehr_csv::{EhrRowParser, read_header as read_ehr_header};
pub use entra::{EntraCsvReader, EntraJsonReader};
pub use evtx_file::EvtxReader;
pub use fhir::{FhirJsonReader, FhirNdjsonReader, FhirXmlReader};
pub use google::GoogleLoginReader;
pub use loghub_csv::LoghubCsvReader;
pub use syslog::{SyslogReader, SyslogTimeContext};
pub use windows_json::WindowsJsonReader;

/// The log formats Safeguard reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Linux syslog text (`auth.log`, `secure`, `messages`).
    Syslog,
    /// loghub's structured CSV of an OpenSSH or Linux syslog file (`*.log_structured.csv`).
    LoghubCsv,
    /// Windows event log file (`.evtx`).
    Evtx,
    /// Windows Security events as JSON lines, in the NXLog or Winlogbeat shape.
    WindowsJson,
    /// One FHIR AuditEvent or a Bundle of them, as a JSON document.
    FhirJson,
    /// FHIR AuditEvent resources as newline-delimited JSON.
    FhirNdjson,
    /// One FHIR AuditEvent or a Bundle of them, as an XML document.
    FhirXml,
    /// An EHR access log as CSV, read through a column mapping.
    EhrCsv,
    /// A Microsoft Entra ID sign-in log export as CSV.
    EntraCsv,
    /// A Microsoft Entra ID sign-in log export as JSON (an array, a Graph `value` page or lines).
    EntraJson,
    /// Google Workspace login audit activities as JSON lines (Reports API).
    GoogleLogin,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 11] = [
        Format::Evtx,
        Format::FhirXml,
        Format::FhirNdjson,
        Format::FhirJson,
        Format::GoogleLogin,
        Format::WindowsJson,
        Format::EntraJson,
        Format::EntraCsv,
        Format::EhrCsv,
        Format::LoghubCsv,
        Format::Syslog,
    ];

    /// Returns the name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Syslog => "syslog",
            Self::LoghubCsv => "loghub-csv",
            Self::Evtx => "evtx",
            Self::WindowsJson => "windows-json",
            Self::FhirJson => "fhir-json",
            Self::FhirNdjson => "fhir-ndjson",
            Self::FhirXml => "fhir-xml",
            Self::EhrCsv => "ehr-csv",
            Self::EntraCsv => "entra-csv",
            Self::EntraJson => "entra-json",
            Self::GoogleLogin => "google-login",
        }
    }

    /// Returns whether the format's times lack a year and zone, so that they are read in
    /// [`ReaderOptions::syslog_time`].
    pub fn uses_syslog_time(self) -> bool {
        matches!(self, Self::Syslog | Self::LoghubCsv)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a format name that is not one of [`Format::ALL`].
#[derive(Debug, thiserror::Error)]
#[error("unknown format {0:?}; expected one of: {names}", names = format_names())]
pub struct UnknownFormatName(pub String);

impl FromStr for Format {
    type Err = UnknownFormatName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownFormatName(s.to_owned()))
    }
}

/// Returns the names of every format, comma-separated, for error messages.
pub fn format_names() -> String {
    Format::ALL.map(Format::name).join(", ")
}

/// A line or record a reader could not turn into an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// Location in the file.
    pub locator: Locator,
    /// Reason it could not be read. It never quotes the line, which may contain ePHI.
    pub reason: String,
}

/// One item produced by a reader.
#[derive(Clone, Debug, PartialEq)]
pub enum ReadItem {
    /// A normalized event.
    Event(Box<Event>),
    /// A line or record that could not be read.
    Unreadable(Unreadable),
}

impl ReadItem {
    pub(crate) fn unreadable(locator: Locator, reason: impl Into<String>) -> Self {
        Self::Unreadable(Unreadable {
            locator,
            reason: reason.into(),
        })
    }
}

impl From<Event> for ReadItem {
    fn from(event: Event) -> Self {
        Self::Event(Box::new(event))
    }
}

/// A failure that stops reading one file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("failed to read {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating-system error.
        source: io::Error,
    },
    /// Content detection matched none of the formats.
    #[error("{path}: not a known log format (tried: {tried})", tried = format_names())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The EVTX file header is damaged, so no record can be located.
    #[error("{path}: not a readable EVTX file: {reason}")]
    InvalidEvtx {
        /// The file.
        path: PathBuf,
        /// The parser's explanation.
        reason: String,
    },
    /// A CSV file has no readable header row or lacks a column its format needs.
    #[error("{path}: {reason}")]
    InvalidCsvHeader {
        /// The file.
        path: PathBuf,
        /// Description of the missing or unreadable part.
        reason: String,
    },
    /// An EHR access-log CSV file lacks a required column that the EHR column mapping names.
    #[error("{path}: the header row lacks column {column:?}, which the EHR column mapping names as its {field} column")]
    MissingEhrColumn {
        /// The file.
        path: PathBuf,
        /// The mapping's field: `time`, `user` or `patient`.
        field: &'static str,
        /// The column name the mapping gives for the field.
        column: String,
    },
    /// A zip archive or one of its entries is damaged or cannot be read.
    #[error("{path}: not a readable zip archive: {reason}")]
    InvalidArchive {
        /// The archive, or the entry as `ARCHIVE!ENTRY`.
        path: PathBuf,
        /// Description of the damage or the unsupported feature.
        reason: String,
    },
    /// A zip archive exceeds a limit that guards against zip bombs.
    #[error("{path}: the archive is too large to review: {reason}; unzip it and review the files it contains")]
    ArchiveTooLarge {
        /// The archive.
        path: PathBuf,
        /// The limit exceeded.
        reason: String,
    },
    /// A zip archive contains another zip archive, which is not opened.
    #[error("{path} is a zip archive inside a zip archive, which is not opened; extract it and review its files")]
    NestedArchive {
        /// The inner archive, as `ARCHIVE!ENTRY`.
        path: PathBuf,
    },
}

impl ReadError {
    /// Returns the error with `path` in place of the file it names, for a file read under
    /// another name, such as a zip entry extracted to a temporary file.
    pub(crate) fn with_path(mut self, name: &Path) -> Self {
        match &mut self {
            Self::Io { path, .. }
            | Self::UnknownFormat { path }
            | Self::InvalidEvtx { path, .. }
            | Self::InvalidCsvHeader { path, .. }
            | Self::MissingEhrColumn { path, .. }
            | Self::InvalidArchive { path, .. }
            | Self::ArchiveTooLarge { path, .. }
            | Self::NestedArchive { path } => *path = name.to_owned(),
        }
        self
    }
}

/// Settings that readers need beyond the bytes themselves.
#[derive(Clone, Debug)]
pub struct ReaderOptions {
    /// Year and time zone for syslog lines, which carry neither.
    pub syslog_time: SyslogTimeContext,
    /// The column mapping for EHR access-log CSV files.
    pub ehr_mapping: EhrColumnMapping,
}

impl ReaderOptions {
    /// Creates options with the given syslog year and time zone and the default EHR mapping.
    pub fn new(year: i16, time_zone: TimeZone) -> Self {
        Self {
            syslog_time: SyslogTimeContext { year, time_zone },
            ehr_mapping: EhrColumnMapping::default(),
        }
    }
}

/// A boxed reader: any iterator of read results.
pub type BoxedReader = Box<dyn Iterator<Item = Result<ReadItem, ReadError>> + Send>;

/// A [`Read`] wrapper that adds every byte read to a shared counter, for progress display.
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`, adding to `counter`.
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        Self { inner, counter }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// How many bytes of a file detection looks at.
pub(crate) const SNIFF_LEN: usize = 64 * 1024;

/// Detects the format of a file by its content, recognizing EHR access logs by the default
/// column mapping.
pub fn detect_format(path: &Path) -> Result<Format, ReadError> {
    detect_format_with(path, &EhrColumnMapping::default())
}

/// Detects the format of a file by its content, recognizing EHR access logs by the columns of
/// `ehr_mapping` as well as those of the default mapping.
pub fn detect_format_with(path: &Path, ehr_mapping: &EhrColumnMapping) -> Result<Format, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = Vec::with_capacity(SNIFF_LEN);
    File::open(path)
        .map_err(io_error)?
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    detect_format_bytes_with(&head, ehr_mapping).ok_or_else(|| ReadError::UnknownFormat { path: path.to_owned() })
}

/// Detects a format from the first bytes of a file, or returns `None`. EHR access logs are
/// recognized by the default column mapping.
pub fn detect_format_bytes(head: &[u8]) -> Option<Format> {
    detect_format_bytes_with(head, &EhrColumnMapping::default())
}

/// Detects a format from the first bytes of a file, or returns `None`.
///
/// A CSV header row with the time, user and patient columns of `ehr_mapping` or of the default
/// mapping is an EHR access log. So is, when no other format matches, a header row with two of
/// those three columns of `ehr_mapping`, because the EHR reader then names the column it lacks,
/// which is more use to the reviewer than "not a known log format".
pub fn detect_format_bytes_with(head: &[u8], ehr_mapping: &EhrColumnMapping) -> Option<Format> {
    if head.starts_with(b"ElfFile\0") {
        return Some(Format::Evtx);
    }

    // Text formats: drop a UTF-8 byte-order mark and leading blank space, and cut at the last
    // complete character so a multi-byte character split by the sniff length is not an error.
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(error) => std::str::from_utf8(&head[..error.valid_up_to()]).ok()?,
    };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let first_line = text.lines().next().unwrap_or("");

    if text.starts_with('<') {
        return (text.contains("http://hl7.org/fhir") && (text.contains("<AuditEvent") || text.contains("<Bundle")))
            .then_some(Format::FhirXml);
    }
    if text.starts_with('{') || text.starts_with('[') {
        return detect_json(text, first_line);
    }
    if ehr_csv::looks_like(first_line, ehr_mapping) {
        return Some(Format::EhrCsv);
    }
    if entra::looks_like_csv(first_line) {
        return Some(Format::EntraCsv);
    }
    if loghub_csv::looks_like(first_line) {
        return Some(Format::LoghubCsv);
    }
    if syslog::looks_like(first_line) {
        return Some(Format::Syslog);
    }
    if ehr_csv::partly_matches(first_line, ehr_mapping) {
        return Some(Format::EhrCsv);
    }
    None
}

fn detect_json(text: &str, first_line: &str) -> Option<Format> {
    // A first line that is a whole JSON object means JSON lines. Otherwise the file is one
    // document, and the keys seen in the sniffed text decide.
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(first_line) {
        if object.get("resourceType").and_then(|v| v.as_str()) == Some("AuditEvent") {
            return Some(Format::FhirNdjson);
        }
        if object.get("resourceType").is_some() {
            return Some(Format::FhirJson);
        }
        if google::looks_like(&object) {
            return Some(Format::GoogleLogin);
        }
        if windows_json::looks_like(&object) {
            return Some(Format::WindowsJson);
        }
        if entra::looks_like_json_object(&object) {
            return Some(Format::EntraJson);
        }
        return None;
    }
    if text.contains("\"resourceType\"") {
        return Some(Format::FhirJson);
    }
    if text.contains("\"userPrincipalName\"") && text.contains("\"createdDateTime\"") {
        return Some(Format::EntraJson);
    }
    None
}

/// Opens a reader for `path` in `format`, counting bytes read into `progress`.
pub fn open_reader(path: &Path, format: Format, options: &ReaderOptions, progress: Arc<AtomicU64>) -> Result<BoxedReader, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    let counted = CountingReader::new(file, progress);
    let path_buf = path.to_owned();
    let reader: BoxedReader = match format {
        Format::Evtx => Box::new(EvtxReader::new(counted, path_buf)?),
        Format::Syslog => Box::new(SyslogReader::new(BufReader::new(counted), options.syslog_time.clone(), path_buf)),
        Format::LoghubCsv => Box::new(LoghubCsvReader::new(counted, options.syslog_time.clone(), path_buf)?),
        Format::WindowsJson => Box::new(WindowsJsonReader::new(BufReader::new(counted), path_buf)),
        Format::FhirJson => Box::new(FhirJsonReader::new(counted, path_buf)),
        Format::FhirNdjson => Box::new(FhirNdjsonReader::new(BufReader::new(counted), path_buf)),
        Format::FhirXml => Box::new(FhirXmlReader::new(BufReader::new(counted), path_buf)),
        Format::EhrCsv => Box::new(EhrCsvReader::new(counted, options.ehr_mapping.clone(), path_buf)?),
        Format::EntraCsv => Box::new(EntraCsvReader::new(counted, path_buf)?),
        Format::EntraJson => Box::new(EntraJsonReader::new(BufReader::new(counted), path_buf)),
        Format::GoogleLogin => Box::new(GoogleLoginReader::new(BufReader::new(counted), path_buf)),
    };
    Ok(reader)
}

/// Reads one line into `buf` (cleared first), returning `Ok(false)` at the end of input.
///
/// Invalid UTF-8 is replaced rather than rejected, so one bad byte costs at most its line.
pub(crate) fn read_line_lossy<R: BufRead>(reader: &mut R, raw: &mut Vec<u8>, buf: &mut String) -> io::Result<bool> {
    raw.clear();
    buf.clear();
    if reader.read_until(b'\n', raw)? == 0 {
        return Ok(false);
    }
    while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        raw.pop();
    }
    buf.push_str(&String::from_utf8_lossy(raw));
    Ok(true)
}

/// Parses an RFC 3339 or ISO 8601 instant with an offset or `Z`.
pub(crate) fn parse_instant(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Some(ts);
    }

    // Some exporters write UTC instants without the zone designator; they are UTC by contract.
    text.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| TimeZone::UTC.to_timestamp(dt).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>().ok(), Some(format));
        }
    }

    #[test]
    fn detection_rejects_unknown_text() {
        assert_eq!(detect_format_bytes(b"hello world\nsecond line\n"), None);
        assert_eq!(detect_format_bytes(b""), None);
        assert_eq!(detect_format_bytes(b"{\"a\": 1}\n"), None);
    }

    #[test]
    fn detection_finds_loghub_csv() {
        let openssh = b"LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate\n\
                        1,Dec,10,06:55:46,LabSZ,24200,Invalid user webmaster from 173.234.31.186,E13,x\n";
        let linux = b"LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate\n\
                      1,Jun,14,15:16:01,combo,sshd(pam_unix),19939,check pass; user unknown,E27,x\n";
        let hdfs = b"LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate\n";

        assert_eq!(detect_format_bytes(openssh), Some(Format::LoghubCsv));
        assert_eq!(detect_format_bytes(linux), Some(Format::LoghubCsv));
        assert_eq!(detect_format_bytes(hdfs), None);
    }

    #[test]
    fn detection_uses_the_given_ehr_mapping() {
        let mapping: EhrColumnMapping =
            serde_json::from_str(r#"{"time": "Access Time", "user": "User ID", "patient": "MRN"}"#).unwrap_or_default();
        let renamed = b"Access Time,User ID,MRN,Event\n2024-03-04T10:00:00Z,jdoe,77,view\n";
        let default = b"time,user,patient\n2024-03-04T10:00:00Z,jdoe,77\n";
        let one_column_wrong = b"Access Time,User,MRN\n";

        assert_eq!(detect_format_bytes(renamed), None);
        assert_eq!(detect_format_bytes_with(renamed, &mapping), Some(Format::EhrCsv));
        assert_eq!(detect_format_bytes_with(default, &mapping), Some(Format::EhrCsv));
        assert_eq!(detect_format_bytes_with(one_column_wrong, &mapping), Some(Format::EhrCsv));
        assert_eq!(detect_format_bytes_with(b"hello world\n", &mapping), None);
        assert_eq!(detect_format_bytes_with(b"Access Time,Who,What\n", &mapping), None);
    }

    #[test]
    fn parse_instant_accepts_zoneless_as_utc() {
        let ts = parse_instant("2024-03-01T10:00:00").map(|t| t.to_string());
        assert_eq!(ts.as_deref(), Some("2024-03-01T10:00:00Z"));
    }
}
