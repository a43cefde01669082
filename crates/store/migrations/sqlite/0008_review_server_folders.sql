-- Activity-review logs read in place from a folder on the server.
--
-- A review's logs are either uploaded, and then kept as evidence files, or read in place from a
-- folder inside one the operator allowed with the review.log_folders setting. sha256 is the
-- SHA-256 of the content in both cases, taken when the review was started. evidence_file names
-- the stored copy of an upload and is NULL for a file read in place; server_path is the
-- absolute path of a file read in place and NULL for an upload. The check keeps each row one or
-- the other.
--
-- SQLite cannot drop the foreign key that tied sha256 to evidence_files, so the table is
-- rebuilt; existing rows are uploads.

CREATE TABLE activity_review_sources_new (
    review_id TEXT NOT NULL REFERENCES activity_reviews (id),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    evidence_file TEXT REFERENCES evidence_files (sha256),
    server_path TEXT,
    format TEXT,
    events INTEGER,
    unreadable INTEGER,
    PRIMARY KEY (review_id, position),
    CONSTRAINT activity_review_sources_origin CHECK (
        (server_path IS NULL AND evidence_file IS NOT NULL AND evidence_file = sha256)
        OR (server_path IS NOT NULL AND evidence_file IS NULL)
    )
);

INSERT INTO activity_review_sources_new
    (review_id, position, sha256, file_name, size_bytes, evidence_file, server_path, format, events, unreadable)
SELECT review_id, position, sha256, file_name, size_bytes, sha256, NULL, format, events, unreadable
FROM activity_review_sources;

DROP TABLE activity_review_sources;
ALTER TABLE activity_review_sources_new RENAME TO activity_review_sources;
