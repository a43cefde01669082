//! Typed identifiers for every stored entity.
//!
//! Ids are UUIDv7 values stored as lowercase hyphenated text, which sorts by creation time and
//! reads the same on SQLite and PostgreSQL. A distinct type per entity keeps a person's id from
//! being passed where a calendar instance's id is expected.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The error for text that is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid id {value:?}: expected a UUID such as 0190f5c2-8a4b-7c3d-9e1f-2a3b4c5d6e7f")]
pub struct InvalidId {
    /// The rejected text, cut to 64 characters.
    pub value: String,
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Creates a new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self).map_err(|_| InvalidId {
                    value: text.chars().take(64).collect(),
                })
            }
        }
    };
}

id_type!(
    /// Identifies the practice whose program is run.
    PracticeId
);
id_type!(
    /// Identifies a sign-in account of the application.
    UserId
);
id_type!(
    /// Identifies a workforce member on the roster.
    PersonId
);
id_type!(
    /// Identifies an account that a person holds in one of the practice's systems.
    SystemAccountId
);
id_type!(
    /// Identifies a Security Official designation.
    DesignationId
);
id_type!(
    /// Identifies one version of an Addressable decision.
    DecisionId
);
id_type!(
    /// Identifies a recurring obligation of the compliance calendar.
    ObligationId
);
id_type!(
    /// Identifies one dated instance of an obligation.
    InstanceId
);
id_type!(
    /// Identifies an invitation to create an account.
    InvitationId
);
id_type!(
    /// Identifies an asset of the ePHI inventory.
    AssetId
);
id_type!(
    /// Identifies a flow of ePHI between inventory assets or to an outside party.
    DataFlowId
);
id_type!(
    /// Identifies a sanction level of the practice's progressive-discipline scale.
    SanctionLevelId
);
id_type!(
    /// Identifies the record of a sanction applied to a workforce member.
    SanctionId
);

id_type!(
    /// Identifies one version of the practice's risk analysis.
    RiskAnalysisId
);
id_type!(
    /// Identifies one rated asset-and-threat entry of a risk analysis.
    RiskEntryId
);
id_type!(
    /// Identifies an item of the risk management plan.
    PlanItemId
);

id_type!(
    /// Identifies one activity review: its uploaded logs, findings, decisions and signature.
    ActivityReviewId
);
id_type!(
    /// Identifies one finding of an activity review.
    ReviewFindingId
);
id_type!(
    /// Identifies an EHR log source: a named column mapping of an EHR access-log export.
    EhrSourceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_round_trips_through_text() {
        let id = PersonId::new();

        let parsed: PersonId = id.to_string().parse().unwrap();

        assert_eq!(parsed, id);
    }

    #[test]
    fn id_rejects_other_text() {
        let error = "not-an-id".parse::<PersonId>().unwrap_err();

        assert_eq!(error.value, "not-an-id");
    }
}
