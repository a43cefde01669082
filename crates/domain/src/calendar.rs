//! Calendar rules: cadences, periods, due dates and the state of an obligation instance.
//!
//! An obligation recurs on a cadence from an anchor date. Period `n` runs from the anchor plus
//! `n` cadence lengths up to the day before the next period starts, and its instance is due on
//! the last day of the period. Periods are counted from the anchor each time rather than from
//! the previous period, so a month-end anchor does not drift (31 Jan, 28 Feb, 31 Mar). All
//! dates are calendar days in the practice's time zone; converting an instant to that day is
//! the caller's job, through [`local_date`].

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde::Serialize;

use crate::values::InvalidValue;

/// How often an obligation recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Cadence {
    /// Every calendar month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnual,
    /// Every year.
    Annual,
}

impl Cadence {
    /// Every cadence, shortest first.
    pub const ALL: [Cadence; 4] = [Cadence::Monthly, Cadence::Quarterly, Cadence::SemiAnnual, Cadence::Annual];

    /// Returns the length of one period in months.
    pub fn months(self) -> i32 {
        match self {
            Cadence::Monthly => 1,
            Cadence::Quarterly => 3,
            Cadence::SemiAnnual => 6,
            Cadence::Annual => 12,
        }
    }

    /// Returns how many days before its due date an instance counts as due soon.
    ///
    /// The window grows with the cadence so that a yearly task gets a month's notice and a
    /// monthly one a week's.
    pub fn due_soon_days(self) -> i64 {
        match self {
            Cadence::Monthly => 7,
            Cadence::Quarterly => 14,
            Cadence::SemiAnnual | Cadence::Annual => 30,
        }
    }

    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            Cadence::Monthly => "monthly",
            Cadence::Quarterly => "quarterly",
            Cadence::SemiAnnual => "semiannual",
            Cadence::Annual => "annual",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Cadence::Monthly => "Monthly",
            Cadence::Quarterly => "Quarterly",
            Cadence::SemiAnnual => "Every six months",
            Cadence::Annual => "Annually",
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Cadence {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Cadence::ALL.into_iter().find(|cadence| cadence.code() == code).ok_or_else(|| {
            InvalidValue::new(
                "cadence",
                format!("{code:?} is not a cadence; choose monthly, quarterly, semiannual or annual"),
            )
        })
    }
}

/// One period of an obligation: the days it covers and the day its instance is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    /// The period's number, counted from 0 at the anchor.
    pub index: i64,
    /// The first day of the period.
    pub starts_on: Date,
    /// The last day of the period, which is also the due date.
    pub due_on: Date,
}

/// Returns period `index` of an obligation anchored on `anchor`.
pub fn period(anchor: Date, cadence: Cadence, index: i64) -> Period {
    let start = add_months(anchor, cadence.months() as i64 * index);
    let next = add_months(anchor, cadence.months() as i64 * (index + 1));
    let due_on = next.yesterday().unwrap_or(next);

    Period {
        index,
        starts_on: start,
        due_on,
    }
}

/// Returns the period that contains `day`, or `None` if `day` is before the anchor.
pub fn period_containing(anchor: Date, cadence: Cadence, day: Date) -> Option<Period> {
    if day < anchor {
        return None;
    }

    // An estimate from whole months, then a step either way, finds the period in O(1).
    let months = (day.year() as i64 - anchor.year() as i64) * 12 + (day.month() as i64 - anchor.month() as i64);
    let mut index = (months / cadence.months() as i64).max(0);
    loop {
        let candidate = period(anchor, cadence, index);
        if day < candidate.starts_on {
            index -= 1;
        } else if day > candidate.due_on {
            index += 1;
        } else {
            return Some(candidate);
        }
    }
}

/// Returns every period from the anchor up to and including the one containing `today`.
pub fn periods_through(anchor: Date, cadence: Cadence, today: Date) -> Vec<Period> {
    match period_containing(anchor, cadence, today) {
        Some(current) => (0..=current.index).map(|index| period(anchor, cadence, index)).collect(),
        None => Vec::new(),
    }
}

/// Returns the anchor for a new obligation so that its first period contains `today`.
///
/// Monthly, quarterly and half-yearly obligations align with calendar months, quarters and
/// halves, which is how practices plan them; an annual obligation starts at the first of the
/// current month, so its first instance is due about a year out rather than on 31 December.
pub fn default_anchor(cadence: Cadence, today: Date) -> Date {
    let month = match cadence {
        Cadence::Monthly | Cadence::Annual => today.month(),
        Cadence::Quarterly | Cadence::SemiAnnual => {
            let months = cadence.months() as i8;
            (today.month() - 1) / months * months + 1
        }
    };
    Date::new(today.year(), month, 1).unwrap_or(today)
}

fn add_months(date: Date, months: i64) -> Date {
    date.checked_add(Span::new().months(months)).unwrap_or(date)
}

/// Converts an instant to the calendar day it falls on in `zone`.
pub fn local_date(at: Timestamp, zone: &TimeZone) -> Date {
    zone.to_datetime(at).date()
}

/// The state of an obligation instance on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum InstanceState {
    /// Not due for a while.
    Upcoming,
    /// Due within the cadence's due-soon window.
    DueSoon,
    /// Past its due date and not completed.
    Overdue,
    /// Completed on or before its due date.
    Completed,
    /// Completed after its due date.
    CompletedLate,
}

impl InstanceState {
    /// Returns the stored and CSS code.
    pub fn code(self) -> &'static str {
        match self {
            InstanceState::Upcoming => "upcoming",
            InstanceState::DueSoon => "due-soon",
            InstanceState::Overdue => "overdue",
            InstanceState::Completed => "completed",
            InstanceState::CompletedLate => "completed-late",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            InstanceState::Upcoming => "Upcoming",
            InstanceState::DueSoon => "Due soon",
            InstanceState::Overdue => "Overdue",
            InstanceState::Completed => "Completed",
            InstanceState::CompletedLate => "Completed late",
        }
    }

    /// Returns whether the instance has been completed, on time or late.
    pub fn is_completed(self) -> bool {
        matches!(self, InstanceState::Completed | InstanceState::CompletedLate)
    }
}

/// Decides the state of an instance due on `due_on`, completed on `completed_on` if it was,
/// as seen on `today`.
pub fn instance_state(cadence: Cadence, due_on: Date, completed_on: Option<Date>, today: Date) -> InstanceState {
    match completed_on {
        Some(done) if done <= due_on => InstanceState::Completed,
        Some(_) => InstanceState::CompletedLate,
        None if today > due_on => InstanceState::Overdue,
        None if (due_on - today).get_days() as i64 <= cadence.due_soon_days() => InstanceState::DueSoon,
        None => InstanceState::Upcoming,
    }
}

/// The record a completion must contain beyond who, when, notes and evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CompletionKind {
    /// Notes and evidence only.
    Standard,
    /// A meeting or report: the date it took place, the attendees and the decisions.
    Meeting,
}

impl CompletionKind {
    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            CompletionKind::Standard => "standard",
            CompletionKind::Meeting => "meeting",
        }
    }
}

impl FromStr for CompletionKind {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        match code {
            "standard" => Ok(CompletionKind::Standard),
            "meeting" => Ok(CompletionKind::Meeting),
            _ => Err(InvalidValue::new(
                "completion records",
                format!("{code:?} is not standard or meeting"),
            )),
        }
    }
}

/// A default obligation that every new practice starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultObligation {
    /// A stable key, so seeding twice does not duplicate.
    pub key: &'static str,
    /// The title shown on the calendar.
    pub title: &'static str,
    /// The work it involves.
    pub description: &'static str,
    /// The implementation specification or standard it serves, as a catalog citation.
    pub citation: &'static str,
    /// How often it recurs.
    pub cadence: Cadence,
    /// The record its completion contains.
    pub completion: CompletionKind,
}

/// The obligations a practice starts with, from the administrative-safeguards implementation
/// plan. The practice can tighten each cadence or add its own obligations.
pub const DEFAULT_OBLIGATIONS: [DefaultObligation; 9] = [
    DefaultObligation {
        key: "security-meeting",
        title: "Monthly security meeting",
        description: "A 30 to 60 minute review of open risks, incidents, access changes and overdue tasks, with attendees and decisions recorded.",
        citation: "164.308(a)(2)",
        cadence: Cadence::Monthly,
        completion: CompletionKind::Meeting,
    },
    DefaultObligation {
        key: "leadership-report",
        title: "Quarterly report to leadership",
        description: "The Security Official reports program status, open risks and decisions needed to the practice's leadership.",
        citation: "164.308(a)(1)(ii)(B)",
        cadence: Cadence::Quarterly,
        completion: CompletionKind::Meeting,
    },
    DefaultObligation {
        key: "access-review",
        title: "Quarterly user-access review",
        description: "Compare every active account in each system holding ePHI with the roster and the role matrix; remove or correct what does not match.",
        citation: "164.308(a)(4)(ii)(C)",
        cadence: Cadence::Quarterly,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "restore-test",
        title: "Quarterly backup restore test",
        description: "Restore a sample of ePHI from backup, check it is complete and readable, and record how long it took.",
        citation: "164.308(a)(7)(ii)(D)",
        cadence: Cadence::Quarterly,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "security-reminder",
        title: "Monthly security reminder",
        description: "Send the workforce a short security tip, such as how to spot phishing or report a lost device, and keep a copy.",
        citation: "164.308(a)(5)(ii)(A)",
        cadence: Cadence::Monthly,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "micro-training",
        title: "Quarterly micro-training",
        description: "A short training session for the whole workforce, with attendance recorded.",
        citation: "164.308(a)(5)(i)",
        cadence: Cadence::Quarterly,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "risk-analysis-review",
        title: "Annual risk-analysis review",
        description: "Review and update the risk analysis for every system, device and vendor that holds or moves ePHI.",
        citation: "164.308(a)(1)(ii)(A)",
        cadence: Cadence::Annual,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "evaluation",
        title: "Annual security evaluation",
        description: "Evaluate the program against every standard of the Security Rule and record the findings and remediation.",
        citation: "164.308(a)(8)",
        cadence: Cadence::Annual,
        completion: CompletionKind::Standard,
    },
    DefaultObligation {
        key: "policy-review",
        title: "Annual policy review",
        description: "Review every security policy and procedure, update what changed and record the new versions.",
        citation: "164.316(b)(2)(iii)",
        cadence: Cadence::Annual,
        completion: CompletionKind::Standard,
    },
];

/// A validated new obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationInput {
    /// The title shown on the calendar.
    pub title: crate::values::Line,
    /// The work it involves.
    pub description: Option<crate::values::Text>,
    /// The catalog citation it serves.
    pub citation: &'static str,
    /// How often it recurs.
    pub cadence: Cadence,
    /// The record its completion contains.
    pub completion: CompletionKind,
    /// The first day of its first period.
    pub anchor: Date,
}

impl ObligationInput {
    /// Parses an obligation form. The citation must name a standard, an implementation
    /// specification or a documentation item of the catalog.
    pub fn parse(
        title: &str,
        description: &str,
        citation: &str,
        cadence: &str,
        completion: &str,
        anchor: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let title = crate::values::Line::parse("title", title).map_err(|error| errors.push(error)).ok();
        let description = crate::values::Text::parse_optional("what doing it involves", description)
            .map_err(|error| errors.push(error))
            .ok();
        let citation = crate::catalog::known_citation(citation)
            .ok_or_else(|| {
                InvalidValue::new(
                    "requirement it serves",
                    format!("{citation:?} is not a citation in the catalog; choose one from the list"),
                )
            })
            .map_err(|error| errors.push(error))
            .ok();
        let cadence = cadence.parse::<Cadence>().map_err(|error| errors.push(error)).ok();
        let completion = completion.parse::<CompletionKind>().map_err(|error| errors.push(error)).ok();
        let anchor = crate::values::parse_date("first period starts", anchor)
            .map_err(|error| errors.push(error))
            .ok();

        match (title, description, citation, cadence, completion, anchor) {
            (Some(title), Some(description), Some(citation), Some(cadence), Some(completion), Some(anchor)) if errors.is_empty() => {
                Ok(Self {
                    title,
                    description,
                    citation,
                    cadence,
                    completion,
                    anchor,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The text fields of a completion form as the person typed them, kept so that a rejected
/// form can be shown again with its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompletionForm {
    /// The notes on the work done and the results.
    pub notes: String,
    /// The day a meeting took place, as `YYYY-MM-DD`.
    pub held_on: String,
    /// The meeting's attendees, one per line.
    pub attendees: String,
    /// The decisions the meeting took.
    pub decisions: String,
}

/// A validated completion of an obligation instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionInput {
    /// The work done and the results.
    pub notes: Option<crate::values::Text>,
    /// For meetings and reports: the day, attendees and decisions.
    pub meeting: Option<MeetingRecord>,
}

/// The record of a meeting or leadership report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    /// The day it took place.
    pub held_on: Date,
    /// The attendees, one per line.
    pub attendees: crate::values::Text,
    /// The decisions taken.
    pub decisions: crate::values::Text,
}

/// The field label of the meeting date, as the completion form shows it.
const HELD_ON: &str = "held on";

impl CompletionInput {
    /// Parses a completion form for the instance whose period runs from `starts_on` to
    /// `due_on`. A meeting obligation needs its date, attendees and decisions, and the date
    /// must pass [`check_meeting_date`]. Other obligations need notes or at least one
    /// evidence file, which the caller reports as `has_files`.
    pub fn parse(
        kind: CompletionKind,
        form: &CompletionForm,
        has_files: bool,
        starts_on: Date,
        due_on: Date,
        today: Date,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let notes = crate::values::Text::parse_optional("notes", &form.notes)
            .map_err(|error| errors.push(error))
            .ok()
            .flatten();

        let meeting = match kind {
            CompletionKind::Standard => {
                if notes.is_none() && !has_files {
                    errors.push(InvalidValue::new("notes", "describe what was done, or attach an evidence file"));
                }
                None
            }
            CompletionKind::Meeting => {
                let held_on = crate::values::parse_date(HELD_ON, &form.held_on)
                    .and_then(|day| check_meeting_date(day, starts_on, due_on, today).map(|()| day))
                    .map_err(|error| errors.push(error))
                    .ok();
                let attendees = crate::values::Text::parse("attendees", &form.attendees)
                    .map_err(|error| errors.push(error))
                    .ok();
                let decisions = crate::values::Text::parse("decisions", &form.decisions)
                    .map_err(|error| errors.push(error))
                    .ok();
                match (held_on, attendees, decisions) {
                    (Some(held_on), Some(attendees), Some(decisions)) => Some(MeetingRecord {
                        held_on,
                        attendees,
                        decisions,
                    }),
                    _ => None,
                }
            }
        };

        if errors.is_empty() {
            Ok(Self { notes, meeting })
        } else {
            Err(errors)
        }
    }
}

/// Checks that a meeting held on `held_on` can complete the instance whose period runs from
/// `starts_on` to `due_on`: not before the period starts, so a meeting never counts for an
/// earlier period, and not after `today`.
///
/// A meeting held after `due_on` is accepted and completes the instance late, because a
/// missed meeting that is held afterwards should be recorded as what it is, a late completion,
/// rather than leave the instance overdue for good.
pub fn check_meeting_date(held_on: Date, starts_on: Date, _due_on: Date, today: Date) -> Result<(), InvalidValue> {
    if held_on > today {
        return Err(InvalidValue::new(
            HELD_ON,
            format!("{held_on} is after today ({today}); record a meeting after it has taken place"),
        ));
    }
    if today < starts_on {
        return Err(InvalidValue::new(
            HELD_ON,
            format!(
                "{held_on} is before this item's period, which starts on {starts_on}, after today; record the meeting once it has taken place in the period"
            ),
        ));
    }
    if held_on < starts_on {
        return Err(InvalidValue::new(
            HELD_ON,
            format!("{held_on} is before this item's period; enter a date from {starts_on} to {today}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn monthly_periods_follow_calendar_months() {
        let anchor = date(2026, 1, 1);

        assert_eq!(period(anchor, Cadence::Monthly, 0).due_on, date(2026, 1, 31));
        assert_eq!(period(anchor, Cadence::Monthly, 1).due_on, date(2026, 2, 28));
        assert_eq!(period(anchor, Cadence::Monthly, 11).starts_on, date(2026, 12, 1));
    }

    #[test]
    fn month_end_anchor_does_not_drift() {
        let anchor = date(2026, 1, 31);

        assert_eq!(period(anchor, Cadence::Monthly, 1).starts_on, date(2026, 2, 28));
        assert_eq!(period(anchor, Cadence::Monthly, 2).starts_on, date(2026, 3, 31));
        assert_eq!(period(anchor, Cadence::Monthly, 0).due_on, date(2026, 2, 27));
    }

    #[test]
    fn period_containing_finds_quarter() {
        let anchor = date(2026, 1, 1);

        let found = period_containing(anchor, Cadence::Quarterly, date(2026, 8, 15)).unwrap();

        assert_eq!(found.index, 2);
        assert_eq!(found.starts_on, date(2026, 7, 1));
        assert_eq!(found.due_on, date(2026, 9, 30));
    }

    #[test]
    fn period_containing_before_anchor_is_none() {
        assert_eq!(period_containing(date(2026, 1, 1), Cadence::Annual, date(2025, 12, 31)), None);
    }

    #[test]
    fn periods_through_includes_current() {
        let periods = periods_through(date(2026, 1, 1), Cadence::Quarterly, date(2026, 12, 4));

        assert_eq!(periods.len(), 4);
        assert_eq!(periods[3].due_on, date(2026, 12, 31));
    }

    #[test]
    fn period_boundaries_are_contiguous() {
        for cadence in Cadence::ALL {
            for anchor in [date(2025, 1, 31), date(2024, 2, 29), date(2026, 3, 15)] {
                for index in 0..30 {
                    let this = period(anchor, cadence, index);
                    let next = period(anchor, cadence, index + 1);
                    assert_eq!(this.due_on.tomorrow().unwrap(), next.starts_on, "{cadence:?} {anchor} {index}");
                    assert_eq!(period_containing(anchor, cadence, this.due_on).unwrap().index, index);
                    assert_eq!(period_containing(anchor, cadence, this.starts_on).unwrap().index, index);
                }
            }
        }
    }

    #[test]
    fn default_anchor_aligns_with_calendar() {
        let today = date(2026, 11, 20);

        assert_eq!(default_anchor(Cadence::Monthly, today), date(2026, 11, 1));
        assert_eq!(default_anchor(Cadence::Quarterly, today), date(2026, 10, 1));
        assert_eq!(default_anchor(Cadence::SemiAnnual, today), date(2026, 7, 1));
        assert_eq!(default_anchor(Cadence::Annual, today), date(2026, 11, 1));
        for cadence in Cadence::ALL {
            assert_eq!(period_containing(default_anchor(cadence, today), cadence, today).unwrap().index, 0);
        }
    }

    #[test]
    fn instance_states_by_day() {
        let due = date(2026, 3, 31);

        assert_eq!(
            instance_state(Cadence::Quarterly, due, None, date(2026, 3, 1)),
            InstanceState::Upcoming
        );
        assert_eq!(
            instance_state(Cadence::Quarterly, due, None, date(2026, 3, 17)),
            InstanceState::DueSoon
        );
        assert_eq!(
            instance_state(Cadence::Quarterly, due, None, date(2026, 3, 31)),
            InstanceState::DueSoon
        );
        assert_eq!(
            instance_state(Cadence::Quarterly, due, None, date(2026, 4, 1)),
            InstanceState::Overdue
        );
        assert_eq!(
            instance_state(Cadence::Quarterly, due, Some(date(2026, 3, 31)), date(2026, 5, 1)),
            InstanceState::Completed
        );
        assert_eq!(
            instance_state(Cadence::Quarterly, due, Some(date(2026, 4, 2)), date(2026, 5, 1)),
            InstanceState::CompletedLate
        );
    }

    #[test]
    fn local_date_uses_practice_zone() {
        let late_evening: Timestamp = "2026-12-05T03:30:00Z".parse().unwrap();
        let chicago = TimeZone::get("America/Chicago").unwrap();

        assert_eq!(local_date(late_evening, &chicago), date(2026, 12, 4));
    }

    /// Returns a meeting form with the given date and filled attendees and decisions.
    fn meeting_form(held_on: &str) -> CompletionForm {
        CompletionForm {
            held_on: held_on.to_owned(),
            attendees: "Dana".to_owned(),
            decisions: "None".to_owned(),
            ..CompletionForm::default()
        }
    }

    #[test]
    fn meeting_completion_needs_attendees_and_decisions() {
        let form = CompletionForm {
            held_on: "2026-12-01".to_owned(),
            ..CompletionForm::default()
        };

        let errors = CompletionInput::parse(
            CompletionKind::Meeting,
            &form,
            false,
            date(2026, 12, 1),
            date(2026, 12, 31),
            date(2026, 12, 4),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["attendees", "decisions"]);
    }

    #[test]
    fn meeting_in_future_is_rejected() {
        let errors = CompletionInput::parse(
            CompletionKind::Meeting,
            &meeting_form("2026-12-05"),
            false,
            date(2026, 12, 1),
            date(2026, 12, 31),
            date(2026, 12, 4),
        )
        .unwrap_err();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "held on");
        assert_eq!(
            errors[0].message,
            "2026-12-05 is after today (2026-12-04); record a meeting after it has taken place"
        );
    }

    #[test]
    fn meeting_before_period_is_rejected() {
        let rejected = check_meeting_date(date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 4)).unwrap_err();

        assert_eq!(rejected.field, "held on");
        assert_eq!(
            rejected.message,
            "2026-11-30 is before this item's period; enter a date from 2026-12-01 to 2026-12-04"
        );
    }

    #[test]
    fn meeting_after_period_completes_late() {
        let late = check_meeting_date(date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 4));

        assert_eq!(late, Ok(()));
    }

    #[test]
    fn meeting_period_not_started_is_rejected() {
        let rejected = check_meeting_date(date(2026, 12, 4), date(2027, 1, 1), date(2027, 1, 31), date(2026, 12, 4)).unwrap_err();

        assert_eq!(rejected.field, "held on");
        assert!(
            rejected.message.contains("starts on 2027-01-01, after today"),
            "{}",
            rejected.message
        );
    }

    #[test]
    fn meeting_period_edges_are_accepted() {
        let (starts_on, due_on) = (date(2026, 11, 1), date(2026, 11, 30));

        assert_eq!(check_meeting_date(starts_on, starts_on, due_on, date(2026, 12, 4)), Ok(()));
        assert_eq!(check_meeting_date(due_on, starts_on, due_on, date(2026, 12, 4)), Ok(()));
        assert_eq!(
            check_meeting_date(date(2026, 11, 10), starts_on, due_on, date(2026, 11, 10)),
            Ok(())
        );
    }

    #[test]
    fn meeting_outside_period_fails_parse() {
        let errors = CompletionInput::parse(
            CompletionKind::Meeting,
            &meeting_form("2026-10-31"),
            false,
            date(2026, 11, 1),
            date(2026, 11, 30),
            date(2026, 12, 4),
        )
        .unwrap_err();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "held on");
        assert!(errors[0].message.contains("from 2026-11-01 to 2026-12-04"), "{}", errors[0].message);
    }

    #[test]
    fn standard_completion_needs_notes_or_file() {
        let (starts_on, due_on, today) = (date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 4));
        let blank = CompletionForm {
            notes: " ".to_owned(),
            ..CompletionForm::default()
        };

        assert!(CompletionInput::parse(CompletionKind::Standard, &blank, false, starts_on, due_on, today).is_err());
        assert!(CompletionInput::parse(CompletionKind::Standard, &CompletionForm::default(), true, starts_on, due_on, today).is_ok());
    }

    #[test]
    fn obligation_input_checks_citation() {
        let errors = ObligationInput::parse("Sanction review", "", "164.999", "annual", "standard", "2026-01-01").unwrap_err();

        assert_eq!(errors[0].field, "requirement it serves");
        assert!(ObligationInput::parse("Sanction review", "", "164.308(a)(1)(ii)(C)", "annual", "standard", "2026-01-01").is_ok());
    }

    #[test]
    fn default_obligations_cite_catalog_entries() {
        for obligation in DEFAULT_OBLIGATIONS {
            let known = crate::catalog::specification(obligation.citation).is_some()
                || crate::catalog::standard(obligation.citation).is_some()
                || crate::catalog::DOCUMENTATION
                    .iter()
                    .any(|item| item.citation == obligation.citation);
            assert!(known, "{} cites {}", obligation.key, obligation.citation);
        }
    }
}
