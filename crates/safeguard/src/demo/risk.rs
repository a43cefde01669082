//! The demo practice's ePHI inventory, data flows, risk analyses and risk management plan.
//!
//! The inventory lists 25 assets: 23 were recorded in the second month of the history and
//! assessed in last year's risk analysis, and 2 were added about two weeks before today, so
//! their risk-analysis update is still open. Last year's analysis rates every asset of that
//! time, decides every risk (four accepted with the owner physician's signature, the rest
//! mitigated with one plan item each) and is finalized. The current analysis started as its
//! copy about twelve days before today. Since then a few ratings changed and about half of the
//! risks were decided again. One new asset is rated and the other is not assessed yet. One plan
//! item, the replacement of the laptop that cannot be encrypted, is past its deadline.
//! Vendor names are invented.

use jiff::civil::Date;
use safeguard_domain::ids::{AssetId, UserId};
use safeguard_domain::inventory::{AssetFields, AssetInput, DataFlowInput};
use safeguard_domain::risk::{
    AnalysisInput, DEFAULT_METHOD, DecisionForm, DecisionInput, EntryInput, Level, PlanItemInput, PlanProgressInput, Treatment,
};
use safeguard_store::risk::{RiskAnalysis, RiskEntry};
use safeguard_store::{Store, StoreError};

use super::{HISTORY_MONTHS, OWNER, SECOND_PHYSICIAN, Timeline, rejected};

const EHR: &str = "Cloud EHR and practice management";
const PORTAL: &str = "Patient portal";
const CLEARINGHOUSE: &str = "Claims clearinghouse";
const EFAX: &str = "E-fax service";
const OFFICE: &str = "Office e-mail and documents";
const ANSWERING: &str = "After-hours answering service";
const PHONES: &str = "Practice phone system and voicemail";
const MOBILES: &str = "Practice mobile phones";
const CLOUD_BACKUP: &str = "Cloud backup service";
const FILE_SERVER: &str = "File server";
const BACKUP_DISK: &str = "External backup disk";
const FRONT_DESK: &str = "Front-desk workstations (3)";
const EXAM_ROOMS: &str = "Exam-room workstations (4)";
const BILLING_PC: &str = "Billing office workstation";
const MANAGER_PC: &str = "Practice manager's workstation";
const LAPTOP_OWNER: &str = "Laptop - Dr. Ashgrove";
const LAPTOP_SECOND: &str = "Laptop - Dr. Birchfield";
const LAPTOP_ON_CALL: &str = "Laptop - shared on-call";
const ECG: &str = "ECG machine";
const SPIROMETER: &str = "Spirometer";
const FIREWALL: &str = "Firewall";
const STAFF_WIFI: &str = "Staff Wi-Fi";
const GUEST_WIFI: &str = "Guest Wi-Fi";
const REMOTE_SUPPORT: &str = "IT provider remote support";
const CONSULTANT: &str = "Billing and coding consultant chart review";

/// The outside IT provider, which manages every device and the network.
const IT_PROVIDER: &str = "Cobblestone IT Partners";
/// The vendor of the cloud EHR, which also runs the patient portal.
const EHR_VENDOR: &str = "Quillberry Health Cloud";

/// One asset of the demo inventory, in the order of the fields of [`AssetFields`].
struct DemoAsset {
    name: &'static str,
    kind: &'static str,
    owner: &'static str,
    location: &'static str,
    ephi: &'static str,
    handling: &'static str,
    records: &'static str,
    at_rest: &'static str,
    in_transit: &'static str,
    sign_in: &'static str,
    backup: &'static str,
    criticality: &'static str,
    vendor: &'static str,
    /// Whether the asset was added two weeks before today rather than before last year's
    /// analysis.
    added_recently: bool,
}

#[allow(clippy::too_many_arguments)] // Each argument is one column of the inventory.
const fn asset(
    name: &'static str,
    kind: &'static str,
    owner: &'static str,
    location: &'static str,
    ephi: &'static str,
    handling: &'static str,
    records: &'static str,
    at_rest: &'static str,
    in_transit: &'static str,
    sign_in: &'static str,
    backup: &'static str,
    criticality: &'static str,
    vendor: &'static str,
) -> DemoAsset {
    DemoAsset {
        name,
        kind,
        owner,
        location,
        ephi,
        handling,
        records,
        at_rest,
        in_transit,
        sign_in,
        backup,
        criticality,
        vendor,
        added_recently: false,
    }
}

const fn added_recently(asset: DemoAsset) -> DemoAsset {
    DemoAsset {
        added_recently: true,
        ..asset
    }
}

/// The inventory. Nine Windows workstations are grouped as four assets by room, because the
/// workstations of one room share their configuration and risks.
// One asset per line keeps the columns comparable from row to row.
#[rustfmt::skip]
static ASSETS: [DemoAsset; 25] = [
    asset(EHR, "vendor_hosted_service", "Practice manager", "Vendor data center", "Charts, schedules, insurance, claims, lab results", "store;process;transmit", "9000", "yes", "yes", "mfa", "not_applicable", "high", EHR_VENDOR),
    asset(PORTAL, "vendor_hosted_service", "Practice manager", "Vendor data center", "Visit summaries, lab results, patient messages", "store;process;transmit", "5200", "yes", "yes", "password", "not_applicable", "medium", EHR_VENDOR),
    asset(CLEARINGHOUSE, "vendor_hosted_service", "Medical biller", "Vendor data center", "Claims, remittances, eligibility checks", "process;transmit", "9000", "yes", "yes", "password", "not_applicable", "high", "Fernhollow Claims Exchange"),
    asset(EFAX, "vendor_hosted_service", "Referral coordinator", "Vendor data center", "Referrals, records requests, outside lab results", "store;transmit", "3000", "yes", "no", "shared", "not_applicable", "medium", "Paperwing Fax Cloud"),
    asset(OFFICE, "vendor_hosted_service", "Practice manager", "Vendor data center", "E-mail with patients and specialists, scanned letters, spreadsheets", "store;process;transmit", "1500", "yes", "yes", "password", "not_applicable", "high", "Tidewell Cloud Office"),
    asset(ANSWERING, "vendor_hosted_service", OWNER, "Vendor call center", "After-hours messages: names, callback numbers, symptoms", "store;transmit", "900", "unknown", "no", "password", "not_applicable", "medium", "Moonlit Message Desk"),
    asset(PHONES, "phones", "Front desk coordinator", "Front desk and exam rooms; hosted by the vendor", "Voicemails with names, dates of birth and symptoms", "store;transmit", "600", "unknown", "no", "password", "not_applicable", "medium", "Chimebridge Voice"),
    asset(MOBILES, "phone_or_tablet", "Practice manager", "Carried by the on-call physician and the practice manager", "Texts and call logs with patients, the EHR mobile app", "store;transmit", "200", "yes", "yes", "password", "not_applicable", "medium", ""),
    asset(CLOUD_BACKUP, "vendor_hosted_service", "Practice manager", "Vendor data center", "Weekly copy of the file server", "store", "6500", "yes", "yes", "mfa", "not_applicable", "high", "Snowfinch Offsite Backup"),
    asset(FILE_SERVER, "server", "Practice manager", "Locked server closet", "Scanned referrals, consent forms, insurance cards, ECG reports", "store;process", "6500", "yes", "yes", "password", "yes", "high", IT_PROVIDER),
    asset(BACKUP_DISK, "removable_media", "Practice manager", "Locked server closet", "Nightly copy of the file server", "store", "6500", "yes", "not_applicable", "none", "not_applicable", "medium", IT_PROVIDER),
    asset(FRONT_DESK, "workstation", "Front desk coordinator", "Front desk", "EHR sessions, scanned insurance cards before upload", "process;store", "", "yes", "yes", "password", "no", "high", IT_PROVIDER),
    asset(EXAM_ROOMS, "workstation", OWNER, "Exam rooms 1 to 4", "EHR sessions during visits", "process", "", "yes", "yes", "password", "no", "high", IT_PROVIDER),
    asset(BILLING_PC, "workstation", "Medical biller", "Billing office", "Claims worksheets, payer correspondence", "store;process", "2000", "yes", "yes", "password", "no", "medium", IT_PROVIDER),
    asset(MANAGER_PC, "workstation", "Practice manager", "Practice manager's office", "Records requests, incident notes, roster", "store;process", "300", "yes", "yes", "password", "no", "medium", IT_PROVIDER),
    asset(LAPTOP_OWNER, "laptop", OWNER, "Carried between the office and home", "EHR sessions, downloaded reports", "store;process", "100", "yes", "yes", "password", "no", "medium", IT_PROVIDER),
    asset(LAPTOP_SECOND, "laptop", SECOND_PHYSICIAN, "Carried between the office and home", "EHR sessions, downloaded reports, saved referral letters", "store;process", "150", "no", "yes", "password", "no", "medium", IT_PROVIDER),
    asset(LAPTOP_ON_CALL, "laptop", "Practice manager", "Signed out at the front desk to the on-call physician", "EHR sessions", "process", "", "yes", "yes", "password", "no", "low", IT_PROVIDER),
    asset(ECG, "medical_device", "Registered nurse", "Procedure room", "ECG tracings with name and date of birth", "store;transmit", "2500", "unknown", "no", "shared", "no", "medium", "Heartwave Diagnostics"),
    added_recently(asset(SPIROMETER, "medical_device", "Registered nurse", "Procedure room", "Lung-function results with name and date of birth", "store;transmit", "40", "no", "yes", "none", "no", "low", "Breathmark Instruments")),
    asset(FIREWALL, "network_device", "Outside IT provider", "Locked server closet", "All ePHI between the office and the internet", "transmit", "", "not_applicable", "yes", "mfa", "not_applicable", "high", IT_PROVIDER),
    asset(STAFF_WIFI, "network_device", "Outside IT provider", "Access points in the office", "EHR and e-mail traffic of laptops and phones", "transmit", "", "not_applicable", "yes", "shared", "not_applicable", "medium", IT_PROVIDER),
    asset(GUEST_WIFI, "network_device", "Outside IT provider", "Waiting room", "Patients' own portal sessions", "transmit", "", "not_applicable", "yes", "shared", "not_applicable", "low", IT_PROVIDER),
    asset(REMOTE_SUPPORT, "vendor_hosted_service", "Practice manager", "IT provider's office", "Screens of any workstation during a support session", "process;transmit", "", "not_applicable", "yes", "mfa", "not_applicable", "high", IT_PROVIDER),
    added_recently(asset(CONSULTANT, "vendor_hosted_service", "Medical biller", "Consultant's office", "Read-only EHR access to sampled charts, audit worksheets", "store;process", "400", "unknown", "yes", "password", "not_applicable", "low", "Ledgerleaf Coding Consultants")),
];

/// A data flow of the demo. Each end is a name and whether it is an outside party rather than
/// an asset of the inventory.
struct DemoFlow {
    from: (&'static str, bool),
    to: (&'static str, bool),
    data: &'static str,
    transport: &'static str,
    encryption: &'static str,
}

const INSIDE: bool = false;
const OUTSIDE: bool = true;

/// The flows recorded with the first inventory. The spirometer's flow is added with it.
#[rustfmt::skip]
static FLOWS: [DemoFlow; 10] = [
    DemoFlow { from: (EHR, INSIDE), to: (CLEARINGHOUSE, INSIDE), data: "Claims (837) and remittances (835)", transport: "SFTP", encryption: "yes" },
    DemoFlow { from: (CLEARINGHOUSE, INSIDE), to: ("Insurance payers", OUTSIDE), data: "Claims and eligibility checks", transport: "EDI over HTTPS", encryption: "yes" },
    DemoFlow { from: ("Reference laboratory", OUTSIDE), to: (EHR, INSIDE), data: "Lab orders and results (HL7)", transport: "Site-to-site VPN", encryption: "yes" },
    DemoFlow { from: (EHR, INSIDE), to: (PORTAL, INSIDE), data: "Visit summaries and lab results", transport: "HTTPS", encryption: "yes" },
    DemoFlow { from: (EFAX, INSIDE), to: ("Specialists and hospitals", OUTSIDE), data: "Referrals and records", transport: "Fax over the phone network", encryption: "no" },
    DemoFlow { from: (ANSWERING, INSIDE), to: (MOBILES, INSIDE), data: "After-hours patient messages", transport: "SMS text message", encryption: "no" },
    DemoFlow { from: (ECG, INSIDE), to: (FILE_SERVER, INSIDE), data: "ECG reports as PDF", transport: "SMB file share", encryption: "no" },
    DemoFlow { from: (FILE_SERVER, INSIDE), to: (BACKUP_DISK, INSIDE), data: "Nightly backup of scanned documents", transport: "USB", encryption: "yes" },
    DemoFlow { from: (FILE_SERVER, INSIDE), to: (CLOUD_BACKUP, INSIDE), data: "Weekly backup copy", transport: "HTTPS", encryption: "yes" },
    DemoFlow { from: (OFFICE, INSIDE), to: ("Patients and specialists", OUTSIDE), data: "Messages marked [secure]", transport: "Encrypted e-mail portal", encryption: "yes" },
];

static SPIROMETER_FLOW: DemoFlow = DemoFlow {
    from: (SPIROMETER, INSIDE),
    to: (EHR, INSIDE),
    data: "Spirometry results",
    transport: "Vendor gateway over HTTPS",
    encryption: "yes",
};

/// The progress of a plan item after last year's analysis.
#[derive(Clone, Copy)]
enum PlanOutcome {
    /// Completed on (month of the history, day) with this evidence.
    Completed((i64, i8), &'static str),
    /// Work started on (month of the history, day) and is still open.
    InProgress((i64, i8)),
    /// Not started.
    Planned,
}

/// The safeguard that mitigates a risk of last year's analysis.
struct DemoPlan {
    /// `administrative`, `physical` or `technical`.
    kind: &'static str,
    safeguard: &'static str,
    owner: &'static str,
    /// The deadline as month of the history and day. Months past the current one are ahead.
    deadline: (i64, i8),
    criteria: &'static str,
    progress: PlanOutcome,
}

/// The decision on a risk of last year's analysis.
enum Decision {
    /// Mitigated with one plan item, leaving the residual level.
    Mitigate(Level, DemoPlan),
    /// Accepted with this rationale by the Security Official and the owner physician.
    Accept(&'static str),
}

/// A risk of the demo's analyses: one threat rated against one asset.
struct DemoRisk {
    asset: &'static str,
    threat: &'static str,
    vulnerabilities: &'static str,
    controls: &'static str,
    likelihood: Level,
    impact: Level,
    decision: Decision,
    /// The rating in the current analysis when it changed: likelihood, impact and the
    /// existing controls as they read now.
    revised: Option<(Level, Level, &'static str)>,
    /// Whether the current analysis already has a decision for the risk again.
    decided_again: bool,
}

use Level::{High, Low, Moderate, VeryHigh, VeryLow};

const fn mitigate(
    residual: Level,
    kind: &'static str,
    safeguard: &'static str,
    owner: &'static str,
    deadline: (i64, i8),
    criteria: &'static str,
    progress: PlanOutcome,
) -> Decision {
    Decision::Mitigate(
        residual,
        DemoPlan {
            kind,
            safeguard,
            owner,
            deadline,
            criteria,
            progress,
        },
    )
}

/// The month of the history after the current one, for deadlines still ahead.
const NEXT_MONTH: i64 = HISTORY_MONTHS + 1;

static RISKS: [DemoRisk; 33] = [
    DemoRisk {
        asset: EHR,
        threat: "phishing",
        vulnerabilities: "Every clinical and front-desk user signs in from the web; a stolen password and an approved prompt open every chart.",
        controls: "Multi-factor sign-in on every EHR account; monthly security reminders.",
        likelihood: Moderate,
        impact: VeryHigh,
        decision: mitigate(
            Moderate,
            "administrative",
            "Quarterly phishing micro-training with a practice exercise",
            "Practice manager",
            (4, 30),
            "Every workforce member attends or signs the handout each quarter.",
            PlanOutcome::Completed((4, 20), "Attendance sheet of the first session: 11 of 11 staff."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: EHR,
        threat: "vendor-breach",
        vulnerabilities: "Every chart lives with one vendor; the practice cannot work when the vendor is down.",
        controls: "Business associate agreement; the vendor's yearly SOC 2 report.",
        likelihood: Low,
        impact: VeryHigh,
        decision: mitigate(
            Low,
            "administrative",
            "Review the EHR vendor's SOC 2 report and confirm the business associate agreement",
            "Practice manager",
            (3, 31),
            "Current SOC 2 Type II report reviewed and the signed agreement on file.",
            PlanOutcome::Completed(
                (3, 18),
                "SOC 2 Type II report reviewed; the signed agreement is in the contracts folder.",
            ),
        ),
        revised: Some((
            Moderate,
            VeryHigh,
            "Business associate agreement; the vendor's yearly SOC 2 report. The vendor had a six-hour outage this year, and paper downtime forms were used.",
        )),
        decided_again: false,
    },
    DemoRisk {
        asset: EHR,
        threat: "insider-loss",
        vulnerabilities: "Broad roles let front-desk staff open clinical notes.",
        controls: "Role matrix; the EHR access log is kept for six years.",
        likelihood: Moderate,
        impact: High,
        decision: mitigate(
            Low,
            "administrative",
            "Check EHR roles against the role matrix at each quarterly access review",
            "Practice manager",
            (4, 15),
            "The access review record shows every EHR role checked against the matrix.",
            PlanOutcome::Completed(
                (4, 10),
                "First quarterly access review compared every EHR role with the matrix; no exceptions.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: PORTAL,
        threat: "weak-passwords",
        vulnerabilities: "Patients choose their own passwords; two-step sign-in is optional for them.",
        controls: "The vendor locks an account after five failed sign-ins.",
        likelihood: Low,
        impact: High,
        decision: Decision::Accept(
            "Patients choose their own portal passwords, and the vendor enforces lockout and offers two-step sign-in. Requiring more of patients would push them back to phone and paper requests, which carry their own risks.",
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: CLEARINGHOUSE,
        threat: "vendor-breach",
        vulnerabilities: "The clearinghouse holds every claim of the practice.",
        controls: "Claims travel over SFTP; the biller's account is personal.",
        likelihood: Low,
        impact: High,
        decision: mitigate(
            Low,
            "administrative",
            "Sign the clearinghouse's current business associate agreement",
            "Medical biller",
            (2, 28),
            "Signed agreement on file.",
            PlanOutcome::Completed((2, 20), "Signed agreement filed in the contracts folder."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: EFAX,
        threat: "misdirected-communication",
        vulnerabilities: "Fax numbers are typed by hand for each referral.",
        controls: "Cover sheet with a confidentiality notice.",
        likelihood: High,
        impact: Moderate,
        decision: mitigate(
            Low,
            "administrative",
            "Keep a directory of verified fax numbers and check every typed number twice",
            "Referral coordinator",
            (3, 15),
            "Frequent recipients come from the directory; the two-check rule is in the front-desk procedure.",
            PlanOutcome::Completed((3, 12), "140 verified numbers loaded in the e-fax address book; procedure updated."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: EFAX,
        threat: "weak-passwords",
        vulnerabilities: "The referral inbox has one login shared by the front desk.",
        controls: "The password changes when someone leaves.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Give each e-fax user an individual account",
            "Practice manager",
            (NEXT_MONTH, 15),
            "Every user signs in with a personal account and the shared login is disabled.",
            PlanOutcome::InProgress((10, 6)),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: OFFICE,
        threat: "phishing",
        vulnerabilities: "Multi-factor sign-in is on for some users only; mailboxes hold referral letters.",
        controls: "Vendor spam and malware filtering; monthly security reminders.",
        likelihood: High,
        impact: High,
        decision: mitigate(
            Moderate,
            "technical",
            "Turn on multi-factor sign-in for every mailbox",
            "Practice manager",
            (NEXT_MONTH, 28),
            "The vendor's sign-in report shows multi-factor sign-in for every user.",
            PlanOutcome::InProgress((4, 15)),
        ),
        revised: Some((
            Moderate,
            High,
            "Vendor spam and malware filtering; monthly security reminders; multi-factor sign-in for the physicians, the biller and the practice manager.",
        )),
        decided_again: false,
    },
    DemoRisk {
        asset: OFFICE,
        threat: "misdirected-communication",
        vulnerabilities: "Addresses autocomplete, and staff e-mail patients and specialists.",
        controls: "Training on the minimum necessary rule.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Encrypt e-mail sent with [secure] in the subject",
            "Outside IT provider",
            (3, 31),
            "A test message to an outside mailbox arrives encrypted.",
            PlanOutcome::Completed(
                (3, 20),
                "Rule tested with an outside mailbox; the message arrived through the encrypted portal.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: ANSWERING,
        threat: "misdirected-communication",
        vulnerabilities: "Messages reach the on-call phone as plain text messages.",
        controls: "Messages carry first names and callback numbers only.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Deliver after-hours messages through the answering service's secure app",
            OWNER,
            (HISTORY_MONTHS + 2, 15),
            "No message arrives by SMS for a whole month.",
            PlanOutcome::Planned,
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: ANSWERING,
        threat: "vendor-breach",
        vulnerabilities: "The service keeps messages for 90 days on its own systems.",
        controls: "None beyond the service contract.",
        likelihood: Low,
        impact: Moderate,
        decision: mitigate(
            VeryLow,
            "administrative",
            "Sign a business associate agreement with the answering service",
            "Practice manager",
            (3, 31),
            "Signed agreement on file.",
            PlanOutcome::Completed((3, 5), "Signed agreement filed in the contracts folder."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: PHONES,
        threat: "weak-passwords",
        vulnerabilities: "The front desk shares one voicemail PIN.",
        controls: "Voicemail is reachable only from practice phones or with the PIN.",
        likelihood: Moderate,
        impact: Low,
        decision: mitigate(
            VeryLow,
            "technical",
            "Give each front-desk voicemail box its own PIN",
            "Front desk coordinator",
            (3, 15),
            "Each box has a personal PIN and the shared PIN no longer works.",
            PlanOutcome::Completed((2, 25), "Three boxes with personal PINs; the shared PIN was retired."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: MOBILES,
        threat: "equipment-loss-theft",
        vulnerabilities: "Phones travel with the on-call physician and hold texts from patients.",
        controls: "Six-digit PIN; device encryption.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Enroll every practice phone in remote wipe",
            "Outside IT provider",
            (3, 31),
            "A test wipe of the spare phone works.",
            PlanOutcome::Completed((3, 25), "All four phones enrolled; a test wipe of the spare worked."),
        ),
        revised: Some((
            High,
            Moderate,
            "Six-digit PIN; device encryption; remote wipe, which erased the phone lost this year within two hours.",
        )),
        decided_again: false,
    },
    DemoRisk {
        asset: CLOUD_BACKUP,
        threat: "vendor-breach",
        vulnerabilities: "The weekly copy of every scanned document sits with the vendor.",
        controls: "The copy is encrypted before upload; business associate agreement.",
        likelihood: Low,
        impact: High,
        decision: mitigate(
            Low,
            "administrative",
            "Renew the business associate agreement with the cloud backup service",
            "Practice manager",
            (NEXT_MONTH, 20),
            "Renewed agreement signed before the current one expires.",
            PlanOutcome::InProgress((HISTORY_MONTHS - 1, 22)),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: FILE_SERVER,
        threat: "ransomware",
        vulnerabilities: "Every workstation maps the scanned-document share.",
        controls: "Managed anti-malware; nightly and weekly backups.",
        likelihood: Moderate,
        impact: VeryHigh,
        decision: mitigate(
            Moderate,
            "technical",
            "Test a restore from backup every quarter",
            "Practice manager",
            (5, 31),
            "A sample restores completely from the latest nightly copy.",
            PlanOutcome::Completed(
                (5, 20),
                "The repeated restore test passed after the nightly job was repaired; both logs are on the calendar item.",
            ),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: FILE_SERVER,
        threat: "power-hardware-failure",
        vulnerabilities: "A power cut stops the server without a clean shutdown.",
        controls: "Mirrored disks.",
        likelihood: Moderate,
        impact: High,
        decision: mitigate(
            Low,
            "physical",
            "Put the server and the firewall on a battery backup with automatic shutdown",
            "Outside IT provider",
            (4, 30),
            "Pulling the plug leads to a clean shutdown.",
            PlanOutcome::Completed((4, 16), "Battery backup installed; the test shutdown was clean."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: BACKUP_DISK,
        threat: "power-hardware-failure",
        vulnerabilities: "The nightly job can stop without anyone noticing.",
        controls: "The quarterly restore test.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Alert the practice manager when the nightly backup fails",
            "Outside IT provider",
            (5, 31),
            "A failed job sends an e-mail by the next morning.",
            PlanOutcome::Completed((5, 6), "Alert tested by unplugging the disk; the e-mail arrived the next morning."),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: BACKUP_DISK,
        threat: "equipment-loss-theft",
        vulnerabilities: "A portable disk holds a full copy of the file server.",
        controls: "The backup is encrypted.",
        likelihood: Low,
        impact: High,
        decision: mitigate(
            VeryLow,
            "physical",
            "Keep the backup disk in the locked server cabinet",
            "Practice manager",
            (2, 28),
            "The disk is inside the cabinet at every monthly check.",
            PlanOutcome::Completed(
                (2, 20),
                "Disk moved into the cabinet; keys held by the practice manager and the IT provider.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: FRONT_DESK,
        threat: "insider-loss",
        vulnerabilities: "Sessions stay open while staff step away from a busy desk.",
        controls: "Personal Windows and EHR accounts.",
        likelihood: High,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Lock workstations after 5 minutes without use",
            "Outside IT provider",
            (3, 15),
            "An idle workstation locks within 5 minutes.",
            PlanOutcome::Completed((2, 26), "Group policy applied to all nine workstations; checked at each desk."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: FRONT_DESK,
        threat: "ransomware",
        vulnerabilities: "Front-desk users open attachments from patients and payers.",
        controls: "Managed anti-malware.",
        likelihood: Moderate,
        impact: High,
        decision: mitigate(
            Low,
            "technical",
            "Remove local administrator rights from every workstation",
            "Outside IT provider",
            (3, 31),
            "No workstation user is a local administrator.",
            PlanOutcome::Completed(
                (3, 27),
                "Report from the IT provider: no local administrators on the nine workstations.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: EXAM_ROOMS,
        threat: "unpatched-software",
        vulnerabilities: "Updates waited for a restart that nobody made.",
        controls: "Automatic updates.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Install security updates monthly and send a patch report",
            "Outside IT provider",
            (3, 31),
            "Each monthly report shows every workstation current.",
            PlanOutcome::Completed((3, 30), "First monthly patch report received; all nine workstations current."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: BILLING_PC,
        threat: "phishing",
        vulnerabilities: "Fake payer e-mails ask to change bank details or resend claims.",
        controls: "Spam filtering.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "administrative",
            "Verify any change of payer or bank details by phone",
            "Medical biller",
            (3, 15),
            "The billing procedure requires a call-back on a known number.",
            PlanOutcome::Completed((3, 3), "Procedure updated and signed by the biller."),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: MANAGER_PC,
        threat: "insider-loss",
        vulnerabilities: "Records requests and incident notes were saved on the desktop.",
        controls: "Personal Windows account; disk encryption.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "technical",
            "Store documents with ePHI only on the file server",
            "Practice manager",
            (4, 30),
            "The desktop holds no documents with ePHI.",
            PlanOutcome::Completed((4, 28), "Documents moved to the file server; the desktop folder is empty."),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: LAPTOP_OWNER,
        threat: "equipment-loss-theft",
        vulnerabilities: "The laptop travels between the office and home.",
        controls: "Disk encryption; screen lock.",
        likelihood: Low,
        impact: High,
        decision: mitigate(
            VeryLow,
            "physical",
            "Never leave a laptop in a car; use a cable lock at home",
            OWNER,
            (3, 1),
            "Rule signed by each laptop user.",
            PlanOutcome::Completed((2, 20), "Laptop rule signed by both physicians."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: LAPTOP_SECOND,
        threat: "equipment-loss-theft",
        vulnerabilities: "The laptop has no disk encryption, because its hardware cannot run it, and it holds saved referral letters.",
        controls: "Windows password; screen lock.",
        likelihood: Moderate,
        impact: VeryHigh,
        decision: mitigate(
            Low,
            "technical",
            "Replace the laptop that cannot be encrypted with an encrypted one",
            "Outside IT provider",
            (HISTORY_MONTHS - 2, 28),
            "The new laptop shows disk encryption on; the old disk is wiped with a certificate.",
            PlanOutcome::InProgress((HISTORY_MONTHS - 4, 12)),
        ),
        revised: Some((
            High,
            VeryHigh,
            "Windows password; screen lock. The replacement was ordered but has not arrived.",
        )),
        decided_again: false,
    },
    DemoRisk {
        asset: LAPTOP_ON_CALL,
        threat: "equipment-loss-theft",
        vulnerabilities: "Several people use the laptop in turn.",
        controls: "Disk encryption; personal EHR accounts.",
        likelihood: Low,
        impact: Moderate,
        decision: mitigate(
            VeryLow,
            "administrative",
            "Sign the on-call laptop in and out at the front desk",
            "Practice manager",
            (3, 15),
            "The sign-out sheet names the holder on every day.",
            PlanOutcome::Completed((3, 10), "Sign-out sheet in use at the front desk."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: ECG,
        threat: "unpatched-software",
        vulnerabilities: "The vendor certifies the device only with its own firmware and patches it once a year.",
        controls: "Yearly vendor service visit.",
        likelihood: Low,
        impact: Moderate,
        decision: Decision::Accept(
            "The practice cannot patch the ECG machine without voiding its certification; the vendor installs updates at its yearly visit. The device has no internet access on its own network segment, which keeps the likelihood low.",
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: ECG,
        threat: "medical-device-attack",
        vulnerabilities: "The device shared the staff network and sends reports over an unencrypted file share.",
        controls: "Shared device login known only to clinical staff.",
        likelihood: Low,
        impact: High,
        decision: mitigate(
            VeryLow,
            "technical",
            "Move the ECG machine to its own network segment without internet access",
            "Outside IT provider",
            (3, 31),
            "The device reaches only the file server.",
            PlanOutcome::Completed(
                (3, 19),
                "Segment in place; a test from the staff network could not reach the device.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: FIREWALL,
        threat: "unpatched-software",
        vulnerabilities: "Firewall firmware was updated only when something broke.",
        controls: "Administrator sign-in with multi-factor authentication.",
        likelihood: Moderate,
        impact: High,
        decision: mitigate(
            Low,
            "technical",
            "Apply firewall firmware updates within 14 days of release",
            "Outside IT provider",
            (4, 30),
            "The monthly report lists the firmware version and its release date.",
            PlanOutcome::Completed(
                (4, 2),
                "Firmware current; the update rule is in the IT provider's service agreement.",
            ),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: STAFF_WIFI,
        threat: "weak-passwords",
        vulnerabilities: "One passphrase for every staff device.",
        controls: "WPA2 encryption.",
        likelihood: Moderate,
        impact: Moderate,
        decision: mitigate(
            Low,
            "administrative",
            "Change the staff Wi-Fi passphrase whenever a workforce member leaves",
            "Outside IT provider",
            (2, 28),
            "The termination checklist includes the passphrase change.",
            PlanOutcome::Completed((2, 27), "Termination checklist updated."),
        ),
        revised: None,
        decided_again: true,
    },
    DemoRisk {
        asset: GUEST_WIFI,
        threat: "weak-passwords",
        vulnerabilities: "The guest passphrase is posted in the waiting room.",
        controls: "Separate network without access to staff devices.",
        likelihood: Low,
        impact: Low,
        decision: Decision::Accept(
            "The guest network carries only patients' own connections and is separated from the staff network. A posted passphrase that changes every quarter is proportionate.",
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: REMOTE_SUPPORT,
        threat: "vendor-breach",
        vulnerabilities: "The IT provider can reach every workstation remotely.",
        controls: "Business associate agreement.",
        likelihood: Low,
        impact: VeryHigh,
        decision: mitigate(
            Low,
            "administrative",
            "Require multi-factor sign-in and on-screen approval for every remote session",
            "Practice manager",
            (3, 15),
            "The person at the workstation approves each session.",
            PlanOutcome::Completed((3, 9), "Confirmed with the IT provider; a test session needed approval."),
        ),
        revised: None,
        decided_again: false,
    },
    DemoRisk {
        asset: FILE_SERVER,
        threat: "fire-flood",
        vulnerabilities: "The server and the nightly disk are in the same closet.",
        controls: "Weekly encrypted copy with the cloud backup service.",
        likelihood: VeryLow,
        impact: VeryHigh,
        decision: Decision::Accept(
            "The weekly cloud copy survives a fire or flood in the office; losing up to a week of scans, which are also on paper, is acceptable.",
        ),
        revised: None,
        decided_again: false,
    },
];

/// The owner physician's title on signatures.
const OWNER_TITLE: &str = "Owner physician";

fn asset_input(asset: &DemoAsset) -> Result<AssetInput, StoreError> {
    let fields = AssetFields {
        name: asset.name.to_owned(),
        kind: asset.kind.to_owned(),
        owner: asset.owner.to_owned(),
        location: asset.location.to_owned(),
        ephi: asset.ephi.to_owned(),
        ephi_handling: asset.handling.to_owned(),
        record_count: asset.records.to_owned(),
        encryption_at_rest: asset.at_rest.to_owned(),
        encryption_in_transit: asset.in_transit.to_owned(),
        sign_in: asset.sign_in.to_owned(),
        backup: asset.backup.to_owned(),
        criticality: asset.criticality.to_owned(),
        vendor: asset.vendor.to_owned(),
    };
    AssetInput::parse(&fields).map_err(|errors| rejected("inventory asset", &errors))
}

/// Returns the id of the asset in service named `name`.
async fn asset_id(store: &Store, name: &str) -> Result<AssetId, StoreError> {
    store
        .assets()
        .await?
        .into_iter()
        .find(|asset| asset.in_service() && asset.details.name.as_str() == name)
        .map(|asset| asset.id)
        .ok_or(StoreError::NotFound { kind: "demo asset" })
}

async fn add_flow(store: &Store, actor: UserId, flow: &DemoFlow) -> Result<(), StoreError> {
    let mut ends = Vec::new();
    for (name, outside) in [flow.from, flow.to] {
        if outside {
            ends.push((String::new(), name.to_owned()));
        } else {
            ends.push((asset_id(store, name).await?.to_string(), String::new()));
        }
    }
    let input = DataFlowInput::<AssetId>::parse(
        &ends[0].0,
        &ends[0].1,
        &ends[1].0,
        &ends[1].1,
        flow.data,
        flow.transport,
        flow.encryption,
    )
    .map_err(|errors| rejected("data flow", &errors))?;
    store.create_data_flow(actor, &input).await?;
    Ok(())
}

/// Records the first inventory and its data flows. Adding the first asset opens the
/// risk-analysis update that last year's analysis completes.
pub(super) async fn build_inventory(store: &Store, actor: UserId, today: Date) -> Result<(), StoreError> {
    for asset in ASSETS.iter().filter(|asset| !asset.added_recently) {
        store.create_asset(actor, &asset_input(asset)?, today).await?;
    }
    for flow in &FLOWS {
        add_flow(store, actor, flow).await?;
    }
    Ok(())
}

/// Adds the networked spirometer, which replaced a stand-alone one, and the billing
/// consultant's chart review, which started this quarter. They open a new risk-analysis update.
pub(super) async fn add_recent_assets(store: &Store, actor: UserId, today: Date) -> Result<(), StoreError> {
    for asset in ASSETS.iter().filter(|asset| asset.added_recently) {
        store.create_asset(actor, &asset_input(asset)?, today).await?;
    }
    add_flow(store, actor, &SPIROMETER_FLOW).await
}

/// Starts an analysis dated `today`. The second one starts as a copy of the first.
pub(super) async fn start_analysis(store: &Store, actor: UserId, today: Date, participants: &str) -> Result<(), StoreError> {
    let title = format!("Risk analysis {}", today.year());
    let scope = "Every system, device and vendor-hosted service in the ePHI inventory, at the practice's one location, and the vendors that store or move ePHI for it.";
    let input = AnalysisInput::parse(&title, &today.to_string(), scope, DEFAULT_METHOD, participants)
        .map_err(|errors| rejected("risk analysis", &errors))?;
    store.start_risk_analysis(actor, &input).await?;
    Ok(())
}

/// Returns the analysis with `version`.
async fn analysis(store: &Store, version: i64) -> Result<RiskAnalysis, StoreError> {
    store
        .risk_analyses()
        .await?
        .into_iter()
        .find(|analysis| analysis.version == version)
        .ok_or(StoreError::NotFound {
            kind: "demo risk analysis",
        })
}

fn entry_input(risk: &DemoRisk, likelihood: Level, impact: Level, controls: &str) -> Result<EntryInput, StoreError> {
    EntryInput::parse(
        risk.asset,
        risk.threat,
        risk.vulnerabilities,
        controls,
        likelihood.code(),
        impact.code(),
    )
    .map_err(|errors| rejected("risk entry", &errors))
}

/// Rates every risk of last year's analysis, version 1.
pub(super) async fn rate_first_analysis(store: &Store, actor: UserId) -> Result<(), StoreError> {
    let first = analysis(store, 1).await?;
    for risk in &RISKS {
        let asset = asset_id(store, risk.asset).await?.to_string();
        let input = entry_input(risk, risk.likelihood, risk.impact, risk.controls)?;
        store.add_risk_entry(actor, first.id, Some(&asset), &input).await?;
    }
    Ok(())
}

/// Returns the entry among `entries` that rates `risk`.
fn find_entry<'a>(entries: &'a [RiskEntry], risk: &DemoRisk) -> Result<&'a RiskEntry, StoreError> {
    entries
        .iter()
        .find(|entry| entry.asset_name == risk.asset && entry.threat_key == risk.threat)
        .ok_or(StoreError::NotFound { kind: "demo risk" })
}

/// Records the decision of `risk` on `entry`, signed by the Security Official and, for an
/// accepted risk, by the owner physician.
async fn decide(store: &Store, actor: UserId, official: &str, entry: &RiskEntry, risk: &DemoRisk, today: Date) -> Result<(), StoreError> {
    let decided_on = today.to_string();
    let form = match &risk.decision {
        Decision::Mitigate(residual, _) => DecisionForm {
            treatment: Treatment::Mitigate.code(),
            decided_on: &decided_on,
            residual_level: residual.code(),
            official_signature: official,
            ..DecisionForm::default()
        },
        Decision::Accept(rationale) => DecisionForm {
            treatment: Treatment::Accept.code(),
            decided_on: &decided_on,
            residual_level: entry.level.code(),
            rationale,
            official_signature: official,
            leadership_name: OWNER,
            leadership_title: OWNER_TITLE,
            leadership_signature: OWNER,
        },
    };
    let input = DecisionInput::parse(form, official).map_err(|errors| rejected("risk decision", &errors))?;
    store.decide_risk(actor, entry.id, &input).await
}

/// Decides every risk of last year's analysis and adds the plan item of each mitigated one.
pub(super) async fn decide_first_analysis(
    store: &Store,
    timeline: &Timeline,
    actor: UserId,
    official: &str,
    today: Date,
) -> Result<(), StoreError> {
    let entries = store.risk_entries(analysis(store, 1).await?.id).await?;
    for risk in &RISKS {
        let entry = find_entry(&entries, risk)?;
        decide(store, actor, official, entry, risk, today).await?;

        if let Decision::Mitigate(_, plan) = &risk.decision {
            let deadline = timeline.day(plan.deadline.0, plan.deadline.1).to_string();
            let input = PlanItemInput::parse(plan.kind, plan.safeguard, plan.owner, &deadline, plan.criteria)
                .map_err(|errors| rejected("risk plan item", &errors))?;
            store.add_plan_item(actor, entry.id, &input).await?;
        }
    }
    Ok(())
}

/// Dates last year's analysis on the day the owner physician accepted it, and finalizes it.
pub(super) async fn finalize_first_analysis(store: &Store, actor: UserId, today: Date) -> Result<(), StoreError> {
    let first = analysis(store, 1).await?;
    let input = AnalysisInput::parse(&first.title, &today.to_string(), &first.scope, &first.method, &first.participants)
        .map_err(|errors| rejected("risk analysis", &errors))?;
    store.update_risk_analysis(actor, first.id, &input).await?;
    store.finalize_risk_analysis(actor, first.id, today).await
}

/// Returns the plan progress updates of the history: (month, day) and the index into the risks.
pub(super) fn plan_updates() -> Vec<((i64, i8), usize)> {
    RISKS
        .iter()
        .enumerate()
        .filter_map(|(index, risk)| match &risk.decision {
            Decision::Mitigate(_, plan) => match plan.progress {
                PlanOutcome::Completed(on, _) | PlanOutcome::InProgress(on) => Some((on, index)),
                PlanOutcome::Planned => None,
            },
            Decision::Accept(_) => None,
        })
        .collect()
}

/// Records the progress of the plan item of risk `index` on `today`.
pub(super) async fn update_plan_item(store: &Store, actor: UserId, index: usize, today: Date) -> Result<(), StoreError> {
    let Decision::Mitigate(_, plan) = &RISKS[index].decision else {
        return Ok(());
    };
    let input = match plan.progress {
        PlanOutcome::Completed(_, evidence) => PlanProgressInput::parse("completed", evidence, &today.to_string()),
        PlanOutcome::InProgress(_) => PlanProgressInput::parse("in_progress", "", ""),
        PlanOutcome::Planned => return Ok(()),
    }
    .map_err(|errors| rejected("risk plan progress", &errors))?;
    let item = store
        .plan_items(None)
        .await?
        .into_iter()
        .find(|item| item.safeguard == plan.safeguard)
        .ok_or(StoreError::NotFound { kind: "demo plan item" })?;
    store.update_plan_item(actor, item.id, &input).await
}

/// Works on the current analysis: revises the ratings that changed, rates the spirometer, and
/// decides again the risks whose treatment is unchanged. The billing consultant's chart review
/// stays unassessed.
pub(super) async fn revise_current_analysis(store: &Store, actor: UserId, official: &str, today: Date) -> Result<(), StoreError> {
    let current = analysis(store, 2).await?;
    let entries = store.risk_entries(current.id).await?;
    for risk in &RISKS {
        let entry = find_entry(&entries, risk)?;
        if let Some((likelihood, impact, controls)) = risk.revised {
            store
                .rate_risk_entry(actor, entry.id, &entry_input(risk, likelihood, impact, controls)?)
                .await?;
        }
        if risk.decided_again {
            decide(store, actor, official, entry, risk, today).await?;
        }
    }

    let spirometer = asset_id(store, SPIROMETER).await?.to_string();
    let input = EntryInput::parse(
        SPIROMETER,
        "medical-device-attack",
        "The device stores results unencrypted and uploads them through the vendor's gateway.",
        "Own network segment with the ECG machine; no local sign-in.",
        Low.code(),
        Moderate.code(),
    )
    .map_err(|errors| rejected("risk entry", &errors))?;
    store.add_risk_entry(actor, current.id, Some(&spirometer), &input).await?;
    Ok(())
}

/// Counts the assets of the demo inventory, and those added after last year's analysis.
#[cfg(test)]
pub(super) fn asset_counts() -> (usize, usize) {
    (ASSETS.len(), ASSETS.iter().filter(|asset| asset.added_recently).count())
}

/// Counts the risks of last year's analysis, the accepted ones, and those decided again in the
/// current analysis.
#[cfg(test)]
pub(super) fn risk_counts() -> (usize, usize, usize) {
    let accepted = RISKS.iter().filter(|risk| matches!(risk.decision, Decision::Accept(_))).count();
    let decided_again = RISKS.iter().filter(|risk| risk.decided_again).count();
    (RISKS.len(), accepted, decided_again)
}
