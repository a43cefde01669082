//! The normalized event that every reader produces and every rule consumes.
//!
//! An event is one thing a person or system did, at one instant in UTC, as recorded by one log
//! source. Readers never put a patient identifier into an event in clear text: the patient
//! reference is a 64-bit hash of the identifier as the source wrote it, so reports and memory
//! hold no ePHI beyond what is needed to count distinct patients.

use std::fmt;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

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

/// A patient identifier reduced to a 64-bit hash, enough to count distinct patients.
///
/// The hash is fast rather than cryptographic, because the EHR reader computes one per row of
/// logs with millions of rows. It keeps the identifier out of memory and reports as well as a
/// cryptographic digest would: identifiers such as medical record numbers are short and
/// predictable, so any unkeyed digest of one could be reversed by trying them all.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PatientRef(u64);

/// Fixed, so that one identifier always gets the same reference within and across reviews.
const PATIENT_HASH_SEED: u64 = 0x5afe_6a2d_0000_0001;

impl PatientRef {
    /// Hashes a patient identifier exactly as the source wrote it (trimmed of outer spaces).
    pub fn hash(identifier: &str) -> Self {
        Self::hash_bytes(identifier.trim().as_bytes())
    }

    /// Hashes an identifier given as bytes, without outer spaces.
    pub(crate) fn hash_bytes(identifier: &[u8]) -> Self {
        use std::hash::BuildHasher;
        Self(foldhash::fast::FixedState::with_seed(PATIENT_HASH_SEED).hash_one(identifier))
    }

    /// Returns the hash.
    pub fn short(&self) -> u64 {
        self.0
    }
}

impl fmt::Debug for PatientRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatientRef({:016x})", self.0)
    }
}

impl Serialize for PatientRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:016x}", self.0))
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
    if is_placeholder(value) { None } else { Some(value.to_owned()) }
}

/// Sets `slot` as [`non_empty`] would, but copies into the string `slot` already holds.
pub(crate) fn assign_non_empty(slot: &mut Option<String>, value: Option<&str>) {
    let Some(value) = value.map(str::trim).filter(|value| !is_placeholder(value)) else {
        *slot = None;
        return;
    };
    match slot {
        Some(text) => {
            text.clear();
            text.push_str(value);
        }
        None => *slot = Some(value.to_owned()),
    }
}

fn is_placeholder(value: &str) -> bool {
    value.is_empty() || value == "-" || value == "(null)"
}
