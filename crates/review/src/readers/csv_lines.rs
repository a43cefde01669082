//! Physical line numbers for CSV records.
//!
//! csv 1.4.0 starts a record's [`csv::Position`] at the line break that ended the previous
//! record, before any blank lines it skips, and counts a line only when it consumes a `\n`.
//! Its line numbers are therefore one short for every record after a CRLF, and blank lines
//! before a record are not counted. [`LineBreaks`] watches the bytes the CSV parser reads and
//! turns a record's byte offset into the line on which a text editor shows the record.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::ops::Range;

/// A [`Read`] wrapper that records where lines break: at `\r\n`, `\n` or a lone `\r`.
///
/// Memory contains only the breaks between the last queried record and the end of the bytes read so
/// far, so it is bounded by the CSV parser's buffer and the longest record.
pub(crate) struct LineBreaks<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Offset of a `\r` that may be the first byte of a `\r\n`.
    pending_cr: Option<u64>,
    /// Byte ranges of the breaks that no query has passed yet, in order.
    breaks: VecDeque<Range<u64>>,
    /// Number of breaks that queries have passed.
    breaks_passed: u64,
}

impl<R> LineBreaks<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            pending_cr: None,
            breaks: VecDeque::new(),
            breaks_passed: 0,
        }
    }

    /// Returns the 1-based line of the first byte at or after `offset` that is not part of a
    /// line break. `offset` is a record's [`csv::Position::byte`], and must not decrease from
    /// one call to the next.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        // A `\r` followed by a byte other than `\n` is a break of its own.
        if let Some(cr) = self.pending_cr
            && cr + 1 < self.offset
        {
            self.pending_cr = None;
            self.breaks.push_back(cr..cr + 1);
        }

        let mut start = offset;
        while let Some(line_break) = self.breaks.front() {
            if line_break.start <= start && start < line_break.end {
                // The position starts on a break (the rest of a CRLF or a skipped blank line),
                // so the record itself starts after it.
                start = line_break.end;
            } else if line_break.end > start {
                break;
            }
            self.breaks.pop_front();
            self.breaks_passed += 1;
        }
        self.breaks_passed + 1
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read == 0
            && let Some(cr) = self.pending_cr.take()
        {
            self.breaks.push_back(cr..cr + 1);
        }

        for (index, &byte) in buf[..read].iter().enumerate() {
            if byte != b'\n' && byte != b'\r' {
                continue;
            }
            let at = self.offset + index as u64;
            if let Some(cr) = self.pending_cr.take() {
                if byte == b'\n' && cr + 1 == at {
                    self.breaks.push_back(cr..at + 1);
                    continue;
                }
                self.breaks.push_back(cr..cr + 1);
            }
            if byte == b'\r' {
                self.pending_cr = Some(at);
            } else {
                self.breaks.push_back(at..at + 1);
            }
        }
        self.offset += read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out one byte per call, so breaks fall across read boundaries.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((first, rest)), Some(slot)) => {
                    *slot = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    /// Returns the first field and line of every record after the header.
    fn record_lines<R: Read>(input: R) -> Vec<(String, u64)> {
        let mut records = csv::ReaderBuilder::new().flexible(true).from_reader(LineBreaks::new(input));
        let mut record = csv::ByteRecord::new();
        let mut lines = Vec::new();
        while records.read_byte_record(&mut record).unwrap_or(false) {
            let offset = record.position().map_or(0, csv::Position::byte);
            let line = records.get_mut().line_at(offset);
            lines.push((String::from_utf8_lossy(&record[0]).into_owned(), line));
        }
        lines
    }

    /// A CSV input and the first field and line of each record after the header.
    type Case = (&'static [u8], &'static [(&'static str, u64)]);

    fn expected(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
        pairs.iter().map(|(field, line)| ((*field).to_owned(), *line)).collect()
    }

    #[test]
    fn line_endings() {
        let cases: [Case; 5] = [
            (b"h,a\nr1,x\nr2,y\n", &[("r1", 2), ("r2", 3)]),
            (b"h,a\r\nr1,x\r\nr2,y\r\n", &[("r1", 2), ("r2", 3)]),
            (b"h,a\rr1,x\rr2,y", &[("r1", 2), ("r2", 3)]),
            (
                b"h,a\r\n\r\n\r\nr1,x\r\n\"r\r\n2\",y\r\nr3,z",
                &[("r1", 4), ("r\r\n2", 5), ("r3", 7)],
            ),
            (b"h,a\n\n\nr1,x\n\"r\n2\",y\n\nr3,z\n", &[("r1", 4), ("r\n2", 5), ("r3", 8)]),
        ];
        for (input, lines) in cases {
            let text = String::from_utf8_lossy(input);
            assert_eq!(record_lines(input), expected(lines), "whole input {text:?}");
            assert_eq!(record_lines(OneByte(input)), expected(lines), "one byte per read {text:?}");
        }
    }
}
