//! Pure rules and types of Safeguard.
//!
//! This crate owns everything that can be decided without I/O: the regulation catalog, the
//! validated value types that every other crate passes around, calendar and cadence rules,
//! computed compliance status, retention arithmetic and the ledger hash. Nothing here touches a
//! database, a socket or the file system, so every rule is tested with plain unit tests. The one
//! exception is [`clock::SystemClock`], the single place in the workspace that reads the system
//! time; everything else receives time from a [`clock::Clock`].
#![deny(missing_docs)]

pub mod accounts;
pub mod addressable;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod compliance;
pub mod designation;
pub mod ehr_sources;
pub mod ids;
pub mod inventory;
pub mod ledger;
pub mod practice;
pub mod retention;
pub mod review_schedule;
pub mod risk;
pub mod sanctions;
pub mod values;
pub mod workforce;
