//! Compliance status per standard and implementation specification, computed from records.
//!
//! Nothing here is typed by a person. [`assess`] takes the facts the store gathered (calendar
//! instances, Addressable decisions, the designation in effect, risk analyses, risk-plan items
//! and signed activity reviews) and the day in the practice's time zone. It returns a status
//! for every standard and specification of 164.308, with the gaps that keep it from being met.
//! Each gap names the missing or stale record and the [`Fix`] that would close it, which the
//! web layer turns into a link.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::Serialize;

use crate::addressable::OutcomeKind;
use crate::calendar::{Cadence, InstanceState, instance_state};
use crate::catalog::{self, Requirement};
use crate::ids::{InstanceId, ObligationId, PlanItemId};

/// The status of a standard or specification, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Status {
    /// Evidence is present and fresh.
    Met,
    /// Evidence is fresh but the next instance is due soon.
    DueSoon,
    /// No record exists yet.
    Missing,
    /// An Addressable specification has no signed decision, or a risk has no recorded decision.
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
    /// Look at an obligation on the calendar, for example one that has not started yet.
    ReviewObligation(ObligationId),
    /// Complete and finalize a risk analysis.
    FinalizeRiskAnalysis,
    /// Record decisions for the risks of the current risk analysis.
    DecideRisks,
    /// Complete this item of the risk management plan.
    CompletePlanItem(PlanItemId),
}

/// A missing or stale record and how to make it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// The missing or stale record, in a sentence.
    pub message: String,
    /// The place where the record is made.
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
    /// Whether it still recurs. A stopped obligation counts only for its overdue instances:
    /// its history neither meets nor leaves a gap in the specification.
    pub recurring: bool,
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
    /// The analysis date of the latest finalized risk analysis.
    pub latest_finalized_risk_analysis: Option<Date>,
    /// How many risks of the current risk analysis have no decision.
    pub undecided_risks: usize,
    /// The open items of the risk management plan.
    pub open_plan_items: Vec<PlanItemFacts>,
    /// The last day covered by the most recently ending signed activity review.
    pub latest_signed_activity_review: Option<Date>,
}

/// An open item of the risk management plan, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItemFacts {
    /// The item.
    pub id: PlanItemId,
    /// The safeguard it puts in place.
    pub safeguard: String,
    /// The day it must be in place.
    pub deadline: Date,
}

/// How many days before its deadline an open plan item counts as due soon.
pub const PLAN_ITEM_NOTICE_DAYS: i64 = 14;

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
    /// The reasons it is not met. Empty when met.
    pub gaps: Vec<Gap>,
    /// The records that support it, in sentences.
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
                // itself the record the regulation requires, so no recurring evidence applies.
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

    let mut current_review = false;
    match citation {
        "164.308(a)(1)(ii)(A)" => assess_risk_analysis(facts, today, &mut item),
        "164.308(a)(1)(ii)(B)" => assess_risk_management(facts, today, &mut item),
        "164.308(a)(1)(ii)(D)" | "164.308(a)(5)(ii)(C)" => current_review = assess_activity_review(facts, today, &mut item),
        _ => {}
    }

    let tied: Vec<&ObligationFacts> = facts
        .obligations
        .iter()
        .filter(|obligation| obligation.citation == citation)
        .collect();
    let assessments: Vec<ObligationAssessment> = tied.iter().map(|obligation| assess_obligation(obligation, today)).collect();
    let current_evidence = current_review || assessments.iter().any(|assessment| assessment.current);
    for assessment in assessments {
        item.status = item.status.max(assessment.status);
        item.gaps.extend(assessment.gaps);
        item.evidence.extend(assessment.evidence);
        if let Some(not_started) = assessment.not_started {
            add_not_started(&mut item, not_started, current_evidence);
        }
    }

    let recurring = tied.iter().any(|obligation| obligation.recurring);
    if !recurring && item.evidence.is_empty() && item.gaps.is_empty() {
        item.status = Status::Missing;
        item.gaps.push(Gap {
            message: "No record tracks this yet; add a recurring obligation tied to it so its evidence is kept.".into(),
            fix: Fix::AddObligation(citation),
        });
    }

    item
}

/// Assesses the risk analysis: a finalized analysis dated within the last 12 months meets it.
fn assess_risk_analysis(facts: &ProgramFacts, today: Date, item: &mut ItemStatus) {
    let year_ago = today.saturating_sub(jiff::Span::new().years(1));
    match facts.latest_finalized_risk_analysis {
        Some(dated) if dated > year_ago => {
            item.evidence.push(format!("The risk analysis dated {dated} is finalized."));
        }
        Some(dated) => {
            item.status = item.status.max(Status::Overdue);
            item.gaps.push(Gap {
                message: format!("The latest finalized risk analysis, dated {dated}, is more than 12 months old."),
                fix: Fix::FinalizeRiskAnalysis,
            });
        }
        None => {
            item.status = item.status.max(Status::Missing);
            item.gaps.push(Gap {
                message: "No finalized risk analysis exists.".into(),
                fix: Fix::FinalizeRiskAnalysis,
            });
        }
    }
}

/// How many days after the end of its period a signed activity review still counts as current
/// evidence: one quarter, the longest cadence the review schedule offers besides a year.
///
/// NOTE: this is a fixed window, not the cadence of the schedule entry the review completed,
/// so a monthly schedule's review keeps counting for three months here while its calendar
/// items still report each missed month.
pub const ACTIVITY_REVIEW_CURRENT_DAYS: i64 = 92;

/// Adds a signed activity review whose period ended recently as evidence for information
/// system activity review and log-in monitoring, and returns whether it did. An older or
/// missing review adds no gap, because the schedule's calendar obligations report missed
/// reviews.
fn assess_activity_review(facts: &ProgramFacts, today: Date, item: &mut ItemStatus) -> bool {
    let Some(end) = facts.latest_signed_activity_review else {
        return false;
    };
    let oldest_current = today.saturating_sub(jiff::Span::new().days(ACTIVITY_REVIEW_CURRENT_DAYS));
    if end < oldest_current {
        return false;
    }
    item.evidence
        .push(format!("A signed activity review covers system logs up to {end}."));
    true
}

/// Assesses risk management: every risk of the current analysis needs a decision, and every plan
/// item must be completed by its deadline.
fn assess_risk_management(facts: &ProgramFacts, today: Date, item: &mut ItemStatus) {
    if facts.undecided_risks > 0 {
        item.status = item.status.max(Status::DecisionNeeded);
        item.gaps.push(Gap {
            message: format!(
                "{} risks of the current risk analysis have no decision (mitigate, accept, transfer or avoid).",
                facts.undecided_risks
            ),
            fix: Fix::DecideRisks,
        });
    }

    let notice_from = today.saturating_add(jiff::Span::new().days(PLAN_ITEM_NOTICE_DAYS));
    for plan_item in &facts.open_plan_items {
        if plan_item.deadline < today {
            item.status = item.status.max(Status::Overdue);
            item.gaps.push(Gap {
                message: format!(
                    "Risk plan item \"{}\" was due on {} and is overdue.",
                    plan_item.safeguard, plan_item.deadline
                ),
                fix: Fix::CompletePlanItem(plan_item.id),
            });
        } else if plan_item.deadline <= notice_from {
            item.status = item.status.max(Status::DueSoon);
            item.gaps.push(Gap {
                message: format!("Risk plan item \"{}\" is due on {}.", plan_item.safeguard, plan_item.deadline),
                fix: Fix::CompletePlanItem(plan_item.id),
            });
        } else {
            item.evidence.push(format!(
                "Risk plan item \"{}\" is open, due on {}.",
                plan_item.safeguard, plan_item.deadline
            ));
        }
    }
}

/// The contribution of one obligation to the status of its specification.
#[derive(Debug)]
struct ObligationAssessment {
    status: Status,
    gaps: Vec<Gap>,
    evidence: Vec<String>,
    /// Set when the recurring obligation has no record yet because its first instance is not
    /// due soon or its first period has not started. Whether that makes the specification
    /// missing depends on the other evidence for it, so [`add_not_started`] decides.
    not_started: Option<NotStarted>,
    /// Whether the obligation is current evidence by itself: it recurs, has a completed
    /// instance, and none of its instances is overdue.
    current: bool,
}

/// A recurring obligation that has nothing to record yet.
#[derive(Debug)]
struct NotStarted {
    /// The gap message, with the due date of the first instance when one exists.
    message: String,
    /// The same fact as the next step, for the evidence list beside a met status, where "no
    /// record yet" would read as a contradiction.
    next_step: String,
    fix: Fix,
}

/// Adds an obligation that has not started to `item`. Alone it leaves the specification
/// missing, because nothing shows the work is done. Beside current evidence from another
/// record (a signed activity review, another obligation completed on time) it is only the
/// next thing to do, so it is listed with the evidence and does not lower the status.
fn add_not_started(item: &mut ItemStatus, not_started: NotStarted, current_evidence: bool) {
    if current_evidence {
        item.evidence.push(not_started.next_step);
    } else {
        item.status = item.status.max(Status::Missing);
        item.gaps.push(Gap {
            message: not_started.message,
            fix: not_started.fix,
        });
    }
}

/// Assesses one obligation: overdue instances, the current period, and the last completion.
fn assess_obligation(obligation: &ObligationFacts, today: Date) -> ObligationAssessment {
    let mut assessment = ObligationAssessment {
        status: Status::Met,
        gaps: Vec::new(),
        evidence: Vec::new(),
        not_started: None,
        current: false,
    };

    for instance in &obligation.instances {
        if instance_state(obligation.cadence, instance.due_on, instance.completed_on, today) == InstanceState::Overdue {
            assessment.status = Status::Overdue;
            assessment.gaps.push(Gap {
                message: format!("{} due on {} is overdue.", obligation.title, instance.due_on),
                fix: Fix::CompleteInstance(instance.id),
            });
        }
    }
    if !obligation.recurring {
        return assessment;
    }

    let last_completed = obligation.instances.iter().filter_map(|instance| instance.completed_on).max();
    if let Some(day) = last_completed {
        assessment.evidence.push(format!("{} last completed on {day}.", obligation.title));
        assessment.current = assessment.status != Status::Overdue;
    }

    // An obligation whose first period has not started has no instance and no record yet;
    // it must not read as met on its own.
    let Some(current) = obligation.instances.last() else {
        assessment.not_started = Some(NotStarted {
            message: format!("No {} has been recorded yet; its first period has not started.", obligation.title),
            next_step: format!("Next: {}, whose first period has not started.", obligation.title),
            fix: Fix::ReviewObligation(obligation.id),
        });
        return assessment;
    };
    match instance_state(obligation.cadence, current.due_on, current.completed_on, today) {
        InstanceState::DueSoon => {
            assessment.status = assessment.status.max(Status::DueSoon);
            assessment.gaps.push(Gap {
                message: format!("{} is due on {}.", obligation.title, current.due_on),
                fix: Fix::CompleteInstance(current.id),
            });
        }
        InstanceState::Upcoming if obligation.instances.len() == 1 => {
            assessment.not_started = Some(NotStarted {
                message: format!(
                    "No {} has been recorded yet; the first is due on {}.",
                    obligation.title, current.due_on
                ),
                next_step: format!("Next: {}, first due on {}.", obligation.title, current.due_on),
                fix: Fix::CompleteInstance(current.id),
            });
        }
        _ => {}
    }

    assessment
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
            recurring: true,
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
    fn stopped_obligation_counts_only_overdue() {
        let mut stopped = obligation(
            "164.308(a)(7)(ii)(A)",
            Cadence::Monthly,
            &[(date(2026, 11, 30), None), (date(2026, 12, 31), None)],
        );
        stopped.recurring = false;
        let facts = ProgramFacts {
            obligations: vec![stopped],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let item = find(&statuses, "164.308(a)(7)(ii)(A)");

        assert_eq!(item.status, Status::Overdue);
        assert_eq!(item.gaps.len(), 1);
    }

    #[test]
    fn stopped_obligation_alone_is_not_met() {
        let mut stopped = obligation(
            "164.308(a)(7)(ii)(A)",
            Cadence::Monthly,
            &[(date(2026, 10, 31), Some(date(2026, 10, 2)))],
        );
        stopped.recurring = false;
        let facts = ProgramFacts {
            obligations: vec![stopped],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));

        assert_eq!(find(&statuses, "164.308(a)(7)(ii)(A)").status, Status::Missing);
    }

    #[test]
    fn obligation_not_started_is_missing() {
        let facts = ProgramFacts {
            obligations: vec![obligation("164.308(a)(7)(ii)(A)", Cadence::Annual, &[])],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let item = find(&statuses, "164.308(a)(7)(ii)(A)");

        assert_eq!(item.status, Status::Missing);
        assert!(matches!(item.gaps[0].fix, Fix::ReviewObligation(_)));
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

    #[test]
    fn risk_analysis_needs_recent_finalized_version() {
        let today = date(2026, 12, 4);
        let status_with = |dated: Option<Date>| {
            let facts = ProgramFacts {
                latest_finalized_risk_analysis: dated,
                ..ProgramFacts::default()
            };
            find(&assess(&facts, today), "164.308(a)(1)(ii)(A)").clone()
        };

        let none = status_with(None);
        let recent = status_with(Some(date(2026, 3, 1)));
        let stale = status_with(Some(date(2025, 12, 1)));

        assert_eq!(none.status, Status::Missing);
        assert_eq!(none.gaps[0].fix, Fix::FinalizeRiskAnalysis);
        assert_eq!(recent.status, Status::Met);
        assert!(recent.gaps.is_empty());
        assert_eq!(stale.status, Status::Overdue);
    }

    #[test]
    fn undecided_risks_need_decision() {
        let facts = ProgramFacts {
            undecided_risks: 3,
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let item = find(&statuses, "164.308(a)(1)(ii)(B)");

        assert_eq!(item.status, Status::DecisionNeeded);
        assert_eq!(item.gaps[0].fix, Fix::DecideRisks);
    }

    #[test]
    fn plan_items_overdue_due_soon_and_open() {
        let item_due = |deadline: Date| PlanItemFacts {
            id: PlanItemId::new(),
            safeguard: "Turn on MFA".into(),
            deadline,
        };
        let overdue = item_due(date(2026, 12, 1));
        let soon = item_due(date(2026, 12, 10));
        let later = item_due(date(2027, 3, 1));
        let facts = ProgramFacts {
            open_plan_items: vec![overdue.clone(), soon.clone(), later],
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let item = find(&statuses, "164.308(a)(1)(ii)(B)");

        assert_eq!(item.status, Status::Overdue);
        assert_eq!(item.gaps.len(), 2);
        assert_eq!(item.gaps[0].fix, Fix::CompletePlanItem(overdue.id));
        assert_eq!(item.gaps[1].fix, Fix::CompletePlanItem(soon.id));
        assert_eq!(item.evidence.len(), 1);
    }

    #[test]
    fn signed_activity_review_counts_while_current() {
        let today = date(2026, 12, 4);
        let facts = ProgramFacts {
            latest_signed_activity_review: Some(date(2026, 11, 30)),
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, today);
        let review = find(&statuses, "164.308(a)(1)(ii)(D)");
        assert_eq!(review.status, Status::Met);
        assert_eq!(
            review.evidence,
            vec!["A signed activity review covers system logs up to 2026-11-30.".to_owned()]
        );
        let monitoring = find(&statuses, "164.308(a)(5)(ii)(C)");
        assert!(monitoring.evidence.iter().any(|line| line.contains("signed activity review")));

        let stale = ProgramFacts {
            latest_signed_activity_review: Some(date(2026, 8, 31)),
            ..ProgramFacts::default()
        };
        let statuses = assess(&stale, today);
        assert_eq!(find(&statuses, "164.308(a)(1)(ii)(D)").status, Status::Missing);
    }

    /// Builds the activity review schedule of a new practice: the EHR access log reviewed
    /// monthly and Windows sign-ins quarterly from December, assessed on 2026-12-04.
    fn review_schedule(ehr_completed_on: Option<Date>) -> Vec<ObligationFacts> {
        let mut ehr = obligation(
            "164.308(a)(1)(ii)(D)",
            Cadence::Monthly,
            &[(date(2026, 11, 30), ehr_completed_on), (date(2026, 12, 31), None)],
        );
        ehr.title = "Activity review: EHR access log".into();
        let mut windows = obligation("164.308(a)(1)(ii)(D)", Cadence::Quarterly, &[(date(2027, 2, 28), None)]);
        windows.title = "Activity review: Windows sign-ins".into();
        vec![ehr, windows]
    }

    #[test]
    fn signed_review_outweighs_upcoming_first_item() {
        let facts = ProgramFacts {
            obligations: review_schedule(Some(date(2026, 12, 4))),
            latest_signed_activity_review: Some(date(2026, 11, 30)),
            ..ProgramFacts::default()
        };

        let statuses = assess(&facts, date(2026, 12, 4));
        let review = find(&statuses, "164.308(a)(1)(ii)(D)");

        assert_eq!(review.status, Status::Met);
        assert!(review.gaps.is_empty(), "{:?}", review.gaps);
        assert!(
            review
                .evidence
                .contains(&"A signed activity review covers system logs up to 2026-11-30.".to_owned())
        );
        assert!(
            review
                .evidence
                .contains(&"Next: Activity review: Windows sign-ins, first due on 2027-02-28.".to_owned())
        );
    }

    #[test]
    fn signed_review_alone_outweighs_upcoming_first_item() {
        let facts = ProgramFacts {
            obligations: vec![obligation("164.308(a)(1)(ii)(D)", Cadence::Quarterly, &[(date(2027, 2, 28), None)])],
            latest_signed_activity_review: Some(date(2026, 11, 30)),
            ..ProgramFacts::default()
        };

        let review = find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(1)(ii)(D)").clone();

        assert_eq!(review.status, Status::Met);
        assert!(review.gaps.is_empty());
        assert_eq!(review.evidence.len(), 2);
    }

    #[test]
    fn stale_review_leaves_upcoming_first_item_missing() {
        let facts = ProgramFacts {
            obligations: vec![obligation("164.308(a)(1)(ii)(D)", Cadence::Quarterly, &[(date(2027, 2, 28), None)])],
            latest_signed_activity_review: Some(date(2026, 8, 31)),
            ..ProgramFacts::default()
        };

        let review = find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(1)(ii)(D)").clone();

        assert_eq!(review.status, Status::Missing);
        assert_eq!(review.gaps.len(), 1);
        assert!(matches!(review.gaps[0].fix, Fix::CompleteInstance(_)));
    }

    #[test]
    fn completed_obligation_outweighs_upcoming_first_item() {
        let facts = ProgramFacts {
            obligations: review_schedule(Some(date(2026, 11, 28))),
            ..ProgramFacts::default()
        };

        let review = find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(1)(ii)(D)").clone();

        assert_eq!(review.status, Status::Met);
        assert!(review.gaps.is_empty());
        assert_eq!(review.evidence.len(), 2);
    }

    #[test]
    fn overdue_obligation_keeps_upcoming_first_item_gap() {
        let facts = ProgramFacts {
            obligations: review_schedule(None),
            ..ProgramFacts::default()
        };

        let review = find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(1)(ii)(D)").clone();

        assert_eq!(review.status, Status::Overdue);
        assert_eq!(review.gaps.len(), 2);
        assert!(review.gaps[1].message.starts_with("No Activity review: Windows sign-ins"));
    }

    #[test]
    fn not_started_obligation_beside_current_one_is_met() {
        let facts = ProgramFacts {
            obligations: vec![
                obligation(
                    "164.308(a)(7)(ii)(A)",
                    Cadence::Quarterly,
                    &[(date(2026, 12, 31), Some(date(2026, 11, 2)))],
                ),
                obligation("164.308(a)(7)(ii)(A)", Cadence::Annual, &[]),
            ],
            ..ProgramFacts::default()
        };

        let item = find(&assess(&facts, date(2026, 12, 4)), "164.308(a)(7)(ii)(A)").clone();

        assert_eq!(item.status, Status::Met);
        assert!(item.evidence.iter().any(|line| line.contains("whose first period has not started")));
    }
}
