//! Reading one large EHR access log on several threads.
//!
//! The calling thread reads the file in blocks that end at a record boundary, counts the lines
//! of each block, and deals the blocks to worker threads in turn. Each worker parses its blocks
//! with its own row parser and feeds the per-event rules ([`ActivityRules`]) itself. The events
//! whose rules depend on order ([`is_ordered`]) and the unreadable rows go back to the calling
//! thread with their block number, and it passes them on in block order. So the order-dependent
//! rules and the list of unreadable rows see exactly what one pass shows them, and because each
//! worker receives its blocks in increasing order, the per-event state merges into exactly the
//! state of one pass (see [`ActivityRules::merge`]). A test compares both paths.
//!
//! Memory stays bounded by the blocks in flight: at most [`BLOCKS_IN_FLIGHT_PER_WORKER`] per
//! worker are read ahead, and their buffers are reused.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc;

use super::{Progress, ReviewOptions};
use crate::event::{Action, Event, Locator, Outcome, SourceSystem};
use crate::readers::{EhrRowParser, ReadError, Unreadable, read_ehr_header};
use crate::report::SourceSummary;
use crate::rules::{ActivityRules, Reviewer, is_ordered};

/// How many blocks each worker may have waiting or in progress. Two keep a worker busy while
/// the calling thread reads the next block.
const BLOCKS_IN_FLIGHT_PER_WORKER: usize = 2;

/// Settings for splitting one file among worker threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parallelism {
    /// Worker threads; at most one means one pass on the calling thread.
    pub workers: usize,
    /// Files smaller than this are read in one pass, because starting threads and merging
    /// their state costs more than it saves on small files.
    pub min_file_bytes: u64,
    /// Bytes per block.
    pub block_bytes: usize,
}

impl Parallelism {
    /// Returns the settings for this machine: one worker per core, up to four, for files of
    /// 64 MiB or more, in blocks of 4 MiB.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            workers: cores.min(4),
            min_file_bytes: 64 << 20,
            block_bytes: 4 << 20,
        }
    }

    /// Returns whether a file of `bytes` bytes is worth splitting.
    pub(crate) fn splits(&self, bytes: u64) -> bool {
        self.workers > 1 && bytes >= self.min_file_bytes
    }
}

/// A run of whole records and the line number of its first line.
struct Block {
    index: u64,
    first_line: u64,
    bytes: Vec<u8>,
}

/// A worker's output for one block.
struct BlockResult {
    index: u64,
    bytes: Vec<u8>,
    ordered: Vec<Event>,
    unreadable: Vec<Unreadable>,
    events: u64,
    outside_period: u64,
}

/// Reviews the EHR access log at `path` (source number `source`) with `settings.workers`
/// threads. The caller has already checked that the file is large enough to split.
pub(crate) fn review_ehr_file(
    source: usize,
    path: &Path,
    options: &ReviewOptions,
    settings: Parallelism,
    reviewer: &mut Reviewer,
    summary: &mut SourceSummary,
    progress: &dyn Progress,
) -> Result<(), ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(io_error)?;

    // The csv reader reads ahead of the header, so find where the data starts and seek there.
    let (header_reader, parser) = read_ehr_header(&file, &options.readers.ehr_mapping, path)?;
    let header_end = header_reader.position().byte();
    drop(header_reader);
    let (data_start, first_line) = find_data_start(&mut file, header_end).map_err(io_error)?;
    file.seek(SeekFrom::Start(data_start)).map_err(io_error)?;

    std::thread::scope(|scope| {
        let (result_sender, results) = mpsc::channel::<BlockResult>();
        let mut workers = Vec::with_capacity(settings.workers);
        let mut handles = Vec::with_capacity(settings.workers);
        for _ in 0..settings.workers {
            let (block_sender, blocks) = mpsc::sync_channel::<Block>(BLOCKS_IN_FLIGHT_PER_WORKER);
            let result_sender = result_sender.clone();
            let parser = parser.clone();
            let mut rules = reviewer.activity_rules();
            handles.push(scope.spawn(move || {
                for block in blocks {
                    let result = review_block(block, source, &parser, &mut rules, options);
                    if result_sender.send(result).is_err() {
                        break;
                    }
                }
                rules
            }));
            workers.push(block_sender);
        }
        drop(result_sender);

        let mut merger = BlockMerger {
            source,
            reviewer: &mut *reviewer,
            summary: &mut *summary,
            waiting: BTreeMap::new(),
            next: 0,
            free_buffers: Vec::new(),
            bytes_done: data_start,
        };
        let read = deal_blocks(&mut file, first_line, settings, &workers, &results, &mut merger, progress);

        // Closing the block channels ends the workers once they finish what they hold.
        drop(workers);
        for result in results {
            merger.accept(result, progress);
        }
        for handle in handles {
            match handle.join() {
                Ok(rules) => merger.reviewer.merge_activity(rules),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        read.map_err(io_error)
    })
}

/// Returns the offset and line number of the first data row: past the header, which ends at
/// `header_end`, and past the line breaks that follow it. The csv reader reports the end of
/// the header before the `\n` of a closing `\r\n` and before blank lines, and counts only
/// `\n`, so the breaks are counted here the way [`BlockLines`] counts them.
fn find_data_start(file: &mut File, header_end: u64) -> std::io::Result<(u64, u64)> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(&*file);
    let mut head = Vec::new();
    Read::by_ref(&mut reader).take(header_end).read_to_end(&mut head)?;
    loop {
        let buffer = reader.fill_buf()?;
        let breaks = buffer.iter().take_while(|byte| matches!(byte, b'\r' | b'\n')).count();
        let at_data = buffer.is_empty() || breaks < buffer.len();
        head.extend_from_slice(&buffer[..breaks]);
        reader.consume(breaks);
        if at_data {
            break;
        }
    }
    Ok((head.len() as u64, 1 + count_line_breaks(&head)))
}

/// Reads blocks from `file` and deals them to the workers in turn, taking results back while
/// the number of blocks in flight is at its limit.
fn deal_blocks(
    file: &mut File,
    first_line: u64,
    settings: Parallelism,
    workers: &[mpsc::SyncSender<Block>],
    results: &mpsc::Receiver<BlockResult>,
    merger: &mut BlockMerger<'_>,
    progress: &dyn Progress,
) -> std::io::Result<()> {
    let max_in_flight = (workers.len() * BLOCKS_IN_FLIGHT_PER_WORKER) as u64;
    let mut carry: Vec<u8> = Vec::new();
    let mut line = first_line;
    let mut index = 0u64;
    let mut at_end = false;

    while !at_end {
        let mut bytes = merger.free_buffers.pop().unwrap_or_default();
        bytes.clear();
        bytes.append(&mut carry);

        // Read at least a block, and on until the bytes hold a record boundary.
        let mut complete = None;
        while complete.is_none() {
            let to_read = settings.block_bytes.saturating_sub(bytes.len()).max(64 << 10);
            if Read::by_ref(file).take(to_read as u64).read_to_end(&mut bytes)? == 0 {
                at_end = true;
                break;
            }
            if bytes.len() >= settings.block_bytes {
                complete = complete_records_len(&bytes);
            }
        }
        if let Some(end) = complete {
            carry.extend_from_slice(&bytes[end..]);
            bytes.truncate(end);
        }
        if bytes.is_empty() {
            continue;
        }

        let lines = count_line_breaks(&bytes);
        let block = Block {
            index,
            first_line: line,
            bytes,
        };
        while index - merger.next >= max_in_flight {
            match results.recv() {
                Ok(result) => merger.accept(result, progress),
                Err(_) => return Ok(()),
            }
        }
        let worker = &workers[(index % workers.len() as u64) as usize];
        if worker.send(block).is_err() {
            // A worker only stops early by panicking, which the join after this reports.
            return Ok(());
        }
        index += 1;
        line += lines;
    }
    Ok(())
}

/// Passes block results to the reviewer and the source summary in block order.
struct BlockMerger<'a> {
    source: usize,
    reviewer: &'a mut Reviewer,
    summary: &'a mut SourceSummary,
    waiting: BTreeMap<u64, BlockResult>,
    next: u64,
    free_buffers: Vec<Vec<u8>>,
    bytes_done: u64,
}

impl BlockMerger<'_> {
    fn accept(&mut self, result: BlockResult, progress: &dyn Progress) {
        self.waiting.insert(result.index, result);
        while let Some(result) = self.waiting.remove(&self.next) {
            for event in &result.ordered {
                self.reviewer.observe_ordered(self.source, event);
            }
            for unreadable in result.unreadable {
                self.summary.add_unreadable(unreadable);
            }
            self.summary.events += result.events;
            self.summary.outside_period += result.outside_period;
            self.bytes_done += result.bytes.len() as u64;
            progress.advance(self.bytes_done);
            self.free_buffers.push(result.bytes);
            self.next += 1;
        }
    }
}

/// Parses one block on a worker thread.
fn review_block(block: Block, source: usize, parser: &EhrRowParser, rules: &mut ActivityRules, options: &ReviewOptions) -> BlockResult {
    let mut result = BlockResult {
        index: block.index,
        bytes: Vec::new(),
        ordered: Vec::new(),
        unreadable: Vec::new(),
        events: 0,
        outside_period: 0,
    };
    let mut records = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(block.bytes.as_slice());
    let mut record = csv::ByteRecord::new();
    let mut event = Event::new(
        jiff::Timestamp::UNIX_EPOCH,
        SourceSystem::Ehr,
        Action::Other,
        Outcome::Unknown,
        Locator::Line(0),
    );
    let mut lines = BlockLines::new(&block.bytes, block.first_line);

    loop {
        match records.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => match parser.parse_into(&record, Locator::Line(lines.line_of(record.position())), &mut event) {
                Ok(()) => {
                    if !options.includes(event.time) {
                        result.outside_period += 1;
                        continue;
                    }
                    result.events += 1;
                    rules.observe(source, &event);
                    if is_ordered(&event) {
                        result.ordered.push(event.clone());
                    }
                }
                Err(unreadable) => result.unreadable.push(unreadable),
            },
            Err(error) => result.unreadable.push(Unreadable {
                locator: Locator::Line(lines.line_of(error.position())),
                reason: "malformed CSV row".to_owned(),
            }),
        }
    }

    drop(records);
    result.bytes = block.bytes;
    result
}

/// The line on which each record of a block starts, as a text editor numbers lines: `\r\n`,
/// `\n` and a lone `\r` each end a line.
///
/// The csv crate (1.4.0) starts a record's position at the line break that ended the previous
/// record, before any blank lines it skips, and counts a line only when it reads a `\n`. Its
/// line numbers are exact for a block with neither `\r` nor blank lines, which is what access
/// logs written on Linux look like. For other blocks the line breaks are counted here.
struct BlockLines<'a> {
    bytes: &'a [u8],
    first_line: u64,
    csv_lines_exact: bool,
    /// How far the breaks have been counted, and how many there were.
    counted_to: usize,
    breaks: u64,
}

impl<'a> BlockLines<'a> {
    fn new(bytes: &'a [u8], first_line: u64) -> Self {
        let csv_lines_exact =
            memchr::memchr(b'\r', bytes).is_none() && memchr::memmem::find(bytes, b"\n\n").is_none() && bytes.first() != Some(&b'\n');
        Self {
            bytes,
            first_line,
            csv_lines_exact,
            counted_to: 0,
            breaks: 0,
        }
    }

    /// Returns the line of the record at `position`, or 0 when the csv reader gives none, as
    /// the one-pass reader does. Positions must not decrease from one call to the next.
    fn line_of(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return 0;
        };
        if self.csv_lines_exact {
            return self.first_line - 1 + position.line();
        }

        // The record starts after the line breaks at its reported position.
        let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(self.bytes.len());
        while self.bytes.get(start).is_some_and(|byte| matches!(byte, b'\r' | b'\n')) {
            start += 1;
        }
        if start > self.counted_to {
            self.breaks += count_line_breaks(&self.bytes[self.counted_to..start]);
            self.counted_to = start;
        }
        self.first_line + self.breaks
    }
}

/// Counts line breaks as a text editor does: `\r\n`, `\n` and a lone `\r` each end a line.
/// A block always ends after a `\n` or at the end of the file, so no `\r\n` spans two blocks.
fn count_line_breaks(bytes: &[u8]) -> u64 {
    if memchr::memchr(b'\r', bytes).is_none() {
        return count_line_feeds(bytes);
    }
    let mut breaks = 0;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\n' => breaks += 1,
            b'\r' => {
                breaks += 1;
                if bytes.get(at + 1) == Some(&b'\n') {
                    at += 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    breaks
}

/// Counts the line feeds in `bytes`. Summing into one byte per chunk of 255 lets the compiler
/// vectorize the comparison, which matters because this runs over the whole file on the thread
/// that also feeds the workers.
fn count_line_feeds(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|chunk| u64::from(chunk.iter().map(|byte| u8::from(*byte == b'\n')).sum::<u8>()))
        .sum()
}

/// Returns the length of the longest prefix of `bytes` that ends with a whole record: the
/// position just past the last line feed outside a quoted field. `bytes` must start at the
/// start of a record.
///
/// Quoting follows the csv crate's defaults: a double quote opens a quoted field only as the
/// first byte of a field, `""` inside one is a literal quote, and anywhere else a quote is an
/// ordinary byte. Most access logs quote nothing, so a block without any quote is cut at its
/// last line feed without reading it byte by byte.
pub(crate) fn complete_records_len(bytes: &[u8]) -> Option<usize> {
    if memchr::memchr(b'"', bytes).is_none() {
        return memchr::memrchr(b'\n', bytes).map(|at| at + 1);
    }

    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut end = None;
    for (at, byte) in bytes.iter().enumerate() {
        state = match (state, byte) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::FieldStart, b'"') | (State::QuoteInQuoted, b'"') => State::Quoted,
            (_, b'\n') => {
                end = Some(at + 1);
                State::FieldStart
            }
            (_, b',' | b'\r') => State::FieldStart,
            (_, _) => State::Unquoted,
        };
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_feeds_counted_across_chunks() {
        let mut bytes = vec![b'a'; 1000];
        for at in [0, 254, 255, 256, 509, 510, 999] {
            bytes[at] = b'\n';
        }
        assert_eq!(count_line_feeds(&bytes), 7);
        assert_eq!(count_line_feeds(&[b'\n'; 600]), 600);
    }

    #[test]
    fn line_breaks_of_every_kind() {
        assert_eq!(count_line_breaks(b"a\r\nb\nc\rd\r\n\r\n"), 5);
        assert_eq!(count_line_breaks(b"a\nb\n"), 2);
    }

    #[test]
    fn records_end_at_last_line_feed_without_quotes() {
        assert_eq!(complete_records_len(b"a,b\nc,d\ne,"), Some(8));
        assert_eq!(complete_records_len(b"a,b"), None);
    }

    #[test]
    fn quoted_line_feed_is_not_a_boundary() {
        assert_eq!(complete_records_len(b"a,\"b\nc\"\nd,\"e\nf"), Some(8));
        assert_eq!(complete_records_len(b"a,\"b\n"), None);
    }

    #[test]
    fn escaped_and_literal_quotes() {
        // `""` inside a quoted field stays inside it.
        assert_eq!(complete_records_len(b"\"a\"\"\nb\"\nc"), Some(8));
        // A quote inside an unquoted field is an ordinary byte.
        assert_eq!(complete_records_len(b"ab\"c,d\ne\"\nf"), Some(10));
        // After a closing quote, the rest of the field is ordinary bytes.
        assert_eq!(complete_records_len(b"\"a\"b\"\nc"), Some(6));
    }

    fn records(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let mut all = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            all.push(record.iter().map(<[u8]>::to_vec).collect());
        }
        all
    }

    /// Splitting anywhere `complete_records_len` allows leaves the records the csv reader sees
    /// unchanged, for random text made of the bytes that matter to quoting.
    #[test]
    fn split_points_keep_records_whole() {
        let alphabet = b"ab,\"\n\r";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..500 {
            let length = next(40);
            let text: Vec<u8> = (0..length).map(|_| alphabet[next(alphabet.len())]).collect();
            let whole = records(&text);
            for prefix in 0..=text.len() {
                let Some(split) = complete_records_len(&text[..prefix]) else {
                    continue;
                };
                let mut parts = records(&text[..split]);
                parts.extend(records(&text[split..]));
                assert_eq!(parts, whole, "text {:?} split at {split}", String::from_utf8_lossy(&text));
            }
        }
    }

    #[test]
    fn boundaries_agree_with_the_csv_reader() {
        let text = b"a,\"b\nc\",d\n\"e\"\"f\",g\"h,i\nj,k\n\"l\"m,\"n\r\no\"\np,q";
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&text[..]);
        let mut record = csv::ByteRecord::new();
        let mut starts = Vec::new();
        while reader.read_byte_record(&mut record).unwrap_or(false) {
            starts.push(record.position().map_or(0, csv::Position::byte) as usize);
        }

        // Every prefix is cut at the start of the last record that begins inside it.
        for len in 1..=text.len() {
            let expected = starts.iter().copied().filter(|start| *start > 0 && *start <= len).max();
            assert_eq!(complete_records_len(&text[..len]), expected, "prefix of {len} bytes");
        }
    }
}
