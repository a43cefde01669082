//! The evidence ledger page: one page of entries at a time, newest first, in plain words.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use safeguard_domain::accounts::{Permission, Role};
use safeguard_domain::ledger::{StoredEntry, verify_chain};
use safeguard_domain::values::InvalidValue;
use safeguard_store::ledger::PageStart;

use super::local_time;
use crate::AppState;
use crate::access::{self, Access};
use crate::error::AppError;
use crate::layout::{Layout, render};
use crate::session::{CsrfToken, CurrentUser};

/// The number of entries on one ledger page.
pub(crate) const PAGE_SIZE: i64 = 50;

/// The number of leading hex digits of an entry hash that the table shows.
const SHORT_HASH_LENGTH: usize = 12;

/// One ledger entry as the table shows it.
struct EntryRow {
    sequence: i64,
    recorded: String,
    actor: String,
    action: String,
    record_kind: String,
    record_id: String,
    record_link: Option<String>,
    hash: String,
    short_hash: String,
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct LedgerPage {
    layout: Layout,
    verified: Result<u64, String>,
    time_zone: String,
    page_size: i64,
    rows: Vec<EntryRow>,
    newer_after: Option<i64>,
    older_before: Option<i64>,
}

/// Shows one page of the ledger, chosen by the `before` or `after` sequence number in the query.
pub(crate) async fn ledger(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    user.require(Permission::ViewLedger)?;
    let start = page_start(&query)?;

    let verified = verify_chain(state.store.ledger_entries().await?).map_err(|error| error.to_string());
    let page = state.store.ledger_page(start, PAGE_SIZE).await?;
    let practice = state
        .store
        .practice()
        .await?
        .ok_or(AppError::NotFound("practice (finish setup first)"))?;
    let display_names: HashMap<String, String> = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|account| (account.id.to_string(), account.display_name))
        .collect();

    let zone = practice.profile.time_zone.zone();
    let rows = page
        .entries
        .iter()
        .map(|stored| entry_row(stored, zone, &display_names, user.role()))
        .collect();

    render(&LedgerPage {
        layout: Layout::signed_in("Evidence ledger", &user, &csrf),
        verified,
        time_zone: practice.profile.time_zone.name().to_owned(),
        page_size: PAGE_SIZE,
        rows,
        newer_after: page.newer_after,
        older_before: page.older_before,
    })
}

/// Reads the page position from the `before` or `after` query parameter.
fn page_start(query: &HashMap<String, String>) -> Result<PageStart, AppError> {
    let before = query.get("before").map(|text| sequence_parameter("before", text)).transpose()?;
    let after = query.get("after").map(|text| sequence_parameter("after", text)).transpose()?;

    match (before, after) {
        (Some(_), Some(_)) => Err(InvalidValue::new(
            "before",
            "give either before or after, not both; use the Older entries or Newer entries link",
        )
        .into()),
        (Some(sequence), None) => Ok(PageStart::Before(sequence)),
        (None, Some(sequence)) => Ok(PageStart::After(sequence)),
        (None, None) => Ok(PageStart::Newest),
    }
}

fn sequence_parameter(name: &'static str, text: &str) -> Result<i64, InvalidValue> {
    match text.trim().parse::<i64>() {
        Ok(sequence) if sequence >= 0 => Ok(sequence),
        _ => Err(InvalidValue::new(
            name,
            format!("{text:?} is not a ledger sequence number; enter a whole number of 0 or more, or open the ledger without it"),
        )),
    }
}

fn entry_row(stored: &StoredEntry, zone: &TimeZone, display_names: &HashMap<String, String>, role: Role) -> EntryRow {
    let entry = &stored.entry;

    // Entries store UTC instants; one that does not parse is shown as stored, not hidden.
    let recorded = match entry.recorded_at.parse::<Timestamp>() {
        Ok(at) => local_time(at, zone),
        Err(_) => entry.recorded_at.clone(),
    };
    let actor = match entry.actor.as_str() {
        "system" => "System".to_owned(),
        id => display_names.get(id).cloned().unwrap_or_else(|| "Unknown account".to_owned()),
    };
    let short_hash = stored.hash.chars().take(SHORT_HASH_LENGTH).collect();

    EntryRow {
        sequence: entry.sequence,
        recorded,
        actor,
        action: action_words(&entry.action),
        record_kind: entry.record_kind.replace('_', " "),
        record_id: entry.record_id.clone(),
        record_link: record_link(&entry.record_kind, &entry.record_id, role),
        hash: stored.hash.clone(),
        short_hash,
    }
}

/// Returns the page of a record when its kind has one and the viewer's role may open it.
fn record_link(record_kind: &str, record_id: &str, role: Role) -> Option<String> {
    let route = match record_kind {
        "risk_analysis" => "/risk/analyses/{id}",
        "risk_entry" => "/risk/entries/{id}",
        "activity_review" => "/activity-review/reviews/{id}",
        "obligation_instance" => "/calendar/items/{id}",
        "asset" => "/inventory/{id}",
        "person" => "/workforce/{id}",
        "designation" => "/program/designation/{id}/memo",
        "ehr_log_source" => "/activity-review/ehr-sources/{id}",
        _ => return None,
    };
    let allowed = match access::rule("GET", route)? {
        Access::Public => true,
        Access::Requires(permission) => role.allows(permission),
    };
    // Store ids are UUIDs. An id with any character other than a letter, digit or hyphen gets
    // no link, so a stored id cannot change the path it is put into.
    let safe_id = !record_id.is_empty() && record_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');

    (allowed && safe_id).then(|| route.replace("{id}", record_id))
}

/// Describes a ledger action in plain words, such as "Risk analysis finalized".
fn action_words(action: &str) -> String {
    let words = match action {
        "practice.created" => "Practice set up",
        "designation.signed" => "Security Official designation signed",
        "account.password_changed" => "Account password changed",
        "account.role_changed" => "Account role changed",
        "account.disabled" => "Account disabled",
        "account.enabled" => "Account enabled",
        "invitation.created" => "Account invitation sent",
        "invitation.cancelled" => "Account invitation cancelled",
        "account.created" => "Account created",
        "person.created" => "Workforce member added",
        "person.updated" => "Workforce member updated",
        "system_account.added" => "System account linked to a workforce member",
        "system_account.removed" => "System account removed from a workforce member",
        "deletion.refused" => "Deletion rejected under the retention hold",
        "asset.created" => "Inventory asset added",
        "asset.updated" => "Inventory asset updated",
        "asset.retired" => "Inventory asset retired",
        "data_flow.created" => "Data flow added",
        "data_flow.ended" => "Data flow ended",
        "risk_analysis.started" => "Risk analysis started",
        "risk_analysis.updated" => "Risk analysis updated",
        "risk_analysis.finalized" => "Risk analysis finalized",
        "risk_entry.added" => "Risk added to an analysis",
        "risk_entry.rated" => "Risk rated",
        "risk_entry.decided" => "Risk decision recorded",
        "plan_item.added" => "Risk-plan item added",
        "plan_item.updated" => "Risk-plan item updated",
        "plan_item.cancelled" => "Risk-plan item cancelled",
        "addressable_decision.signed" => "Addressable specification decision signed",
        "obligation.created" => "Calendar obligation added",
        "obligation.updated" => "Calendar obligation updated",
        "calendar_item.opened" => "Calendar item opened",
        "calendar_item.completed" => "Calendar item completed",
        "calendar.advanced" => "Calendar advanced to new due dates",
        "sanction.recorded" => "Sanction recorded",
        "sanction_level.created" => "Sanction level added",
        "sanction_level.updated" => "Sanction level updated",
        "activity_review.started" => "Activity review started",
        "activity_review.finished" => "Activity review finished",
        "activity_review.failed" => "Activity review failed",
        "activity_review.requeued" => "Stalled activity review queued again",
        "activity_review.signed" => "Activity review signed",
        "review_finding.decided" => "Activity-review finding decided",
        "ehr_log_source.created" => "EHR log source added",
        "ehr_log_source.updated" => "EHR log source updated",
        other => return fallback_words(other),
    };
    words.to_owned()
}

/// Turns an action with no listed wording, such as `addressable.signed`, into "Addressable signed".
fn fallback_words(action: &str) -> String {
    let spaced = action.replace(['.', '_'], " ");
    let mut characters = spaced.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_words_capitalize() {
        assert_eq!(fallback_words("addressable_decision.signed"), "Addressable decision signed");
        assert_eq!(fallback_words(""), "");
    }

    #[test]
    fn record_link_follows_role() {
        let id = "0190f0a4-7c1e-7d3a-9b2c-1a2b3c4d5e6f";
        assert_eq!(
            record_link("risk_analysis", id, Role::Auditor),
            Some(format!("/risk/analyses/{id}"))
        );
        assert_eq!(record_link("calendar", id, Role::SecurityOfficial), None);
        assert_eq!(record_link("risk_analysis", "../x", Role::SecurityOfficial), None);
    }
}
