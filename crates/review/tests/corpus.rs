//! Corpus tests: real public log files, reviewed with the default rules in UTC.
//!
//! Each test reads one file from the folder named by `SAFEGUARD_CORPUS_DIR` and asserts the
//! exact findings a correct review reports: the rule, the account or address, the count and
//! the first and last times. The expectations were worked out by reading each file (and, for
//! the larger syslog files, by counting its lines with a separate script), not by copying the
//! engine's output. The files are not part of this repository because their licences do not
//! allow it, so the tests are ignored unless the variable is set:
//!
//! ```text
//! SAFEGUARD_CORPUS_DIR=/path/to/corpus cargo test -p safeguard-review --test corpus -- --ignored
//! ```
//!
//! loghub's structured CSVs (`*.log_structured.csv`) are reviewed against the expectations of
//! the `.log` files they were parsed from, and their evidence must point one line lower,
//! because the CSV's header row is line 1.
//!
//! The OTRF zip archives are reviewed whole, each entry as its own source, and give the same
//! findings as the `.security-auth-sample.json` files cut from them, because the samples hold
//! every Security event the rules read. The expectations for the archives were worked out with
//! a separate Python script over the JSON lines.
//!
//! One file is deliberately left out: the HHS breach-portal export, which is a list of
//! breaches and not an activity log (it is checked to be rejected as an unknown format).

use std::path::PathBuf;

use jiff::tz::TimeZone;
use safeguard_review::event::Locator;
use safeguard_review::readers::{Format, ReadError, ReaderOptions};
use safeguard_review::report::Report;
use safeguard_review::review::{NoProgress, ReviewInput, ReviewOptions, run_review};
use safeguard_review::roster::{Person, PersonStatus, Roster, RosterAccount};
use safeguard_review::rules::RuleConfig;

/// One expected finding: rule, account (or client address for address rules), count, first
/// and last time in UTC.
type Expected = (&'static str, &'static str, u64, &'static str, &'static str);

fn corpus_path(relative: &str) -> PathBuf {
    let dir = std::env::var_os("SAFEGUARD_CORPUS_DIR").expect("SAFEGUARD_CORPUS_DIR must name the public log corpus folder");
    PathBuf::from(dir).join(relative)
}

fn options(year: i16, rules: RuleConfig, roster: Option<Roster>) -> ReviewOptions {
    ReviewOptions {
        readers: ReaderOptions::new(year, TimeZone::UTC),
        rules,
        practice_time_zone: TimeZone::UTC,
        roster,
        from: None,
        to: None,
    }
}

fn review_with(relative: &str, options: ReviewOptions) -> Result<Report, ReadError> {
    let input = ReviewInput {
        path: corpus_path(relative),
        format: None,
    };
    run_review(&[input], options, &NoProgress)
}

fn review(relative: &str, year: i16) -> Report {
    match review_with(relative, options(year, RuleConfig::default(), None)) {
        Ok(report) => report,
        Err(error) => panic!("review of {relative} failed: {error}"),
    }
}

fn findings(report: &Report) -> Vec<(String, String, u64, String, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.id().to_owned(),
                f.account.clone().or_else(|| f.client.clone()).unwrap_or_default(),
                f.count,
                f.first_seen.to_string(),
                f.last_seen.to_string(),
            )
        })
        .collect()
}

fn assert_review(relative: &str, year: i16, format: Format, events: u64, expected: &[Expected]) {
    let report = review(relative, year);

    let source = &report.sources[0];
    assert_eq!(source.format, format, "format of {relative}");
    assert_eq!(source.events, events, "events in {relative}");
    assert_eq!(source.unreadable, 0, "unreadable entries in {relative}");
    assert_findings(relative, &report, expected);
}

/// Asserts that reviewing the zip archive `relative` gives one source, its file entry `entry`,
/// with the format, event count and findings given.
fn assert_archive_review(relative: &str, entry: &str, format: Format, events: u64, expected: &[Expected]) {
    let report = review(relative, 2024);

    let names: Vec<&str> = report.sources.iter().map(|source| source.path.as_str()).collect();
    let expected_name = format!("{}!{entry}", corpus_path(relative).display());
    assert_eq!(names, [expected_name.as_str()], "sources of {relative}");
    let source = &report.sources[0];
    assert_eq!(source.format, format, "format of {relative}");
    assert_eq!(source.events, events, "events in {relative}");
    assert_eq!(source.outside_period, 0, "events outside the period in {relative}");
    assert_eq!(source.unreadable, 0, "unreadable entries in {relative}");
    for finding in &report.findings {
        for evidence in &finding.evidence {
            assert_eq!(evidence.file, expected_name, "evidence file of {} in {relative}", finding.rule.id());
        }
    }
    assert_findings(relative, &report, expected);
}

fn assert_findings(relative: &str, report: &Report, expected: &[Expected]) {
    let actual = findings(report);
    let expected: Vec<(String, String, u64, String, String)> = expected
        .iter()
        .map(|(rule, who, count, first, last)| ((*rule).into(), (*who).into(), *count, (*first).into(), (*last).into()))
        .collect();
    for (index, (got, want)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "finding {index} of {relative}");
    }
    assert_eq!(actual.len(), expected.len(), "number of findings in {relative}");
}

/// Asserts that the evidence of a loghub structured CSV points one line below that of the text
/// file it was parsed from. The CSV's header is line 1, so the row of text line N is line N + 1.
fn assert_csv_evidence_follows_text(text: &str, csv: &str, year: i16) {
    let text_report = review(text, year);
    let csv_report = review(csv, year);

    assert!(csv_report.syslog_time_basis.is_some(), "syslog time basis of {csv}");
    assert_eq!(csv_report.findings.len(), text_report.findings.len(), "number of findings in {csv}");
    for (index, (from_csv, from_text)) in csv_report.findings.iter().zip(&text_report.findings).enumerate() {
        let expected: Vec<Locator> = from_text
            .evidence
            .iter()
            .map(|evidence| match evidence.at {
                Locator::Line(line) => Locator::Line(line + 1),
                other => panic!("finding {index} of {text} has evidence at {other}, not at a line"),
            })
            .collect();
        let actual: Vec<Locator> = from_csv.evidence.iter().map(|evidence| evidence.at).collect();

        assert!(!actual.is_empty(), "finding {index} of {csv} has no evidence");
        assert_eq!(actual, expected, "evidence of finding {index} of {csv}");
        assert_eq!(
            from_csv.evidence_total, from_text.evidence_total,
            "evidence total of finding {index} of {csv}"
        );
    }
}

/// Findings in loghub's OpenSSH_2k sample, read in 2005 and UTC, from the text file or its
/// structured CSV.
const OPENSSH_2K_FINDINGS: &[Expected] = &[
    ("password_spray", "5.188.10.180", 20, "2005-12-10T08:24:35Z", "2005-12-10T08:26:24Z"),
    ("password_spray", "103.99.0.122", 30, "2005-12-10T09:11:21Z", "2005-12-10T09:12:44Z"),
    (
        "password_spray",
        "187.141.143.180",
        80,
        "2005-12-10T09:12:48Z",
        "2005-12-10T09:20:02Z",
    ),
    (
        "password_spray",
        "183.62.140.253",
        286,
        "2005-12-10T10:54:29Z",
        "2005-12-10T11:04:43Z",
    ),
    ("password_spray", "103.99.0.122", 16, "2005-12-10T11:03:39Z", "2005-12-10T11:04:45Z"),
    (
        "failed_login_burst_account",
        "root",
        6,
        "2005-12-10T07:13:43Z",
        "2005-12-10T07:13:56Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        31,
        "2005-12-10T07:27:52Z",
        "2005-12-10T07:34:23Z",
    ),
    (
        "failed_login_burst_address",
        "112.95.230.3",
        26,
        "2005-12-10T07:27:52Z",
        "2005-12-10T07:28:51Z",
    ),
    (
        "failed_login_burst_account",
        "admin",
        13,
        "2005-12-10T08:24:58Z",
        "2005-12-10T08:33:31Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        6,
        "2005-12-10T08:39:49Z",
        "2005-12-10T08:39:59Z",
    ),
    (
        "failed_login_burst_address",
        "185.190.58.151",
        18,
        "2005-12-10T09:07:23Z",
        "2005-12-10T09:12:59Z",
    ),
    (
        "failed_login_burst_account",
        "admin",
        23,
        "2005-12-10T09:08:40Z",
        "2005-12-10T09:18:35Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        50,
        "2005-12-10T09:11:31Z",
        "2005-12-10T09:16:55Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        5,
        "2005-12-10T10:04:54Z",
        "2005-12-10T10:05:22Z",
    ),
    (
        "failed_login_burst_account",
        "admin",
        6,
        "2005-12-10T10:14:01Z",
        "2005-12-10T10:14:13Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        278,
        "2005-12-10T10:54:33Z",
        "2005-12-10T11:04:43Z",
    ),
    ("off_hours_activity", "fztu", 1, "2005-12-10T09:32:20Z", "2005-12-10T09:32:20Z"),
];

/// sshd on an Internet-facing host: root and admin guessing from several addresses, five sprays, and one accepted login (fztu) at 09:32 on a Saturday.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn openssh_sshd_log() {
    assert_review("loghub/OpenSSH_2k.log", 2005, Format::Syslog, 533, OPENSSH_2K_FINDINGS);
}

/// loghub's structured CSV of the same sshd log gives the same findings.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn openssh_structured_csv() {
    let csv = "loghub/OpenSSH_2k.log_structured.csv";
    assert_review(csv, 2005, Format::LoghubCsv, 533, OPENSSH_2K_FINDINGS);
    assert_csv_evidence_follows_text("loghub/OpenSSH_2k.log", csv, 2005);
}

/// Findings in loghub's Linux_2k sample, read in 2005 and UTC, from the text file or its
/// structured CSV.
const LINUX_2K_FINDINGS: &[Expected] = &[
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-06-15T02:04:59Z",
        "2005-06-15T02:04:59Z",
    ),
    (
        "failed_login_burst_address",
        "218.188.2.4",
        12,
        "2005-06-15T12:12:34Z",
        "2005-06-15T12:13:20Z",
    ),
    (
        "failed_login_burst_address",
        "061092085098.ctinets.com",
        10,
        "2005-06-15T14:53:32Z",
        "2005-06-15T14:53:36Z",
    ),
    (
        "failed_login_burst_address",
        "adsl-70-242-75-179.dsl.ksc2mo.swbell.net",
        10,
        "2005-06-18T01:30:59Z",
        "2005-06-18T01:30:59Z",
    ),
    (
        "failed_login_burst_address",
        "65.166.159.14",
        10,
        "2005-06-20T09:20:05Z",
        "2005-06-20T09:20:08Z",
    ),
    (
        "failed_login_burst_account",
        "guest",
        6,
        "2005-06-21T08:56:36Z",
        "2005-06-21T08:56:36Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        23,
        "2005-06-22T03:17:26Z",
        "2005-06-22T03:18:22Z",
    ),
    (
        "failed_login_burst_address",
        "ip-216-69-169-168.ip.secureserver.net",
        10,
        "2005-06-22T04:30:55Z",
        "2005-06-22T04:30:56Z",
    ),
    (
        "failed_login_burst_account",
        "guest",
        10,
        "2005-06-23T01:41:29Z",
        "2005-06-23T01:41:32Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        9,
        "2005-06-23T23:30:03Z",
        "2005-06-23T23:30:05Z",
    ),
    (
        "failed_login_burst_address",
        "massive.merukuru.org",
        10,
        "2005-06-25T04:41:49Z",
        "2005-06-25T04:41:51Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        5,
        "2005-06-27T08:05:37Z",
        "2005-06-27T08:05:39Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        9,
        "2005-06-28T08:10:24Z",
        "2005-06-28T08:10:30Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-06-28T20:58:46Z",
        "2005-06-28T20:58:55Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-06-29T10:08:19Z",
        "2005-06-29T10:08:20Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        13,
        "2005-06-29T12:11:53Z",
        "2005-06-29T12:12:10Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-06-30T19:03:00Z",
        "2005-06-30T19:03:07Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        5,
        "2005-06-30T20:16:17Z",
        "2005-06-30T20:16:30Z",
    ),
    (
        "failed_login_burst_address",
        "163.27.187.39",
        23,
        "2005-06-30T20:53:04Z",
        "2005-06-30T20:53:06Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-01T00:21:28Z",
        "2005-07-01T00:21:35Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-01T10:56:41Z",
        "2005-07-01T10:56:44Z",
    ),
    (
        "failed_login_burst_address",
        "zummit.com",
        10,
        "2005-07-02T04:15:33Z",
        "2005-07-02T04:15:43Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        13,
        "2005-07-04T19:15:48Z",
        "2005-07-04T19:16:01Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        5,
        "2005-07-06T02:22:31Z",
        "2005-07-06T02:22:33Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-09T19:34:06Z",
        "2005-07-09T19:34:14Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        80,
        "2005-07-10T16:01:43Z",
        "2005-07-10T16:03:18Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-10T16:33:01Z",
        "2005-07-10T16:33:05Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-11T03:46:14Z",
        "2005-07-11T03:46:19Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-11T17:58:16Z",
        "2005-07-11T17:58:23Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-12T06:09:43Z",
        "2005-07-12T06:09:45Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        8,
        "2005-07-14T14:59:42Z",
        "2005-07-14T15:01:16Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-15T01:03:48Z",
        "2005-07-15T01:03:50Z",
    ),
    (
        "failed_login_burst_address",
        "211-76-104-65.ebix.net.tw",
        10,
        "2005-07-18T23:01:25Z",
        "2005-07-18T23:01:27Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-19T07:35:41Z",
        "2005-07-19T07:35:41Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        10,
        "2005-07-23T20:04:41Z",
        "2005-07-23T20:04:42Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        5,
        "2005-07-24T08:31:57Z",
        "2005-07-24T08:31:59Z",
    ),
    (
        "failed_login_burst_account",
        "root",
        23,
        "2005-07-26T07:02:27Z",
        "2005-07-26T07:04:12Z",
    ),
    ("off_hours_activity", "test", 29, "2005-06-17T20:29:26Z", "2005-07-07T07:18:13Z"),
    ("off_hours_activity", "anonymous", 2, "2005-07-24T02:38:23Z", "2005-07-24T02:38:23Z"),
];

/// PAM failures for root and guest in bursts, unnamed-user bursts per address (sshd and klogind), and off-hours sshd sessions for test plus two anonymous FTP logins.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn linux_messages_log() {
    assert_review("loghub/Linux_2k.log", 2005, Format::Syslog, 638, LINUX_2K_FINDINGS);
}

/// loghub's structured CSV of the same messages log gives the same findings.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn linux_structured_csv() {
    let csv = "loghub/Linux_2k.log_structured.csv";
    assert_review(csv, 2005, Format::LoghubCsv, 638, LINUX_2K_FINDINGS);
    assert_csv_evidence_follows_text("loghub/Linux_2k.log", csv, 2005);
}

/// IEUser created (4720) and added to Users and Administrators (4732); only Administrators is privileged, and the 4728 to the global group "None" is not.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_new_admin_user() {
    let expected: &[Expected] = &[
        (
            "privileged_group_added",
            "IEUser",
            1,
            "2013-10-23T16:22:40.00475Z",
            "2013-10-23T16:22:40.00475Z",
        ),
        (
            "account_created",
            "IEUser",
            1,
            "2013-10-23T16:22:39.9735Z",
            "2013-10-23T16:22:39.9735Z",
        ),
    ];
    assert_review("deepbluecli/new-user-security.evtx", 2024, Format::Evtx, 4, expected);
}

/// jwrig clears the log, then uses explicit credentials (4648) for 41 accounts from 172.16.144.128 in 294 attempts over five minutes.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_explicit_credential_spray() {
    let expected: &[Expected] = &[
        (
            "audit_log_cleared",
            "jwrig",
            1,
            "2019-04-30T19:27:00.2974504Z",
            "2019-04-30T19:27:00.2974504Z",
        ),
        (
            "password_spray",
            "172.16.144.128",
            294,
            "2019-04-30T19:27:02.8472846Z",
            "2019-04-30T19:32:17.4749955Z",
        ),
    ];
    assert_review("deepbluecli/password-spray.evtx", 2024, Format::Evtx, 295, expected);
}

/// 3,561 network logon failures from 192.168.198.149: 3,560 against Administrator and one against JcDfcZTc, so the address burst is kept next to the account burst.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_smb_password_guessing() {
    let expected: &[Expected] = &[
        (
            "failed_login_burst_address",
            "192.168.198.149",
            3561,
            "2016-09-19T16:50:06.4778789Z",
            "2016-09-19T16:52:49.3996746Z",
        ),
        (
            "failed_login_burst_account",
            "Administrator",
            3560,
            "2016-09-19T16:50:06.5131296Z",
            "2016-09-19T16:52:49.3996746Z",
        ),
    ];
    assert_review(
        "deepbluecli/smb-password-guessing-security.evtx",
        2024,
        Format::Evtx,
        3561,
        expected,
    );
}

/// One failure then a success for IEUser: below the default of three failures, so no finding; SYSTEM logons are ignored.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_failure_then_logon() {
    let expected: &[Expected] = &[];
    assert_review(
        "evtx-attack-samples/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
        2024,
        Format::Evtx,
        4,
        expected,
    );
}

/// One 1102 by user01; the 4663 and 5156 records are not mapped.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_log_cleared() {
    let expected: &[Expected] = &[(
        "audit_log_cleared",
        "user01",
        1,
        "2019-03-19T23:35:07.5242021Z",
        "2019-03-19T23:35:07.5242021Z",
    )];
    assert_review(
        "evtx-attack-samples/DE_1102_security_log_cleared.evtx",
        2024,
        Format::Evtx,
        1,
        expected,
    );
}

/// Log cleared, then seven 4768 (unknown principal 0x6) and two 4771 (bad password 0x18) for nine accounts from 172.16.66.1 within a second; the two successful TGT requests for "normal" fall at 20:29 UTC, after office hours.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_kerberos_spray() {
    let expected: &[Expected] = &[
        (
            "audit_log_cleared",
            "a-jbrown",
            1,
            "2020-07-22T20:29:27.3217697Z",
            "2020-07-22T20:29:27.3217697Z",
        ),
        (
            "password_spray",
            "172.16.66.1",
            9,
            "2020-07-22T20:29:36.4148271Z",
            "2020-07-22T20:29:36.4258382Z",
        ),
        (
            "off_hours_activity",
            "normal",
            2,
            "2020-07-22T20:29:36.4346989Z",
            "2020-07-22T20:29:36.4377028Z",
        ),
    ];
    assert_review("evtx-attack-samples/kerberos_pwd_spray_4771.evtx", 2024, Format::Evtx, 12, expected);
}

/// Sixteen local failures in 15 ms, eight each for Admin and Administrator, from workstation WIN.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_local_bruteforce() {
    let expected: &[Expected] = &[
        (
            "failed_login_burst_account",
            "Admin",
            8,
            "2023-09-25T20:39:50.8223974Z",
            "2023-09-25T20:39:50.8364306Z",
        ),
        (
            "failed_login_burst_address",
            "WIN",
            16,
            "2023-09-25T20:39:50.8223974Z",
            "2023-09-25T20:39:50.8364306Z",
        ),
        (
            "failed_login_burst_account",
            "Administrator",
            8,
            "2023-09-25T20:39:50.8226438Z",
            "2023-09-25T20:39:50.8278245Z",
        ),
    ];
    assert_review(
        "evtx-to-mitre-attack/ID 4776,4625-AccountRestore local bruteforce.evtx",
        2024,
        Format::Evtx,
        16,
        expected,
    );
}

/// Five OpenSSH failures for admmig@offsec.lan in 28 s; the earlier network logon of admmig is at 20:43 UTC, after office hours; sshd_4332 is sshd's virtual account.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_openssh_bruteforce() {
    let expected: &[Expected] = &[
        (
            "failed_login_burst_account",
            "admmig@offsec.lan",
            5,
            "2021-05-21T20:43:22.5628712Z",
            "2021-05-21T20:43:50.866108Z",
        ),
        (
            "off_hours_activity",
            "admmig",
            1,
            "2021-05-21T20:43:18.2272306Z",
            "2021-05-21T20:43:18.2272306Z",
        ),
    ];
    assert_review(
        "evtx-to-mitre-attack/ID4625-OpenSSH brutforce with valid users.evtx",
        2024,
        Format::Evtx,
        9,
        expected,
    );
}

/// Two RDP failures (0xC000006E) with no account name, below every threshold.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_rdp_account_restriction() {
    let expected: &[Expected] = &[];
    assert_review(
        "evtx-to-mitre-attack/ID4625-failed login with denied access due to account restriction.evtx",
        2024,
        Format::Evtx,
        2,
        expected,
    );
}

/// admin-kriss created and deleted by lambda-user 78 seconds apart.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn evtx_fast_create_delete() {
    let expected: &[Expected] = &[
        (
            "account_created",
            "admin-kriss",
            1,
            "2020-07-12T05:10:08.4421929Z",
            "2020-07-12T05:10:08.4421929Z",
        ),
        (
            "account_deleted",
            "admin-kriss",
            1,
            "2020-07-12T05:11:26.4316015Z",
            "2020-07-12T05:11:26.4316015Z",
        ),
    ];
    assert_review(
        "evtx-to-mitre-attack/ID4720-4726 Fast created-deleted user.evtx",
        2024,
        Format::Evtx,
        2,
        expected,
    );
}

/// Findings in the OTRF Empire WMIC backdoor dataset: "backdoor" created and deleted by
/// pgustavo. The group change (4728 to "None") is not privileged, and times come from
/// `@timestamp`.
const BACKDOOR_FINDINGS: &[Expected] = &[
    (
        "account_created",
        "backdoor",
        1,
        "2020-09-14T12:06:03.907Z",
        "2020-09-14T12:06:03.907Z",
    ),
    (
        "account_deleted",
        "backdoor",
        1,
        "2020-09-14T12:06:03.91Z",
        "2020-09-14T12:06:03.91Z",
    ),
];

/// The security-auth sample of the backdoor dataset.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn nxlog_backdoor_created_deleted() {
    assert_review(
        "otrf-security-datasets/empire_wmic_add_user_backdoor_2020-09-14080546.security-auth-sample.json",
        2024,
        Format::WindowsJson,
        31,
        BACKDOOR_FINDINGS,
    );
}

/// The whole backdoor dataset, zipped: 12,278 events of every channel, of which 31 are
/// Security events the rules read (26 logons 4624, and one each of 4648, 4720, 4726, 4728 and
/// 4768), the same 31 as in the sample. The logons are pgustavo's from 172.18.39.5 at 12:06 UTC
/// on a Monday, inside office hours, and the machine account WORKSTATION5$, which is a system
/// account, so only the account changes are reported.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn nxlog_backdoor_zip() {
    assert_archive_review(
        "otrf-security-datasets/empire_wmic_add_user_backdoor.zip",
        "empire_wmic_add_user_backdoor_2020-09-14080546.json",
        Format::WindowsJson,
        31,
        BACKDOOR_FINDINGS,
    );
}

/// Findings in the OTRF PurpleSharp playbook dataset: seven accounts tried from WORKSTATION5,
/// seen both as 4625 on the workstation and as 4776 on the DC, 14 attempts in 172 ms. The
/// 4625s name no address ("-"), so the workstation name is the client. The 14 failures also
/// form an address burst, which the spray covers and so is not reported again.
const WORKSTATION_SPRAY_FINDINGS: &[Expected] = &[(
    "password_spray",
    "WORKSTATION5",
    14,
    "2020-10-22T08:29:55.21Z",
    "2020-10-22T08:29:55.382Z",
)];

/// The security-auth sample of the PurpleSharp dataset.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn nxlog_workstation_spray() {
    assert_review(
        "otrf-security-datasets/purplesharp_ad_playbook_I_2020-10-22042947.security-auth-sample.json",
        2024,
        Format::WindowsJson,
        63,
        WORKSTATION_SPRAY_FINDINGS,
    );
}

/// The whole PurpleSharp dataset, zipped: 25,993 events, of which 63 are Security events the
/// rules read (49 logons 4624, seven 4625 and seven 4776), the same 63 as in the sample. Each
/// account fails twice, once in each log, below the burst threshold of five, and pgustavo's
/// next logon follows two failures, below the three that success after failures needs. The
/// successful logons are pgustavo's at 08:29–08:30 UTC on a Thursday, inside office hours.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn nxlog_workstation_spray_zip() {
    assert_archive_review(
        "otrf-security-datasets/purplesharp_ad_playbook_I.zip",
        "purplesharp_ad_playbook_I_2020-10-22042947.json",
        Format::WindowsJson,
        63,
        WORKSTATION_SPRAY_FINDINGS,
    );
}

/// Login by user 95 at 23:41 UTC on a Thursday.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_login() {
    let expected: &[Expected] = &[("off_hours_activity", "95", 1, "2013-06-20T23:41:23Z", "2013-06-20T23:41:23Z")];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-login.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// A logout is not activity for the off-hours rule.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_logout() {
    let expected: &[Expected] = &[];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-logout.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// Export of a patient document to media at 23:42 UTC.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_export_to_media() {
    let expected: &[Expected] = &[("off_hours_activity", "95", 1, "2015-08-27T23:42:24Z", "2015-08-27T23:42:24Z")];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-media.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// PIX query about a patient at 23:42 UTC.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_pix_query() {
    let expected: &[Expected] = &[("off_hours_activity", "95", 1, "2015-08-26T23:42:24Z", "2015-08-26T23:42:24Z")];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-pixQuery.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// A search that names no patient is not record access.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_search() {
    let expected: &[Expected] = &[];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-search.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// Read of Patient/example at 23:42 UTC.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_vread() {
    let expected: &[Expected] = &[("off_hours_activity", "95", 1, "2013-06-20T23:42:24Z", "2013-06-20T23:42:24Z")];
    assert_review(
        "fhir-auditevent-r4/audit-event-example-vread.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// Disclosure of Patient/example for marketing at 00:08 UTC on a Sunday; marketing is not an emergency purpose.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_disclosure() {
    let expected: &[Expected] = &[(
        "off_hours_activity",
        "SomeIdiot@nowhere",
        1,
        "2013-09-22T00:08:00Z",
        "2013-09-22T00:08:00Z",
    )];
    assert_review(
        "fhir-auditevent-r4/auditevent-example-disclosure.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// A failed create without a patient.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_failed_create() {
    let expected: &[Expected] = &[];
    assert_review(
        "fhir-auditevent-r4/auditevent-example-error.json",
        2024,
        Format::FhirJson,
        1,
        expected,
    );
}

/// Application start at 11:04 UTC, not record access.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r4_application_start() {
    let expected: &[Expected] = &[];
    assert_review("fhir-auditevent-r4/auditevent-example.json", 2024, Format::FhirJson, 1, expected);
}

/// Break-glass start (110127, ETREAT) by Practitioner/f001 on Patient/example, Sunday 00:08 UTC, with no review.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn fhir_r5_break_glass_xml() {
    let expected: &[Expected] = &[
        (
            "break_glass_without_review",
            "Practitioner/f001",
            1,
            "2013-09-22T00:08:00Z",
            "2013-09-22T00:08:00Z",
        ),
        (
            "off_hours_activity",
            "Practitioner/f001",
            1,
            "2013-09-22T00:08:00Z",
            "2013-09-22T00:08:00Z",
        ),
    ];
    assert_review(
        "fhir-auditevent-r5-hl7/auditevent-example-breakglass-start.xml",
        2024,
        Format::FhirXml,
        1,
        expected,
    );
}

/// Fifteen sign-ins by adelev on a Wednesday afternoon; two non-zero result codes are below the failure thresholds.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn entra_sign_ins_csv() {
    let expected: &[Expected] = &[];
    assert_review(
        "azure-sentinel-training-lab/sign-in_adelete.first15rows.csv",
        2024,
        Format::EntraCsv,
        15,
        expected,
    );
}

/// Nine account warnings: eight name foo@elastic.co as the affected account, gov_attack_warning names none and falls back to the actor.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn google_login_audit() {
    let expected: &[Expected] = &[
        ("provider_alert", "foo@bar.com", 1, "2020-10-02T15:00:00Z", "2020-10-02T15:00:00Z"),
        (
            "provider_alert",
            "foo@elastic.co",
            8,
            "2020-10-02T15:00:00Z",
            "2020-10-02T15:00:00Z",
        ),
    ];
    assert_review("elastic-integrations/test-login.log", 2024, Format::GoogleLogin, 17, expected);
}

/// The HHS breach-portal export is a CSV but not an activity log.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn breach_report_is_rejected() {
    let relative = "hhs-ocr-breach/breach_report.csv";
    let result = review_with(relative, options(2024, RuleConfig::default(), None));
    assert!(
        matches!(result, Err(ReadError::UnknownFormat { .. })),
        "{relative} should be an unknown format"
    );
}

/// With a lower threshold, the single failure before IEUser's success is reported.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn success_after_one_failure_with_custom_threshold() {
    let mut rules = RuleConfig::default();
    rules.success_after_failures.count = 1;
    let report = review_with(
        "evtx-attack-samples/CA_4624_4625_LogonType2_LogonProc_chrome.evtx",
        options(2024, rules, None),
    )
    .unwrap_or_else(|error| panic!("review failed: {error}"));

    let actual = findings(&report);

    assert_eq!(
        actual,
        vec![(
            "success_after_failures".to_owned(),
            "IEUser".to_owned(),
            2,
            "2020-09-09T13:18:23.6279525Z".to_owned(),
            "2020-09-09T13:18:27.7146132Z".to_owned()
        )]
    );
}

/// A roster whose person left before the sign-ins turns them into departed-account activity,
/// mapped to the person; an empty roster makes the account unknown.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn entra_sign_ins_checked_against_roster() {
    let person = Person {
        name: "Adele Vance".into(),
        practice_role: "front desk".into(),
        start_date: jiff::civil::Date::constant(2019, 1, 7),
        end_date: Some(jiff::civil::Date::constant(2021, 4, 27)),
        status: PersonStatus::Terminated,
        accounts: vec![RosterAccount {
            system: "Microsoft 365".into(),
            identifier: "AdeleV@M365x816222.OnMicrosoft.com".into(),
        }],
    };
    let file = "azure-sentinel-training-lab/sign-in_adelete.first15rows.csv";

    let departed = review_with(file, options(2024, RuleConfig::default(), Some(Roster::new(vec![person]))))
        .unwrap_or_else(|error| panic!("review failed: {error}"));
    let unknown = review_with(file, options(2024, RuleConfig::default(), Some(Roster::new(Vec::new()))))
        .unwrap_or_else(|error| panic!("review failed: {error}"));

    assert_eq!(departed.findings.len(), 1);
    assert_eq!(departed.findings[0].rule.id(), "departed_account_activity");
    assert_eq!(departed.findings[0].person.as_deref(), Some("Adele Vance"));
    assert_eq!(departed.findings[0].count, 13);
    assert_eq!(unknown.findings.len(), 1);
    assert_eq!(unknown.findings[0].rule.id(), "unknown_account_activity");
    assert_eq!(unknown.findings[0].count, 13);
}

/// The syslog year and zone move every time: in New York (UTC-5 in December) the accepted
/// login at 09:32 local time is 14:32 UTC.
#[test]
#[ignore = "needs SAFEGUARD_CORPUS_DIR"]
fn syslog_time_zone_is_applied() {
    let zone = TimeZone::get("America/New_York").unwrap_or_else(|error| panic!("{error}"));
    let mut review_options = options(2016, RuleConfig::default(), None);
    review_options.readers = ReaderOptions::new(2016, zone.clone());
    review_options.practice_time_zone = zone;

    let report = review_with("loghub/OpenSSH_2k.log", review_options).unwrap_or_else(|error| panic!("review failed: {error}"));

    // 2016-12-10 is a Saturday, so the login is still outside office hours.
    let off_hours: Vec<_> = findings(&report).into_iter().filter(|f| f.0 == "off_hours_activity").collect();
    assert_eq!(
        off_hours,
        vec![(
            "off_hours_activity".to_owned(),
            "fztu".to_owned(),
            1,
            "2016-12-10T14:32:20Z".to_owned(),
            "2016-12-10T14:32:20Z".to_owned()
        )]
    );
    let basis = report.syslog_time_basis.unwrap_or_default();
    assert!(basis.contains("2016"), "{basis}");
    assert!(basis.contains("America/New_York"), "{basis}");
}
