//! The workforce roster: people and the accounts they hold in the practice's systems.
//!
//! People are never deleted inside the retention period. A person who leaves is marked
//! terminated with an end date. A removed system account keeps its row with the day it was
//! removed, so later log reviews can still map old activity to a person.

use jiff::civil::Date;
use safeguard_domain::ids::{PersonId, SystemAccountId, UserId};
use safeguard_domain::retention;
use safeguard_domain::workforce::{PersonInput, PersonStatus, RosterRow, SystemAccountInput};
use serde_json::json;
use sqlx::AnyConnection;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A person on the roster.
#[derive(Debug, Clone)]
pub struct Person {
    /// Their id.
    pub id: PersonId,
    /// Full name.
    pub name: String,
    /// Job title.
    pub job_title: String,
    /// Practice role.
    pub practice_role: String,
    /// First day of work.
    pub start_date: Date,
    /// Last day of work.
    pub end_date: Option<Date>,
    /// Current status.
    pub status: PersonStatus,
    /// Current system accounts.
    pub accounts: Vec<SystemAccount>,
    /// Accounts marked removed, with the day; filled by [`Store::person`] only.
    pub removed_accounts: Vec<(SystemAccount, jiff::Timestamp)>,
}

/// An account a person has in one of the practice's systems.
#[derive(Debug, Clone)]
pub struct SystemAccount {
    /// Its id.
    pub id: SystemAccountId,
    /// The system.
    pub system: String,
    /// The account name in that system.
    pub identifier: String,
}

const PERSON_COLUMNS: &str = "id, name, job_title, practice_role, start_date, end_date, status";

fn person_from_row(row: &sqlx::any::AnyRow) -> Result<Person, StoreError> {
    Ok(Person {
        id: rows::parsed(row, "id")?,
        name: rows::text(row, "name")?,
        job_title: rows::text(row, "job_title")?,
        practice_role: rows::text(row, "practice_role")?,
        start_date: rows::date(row, "start_date")?,
        end_date: rows::optional_date(row, "end_date")?,
        status: rows::parsed(row, "status")?,
        accounts: Vec::new(),
        removed_accounts: Vec::new(),
    })
}

fn person_payload(person: &PersonInput) -> serde_json::Value {
    json!({
        "name": person.name.as_str(),
        "job_title": person.job_title.as_str(),
        "practice_role": person.practice_role.as_str(),
        "start_date": person.start_date.to_string(),
        "end_date": person.end_date.map(|date| date.to_string()),
        "status": person.status.code(),
    })
}

impl Store {
    /// Returns every person with their current accounts, by name.
    #[instrument(skip_all)]
    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        let person_rows = sqlx::query(composed_sql!("SELECT {PERSON_COLUMNS} FROM people ORDER BY name, id"))
            .fetch_all(&self.pool)
            .await?;
        let account_rows = sqlx::query(
            "SELECT id, person_id, system, identifier FROM system_accounts WHERE removed_at IS NULL ORDER BY system, identifier",
        )
        .fetch_all(&self.pool)
        .await?;

        let mut people: Vec<Person> = person_rows.iter().map(person_from_row).collect::<Result<_, _>>()?;
        for row in &account_rows {
            let person_id: PersonId = rows::parsed(row, "person_id")?;
            if let Some(person) = people.iter_mut().find(|person| person.id == person_id) {
                person.accounts.push(SystemAccount {
                    id: rows::parsed(row, "id")?,
                    system: rows::text(row, "system")?,
                    identifier: rows::text(row, "identifier")?,
                });
            }
        }
        Ok(people)
    }

    /// Returns one person with their current accounts.
    #[instrument(skip_all, fields(person.id = %id))]
    pub async fn person(&self, id: PersonId) -> Result<Person, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let mut person = person_from_row(&row.ok_or(StoreError::NotFound { kind: "person" })?)?;

        let account_rows = sqlx::query(
            "SELECT id, system, identifier FROM system_accounts WHERE person_id = $1 AND removed_at IS NULL ORDER BY system, identifier",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        for row in &account_rows {
            person.accounts.push(SystemAccount {
                id: rows::parsed(row, "id")?,
                system: rows::text(row, "system")?,
                identifier: rows::text(row, "identifier")?,
            });
        }

        // Removed accounts stay visible as evidence of when access ended.
        let removed_rows = sqlx::query("SELECT id, system, identifier, removed_at FROM system_accounts WHERE person_id = $1 AND removed_at IS NOT NULL ORDER BY removed_at, system")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        for row in &removed_rows {
            let account = SystemAccount {
                id: rows::parsed(row, "id")?,
                system: rows::text(row, "system")?,
                identifier: rows::text(row, "identifier")?,
            };
            person.removed_accounts.push((account, rows::instant(row, "removed_at")?));
        }
        Ok(person)
    }

    /// Adds a person with their accounts.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_person(&self, actor: UserId, row: &RosterRow) -> Result<PersonId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let id = insert_person(&mut transaction, self.backend, &self.now_text(), &Actor::User(actor), row).await?;
        transaction.commit().await?;
        Ok(id)
    }

    /// Changes a person's details; their accounts are unchanged.
    #[instrument(skip_all, fields(user.id = %actor, person.id = %id))]
    pub async fn update_person(&self, actor: UserId, id: PersonId, person: &PersonInput) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE people SET name = $1, job_title = $2, practice_role = $3, start_date = $4, end_date = $5, status = $6, updated_at = $7 WHERE id = $8")
            .bind(person.name.as_str())
            .bind(person.job_title.as_str())
            .bind(person.practice_role.as_str())
            .bind(person.start_date.to_string())
            .bind(person.end_date.map(|date| date.to_string()))
            .bind(person.status.code())
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "person" });
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "person.updated",
                record_kind: "person",
                record_id: id.to_string(),
                payload: person_payload(person),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Adds a system account to a person.
    #[instrument(skip_all, fields(user.id = %actor, person.id = %person_id))]
    pub async fn add_system_account(
        &self,
        actor: UserId,
        person_id: PersonId,
        account: &SystemAccountInput,
    ) -> Result<SystemAccountId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let exists = sqlx::query("SELECT id FROM people WHERE id = $1")
            .bind(person_id.to_string())
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound { kind: "person" });
        }
        let id = insert_account(&mut transaction, self.backend, &now, &Actor::User(actor), person_id, account).await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Marks a system account removed; the row stays for retention and log mapping.
    #[instrument(skip_all, fields(user.id = %actor, person.id = %person_id))]
    pub async fn remove_system_account(&self, actor: UserId, person_id: PersonId, account_id: SystemAccountId) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE system_accounts SET removed_at = $1 WHERE id = $2 AND person_id = $3 AND removed_at IS NULL")
            .bind(&now)
            .bind(account_id.to_string())
            .bind(person_id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "system account" });
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "system_account.removed",
                record_kind: "system_account",
                record_id: account_id.to_string(),
                payload: json!({"person_id": person_id.to_string()}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Imports roster rows: every row is added, or none is.
    ///
    /// A row whose name and start date match a person already on the roster updates that
    /// person and adds the accounts they do not have yet, so re-importing an exported roster
    /// changes nothing. Returns how many people were added and how many updated.
    #[instrument(skip_all, fields(user.id = %actor, rows = rows.len()))]
    pub async fn import_roster(&self, actor: UserId, rows: &[RosterRow]) -> Result<(usize, usize), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let actor = Actor::User(actor);
        let (mut added, mut updated) = (0, 0);

        for row in rows {
            let existing =
                sqlx::query("SELECT id, job_title, practice_role, end_date, status FROM people WHERE name = $1 AND start_date = $2")
                    .bind(row.person.name.as_str())
                    .bind(row.person.start_date.to_string())
                    .fetch_optional(&mut *transaction)
                    .await?;
            match existing {
                None => {
                    insert_person(&mut transaction, self.backend, &now, &actor, row).await?;
                    added += 1;
                }
                Some(existing) => {
                    let id: PersonId = rows::parsed(&existing, "id")?;
                    let details_changed = rows::text(&existing, "job_title")? != row.person.job_title.as_str()
                        || rows::text(&existing, "practice_role")? != row.person.practice_role.as_str()
                        || rows::optional_date(&existing, "end_date")? != row.person.end_date
                        || rows::text(&existing, "status")? != row.person.status.code();
                    let mut changed = details_changed;

                    if details_changed {
                        sqlx::query("UPDATE people SET job_title = $1, practice_role = $2, end_date = $3, status = $4, updated_at = $5 WHERE id = $6")
                            .bind(row.person.job_title.as_str())
                            .bind(row.person.practice_role.as_str())
                            .bind(row.person.end_date.map(|date| date.to_string()))
                            .bind(row.person.status.code())
                            .bind(&now)
                            .bind(id.to_string())
                            .execute(&mut *transaction)
                            .await?;
                        let change = Change {
                            action: "person.updated",
                            record_kind: "person",
                            record_id: id.to_string(),
                            payload: person_payload(&row.person),
                        };
                        append(&mut transaction, self.backend, &now, &actor, change).await?;
                    }
                    for account in &row.accounts {
                        let held = sqlx::query("SELECT id FROM system_accounts WHERE person_id = $1 AND lower(system) = lower($2) AND lower(identifier) = lower($3) AND removed_at IS NULL")
                            .bind(id.to_string())
                            .bind(account.system.as_str())
                            .bind(account.identifier.as_str())
                            .fetch_optional(&mut *transaction)
                            .await?;
                        if held.is_none() {
                            insert_account(&mut transaction, self.backend, &now, &actor, id, account).await?;
                            changed = true;
                        }
                    }

                    // An unchanged row writes nothing, so re-importing an export leaves no
                    // ledger entries that look like real changes.
                    if changed {
                        updated += 1;
                    }
                }
            }
        }

        transaction.commit().await?;
        Ok((added, updated))
    }

    /// Refuses to delete a person inside the retention period and records the attempt.
    ///
    /// A roster entry stays in effect until the person's end date, and the six years run
    /// from then. No deletion path exists yet for records past retention, so every attempt is
    /// refused today.
    #[instrument(skip_all, fields(user.id = %actor, person.id = %id))]
    pub async fn delete_person(&self, actor: UserId, id: PersonId) -> Result<(), StoreError> {
        let person = self.person(id).await?;
        let created = sqlx::query("SELECT created_at FROM people WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        let created_on: jiff::Timestamp = rows::instant(&created, "created_at")?;
        let created_on = jiff::tz::TimeZone::UTC.to_datetime(created_on).date();
        let deletable_from = retention::deletable_from(created_on, person.end_date);

        let payload = json!({"deletable_from": deletable_from.map(|date| date.to_string())});
        self.record_event(
            &Actor::User(actor),
            Change {
                action: "deletion.refused",
                record_kind: "person",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;
        // TODO: allow deletion once `deletable_from` has passed, with the ledger entry in the
        // same transaction. Until the first roster entries reach six years, rejection is correct.
        Err(StoreError::RetentionHold {
            kind: "person",
            deletable_from,
        })
    }
}

async fn insert_person(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: &Actor,
    row: &RosterRow,
) -> Result<PersonId, StoreError> {
    let id = PersonId::new();
    let person = &row.person;

    sqlx::query("INSERT INTO people (id, name, job_title, practice_role, start_date, end_date, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)")
        .bind(id.to_string())
        .bind(person.name.as_str())
        .bind(person.job_title.as_str())
        .bind(person.practice_role.as_str())
        .bind(person.start_date.to_string())
        .bind(person.end_date.map(|date| date.to_string()))
        .bind(person.status.code())
        .bind(now)
        .execute(&mut *connection)
        .await?;
    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "person.created",
            record_kind: "person",
            record_id: id.to_string(),
            payload: person_payload(person),
        },
    )
    .await?;

    for account in &row.accounts {
        insert_account(connection, backend, now, actor, id, account).await?;
    }
    Ok(id)
}

async fn insert_account(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: &Actor,
    person_id: PersonId,
    account: &SystemAccountInput,
) -> Result<SystemAccountId, StoreError> {
    let holder = sqlx::query("SELECT p.name FROM system_accounts a JOIN people p ON p.id = a.person_id WHERE lower(a.system) = lower($1) AND lower(a.identifier) = lower($2) AND a.removed_at IS NULL")
        .bind(account.system.as_str())
        .bind(account.identifier.as_str())
        .fetch_optional(&mut *connection)
        .await?;
    if let Some(holder) = holder {
        return Err(StoreError::Conflict(format!(
            "the {} account {} already belongs to {}; remove it there first",
            account.system,
            account.identifier,
            rows::text(&holder, "name")?
        )));
    }

    let id = SystemAccountId::new();
    sqlx::query("INSERT INTO system_accounts (id, person_id, system, identifier, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.to_string())
        .bind(person_id.to_string())
        .bind(account.system.as_str())
        .bind(account.identifier.as_str())
        .bind(now)
        .execute(&mut *connection)
        .await?;
    let payload = json!({"person_id": person_id.to_string(), "system": account.system.as_str(), "identifier": account.identifier.as_str()});
    append(
        connection,
        backend,
        now,
        actor,
        Change {
            action: "system_account.added",
            record_kind: "system_account",
            record_id: id.to_string(),
            payload,
        },
    )
    .await?;
    Ok(id)
}
