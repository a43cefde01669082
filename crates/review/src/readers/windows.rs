//! Mapping of Windows Security events to normalized events, shared by the EVTX and JSON readers.
//!
//! Only the event ids the rules use are mapped; every other id is readable but produces no
//! event. Account names are kept as Windows writes them, without the domain, because the same
//! account appears as `Administrator` in one event and as `WIN\Administrator` in another.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::event::{Action, Event, Locator, Outcome, SourceSystem, non_empty};

/// The most SID-to-name pairs kept per file. They resolve group-membership events that name
/// the member only by SID; a file creating more accounts than this keeps the first ones.
const MAX_SID_NAMES: usize = 10_000;

/// One Windows event, with its event data as a JSON object.
pub(crate) struct WindowsRecord<'a> {
    pub event_id: u32,
    pub time: jiff::Timestamp,
    pub locator: Locator,
    pub data: &'a Map<String, Value>,
}

/// Names of accounts seen in account-creation events, by SID.
#[derive(Default)]
pub(crate) struct SidNames(HashMap<String, String>);

impl SidNames {
    fn remember(&mut self, sid: Option<String>, name: Option<&String>) {
        if let (Some(sid), Some(name)) = (sid, name)
            && self.0.len() < MAX_SID_NAMES
        {
            self.0.insert(sid, name.clone());
        }
    }

    fn resolve(&self, sid: &str) -> Option<String> {
        self.0.get(sid).cloned()
    }
}

/// Reads a field that may be a string or a number.
pub(crate) fn field(data: &Map<String, Value>, key: &str) -> Option<String> {
    match data.get(key)? {
        Value::String(text) => non_empty(text),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// Parses an NTSTATUS or Kerberos status (`0xc000006d`, `0x0`) as a number.
fn status(data: &Map<String, Value>, key: &str) -> Option<u64> {
    let text = field(data, key)?;
    let digits = text.trim_start_matches("0x").trim_start_matches("0X");
    u64::from_str_radix(digits, 16).ok()
}

/// Returns the client address: the IP address without an IPv4-mapped prefix, else the
/// workstation name the event gives.
fn client(data: &Map<String, Value>, workstation_key: &str) -> Option<String> {
    field(data, "IpAddress")
        .map(|ip| ip.trim_start_matches("::ffff:").to_owned())
        .filter(|ip| ip != "::1" && ip != "127.0.0.1")
        .or_else(|| field(data, workstation_key))
}

/// Extracts `CN=name` from a distinguished name, or returns the value unchanged.
fn common_name(value: String) -> String {
    value
        .strip_prefix("CN=")
        .and_then(|rest| rest.split(',').next())
        .map(str::to_owned)
        .unwrap_or(value)
}

/// Maps one Windows event to a normalized event, or `None` for ids the rules do not use.
pub(crate) fn to_event(record: &WindowsRecord<'_>, sids: &mut SidNames) -> Option<Event> {
    let data = record.data;
    let event = |action, outcome| Event::new(record.time, SourceSystem::Windows, action, outcome, record.locator);

    let mapped = match record.event_id {
        4624 | 4625 => {
            let outcome = if record.event_id == 4624 {
                Outcome::Success
            } else {
                Outcome::Failure
            };
            let mut e = event(Action::Logon, outcome);
            e.account = field(data, "TargetUserName");
            e.client = client(data, "WorkstationName");
            e
        }
        4648 => {
            let mut e = event(Action::ExplicitCredentials, Outcome::Unknown);
            e.account = field(data, "TargetUserName");
            e.client = field(data, "IpAddress").map(|ip| ip.trim_start_matches("::ffff:").into());
            e
        }
        4720 | 4722 | 4725 | 4726 => {
            let action = match record.event_id {
                4720 => Action::AccountCreated,
                4722 => Action::AccountEnabled,
                4725 => Action::AccountDisabled,
                _ => Action::AccountDeleted,
            };
            let mut e = event(action, Outcome::Success);
            e.account = field(data, "SubjectUserName");
            e.target = field(data, "TargetUserName");
            sids.remember(field(data, "TargetSid"), e.target.as_ref());
            e
        }
        4728 | 4732 | 4756 => {
            let mut e = event(Action::GroupMemberAdded, Outcome::Success);
            e.account = field(data, "SubjectUserName");
            e.target = field(data, "MemberName").map(common_name).or_else(|| {
                let sid = field(data, "MemberSid")?;
                sids.resolve(&sid).or(Some(sid))
            });
            e.group = field(data, "TargetUserName");
            e
        }
        4740 => {
            let mut e = event(Action::AccountLockedOut, Outcome::Success);
            e.account = field(data, "TargetUserName");
            e.target = e.account.clone();
            // In 4740 the "target domain" field contains the caller computer name.
            e.client = field(data, "TargetDomainName");
            e
        }
        4768 | 4776 => {
            let outcome = match status(data, "Status") {
                Some(0) => Outcome::Success,
                Some(_) => Outcome::Failure,
                None => Outcome::Unknown,
            };
            let mut e = event(Action::Logon, outcome);
            e.account = field(data, "TargetUserName");
            e.client = client(data, "Workstation");
            e
        }
        4771 => {
            let mut e = event(Action::Logon, Outcome::Failure);
            e.account = field(data, "TargetUserName");
            e.client = client(data, "Workstation");
            e
        }
        1102 | 517 => {
            // The subject sits under UserData/LogFileCleared in EVTX and flat in most exports.
            let nested = data.get("LogFileCleared").and_then(Value::as_object);
            let mut e = event(Action::AuditLogCleared, Outcome::Success);
            e.account = field(data, "SubjectUserName").or_else(|| nested.and_then(|n| field(n, "SubjectUserName")));
            e
        }
        _ => return None,
    };

    Some(normalize_account(mapped))
}

/// Strips a `DOMAIN\` prefix from the account and drops the account when it is a machine or
/// well-known system principal that logs nothing a person did.
fn normalize_account(mut event: Event) -> Event {
    if let Some(account) = &event.account
        && let Some((_, user)) = account.rsplit_once('\\')
    {
        event.account = non_empty(user);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event_id: u32, data: &Value) -> Option<Event> {
        let map = data.as_object()?;
        let record = WindowsRecord {
            event_id,
            time: jiff::Timestamp::UNIX_EPOCH,
            locator: Locator::Record(7),
            data: map,
        };
        to_event(&record, &mut SidNames::default())
    }

    #[test]
    fn failed_logon_uses_workstation_without_ip() {
        let event = record(
            4625,
            &serde_json::json!({"TargetUserName": "alice", "IpAddress": "-", "WorkstationName": "FRONT1", "LogonType": 2}),
        );
        let event = event.as_ref();
        assert_eq!(event.map(|e| e.outcome), Some(Outcome::Failure));
        assert_eq!(event.and_then(|e| e.client.as_deref()), Some("FRONT1"));
    }

    #[test]
    fn kerberos_status_decides_outcome() {
        let ok = record(
            4768,
            &serde_json::json!({"TargetUserName": "a", "Status": "0x0", "IpAddress": "::ffff:10.0.0.1"}),
        );
        let bad = record(4768, &serde_json::json!({"TargetUserName": "a", "Status": "0x6"}));
        assert_eq!(ok.as_ref().map(|e| e.outcome), Some(Outcome::Success));
        assert_eq!(ok.as_ref().and_then(|e| e.client.as_deref()), Some("10.0.0.1"));
        assert_eq!(bad.map(|e| e.outcome), Some(Outcome::Failure));
    }

    #[test]
    fn group_member_resolved_from_created_sid() {
        let mut sids = SidNames::default();
        let created = serde_json::json!({"SubjectUserName": "admin", "TargetUserName": "newbie", "TargetSid": "S-1-5-21-1"});
        let added = serde_json::json!({"SubjectUserName": "admin", "MemberName": "-", "MemberSid": "S-1-5-21-1", "TargetUserName": "Administrators"});
        let map_created = created.as_object().cloned().unwrap_or_default();
        let map_added = added.as_object().cloned().unwrap_or_default();
        let mut make = |id, data| {
            to_event(
                &WindowsRecord {
                    event_id: id,
                    time: jiff::Timestamp::UNIX_EPOCH,
                    locator: Locator::Record(1),
                    data,
                },
                &mut sids,
            )
        };
        assert!(make(4720, &map_created).is_some());
        let event = make(4732, &map_added);
        assert_eq!(event.as_ref().and_then(|e| e.target.as_deref()), Some("newbie"));
        assert_eq!(event.as_ref().and_then(|e| e.group.as_deref()), Some("Administrators"));
    }

    #[test]
    fn log_cleared_reads_nested_subject() {
        let event = record(1102, &serde_json::json!({"LogFileCleared": {"SubjectUserName": "user01"}}));
        assert_eq!(event.and_then(|e| e.account).as_deref(), Some("user01"));
    }

    #[test]
    fn unmapped_id_gives_nothing() {
        assert!(record(4663, &serde_json::json!({})).is_none());
    }
}
