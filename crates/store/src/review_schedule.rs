//! The activity-review schedule: calendar obligations tied to information system activity
//! review that name the system whose logs they cover.
//!
//! An entry is an ordinary obligation with `reviewed_system` set, so the calendar job creates its
//! instances, the calendar lists them and compliance status counts them without any code of
//! their own here.

use safeguard_domain::ids::{ObligationId, UserId};
use safeguard_domain::review_schedule::ReviewScheduleInput;
use tracing::instrument;

use crate::calendar::{Obligation, insert_obligation};
use crate::{Store, StoreError};

impl Store {
    /// Returns every obligation that names a reviewed system, active first, by title.
    #[instrument(skip_all)]
    pub async fn review_schedule(&self) -> Result<Vec<Obligation>, StoreError> {
        let obligations = self.obligations().await?;
        Ok(obligations
            .into_iter()
            .filter(|obligation| obligation.reviewed_system.is_some())
            .collect())
    }

    /// Adds a schedule entry: an obligation owned by `owner`, who reviews the system's logs.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn schedule_activity_review(
        &self,
        actor: UserId,
        input: &ReviewScheduleInput,
        owner: UserId,
    ) -> Result<ObligationId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let owner_exists = sqlx::query("SELECT id FROM users WHERE id = $1")
            .bind(owner.to_string())
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if !owner_exists {
            return Err(StoreError::NotFound { kind: "owner account" });
        }
        let id = insert_obligation(
            &mut transaction,
            self.backend,
            &now,
            actor,
            &input.obligation,
            owner,
            Some(input.system.as_str()),
        )
        .await?;

        transaction.commit().await?;
        Ok(id)
    }
}
