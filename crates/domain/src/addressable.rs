//! Decisions on Addressable implementation specifications.
//!
//! For each Addressable specification the practice records whether it implements it as
//! specified, implements an equivalent alternative measure, or finds it not reasonable and
//! appropriate. Each decision is dated and signed; a new decision is a new version and the
//! earlier ones stay.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

use crate::values::{InvalidValue, Line, Text, parse_date};

/// The three outcomes an Addressable assessment can have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AddressableOutcome {
    /// The specification is implemented as written, as `how` describes.
    Implemented {
        /// How it is implemented.
        how: Text,
    },
    /// An equivalent alternative measure is implemented instead.
    Alternative {
        /// The alternative measure.
        measure: Text,
        /// Why the specification itself is not reasonable and appropriate, and why the measure
        /// is equivalent.
        rationale: Text,
    },
    /// Neither the specification nor an alternative is reasonable and appropriate.
    NotReasonable {
        /// Why, with reference to the practice's size, capability, cost and risk.
        reason: Text,
    },
}

/// The stored code of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OutcomeKind {
    /// [`AddressableOutcome::Implemented`].
    Implemented,
    /// [`AddressableOutcome::Alternative`].
    Alternative,
    /// [`AddressableOutcome::NotReasonable`].
    NotReasonable,
}

impl OutcomeKind {
    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            OutcomeKind::Implemented => "implemented",
            OutcomeKind::Alternative => "alternative",
            OutcomeKind::NotReasonable => "not_reasonable",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Implemented => "Implemented as specified",
            OutcomeKind::Alternative => "Equivalent alternative measure",
            OutcomeKind::NotReasonable => "Not reasonable and appropriate",
        }
    }
}

impl fmt::Display for OutcomeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for OutcomeKind {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        [OutcomeKind::Implemented, OutcomeKind::Alternative, OutcomeKind::NotReasonable]
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| {
                InvalidValue::new(
                    "decision",
                    "choose implemented, alternative measure or not reasonable and appropriate",
                )
            })
    }
}

impl AddressableOutcome {
    /// Returns the kind of outcome.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            AddressableOutcome::Implemented { .. } => OutcomeKind::Implemented,
            AddressableOutcome::Alternative { .. } => OutcomeKind::Alternative,
            AddressableOutcome::NotReasonable { .. } => OutcomeKind::NotReasonable,
        }
    }
}

/// A validated, signed Addressable decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressableDecisionInput {
    /// The decision.
    pub outcome: AddressableOutcome,
    /// The day the decision was made.
    pub decided_on: Date,
    /// The full name the signer typed as signature.
    pub signature: Line,
}

impl AddressableDecisionInput {
    /// Parses a decision form. Only the text fields of the chosen outcome are read; each one it
    /// needs is required.
    pub fn parse(
        kind: &str,
        how: &str,
        measure: &str,
        rationale: &str,
        reason: &str,
        decided_on: &str,
        signature: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();

        let outcome = match kind.parse::<OutcomeKind>() {
            Ok(OutcomeKind::Implemented) => Text::parse("how it is implemented", how)
                .map(|how| AddressableOutcome::Implemented { how })
                .map_err(|error| errors.push(error))
                .ok(),
            Ok(OutcomeKind::Alternative) => {
                let measure = Text::parse("alternative measure", measure).map_err(|error| errors.push(error)).ok();
                let rationale = Text::parse("rationale", rationale).map_err(|error| errors.push(error)).ok();
                measure
                    .zip(rationale)
                    .map(|(measure, rationale)| AddressableOutcome::Alternative { measure, rationale })
            }
            Ok(OutcomeKind::NotReasonable) => Text::parse("reason", reason)
                .map(|reason| AddressableOutcome::NotReasonable { reason })
                .map_err(|error| errors.push(error))
                .ok(),
            Err(error) => {
                errors.push(error);
                None
            }
        };
        let decided_on = parse_date("decision date", decided_on).map_err(|error| errors.push(error)).ok();
        let signature = Line::parse("signature", signature).map_err(|error| errors.push(error)).ok();

        match (outcome, decided_on, signature) {
            (Some(outcome), Some(decided_on), Some(signature)) if errors.is_empty() => Ok(Self {
                outcome,
                decided_on,
                signature,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternative_needs_measure_and_rationale() {
        let errors = AddressableDecisionInput::parse("alternative", "", "Badge readers", "", "", "2026-02-01", "Dana Reyes").unwrap_err();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "rationale");
    }

    #[test]
    fn implemented_reads_only_how() {
        let input =
            AddressableDecisionInput::parse("implemented", "Nightly encrypted backups", "", "", "", "2026-02-01", "Dana Reyes").unwrap();

        assert_eq!(input.outcome.kind(), OutcomeKind::Implemented);
    }

    #[test]
    fn unknown_kind_is_refused() {
        let errors = AddressableDecisionInput::parse("maybe", "", "", "", "", "2026-02-01", "Dana Reyes").unwrap_err();

        assert_eq!(errors[0].field, "decision");
    }
}
