-- Activity-review logs read in place from a folder on the server.
--
-- A review's logs are either uploaded, and then kept as evidence files, or read in place from a
-- folder inside one the operator allowed with the review.log_folders setting. sha256 is the
-- SHA-256 of the content in both cases, taken when the review was started. evidence_file names
-- the stored copy of an upload and is NULL for a file read in place; server_path is the
-- absolute path of a file read in place and NULL for an upload. The check keeps each row one or
-- the other.
--
-- The foreign key that tied sha256 to evidence_files moves to evidence_file; existing rows are
-- uploads. The SQLite migration of the same name rebuilds the table to the same shape.

ALTER TABLE activity_review_sources DROP CONSTRAINT activity_review_sources_sha256_fkey;
ALTER TABLE activity_review_sources ADD COLUMN evidence_file TEXT REFERENCES evidence_files (sha256);
ALTER TABLE activity_review_sources ADD COLUMN server_path TEXT;
UPDATE activity_review_sources SET evidence_file = sha256;
ALTER TABLE activity_review_sources ADD CONSTRAINT activity_review_sources_origin CHECK (
    (server_path IS NULL AND evidence_file IS NOT NULL AND evidence_file = sha256)
    OR (server_path IS NOT NULL AND evidence_file IS NULL)
);
