//! Background jobs.
//!
//! Each job is a plain async function that does one unit of work and returns what it did, so
//! tests call it directly; [`run_forever`] schedules them. The calendar job is idempotent
//! (see the store's calendar module), so several server instances may run it at once.

use std::time::Duration;

use safeguard_domain::calendar::local_date;

use crate::AppState;
use crate::error::error_chain;

/// The result of one run of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The job did its work; the number is how many records it created.
    Completed(usize),
    /// There was nothing to do, for example before setup.
    Idle,
}

/// Creates the calendar instances of every period up to today in the practice's time zone.
pub async fn advance_calendar(state: &AppState) -> Result<Outcome, safeguard_store::StoreError> {
    let Some(practice) = state.store.practice().await? else {
        return Ok(Outcome::Idle);
    };
    let today = local_date(state.clock.now(), practice.profile.time_zone.zone());

    let created = state.store.advance_calendar(today).await?;
    Ok(Outcome::Completed(created))
}

/// Runs the jobs every `interval` until the process ends, logging failures and carrying on.
pub async fn run_forever(state: AppState, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    loop {
        ticker.tick().await;
        match advance_calendar(&state).await {
            Ok(Outcome::Completed(created)) if created > 0 => tracing::info!(job = "advance_calendar", created, "calendar advanced"),
            Ok(_) => tracing::debug!(job = "advance_calendar", "nothing to advance"),
            Err(error) => {
                tracing::error!(job = "advance_calendar", error = %error_chain(&error), "job failed; retrying at the next interval")
            }
        }
    }
}
