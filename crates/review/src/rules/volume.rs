//! Distinct-patient volume per user, compared with peers in the same practice role.
//!
//! Each user's distinct patients are counted exactly, from the first eight bytes of the patient
//! hash, so memory grows with the number of distinct user-patient pairs. The evidence is the
//! first access to each of the first patients, in file order. Without a roster all
//! users form one peer group; with one, users are grouped by practice role and users on no one's
//! roster entry are compared with each other.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use jiff::Timestamp;

use super::config::VolumeThreshold;
use crate::event::PatientRef;
use crate::finding::{EvidenceList, EvidenceRef};

/// A hasher that passes a `u64` through. Patient keys are already the leading bytes of a
/// SHA-256 digest, so hashing them again would only cost time.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used for patient keys; fold other input so the hasher stays total.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type PatientSet = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

/// The distinct patients one user opened.
#[derive(Debug)]
pub(crate) struct UserVolume {
    /// The account as its earliest access wrote it.
    pub display: String,
    /// The earliest access, which decides `display` when volumes merge.
    origin: EvidenceRef,
    patients: PatientSet,
    first: Timestamp,
    last: Timestamp,
    /// The first access to each of the first `limit` patients, in evidence order.
    first_accesses: Vec<(u64, EvidenceRef)>,
    limit: usize,
}

impl UserVolume {
    pub(crate) fn new(display: &str, origin: EvidenceRef, limit: usize) -> Self {
        Self {
            display: display.to_owned(),
            origin,
            patients: PatientSet::default(),
            first: Timestamp::MAX,
            last: Timestamp::MIN,
            first_accesses: Vec::new(),
            limit,
        }
    }

    pub(crate) fn observe(&mut self, patient: PatientRef, time: Timestamp, evidence: EvidenceRef) {
        self.first = self.first.min(time);
        self.last = self.last.max(time);
        let key = patient.short();
        if self.patients.insert(key) && self.first_accesses.len() < self.limit {
            self.first_accesses.push((key, evidence));
        }
    }

    /// Adds the accesses another [`UserVolume`] of the same account saw. Both must have seen
    /// their accesses in increasing evidence order.
    ///
    /// The evidence stays exact: a patient among the `limit` earliest first accesses overall is
    /// also among the `limit` earliest first accesses of the part that saw it first, because
    /// every patient that part saw earlier was also seen earlier overall. So the earliest
    /// access per patient across both lists, cut to `limit`, is the list one pass would keep.
    pub(crate) fn merge(&mut self, other: UserVolume) {
        if other.origin < self.origin {
            self.display = other.display;
            self.origin = other.origin;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.patients.extend(other.patients);

        let mut accesses = std::mem::take(&mut self.first_accesses);
        accesses.extend(other.first_accesses);
        accesses.sort_unstable_by_key(|(_, evidence)| *evidence);
        let mut seen = PatientSet::default();
        accesses.retain(|(patient, _)| seen.insert(*patient));
        accesses.truncate(self.limit);
        self.first_accesses = accesses;
    }

    fn evidence(&self) -> EvidenceList {
        let mut list = EvidenceList::new(self.limit);
        for (_, evidence) in &self.first_accesses {
            list.push(*evidence);
        }
        list.add_unlisted((self.patients.len() - self.first_accesses.len()) as u64);
        list
    }
}

/// A user whose distinct-patient count is far above the peer group's median.
pub(crate) struct Outlier {
    pub display: String,
    pub patients: usize,
    pub median: usize,
    pub ratio: f64,
    pub group_label: String,
    pub group_size: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    pub evidence: EvidenceList,
}

/// Returns the outliers among `users`. `role_of` returns `None` when there is no roster,
/// `Some(None)` for an account on no one's roster entry, and `Some(Some(role))` otherwise.
pub(crate) fn outliers(
    users: Vec<UserVolume>,
    threshold: &VolumeThreshold,
    role_of: impl Fn(&str) -> Option<Option<String>>,
) -> Vec<Outlier> {
    let mut groups: HashMap<String, Vec<UserVolume>> = HashMap::new();
    for user in users {
        let label = match role_of(&user.display) {
            None => "all users".to_owned(),
            Some(None) => "accounts not on the roster".to_owned(),
            Some(Some(role)) => format!("the {role} role"),
        };
        groups.entry(label).or_default().push(user);
    }

    let mut outliers = Vec::new();
    for (label, users) in groups {
        if users.len() < threshold.min_peers + 1 {
            continue;
        }
        let mut counts: Vec<usize> = users.iter().map(|u| u.patients.len()).collect();
        counts.sort_unstable();
        let median = median(&counts);
        let group_size = users.len();
        for user in users {
            let patients = user.patients.len();
            let ratio = if median == 0 {
                f64::INFINITY
            } else {
                patients as f64 / median as f64
            };
            if patients >= threshold.min_patients && ratio >= threshold.ratio {
                outliers.push(Outlier {
                    evidence: user.evidence(),
                    display: user.display,
                    patients,
                    median,
                    ratio,
                    group_label: label.clone(),
                    group_size,
                    first: user.first,
                    last: user.last,
                });
            }
        }
    }
    outliers
}

/// Returns the lower median of a sorted list, so the result is always an observed count.
fn median(sorted: &[usize]) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(sorted.len() - 1) / 2]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Locator;

    fn volume(account: &str, patients: std::ops::Range<u64>, first_line: u64) -> UserVolume {
        let origin = EvidenceRef {
            source: 0,
            locator: Locator::Line(first_line),
        };
        let mut user = UserVolume::new(account, origin, 5);
        for (offset, patient) in patients.enumerate() {
            let evidence = EvidenceRef {
                source: 0,
                locator: Locator::Line(first_line + offset as u64),
            };
            user.observe(PatientRef::hash(&format!("{patient}")), Timestamp::UNIX_EPOCH, evidence);
        }
        user
    }

    #[test]
    fn outlier_against_peers() {
        let mut users: Vec<UserVolume> = ["a", "b", "c"].iter().map(|user| volume(user, 0..20, 1)).collect();
        users.push(volume("d", 0..100, 1));
        let threshold = VolumeThreshold {
            ratio: 3.0,
            min_patients: 50,
            min_peers: 3,
        };

        let outliers = outliers(users, &threshold, |_| None);

        assert_eq!(outliers.len(), 1);
        assert_eq!(outliers[0].display, "d");
        assert_eq!(outliers[0].patients, 100);
        assert_eq!(outliers[0].median, 20);
        assert_eq!(outliers[0].evidence.total(), 100);
    }

    #[test]
    fn merge_keeps_earliest_first_accesses() {
        // Lines 1-4 see patients 0-3; lines 100-109 see patients 2-11. Patients 2 and 3 were
        // first opened on lines 3 and 4, so the five earliest first accesses are lines 1-4
        // and line 102 (patient 4).
        let mut later = volume("Ann", 2..12, 100);
        later.merge(volume("ann", 0..4, 1));

        let evidence = later.evidence();

        let lines: Vec<Locator> = evidence.items().iter().map(|e| e.locator).collect();
        assert_eq!(lines, [1, 2, 3, 4, 102].map(Locator::Line));
        assert_eq!(evidence.total(), 12);
        assert_eq!(later.display, "ann");
    }

    #[test]
    fn lower_median() {
        assert_eq!(median(&[1, 2, 3, 4]), 2);
        assert_eq!(median(&[5]), 5);
    }
}
