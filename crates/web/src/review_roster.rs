//! The workforce roster in the shape the activity-review engine reads, built from the store.

use safeguard_review::roster::{Person, Roster, RosterAccount};
use safeguard_store::{Store, StoreError};

/// Loads every person with their system accounts, terminated people included, because the
/// engine reports activity by accounts of people who left.
pub(crate) async fn load(store: &Store) -> Result<Roster, StoreError> {
    Ok(from_people(store.people().await?))
}

/// Builds the engine's roster from the store's people and their system accounts.
pub fn from_people(people: Vec<safeguard_store::workforce::Person>) -> Roster {
    Roster::new(
        people
            .into_iter()
            .map(|person| Person {
                name: person.name,
                practice_role: person.practice_role,
                start_date: person.start_date,
                end_date: person.end_date,
                status: person.status,
                accounts: person
                    .accounts
                    .into_iter()
                    .map(|account| RosterAccount {
                        system: account.system,
                        identifier: account.identifier,
                    })
                    .collect(),
            })
            .collect(),
    )
}
