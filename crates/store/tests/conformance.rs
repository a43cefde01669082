//! The store conformance suite: every test runs on a fresh SQLite file and, with
//! `SAFEGUARD_TEST_POSTGRES_URL` set and ignored tests included, on a fresh PostgreSQL
//! database.

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use safeguard_domain::accounts::Role;
use safeguard_domain::addressable::{AddressableDecisionInput, OutcomeKind};
use safeguard_domain::calendar::{CompletionInput, CompletionKind};
use safeguard_domain::clock::FixedClock;
use safeguard_domain::designation::DesignationInput;
use safeguard_domain::ids::UserId;
use safeguard_domain::ledger::verify_chain;
use safeguard_domain::practice::{OfficeHours, PatientStates, PracticeProfile, PracticeTimeZone};
use safeguard_domain::values::{EmailAddress, Line, Text};
use safeguard_domain::workforce::{PersonInput, RosterRow, SystemAccountInput, parse_roster_csv};
use safeguard_store::evidence::EvidenceFiles;
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
    sign_in_attempts_are_counted_in_window,
    |store: Store, clock: FixedClock, _folder| async move {
        for expected in 1..=3 {
            assert_eq!(
                store
                    .count_sign_in_attempt("ip:127.0.0.1", SignedDuration::from_mins(15))
                    .await
                    .unwrap(),
                expected
            );
        }
        clock.advance(SignedDuration::from_mins(16));

        assert_eq!(
            store
                .count_sign_in_attempt("ip:127.0.0.1", SignedDuration::from_mins(15))
                .await
                .unwrap(),
            1
        );
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
        assert_eq!(store.import_roster(official, &rows).await.unwrap(), (0, 1));

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
        let input = CompletionInput::parse(
            CompletionKind::Standard,
            "Restored the file server share",
            "",
            "",
            "",
            true,
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
