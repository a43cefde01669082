//! The compliance calendar: obligations, their dated instances, completions and the facts the
//! compliance status is computed from.
//!
//! Instances are created by [`Store::advance_calendar`], which is idempotent: the unique key
//! on (obligation, period) means two instances running it at once, or a job run twice, create
//! each instance once. That is what lets any server instance run the job without a lease.

use jiff::Timestamp;
use jiff::civil::Date;
use safeguard_domain::calendar::{Cadence, CompletionInput, CompletionKind, ObligationInput, periods_through};
use safeguard_domain::compliance::{InstanceFacts, ObligationFacts, ProgramFacts};
use safeguard_domain::ids::{InstanceId, ObligationId, UserId};
use safeguard_domain::retention;
use serde_json::json;
use tracing::instrument;

use crate::evidence::StoredFile;
use crate::ledger::{Actor, Change, append};
use crate::{Store, StoreError, rows};

/// A recurring obligation.
#[derive(Debug, Clone)]
pub struct Obligation {
    /// Its id.
    pub id: ObligationId,
    /// The title.
    pub title: String,
    /// The work it involves.
    pub description: String,
    /// The catalog citation it serves.
    pub citation: String,
    /// Its cadence.
    pub cadence: Cadence,
    /// The record its completion contains.
    pub completion: CompletionKind,
    /// The first day of its first period.
    pub anchor: Date,
    /// Its owner.
    pub owner: Option<UserId>,
    /// The owner's display name.
    pub owner_name: Option<String>,
    /// Whether it still recurs.
    pub active: bool,
    /// For an activity review: the system whose logs it covers.
    pub reviewed_system: Option<String>,
}

/// One dated instance of an obligation, with its obligation's details.
#[derive(Debug, Clone)]
pub struct Instance {
    /// Its id.
    pub id: InstanceId,
    /// Its obligation.
    pub obligation: Obligation,
    /// The first day of its period.
    pub starts_on: Date,
    /// Its due date, the last day of its period.
    pub due_on: Date,
    /// When it was completed.
    pub completed_at: Option<Timestamp>,
    /// The day it was completed in the practice's time zone.
    pub completed_on: Option<Date>,
    /// The account that completed it.
    pub completed_by_name: Option<String>,
    /// Notes from the completion.
    pub notes: Option<String>,
    /// For meetings: the day held.
    pub meeting_date: Option<Date>,
    /// For meetings: attendees.
    pub attendees: Option<String>,
    /// For meetings: decisions.
    pub decisions: Option<String>,
    /// Attached evidence.
    pub evidence: Vec<AttachedEvidence>,
}

/// An evidence file attached to an instance.
#[derive(Debug, Clone)]
pub struct AttachedEvidence {
    /// The file's hash.
    pub sha256: String,
    /// The uploaded name.
    pub file_name: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The media type.
    pub media_type: String,
}

const OBLIGATION_COLUMNS: &str = "o.id AS obligation_id, o.title, o.description, o.citation, o.cadence, o.completion_kind, o.anchor_date, o.owner_user_id, o.active, o.reviewed_system, owner.display_name AS owner_name";
const INSTANCE_COLUMNS: &str = "i.id, i.starts_on, i.due_on, i.completed_at, i.completed_on, i.notes, i.meeting_date, i.attendees, i.decisions, completer.display_name AS completed_by_name";
const INSTANCE_JOINS: &str = "FROM obligation_instances i JOIN obligations o ON o.id = i.obligation_id LEFT JOIN users owner ON owner.id = o.owner_user_id LEFT JOIN users completer ON completer.id = i.completed_by";

fn obligation_from_row(row: &sqlx::any::AnyRow) -> Result<Obligation, StoreError> {
    Ok(Obligation {
        id: rows::parsed(row, "obligation_id")?,
        title: rows::text(row, "title")?,
        description: rows::text(row, "description")?,
        citation: rows::text(row, "citation")?,
        cadence: rows::parsed(row, "cadence")?,
        completion: rows::parsed(row, "completion_kind")?,
        anchor: rows::date(row, "anchor_date")?,
        owner: rows::optional_parsed(row, "owner_user_id")?,
        owner_name: rows::optional_text(row, "owner_name")?,
        active: rows::integer(row, "active")? != 0,
        reviewed_system: rows::optional_text(row, "reviewed_system")?,
    })
}

/// Inserts an obligation and its ledger entry inside the caller's transaction.
/// `reviewed_system` names the system of an activity-review obligation and is `None` for all
/// others.
pub(crate) async fn insert_obligation(
    connection: &mut sqlx::AnyConnection,
    backend: crate::Backend,
    now: &str,
    actor: UserId,
    input: &ObligationInput,
    owner: UserId,
    reviewed_system: Option<&str>,
) -> Result<ObligationId, StoreError> {
    let id = ObligationId::new();

    sqlx::query("INSERT INTO obligations (id, title, description, citation, cadence, completion_kind, anchor_date, owner_user_id, active, created_at, reviewed_system) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)")
        .bind(id.to_string())
        .bind(input.title.as_str())
        .bind(input.description.as_ref().map(|text| text.as_str()).unwrap_or_default())
        .bind(input.citation)
        .bind(input.cadence.code())
        .bind(input.completion.code())
        .bind(input.anchor.to_string())
        .bind(owner.to_string())
        .bind(now)
        .bind(reviewed_system.map(str::to_owned))
        .execute(&mut *connection)
        .await?;
    let mut payload = json!({"title": input.title.as_str(), "citation": input.citation, "cadence": input.cadence.code(), "anchor": input.anchor.to_string(), "owner": owner.to_string()});
    if let Some(system) = reviewed_system {
        payload["reviewed_system"] = json!(system);
    }
    append(
        connection,
        backend,
        now,
        &Actor::User(actor),
        Change {
            action: "obligation.created",
            record_kind: "obligation",
            record_id: id.to_string(),
            payload,
        },
    )
    .await?;
    Ok(id)
}

fn instance_from_row(row: &sqlx::any::AnyRow) -> Result<Instance, StoreError> {
    Ok(Instance {
        id: rows::parsed(row, "id")?,
        obligation: obligation_from_row(row)?,
        starts_on: rows::date(row, "starts_on")?,
        due_on: rows::date(row, "due_on")?,
        completed_at: rows::optional_instant(row, "completed_at")?,
        completed_on: rows::optional_date(row, "completed_on")?,
        completed_by_name: rows::optional_text(row, "completed_by_name")?,
        notes: rows::optional_text(row, "notes")?,
        meeting_date: rows::optional_date(row, "meeting_date")?,
        attendees: rows::optional_text(row, "attendees")?,
        decisions: rows::optional_text(row, "decisions")?,
        evidence: Vec::new(),
    })
}

impl Store {
    /// Returns every obligation, active first, by title.
    #[instrument(skip_all)]
    pub async fn obligations(&self) -> Result<Vec<Obligation>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {OBLIGATION_COLUMNS} FROM obligations o LEFT JOIN users owner ON owner.id = o.owner_user_id ORDER BY o.active DESC, o.title"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(obligation_from_row).collect()
    }

    /// Adds an obligation owned by `owner`.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn create_obligation(&self, actor: UserId, input: &ObligationInput, owner: UserId) -> Result<ObligationId, StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let id = insert_obligation(&mut transaction, self.backend, &now, actor, input, owner, None).await?;

        transaction.commit().await?;
        Ok(id)
    }

    /// Changes an obligation's owner, or stops it recurring. Instances already created stay.
    #[instrument(skip_all, fields(user.id = %actor, obligation.id = %id))]
    pub async fn update_obligation(&self, actor: UserId, id: ObligationId, owner: UserId, active: bool) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let updated = sqlx::query("UPDATE obligations SET owner_user_id = $1, active = $2 WHERE id = $3")
            .bind(owner.to_string())
            .bind(i64::from(active))
            .bind(id.to_string())
            .execute(&mut *transaction)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "obligation" });
        }
        let payload = json!({"owner": owner.to_string(), "active": active});
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "obligation.updated",
                record_kind: "obligation",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Creates the instance of every period up to and including the one containing `today`
    /// for every active obligation, and returns how many were created.
    #[instrument(skip_all)]
    pub async fn advance_calendar(&self, today: Date) -> Result<usize, StoreError> {
        let obligations: Vec<Obligation> = self
            .obligations()
            .await?
            .into_iter()
            .filter(|obligation| obligation.active)
            .collect();
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();
        let mut created = Vec::new();

        for obligation in &obligations {
            for period in periods_through(obligation.anchor, obligation.cadence, today) {
                let id = InstanceId::new();
                let inserted = sqlx::query(
                    "INSERT INTO obligation_instances (id, obligation_id, period_index, starts_on, due_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (obligation_id, period_index) DO NOTHING",
                )
                .bind(id.to_string())
                .bind(obligation.id.to_string())
                .bind(period.index)
                .bind(period.starts_on.to_string())
                .bind(period.due_on.to_string())
                .bind(&now)
                .execute(&mut *transaction)
                .await?;
                if inserted.rows_affected() == 1 {
                    created.push(
                        json!({"instance": id.to_string(), "obligation": obligation.id.to_string(), "due_on": period.due_on.to_string()}),
                    );
                }
            }
        }

        let count = created.len();
        if count > 0 {
            let payload = json!({"through": today.to_string(), "created": created});
            append(
                &mut transaction,
                self.backend,
                &now,
                &Actor::System,
                Change {
                    action: "calendar.advanced",
                    record_kind: "calendar",
                    record_id: today.to_string(),
                    payload,
                },
            )
            .await?;
        }
        transaction.commit().await?;
        Ok(count)
    }

    /// Returns instances, soonest due first: open ones only, or also completed ones.
    #[instrument(skip_all, fields(include_completed))]
    pub async fn instances(&self, include_completed: bool) -> Result<Vec<Instance>, StoreError> {
        let filter = if include_completed { "" } else { "WHERE i.completed_at IS NULL" };
        let rows = sqlx::query(composed_sql!(
            "SELECT {INSTANCE_COLUMNS}, {OBLIGATION_COLUMNS} {INSTANCE_JOINS} {filter} ORDER BY i.due_on, o.title"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(instance_from_row).collect()
    }

    /// Returns the most recently completed instances, newest first.
    #[instrument(skip_all, fields(limit))]
    pub async fn recent_completions(&self, limit: i64) -> Result<Vec<Instance>, StoreError> {
        let rows = sqlx::query(composed_sql!("SELECT {INSTANCE_COLUMNS}, {OBLIGATION_COLUMNS} {INSTANCE_JOINS} WHERE i.completed_at IS NOT NULL ORDER BY i.completed_at DESC LIMIT $1"))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(instance_from_row).collect()
    }

    /// Returns one instance with its evidence.
    #[instrument(skip_all, fields(instance.id = %id))]
    pub async fn instance(&self, id: InstanceId) -> Result<Instance, StoreError> {
        let row = sqlx::query(composed_sql!(
            "SELECT {INSTANCE_COLUMNS}, {OBLIGATION_COLUMNS} {INSTANCE_JOINS} WHERE i.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let mut instance = instance_from_row(&row.ok_or(StoreError::NotFound { kind: "calendar item" })?)?;

        let evidence = sqlx::query("SELECT e.sha256, e.file_name, f.size_bytes, f.media_type FROM instance_evidence e JOIN evidence_files f ON f.sha256 = e.sha256 WHERE e.instance_id = $1 ORDER BY e.attached_at, e.id")
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        for row in &evidence {
            instance.evidence.push(AttachedEvidence {
                sha256: rows::text(row, "sha256")?,
                file_name: rows::text(row, "file_name")?,
                size_bytes: rows::integer(row, "size_bytes")?,
                media_type: rows::text(row, "media_type")?,
            });
        }
        Ok(instance)
    }

    /// Completes an instance with its record and evidence files, in one transaction. A
    /// completed instance cannot be completed again: a correction is a new record.
    #[instrument(skip_all, fields(user.id = %actor, instance.id = %id, files = files.len()))]
    pub async fn complete_instance(
        &self,
        actor: UserId,
        id: InstanceId,
        completed_on: Date,
        input: &CompletionInput,
        files: &[StoredFile],
    ) -> Result<(), StoreError> {
        let mut transaction = self.begin_write().await?;
        let now = self.now_text();

        let meeting = input.meeting.as_ref();
        let updated = sqlx::query(
            "UPDATE obligation_instances SET completed_at = $1, completed_on = $2, completed_by = $3, notes = $4, meeting_date = $5, attendees = $6, decisions = $7 WHERE id = $8 AND completed_at IS NULL",
        )
        .bind(&now)
        .bind(completed_on.to_string())
        .bind(actor.to_string())
        .bind(input.notes.as_ref().map(|text| text.as_str().to_owned()))
        .bind(meeting.map(|meeting| meeting.held_on.to_string()))
        .bind(meeting.map(|meeting| meeting.attendees.as_str().to_owned()))
        .bind(meeting.map(|meeting| meeting.decisions.as_str().to_owned()))
        .bind(id.to_string())
        .execute(&mut *transaction)
        .await?;
        if updated.rows_affected() == 0 {
            let exists = sqlx::query("SELECT id FROM obligation_instances WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *transaction)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict("this item is already completed; its record cannot be changed".into())
            } else {
                StoreError::NotFound { kind: "calendar item" }
            });
        }

        for file in files {
            sqlx::query("INSERT INTO evidence_files (sha256, size_bytes, media_type, stored_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING")
                .bind(&file.sha256)
                .bind(file.size_bytes)
                .bind(&file.media_type)
                .bind(&now)
                .execute(&mut *transaction)
                .await?;
            sqlx::query("INSERT INTO instance_evidence (id, instance_id, sha256, file_name, attached_at, attached_by) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(id.to_string())
                .bind(&file.sha256)
                .bind(&file.file_name)
                .bind(&now)
                .bind(actor.to_string())
                .execute(&mut *transaction)
                .await?;
        }

        let payload = json!({
            "completed_on": completed_on.to_string(),
            "notes": input.notes.as_ref().map(|text| text.as_str()),
            "meeting_date": meeting.map(|meeting| meeting.held_on.to_string()),
            "attendees": meeting.map(|meeting| meeting.attendees.as_str()),
            "decisions": meeting.map(|meeting| meeting.decisions.as_str()),
            "evidence": files.iter().map(|file| json!({"sha256": file.sha256, "file_name": file.file_name, "size_bytes": file.size_bytes})).collect::<Vec<_>>(),
        });
        append(
            &mut transaction,
            self.backend,
            &now,
            &Actor::User(actor),
            Change {
                action: "calendar_item.completed",
                record_kind: "obligation_instance",
                record_id: id.to_string(),
                payload,
            },
        )
        .await?;

        transaction.commit().await?;
        Ok(())
    }

    /// Returns the file name and media type under which an evidence file was first attached,
    /// to a calendar item or as an uploaded activity-review log, or `None` when it is neither.
    #[instrument(skip_all)]
    pub async fn evidence_attachment(&self, sha256: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT file_name, media_type FROM (\
                SELECT e.file_name, f.media_type, e.attached_at AS attached_at FROM instance_evidence e JOIN evidence_files f ON f.sha256 = e.sha256 WHERE e.sha256 = $1 \
                UNION ALL \
                SELECT s.file_name, f.media_type, r.created_at AS attached_at FROM activity_review_sources s JOIN evidence_files f ON f.sha256 = s.evidence_file JOIN activity_reviews r ON r.id = s.review_id WHERE s.evidence_file = $2\
            ) attachments ORDER BY attached_at LIMIT 1",
        )
        .bind(sha256)
        .bind(sha256)
        .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((rows::text(&row, "file_name")?, rows::text(&row, "media_type")?)))
            .transpose()
    }

    /// Refuses to delete an evidence file inside the retention period and records the attempt.
    ///
    /// Evidence supports a completed record that stays in effect for good, so the six years
    /// have not started and every attempt is refused.
    #[instrument(skip_all, fields(user.id = %actor))]
    pub async fn delete_evidence(&self, actor: UserId, sha256: &str) -> Result<(), StoreError> {
        if self.evidence_attachment(sha256).await?.is_none() {
            return Err(StoreError::NotFound { kind: "evidence file" });
        }
        self.record_event(
            &Actor::User(actor),
            Change {
                action: "deletion.refused",
                record_kind: "evidence_file",
                record_id: sha256.to_owned(),
                payload: json!({"deletable_from": null}),
            },
        )
        .await?;
        Err(StoreError::RetentionHold {
            kind: "evidence file",
            deletable_from: retention::deletable_from(Date::MIN, None),
        })
    }

    /// Gathers what compliance status is computed from, for instances due up to the period
    /// containing `today`.
    #[instrument(skip_all)]
    pub async fn program_facts(&self) -> Result<ProgramFacts, StoreError> {
        // Stopped obligations are included so their overdue instances, such as an open
        // risk-analysis update, still count; the domain ignores the rest of their history.
        let obligations: Vec<Obligation> = self.obligations().await?;
        let instance_rows =
            sqlx::query("SELECT id, obligation_id, due_on, completed_on FROM obligation_instances ORDER BY obligation_id, period_index")
                .fetch_all(&self.pool)
                .await?;
        let decisions = self.latest_addressable_decisions().await?;
        let designation = self.current_designation().await?;
        let (latest_finalized_risk_analysis, undecided_risks, open_plan_items) = self.risk_facts().await?;

        let mut facts = ProgramFacts {
            designation_in_effect: designation.is_some(),
            latest_finalized_risk_analysis,
            undecided_risks,
            open_plan_items,
            latest_signed_activity_review: self.latest_signed_review_end().await?,
            ..ProgramFacts::default()
        };
        for obligation in obligations {
            let mut instances = Vec::new();
            for row in &instance_rows {
                let obligation_id: ObligationId = rows::parsed(row, "obligation_id")?;
                if obligation_id == obligation.id {
                    instances.push(InstanceFacts {
                        id: rows::parsed(row, "id")?,
                        due_on: rows::date(row, "due_on")?,
                        completed_on: rows::optional_date(row, "completed_on")?,
                    });
                }
            }
            facts.obligations.push(ObligationFacts {
                id: obligation.id,
                title: obligation.title,
                citation: obligation.citation,
                cadence: obligation.cadence,
                recurring: obligation.active,
                instances,
            });
        }
        for decision in decisions {
            facts.addressable_decisions.insert(decision.citation, decision.outcome);
        }
        Ok(facts)
    }
}
