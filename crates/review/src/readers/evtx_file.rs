//! Windows event log (`.evtx`) reader over the `evtx` crate.
//!
//! Records are parsed one chunk at a time, so memory stays bounded by the chunk size (64 KiB of
//! file per chunk) and its rendered records. A record the parser cannot decode is reported as unreadable with the record
//! id when the parser reports it; otherwise reading goes on with the next record.

use std::collections::VecDeque;
use std::io::{Read, Seek};
use std::path::PathBuf;
use std::sync::Arc;

use evtx::{EvtxParser, IntoIterChunks, ParserSettings};
use serde_json::Value;

use super::windows::{SidNames, WindowsRecord, to_event};
use super::{ReadError, ReadItem};
use crate::event::Locator;

/// A `Read + Seek` source that can move to the parser's thread pool.
trait EvtxInput: Read + Seek + Send {}
impl<T: Read + Seek + Send> EvtxInput for T {}

/// Streaming EVTX reader.
pub struct EvtxReader {
    chunks: IntoIterChunks<Box<dyn EvtxInput>>,
    settings: Arc<ParserSettings>,
    pending: VecDeque<ReadItem>,
    sids: SidNames,
    failures: u64,
}

impl EvtxReader {
    /// Opens an EVTX stream. Fails when the file header is not an EVTX header.
    pub fn new<R: Read + Seek + Send + 'static>(input: R, path: PathBuf) -> Result<Self, ReadError> {
        let input: Box<dyn EvtxInput> = Box::new(input);
        let parser = EvtxParser::from_read_seek(input).map_err(|error| ReadError::InvalidEvtx {
            path,
            reason: error.to_string(),
        })?;
        Ok(Self {
            chunks: parser.into_chunks(),
            settings: Arc::new(ParserSettings::new()),
            pending: VecDeque::new(),
            sids: SidNames::default(),
            failures: 0,
        })
    }

    fn unreadable(&mut self, record_id: Option<u64>, reason: &str) -> ReadItem {
        // The parser does not always know the failing record's id; number such failures so
        // each one is still listed separately.
        self.failures += 1;
        let locator = record_id.map_or(Locator::Entry(self.failures), Locator::Record);
        ReadItem::unreadable(locator, reason)
    }

    /// Parses one chunk (at most 64 KiB of records) into pending items.
    fn load_chunk(&mut self, chunk: evtx::err::Result<evtx::EvtxChunkData>) {
        let mut data = match chunk {
            Ok(data) => data,
            Err(_) => {
                let item = self.unreadable(None, "damaged EVTX chunk");
                self.pending.push_back(item);
                return;
            }
        };
        let mut parsed = match data.parse(self.settings.clone()) {
            Ok(parsed) => parsed,
            Err(_) => {
                let item = self.unreadable(None, "damaged EVTX chunk");
                self.pending.push_back(item);
                return;
            }
        };
        let mut items = Vec::new();
        let mut failed = Vec::new();
        for record in parsed.iter() {
            let record_id = record.as_ref().ok().map(|r| r.event_record_id);
            match record.and_then(|r| r.into_json_value()) {
                Ok(record) => {
                    let locator = Locator::Record(record.event_record_id);
                    if let Some(item) = record_to_item(&record.data, locator, &mut self.sids) {
                        items.push(item);
                    }
                }
                Err(error) => failed.push(record_id.or_else(|| record_id_of(&error))),
            }
        }
        for record_id in failed {
            let item = self.unreadable(record_id, "damaged EVTX record");
            items.push(item);
        }
        self.pending.extend(items);
    }
}

impl Iterator for EvtxReader {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            let chunk = self.chunks.next()?;
            self.load_chunk(chunk);
        }
    }
}

fn record_id_of(error: &evtx::err::EvtxError) -> Option<u64> {
    match error {
        evtx::err::EvtxError::FailedToParseRecord { record_id, .. } => Some(*record_id),
        _ => None,
    }
}

/// Converts the JSON form of one EVTX record, or returns `None` for ids the rules do not use.
fn record_to_item(data: &Value, locator: Locator, sids: &mut SidNames) -> Option<ReadItem> {
    let event = data.get("Event")?;
    let system = event.get("System");
    let event_id = system
        .and_then(|s| s.get("EventID"))
        .and_then(|id| id.get("#text").unwrap_or(id).as_u64())
        .and_then(|id| u32::try_from(id).ok());
    let Some(event_id) = event_id else {
        return Some(ReadItem::unreadable(locator, "record has no EventID"));
    };

    let time = system
        .and_then(|s| s.get("TimeCreated"))
        .and_then(|t| t.get("#attributes"))
        .and_then(|a| a.get("SystemTime"))
        .and_then(Value::as_str)
        .and_then(super::parse_instant);
    let empty = serde_json::Map::new();
    let data_map = event
        .get("EventData")
        .and_then(Value::as_object)
        .or_else(|| {
            // UserData contains one element named after the event (LogFileCleared for 1102).
            event.get("UserData").and_then(Value::as_object)
        })
        .unwrap_or(&empty);

    let Some(time) = time else {
        return Some(ReadItem::unreadable(locator, "record has no valid TimeCreated"));
    };
    let record = WindowsRecord {
        event_id,
        time,
        locator,
        data: data_map,
    };
    to_event(&record, sids).map(ReadItem::from)
}
