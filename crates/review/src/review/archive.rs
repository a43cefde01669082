//! Zip archives given for review: every regular file inside one becomes its own source.
//!
//! An archive is recognized by the local file header signature `PK\x03\x04` at its start, not
//! by its name. Each file entry is named `ARCHIVE!ENTRY`, where `ARCHIVE` is the archive's path
//! as given and `ENTRY` the entry's path inside it, so the name stays unambiguous as long as
//! the reader knows which files were given. Its format is detected from its first bytes like a
//! file's. Entries are decompressed one at a time to a temporary file that only the current
//! user can read. The ordinary readers read that file, and it is deleted afterwards, so memory
//! stays bounded and the disk keeps one entry at a time. Nothing is ever written under an
//! entry's own name.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;
use zip::{CompressionMethod, ZipArchive};

use crate::readers::{EhrColumnMapping, Format, ReadError, SNIFF_LEN, detect_format_bytes_with};

/// The local file header signature that starts a zip archive.
pub(crate) const ZIP_SIGNATURE: &[u8; 4] = b"PK\x03\x04";

/// Maximum number of entries, folders included, in one archive. Each file becomes a source
/// that the report lists, and a log export has one file per log or per day, so ten thousand
/// leaves room for years of daily files from several systems. An archive with more is more
/// likely built to exhaust memory than exported by a practice.
pub const MAX_ARCHIVE_ENTRIES: usize = 10_000;

/// Maximum uncompressed size of all files in one archive, 16 GiB. Deflate can expand data up
/// to 1032 times (zlib's technical details, zlib.net/zlib_tech.html), so without a cap a small
/// hostile archive could fill the disk of the temporary folder. The cap is an estimate of a year of EHR access log for a practice of a
/// hundred users (1,000 rows of 200 bytes per user per day is 7.3 GB) with room to spare.
/// Larger exports can be unzipped and reviewed as files, which has no cap.
pub const MAX_ARCHIVE_BYTES: u64 = 16 << 30;

/// Limits that guard against zip bombs and hostile archives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArchiveLimits {
    /// Maximum number of entries in one archive.
    pub max_entries: usize,
    /// Maximum uncompressed bytes of all files in one archive.
    pub max_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_entries: MAX_ARCHIVE_ENTRIES,
            max_bytes: MAX_ARCHIVE_BYTES,
        }
    }
}

/// One file entry of an archive, ready to read.
#[derive(Clone, Debug)]
pub(crate) struct ArchiveEntry {
    /// Position in the archive's central directory.
    index: usize,
    /// Path inside the archive, as the archive writes it.
    name: String,
    /// The source name, `ARCHIVE!ENTRY`.
    pub source_name: PathBuf,
    /// Compressed size in bytes, which progress is counted in.
    pub compressed_size: u64,
    /// The format, detected or given.
    pub format: Format,
}

/// Uncompressed bytes extracted so far from one archive, against the limit.
pub(crate) struct ArchiveBudget {
    max_bytes: u64,
    used: u64,
}

impl ArchiveBudget {
    pub(crate) fn new(limits: ArchiveLimits) -> Self {
        Self {
            max_bytes: limits.max_bytes,
            used: 0,
        }
    }
}

/// Returns whether the file starts with the zip signature.
pub(crate) fn is_zip(path: &Path) -> Result<bool, ReadError> {
    let io_error = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let mut head = Vec::with_capacity(ZIP_SIGNATURE.len());
    File::open(path)
        .map_err(io_error)?
        .take(ZIP_SIGNATURE.len() as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    Ok(head == ZIP_SIGNATURE)
}

fn invalid(path: &Path, reason: impl ToString) -> ReadError {
    ReadError::InvalidArchive {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn open_archive(path: &Path) -> Result<ZipArchive<File>, ReadError> {
    let file = File::open(path).map_err(|source| ReadError::Io {
        path: path.to_owned(),
        source,
    })?;
    ZipArchive::new(file).map_err(|error| invalid(path, error))
}

/// Returns whether an entry name is absolute or climbs out of the archive with `..`. Such
/// names come only from hostile or broken archives, since no zip tool writes them.
fn is_unsafe_name(name: &str) -> bool {
    let has_drive = name.as_bytes().get(1) == Some(&b':');
    name.starts_with(['/', '\\']) || has_drive || name.contains('\0') || name.split(['/', '\\']).any(|part| part == "..")
}

/// Lists the file entries of the archive at `path` and detects the format of each from its
/// first bytes, unless `format` is given. Folders and symbolic links are skipped.
///
/// Fails when the archive is damaged, exceeds `limits` or contains no file. It also fails on an
/// entry that is encrypted, compressed with a method other than stored or deflate, named with
/// an absolute path or `..`, itself a zip archive, or of no known format.
pub(crate) fn list_entries(
    path: &Path,
    format: Option<Format>,
    ehr_mapping: &EhrColumnMapping,
    limits: ArchiveLimits,
) -> Result<Vec<ArchiveEntry>, ReadError> {
    // NOTE: the zip crate reads the whole central directory before the entry count can be
    // checked, so memory grows with the size of the central directory, which the archive's
    // size bounds.
    let mut archive = open_archive(path)?;
    if archive.len() > limits.max_entries {
        return Err(ReadError::ArchiveTooLarge {
            path: path.to_owned(),
            reason: format!("it has {} entries, more than the limit of {}", archive.len(), limits.max_entries),
        });
    }

    let mut entries = Vec::new();
    let mut declared_bytes = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|error| invalid(path, error))?;
        if entry.is_dir() || entry.is_symlink() {
            continue;
        }
        let name = entry.name().map_err(|error| invalid(path, error))?.into_owned();
        if is_unsafe_name(&name) {
            return Err(invalid(path, format!("entry {name:?} has an absolute path or a `..` component")));
        }
        let source_name = PathBuf::from(format!("{}!{name}", path.display()));
        if entry.encrypted() {
            return Err(invalid(&source_name, "the entry is encrypted, and encrypted entries are not read"));
        }
        if !matches!(entry.compression(), CompressionMethod::Stored | CompressionMethod::Deflated) {
            return Err(invalid(
                &source_name,
                format!(
                    "the entry is compressed with {:?}; only stored and deflate entries are read",
                    entry.compression()
                ),
            ));
        }

        // The sizes in the central directory may lie; extraction counts the real bytes too.
        declared_bytes = declared_bytes.saturating_add(entry.size());
        if declared_bytes > limits.max_bytes {
            return Err(too_large(path, limits.max_bytes));
        }
        entries.push(ArchiveEntry {
            index,
            name,
            source_name,
            compressed_size: entry.compressed_size(),
            format: Format::Syslog,
        });
    }
    if entries.is_empty() {
        return Err(invalid(path, "it contains no file to read"));
    }

    for entry in &mut entries {
        let head = read_head(&mut archive, entry)?;
        if head.starts_with(ZIP_SIGNATURE) {
            return Err(ReadError::NestedArchive {
                path: entry.source_name.clone(),
            });
        }
        entry.format = match format {
            Some(format) => format,
            None => detect_format_bytes_with(&head, ehr_mapping).ok_or_else(|| ReadError::UnknownFormat {
                path: entry.source_name.clone(),
            })?,
        };
    }
    Ok(entries)
}

fn too_large(path: &Path, max_bytes: u64) -> ReadError {
    ReadError::ArchiveTooLarge {
        path: path.to_owned(),
        reason: format!("its files hold more than the limit of {max_bytes} bytes uncompressed"),
    }
}

/// Decompresses the first [`SNIFF_LEN`] bytes of an entry, for format detection.
fn read_head(archive: &mut ZipArchive<File>, entry: &ArchiveEntry) -> Result<Vec<u8>, ReadError> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let file = archive.by_index(entry.index).map_err(|error| invalid(&entry.source_name, error))?;
    file.take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|error| invalid(&entry.source_name, error))?;
    Ok(head)
}

/// Decompresses an entry of the archive at `path` to a new temporary file and returns it with
/// its size. Fails when the archive's files together exceed the budget, counting the bytes
/// actually decompressed, or when the entry's data is damaged (its CRC-32 is checked).
pub(crate) fn extract(path: &Path, entry: &ArchiveEntry, budget: &mut ArchiveBudget) -> Result<(NamedTempFile, u64), ReadError> {
    let mut archive = open_archive(path)?;
    let mut file = archive.by_index(entry.index).map_err(|error| invalid(&entry.source_name, error))?;
    // The archive is opened again for each entry, so check that it still lists the same entry.
    if file.name().ok().as_deref() != Some(entry.name.as_str()) {
        return Err(invalid(path, "the archive changed while it was being read"));
    }

    let io_error = |source| ReadError::Io {
        path: entry.source_name.clone(),
        source,
    };
    let mut temporary = NamedTempFile::new().map_err(io_error)?;
    let remaining = budget.max_bytes.saturating_sub(budget.used);
    let written = copy_entry(&mut file, remaining.saturating_add(1), temporary.as_file_mut()).map_err(|error| match error {
        CopyError::Read(error) => invalid(&entry.source_name, error),
        CopyError::Write(error) => io_error(error),
    })?;
    if written > remaining {
        return Err(too_large(path, budget.max_bytes));
    }
    temporary.as_file_mut().flush().map_err(io_error)?;
    budget.used += written;
    Ok((temporary, written))
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies at most `limit` bytes, telling read errors (damaged data) from write errors (a full
/// disk), which need different advice.
fn copy_entry(input: &mut impl Read, limit: u64, output: &mut File) -> Result<u64, CopyError> {
    let mut input = input.take(limit);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => return Ok(written),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(CopyError::Read(error)),
        };
        output.write_all(&buffer[..read]).map_err(CopyError::Write)?;
        written += read as u64;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::io::Write as _;

    use jiff::tz::TimeZone;
    use zip::write::SimpleFileOptions;

    use super::*;
    use crate::readers::ReaderOptions;
    use crate::review::parallel::Parallelism;
    use crate::review::{NoProgress, Progress, ReviewInput, ReviewOptions, run_review_with};
    use crate::rules::RuleConfig;

    const SYSLOG: &str = "Mar  4 23:00:00 h sshd[1]: Accepted password for alice from 10.0.0.1 port 1 ssh2\n";
    const EHR: &str = "time,user,patient\n2024-03-04T22:00:00Z,bob,MRN1\n2024-03-04T22:05:00Z,bob,MRN2\n";

    enum Item<'a> {
        File(&'a str, &'a [u8]),
        Folder(&'a str),
    }

    /// Writes a zip archive of deflated files and folders and returns its path.
    fn write_zip(dir: &Path, name: &str, items: &[Item<'_>]) -> Result<PathBuf, Box<dyn std::error::Error>> {
        let path = dir.join(name);
        let mut writer = zip::ZipWriter::new(File::create(&path)?);
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for item in items {
            match item {
                Item::File(name, content) => {
                    writer.start_file(*name, options)?;
                    writer.write_all(content)?;
                }
                Item::Folder(name) => writer.add_directory(*name, options)?,
            }
        }
        writer.finish()?;
        Ok(path)
    }

    fn options() -> ReviewOptions {
        ReviewOptions {
            readers: ReaderOptions::new(2024, TimeZone::UTC),
            rules: RuleConfig::default(),
            practice_time_zone: TimeZone::UTC,
            roster: None,
            from: None,
            to: None,
        }
    }

    fn review(path: &Path, format: Option<Format>, limits: ArchiveLimits) -> Result<crate::report::Report, ReadError> {
        let inputs = [ReviewInput {
            path: path.to_owned(),
            format,
        }];
        run_review_with(&inputs, options(), &NoProgress, Parallelism::for_this_machine(), limits)
    }

    fn entry_name(archive: &Path, entry: &str) -> String {
        format!("{}!{entry}", archive.display())
    }

    #[test]
    fn archive_with_one_entry() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        // The name does not end in .zip: archives are recognized by content.
        let archive = write_zip(dir.path(), "export.bin", &[Item::File("logs/auth.log", SYSLOG.as_bytes())])?;

        let report = review(&archive, None, ArchiveLimits::default())?;

        assert_eq!(report.sources.len(), 1);
        assert_eq!(report.sources[0].path, entry_name(&archive, "logs/auth.log"));
        assert_eq!(report.sources[0].format, Format::Syslog);
        assert_eq!(report.sources[0].events, 1);
        assert_eq!(report.findings.len(), 1);
        assert_eq!(report.findings[0].rule.id(), "off_hours_activity");
        assert_eq!(report.findings[0].evidence[0].file, entry_name(&archive, "logs/auth.log"));
        assert!(report.syslog_time_basis.is_some());
        Ok(())
    }

    #[test]
    fn archive_entries_of_two_formats() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(
            dir.path(),
            "logs.zip",
            &[
                Item::File("auth.log", SYSLOG.as_bytes()),
                Item::File("ehr/access.csv", EHR.as_bytes()),
            ],
        )?;
        let plain = dir.path().join("after.log");
        std::fs::write(&plain, SYSLOG)?;
        let inputs = [
            ReviewInput {
                path: archive.clone(),
                format: None,
            },
            ReviewInput {
                path: plain.clone(),
                format: None,
            },
        ];

        let report = run_review_with(
            &inputs,
            options(),
            &NoProgress,
            Parallelism::for_this_machine(),
            ArchiveLimits::default(),
        )?;

        let sources: Vec<(&str, Format, u64)> = report.sources.iter().map(|s| (s.path.as_str(), s.format, s.events)).collect();
        let auth = entry_name(&archive, "auth.log");
        let ehr = entry_name(&archive, "ehr/access.csv");
        let plain_name = plain.display().to_string();
        assert_eq!(
            sources,
            [
                (auth.as_str(), Format::Syslog, 1),
                (ehr.as_str(), Format::EhrCsv, 2),
                (plain_name.as_str(), Format::Syslog, 1)
            ]
        );
        let evidence_files: Vec<&str> = report.findings.iter().map(|f| f.evidence[0].file.as_str()).collect();
        assert!(evidence_files.contains(&ehr.as_str()), "{evidence_files:?}");
        Ok(())
    }

    #[test]
    fn format_override_applies_to_entries() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("a.txt", SYSLOG.as_bytes())])?;

        let report = review(&archive, Some(Format::WindowsJson), ArchiveLimits::default())?;

        assert_eq!(report.sources[0].format, Format::WindowsJson);
        assert_eq!(report.sources[0].events, 0);
        assert_eq!(report.sources[0].unreadable, 1);
        Ok(())
    }

    #[test]
    fn archive_folders_are_skipped() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(
            dir.path(),
            "logs.zip",
            &[
                Item::Folder("logs/"),
                Item::File("logs/auth.log", SYSLOG.as_bytes()),
                Item::Folder("empty/"),
            ],
        )?;

        let report = review(&archive, None, ArchiveLimits::default())?;

        let paths: Vec<&str> = report.sources.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, [entry_name(&archive, "logs/auth.log")]);
        Ok(())
    }

    #[test]
    fn archive_of_folders_only_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(dir.path(), "logs.zip", &[Item::Folder("logs/")])?;

        let result = review(&archive, None, ArchiveLimits::default());

        assert!(
            matches!(&result, Err(ReadError::InvalidArchive { path, reason }) if path == &archive && reason.contains("no file")),
            "{result:?}"
        );
        Ok(())
    }

    #[test]
    fn entry_over_byte_cap() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let big = SYSLOG.repeat(100);
        let archive = write_zip(
            dir.path(),
            "logs.zip",
            &[Item::File("small.log", SYSLOG.as_bytes()), Item::File("big.log", big.as_bytes())],
        )?;
        let limits = ArchiveLimits {
            max_entries: 10,
            max_bytes: big.len() as u64,
        };

        let result = review(&archive, None, limits);

        assert!(
            matches!(&result, Err(ReadError::ArchiveTooLarge { path, .. }) if path == &archive),
            "{result:?}"
        );
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains(&format!("limit of {} bytes", big.len())), "{message}");
        Ok(())
    }

    /// The sizes in the archive are the attacker's to choose. zip 9.9 rejects an entry longer
    /// than its declared size; the budget would stop it otherwise.
    #[test]
    fn understated_size_is_caught_while_extracting() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let big = SYSLOG.repeat(100);
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("big.log", big.as_bytes())])?;
        let mut bytes = std::fs::read(&archive)?;
        let declared = (big.len() as u32).to_le_bytes();
        let small = 10u32.to_le_bytes();
        // The uncompressed size sits at offset 22 of the local header and 24 of the central
        // directory header.
        for (signature, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
            let start = bytes.windows(4).position(|w| w == signature).ok_or("header not found")?;
            assert_eq!(bytes[start + offset..start + offset + 4], declared);
            bytes[start + offset..start + offset + 4].copy_from_slice(&small);
        }
        std::fs::write(&archive, bytes)?;
        let limits = ArchiveLimits {
            max_entries: 10,
            max_bytes: 100,
        };

        let result = review(&archive, None, limits);

        let entry = PathBuf::from(entry_name(&archive, "big.log"));
        assert!(
            matches!(&result, Err(ReadError::InvalidArchive { path, .. }) if path == &entry)
                || matches!(&result, Err(ReadError::ArchiveTooLarge { path, .. }) if path == &archive),
            "{result:?}"
        );
        Ok(())
    }

    /// Extraction counts the bytes it decompresses, whatever the archive declares.
    #[test]
    fn extraction_stops_at_budget() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(
            dir.path(),
            "logs.zip",
            &[Item::File("a.log", SYSLOG.as_bytes()), Item::File("b.log", SYSLOG.as_bytes())],
        )?;
        let entries = list_entries(&archive, None, &EhrColumnMapping::default(), ArchiveLimits::default())?;
        let mut budget = ArchiveBudget {
            max_bytes: SYSLOG.len() as u64 + 10,
            used: 0,
        };

        let (first, size) = extract(&archive, &entries[0], &mut budget)?;
        let second = extract(&archive, &entries[1], &mut budget);

        assert_eq!(size, SYSLOG.len() as u64);
        assert_eq!(std::fs::read_to_string(first.path())?, SYSLOG);
        assert!(
            matches!(&second, Err(ReadError::ArchiveTooLarge { path, .. }) if path == &archive),
            "{:?}",
            second.map(|(_, size)| size)
        );
        Ok(())
    }

    #[test]
    fn entry_count_over_cap() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(
            dir.path(),
            "logs.zip",
            &[
                Item::Folder("a/"),
                Item::File("a/1.log", SYSLOG.as_bytes()),
                Item::File("a/2.log", SYSLOG.as_bytes()),
            ],
        )?;
        let limits = ArchiveLimits {
            max_entries: 2,
            max_bytes: 1 << 20,
        };

        let result = review(&archive, None, limits);

        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("3 entries, more than the limit of 2"), "{message}");
        Ok(())
    }

    #[test]
    fn damaged_archive_is_named() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let content = SYSLOG.repeat(50);
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("auth.log", content.as_bytes())])?;
        let bytes = std::fs::read(&archive)?;

        // Cut off the central directory.
        let truncated = dir.path().join("truncated.zip");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2])?;
        let result = review(&truncated, None, ArchiveLimits::default());
        assert!(
            matches!(&result, Err(ReadError::InvalidArchive { path, .. }) if path == &truncated),
            "{result:?}"
        );
        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.starts_with(&format!("{}: not a readable zip archive", truncated.display())),
            "{message}"
        );

        // Change one byte of the compressed data, past the part that detection reads.
        let corrupted = dir.path().join("corrupted.zip");
        let mut changed = bytes.clone();
        let data_start = 30 + "auth.log".len();
        let data_end = bytes.windows(4).position(|w| w == b"PK\x01\x02").ok_or("no central directory")?;
        changed[(data_start + data_end) / 2] ^= 0x55;
        std::fs::write(&corrupted, changed)?;
        let result = review(&corrupted, None, ArchiveLimits::default());
        let entry = PathBuf::from(entry_name(&corrupted, "auth.log"));
        assert!(
            matches!(&result, Err(ReadError::InvalidArchive { path, .. }) if path == &entry),
            "{result:?}"
        );
        Ok(())
    }

    #[test]
    fn nested_archive_is_not_opened() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let inner = write_zip(dir.path(), "inner.zip", &[Item::File("auth.log", SYSLOG.as_bytes())])?;
        let outer = write_zip(
            dir.path(),
            "outer.zip",
            &[
                Item::File("auth.log", SYSLOG.as_bytes()),
                Item::File("old/inner.zip", &std::fs::read(&inner)?),
            ],
        )?;

        for format in [None, Some(Format::Syslog)] {
            let result = review(&outer, format, ArchiveLimits::default());

            let entry = PathBuf::from(entry_name(&outer, "old/inner.zip"));
            assert!(
                matches!(&result, Err(ReadError::NestedArchive { path }) if path == &entry),
                "{format:?}: {result:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn entry_with_parent_component_is_rejected() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("../auth.log", SYSLOG.as_bytes())])?;

        let result = review(&archive, None, ArchiveLimits::default());

        let message = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("\"../auth.log\" has an absolute path"), "{message}");
        Ok(())
    }

    #[test]
    fn unknown_entry_format_names_the_entry() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("notes.txt", b"hello\n")])?;

        let result = review(&archive, None, ArchiveLimits::default());

        let entry = PathBuf::from(entry_name(&archive, "notes.txt"));
        assert!(
            matches!(&result, Err(ReadError::UnknownFormat { path }) if path == &entry),
            "{result:?}"
        );
        Ok(())
    }

    #[derive(Default)]
    struct RecordedProgress {
        calls: RefCell<Vec<(String, u64)>>,
    }

    impl Progress for RecordedProgress {
        fn start_file(&self, path: &Path, bytes: u64) {
            self.calls.borrow_mut().push((format!("start {}", path.display()), bytes));
        }

        fn advance(&self, bytes: u64) {
            self.calls.borrow_mut().push(("advance".to_owned(), bytes));
        }

        fn finish_file(&self) {
            self.calls.borrow_mut().push(("finish".to_owned(), 0));
        }
    }

    /// Progress counts an entry in compressed bytes, so it ends at the entry's size in the
    /// archive.
    #[test]
    fn progress_counts_compressed_bytes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let content = SYSLOG.repeat(200);
        let archive = write_zip(dir.path(), "logs.zip", &[Item::File("auth.log", content.as_bytes())])?;
        let compressed = ZipArchive::new(File::open(&archive)?)?.by_index_raw(0)?.compressed_size();
        assert!(compressed < content.len() as u64 / 10, "the test content should compress well");
        let progress = RecordedProgress::default();
        let inputs = [ReviewInput {
            path: archive.clone(),
            format: None,
        }];

        run_review_with(
            &inputs,
            options(),
            &progress,
            Parallelism::for_this_machine(),
            ArchiveLimits::default(),
        )?;

        let calls = progress.calls.into_inner();
        assert_eq!(
            calls.first(),
            Some(&(format!("start {}", entry_name(&archive, "auth.log")), compressed))
        );
        assert_eq!(calls.iter().rev().nth(1), Some(&("advance".to_owned(), compressed)));
        assert_eq!(calls.last(), Some(&("finish".to_owned(), 0)));
        Ok(())
    }

    #[test]
    fn unsafe_names_are_recognized() {
        for name in ["/etc/passwd", "\\server\\x", "C:/logs/a.json", "../a.json", "logs/../../a", "a\0b"] {
            assert!(is_unsafe_name(name), "{name:?}");
        }
        for name in ["a.json", "logs/2024/a.json", "logs/..a", "x!y.json"] {
            assert!(!is_unsafe_name(name), "{name:?}");
        }
    }
}
