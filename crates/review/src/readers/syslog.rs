//! Linux syslog reader for `auth.log`, `secure` and `messages` (sshd, su, login, PAM, klogind,
//! ftpd).
//!
//! Traditional syslog lines (`Jun 14 15:16:01 host sshd[42]: ...`) carry neither a year nor a
//! time zone, so the caller supplies both in [`SyslogTimeContext`]. The year advances by one
//! when the month goes back by six months or more (December to January), because syslog files
//! are written in time order. Lines with an RFC 3339 stamp (rsyslog's high-precision format) carry their own
//! offset and ignore the context. `message repeated N times: [ ... ]` expands into N events that
//! share the line number.
//!
//! Modern sshd writes its own `Failed password`/`Accepted` line for every attempt and PAM writes
//! a second line for the same attempt as `pam_unix(sshd:auth)`. To count each attempt once, the
//! reader keeps sshd's own lines and drops the `pam_unix(sshd:...)` lines. The older
//! `sshd(pam_unix)[pid]:` form, found where only PAM's lines reach the file, is kept.
//!
//! The parsing runs over a [`LineSource`], so formats that store syslog lines in another shape
//! (loghub's structured CSV) rebuild each line and share every rule above.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::path::PathBuf;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::{ReadError, ReadItem, Unreadable, read_line_lossy};
use crate::event::{Action, Event, Locator, Outcome, SourceSystem, non_empty};

/// The year and time zone in which syslog times without either are read.
#[derive(Clone, Debug)]
pub struct SyslogTimeContext {
    /// The year of the first line.
    pub year: i16,
    /// The time zone the host wrote its local times in.
    pub time_zone: TimeZone,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Maximum number of events one `message repeated N times` line expands to. A larger N is capped,
/// because a corrupted count must not turn one line into billions of events.
const MAX_REPEAT: u64 = 100_000;

/// Returns whether a line starts like a syslog line.
pub(crate) fn looks_like(line: &str) -> bool {
    parse_header(line, &mut YearTracker::new(2000)).is_some() || parse_rfc3339_header(line).is_some()
}

/// The result of asking a [`LineSource`] for its next line.
pub(crate) enum SourceLine {
    /// The line buffer contains the next line, found at this locator.
    Line(Locator),
    /// The source could not build a line from its next record.
    Unreadable(Unreadable),
    /// The input is exhausted.
    End,
}

/// A source of syslog lines, either a text file or records from which the lines are rebuilt.
pub(crate) trait LineSource {
    /// Writes the next line into `line` (cleared first). Only an I/O failure is an error.
    fn next_line(&mut self, line: &mut String) -> io::Result<SourceLine>;

    /// Returns the reason recorded for a line whose timestamp cannot be read.
    fn invalid_time_reason(&self) -> &str;
}

/// The lines of a syslog text file, numbered from 1.
pub(crate) struct TextLines<R> {
    input: R,
    line_number: u64,
    raw: Vec<u8>,
}

impl<R: BufRead> LineSource for TextLines<R> {
    fn next_line(&mut self, line: &mut String) -> io::Result<SourceLine> {
        if !read_line_lossy(&mut self.input, &mut self.raw, line)? {
            return Ok(SourceLine::End);
        }
        self.line_number += 1;
        Ok(SourceLine::Line(Locator::Line(self.line_number)))
    }

    fn invalid_time_reason(&self) -> &str {
        "not a syslog line (expected a timestamp, a host name and a message)"
    }
}

/// Streaming syslog reader over a text file.
pub struct SyslogReader<R>(SyslogLines<TextLines<R>>);

impl<R: BufRead> SyslogReader<R> {
    /// Creates a reader over `input`, reading times with `context`.
    pub fn new(input: R, context: SyslogTimeContext, path: PathBuf) -> Self {
        let lines = TextLines {
            input,
            line_number: 0,
            raw: Vec::new(),
        };
        Self(SyslogLines::new(lines, context, path))
    }
}

impl<R: BufRead> Iterator for SyslogReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

/// The syslog parser over any [`LineSource`]. It assigns years, expands repeated messages and
/// turns each line into an event, an unreadable entry or nothing.
pub(crate) struct SyslogLines<S> {
    source: S,
    context: SyslogTimeContext,
    years: YearTracker,
    path: PathBuf,
    line: String,
    pending: VecDeque<ReadItem>,
    repeat: Option<(Event, u64)>,
    failed: bool,
}

impl<S: LineSource> SyslogLines<S> {
    pub(crate) fn new(source: S, context: SyslogTimeContext, path: PathBuf) -> Self {
        Self {
            source,
            years: YearTracker::new(context.year),
            context,
            path,
            line: String::new(),
            pending: VecDeque::new(),
            repeat: None,
            failed: false,
        }
    }

    fn parse_current_line(&mut self, locator: Locator) {
        if self.line.trim().is_empty() {
            return;
        }

        let parsed = match parse_rfc3339_header(&self.line) {
            Some((time, rest)) => Some((time, rest)),
            None => parse_header(&self.line, &mut self.years)
                .and_then(|(civil, rest)| self.context.time_zone.to_timestamp(civil).ok().map(|time| (time, rest))),
        };
        let Some((time, rest)) = parsed else {
            self.pending
                .push_back(ReadItem::unreadable(locator, self.source.invalid_time_reason()));
            return;
        };

        let Some((_host, rest)) = rest.split_once(' ') else {
            return;
        };
        let Some((tag, message)) = split_tag(rest) else {
            return;
        };

        let (message, repeat) = expand_repeat(message);
        if let Some(event) = parse_message(&tag, message, time, locator) {
            self.repeat = Some((event, repeat));
        }
    }
}

impl<S: LineSource> Iterator for SyslogLines<S> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(Ok(item));
            }
            if let Some((event, remaining)) = self.repeat.take() {
                // Hand out the copies of a repeated message one at a time, so a large N costs
                // no memory.
                if remaining > 1 {
                    self.repeat = Some((event.clone(), remaining - 1));
                }
                return Some(Ok(event.into()));
            }
            if self.failed {
                return None;
            }
            match self.source.next_line(&mut self.line) {
                Ok(SourceLine::End) => return None,
                Ok(SourceLine::Line(locator)) => self.parse_current_line(locator),
                Ok(SourceLine::Unreadable(unreadable)) => return Some(Ok(ReadItem::Unreadable(unreadable))),
                Err(source) => {
                    self.failed = true;
                    return Some(Err(ReadError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
        }
    }
}

/// Assigns years to month-day stamps that have none.
struct YearTracker {
    year: i16,
    last_month: Option<i8>,
}

impl YearTracker {
    fn new(year: i16) -> Self {
        Self { year, last_month: None }
    }

    fn year_for(&mut self, month: i8) -> i16 {
        // A month earlier than the previous line's means the log crossed New Year. Small steps
        // back (a late line one month earlier) are not treated as a new year.
        if let Some(last) = self.last_month
            && month < last
            && last - month >= 6
        {
            self.year = self.year.saturating_add(1);
        }
        self.last_month = Some(month);
        self.year
    }
}

/// Parses `Mmm dd HH:MM:SS ` and returns the civil time and the rest of the line.
fn parse_header<'a>(line: &'a str, years: &mut YearTracker) -> Option<(DateTime, &'a str)> {
    let month_name = line.get(0..3)?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i8 + 1;
    let rest = line.get(3..)?.strip_prefix(' ')?;
    let rest = rest.trim_start_matches(' ');
    let (day, rest) = rest.split_once(' ')?;
    let day: i8 = day.parse().ok()?;
    let (clock, rest) = rest.split_once(' ')?;
    let mut parts = clock.split(':');
    let hour: i8 = parts.next()?.parse().ok()?;
    let minute: i8 = parts.next()?.parse().ok()?;
    let second: i8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }

    // Validate before assigning a year, so an invalid line does not move the year tracker.
    jiff::civil::Date::new(2000, month, day).ok()?;
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..61).contains(&second) {
        return None;
    }
    let year = years.year_for(month);
    let date = jiff::civil::Date::new(year, month, day).ok()?;
    let time = jiff::civil::Time::new(hour, minute, second.min(59), 0).ok()?;
    Some((date.to_datetime(time), rest))
}

/// Parses an RFC 3339 stamp at the start of the line.
fn parse_rfc3339_header(line: &str) -> Option<(jiff::Timestamp, &str)> {
    let (stamp, rest) = line.split_once(' ')?;
    if stamp.len() < 20 || !stamp.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let time = stamp.parse::<jiff::Timestamp>().ok()?;
    Some((time, rest))
}

/// A program tag such as `sshd[42]`, `su(pam_unix)[7]` or `kernel`.
#[derive(Debug)]
struct Tag {
    program: String,
    old_pam_form: bool,
}

fn split_tag(rest: &str) -> Option<(Tag, &str)> {
    let (tag, message) = match rest.split_once(": ") {
        Some(pair) => pair,
        None => (rest.strip_suffix(':')?, ""),
    };
    if tag.contains(' ') {
        return None;
    }
    let program_end = tag.find(['[', '(']).unwrap_or(tag.len());
    let program = tag[..program_end].rsplit('/').next().unwrap_or("").to_owned();
    Some((
        Tag {
            program,
            old_pam_form: tag.contains("(pam_unix)"),
        },
        message,
    ))
}

/// Splits `message repeated N times: [ inner ]` into the inner message and N.
fn expand_repeat(message: &str) -> (&str, u64) {
    let Some(rest) = message.strip_prefix("message repeated ") else {
        return (message, 1);
    };
    let Some((count, inner)) = rest.split_once(" times: [") else {
        return (message, 1);
    };
    let Ok(count) = count.parse::<u64>() else {
        return (message, 1);
    };
    let inner = inner.trim_end().strip_suffix(']').unwrap_or(inner).trim();
    (inner, count.clamp(1, MAX_REPEAT))
}

fn parse_message(tag: &Tag, message: &str, time: jiff::Timestamp, locator: Locator) -> Option<Event> {
    let message = message.trim();
    let event = |action, outcome| Event::new(time, SourceSystem::Linux, action, outcome, locator);

    // PAM lines, in either form: `pam_unix(svc:type): text` or `svc(pam_unix)[pid]: text`.
    let pam = if tag.old_pam_form {
        Some((tag.program.as_str(), message))
    } else {
        message
            .strip_prefix("pam_unix(")
            .and_then(|rest| rest.split_once("): "))
            .map(|(kind, text)| (kind.split(':').next().unwrap_or(""), text))
    };
    if let Some((service, text)) = pam {
        // See the module documentation: sshd logs these attempts itself.
        if service == "sshd" && !tag.old_pam_form {
            return None;
        }
        return parse_pam(service, text, event);
    }

    match tag.program.as_str() {
        "sshd" => parse_sshd(message, event),
        "su" => parse_su(message, event),
        "login" => parse_login(message, event),
        "klogind" => {
            let rest = message.strip_prefix("Authentication failed from ")?;
            let mut e = event(Action::Logon, Outcome::Failure);
            e.client = address_in_parentheses(rest).or_else(|| first_word(rest));
            Some(e)
        }
        "ftpd" => {
            let rest = message.strip_prefix("ANONYMOUS FTP LOGIN FROM ")?;
            let mut e = event(Action::Logon, Outcome::Success);
            e.account = Some("anonymous".to_owned());
            e.client = non_empty(rest.split(',').next().unwrap_or(""));
            Some(e)
        }
        _ => None,
    }
}

fn parse_pam(service: &str, text: &str, event: impl Fn(Action, Outcome) -> Event) -> Option<Event> {
    if let Some(fields) = text.strip_prefix("authentication failure;") {
        let ruser = pam_field(fields, "ruser");
        let user = pam_field(fields, "user");
        let mut e = event(if service == "su" { Action::SwitchUser } else { Action::Logon }, Outcome::Failure);
        if service == "su" {
            e.account = ruser;
            e.target = user;
        } else {
            e.account = user;
        }
        e.client = pam_field(fields, "rhost");
        return Some(e);
    }

    let rest = text.strip_prefix("session opened for user ")?;
    let (user, by) = match rest.split_once(" by ") {
        Some((user, by)) => (user, by),
        None => (rest, ""),
    };
    let by_name = by.split('(').next().unwrap_or("");
    if service == "su" {
        let mut e = event(Action::SwitchUser, Outcome::Success);
        e.account = non_empty(by_name).or_else(|| by.contains("(uid=0)").then(|| "root".into()));
        e.target = non_empty(user);
        Some(e)
    } else {
        let mut e = event(Action::SessionOpened, Outcome::Success);
        e.account = non_empty(user);
        Some(e)
    }
}

/// Reads `key=value` from PAM's `logname= uid=0 ... rhost=h user=u` list.
fn pam_field(fields: &str, key: &str) -> Option<String> {
    fields
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .and_then(non_empty)
}

fn parse_sshd(message: &str, event: impl Fn(Action, Outcome) -> Event) -> Option<Event> {
    let (outcome, rest) = if let Some(rest) = message.strip_prefix("Failed ") {
        (Outcome::Failure, rest)
    } else if let Some(rest) = message.strip_prefix("Accepted ") {
        (Outcome::Success, rest)
    } else {
        return None;
    };

    // `<method> for [invalid user ]<user> from <address> port <port> ssh2`
    let (_method, rest) = rest.split_once(" for ")?;
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    let (user, address) = rest.rsplit_once(" from ")?;
    let mut e = event(Action::Logon, outcome);
    e.account = non_empty(user);
    e.client = first_word(address);
    Some(e)
}

fn parse_su(message: &str, event: impl Fn(Action, Outcome) -> Event) -> Option<Event> {
    // `FAILED SU (to root) alice on pts/0` and `(to root) alice on pts/0`.
    let (outcome, rest) = match message.strip_prefix("FAILED SU ") {
        Some(rest) => (Outcome::Failure, rest),
        None => (Outcome::Success, message),
    };
    let rest = rest.strip_prefix("(to ")?;
    let (target, rest) = rest.split_once(") ")?;
    let user = rest.split(" on ").next().unwrap_or("");
    let mut e = event(Action::SwitchUser, outcome);
    e.account = non_empty(user);
    e.target = non_empty(target);
    Some(e)
}

fn parse_login(message: &str, event: impl Fn(Action, Outcome) -> Event) -> Option<Event> {
    // `FAILED LOGIN 1 FROM host FOR root, Authentication failure`
    if let Some(rest) = message.strip_prefix("FAILED LOGIN ") {
        let (_, rest) = rest.split_once(" FROM ")?;
        let (from, rest) = rest.split_once(" FOR ")?;
        let user = rest.split(',').next().unwrap_or("");
        let mut e = event(Action::Logon, Outcome::Failure);
        e.account = non_empty(user);
        e.client = non_empty(from);
        return Some(e);
    }
    if message.starts_with("ROOT LOGIN ") {
        let mut e = event(Action::Logon, Outcome::Success);
        e.account = Some("root".to_owned());
        return Some(e);
    }
    let rest = message.strip_prefix("LOGIN ON ")?;
    let (_, user) = rest.split_once(" BY ")?;
    let mut e = event(Action::Logon, Outcome::Success);
    e.account = first_word(user);
    Some(e)
}

fn first_word(text: &str) -> Option<String> {
    text.split_whitespace().next().and_then(non_empty)
}

fn address_in_parentheses(text: &str) -> Option<String> {
    let start = text.find('(')? + 1;
    let end = text[start..].find(')')? + start;
    non_empty(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, year: i16) -> Vec<ReadItem> {
        let context = SyslogTimeContext {
            year,
            time_zone: TimeZone::UTC,
        };
        SyslogReader::new(text.as_bytes(), context, PathBuf::from("auth.log"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default()
    }

    fn events(items: &[ReadItem]) -> Vec<&Event> {
        items
            .iter()
            .filter_map(|item| match item {
                ReadItem::Event(event) => Some(event.as_ref()),
                ReadItem::Unreadable(_) => None,
            })
            .collect()
    }

    #[test]
    fn sshd_failed_and_accepted() {
        let items = read(
            "Mar  3 10:00:01 web sshd[10]: Failed password for invalid user bob from 10.0.0.9 port 4242 ssh2\n\
             Mar  3 10:00:05 web sshd[10]: Accepted publickey for alice from 10.0.0.8 port 4243 ssh2\n",
            2024,
        );
        let events = events(&items);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].account.as_deref(), Some("bob"));
        assert_eq!(events[0].outcome, Outcome::Failure);
        assert_eq!(events[0].client.as_deref(), Some("10.0.0.9"));
        assert_eq!(events[0].time.to_string(), "2024-03-03T10:00:01Z");
        assert_eq!(events[1].outcome, Outcome::Success);
        assert_eq!(events[1].locator, Locator::Line(2));
    }

    #[test]
    fn repeated_message_expands() {
        let items = read(
            "Dec 10 07:13:56 h sshd[1]: message repeated 5 times: [ Failed password for root from 5.6.7.8 port 1 ssh2]\n",
            2024,
        );
        let events = events(&items);
        assert_eq!(events.len(), 5);
        assert!(events.iter().all(|e| e.locator == Locator::Line(1)));
        assert!(events.iter().all(|e| e.account.as_deref() == Some("root")));
    }

    #[test]
    fn year_rolls_over_in_january() {
        let items = read(
            "Dec 31 23:59:59 h sshd[1]: Accepted password for a from 1.1.1.1 port 1 ssh2\n\
             Jan  1 00:00:01 h sshd[1]: Accepted password for a from 1.1.1.1 port 1 ssh2\n",
            2023,
        );
        let events = events(&items);
        assert_eq!(events[1].time.to_string(), "2024-01-01T00:00:01Z");
    }

    #[test]
    fn time_zone_is_applied() {
        let context = SyslogTimeContext {
            year: 2024,
            time_zone: TimeZone::get("America/New_York").unwrap_or(TimeZone::UTC),
        };
        let line = "Jul  1 09:00:00 h sshd[1]: Accepted password for a from 1.1.1.1 port 1 ssh2\n";
        let items: Vec<_> = SyslogReader::new(line.as_bytes(), context, PathBuf::new())
            .filter_map(Result::ok)
            .collect();
        let events = events(&items);
        assert_eq!(events[0].time.to_string(), "2024-07-01T13:00:00Z");
    }

    #[test]
    fn pam_sshd_line_forms() {
        let items = read(
            "Dec 10 06:55:46 h sshd[2]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root\n\
             Jun 15 02:04:59 h sshd(pam_unix)[3]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=9.9.9.9  user=root\n\
             Jun 15 02:05:00 h sshd(pam_unix)[3]: check pass; user unknown\n",
            2024,
        );
        let events = events(&items);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].client.as_deref(), Some("9.9.9.9"));
        assert_eq!(events[0].account.as_deref(), Some("root"));
    }

    #[test]
    fn su_and_sessions() {
        let items = read(
            "Jun 15 04:06:18 h su(pam_unix)[1]: session opened for user cyrus by (uid=0)\n\
             Jun 15 04:06:19 h su(pam_unix)[1]: session opened for user root by alice(uid=500)\n\
             Jun 15 04:06:20 h sshd(pam_unix)[2]: session opened for user bob by (uid=0)\n\
             Jun 15 04:06:21 h su: FAILED SU (to root) carol on pts/0\n\
             Jun 15 04:06:22 h login[3]: FAILED LOGIN 1 FROM (null) FOR root, Authentication failure\n",
            2024,
        );
        let events = events(&items);
        assert_eq!(events.len(), 5);
        assert_eq!(events[0].account.as_deref(), Some("root"));
        assert_eq!(events[0].target.as_deref(), Some("cyrus"));
        assert_eq!(events[1].account.as_deref(), Some("alice"));
        assert_eq!(events[2].action, Action::SessionOpened);
        assert_eq!(events[3].outcome, Outcome::Failure);
        assert_eq!(events[3].account.as_deref(), Some("carol"));
        assert_eq!(events[4].account.as_deref(), Some("root"));
        assert_eq!(events[4].client, None);
    }

    #[test]
    fn garbage_line_is_unreadable_and_reading_continues() {
        let items = read(
            "garbage\nMar  3 10:00:01 web kernel: hello\nMar 99 10:00:01 web sshd[1]: x\nMar  3 10:00:02 web sshd[10]: Accepted password for a from 1.1.1.1 port 1 ssh2\n",
            2024,
        );
        let unreadable: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                ReadItem::Unreadable(u) => Some(u.locator),
                ReadItem::Event(_) => None,
            })
            .collect();
        assert_eq!(unreadable, vec![Locator::Line(1), Locator::Line(3)]);
        assert_eq!(events(&items).len(), 1);
    }

    #[test]
    fn rfc3339_stamp_ignores_context() {
        let items = read(
            "2024-03-01T10:00:00.123456+02:00 h sshd[1]: Failed password for a from 1.1.1.1 port 1 ssh2\n",
            1999,
        );
        let events = events(&items);
        assert_eq!(events[0].time.to_string(), "2024-03-01T08:00:00.123456Z");
    }
}
