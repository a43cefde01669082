//! FHIR AuditEvent reader for R4 and R5, as JSON, NDJSON and XML, single resources or Bundles.
//!
//! The mapping reads the elements both releases share and the places where they differ: the
//! outcome (R4 `outcome` code, R5 `outcome.code`), the purpose of use (R4 `purposeOfEvent` and
//! `agent.purposeOfUse`, R5 `authorization` and `agent.authorization`) and the network address
//! (R4 `agent.network.address`, R5 `agent.networkString`). XML is turned into the JSON shape
//! first, so one mapping serves both. A JSON or XML document is read whole, so its memory use is
//! the document's size; NDJSON, the FHIR bulk format, is read line by line.
//!
//! Break-glass access is an AuditEvent whose purpose of use is emergency treatment (`ETREAT`) or
//! break-the-glass (`BTG`), or whose subtype is DICOM 110127 "Emergency Override Started". FHIR
//! has no element that records a post-event review, so such events are never marked reviewed.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use quick_xml::events::Event as XmlEvent;
use serde_json::{Map, Value};

use super::{ReadError, ReadItem, parse_instant, read_line_lossy};
use crate::event::{Action, Event, Locator, Outcome, PatientRef, SourceSystem, non_empty};

/// Purpose-of-use codes (HL7 v3 ActReason) that declare emergency access.
const EMERGENCY_PURPOSES: [&str; 2] = ["ETREAT", "BTG"];
/// DICOM event type code "Emergency Override Started".
const EMERGENCY_OVERRIDE_STARTED: &str = "110127";
/// DICOM event type code "User Authentication" and its Login/Logout subtypes.
const USER_AUTHENTICATION: &str = "110114";
const LOGIN: &str = "110122";
const LOGOUT: &str = "110123";
/// The largest JSON or XML document read whole.
const MAX_DOCUMENT_BYTES: u64 = 512 * 1024 * 1024;

/// Returns the value as a list: arrays as they are, anything else as one element.
fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => Vec::new(),
    }
}

/// Returns a string value, or the first string of an array (XML turns single values into
/// strings, JSON may use arrays).
fn text(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.first().and_then(Value::as_str),
        Value::Bool(true) => Some("true"),
        _ => None,
    }
}

/// Collects every `code` under a Coding, a CodeableConcept or lists of either.
fn codes(value: Option<&Value>) -> Vec<String> {
    let mut found = Vec::new();
    collect_codes(value, &mut found, 0);
    found
}

fn collect_codes(value: Option<&Value>, found: &mut Vec<String>, depth: usize) {
    if depth > 6 {
        return;
    }
    match value {
        Some(Value::Array(items)) => {
            for item in items {
                collect_codes(Some(item), found, depth + 1);
            }
        }
        Some(Value::Object(object)) => {
            if let Some(code) = object.get("code").and_then(Value::as_str) {
                found.push(code.to_owned());
            }
            for key in ["coding", "code", "concept"] {
                if let Some(inner @ (Value::Object(_) | Value::Array(_))) = object.get(key) {
                    collect_codes(Some(inner), found, depth + 1);
                }
            }
        }
        Some(Value::String(code)) => found.push(code.clone()),
        _ => {}
    }
}

fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true))) || text(value) == Some("true")
}

/// Maps one AuditEvent resource to an event, or explains why it cannot.
pub(crate) fn audit_event_to_item(resource: &Map<String, Value>, locator: Locator) -> ReadItem {
    if resource.get("resourceType").and_then(Value::as_str) != Some("AuditEvent") {
        return ReadItem::unreadable(locator, "not an AuditEvent resource");
    }
    let Some(time) = text(resource.get("recorded")).and_then(parse_instant) else {
        return ReadItem::unreadable(locator, "AuditEvent has no valid recorded time");
    };

    let type_codes = codes(resource.get("type"));
    let subtype_codes = codes(resource.get("subtype"));
    let outcome_code = match resource.get("outcome") {
        Some(Value::Object(outcome)) => codes(outcome.get("code")).into_iter().next(),
        other => text(other).map(str::to_owned),
    };
    let outcome = match outcome_code.as_deref() {
        Some("0") | Some("success") => Outcome::Success,
        Some(_) => Outcome::Failure,
        None => Outcome::Unknown,
    };

    let agents = list(resource.get("agent"));
    let actor = agents
        .iter()
        .find(|a| is_true(a.get("requestor")))
        .or_else(|| agents.iter().find(|a| codes(a.get("type")).iter().any(|c| c == "humanuser")))
        .or_else(|| agents.first())
        .copied();

    let mut purposes = codes(resource.get("purposeOfEvent"));
    purposes.extend(codes(resource.get("authorization")));
    for agent in &agents {
        purposes.extend(codes(agent.get("purposeOfUse")));
        purposes.extend(codes(agent.get("authorization")));
    }
    let break_glass =
        purposes.iter().any(|p| EMERGENCY_PURPOSES.contains(&p.as_str())) || subtype_codes.iter().any(|c| c == EMERGENCY_OVERRIDE_STARTED);

    let patient = list(resource.get("entity")).into_iter().find_map(patient_of).or_else(|| {
        // R5 also names the patient in `patient`.
        resource.get("patient").and_then(reference_or_identifier)
    });

    let action = if type_codes.iter().any(|c| c == USER_AUTHENTICATION) {
        if subtype_codes.iter().any(|c| c == LOGOUT) {
            Action::Logoff
        } else if subtype_codes.iter().any(|c| c == LOGIN) {
            Action::Logon
        } else {
            Action::Other
        }
    } else if patient.is_some() {
        Action::RecordAccess
    } else {
        Action::Other
    };

    let mut event = Event::new(time, SourceSystem::Fhir, action, outcome, locator);
    event.account = actor.and_then(account_of);
    event.client = actor
        .and_then(|a| text(a.get("network").and_then(|n| n.get("address"))).or_else(|| text(a.get("networkString"))))
        .and_then(non_empty);
    event.patient = patient.map(|p| PatientRef::hash(&p));
    event.break_glass = break_glass;
    ReadItem::from(event)
}

fn account_of(agent: &Value) -> Option<String> {
    let who = agent.get("who");
    who.and_then(|w| text(w.get("identifier").and_then(|i| i.get("value"))))
        .or_else(|| who.and_then(|w| text(w.get("reference"))))
        .or_else(|| text(agent.get("altId")))
        .or_else(|| who.and_then(|w| text(w.get("display"))))
        .or_else(|| text(agent.get("name")))
        .and_then(non_empty)
}

fn reference_or_identifier(value: &Value) -> Option<String> {
    if let Some(reference) = text(value.get("reference")) {
        // `Patient/123/_history/2` and `Patient/123` are the same patient.
        let mut parts = reference.split('/');
        if let (Some("Patient"), Some(id)) = (parts.next(), parts.next()) {
            return Some(format!("Patient/{id}"));
        }
        return Some(reference.to_owned());
    }
    text(value.get("identifier").and_then(|i| i.get("value"))).and_then(non_empty)
}

fn patient_of(entity: &Value) -> Option<String> {
    let what = entity.get("what")?;
    let role_is_patient = codes(entity.get("role")).iter().any(|c| c == "1" || c == "patient");
    let reference = text(what.get("reference")).unwrap_or("");
    if role_is_patient || reference.starts_with("Patient/") {
        reference_or_identifier(what)
    } else {
        None
    }
}

/// Maps a resource that may be a Bundle into items, numbering entries from 1.
fn resource_to_items(resource: &Map<String, Value>) -> Vec<ReadItem> {
    if resource.get("resourceType").and_then(Value::as_str) == Some("Bundle") {
        return list(resource.get("entry"))
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                let locator = Locator::Entry(index as u64 + 1);
                match entry.get("resource").and_then(Value::as_object) {
                    Some(inner) => audit_event_to_item(inner, locator),
                    None => ReadItem::unreadable(locator, "Bundle entry has no resource"),
                }
            })
            .collect();
    }
    vec![audit_event_to_item(resource, Locator::Entry(1))]
}

/// Reader of one JSON document: an AuditEvent or a Bundle.
pub struct FhirJsonReader {
    state: DocumentState<Box<dyn Read + Send>>,
}

enum DocumentState<R> {
    Unread(R, PathBuf),
    Items(std::vec::IntoIter<ReadItem>),
}

impl FhirJsonReader {
    /// Creates a reader over `input`.
    pub fn new<R: Read + Send + 'static>(input: R, path: PathBuf) -> Self {
        Self {
            state: DocumentState::Unread(Box::new(input), path),
        }
    }
}

fn read_document<R: Read>(input: R, path: &Path) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_DOCUMENT_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
    Ok(bytes)
}

impl Iterator for FhirJsonReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let DocumentState::Unread(input, path) = &mut self.state {
            let bytes = match read_document(input, path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    self.state = DocumentState::Items(Vec::new().into_iter());
                    return Some(Err(error));
                }
            };
            let items = match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(resource)) => resource_to_items(&resource),
                _ => vec![ReadItem::unreadable(
                    Locator::Entry(1),
                    "not a JSON object (expected an AuditEvent or a Bundle)",
                )],
            };
            self.state = DocumentState::Items(items.into_iter());
        }
        match &mut self.state {
            DocumentState::Items(items) => items.next().map(Ok),
            DocumentState::Unread(..) => None,
        }
    }
}

/// Reader of AuditEvent resources as NDJSON.
pub struct FhirNdjsonReader<R> {
    input: R,
    path: PathBuf,
    line_number: u64,
    raw: Vec<u8>,
    line: String,
    failed: bool,
}

impl<R: BufRead> FhirNdjsonReader<R> {
    /// Creates a reader over `input`.
    pub fn new(input: R, path: PathBuf) -> Self {
        Self {
            input,
            path,
            line_number: 0,
            raw: Vec::new(),
            line: String::new(),
            failed: false,
        }
    }
}

impl<R: BufRead> Iterator for FhirNdjsonReader<R> {
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
                    if self.line.trim().is_empty() {
                        continue;
                    }
                    let locator = Locator::Line(self.line_number);
                    let item = match serde_json::from_str::<Value>(&self.line) {
                        Ok(Value::Object(resource)) => audit_event_to_item(&resource, locator),
                        _ => ReadItem::unreadable(locator, "not a JSON object"),
                    };
                    return Some(Ok(item));
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

/// Reader of one XML document: an AuditEvent or a Bundle.
pub struct FhirXmlReader {
    state: DocumentState<Box<dyn Read + Send>>,
}

impl FhirXmlReader {
    /// Creates a reader over `input`.
    pub fn new<R: Read + Send + 'static>(input: R, path: PathBuf) -> Self {
        Self {
            state: DocumentState::Unread(Box::new(input), path),
        }
    }
}

impl Iterator for FhirXmlReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let DocumentState::Unread(input, path) = &mut self.state {
            let bytes = match read_document(input, path) {
                Ok(bytes) => bytes,
                Err(error) => {
                    self.state = DocumentState::Items(Vec::new().into_iter());
                    return Some(Err(error));
                }
            };
            let items = match xml_to_json(&bytes) {
                Some(resource) => resource_to_items(&resource),
                None => vec![ReadItem::unreadable(Locator::Entry(1), "malformed FHIR XML document")],
            };
            self.state = DocumentState::Items(items.into_iter());
        }
        match &mut self.state {
            DocumentState::Items(items) => items.next().map(Ok),
            DocumentState::Unread(..) => None,
        }
    }
}

/// One element being built while the XML is read.
struct Node {
    name: String,
    value: Option<String>,
    children: Map<String, Value>,
}

impl Node {
    fn into_value(self) -> Value {
        if self.children.is_empty() {
            return self.value.map_or(Value::Null, Value::String);
        }
        let mut children = self.children;
        if let Some(value) = self.value {
            children.insert("value".into(), Value::String(value));
        }
        Value::Object(children)
    }

    fn add_child(&mut self, name: String, value: Value) {
        // A name seen twice becomes a list; readers accept a single value or a list alike.
        match self.children.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                self.children.insert(name, value);
            }
        }
    }
}

/// Converts FHIR XML into the JSON shape: `<x value="v"/>` becomes `"x": "v"`, `<resource>`
/// wrappers become the resource with its `resourceType`, and the XHTML narrative is skipped.
fn xml_to_json(bytes: &[u8]) -> Option<Map<String, Value>> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Node> = Vec::new();
    let mut skip_depth = 0usize;
    let mut buf = Vec::new();
    let mut root: Option<(String, Value)> = None;

    loop {
        let event = reader.read_event_into(&mut buf).ok()?;
        match event {
            XmlEvent::Start(_) if skip_depth > 0 => skip_depth += 1,
            XmlEvent::Empty(_) if skip_depth > 0 => {}
            XmlEvent::End(_) if skip_depth > 0 => skip_depth -= 1,
            XmlEvent::Start(ref start) | XmlEvent::Empty(ref start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if name == "div" {
                    if matches!(event, XmlEvent::Start(_)) {
                        skip_depth = 1;
                    }
                    buf.clear();
                    continue;
                }
                let value = start
                    .attributes()
                    .filter_map(Result::ok)
                    .find(|a| a.key.as_ref() == b"value")
                    .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                let node = Node {
                    name,
                    value,
                    children: Map::new(),
                };
                if matches!(event, XmlEvent::Empty(_)) {
                    finish_node(node, &mut stack, &mut root);
                } else {
                    stack.push(node);
                }
            }
            XmlEvent::End(_) => {
                let node = stack.pop()?;
                finish_node(node, &mut stack, &mut root);
            }
            XmlEvent::Eof => break,
            _ => {}
        }
        buf.clear();
    }

    let (name, value) = root?;
    let Value::Object(mut object) = value else {
        return None;
    };
    object.insert("resourceType".into(), Value::String(name));
    Some(object)
}

fn finish_node(node: Node, stack: &mut [Node], root: &mut Option<(String, Value)>) {
    let name = node.name.clone();
    let mut value = node.into_value();

    // Inside a Bundle, `<resource><AuditEvent>...</AuditEvent></resource>` wraps the resource
    // in an element named after its type; JSON puts the type in `resourceType` instead.
    if let Some(parent) = stack.last()
        && parent.name == "resource"
        && let Value::Object(object) = &mut value
    {
        object.insert("resourceType".into(), Value::String(name.clone()));
    }

    match stack.last_mut() {
        Some(parent) if parent.name == "resource" => {
            // Replace the wrapper's content with the typed resource.
            parent.children = match value {
                Value::Object(object) => object,
                _ => Map::new(),
            };
        }
        Some(parent) => parent.add_child(name, value),
        None => *root = Some((name, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(item: ReadItem) -> Event {
        match item {
            ReadItem::Event(event) => *event,
            ReadItem::Unreadable(u) => panic!("unreadable: {u:?}"),
        }
    }

    #[test]
    fn r4_emergency_access() {
        let resource = serde_json::json!({
            "resourceType": "AuditEvent",
            "type": {"code": "rest"},
            "action": "R",
            "recorded": "2024-02-03T22:15:00Z",
            "outcome": "0",
            "purposeOfEvent": [{"coding": [{"code": "ETREAT"}]}],
            "agent": [{"requestor": true, "who": {"identifier": {"value": "drsmith"}}, "network": {"address": "10.0.0.5"}}],
            "entity": [{"what": {"reference": "Patient/42/_history/3"}}]
        });
        let map = resource.as_object().cloned().unwrap_or_default();
        let event = event(audit_event_to_item(&map, Locator::Entry(1)));
        assert!(event.break_glass);
        assert_eq!(event.account.as_deref(), Some("drsmith"));
        assert_eq!(event.client.as_deref(), Some("10.0.0.5"));
        assert_eq!(event.action, Action::RecordAccess);
        assert_eq!(event.patient, Some(PatientRef::hash("Patient/42")));
        assert_eq!(event.outcome, Outcome::Success);
    }

    #[test]
    fn r5_xml_bundle() {
        let xml = r#"<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/>
          <entry><resource><AuditEvent><recorded value="2024-02-03T22:15:00Z"/>
            <outcome><code><code value="8"/></code></outcome>
            <authorization><coding><code value="BTG"/></coding></authorization>
            <agent><who><reference value="Practitioner/7"/></who><requestor value="true"/><networkString value="ws-3"/></agent>
            <entity><what><reference value="Patient/9"/></what></entity>
          </AuditEvent></resource></entry>
          <entry><resource><Patient><id value="x"/></Patient></resource></entry>
        </Bundle>"#;
        let items: Vec<_> = FhirXmlReader::new(xml.as_bytes(), PathBuf::new()).filter_map(Result::ok).collect();
        assert_eq!(items.len(), 2);
        let first = event(items[0].clone());
        assert!(first.break_glass);
        assert_eq!(first.outcome, Outcome::Failure);
        assert_eq!(first.account.as_deref(), Some("Practitioner/7"));
        assert_eq!(first.client.as_deref(), Some("ws-3"));
        assert!(matches!(&items[1], ReadItem::Unreadable(u) if u.locator == Locator::Entry(2)));
    }

    #[test]
    fn login_and_logout_types() {
        let login = serde_json::json!({"resourceType": "AuditEvent", "recorded": "2024-01-01T00:00:00Z",
            "type": {"code": "110114"}, "subtype": [{"code": "110122"}], "outcome": "4",
            "agent": [{"requestor": true, "altId": "jdoe"}]});
        let map = login.as_object().cloned().unwrap_or_default();
        let event = event(audit_event_to_item(&map, Locator::Line(1)));
        assert_eq!(event.action, Action::Logon);
        assert_eq!(event.outcome, Outcome::Failure);
        assert_eq!(event.account.as_deref(), Some("jdoe"));
    }

    #[test]
    fn ndjson_with_bad_line() {
        let text = "{\"resourceType\":\"AuditEvent\",\"recorded\":\"2024-01-01T00:00:00Z\"}\n[1]\n";
        let items: Vec<_> = FhirNdjsonReader::new(text.as_bytes(), PathBuf::new())
            .filter_map(Result::ok)
            .collect();
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[1], ReadItem::Unreadable(u) if u.locator == Locator::Line(2)));
    }
}
