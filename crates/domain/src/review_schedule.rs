//! The information-system activity-review schedule of 164.308(a)(1)(ii)(D): which systems'
//! logs are reviewed, how often, and which account reviews them.
//!
//! Each entry of the schedule is a calendar obligation tied to that specification that also
//! names the reviewed system, so its instances appear on the calendar and the dashboard like any
//! other obligation, and a completed activity review completes the instance of its period.

use jiff::civil::Date;

use crate::calendar::{Cadence, CompletionKind, ObligationInput};
use crate::values::{InvalidValue, Line, Text, parse_date};

/// The implementation specification every schedule entry serves: information system activity
/// review.
pub const ACTIVITY_REVIEW_CITATION: &str = "164.308(a)(1)(ii)(D)";

/// The maximum length of a system name, so that the calendar title built from it stays within
/// the length of a [`Line`].
pub const MAX_SYSTEM_CHARS: usize = 100;

/// A validated schedule entry: the reviewed system and the obligation that recurs for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewScheduleInput {
    /// The system whose logs are reviewed, such as `EHR access log`.
    pub system: Line,
    /// The calendar obligation: its title names the system and its citation is
    /// [`ACTIVITY_REVIEW_CITATION`].
    pub obligation: ObligationInput,
}

impl ReviewScheduleInput {
    /// Parses a schedule form; every error names its field. An empty description is replaced
    /// by one that lists what a review of the system's logs looks for.
    pub fn parse(system: &str, description: &str, cadence: &str, anchor: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let system = Line::parse("system", system).map_err(|error| errors.push(error)).ok();
        if let Some(name) = &system
            && name.as_str().chars().count() > MAX_SYSTEM_CHARS
        {
            errors.push(InvalidValue::new(
                "system",
                format!("is longer than {MAX_SYSTEM_CHARS} characters; shorten it"),
            ));
        }
        let description = Text::parse_optional("description", description)
            .map_err(|error| errors.push(error))
            .ok();
        let cadence = cadence.parse::<Cadence>().map_err(|error| errors.push(error)).ok();
        let anchor = parse_date("first period starts", anchor).map_err(|error| errors.push(error)).ok();

        let (Some(system), Some(description), Some(cadence), Some(anchor)) = (system, description, cadence, anchor) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }

        let title = Line::parse("system", &review_title(system.as_str())).map_err(|error| vec![error])?;
        let description = match description {
            Some(description) => description,
            None => Text::parse("description", &default_description(system.as_str())).map_err(|error| vec![error])?,
        };
        Ok(Self {
            system,
            obligation: ObligationInput {
                title,
                description: Some(description),
                citation: ACTIVITY_REVIEW_CITATION,
                cadence,
                completion: CompletionKind::Standard,
                anchor,
            },
        })
    }
}

/// Returns the calendar title of the review of `system`.
pub fn review_title(system: &str) -> String {
    format!("Activity review: {system}")
}

fn default_description(system: &str) -> String {
    format!(
        "Review the activity in {system}: failed sign-ins, access outside office hours, access by people who have left and anything else unusual. Record what was found and what was done about it."
    )
}

/// Returns the index of the open calendar item that a review of `review_from` to `review_to`
/// completes: the item whose whole period, `(starts_on, due_on)`, lies within the review's
/// period. When the review covers several items, the one that ends last is chosen. `None`
/// means the review covers no open item, and signing it should complete none rather than
/// complete one whose logs were not reviewed.
///
/// NOTE: a review covering several periods completes only the latest of them; the earlier
/// items stay open on the calendar.
pub fn covered_item(review_from: Date, review_to: Date, open_items: &[(Date, Date)]) -> Option<usize> {
    open_items
        .iter()
        .enumerate()
        .filter(|(_, (starts_on, due_on))| review_from <= *starts_on && *due_on <= review_to)
        .max_by_key(|(_, (_, due_on))| *due_on)
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn citation_is_in_the_catalog() {
        assert_eq!(
            crate::catalog::known_citation(ACTIVITY_REVIEW_CITATION),
            Some(ACTIVITY_REVIEW_CITATION)
        );
    }

    #[test]
    fn schedule_builds_the_obligation() {
        let input = ReviewScheduleInput::parse(" EHR access log ", "", "monthly", "2026-12-01").unwrap();

        assert_eq!(input.system.as_str(), "EHR access log");
        assert_eq!(input.obligation.title.as_str(), "Activity review: EHR access log");
        assert_eq!(input.obligation.citation, ACTIVITY_REVIEW_CITATION);
        assert_eq!(input.obligation.cadence, Cadence::Monthly);
        assert_eq!(input.obligation.anchor, date(2026, 12, 1));
        assert!(
            input
                .obligation
                .description
                .unwrap()
                .as_str()
                .contains("activity in EHR access log:")
        );
    }

    #[test]
    fn schedule_keeps_a_given_description() {
        let input = ReviewScheduleInput::parse("Windows sign-ins", "Security log of the server", "quarterly", "2026-10-01").unwrap();

        assert_eq!(input.obligation.description.unwrap().as_str(), "Security log of the server");
    }

    #[test]
    fn schedule_lists_every_bad_field() {
        let errors = ReviewScheduleInput::parse("", "", "weekly", "soon").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["system", "cadence", "first period starts"]);
    }

    #[test]
    fn schedule_rejects_long_system_name() {
        let errors = ReviewScheduleInput::parse(&"s".repeat(101), "", "monthly", "2026-12-01").unwrap_err();

        assert_eq!(errors[0].field, "system");
        assert!(ReviewScheduleInput::parse(&"s".repeat(100), "", "monthly", "2026-12-01").is_ok());
    }

    #[test]
    fn covered_item_matches_review_period() {
        let items = [(date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 12, 1), date(2026, 12, 31))];

        assert_eq!(covered_item(date(2026, 11, 1), date(2026, 11, 30), &items), Some(0));
        assert_eq!(covered_item(date(2026, 12, 1), date(2026, 12, 31), &items), Some(1));
    }

    #[test]
    fn covered_item_needs_whole_period() {
        let items = [(date(2026, 12, 1), date(2026, 12, 31))];

        assert_eq!(covered_item(date(2026, 11, 1), date(2026, 11, 30), &items), None);
        assert_eq!(covered_item(date(2026, 12, 1), date(2026, 12, 15), &items), None);
        assert_eq!(covered_item(date(2026, 11, 15), date(2026, 12, 15), &items), None);
        assert_eq!(covered_item(date(2026, 11, 1), date(2026, 11, 30), &[]), None);
    }

    #[test]
    fn covered_item_prefers_latest_of_several() {
        let items = [
            (date(2026, 12, 1), date(2026, 12, 31)),
            (date(2026, 10, 1), date(2026, 10, 31)),
            (date(2026, 11, 1), date(2026, 11, 30)),
        ];

        assert_eq!(covered_item(date(2026, 10, 1), date(2026, 11, 30), &items), Some(2));
        assert_eq!(covered_item(date(2026, 9, 1), date(2027, 1, 31), &items), Some(0));
    }
}
