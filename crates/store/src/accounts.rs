//! Sign-in accounts, sessions, invitations and the sign-in throttle.
//!
//! Session and invitation tokens are stored only as SHA-256 hashes: a copy of the database
//! does not hand out working sessions. Password hashes are Argon2id PHC strings made by the
//! web crate; this module stores and returns them but never receives a password.

use jiff::{SignedDuration, Timestamp};
use safeguard_domain::accounts::Role;
use safeguard_domain::clock::format_instant;
use safeguard_domain::ids::{InvitationId, PersonId, UserId};
use safeguard_domain::values::EmailAddress;
use serde_json::json;
use sqlx::AnyConnection;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A sign-in account.
#[derive(Debug, Clone)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Its sign-in address.
    pub email: String,
    /// The name shown in the application.
    pub display_name: String,
    /// Its role.
    pub role: Role,
    /// The workforce member it belongs to, if linked.
    pub person_id: Option<PersonId>,
    /// When it was disabled, if it was.
    pub disabled_at: Option<Timestamp>,
}

/// An account with its password hash, for sign-in only.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub user: User,
    /// The Argon2id PHC string.
    pub password_hash: String,
}

/// A live session with its account.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// The account.
    pub user: User,
    /// The CSRF token of the session.
    pub csrf_token: String,
    /// When the session ends regardless of activity.
    pub expires_at: Timestamp,
    /// When the session was last used.
    pub last_seen_at: Timestamp,
}

/// An open invitation.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// Its id.
    pub id: InvitationId,
    /// The address invited.
    pub email: String,
    /// The name the account will show.
    pub display_name: String,
    /// The role the account will have.
    pub role: Role,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

const USER_COLUMNS: &str = "id, email, display_name, role, person_id, disabled_at";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: rows::parsed(row, "id")?,
        email: rows::text(row, "email")?,
        display_name: rows::text(row, "display_name")?,
        role: rows::parsed(row, "role")?,
        person_id: rows::optional_parsed(row, "person_id")?,
        disabled_at: rows::optional_instant(row, "disabled_at")?,
    })
}

/// Inserts an account and its ledger entry inside the caller's transaction.
#[allow(clippy::too_many_arguments)] // Every argument is a column of the new account.
pub(crate) async fn insert_user(
    connection: &mut AnyConnection,
    backend: crate::Backend,
    id: UserId,
    email: &EmailAddress,
    display_name: &str,
    role: Role,
    password_hash: &str,
    person_id: Option<PersonId>,
    now: &str,
) -> Result<(), StoreError> {
    let taken = sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(&mut *connection)
        .await?
        .is_some();
    if taken {
        return Err(StoreError::Conflict(format!(
            "an account with the e-mail address {email} already exists"
        )));
    }

    sqlx::query("INSERT INTO users (id, email, display_name, role, password_hash, person_id, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
        .bind(id.to_string())
        .bind(email.as_str())
        .bind(display_name)
        .bind(role.code())
        .bind(password_hash)
        .bind(person_id.map(|id| id.to_string()))
        .bind(now)
        .execute(&mut *connection)
        .await?;

    let payload = json!({"role": role.code(), "person_id": person_id.map(|id| id.to_string())});
    append(
        connection,
        backend,
        now,
        &Actor::User(id),
        Change {
            action: "account.created",
            record_kind: "user",
            record_id: id.to_string(),
            payload,
        },
    )
    .await?;
    Ok(())
}

async fn enabled_officials(connection: &mut AnyConnection) -> Result<i64, StoreError> {
    let row =
        sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS officials FROM users WHERE role = 'security_official' AND disabled_at IS NULL")
            .fetch_one(&mut *connection)
            .await?;
    rows::integer(&row, "officials")
}

impl Store {
    /// Returns the account and password hash for `email`, if an enabled account has it.
    #[instrument(skip_all)]
    pub async fn credentials(&self, email: &EmailAddress) -> Result<Option<Credentials>, StoreError> {
        let row = sqlx::query(composed_sql!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1 AND disabled_at IS NULL"
        ))
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Credentials {
                user: user_from_row(&row)?,
                password_hash: rows::text(&row, "password_hash")?,
            })
        })
        .transpose()
    }

    /// Returns the password hash of an account, for checking the current password.
    #[instrument(skip_all, fields(user.id = %user_id))]
    pub async fn password_hash(&self, user_id: UserId) -> Result<String, StoreError> {
        let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let row = row.ok_or(StoreError::NotFound { kind: "account" })?;
        rows::text(&row, "password_hash")
    }

    /// Returns every account, enabled or not, by name.
    #[instrument(skip_all)]
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {USER_COLUMNS} FROM users ORDER BY display_name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Returns one account.
    #[instrument(skip_all, fields(user.id = %id))]
    pub async fn user(&self, id: UserId) -> Result<User, StoreError> {
        let row = sqlx::query(composed_sql!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        user_from_row(&row.ok_or(StoreError::NotFound { kind: "account" })?)
    }

    /// Creates a session for `user_id`, removing `replaced` (the token hash of the session the
    /// browser had before sign-in, if any) so a fixated session id cannot survive sign-in.
    #[instrument(skip_all, fields(user.id = %user_id))]
    pub async fn create_session(
        &self,
        user_id: UserId,
        token_hash: &str,
        csrf_token: &str,
        lifetime: SignedDuration,
        replaced: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now();

        if let Some(replaced) = replaced {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(replaced)
                .execute(&mut *transaction)
                .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(format_instant(now))
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id.to_string())
        .bind(csrf_token)
        .bind(format_instant(now))
        .bind(format_instant(now.saturating_add(lifetime).unwrap_or(now)))
        .execute(&mut *transaction)
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns the live session with `token_hash` and marks it used, or `None` if it does not
    /// exist, has expired, has been idle longer than `idle_timeout`, or its account is disabled.
    #[instrument(skip_all)]
    pub async fn session(&self, token_hash: &str, idle_timeout: SignedDuration) -> Result<Option<SessionRecord>, StoreError> {
        let now = self.now();
        let row = sqlx::query(composed_sql!(
            "SELECT s.csrf_token, s.expires_at, s.last_seen_at, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
            USER_COLUMNS.split(", ").map(|column| format!("u.{column}")).collect::<Vec<_>>().join(", ")
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };

        let record = SessionRecord {
            user: user_from_row(&row)?,
            csrf_token: rows::text(&row, "csrf_token")?,
            expires_at: rows::instant(&row, "expires_at")?,
            last_seen_at: rows::instant(&row, "last_seen_at")?,
        };
        if record.expires_at <= now || record.last_seen_at.saturating_add(idle_timeout).unwrap_or(now) <= now {
            return Ok(None);
        }

        // Touching the session at most once a minute keeps page views from writing on every
        // request.
        if now.duration_since(record.last_seen_at) > SignedDuration::from_secs(60) {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(format_instant(now))
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(record))
    }

    /// Ends a session.
    #[instrument(skip_all)]
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a new password hash and ends every other session of the account.
    #[instrument(skip_all, fields(user.id = %user_id))]
    pub async fn change_password(&self, user_id: UserId, password_hash: &str, keep_session: &str) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(&now)
            .bind(user_id.to_string())
            .execute(&mut *transaction)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id.to_string())
            .bind(keep_session)
            .execute(&mut *transaction)
            .await?;
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(user_id),
            Change {
                action: "account.password_changed",
                record_kind: "user",
                record_id: user_id.to_string(),
                payload: json!({}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Disables or re-enables an account. Disabling ends its sessions at once. The last enabled
    /// Security Official cannot be disabled, so the program always has an administrator.
    #[instrument(skip_all, fields(user.id = %actor, target.id = %user_id))]
    pub async fn set_account_disabled(&self, actor: UserId, user_id: UserId, disabled: bool) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let row = sqlx::query("SELECT role FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *transaction)
            .await?;
        let role: Role = rows::parsed(&row.ok_or(StoreError::NotFound { kind: "account" })?, "role")?;
        if disabled && role == Role::SecurityOfficial && enabled_officials(&mut transaction).await? <= 1 {
            return Err(StoreError::Conflict(
                "this is the only enabled Security Official account; invite and enable another before disabling it".into(),
            ));
        }

        let disabled_at = disabled.then(|| now.clone());
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(disabled_at)
            .bind(user_id.to_string())
            .execute(&mut *transaction)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id.to_string())
                .execute(&mut *transaction)
                .await?;
        }
        let action = if disabled { "account.disabled" } else { "account.enabled" };
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action,
                record_kind: "user",
                record_id: user_id.to_string(),
                payload: json!({}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Changes an account's role and ends its sessions, so the new role applies from the next
    /// sign-in. The last enabled Security Official keeps the role.
    #[instrument(skip_all, fields(user.id = %actor, target.id = %user_id))]
    pub async fn change_role(&self, actor: UserId, user_id: UserId, role: Role) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let row = sqlx::query("SELECT role, disabled_at FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_optional(&mut *transaction)
            .await?;
        let row = row.ok_or(StoreError::NotFound { kind: "account" })?;
        let current: Role = rows::parsed(&row, "role")?;
        let enabled = rows::optional_text(&row, "disabled_at")?.is_none();
        if current == Role::SecurityOfficial && role != Role::SecurityOfficial && enabled && enabled_officials(&mut transaction).await? <= 1
        {
            return Err(StoreError::Conflict(
                "this is the only enabled Security Official account; give another account that role first".into(),
            ));
        }

        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.code())
            .bind(user_id.to_string())
            .execute(&mut *transaction)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id.to_string())
            .execute(&mut *transaction)
            .await?;
        let payload = json!({"from": current.code(), "to": role.code()});
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "account.role_changed",
                record_kind: "user",
                record_id: user_id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Cancels an open invitation, so its link stops working.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn cancel_invitation(&self, actor: UserId, id: InvitationId) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE invitations SET expires_at = $1 WHERE id = $2 AND accepted_at IS NULL AND expires_at > $1")
            .bind(&now)
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "open invitation" });
        }
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "invitation.cancelled",
                record_kind: "invitation",
                record_id: id.to_string(),
                payload: json!({}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns how many failed sign-ins `throttle_key` made within `window`.
    #[instrument(skip_all)]
    pub async fn failed_sign_ins(&self, throttle_key: &str, window: SignedDuration) -> Result<i64, StoreError> {
        let now = self.now();
        let since = format_instant(now.saturating_sub(window).unwrap_or(now));

        let row =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS attempts FROM sign_in_attempts WHERE throttle_key = $1 AND attempted_at >= $2")
                .bind(throttle_key)
                .bind(&since)
                .fetch_one(&self.pool)
                .await?;
        rows::integer(&row, "attempts")
    }

    /// Records one failed sign-in under each of `throttle_keys`, dropping records older than
    /// `window`. Successful sign-ins are not recorded, so people who type their password
    /// correctly are never throttled.
    #[instrument(skip_all, fields(keys = throttle_keys.len()))]
    pub async fn record_failed_sign_in(&self, throttle_keys: &[String], window: SignedDuration) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now();
        let since = format_instant(now.saturating_sub(window).unwrap_or(now));

        sqlx::query("DELETE FROM sign_in_attempts WHERE attempted_at < $1")
            .bind(&since)
            .execute(&mut *transaction)
            .await?;
        for key in throttle_keys {
            sqlx::query("INSERT INTO sign_in_attempts (id, throttle_key, attempted_at) VALUES ($1, $2, $3)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(key)
                .bind(format_instant(now))
                .execute(&mut *transaction)
                .await?;
        }

        transaction.commit().await?;
        Ok(())
    }

    /// Stores an invitation whose link token hashes to `token_hash`.
    #[instrument(skip_all, fields(user.id = %invited_by))]
    pub async fn create_invitation(
        &self,
        email: &EmailAddress,
        display_name: &str,
        role: Role,
        invited_by: UserId,
        token_hash: &str,
        lifetime: SignedDuration,
    ) -> Result<InvitationId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now();
        let id = InvitationId::new();

        let taken = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::Conflict(format!(
                "an account with the e-mail address {email} already exists"
            )));
        }
        sqlx::query("INSERT INTO invitations (id, token_hash, email, display_name, role, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id.to_string())
            .bind(token_hash)
            .bind(email.as_str())
            .bind(display_name)
            .bind(role.code())
            .bind(invited_by.to_string())
            .bind(format_instant(now))
            .bind(format_instant(now.saturating_add(lifetime).unwrap_or(now)))
            .execute(&mut *transaction)
            .await?;
        append(
            &mut transaction,
            self.backend,
            &format_instant(now),
            &Actor::User(invited_by),
            Change {
                action: "invitation.created",
                record_kind: "invitation",
                record_id: id.to_string(),
                payload: json!({"role": role.code()}),
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Returns the open, unexpired invitation whose token hashes to `token_hash`.
    #[instrument(skip_all)]
    pub async fn invitation(&self, token_hash: &str) -> Result<Option<Invitation>, StoreError> {
        let row = sqlx::query("SELECT id, email, display_name, role, expires_at FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2")
            .bind(token_hash)
            .bind(self.now_text())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Invitation {
                id: rows::parsed(&row, "id")?,
                email: rows::text(&row, "email")?,
                display_name: rows::text(&row, "display_name")?,
                role: rows::parsed(&row, "role")?,
                expires_at: rows::instant(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    /// Returns the open invitations, newest first, for the accounts page.
    #[instrument(skip_all)]
    pub async fn open_invitations(&self) -> Result<Vec<Invitation>, StoreError> {
        let rows = sqlx::query("SELECT id, email, display_name, role, expires_at FROM invitations WHERE accepted_at IS NULL AND expires_at > $1 ORDER BY created_at DESC")
            .bind(self.now_text())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(Invitation {
                    id: rows::parsed(row, "id")?,
                    email: rows::text(row, "email")?,
                    display_name: rows::text(row, "display_name")?,
                    role: rows::parsed(row, "role")?,
                    expires_at: rows::instant(row, "expires_at")?,
                })
            })
            .collect()
    }

    /// Accepts an invitation: creates the account with `password_hash` and closes the
    /// invitation, in one transaction. Fails with `NotFound` if the link was used or expired
    /// in the meantime.
    #[instrument(skip_all)]
    pub async fn accept_invitation(&self, token_hash: &str, password_hash: &str) -> Result<UserId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let row = sqlx::query(
            "SELECT id, email, display_name, role FROM invitations WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(&now)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound { kind: "invitation" })?;
        let email = EmailAddress::parse("email", &rows::text(&row, "email")?).map_err(|error| StoreError::Corrupt {
            what: "invitation email",
            detail: error.to_string(),
        })?;
        let role: Role = rows::parsed(&row, "role")?;
        let user_id = UserId::new();

        sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE token_hash = $2")
            .bind(&now)
            .bind(token_hash)
            .execute(&mut *transaction)
            .await?;
        insert_user(
            &mut transaction,
            self.backend,
            user_id,
            &email,
            &rows::text(&row, "display_name")?,
            role,
            password_hash,
            None,
            &now,
        )
        .await?;

        transaction.commit().await?;
        Ok(user_id)
    }
}
