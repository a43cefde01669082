//! The practice profile and first-run setup.
//!
//! An installation contains one practice. Until setup completes, the database has no practice and
//! one unused setup token; completing setup creates the practice, the first workforce member,
//! the Security Official's account and the default calendar in one transaction, and marks the
//! token used so the link stops working.

use safeguard_domain::calendar::{DEFAULT_OBLIGATIONS, default_anchor, local_date};
use safeguard_domain::ids::{PersonId, PracticeId, UserId};
use safeguard_domain::practice::{OfficeHours, PatientStates, PracticeProfile, PracticeTimeZone};
use safeguard_domain::values::{EmailAddress, Line, Text};
use serde_json::json;
use sqlx::AnyConnection;
use tracing::instrument;

use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// The stored practice.
#[derive(Debug, Clone)]
pub struct Practice {
    /// Its id.
    pub id: PracticeId,
    /// The validated profile.
    pub profile: PracticeProfile,
}

/// The first account, created by setup together with the practice profile.
#[derive(Debug, Clone)]
pub struct FirstAccount {
    /// The Security Official's full name.
    pub name: Line,
    /// Their job title.
    pub job_title: Line,
    /// Their sign-in address.
    pub email: EmailAddress,
    /// Their Argon2id password hash.
    pub password_hash: String,
}

impl Store {
    /// Returns the practice, or `None` before setup.
    #[instrument(skip_all)]
    pub async fn practice(&self) -> Result<Option<Practice>, StoreError> {
        let row = sqlx::query("SELECT id, name, address, time_zone, office_hours, patient_states FROM practice LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };

        let corrupt = |what: &'static str| {
            move |error: safeguard_domain::values::InvalidValue| StoreError::Corrupt {
                what,
                detail: error.to_string(),
            }
        };
        let profile = PracticeProfile {
            name: Line::parse("name", &rows::text(&row, "name")?).map_err(corrupt("practice name"))?,
            address: Text::parse("address", &rows::text(&row, "address")?).map_err(corrupt("practice address"))?,
            time_zone: PracticeTimeZone::parse(&rows::text(&row, "time_zone")?).map_err(corrupt("practice time zone"))?,
            office_hours: OfficeHours::parse(&rows::text(&row, "office_hours")?).map_err(corrupt("office hours"))?,
            patient_states: PatientStates::parse(&rows::text(&row, "patient_states")?).map_err(corrupt("patient states"))?,
        };
        Ok(Some(Practice {
            id: rows::parsed(&row, "id")?,
            profile,
        }))
    }

    /// Stores the hash of a new setup token, unless setup is complete. Returns `false` when
    /// the practice already exists, so no link is printed.
    #[instrument(skip_all)]
    pub async fn issue_setup_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let mut transaction = self.begin_write().await?;

        let exists = sqlx::query("SELECT id FROM practice LIMIT 1")
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if exists {
            return Ok(false);
        }
        // Only the newest link works: earlier unused tokens are retired so a link printed at an
        // old start cannot be used later.
        sqlx::query("UPDATE setup_tokens SET used_at = $1 WHERE used_at IS NULL")
            .bind(self.now_text())
            .execute(&mut *transaction)
            .await?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(self.now_text())
            .execute(&mut *transaction)
            .await?;

        transaction.commit().await?;
        Ok(true)
    }

    /// Decides whether `token_hash` is an unused setup token and no practice exists yet.
    #[instrument(skip_all)]
    pub async fn setup_token_is_valid(&self, token_hash: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT token_hash FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND NOT EXISTS (SELECT 1 FROM practice)",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Completes setup: creates the practice, the first person and account, and the default
    /// calendar, and uses up the token. Returns the new user's id.
    #[instrument(skip_all)]
    pub async fn complete_setup(&self, token_hash: &str, profile: &PracticeProfile, first: &FirstAccount) -> Result<UserId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let used = sqlx::query("UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(&now)
            .bind(token_hash)
            .execute(&mut *transaction)
            .await?;
        let exists = sqlx::query("SELECT id FROM practice LIMIT 1")
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if used.rows_affected() != 1 || exists {
            return Err(StoreError::NotFound { kind: "setup link" });
        }

        let practice_id = PracticeId::new();
        sqlx::query("INSERT INTO practice (id, name, address, time_zone, office_hours, patient_states, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(practice_id.to_string())
            .bind(profile.name.as_str())
            .bind(profile.address.as_str())
            .bind(profile.time_zone.name())
            .bind(profile.office_hours.to_string())
            .bind(profile.patient_states.to_string())
            .bind(&now)
            .execute(&mut *transaction)
            .await?;

        let today = local_date(self.now(), profile.time_zone.zone());
        let person_id = PersonId::new();
        sqlx::query("INSERT INTO people (id, name, job_title, practice_role, start_date, status, created_at, updated_at) VALUES ($1, $2, $3, 'administration', $4, 'active', $5, $5)")
            .bind(person_id.to_string())
            .bind(first.name.as_str())
            .bind(first.job_title.as_str())
            .bind(today.to_string())
            .bind(&now)
            .execute(&mut *transaction)
            .await?;

        let user_id = UserId::new();
        crate::accounts::insert_user(
            &mut transaction,
            self.backend,
            user_id,
            &first.email,
            first.name.as_str(),
            safeguard_domain::accounts::Role::SecurityOfficial,
            &first.password_hash,
            Some(person_id),
            &now,
        )
        .await?;
        seed_default_obligations(&mut transaction, user_id, today, &now).await?;

        let actor = Actor::User(user_id);
        let payload = json!({
            "name": profile.name.as_str(),
            "time_zone": profile.time_zone.name(),
            "office_hours": profile.office_hours.to_string(),
            "patient_states": profile.patient_states.codes(),
            "security_official_user": user_id.to_string(),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &actor,
            Change {
                action: "practice.created",
                record_kind: "practice",
                record_id: practice_id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(user_id)
    }
}

/// Inserts the default obligations, owned by `owner`, each anchored so that its first period
/// contains `today`.
pub(crate) async fn seed_default_obligations(
    connection: &mut AnyConnection,
    owner: UserId,
    today: jiff::civil::Date,
    now: &str,
) -> Result<(), StoreError> {
    for obligation in DEFAULT_OBLIGATIONS {
        sqlx::query(
            "INSERT INTO obligations (id, default_key, title, description, citation, cadence, completion_kind, anchor_date, owner_user_id, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10) ON CONFLICT (default_key) DO NOTHING",
        )
        .bind(safeguard_domain::ids::ObligationId::new().to_string())
        .bind(obligation.key)
        .bind(obligation.title)
        .bind(obligation.description)
        .bind(obligation.citation)
        .bind(obligation.cadence.code())
        .bind(obligation.completion.code())
        .bind(default_anchor(obligation.cadence, today).to_string())
        .bind(owner.to_string())
        .bind(now)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}
