//! Microsoft Entra ID sign-in log exports, as CSV or JSON.
//!
//! Three shapes are read: the Entra admin center download (`Date (UTC)`, `Username`,
//! `IP address`, `Status`), the Log Analytics `SigninLogs` table (`CreatedDateTime [UTC]`,
//! `UserPrincipalName`, `IPAddress`, `ResultType`), and Microsoft Graph `signIn` objects
//! (`createdDateTime`, `userPrincipalName`, `ipAddress`, `status.errorCode`). Column and key
//! names are matched without regard to case. An error code of 0 is a successful sign-in; any
//! other code is a failure, including interrupts such as a required MFA prompt.

use std::io::{BufRead, Read};
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::csv_lines::LineBreaks;
use super::json_stream::ArrayElements;
use super::{ReadError, ReadItem, parse_instant, read_line_lossy};
use crate::event::{Action, Event, Locator, Outcome, SourceSystem, non_empty};

const TIME_COLUMNS: [&str; 5] = [
    "createddatetime [utc]",
    "createddatetime",
    "date (utc)",
    "timegenerated [utc]",
    "date",
];
const USER_COLUMNS: [&str; 4] = ["userprincipalname", "user principal name", "username", "user"];
const ADDRESS_COLUMNS: [&str; 3] = ["ipaddress", "ip address", "ip"];
const CODE_COLUMNS: [&str; 3] = ["resulttype", "sign-in error code", "errorcode"];
const STATUS_COLUMNS: [&str; 2] = ["status", "status_string"];

/// Returns whether a CSV header row looks like an Entra sign-in export.
pub(crate) fn looks_like_csv(header: &str) -> bool {
    let lower = header.to_ascii_lowercase();
    let has = |names: &[&str]| names.iter().any(|n| lower.contains(n));
    has(&["userprincipalname", "username"]) && has(&["createddatetime", "date (utc)"]) && has(&["ipaddress", "ip address"])
}

/// Returns whether a JSON object looks like one Entra sign-in.
pub(crate) fn looks_like_json_object(object: &Map<String, Value>) -> bool {
    let keys: Vec<String> = object.keys().map(|k| k.to_ascii_lowercase()).collect();
    keys.iter().any(|k| k == "userprincipalname") && keys.iter().any(|k| k == "createddatetime" || k == "timegenerated")
}

/// Parses the time formats Entra exports use: ISO 8601 (with or without `Z`) and the Log
/// Analytics display form `4/28/2021, 2:08:45.221 PM`, both in UTC.
fn parse_entra_time(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    if let Some(ts) = parse_instant(text) {
        return Some(ts);
    }
    for pattern in ["%m/%d/%Y, %I:%M:%S%.f %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M"] {
        if let Ok(dt) = jiff::civil::DateTime::strptime(pattern, text)
            && let Ok(ts) = jiff::tz::TimeZone::UTC.to_timestamp(dt)
        {
            return Some(ts);
        }
    }
    None
}

fn outcome_from(code: Option<&str>, status: Option<&str>) -> Outcome {
    if let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) {
        return if code == "0" { Outcome::Success } else { Outcome::Failure };
    }
    match status.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("success") => Outcome::Success,
        Some("failure" | "interrupted") => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Streaming Entra CSV reader.
pub struct EntraCsvReader<R> {
    records: csv::Reader<LineBreaks<R>>,
    columns: [Option<usize>; 5],
    record: csv::StringRecord,
}

impl<R: Read> EntraCsvReader<R> {
    /// Reads the header row and locates the columns.
    pub fn new(input: R, path: PathBuf) -> Result<Self, ReadError> {
        let mut records = csv::ReaderBuilder::new().flexible(true).from_reader(LineBreaks::new(input));
        let headers = records
            .headers()
            .map_err(|error| ReadError::InvalidCsvHeader {
                path: path.clone(),
                reason: format!("cannot read the header row: {error}"),
            })?
            .clone();
        let find = |names: &[&str]| {
            names.iter().find_map(|name| {
                headers
                    .iter()
                    .position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
            })
        };
        let columns = [
            find(&TIME_COLUMNS),
            find(&USER_COLUMNS),
            find(&ADDRESS_COLUMNS),
            find(&CODE_COLUMNS),
            find(&STATUS_COLUMNS),
        ];
        if columns[0].is_none() || columns[1].is_none() {
            return Err(ReadError::InvalidCsvHeader {
                path,
                reason: "an Entra sign-in export needs a time column (CreatedDateTime or Date (UTC)) and a user column (UserPrincipalName or Username)".into(),
            });
        }
        Ok(Self {
            records,
            columns,
            record: csv::StringRecord::new(),
        })
    }
}

impl<R: Read> Iterator for EntraCsvReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let result = self.records.read_record(&mut self.record);
        let line = match result.as_ref().map_err(csv::Error::position) {
            Err(Some(position)) => self.records.get_mut().line_at(position.byte()),
            Ok(_) | Err(None) => match self.record.position() {
                Some(position) => self.records.get_mut().line_at(position.byte()),
                None => 0,
            },
        };
        let locator = Locator::Line(line);
        match result {
            Ok(false) => None,
            Err(_) => Some(Ok(ReadItem::unreadable(locator, "malformed CSV row"))),
            Ok(true) => {
                let get = |i: Option<usize>| i.and_then(|i| self.record.get(i));
                let Some(time) = get(self.columns[0]).and_then(parse_entra_time) else {
                    return Some(Ok(ReadItem::unreadable(locator, "invalid sign-in time")));
                };
                let outcome = outcome_from(get(self.columns[3]), get(self.columns[4]));
                let mut event = Event::new(time, SourceSystem::EntraId, Action::Logon, outcome, locator);
                event.account = get(self.columns[1]).and_then(non_empty);
                event.client = get(self.columns[2]).and_then(non_empty);
                Some(Ok(event.into()))
            }
        }
    }
}

/// Streaming Entra JSON reader: JSON lines, or one array (plain or a Graph `value` page).
pub struct EntraJsonReader<R> {
    mode: JsonMode<R>,
    path: PathBuf,
    count: u64,
}

enum JsonMode<R> {
    Undecided(Option<R>),
    Lines { input: R, raw: Vec<u8>, line: String },
    Array(ArrayElements<R>),
    Done,
}

impl<R: BufRead> EntraJsonReader<R> {
    /// Creates a reader over `input`.
    pub fn new(input: R, path: PathBuf) -> Self {
        Self {
            mode: JsonMode::Undecided(Some(input)),
            path,
            count: 0,
        }
    }

    fn decide(&mut self) -> Result<(), ReadError> {
        let JsonMode::Undecided(input) = &mut self.mode else {
            return Ok(());
        };
        let Some(mut input) = input.take() else {
            return Ok(());
        };

        // Peek at the first non-blank byte: `[` or an object with a `value` array is a
        // document, anything else is JSON lines.
        let first = loop {
            let buf = input.fill_buf().map_err(|source| ReadError::Io {
                path: self.path.clone(),
                source,
            })?;
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let byte = buf[i];
                    input.consume(i);
                    break Some(byte);
                }
                None if buf.is_empty() => break None,
                None => {
                    let len = buf.len();
                    input.consume(len);
                }
            }
        };
        let is_document = match first {
            Some(b'[') => true,
            Some(b'{') => {
                let buf = input.fill_buf().map_err(|source| ReadError::Io {
                    path: self.path.clone(),
                    source,
                })?;
                let head = String::from_utf8_lossy(&buf[..buf.len().min(4096)]);
                starts_value_array(&head)
            }
            _ => false,
        };
        self.mode = if is_document {
            JsonMode::Array(ArrayElements::new(input))
        } else {
            JsonMode::Lines {
                input,
                raw: Vec::new(),
                line: String::new(),
            }
        };
        Ok(())
    }
}

/// Returns whether the text has a `"value": [` key, as a Graph API page does.
fn starts_value_array(head: &str) -> bool {
    head.match_indices("\"value\"").any(|(index, key)| {
        let rest = head[index + key.len()..].trim_start();
        rest.strip_prefix(':').is_some_and(|rest| rest.trim_start().starts_with('['))
    })
}

fn sign_in_to_item(bytes: &[u8], locator: Locator) -> Option<ReadItem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(bytes) else {
        return Some(ReadItem::unreadable(locator, "not a JSON object"));
    };
    let get = |names: &[&str]| -> Option<&Value> {
        names
            .iter()
            .find_map(|name| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
    };
    let text = |value: Option<&Value>| -> Option<String> {
        match value? {
            Value::String(s) => non_empty(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let Some(time) = text(get(&["createdDateTime", "TimeGenerated"])).and_then(|t| parse_entra_time(&t)) else {
        return Some(ReadItem::unreadable(locator, "invalid sign-in time"));
    };
    let code = get(&["status"])
        .and_then(|s| s.get("errorCode"))
        .cloned()
        .or_else(|| get(&["ResultType"]).cloned());
    let code = text(code.as_ref());
    let mut event = Event::new(
        time,
        SourceSystem::EntraId,
        Action::Logon,
        outcome_from(code.as_deref(), None),
        locator,
    );
    event.account = text(get(&["userPrincipalName"]));
    event.client = text(get(&["ipAddress"]));
    Some(event.into())
}

impl<R: BufRead> Iterator for EntraJsonReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(error) = self.decide() {
            self.mode = JsonMode::Done;
            return Some(Err(error));
        }
        loop {
            let (bytes, locator) = match &mut self.mode {
                JsonMode::Lines { input, raw, line } => match read_line_lossy(input, raw, line) {
                    Ok(false) => return None,
                    Ok(true) => {
                        self.count += 1;
                        (line.as_bytes().to_vec(), Locator::Line(self.count))
                    }
                    Err(source) => {
                        self.mode = JsonMode::Done;
                        return Some(Err(ReadError::Io {
                            path: self.path.clone(),
                            source,
                        }));
                    }
                },
                JsonMode::Array(elements) => match elements.next()? {
                    Ok(bytes) => {
                        self.count += 1;
                        (bytes, Locator::Entry(self.count))
                    }
                    Err(source) => {
                        self.mode = JsonMode::Done;
                        return Some(Err(ReadError::Io {
                            path: self.path.clone(),
                            source,
                        }));
                    }
                },
                JsonMode::Undecided(_) | JsonMode::Done => return None,
            };
            if let Some(item) = sign_in_to_item(&bytes, locator) {
                return Some(Ok(item));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: Vec<ReadItem>) -> Vec<Event> {
        items
            .into_iter()
            .filter_map(|i| match i {
                ReadItem::Event(e) => Some(*e),
                ReadItem::Unreadable(_) => None,
            })
            .collect()
    }

    #[test]
    fn log_analytics_csv() {
        let text = "\u{feff}TenantId,CreatedDateTime [UTC],UserPrincipalName,IPAddress,ResultType\n\
                    t,\"4/28/2021, 2:08:45.221 PM\",a@clinic.test,10.0.0.1,0\n\
                    t,\"4/28/2021, 2:09:00.000 PM\",a@clinic.test,10.0.0.1,50126\n\
                    t,yesterday,a@clinic.test,10.0.0.1,0\n";
        let items: Vec<_> = EntraCsvReader::new(text.as_bytes(), PathBuf::new())
            .map(|r| r.into_iter().flatten().collect())
            .unwrap_or_default();
        assert_eq!(items.len(), 3);
        assert!(matches!(&items[2], ReadItem::Unreadable(u) if u.locator == Locator::Line(4)));
        let events = events(items);
        assert_eq!(events[0].time.to_string(), "2021-04-28T14:08:45.221Z");
        assert_eq!(events[0].outcome, Outcome::Success);
        assert_eq!(events[1].outcome, Outcome::Failure);
    }

    #[test]
    fn csv_lines_count_crlf_and_blank_lines() {
        let text = "Date (UTC),Username,Status\r\n\r\nyesterday,a@clinic.test,Success\r\nlater,b@clinic.test,Success\r\n";
        let items: Vec<_> = EntraCsvReader::new(text.as_bytes(), PathBuf::new())
            .map(|r| r.into_iter().flatten().collect())
            .unwrap_or_default();
        let lines: Vec<Locator> = items
            .iter()
            .filter_map(|item| match item {
                ReadItem::Unreadable(unreadable) => Some(unreadable.locator),
                ReadItem::Event(_) => None,
            })
            .collect();
        assert_eq!(lines, [Locator::Line(3), Locator::Line(4)]);
    }

    #[test]
    fn admin_center_csv() {
        let text = "Date (UTC),Request ID,User,Username,IP address,Status,Sign-in error code\n\
                    2024-02-01T09:00:00Z,r,Ann,ann@clinic.test,1.2.3.4,Failure,50126\n";
        let items: Vec<_> = EntraCsvReader::new(text.as_bytes(), PathBuf::new())
            .map(|r| r.into_iter().flatten().collect())
            .unwrap_or_default();
        let events = events(items);
        assert_eq!(events[0].account.as_deref(), Some("ann@clinic.test"));
        assert_eq!(events[0].outcome, Outcome::Failure);
    }

    #[test]
    fn graph_json_array_and_lines() {
        let page = r#"{"value":[{"createdDateTime":"2024-02-01T09:00:00Z","userPrincipalName":"a@c.test","ipAddress":"1.1.1.1","status":{"errorCode":50126}},{"createdDateTime":"2024-02-01T09:01:00Z","userPrincipalName":"a@c.test","status":{"errorCode":0}}]}"#;
        let items: Vec<_> = EntraJsonReader::new(page.as_bytes(), PathBuf::new())
            .filter_map(Result::ok)
            .collect();
        let read = events(items);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].outcome, Outcome::Failure);
        assert_eq!(read[1].locator, Locator::Entry(2));

        let lines = "{\"createdDateTime\":\"2024-02-01T09:00:00Z\",\"userPrincipalName\":\"a@c.test\",\"status\":{\"errorCode\":0}}\n";
        let items: Vec<_> = EntraJsonReader::new(lines.as_bytes(), PathBuf::new())
            .filter_map(Result::ok)
            .collect();
        assert_eq!(events(items)[0].locator, Locator::Line(1));
    }
}
