//! Evidence files, stored by SHA-256 under the data folder.
//!
//! A file's name on disk is its hash, so the same document attached twice is stored once and a
//! changed byte is visible as a different hash. Files are written to a temporary name and
//! renamed into place, so a crash never leaves a partial file under a hash name. A file whose
//! database row was never committed (the transaction failed after the write) is left on disk;
//! it is unreachable and harmless, because content addressing means a later upload of the same
//! bytes reuses it.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tracing::instrument;

use crate::StoreError;

/// An evidence file written to disk, ready to be linked to a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The media type the browser sent, or `application/octet-stream`.
    pub media_type: String,
    /// The file name the user uploaded, without any folder part.
    pub file_name: String,
}

/// The folder that holds evidence files.
#[derive(Debug, Clone)]
pub struct EvidenceFiles {
    root: PathBuf,
}

impl EvidenceFiles {
    /// Uses `root` for evidence files, creating it if needed.
    pub fn open(root: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root)?;
        Ok(Self { root: root.to_owned() })
    }

    /// Writes `bytes` under their hash and returns the stored file's description.
    #[instrument(skip_all, fields(size = bytes.len()))]
    pub fn write(&self, bytes: &[u8], file_name: &str, media_type: &str) -> Result<StoredFile, StoreError> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let path = self.path_of(&sha256);

        if !path.exists() {
            let folder = path.parent().unwrap_or(&self.root);
            std::fs::create_dir_all(folder)?;
            let mut temporary = tempfile_in(folder)?;
            temporary.1.write_all(bytes)?;
            temporary.1.sync_all()?;
            std::fs::rename(&temporary.0, &path)?;
        }

        Ok(StoredFile {
            sha256,
            size_bytes: bytes.len() as i64,
            media_type: clean_media_type(media_type),
            file_name: clean_file_name(file_name),
        })
    }

    /// Reads a stored file, checking that its content still has its hash.
    pub fn read(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound { kind: "evidence file" });
        }
        let bytes = std::fs::read(self.path_of(sha256)).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound { kind: "evidence file" },
            _ => StoreError::Files(error),
        })?;
        if hex::encode(Sha256::digest(&bytes)) != sha256 {
            return Err(StoreError::Corrupt {
                what: "evidence file",
                detail: format!("the content of {sha256} no longer matches its hash"),
            });
        }
        Ok(bytes)
    }

    /// Returns the path of a stored file after checking that its content still has its hash,
    /// for readers that stream a large file instead of loading it. The file is hashed in
    /// chunks, so memory use does not grow with its size.
    pub fn verified_path(&self, sha256: &str) -> Result<PathBuf, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound { kind: "evidence file" });
        }
        let path = self.path_of(sha256);
        let mut file = std::fs::File::open(&path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => StoreError::NotFound { kind: "evidence file" },
            _ => StoreError::Files(error),
        })?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(StoreError::Corrupt {
                what: "evidence file",
                detail: format!("the content of {sha256} no longer matches its hash"),
            });
        }
        Ok(path)
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }
}

fn tempfile_in(folder: &Path) -> Result<(PathBuf, std::fs::File), StoreError> {
    let path = folder.join(format!(".upload-{}", uuid::Uuid::now_v7()));
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    Ok((path, file))
}

/// Keeps only the last path component and drops control characters, so a name cannot point
/// elsewhere or break a header.
fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|character| !character.is_control() && *character != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "evidence".to_owned()
    } else {
        cleaned
    }
}

fn clean_media_type(media_type: &str) -> String {
    let valid = !media_type.is_empty()
        && media_type.len() <= 100
        && media_type.bytes().all(|byte| byte.is_ascii_graphic())
        && media_type.contains('/');
    if valid {
        media_type.to_owned()
    } else {
        "application/octet-stream".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_is_stored_by_hash_once() {
        let folder = tempfile::tempdir().unwrap();
        let files = EvidenceFiles::open(folder.path()).unwrap();

        let first = files.write(b"restore log", "../../etc/passwd", "text/plain").unwrap();
        let second = files.write(b"restore log", "copy.txt", "text/plain").unwrap();

        assert_eq!(first.sha256, second.sha256);
        assert_eq!(first.file_name, "passwd");
        assert_eq!(files.read(&first.sha256).unwrap(), b"restore log");
    }

    #[test]
    fn changed_file_is_reported() {
        let folder = tempfile::tempdir().unwrap();
        let files = EvidenceFiles::open(folder.path()).unwrap();
        let stored = files.write(b"original", "a.txt", "text/plain").unwrap();

        std::fs::write(files.path_of(&stored.sha256), b"altered").unwrap();

        assert!(matches!(files.read(&stored.sha256), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn bad_hash_is_not_found() {
        let folder = tempfile::tempdir().unwrap();
        let files = EvidenceFiles::open(folder.path()).unwrap();

        assert!(matches!(files.read("../secret"), Err(StoreError::NotFound { .. })));
    }
}
