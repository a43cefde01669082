//! The rules: one pass over the normalized events, then findings.
//!
//! [`Reviewer::observe`] takes each event once; [`Reviewer::finish`] turns the state into
//! findings. State is kept per account, per client address or per rule group, so memory grows
//! with the number of distinct accounts, addresses and (for the volume rule) distinct
//! user-patient pairs, not with the number of events.

mod activity;
mod config;
mod volume;
mod windows;

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

pub use activity::{ActivityRules, is_system_account};
pub use config::{CountWithin, DayHours, OfficeHours, RuleConfig, SprayThreshold, VolumeThreshold};

use crate::event::{Action, Event, Outcome};
use crate::finding::{EvidenceList, EvidenceRef, Finding, Rule, Severity};
use crate::roster::Roster;
use activity::{Group, RuleContext};
use windows::{Attempt, BurstTracker, Run, SprayTracker, SuccessAfterFailures};

/// Returns whether the outcome of an event depends on the events around it, so that it must
/// reach [`Reviewer::observe_ordered`] in file order. Every other event only adds to sums in
/// [`ActivityRules`].
pub fn is_ordered(event: &Event) -> bool {
    matches!(
        event.action,
        Action::Logon
            | Action::SwitchUser
            | Action::ExplicitCredentials
            | Action::AccountCreated
            | Action::AccountDeleted
            | Action::GroupMemberAdded
            | Action::AuditLogCleared
    )
}

/// Runs every rule over a stream of events.
///
/// [`Reviewer::observe`] feeds one event to every rule. A caller that reads one file on several
/// threads instead gives each thread an [`ActivityRules`] from [`Reviewer::activity_rules`],
/// passes the events for which [`is_ordered`] is true to [`Reviewer::observe_ordered`] in file
/// order, and hands the filled [`ActivityRules`] back through [`Reviewer::merge_activity`].
pub struct Reviewer {
    context: Arc<RuleContext>,
    activity: ActivityRules,
    account_bursts: BurstTracker,
    address_bursts: BurstTracker,
    sprays: SprayTracker,
    success_after_failures: SuccessAfterFailures,
    findings: Vec<Finding>,
}

impl Reviewer {
    /// Creates a reviewer. `time_zone` is the practice's, for office hours and dates;
    /// `roster` enables the departed and unknown account rules and role peer groups.
    pub fn new(config: RuleConfig, time_zone: TimeZone, roster: Option<Roster>) -> Self {
        let limit = config.evidence_limit;
        let account_bursts = BurstTracker::new(config.account_burst.count, config.account_burst.window_ms(), limit);
        let address_bursts = BurstTracker::new(config.address_burst.count, config.address_burst.window_ms(), limit);
        let sprays = SprayTracker::new(config.spray.min_accounts, i64::from(config.spray.window_minutes) * 60_000, limit);
        let success_after_failures = SuccessAfterFailures::new(
            config.success_after_failures.count,
            config.success_after_failures.window_ms(),
            limit,
        );
        let context = Arc::new(RuleContext { config, time_zone, roster });
        Self {
            activity: ActivityRules::new(context.clone()),
            context,
            account_bursts,
            address_bursts,
            sprays,
            success_after_failures,
            findings: Vec::new(),
        }
    }

    /// Returns empty per-event rule state for a thread that reads part of a file.
    pub fn activity_rules(&self) -> ActivityRules {
        ActivityRules::new(self.context.clone())
    }

    /// Adds the state a thread built with [`Reviewer::activity_rules`].
    pub fn merge_activity(&mut self, part: ActivityRules) {
        self.activity.merge(part);
    }

    /// Feeds one event from source file number `source` to every rule.
    pub fn observe(&mut self, source: usize, event: &Event) {
        self.activity.observe(source, event);
        if is_ordered(event) {
            self.observe_ordered(source, event);
        }
    }

    /// Feeds one event to the rules that depend on the order of events: failed-logon bursts,
    /// password spraying, success after failures and account changes.
    pub fn observe_ordered(&mut self, source: usize, event: &Event) {
        let evidence = EvidenceRef {
            source,
            locator: event.locator,
        };
        let account = event.account.as_deref();
        let attempt = || Attempt {
            time: event.time,
            evidence,
            account: event.account.clone(),
            client: event.client.clone(),
        };

        let is_authentication = matches!(event.action, Action::Logon | Action::SwitchUser);
        if is_authentication && event.outcome == Outcome::Failure {
            if let Some(account) = account {
                self.account_bursts.observe(account, attempt());
                self.success_after_failures.failure(account, attempt());
            }
            if let Some(client) = event.client.as_deref() {
                self.address_bursts.observe(client, attempt());
                self.sprays.observe(client, attempt());
            }
        }
        if event.action == Action::ExplicitCredentials
            && let Some(client) = event.client.as_deref()
        {
            self.sprays.observe(client, attempt());
        }
        if event.action == Action::Logon
            && event.outcome == Outcome::Success
            && let Some(account) = account
        {
            self.success_after_failures.success(account, attempt());
        }

        self.observe_changes(event, evidence);
    }

    /// Account creation, deletion, privileged group membership and audit-log clearing.
    fn observe_changes(&mut self, event: &Event, evidence: EvidenceRef) {
        let actor = event.account.as_deref().unwrap_or("an unnamed account");
        let target = event.target.as_deref().unwrap_or("an unnamed account");
        if !matches!(
            event.action,
            Action::AccountCreated | Action::AccountDeleted | Action::GroupMemberAdded | Action::AuditLogCleared
        ) {
            return;
        }
        let explain = Explainer { context: &self.context };
        let when = explain.local_time(event.time);
        let (rule, severity, explanation) = match event.action {
            Action::AccountCreated => (
                Rule::AccountCreated,
                Severity::Medium,
                format!(
                    "Account {target} was created by {actor} at {when}; check that someone approved it{}.",
                    explain.roster_note(target)
                ),
            ),
            Action::AccountDeleted => (
                Rule::AccountDeleted,
                Severity::Medium,
                format!(
                    "Account {target} was deleted by {actor} at {when}; check that this was a planned removal{}.",
                    explain.roster_note(target)
                ),
            ),
            Action::GroupMemberAdded => {
                let Some(group) = event.group.as_deref() else {
                    return;
                };
                let privileged = self.context.config.privileged_groups.iter().any(|g| g.eq_ignore_ascii_case(group));
                if !privileged {
                    return;
                }
                (
                    Rule::PrivilegedGroupAdded,
                    Severity::High,
                    format!(
                        "Account {target} was added to the privileged group {group} by {actor} at {when}; administrator rights need a documented approval."
                    ),
                )
            }
            Action::AuditLogCleared => (
                Rule::AuditLogCleared,
                Severity::High,
                format!(
                    "The security audit log was cleared by {actor} at {when}; clearing the log erases the record of activity and is a common step in hiding an intrusion."
                ),
            ),
            _ => return,
        };

        let mut list = EvidenceList::new(self.context.config.evidence_limit);
        list.push(evidence);
        let account = match event.action {
            Action::AuditLogCleared => event.account.clone(),
            _ => event.target.clone(),
        };
        self.findings.push(Finding {
            rule,
            severity,
            person: explain.person_of(account.as_deref()),
            account,
            client: event.client.clone(),
            first_seen: event.time,
            last_seen: event.time,
            count: 1,
            evidence: list,
            explanation,
        });
    }

    /// Closes every tracker and returns the findings, most severe first, then by time.
    pub fn finish(self) -> Vec<Finding> {
        let Self {
            context,
            activity,
            account_bursts,
            address_bursts,
            sprays,
            success_after_failures,
            mut findings,
        } = self;
        let explain = Explainer { context: &context };

        let account_runs = account_bursts.finish();
        let address_runs = address_bursts.finish();
        let spray_runs = sprays.finish();
        let success_runs = success_after_failures.finish();
        for run in &account_runs {
            findings.push(explain.account_burst_finding(run));
        }
        for run in &address_runs {
            if address_burst_is_redundant(run, &spray_runs, &account_runs) {
                continue;
            }
            findings.push(explain.address_burst_finding(run));
        }
        for run in &spray_runs {
            findings.push(explain.spray_finding(run));
        }
        for run in &success_runs {
            findings.push(explain.success_finding(run));
        }

        let totals = activity.into_totals();
        for (rule, group) in totals.groups {
            findings.push(explain.group_finding(rule, group));
        }

        let roles = |account: &str| {
            context
                .roster
                .as_ref()
                .map(|r| r.find(account).map(|p| p.practice_role.to_lowercase()))
        };
        for outlier in volume::outliers(totals.volumes, &context.config.volume, roles) {
            let explanation = format!(
                "{} opened {} distinct patient records, {:.1} times the median of {} for {} ({} users compared); ask whether their work explains it.",
                outlier.display, outlier.patients, outlier.ratio, outlier.median, outlier.group_label, outlier.group_size
            );
            findings.push(Finding {
                rule: Rule::PatientVolumeOutlier,
                severity: Severity::Medium,
                person: explain.person_of(Some(&outlier.display)),
                account: Some(outlier.display),
                client: None,
                first_seen: outlier.first,
                last_seen: outlier.last,
                count: outlier.patients as u64,
                evidence: outlier.evidence,
                explanation,
            });
        }

        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.first_seen.cmp(&b.first_seen))
                .then(a.rule.cmp(&b.rule))
                .then(a.account.cmp(&b.account))
        });
        findings
    }
}

/// Writes findings and their sentences from the rules' state.
struct Explainer<'a> {
    context: &'a RuleContext,
}

impl Explainer<'_> {
    fn roster_note(&self, account: &str) -> String {
        match self.context.roster.as_ref().map(|r| r.find(account)) {
            Some(Some(person)) => format!(" (the roster lists it for {})", person.name),
            Some(None) => " (it is on no one's roster entry)".to_owned(),
            None => String::new(),
        }
    }

    fn person_of(&self, account: Option<&str>) -> Option<String> {
        let roster = self.context.roster.as_ref()?;
        roster.find(account?).map(|p| p.name.clone())
    }

    fn local_time(&self, time: Timestamp) -> String {
        time.to_zoned_datetime(self.context.time_zone.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    fn span(&self, first: Timestamp, last: Timestamp) -> String {
        let from = self.local_time(first);
        if first == last {
            return format!("at {from}");
        }
        let seconds = (last.as_second() - first.as_second()).max(0);
        let length = match seconds {
            0..120 => format!("{seconds} seconds"),
            120..7200 => format!("{} minutes", seconds / 60),
            _ => format!("{} hours", seconds / 3600),
        };
        format!("over {length} from {from}")
    }

    fn account_burst_finding(&self, run: &Run) -> Finding {
        let from = run.other_clients.as_deref().map(|c| format!(" (from {c})")).unwrap_or_default();
        Finding {
            rule: Rule::FailedLoginBurstAccount,
            severity: Severity::Medium,
            account: Some(run.display.clone()),
            person: self.person_of(Some(&run.display)),
            client: run.other_clients.clone(),
            first_seen: run.first,
            last_seen: run.last,
            count: run.count,
            evidence: run.evidence.clone(),
            explanation: format!(
                "{} failed sign-ins to account {}{from} {}; someone may be guessing its password.",
                run.count,
                run.display,
                self.span(run.first, run.last)
            ),
        }
    }

    fn address_burst_finding(&self, run: &Run) -> Finding {
        Finding {
            rule: Rule::FailedLoginBurstAddress,
            severity: Severity::Medium,
            account: None,
            person: None,
            client: Some(run.display.clone()),
            first_seen: run.first,
            last_seen: run.last,
            count: run.count,
            evidence: run.evidence.clone(),
            explanation: format!(
                "{} failed sign-ins came from {} {} against {} account {}; this looks like password guessing from that address.",
                run.count,
                run.display,
                self.span(run.first, run.last),
                run.accounts.len(),
                if run.accounts.len() == 1 { "name" } else { "names" }
            ),
        }
    }

    fn spray_finding(&self, run: &Run) -> Finding {
        Finding {
            rule: Rule::PasswordSpray,
            severity: Severity::High,
            account: None,
            person: None,
            client: Some(run.display.clone()),
            first_seen: run.first,
            last_seen: run.last,
            count: run.count,
            evidence: run.evidence.clone(),
            explanation: format!(
                "{} tried {} different accounts in {} attempts {}; trying many accounts from one place is password spraying.",
                run.display,
                run.accounts.len(),
                run.count,
                self.span(run.first, run.last)
            ),
        }
    }

    fn success_finding(&self, run: &Run) -> Finding {
        let failures = run.count.saturating_sub(1);
        Finding {
            rule: Rule::SuccessAfterFailures,
            severity: Severity::High,
            account: Some(run.display.clone()),
            person: self.person_of(Some(&run.display)),
            client: run.other_clients.clone(),
            first_seen: run.first,
            last_seen: run.last,
            count: run.count,
            evidence: run.evidence.clone(),
            explanation: format!(
                "Account {} signed in successfully at {} right after {failures} failed attempts; confirm with its owner that it was them.",
                run.display,
                self.local_time(run.last)
            ),
        }
    }

    fn group_finding(&self, rule: Rule, group: Group) -> Finding {
        let person = self.person_of(Some(&group.display));
        let name = group.display.as_str();
        let span = self.span(group.first, group.last);
        let count = group.count;
        let times = if count == 1 { "once".to_owned() } else { format!("{count} times") };
        let (severity, explanation) = match rule {
            Rule::OffHoursActivity => (
                Severity::Low,
                format!("Account {name} was active outside office hours {times} {span}; check that the work was expected."),
            ),
            Rule::DepartedAccountActivity => (
                Severity::High,
                format!(
                    "Account {name} belongs to {}, who has left the practice, yet it was used {times} {span}; disable it and find out who used it.",
                    person.as_deref().unwrap_or("someone")
                ),
            ),
            Rule::UnknownAccountActivity => (
                Severity::Medium,
                format!(
                    "Account {name} was used {times} {span} but belongs to no one on the workforce roster; find its owner or disable it."
                ),
            ),
            Rule::BreakGlassWithoutReview => (
                Severity::High,
                format!(
                    "Account {name} used emergency (break-glass) access {times} {span} with no post-event review recorded; the access needs a documented review."
                ),
            ),
            _ => (
                Severity::High,
                format!(
                    "The identity provider raised {count} security {} about account {name} {span} ({}); follow up with the account owner.",
                    if count == 1 { "warning" } else { "warnings" },
                    group.labels.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            ),
        };
        Finding {
            rule,
            severity,
            account: Some(group.display),
            person,
            client: None,
            first_seen: group.first,
            last_seen: group.last,
            count,
            evidence: group.evidence,
            explanation,
        }
    }
}

/// Returns whether an address burst adds nothing: a password spray from the same address overlaps it, or
/// all its failures were against one account that has its own burst finding.
fn address_burst_is_redundant(run: &Run, sprays: &[Run], account_runs: &[Run]) -> bool {
    let overlaps = |other: &Run| other.first <= run.last && run.first <= other.last;
    if sprays.iter().any(|s| s.key == run.key && overlaps(s)) {
        return true;
    }
    if run.accounts.len() == 1
        && let Some(account) = run.accounts.iter().next()
    {
        return account_runs.iter().any(|a| &a.key == account && overlaps(a));
    }
    false
}

#[cfg(test)]
mod tests {
    use jiff::civil::Date;

    use super::*;
    use crate::event::{Locator, PatientRef, SourceSystem};
    use crate::roster::{Person, PersonStatus, RosterAccount};

    /// 2024-03-04 is a Monday.
    fn at(time: &str) -> Timestamp {
        format!("2024-03-04T{time}Z").parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn event(line: u64, time: &str, account: &str, action: Action, outcome: Outcome) -> Event {
        let mut event = Event::new(at(time), SourceSystem::Linux, action, outcome, Locator::Line(line));
        event.account = Some(account.to_owned());
        event.client = Some("10.0.0.9".to_owned());
        event
    }

    fn run(events: &[Event], roster: Option<Roster>) -> Vec<Finding> {
        let mut reviewer = Reviewer::new(RuleConfig::default(), TimeZone::UTC, roster);
        for event in events {
            reviewer.observe(0, event);
        }
        reviewer.finish()
    }

    fn rules(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.id()).collect()
    }

    fn roster() -> Roster {
        let person = |name: &str, role: &str, end: Option<Date>, id: &str| Person {
            name: name.into(),
            practice_role: role.into(),
            start_date: Date::constant(2020, 1, 1),
            end_date: end,
            status: if end.is_some() {
                PersonStatus::Terminated
            } else {
                PersonStatus::Active
            },
            accounts: vec![RosterAccount {
                system: "EHR".into(),
                identifier: id.into(),
            }],
        };
        Roster::new(vec![
            person("Ann Active", "front desk", None, "ann"),
            person("Lee Left", "biller", Some(Date::constant(2024, 3, 1)), "lee"),
        ])
    }

    #[test]
    fn off_hours_counts_successful_activity_only() {
        let findings = run(
            &[
                event(1, "12:00:00", "ann", Action::Logon, Outcome::Success),
                event(2, "19:00:00", "ann", Action::Logon, Outcome::Success),
                event(3, "20:00:00", "ann", Action::Logon, Outcome::Failure),
                event(4, "21:00:00", "ann", Action::SessionOpened, Outcome::Success),
                event(5, "22:00:00", "SYSTEM", Action::Logon, Outcome::Success),
            ],
            None,
        );
        assert_eq!(rules(&findings), vec!["off_hours_activity"]);
        assert_eq!(findings[0].count, 2);
        assert_eq!(findings[0].first_seen, at("19:00:00"));
        assert_eq!(findings[0].last_seen, at("21:00:00"));
    }

    #[test]
    fn departed_and_unknown_accounts_need_a_roster() {
        let events = [
            event(1, "10:00:00", "ann", Action::Logon, Outcome::Success),
            event(2, "10:01:00", "LEE", Action::Logon, Outcome::Success),
            event(3, "10:02:00", "ghost", Action::Logon, Outcome::Success),
            event(4, "10:03:00", "intruder", Action::Logon, Outcome::Failure),
        ];

        let without = run(&events, None);
        let with = run(&events, Some(roster()));

        assert!(without.is_empty());
        assert_eq!(rules(&with), vec!["departed_account_activity", "unknown_account_activity"]);
        assert_eq!(with[0].person.as_deref(), Some("Lee Left"));
        assert_eq!(with[1].account.as_deref(), Some("ghost"));
    }

    #[test]
    fn break_glass_without_review() {
        let mut reviewed = event(1, "10:00:00", "ann", Action::RecordAccess, Outcome::Success);
        reviewed.break_glass = true;
        reviewed.reviewed = true;
        let mut unreviewed = event(2, "10:05:00", "ann", Action::RecordAccess, Outcome::Success);
        unreviewed.break_glass = true;

        let findings = run(&[reviewed, unreviewed], None);

        assert_eq!(rules(&findings), vec!["break_glass_without_review"]);
        assert_eq!(findings[0].count, 1);
        assert_eq!(findings[0].evidence.items()[0].locator, Locator::Line(2));
    }

    #[test]
    fn account_changes_and_log_clearing() {
        let mut created = event(1, "10:00:00", "admin", Action::AccountCreated, Outcome::Success);
        created.target = Some("newbie".into());
        let mut to_users = event(2, "10:00:01", "admin", Action::GroupMemberAdded, Outcome::Success);
        to_users.target = Some("newbie".into());
        to_users.group = Some("Users".into());
        let mut to_admins = to_users.clone();
        to_admins.locator = Locator::Line(3);
        to_admins.group = Some("administrators".into());
        let mut deleted = event(4, "10:00:02", "admin", Action::AccountDeleted, Outcome::Success);
        deleted.target = Some("newbie".into());
        let cleared = event(5, "10:00:03", "admin", Action::AuditLogCleared, Outcome::Success);

        let findings = run(&[created, to_users, to_admins, deleted, cleared], None);

        assert_eq!(
            rules(&findings),
            vec!["privileged_group_added", "audit_log_cleared", "account_created", "account_deleted"]
        );
        assert_eq!(findings[0].account.as_deref(), Some("newbie"));
        assert_eq!(findings[1].account.as_deref(), Some("admin"));
    }

    #[test]
    fn failed_burst_then_success() {
        let mut events: Vec<Event> = (0..5)
            .map(|i| event(i + 1, &format!("10:00:0{i}"), "ann", Action::Logon, Outcome::Failure))
            .collect();
        events.push(event(6, "10:00:09", "ann", Action::Logon, Outcome::Success));

        let findings = run(&events, None);

        // The address burst is left out: all its failures are against ann, who has her own.
        assert_eq!(rules(&findings), vec!["success_after_failures", "failed_login_burst_account"]);
        assert_eq!(findings[0].count, 6);
        assert_eq!(findings[1].count, 5);
    }

    #[test]
    fn spray_replaces_address_burst() {
        let events: Vec<Event> = (0..12)
            .map(|i| {
                event(
                    i + 1,
                    &format!("10:00:{i:02}"),
                    &format!("user{i}"),
                    Action::Logon,
                    Outcome::Failure,
                )
            })
            .collect();

        let findings = run(&events, None);

        assert_eq!(rules(&findings), vec!["password_spray"]);
        assert_eq!(findings[0].client.as_deref(), Some("10.0.0.9"));
        assert_eq!(findings[0].count, 12);
    }

    #[test]
    fn provider_alerts_group_per_account() {
        let mut first = event(1, "10:00:00", "ann@clinic.test", Action::ProviderAlert, Outcome::Unknown);
        first.target = Some("suspicious_login".into());
        let mut second = first.clone();
        second.locator = Locator::Line(2);
        second.target = Some("account_disabled_hijacked".into());

        let findings = run(&[first, second], None);

        assert_eq!(rules(&findings), vec!["provider_alert"]);
        assert_eq!(findings[0].count, 2);
        assert!(findings[0].explanation.contains("account_disabled_hijacked, suspicious_login"));
    }

    #[test]
    fn volume_outlier_uses_role_peers() {
        let mut events = Vec::new();
        let mut line = 0;
        for (user, patients) in [("p1", 20), ("p2", 20), ("p3", 20), ("p4", 200)] {
            for patient in 0..patients {
                line += 1;
                let mut access = event(line, "10:00:00", user, Action::RecordAccess, Outcome::Success);
                access.patient = Some(PatientRef::hash(&format!("MRN{patient}")));
                events.push(access);
            }
        }

        let findings = run(&events, None);

        assert_eq!(rules(&findings), vec!["patient_volume_outlier"]);
        assert_eq!(findings[0].account.as_deref(), Some("p4"));
        assert_eq!(findings[0].count, 200);
    }
}
