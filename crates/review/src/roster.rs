//! The workforce roster as the engine uses it: people, their practice role, their dates and
//! the accounts they hold on each system.
//!
//! The engine does not read the roster CSV itself: the caller builds a [`Roster`] from whatever
//! source it has (the CSV export, the database). Account identifiers are matched without regard
//! to case, and a Windows identifier written `DOMAIN\user` also matches the bare `user`, because
//! Windows events name most accounts without their domain.

use jiff::civil::Date;
pub use safeguard_domain::workforce::PersonStatus;

/// One account a person holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterAccount {
    /// The system, as the practice names it (`EHR`, `Windows`, `Microsoft 365`).
    pub system: String,
    /// The identifier on that system (`mlopez`, `CLINIC\mlopez`, `mlopez@clinic.test`).
    pub identifier: String,
}

/// One person on the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// Full name.
    pub name: String,
    /// Practice role (`physician`, `front desk`), compared without regard to case.
    pub practice_role: String,
    /// First day of work.
    pub start_date: Date,
    /// Last day of work, if the person has left or is leaving.
    pub end_date: Option<Date>,
    /// Employment status.
    pub status: PersonStatus,
    /// Accounts on each system.
    pub accounts: Vec<RosterAccount>,
}

impl Person {
    /// Returns whether the person had left the practice on `date`: after the end date, or at any
    /// time when terminated without an end date.
    pub fn has_left_on(&self, date: Date) -> bool {
        match self.end_date {
            Some(end) => date > end,
            None => self.status == PersonStatus::Terminated,
        }
    }
}

/// People and an index from account identifier to person.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    people: Vec<Person>,
    by_identifier: foldhash::HashMap<String, usize>,
}

impl Roster {
    /// Builds the roster and its account index. When two people list the same identifier, the
    /// first one listed keeps it.
    pub fn new(people: Vec<Person>) -> Self {
        let mut by_identifier = foldhash::HashMap::default();
        for (index, person) in people.iter().enumerate() {
            for account in &person.accounts {
                let identifier = account.identifier.trim().to_lowercase();
                if let Some((_, user)) = identifier.rsplit_once('\\') {
                    by_identifier.entry(user.to_owned()).or_insert(index);
                }
                by_identifier.entry(identifier).or_insert(index);
            }
        }
        Self { people, by_identifier }
    }

    /// Finds the person holding `account`.
    pub fn find(&self, account: &str) -> Option<&Person> {
        self.people.get(self.position(account)?)
    }

    /// Returns the index in [`Roster::people`] of the person holding `account`.
    pub fn position(&self, account: &str) -> Option<usize> {
        let key = crate::event::fold_case(account.trim());
        let index = self.by_identifier.get(key.as_ref()).or_else(|| {
            let (_, user) = key.rsplit_once('\\')?;
            self.by_identifier.get(user)
        })?;
        Some(*index)
    }

    /// Returns the people on the roster.
    pub fn people(&self) -> &[Person] {
        &self.people
    }

    /// Returns whether the roster lists no people.
    pub fn is_empty(&self) -> bool {
        self.people.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, identifiers: &[&str]) -> Person {
        Person {
            name: name.into(),
            practice_role: "front desk".into(),
            start_date: Date::constant(2020, 1, 1),
            end_date: Some(Date::constant(2024, 6, 30)),
            status: PersonStatus::Terminated,
            accounts: identifiers
                .iter()
                .map(|id| RosterAccount {
                    system: "Windows".into(),
                    identifier: (*id).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn find_matches_case_and_domain() {
        let roster = Roster::new(vec![person("M. Lopez", &["CLINIC\\MLopez", "ml@clinic.test"])]);
        assert!(roster.find("mlopez").is_some());
        assert!(roster.find("clinic\\mlopez").is_some());
        assert!(roster.find("OTHER\\mlopez").is_some());
        assert!(roster.find("ML@clinic.test").is_some());
        assert!(roster.find("jdoe").is_none());
    }

    #[test]
    fn left_after_end_date_only() {
        let p = person("A", &[]);
        assert!(!p.has_left_on(Date::constant(2024, 6, 30)));
        assert!(p.has_left_on(Date::constant(2024, 7, 1)));
    }
}
