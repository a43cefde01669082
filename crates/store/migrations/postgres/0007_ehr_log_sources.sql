-- EHR log sources and the mapping each activity review read EHR access logs with.
--
-- ehr_log_sources is one named column mapping of an EHR access-log CSV export. mapping is the
-- JSON of the --ehr-mapping file that safeguard review reads (time, user, patient, action,
-- workstation, outcome, emergency, reviewed, time_zone, failure_values). version starts at 1
-- and grows by one with each change; the ledger keeps every version's content. Sources are
-- never deleted, because reviews refer to them.
--
-- activity_reviews.ehr_mapping is a copy of the mapping the review reads EHR CSV files with,
-- taken when the review starts, so a later change to the source does not change what a signed
-- review says. ehr_source_id, ehr_source_name and ehr_source_version name the source and the
-- version copied. They are NULL when the review uses the default mapping. Reviews started before
-- this migration have no ehr_mapping and were read with the default mapping.

CREATE TABLE ehr_log_sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mapping TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX ehr_log_sources_name ON ehr_log_sources (lower(name));

ALTER TABLE activity_reviews ADD COLUMN ehr_source_id TEXT REFERENCES ehr_log_sources (id);
ALTER TABLE activity_reviews ADD COLUMN ehr_source_name TEXT;
ALTER TABLE activity_reviews ADD COLUMN ehr_source_version BIGINT;
ALTER TABLE activity_reviews ADD COLUMN ehr_mapping TEXT;
