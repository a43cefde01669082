//! Sanctions against workforce members who fail to comply with the security policies, as
//! 164.308(a)(1)(ii)(C) requires.
//!
//! A practice applies progressive discipline: a scale of sanction levels from the mildest, such
//! as a verbal warning, to the most severe, termination. The levels are data the practice edits;
//! the database starts with five defaults. Each sanction applied is recorded once, with the
//! person, the violation, the policy violated, the level, the day and who decided it, and is
//! never edited or deleted. The records name people, so only the Security Official and managers
//! may read them and no log line may carry their content.

use jiff::civil::Date;
use serde::Serialize;

use crate::ids::{PersonId, SanctionLevelId};
use crate::values::{InvalidValue, Line, Text, parse_date};

/// The highest severity a level may have; 1 is the mildest.
pub const MAX_SEVERITY: i64 = 99;

/// A validated sanction level, as entered on the levels page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanctionLevelInput {
    /// The level's name, such as `Written warning`.
    pub name: Line,
    /// When the level applies and what it involves.
    pub description: Option<Text>,
    /// The level's place in the scale, from 1 for the mildest to [`MAX_SEVERITY`].
    pub severity: i64,
}

impl SanctionLevelInput {
    /// Parses a sanction level form; every error names its field.
    pub fn parse(name: &str, description: &str, severity: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let name = Line::parse("name", name).map_err(|error| errors.push(error)).ok();
        let description = Text::parse_optional("description", description)
            .map_err(|error| errors.push(error))
            .ok();
        let severity = parse_severity(severity).map_err(|error| errors.push(error)).ok();

        match (name, description, severity) {
            (Some(name), Some(description), Some(severity)) if errors.is_empty() => Ok(Self {
                name,
                description,
                severity,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_severity(text: &str) -> Result<i64, InvalidValue> {
    let trimmed = text.trim();
    let invalid = || {
        InvalidValue::new(
            "severity",
            format!("{trimmed:?} is not a whole number from 1 (mildest) to {MAX_SEVERITY}"),
        )
    };

    if trimmed.is_empty() {
        return Err(InvalidValue::new(
            "severity",
            format!("is required; enter a whole number from 1 (mildest) to {MAX_SEVERITY}"),
        ));
    }
    let severity: i64 = trimmed.parse().map_err(|_| invalid())?;
    if !(1..=MAX_SEVERITY).contains(&severity) {
        return Err(invalid());
    }
    Ok(severity)
}

/// A validated record of a sanction applied, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SanctionInput {
    /// The workforce member sanctioned, from the roster.
    pub person: PersonId,
    /// The violation: what the person did.
    pub violation: Text,
    /// The policy or procedure violated, such as `Acceptable use policy, section 4`.
    pub policy: Line,
    /// The level of sanction applied.
    pub level: SanctionLevelId,
    /// The day the sanction was applied.
    pub applied_on: Date,
    /// The name of the person or people who decided the sanction, such as
    /// `Dana Reyes, Security Official`.
    pub decided_by: Line,
}

impl SanctionInput {
    /// Parses a sanction form; every error names its field.
    ///
    /// `today` is the practice's current day. A sanction is recorded once applied, so a date
    /// after today is rejected.
    pub fn parse(
        person: &str,
        violation: &str,
        policy: &str,
        level: &str,
        applied_on: &str,
        decided_by: &str,
        today: Date,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let person = person
            .trim()
            .parse::<PersonId>()
            .map_err(|_| errors.push(InvalidValue::new("person", "choose the person from the roster")))
            .ok();
        let violation = Text::parse("violation", violation).map_err(|error| errors.push(error)).ok();
        let policy = Line::parse("policy violated", policy).map_err(|error| errors.push(error)).ok();
        let level = level
            .trim()
            .parse::<SanctionLevelId>()
            .map_err(|_| errors.push(InvalidValue::new("sanction level", "choose a sanction level from the list")))
            .ok();
        let applied_on = parse_date("date applied", applied_on).map_err(|error| errors.push(error)).ok();
        if let Some(day) = applied_on
            && day > today
        {
            errors.push(InvalidValue::new(
                "date applied",
                format!("{day} is after today ({today}); record a sanction once it has been applied"),
            ));
        }
        let decided_by = Line::parse("decided by", decided_by).map_err(|error| errors.push(error)).ok();

        match (person, violation, policy, level, applied_on, decided_by) {
            (Some(person), Some(violation), Some(policy), Some(level), Some(applied_on), Some(decided_by)) if errors.is_empty() => {
                Ok(Self {
                    person,
                    violation,
                    policy,
                    level,
                    applied_on,
                    decided_by,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    const TODAY: Date = date(2026, 12, 4);

    fn fields(errors: &[InvalidValue]) -> Vec<&'static str> {
        errors.iter().map(|error| error.field).collect()
    }

    #[test]
    fn level_parses_fields() {
        let level = SanctionLevelInput::parse(" Final warning ", "", " 3 ").unwrap();

        assert_eq!(level.name.as_str(), "Final warning");
        assert_eq!(level.description, None);
        assert_eq!(level.severity, 3);
    }

    #[test]
    fn level_lists_every_bad_field() {
        let errors = SanctionLevelInput::parse("", "", "mild").unwrap_err();

        assert_eq!(fields(&errors), ["name", "severity"]);
    }

    #[test]
    fn level_severity_range() {
        for bad in ["0", "-1", "100", "2.5", ""] {
            let errors = SanctionLevelInput::parse("Warning", "", bad).unwrap_err();
            assert_eq!(fields(&errors), ["severity"], "input {bad:?}");
        }
        assert_eq!(SanctionLevelInput::parse("Warning", "", "99").unwrap().severity, 99);
    }

    #[test]
    fn sanction_parses_fields() {
        let person = PersonId::new();
        let level = SanctionLevelId::new();

        let input = SanctionInput::parse(
            &person.to_string(),
            "Shared a password with a temporary worker",
            "Password policy",
            &level.to_string(),
            "2026-12-04",
            "Dana Reyes",
            TODAY,
        )
        .unwrap();

        assert_eq!(input.person, person);
        assert_eq!(input.level, level);
        assert_eq!(input.applied_on, TODAY);
        assert_eq!(input.policy.as_str(), "Password policy");
    }

    #[test]
    fn sanction_lists_every_bad_field() {
        let errors = SanctionInput::parse("", " ", "", "retraining", "04/12/2026", "", TODAY).unwrap_err();

        assert_eq!(
            fields(&errors),
            [
                "person",
                "violation",
                "policy violated",
                "sanction level",
                "date applied",
                "decided by"
            ]
        );
    }

    #[test]
    fn sanction_date_after_today_rejected() {
        let errors = SanctionInput::parse(
            &PersonId::new().to_string(),
            "Left a workstation unlocked",
            "Workstation policy",
            &SanctionLevelId::new().to_string(),
            "2026-12-05",
            "Dana Reyes",
            TODAY,
        )
        .unwrap_err();

        assert_eq!(fields(&errors), ["date applied"]);
    }
}
