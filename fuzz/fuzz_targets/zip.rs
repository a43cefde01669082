#![no_main]
//! Fuzz target: a zip archive given for review. Any input must give a report or a read error,
//! never a panic, whatever the archive's headers, names and sizes contain.

use std::path::PathBuf;

use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use safeguard_review::readers::ReaderOptions;
use safeguard_review::review::{NoProgress, ReviewInput, ReviewOptions, run_review};
use safeguard_review::rules::RuleConfig;

/// Returns the file this fuzzing process writes each input to, because a review reads files.
fn archive_path() -> PathBuf {
    std::env::temp_dir().join(format!("safeguard-fuzz-zip-{}.zip", std::process::id()))
}

fuzz_target!(|data: &[u8]| {
    // The zip signature makes the review open the input as an archive.
    let mut archive = Vec::with_capacity(data.len() + 4);
    if !data.starts_with(b"PK\x03\x04") {
        archive.extend_from_slice(b"PK\x03\x04");
    }
    archive.extend_from_slice(data);
    let path = archive_path();
    if std::fs::write(&path, &archive).is_err() {
        return;
    }
    let options = ReviewOptions {
        readers: ReaderOptions::new(2024, TimeZone::UTC),
        rules: RuleConfig::default(),
        practice_time_zone: TimeZone::UTC,
        roster: None,
        from: None,
        to: None,
    };
    let _ = run_review(&[ReviewInput { path, format: None }], options, &NoProgress);
});
