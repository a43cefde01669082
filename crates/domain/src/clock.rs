//! The one clock of the workspace.
//!
//! Every deadline, due date, session expiry and ledger timestamp reads time through a [`Clock`],
//! so tests can set the time and advance it. [`SystemClock`] is the only code that reads the
//! system time; a clippy rule in `clippy.toml` forbids `Timestamp::now` elsewhere.

use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Returns the current instant in UTC.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // This is the one permitted reader of the system time.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stays where it is set, for tests and for building demo history.
#[derive(Debug, Clone)]
pub struct FixedClock {
    now: Arc<Mutex<Timestamp>>,
}

impl FixedClock {
    /// Creates a clock that reads `now` until it is moved.
    pub fn new(now: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves the clock to `now`; every clone of this clock sees the change.
    pub fn set(&self, now: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: SignedDuration) {
        let mut guard = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *guard = guard.saturating_add(by).unwrap_or(*guard);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Formats an instant as fixed-width UTC RFC 3339 text with microseconds
/// (`2026-12-04T19:20:00.000000Z`), the form stored in both databases so that text order is
/// time order.
pub fn format_instant(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_advances_all_clones() {
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let clock = FixedClock::new(start);
        let clone = clock.clone();

        clock.advance(SignedDuration::from_hours(2));

        assert_eq!(clone.now(), "2026-01-01T02:00:00Z".parse::<Timestamp>().unwrap());
    }

    #[test]
    fn instant_text_is_fixed_width() {
        let whole: Timestamp = "2026-12-04T19:20:00Z".parse().unwrap();
        let fraction: Timestamp = "2026-12-04T19:20:00.5Z".parse().unwrap();

        assert_eq!(format_instant(whole), "2026-12-04T19:20:00.000000Z");
        assert_eq!(format_instant(fraction), "2026-12-04T19:20:00.500000Z");
    }
}
