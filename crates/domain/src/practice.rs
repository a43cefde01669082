//! The practice profile: name, address, time zone, office hours and the states its patients
//! live in.
//!
//! The time zone decides calendar days and office hours everywhere; the states decide which
//! breach-notification laws apply. Office hours are kept as text in a small grammar
//! (`Mon-Fri 08:00-17:30; Sat 08:00-12:00`) so a person can read and type them, and are parsed
//! into [`OfficeHours`] on the way in.

use std::fmt;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::values::{InvalidValue, Line, Text};

/// A validated practice profile.
#[derive(Debug, Clone)]
pub struct PracticeProfile {
    /// The practice's name as it appears on memos and reports.
    pub name: Line,
    /// The postal address.
    pub address: Text,
    /// The IANA time zone of the practice.
    pub time_zone: PracticeTimeZone,
    /// When the practice is open.
    pub office_hours: OfficeHours,
    /// The states and territories where its patients live.
    pub patient_states: PatientStates,
}

/// An IANA time zone name that the bundled time zone database knows.
#[derive(Debug, Clone)]
pub struct PracticeTimeZone {
    name: String,
    zone: TimeZone,
}

impl PracticeTimeZone {
    /// Parses an IANA name such as `America/Chicago`.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let name = text.trim();
        let zone = TimeZone::get(name).map_err(|_| {
            InvalidValue::new(
                "time zone",
                format!("{name:?} is not a known IANA time zone; enter one like America/New_York or America/Chicago"),
            )
        })?;

        Ok(Self {
            name: name.to_owned(),
            zone,
        })
    }

    /// Returns the IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the zone for civil-time arithmetic.
    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }
}

/// Opening hours per weekday; a weekday may have no hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeHours {
    /// For each weekday (Monday first), the opening and closing time, if open.
    #[serde(skip)]
    days: [Option<(Time, Time)>; 7],
}

impl OfficeHours {
    /// Parses text like `Mon-Fri 08:00-17:30; Sat 08:00-12:00`.
    ///
    /// Each `;`-separated part names one weekday or a range of weekdays, then an opening and a
    /// closing time in 24-hour form. A weekday named twice is refused, so the text never hides
    /// which hours apply.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let mut days = [None; 7];

        for part in text.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let (day_text, hours_text) = part
                .split_once(char::is_whitespace)
                .ok_or_else(|| office_hours_error(part, "expected weekdays then hours, like Mon-Fri 08:00-17:30"))?;
            let (first, last) = match day_text.split_once('-') {
                Some((first, last)) => (parse_weekday(first, part)?, parse_weekday(last, part)?),
                None => {
                    let day = parse_weekday(day_text, part)?;
                    (day, day)
                }
            };
            let (open_text, close_text) = hours_text
                .trim()
                .split_once('-')
                .ok_or_else(|| office_hours_error(part, "expected hours like 08:00-17:30"))?;
            let open = parse_time(open_text, part)?;
            let close = parse_time(close_text, part)?;
            if close <= open {
                return Err(office_hours_error(part, "the closing time must be after the opening time"));
            }

            let start = first.to_monday_zero_offset();
            let end = last.to_monday_zero_offset();
            if end < start {
                return Err(office_hours_error(
                    part,
                    "write weekday ranges from Monday towards Sunday, like Mon-Fri",
                ));
            }
            for slot in &mut days[start as usize..=end as usize] {
                if slot.is_some() {
                    return Err(office_hours_error(part, "a weekday is listed twice"));
                }
                *slot = Some((open, close));
            }
        }

        if days.iter().all(Option::is_none) {
            return Err(InvalidValue::new(
                "office hours",
                "are required; enter them like Mon-Fri 08:00-17:30; Sat 08:00-12:00",
            ));
        }

        Ok(Self { days })
    }

    /// Returns the opening and closing time on `weekday`, if the practice opens that day.
    pub fn on(&self, weekday: Weekday) -> Option<(Time, Time)> {
        self.days[weekday.to_monday_zero_offset() as usize]
    }

    /// Decides whether the local time `at` on `weekday` is inside office hours. The closing
    /// minute itself counts as outside.
    pub fn is_open(&self, weekday: Weekday, at: Time) -> bool {
        self.on(weekday).is_some_and(|(open, close)| open <= at && at < close)
    }
}

impl fmt::Display for OfficeHours {
    /// Writes the canonical text form, grouping consecutive weekdays with the same hours.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        let mut index = 0;

        while index < 7 {
            let Some(hours) = self.days[index] else {
                index += 1;
                continue;
            };
            let mut end = index;
            while end + 1 < 7 && self.days[end + 1] == Some(hours) {
                end += 1;
            }
            let days = if end == index {
                WEEKDAY_NAMES[index].to_owned()
            } else {
                format!("{}-{}", WEEKDAY_NAMES[index], WEEKDAY_NAMES[end])
            };
            parts.push(format!("{days} {}-{}", hours.0.strftime("%H:%M"), hours.1.strftime("%H:%M")));
            index = end + 1;
        }

        f.write_str(&parts.join("; "))
    }
}

const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn parse_weekday(text: &str, part: &str) -> Result<Weekday, InvalidValue> {
    let position = WEEKDAY_NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            office_hours_error(
                part,
                &format!("{:?} is not a weekday; use Mon, Tue, Wed, Thu, Fri, Sat or Sun", text.trim()),
            )
        })?;

    Ok(Weekday::from_monday_zero_offset(position as i8).unwrap_or(Weekday::Monday))
}

fn parse_time(text: &str, part: &str) -> Result<Time, InvalidValue> {
    let text = text.trim();
    Time::strptime("%H:%M", text).map_err(|_| office_hours_error(part, &format!("{text:?} is not a time; use 24-hour HH:MM")))
}

fn office_hours_error(part: &str, problem: &str) -> InvalidValue {
    InvalidValue::new("office hours", format!("in {part:?}: {problem}"))
}

/// The two-letter codes of US states, the District of Columbia and the territories.
pub const STATE_CODES: [&str; 56] = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA",
    "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX",
    "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI",
];

/// The states and territories where the practice's patients live: at least one, no repeats,
/// kept in the order entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PatientStates(Vec<String>);

impl PatientStates {
    /// Parses codes separated by commas or spaces, such as `OH, KY`.
    pub fn parse(text: &str) -> Result<Self, InvalidValue> {
        let mut codes: Vec<String> = Vec::new();

        for code in text.split([',', ' ', ';']).map(str::trim).filter(|code| !code.is_empty()) {
            let upper = code.to_ascii_uppercase();
            if !STATE_CODES.contains(&upper.as_str()) {
                return Err(InvalidValue::new(
                    "patient states",
                    format!("{code:?} is not a US state or territory code; use two letters such as OH or KY"),
                ));
            }
            if !codes.contains(&upper) {
                codes.push(upper);
            }
        }

        if codes.is_empty() {
            return Err(InvalidValue::new(
                "patient states",
                "are required; enter the two-letter codes of the states where patients live, such as OH, KY",
            ));
        }

        Ok(Self(codes))
    }

    /// Returns the codes.
    pub fn codes(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for PatientStates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_parse_and_print() {
        let hours = OfficeHours::parse("Mon-Fri 08:00-17:30; sat 08:00-12:00").unwrap();

        assert_eq!(hours.to_string(), "Mon-Fri 08:00-17:30; Sat 08:00-12:00");
        assert!(hours.is_open(Weekday::Wednesday, Time::constant(8, 0, 0, 0)));
        assert!(!hours.is_open(Weekday::Wednesday, Time::constant(17, 30, 0, 0)));
        assert!(!hours.is_open(Weekday::Sunday, Time::constant(10, 0, 0, 0)));
    }

    #[test]
    fn office_hours_reject_overlap_and_bad_times() {
        assert!(OfficeHours::parse("Mon-Fri 08:00-17:00; Fri 09:00-10:00").is_err());
        assert!(OfficeHours::parse("Mon 17:00-08:00").is_err());
        assert!(OfficeHours::parse("Mon 8am-5pm").is_err());
        assert!(OfficeHours::parse("Fri-Mon 08:00-17:00").is_err());
        assert!(OfficeHours::parse("").is_err());
    }

    #[test]
    fn patient_states_normalize() {
        let states = PatientStates::parse("oh, KY oh").unwrap();

        assert_eq!(states.codes(), ["OH", "KY"]);
        assert!(PatientStates::parse("OH, XX").is_err());
        assert!(PatientStates::parse(" ").is_err());
    }

    #[test]
    fn time_zone_must_be_known() {
        assert_eq!(PracticeTimeZone::parse("America/Chicago").unwrap().name(), "America/Chicago");
        assert!(PracticeTimeZone::parse("Mars/Olympus").is_err());
    }
}
