//! Risk analysis and risk management: the rating scales, the level table, the threat catalog and
//! the validated inputs of an analysis, its entries, risk decisions and plan items.
//!
//! Likelihood, impact and risk level share the five qualitative levels of NIST SP 800-30 Rev. 1
//! (Very Low to Very High), and [`risk_level`] is that publication's likelihood-impact table
//! (Appendix I, Table I-2) written out cell by cell, so a level is always computed, never typed.
//! Accepting a risk needs a rationale, the Security Official's signature and the signature of a
//! named member of the practice's leadership; [`DecisionInput::parse`] enforces all three.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::Serialize;

use crate::calendar::InstanceState;
use crate::compliance::PLAN_ITEM_NOTICE_DAYS;
use crate::designation::signature_matches;
use crate::values::{InvalidValue, Line, Text, parse_date};

/// One of the five qualitative levels of NIST SP 800-30 Rev. 1, used for likelihood, impact and
/// risk level alike. Ordered from lowest to highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Level {
    /// Very Low.
    VeryLow,
    /// Low.
    Low,
    /// Moderate.
    Moderate,
    /// High.
    High,
    /// Very High.
    VeryHigh,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 5] = [Level::VeryLow, Level::Low, Level::Moderate, Level::High, Level::VeryHigh];

    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            Level::VeryLow => "very_low",
            Level::Low => "low",
            Level::Moderate => "moderate",
            Level::High => "high",
            Level::VeryHigh => "very_high",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Level::VeryLow => "Very Low",
            Level::Low => "Low",
            Level::Moderate => "Moderate",
            Level::High => "High",
            Level::VeryHigh => "Very High",
        }
    }

    /// Returns the position on the scale, 0 for Very Low to 4 for Very High.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Parses the level chosen in `field`.
    pub fn parse(field: &'static str, code: &str) -> Result<Self, InvalidValue> {
        Level::ALL
            .into_iter()
            .find(|level| level.code() == code)
            .ok_or_else(|| InvalidValue::new(field, "choose one of Very Low, Low, Moderate, High or Very High"))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Level {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Level::parse("level", code)
    }
}

/// Returns the level of risk for a likelihood and an impact, from NIST SP 800-30 Rev. 1,
/// Appendix I, Table I-2.
pub fn risk_level(likelihood: Level, impact: Level) -> Level {
    use Level::*;

    // Rows are likelihood and columns impact, both from Very Low to Very High.
    const TABLE: [[Level; 5]; 5] = [
        [VeryLow, VeryLow, VeryLow, Low, Low],
        [VeryLow, Low, Low, Low, Moderate],
        [VeryLow, Low, Moderate, Moderate, High],
        [VeryLow, Low, Moderate, High, VeryHigh],
        [VeryLow, Low, Moderate, High, VeryHigh],
    ];
    TABLE[likelihood.index()][impact.index()]
}

/// Counts risks per (likelihood, impact) cell: `counts[likelihood][impact]`, indexed by
/// [`Level::index`].
pub fn heat_map(ratings: impl IntoIterator<Item = (Level, Level)>) -> [[usize; 5]; 5] {
    let mut counts = [[0; 5]; 5];
    for (likelihood, impact) in ratings {
        counts[likelihood.index()][impact.index()] += 1;
    }
    counts
}

/// The source of a catalog threat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ThreatSource {
    /// One of the five threats of the Health Industry Cybersecurity Practices (HICP, 405(d)).
    Hicp,
    /// A representative threat event in the sense of NIST SP 800-30 Rev. 1.
    Nist,
}

impl ThreatSource {
    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ThreatSource::Hicp => "HICP threat",
            ThreatSource::Nist => "NIST SP 800-30 threat event",
        }
    }
}

/// A threat of the seeded catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Threat {
    /// A stable key stored with each entry.
    pub key: &'static str,
    /// The name shown to people.
    pub name: &'static str,
    /// Its source.
    pub source: ThreatSource,
    /// A one-sentence description.
    pub description: &'static str,
}

const fn threat(key: &'static str, name: &'static str, source: ThreatSource, description: &'static str) -> Threat {
    Threat {
        key,
        name,
        source,
        description,
    }
}

/// The threats a small practice assesses each asset against: the five HICP threats first, then
/// representative NIST SP 800-30 threat events.
pub const THREATS: [Threat; 11] = [
    threat(
        "phishing",
        "Phishing",
        ThreatSource::Hicp,
        "A deceptive e-mail or message leads a workforce member to reveal credentials, open malware or send ePHI.",
    ),
    threat(
        "ransomware",
        "Ransomware",
        ThreatSource::Hicp,
        "Malware encrypts or steals ePHI and demands payment, making systems unavailable.",
    ),
    threat(
        "equipment-loss-theft",
        "Loss or theft of equipment or data",
        ThreatSource::Hicp,
        "A laptop, phone, removable medium or paper record holding ePHI is lost or stolen.",
    ),
    threat(
        "insider-loss",
        "Insider, accidental or intentional data loss",
        ThreatSource::Hicp,
        "A workforce member discloses, alters or destroys ePHI by mistake or on purpose.",
    ),
    threat(
        "medical-device-attack",
        "Attacks against network-connected medical devices",
        ThreatSource::Hicp,
        "A connected medical device is compromised, exposing ePHI or affecting patient safety.",
    ),
    threat(
        "unpatched-software",
        "Exploitation of unpatched software",
        ThreatSource::Nist,
        "An attacker exploits a known vulnerability in an operating system, application or firmware.",
    ),
    threat(
        "weak-passwords",
        "Weak or shared passwords",
        ThreatSource::Nist,
        "Guessed, reused or shared credentials let someone reach ePHI without authorization.",
    ),
    threat(
        "misdirected-communication",
        "Misdirected fax or e-mail",
        ThreatSource::Nist,
        "ePHI is sent to the wrong fax number or e-mail address.",
    ),
    threat(
        "vendor-breach",
        "Breach at a vendor or business associate",
        ThreatSource::Nist,
        "A vendor that stores, processes or transmits ePHI for the practice suffers a breach or outage.",
    ),
    threat(
        "power-hardware-failure",
        "Power or hardware failure",
        ThreatSource::Nist,
        "A power outage or failed disk, server or network device makes ePHI unavailable or corrupts it.",
    ),
    threat(
        "fire-flood",
        "Fire, flood or other natural disaster",
        ThreatSource::Nist,
        "Fire, water or severe weather destroys equipment or records holding ePHI.",
    ),
];

/// Returns the catalog threat with `key`.
pub fn find_threat(key: &str) -> Option<&'static Threat> {
    THREATS.iter().find(|threat| threat.key == key)
}

/// The validated header of a risk analysis: its date, scope, method and participants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalysisInput {
    /// The title, such as "Risk analysis 2026".
    pub title: Line,
    /// The day the analysis is dated.
    pub analysis_date: Date,
    /// The systems, devices, vendors and locations holding ePHI that it covers.
    pub scope: Text,
    /// The way likelihood and impact were estimated.
    pub method: Text,
    /// The participants, with their roles.
    pub participants: Text,
}

impl AnalysisInput {
    /// Parses an analysis form.
    pub fn parse(title: &str, analysis_date: &str, scope: &str, method: &str, participants: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let title = Line::parse("title", title).map_err(|error| errors.push(error)).ok();
        let analysis_date = parse_date("analysis date", analysis_date).map_err(|error| errors.push(error)).ok();
        let scope = Text::parse("scope", scope).map_err(|error| errors.push(error)).ok();
        let method = Text::parse("method", method).map_err(|error| errors.push(error)).ok();
        let participants = Text::parse("participants", participants).map_err(|error| errors.push(error)).ok();

        match (title, analysis_date, scope, method, participants) {
            (Some(title), Some(analysis_date), Some(scope), Some(method), Some(participants)) if errors.is_empty() => Ok(Self {
                title,
                analysis_date,
                scope,
                method,
                participants,
            }),
            _ => Err(errors),
        }
    }
}

/// The default method text of a new analysis.
pub const DEFAULT_METHOD: &str = "NIST SP 800-30 Rev. 1: for each asset holding ePHI and each threat from the catalog, list the vulnerabilities and existing controls, rate likelihood and impact from Very Low to Very High, and take the risk level from the likelihood-impact table.";

/// A validated rating of one threat against one asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInput {
    /// The asset's name as shown when rated.
    pub asset_name: Line,
    /// The threat from the catalog.
    pub threat: &'static Threat,
    /// The weaknesses the threat could exploit.
    pub vulnerabilities: Text,
    /// The safeguards already in place.
    pub existing_controls: Text,
    /// The likelihood that the threat event occurs and causes harm.
    pub likelihood: Level,
    /// The severity of the harm.
    pub impact: Level,
}

impl EntryInput {
    /// Parses an entry form.
    pub fn parse(
        asset_name: &str,
        threat_key: &str,
        vulnerabilities: &str,
        existing_controls: &str,
        likelihood: &str,
        impact: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let asset_name = Line::parse("asset", asset_name).map_err(|error| errors.push(error)).ok();
        let threat = find_threat(threat_key)
            .ok_or_else(|| InvalidValue::new("threat", "choose a threat from the catalog"))
            .map_err(|error| errors.push(error))
            .ok();
        let vulnerabilities = Text::parse("vulnerabilities", vulnerabilities)
            .map_err(|error| errors.push(error))
            .ok();
        let existing_controls = Text::parse("existing controls", existing_controls)
            .map_err(|error| errors.push(error))
            .ok();
        let likelihood = Level::parse("likelihood", likelihood).map_err(|error| errors.push(error)).ok();
        let impact = Level::parse("impact", impact).map_err(|error| errors.push(error)).ok();

        match (asset_name, threat, vulnerabilities, existing_controls, likelihood, impact) {
            (Some(asset_name), Some(threat), Some(vulnerabilities), Some(existing_controls), Some(likelihood), Some(impact))
                if errors.is_empty() =>
            {
                Ok(Self {
                    asset_name,
                    threat,
                    vulnerabilities,
                    existing_controls,
                    likelihood,
                    impact,
                })
            }
            _ => Err(errors),
        }
    }

    /// Returns the computed risk level.
    pub fn level(&self) -> Level {
        risk_level(self.likelihood, self.impact)
    }
}

/// The treatment of a risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Treatment {
    /// Reduce it with safeguards from the risk management plan.
    Mitigate,
    /// Keep it as it is, with a signed rationale.
    Accept,
    /// Shift it to another party, such as an insurer or a vendor under contract.
    Transfer,
    /// Stop the activity that causes it.
    Avoid,
}

impl Treatment {
    /// Every treatment, in the order forms list them.
    pub const ALL: [Treatment; 4] = [Treatment::Mitigate, Treatment::Accept, Treatment::Transfer, Treatment::Avoid];

    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            Treatment::Mitigate => "mitigate",
            Treatment::Accept => "accept",
            Treatment::Transfer => "transfer",
            Treatment::Avoid => "avoid",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Treatment::Mitigate => "Mitigate",
            Treatment::Accept => "Accept",
            Treatment::Transfer => "Transfer",
            Treatment::Avoid => "Avoid",
        }
    }
}

impl fmt::Display for Treatment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Treatment {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Treatment::ALL
            .into_iter()
            .find(|treatment| treatment.code() == code)
            .ok_or_else(|| InvalidValue::new("decision", "choose mitigate, accept, transfer or avoid"))
    }
}

/// The signature of the member of leadership who approves a risk acceptance.
///
/// Leadership, usually the owner physician, rarely holds an account in Safeguard, so the
/// approver is recorded as a named person with a title and the signature they typed, which must
/// match the name. The account that entered it is stored with the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadershipSignature {
    /// The approver's full name.
    pub name: Line,
    /// The approver's title, such as "Owner physician".
    pub title: Line,
    /// The signature the approver typed.
    pub signature: Line,
}

/// A validated risk decision for the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionInput {
    /// The treatment.
    pub treatment: Treatment,
    /// The day it was decided.
    pub decided_on: Date,
    /// The expected level once the planned safeguards are in place; for an accepted risk, the
    /// level as rated.
    pub residual_level: Level,
    /// The reason the treatment is reasonable and appropriate, required to accept a risk.
    pub rationale: Option<Text>,
    /// The Security Official's typed signature.
    pub official_signature: Line,
    /// Leadership's approval; required to accept a risk.
    pub leadership: Option<LeadershipSignature>,
}

/// The fields of a decision form, as submitted.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecisionForm<'a> {
    /// The treatment code.
    pub treatment: &'a str,
    /// The decision date.
    pub decided_on: &'a str,
    /// The residual level code.
    pub residual_level: &'a str,
    /// The rationale.
    pub rationale: &'a str,
    /// The Security Official's typed signature.
    pub official_signature: &'a str,
    /// The leadership approver's name.
    pub leadership_name: &'a str,
    /// The leadership approver's title.
    pub leadership_title: &'a str,
    /// The leadership approver's typed signature.
    pub leadership_signature: &'a str,
}

impl DecisionInput {
    /// Parses a decision form signed by the Security Official `official_name`. Accepting a risk
    /// needs a rationale and leadership's name, title and matching signature; other treatments
    /// keep the leadership fields only when they are filled in.
    pub fn parse(form: DecisionForm<'_>, official_name: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let treatment = form.treatment.parse::<Treatment>().map_err(|error| errors.push(error)).ok();
        let decided_on = parse_date("decision date", form.decided_on)
            .map_err(|error| errors.push(error))
            .ok();
        let residual_level = Level::parse("residual level", form.residual_level)
            .map_err(|error| errors.push(error))
            .ok();
        let accepting = treatment == Some(Treatment::Accept);

        let rationale = if accepting {
            Text::parse("rationale", form.rationale).map(Some)
        } else {
            Text::parse_optional("rationale", form.rationale)
        }
        .map_err(|error| errors.push(error))
        .ok()
        .flatten();

        let official_signature = Line::parse("signature", form.official_signature)
            .map_err(|error| errors.push(error))
            .ok();
        if official_signature.is_some() && !signature_matches(form.official_signature, official_name) {
            errors.push(InvalidValue::new(
                "signature",
                format!("type your full name, {official_name}, to sign"),
            ));
        }

        let leadership_given = [form.leadership_name, form.leadership_title, form.leadership_signature]
            .iter()
            .any(|text| !text.trim().is_empty());
        let leadership = if accepting || leadership_given {
            parse_leadership(&form, &mut errors)
        } else {
            None
        };

        match (treatment, decided_on, residual_level, official_signature) {
            (Some(treatment), Some(decided_on), Some(residual_level), Some(official_signature)) if errors.is_empty() => Ok(Self {
                treatment,
                decided_on,
                residual_level,
                rationale,
                official_signature,
                leadership,
            }),
            _ => Err(errors),
        }
    }
}

fn parse_leadership(form: &DecisionForm<'_>, errors: &mut Vec<InvalidValue>) -> Option<LeadershipSignature> {
    let name = Line::parse("leadership name", form.leadership_name)
        .map_err(|error| errors.push(error))
        .ok();
    let title = Line::parse("leadership title", form.leadership_title)
        .map_err(|error| errors.push(error))
        .ok();
    let signature = Line::parse("leadership signature", form.leadership_signature)
        .map_err(|error| errors.push(error))
        .ok();
    let (name, title, signature) = (name?, title?, signature?);

    if !signature_matches(signature.as_str(), name.as_str()) {
        errors.push(InvalidValue::new(
            "leadership signature",
            format!("the approver types their full name, {name}, to sign"),
        ));
        return None;
    }
    Some(LeadershipSignature { name, title, signature })
}

/// The kind of safeguard a plan item puts in place, after the three safeguard sections of the
/// Security Rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SafeguardType {
    /// Policies, procedures, training and people (164.308).
    Administrative,
    /// Facilities, workstations and media (164.310).
    Physical,
    /// Access control, audit controls, integrity, authentication, transmission (164.312).
    Technical,
}

impl SafeguardType {
    /// Every type, in the order forms list them.
    pub const ALL: [SafeguardType; 3] = [SafeguardType::Administrative, SafeguardType::Physical, SafeguardType::Technical];

    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            SafeguardType::Administrative => "administrative",
            SafeguardType::Physical => "physical",
            SafeguardType::Technical => "technical",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            SafeguardType::Administrative => "Administrative",
            SafeguardType::Physical => "Physical",
            SafeguardType::Technical => "Technical",
        }
    }
}

impl fmt::Display for SafeguardType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for SafeguardType {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        SafeguardType::ALL
            .into_iter()
            .find(|kind| kind.code() == code)
            .ok_or_else(|| InvalidValue::new("safeguard type", "choose administrative, physical or technical"))
    }
}

/// The status of a plan item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum PlanStatus {
    /// Not started.
    Planned,
    /// Work has started.
    InProgress,
    /// Done, with completion evidence.
    Completed,
    /// No longer needed, with the reason in place of completion evidence. Only re-deciding
    /// the activity-review finding that opened the item cancels it.
    Cancelled,
}

impl PlanStatus {
    /// Every status, in order.
    pub const ALL: [PlanStatus; 4] = [
        PlanStatus::Planned,
        PlanStatus::InProgress,
        PlanStatus::Completed,
        PlanStatus::Cancelled,
    ];

    /// The statuses a person can set on the plan page.
    pub const SETTABLE: [PlanStatus; 3] = [PlanStatus::Planned, PlanStatus::InProgress, PlanStatus::Completed];

    /// Returns the stored code.
    pub fn code(self) -> &'static str {
        match self {
            PlanStatus::Planned => "planned",
            PlanStatus::InProgress => "in_progress",
            PlanStatus::Completed => "completed",
            PlanStatus::Cancelled => "cancelled",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Planned => "Planned",
            PlanStatus::InProgress => "In progress",
            PlanStatus::Completed => "Completed",
            PlanStatus::Cancelled => "Cancelled",
        }
    }

    /// Returns whether the item still needs work.
    pub fn is_open(self) -> bool {
        matches!(self, PlanStatus::Planned | PlanStatus::InProgress)
    }
}

impl fmt::Display for PlanStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for PlanStatus {
    type Err = InvalidValue;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        PlanStatus::ALL
            .into_iter()
            .find(|status| status.code() == code)
            .ok_or_else(|| InvalidValue::new("status", "choose planned, in progress or completed"))
    }
}

/// A validated new item of the risk management plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItemInput {
    /// The kind of safeguard.
    pub safeguard_type: SafeguardType,
    /// The safeguard chosen, such as "Turn on MFA for the EHR".
    pub safeguard: Line,
    /// The person responsible for putting it in place.
    pub owner: Line,
    /// The day it must be in place.
    pub deadline: Date,
    /// How to tell that it is in place and works.
    pub acceptance_criteria: Text,
}

impl PlanItemInput {
    /// Parses a plan item form.
    pub fn parse(
        safeguard_type: &str,
        safeguard: &str,
        owner: &str,
        deadline: &str,
        acceptance_criteria: &str,
    ) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let safeguard_type = safeguard_type.parse::<SafeguardType>().map_err(|error| errors.push(error)).ok();
        let safeguard = Line::parse("safeguard", safeguard).map_err(|error| errors.push(error)).ok();
        let owner = Line::parse("owner", owner).map_err(|error| errors.push(error)).ok();
        let deadline = parse_date("deadline", deadline).map_err(|error| errors.push(error)).ok();
        let acceptance_criteria = Text::parse("acceptance criteria", acceptance_criteria)
            .map_err(|error| errors.push(error))
            .ok();

        match (safeguard_type, safeguard, owner, deadline, acceptance_criteria) {
            (Some(safeguard_type), Some(safeguard), Some(owner), Some(deadline), Some(acceptance_criteria)) if errors.is_empty() => {
                Ok(Self {
                    safeguard_type,
                    safeguard,
                    owner,
                    deadline,
                    acceptance_criteria,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A validated status change of a plan item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanProgressInput {
    /// The new status.
    pub status: PlanStatus,
    /// The evidence that the safeguard is in place, required to complete.
    pub completion_evidence: Option<Text>,
    /// The day it was completed; required to complete.
    pub completed_on: Option<Date>,
}

impl PlanProgressInput {
    /// Parses a status form. Completing needs the evidence and the completion date.
    pub fn parse(status: &str, completion_evidence: &str, completed_on: &str) -> Result<Self, Vec<InvalidValue>> {
        let mut errors = Vec::new();
        let status = status
            .parse::<PlanStatus>()
            .ok()
            .filter(|status| PlanStatus::SETTABLE.contains(status))
            .or_else(|| {
                errors.push(InvalidValue::new("status", "choose planned, in progress or completed"));
                None
            });
        let completing = status == Some(PlanStatus::Completed);

        let completion_evidence = if completing {
            Text::parse("completion evidence", completion_evidence).map(Some)
        } else {
            Text::parse_optional("completion evidence", completion_evidence)
        }
        .map_err(|error| errors.push(error))
        .ok()
        .flatten();
        let completed_on = if completing {
            parse_date("completed on", completed_on)
                .map(Some)
                .map_err(|error| errors.push(error))
                .ok()
                .flatten()
        } else {
            None
        };

        match status {
            Some(status) if errors.is_empty() => Ok(Self {
                status,
                completion_evidence,
                completed_on,
            }),
            _ => Err(errors),
        }
    }
}

/// Returns whether a plan item is overdue on `today`, that is, still open after its deadline.
pub fn plan_item_overdue(status: PlanStatus, deadline: Date, today: Date) -> bool {
    status.is_open() && deadline < today
}

/// Computes the calendar state of a plan item on `today`. An open item is overdue after its
/// deadline, due soon from [`PLAN_ITEM_NOTICE_DAYS`] days before it (the dashboard's window) and
/// upcoming before that. A completed item is completed, or completed late when it was finished
/// after its deadline.
pub fn plan_item_state(status: PlanStatus, deadline: Date, completed_on: Option<Date>, today: Date) -> InstanceState {
    match completed_on {
        Some(done) if !status.is_open() && done > deadline => InstanceState::CompletedLate,
        _ if !status.is_open() => InstanceState::Completed,
        _ if deadline < today => InstanceState::Overdue,
        _ if deadline <= today.saturating_add(jiff::Span::new().days(PLAN_ITEM_NOTICE_DAYS)) => InstanceState::DueSoon,
        _ => InstanceState::Upcoming,
    }
}

/// The movement of a risk's level from one analysis version to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LevelChange {
    /// Rated only in the newer version.
    New,
    /// Rated only in the older version.
    Removed,
    /// Higher than before.
    Raised,
    /// Lower than before.
    Lowered,
    /// The same as before.
    Unchanged,
}

impl LevelChange {
    /// Compares a risk's level in the previous and the current version.
    pub fn between(previous: Option<Level>, current: Option<Level>) -> Option<Self> {
        match (previous, current) {
            (None, None) => None,
            (None, Some(_)) => Some(LevelChange::New),
            (Some(_), None) => Some(LevelChange::Removed),
            (Some(before), Some(after)) if after > before => Some(LevelChange::Raised),
            (Some(before), Some(after)) if after < before => Some(LevelChange::Lowered),
            (Some(_), Some(_)) => Some(LevelChange::Unchanged),
        }
    }

    /// Returns the stored and CSS code.
    pub fn code(self) -> &'static str {
        match self {
            LevelChange::New => "new",
            LevelChange::Removed => "removed",
            LevelChange::Raised => "raised",
            LevelChange::Lowered => "lowered",
            LevelChange::Unchanged => "unchanged",
        }
    }

    /// Returns the name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            LevelChange::New => "New",
            LevelChange::Removed => "Removed",
            LevelChange::Raised => "Raised",
            LevelChange::Lowered => "Lowered",
            LevelChange::Unchanged => "Unchanged",
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn level_table_matches_every_cell() {
        use Level::*;

        // (likelihood, impact, level) for all 25 cells of NIST SP 800-30 Rev. 1 Table I-2.
        let cells = [
            (VeryHigh, VeryLow, VeryLow),
            (VeryHigh, Low, Low),
            (VeryHigh, Moderate, Moderate),
            (VeryHigh, High, High),
            (VeryHigh, VeryHigh, VeryHigh),
            (High, VeryLow, VeryLow),
            (High, Low, Low),
            (High, Moderate, Moderate),
            (High, High, High),
            (High, VeryHigh, VeryHigh),
            (Moderate, VeryLow, VeryLow),
            (Moderate, Low, Low),
            (Moderate, Moderate, Moderate),
            (Moderate, High, Moderate),
            (Moderate, VeryHigh, High),
            (Low, VeryLow, VeryLow),
            (Low, Low, Low),
            (Low, Moderate, Low),
            (Low, High, Low),
            (Low, VeryHigh, Moderate),
            (VeryLow, VeryLow, VeryLow),
            (VeryLow, Low, VeryLow),
            (VeryLow, Moderate, VeryLow),
            (VeryLow, High, Low),
            (VeryLow, VeryHigh, Low),
        ];

        assert_eq!(cells.len(), 25);
        for (likelihood, impact, expected) in cells {
            assert_eq!(risk_level(likelihood, impact), expected, "likelihood {likelihood}, impact {impact}");
        }
    }

    #[test]
    fn level_codes_round_trip() {
        for level in Level::ALL {
            assert_eq!(level.code().parse::<Level>().unwrap(), level);
        }
        assert_eq!(Level::parse("impact", "huge").unwrap_err().field, "impact");
    }

    #[test]
    fn heat_map_counts_cells() {
        let counts = heat_map([
            (Level::High, Level::Moderate),
            (Level::High, Level::Moderate),
            (Level::VeryLow, Level::VeryHigh),
        ]);

        assert_eq!(counts[3][2], 2);
        assert_eq!(counts[0][4], 1);
        assert_eq!(counts.iter().flatten().sum::<usize>(), 3);
    }

    #[test]
    fn catalog_has_hicp_and_nist_threats() {
        let hicp = THREATS.iter().filter(|threat| threat.source == ThreatSource::Hicp).count();
        let mut keys: Vec<_> = THREATS.iter().map(|threat| threat.key).collect();
        keys.sort_unstable();
        keys.dedup();

        assert_eq!(hicp, 5);
        assert_eq!(keys.len(), THREATS.len(), "threat keys are unique");
        assert!(find_threat("ransomware").is_some());
        assert!(find_threat("meteor").is_none());
    }

    #[test]
    fn entry_lists_every_invalid_field() {
        let errors = EntryInput::parse("", "meteor", "", "", "often", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(
            fields,
            ["asset", "threat", "vulnerabilities", "existing controls", "likelihood", "impact"]
        );
    }

    #[test]
    fn entry_computes_level() {
        let entry = EntryInput::parse("EHR", "ransomware", "No offline backup", "Antivirus", "high", "very_high").unwrap();

        assert_eq!(entry.level(), Level::VeryHigh);
    }

    #[test]
    fn analysis_lists_every_missing_field() {
        let errors = AnalysisInput::parse("", "yesterday", "", "", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["title", "analysis date", "scope", "method", "participants"]);
    }

    fn accept_form<'a>() -> DecisionForm<'a> {
        DecisionForm {
            treatment: "accept",
            decided_on: "2026-12-04",
            residual_level: "low",
            rationale: "Cost of replacement exceeds the risk",
            official_signature: "Dana Reyes",
            leadership_name: "Dr. Sam Okafor",
            leadership_title: "Owner physician",
            leadership_signature: "dr. sam okafor",
        }
    }

    #[test]
    fn acceptance_needs_rationale_and_leadership() {
        let form = DecisionForm {
            rationale: "",
            leadership_name: "",
            leadership_title: "",
            leadership_signature: "",
            ..accept_form()
        };

        let errors = DecisionInput::parse(form, "Dana Reyes").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["rationale", "leadership name", "leadership title", "leadership signature"]);
    }

    #[test]
    fn acceptance_with_both_signatures_is_valid() {
        let input = DecisionInput::parse(accept_form(), "Dana Reyes").unwrap();

        assert_eq!(input.treatment, Treatment::Accept);
        assert_eq!(input.leadership.unwrap().name.as_str(), "Dr. Sam Okafor");
    }

    #[test]
    fn signatures_must_match_names() {
        let form = DecisionForm {
            official_signature: "ok",
            leadership_signature: "approved",
            ..accept_form()
        };

        let errors = DecisionInput::parse(form, "Dana Reyes").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["signature", "leadership signature"]);
    }

    #[test]
    fn mitigation_needs_no_leadership() {
        let form = DecisionForm {
            treatment: "mitigate",
            rationale: "",
            leadership_name: "",
            leadership_title: "",
            leadership_signature: "",
            ..accept_form()
        };

        let input = DecisionInput::parse(form, "Dana Reyes").unwrap();

        assert!(input.leadership.is_none());
        assert!(input.rationale.is_none());
    }

    #[test]
    fn plan_item_lists_every_invalid_field() {
        let errors = PlanItemInput::parse("magic", "", "", "soon", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["safeguard type", "safeguard", "owner", "deadline", "acceptance criteria"]);
    }

    #[test]
    fn completing_needs_evidence_and_date() {
        let errors = PlanProgressInput::parse("completed", "", "").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|error| error.field).collect();

        assert_eq!(fields, ["completion evidence", "completed on"]);
        assert!(PlanProgressInput::parse("in_progress", "", "").is_ok());
    }

    #[test]
    fn cancelled_status_is_stored_but_not_settable() {
        let errors = PlanProgressInput::parse("cancelled", "", "").unwrap_err();

        assert_eq!(errors[0].field, "status");
        assert_eq!("cancelled".parse::<PlanStatus>(), Ok(PlanStatus::Cancelled));
        assert!(!PlanStatus::Cancelled.is_open());
        assert!(!plan_item_overdue(PlanStatus::Cancelled, date(2026, 12, 1), date(2026, 12, 4)));
    }

    #[test]
    fn open_item_past_deadline_is_overdue() {
        let deadline = date(2026, 11, 30);

        assert!(plan_item_overdue(PlanStatus::InProgress, deadline, date(2026, 12, 1)));
        assert!(!plan_item_overdue(PlanStatus::InProgress, deadline, date(2026, 11, 30)));
        assert!(!plan_item_overdue(PlanStatus::Completed, deadline, date(2026, 12, 1)));
    }

    #[test]
    fn plan_item_state_follows_deadline() {
        let deadline = date(2026, 12, 31);
        let open = |today| plan_item_state(PlanStatus::Planned, deadline, None, today);

        assert_eq!(open(date(2027, 1, 1)), InstanceState::Overdue);
        assert_eq!(open(date(2026, 12, 31)), InstanceState::DueSoon);
        assert_eq!(open(date(2026, 12, 17)), InstanceState::DueSoon);
        assert_eq!(open(date(2026, 12, 16)), InstanceState::Upcoming);
        assert_eq!(
            plan_item_state(PlanStatus::Completed, deadline, Some(date(2026, 12, 31)), date(2027, 2, 1)),
            InstanceState::Completed
        );
        assert_eq!(
            plan_item_state(PlanStatus::Completed, deadline, Some(date(2027, 1, 2)), date(2027, 2, 1)),
            InstanceState::CompletedLate
        );
    }

    #[test]
    fn level_change_between_versions() {
        assert_eq!(LevelChange::between(Some(Level::Low), Some(Level::High)), Some(LevelChange::Raised));
        assert_eq!(
            LevelChange::between(Some(Level::High), Some(Level::Low)),
            Some(LevelChange::Lowered)
        );
        assert_eq!(
            LevelChange::between(Some(Level::Low), Some(Level::Low)),
            Some(LevelChange::Unchanged)
        );
        assert_eq!(LevelChange::between(None, Some(Level::Low)), Some(LevelChange::New));
        assert_eq!(LevelChange::between(Some(Level::Low), None), Some(LevelChange::Removed));
    }
}
