-- Activity reviews run from the web application.
--
-- activity_reviews is one review: the period it covers, the schedule obligation it completes
-- when signed (NULL when it completes none), the state of its background job with progress in
-- bytes read, and the signature. state is one of queued, running, finished, failed or signed.
--
-- activity_review_sources lists the uploaded log files in upload order. The content is an
-- evidence file addressed by its SHA-256; format, events and unreadable are filled in when the
-- job finishes.
--
-- activity_review_findings keeps each finding as the engine reported it, with evidence as a JSON
-- array of "file, line N" texts, and the reviewer's decision: expected, false_positive or
-- follow_up, notes, and for a follow-up the risk-plan item it opened.

CREATE TABLE activity_reviews (
    id TEXT PRIMARY KEY,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    format_override TEXT,
    obligation_id TEXT REFERENCES obligations (id),
    state TEXT NOT NULL,
    progress_done INTEGER NOT NULL,
    progress_total INTEGER NOT NULL,
    failure TEXT,
    syslog_time_basis TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    finished_at TEXT,
    signed_at TEXT,
    signed_on TEXT,
    signed_by TEXT REFERENCES users (id),
    signature TEXT,
    completed_instance_id TEXT REFERENCES obligation_instances (id)
);
CREATE INDEX activity_reviews_state ON activity_reviews (state);

CREATE TABLE activity_review_sources (
    review_id TEXT NOT NULL REFERENCES activity_reviews (id),
    position INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES evidence_files (sha256),
    file_name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    format TEXT,
    events INTEGER,
    unreadable INTEGER,
    PRIMARY KEY (review_id, position)
);

CREATE TABLE activity_review_findings (
    id TEXT PRIMARY KEY,
    review_id TEXT NOT NULL REFERENCES activity_reviews (id),
    position INTEGER NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    account TEXT,
    person TEXT,
    client TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    event_count INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    explanation TEXT NOT NULL,
    decision TEXT,
    notes TEXT,
    decided_at TEXT,
    decided_by TEXT REFERENCES users (id),
    plan_item_id TEXT REFERENCES risk_plan_items (id)
);
CREATE INDEX activity_review_findings_review ON activity_review_findings (review_id, position);
