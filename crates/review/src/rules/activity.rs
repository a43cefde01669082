//! Rules that judge each event on its own: office hours, the roster, break-glass access,
//! identity-provider alerts and distinct-patient volume.
//!
//! Their state is a sum over events, kept per account: a count, the first and last time, the
//! lowest evidence references and, for volume, the set of patients. A sum does not depend on
//! the order of its terms, so several threads can each fill an [`ActivityRules`] from part of
//! a file, and [`ActivityRules::merge`] combines them into the state that one pass over the
//! whole file builds. The rules whose outcome depends on the order of events (bursts, sprays,
//! success after failures) live in `windows` and always see the events in file order.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use super::RuleConfig;
use super::volume::UserVolume;
use crate::event::{Action, Event, Outcome, fold_case};
use crate::finding::{EvidenceList, EvidenceRef, Rule};
use crate::roster::Roster;

/// Maximum number of distinct provider-alert names one finding lists.
pub(crate) const MAX_ALERT_NAMES: usize = 10;

/// The inputs of every rule besides the events: thresholds, the practice's time zone and the
/// roster. The threads of one review share it.
#[derive(Debug)]
pub(crate) struct RuleContext {
    pub config: RuleConfig,
    pub time_zone: TimeZone,
    pub roster: Option<Roster>,
}

/// Returns whether an account is a Windows or Linux system principal rather than a person:
/// machine accounts (`NAME$`), `SYSTEM`, `LOCAL SERVICE`, `NETWORK SERVICE`, `ANONYMOUS LOGON`,
/// window-manager and font-driver accounts, and sshd's per-connection virtual users.
pub fn is_system_account(account: &str) -> bool {
    let starts_with = |prefix: &str| account.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix));
    account.ends_with('$')
        || ["SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE", "ANONYMOUS LOGON"]
            .iter()
            .any(|name| account.eq_ignore_ascii_case(name))
        || starts_with("DWM-")
        || starts_with("UMFD-")
        || starts_with("SSHD_")
}

/// Events of one account for one rule.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// The account as its earliest event wrote it.
    pub display: String,
    /// The earliest event, which decides `display` when groups merge.
    origin: EvidenceRef,
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u64,
    pub evidence: EvidenceList,
    pub labels: BTreeSet<String>,
}

impl Group {
    fn new(display: &str, origin: EvidenceRef, limit: usize) -> Self {
        Self {
            display: display.to_owned(),
            origin,
            first: Timestamp::MAX,
            last: Timestamp::MIN,
            count: 0,
            evidence: EvidenceList::new(limit),
            labels: BTreeSet::new(),
        }
    }

    fn add(&mut self, time: Timestamp, evidence: EvidenceRef) {
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        self.count += 1;
        self.evidence.push(evidence);
    }

    fn merge(&mut self, other: Group) {
        if other.origin < self.origin {
            self.display = other.display;
            self.origin = other.origin;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
        self.evidence.merge(other.evidence);

        // NOTE: past the cap, one pass keeps the first names in time order, while a merge keeps
        // the first in alphabetical order. Provider alerts come from identity-provider exports,
        // which are read in one pass, so the difference does not show today.
        self.labels.extend(other.labels);
        while self.labels.len() > MAX_ALERT_NAMES {
            self.labels.pop_last();
        }
    }
}

/// Adds an event to the group in `slot`, creating the group on first use.
fn add_to<'a>(slot: &'a mut Option<Group>, display: &str, time: Timestamp, evidence: EvidenceRef, limit: usize) -> &'a mut Group {
    let group = slot.get_or_insert_with(|| Group::new(display, evidence, limit));
    group.add(time, evidence);
    group
}

fn merge_into(slot: &mut Option<Group>, other: Option<Group>) {
    match (slot.as_mut(), other) {
        (Some(mine), Some(theirs)) => mine.merge(theirs),
        (None, theirs) => *slot = theirs,
        (Some(_), None) => {}
    }
}

/// Everything the per-event rules know about one account.
#[derive(Debug)]
struct AccountActivity {
    /// Whether the account is a system principal, which only provider alerts report.
    system: bool,
    /// The account's person on the roster, as an index into [`Roster::people`].
    person: Option<usize>,
    off_hours: Option<Group>,
    departed: Option<Group>,
    unknown: Option<Group>,
    break_glass: Option<Group>,
    provider_alerts: Option<Group>,
    volume: Option<UserVolume>,
}

impl AccountActivity {
    fn new(account: &str, roster: Option<&Roster>) -> Self {
        Self {
            system: is_system_account(account),
            person: roster.and_then(|roster| roster.position(account)),
            off_hours: None,
            departed: None,
            unknown: None,
            break_glass: None,
            provider_alerts: None,
            volume: None,
        }
    }

    fn merge(&mut self, other: AccountActivity) {
        merge_into(&mut self.off_hours, other.off_hours);
        merge_into(&mut self.departed, other.departed);
        merge_into(&mut self.unknown, other.unknown);
        merge_into(&mut self.break_glass, other.break_glass);
        merge_into(&mut self.provider_alerts, other.provider_alerts);
        match (self.volume.as_mut(), other.volume) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (None, theirs) => self.volume = theirs,
            (Some(_), None) => {}
        }
    }
}

/// Converts instants to the practice's local time, remembering the UTC offset until the time
/// zone's next transition, because converting through the time zone rules for every one of
/// millions of events costs more than the rest of the rules together.
#[derive(Debug)]
struct LocalClock {
    time_zone: TimeZone,
    offset: Offset,
    valid_from: Timestamp,
    valid_until: Timestamp,
}

impl LocalClock {
    fn new(time_zone: TimeZone) -> Self {
        Self {
            time_zone,
            offset: Offset::UTC,
            valid_from: Timestamp::MAX,
            valid_until: Timestamp::MIN,
        }
    }

    fn civil(&mut self, time: Timestamp) -> DateTime {
        if time < self.valid_from || time >= self.valid_until {
            self.offset = self.time_zone.to_offset(time);
            self.valid_from = time;
            self.valid_until = self
                .time_zone
                .following(time)
                .next()
                .map_or(Timestamp::MAX, |transition| transition.timestamp());
        }
        self.offset.to_datetime(time)
    }
}

/// The state of the per-event rules.
#[derive(Debug)]
pub struct ActivityRules {
    context: Arc<RuleContext>,
    clock: LocalClock,
    accounts: foldhash::HashMap<String, AccountActivity>,
}

/// The groups and volumes of every account, ready to become findings.
pub(crate) struct ActivityTotals {
    pub groups: Vec<(Rule, Group)>,
    pub volumes: Vec<UserVolume>,
}

impl ActivityRules {
    pub(crate) fn new(context: Arc<RuleContext>) -> Self {
        Self {
            clock: LocalClock::new(context.time_zone.clone()),
            context,
            accounts: foldhash::HashMap::default(),
        }
    }

    /// Feeds one event from source file number `source`.
    pub fn observe(&mut self, source: usize, event: &Event) {
        let Some(account) = event.account.as_deref() else {
            return;
        };
        let evidence = EvidenceRef {
            source,
            locator: event.locator,
        };
        let key = fold_case(account);
        let context = &*self.context;

        // One lookup for a known account, and a copy of the key only for a new one.
        match self.accounts.get_mut(key.as_ref()) {
            Some(state) => observe_account(context, &mut self.clock, state, account, event, evidence),
            None => {
                let mut state = AccountActivity::new(account, context.roster.as_ref());
                observe_account(context, &mut self.clock, &mut state, account, event, evidence);
                self.accounts.insert(key.into_owned(), state);
            }
        }
    }

    /// Adds the state another [`ActivityRules`] built from other events of the same review.
    /// Both must have seen their events in increasing evidence order (see
    /// [`EvidenceList::merge`]).
    pub fn merge(&mut self, other: ActivityRules) {
        for (key, theirs) in other.accounts {
            match self.accounts.entry(key) {
                std::collections::hash_map::Entry::Occupied(mut mine) => mine.get_mut().merge(theirs),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(theirs);
                }
            }
        }
    }

    pub(crate) fn into_totals(self) -> ActivityTotals {
        let mut groups = Vec::new();
        let mut volumes = Vec::new();
        for state in self.accounts.into_values() {
            let slots = [
                (Rule::OffHoursActivity, state.off_hours),
                (Rule::DepartedAccountActivity, state.departed),
                (Rule::UnknownAccountActivity, state.unknown),
                (Rule::BreakGlassWithoutReview, state.break_glass),
                (Rule::ProviderAlert, state.provider_alerts),
            ];
            for (rule, group) in slots {
                if let Some(group) = group {
                    groups.push((rule, group));
                }
            }
            volumes.extend(state.volume);
        }
        ActivityTotals { groups, volumes }
    }
}

/// Applies the per-event rules to one event of `account`.
fn observe_account(
    context: &RuleContext,
    clock: &mut LocalClock,
    state: &mut AccountActivity,
    account: &str,
    event: &Event,
    evidence: EvidenceRef,
) {
    let limit = context.config.evidence_limit;
    if event.action == Action::ProviderAlert {
        let group = add_to(&mut state.provider_alerts, account, event.time, evidence, limit);
        if let Some(name) = &event.target
            && group.labels.len() < MAX_ALERT_NAMES
        {
            group.labels.insert(name.clone());
        }
        return;
    }
    if state.system {
        return;
    }

    if event.break_glass && !event.reviewed {
        add_to(&mut state.break_glass, account, event.time, evidence, limit);
    }

    let succeeded = event.outcome == Outcome::Success;
    let is_activity = succeeded && matches!(event.action, Action::Logon | Action::SessionOpened | Action::RecordAccess);
    let acted = succeeded && !matches!(event.action, Action::Logoff | Action::AccountLockedOut);
    let roster = context.roster.as_ref().filter(|_| acted);
    if !is_activity && roster.is_none() {
        return;
    }

    let local = clock.civil(event.time);
    if is_activity && !context.config.office_hours.contains(local.weekday(), local.time()) {
        add_to(&mut state.off_hours, account, event.time, evidence, limit);
    }

    if let Some(roster) = roster {
        match state.person.and_then(|index| roster.people().get(index)) {
            Some(person) => {
                if person.has_left_on(local.date()) {
                    add_to(&mut state.departed, account, event.time, evidence, limit);
                }
            }
            None => {
                add_to(&mut state.unknown, account, event.time, evidence, limit);
            }
        }
    }

    if event.action == Action::RecordAccess
        && succeeded
        && let Some(patient) = event.patient
    {
        let volume = state.volume.get_or_insert_with(|| UserVolume::new(account, evidence, limit));
        volume.observe(patient, event.time, evidence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Locator, SourceSystem};

    fn context(time_zone: TimeZone) -> Arc<RuleContext> {
        Arc::new(RuleContext {
            config: RuleConfig::default(),
            time_zone,
            roster: None,
        })
    }

    fn logon(line: u64, time: &str, account: &str) -> Event {
        let time = time.parse().unwrap_or(Timestamp::UNIX_EPOCH);
        let mut event = Event::new(time, SourceSystem::Linux, Action::Logon, Outcome::Success, Locator::Line(line));
        event.account = Some(account.to_owned());
        event
    }

    fn off_hours(rules: ActivityRules) -> Vec<(String, u64, Vec<Locator>)> {
        let mut groups: Vec<_> = rules
            .into_totals()
            .groups
            .into_iter()
            .filter(|(rule, _)| *rule == Rule::OffHoursActivity)
            .map(|(_, g)| (g.display, g.count, g.evidence.items().iter().map(|e| e.locator).collect()))
            .collect();
        groups.sort();
        groups
    }

    #[test]
    fn merged_halves_equal_one_pass() {
        let events: Vec<Event> = (0..40)
            .map(|i| {
                let account = if i % 3 == 0 { "Ann" } else { "ann" };
                logon(i + 1, &format!("2024-03-02T{:02}:00:00Z", i % 24), account)
            })
            .collect();
        let mut whole = ActivityRules::new(context(TimeZone::UTC));
        for event in &events {
            whole.observe(0, event);
        }

        // Alternate blocks of ten events between two halves, as worker threads take blocks.
        let mut first = ActivityRules::new(context(TimeZone::UTC));
        let mut second = ActivityRules::new(context(TimeZone::UTC));
        for (index, event) in events.iter().enumerate() {
            let half = if (index / 10) % 2 == 0 { &mut first } else { &mut second };
            half.observe(0, event);
        }
        second.merge(first);

        let expected = off_hours(whole);
        assert_eq!(expected.len(), 1);
        assert_eq!(expected[0].0, "Ann");
        assert_eq!(off_hours(second), expected);
    }

    #[test]
    fn clock_follows_daylight_saving() -> Result<(), jiff::Error> {
        let zone = TimeZone::get("America/New_York")?;
        let mut clock = LocalClock::new(zone.clone());
        for text in [
            "2024-03-10T06:59:59Z",
            "2024-03-10T07:00:00Z",
            "2024-03-10T12:00:00Z",
            "2024-11-03T05:59:59Z",
            "2024-11-03T06:00:00Z",
            "2024-01-01T00:00:00Z",
        ] {
            let time: Timestamp = text.parse()?;
            assert_eq!(clock.civil(time), zone.to_datetime(time), "{text}");
        }
        Ok(())
    }
}
