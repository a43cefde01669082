//! The store conformance suite: every test runs on a fresh SQLite file and, with
//! `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on a fresh PostgreSQL
//! database.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use safeguard_domain::accounts::Role;
use safeguard_domain::addressable::{AddressableDecisionInput, OutcomeKind};
use safeguard_domain::calendar::{CompletionForm, CompletionInput, CompletionKind};
use safeguard_domain::clock::FixedClock;
use safeguard_domain::designation::DesignationInput;
use safeguard_domain::ids::UserId;
use safeguard_domain::ledger::verify_chain;
use safeguard_domain::practice::{OfficeHours, PatientStates, PracticeProfile, PracticeTimeZone};
use safeguard_domain::values::{EmailAddress, Line, Text};
use safeguard_domain::workforce::{PersonInput, RosterRow, SystemAccountInput, parse_roster_csv};
use safeguard_store::evidence::EvidenceFiles;
use safeguard_store::ledger::{Actor, Change, LedgerPage, PageStart};
use safeguard_store::practice::FirstAccount;
use safeguard_store::testing::run_on;
use safeguard_store::{Backend, Store, StoreError};

fn start() -> Timestamp {
    "2026-12-04T15:00:00Z".parse().unwrap()
}

macro_rules! on_both {
    ($name:ident, $test:expr) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                run_on(Backend::Sqlite, start(), $test).await;
            }

            #[tokio::test]
            #[ignore = "needs PostgreSQL: set SAFEGUARD_TEST_POSTGRES_URL"]
            async fn postgres() {
                run_on(Backend::Postgres, start(), $test).await;
            }
        }
    };
}

fn profile() -> PracticeProfile {
    PracticeProfile {
        name: Line::parse("name", "Maple Grove Family Medicine").unwrap(),
        address: Text::parse("address", "12 Elm Street, Springfield, OH").unwrap(),
        time_zone: PracticeTimeZone::parse("America/New_York").unwrap(),
        office_hours: OfficeHours::parse("Mon-Fri 08:00-17:30").unwrap(),
        patient_states: PatientStates::parse("OH, KY").unwrap(),
    }
}

async fn set_up(store: &Store) -> UserId {
    assert!(store.issue_setup_token("token-hash").await.unwrap());
    let first = FirstAccount {
        name: Line::parse("name", "Dana Reyes").unwrap(),
        job_title: Line::parse("job title", "Practice manager").unwrap(),
        email: EmailAddress::parse("email", "dana@example.org").unwrap(),
        password_hash: "$argon2id$stand-in".into(),
    };
    store.complete_setup("token-hash", &profile(), &first).await.unwrap()
}

fn roster_row(name: &str, accounts: &[(&str, &str)]) -> RosterRow {
    RosterRow {
        person: PersonInput::parse(name, "Medical assistant", "clinical", "2024-02-01", "", "active").unwrap(),
        accounts: accounts
            .iter()
            .map(|(system, identifier)| SystemAccountInput::parse(system, identifier).unwrap())
            .collect(),
    }
}

on_both!(
    setup_creates_practice_once,
    |store: Store, _clock: FixedClock, _folder| async move {
        assert!(store.practice().await.unwrap().is_none());

        let user = set_up(&store).await;

        let practice = store.practice().await.unwrap().unwrap();
        assert_eq!(practice.profile.name.as_str(), "Maple Grove Family Medicine");
        assert_eq!(store.user(user).await.unwrap().role, Role::SecurityOfficial);
        assert!(!store.setup_token_is_valid("token-hash").await.unwrap());
        assert!(!store.issue_setup_token("another").await.unwrap());
        assert_eq!(store.obligations().await.unwrap().len(), 9);
    }
);

on_both!(
    used_setup_token_is_refused,
    |store: Store, _clock: FixedClock, _folder| async move {
        set_up(&store).await;

        let again = store
            .complete_setup(
                "token-hash",
                &profile(),
                &FirstAccount {
                    name: Line::parse("name", "Eve").unwrap(),
                    job_title: Line::parse("job title", "Intruder").unwrap(),
                    email: EmailAddress::parse("email", "eve@example.org").unwrap(),
                    password_hash: "x".into(),
                },
            )
            .await;

        assert!(matches!(again, Err(StoreError::NotFound { .. })));
        assert_eq!(store.users().await.unwrap().len(), 1);
    }
);

on_both!(sessions_expire_and_renew, |store: Store, clock: FixedClock, _folder| async move {
    let user = set_up(&store).await;
    store
        .create_session(user, "s1", "csrf1", SignedDuration::from_hours(12), None)
        .await
        .unwrap();

    assert!(store.session("s1", SignedDuration::from_mins(30)).await.unwrap().is_some());
    clock.advance(SignedDuration::from_mins(31));
    assert!(store.session("s1", SignedDuration::from_mins(30)).await.unwrap().is_none());

    store
        .create_session(user, "s2", "csrf2", SignedDuration::from_hours(12), Some("s1"))
        .await
        .unwrap();
    assert_eq!(
        store
            .session("s2", SignedDuration::from_mins(30))
            .await
            .unwrap()
            .unwrap()
            .csrf_token,
        "csrf2"
    );
});

on_both!(
    password_change_ends_other_sessions,
    |store: Store, _clock: FixedClock, _folder| async move {
        let user = set_up(&store).await;
        store
            .create_session(user, "keep", "c1", SignedDuration::from_hours(12), None)
            .await
            .unwrap();
        store
            .create_session(user, "other", "c2", SignedDuration::from_hours(12), None)
            .await
            .unwrap();

        store.change_password(user, "$argon2id$new", "keep").await.unwrap();

        assert!(store.session("keep", SignedDuration::from_mins(30)).await.unwrap().is_some());
        assert!(store.session("other", SignedDuration::from_mins(30)).await.unwrap().is_none());
        assert_eq!(store.password_hash(user).await.unwrap(), "$argon2id$new");
    }
);

on_both!(invitation_is_single_use, |store: Store, _clock: FixedClock, _folder| async move {
    let official = set_up(&store).await;
    let email = EmailAddress::parse("email", "auditor@example.org").unwrap();
    store
        .create_invitation(
            &email,
            "Ann Auditor",
            Role::Auditor,
            official,
            "invite-hash",
            SignedDuration::from_hours(72),
        )
        .await
        .unwrap();

    let user = store.accept_invitation("invite-hash", "$argon2id$a").await.unwrap();

    assert_eq!(store.user(user).await.unwrap().role, Role::Auditor);
    assert!(store.invitation("invite-hash").await.unwrap().is_none());
    assert!(matches!(
        store.accept_invitation("invite-hash", "$argon2id$b").await,
        Err(StoreError::NotFound { .. })
    ));
    let duplicate = store
        .create_invitation(&email, "Again", Role::Staff, official, "h2", SignedDuration::from_hours(72))
        .await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
});

on_both!(
    accounts_can_be_disabled_and_changed,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let email = EmailAddress::parse("email", "mia@example.org").unwrap();
        store
            .create_invitation(&email, "Mia", Role::Manager, official, "mia-hash", SignedDuration::from_hours(72))
            .await
            .unwrap();
        let mia = store.accept_invitation("mia-hash", "$argon2id$m").await.unwrap();
        store
            .create_session(mia, "mia-session", "c", SignedDuration::from_hours(12), None)
            .await
            .unwrap();

        store.change_role(official, mia, Role::Staff).await.unwrap();
        assert_eq!(store.user(mia).await.unwrap().role, Role::Staff);
        assert!(
            store.session("mia-session", SignedDuration::from_mins(30)).await.unwrap().is_none(),
            "a role change ends sessions"
        );

        store.set_account_disabled(official, mia, true).await.unwrap();
        assert!(store.credentials(&email).await.unwrap().is_none());
        store.set_account_disabled(official, mia, false).await.unwrap();
        assert!(store.credentials(&email).await.unwrap().is_some());

        assert!(matches!(
            store.set_account_disabled(official, official, true).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.change_role(official, official, Role::Manager).await,
            Err(StoreError::Conflict(_))
        ));

        let other = EmailAddress::parse("email", "later@example.org").unwrap();
        let invitation = store
            .create_invitation(&other, "Later", Role::Staff, official, "later-hash", SignedDuration::from_hours(72))
            .await
            .unwrap();
        store.cancel_invitation(official, invitation).await.unwrap();
        assert!(store.invitation("later-hash").await.unwrap().is_none());
        assert!(matches!(
            store.cancel_invitation(official, invitation).await,
            Err(StoreError::NotFound { .. })
        ));
    }
);

on_both!(
    failed_sign_ins_are_counted_in_window,
    |store: Store, clock: FixedClock, _folder| async move {
        let keys = vec!["address:127.0.0.1".to_owned(), "account:a".to_owned()];
        let window = SignedDuration::from_mins(15);

        for expected in 1..=3 {
            store.record_failed_sign_in(&keys, window).await.unwrap();
            assert_eq!(store.failed_sign_ins("address:127.0.0.1", window).await.unwrap(), expected);
        }
        assert_eq!(store.failed_sign_ins("account:a", window).await.unwrap(), 3);
        assert_eq!(store.failed_sign_ins("account:b", window).await.unwrap(), 0);
        clock.advance(SignedDuration::from_mins(16));

        assert_eq!(store.failed_sign_ins("address:127.0.0.1", window).await.unwrap(), 0);
    }
);

on_both!(
    roster_import_is_all_or_nothing,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let rows = vec![
            roster_row("Ana Lopez", &[("EHR", "alopez")]),
            roster_row("Ben Ortiz", &[("EHR", "ALOPEZ")]),
        ];

        let error = store.import_roster(official, &rows).await.unwrap_err();

        assert!(matches!(error, StoreError::Conflict(_)), "{error}");
        assert_eq!(store.people().await.unwrap().len(), 1, "only the Security Official remains");
    }
);

on_both!(
    roster_reimport_changes_nothing,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let text = "name,job_title,practice_role,start_date,end_date,status,accounts\nAna Lopez,MA,clinical,2024-02-01,,active,EHR=alopez;Windows=CLINIC\\alopez\n";
        let rows = parse_roster_csv(text.as_bytes()).unwrap();

        assert_eq!(store.import_roster(official, &rows).await.unwrap(), (1, 0));
        let entries_before = store.ledger_entries().await.unwrap().len();
        assert_eq!(
            store.import_roster(official, &rows).await.unwrap(),
            (0, 0),
            "an unchanged row updates nothing"
        );
        assert_eq!(store.ledger_entries().await.unwrap().len(), entries_before, "and records nothing");

        let people = store.people().await.unwrap();
        let ana = people.iter().find(|person| person.name == "Ana Lopez").unwrap();
        assert_eq!(ana.accounts.len(), 2);
    }
);

on_both!(
    removed_account_can_be_reassigned,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let ana = store
            .create_person(official, &roster_row("Ana Lopez", &[("EHR", "shared1")]))
            .await
            .unwrap();
        let ben = store.create_person(official, &roster_row("Ben Ortiz", &[])).await.unwrap();
        let account = SystemAccountInput::parse("EHR", "shared1").unwrap();

        assert!(matches!(
            store.add_system_account(official, ben, &account).await,
            Err(StoreError::Conflict(_))
        ));
        let held = store.person(ana).await.unwrap().accounts[0].id;
        store.remove_system_account(official, ana, held).await.unwrap();
        store.add_system_account(official, ben, &account).await.unwrap();

        assert!(store.person(ana).await.unwrap().accounts.is_empty());
        assert_eq!(store.person(ben).await.unwrap().accounts.len(), 1);
    }
);

on_both!(
    person_deletion_is_refused_and_recorded,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let ana = store.create_person(official, &roster_row("Ana Lopez", &[])).await.unwrap();

        let error = store.delete_person(official, ana).await.unwrap_err();

        assert!(matches!(error, StoreError::RetentionHold { deletable_from: None, .. }));
        assert!(store.person(ana).await.is_ok());
        let last = &store.recent_ledger_entries(1).await.unwrap()[0];
        assert_eq!(last.entry.action, "deletion.refused");
    }
);

/// Appends `count` entries with no other rows, so the ledger contains sequence numbers 1 to `count`.
async fn append_events(store: &Store, count: i64) {
    for index in 1..=count {
        let change = Change {
            action: "calendar.advanced",
            record_kind: "calendar",
            record_id: format!("test-{index}"),
            payload: serde_json::json!({ "index": index }),
        };
        store.record_event(&Actor::System, change).await.unwrap();
    }
}

fn sequences(page: &LedgerPage) -> Vec<i64> {
    page.entries.iter().map(|stored| stored.entry.sequence).collect()
}

on_both!(
    ledger_pages_walk_back_and_forward,
    |store: Store, _clock: FixedClock, _folder| async move {
        append_events(&store, 7).await;

        let newest = store.ledger_page(PageStart::Newest, 3).await.unwrap();
        assert_eq!(sequences(&newest), vec![7, 6, 5]);
        assert_eq!(newest.newer_after, None);
        assert_eq!(newest.older_before, Some(5));

        let middle = store.ledger_page(PageStart::Before(5), 3).await.unwrap();
        assert_eq!(sequences(&middle), vec![4, 3, 2]);
        assert_eq!(middle.newer_after, Some(4));
        assert_eq!(middle.older_before, Some(2));

        let oldest = store.ledger_page(PageStart::Before(2), 3).await.unwrap();
        assert_eq!(sequences(&oldest), vec![1]);
        assert_eq!(oldest.newer_after, Some(1));
        assert_eq!(oldest.older_before, None);

        let back_to_middle = store.ledger_page(PageStart::After(1), 3).await.unwrap();
        assert_eq!(sequences(&back_to_middle), vec![4, 3, 2]);
        assert_eq!(back_to_middle.newer_after, Some(4));
        assert_eq!(back_to_middle.older_before, Some(2));

        let back_to_newest = store.ledger_page(PageStart::After(4), 3).await.unwrap();
        assert_eq!(sequences(&back_to_newest), vec![7, 6, 5]);
        assert_eq!(back_to_newest.newer_after, None);
        assert_eq!(back_to_newest.older_before, Some(5));
    }
);

on_both!(
    ledger_page_keys_survive_new_entries,
    |store: Store, _clock: FixedClock, _folder| async move {
        append_events(&store, 4).await;
        let newest = store.ledger_page(PageStart::Newest, 2).await.unwrap();
        assert_eq!(newest.older_before, Some(3));

        // Entries appended after the first page was read do not shift the older page.
        append_events(&store, 2).await;
        let older = store.ledger_page(PageStart::Before(3), 2).await.unwrap();
        assert_eq!(sequences(&older), vec![2, 1]);
        assert_eq!(older.newer_after, Some(2));

        let newer = store.ledger_page(PageStart::After(4), 2).await.unwrap();
        assert_eq!(sequences(&newer), vec![6, 5]);
        assert_eq!(newer.newer_after, None);
        assert_eq!(newer.older_before, Some(5));
    }
);

on_both!(
    ledger_page_past_either_end_is_empty,
    |store: Store, _clock: FixedClock, _folder| async move {
        let empty = store.ledger_page(PageStart::Newest, 3).await.unwrap();
        assert!(empty.entries.is_empty());
        assert_eq!((empty.newer_after, empty.older_before), (None, None));

        append_events(&store, 3).await;

        let before_first = store.ledger_page(PageStart::Before(1), 3).await.unwrap();
        assert!(before_first.entries.is_empty());
        assert_eq!(before_first.newer_after, Some(0));
        assert_eq!(before_first.older_before, None);

        let after_last = store.ledger_page(PageStart::After(3), 3).await.unwrap();
        assert!(after_last.entries.is_empty());
        assert_eq!(after_last.newer_after, None);
        assert_eq!(after_last.older_before, Some(4));
    }
);

on_both!(
    new_designation_supersedes_old,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let person = store.user(official).await.unwrap().person_id.unwrap();
        let first = DesignationInput::parse(&[0, 1], "", "SO alone", "SO alone", "2026-01-05", "Dana Reyes").unwrap();
        let second = DesignationInput::parse(&[0], "", "SO alone", "SO alone", "2026-06-01", "Dana Reyes").unwrap();

        let first_id = store.sign_designation(official, person, &first).await.unwrap();
        let second_id = store.sign_designation(official, person, &second).await.unwrap();

        assert_eq!(store.current_designation().await.unwrap().unwrap().id, second_id);
        let old = store.designation(first_id).await.unwrap();
        assert_eq!(old.superseded_on, Some(date(2026, 5, 31)));
        assert_eq!(store.designations().await.unwrap().len(), 2);
        let backdated = DesignationInput::parse(&[0], "", "x", "y", "2026-03-01", "Dana Reyes").unwrap();
        assert!(matches!(
            store.sign_designation(official, person, &backdated).await,
            Err(StoreError::Conflict(_))
        ));
    }
);

on_both!(
    addressable_decisions_keep_versions,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let citation = "164.308(a)(5)(ii)(A)";
        let first = AddressableDecisionInput::parse("implemented", "Monthly e-mail tips", "", "", "", "2026-01-10", "Dana Reyes").unwrap();
        let second = AddressableDecisionInput::parse(
            "alternative",
            "",
            "Posters in the break room",
            "E-mail reaches only half the staff",
            "",
            "2026-06-10",
            "Dana Reyes",
        )
        .unwrap();

        store.sign_addressable_decision(official, citation, &first).await.unwrap();
        store.sign_addressable_decision(official, citation, &second).await.unwrap();

        let history = store.addressable_history(citation).await.unwrap();
        assert_eq!(history.iter().map(|decision| decision.version).collect::<Vec<_>>(), [2, 1]);
        let latest = store.latest_addressable_decisions().await.unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].outcome, OutcomeKind::Alternative);
        assert_eq!(latest[0].detail_text("measure"), "Posters in the break room");
    }
);

on_both!(
    calendar_advance_is_idempotent,
    |store: Store, _clock: FixedClock, _folder| async move {
        set_up(&store).await;
        let today = date(2026, 12, 4);

        let created = store.advance_calendar(today).await.unwrap();
        let again = store.advance_calendar(today).await.unwrap();

        assert_eq!(created, 9);
        assert_eq!(again, 0);
        let later = store.advance_calendar(date(2027, 1, 2)).await.unwrap();
        assert_eq!(later, 6, "two monthly and four quarterly obligations start a new period in January");
    }
);

on_both!(
    completion_records_evidence_once,
    |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
        let official = set_up(&store).await;
        store.advance_calendar(date(2026, 12, 4)).await.unwrap();
        let instance = store
            .instances(false)
            .await
            .unwrap()
            .into_iter()
            .find(|instance| instance.obligation.title.contains("restore"))
            .unwrap();
        let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
        let stored = files.write(b"restore took 42 minutes", "restore.txt", "text/plain").unwrap();
        let form = CompletionForm {
            notes: "Restored the file server share".to_owned(),
            ..CompletionForm::default()
        };
        let input = CompletionInput::parse(
            CompletionKind::Standard,
            &form,
            true,
            instance.starts_on,
            instance.due_on,
            date(2026, 12, 4),
        )
        .unwrap();

        store
            .complete_instance(official, instance.id, date(2026, 12, 4), &input, std::slice::from_ref(&stored))
            .await
            .unwrap();

        let done = store.instance(instance.id).await.unwrap();
        assert_eq!(done.completed_on, Some(date(2026, 12, 4)));
        assert_eq!(done.evidence[0].sha256, stored.sha256);
        let twice = store.complete_instance(official, instance.id, date(2026, 12, 4), &input, &[]).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))));
        assert!(matches!(
            store.delete_evidence(official, &stored.sha256).await,
            Err(StoreError::RetentionHold { .. })
        ));
    }
);

on_both!(
    program_facts_follow_records,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        store.advance_calendar(date(2026, 12, 4)).await.unwrap();

        let facts = store.program_facts().await.unwrap();

        assert_eq!(facts.obligations.len(), 9);
        assert!(facts.obligations.iter().all(|obligation| obligation.instances.len() == 1));
        assert!(!facts.designation_in_effect);
        let person = store.user(official).await.unwrap().person_id.unwrap();
        let designation = DesignationInput::parse(&[0], "", "x", "y", "2026-12-01", "Dana Reyes").unwrap();
        store.sign_designation(official, person, &designation).await.unwrap();
        assert!(store.program_facts().await.unwrap().designation_in_effect);
    }
);

on_both!(
    ledger_chain_verifies_and_detects_tampering,
    |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        store
            .create_person(official, &roster_row("Ana Lopez", &[("EHR", "alopez")]))
            .await
            .unwrap();
        store.advance_calendar(date(2026, 12, 4)).await.unwrap();

        let entries = store.ledger_entries().await.unwrap();
        let count = entries.len() as u64;
        assert_eq!(verify_chain(entries.clone()), Ok(count));

        let mut altered = entries;
        altered[1].entry.payload = serde_json::json!({"role": "auditor"});
        assert!(verify_chain(altered).is_err());
    }
);

#[test]
fn migrations_exist_for_both_databases() {
    let names = |folder: &str| {
        let mut names: Vec<String> = std::fs::read_dir(format!("{}/migrations/{folder}", env!("CARGO_MANIFEST_DIR")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    assert_eq!(names("sqlite"), names("postgres"));
}

on_both!(
    sanction_levels_start_with_defaults_and_change,
    |store: Store, _clock: FixedClock, _folder| async move {
        use safeguard_domain::sanctions::SanctionLevelInput;

        let official = set_up(&store).await;
        let names: Vec<String> = store.sanction_levels().await.unwrap().into_iter().map(|level| level.name).collect();
        assert_eq!(
            names,
            [
                "Verbal warning",
                "Written warning",
                "Retraining",
                "Suspension of access",
                "Termination"
            ]
        );

        let final_warning = SanctionLevelInput::parse("Final written warning", "Last warning before suspension", "3").unwrap();
        let added = store.create_sanction_level(official, &final_warning).await.unwrap();
        let duplicate = SanctionLevelInput::parse("verbal WARNING", "", "1").unwrap();
        let refused = store.create_sanction_level(official, &duplicate).await.unwrap_err();
        assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");

        let duplicate_free = || SanctionLevelInput::parse("Counselling", "", "2").unwrap();
        let verbal = store.sanction_levels().await.unwrap()[0].id;
        let renamed = SanctionLevelInput::parse("Documented verbal warning", "", "1").unwrap();
        store.update_sanction_level(official, verbal, &renamed, false).await.unwrap();
        let same_name = store.update_sanction_level(official, added, &renamed, true).await.unwrap_err();
        assert!(matches!(same_name, StoreError::Conflict(_)), "{same_name:?}");
        let missing = store
            .update_sanction_level(official, safeguard_domain::ids::SanctionLevelId::new(), &duplicate_free(), true)
            .await
            .unwrap_err();
        assert!(matches!(missing, StoreError::NotFound { .. }), "{missing:?}");

        let levels = store.sanction_levels().await.unwrap();
        assert_eq!(levels.len(), 6);
        assert_eq!(levels[1].name, "Final written warning", "ordered by severity, then name");
        let last = levels.last().unwrap();
        assert_eq!(last.name, "Documented verbal warning", "retired levels come last");
        assert!(!last.active);

        let actions: Vec<String> = store
            .ledger_entries()
            .await
            .unwrap()
            .into_iter()
            .map(|stored| stored.entry.action)
            .collect();
        assert!(actions.contains(&"sanction_level.created".to_owned()));
        assert!(actions.contains(&"sanction_level.updated".to_owned()));
    }
);

on_both!(
    sanctions_are_recorded_once_with_digest,
    |store: Store, _clock: FixedClock, _folder| async move {
        use safeguard_domain::sanctions::{SanctionInput, SanctionLevelInput};

        let official = set_up(&store).await;
        let person = store
            .create_person(official, &roster_row("Ana Lopez", &[("EHR", "alopez")]))
            .await
            .unwrap();
        let levels = store.sanction_levels().await.unwrap();
        let written = levels.iter().find(|level| level.name == "Written warning").unwrap().clone();
        let input = |level: &str, person: &str| {
            SanctionInput::parse(
                person,
                "Looked up a neighbour's chart without a work reason",
                "Minimum necessary access policy",
                level,
                "2026-12-03",
                "Dana Reyes, Security Official",
                date(2026, 12, 4),
            )
            .unwrap()
        };

        let id = store
            .record_sanction(official, &input(&written.id.to_string(), &person.to_string()))
            .await
            .unwrap();

        // Renaming the level later does not change the record.
        let renamed = SanctionLevelInput::parse("Formal written warning", "", "2").unwrap();
        store.update_sanction_level(official, written.id, &renamed, false).await.unwrap();
        let records = store.sanctions().await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].id, id);
        assert_eq!(records[0].person_name, "Ana Lopez");
        assert_eq!(records[0].level_name, "Written warning");
        assert_eq!(records[0].applied_on, date(2026, 12, 3));
        assert_eq!(records[0].recorded_by_name, "Dana Reyes");

        let retired = store
            .record_sanction(official, &input(&written.id.to_string(), &person.to_string()))
            .await
            .unwrap_err();
        assert!(matches!(retired, StoreError::Conflict(_)), "{retired:?}");
        let unknown_person = store
            .record_sanction(
                official,
                &input(&levels[0].id.to_string(), &safeguard_domain::ids::PersonId::new().to_string()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(unknown_person, StoreError::NotFound { kind: "person" }),
            "{unknown_person:?}"
        );
        assert_eq!(store.sanctions().await.unwrap().len(), 1, "refused records write nothing");

        // The ledger proves the record without showing its content to auditors.
        let entries = store.ledger_entries().await.unwrap();
        let recorded = entries.iter().find(|stored| stored.entry.action == "sanction.recorded").unwrap();
        assert_eq!(recorded.entry.record_id, id.to_string());
        let payload = recorded.entry.payload.to_string();
        assert!(payload.contains("content_sha256"));
        assert!(!payload.contains("Ana Lopez"));
        assert!(!payload.contains("neighbour"));
        let count = entries.len() as u64;
        assert_eq!(verify_chain(entries), Ok(count));
    }
);

on_both!(
    review_schedule_entries_are_obligations,
    |store: Store, _clock: FixedClock, _folder| async move {
        use safeguard_domain::review_schedule::{ACTIVITY_REVIEW_CITATION, ReviewScheduleInput};

        let official = set_up(&store).await;
        let input = ReviewScheduleInput::parse("EHR access log", "", "monthly", "2026-12-01").unwrap();

        store.schedule_activity_review(official, &input, official).await.unwrap();
        let unknown_owner = store.schedule_activity_review(official, &input, UserId::new()).await.unwrap_err();
        assert!(matches!(unknown_owner, StoreError::NotFound { .. }), "{unknown_owner:?}");

        let schedule = store.review_schedule().await.unwrap();
        assert_eq!(schedule.len(), 1);
        assert_eq!(schedule[0].reviewed_system.as_deref(), Some("EHR access log"));
        assert_eq!(schedule[0].citation, ACTIVITY_REVIEW_CITATION);
        assert_eq!(schedule[0].owner, Some(official));
        let obligations = store.obligations().await.unwrap();
        assert_eq!(obligations.len(), 10);
        assert_eq!(
            obligations.iter().filter(|obligation| obligation.reviewed_system.is_none()).count(),
            9,
            "default obligations name no reviewed system"
        );

        store.advance_calendar(date(2026, 12, 4)).await.unwrap();
        let facts = store.program_facts().await.unwrap();
        let review = facts
            .obligations
            .iter()
            .find(|obligation| obligation.citation == ACTIVITY_REVIEW_CITATION)
            .unwrap();
        assert_eq!(review.instances.len(), 1);
        assert_eq!(review.instances[0].due_on, date(2026, 12, 31));
        let entries = store.ledger_entries().await.unwrap();
        let created = entries.iter().rfind(|stored| stored.entry.action == "obligation.created").unwrap();
        assert_eq!(created.entry.payload["reviewed_system"], "EHR access log");
    }
);

mod inventory_store {
    use safeguard_domain::ids::AssetId;
    use safeguard_domain::inventory::csv::parse_asset_csv;
    use safeguard_domain::inventory::{AssetFields, AssetInput, DataFlowInput, RetirementInput};

    use super::*;

    fn asset(name: &str, kind: &str) -> AssetInput {
        AssetInput::parse(&AssetFields {
            name: name.into(),
            kind: kind.into(),
            owner: "Dana Reyes".into(),
            location: "Front desk".into(),
            ephi: "Schedules and charts".into(),
            ephi_handling: "store;process".into(),
            record_count: "4000".into(),
            encryption_at_rest: "yes".into(),
            encryption_in_transit: "yes".into(),
            sign_in: "password".into(),
            backup: "yes".into(),
            criticality: "high".into(),
            vendor: String::new(),
        })
        .unwrap()
    }

    fn flow(from: AssetId, to: &str) -> DataFlowInput<AssetId> {
        DataFlowInput::parse(&from.to_string(), "", "", to, "Claims", "SFTP", "yes").unwrap()
    }

    on_both!(
        overdue_risk_update_counts_in_facts,
        |store: Store, _clock: FixedClock, _folder| async move {
            let official = set_up(&store).await;
            let (_, update) = store.create_asset(official, &asset("EHR", "ehr"), date(2026, 12, 4)).await.unwrap();

            let facts = store.program_facts().await.unwrap();
            let stopped = facts
                .obligations
                .iter()
                .find(|obligation| obligation.instances.iter().any(|instance| instance.id == update.instance))
                .unwrap();
            assert!(!stopped.recurring);

            let later = safeguard_domain::compliance::assess(&facts, date(2027, 1, 10));
            let analysis = later
                .iter()
                .flat_map(|standard| &standard.specifications)
                .find(|item| item.citation == "164.308(a)(1)(ii)(A)")
                .unwrap();
            assert_eq!(analysis.status, safeguard_domain::compliance::Status::Overdue);
        }
    );

    on_both!(inventory_asset_lifecycle, |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let today = date(2026, 12, 4);

        let (ehr, first) = store.create_asset(official, &asset("EHR", "ehr"), today).await.unwrap();
        assert!(first.opened);
        assert_eq!(first.due_on, date(2027, 1, 3));
        let (laptop, second) = store.create_asset(official, &asset("Laptop 1", "laptop"), today).await.unwrap();
        assert!(!second.opened, "an open update covers later assets too");
        assert_eq!(second.instance, first.instance);

        let item = store.instance(first.instance).await.unwrap();
        assert_eq!(item.obligation.citation, "164.308(a)(1)(ii)(A)");
        assert!(!item.obligation.active, "the update obligation never recurs");
        assert_eq!(item.starts_on, today);
        store.advance_calendar(date(2027, 6, 1)).await.unwrap();
        let updates = store
            .instances(true)
            .await
            .unwrap()
            .into_iter()
            .filter(|instance| instance.obligation.id == item.obligation.id)
            .count();
        assert_eq!(updates, 1, "the calendar job adds no periods to the update obligation");

        let duplicate = store.create_asset(official, &asset("ehr", "ehr"), today).await.unwrap_err();
        assert!(matches!(duplicate, StoreError::Conflict(_)), "{duplicate:?}");
        let renamed = store
            .update_asset(official, laptop, &asset("Ehr", "laptop"), today)
            .await
            .unwrap_err();
        assert!(matches!(renamed, StoreError::Conflict(_)), "{renamed:?}");
        store
            .update_asset(official, laptop, &asset("Laptop 2", "laptop"), today)
            .await
            .unwrap();
        assert_eq!(store.asset(laptop).await.unwrap().details.name.as_str(), "Laptop 2");

        let flow_id = store.create_data_flow(official, &flow(laptop, "Billing service")).await.unwrap();
        let retirement = RetirementInput::parse("2026-12-03", "Stolen; reported as an incident", today).unwrap();
        store.retire_asset(official, laptop, &retirement).await.unwrap();

        let retired = store.asset(laptop).await.unwrap();
        assert!(!retired.in_service());
        assert_eq!(retired.retired_on, Some(date(2026, 12, 3)));
        assert_eq!(retired.retired_reason.as_deref(), Some("Stolen; reported as an incident"));
        let flows = store.data_flows().await.unwrap();
        assert_eq!(flows[0].id, flow_id);
        assert_eq!(flows[0].ended_on, Some(date(2026, 12, 3)), "retiring ends the asset's flows");
        assert!(matches!(
            store.update_asset(official, laptop, &asset("Laptop 2", "laptop"), today).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.retire_asset(official, laptop, &retirement).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            store.create_data_flow(official, &flow(laptop, "Lab")).await,
            Err(StoreError::Conflict(_))
        ));
        let all = store.assets().await.unwrap();
        assert_eq!(
            all.iter().map(|asset| asset.id).collect::<Vec<_>>(),
            [ehr, laptop],
            "retired assets are kept, last"
        );

        let entries = store.ledger_entries().await.unwrap();
        let actions: Vec<&str> = entries.iter().map(|stored| stored.entry.action.as_str()).collect();
        for action in [
            "asset.created",
            "calendar_item.opened",
            "asset.updated",
            "data_flow.created",
            "asset.retired",
        ] {
            assert!(actions.contains(&action), "{action} missing from the ledger");
        }
        assert!(verify_chain(entries).is_ok());
    });

    on_both!(
        inventory_update_reopens_after_completion,
        |store: Store, _clock: FixedClock, _folder| async move {
            let official = set_up(&store).await;
            let today = date(2026, 12, 4);
            let (_, first) = store.create_asset(official, &asset("EHR", "ehr"), today).await.unwrap();
            let form = CompletionForm {
                notes: "Assessed the EHR".to_owned(),
                ..CompletionForm::default()
            };
            let completion = CompletionInput::parse(CompletionKind::Standard, &form, false, today, today, today).unwrap();
            store
                .complete_instance(official, first.instance, today, &completion, &[])
                .await
                .unwrap();

            let (_, second) = store
                .create_asset(official, &asset("Fax", "efax"), date(2026, 12, 10))
                .await
                .unwrap();

            assert!(second.opened);
            assert_ne!(second.instance, first.instance);
            assert_eq!(second.due_on, date(2027, 1, 9));
        }
    );

    on_both!(inventory_flows_and_ending, |store: Store, _clock: FixedClock, _folder| async move {
        let official = set_up(&store).await;
        let today = date(2026, 12, 4);
        let (ehr, _) = store.create_asset(official, &asset("EHR", "ehr"), today).await.unwrap();
        let (pc, _) = store
            .create_asset(official, &asset("Front desk PC", "workstation"), today)
            .await
            .unwrap();

        let inside = DataFlowInput::parse(&pc.to_string(), "", &ehr.to_string(), "", "Visit notes", "HTTPS", "no").unwrap();
        let inside = store.create_data_flow(official, &inside).await.unwrap();
        store.create_data_flow(official, &flow(ehr, "Clearinghouse")).await.unwrap();
        let unknown = DataFlowInput::parse(&AssetId::new().to_string(), "", "", "Lab", "Orders", "HL7", "yes").unwrap();
        assert!(matches!(
            store.create_data_flow(official, &unknown).await,
            Err(StoreError::NotFound { .. })
        ));

        let flows = store.data_flows().await.unwrap();
        assert_eq!(flows.len(), 2);
        let outside = flows.iter().find(|flow| flow.to.asset.is_none()).unwrap();
        assert_eq!(outside.from.name, "EHR");
        assert_eq!(outside.to.name, "Clearinghouse");
        let internal = flows.iter().find(|flow| flow.id == inside).unwrap();
        assert_eq!(internal.from.asset, Some(pc));
        assert_eq!(internal.to.name, "EHR");

        store.end_data_flow(official, inside, today).await.unwrap();
        assert!(matches!(
            store.end_data_flow(official, inside, today).await,
            Err(StoreError::Conflict(_))
        ));
        let flows = store.data_flows().await.unwrap();
        assert_eq!(flows.last().unwrap().ended_on, Some(today), "ended flows are kept, last");
    });

    const HEADER: &str = "name,kind,owner,location,ephi,ephi_handling,record_count,encryption_at_rest,encryption_in_transit,sign_in,backup,criticality,vendor,retired_on,retired_reason\n";

    on_both!(
        inventory_import_applies_all_or_nothing,
        |store: Store, _clock: FixedClock, _folder| async move {
            let official = set_up(&store).await;
            let today = date(2026, 12, 4);
            let (pc, _) = store
                .create_asset(official, &asset("Front desk PC", "workstation"), today)
                .await
                .unwrap();
            let text = format!(
                "{HEADER}EHR,ehr,Dana,Cloud,Charts,store;process;transmit,12000,yes,yes,mfa,not_applicable,high,,,\n\
                 Front desk PC,workstation,Dana,Front desk,Schedules and charts,store;process,4000,yes,yes,password,yes,high,,2026-12-01,Replaced\n\
                 Old server,server,Dana,Closet,Charts,store,,no,no,password,no,medium,,2025-06-30,Wiped by vendor\n"
            );
            let rows = parse_asset_csv(text.as_bytes(), today).unwrap();

            let summary = store.import_assets(official, &rows, today).await.unwrap();
            assert_eq!((summary.added, summary.updated, summary.retired, summary.unchanged), (2, 0, 1, 0));
            assert!(summary.risk_update.is_some());
            assert!(!store.asset(pc).await.unwrap().in_service());

            let again = store.import_assets(official, &rows, today).await.unwrap();
            assert_eq!((again.added, again.updated, again.retired, again.unchanged), (0, 0, 0, 3));
            assert_eq!(again.risk_update, None);

            let changed = format!("{HEADER}EHR,ehr,Dana,Cloud,Charts,store;process;transmit,15000,yes,yes,mfa,not_applicable,high,,,\n");
            let changed = store
                .import_assets(official, &parse_asset_csv(changed.as_bytes(), today).unwrap(), today)
                .await
                .unwrap();
            assert_eq!(changed.updated, 1);

            // Two rows with one name pass only when each is checked alone; the store refuses the
            // second and none of the file is kept.
            let before = store.ledger_entries().await.unwrap().len();
            let clash = [
                rows[0].clone(),
                safeguard_domain::inventory::csv::AssetCsvRow {
                    asset: asset("Fax", "efax"),
                    retired: None,
                },
                safeguard_domain::inventory::csv::AssetCsvRow {
                    asset: asset("FAX", "efax"),
                    retired: None,
                },
            ];
            let refused = store.import_assets(official, &clash, today).await.unwrap_err();
            assert!(matches!(refused, StoreError::Conflict(_)), "{refused:?}");
            assert!(
                store
                    .assets()
                    .await
                    .unwrap()
                    .iter()
                    .all(|asset| asset.details.name.as_str() != "Fax")
            );
            assert_eq!(store.ledger_entries().await.unwrap().len(), before);
        }
    );
}

fn risk_analysis_input(title: &str) -> safeguard_domain::risk::AnalysisInput {
    safeguard_domain::risk::AnalysisInput::parse(
        title,
        "2026-12-04",
        "Every system, device and vendor that holds or moves ePHI",
        safeguard_domain::risk::DEFAULT_METHOD,
        "Dana Reyes (Security Official); Dr. Sam Okafor (owner physician)",
    )
    .unwrap()
}

fn risk_entry_input(asset: &str, threat: &str, likelihood: &str, impact: &str) -> safeguard_domain::risk::EntryInput {
    safeguard_domain::risk::EntryInput::parse(
        asset,
        threat,
        "No offline backup",
        "Antivirus on every workstation",
        likelihood,
        impact,
    )
    .unwrap()
}

fn risk_decision(treatment: &str) -> safeguard_domain::risk::DecisionInput {
    safeguard_domain::risk::DecisionInput::parse(
        safeguard_domain::risk::DecisionForm {
            treatment,
            decided_on: "2026-12-04",
            residual_level: "low",
            rationale: "Replacing the device costs more than the risk it carries",
            official_signature: "Dana Reyes",
            leadership_name: "Dr. Sam Okafor",
            leadership_title: "Owner physician",
            leadership_signature: "Dr. Sam Okafor",
        },
        "Dana Reyes",
    )
    .unwrap()
}

on_both!(
    risk_entries_compute_level_and_refuse_duplicates,
    |store: Store, _clock: FixedClock, _folder| async move {
        use safeguard_domain::risk::Level;

        let user = set_up(&store).await;
        let analysis = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
            .await
            .unwrap();

        let entry = store
            .add_risk_entry(user, analysis, None, &risk_entry_input("EHR", "ransomware", "high", "very_high"))
            .await
            .unwrap();
        let duplicate = store
            .add_risk_entry(user, analysis, None, &risk_entry_input("ehr", "ransomware", "low", "low"))
            .await;

        let stored = store.risk_entry(entry).await.unwrap();
        assert_eq!(stored.level, Level::VeryHigh);
        assert_eq!(stored.threat_name, "Ransomware");
        assert!(stored.decision.is_none());
        assert!(matches!(duplicate, Err(StoreError::Conflict(_))));
        assert_eq!(store.risk_entries(analysis).await.unwrap().len(), 1);
        assert_eq!(store.risk_analyses().await.unwrap()[0].version, 1);
    }
);

on_both!(
    risk_rating_change_clears_decision,
    |store: Store, _clock: FixedClock, _folder| async move {
        let user = set_up(&store).await;
        let analysis = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
            .await
            .unwrap();
        let entry = store
            .add_risk_entry(
                user,
                analysis,
                None,
                &risk_entry_input("Front-desk laptop", "equipment-loss-theft", "moderate", "high"),
            )
            .await
            .unwrap();
        store.decide_risk(user, entry, &risk_decision("accept")).await.unwrap();

        let decided = store.risk_entry(entry).await.unwrap().decision.unwrap();
        assert_eq!(decided.treatment, safeguard_domain::risk::Treatment::Accept);
        assert_eq!(decided.decided_by_name, "Dana Reyes");
        assert_eq!(decided.leadership.unwrap().0, "Dr. Sam Okafor");

        store
            .rate_risk_entry(
                user,
                entry,
                &risk_entry_input("Front-desk laptop", "equipment-loss-theft", "moderate", "high"),
            )
            .await
            .unwrap();
        assert!(
            store.risk_entry(entry).await.unwrap().decision.is_some(),
            "same level keeps the decision"
        );

        store
            .rate_risk_entry(
                user,
                entry,
                &risk_entry_input("Front-desk laptop", "equipment-loss-theft", "very_high", "high"),
            )
            .await
            .unwrap();
        assert!(
            store.risk_entry(entry).await.unwrap().decision.is_none(),
            "a new level needs a new decision"
        );
    }
);

on_both!(
    finalized_risk_analysis_is_immutable,
    |store: Store, _clock: FixedClock, _folder| async move {
        let user = set_up(&store).await;
        store.advance_calendar(date(2026, 12, 4)).await.unwrap();
        let analysis = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
            .await
            .unwrap();
        let entry = store
            .add_risk_entry(user, analysis, None, &risk_entry_input("EHR", "ransomware", "high", "very_high"))
            .await
            .unwrap();

        let undecided = store.finalize_risk_analysis(user, analysis, date(2026, 12, 4)).await;
        assert!(
            matches!(undecided, Err(StoreError::Conflict(_))),
            "undecided risks block finalizing"
        );
        assert_eq!(store.program_facts().await.unwrap().undecided_risks, 1);

        store.decide_risk(user, entry, &risk_decision("mitigate")).await.unwrap();
        store.finalize_risk_analysis(user, analysis, date(2026, 12, 4)).await.unwrap();

        let finalized = store.risk_analysis(analysis).await.unwrap();
        assert!(finalized.is_final());
        assert_eq!(finalized.finalized_by_name.as_deref(), Some("Dana Reyes"));
        let refusals = [
            store.update_risk_analysis(user, analysis, &risk_analysis_input("Changed")).await,
            store
                .add_risk_entry(
                    user,
                    analysis,
                    None,
                    &risk_entry_input("Fax", "misdirected-communication", "low", "low"),
                )
                .await
                .map(|_| ()),
            store
                .rate_risk_entry(user, entry, &risk_entry_input("EHR", "ransomware", "low", "low"))
                .await,
            store.decide_risk(user, entry, &risk_decision("accept")).await,
            store.finalize_risk_analysis(user, analysis, date(2026, 12, 4)).await,
        ];
        for (index, refusal) in refusals.into_iter().enumerate() {
            assert!(matches!(refusal, Err(StoreError::Conflict(_))), "write {index} must be refused");
        }
        assert_eq!(store.risk_analysis(analysis).await.unwrap().title, "Risk analysis 2026");

        let entries = store.ledger_entries().await.unwrap();
        let finalized_entry = entries
            .iter()
            .find(|stored| stored.entry.action == "risk_analysis.finalized")
            .unwrap();
        assert_eq!(finalized_entry.entry.payload["entries"][0]["risk_level"], "very_high");
        verify_chain(entries).unwrap();

        let facts = store.program_facts().await.unwrap();
        assert_eq!(facts.latest_finalized_risk_analysis, Some(date(2026, 12, 4)));
        assert_eq!(facts.undecided_risks, 0);
        let review = facts
            .obligations
            .iter()
            .find(|obligation| obligation.citation == "164.308(a)(1)(ii)(A)")
            .unwrap();
        assert_eq!(review.instances.last().unwrap().completed_on, Some(date(2026, 12, 4)));
    }
);

on_both!(
    next_risk_analysis_starts_as_copy,
    |store: Store, _clock: FixedClock, _folder| async move {
        let user = set_up(&store).await;
        let first = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
            .await
            .unwrap();
        let entry = store
            .add_risk_entry(user, first, None, &risk_entry_input("EHR", "ransomware", "high", "very_high"))
            .await
            .unwrap();
        store.decide_risk(user, entry, &risk_decision("mitigate")).await.unwrap();

        let while_draft = store.start_risk_analysis(user, &risk_analysis_input("Too early")).await;
        assert!(matches!(while_draft, Err(StoreError::Conflict(_))), "only one draft at a time");

        store.finalize_risk_analysis(user, first, date(2026, 12, 4)).await.unwrap();
        let second = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2027"))
            .await
            .unwrap();

        let copied = store.risk_entries(second).await.unwrap();
        let original = store.risk_entry(entry).await.unwrap();
        let analysis = store.risk_analysis(second).await.unwrap();
        assert_eq!(analysis.version, 2);
        assert_eq!(analysis.copied_from, Some(first));
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].risk_key, original.risk_key);
        assert_eq!(copied[0].level, original.level);
        assert!(copied[0].decision.is_none(), "the new version is decided anew");
        assert_eq!(store.program_facts().await.unwrap().undecided_risks, 1);
    }
);

on_both!(plan_items_track_progress, |store: Store, _clock: FixedClock, _folder| async move {
    use safeguard_domain::risk::{PlanItemInput, PlanProgressInput, PlanStatus};

    let user = set_up(&store).await;
    let analysis = store
        .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
        .await
        .unwrap();
    let entry = store
        .add_risk_entry(user, analysis, None, &risk_entry_input("EHR", "weak-passwords", "high", "high"))
        .await
        .unwrap();
    let input = PlanItemInput::parse(
        "technical",
        "Turn on MFA for the EHR",
        "Dana Reyes",
        "2026-11-30",
        "Every EHR account signs in with a second factor",
    )
    .unwrap();

    let item = store.add_plan_item(user, entry, &input).await.unwrap();
    let facts = store.program_facts().await.unwrap();
    assert_eq!(facts.open_plan_items.len(), 1);
    assert_eq!(facts.open_plan_items[0].deadline, date(2026, 11, 30));

    store
        .update_plan_item(user, item, &PlanProgressInput::parse("in_progress", "", "").unwrap())
        .await
        .unwrap();
    assert_eq!(store.plan_item(item).await.unwrap().status, PlanStatus::InProgress);
    store
        .update_plan_item(
            user,
            item,
            &PlanProgressInput::parse("completed", "MFA enrollment report, 14 of 14 accounts", "2026-12-03").unwrap(),
        )
        .await
        .unwrap();
    let again = store
        .update_plan_item(user, item, &PlanProgressInput::parse("planned", "", "").unwrap())
        .await;

    let completed = store.plan_item(item).await.unwrap();
    assert_eq!(completed.status, PlanStatus::Completed);
    assert_eq!(completed.completed_on, Some(date(2026, 12, 3)));
    assert_eq!(completed.asset_name, "EHR");
    assert!(matches!(again, Err(StoreError::Conflict(_))), "a completed item is final");
    assert!(store.program_facts().await.unwrap().open_plan_items.is_empty());
    assert_eq!(store.plan_items(Some(entry)).await.unwrap().len(), 1);
});

on_both!(
    risk_analysis_must_cover_assets,
    |store: Store, _clock: FixedClock, _folder| async move {
        use safeguard_domain::inventory::{AssetFields, AssetInput};

        let user = set_up(&store).await;
        let today = date(2026, 12, 4);
        let fields = AssetFields {
            name: "Practice server".into(),
            kind: "server".into(),
            owner: "Dana Reyes".into(),
            location: "Back office".into(),
            ephi: "Charts and billing".into(),
            ephi_handling: "store;process".into(),
            record_count: "4000".into(),
            encryption_at_rest: "yes".into(),
            encryption_in_transit: "yes".into(),
            sign_in: "password".into(),
            backup: "yes".into(),
            criticality: "high".into(),
            vendor: String::new(),
        };
        let (server, update) = store.create_asset(user, &AssetInput::parse(&fields).unwrap(), today).await.unwrap();
        let analysis = store
            .start_risk_analysis(user, &risk_analysis_input("Risk analysis 2026"))
            .await
            .unwrap();
        let free_text = store
            .add_risk_entry(
                user,
                analysis,
                None,
                &risk_entry_input("E-fax", "misdirected-communication", "moderate", "low"),
            )
            .await
            .unwrap();
        store.decide_risk(user, free_text, &risk_decision("mitigate")).await.unwrap();

        assert_eq!(store.unassessed_assets(analysis).await.unwrap(), ["Practice server"]);
        let uncovered = store.finalize_risk_analysis(user, analysis, today).await;
        assert!(
            matches!(&uncovered, Err(StoreError::Conflict(message)) if message.contains("Practice server")),
            "{uncovered:?}"
        );

        let linked = store
            .add_risk_entry(
                user,
                analysis,
                Some(&server.to_string()),
                &risk_entry_input("Practice server", "ransomware", "high", "high"),
            )
            .await
            .unwrap();
        store.decide_risk(user, linked, &risk_decision("mitigate")).await.unwrap();
        assert!(store.unassessed_assets(analysis).await.unwrap().is_empty());
        store.finalize_risk_analysis(user, analysis, today).await.unwrap();

        let stored = store.risk_entry(linked).await.unwrap();
        assert_eq!(stored.asset_id, Some(server.to_string()));
        let update_item = store.instance(update.instance).await.unwrap();
        assert_eq!(
            update_item.completed_on,
            Some(today),
            "finalizing completes the update for new assets"
        );
    }
);

mod activity_review_store {
    use safeguard_domain::review_schedule::ReviewScheduleInput;
    use safeguard_domain::risk::{PlanItemInput, PlanProgressInput, PlanStatus};
    use safeguard_store::activity_reviews::{
        DecisionInput, FindingDecision, NewActivityReview, NewFinding, ReviewLogs, ReviewState, SourceResult,
    };

    use super::*;

    fn burst_finding(account: &str) -> NewFinding {
        NewFinding {
            rule: "failed_login_burst_account".into(),
            severity: "medium".into(),
            account: Some(account.into()),
            person: None,
            client: Some("203.0.113.9".into()),
            first_seen: "2026-12-01T10:00:00Z".parse().unwrap(),
            last_seen: "2026-12-01T10:02:00Z".parse().unwrap(),
            count: 6,
            evidence: vec!["auth.log, line 1".into(), "auth.log, line 2".into()],
            explanation: format!("6 failed sign-ins to {account} within 10 minutes."),
        }
    }

    on_both!(
        activity_review_lifecycle,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let schedule = ReviewScheduleInput::parse("Linux server", "", "monthly", "2026-11-01").unwrap();
            let obligation = store.schedule_activity_review(official, &schedule, official).await.unwrap();
            store.advance_calendar(date(2026, 12, 4)).await.unwrap();

            let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
            let stored = files
                .write(b"Dec  1 10:00:00 host sshd[1]: Failed password\n", "auth.log", "text/plain")
                .unwrap();
            let input = NewActivityReview {
                period_from: date(2026, 11, 1),
                period_to: date(2026, 11, 30),
                format_override: None,
                obligation: Some(obligation),
                ehr_source: None,
                logs: ReviewLogs::Uploaded(vec![stored.clone()]),
            };
            let id = store.create_activity_review(official, &input).await.unwrap();
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Queued);
            assert_eq!(review.progress_total, stored.size_bytes);
            assert_eq!(review.sources[0].sha256, stored.sha256);
            let listed = store.activity_reviews().await.unwrap();
            assert_eq!(listed[0].sources.len(), 1, "the list carries each review's files");
            assert_eq!(store.queued_activity_reviews().await.unwrap(), vec![id]);

            assert!(store.claim_activity_review(id).await.unwrap());
            assert!(!store.claim_activity_review(id).await.unwrap(), "a review is claimed once");
            assert!(store.queued_activity_reviews().await.unwrap().is_empty());
            store.set_activity_review_progress(id, 10).await.unwrap();
            assert_eq!(store.activity_review(id).await.unwrap().progress_done, 10);

            let results = [SourceResult {
                format: "syslog".into(),
                events: 7,
                unreadable: 1,
            }];
            let findings = [burst_finding("root"), burst_finding("admin")];
            store
                .finish_activity_review(id, &results, &findings, Some("read as 2026"))
                .await
                .unwrap();
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Finished);
            assert_eq!(review.sources[0].events, Some(7));
            assert_eq!(review.percent_done(), 100);
            let stored_findings = store.review_findings(id).await.unwrap();
            assert_eq!(stored_findings.len(), 2);
            assert_eq!(stored_findings[0].finding.account.as_deref(), Some("root"));
            assert_eq!(stored_findings[0].finding.evidence.len(), 2);

            let early = store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap_err();
            assert!(matches!(early, StoreError::Conflict(_)), "{early:?}");

            store
                .decide_review_finding(
                    official,
                    stored_findings[0].id,
                    &DecisionInput {
                        decision: FindingDecision::Expected,
                        notes: "Penetration test".into(),
                        follow_up: None,
                    },
                )
                .await
                .unwrap();
            let missing_risk = store
                .decide_review_finding(
                    official,
                    stored_findings[1].id,
                    &DecisionInput {
                        decision: FindingDecision::FollowUp,
                        notes: "Ask IT".into(),
                        follow_up: None,
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(missing_risk, StoreError::Conflict(_)), "{missing_risk:?}");

            let analysis = store
                .start_risk_analysis(official, &risk_analysis_input("Risk analysis 2026"))
                .await
                .unwrap();
            let entry = store
                .add_risk_entry(official, analysis, None, &risk_entry_input("EHR", "ransomware", "high", "high"))
                .await
                .unwrap();
            let item = PlanItemInput::parse(
                "technical",
                "Lock out admin after failures",
                "Dana Reyes",
                "2027-01-15",
                "Lockout configured",
            )
            .unwrap();
            store
                .decide_review_finding(
                    official,
                    stored_findings[1].id,
                    &DecisionInput {
                        decision: FindingDecision::FollowUp,
                        notes: "Ask IT".into(),
                        follow_up: Some((entry, item)),
                    },
                )
                .await
                .unwrap();
            let decided = store.review_finding(stored_findings[1].id).await.unwrap();
            assert_eq!(decided.decision, Some(FindingDecision::FollowUp));
            let plan_item = decided.plan_item_id.expect("a follow-up opens a plan item");
            assert_eq!(store.plan_item(plan_item).await.unwrap().safeguard, "Lock out admin after failures");

            let counts = store.review_decision_counts(id).await.unwrap();
            assert_eq!(
                (counts.findings, counts.expected, counts.follow_up, counts.undecided()),
                (2, 1, 1, 0)
            );

            store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap();
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Signed);
            assert_eq!(review.signed_by_name.as_deref(), Some("Dana Reyes"));
            let instance = review.completed_instance_id.expect("signing completes the schedule instance");
            let instance = store.instance(instance).await.unwrap();
            assert_eq!(instance.completed_on, Some(date(2026, 12, 4)));
            assert_eq!(instance.due_on, date(2026, 11, 30));
            assert_eq!(store.latest_signed_review_end().await.unwrap(), Some(date(2026, 11, 30)));

            let again = store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap_err();
            assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
            let late = store
                .decide_review_finding(
                    official,
                    stored_findings[0].id,
                    &DecisionInput {
                        decision: FindingDecision::FalsePositive,
                        notes: String::new(),
                        follow_up: None,
                    },
                )
                .await
                .unwrap_err();
            assert!(matches!(late, StoreError::Conflict(_)), "{late:?}");

            let entries = store.ledger_entries().await.unwrap();
            let signed = entries
                .iter()
                .rfind(|stored| stored.entry.action == "activity_review.signed")
                .unwrap();
            assert_eq!(signed.entry.payload["counts"]["findings"], 2);
            assert_eq!(signed.entry.payload["period_to"], "2026-11-30");
            assert_eq!(signed.entry.payload["sources"][0]["sha256"], stored.sha256.as_str());
            assert_eq!(signed.entry.payload["sources"][0]["size_bytes"], stored.size_bytes);
            assert!(signed.entry.payload["sources"][0]["server_path"].is_null());
            let count = entries.len() as u64;
            assert_eq!(verify_chain(entries), Ok(count));
        }
    );

    /// Creates a review of `period` for the schedule entry `obligation` and finishes its job
    /// with no findings, so it can be signed.
    async fn finished_review(
        store: &Store,
        official: UserId,
        folder: &std::path::Path,
        obligation: safeguard_domain::ids::ObligationId,
        period: (jiff::civil::Date, jiff::civil::Date),
    ) -> safeguard_domain::ids::ActivityReviewId {
        let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
        let stored = files.write(b"log", "auth.log", "text/plain").unwrap();
        let input = NewActivityReview {
            period_from: period.0,
            period_to: period.1,
            format_override: None,
            obligation: Some(obligation),
            ehr_source: None,
            logs: ReviewLogs::Uploaded(vec![stored]),
        };
        let id = store.create_activity_review(official, &input).await.unwrap();
        assert!(store.claim_activity_review(id).await.unwrap());
        let results = [SourceResult {
            format: "syslog".into(),
            events: 1,
            unreadable: 0,
        }];
        store.finish_activity_review(id, &results, &[], None).await.unwrap();
        id
    }

    on_both!(
        signing_completes_item_of_review_period,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let schedule = ReviewScheduleInput::parse("EHR access log", "", "monthly", "2026-11-01").unwrap();
            let obligation = store.schedule_activity_review(official, &schedule, official).await.unwrap();
            store.advance_calendar(date(2026, 12, 4)).await.unwrap();
            let id = finished_review(&store, official, &folder, obligation, (date(2026, 11, 1), date(2026, 11, 30))).await;

            let review = store.activity_review(id).await.unwrap();
            let preview = store
                .review_schedule_item(&review)
                .await
                .unwrap()
                .expect("the review has a schedule entry");
            assert_eq!(preview.entry_title, "Activity review: EHR access log");
            let preview_item = preview.item.expect("the November item matches the review's period");
            assert_eq!(
                (preview_item.starts_on, preview_item.due_on),
                (date(2026, 11, 1), date(2026, 11, 30))
            );

            store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap();

            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.completed_instance_id, Some(preview_item.id));
            let completed = store.instance(preview_item.id).await.unwrap();
            assert_eq!(completed.completed_on, Some(date(2026, 12, 4)));
            let open: Vec<_> = store
                .instances(false)
                .await
                .unwrap()
                .into_iter()
                .filter(|instance| instance.obligation.id == obligation)
                .collect();
            assert_eq!(open.len(), 1);
            assert_eq!(open[0].due_on, date(2026, 12, 31), "the December item stays open");
            let signed_item = store.review_schedule_item(&review).await.unwrap().unwrap().item.unwrap();
            assert_eq!(signed_item.id, preview_item.id);

            let entries = store.ledger_entries().await.unwrap();
            let signed = entries
                .iter()
                .rfind(|stored| stored.entry.action == "activity_review.signed")
                .unwrap();
            assert_eq!(signed.entry.payload["completed_instance"], preview_item.id.to_string());
        }
    );

    on_both!(
        signing_leaves_other_periods_open,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let schedule = ReviewScheduleInput::parse("EHR access log", "", "monthly", "2026-12-01").unwrap();
            let obligation = store.schedule_activity_review(official, &schedule, official).await.unwrap();
            store.advance_calendar(date(2026, 12, 4)).await.unwrap();
            let id = finished_review(&store, official, &folder, obligation, (date(2026, 11, 1), date(2026, 11, 30))).await;

            let review = store.activity_review(id).await.unwrap();
            let preview = store
                .review_schedule_item(&review)
                .await
                .unwrap()
                .expect("the review has a schedule entry");
            assert!(preview.item.is_none(), "no open item covers November");

            store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap();

            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Signed);
            assert_eq!(review.completed_instance_id, None);
            let open: Vec<_> = store
                .instances(false)
                .await
                .unwrap()
                .into_iter()
                .filter(|instance| instance.obligation.id == obligation)
                .collect();
            assert_eq!(open.len(), 1);
            assert_eq!(open[0].due_on, date(2026, 12, 31), "the December item stays open");
            assert!(store.review_schedule_item(&review).await.unwrap().unwrap().item.is_none());

            let entries = store.ledger_entries().await.unwrap();
            assert!(!entries.iter().any(|stored| stored.entry.action == "calendar_item.completed"));
            let signed = entries
                .iter()
                .rfind(|stored| stored.entry.action == "activity_review.signed")
                .unwrap();
            assert!(signed.entry.payload["completed_instance"].is_null());
        }
    );

    on_both!(
        redecided_follow_up_cancels_plan_item,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let schedule = ReviewScheduleInput::parse("EHR access log", "", "monthly", "2026-11-01").unwrap();
            let obligation = store.schedule_activity_review(official, &schedule, official).await.unwrap();
            let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
            let stored = files.write(b"log", "auth.log", "text/plain").unwrap();
            let input = NewActivityReview {
                period_from: date(2026, 11, 1),
                period_to: date(2026, 11, 30),
                format_override: None,
                obligation: Some(obligation),
                ehr_source: None,
                logs: ReviewLogs::Uploaded(vec![stored]),
            };
            let id = store.create_activity_review(official, &input).await.unwrap();
            assert!(store.claim_activity_review(id).await.unwrap());
            let results = [SourceResult {
                format: "syslog".into(),
                events: 7,
                unreadable: 0,
            }];
            store
                .finish_activity_review(id, &results, &[burst_finding("root")], None)
                .await
                .unwrap();
            let finding = store.review_findings(id).await.unwrap()[0].id;
            let analysis = store
                .start_risk_analysis(official, &risk_analysis_input("Risk analysis 2026"))
                .await
                .unwrap();
            let entry = store
                .add_risk_entry(official, analysis, None, &risk_entry_input("EHR", "ransomware", "high", "high"))
                .await
                .unwrap();
            let follow_up = |safeguard: &str| DecisionInput {
                decision: FindingDecision::FollowUp,
                notes: "Ask IT".into(),
                follow_up: Some((
                    entry,
                    PlanItemInput::parse("technical", safeguard, "Dana Reyes", "2027-01-15", "Lockout configured").unwrap(),
                )),
            };
            store
                .decide_review_finding(official, finding, &follow_up("Lock out root"))
                .await
                .unwrap();
            let first_item = store.review_finding(finding).await.unwrap().plan_item_id.unwrap();

            store
                .decide_review_finding(
                    official,
                    finding,
                    &DecisionInput {
                        decision: FindingDecision::Expected,
                        notes: "Penetration test".into(),
                        follow_up: None,
                    },
                )
                .await
                .unwrap();

            let cancelled = store.plan_item(first_item).await.unwrap();
            assert_eq!(cancelled.status, PlanStatus::Cancelled);
            assert!(
                cancelled.completion_evidence.as_deref().unwrap().contains("re-decided as expected"),
                "{:?}",
                cancelled.completion_evidence
            );
            assert_eq!(store.review_finding(finding).await.unwrap().plan_item_id, None);
            let (_, _, open_items) = store.risk_facts().await.unwrap();
            assert!(open_items.iter().all(|item| item.id != first_item), "a cancelled item is not open");
            let blocked = store
                .update_plan_item(official, first_item, &PlanProgressInput::parse("in_progress", "", "").unwrap())
                .await
                .unwrap_err();
            assert!(matches!(blocked, StoreError::Conflict(_)), "{blocked:?}");

            let entries = store.ledger_entries().await.unwrap();
            let cancel = entries
                .iter()
                .rfind(|stored| stored.entry.action == "plan_item.cancelled")
                .expect("the cancellation is in the ledger");
            assert_eq!(cancel.entry.record_id, first_item.to_string());
            assert_eq!(cancel.entry.payload["decision"], "expected");
            let decided = entries
                .iter()
                .rfind(|stored| stored.entry.action == "review_finding.decided")
                .unwrap();
            assert_eq!(decided.entry.payload["cancelled_plan_item"], first_item.to_string());
            let count = entries.len() as u64;
            assert_eq!(verify_chain(entries), Ok(count));

            store
                .decide_review_finding(official, finding, &follow_up("Turn off root sign-in"))
                .await
                .unwrap();
            let second_item = store.review_finding(finding).await.unwrap().plan_item_id.unwrap();
            assert_ne!(second_item, first_item, "a new follow-up opens a new plan item");
            assert_eq!(store.plan_item(second_item).await.unwrap().status, PlanStatus::Planned);
            assert_eq!(store.plan_item(first_item).await.unwrap().status, PlanStatus::Cancelled);
        }
    );

    on_both!(
        activity_review_rejects_bad_input,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
            let stored = files.write(b"log", "auth.log", "text/plain").unwrap();
            let mut input = NewActivityReview {
                period_from: date(2026, 11, 30),
                period_to: date(2026, 11, 1),
                format_override: None,
                obligation: None,
                ehr_source: None,
                logs: ReviewLogs::Uploaded(vec![stored]),
            };

            let reversed = store.create_activity_review(official, &input).await.unwrap_err();
            assert!(matches!(reversed, StoreError::Conflict(_)), "{reversed:?}");

            input.period_to = date(2026, 12, 1);
            input.obligation = Some(safeguard_domain::ids::ObligationId::new());
            let unknown = store.create_activity_review(official, &input).await.unwrap_err();
            assert!(matches!(unknown, StoreError::NotFound { .. }), "{unknown:?}");

            input.obligation = None;
            let id = store.create_activity_review(official, &input).await.unwrap();
            store.fail_activity_review(id, "unknown format").await.unwrap();
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Failed);
            assert_eq!(review.failure.as_deref(), Some("unknown format"));
            assert!(store.queued_activity_reviews().await.unwrap().is_empty());
        }
    );

    /// The heartbeat age that counts as stalled in these tests.
    const STALE: SignedDuration = SignedDuration::from_mins(5);

    /// Sets the practice up and records a queued review of one small log.
    async fn queued_review(store: &Store, folder: &std::path::Path) -> safeguard_domain::ids::ActivityReviewId {
        let official = set_up(store).await;
        let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
        let stored = files
            .write(b"Dec  1 10:00:00 host sshd[1]: Failed password\n", "auth.log", "text/plain")
            .unwrap();
        let input = NewActivityReview {
            period_from: date(2026, 11, 1),
            period_to: date(2026, 11, 30),
            format_override: None,
            obligation: None,
            ehr_source: None,
            logs: ReviewLogs::Uploaded(vec![stored]),
        };
        store.create_activity_review(official, &input).await.unwrap()
    }

    on_both!(
        fresh_heartbeat_is_left_alone,
        |store: Store, clock: FixedClock, folder: std::path::PathBuf| async move {
            let id = queued_review(&store, &folder).await;
            assert!(store.claim_activity_review(id).await.unwrap());
            let claimed = store.activity_review(id).await.unwrap();
            assert_eq!(claimed.heartbeat_at, Some(start()));
            assert_eq!(claimed.attempts, 1);

            clock.advance(SignedDuration::from_mins(4));
            store.set_activity_review_progress(id, 10).await.unwrap();
            clock.advance(SignedDuration::from_mins(4));
            let stalled = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();

            assert!(stalled.requeued.is_empty(), "{stalled:?}");
            assert!(stalled.failed.is_empty(), "{stalled:?}");
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Running);
            assert_eq!(review.progress_done, 10);
            assert_eq!(review.heartbeat_at, Some(start() + SignedDuration::from_mins(4)));
        }
    );

    on_both!(
        stale_heartbeat_is_requeued,
        |store: Store, clock: FixedClock, folder: std::path::PathBuf| async move {
            let id = queued_review(&store, &folder).await;
            assert!(store.claim_activity_review(id).await.unwrap());
            store.set_activity_review_progress(id, 10).await.unwrap();

            clock.advance(SignedDuration::from_mins(6));
            let stalled = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();

            assert_eq!(stalled.requeued, vec![id]);
            assert!(stalled.failed.is_empty(), "{stalled:?}");
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Queued);
            assert_eq!(review.progress_done, 0);
            assert_eq!(review.heartbeat_at, None);
            assert_eq!(review.sources.len(), 1, "the stored logs stay linked");
            assert_eq!(store.queued_activity_reviews().await.unwrap(), vec![id]);

            let entries = store.ledger_entries().await.unwrap();
            let requeued = &entries.last().unwrap().entry;
            assert_eq!(requeued.action, "activity_review.requeued");
            assert_eq!(requeued.record_id, id.to_string());
            assert_eq!(requeued.payload["last_heartbeat"], "2026-12-04T15:00:00.000000Z");
            assert_eq!(requeued.payload["attempts"], 1);
            assert_eq!(requeued.payload["stale_after_seconds"], 300);
            let count = entries.len() as u64;
            assert_eq!(verify_chain(entries), Ok(count));

            assert!(
                store.claim_activity_review(id).await.unwrap(),
                "the queued review can be claimed again"
            );
            let again = store.activity_review(id).await.unwrap();
            assert_eq!(again.attempts, 2);
            assert_eq!(again.heartbeat_at, Some(start() + SignedDuration::from_mins(6)));
            let repeat = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();
            assert!(repeat.requeued.is_empty(), "a fresh claim is not stalled: {repeat:?}");
        }
    );

    on_both!(
        finished_review_is_untouched_by_requeue,
        |store: Store, clock: FixedClock, folder: std::path::PathBuf| async move {
            let finished = queued_review(&store, &folder).await;
            assert!(store.claim_activity_review(finished).await.unwrap());
            let results = [SourceResult {
                format: "syslog".into(),
                events: 1,
                unreadable: 0,
            }];
            store
                .finish_activity_review(finished, &results, &[burst_finding("root")], None)
                .await
                .unwrap();
            let input = NewActivityReview {
                period_from: date(2026, 11, 1),
                period_to: date(2026, 11, 30),
                format_override: None,
                obligation: None,
                ehr_source: None,
                logs: ReviewLogs::Uploaded(Vec::new()),
            };
            let official = store.users().await.unwrap()[0].id;
            let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
            let failed = store
                .create_activity_review(
                    official,
                    &NewActivityReview {
                        ehr_source: None,
                        logs: ReviewLogs::Uploaded(vec![files.write(b"other", "other.log", "text/plain").unwrap()]),
                        ..input.clone()
                    },
                )
                .await
                .unwrap();
            assert!(store.claim_activity_review(failed).await.unwrap());
            store.fail_activity_review(failed, "unknown format").await.unwrap();
            let queued = store
                .create_activity_review(
                    official,
                    &NewActivityReview {
                        ehr_source: None,
                        logs: ReviewLogs::Uploaded(vec![files.write(b"third", "third.log", "text/plain").unwrap()]),
                        ..input
                    },
                )
                .await
                .unwrap();
            let ledger_before = store.ledger_entries().await.unwrap().len();

            clock.advance(SignedDuration::from_hours(1));
            let stalled = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();

            assert!(stalled.requeued.is_empty(), "{stalled:?}");
            assert!(stalled.failed.is_empty(), "{stalled:?}");
            assert_eq!(store.activity_review(finished).await.unwrap().state, ReviewState::Finished);
            assert_eq!(store.review_findings(finished).await.unwrap().len(), 1);
            assert_eq!(store.activity_review(failed).await.unwrap().state, ReviewState::Failed);
            assert_eq!(store.activity_review(queued).await.unwrap().state, ReviewState::Queued);
            assert_eq!(store.ledger_entries().await.unwrap().len(), ledger_before, "nothing is ledgered");
        }
    );

    on_both!(
        review_stalled_on_last_attempt_fails,
        |store: Store, clock: FixedClock, folder: std::path::PathBuf| async move {
            let id = queued_review(&store, &folder).await;
            for attempt in 1..=2 {
                assert!(store.claim_activity_review(id).await.unwrap(), "attempt {attempt}");
                clock.advance(SignedDuration::from_mins(6));
                let stalled = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();
                assert_eq!(stalled.requeued, vec![id], "attempt {attempt}");
            }
            assert!(store.claim_activity_review(id).await.unwrap());
            clock.advance(SignedDuration::from_mins(6));

            let stalled = store.requeue_stalled_activity_reviews(STALE, 3).await.unwrap();

            assert!(stalled.requeued.is_empty(), "{stalled:?}");
            assert_eq!(stalled.failed, vec![id]);
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.state, ReviewState::Failed);
            assert!(
                review
                    .failure
                    .as_deref()
                    .unwrap()
                    .contains("stopped while reading these logs 3 times")
            );
            let entries = store.ledger_entries().await.unwrap();
            let failed = &entries.last().unwrap().entry;
            assert_eq!(failed.action, "activity_review.failed");
            assert_eq!(failed.payload["attempts"], 3);
        }
    );

    on_both!(
        server_folder_files_are_recorded,
        |store: Store, _clock: FixedClock, _folder: std::path::PathBuf| async move {
            use safeguard_store::activity_reviews::ServerFile;

            let official = set_up(&store).await;
            let auth = ServerFile {
                path: "/srv/logs/2026-11/auth.log".into(),
                file_name: "auth.log".into(),
                size_bytes: 120,
                sha256: "a".repeat(64),
            };
            let secure = ServerFile {
                path: "/srv/logs/2026-11/secure".into(),
                file_name: "secure".into(),
                size_bytes: 80,
                sha256: "b".repeat(64),
            };
            let mut input = NewActivityReview {
                period_from: date(2026, 11, 1),
                period_to: date(2026, 11, 30),
                format_override: None,
                obligation: None,
                ehr_source: None,
                logs: ReviewLogs::ServerFolder {
                    folder: "/srv/logs/2026-11".into(),
                    files: Vec::new(),
                },
            };

            let empty = store.create_activity_review(official, &input).await.unwrap_err();
            assert!(matches!(empty, StoreError::Conflict(_)), "{empty:?}");
            assert!(store.activity_reviews().await.unwrap().is_empty());

            input.logs = ReviewLogs::ServerFolder {
                folder: "/srv/logs/2026-11".into(),
                files: vec![auth.clone(), secure.clone()],
            };
            let id = store.create_activity_review(official, &input).await.unwrap();
            let review = store.activity_review(id).await.unwrap();
            assert_eq!(review.progress_total, 200);
            assert_eq!(review.sources.len(), 2);
            assert_eq!(review.sources[0].server_path.as_deref(), Some("/srv/logs/2026-11/auth.log"));
            assert_eq!(review.sources[0].sha256, auth.sha256);
            assert_eq!(review.sources[0].size_bytes, 120);
            assert_eq!(review.sources[1].file_name, "secure");

            let entries = store.ledger_entries().await.unwrap();
            let started = &entries.last().unwrap().entry;
            assert_eq!(started.action, "activity_review.started");
            assert_eq!(started.payload["server_folder"], "/srv/logs/2026-11");
            assert_eq!(started.payload["sources"][1]["server_path"], "/srv/logs/2026-11/secure");
            assert_eq!(started.payload["sources"][1]["sha256"], secure.sha256.as_str());
            assert_eq!(started.payload["sources"][1]["size_bytes"], 80);

            assert!(store.claim_activity_review(id).await.unwrap());
            let results = [
                SourceResult {
                    format: "syslog".into(),
                    events: 3,
                    unreadable: 0,
                },
                SourceResult {
                    format: "syslog".into(),
                    events: 1,
                    unreadable: 0,
                },
            ];
            store.finish_activity_review(id, &results, &[], None).await.unwrap();
            store
                .sign_activity_review(official, id, "Dana Reyes", date(2026, 12, 4))
                .await
                .unwrap();

            let entries = store.ledger_entries().await.unwrap();
            let signed = &entries.last().unwrap().entry;
            assert_eq!(signed.action, "activity_review.signed");
            assert_eq!(signed.payload["sources"][0]["server_path"], "/srv/logs/2026-11/auth.log");
            assert_eq!(signed.payload["sources"][0]["sha256"], auth.sha256.as_str());
            assert_eq!(signed.payload["sources"][0]["size_bytes"], 120);
            assert_eq!(signed.payload["sources"][0]["events"], 3);
            let count = entries.len() as u64;
            assert_eq!(verify_chain(entries), Ok(count));
        }
    );
}

mod ehr_source_store {
    use safeguard_domain::ehr_sources::{EhrMapping, EhrSourceInput, MappingText};
    use safeguard_domain::ids::EhrSourceId;
    use safeguard_store::activity_reviews::NewActivityReview;

    use super::*;

    fn source_input(name: &str, time_column: &str) -> EhrSourceInput {
        let mapping = MappingText {
            time: time_column.into(),
            user: "User ID".into(),
            patient: "MRN".into(),
            outcome: "Result".into(),
            time_zone: "America/Chicago".into(),
            failure_values: "DENIED".into(),
            ..MappingText::default()
        };
        EhrSourceInput::parse(name, &mapping).unwrap()
    }

    on_both!(
        ehr_log_sources_are_versioned_and_ledgered,
        |store: Store, _clock: FixedClock, _folder| async move {
            let official = set_up(&store).await;
            let first = source_input("Front desk EHR", "Access Time");

            let id = store.create_ehr_log_source(official, &first).await.unwrap();
            let stored = store.ehr_log_source(id).await.unwrap();
            assert_eq!(stored.name, "Front desk EHR");
            assert_eq!(stored.mapping, first.mapping);
            assert_eq!(stored.version, 1);
            assert_eq!(stored.updated_by_name, "Dana Reyes");

            let duplicate = store
                .create_ehr_log_source(official, &source_input("front desk ehr", "When"))
                .await
                .unwrap_err();
            assert!(matches!(duplicate, StoreError::Conflict(_)), "{duplicate:?}");
            let other = store
                .create_ehr_log_source(official, &source_input("Billing EHR", "When"))
                .await
                .unwrap();
            let names: Vec<String> = store
                .ehr_log_sources()
                .await
                .unwrap()
                .into_iter()
                .map(|source| source.name)
                .collect();
            assert_eq!(names, ["Billing EHR", "Front desk EHR"]);

            let changed = source_input("Front desk EHR export", "Accessed At");
            assert_eq!(store.update_ehr_log_source(official, id, 1, &changed).await.unwrap(), 2);
            let stored = store.ehr_log_source(id).await.unwrap();
            assert_eq!(stored.mapping.time().as_str(), "Accessed At");
            assert_eq!(stored.version, 2);

            let stale = store.update_ehr_log_source(official, id, 1, &first).await.unwrap_err();
            assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
            let taken = store
                .update_ehr_log_source(official, other, 1, &source_input("FRONT DESK EHR EXPORT", "When"))
                .await
                .unwrap_err();
            assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
            let missing = store
                .update_ehr_log_source(official, EhrSourceId::new(), 1, &first)
                .await
                .unwrap_err();
            assert!(matches!(missing, StoreError::NotFound { .. }), "{missing:?}");
            assert_eq!(store.ehr_log_source(id).await.unwrap().version, 2, "refused changes store nothing");

            let entries = store.ledger_entries().await.unwrap();
            let updated = entries
                .iter()
                .rfind(|stored| stored.entry.action == "ehr_log_source.updated")
                .unwrap();
            assert_eq!(updated.entry.record_id, id.to_string());
            assert_eq!(updated.entry.payload["version"], 2);
            assert_eq!(updated.entry.payload["mapping"]["time"], "Accessed At");
            assert_eq!(updated.entry.payload["mapping"]["time_zone"], "America/Chicago");
            let created = entries
                .iter()
                .filter(|stored| stored.entry.action == "ehr_log_source.created")
                .count();
            assert_eq!(created, 2);
            let count = entries.len() as u64;
            assert_eq!(verify_chain(entries), Ok(count));
        }
    );

    on_both!(
        activity_review_keeps_its_mapping_copy,
        |store: Store, _clock: FixedClock, folder: std::path::PathBuf| async move {
            let official = set_up(&store).await;
            let source = store
                .create_ehr_log_source(official, &source_input("Front desk EHR", "Access Time"))
                .await
                .unwrap();
            let files = EvidenceFiles::open(&folder.join("evidence")).unwrap();
            let stored = files.write(b"Access Time,User ID,MRN\n", "access.csv", "text/csv").unwrap();
            let mut input = NewActivityReview {
                period_from: date(2026, 11, 1),
                period_to: date(2026, 11, 30),
                format_override: None,
                obligation: None,
                ehr_source: Some(source),
                logs: safeguard_store::activity_reviews::ReviewLogs::Uploaded(vec![stored]),
            };

            let id = store.create_activity_review(official, &input).await.unwrap();
            store
                .update_ehr_log_source(official, source, 1, &source_input("Front desk EHR (new)", "Accessed At"))
                .await
                .unwrap();

            let review = store.activity_review(id).await.unwrap();
            let copied = review.ehr_source.expect("the review names its source");
            assert_eq!(copied.id, source);
            assert_eq!(copied.name, "Front desk EHR");
            assert_eq!(copied.version, 1);
            let mapping = review.ehr_mapping.expect("the review keeps its mapping");
            assert_eq!(mapping.time().as_str(), "Access Time", "a later change does not reach the review");
            let started = store
                .ledger_entries()
                .await
                .unwrap()
                .into_iter()
                .find(|stored| stored.entry.action == "activity_review.started")
                .unwrap();
            assert_eq!(started.entry.payload["ehr_source"]["version"], 1);
            assert_eq!(started.entry.payload["ehr_mapping"]["time"], "Access Time");

            input.ehr_source = None;
            let default = store.create_activity_review(official, &input).await.unwrap();
            let review = store.activity_review(default).await.unwrap();
            assert_eq!(review.ehr_source, None);
            assert_eq!(review.ehr_mapping, Some(EhrMapping::default()));

            input.ehr_source = Some(EhrSourceId::new());
            let unknown = store.create_activity_review(official, &input).await.unwrap_err();
            assert!(matches!(unknown, StoreError::NotFound { .. }), "{unknown:?}");
            assert_eq!(
                store.activity_reviews().await.unwrap().len(),
                2,
                "nothing is stored for an unknown source"
            );
        }
    );
}
