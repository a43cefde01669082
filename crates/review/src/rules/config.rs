//! Rule thresholds, with the defaults a small practice starts from.

use jiff::civil::{Time, Weekday};
use serde::{Deserialize, Serialize};

/// A count of events within a window of minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountWithin {
    /// How many events it takes.
    pub count: usize,
    /// The window length in minutes.
    pub window_minutes: u32,
}

impl CountWithin {
    pub(crate) fn window_ms(self) -> i64 {
        i64::from(self.window_minutes) * 60_000
    }
}

/// Office hours on one weekday, in the practice's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayHours {
    /// Opening time (inclusive).
    pub start: Time,
    /// Closing time (exclusive).
    pub end: Time,
}

/// Office hours per weekday; a day set to `null` is closed all day, and a day left out of a
/// configuration document keeps its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OfficeHours {
    /// Monday. Default 08:00–17:30.
    pub monday: Option<DayHours>,
    /// Tuesday. Default 08:00–17:30.
    pub tuesday: Option<DayHours>,
    /// Wednesday. Default 08:00–17:30.
    pub wednesday: Option<DayHours>,
    /// Thursday. Default 08:00–17:30.
    pub thursday: Option<DayHours>,
    /// Friday. Default 08:00–17:30.
    pub friday: Option<DayHours>,
    /// Saturday. Default closed.
    pub saturday: Option<DayHours>,
    /// Sunday. Default closed.
    pub sunday: Option<DayHours>,
}

impl Default for OfficeHours {
    fn default() -> Self {
        let weekday = Some(DayHours {
            start: Time::constant(8, 0, 0, 0),
            end: Time::constant(17, 30, 0, 0),
        });
        Self {
            monday: weekday,
            tuesday: weekday,
            wednesday: weekday,
            thursday: weekday,
            friday: weekday,
            saturday: None,
            sunday: None,
        }
    }
}

impl OfficeHours {
    /// Returns whether a local weekday and time fall within office hours.
    pub fn contains(&self, weekday: Weekday, time: Time) -> bool {
        let hours = match weekday {
            Weekday::Monday => self.monday,
            Weekday::Tuesday => self.tuesday,
            Weekday::Wednesday => self.wednesday,
            Weekday::Thursday => self.thursday,
            Weekday::Friday => self.friday,
            Weekday::Saturday => self.saturday,
            Weekday::Sunday => self.sunday,
        };
        hours.is_some_and(|h| time >= h.start && time < h.end)
    }
}

/// Thresholds for password spraying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SprayThreshold {
    /// Distinct accounts tried from one address. Default 5.
    pub min_accounts: usize,
    /// The window length in minutes. Default 30.
    pub window_minutes: u32,
}

/// Thresholds for distinct-patient volume outliers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeThreshold {
    /// How many times the role group's median a user must exceed. Default 3.0.
    pub ratio: f64,
    /// Minimum distinct patients for a user to be an outlier at all. Default 50.
    pub min_patients: usize,
    /// Minimum number of other users a role group needs for a comparison. Default 3.
    pub min_peers: usize,
}

/// Every rule threshold. Deserializes from a partial document: missing fields keep defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleConfig {
    /// Failed logons to one account. Default 5 within 10 minutes.
    pub account_burst: CountWithin,
    /// Failed logons from one client address. Default 10 within 10 minutes.
    pub address_burst: CountWithin,
    /// Password spraying from one client address. Default 5 accounts within 30 minutes.
    pub spray: SprayThreshold,
    /// Failures before a success on the same account. Default 3 within 30 minutes.
    pub success_after_failures: CountWithin,
    /// Office hours in the practice's time zone. Default Monday to Friday, 08:00–17:30.
    pub office_hours: OfficeHours,
    /// Distinct-patient volume outliers. Default 3 times the role median, at least 50
    /// patients, at least 3 peers.
    pub volume: VolumeThreshold,
    /// Group names (case-insensitive) whose new members are reported.
    pub privileged_groups: Vec<String>,
    /// How many evidence references a finding lists; the count covers all of them. Default 20.
    pub evidence_limit: usize,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            account_burst: CountWithin {
                count: 5,
                window_minutes: 10,
            },
            address_burst: CountWithin {
                count: 10,
                window_minutes: 10,
            },
            spray: SprayThreshold {
                min_accounts: 5,
                window_minutes: 30,
            },
            success_after_failures: CountWithin {
                count: 3,
                window_minutes: 30,
            },
            office_hours: OfficeHours::default(),
            volume: VolumeThreshold {
                ratio: 3.0,
                min_patients: 50,
                min_peers: 3,
            },
            privileged_groups: [
                "Administrators",
                "Domain Admins",
                "Enterprise Admins",
                "Schema Admins",
                "Account Operators",
                "Backup Operators",
                "Server Operators",
                "Print Operators",
                "Group Policy Creator Owners",
                "DnsAdmins",
                "Remote Desktop Users",
                "wheel",
                "sudo",
            ]
            .map(String::from)
            .to_vec(),
            evidence_limit: 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_keeps_defaults() {
        let config: RuleConfig = serde_json::from_str(
            r#"{"account_burst": {"count": 3, "window_minutes": 5}, "office_hours": {"saturday": {"start": "09:00", "end": "12:00"}}}"#,
        )
        .unwrap_or_default();
        assert_eq!(config.account_burst.count, 3);
        assert_eq!(config.address_burst.count, 10);
        assert!(config.office_hours.contains(Weekday::Saturday, Time::constant(10, 0, 0, 0)));
        // Days the document does not name keep their default hours; `null` closes a day.
        assert!(config.office_hours.contains(Weekday::Monday, Time::constant(10, 0, 0, 0)));
        let closed: OfficeHours = serde_json::from_str(r#"{"friday": null}"#).unwrap_or_default();
        assert!(!closed.contains(Weekday::Friday, Time::constant(10, 0, 0, 0)));
    }

    #[test]
    fn default_office_hours() {
        let hours = OfficeHours::default();
        assert!(hours.contains(Weekday::Monday, Time::constant(8, 0, 0, 0)));
        assert!(!hours.contains(Weekday::Monday, Time::constant(17, 30, 0, 0)));
        assert!(!hours.contains(Weekday::Sunday, Time::constant(12, 0, 0, 0)));
    }
}
