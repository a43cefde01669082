//! Findings: what a rule reports, with its evidence and a sentence for the practice manager.

use serde::{Deserialize, Serialize};

use crate::event::Locator;

/// The rule that produced a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Many failed logons to one account within a short window.
    FailedLoginBurstAccount,
    /// Many failed logons from one client address within a short window.
    FailedLoginBurstAddress,
    /// One client address trying many different accounts (password spraying).
    PasswordSpray,
    /// A successful logon right after several failures on the same account.
    SuccessAfterFailures,
    /// Activity outside the practice's office hours.
    OffHoursActivity,
    /// Activity by an account whose person has left the practice.
    DepartedAccountActivity,
    /// Activity by an account that belongs to no one on the roster.
    UnknownAccountActivity,
    /// Emergency (break-glass) access without a recorded post-event review.
    BreakGlassWithoutReview,
    /// A user account was created.
    AccountCreated,
    /// A user account was deleted.
    AccountDeleted,
    /// An account was added to a privileged group.
    PrivilegedGroupAdded,
    /// The audit log was cleared.
    AuditLogCleared,
    /// A user opened far more distinct patient records than peers in the same role.
    PatientVolumeOutlier,
    /// The identity provider itself raised a security warning about an account.
    ProviderAlert,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 14] = [
        Self::FailedLoginBurstAccount,
        Self::FailedLoginBurstAddress,
        Self::PasswordSpray,
        Self::SuccessAfterFailures,
        Self::OffHoursActivity,
        Self::DepartedAccountActivity,
        Self::UnknownAccountActivity,
        Self::BreakGlassWithoutReview,
        Self::AccountCreated,
        Self::AccountDeleted,
        Self::PrivilegedGroupAdded,
        Self::AuditLogCleared,
        Self::PatientVolumeOutlier,
        Self::ProviderAlert,
    ];

    /// Returns the rule whose [`Rule::id`] is `id`, or `None` for an unknown identifier.
    pub fn from_id(id: &str) -> Option<Rule> {
        Self::ALL.into_iter().find(|rule| rule.id() == id)
    }

    /// Returns the rule's name for people to read, as pages and plan items show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::FailedLoginBurstAccount => "Burst of failed sign-ins to one account",
            Self::FailedLoginBurstAddress => "Burst of failed sign-ins from one address",
            Self::PasswordSpray => "Password spraying from one address",
            Self::SuccessAfterFailures => "Success after failed sign-ins",
            Self::OffHoursActivity => "Activity outside office hours",
            Self::DepartedAccountActivity => "Activity by a departed person's account",
            Self::UnknownAccountActivity => "Activity by an account not on the roster",
            Self::BreakGlassWithoutReview => "Emergency access without a review",
            Self::AccountCreated => "Account created",
            Self::AccountDeleted => "Account deleted",
            Self::PrivilegedGroupAdded => "Account added to a privileged group",
            Self::AuditLogCleared => "Audit log cleared",
            Self::PatientVolumeOutlier => "Unusually many patient records opened",
            Self::ProviderAlert => "Identity provider security warning",
        }
    }

    /// Returns the identifier used in reports.
    pub fn id(self) -> &'static str {
        match self {
            Self::FailedLoginBurstAccount => "failed_login_burst_account",
            Self::FailedLoginBurstAddress => "failed_login_burst_address",
            Self::PasswordSpray => "password_spray",
            Self::SuccessAfterFailures => "success_after_failures",
            Self::OffHoursActivity => "off_hours_activity",
            Self::DepartedAccountActivity => "departed_account_activity",
            Self::UnknownAccountActivity => "unknown_account_activity",
            Self::BreakGlassWithoutReview => "break_glass_without_review",
            Self::AccountCreated => "account_created",
            Self::AccountDeleted => "account_deleted",
            Self::PrivilegedGroupAdded => "privileged_group_added",
            Self::AuditLogCleared => "audit_log_cleared",
            Self::PatientVolumeOutlier => "patient_volume_outlier",
            Self::ProviderAlert => "provider_alert",
        }
    }
}

/// How urgently a reviewer should look at a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look during the regular review.
    Low,
    /// Needs an explanation from someone.
    Medium,
    /// Needs prompt follow-up; may be a security incident.
    High,
}

/// One piece of evidence: a file and a place in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EvidenceRef {
    /// Index of the file in the review's list of sources.
    pub source: usize,
    /// Where in the file.
    pub locator: Locator,
}

/// Evidence with the file path resolved, as reports show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The file.
    pub file: String,
    /// `line N`, `record N` or `entry N`.
    pub at: Locator,
}

/// A capped list of evidence that still counts everything it was offered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceList {
    items: Vec<EvidenceRef>,
    total: u64,
    limit: usize,
}

impl EvidenceList {
    /// Creates an empty list keeping at most `limit` references.
    pub fn new(limit: usize) -> Self {
        Self {
            items: Vec::new(),
            total: 0,
            limit,
        }
    }

    /// Adds a reference, keeping it only while under the limit. Repeats of the last reference
    /// (one syslog line expanded into several events) are counted but not listed twice.
    pub fn push(&mut self, evidence: EvidenceRef) {
        self.total += 1;
        if self.items.last() == Some(&evidence) {
            return;
        }
        if self.items.len() < self.limit {
            self.items.push(evidence);
        }
    }

    /// Returns the kept references.
    pub fn items(&self) -> &[EvidenceRef] {
        &self.items
    }

    /// Returns how many references were offered, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Counts `count` more references without listing them, for a caller that has already
    /// determined that they would fall past the limit.
    pub(crate) fn add_unlisted(&mut self, count: u64) {
        self.total += count;
    }

    /// Adds the references of a list filled from other events of the same review.
    ///
    /// Both lists must have been filled in increasing evidence order, as a reader does within
    /// one file of lines. Each then kept its lowest `limit` references, so the lowest `limit`
    /// of both are the references that one pass over all the events would have kept.
    pub(crate) fn merge(&mut self, other: EvidenceList) {
        self.total += other.total;
        self.items.extend(other.items);
        self.items.sort_unstable();
        self.items.dedup();
        self.items.truncate(self.limit);
    }
}

/// One finding, before file paths are resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// How urgent.
    pub severity: Severity,
    /// The account concerned (for account changes: the account created, deleted or added).
    pub account: Option<String>,
    /// The roster person holding the account, when a roster was given and maps it.
    pub person: Option<String>,
    /// The client address concerned, for rules about an address.
    pub client: Option<String>,
    /// The first event's time.
    pub first_seen: jiff::Timestamp,
    /// The last event's time.
    pub last_seen: jiff::Timestamp,
    /// How many events make up the finding.
    pub count: u64,
    /// Where the events are.
    pub evidence: EvidenceList,
    /// One plain sentence explaining the finding to a practice manager.
    pub explanation: String,
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn rule_ids_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(rule), "{}", rule.id());
        }
        assert_eq!(Rule::from_id("no_such_rule"), None);
    }

    #[test]
    fn rule_ids_match_serde_names() {
        for rule in Rule::ALL {
            let serialized = serde_json::to_string(&rule).unwrap();
            assert_eq!(serialized, format!("\"{}\"", rule.id()));
        }
    }

    #[test]
    fn rule_labels_are_distinct() {
        let labels: std::collections::HashSet<&str> = Rule::ALL.into_iter().map(Rule::label).collect();
        assert_eq!(labels.len(), Rule::ALL.len());
    }
}
