//! Compliance status per standard and implementation specification, computed from records.
//!
//! Nothing here is typed by a person: [`assess`] takes the facts the store gathered (calendar
//! instances, Addressable decisions, the designation in effect) and the day in the practice's
//! time zone, and returns a status for every standard and specification of 164.308 with the
//! gaps that keep it from being met. Each gap names the missing or stale record and the
//! [`Fix`] that would close it, which the web layer turns into a link.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::addressable::OutcomeKind;
use crate::calendar::{Cadence, InstanceState, instance_state};
use crate::catalog::{self, Requirement};
use crate::ids::{InstanceId, ObligationId};

/// The status of a standard or specification, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// Evidence is present and fresh.
    Met,
    /// Evidence is fresh but the next instance is due soon.
    DueSoon,
    /// No record exists yet.
    Missing,
    /// An Addressable specification has no signed decision.
    DecisionNeeded,
    /// A due date has passed without the record.
    Overdue,
}

impl Status {
    /// Returns the CSS and test code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::DueSoon => "due-soon",
            Status::Missing => "missing",
            Status::DecisionNeeded => "decision-needed",
            Status::Overdue => "overdue",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Status::Met => "Met",
            Status::DueSoon => "Due soon",
            Status::Missing => "Missing",
            Status::DecisionNeeded => "Decision needed",
            Status::Overdue => "Overdue",
        }
    }
}

/// The record that would close a gap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Fix {
    /// Complete this calendar instance.
    CompleteInstance(InstanceId),
    /// Sign a decision for this Addressable specification.
    DecideAddressable(&'static str),
    /// Designate a Security Official.
    Designate,
    /// Add a recurring obligation tied to this citation.
    AddObligation(&'static str),
}

/// A missing or stale record and how to make it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// What is missing or stale, in a sentence.
    pub message: String,
    /// Where it is made.
    pub fix: Fix,
}

/// One completed or open instance of an obligation, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceFacts {
    /// The instance.
    pub id: InstanceId,
    /// Its due date.
    pub due_on: Date,
    /// The day it was completed, in the practice's time zone.
    pub completed_on: Option<Date>,
}

/// An obligation and its instances up to the current period, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationFacts {
    /// The obligation.
    pub id: ObligationId,
    /// Its title.
    pub title: String,
    /// The catalog citation it serves.
    pub citation: String,
    /// Its cadence.
    pub cadence: Cadence,
    /// Its instances up to and including the one for the current period.
    pub instances: Vec<InstanceFacts>,
}

/// Everything [`assess`] reads.
#[derive(Debug, Clone, Default)]
pub struct ProgramFacts {
    /// Active obligations.
    pub obligations: Vec<ObligationFacts>,
    /// The latest decision per Addressable specification citation.
    pub addressable_decisions: HashMap<String, OutcomeKind>,
    /// Whether a Security Official designation is in effect.
    pub designation_in_effect: bool,
}

/// The assessed status of one standard or specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemStatus {
    /// The catalog citation.
    pub citation: &'static str,
    /// The title from the catalog.
    pub title: &'static str,
    /// Required or Addressable, where the catalog gives one.
    pub requirement: Option<Requirement>,
    /// The computed status.
    pub status: Status,
    /// Why it is not met; empty when met.
    pub gaps: Vec<Gap>,
    /// What records support it, in sentences.
    pub evidence: Vec<String>,
}

/// The assessed status of a standard with its specifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandardStatus {
    /// The standard itself, including records tied directly to it.
    pub standard: ItemStatus,
    /// Its implementation specifications.
    pub specifications: Vec<ItemStatus>,
}

/// Assesses every standard and specification of 164.308 on `today`.
pub fn assess(facts: &ProgramFacts, today: Date) -> Vec<StandardStatus> {
    catalog::STANDARDS
        .iter()
        .map(|standard| {
            let specifications: Vec<ItemStatus> = catalog::specifications_of(standard.citation)
                .map(|specification| {
                    assess_item(
                        facts,
                        today,
                        specification.citation,
                        specification.title,
                        Some(specification.requirement),
                    )
                })
                .collect();
            let mut own = assess_item(facts, today, standard.citation, standard.title, standard.requirement);

            // A standard with specifications is as good as its worst specification; records
            // tied to the standard itself add to that rather than replace it.
            if !specifications.is_empty() {
                let worst = specifications.iter().map(|item| item.status).max().unwrap_or(Status::Met);
                let own_has_sources = !own.evidence.is_empty() || own.gaps.iter().any(|gap| !matches!(gap.fix, Fix::AddObligation(_)));
                if !own_has_sources {
                    own.gaps.clear();
                    own.status = worst;
                } else {
                    own.status = own.status.max(worst);
                }
            }

            StandardStatus {
                standard: own,
                specifications,
            }
        })
        .collect()
}

fn assess_item(
    facts: &ProgramFacts,
    today: Date,
    citation: &'static str,
    title: &'static str,
    requirement: Option<Requirement>,
) -> ItemStatus {
    let mut item = ItemStatus {
        citation,
        title,
        requirement,
        status: Status::Met,
        gaps: Vec::new(),
        evidence: Vec::new(),
    };

    if requirement == Some(Requirement::Addressable) {
        match facts.addressable_decisions.get(citation) {
            None => {
                item.status = Status::DecisionNeeded;
                item.gaps.push(Gap { message: "No signed decision records whether this Addressable specification is implemented, replaced by an alternative, or not reasonable and appropriate.".into(), fix: Fix::DecideAddressable(citation) });
            }
            Some(OutcomeKind::NotReasonable) => {
                // A signed finding that the specification is not reasonable and appropriate is
                // itself the record the regulation asks for; no recurring evidence applies.
                item.evidence
                    .push("Signed decision: not reasonable and appropriate, with the reason.".into());
                return item;
            }
            Some(kind) => item.evidence.push(format!("Signed decision: {}.", kind.label().to_lowercase())),
        }
    }

    if citation == "164.308(a)(2)" {
        if facts.designation_in_effect {
            item.evidence.push("A Security Official designation is in effect.".into());
        } else {
            item.status = item.status.max(Status::Missing);
            item.gaps.push(Gap {
                message: "No Security Official designation is in effect.".into(),
                fix: Fix::Designate,
            });
        }
    }

    let tied: Vec<&ObligationFacts> = facts
        .obligations
        .iter()
        .filter(|obligation| obligation.citation == citation)
        .collect();
    for obligation in &tied {
        let (status, gaps, evidence) = assess_obligation(obligation, today);
        item.status = item.status.max(status);
        item.gaps.extend(gaps);
        item.evidence.extend(evidence);
    }

    if tied.is_empty() && item.evidence.is_empty() && item.gaps.is_empty() {
        item.status = Status::Missing;
        item.gaps.push(Gap {
            message: "No record tracks this yet; add a recurring obligation tied to it so its evidence is kept.".into(),
            fix: Fix::AddObligation(citation),
        });
    }

    item
}

/// Assesses one obligation: overdue instances, the current period, and the last completion.
fn assess_obligation(obligation: &ObligationFacts, today: Date) -> (Status, Vec<Gap>, Vec<String>) {
    let mut status = Status::Met;
    let mut gaps = Vec::new();
    let mut evidence = Vec::new();

    for instance in &obligation.instances {
        if instance_state(obligation.cadence, instance.due_on, instance.completed_on, today) == InstanceState::Overdue {
            status = Status::Overdue;
            gaps.push(Gap {
                message: format!("{} due on {} is overdue.", obligation.title, instance.due_on),
                fix: Fix::CompleteInstance(instance.id),
            });
        }
    }

    let last_completed = obligation.instances.iter().filter_map(|instance| instance.completed_on).max();
    if let Some(day) = last_completed {
        evidence.push(format!("{} last completed on {day}.", obligation.title));
    }

    let Some(current) = obligation.instances.last() else {
        return (status, gaps, evidence);
    };
    match instance_state(obligation.cadence, current.due_on, current.completed_on, today) {
        InstanceState::DueSoon => {
            status = status.max(Status::DueSoon);
            gaps.push(Gap {
                message: format!("{} is due on {}.", obligation.title, current.due_on),
                fix: Fix::CompleteInstance(current.id),
            });
        }
        InstanceState::Upcoming if obligation.instances.len() == 1 => {
            status = status.max(Status::Missing);
            gaps.push(Gap {
                message: format!(
                    "No {} has been recorded yet; the first is due on {}.",
                    obligation.title, current.due_on
                ),
                fix: Fix::CompleteInstance(current.id),
            });
        }
        _ => {}
    }

    (status, gaps, evidence)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn obligation(citation: &str, cadence: Cadence, instances: &[(Date, Option<Date>)]) -> ObligationFacts {
        ObligationFacts {
            id: ObligationId::new(),
            title: "Task".into(),
            citation: citation.into(),
            cadence,
            instances: instances
                .iter()
                .map(|&(due_on, completed_on)| InstanceFacts {
                    id: InstanceId::new(),
                    due_on,
                    completed_on,
                })
                .collect(),
        }
    }

    fn find<'a>(statuses: &'a [StandardStatus], citation: &str) -> &'a ItemStatus {
        statuses
            .iter()
            .flat_map(|standard| std::iter::once(&standard.standard).chain(&standard.specifications))
            .find(|item| item.citation == citation)
            .unwrap()
    }

    #[test]
    fn every_item_is_assessed() {
        let statuses = assess(&ProgramFacts::default(), date(2026, 12, 4));

        assert_eq!(statuses.len(), 9);
        assert_eq!(statuses.iter().map(|standard| standard.specifications.len()).sum::<usize>(), 21);
    }

    #[test]
    fn addressable_without_decision_needs_decision() {
        let statuses = assess(&ProgramFacts::default(), date(2026, 12, 4));

        let item = find(&statuses, "164.308(a)(5)(ii)(A)");

        assert_eq!(item.status, Status::DecisionNeeded);
        assert_eq!(item.gaps[0].fix, Fix::DecideAddressable("164.308(a)(5)(ii)(A)"));
    }

    #[test]
    fn required_without_records_is_missing() {
        let statuses = assess(&ProgramFacts::default(), date(2026, 12, 4));

        let item = find(&statuses, "164.308(a)(6)(ii)");

        assert_eq!(item.status, Status::Missing);
        assert_eq!(item.gaps[0].fix, Fix::AddObligation("164.308(a)(6)(ii)"));
    }

    #[test]
    fn missed_earlier_quarter_is_overdue() {
        let facts = ProgramFacts {
            obligations: vec![obligation(
                "164.308(a)(7)(ii)(A)",
                Cadence::Quarterly,
                &[
                    (date(2026, 6, 30), None),
                    (date(2026, 9, 30), Some(date(2026, 9, 20))),
                    (date(2026, 12, 31), None),
                ],
            )],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let item = find(&statuses, "164.308(a)(7)(ii)(A)");

        assert_eq!(item.status, Status::Overdue);
        assert_eq!(item.gaps.len(), 1);
    }

    #[test]
    fn current_period_done_is_met() {
        let facts = ProgramFacts {
            obligations: vec![obligation(
                "164.308(a)(7)(ii)(A)",
                Cadence::Quarterly,
                &[(date(2026, 12, 31), Some(date(2026, 11, 2)))],
            )],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 28));
        let item = find(&statuses, "164.308(a)(7)(ii)(A)");

        assert_eq!(item.status, Status::Met);
        assert!(item.gaps.is_empty());
    }

    #[test]
    fn current_period_due_soon_after_previous_done() {
        let facts = ProgramFacts {
            obligations: vec![obligation(
                "164.308(a)(7)(ii)(A)",
                Cadence::Quarterly,
                &[(date(2026, 9, 30), Some(date(2026, 9, 2))), (date(2026, 12, 31), None)],
            )],
            ..ProgramFacts::default()
        };

        assert_eq!(find(&assess(&facts, date(2026, 11, 1)), "164.308(a)(7)(ii)(A)").status, Status::Met);
        assert_eq!(
            find(&assess(&facts, date(2026, 12, 20)), "164.308(a)(7)(ii)(A)").status,
            Status::DueSoon
        );
    }

    #[test]
    fn first_period_not_yet_done_is_missing() {
        let facts = ProgramFacts {
            obligations: vec![obligation("164.308(a)(7)(ii)(A)", Cadence::Annual, &[(date(2027, 6, 30), None)])],
            ..ProgramFacts::default()
        };

        assert_eq!(
            find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(7)(ii)(A)").status,
            Status::Missing
        );
    }

    #[test]
    fn not_reasonable_decision_meets_addressable() {
        let facts = ProgramFacts {
            addressable_decisions: HashMap::from([("164.308(a)(3)(ii)(B)".to_owned(), OutcomeKind::NotReasonable)]),
            ..ProgramFacts::default()
        };

        assert_eq!(find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(3)(ii)(B)").status, Status::Met);
    }

    #[test]
    fn standard_takes_worst_specification() {
        let facts = ProgramFacts {
            obligations: vec![obligation(
                "164.308(a)(7)(ii)(A)",
                Cadence::Quarterly,
                &[(date(2026, 9, 30), None), (date(2026, 12, 31), None)],
            )],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));

        assert_eq!(find(&statuses, "164.308(a)(7)(i)").status, Status::Overdue);
    }

    #[test]
    fn designation_meets_assigned_responsibility() {
        let without = assess(&ProgramFacts::default(), date(2026, 12, 4));
        let with = assess(
            &ProgramFacts {
                designation_in_effect: true,
                ..ProgramFacts::default()
            },
            date(2026, 12, 4),
        );

        assert_eq!(find(&without, "164.308(a)(2)").gaps[0].fix, Fix::Designate);
        assert_eq!(find(&with, "164.308(a)(2)").status, Status::Met);
    }
}
