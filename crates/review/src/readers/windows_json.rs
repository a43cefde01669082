//! Windows Security events exported as JSON lines, in the two common shapes.
//!
//! NXLog (`im_msvistalog` with `to_json()`) writes one flat object per event: `EventID`,
//! `RecordNumber` and the event data fields side by side. Winlogbeat writes
//! `{"@timestamp": ..., "winlog": {"event_id": ..., "record_id": ..., "event_data": {...}}}`.
//! Times come from the first field that carries an offset: NXLog's `EventTime` when it has one,
//! then `@timestamp`, then `TimeCreated`. NXLog's default `EventTime` (`2020-09-14 08:05:52`) is
//! local time without a zone, and is read as UTC only when nothing else exists.

use std::io::BufRead;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::windows::{SidNames, WindowsRecord, to_event};
use super::{ReadError, ReadItem, parse_instant, read_line_lossy};
use crate::event::Locator;

/// Returns whether a JSON object looks like a Windows event in either export shape.
pub(crate) fn looks_like(object: &Map<String, Value>) -> bool {
    object.get("winlog").is_some_and(Value::is_object)
        || (object.contains_key("EventID")
            && (object.contains_key("SourceName") || object.contains_key("Channel") || object.contains_key("ProviderGuid")))
}

/// Streaming reader of Windows events as JSON lines.
pub struct WindowsJsonReader<R> {
    input: R,
    path: PathBuf,
    line_number: u64,
    raw: Vec<u8>,
    line: String,
    sids: SidNames,
    failed: bool,
}

impl<R: BufRead> WindowsJsonReader<R> {
    /// Creates a reader over `input`.
    pub fn new(input: R, path: PathBuf) -> Self {
        Self {
            input,
            path,
            line_number: 0,
            raw: Vec::new(),
            line: String::new(),
            sids: SidNames::default(),
            failed: false,
        }
    }

    fn parse_line(&mut self) -> Option<ReadItem> {
        let locator = Locator::Line(self.line_number);
        if self.line.trim().is_empty() {
            return None;
        }
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(&self.line) else {
            return Some(ReadItem::unreadable(locator, "not a JSON object"));
        };

        let (event_id, data) = match object.get("winlog").and_then(Value::as_object) {
            Some(winlog) => (
                number(winlog.get("event_id")),
                winlog
                    .get("event_data")
                    .or_else(|| winlog.get("user_data"))
                    .and_then(Value::as_object)
                    .unwrap_or(&object),
            ),
            None => (number(object.get("EventID")), &object),
        };
        let Some(event_id) = event_id.and_then(|id| u32::try_from(id).ok()) else {
            return Some(ReadItem::unreadable(locator, "event has no EventID"));
        };

        let Some(time) = event_time(&object) else {
            return Some(ReadItem::unreadable(locator, "event has no readable time"));
        };
        let record = WindowsRecord {
            event_id,
            time,
            locator,
            data,
        };
        to_event(&record, &mut self.sids).map(ReadItem::from)
    }
}

fn number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn event_time(object: &Map<String, Value>) -> Option<jiff::Timestamp> {
    let text = |key: &str| object.get(key).and_then(Value::as_str);
    let with_offset = text("EventTime").and_then(|t| t.parse::<jiff::Timestamp>().ok());
    with_offset
        .or_else(|| text("@timestamp").and_then(parse_instant))
        .or_else(|| text("TimeCreated").and_then(parse_instant))
        .or_else(|| {
            // NOTE: zone-less NXLog `EventTime` is read as UTC; it is local time on the
            // collecting host, so times shift by that host's offset when nothing else exists.
            text("EventTime").and_then(|t| parse_instant(&t.replacen(' ', "T", 1)))
        })
}

impl<R: BufRead> Iterator for WindowsJsonReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            match read_line_lossy(&mut self.input, &mut self.raw, &mut self.line) {
                Ok(false) => return None,
                Ok(true) => {
                    self.line_number += 1;
                    if let Some(item) = self.parse_line() {
                        return Some(Ok(item));
                    }
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
    use crate::event::{Action, Outcome};

    fn read(text: &str) -> Vec<ReadItem> {
        WindowsJsonReader::new(text.as_bytes(), PathBuf::new())
            .filter_map(Result::ok)
            .collect()
    }

    #[test]
    fn nxlog_and_winlogbeat_shapes() {
        let items = read(concat!(
            r#"{"EventID":4625,"SourceName":"Microsoft-Windows-Security-Auditing","EventTime":"2024-01-02 03:04:05","@timestamp":"2024-01-02T08:04:06.000Z","TargetUserName":"bob","IpAddress":"10.1.1.1"}"#,
            "\n",
            r#"{"@timestamp":"2024-01-02T08:05:00Z","winlog":{"event_id":"4720","record_id":9,"event_data":{"SubjectUserName":"admin","TargetUserName":"newbie"}}}"#,
            "\nnot json\n",
            r#"{"EventID":4663,"Channel":"Security","@timestamp":"2024-01-02T08:05:00Z"}"#,
            "\n"
        ));
        assert_eq!(items.len(), 3);
        let ReadItem::Event(first) = &items[0] else {
            panic!("expected an event, got {:?}", items[0]);
        };
        assert_eq!(first.outcome, Outcome::Failure);
        assert_eq!(first.time.to_string(), "2024-01-02T08:04:06Z");
        let ReadItem::Event(second) = &items[1] else {
            panic!("expected an event, got {:?}", items[1]);
        };
        assert_eq!(second.action, Action::AccountCreated);
        assert_eq!(second.target.as_deref(), Some("newbie"));
        assert!(matches!(&items[2], ReadItem::Unreadable(u) if u.locator == Locator::Line(3)));
    }
}
