//! Distinct-patient volume per user, compared with peers in the same practice role.
//!
//! Each user's distinct patients are counted exactly, from the first eight bytes of the patient
//! hash, so memory grows with the number of distinct user-patient pairs. Without a roster all
//! users form one peer group; with one, users are grouped by practice role and users on no one's
//! roster entry are compared with each other.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use jiff::Timestamp;

use super::config::VolumeThreshold;
use crate::event::{PatientRef, fold_case};
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

struct UserVolume {
    display: String,
    patients: PatientSet,
    first: Timestamp,
    last: Timestamp,
    evidence: EvidenceList,
}

/// Distinct patients per user.
pub(crate) struct VolumeTracker {
    users: foldhash::HashMap<String, UserVolume>,
    evidence_limit: usize,
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

impl VolumeTracker {
    pub(crate) fn new(evidence_limit: usize) -> Self {
        Self {
            users: foldhash::HashMap::default(),
            evidence_limit,
        }
    }

    pub(crate) fn observe(&mut self, account: &str, patient: PatientRef, time: Timestamp, evidence: EvidenceRef) {
        let key = fold_case(account);
        if !self.users.contains_key(key.as_ref()) {
            let user = UserVolume {
                display: account.to_owned(),
                patients: PatientSet::default(),
                first: Timestamp::MAX,
                last: Timestamp::MIN,
                evidence: EvidenceList::new(self.evidence_limit),
            };
            self.users.insert(key.clone().into_owned(), user);
        }
        let Some(user) = self.users.get_mut(key.as_ref()) else {
            return;
        };
        user.first = user.first.min(time);
        user.last = user.last.max(time);
        if user.patients.insert(patient.short()) {
            // Evidence lists the first access to each new patient.
            user.evidence.push(evidence);
        }
    }

    /// Returns the outliers. `role_of` returns `None` when there is no roster, `Some(None)`
    /// for an account on no one's roster entry, and `Some(Some(role))` otherwise.
    pub(crate) fn outliers(self, threshold: &VolumeThreshold, role_of: impl Fn(&str) -> Option<Option<String>>) -> Vec<Outlier> {
        let mut groups: HashMap<String, Vec<UserVolume>> = HashMap::new();
        for user in self.users.into_values() {
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
                        display: user.display,
                        patients,
                        median,
                        ratio,
                        group_label: label.clone(),
                        group_size,
                        first: user.first,
                        last: user.last,
                        evidence: user.evidence,
                    });
                }
            }
        }
        outliers
    }
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

    #[test]
    fn outlier_against_peers() {
        let mut tracker = VolumeTracker::new(5);
        let evidence = EvidenceRef {
            source: 0,
            locator: Locator::Line(1),
        };
        for user in ["a", "b", "c"] {
            for patient in 0..20 {
                tracker.observe(user, PatientRef::hash(&format!("{patient}")), Timestamp::UNIX_EPOCH, evidence);
            }
        }
        for patient in 0..100 {
            tracker.observe("d", PatientRef::hash(&format!("{patient}")), Timestamp::UNIX_EPOCH, evidence);
        }
        let threshold = VolumeThreshold {
            ratio: 3.0,
            min_patients: 50,
            min_peers: 3,
        };
        let outliers = tracker.outliers(&threshold, |_| None);
        assert_eq!(outliers.len(), 1);
        assert_eq!(outliers[0].display, "d");
        assert_eq!(outliers[0].patients, 100);
        assert_eq!(outliers[0].median, 20);
        assert_eq!(outliers[0].evidence.total(), 100);
    }

    #[test]
    fn lower_median() {
        assert_eq!(median(&[1, 2, 3, 4]), 2);
        assert_eq!(median(&[5]), 5);
    }
}
