//! The six-year retention rule of 164.316(b)(2)(i).
//!
//! Documentation must be kept for six years from the later of the day it was created and the
//! day it was last in effect. A record still in effect has no end yet, so it cannot be deleted
//! at all.

use jiff::Span;
use jiff::civil::Date;

/// The retention period in years.
pub const RETENTION_YEARS: i16 = 6;

/// Returns the first day a record may be deleted, or `None` while it is still in effect.
pub fn deletable_from(created_on: Date, in_effect_until: Option<Date>) -> Option<Date> {
    let last_in_effect = in_effect_until?;
    let start = created_on.max(last_in_effect);

    Some(start.checked_add(Span::new().years(RETENTION_YEARS)).unwrap_or(Date::MAX))
}

/// Decides whether a record may be deleted on `today`.
pub fn may_delete(created_on: Date, in_effect_until: Option<Date>, today: Date) -> bool {
    deletable_from(created_on, in_effect_until).is_some_and(|from| today >= from)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn clock_starts_at_later_of_creation_and_end() {
        assert_eq!(deletable_from(date(2020, 1, 10), Some(date(2022, 5, 1))), Some(date(2028, 5, 1)));
        assert_eq!(deletable_from(date(2020, 1, 10), Some(date(2019, 5, 1))), Some(date(2026, 1, 10)));
    }

    #[test]
    fn record_in_effect_is_never_deletable() {
        assert!(!may_delete(date(2000, 1, 1), None, date(2026, 12, 4)));
    }

    #[test]
    fn deletion_allowed_from_the_boundary_day() {
        assert!(!may_delete(date(2020, 3, 1), Some(date(2020, 3, 1)), date(2026, 2, 28)));
        assert!(may_delete(date(2020, 3, 1), Some(date(2020, 3, 1)), date(2026, 3, 1)));
    }
}
