//! The Security Official designation required by 164.308(a)(2).
//!
//! A designation names one workforce member, lists the duties and decision rights, takes effect
//! on a date and is signed. Designations are never edited: a new one supersedes the one in
//! effect, which stays in the history with the day it ended.

use jiff::civil::Date;
use serde::Serialize;

use crate::values::{InvalidValue, Line, Text, parse_date};

/// The duties every designation lists; a practice may add its own.
pub const STANDARD_DUTIES: [&str; 6] = [
    "Schedule and lead the risk analysis and its periodic review",
    "Write, approve and maintain the security policies and procedures",
    "Lead the response to security incidents, including breach assessment and notification",
    "Oversee business associates and their agreements",
    "Run security awareness training and reminders for the whole workforce",
    "Plan and sign the periodic evaluations of the security program",
];

/// A validated designation, ready to be signed and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DesignationInput {
    /// The duties, in order: the standard ones the signer kept plus any added.
    pub duties: Vec<String>,
    /// Who may approve an emergency change, and how it is recorded afterwards.
    pub emergency_decision_rights: Text,
    /// Which routine approvals the Security Official gives alone.
    pub routine_decision_rights: Text,
    /// The day the designation takes effect.
    pub effective_date: Date,
    /// The full name the signer typed as signature.
    pub signature: Line,
}

impl DesignationInput {
    /// Parses a designation form. `kept_duties` are indexes into [`STANDARD_DUTIES`];
    /// `extra_duties` has one added duty per line.
    pub fn parse(
        kept_duties: &[usize],
        extra_duties: &str,
        emergency_decision_rights: &str,
        routine_decision_rights: &str,
        effective_date: &str,
        signature: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let mut duties: Vec<String> = Vec::new();

        for &index in kept_duties {
            match STANDARD_DUTIES.get(index) {
                Some(duty) if !duties.iter().any(|kept| kept == duty) => duties.push((*duty).to_owned()),
                Some(_) => {}
                None => errors.push(InvalidValue::new("duties", format!("duty {index} does not exist; reload the page"))),
            }
        }
        for line in extra_duties.lines().map(str::trim).filter(|line| !line.is_empty()) {
            match Line::parse("additional duties", line) {
                Ok(duty) => duties.push(duty.into_string()),
                Err(error) => errors.push(error),
            }
        }
        if duties.is_empty() {
            errors.push(InvalidValue::new("duties", "at least one duty is required"));
        }

        let emergency = Text::parse("emergency decision rights", emergency_decision_rights)
            .map_err(|error| errors.push(error))
            .ok();
        let routine = Text::parse("routine decision rights", routine_decision_rights)
            .map_err(|error| errors.push(error))
            .ok();
        let effective_date = parse_date("effective date", effective_date)
            .map_err(|error| errors.push(error))
            .ok();
        let signature = Line::parse("signature", signature).map_err(|error| errors.push(error)).ok();

        match (emergency, routine, effective_date, signature) {
            (Some(emergency_decision_rights), Some(routine_decision_rights), Some(effective_date), Some(signature))
                if errors.is_empty() =>
            {
                Ok(Self {
                    duties,
                    emergency_decision_rights,
                    routine_decision_rights,
                    effective_date,
                    signature,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Checks that a typed signature matches the signer's name, ignoring case and spacing, so a
/// signature cannot be a stray word.
pub fn signature_matches(signature: &str, signer_name: &str) -> bool {
    let normalize = |text: &str| text.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    !signer_name.trim().is_empty() && normalize(signature) == normalize(signer_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designation_keeps_chosen_and_added_duties() {
        let input = DesignationInput::parse(
            &[0, 2, 2],
            "Chair the monthly security meeting\n\n",
            "The Security Official alone",
            "Account approvals",
            "2026-01-05",
            "Dana Reyes",
        )
        .unwrap();

        assert_eq!(input.duties.len(), 3);
        assert_eq!(input.duties[2], "Chair the monthly security meeting");
    }

    #[test]
    fn designation_lists_every_missing_field() {
        let errors = DesignationInput::parse(&[], "", "", "", "soon", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(
            fields,
            [
                "duties",
                "emergency decision rights",
                "routine decision rights",
                "effective date",
                "signature"
            ]
        );
    }

    #[test]
    fn signature_must_match_signer() {
        assert!(signature_matches(" dana  REYES ", "Dana Reyes"));
        assert!(!signature_matches("ok", "Dana Reyes"));
        assert!(!signature_matches("", ""));
    }
}
