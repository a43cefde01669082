-- Risk analysis, risk register and risk management plan.
--
-- A risk analysis is a dated version; its entries rate one threat against one asset and carry
-- the register decision. Entries of a version share `risk_key` with the entries they were copied
-- from, which is how versions are compared. A finalized analysis (finalized_at set) is never
-- changed again; the store refuses the write. Plan items keep their own status, because the plan
-- is carried out after the analysis is signed off.

CREATE TABLE risk_analyses (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    analysis_date TEXT NOT NULL,
    scope TEXT NOT NULL,
    method TEXT NOT NULL,
    participants TEXT NOT NULL,
    copied_from TEXT REFERENCES risk_analyses (id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL,
    finalized_at TEXT,
    finalized_by TEXT REFERENCES users (id)
);

CREATE TABLE risk_entries (
    id TEXT PRIMARY KEY,
    analysis_id TEXT NOT NULL REFERENCES risk_analyses (id),
    risk_key TEXT NOT NULL,
    asset_id TEXT,
    asset_name TEXT NOT NULL,
    threat_key TEXT NOT NULL,
    threat_name TEXT NOT NULL,
    vulnerabilities TEXT NOT NULL,
    existing_controls TEXT NOT NULL,
    likelihood TEXT NOT NULL,
    impact TEXT NOT NULL,
    risk_level TEXT NOT NULL,
    treatment TEXT,
    decided_on TEXT,
    residual_level TEXT,
    rationale TEXT,
    official_signature TEXT,
    leadership_name TEXT,
    leadership_title TEXT,
    leadership_signature TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (analysis_id, risk_key)
);

CREATE INDEX risk_entries_analysis ON risk_entries (analysis_id);

CREATE TABLE risk_plan_items (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES risk_entries (id),
    safeguard_type TEXT NOT NULL,
    safeguard TEXT NOT NULL,
    owner TEXT NOT NULL,
    deadline TEXT NOT NULL,
    acceptance_criteria TEXT NOT NULL,
    status TEXT NOT NULL,
    completion_evidence TEXT,
    completed_on TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL
);

CREATE INDEX risk_plan_items_entry ON risk_plan_items (entry_id);
