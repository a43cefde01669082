//! Folders on the server whose log files an activity review reads in place.
//!
//! The operator names the folders that may be read (the roots) with the `review.log_folders`
//! setting, so that a reviewer cannot make the server read any other file. A folder named in the
//! review form is accepted only when its canonical path, with every symbolic link resolved, is
//! inside the canonical path of a root. Paths with `..` are rejected before the file system is
//! touched, and so are paths outside every root as typed, so the form cannot be used to probe
//! which paths exist elsewhere on the server.
//!
//! Only the regular files directly in the folder are read. Subfolders, hidden files (names that
//! start with a dot) and other entries such as sockets or devices are skipped. A symbolic link
//! in the folder is followed only when its target is a regular file inside a root, and one whose
//! target is outside every root rejects the whole folder. Each file's canonical path, size and
//! SHA-256 are recorded when the review starts. The job checks all three again before and after
//! reading, so the signed record states exactly which content was read.
//!
//! NOTE: an account that can write inside a root could swap a checked file for a link between
//! the check and the read. The SHA-256 comparison then fails the review unless the new target
//! has the same content, so roots should be writable only by accounts trusted with the logs.

use std::io;
use std::path::{Component, Path, PathBuf};

use safeguard_domain::values::InvalidValue;
use safeguard_store::activity_reviews::ServerFile;
use sha2::{Digest, Sha256};

/// The name of the setting in the configuration file.
pub const SETTING: &str = "review.log_folders";
/// The environment variable of the setting.
pub const VARIABLE: &str = "SAFEGUARD_REVIEW_LOG_FOLDERS";
/// The form field, as error messages name it.
pub(crate) const FIELD: &str = "server folder";

/// A folder accepted for a review and the files in it that will be read, before they are hashed.
#[derive(Debug)]
pub(crate) struct FolderListing {
    /// The path as the reviewer typed it, for messages.
    requested: String,
    /// The folder's canonical path.
    folder: String,
    /// The files to read, in file name order: the canonical path and the name in the folder.
    files: Vec<(PathBuf, String)>,
}

/// Returns the roots as one line for messages and the form, such as `/srv/logs, /var/log/archive`.
pub(crate) fn describe_roots(roots: &[PathBuf]) -> String {
    roots.iter().map(|root| root.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Checks that `requested` names a folder inside one of `roots` and lists the files in it that
/// a review reads. Every error names the field, the value and what to do next.
pub(crate) fn list_folder(roots: &[PathBuf], requested: &str) -> Result<FolderListing, InvalidValue> {
    let invalid = |message: String| InvalidValue::new(FIELD, format!("{requested:?} {message}"));
    let allowed = describe_roots(roots);

    if roots.is_empty() {
        return Err(invalid(format!(
            "cannot be read, because the operator has not allowed any folder on the server; ask the operator to set {SETTING} ({VARIABLE}), or upload the files"
        )));
    }
    let path = Path::new(requested);
    if !path.is_absolute() {
        return Err(invalid(format!(
            "is not an absolute path; enter the full path of a folder inside {allowed}"
        )));
    }
    if path.components().any(|component| component == Component::ParentDir) {
        return Err(invalid(format!(
            "contains \"..\", which is not allowed; enter the full path of a folder inside {allowed} without \"..\""
        )));
    }

    let canonical_roots = canonical_roots(roots);
    let typed_inside = roots.iter().chain(&canonical_roots).any(|root| path.starts_with(root));
    if !typed_inside {
        return Err(invalid(format!(
            "is outside the folders the operator allowed ({allowed}); enter a folder inside one of them, or upload the files"
        )));
    }

    let folder = std::fs::canonicalize(path).map_err(|error| invalid(open_failure(&error)))?;
    if !inside(&canonical_roots, &folder) {
        return Err(invalid(format!(
            "leads through a symbolic link to a folder outside the folders the operator allowed ({allowed}); enter a folder inside them"
        )));
    }
    let metadata = std::fs::metadata(&folder).map_err(|error| invalid(open_failure(&error)))?;
    if !metadata.is_dir() {
        return Err(invalid("is not a folder; enter the folder that contains the log files".into()));
    }
    let folder_text = folder
        .to_str()
        .ok_or_else(|| invalid("resolves to a path that is not valid UTF-8; rename the folder or enter another".into()))?
        .to_owned();

    let mut files = Vec::new();
    let entries = std::fs::read_dir(&folder).map_err(|error| invalid(open_failure(&error)))?;
    for entry in entries {
        let entry = entry.map_err(|error| invalid(open_failure(&error)))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(invalid(format!(
                "contains a file whose name is not valid UTF-8 ({}); rename it or move it out of the folder",
                entry.file_name().to_string_lossy()
            )));
        };
        if name.starts_with('.') {
            continue;
        }
        if let Some(path) = readable_entry(&entry, &name, &canonical_roots, &invalid)? {
            files.push((path, name));
        }
    }
    if files.is_empty() {
        return Err(invalid(
            "contains no log file to read: subfolders, hidden files (names that start with a dot) and anything that is not a regular file are skipped; enter the folder that contains the log files"
                .into(),
        ));
    }
    files.sort_by(|left, right| left.1.cmp(&right.1));

    Ok(FolderListing {
        requested: requested.to_owned(),
        folder: folder_text,
        files,
    })
}

/// Returns the canonical path of a folder entry that a review reads, or `None` for an entry it
/// skips. A symbolic link to a folder is skipped like a subfolder, wherever it points. A link to
/// a file is followed only to a regular file inside a root.
fn readable_entry(
    entry: &std::fs::DirEntry,
    name: &str,
    canonical_roots: &[PathBuf],
    invalid: &dyn Fn(String) -> InvalidValue,
) -> Result<Option<PathBuf>, InvalidValue> {
    let file_type = entry.file_type().map_err(|error| invalid(open_failure(&error)))?;
    if file_type.is_file() {
        return Ok(Some(entry.path()));
    }
    if !file_type.is_symlink() {
        return Ok(None);
    }

    let target = std::fs::canonicalize(entry.path()).map_err(|error| {
        invalid(format!(
            "contains {name:?}, a symbolic link whose target cannot be opened ({error}); remove the link or enter another folder"
        ))
    })?;
    if std::fs::metadata(&target).is_ok_and(|metadata| metadata.is_dir()) {
        return Ok(None);
    }
    if !inside(canonical_roots, &target) {
        return Err(invalid(format!(
            "contains {name:?}, a symbolic link to a file outside the folders the operator allowed; remove the link or enter another folder"
        )));
    }
    let is_file = std::fs::metadata(&target).is_ok_and(|metadata| metadata.is_file());
    Ok(is_file.then_some(target))
}

/// Reads every listed file and returns the folder's canonical path and each file's path, size
/// and SHA-256. Reading takes as long as the files are large, so call it on the blocking pool.
pub(crate) fn hash_files(listing: FolderListing) -> Result<(String, Vec<ServerFile>), InvalidValue> {
    let mut files = Vec::with_capacity(listing.files.len());
    for (path, file_name) in listing.files {
        let (size_bytes, sha256) = hash_file(&path).map_err(|error| {
            InvalidValue::new(
                FIELD,
                format!(
                    "{:?} contains {file_name:?}, which cannot be read ({error}); ask the operator to let the account running Safeguard read it, or move it out of the folder",
                    listing.requested
                ),
            )
        })?;
        let path = path.to_str().map(str::to_owned).ok_or_else(|| {
            InvalidValue::new(
                FIELD,
                format!(
                    "{:?} contains {file_name:?}, whose path is not valid UTF-8; rename it",
                    listing.requested
                ),
            )
        })?;
        files.push(ServerFile {
            path,
            file_name,
            size_bytes,
            sha256,
        });
    }
    Ok((listing.folder, files))
}

/// Checks, when the job reads a file in place, that the file is still inside a root, still a
/// regular file reached without a symbolic link, and still has the SHA-256 recorded when the
/// review started. Returns the path to read, or a message for the reviewer.
pub(crate) fn verified_server_file(roots: &[PathBuf], path: &str, sha256: &str) -> Result<PathBuf, String> {
    let recorded = PathBuf::from(path);
    let canonical = std::fs::canonicalize(&recorded).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => format!("{path} was moved or deleted after the review was started; start a new review"),
        _ => format!("{path} cannot be read ({error}); ask the operator to let the account running Safeguard read it"),
    })?;
    if canonical != recorded || !inside(&canonical_roots(roots), &canonical) {
        return Err(format!(
            "{path} is no longer inside the folders the operator allowed ({SETTING}: {}); start a new review with a folder inside them",
            describe_roots(roots)
        ));
    }
    if !std::fs::symlink_metadata(&canonical).is_ok_and(|metadata| metadata.is_file()) {
        return Err(format!("{path} is no longer a regular file; start a new review"));
    }

    let (_, found) = hash_file(&canonical)
        .map_err(|error| format!("{path} cannot be read ({error}); ask the operator to let the account running Safeguard read it"))?;
    if found != sha256 {
        return Err(format!(
            "{path} changed after the review was started, so the record would not say what was read; start a new review once the file no longer changes (a log that is still being written changes with every line, so review it after it is rotated)"
        ));
    }
    Ok(canonical)
}

/// Returns the size and lowercase hex SHA-256 of a file, reading it in chunks.
fn hash_file(path: &Path) -> io::Result<(i64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut file, &mut hasher)?;
    Ok((i64::try_from(size).unwrap_or(i64::MAX), hex::encode(hasher.finalize())))
}

/// Returns the canonical paths of the roots that exist now. A root that cannot be resolved
/// admits nothing.
fn canonical_roots(roots: &[PathBuf]) -> Vec<PathBuf> {
    roots.iter().filter_map(|root| std::fs::canonicalize(root).ok()).collect()
}

fn inside(canonical_roots: &[PathBuf], canonical: &Path) -> bool {
    canonical_roots.iter().any(|root| canonical.starts_with(root))
}

/// Says why a path inside a root could not be opened, and what to do.
fn open_failure(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "was not found; check the path".to_owned(),
        _ => format!("cannot be opened by the Safeguard server ({error}); ask the operator to let the account running Safeguard read it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Creates a root with a folder `logs` holding one log, and a folder outside the root.
    fn layout() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("root");
        let outside = base.path().join("outside");
        std::fs::create_dir_all(root.join("logs")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("logs/auth.log"), b"line\n").unwrap();
        std::fs::write(outside.join("secret.log"), b"secret\n").unwrap();
        (base, root, outside)
    }

    fn message(result: Result<FolderListing, InvalidValue>) -> String {
        result.expect_err("the folder is rejected").message
    }

    #[test]
    fn folder_inside_root_is_listed() {
        let (_base, root, _) = layout();
        std::fs::write(root.join("logs/.hidden"), b"x").unwrap();
        std::fs::create_dir(root.join("logs/old")).unwrap();
        std::fs::write(root.join("logs/old/nested.log"), b"x").unwrap();

        let listing = list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()).unwrap();
        let (folder, files) = hash_files(listing).unwrap();

        assert_eq!(folder, std::fs::canonicalize(root.join("logs")).unwrap().to_str().unwrap());
        assert_eq!(files.len(), 1, "hidden files and subfolders are skipped: {files:?}");
        assert_eq!(files[0].file_name, "auth.log");
        assert_eq!(files[0].size_bytes, 5);
        assert_eq!(files[0].sha256, hex::encode(Sha256::digest(b"line\n")));
    }

    #[test]
    fn relative_path_is_rejected() {
        let (_base, root, _) = layout();

        let error = message(list_folder(&[root], "logs"));

        assert!(error.contains("not an absolute path"), "{error}");
    }

    #[test]
    fn parent_component_is_rejected() {
        let (_base, root, _) = layout();
        let escape = format!("{}/../outside", root.display());

        let error = message(list_folder(&[root], &escape));

        assert!(error.contains("contains \"..\""), "{error}");
    }

    #[test]
    fn folder_outside_roots_is_rejected() {
        let (_base, root, outside) = layout();

        let error = message(list_folder(&[root], outside.to_str().unwrap()));

        assert!(error.contains("outside the folders the operator allowed"), "{error}");
    }

    #[test]
    fn missing_folder_outside_roots_reads_as_outside() {
        let (_base, root, _) = layout();

        let error = message(list_folder(&[root], "/no/such/folder"));

        assert!(error.contains("outside the folders"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn folder_link_escaping_root_is_rejected() {
        let (_base, root, outside) = layout();
        std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();

        let error = message(list_folder(std::slice::from_ref(&root), root.join("escape").to_str().unwrap()));

        assert!(error.contains("symbolic link to a folder outside"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn file_link_escaping_root_is_rejected() {
        let (_base, root, outside) = layout();
        std::os::unix::fs::symlink(outside.join("secret.log"), root.join("logs/secret.log")).unwrap();

        let error = message(list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()));

        assert!(error.contains("\"secret.log\", a symbolic link to a file outside"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn folder_link_inside_folder_is_skipped() {
        let (_base, root, outside) = layout();
        std::os::unix::fs::symlink(&outside, root.join("logs/elsewhere")).unwrap();

        let listing = list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()).unwrap();
        let (_, files) = hash_files(listing).unwrap();

        assert_eq!(files.len(), 1, "only the regular file is read");
        assert_ne!(files[0].file_name, "elsewhere");
    }

    #[cfg(unix)]
    #[test]
    fn file_link_inside_root_is_read_at_its_target() {
        let (_base, root, _) = layout();
        std::fs::create_dir(root.join("other")).unwrap();
        std::fs::write(root.join("other/secure"), b"other\n").unwrap();
        std::os::unix::fs::symlink(root.join("other/secure"), root.join("logs/secure")).unwrap();

        let listing = list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()).unwrap();
        let (_, files) = hash_files(listing).unwrap();

        assert_eq!(files.len(), 2);
        assert_eq!(files[1].file_name, "secure");
        let target = std::fs::canonicalize(root.join("other/secure")).unwrap();
        assert_eq!(files[1].path, target.to_str().unwrap());
    }

    #[test]
    fn empty_folder_is_rejected() {
        let (_base, root, _) = layout();
        std::fs::create_dir(root.join("empty")).unwrap();

        let error = message(list_folder(std::slice::from_ref(&root), root.join("empty").to_str().unwrap()));

        assert!(error.contains("contains no log file"), "{error}");
    }

    #[test]
    fn no_roots_names_the_setting() {
        let error = message(list_folder(&[], "/var/log"));

        assert!(error.contains("review.log_folders"), "{error}");
        assert!(error.contains("SAFEGUARD_REVIEW_LOG_FOLDERS"), "{error}");
    }

    #[test]
    fn changed_file_fails_verification() {
        let (_base, root, _) = layout();
        let listing = list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()).unwrap();
        let (_, files) = hash_files(listing).unwrap();
        let roots = [root.clone()];
        assert!(verified_server_file(&roots, &files[0].path, &files[0].sha256).is_ok());

        std::fs::write(root.join("logs/auth.log"), b"line\nappended\n").unwrap();
        let error = verified_server_file(&roots, &files[0].path, &files[0].sha256).unwrap_err();

        assert!(error.contains("changed after the review was started"), "{error}");
    }

    #[test]
    fn file_outside_current_roots_fails_verification() {
        let (_base, root, outside) = layout();
        let listing = list_folder(std::slice::from_ref(&root), root.join("logs").to_str().unwrap()).unwrap();
        let (_, files) = hash_files(listing).unwrap();

        let error = verified_server_file(&[outside], &files[0].path, &files[0].sha256).unwrap_err();

        assert!(error.contains("no longer inside the folders"), "{error}");
    }
}
