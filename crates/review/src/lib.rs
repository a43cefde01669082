//! The activity-review engine: streaming log readers, normalized events, rules and findings.
//!
//! A review reads each log file with the reader for its format ([`readers`]), turns every line
//! or record into a normalized [`event::Event`], runs the rules over the stream
//! ([`rules::Reviewer`]) and collects findings with their evidence into a [`report::Report`].
//! The crate does no database work and keeps no state between reviews.
#![deny(missing_docs)]

pub mod event;
pub mod finding;
pub mod readers;
pub mod report;
pub mod review;
pub mod roster;
pub mod rules;
