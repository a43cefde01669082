#![no_main]
//! Fuzz target: the loghub structured CSV reader. Any input must produce events or unreadable entries, never a panic,
//! and every event must then pass through the rules.

#[allow(unused_imports)]
use std::io::Cursor;
#[allow(unused_imports)]
use std::path::PathBuf;

use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
#[allow(unused_imports)]
use safeguard_review::readers::*;
use safeguard_review::rules::{Reviewer, RuleConfig};

/// Reads every item and feeds the events to a reviewer.
#[allow(dead_code)]
fn drain(reader: impl Iterator<Item = Result<ReadItem, ReadError>>) {
    let mut reviewer = Reviewer::new(RuleConfig::default(), TimeZone::UTC, None);
    for item in reader {
        if let Ok(ReadItem::Event(event)) = item {
            reviewer.observe(0, &event);
        }
    }
    let _ = reviewer.finish();
}

fuzz_target!(|data: &[u8]| {
    let context = SyslogTimeContext {
        year: 2024,
        time_zone: TimeZone::UTC,
    };
    if let Ok(reader) = LoghubCsvReader::new(data, context, PathBuf::new()) {
        drain(reader);
    }
});
