//! The regulation catalog: the HIPAA rules Safeguard tracks, stored as static data.
//!
//! The catalog owns four tables from 45 CFR Part 164. They are the nine administrative-safeguard
//! standards of 164.308 with their 21 implementation specifications, the six documentation items
//! of 164.316, and the breach-notification sections 164.402 to 164.414. Every other part of the
//! product links its records to a row here by citation.
//!
//! Invariants, checked by the tests at the end of this file, which pin every citation:
//! - A citation is the row's stable key and is unique across all four tables. Other crates
//!   store it in the database, so a released citation must not change.
//! - Rows appear in regulation order, and every specification names an existing standard.
//! - The Required and Addressable labels follow Appendix A to Subpart C, so 10 specifications
//!   are Required and 11 are Addressable.
//!
//! Summaries and auditor notes paraphrase the regulation and the HHS OCR audit protocol. They
//! guide the Security Official and are not legal text.

use serde::Serialize;

/// Requirement level of an implementation specification under 164.306(d).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Requirement {
    /// The practice must implement the specification as written.
    Required,
    /// The practice must assess whether the specification is reasonable and appropriate for
    /// its environment. It then implements it, or documents why not and implements an
    /// equivalent alternative measure where one is reasonable.
    Addressable,
}

impl Requirement {
    /// Returns the label used in the regulation and the user interface.
    pub fn label(self) -> &'static str {
        match self {
            Requirement::Required => "Required",
            Requirement::Addressable => "Addressable",
        }
    }
}

/// Group of sections of 45 CFR Part 164 that one catalog table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Part {
    /// Section 164.308, the administrative safeguards of the Security Rule.
    AdministrativeSafeguards,
    /// Section 164.316, policies, procedures and documentation.
    Documentation,
    /// Sections 164.400 to 164.414, the Breach Notification Rule.
    BreachNotification,
}

impl Part {
    /// Returns the display heading of this group of sections.
    pub fn title(self) -> &'static str {
        match self {
            Part::AdministrativeSafeguards => "Administrative safeguards",
            Part::Documentation => "Policies, procedures and documentation",
            Part::BreachNotification => "Breach notification",
        }
    }
}

/// One of the nine standards of 164.308.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standard {
    /// Citation within 45 CFR, such as `164.308(a)(1)(i)`, which is also the stable key.
    pub citation: &'static str,
    /// Title as the regulation names the standard.
    pub title: &'static str,
    /// Paraphrase of what the standard requires.
    pub summary: &'static str,
    /// Paraphrase of the documents and evidence an OCR auditor requests.
    pub auditor_inspects: &'static str,
    /// `Some(Required)` for the two standards that have no implementation specifications,
    /// (a)(2) and (a)(8), because the standard itself is then the Required item. `None` for
    /// the others, whose specifications carry the label.
    pub requirement: Option<Requirement>,
    /// Name of the product-area module that serves this standard.
    pub area: &'static str,
}

impl Standard {
    /// Returns the citation prefixed with `45 CFR`, as in `45 CFR 164.308(a)(1)(i)`.
    pub fn full_citation(&self) -> String {
        full_citation(self.citation)
    }
}

/// One implementation specification of a 164.308 standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Specification {
    /// Citation within 45 CFR, such as `164.308(a)(1)(ii)(A)`, which is also the stable key.
    pub citation: &'static str,
    /// Citation of the standard this specification implements.
    pub standard: &'static str,
    /// Title as the regulation names the specification.
    pub title: &'static str,
    /// Whether the specification is Required or Addressable.
    pub requirement: Requirement,
    /// Paraphrase of what the specification requires.
    pub summary: &'static str,
    /// Paraphrase of the documents and evidence an OCR auditor requests.
    pub auditor_inspects: &'static str,
}

impl Specification {
    /// Returns the citation prefixed with `45 CFR`, as in `45 CFR 164.308(a)(1)(ii)(A)`.
    pub fn full_citation(&self) -> String {
        full_citation(self.citation)
    }
}

/// One requirement of 164.316, policies, procedures and documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DocumentationItem {
    /// Citation within 45 CFR, such as `164.316(b)(2)(i)`, which is also the stable key.
    pub citation: &'static str,
    /// Title as the regulation names the item, or a short description where it has none.
    pub title: &'static str,
    /// `Some(Required)` for the three implementation specifications of 164.316(b)(2), and
    /// `None` for the standards and the unlabeled paragraph (b)(1)(ii).
    pub requirement: Option<Requirement>,
    /// Paraphrase of what the item requires.
    pub summary: &'static str,
    /// Paraphrase of the documents and evidence an OCR auditor requests.
    pub auditor_inspects: &'static str,
}

impl DocumentationItem {
    /// Returns the citation prefixed with `45 CFR`, as in `45 CFR 164.316(a)`.
    pub fn full_citation(&self) -> String {
        full_citation(self.citation)
    }
}

/// One section, or one paragraph of 164.404, of the Breach Notification Rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BreachSection {
    /// Citation within 45 CFR, such as `164.404(b)`, which is also the stable key.
    pub citation: &'static str,
    /// Short title of the section or paragraph.
    pub title: &'static str,
    /// Paraphrase of what the section requires, with its thresholds and deadlines.
    pub summary: &'static str,
    /// Paraphrase of the documents and evidence an OCR auditor requests.
    pub auditor_inspects: &'static str,
}

impl BreachSection {
    /// Returns the citation prefixed with `45 CFR`, as in `45 CFR 164.404(b)`.
    pub fn full_citation(&self) -> String {
        full_citation(self.citation)
    }
}

fn full_citation(citation: &str) -> String {
    format!("45 CFR {citation}")
}

/// The nine standards of 164.308, in regulation order.
pub const STANDARDS: &[Standard] = &[
    Standard {
        citation: "164.308(a)(1)(i)",
        title: "Security management process",
        summary: "Put in place policies and procedures through which the practice prevents, \
                  detects, contains and corrects security violations.",
        auditor_inspects: "The written security-program policies, proof that they are \
                           followed, and the record of each security violation with its \
                           corrective action plan and remediation.",
        requirement: None,
        area: "risk",
    },
    Standard {
        citation: "164.308(a)(2)",
        title: "Assigned security responsibility",
        summary: "Designate one Security Official who is accountable for developing and \
                  carrying out the security policies and procedures.",
        auditor_inspects: "The document designating the Security Official and describing \
                           the duties of the role, and evidence that the workforce has been \
                           told who holds it.",
        requirement: Some(Requirement::Required),
        area: "program",
    },
    Standard {
        citation: "164.308(a)(3)(i)",
        title: "Workforce security",
        summary: "Ensure that workforce members who need ePHI have suitable access to it, \
                  and that members without authorization cannot reach it.",
        auditor_inspects: "The workforce-security policy and procedures, a matrix of roles \
                           and the access each one has, and evidence that the procedures \
                           are applied.",
        requirement: None,
        area: "workforce",
    },
    Standard {
        citation: "164.308(a)(4)(i)",
        title: "Information access management",
        summary: "Adopt policies and procedures that govern how access to ePHI is \
                  authorized, in line with the minimum-necessary rules of the Privacy Rule.",
        auditor_inspects: "The access-management policy and procedures, and evidence that \
                           access is granted according to them.",
        requirement: None,
        area: "access",
    },
    Standard {
        citation: "164.308(a)(5)(i)",
        title: "Security awareness and training",
        summary: "Run a security awareness and training program that reaches every \
                  workforce member, managers included.",
        auditor_inspects: "The training policy, materials suited to each job function, and \
                           completion records for new and existing staff, and for \
                           contractors where appropriate.",
        requirement: None,
        area: "training",
    },
    Standard {
        citation: "164.308(a)(6)(i)",
        title: "Security incident procedures",
        summary: "Adopt policies and procedures for handling security incidents.",
        auditor_inspects: "An incident-response policy that defines a security incident, \
                           assigns roles, involves management and business associates, and \
                           sets the response steps and review frequency, with evidence that \
                           it is in use.",
        requirement: None,
        area: "incidents",
    },
    Standard {
        citation: "164.308(a)(7)(i)",
        title: "Contingency plan",
        summary: "Adopt policies and procedures for responding to an emergency, such as \
                  fire, vandalism, system failure or natural disaster, that damages \
                  systems containing ePHI.",
        auditor_inspects: "The contingency plan and the policies and procedures behind it.",
        requirement: None,
        area: "contingency",
    },
    Standard {
        citation: "164.308(a)(8)",
        title: "Evaluation",
        summary: "Periodically evaluate, in technical and non-technical terms, how well the \
                  security program meets the Security Rule. The first evaluation uses the \
                  rule's standards, and later ones follow environmental or operational \
                  changes that affect the security of ePHI.",
        auditor_inspects: "The evaluation policy, dated evaluation reports with findings, \
                           gaps and decisions, who performed each evaluation, and the change \
                           triggers used.",
        requirement: Some(Requirement::Required),
        area: "evaluation",
    },
    Standard {
        citation: "164.308(b)(1)",
        title: "Business associate contracts and other arrangements",
        summary: "A covered entity may let a business associate handle ePHI on its behalf \
                  only after obtaining satisfactory assurances that meet 164.314(a). \
                  Paragraph (b)(2) gives a business associate the same duty toward its \
                  subcontractors.",
        auditor_inspects: "The policy for obtaining assurances, the complete list of \
                           business associates, and the agreements signed with them.",
        requirement: None,
        area: "vendors",
    },
];

/// The 21 implementation specifications of 164.308, in regulation order.
pub const SPECIFICATIONS: &[Specification] = &[
    Specification {
        citation: "164.308(a)(1)(ii)(A)",
        standard: "164.308(a)(1)(i)",
        title: "Risk analysis",
        requirement: Requirement::Required,
        summary: "Assess, accurately and thoroughly, the risks and vulnerabilities that \
                  threaten the confidentiality, integrity and availability of all ePHI the \
                  practice creates, receives, maintains or transmits.",
        auditor_inspects: "A dated, enterprise-wide written risk analysis covering where \
                           ePHI is stored and how it flows, threats, vulnerabilities, current \
                           controls, likelihood, impact and risk level. The auditor also asks \
                           for earlier versions, the update triggers and the risk-analysis \
                           policy.",
    },
    Specification {
        citation: "164.308(a)(1)(ii)(B)",
        standard: "164.308(a)(1)(i)",
        title: "Risk management",
        requirement: Requirement::Required,
        summary: "Implement security measures that lower the identified risks and \
                  vulnerabilities to a reasonable and appropriate level.",
        auditor_inspects: "A risk management plan that traces back to the risk-analysis \
                           findings, a remediation tracker with owners, dates and status, \
                           documented risk acceptances, and proof that the measures are in \
                           place.",
    },
    Specification {
        citation: "164.308(a)(1)(ii)(C)",
        standard: "164.308(a)(1)(i)",
        title: "Sanction policy",
        requirement: Requirement::Required,
        summary: "Apply appropriate sanctions to workforce members who fail to follow the \
                  security policies and procedures.",
        auditor_inspects: "The sanction policy with its violation categories and sanction \
                           levels, the sanctions imposed during the audit period, and proof \
                           that the workforce was informed of the policy.",
    },
    Specification {
        citation: "164.308(a)(1)(ii)(D)",
        standard: "164.308(a)(1)(i)",
        title: "Information system activity review",
        requirement: Requirement::Required,
        summary: "Review records of information system activity, such as audit logs, access \
                  reports and security incident tracking reports, on a regular schedule.",
        auditor_inspects: "A procedure naming the systems, logs, reviewer, frequency and \
                           exception handling, plus dated review records showing the \
                           exceptions found and their follow-up.",
    },
    Specification {
        citation: "164.308(a)(3)(ii)(A)",
        standard: "164.308(a)(3)(i)",
        title: "Authorization and/or supervision",
        requirement: Requirement::Addressable,
        summary: "Implement procedures to authorize or supervise workforce members who work \
                  with ePHI or in locations where it can be accessed.",
        auditor_inspects: "The authorization or supervision procedure and its records, or \
                           the documented rationale for an alternative measure.",
    },
    Specification {
        citation: "164.308(a)(3)(ii)(B)",
        standard: "164.308(a)(3)(i)",
        title: "Workforce clearance procedure",
        requirement: Requirement::Addressable,
        summary: "Implement procedures that determine whether a workforce member's access \
                  to ePHI is appropriate.",
        auditor_inspects: "The screening or clearance procedure, such as background checks, \
                           and the clearance decisions for a sample of workforce members, or \
                           the alternative-measure rationale.",
    },
    Specification {
        citation: "164.308(a)(3)(ii)(C)",
        standard: "164.308(a)(3)(i)",
        title: "Termination procedures",
        requirement: Requirement::Addressable,
        summary: "Implement procedures that end access to ePHI when a workforce member's \
                  employment or engagement ends, or when a clearance decision calls for it.",
        auditor_inspects: "Termination checklists, account-disable times compared with \
                           separation dates, recovered badges, keys and devices, and access \
                           adjusted on role changes.",
    },
    Specification {
        citation: "164.308(a)(4)(ii)(A)",
        standard: "164.308(a)(4)(i)",
        title: "Isolating health care clearinghouse functions",
        requirement: Requirement::Required,
        summary: "A health care clearinghouse that is part of a larger organization must \
                  shield its ePHI from unauthorized access by that organization.",
        auditor_inspects: "A written determination that the practice performs no \
                           clearinghouse function, which is the usual case, or else the \
                           isolation procedures and evidence that they work.",
    },
    Specification {
        citation: "164.308(a)(4)(ii)(B)",
        standard: "164.308(a)(4)(i)",
        title: "Access authorization",
        requirement: Requirement::Addressable,
        summary: "Implement policies and procedures for granting access to ePHI, for \
                  example through a workstation, transaction, program or process.",
        auditor_inspects: "Access requests and their approvals for a sample of users and the \
                           list of people allowed to approve, or the alternative-measure \
                           rationale.",
    },
    Specification {
        citation: "164.308(a)(4)(ii)(C)",
        standard: "164.308(a)(4)(i)",
        title: "Access establishment and modification",
        requirement: Requirement::Addressable,
        summary: "Following the access authorization policies, set up, document, review and \
                  change each user's access to workstations, transactions, programs and \
                  processes.",
        auditor_inspects: "Provisioning and change records and periodic access-review \
                           results for sampled users, or the alternative-measure rationale.",
    },
    Specification {
        citation: "164.308(a)(5)(ii)(A)",
        standard: "164.308(a)(5)(i)",
        title: "Security reminders",
        requirement: Requirement::Addressable,
        summary: "Send the workforce periodic security updates.",
        auditor_inspects: "Examples of reminders, their frequency and channel, such as \
                           email, newsletters or posters, and evidence that they reached the \
                           workforce, or the alternative-measure rationale.",
    },
    Specification {
        citation: "164.308(a)(5)(ii)(B)",
        standard: "164.308(a)(5)(i)",
        title: "Protection from malicious software",
        requirement: Requirement::Addressable,
        summary: "Implement procedures for guarding against, detecting and reporting \
                  malicious software.",
        auditor_inspects: "The anti-malware procedure, the training that covers it and \
                           evidence from the protection tools, or the alternative-measure \
                           rationale.",
    },
    Specification {
        citation: "164.308(a)(5)(ii)(C)",
        standard: "164.308(a)(5)(i)",
        title: "Log-in monitoring",
        requirement: Requirement::Addressable,
        summary: "Implement procedures to monitor log-in attempts and report discrepancies.",
        auditor_inspects: "The monitoring procedure with its records and alerts, or the \
                           alternative-measure rationale.",
    },
    Specification {
        citation: "164.308(a)(5)(ii)(D)",
        standard: "164.308(a)(5)(i)",
        title: "Password management",
        requirement: Requirement::Addressable,
        summary: "Implement procedures for creating, changing and safeguarding passwords.",
        auditor_inspects: "The password procedure, the training on it and system \
                           configuration evidence, or the alternative-measure rationale.",
    },
    // The regulation numbers this paragraph (a)(6)(ii) with no letter, because it is the
    // only specification of its standard.
    Specification {
        citation: "164.308(a)(6)(ii)",
        standard: "164.308(a)(6)(i)",
        title: "Response and reporting",
        requirement: Requirement::Required,
        summary: "Identify and respond to suspected or known security incidents, mitigate \
                  their harmful effects where practicable, and document each incident and \
                  its outcome.",
        auditor_inspects: "The incident log and incident records for the audit period, \
                           showing the response, mitigation and outcome of each.",
    },
    Specification {
        citation: "164.308(a)(7)(ii)(A)",
        standard: "164.308(a)(7)(i)",
        title: "Data backup plan",
        requirement: Requirement::Required,
        summary: "Establish procedures that create and maintain retrievable exact copies of \
                  ePHI.",
        auditor_inspects: "The backup procedure, backup logs and evidence that the copies \
                           can be restored.",
    },
    Specification {
        citation: "164.308(a)(7)(ii)(B)",
        standard: "164.308(a)(7)(i)",
        title: "Disaster recovery plan",
        requirement: Requirement::Required,
        summary: "Establish procedures to restore any data that is lost.",
        auditor_inspects: "The disaster recovery plan with its restore procedures.",
    },
    Specification {
        citation: "164.308(a)(7)(ii)(C)",
        standard: "164.308(a)(7)(i)",
        title: "Emergency mode operation plan",
        requirement: Requirement::Required,
        summary: "Establish procedures that keep critical business processes running and \
                  ePHI protected while the practice operates in emergency mode.",
        auditor_inspects: "The emergency-mode procedures and the policy they carry out.",
    },
    Specification {
        citation: "164.308(a)(7)(ii)(D)",
        standard: "164.308(a)(7)(i)",
        title: "Testing and revision procedures",
        requirement: Requirement::Addressable,
        summary: "Test the contingency plans periodically and revise them based on the \
                  results.",
        auditor_inspects: "Records of tests or tabletop exercises, their results and the \
                           plan revisions that followed, or the alternative-measure \
                           rationale.",
    },
    Specification {
        citation: "164.308(a)(7)(ii)(E)",
        standard: "164.308(a)(7)(i)",
        title: "Applications and data criticality analysis",
        requirement: Requirement::Addressable,
        summary: "Assess how critical each application and data set is, to support the \
                  other parts of the contingency plan.",
        auditor_inspects: "The criticality analysis ranking systems and data with their \
                           tolerable downtime, or the alternative-measure rationale.",
    },
    // The regulation places the only specification of standard (b)(1) at (b)(3), after
    // paragraph (b)(2), which extends the standard to subcontractors.
    Specification {
        citation: "164.308(b)(3)",
        standard: "164.308(b)(1)",
        title: "Written contract or other arrangement",
        requirement: Requirement::Required,
        summary: "Record the satisfactory assurances in a written contract or other \
                  arrangement with the business associate that meets the requirements of \
                  164.314(a).",
        auditor_inspects: "Executed business associate agreements, sampled to confirm that \
                           their security terms cover the confidentiality, integrity and \
                           availability of ePHI. A business associate also shows \
                           subcontractor agreements at least as strict as its own.",
    },
];

/// The six requirements of 164.316, in regulation order.
pub const DOCUMENTATION: &[DocumentationItem] = &[
    DocumentationItem {
        citation: "164.316(a)",
        title: "Policies and procedures",
        requirement: None,
        summary: "Adopt reasonable and appropriate policies and procedures for every \
                  Security Rule standard, weighing the practice's size, capability, costs \
                  and risks. They may change at any time if the change is documented and \
                  implemented.",
        auditor_inspects: "Security policies and procedures that are reasonable and \
                           appropriate, with each change documented and carried out.",
    },
    DocumentationItem {
        citation: "164.316(b)(1)(i)",
        title: "Documentation",
        requirement: None,
        summary: "Keep the policies and procedures in written form, which may be electronic.",
        auditor_inspects: "The policies and procedures in paper or electronic form.",
    },
    // The regulation gives this paragraph no title of its own, so the title describes it.
    DocumentationItem {
        citation: "164.316(b)(1)(ii)",
        title: "Records of required actions",
        requirement: None,
        summary: "Keep a written record of every action, activity or assessment that the \
                  Security Rule requires to be documented.",
        auditor_inspects: "Written records of the required actions, activities and \
                           assessments.",
    },
    DocumentationItem {
        citation: "164.316(b)(2)(i)",
        title: "Time limit",
        requirement: Some(Requirement::Required),
        summary: "Retain the documentation for six years from the date it was created or \
                  the date it was last in effect, whichever is later.",
        auditor_inspects: "A retention policy, and evidence that both the policies and the \
                           records of actions and assessments are kept for the full six \
                           years.",
    },
    DocumentationItem {
        citation: "164.316(b)(2)(ii)",
        title: "Availability",
        requirement: Some(Requirement::Required),
        summary: "Make the documentation available to the people who carry out the \
                  procedures it describes.",
        auditor_inspects: "How and where the people responsible for the procedures can \
                           reach the documentation.",
    },
    DocumentationItem {
        citation: "164.316(b)(2)(iii)",
        title: "Updates",
        requirement: Some(Requirement::Required),
        summary: "Review the documentation periodically and update it when environmental or \
                  operational changes affect the security of ePHI.",
        auditor_inspects: "Evidence of periodic reviews and of updates made after relevant \
                           changes.",
    },
];

/// The sections of the Breach Notification Rule, in regulation order. Section 164.404 has
/// one row per paragraph because each paragraph sets its own obligation.
pub const BREACH_SECTIONS: &[BreachSection] = &[
    BreachSection {
        citation: "164.402",
        title: "Definitions: breach and unsecured PHI",
        summary: "A use or disclosure of PHI that the Privacy Rule does not permit is \
                  presumed to be a breach, outside three narrow exclusions. The presumption \
                  falls only if a risk assessment of four factors shows a low probability of \
                  compromise, and only unsecured PHI, which HHS guidance defines as PHI \
                  neither encrypted nor destroyed, triggers notice.",
        auditor_inspects: "Documentation of each decision that an event needed no notice, \
                           naming the exclusion relied on or the risk assessment performed, \
                           and how the practice decides whether PHI was secured.",
    },
    BreachSection {
        citation: "164.404(a)",
        title: "Notice to individuals and date of discovery",
        summary: "Notify each individual whose unsecured PHI was breached. The breach counts \
                  as discovered on the first day that any workforce member or agent, other \
                  than the person who committed it, knew of it or would have known with \
                  reasonable diligence.",
        auditor_inspects: "The policy for notifying individuals and for deciding when a \
                           breach is discovered, how workforce members report a suspected \
                           breach, and the breach records for the audit period.",
    },
    BreachSection {
        citation: "164.404(b)",
        title: "Timeliness of notice to individuals",
        summary: "Send the notice without unreasonable delay and no later than 60 calendar \
                  days after discovery, unless law enforcement has asked for a delay. An \
                  unjustified delay inside the 60 days can still violate the rule.",
        auditor_inspects: "For each breach, the discovery date, the notice date and the \
                           reason for any delay, checked against the notification policy.",
    },
    BreachSection {
        citation: "164.404(c)",
        title: "Content of notice to individuals",
        summary: "A plain-language notice states what happened and when, which types of \
                  unsecured PHI were involved, and what individuals should do to protect \
                  themselves. It also says how the practice is investigating, limiting harm \
                  and preventing a recurrence, and gives a toll-free number, email address, \
                  website or postal address for questions.",
        auditor_inspects: "A sample of the notices sent, checked for plain language and for \
                           each required element.",
    },
    BreachSection {
        citation: "164.404(d)",
        title: "Methods of notice to individuals",
        summary: "Written notice goes by first-class mail, or by email if the individual \
                  agreed to it, and to the next of kin or personal representative of a \
                  deceased individual. Without usable contact details the practice gives \
                  substitute notice, which for 10 or more people means a 90-day website \
                  posting or major media notice plus a toll-free number active for 90 days.",
        auditor_inspects: "The delivery method used for each notice, any substitute-notice \
                           postings or media notices with their toll-free number, and any \
                           urgent telephone contact made when misuse seemed imminent.",
    },
    BreachSection {
        citation: "164.406",
        title: "Notice to the media",
        summary: "When a breach affects more than 500 residents of one State or \
                  jurisdiction, notify prominent media outlets serving that area without \
                  unreasonable delay and within 60 calendar days of discovery, with the same \
                  content as the individual notice.",
        auditor_inspects: "For each breach above the 500-resident threshold, evidence that \
                           prominent media outlets were notified within the time limit.",
    },
    BreachSection {
        citation: "164.408",
        title: "Notice to the Secretary",
        summary: "For 500 or more affected individuals, notify HHS at the same time as the \
                  individuals. For fewer than 500, log each breach and report the calendar \
                  year's breaches no later than 60 days after that year ends.",
        auditor_inspects: "HHS submissions for large breaches made alongside the individual \
                           notices, and for small breaches the breach log and the annual \
                           submission.",
    },
    BreachSection {
        citation: "164.410",
        title: "Notification by a business associate",
        summary: "A business associate tells the covered entity about a breach without \
                  unreasonable delay and within 60 calendar days of its own discovery, or \
                  sooner if the business associate agreement says so. The notice identifies \
                  each affected individual where possible and gives the details the covered \
                  entity needs for its own notices.",
        auditor_inspects: "The business associate's policy, and proof that it notified the \
                           covered entity on time with the affected individuals' identities \
                           and the required notice details.",
    },
    BreachSection {
        citation: "164.412",
        title: "Law enforcement delay",
        summary: "When a law enforcement official states that notice would impede a criminal \
                  investigation or harm national security, delay notice for the period a \
                  written statement gives. An oral statement is documented with the \
                  official's identity and delays notice at most 30 days unless a written \
                  statement follows.",
        auditor_inspects: "The delay policy and a record of each law enforcement statement: \
                           whether it was written or oral, the official's identity and the \
                           delay period.",
    },
    BreachSection {
        citation: "164.414",
        title: "Administrative requirements and burden of proof",
        summary: "The Privacy Rule's requirements on training, complaints, sanctions, \
                  non-retaliation, non-waiver, policies and documentation also govern breach \
                  notification. The covered entity or business associate must be able to \
                  prove that every notice was made or that an event was not a breach.",
        auditor_inspects: "Breach-notification policies, training, sanctions, complaint \
                           handling and six-year records, plus documentation proving that \
                           each notice was made or that each event was not a breach.",
    },
];

/// Finds the standard with this citation, such as `164.308(a)(2)`.
pub fn standard(citation: &str) -> Option<&'static Standard> {
    STANDARDS.iter().find(|row| row.citation == citation)
}

/// Finds the implementation specification with this citation, such as `164.308(b)(3)`.
pub fn specification(citation: &str) -> Option<&'static Specification> {
    SPECIFICATIONS.iter().find(|row| row.citation == citation)
}

/// Finds the 164.316 documentation item with this citation, such as `164.316(b)(2)(i)`.
pub fn documentation_item(citation: &str) -> Option<&'static DocumentationItem> {
    DOCUMENTATION.iter().find(|row| row.citation == citation)
}

/// Finds the breach-notification section with this citation, such as `164.404(b)`.
pub fn breach_section(citation: &str) -> Option<&'static BreachSection> {
    BREACH_SECTIONS.iter().find(|row| row.citation == citation)
}

/// Returns the catalog's own copy of `citation` if it names a standard, an implementation
/// specification or a documentation item.
pub fn known_citation(citation: &str) -> Option<&'static str> {
    known_title(citation).map(|(citation, _)| citation)
}

/// Returns the citation and title of a standard, implementation specification or
/// documentation item.
pub fn known_title(citation: &str) -> Option<(&'static str, &'static str)> {
    let citation = citation.trim();
    standard(citation)
        .map(|item| (item.citation, item.title))
        .or_else(|| specification(citation).map(|item| (item.citation, item.title)))
        .or_else(|| documentation_item(citation).map(|item| (item.citation, item.title)))
}

/// Lists the implementation specifications of one standard, in regulation order. An unknown
/// citation, or a standard without specifications, yields nothing.
pub fn specifications_of(standard_citation: &str) -> impl Iterator<Item = &'static Specification> {
    SPECIFICATIONS.iter().filter(move |row| row.standard == standard_citation)
}

/// Lists the Addressable implementation specifications, each of which needs a signed
/// decision record.
pub fn addressable() -> impl Iterator<Item = &'static Specification> {
    SPECIFICATIONS.iter().filter(|row| row.requirement == Requirement::Addressable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const EXPECTED_STANDARDS: &[&str] = &[
        "164.308(a)(1)(i)",
        "164.308(a)(2)",
        "164.308(a)(3)(i)",
        "164.308(a)(4)(i)",
        "164.308(a)(5)(i)",
        "164.308(a)(6)(i)",
        "164.308(a)(7)(i)",
        "164.308(a)(8)",
        "164.308(b)(1)",
    ];

    // Each row pins the citation, its standard and its label from Appendix A to Subpart C.
    const EXPECTED_SPECIFICATIONS: &[(&str, &str, Requirement)] = &[
        ("164.308(a)(1)(ii)(A)", "164.308(a)(1)(i)", Requirement::Required),
        ("164.308(a)(1)(ii)(B)", "164.308(a)(1)(i)", Requirement::Required),
        ("164.308(a)(1)(ii)(C)", "164.308(a)(1)(i)", Requirement::Required),
        ("164.308(a)(1)(ii)(D)", "164.308(a)(1)(i)", Requirement::Required),
        ("164.308(a)(3)(ii)(A)", "164.308(a)(3)(i)", Requirement::Addressable),
        ("164.308(a)(3)(ii)(B)", "164.308(a)(3)(i)", Requirement::Addressable),
        ("164.308(a)(3)(ii)(C)", "164.308(a)(3)(i)", Requirement::Addressable),
        ("164.308(a)(4)(ii)(A)", "164.308(a)(4)(i)", Requirement::Required),
        ("164.308(a)(4)(ii)(B)", "164.308(a)(4)(i)", Requirement::Addressable),
        ("164.308(a)(4)(ii)(C)", "164.308(a)(4)(i)", Requirement::Addressable),
        ("164.308(a)(5)(ii)(A)", "164.308(a)(5)(i)", Requirement::Addressable),
        ("164.308(a)(5)(ii)(B)", "164.308(a)(5)(i)", Requirement::Addressable),
        ("164.308(a)(5)(ii)(C)", "164.308(a)(5)(i)", Requirement::Addressable),
        ("164.308(a)(5)(ii)(D)", "164.308(a)(5)(i)", Requirement::Addressable),
        ("164.308(a)(6)(ii)", "164.308(a)(6)(i)", Requirement::Required),
        ("164.308(a)(7)(ii)(A)", "164.308(a)(7)(i)", Requirement::Required),
        ("164.308(a)(7)(ii)(B)", "164.308(a)(7)(i)", Requirement::Required),
        ("164.308(a)(7)(ii)(C)", "164.308(a)(7)(i)", Requirement::Required),
        ("164.308(a)(7)(ii)(D)", "164.308(a)(7)(i)", Requirement::Addressable),
        ("164.308(a)(7)(ii)(E)", "164.308(a)(7)(i)", Requirement::Addressable),
        ("164.308(b)(3)", "164.308(b)(1)", Requirement::Required),
    ];

    const EXPECTED_DOCUMENTATION: &[(&str, Option<Requirement>)] = &[
        ("164.316(a)", None),
        ("164.316(b)(1)(i)", None),
        ("164.316(b)(1)(ii)", None),
        ("164.316(b)(2)(i)", Some(Requirement::Required)),
        ("164.316(b)(2)(ii)", Some(Requirement::Required)),
        ("164.316(b)(2)(iii)", Some(Requirement::Required)),
    ];

    const EXPECTED_BREACH_SECTIONS: &[&str] = &[
        "164.402",
        "164.404(a)",
        "164.404(b)",
        "164.404(c)",
        "164.404(d)",
        "164.406",
        "164.408",
        "164.410",
        "164.412",
        "164.414",
    ];

    // The product-area modules named in the design, one per 164.308 standard.
    const KNOWN_AREAS: &[&str] = &[
        "risk",
        "program",
        "workforce",
        "access",
        "training",
        "incidents",
        "contingency",
        "evaluation",
        "vendors",
    ];

    fn all_citations() -> Vec<&'static str> {
        let standards = STANDARDS.iter().map(|row| row.citation);
        let specifications = SPECIFICATIONS.iter().map(|row| row.citation);
        let documentation = DOCUMENTATION.iter().map(|row| row.citation);
        let breach = BREACH_SECTIONS.iter().map(|row| row.citation);
        standards.chain(specifications).chain(documentation).chain(breach).collect()
    }

    #[test]
    fn standard_count_matches_regulation() {
        assert_eq!(STANDARDS.len(), 9);
    }

    #[test]
    fn specification_counts_match_regulation() {
        let required = SPECIFICATIONS.iter().filter(|row| row.requirement == Requirement::Required).count();

        assert_eq!(SPECIFICATIONS.len(), 21);
        assert_eq!(required, 10);
        assert_eq!(addressable().count(), 11);
    }

    #[test]
    fn documentation_count_is_six() {
        assert_eq!(DOCUMENTATION.len(), 6);
    }

    #[test]
    fn standard_citations_are_pinned() {
        let actual: Vec<&str> = STANDARDS.iter().map(|row| row.citation).collect();
        assert_eq!(actual, EXPECTED_STANDARDS);
    }

    #[test]
    fn specification_rows_are_pinned() {
        let actual: Vec<(&str, &str, Requirement)> = SPECIFICATIONS
            .iter()
            .map(|row| (row.citation, row.standard, row.requirement))
            .collect();
        assert_eq!(actual, EXPECTED_SPECIFICATIONS);
    }

    #[test]
    fn documentation_rows_are_pinned() {
        let actual: Vec<(&str, Option<Requirement>)> = DOCUMENTATION.iter().map(|row| (row.citation, row.requirement)).collect();
        assert_eq!(actual, EXPECTED_DOCUMENTATION);
    }

    #[test]
    fn breach_citations_are_pinned() {
        let actual: Vec<&str> = BREACH_SECTIONS.iter().map(|row| row.citation).collect();
        assert_eq!(actual, EXPECTED_BREACH_SECTIONS);
    }

    #[test]
    fn only_specificationless_standards_are_required() {
        for row in STANDARDS {
            let has_specifications = specifications_of(row.citation).next().is_some();
            let expected = if has_specifications { None } else { Some(Requirement::Required) };
            assert_eq!(row.requirement, expected, "standard {}", row.citation);
        }
        assert_eq!(standard("164.308(a)(2)").unwrap().requirement, Some(Requirement::Required));
        assert_eq!(standard("164.308(a)(8)").unwrap().requirement, Some(Requirement::Required));
    }

    #[test]
    fn specifications_name_existing_standards() {
        for row in SPECIFICATIONS {
            assert!(
                standard(row.standard).is_some(),
                "specification {} names unknown standard {}",
                row.citation,
                row.standard
            );
        }
    }

    #[test]
    fn specification_citations_extend_standard() {
        // A standard cited as "(a)(1)(i)" has specifications under "(a)(1)", and one cited
        // as "(b)(1)" has them under "(b)", so each specification starts with that prefix.
        for row in SPECIFICATIONS {
            let prefix = match row.standard.strip_suffix("(i)") {
                Some(head) => head,
                None => row.standard.rsplit_once('(').unwrap().0,
            };
            assert!(
                row.citation.starts_with(prefix),
                "specification {} does not sit under standard {}",
                row.citation,
                row.standard
            );
        }
    }

    #[test]
    fn specifications_follow_standard_order() {
        let positions: Vec<usize> = SPECIFICATIONS
            .iter()
            .map(|row| STANDARDS.iter().position(|standard| standard.citation == row.standard).unwrap())
            .collect();
        assert!(
            positions.windows(2).all(|pair| pair[0] <= pair[1]),
            "specifications are not grouped in standard order: {positions:?}"
        );
    }

    #[test]
    fn specification_count_per_standard() {
        let expected = [
            ("164.308(a)(1)(i)", 4),
            ("164.308(a)(2)", 0),
            ("164.308(a)(3)(i)", 3),
            ("164.308(a)(4)(i)", 3),
            ("164.308(a)(5)(i)", 4),
            ("164.308(a)(6)(i)", 1),
            ("164.308(a)(7)(i)", 5),
            ("164.308(a)(8)", 0),
            ("164.308(b)(1)", 1),
        ];
        for (citation, count) in expected {
            assert_eq!(specifications_of(citation).count(), count, "standard {citation}");
        }
        assert_eq!(specifications_of("164.308(z)").count(), 0);
    }

    #[test]
    fn citations_are_unique() {
        let citations = all_citations();
        let mut seen = HashSet::new();
        for citation in &citations {
            assert!(seen.insert(citation), "duplicate citation {citation}");
        }
        assert_eq!(seen.len(), 9 + 21 + 6 + 10);
    }

    #[test]
    fn lookups_find_each_row() {
        for row in STANDARDS {
            assert_eq!(standard(row.citation), Some(row));
        }
        for row in SPECIFICATIONS {
            assert_eq!(specification(row.citation), Some(row));
        }
        for row in DOCUMENTATION {
            assert_eq!(documentation_item(row.citation), Some(row));
        }
        for row in BREACH_SECTIONS {
            assert_eq!(breach_section(row.citation), Some(row));
        }
    }

    #[test]
    fn lookups_reject_unknown_citations() {
        assert_eq!(standard("164.308(a)(1)(ii)(A)"), None);
        assert_eq!(standard("164.308(a)(9)"), None);
        assert_eq!(specification("164.308(a)(1)(i)"), None);
        assert_eq!(specification(""), None);
        assert_eq!(documentation_item("164.316(c)"), None);
        assert_eq!(breach_section("164.404"), None);
    }

    #[test]
    fn written_contract_belongs_to_standard() {
        let contract = specification("164.308(b)(3)").unwrap();
        assert_eq!(contract.standard, "164.308(b)(1)");
        assert_eq!(contract.title, "Written contract or other arrangement");
        assert_eq!(contract.requirement, Requirement::Required);
    }

    #[test]
    fn addressable_lists_only_addressable() {
        for row in addressable() {
            assert_eq!(row.requirement, Requirement::Addressable, "{}", row.citation);
        }
        let first = addressable().next().unwrap();
        assert_eq!(first.citation, "164.308(a)(3)(ii)(A)");
    }

    #[test]
    fn full_citation_adds_cfr_prefix() {
        assert_eq!(STANDARDS[0].full_citation(), "45 CFR 164.308(a)(1)(i)");
        assert_eq!(SPECIFICATIONS[0].full_citation(), "45 CFR 164.308(a)(1)(ii)(A)");
        assert_eq!(DOCUMENTATION[0].full_citation(), "45 CFR 164.316(a)");
        assert_eq!(BREACH_SECTIONS[2].full_citation(), "45 CFR 164.404(b)");
    }

    #[test]
    fn standard_areas_are_known() {
        let mut areas = HashSet::new();
        for row in STANDARDS {
            assert!(
                KNOWN_AREAS.contains(&row.area),
                "standard {} has unknown area {}",
                row.citation,
                row.area
            );
            areas.insert(row.area);
        }
        assert_eq!(areas.len(), STANDARDS.len(), "two standards share an area");
    }

    #[test]
    fn catalog_texts_are_filled() {
        let mut texts: Vec<(&str, &str)> = Vec::new();
        for row in STANDARDS {
            texts.extend([(row.citation, row.title), (row.citation, row.summary)]);
            texts.push((row.citation, row.auditor_inspects));
        }
        for row in SPECIFICATIONS {
            texts.extend([(row.citation, row.title), (row.citation, row.summary)]);
            texts.push((row.citation, row.auditor_inspects));
        }
        for row in DOCUMENTATION {
            texts.extend([(row.citation, row.title), (row.citation, row.summary)]);
            texts.push((row.citation, row.auditor_inspects));
        }
        for row in BREACH_SECTIONS {
            texts.extend([(row.citation, row.title), (row.citation, row.summary)]);
            texts.push((row.citation, row.auditor_inspects));
        }

        for (citation, text) in texts {
            assert!(!text.trim().is_empty(), "empty text in {citation}");
            assert!(!text.contains("  "), "double space in {citation}: {text}");
            assert!(!text.contains("http"), "link in {citation}: {text}");
        }
    }

    #[test]
    fn labels_and_titles_are_stable() {
        assert_eq!(Requirement::Required.label(), "Required");
        assert_eq!(Requirement::Addressable.label(), "Addressable");
        assert_eq!(Part::AdministrativeSafeguards.title(), "Administrative safeguards");
        assert_eq!(Part::Documentation.title(), "Policies, procedures and documentation");
        assert_eq!(Part::BreachNotification.title(), "Breach notification");
    }

    #[test]
    fn requirement_serializes_as_label() {
        let json = serde_json::to_string(&Requirement::Addressable).unwrap();
        assert_eq!(json, "\"Addressable\"");
    }
}
