//! The demo practice: Maple Grove Family Medicine, a fictional 12-person family practice in
//! Ohio, seeded with a year of program history.
//!
//! [`seed`] replays that year through the public store API with a fixed clock that it moves
//! forward step by step. Every record, signature and ledger entry therefore carries the date on
//! which it would have happened, and the ledger verifies like one built by real use. The history is
//! placed relative to `now`: setup happened about 13 months earlier, and each completion is
//! scheduled against the real periods of its obligation, so the demo reads the same whatever
//! day it is seeded on. Most obligations are done on time, a few late, and a quarterly access
//! review and one monthly security reminder were never done, so the dashboard shows every
//! state. The ePHI inventory, last year's finalized risk analysis, the current one in progress
//! and the risk management plan are in [`risk`]. All names of people and companies are
//! invented.

mod risk;

use std::path::Path;
use std::sync::Arc;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};
use safeguard_domain::accounts::Role;
use safeguard_domain::addressable::AddressableDecisionInput;
use safeguard_domain::calendar::{
    CompletionForm, CompletionInput, CompletionKind, DEFAULT_OBLIGATIONS, Period, local_date, periods_through,
};
use safeguard_domain::clock::FixedClock;
use safeguard_domain::designation::{DesignationInput, STANDARD_DUTIES};
use safeguard_domain::ids::{PersonId, UserId};
use safeguard_domain::practice::{OfficeHours, PatientStates, PracticeProfile, PracticeTimeZone};
use safeguard_domain::review_schedule::ReviewScheduleInput;
use safeguard_domain::sanctions::SanctionInput;
use safeguard_domain::values::{EmailAddress, InvalidValue, Line, Text};
use safeguard_domain::workforce::{PersonInput, RosterRow, SystemAccountInput};
use safeguard_store::evidence::{EvidenceFiles, StoredFile};
use safeguard_store::practice::FirstAccount;
use safeguard_store::{DatabaseUrl, Store, StoreError};

/// One demo sign-in account: role, e-mail, display name, and the Argon2id hash of its password.
pub struct DemoAccount {
    /// The application role of the account.
    pub role: Role,
    /// The sign-in e-mail address.
    pub email: String,
    /// The name the application shows. The Security Official's name is also their roster name.
    pub name: String,
    /// The Argon2id PHC string of the account's password.
    pub password_hash: String,
}

/// How many whole months before the current month the practice completed setup.
const HISTORY_MONTHS: i64 = 13;

/// The domain of the practice's Windows accounts and e-mail addresses. The `.example` top-level
/// domain is reserved by RFC 2606, so no real mailbox can receive anything addressed to it.
const WINDOWS_DOMAIN: &str = "MAPLEGROVE";
const MAIL_DOMAIN: &str = "maplegrove-fm.example";

/// The owner physician, who attends every leadership report.
const OWNER: &str = "Dr. Eleanor Ashgrove";
const SECOND_PHYSICIAN: &str = "Dr. Marcus Birchfield";
const NURSE: &str = "Grace Larchmont";
const BILLER: &str = "Nadia Rowanfield";
const FRONT_DESK_LEAD: &str = "Devon Oakley";

/// A workforce member on the demo roster, apart from the practice manager, whose name comes
/// from the Security Official's sign-in account.
struct Member {
    name: &'static str,
    job_title: &'static str,
    practice_role: &'static str,
    /// The first day of work as whole years before the current year, then month and day.
    started: (i16, i8, i8),
    /// The user name in the EHR and the Windows domain, and the local part of the mailbox.
    login: &'static str,
    /// Whether the person signs in to the EHR. The bookkeeper does not.
    uses_ehr: bool,
    /// Accounts in further systems, as system and identifier.
    extra_accounts: &'static [(&'static str, &'static str)],
}

const ROSTER: [Member; 9] = [
    Member {
        name: OWNER,
        job_title: "Physician and owner",
        practice_role: "leadership",
        started: (14, 6, 2),
        login: "eashgrove",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: SECOND_PHYSICIAN,
        job_title: "Physician",
        practice_role: "clinical",
        started: (8, 9, 1),
        login: "mbirchfield",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: "Priya Cedarwood",
        job_title: "Nurse practitioner",
        practice_role: "clinical",
        started: (5, 1, 15),
        login: "pcedarwood",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: NURSE,
        job_title: "Registered nurse",
        practice_role: "clinical",
        started: (6, 4, 10),
        login: "glarchmont",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: "Tomas Elmhurst",
        job_title: "Medical assistant",
        practice_role: "clinical",
        started: (3, 8, 19),
        login: "telmhurst",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: FRONT_DESK_LEAD,
        job_title: "Front desk coordinator",
        practice_role: "front desk",
        started: (4, 2, 3),
        login: "doakley",
        uses_ehr: true,
        extra_accounts: &[],
    },
    Member {
        name: BILLER,
        job_title: "Medical biller",
        practice_role: "billing",
        started: (7, 10, 5),
        login: "nrowanfield",
        uses_ehr: true,
        extra_accounts: &[("Clearinghouse", "MGFM-NROWANFIELD")],
    },
    Member {
        name: "Owen Sprucewood",
        job_title: "Referral coordinator",
        practice_role: "front desk",
        started: (2, 11, 7),
        login: "osprucewood",
        uses_ehr: true,
        extra_accounts: &[("E-fax", "referrals@maplegrove-fm.example")],
    },
    Member {
        name: "Hattie Willowmere",
        job_title: "Bookkeeper (part-time)",
        practice_role: "administration",
        started: (9, 3, 14),
        login: "hwillowmere",
        uses_ehr: false,
        extra_accounts: &[],
    },
];

/// The medical assistant who left about three months before `now`.
const DEPARTED: Member = Member {
    name: "Rosa Hazelden",
    job_title: "Medical assistant",
    practice_role: "clinical",
    started: (2, 5, 6),
    login: "rhazelden",
    uses_ehr: true,
    extra_accounts: &[],
};

/// The front-desk receptionist hired last month. Her `started` is unused because her start date
/// is placed relative to `now`.
const NEW_HIRE: Member = Member {
    name: "Lily Pinecrest",
    job_title: "Front desk receptionist",
    practice_role: "front desk",
    started: (0, 1, 1),
    login: "lpinecrest",
    uses_ehr: true,
    extra_accounts: &[],
};

/// The practice manager's first day, as years before the current year, month and day.
const MANAGER_STARTED: (i16, i8, i8) = (9, 5, 1);

/// A signed Addressable decision of the demo, placed at a month of the history.
struct Decision {
    citation: &'static str,
    /// `implemented` or `alternative`.
    kind: &'static str,
    how: &'static str,
    measure: &'static str,
    rationale: &'static str,
    /// Months after the setup month, and the day of that month.
    signed: (i64, i8),
}

/// Seven of the eleven Addressable specifications have a decision. Workforce clearance,
/// access establishment and modification, testing and revision of the contingency plan, and the
/// data criticality analysis are left without one, so the dashboard shows "decision needed".
/// Password management has two versions: the second replaced forced 90-day changes.
static DECISIONS: [Decision; 8] = [
    Decision {
        citation: "164.308(a)(3)(ii)(C)",
        kind: "implemented",
        how: "A termination checklist is completed on each person's last day: EHR, Windows and Microsoft 365 accounts are disabled, keys and badges are collected, and the practice manager signs the checklist. The quarterly access review confirms that nothing was missed.",
        measure: "",
        rationale: "",
        signed: (0, 20),
    },
    Decision {
        citation: "164.308(a)(5)(ii)(A)",
        kind: "implemented",
        how: "A short security reminder goes to the whole workforce by e-mail every month and is posted in the staff room; a copy of each is kept as evidence.",
        measure: "",
        rationale: "",
        signed: (0, 20),
    },
    Decision {
        citation: "164.308(a)(3)(ii)(A)",
        kind: "implemented",
        how: "Each new workforce member works under a named supervisor for the first 30 days. The practice manager assigns EHR roles from the role matrix, and the outside IT provider works only under a signed business associate agreement with remote sessions approved by the practice manager.",
        measure: "",
        rationale: "",
        signed: (1, 14),
    },
    Decision {
        citation: "164.308(a)(4)(ii)(B)",
        kind: "implemented",
        how: "Access to each system is granted only on a written request approved by the practice manager, using the role matrix for the person's job. The owner physician approves any access beyond the matrix.",
        measure: "",
        rationale: "",
        signed: (1, 14),
    },
    Decision {
        citation: "164.308(a)(5)(ii)(D)",
        kind: "implemented",
        how: "Passwords have at least 10 characters and are changed every 90 days; the EHR and the Windows domain enforce both rules.",
        measure: "",
        rationale: "",
        signed: (1, 14),
    },
    Decision {
        citation: "164.308(a)(5)(ii)(B)",
        kind: "implemented",
        how: "The outside IT provider runs managed anti-malware on every workstation, laptop and the file server, with automatic updates and alerts to the provider. Workstation users have no administrator rights.",
        measure: "",
        rationale: "",
        signed: (2, 10),
    },
    Decision {
        citation: "164.308(a)(5)(ii)(C)",
        kind: "alternative",
        how: "",
        measure: "Accounts lock after five failed sign-ins in the EHR, the Windows domain and Microsoft 365. The Security Official reviews the failed sign-in reports of the EHR and Microsoft 365 at each monthly security meeting and records what was found.",
        rationale: "Real-time monitoring of every log-in attempt would need a monitoring service and staff to answer its alerts, which a 12-person practice cannot justify. Account lockout stops password guessing at once, and the monthly review finds the same failed-login patterns within a month. The owner physician accepted that delay as a reasonable risk.",
        signed: (2, 10),
    },
    Decision {
        citation: "164.308(a)(5)(ii)(D)",
        kind: "implemented",
        how: "Passphrases have at least 14 characters and are checked against a list of known breached passwords; they are changed at once on any sign of compromise rather than every 90 days, following NIST SP 800-63B. Multi-factor sign-in is on for Microsoft 365 for the physicians, the biller and the practice manager, and the other users follow as their phones are enrolled.",
        measure: "",
        rationale: "",
        signed: (8, 16),
    },
];

/// The decisions of each monthly security meeting, by month of the history. The placeholders
/// `{incident}` and `{expiry}` are replaced by dates when the meeting is planned.
const MEETING_DECISIONS: [&str; 14] = [
    "Adopted the compliance calendar as the program's schedule. The practice manager finishes importing the roster and system accounts this month.",
    "Approved the scope of the risk analysis: EHR, clearinghouse, e-fax, Microsoft 365, the file server, backups, workstations, laptops and phones. The IT provider is to replace the one physician laptop whose hardware cannot run disk encryption.",
    "Reviewed the EHR failed sign-in report; nothing unusual. Front-desk workstations now lock after 5 minutes without use.",
    "Approved multi-factor sign-in for Microsoft 365, starting with the physicians, the biller and the practice manager.",
    "Reviewed the failed restore test. The IT provider now alerts the practice manager whenever the nightly disk backup fails.",
    "Agreed a clean-desk rule for the front desk. Paper referrals are shredded once they are scanned into the EHR.",
    "Reviewed the practice phone reported lost {incident}. It was encrypted and wiped remotely within two hours. The four-factor assessment found a low probability of compromise, so it is not a breach and no notifications are needed.",
    "Confirmed that guest Wi-Fi is separated from the staff network. The guest Wi-Fi password changes every quarter.",
    "Replaced the password decision: longer passphrases, no forced 90-day changes.",
    "Reviewed the Microsoft 365 sign-in report; two blocked sign-ins from abroad, no successful ones. No action needed.",
    "Reviewed the termination checklist of the medical assistant who left this month: EHR and Windows access were removed on her last day.",
    "Went through the draft annual evaluation with the external auditor's questions and assigned the remediation items.",
    "Onboarded the new front-desk receptionist with the front-desk EHR role and day-one security training. The business associate agreement with the cloud backup service expires in {expiry}; the practice manager has requested the renewal.",
    "Planned the next risk-analysis review. No new incidents this month.",
];

/// The decisions of each quarterly report to leadership, by period.
const LEADERSHIP_DECISIONS: [&str; 6] = [
    "The owner approved the security program plan and the budget for replacing the physician laptop that cannot be encrypted.",
    "The owner accepted the risk analysis and its treatment plan, including the failed-login alternative measure.",
    "The owner approved multi-factor sign-in for all Microsoft 365 users by the end of the year.",
    "The owner asked for the missed access review to be made up and for quarterly reviews to be booked a month ahead.",
    "The owner approved renewing the business associate agreement with the cloud backup service.",
    "The owner approved next year's training topics.",
];

/// The subject and text of each monthly security reminder, by month of the history.
const REMINDERS: [(&str, &str); 14] = [
    (
        "Spotting phishing",
        "Check the sender's address before you click. Our vendors never ask for passwords by e-mail. Forward anything odd to the practice manager.",
    ),
    (
        "Lock your screen",
        "Press Windows+L whenever you step away from a workstation, even for a minute.",
    ),
    (
        "Lost or stolen devices",
        "Report a lost phone, laptop or badge to the practice manager at once, day or night. We can wipe practice phones remotely, but only if we know.",
    ),
    (
        "Passphrases",
        "Use a long passphrase of four or more unrelated words. Never reuse your EHR password anywhere else.",
    ),
    (
        "Multi-factor prompts",
        "Approve a sign-in prompt only when you are signing in yourself. An unexpected prompt means someone has your password: tell the practice manager.",
    ),
    (
        "Visitors at the front desk",
        "Keep the door to the back office closed and do not let visitors follow you in. Ask anyone you do not know who they are visiting.",
    ),
    (
        "Printing and faxing",
        "Collect printouts at once and check the fax number twice before sending records.",
    ),
    (
        "USB drives",
        "Do not plug in USB drives from outside the practice. Ask the IT provider if you need to move files.",
    ),
    (
        "Phone calls asking for information",
        "Verify who is calling before you share any patient information. Call back on the number in the chart.",
    ),
    (
        "Software updates",
        "Restart your workstation when the IT provider asks, so security updates can install.",
    ),
    (
        "Reporting a concern",
        "If something looks wrong, such as a strange pop-up or a missing file, report it. Reporting early is never a mistake.",
    ),
    (
        "E-mailing patient information",
        "Send patient information by e-mail only with [secure] in the subject line, which encrypts the message.",
    ),
    (
        "Holiday season scams",
        "Watch for fake delivery notices and gift-card requests that look like they come from colleagues.",
    ),
    ("Clean desk", "Put paper with patient information away before you leave your desk."),
];

/// The topic of each quarterly micro-training, by period.
const TRAININGS: [&str; 6] = [
    "recognizing phishing e-mails",
    "reporting a security incident",
    "the minimum necessary rule at the front desk",
    "safe use of the e-fax service",
    "multi-factor sign-in",
    "social engineering by phone",
];

/// Seeds a fresh, empty database at `url` with the demo practice as of `now`, and writes its
/// evidence files under `evidence_dir`.
///
/// `accounts` must contain exactly one account per role. The Security Official's account completes setup
/// and is also the practice manager on the roster; the others arrive through invitations. The
/// store is closed before returning, also after an error.
pub async fn seed(url: &DatabaseUrl, evidence_dir: &Path, accounts: &[DemoAccount], now: jiff::Timestamp) -> Result<(), StoreError> {
    let accounts = Accounts::pick(accounts)?;
    let profile = practice_profile()?;
    let timeline = Timeline::new(now, profile.time_zone.zone().clone());
    let clock = FixedClock::new(timeline.at(timeline.setup_day, 9, 0)?);
    let files = EvidenceFiles::open(evidence_dir)?;

    let store = Store::open(url, Arc::new(clock.clone())).await?;
    let outcome = replay(&store, &clock, &files, &timeline, &profile, &accounts, now).await;
    store.close().await;
    outcome
}

fn practice_profile() -> Result<PracticeProfile, StoreError> {
    Ok(PracticeProfile {
        name: Line::parse("practice name", "Maple Grove Family Medicine").map_err(|error| rejected("practice", &[error]))?,
        address: Text::parse("address", "1400 Sycamore Lane, Suite 200\nMaple Grove, OH 43000")
            .map_err(|error| rejected("practice", &[error]))?,
        time_zone: PracticeTimeZone::parse("America/New_York").map_err(|error| rejected("practice", &[error]))?,
        office_hours: OfficeHours::parse("Mon-Fri 08:00-17:30; Sat 08:00-12:00").map_err(|error| rejected("practice", &[error]))?,
        patient_states: PatientStates::parse("OH, KY").map_err(|error| rejected("practice", &[error]))?,
    })
}

/// Turns a validation failure of demo input into a store error.
///
/// In practice only the caller's account names and e-mail addresses can fail here. The rest is
/// constant text of this module, and the unit tests run it through every validation.
// NOTE: `StoreError` has no variant for invalid caller input, so `Conflict` carries the message.
fn rejected(subject: &str, errors: &[InvalidValue]) -> StoreError {
    let details: Vec<String> = errors.iter().map(ToString::to_string).collect();
    StoreError::Conflict(format!("the demo {subject} is invalid: {}", details.join("; ")))
}

/// The calendar of the replayed history, in the practice's time zone.
struct Timeline {
    zone: TimeZone,
    /// The current day at the practice.
    today: Date,
    /// The first day of the setup month.
    first_month: Date,
    /// The day setup was completed: the first working day from the 2nd of the setup month.
    setup_day: Date,
}

impl Timeline {
    fn new(now: Timestamp, zone: TimeZone) -> Self {
        let today = local_date(now, &zone);
        let first_month = today.first_of_month().saturating_sub(Span::new().months(HISTORY_MONTHS));
        let setup_day = next_workday(first_month.saturating_add(Span::new().days(1)));

        Self {
            zone,
            today,
            first_month,
            setup_day,
        }
    }

    /// Returns the working day on or before day `day` of month `month` of the history, where
    /// month 0 is the setup month. Days past the month's end fall on its last working day.
    fn day(&self, month: i64, day: i8) -> Date {
        let first = self.first_month.saturating_add(Span::new().months(month));
        let date = first
            .saturating_add(Span::new().days(i64::from(day) - 1))
            .min(first.last_of_month());
        previous_workday(date).max(first)
    }

    /// Converts a local time of day on `day` to an instant.
    fn at(&self, day: Date, hour: i8, minute: i8) -> Result<Timestamp, StoreError> {
        self.zone
            .to_ambiguous_timestamp(day.at(hour, minute, 0, 0))
            .compatible()
            .map_err(|error| StoreError::Conflict(format!("the demo date {day} cannot be placed in the practice's time zone: {error}")))
    }

    /// Moves `day` to the first working day after setup if it falls earlier. Returns `None` when
    /// `day` is today or later, because the demo records only what has already happened.
    fn past(&self, day: Date) -> Option<Date> {
        let day = day.max(next_workday(self.setup_day.saturating_add(Span::new().days(1))));
        (day < self.today).then_some(day)
    }

    /// Returns the working day on or before `days` days before today.
    fn days_ago(&self, days: i64) -> Date {
        previous_workday(add_days(self.today, -days))
    }

    /// Returns the first of the month after the current one, for text that looks ahead.
    fn next_month(&self) -> Date {
        self.today.first_of_month().saturating_add(Span::new().months(1))
    }

    /// Returns a date of a past year relative to today, for long-standing start dates.
    fn years_ago(&self, (years, month, day): (i16, i8, i8)) -> Date {
        Date::new(self.today.year() - years, month, day).unwrap_or(self.first_month)
    }
}

fn is_weekend(day: Date) -> bool {
    matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
}

fn previous_workday(mut day: Date) -> Date {
    while is_weekend(day) {
        day = day.saturating_sub(Span::new().days(1));
    }
    day
}

fn next_workday(mut day: Date) -> Date {
    while is_weekend(day) {
        day = day.saturating_add(Span::new().days(1));
    }
    day
}

fn add_days(day: Date, days: i64) -> Date {
    day.saturating_add(Span::new().days(days))
}

/// The sign-in accounts of the demo by role, checked before anything is written.
struct Accounts<'a> {
    security_official: &'a DemoAccount,
    invited: [&'a DemoAccount; 3],
}

impl<'a> Accounts<'a> {
    fn pick(accounts: &'a [DemoAccount]) -> Result<Self, StoreError> {
        let find = |role: Role| {
            let mut matching = accounts.iter().filter(|account| account.role == role);
            match (matching.next(), matching.next()) {
                (Some(account), None) => Ok(account),
                _ => Err(StoreError::Conflict(format!(
                    "the demo needs exactly one sign-in account with the role {}",
                    role.label()
                ))),
            }
        };

        Ok(Self {
            security_official: find(Role::SecurityOfficial)?,
            invited: [find(Role::Manager)?, find(Role::Staff)?, find(Role::Auditor)?],
        })
    }
}

/// The sign-in accounts created so far, for choosing who records each step.
struct Users {
    security_official: UserId,
    manager: Option<UserId>,
}

impl Users {
    /// Returns the manager's account once it exists, because the manager sends the monthly
    /// reminders; before that, the Security Official.
    fn manager_or_official(&self) -> UserId {
        self.manager.unwrap_or(self.security_official)
    }
}

/// The account that records a completion.
#[derive(Clone, Copy)]
enum Completer {
    SecurityOfficial,
    Manager,
}

/// A small text file attached to a completion as evidence.
struct DemoFile {
    name: String,
    text: String,
}

/// A completion of one obligation instance, planned at a point of the history.
struct PlannedCompletion {
    /// The citation of the default obligation, which identifies it among the defaults.
    citation: &'static str,
    kind: CompletionKind,
    period: Period,
    done_on: Date,
    by: Completer,
    notes: String,
    /// For meetings: the day held, attendees one per line, and decisions.
    meeting: Option<(Date, String, String)>,
    files: Vec<DemoFile>,
    /// Whether this access review found the departed assistant's mailbox still enabled.
    finds_departed_mailbox: bool,
}

/// One dated step of the replayed history.
enum Step {
    Invite(usize),
    Accept(usize),
    SignDesignation,
    SignDecision(&'static Decision),
    /// A written warning to the medical assistant, weeks before she left.
    SanctionAssistant,
    TerminateAssistant,
    RemoveDepartedMailbox,
    /// The Security Official puts the EHR access log and the Windows sign-ins on the
    /// activity-review schedule, starting with the current month.
    ScheduleActivityReviews,
    HireReceptionist,
    /// The Security Official records the first ePHI inventory and its data flows.
    BuildInventory,
    /// The Security Official starts an analysis: last year's, then the current copy of it.
    StartRiskAnalysis,
    /// Last year's analysis rates every asset of the inventory.
    RateRisks,
    /// Every risk of last year's analysis is decided, with a plan item for each mitigated one.
    DecideRisks,
    /// Last year's analysis is dated the day the owner physician accepted it and finalized.
    FinalizeRiskAnalysis,
    /// A plan item of last year's analysis starts or is completed. The index is into the
    /// demo's risks.
    PlanProgress(usize),
    /// Two assets join the inventory after last year's analysis.
    AddRecentAssets,
    /// The current analysis changes a few ratings and records some decisions again.
    ReviseRiskAnalysis,
    Complete(Box<PlannedCompletion>),
    /// Only advances the calendar, as the nightly job does on the first of each month.
    AdvanceCalendar,
}

async fn replay(
    store: &Store,
    clock: &FixedClock,
    files: &EvidenceFiles,
    timeline: &Timeline,
    profile: &PracticeProfile,
    accounts: &Accounts<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let official_name =
        Line::parse("name", &accounts.security_official.name).map_err(|error| rejected("Security Official account", &[error]))?;

    // Setup creates the practice, the Security Official's account and roster entry, and the
    // default calendar anchored to the setup day. The token hash is made up and is not the
    // SHA-256 of any token, so no setup link can match it.
    let setup_token = "demo-setup-token";
    if !store.issue_setup_token(setup_token).await? {
        return Err(StoreError::Conflict(
            "the database already contains a practice; the demo needs a fresh, empty database".to_owned(),
        ));
    }
    let first = FirstAccount {
        name: official_name.clone(),
        job_title: Line::parse("job title", "Practice manager").map_err(|error| rejected("Security Official account", &[error]))?,
        email: EmailAddress::parse("email", &accounts.security_official.email)
            .map_err(|error| rejected("Security Official account", &[error]))?,
        password_hash: accounts.security_official.password_hash.clone(),
    };
    let official = store.complete_setup(setup_token, profile, &first).await?;
    let official_person = store.user(official).await?.person_id.ok_or(StoreError::NotFound {
        kind: "roster entry of the Security Official",
    })?;
    store.advance_calendar(timeline.setup_day).await?;
    let mut users = Users {
        security_official: official,
        manager: None,
    };

    // An hour later the practice manager completes the roster: their own start date and
    // accounts, then everyone else who works at the practice on the setup day.
    clock.set(timeline.at(timeline.setup_day, 10, 0)?);
    let manager_row = PersonInput::parse(
        official_name.as_str(),
        "Practice manager",
        "administration",
        &timeline.years_ago(MANAGER_STARTED).to_string(),
        "",
        "active",
    )
    .map_err(|errors| rejected("practice manager", &errors))?;
    store.update_person(official, official_person, &manager_row).await?;
    for account in system_accounts(&login_name(official_name.as_str()), true, &[])? {
        store.add_system_account(official, official_person, &account).await?;
    }
    for member in &ROSTER {
        store
            .create_person(official, &roster_row(member, timeline.years_ago(member.started))?)
            .await?;
    }
    let departed_person = store
        .create_person(official, &roster_row(&DEPARTED, timeline.years_ago(DEPARTED.started))?)
        .await?;

    let steps = plan_history(store, timeline, official_name.as_str()).await?;
    for (at, step) in steps {
        clock.set(at);
        let today = local_date(at, &timeline.zone);
        store.advance_calendar(today).await?;
        run_step(
            store,
            files,
            timeline,
            accounts,
            &mut users,
            official_name.as_str(),
            departed_person,
            today,
            step,
        )
        .await?;
    }

    clock.set(now);
    store.advance_calendar(timeline.today).await?;
    Ok(())
}

/// Lists every step after setup with its instant, in time order.
async fn plan_history(store: &Store, timeline: &Timeline, official: &str) -> Result<Vec<(Timestamp, Step)>, StoreError> {
    let mut steps = Vec::new();

    for month in 1..=HISTORY_MONTHS {
        let first = timeline.first_month.saturating_add(Span::new().months(month));
        steps.push((timeline.at(first, 5, 0)?, Step::AdvanceCalendar));
    }

    // The manager and a staff member are invited in the first days; the external auditor comes
    // in a year later to read the annual evaluation.
    let invitations = [(timeline.setup_day, 11), (timeline.day(0, 12), 10), (timeline.day(11, 17), 10)];
    for (index, (day, hour)) in invitations.into_iter().enumerate() {
        steps.push((timeline.at(day, hour, 0)?, Step::Invite(index)));
        steps.push((timeline.at(day, hour + 2, 40)?, Step::Accept(index)));
    }

    steps.push((timeline.at(timeline.day(0, 8), 15, 0)?, Step::SignDesignation));
    for (index, decision) in DECISIONS.iter().enumerate() {
        let day = timeline.day(decision.signed.0, decision.signed.1);
        let minute = i8::try_from(index * 5).unwrap_or(0);
        steps.push((timeline.at(day, 14, minute)?, Step::SignDecision(decision)));
    }

    let departure = departure_day(timeline);
    steps.push((timeline.at(timeline.day(HISTORY_MONTHS - 4, 14), 15, 10)?, Step::SanctionAssistant));
    steps.push((timeline.at(departure, 16, 30)?, Step::TerminateAssistant));
    steps.push((
        timeline.at(timeline.day(HISTORY_MONTHS - 1, 20), 10, 0)?,
        Step::ScheduleActivityReviews,
    ));
    steps.push((
        timeline.at(previous_workday(add_days(hire_day(timeline), -2)), 11, 0)?,
        Step::HireReceptionist,
    ));

    // The inventory is recorded after the risk analysis's scope was approved, and last year's
    // analysis is finalized before the update item that the inventory opened falls due 30 days
    // later. The analysis is dated in the eleventh month before the current one, so it is always
    // less than a year old and the risk analysis reads as met on any day the demo is seeded.
    // The recent steps are placed in days before today, so the update they open is not yet due.
    steps.push((timeline.at(timeline.day(1, 14), 10, 0)?, Step::BuildInventory));
    steps.push((timeline.at(timeline.day(1, 19), 9, 0)?, Step::StartRiskAnalysis));
    steps.push((timeline.at(timeline.day(1, 21), 14, 0)?, Step::RateRisks));
    steps.push((timeline.at(timeline.day(2, 9), 15, 0)?, Step::DecideRisks));
    steps.push((timeline.at(timeline.day(2, 11), 16, 0)?, Step::FinalizeRiskAnalysis));
    for ((month, day), index) in risk::plan_updates() {
        steps.push((timeline.at(timeline.day(month, day), 11, 0)?, Step::PlanProgress(index)));
    }
    steps.push((timeline.at(timeline.days_ago(16), 11, 0)?, Step::AddRecentAssets));
    steps.push((timeline.at(timeline.days_ago(12), 9, 30)?, Step::StartRiskAnalysis));
    steps.push((timeline.at(timeline.days_ago(5), 14, 0)?, Step::ReviseRiskAnalysis));

    let obligations = store.obligations().await?;
    for obligation in DEFAULT_OBLIGATIONS {
        let Some(stored) = obligations.iter().find(|stored| stored.citation == obligation.citation) else {
            continue;
        };
        let periods = periods_through(stored.anchor, stored.cadence, timeline.today);
        for planned in plan_completions(
            obligation.key,
            obligation.citation,
            obligation.completion,
            &periods,
            timeline,
            official,
        ) {
            let at = timeline.at(planned.done_on, completion_hour(obligation.key), 30)?;
            // The review that found the departed assistant's mailbox disables it just before
            // the review is recorded. When no review has followed her departure yet, the
            // mailbox stays on the roster as an enabled account of a terminated person.
            if planned.finds_departed_mailbox {
                steps.push((
                    at.saturating_sub(SignedDuration::from_mins(20)).unwrap_or(at),
                    Step::RemoveDepartedMailbox,
                ));
            }
            steps.push((at, Step::Complete(Box::new(planned))));
        }
    }

    steps.sort_by_key(|(at, _)| *at);
    Ok(steps)
}

/// Returns the last working day of the medical assistant who left, about three months before
/// today.
fn departure_day(timeline: &Timeline) -> Date {
    timeline.day(HISTORY_MONTHS - 3, 5)
}

/// Returns the first working day of the receptionist hired last month.
fn hire_day(timeline: &Timeline) -> Date {
    next_workday(
        timeline
            .first_month
            .saturating_add(Span::new().months(HISTORY_MONTHS - 1))
            .saturating_add(Span::new().days(2)),
    )
}

/// Returns the hour of the day at which completions of an obligation are recorded. The hours
/// differ by obligation, so the ledger does not show every record at the same minute.
fn completion_hour(key: &str) -> i8 {
    match key {
        "security-meeting" | "leadership-report" => 16,
        "security-reminder" => 8,
        "micro-training" => 12,
        "restore-test" => 17,
        _ => 15,
    }
}

#[allow(clippy::too_many_arguments)] // Each argument is state the step may change or read.
async fn run_step(
    store: &Store,
    files: &EvidenceFiles,
    timeline: &Timeline,
    accounts: &Accounts<'_>,
    users: &mut Users,
    official_name: &str,
    departed: PersonId,
    today: Date,
    step: Step,
) -> Result<(), StoreError> {
    let official = users.security_official;

    match step {
        Step::AdvanceCalendar => {}
        Step::Invite(index) => {
            let account = accounts.invited[index];
            let email = EmailAddress::parse("email", &account.email).map_err(|error| rejected("invited account", &[error]))?;
            store
                .create_invitation(
                    &email,
                    &account.name,
                    account.role,
                    official,
                    &invitation_token(account.role),
                    SignedDuration::from_hours(72),
                )
                .await?;
        }
        Step::Accept(index) => {
            let account = accounts.invited[index];
            let user = store
                .accept_invitation(&invitation_token(account.role), &account.password_hash)
                .await?;
            if account.role == Role::Manager {
                users.manager = Some(user);
            }
        }
        Step::SignDesignation => {
            let input = DesignationInput::parse(
                &(0..STANDARD_DUTIES.len()).collect::<Vec<_>>(),
                "Chair the monthly security meeting and report to the owner physician every quarter",
                "The Security Official may take any system offline, disable any account and call in the outside IT provider at once in an emergency, and reports the decision to the owner physician within one business day.",
                "The Security Official alone approves new accounts and role changes within the role matrix, security reminders and training content, and the completion of calendar items.",
                &today.to_string(),
                official_name,
            )
            .map_err(|errors| rejected("designation", &errors))?;
            let person = store.user(official).await?.person_id.ok_or(StoreError::NotFound {
                kind: "roster entry of the Security Official",
            })?;
            store.sign_designation(official, person, &input).await?;
        }
        Step::SignDecision(decision) => {
            let input = AddressableDecisionInput::parse(
                decision.kind,
                decision.how,
                decision.measure,
                decision.rationale,
                "",
                &today.to_string(),
                official_name,
            )
            .map_err(|errors| rejected("Addressable decision", &errors))?;
            store.sign_addressable_decision(official, decision.citation, &input).await?;
        }
        Step::SanctionAssistant => {
            let levels = store.sanction_levels().await?;
            let written = levels
                .iter()
                .find(|level| level.name == "Written warning")
                .ok_or(StoreError::NotFound { kind: "sanction level" })?;
            let input = SanctionInput::parse(
                &departed.to_string(),
                "Left her EHR session signed in on an exam-room workstation over lunch; a colleague documented a visit under her name.",
                "Workstation use policy: lock or sign out before leaving a workstation",
                &written.id.to_string(),
                &today.to_string(),
                &format!("{official_name}, Security Official, with {OWNER}"),
                today,
            )
            .map_err(|errors| rejected("sanction", &errors))?;
            store.record_sanction(users.manager_or_official(), &input).await?;
        }
        Step::ScheduleActivityReviews => {
            let starts = timeline.today.first_of_month().to_string();
            let reviews = [
                ("EHR access log", "monthly", users.manager_or_official()),
                ("Windows sign-ins", "quarterly", official),
            ];
            for (system, cadence, reviewer) in reviews {
                let input = ReviewScheduleInput::parse(system, "", cadence, &starts)
                    .map_err(|errors| rejected("activity-review schedule", &errors))?;
                store.schedule_activity_review(official, &input, reviewer).await?;
            }
        }
        Step::TerminateAssistant => {
            let person = store.person(departed).await?;
            let input = PersonInput::parse(
                &person.name,
                &person.job_title,
                &person.practice_role,
                &person.start_date.to_string(),
                &today.to_string(),
                "terminated",
            )
            .map_err(|errors| rejected("departed assistant", &errors))?;
            store.update_person(official, departed, &input).await?;
            // Her EHR and Windows accounts go on her last day. The mailbox is overlooked until
            // the next access review.
            for account in person.accounts.iter().filter(|account| account.system != "Microsoft 365") {
                store.remove_system_account(official, departed, account.id).await?;
            }
        }
        Step::RemoveDepartedMailbox => {
            let person = store.person(departed).await?;
            for account in person.accounts.iter().filter(|account| account.system == "Microsoft 365") {
                store.remove_system_account(official, departed, account.id).await?;
            }
        }
        Step::HireReceptionist => {
            store
                .create_person(users.manager_or_official(), &roster_row(&NEW_HIRE, hire_day(timeline))?)
                .await?;
        }
        Step::BuildInventory => risk::build_inventory(store, official, today).await?,
        Step::StartRiskAnalysis => {
            let participants = format!(
                "{official_name}, practice manager and Security Official\n{OWNER}, owner physician\n{SECOND_PHYSICIAN}, physician\n{NURSE}, registered nurse\n{BILLER}, medical biller\nA technician of the outside IT provider"
            );
            risk::start_analysis(store, official, today, &participants).await?;
        }
        Step::RateRisks => risk::rate_first_analysis(store, official).await?,
        Step::DecideRisks => risk::decide_first_analysis(store, timeline, official, official_name, today).await?,
        Step::FinalizeRiskAnalysis => risk::finalize_first_analysis(store, official, today).await?,
        Step::PlanProgress(index) => risk::update_plan_item(store, users.manager_or_official(), index, today).await?,
        Step::AddRecentAssets => risk::add_recent_assets(store, official, today).await?,
        Step::ReviseRiskAnalysis => risk::revise_current_analysis(store, official, official_name, today).await?,
        Step::Complete(planned) => {
            let actor = match planned.by {
                Completer::SecurityOfficial => official,
                Completer::Manager => users.manager_or_official(),
            };
            complete(store, files, actor, &planned).await?;
        }
    }
    Ok(())
}

/// Returns the made-up invitation token hash of a role. Like the setup token, it is not the
/// SHA-256 of any token, so no invitation link can match it.
fn invitation_token(role: Role) -> String {
    format!("demo-invitation-{}", role.code())
}

async fn complete(store: &Store, files: &EvidenceFiles, actor: UserId, planned: &PlannedCompletion) -> Result<(), StoreError> {
    let instance = store
        .instances(false)
        .await?
        .into_iter()
        .find(|instance| instance.obligation.citation == planned.citation && instance.starts_on == planned.period.starts_on)
        .ok_or(StoreError::NotFound { kind: "calendar item" })?;

    let mut stored: Vec<StoredFile> = Vec::new();
    for file in &planned.files {
        stored.push(files.write(file.text.as_bytes(), &file.name, "text/plain")?);
    }

    let (held_on, attendees, decisions) = match &planned.meeting {
        Some((held_on, attendees, decisions)) => (held_on.to_string(), attendees.clone(), decisions.clone()),
        None => (String::new(), String::new(), String::new()),
    };
    let form = CompletionForm {
        notes: planned.notes.clone(),
        held_on,
        attendees,
        decisions,
    };
    let input = CompletionInput::parse(
        planned.kind,
        &form,
        !stored.is_empty(),
        planned.period.starts_on,
        planned.period.due_on,
        planned.done_on,
    )
    .map_err(|errors| rejected("calendar completion", &errors))?;
    store.complete_instance(actor, instance.id, planned.done_on, &input, &stored).await
}

/// Derives a user name such as `dreyes` from a full name: the first letter of the first name
/// and the last name, lowercase, ASCII letters and digits only. A title such as `Dr.` is skipped.
fn login_name(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().filter(|word| !word.ends_with('.')).collect();
    let keep = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };

    let login = match words.as_slice() {
        [] => String::new(),
        [only] => keep(only),
        [first, .., last] => format!("{}{}", keep(first).chars().next().map(String::from).unwrap_or_default(), keep(last)),
    };
    if login.is_empty() { "manager".to_owned() } else { login }
}

/// Returns the Windows and Microsoft 365 accounts every person holds, the EHR account when the
/// job needs it, and `extra` accounts.
fn system_accounts(login: &str, uses_ehr: bool, extra: &[(&str, &str)]) -> Result<Vec<SystemAccountInput>, StoreError> {
    let windows = format!("{WINDOWS_DOMAIN}\\{login}");
    let mailbox = format!("{login}@{MAIL_DOMAIN}");
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if uses_ehr {
        pairs.push(("EHR", login));
    }
    pairs.push(("Windows", windows.as_str()));
    pairs.push(("Microsoft 365", mailbox.as_str()));
    pairs.extend_from_slice(extra);

    pairs
        .into_iter()
        .map(|(system, identifier)| SystemAccountInput::parse(system, identifier).map_err(|error| rejected("system account", &[error])))
        .collect()
}

/// Returns the roster row of an active workforce member who started on `start`.
fn roster_row(member: &Member, start: Date) -> Result<RosterRow, StoreError> {
    let person = PersonInput::parse(
        member.name,
        member.job_title,
        member.practice_role,
        &start.to_string(),
        "",
        "active",
    )
    .map_err(|errors| rejected("roster", &errors))?;

    Ok(RosterRow {
        person,
        accounts: system_accounts(member.login, member.uses_ehr, member.extra_accounts)?,
    })
}

/// The part of a planned completion that depends on the obligation and its period.
struct Draft {
    done_on: Date,
    by: Completer,
    notes: String,
    meeting: Option<(Date, String, String)>,
    files: Vec<DemoFile>,
}

impl Draft {
    /// Creates a draft recorded by the Security Official with notes and files only.
    fn by_official(done_on: Date, notes: String, files: Vec<DemoFile>) -> Self {
        Self {
            done_on,
            by: Completer::SecurityOfficial,
            notes,
            meeting: None,
            files,
        }
    }
}

/// Plans the completions of one default obligation over its periods through today.
///
/// Only what happened before today is planned. Each obligation's plan carries part of the
/// story: one meeting held late, the second restore test failed and repeated, the
/// second-to-last past access review missed and the last one done late, one monthly reminder
/// missed, and the annual policy review done after its due date. The annual risk-analysis
/// review is not planned here, because finalizing last year's analysis completes it.
fn plan_completions(
    key: &str,
    citation: &'static str,
    kind: CompletionKind,
    periods: &[Period],
    timeline: &Timeline,
    official: &str,
) -> Vec<PlannedCompletion> {
    let past_quarters = periods.iter().filter(|period| period.due_on < timeline.today).count();
    let mut mailbox_reported = false;
    let mut planned = Vec::new();

    for (index, period) in periods.iter().enumerate() {
        let draft = match key {
            "security-meeting" => plan_meeting(index, period, timeline, official),
            "leadership-report" => plan_leadership_report(index, period, timeline, official),
            "access-review" => plan_access_review(index, period, past_quarters, timeline, mailbox_reported),
            "restore-test" => plan_restore_test(index, period, timeline, official),
            "security-reminder" => plan_reminder(index, period, timeline),
            "micro-training" => plan_training(index, period, timeline),
            "evaluation" if index == 0 => plan_evaluation(timeline, official),
            "policy-review" if index == 0 => plan_policy_review(timeline),
            _ => None,
        };
        let Some(draft) = draft else {
            continue;
        };

        // The first access review after the departure is the one that finds her mailbox.
        let finds_departed_mailbox = key == "access-review" && !mailbox_reported && draft.done_on > departure_day(timeline);
        mailbox_reported |= finds_departed_mailbox;
        planned.push(PlannedCompletion {
            citation,
            kind,
            period: *period,
            done_on: draft.done_on,
            by: draft.by,
            notes: draft.notes,
            meeting: draft.meeting,
            files: draft.files,
            finds_departed_mailbox,
        });
    }
    planned
}

/// Plans one quarterly report to leadership, given about two weeks before the quarter ends.
fn plan_leadership_report(index: usize, period: &Period, timeline: &Timeline, official: &str) -> Option<Draft> {
    let held_on = timeline.past(previous_workday(add_days(period.due_on, -12)))?;
    let attendees = format!("{OWNER}\n{official}\n{SECOND_PHYSICIAN}");
    let decisions = LEADERSHIP_DECISIONS[index % LEADERSHIP_DECISIONS.len()].to_owned();

    Some(Draft {
        meeting: Some((held_on, attendees, decisions)),
        ..Draft::by_official(
            held_on,
            "Presented the quarter's completed and overdue calendar items, open risks and incidents.".to_owned(),
            Vec::new(),
        )
    })
}

/// Plans one quarterly micro-training, held on the last working day at least 25 days before
/// the quarter ends.
fn plan_training(index: usize, period: &Period, timeline: &Timeline) -> Option<Draft> {
    let held_on = timeline.past(previous_workday(add_days(period.due_on, -25)))?;
    let topic = TRAININGS[index % TRAININGS.len()];
    let notes = format!(
        "Fifteen-minute session on {topic} at the morning huddle on {held_on}. Ten of the eleven staff attended, and the one absent read the handout and signed the attendance sheet."
    );
    Some(Draft::by_official(held_on, notes, Vec::new()))
}

/// Plans the first annual evaluation, signed in the last month of its period.
fn plan_evaluation(timeline: &Timeline, official: &str) -> Option<Draft> {
    let done_on = timeline.past(timeline.day(HISTORY_MONTHS - 2, 19))?;
    let file = DemoFile {
        name: "security-evaluation-summary.txt".to_owned(),
        text: format!(
            "Maple Grove Family Medicine - annual security evaluation\nCompleted: {done_on}\nEvaluator: {official}, reviewed by the external auditor\n\nStandards met: 7 of 9.\nFindings:\n1. One quarterly access review was missed; reviews are now booked a month ahead.\n2. Four Addressable specifications still need a signed decision.\n3. The termination checklist did not list Microsoft 365 mailboxes; they were added.\n"
        ),
    };
    let notes = "Annual evaluation signed. The findings and remediation are in the attached summary.".to_owned();
    Some(Draft::by_official(done_on, notes, vec![file]))
}

/// Plans the first annual policy review, done ten days into the month after its due date.
fn plan_policy_review(timeline: &Timeline) -> Option<Draft> {
    let done_on = timeline.past(timeline.day(HISTORY_MONTHS - 1, 10))?;
    let notes = "Reviewed all security policies after the evaluation, a few weeks late. Updated the password policy to match the new decision and the termination checklist to include mailboxes.".to_owned();
    Some(Draft::by_official(done_on, notes, Vec::new()))
}

/// Plans one monthly security meeting: held mid-month, except in month 2, when it was
/// postponed to the last working day of the month and recorded late, after the period ended.
fn plan_meeting(index: usize, period: &Period, timeline: &Timeline, official: &str) -> Option<Draft> {
    let postponed = index == 2;
    let held_on = if postponed {
        previous_workday(period.due_on)
    } else {
        previous_workday(add_days(period.starts_on, 15))
    };
    let held_on = timeline.past(held_on)?;
    let recorded_on = if postponed {
        timeline.past(next_workday(add_days(period.due_on, 6)))?
    } else {
        held_on
    };

    let fourth = if index.is_multiple_of(2) { BILLER } else { FRONT_DESK_LEAD };
    let attendees = format!("{official}\n{OWNER}\n{NURSE}\n{fourth}");
    let incident_day = add_days(held_on, -9);
    let decisions = MEETING_DECISIONS[index.min(MEETING_DECISIONS.len() - 1)]
        .replace("{incident}", &format!("on {incident_day}"))
        .replace("{expiry}", &timeline.next_month().strftime("%B %Y").to_string());
    let notes = if postponed {
        "Postponed from mid-month to the last working day of the month because the Security Official was out of the office, and recorded after the period ended."
            .to_owned()
    } else {
        "Reviewed open calendar items, access changes and incidents since the last meeting.".to_owned()
    };
    Some(Draft {
        meeting: Some((held_on, attendees, decisions)),
        ..Draft::by_official(recorded_on, notes, Vec::new())
    })
}

/// Plans one quarterly access review: the second-to-last past quarter is missed and the last
/// past quarter is done nine days late, unless that day has not come yet.
///
/// `mailbox_reported` is true when an earlier review already found the departed assistant's
/// mailbox. Otherwise the first review after her departure finds it.
fn plan_access_review(index: usize, period: &Period, past_quarters: usize, timeline: &Timeline, mailbox_reported: bool) -> Option<Draft> {
    let missed = past_quarters >= 2 && index == past_quarters - 2;
    let late = past_quarters >= 1 && index == past_quarters - 1;
    if missed || index >= past_quarters {
        return None;
    }
    let done_on = if late {
        timeline.past(next_workday(add_days(period.due_on, 9)))?
    } else {
        timeline.past(previous_workday(add_days(period.due_on, -8)))?
    };

    let departure = departure_day(timeline);
    let mailbox_found = !mailbox_reported && done_on > departure;
    let notes = if mailbox_found {
        format!(
            "Compared every active account in the EHR, the Windows domain, Microsoft 365, the clearinghouse and the e-fax service with the roster. Found the Microsoft 365 mailbox of the medical assistant who left on {departure} still enabled; it was disabled the same day and the termination checklist now lists mailboxes."
        )
    } else {
        "Compared every active account in the EHR, the Windows domain, Microsoft 365, the clearinghouse and the e-fax service with the roster and the role matrix. No account without a current workforce member; EHR roles match the matrix.".to_owned()
    };
    let exceptions = if mailbox_found { 1 } else { 0 };
    let file = DemoFile {
        name: format!("access-review-{}.csv", period.due_on),
        text: format!(
            "system,accounts_reviewed,matched_to_roster,exceptions\nEHR,10,10,0\nWindows,11,11,0\nMicrosoft 365,{},11,{exceptions}\nClearinghouse,1,1,0\nE-fax,1,1,0\n",
            11 + exceptions
        ),
    };
    Some(Draft::by_official(done_on, notes, vec![file]))
}

/// Plans one quarterly restore test. The test of the second quarter failed on its first
/// attempt and was repeated three weeks later, and both logs are attached.
fn plan_restore_test(index: usize, period: &Period, timeline: &Timeline, official: &str) -> Option<Draft> {
    let done_on = timeline.past(previous_workday(add_days(period.due_on, -20)))?;
    let passed = restore_log(done_on, official, true);

    if index == 1 {
        let first_attempt = timeline.past(previous_workday(add_days(period.due_on, -41))).unwrap_or(done_on);
        let failed = restore_log(first_attempt, official, false);
        let notes = format!(
            "The first attempt on {first_attempt} failed: the nightly backup to the external disk had stopped, so the newest copy was 19 days old. The IT provider repaired the job, and the repeated test on {done_on} restored all 25 sample files in 38 minutes."
        );
        return Some(Draft::by_official(done_on, notes, vec![failed, passed]));
    }
    let notes = "Restored 25 sample scanned documents from the nightly external-disk backup and one from the weekly cloud copy; all opened and matched their source hashes.".to_owned();
    Some(Draft::by_official(done_on, notes, vec![passed]))
}

fn restore_log(day: Date, official: &str, passed: bool) -> DemoFile {
    let result = if passed {
        "PASSED: 25 of 25 files restored and opened; hashes match the source listing.\nDuration: 38 minutes"
    } else {
        "FAILED: newest copy on the external disk is 19 days old; the nightly job had stopped.\nAction: ticket opened with the outside IT provider; test to be repeated."
    };
    DemoFile {
        name: format!("restore-test-{day}.txt"),
        text: format!(
            "Restore test - Maple Grove Family Medicine\nDate: {day}\nBackup set: file server, nightly copy on the external disk\nSample: 25 scanned documents chosen at random\nPerformed by: {official}\n{result}\n"
        ),
    }
}

/// Plans one monthly security reminder, sent in the first week. The reminder of month 9 was
/// never sent.
fn plan_reminder(index: usize, period: &Period, timeline: &Timeline) -> Option<Draft> {
    if index == 9 {
        return None;
    }
    let sent = timeline.past(previous_workday(add_days(period.starts_on, 6)))?;
    let (subject, body) = REMINDERS[index % REMINDERS.len()];

    let file = DemoFile {
        name: format!("security-reminder-{}.txt", sent.strftime("%Y-%m")),
        text: format!("To: all staff\nDate: {sent}\nSubject: Security reminder - {subject}\n\n{body}\n"),
    };
    let notes = format!("Sent \"{subject}\" to the whole workforce by e-mail and posted it in the staff room.");
    Some(Draft {
        by: Completer::Manager,
        ..Draft::by_official(sent, notes, vec![file])
    })
}

#[cfg(test)]
mod tests {
    use safeguard_domain::calendar::{InstanceState, instance_state};
    use safeguard_domain::catalog;
    use safeguard_domain::compliance::{Status, assess};
    use safeguard_domain::inventory::{Encryption, RISK_UPDATE_OBLIGATION};
    use safeguard_domain::ledger::verify_chain;
    use safeguard_domain::risk::{PlanStatus, Treatment, plan_item_overdue};
    use safeguard_domain::workforce::PersonStatus;

    use super::*;

    fn accounts() -> Vec<DemoAccount> {
        [
            (Role::SecurityOfficial, "official@maplegrove-fm.example", "Dana Quillfeather"),
            (Role::Manager, "manager@maplegrove-fm.example", "Morgan Ferncastle"),
            (Role::Staff, "staff@maplegrove-fm.example", "Sam Thistlewood"),
            (Role::Auditor, "auditor@maplegrove-fm.example", "Ari Kestrelson"),
        ]
        .into_iter()
        .map(|(role, email, name)| DemoAccount {
            role,
            email: email.to_owned(),
            name: name.to_owned(),
            password_hash: "not-a-real-hash".to_owned(),
        })
        .collect()
    }

    /// Seeds a fresh database as of `now` and reopens it for checking.
    async fn seeded(now: Timestamp) -> (Store, tempfile::TempDir) {
        let folder = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::sqlite_file(&folder.path().join("demo.db"));

        seed(&url, &folder.path().join("evidence"), &accounts(), now).await.unwrap();

        let store = Store::open(&url, Arc::new(FixedClock::new(now))).await.unwrap();
        (store, folder)
    }

    #[tokio::test]
    async fn demo_seeds_a_year_of_history() {
        let now: Timestamp = "2026-12-04T15:00:00Z".parse().unwrap();
        let (store, _folder) = seeded(now).await;
        let today = local_date(now, &TimeZone::get("America/New_York").unwrap());

        let people = store.people().await.unwrap();
        assert_eq!(people.len(), 12);
        let terminated: Vec<_> = people.iter().filter(|person| person.status == PersonStatus::Terminated).collect();
        assert_eq!(terminated.len(), 1);
        assert!(terminated[0].end_date.is_some());
        let sanctions = store.sanctions().await.unwrap();
        assert_eq!(sanctions.len(), 1);
        assert_eq!(
            sanctions[0].person_id, terminated[0].id,
            "the sanction concerns the person who left"
        );
        assert!(sanctions[0].applied_on < terminated[0].end_date.unwrap());
        let schedule = store.review_schedule().await.unwrap();
        let systems: Vec<_> = schedule
            .iter()
            .filter_map(|obligation| obligation.reviewed_system.as_deref())
            .collect();
        assert_eq!(systems, ["EHR access log", "Windows sign-ins"]);
        assert_eq!(store.users().await.unwrap().len(), 4);
        assert!(store.current_designation().await.unwrap().is_some());

        let instances = store.instances(true).await.unwrap();
        let states: Vec<InstanceState> = instances
            .iter()
            .map(|instance| instance_state(instance.obligation.cadence, instance.due_on, instance.completed_on, today))
            .collect();
        let overdue = states.iter().filter(|state| **state == InstanceState::Overdue).count();
        let completed = states.iter().filter(|state| state.is_completed()).count();
        let late = states.iter().filter(|state| **state == InstanceState::CompletedLate).count();
        assert!(overdue >= 1, "overdue: {overdue}");
        assert!(completed >= 40, "completed: {completed}");
        assert!(late >= 2, "completed late: {late}");

        let entries = store.ledger_entries().await.unwrap();
        let now_text = safeguard_domain::clock::format_instant(now);
        assert!(entries.iter().all(|stored| stored.entry.recorded_at <= now_text));
        assert!(
            entries
                .windows(2)
                .all(|pair| pair[0].entry.recorded_at <= pair[1].entry.recorded_at)
        );
        assert!(verify_chain(entries).is_ok());

        store.close().await;
    }

    #[tokio::test]
    async fn demo_decisions_leave_some_needed() {
        let now: Timestamp = "2026-12-04T15:00:00Z".parse().unwrap();
        let (store, _folder) = seeded(now).await;

        let decisions = store.latest_addressable_decisions().await.unwrap();
        let addressable: Vec<&str> = catalog::addressable().map(|specification| specification.citation).collect();
        assert_eq!(decisions.len(), 7);
        assert!(decisions.iter().all(|decision| addressable.contains(&decision.citation.as_str())));
        assert_eq!(store.addressable_history("164.308(a)(5)(ii)(D)").await.unwrap().len(), 2);

        store.close().await;
    }

    #[tokio::test]
    async fn demo_seeds_on_any_day() {
        // Month ends, a year boundary and a quarter's first day move every period boundary.
        for now in [
            "2027-01-01T14:00:00Z",
            "2027-03-31T22:00:00Z",
            "2026-07-01T12:00:00Z",
            "2028-02-29T16:00:00Z",
        ] {
            let now: Timestamp = now.parse().unwrap();
            let (store, _folder) = seeded(now).await;

            assert_eq!(store.people().await.unwrap().len(), 12, "{now}");
            assert_eq!(store.sanctions().await.unwrap().len(), 1, "{now}");
            assert_eq!(store.review_schedule().await.unwrap().len(), 2, "{now}");
            assert_eq!(store.assets().await.unwrap().len(), risk::asset_counts().0, "{now}");
            let analyses = store.risk_analyses().await.unwrap();
            assert_eq!(analyses.len(), 2, "{now}");
            assert!(analyses[1].is_final(), "{now}");
            let today = local_date(now, &TimeZone::get("America/New_York").unwrap());
            let analysis_status = assess(&store.program_facts().await.unwrap(), today)
                .iter()
                .flat_map(|standard| standard.specifications.iter())
                .find(|item| item.citation == "164.308(a)(1)(ii)(A)")
                .map(|item| item.status);
            assert_eq!(analysis_status, Some(Status::Met), "{now}");
            assert!(verify_chain(store.ledger_entries().await.unwrap()).is_ok(), "{now}");

            store.close().await;
        }
    }

    #[tokio::test]
    async fn demo_seeds_inventory_and_analyses() {
        let now: Timestamp = "2026-12-04T15:00:00Z".parse().unwrap();
        let (store, _folder) = seeded(now).await;
        let today = local_date(now, &TimeZone::get("America/New_York").unwrap());
        let (asset_total, recent_assets) = risk::asset_counts();
        let (risk_total, accepted_total, decided_again) = risk::risk_counts();

        let assets = store.assets().await.unwrap();
        assert_eq!(assets.len(), asset_total);
        assert!((20..=30).contains(&assets.len()), "assets: {}", assets.len());
        assert!(assets.iter().all(|asset| asset.in_service()));
        let flows = store.data_flows().await.unwrap();
        assert_eq!(flows.len(), 11);
        assert!(flows.iter().any(|flow| flow.encryption == Encryption::NotEncrypted));

        // Version 1 is last year's finalized analysis and version 2 the current draft copied
        // from it, listed newest first.
        let analyses = store.risk_analyses().await.unwrap();
        assert_eq!(analyses.len(), 2);
        let (current, last_year) = (&analyses[0], &analyses[1]);
        assert!(last_year.is_final());
        assert!(!current.is_final());
        assert_eq!(current.copied_from, Some(last_year.id));
        assert!(last_year.analysis_date > today.saturating_sub(Span::new().years(1)));

        let first_entries = store.risk_entries(last_year.id).await.unwrap();
        assert_eq!(first_entries.len(), risk_total);
        assert!(
            first_entries.iter().all(|entry| entry.decision.is_some()),
            "every risk of last year is decided"
        );
        let accepted: Vec<_> = first_entries
            .iter()
            .filter_map(|entry| entry.decision.as_ref())
            .filter(|decision| decision.treatment == Treatment::Accept)
            .collect();
        assert_eq!(accepted.len(), accepted_total);
        assert!(accepted.iter().all(|decision| decision.rationale.is_some()));
        assert!(accepted.iter().all(|decision| {
            decision
                .leadership
                .as_ref()
                .is_some_and(|(name, _, signature)| name == OWNER && signature == OWNER)
        }));

        // Every mitigated risk of last year has exactly one plan item; one open item is past
        // its deadline.
        let items = store.plan_items(None).await.unwrap();
        for entry in &first_entries {
            let mitigated = entry
                .decision
                .as_ref()
                .is_some_and(|decision| decision.treatment == Treatment::Mitigate);
            let planned = items.iter().filter(|item| item.entry_id == entry.id).count();
            assert_eq!(planned, usize::from(mitigated), "{}: {}", entry.asset_name, entry.threat_name);
        }
        let overdue = items
            .iter()
            .filter(|item| plan_item_overdue(item.status, item.deadline, today))
            .count();
        let completed = items.iter().filter(|item| item.status == PlanStatus::Completed).count();
        assert_eq!(overdue, 1);
        assert!(completed >= 10, "completed plan items: {completed}");
        assert!(items.iter().any(|item| item.status == PlanStatus::Planned));

        // The current analysis copies last year's risks, rates the spirometer, and leaves the
        // consultant's chart review unassessed and some risks undecided.
        let current_entries = store.risk_entries(current.id).await.unwrap();
        assert_eq!(current_entries.len(), risk_total + 1);
        let undecided = current_entries.iter().filter(|entry| entry.decision.is_none()).count();
        assert_eq!(undecided, risk_total + 1 - decided_again);
        assert!(undecided > 0);
        let changed = current_entries
            .iter()
            .filter(|entry| {
                first_entries
                    .iter()
                    .any(|previous| previous.risk_key == entry.risk_key && previous.level != entry.level)
            })
            .count();
        assert_eq!(changed, 3, "risk levels changed since last year");
        let unassessed = store.unassessed_assets(current.id).await.unwrap();
        assert_eq!(unassessed.len(), 1);
        assert_eq!(recent_assets, 2);

        // Finalizing last year's analysis completed the annual review and the update the first
        // inventory opened; the two recent assets opened another that is not due yet.
        let instances = store.instances(true).await.unwrap();
        let updates: Vec<_> = instances
            .iter()
            .filter(|instance| instance.obligation.title == RISK_UPDATE_OBLIGATION.title)
            .collect();
        assert_eq!(updates.len(), 2);
        assert_eq!(updates.iter().filter(|instance| instance.completed_on.is_some()).count(), 1);
        assert!(
            updates
                .iter()
                .all(|instance| instance.due_on >= today || instance.completed_on.is_some())
        );
        let first_review = instances
            .iter()
            .filter(|instance| instance.obligation.title == "Annual risk-analysis review")
            .min_by_key(|instance| instance.due_on)
            .unwrap();
        assert!(first_review.completed_on.is_some_and(|day| day <= first_review.due_on));

        // The dashboard shows the risk analysis met and risk management overdue, because of
        // the overdue plan item.
        let statuses = assess(&store.program_facts().await.unwrap(), today);
        let status_of = |citation: &str| {
            statuses
                .iter()
                .flat_map(|standard| standard.specifications.iter())
                .find(|item| item.citation == citation)
                .map(|item| item.status)
                .unwrap()
        };
        assert_eq!(status_of("164.308(a)(1)(ii)(A)"), Status::Met);
        assert_eq!(status_of("164.308(a)(1)(ii)(B)"), Status::Overdue);

        store.close().await;
    }

    #[test]
    fn login_name_skips_titles() {
        assert_eq!(login_name("Dana Reyes"), "dreyes");
        assert_eq!(login_name("Dr. Eleanor Ashgrove"), "eashgrove");
        assert_eq!(login_name("  "), "manager");
    }
}
