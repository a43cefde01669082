//! Converts the validated EHR column mapping of the domain into the review engine's mapping.
//!
//! The domain crate contains the mapping that sources and reviews store, and the engine crate
//! contains the one its CSV reader takes. Neither depends on the other, so the conversion lives
//! here.

use safeguard_domain::ehr_sources::{ColumnName, EhrMapping};
use safeguard_review::readers::EhrColumnMapping;

/// Returns the engine's mapping for a stored mapping.
pub(crate) fn column_mapping(mapping: &EhrMapping) -> EhrColumnMapping {
    let optional = |column: Option<&ColumnName>| column.map(|name| name.as_str().to_owned());
    EhrColumnMapping {
        time: mapping.time().as_str().to_owned(),
        user: mapping.user().as_str().to_owned(),
        patient: mapping.patient().as_str().to_owned(),
        action: optional(mapping.action()),
        workstation: optional(mapping.workstation()),
        outcome: optional(mapping.outcome()),
        emergency: optional(mapping.emergency()),
        reviewed: optional(mapping.reviewed()),
        time_zone: mapping.time_zone().map(|zone| zone.as_str().to_owned()),
        failure_values: mapping.failure_values().values().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use safeguard_domain::ehr_sources::MappingText;

    use super::*;

    #[test]
    fn default_mappings_agree() {
        assert_eq!(column_mapping(&EhrMapping::default()), EhrColumnMapping::default());
    }

    #[test]
    fn stored_json_reads_as_the_same_engine_mapping() {
        let text = MappingText {
            time: "Access Time".into(),
            user: "User ID".into(),
            patient: "MRN".into(),
            outcome: "Result".into(),
            time_zone: "America/Chicago".into(),
            failure_values: "DENIED, locked".into(),
            ..MappingText::default()
        };
        let mapping = EhrMapping::parse(&text).unwrap();

        let json = serde_json::to_string(&mapping).unwrap();
        let engine: EhrColumnMapping = serde_json::from_str(&json).unwrap();

        assert_eq!(engine, column_mapping(&mapping));
    }
}
