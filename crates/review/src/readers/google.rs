//! Google Workspace login audit reader: Reports API `activities` as JSON lines.
//!
//! Each line is one activity (`kind: admin#reports#activity`) with the actor, the IP address and
//! one or more events. Each event becomes one normalized event on the activity's line: sign-in
//! success and failure are logons, `account_warning` events (leaked password, suspicious login,
//! account disabled) are provider alerts about the affected address.

use std::io::BufRead;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::{ReadError, ReadItem, parse_instant, read_line_lossy};
use crate::event::{Action, Event, Locator, Outcome, SourceSystem, non_empty};

/// Returns whether a JSON object is a Reports API login activity.
pub(crate) fn looks_like(object: &Map<String, Value>) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("admin#reports#activity")
}

/// Streaming Google Workspace login audit reader.
pub struct GoogleLoginReader<R> {
    input: R,
    path: PathBuf,
    line_number: u64,
    raw: Vec<u8>,
    line: String,
    pending: std::collections::VecDeque<ReadItem>,
    failed: bool,
}

impl<R: BufRead> GoogleLoginReader<R> {
    /// Creates a reader over `input`.
    pub fn new(input: R, path: PathBuf) -> Self {
        Self {
            input,
            path,
            line_number: 0,
            raw: Vec::new(),
            line: String::new(),
            pending: std::collections::VecDeque::new(),
            failed: false,
        }
    }

    fn parse_line(&mut self) {
        let locator = Locator::Line(self.line_number);
        if self.line.trim().is_empty() {
            return;
        }
        let Ok(Value::Object(activity)) = serde_json::from_str::<Value>(&self.line) else {
            self.pending.push_back(ReadItem::unreadable(locator, "not a JSON object"));
            return;
        };
        let time = activity
            .get("id")
            .and_then(|id| id.get("time"))
            .and_then(Value::as_str)
            .and_then(parse_instant);
        let Some(time) = time else {
            self.pending.push_back(ReadItem::unreadable(locator, "activity has no id.time"));
            return;
        };
        let actor = activity
            .get("actor")
            .and_then(|a| a.get("email"))
            .and_then(Value::as_str)
            .and_then(non_empty);
        let address = activity.get("ipAddress").and_then(Value::as_str).and_then(non_empty);

        let events: Vec<&Value> = match activity.get("events") {
            Some(Value::Array(events)) => events.iter().collect(),
            Some(event @ Value::Object(_)) => vec![event],
            _ => Vec::new(),
        };
        if events.is_empty() {
            self.pending.push_back(ReadItem::unreadable(locator, "activity has no events"));
            return;
        }
        for event in events {
            let item = to_event(event, time, actor.clone(), address.clone(), locator);
            if let Some(event) = item {
                self.pending.push_back(event.into());
            }
        }
    }
}

fn parameter(event: &Value, name: &str) -> Option<String> {
    event
        .get("parameters")?
        .as_array()?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        .and_then(|p| p.get("value"))
        .and_then(Value::as_str)
        .and_then(non_empty)
}

fn to_event(event: &Value, time: jiff::Timestamp, actor: Option<String>, address: Option<String>, locator: Locator) -> Option<Event> {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    let name = event.get("name").and_then(Value::as_str)?;
    let (action, outcome) = match (kind, name) {
        (_, "login_success") => (Action::Logon, Outcome::Success),
        (_, "login_failure") => (Action::Logon, Outcome::Failure),
        (_, "logout") => (Action::Logoff, Outcome::Success),
        ("account_warning", _) => (Action::ProviderAlert, Outcome::Unknown),
        _ => (Action::Other, Outcome::Unknown),
    };
    let mut normalized = Event::new(time, SourceSystem::GoogleWorkspace, action, outcome, locator);

    // Account warnings name the affected account in a parameter; the actor may be an admin.
    normalized.account = if action == Action::ProviderAlert {
        parameter(event, "affected_email_address").or(actor)
    } else {
        actor
    };
    normalized.client = address;
    if action == Action::ProviderAlert {
        normalized.target = Some(name.to_owned());
    }
    Some(normalized)
}

impl<R: BufRead> Iterator for GoogleLoginReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if self.failed {
                return None;
            }
            match read_line_lossy(&mut self.input, &mut self.raw, &mut self.line) {
                Ok(false) => return None,
                Ok(true) => {
                    self.line_number += 1;
                    self.parse_line();
                }
                Err(source) => {
                    self.failed = true;
                    return Some(Err(ReadError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_events_and_warnings() {
        let text = concat!(
            r#"{"kind":"admin#reports#activity","id":{"time":"2024-05-01T12:00:00Z"},"actor":{"email":"a@clinic.test"},"ipAddress":"10.0.0.1","events":[{"type":"login","name":"login_failure"},{"type":"login","name":"login_success"}]}"#,
            "\n",
            r#"{"kind":"admin#reports#activity","id":{"time":"2024-05-01T12:00:00Z"},"actor":{"email":"admin@clinic.test"},"events":{"type":"account_warning","name":"suspicious_login","parameters":[{"name":"affected_email_address","value":"b@clinic.test"}]}}"#,
            "\n{}\n"
        );
        let items: Vec<_> = GoogleLoginReader::new(text.as_bytes(), PathBuf::new())
            .filter_map(Result::ok)
            .collect();
        assert_eq!(items.len(), 4);
        let ReadItem::Event(warning) = &items[2] else {
            panic!("expected an event, got {:?}", items[2]);
        };
        assert_eq!(warning.action, Action::ProviderAlert);
        assert_eq!(warning.account.as_deref(), Some("b@clinic.test"));
        assert!(matches!(items[3], ReadItem::Unreadable(_)));
    }
}
