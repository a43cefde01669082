//! Sliding-window trackers: failed-logon bursts, password spraying and success after failures.
//!
//! Every tracker keeps per-key state whose size is bounded by its threshold or by the events
//! inside its window, never by the length of the log. Events of one key are expected in time
//! order, as each log file writes them. Events that arrive out of order are still counted, but
//! the window test uses arrival order.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;

use crate::finding::{EvidenceList, EvidenceRef};

/// Maximum number of accounts a spray records by name. Beyond it the attempt count stays exact,
/// but the distinct-account count stops growing.
const MAX_SPRAY_ACCOUNTS: usize = 10_000;
/// Maximum number of failures kept per account while waiting for a success.
const MAX_PENDING_FAILURES: usize = 10_000;

/// One attempt offered to a tracker.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    pub time: Timestamp,
    pub evidence: EvidenceRef,
    pub account: Option<String>,
    pub client: Option<String>,
}

/// A run of attempts that met a threshold, merged while the qualifying windows overlap.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub key: String,
    pub display: String,
    pub first: Timestamp,
    pub last: Timestamp,
    pub count: u64,
    pub evidence: EvidenceList,
    pub accounts: HashSet<String>,
    pub other_clients: Option<String>,
    last_seq: u64,
}

impl Run {
    fn new(key: &str, display: &str, limit: usize) -> Self {
        Self {
            key: key.to_owned(),
            display: display.to_owned(),
            first: Timestamp::MAX,
            last: Timestamp::MIN,
            count: 0,
            evidence: EvidenceList::new(limit),
            accounts: HashSet::new(),
            other_clients: None,
            last_seq: 0,
        }
    }

    fn include(&mut self, seq: u64, attempt: &Attempt) {
        self.first = self.first.min(attempt.time);
        self.last = self.last.max(attempt.time);
        self.count += 1;
        self.evidence.push(attempt.evidence);
        self.last_seq = seq;
        if let Some(account) = &attempt.account
            && self.accounts.len() < MAX_SPRAY_ACCOUNTS
        {
            self.accounts.insert(account.to_lowercase());
        }
        if self.other_clients.is_none() {
            self.other_clients = attempt.client.clone();
        }
    }
}

#[derive(Default)]
struct KeyState {
    recent: VecDeque<(u64, Attempt)>,
    account_counts: HashMap<String, usize>,
    next_seq: u64,
    open: Option<Run>,
}

/// Burst detection: a window qualifies when it contains `count` attempts within `window_ms`.
pub(crate) struct BurstTracker {
    count: usize,
    window_ms: i64,
    evidence_limit: usize,
    keys: HashMap<String, KeyState>,
    runs: Vec<Run>,
}

impl BurstTracker {
    pub(crate) fn new(count: usize, window_ms: i64, evidence_limit: usize) -> Self {
        Self {
            count: count.max(1),
            window_ms,
            evidence_limit,
            keys: HashMap::new(),
            runs: Vec::new(),
        }
    }

    pub(crate) fn observe(&mut self, display: &str, attempt: Attempt) {
        let key = display.to_lowercase();
        let state = self.keys.entry(key.clone()).or_default();
        state.next_seq += 1;
        state.recent.push_back((state.next_seq, attempt));

        // Only the last `count` attempts matter: the window qualifies when the oldest of them is
        // no older than the window.
        while state.recent.len() > self.count {
            state.recent.pop_front();
        }
        let (Some((front_seq, front)), Some((_, back))) = (state.recent.front(), state.recent.back()) else {
            return;
        };
        if state.recent.len() < self.count || back.time.as_millisecond() - front.time.as_millisecond() > self.window_ms {
            return;
        }
        let front_seq = *front_seq;
        extend_or_open(state, front_seq, &key, display, self.evidence_limit, &mut self.runs);
    }

    pub(crate) fn finish(mut self) -> Vec<Run> {
        for state in self.keys.into_values() {
            self.runs.extend(state.open);
        }
        self.runs
    }
}

/// Extends the key's open run when the qualifying window overlaps it, or closes it and opens a
/// new run with every attempt in the window.
fn extend_or_open(state: &mut KeyState, front_seq: u64, key: &str, display: &str, evidence_limit: usize, runs: &mut Vec<Run>) {
    let overlaps = state.open.as_ref().is_some_and(|run| front_seq <= run.last_seq);
    if !overlaps {
        runs.extend(state.open.take());
        state.open = Some(Run::new(key, display, evidence_limit));
    }
    if let Some(run) = state.open.as_mut() {
        for (seq, attempt) in &state.recent {
            if *seq > run.last_seq {
                run.include(*seq, attempt);
            }
        }
    }
}

/// Spray detection: a window qualifies when one address tried `min_accounts` distinct accounts
/// within it.
pub(crate) struct SprayTracker {
    min_accounts: usize,
    window_ms: i64,
    evidence_limit: usize,
    keys: HashMap<String, KeyState>,
    runs: Vec<Run>,
}

impl SprayTracker {
    pub(crate) fn new(min_accounts: usize, window_ms: i64, evidence_limit: usize) -> Self {
        Self {
            min_accounts: min_accounts.max(2),
            window_ms,
            evidence_limit,
            keys: HashMap::new(),
            runs: Vec::new(),
        }
    }

    pub(crate) fn observe(&mut self, client: &str, attempt: Attempt) {
        let Some(account) = attempt.account.as_ref().map(|a| a.to_lowercase()) else {
            return;
        };
        let key = client.to_lowercase();
        let state = self.keys.entry(key.clone()).or_default();
        state.next_seq += 1;
        let now = attempt.time.as_millisecond();
        *state.account_counts.entry(account).or_default() += 1;
        state.recent.push_back((state.next_seq, attempt));

        // Drop attempts that fell out of the window, with their share of the account counts.
        while let Some((_, oldest)) = state.recent.front() {
            if now - oldest.time.as_millisecond() <= self.window_ms {
                break;
            }
            if let Some((_, oldest)) = state.recent.pop_front()
                && let Some(account) = oldest.account.map(|a| a.to_lowercase())
                && let Some(count) = state.account_counts.get_mut(&account)
            {
                *count -= 1;
                if *count == 0 {
                    state.account_counts.remove(&account);
                }
            }
        }

        if state.account_counts.len() < self.min_accounts {
            return;
        }
        let Some((front_seq, _)) = state.recent.front() else {
            return;
        };
        let front_seq = *front_seq;
        extend_or_open(state, front_seq, &key, client, self.evidence_limit, &mut self.runs);
    }

    pub(crate) fn finish(mut self) -> Vec<Run> {
        for state in self.keys.into_values() {
            self.runs.extend(state.open);
        }
        self.runs
    }
}

/// Failures waiting for a success on the same account.
pub(crate) struct SuccessAfterFailures {
    min_failures: usize,
    window_ms: i64,
    evidence_limit: usize,
    pending: HashMap<String, VecDeque<Attempt>>,
    runs: Vec<Run>,
}

impl SuccessAfterFailures {
    pub(crate) fn new(min_failures: usize, window_ms: i64, evidence_limit: usize) -> Self {
        Self {
            min_failures: min_failures.max(1),
            window_ms,
            evidence_limit,
            pending: HashMap::new(),
            runs: Vec::new(),
        }
    }

    pub(crate) fn failure(&mut self, account: &str, attempt: Attempt) {
        let failures = self.pending.entry(account.to_lowercase()).or_default();

        // Failures older than the window can no longer precede a qualifying success, so they go
        // now. Otherwise an account that never signs in successfully would pile them up.
        let now = attempt.time.as_millisecond();
        while failures.front().is_some_and(|f| now - f.time.as_millisecond() > self.window_ms) {
            failures.pop_front();
        }
        failures.push_back(attempt);
        if failures.len() > MAX_PENDING_FAILURES {
            failures.pop_front();
        }
    }

    pub(crate) fn success(&mut self, account: &str, attempt: Attempt) {
        let key = account.to_lowercase();
        let Some(failures) = self.pending.get_mut(&key) else {
            return;
        };
        let now = attempt.time.as_millisecond();
        failures.retain(|f| now - f.time.as_millisecond() <= self.window_ms);
        if failures.len() >= self.min_failures {
            let mut run = Run::new(&key, account, self.evidence_limit);
            for (seq, failure) in failures.iter().enumerate() {
                run.include(seq as u64 + 1, failure);
            }
            run.other_clients = attempt.client.clone().or(run.other_clients);
            run.include(failures.len() as u64 + 1, &attempt);
            self.runs.push(run);
        }
        self.pending.remove(&key);
    }

    pub(crate) fn finish(self) -> Vec<Run> {
        self.runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Locator;

    fn attempt(second: i64, account: &str) -> Attempt {
        Attempt {
            time: Timestamp::from_second(1_700_000_000 + second).unwrap_or(Timestamp::UNIX_EPOCH),
            evidence: EvidenceRef {
                source: 0,
                locator: Locator::Line(second as u64 + 1),
            },
            account: Some(account.to_owned()),
            client: Some("10.0.0.1".to_owned()),
        }
    }

    #[test]
    fn burst_needs_count_within_window() {
        let mut tracker = BurstTracker::new(3, 60_000, 10);
        // Three failures spread over two minutes: no burst.
        for second in [0, 61, 122] {
            tracker.observe("bob", attempt(second, "bob"));
        }
        assert!(tracker.finish().is_empty());

        let mut tracker = BurstTracker::new(3, 60_000, 10);
        for second in [0, 10, 20, 30, 200, 400, 410, 420] {
            tracker.observe("bob", attempt(second, "bob"));
        }
        let runs = tracker.finish();
        let mut counts: Vec<u64> = runs.iter().map(|r| r.count).collect();
        counts.sort_unstable();
        // The first four failures form one burst, the last three another; the one at 200 s
        // belongs to neither.
        assert_eq!(counts, vec![3, 4]);
    }

    #[test]
    fn spray_counts_distinct_accounts() {
        let mut tracker = SprayTracker::new(3, 60_000, 10);
        for (second, account) in [(0, "a"), (1, "a"), (2, "b"), (3, "c"), (4, "d")] {
            tracker.observe("10.0.0.1", attempt(second, account));
        }
        let runs = tracker.finish();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].count, 5);
        assert_eq!(runs[0].accounts.len(), 4);
    }

    #[test]
    fn success_after_failures_within_window() {
        let mut tracker = SuccessAfterFailures::new(2, 60_000, 10);
        tracker.failure("Bob", attempt(0, "Bob"));
        tracker.failure("bob", attempt(100, "bob"));
        tracker.failure("bob", attempt(110, "bob"));
        tracker.success("bob", attempt(120, "bob"));
        tracker.success("bob", attempt(130, "bob"));
        let runs = tracker.finish();
        assert_eq!(runs.len(), 1);
        // The failure at 0 s is outside the window and is not part of the finding.
        assert_eq!(runs[0].count, 3);
    }
}
