//! The workforce roster in the shape the activity-review engine reads, built from the store.

use safeguard_domain::workforce::PersonStatus as StorePersonStatus;
use safeguard_review::roster::{Person, PersonStatus, Roster, RosterAccount};
use safeguard_store::{Store, StoreError};

/// Loads every person with their system accounts, terminated people included, because the
/// engine reports activity by accounts of people who left.
pub(crate) async fn load(store: &Store) -> Result<Roster, StoreError> {
    let people = store.people().await?;

    Ok(Roster::new(
        people
            .into_iter()
            .map(|person| Person {
                name: person.name,
                practice_role: person.practice_role,
                start_date: person.start_date,
                end_date: person.end_date,
                status: match person.status {
                    StorePersonStatus::Active => PersonStatus::Active,
                    StorePersonStatus::OnLeave => PersonStatus::OnLeave,
                    StorePersonStatus::Terminated => PersonStatus::Terminated,
                },
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
    ))
}
