-- The foundation schema: practice, accounts and sessions, roster, program records, calendar,
-- evidence files and the ledger. Types stay in the subset both databases read through sqlx's
-- Any driver: INTEGER (booleans as 0/1), TEXT. Ids are UUIDv7 text, instants fixed-width UTC
-- RFC 3339 text, calendar dates YYYY-MM-DD text, JSON as TEXT.

CREATE TABLE practice (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    office_hours TEXT NOT NULL,
    patient_states TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    job_title TEXT NOT NULL,
    practice_role TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE system_accounts (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    system TEXT NOT NULL,
    identifier TEXT NOT NULL,
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE UNIQUE INDEX system_accounts_current ON system_accounts (lower(system), lower(identifier)) WHERE removed_at IS NULL;
CREATE INDEX system_accounts_person ON system_accounts (person_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    person_id TEXT REFERENCES people (id),
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL,
    disabled_at TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    accepted_at TEXT
);

CREATE TABLE sign_in_attempts (
    id TEXT PRIMARY KEY,
    throttle_key TEXT NOT NULL,
    attempted_at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts (throttle_key, attempted_at);

CREATE TABLE designations (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id),
    person_name TEXT NOT NULL,
    person_job_title TEXT NOT NULL,
    duties TEXT NOT NULL,
    emergency_decision_rights TEXT NOT NULL,
    routine_decision_rights TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_by TEXT NOT NULL REFERENCES users (id),
    signed_at TEXT NOT NULL,
    superseded_on TEXT,
    superseded_by TEXT
);

CREATE TABLE addressable_decisions (
    id TEXT PRIMARY KEY,
    citation TEXT NOT NULL,
    version INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    decided_on TEXT NOT NULL,
    signature TEXT NOT NULL,
    signed_by TEXT NOT NULL REFERENCES users (id),
    signed_at TEXT NOT NULL,
    UNIQUE (citation, version)
);

CREATE TABLE obligations (
    id TEXT PRIMARY KEY,
    default_key TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    citation TEXT NOT NULL,
    cadence TEXT NOT NULL,
    completion_kind TEXT NOT NULL,
    anchor_date TEXT NOT NULL,
    owner_user_id TEXT REFERENCES users (id),
    active INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE obligation_instances (
    id TEXT PRIMARY KEY,
    obligation_id TEXT NOT NULL REFERENCES obligations (id),
    period_index INTEGER NOT NULL,
    starts_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT,
    completed_on TEXT,
    completed_by TEXT REFERENCES users (id),
    notes TEXT,
    meeting_date TEXT,
    attendees TEXT,
    decisions TEXT,
    UNIQUE (obligation_id, period_index)
);
CREATE INDEX obligation_instances_due ON obligation_instances (due_on);

CREATE TABLE evidence_files (
    sha256 TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE instance_evidence (
    id TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES obligation_instances (id),
    sha256 TEXT NOT NULL REFERENCES evidence_files (sha256),
    file_name TEXT NOT NULL,
    attached_at TEXT NOT NULL,
    attached_by TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX instance_evidence_instance ON instance_evidence (instance_id);

CREATE TABLE ledger (
    sequence INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
