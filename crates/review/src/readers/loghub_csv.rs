//! Reader for loghub's structured CSV versions of syslog files (`*.log_structured.csv`).
//!
//! The loghub sample logs come with a CSV that splits each line into columns. Two of its
//! layouts contain syslog lines:
//!
//! - OpenSSH: `LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate`. `Date` is the
//!   month, `Day` the day of the month and `Component` the host. The program column is absent
//!   because every line is sshd's.
//! - Linux: `LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate`. `Level`
//!   is the host and `Component` the program tag without the process id, such as
//!   `sshd(pam_unix)`.
//!
//! Each row is rebuilt into the syslog line it came from (`Dec 10 06:55:46 LabSZ sshd[24200]:
//! ...`) and read by the syslog parser. The year and zone context, the year roll-over,
//! `message repeated` expansion and the pam_unix de-duplication are therefore the same as for
//! the text file. Locators are CSV line numbers, with the header as line 1, so row `LineId` N
//! is on line N + 1 as long as no earlier field spans several lines.

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::csv_lines::LineBreaks;
use super::syslog::{LineSource, SourceLine, SyslogLines, SyslogTimeContext};
use super::{ReadError, ReadItem, Unreadable};
use crate::event::Locator;

/// The column names of one loghub syslog layout.
struct Layout {
    /// Name used in error messages.
    name: &'static str,
    month: &'static str,
    day: &'static str,
    time: &'static str,
    host: &'static str,
    program: Program,
    pid: &'static str,
}

/// The source of the program name in a layout.
enum Program {
    /// The named column contains the program tag without the process id.
    Column(&'static str),
    /// Every line of the file comes from this program.
    Fixed(&'static str),
}

const OPENSSH: Layout = Layout {
    name: "OpenSSH",
    month: "Date",
    day: "Day",
    time: "Time",
    host: "Component",
    program: Program::Fixed("sshd"),
    pid: "Pid",
};

const LINUX: Layout = Layout {
    name: "Linux",
    month: "Month",
    day: "Date",
    time: "Time",
    host: "Level",
    program: Program::Column("Component"),
    pid: "PID",
};

const CONTENT: &str = "Content";
const LINE_ID: &str = "LineId";

impl Layout {
    /// Picks the layout from the header. Of the two, only the Linux layout has a `Month` column.
    fn for_header(names: &[String]) -> &'static Layout {
        if find(names, LINUX.month).is_some() { &LINUX } else { &OPENSSH }
    }

    /// Returns the names of the columns a row needs.
    fn required(&self) -> Vec<&'static str> {
        let mut columns = vec![self.month, self.day, self.time, self.host];
        if let Program::Column(name) = self.program {
            columns.push(name);
        }
        columns.push(CONTENT);
        columns
    }
}

/// Returns the position of a column, matched without regard to case.
fn find(names: &[String], name: &str) -> Option<usize> {
    names.iter().position(|column| column.eq_ignore_ascii_case(name))
}

/// Returns whether a header row starts with loghub's `LineId` column and has every column a
/// row of one syslog layout needs.
pub(crate) fn looks_like(header: &str) -> bool {
    let names: Vec<String> = header
        .split(',')
        .map(|name| name.trim().trim_start_matches('\u{feff}').trim_matches('"').to_owned())
        .collect();
    let starts_with_line_id = names.first().is_some_and(|first| first.eq_ignore_ascii_case(LINE_ID));
    let layout = Layout::for_header(&names);
    starts_with_line_id && layout.required().iter().all(|name| find(&names, name).is_some())
}

/// The positions of the columns a row is rebuilt from.
struct Columns {
    month: usize,
    day: usize,
    time: usize,
    host: usize,
    program: ProgramField,
    pid: Option<usize>,
    content: usize,
}

/// The program column's name and position, or the fixed program of the layout.
enum ProgramField {
    Column { name: &'static str, index: usize },
    Fixed(&'static str),
}

/// Rows of a loghub structured CSV, each rebuilt into its syslog line.
pub(crate) struct LoghubCsvRows<R> {
    records: csv::Reader<LineBreaks<R>>,
    record: csv::ByteRecord,
    layout: &'static Layout,
    columns: Columns,
    invalid_time: String,
}

impl<R: Read> LoghubCsvRows<R> {
    fn new(input: R, path: &Path) -> Result<Self, ReadError> {
        let mut records = csv::ReaderBuilder::new().flexible(true).from_reader(LineBreaks::new(input));
        let names: Vec<String> = records
            .byte_headers()
            .map_err(|error| ReadError::InvalidCsvHeader {
                path: path.to_owned(),
                reason: format!("cannot read the header row: {error}"),
            })?
            .iter()
            .map(|name| String::from_utf8_lossy(name).trim().trim_start_matches('\u{feff}').to_owned())
            .collect();

        let layout = Layout::for_header(&names);
        let required = |name: &'static str, meaning: &str| {
            find(&names, name).ok_or_else(|| ReadError::InvalidCsvHeader {
                path: path.to_owned(),
                reason: format!(
                    "a loghub structured CSV in the {} layout needs column {name:?} ({meaning}), which the header row lacks. \
                     The layout is Linux when the header has a Month column and OpenSSH otherwise",
                    layout.name
                ),
            })
        };
        let columns = Columns {
            month: required(layout.month, "the month")?,
            day: required(layout.day, "the day of the month")?,
            time: required(layout.time, "the time")?,
            host: required(layout.host, "the host name")?,
            program: match layout.program {
                Program::Column(name) => ProgramField::Column {
                    name,
                    index: required(name, "the program")?,
                },
                Program::Fixed(name) => ProgramField::Fixed(name),
            },
            pid: find(&names, layout.pid),
            content: required(CONTENT, "the message")?,
        };
        Ok(Self {
            records,
            record: csv::ByteRecord::new(),
            layout,
            columns,
            invalid_time: format!(
                "invalid month, day or time in columns {}, {} and {}",
                layout.month, layout.day, layout.time
            ),
        })
    }

    fn field(&self, index: usize, name: &str) -> Result<Cow<'_, str>, String> {
        self.record
            .get(index)
            .map(|bytes| String::from_utf8_lossy(bytes.trim_ascii()))
            .ok_or_else(|| format!("the row has no {name} column"))
    }

    /// Writes the row as `Mmm dd HH:MM:SS host program[pid]: content` into `line`.
    ///
    /// The month, day, time and host must each be one word and the process id must be digits,
    /// so that the rebuilt line splits into the same parts as the columns. The program may
    /// contain spaces (loghub keeps tags such as `syslogd 1.4.1`) but not `:`, `[` or `]`,
    /// which would move the end of the tag.
    fn rebuild_line(&self, line: &mut String) -> Result<(), String> {
        let layout = self.layout;
        let month = self.field(self.columns.month, layout.month)?;
        let day = self.field(self.columns.day, layout.day)?;
        let time = self.field(self.columns.time, layout.time)?;
        let host = self.field(self.columns.host, layout.host)?;
        let program = match self.columns.program {
            ProgramField::Column { name, index } => self.field(index, name)?,
            ProgramField::Fixed(name) => Cow::Borrowed(name),
        };
        let pid = match self.columns.pid {
            Some(index) => self.field(index, layout.pid)?,
            None => Cow::Borrowed(""),
        };
        let content = self.field(self.columns.content, CONTENT)?;

        // A month that is not three letters could make the line parse as an RFC 3339 stamp.
        let month_is_name = month.len() == 3 && month.bytes().all(|b| b.is_ascii_alphabetic());
        if !month_is_name || !is_one_word(&day) || !is_one_word(&time) {
            return Err(self.invalid_time.clone());
        }
        if !is_one_word(&host) {
            return Err(format!(
                "invalid host name in column {} (empty or contains white space)",
                layout.host
            ));
        }
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("invalid process id in column {} (expected digits)", layout.pid));
        }
        if let ProgramField::Column { name, .. } = self.columns.program
            && program.contains([':', '[', ']', '\n', '\r'])
        {
            return Err(format!("invalid program in column {name} (contains ':', '[', ']' or a line break)"));
        }

        line.push_str(&month);
        line.push(' ');
        if day.len() == 1 {
            line.push(' ');
        }
        line.push_str(&day);
        line.push(' ');
        line.push_str(&time);
        line.push(' ');
        line.push_str(&host);
        line.push(' ');
        line.push_str(&program);
        if !pid.is_empty() {
            line.push('[');
            line.push_str(&pid);
            line.push(']');
        }
        line.push_str(": ");
        line.push_str(&content);
        Ok(())
    }
}

fn is_one_word(text: &str) -> bool {
    !text.is_empty() && !text.chars().any(char::is_whitespace)
}

impl<R: Read> LineSource for LoghubCsvRows<R> {
    fn next_line(&mut self, line: &mut String) -> io::Result<SourceLine> {
        line.clear();
        match self.records.read_byte_record(&mut self.record) {
            Ok(false) => Ok(SourceLine::End),
            Ok(true) => {
                let offset = self.record.position().map_or(0, csv::Position::byte);
                let locator = Locator::Line(self.records.get_mut().line_at(offset));
                Ok(match self.rebuild_line(line) {
                    Ok(()) => SourceLine::Line(locator),
                    Err(reason) => SourceLine::Unreadable(Unreadable { locator, reason }),
                })
            }
            Err(error) if error.is_io_error() => Err(io::Error::from(error)),
            Err(error) => {
                let offset = error.position().map_or(0, csv::Position::byte);
                Ok(SourceLine::Unreadable(Unreadable {
                    locator: Locator::Line(self.records.get_mut().line_at(offset)),
                    reason: "malformed CSV row".into(),
                }))
            }
        }
    }

    fn invalid_time_reason(&self) -> &str {
        &self.invalid_time
    }
}

/// Streaming reader for loghub's structured CSV of an OpenSSH or Linux syslog file.
pub struct LoghubCsvReader<R>(SyslogLines<LoghubCsvRows<R>>);

impl<R: Read> LoghubCsvReader<R> {
    /// Reads the header row, picks the layout and checks that its columns exist. Rows are read
    /// in the year and zone of `context`, as syslog lines are.
    pub fn new(input: R, context: SyslogTimeContext, path: PathBuf) -> Result<Self, ReadError> {
        let rows = LoghubCsvRows::new(input, &path)?;
        Ok(Self(SyslogLines::new(rows, context, path)))
    }
}

impl<R: Read> Iterator for LoghubCsvReader<R> {
    type Item = Result<ReadItem, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;
    use crate::event::{Action, Event, Outcome};
    use crate::readers::SyslogReader;

    const OPENSSH_HEADER: &str = "LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate\n";
    const LINUX_HEADER: &str = "LineId,Month,Date,Time,Level,Component,PID,Content,EventId,EventTemplate\n";

    fn context(year: i16) -> SyslogTimeContext {
        SyslogTimeContext {
            year,
            time_zone: TimeZone::UTC,
        }
    }

    fn read(text: &str, year: i16) -> Vec<ReadItem> {
        match LoghubCsvReader::new(text.as_bytes(), context(year), PathBuf::from("x.csv")) {
            Ok(reader) => reader
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|error| panic!("read failed: {error}")),
            Err(error) => panic!("header rejected: {error}"),
        }
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

    fn unreadable(items: &[ReadItem]) -> Vec<&Unreadable> {
        items
            .iter()
            .filter_map(|item| match item {
                ReadItem::Unreadable(unreadable) => Some(unreadable),
                ReadItem::Event(_) => None,
            })
            .collect()
    }

    fn header_error(text: &str) -> String {
        match LoghubCsvReader::new(text.as_bytes(), context(2024), PathBuf::from("x.csv")) {
            Ok(_) => panic!("header accepted: {text:?}"),
            Err(ReadError::InvalidCsvHeader { reason, .. }) => reason,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    #[test]
    fn openssh_layout_rows() {
        let text = format!(
            "{OPENSSH_HEADER}\
             1,Dec,10,07:07:38,LabSZ,24206,Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2,E10,x\n\
             2,Dec,10,07:07:45,LabSZ,24206,pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=52.80.34.196,E19,x\n\
             3,Dec,10,09:32:20,LabSZ,24680,Accepted password for fztu from 119.137.62.142 port 49116 ssh2,E2,x\n"
        );
        let items = read(&text, 2005);
        let events = events(&items);

        // The pam_unix(sshd:auth) row repeats the attempt sshd logged itself, so it is dropped.
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].account.as_deref(), Some("test9"));
        assert_eq!(events[0].client.as_deref(), Some("52.80.34.196"));
        assert_eq!(events[0].outcome, Outcome::Failure);
        assert_eq!(events[0].time.to_string(), "2005-12-10T07:07:38Z");
        assert_eq!(events[0].locator, Locator::Line(2));
        assert_eq!(events[1].account.as_deref(), Some("fztu"));
        assert_eq!(events[1].outcome, Outcome::Success);
        assert_eq!(events[1].locator, Locator::Line(4));
    }

    #[test]
    fn linux_layout_rows() {
        let text = format!(
            "{LINUX_HEADER}\
             1,Jun,15,02:04:59,combo,sshd(pam_unix),20882,authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root,E18,x\n\
             2,Jun,15,04:06:18,combo,su(pam_unix),21416,session opened for user cyrus by (uid=0),E101,x\n\
             3,Jul,24,02:38:23,combo,ftpd,16781,\"ANONYMOUS FTP LOGIN FROM 84.102.20.2,  (anonymous)\",E9,x\n\
             4,Jul,27,14:41:57,combo,kernel,,\"klogd 1.4.1, log source = /proc/kmsg started.\",E64,x\n\
             5,Jul,27,14:42:00,combo,syslogd 1.4.1,,restart.,E1,x\n"
        );
        let items = read(&text, 2005);
        let events = events(&items);

        assert_eq!(unreadable(&items), Vec::<&Unreadable>::new());
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].account.as_deref(), Some("root"));
        assert_eq!(events[0].client.as_deref(), Some("220-135-151-1.hinet-ip.hinet.net"));
        assert_eq!(events[0].outcome, Outcome::Failure);
        assert_eq!(events[1].action, Action::SwitchUser);
        assert_eq!(events[1].target.as_deref(), Some("cyrus"));
        assert_eq!(events[2].account.as_deref(), Some("anonymous"));
        assert_eq!(events[2].client.as_deref(), Some("84.102.20.2"));
        assert_eq!(events[2].locator, Locator::Line(4));
    }

    #[test]
    fn rows_match_the_text_lines() {
        let raw = "Dec 31 23:59:58 h sshd[1]: message repeated 3 times: [ Failed password for root from 5.6.7.8 port 1 ssh2]\n\
                   Jan  1 00:00:01 h sshd[2]: Accepted password for alice from 1.1.1.1 port 2 ssh2\n";
        let csv = format!(
            "{OPENSSH_HEADER}\
             1,Dec,31,23:59:58,h,1,message repeated 3 times: [ Failed password for root from 5.6.7.8 port 1 ssh2],E1,x\n\
             2,Jan,1,00:00:01,h,2,Accepted password for alice from 1.1.1.1 port 2 ssh2,E2,x\n"
        );
        let from_text: Vec<ReadItem> = SyslogReader::new(raw.as_bytes(), context(2023), PathBuf::new())
            .collect::<Result<_, _>>()
            .unwrap_or_else(|error| panic!("read failed: {error}"));
        let from_csv = read(&csv, 2023);

        assert_eq!(events(&from_csv).len(), 4);
        assert_eq!(events(&from_csv)[3].time.to_string(), "2024-01-01T00:00:01Z");
        assert_eq!(from_csv.len(), from_text.len());
        for (csv_item, text_item) in from_csv.iter().zip(&from_text) {
            let (ReadItem::Event(csv_event), ReadItem::Event(text_event)) = (csv_item, text_item) else {
                panic!("expected two events, got {csv_item:?} and {text_item:?}");
            };
            let Locator::Line(text_line) = text_event.locator else {
                panic!("expected a line locator, got {}", text_event.locator);
            };
            let mut shifted = text_event.as_ref().clone();
            shifted.locator = Locator::Line(text_line + 1);
            assert_eq!(csv_event.as_ref(), &shifted);
        }
    }

    #[test]
    fn bad_rows_are_unreadable() {
        let text = format!(
            "{LINUX_HEADER}\
             1,Jun,15,02:04:59,combo\n\
             2,Jun,15,25:00:00,combo,sshd(pam_unix),1,authentication failure; user=root,E1,x\n\
             3,2024-06-15T02:04:59Z,15,02:04:59,combo,sshd(pam_unix),1,authentication failure; user=root,E1,x\n\
             4,Jun,15,02:04:59,combo host,sshd(pam_unix),1,authentication failure; user=root,E1,x\n\
             5,Jun,15,02:04:59,combo,sshd(pam_unix),1]: x,authentication failure; user=root,E1,x\n\
             6,Jun,15,02:04:59,combo,sshd: Accepted,1,authentication failure; user=root,E1,x\n\
             7,Jun,15,02:05:00,combo,sshd(pam_unix),1,authentication failure; user=root,E1,x\n"
        );
        let items = read(&text, 2005);
        let unreadable = unreadable(&items);
        let events = events(&items);

        let lines: Vec<Locator> = unreadable.iter().map(|u| u.locator).collect();
        assert_eq!(lines, (2..=7).map(Locator::Line).collect::<Vec<_>>());
        assert_eq!(unreadable[0].reason, "the row has no Component column");
        assert_eq!(unreadable[1].reason, "invalid month, day or time in columns Month, Date and Time");
        assert_eq!(unreadable[2].reason, "invalid month, day or time in columns Month, Date and Time");
        assert!(unreadable[3].reason.contains("column Level"), "{}", unreadable[3].reason);
        assert!(unreadable[4].reason.contains("column PID"), "{}", unreadable[4].reason);
        assert!(unreadable[5].reason.contains("column Component"), "{}", unreadable[5].reason);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].locator, Locator::Line(8));
    }

    #[test]
    fn crlf_and_blank_lines_keep_physical_lines() {
        let text = format!(
            "{}\r\n\r\n\
             1,Dec,10,07:07:38,LabSZ,1,Failed password for root from 1.2.3.4 port 1 ssh2,E10,x\r\n\
             2,Dec,10,07:07:45,LabSZ,2,Failed password for root from 1.2.3.4 port 1 ssh2,E10,x\r\n",
            OPENSSH_HEADER.trim_end()
        );
        let items = read(&text, 2005);
        let lines: Vec<Locator> = events(&items).iter().map(|event| event.locator).collect();

        assert_eq!(lines, vec![Locator::Line(3), Locator::Line(4)]);
    }

    #[test]
    fn multi_line_field_keeps_row_start_line() {
        let text = format!(
            "{OPENSSH_HEADER}\
             1,Dec,10,07:07:38,LabSZ,1,\"Received disconnect\nover two lines\",E1,x\n\
             2,Dec,10,07:07:45,LabSZ,2,Failed password for root from 1.2.3.4 port 1 ssh2,E10,x\n"
        );
        let items = read(&text, 2005);

        assert_eq!(events(&items)[0].locator, Locator::Line(4));
    }

    #[test]
    fn header_missing_a_column_is_rejected() {
        let linux = header_error("LineId,Month,Date,Time,Component,PID,Content,EventId,EventTemplate\n");
        let openssh = header_error("LineId,Date,Time,Component,Pid,Content,EventId,EventTemplate\n");
        let no_content = header_error("LineId,Date,Day,Time,Component,Pid\n");

        assert!(linux.contains("\"Level\""), "{linux}");
        assert!(linux.contains("Linux layout"), "{linux}");
        assert!(openssh.contains("\"Day\""), "{openssh}");
        assert!(no_content.contains("\"Content\""), "{no_content}");
    }

    #[test]
    fn header_detection() {
        assert!(looks_like(OPENSSH_HEADER.trim_end()));
        assert!(looks_like(LINUX_HEADER.trim_end()));
        assert!(looks_like("\u{feff}LineId,Date,Day,Time,Component,Pid,Content"));

        // Other loghub layouts (HDFS, Mac) and a CSV without LineId are not syslog files.
        assert!(!looks_like("LineId,Date,Time,Pid,Level,Component,Content,EventId,EventTemplate"));
        assert!(!looks_like(
            "LineId,Month,Date,Time,User,Component,PID,Address,Content,EventId,EventTemplate"
        ));
        assert!(!looks_like("Date,Day,Time,Component,Pid,Content"));
    }
}
