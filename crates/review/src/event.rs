//! The normalized event that every reader produces and every rule consumes.
//!
//! An event is one thing a person or system did, at one instant in UTC, as recorded by one log
//! source. Readers never put a patient identifier into an event in clear text: the patient
//! reference is the SHA-256 of the identifier as the source wrote it, so reports and memory
//! hold no ePHI beyond what is needed to count distinct patients.

use std::fmt;

use jiff::Timestamp;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The kind of system that wrote an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceSystem {
    /// A Linux host writing syslog (auth, secure or messages).
    Linux,
    /// A Windows host writing its Security event log.
    Windows,
    /// A FHIR server writing AuditEvent resources.
    Fhir,
    /// An electronic health record system writing an access log.
    Ehr,
    /// Microsoft Entra ID (formerly Azure AD) sign-in logs.
    EntraId,
    /// Google Workspace login audit.
    GoogleWorkspace,
}

impl SourceSystem {
    /// Returns the name shown to people in reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Linux => "Linux",
            Self::Windows => "Windows",
            Self::Fhir => "FHIR",
            Self::Ehr => "EHR",
            Self::EntraId => "Entra ID",
            Self::GoogleWorkspace => "Google Workspace",
        }
    }
}

/// What happened, reduced to the actions the rules reason about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An authentication: a sign-in, a Kerberos ticket request or an NTLM validation.
    Logon,
    /// A sign-out or session end.
    Logoff,
    /// A session opened after authentication (PAM `session opened`).
    SessionOpened,
    /// Switching to another user (`su`).
    SwitchUser,
    /// A logon attempted with explicitly supplied credentials (Windows 4648).
    ExplicitCredentials,
    /// A user account was created.
    AccountCreated,
    /// A user account was deleted.
    AccountDeleted,
    /// A user account was enabled.
    AccountEnabled,
    /// A user account was disabled.
    AccountDisabled,
    /// A member was added to a security group.
    GroupMemberAdded,
    /// An account was locked out after failed logons.
    AccountLockedOut,
    /// The audit log itself was cleared.
    AuditLogCleared,
    /// A read, write or other access to a patient record or clinical data.
    RecordAccess,
    /// A security warning raised by the identity provider itself.
    ProviderAlert,
    /// Anything else worth keeping as activity.
    Other,
}

/// Whether the action succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The action succeeded.
    Success,
    /// The action failed (for a logon: the credentials were rejected).
    Failure,
    /// The source does not record it.
    Unknown,
}

/// Where in its file an event or an unreadable entry sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Locator {
    /// A 1-based line number (text logs, JSON lines, CSV).
    Line(u64),
    /// A Windows event record id (`EventRecordID` or `RecordNumber`).
    Record(u64),
    /// A 1-based entry index inside one JSON or XML document (a FHIR Bundle entry).
    Entry(u64),
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Record(n) => write!(f, "record {n}"),
            Self::Entry(n) => write!(f, "entry {n}"),
        }
    }
}

impl Serialize for Locator {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A patient identifier reduced to its SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatientRef([u8; 32]);

impl PatientRef {
    /// Hashes a patient identifier exactly as the source wrote it (trimmed of outer spaces).
    pub fn hash(identifier: &str) -> Self {
        Self(Sha256::digest(identifier.trim().as_bytes()).into())
    }

    /// Returns the first eight bytes of the digest, enough to count distinct patients.
    pub fn short(&self) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&self.0[..8]);
        u64::from_be_bytes(bytes)
    }
}

impl fmt::Debug for PatientRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatientRef({})", hex::encode(&self.0[..8]))
    }
}

impl Serialize for PatientRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex::encode(self.0))
    }
}

/// One normalized event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    /// When it happened, in UTC.
    pub time: Timestamp,
    /// The kind of system that recorded it.
    pub source: SourceSystem,
    /// The account that acted, as the source names it (for a failed logon: the account tried).
    pub account: Option<String>,
    /// What happened.
    pub action: Action,
    /// Whether it succeeded.
    pub outcome: Outcome,
    /// The client address or workstation the action came from.
    pub client: Option<String>,
    /// The account acted upon: the account created, deleted or added to a group, or the user
    /// switched to.
    pub target: Option<String>,
    /// The security group a member was added to.
    pub group: Option<String>,
    /// The patient whose record was touched, hashed.
    pub patient: Option<PatientRef>,
    /// Whether the source marked this as emergency (break-glass) access.
    pub break_glass: bool,
    /// Whether the source records a post-event review of this break-glass access.
    pub reviewed: bool,
    /// Where in the file the event came from.
    pub locator: Locator,
}

impl Event {
    /// Creates an event with the given essentials and every optional field empty.
    pub fn new(time: Timestamp, source: SourceSystem, action: Action, outcome: Outcome, locator: Locator) -> Self {
        Self {
            time,
            source,
            account: None,
            action,
            outcome,
            client: None,
            target: None,
            group: None,
            patient: None,
            break_glass: false,
            reviewed: false,
            locator,
        }
    }
}

/// Returns the key under which rules group an account or address: the text in lower case,
/// borrowed without copying when it already is.
pub(crate) fn fold_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_uppercase) {
        std::borrow::Cow::Owned(text.to_lowercase())
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Returns `Some(value)` unless the value is empty or one of the placeholders logs use for
/// "none" (`-`, `(null)`).
pub(crate) fn non_empty(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() || value == "-" || value == "(null)" {
        None
    } else {
        Some(value.to_owned())
    }
}
